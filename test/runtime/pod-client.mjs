// The kubelet's and the clients' side of the runtime contract test. It runs
// inside the pod's network namespace (nsenter), so it reaches the runtime on
// 127.0.0.1 at the ports the Deployment declares, and only there. It takes a
// plan as JSON (argv[2]), runs it within the plan's time bound and prints one
// JSON report on stdout.
//
// Probes follow the kubelet: the startup probe every period from
// initialDelaySeconds until one success, at most failureThreshold failures in
// a row; then liveness and readiness every period; an HTTP probe is a GET
// without keep-alive, successful for a status from 200 to 399 within
// timeoutSeconds. The load is scripts/load.mjs's, the one `npm run bench`
// measures with.
import { request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { closedLoopLoad } from '../../scripts/load.mjs';

const plan = JSON.parse(process.argv[2]);
const HOST = '127.0.0.1';
const now = () => Date.now();
setTimeout(() => {
  process.stdout.write(JSON.stringify({ error: `pod client ran past its ${plan.timeoutMs} ms bound` }));
  process.exit(3);
}, plan.timeoutMs).unref();

/** One kubelet HTTP probe. */
function httpProbe(probe) {
  return new Promise((resolve) => {
    const started = now();
    const req = httpRequest(
      { host: HOST, port: probe.port, path: probe.path, agent: false, headers: { 'user-agent': 'kube-probe/1.28', accept: '*/*', connection: 'close' }, timeout: probe.timeoutSeconds * 1000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ t: started, ok: res.statusCode >= 200 && res.statusCode < 400, status: res.statusCode, ms: now() - started }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('probe timed out')));
    req.on('error', (err) => resolve({ t: started, ok: false, error: err.code ?? err.message, ms: now() - started }));
    req.end();
  });
}

async function startup(probes, containerStartedAt) {
  const p = probes.startup;
  const attempts = [];
  await sleep(Math.max(0, containerStartedAt + p.initialDelaySeconds * 1000 - now()));
  let failures = 0;
  for (;;) {
    const r = await httpProbe(p);
    attempts.push(r);
    if (r.ok) return { ok: true, succeededAfterMs: r.t - containerStartedAt, attempts };
    if (++failures >= p.failureThreshold) return { ok: false, attempts };
    await sleep(p.periodSeconds * 1000 - (now() - r.t));
  }
}

/** Liveness or readiness, every period until stopped; records each result. */
function periodic(probe, log, name, stop) {
  return (async () => {
    let failuresInRow = 0;
    while (!stop.stopped) {
      const r = await httpProbe(probe);
      failuresInRow = r.ok ? 0 : failuresInRow + 1;
      log.push({ probe: name, ...r, failed: failuresInRow >= probe.failureThreshold });
      const next = r.t + probe.periodSeconds * 1000;
      while (!stop.stopped && now() < next) await sleep(Math.min(100, next - now()));
    }
  })();
}

async function scrape(target) {
  const res = await fetch(`http://${HOST}:${target.port}${target.path}`);
  return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text(), at: now() };
}

/** Closed-loop load on the invoke path until `until()` is true. */
function load(app, connections, body, until) {
  return closedLoopLoad({ origin: `http://${HOST}:${app.port}`, path: app.invokePath, body, connections, until });
}

/** Polls /readyz every 50 ms: the first 503 is the readiness flip, the first refused connection the closed listener. */
async function watchShutdown(app, readinessPath, bound) {
  const seen = {};
  while (now() < bound && seen.listenerClosedAt === undefined) {
    const r = await httpProbe({ port: app.port, path: readinessPath, timeoutSeconds: 1 });
    if (r.status === 503 && seen.readyFlipAt === undefined) seen.readyFlipAt = r.t;
    if (r.error === 'ECONNREFUSED') seen.listenerClosedAt = r.t;
    await sleep(50);
  }
  return seen;
}

async function longRequest(app, latencyMs) {
  const started = now();
  try {
    const res = await fetch(`http://${HOST}:${app.port}${app.invokePath}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: 'a long agent run', latencyMs }),
    });
    return { status: res.status, ms: now() - started, body: await res.text() };
  } catch (err) {
    return { error: err.cause?.code ?? err.message, ms: now() - started };
  }
}

async function drain(plan) {
  const d = plan.drain;
  const app = plan.app;
  const loadStarted = now();
  let sigtermAt;
  // In a cluster, endpoint removal reaches the proxies a moment after
  // SIGTERM; from then on no new request arrives, the running ones finish.
  const steady = load(app, d.connections, plan.body, () => sigtermAt !== undefined && now() >= sigtermAt + d.propagationMs);
  await sleep(d.sigtermAfterMs - d.longLeadMs);
  const long = Array.from({ length: d.longRequests }, () => longRequest(app, d.longLatencyMs));
  await sleep(d.longLeadMs);
  sigtermAt = now();
  process.kill(plan.pid, 'SIGTERM');
  const watch = watchShutdown(app, plan.probes.readiness.path, sigtermAt + d.watchMs);
  const [stats, seen, longResults] = await Promise.all([steady, watch, Promise.all(long)]);
  return { loadStartedAt: loadStarted, sigtermAt, ...seen, load: stats, long: longResults };
}

async function main() {
  const report = { probeLog: [] };
  report.startup = await startup(plan.probes, plan.containerStartedAt);
  if (!report.startup.ok) return report;
  const stop = { stopped: false };
  const loops = [periodic(plan.probes.liveness, report.probeLog, 'liveness', stop), periodic(plan.probes.readiness, report.probeLog, 'readiness', stop)];
  report.scrapes = { before: await scrape(plan.scrape) };
  const normalEnd = now() + plan.normal.seconds * 1000;
  report.normal = await load(plan.app, plan.normal.connections, plan.body, () => now() >= normalEnd);
  report.scrapes.afterNormal = await scrape(plan.scrape);
  const errorEnd = now() + plan.errors.seconds * 1000;
  report.errors = await load(plan.app, plan.errors.connections, plan.errors.body, () => now() >= errorEnd);
  report.scrapes.afterErrors = await scrape(plan.scrape);
  // The kubelet keeps probing until SIGTERM; what it saw before then is the verdict.
  stop.stopped = true;
  await Promise.all(loops);
  report.drain = await drain(plan);
  return report;
}

main().then(
  (report) => process.stdout.write(JSON.stringify(report)),
  (err) => {
    process.stdout.write(JSON.stringify({ error: err.stack ?? String(err) }));
    process.exitCode = 1;
  },
);
