// Runtime benchmark, run by `npm run bench`: the reference runtime under the
// contract test's closed-loop load (scripts/load.mjs) on loopback, against a
// floor measured in the same run: a bare node:http server on the same Node
// that answers the same route after the same stub latency. Prints p50 and p99
// latency, requests per second and peak RSS (VmHWM) of each, and the ratios;
// the last line is the JSON. BENCH_RUNTIME_SECONDS (default 10) and
// BENCH_RUNTIME_CONNECTIONS (default 32) set the load.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { closedLoopLoad, quantile } from '../load.mjs';
import { nodeBinary, runtimeNodeVersion } from '../node-binary.mjs';

const root = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const SECONDS = Number(process.env.BENCH_RUNTIME_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_RUNTIME_CONNECTIONS ?? 32);
const LATENCY_MS = 20;
const node = nodeBinary(runtimeNodeVersion());
const BODY = { input: 'plan a trip to the coast', tools: ['search'] };

// The floor: what any Node HTTP service with this latency costs.
const FLOOR = `
const http = require('node:http');
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => setTimeout(() => {
    const body = JSON.stringify({ agent: 'assistant', input: JSON.parse(Buffer.concat(chunks)).input });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  }, ${LATENCY_MS}));
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
`;

async function freePort() {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

async function measure(name, args, cwd, env) {
  const port = await freePort();
  const child = spawn(node, args, { cwd, env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port), ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const origin = `http://127.0.0.1:${port}`;
  const path = '/v1/agents/assistant/invoke';
  for (let i = 0; ; i++) {
    const up = await fetch(origin + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(BODY) }).then((r) => r.ok, () => false);
    if (up) break;
    if (i > 300) throw new Error(`${name} did not start`);
    await sleep(50);
  }
  const warmEnd = Date.now() + 2000;
  await closedLoopLoad({ origin, path, body: BODY, connections: CONNECTIONS, until: () => Date.now() >= warmEnd });
  const t0 = performance.now();
  const end = Date.now() + SECONDS * 1000;
  const stats = await closedLoopLoad({ origin, path, body: BODY, connections: CONNECTIONS, until: () => Date.now() >= end });
  const elapsed = (performance.now() - t0) / 1000;
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
  child.kill('SIGKILL');
  const failed = stats.requests - (stats.statuses[200] ?? 0);
  return {
    name,
    requests: stats.requests,
    failed,
    rps: stats.requests / elapsed,
    p50Ms: quantile(stats.latenciesMs, 0.5),
    p99Ms: quantile(stats.latenciesMs, 0.99),
    peakRssMiB: hwm ? Number(hwm[1]) / 1024 : undefined,
  };
}

const runtime = await measure('reference runtime', ['dist/main.js'], join(root, 'runtime'), { METRICS_PORT: String(await freePort()) });
const floor = await measure('bare node:http, same latency', ['-e', FLOOR], root, {});
const f = (v, d = 1) => (v === undefined ? '-' : v.toFixed(d));
console.log(`runtime under load: ${CONNECTIONS} connections, ${SECONDS} s after a 2 s warm-up, stub latency ${LATENCY_MS} ms, node ${readFileSync(join(root, 'runtime', '.node-version'), 'utf8').trim()}`);
console.log(`${'case'.padEnd(30)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'peak RSS MiB'.padStart(13)} ${'failed'.padStart(7)}`);
for (const r of [runtime, floor]) console.log(`${r.name.padEnd(30)} ${f(r.rps, 0).padStart(8)} ${f(r.p50Ms).padStart(8)} ${f(r.p99Ms).padStart(8)} ${f(r.peakRssMiB).padStart(13)} ${String(r.failed).padStart(7)}`);
console.log(`runtime / floor: p50 ${f(runtime.p50Ms / floor.p50Ms, 2)}x, p99 ${f(runtime.p99Ms / floor.p99Ms, 2)}x, RSS ${f(runtime.peakRssMiB / floor.peakRssMiB, 2)}x`);
console.log(JSON.stringify({ connections: CONNECTIONS, seconds: SECONDS, latencyMs: LATENCY_MS, runtime, floor }));
