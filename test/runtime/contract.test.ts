import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../apps/main.js';
import type { RenderedGroup } from '../../lib/index.js';
import { testRules, type PromtoolTest } from '../observability/promtool.js';
import { one, type Obj } from '../util.js';
import { parseExposition, promtoolSeries, type Sample } from './exposition.js';
import { containerEnv, containerPort, emptyDirMounts, imageCommand, runPodClient, runtimeNode, RUNTIME_DIR, startPod, type Pod } from './pod.js';
import { selectorsOf, type Selector } from './promql-selectors.js';

// The runtime contract: the reference runtime, started exactly as the default
// app's Deployment says (env, ports, probes, UID, read-only root, emptyDirs,
// shutdown timing), serves what the manifests and the monitoring expect.

const NAMESPACE = 'agents';
const AGENT = 'agent-runtime';
const SECRETS = {};
const POD_NAME = 'agent-runtime-7d9f8b6c5-x2x4q';

// Metrics the rules and the dashboard read from other scrape targets than the
// runtime's, by name prefix, and who exposes them.
const OTHER_SOURCES: Record<string, string> = {
  container_: 'cAdvisor (the kubelet)',
  kube_: 'kube-state-metrics',
  otelcol_: 'the OpenTelemetry Collector',
};

interface Manifests {
  container: Obj;
  podSpec: Obj;
  service: Obj;
  serviceMonitor: Obj;
  groups: RenderedGroup[];
  dashboardQueries: string[];
  drainAnnotation: string;
}

function manifests(): Manifests {
  const out = mkdtempSync(join(tmpdir(), 'cap-contract-'));
  try {
    buildApp(out).synth();
    const objs = parseAllDocuments(readFileSync(join(out, 'agents.k8s.yaml'), 'utf8')).map((d) => d.toJS() as Obj);
    const deployment = one(objs, 'Deployment', AGENT);
    const podSpec = deployment.spec.template.spec;
    const rule = one(objs, 'PrometheusRule', `${AGENT}-alerts`);
    const dashboard = one(objs, 'ConfigMap', `${AGENT}-dashboard`);
    const model = JSON.parse(Object.values(dashboard.data as Record<string, string>)[0]!) as Obj;
    return {
      container: podSpec.containers.find((c: Obj) => c.name === AGENT),
      podSpec,
      service: one(objs, 'Service', AGENT),
      serviceMonitor: one(objs, 'ServiceMonitor', AGENT),
      groups: rule.spec.groups,
      drainAnnotation: deployment.spec.template.metadata.annotations['cdk8s-agent-platform.dev/drain-seconds'],
      dashboardQueries: (model.panels as Obj[]).flatMap((p) => (p.targets as Obj[]).map((t) => t.expr as string)),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** The probe of the container as the pod client runs it, with its port resolved. */
function probe(m: Manifests, key: 'startupProbe' | 'livenessProbe' | 'readinessProbe'): Obj {
  const p = m.container[key];
  return { path: p.httpGet.path, port: containerPort(m.container, p.httpGet.port), initialDelaySeconds: p.initialDelaySeconds ?? 0, periodSeconds: p.periodSeconds, timeoutSeconds: p.timeoutSeconds, failureThreshold: p.failureThreshold };
}

/** Where the ServiceMonitor scrapes: its endpoint's Service port, through the Service's targetPort, to the container port. */
function scrapeTarget(m: Manifests): { port: number; path: string } {
  const [endpoint] = m.serviceMonitor.spec.endpoints as Obj[];
  const servicePort = (m.service.spec.ports as Obj[]).find((p) => p.name === endpoint!.port);
  if (!servicePort) throw new Error(`the ServiceMonitor scrapes port ${endpoint!.port}, which Service ${AGENT} does not have`);
  return { port: containerPort(m.container, servicePort.targetPort), path: endpoint!.path };
}

const M = manifests();
// prometheus-operator labels the targets of a ServiceMonitor without jobLabel with job = the Service name.
const JOB = M.service.metadata.name as string;
const INVOKE_PATH = '/v1/agents/assistant/invoke';

describe('the reference runtime, run as the default app deploys it', () => {
  let pod: Pod;
  let report: Obj;
  const env = containerEnv(M.container, SECRETS, { 'metadata.name': POD_NAME });
  const grace = M.podSpec.terminationGracePeriodSeconds as number;

  beforeAll(async () => {
    const sc = { ...M.podSpec.securityContext, ...M.container.securityContext };
    pod = startPod({ node: runtimeNode(), command: imageCommand(), cwd: RUNTIME_DIR, env, uid: sc.runAsUser, gid: sc.runAsGroup, emptyDirs: emptyDirMounts(M.container, M.podSpec.volumes) });
    const delayMs = 5000;
    report = await runPodClient(pod, {
      pid: pod.pid,
      containerStartedAt: pod.startedAt,
      timeoutMs: 120_000,
      probes: { startup: probe(M, 'startupProbe'), liveness: probe(M, 'livenessProbe'), readiness: probe(M, 'readinessProbe') },
      scrape: scrapeTarget(M),
      app: { port: containerPort(M.container, 'http'), invokePath: INVOKE_PATH },
      body: { input: 'plan a trip to the coast', tools: ['search'] },
      normal: { seconds: 4, connections: 4 },
      errors: { seconds: 2, connections: 2, body: { input: 'this tool fails', tools: ['fail'] } },
      drain: { connections: 4, sigtermAfterMs: 1500, propagationMs: 1000, longRequests: 3, longLeadMs: 200, longLatencyMs: delayMs + 2000, watchMs: grace * 1000 },
    });
    report.exit = await pod.exited;
    // The measurements (probe timings, load, drain), for a person to read.
    if (process.env.RUNTIME_CONTRACT_REPORT) writeFileSync(process.env.RUNTIME_CONTRACT_REPORT, JSON.stringify({ ...report, stdout: pod.stdout }, null, 1));
  }, 180_000);

  afterAll(() => {
    if (pod && pod.child.exitCode === null) pod.child.kill('SIGKILL');
  });

  it('gets the env the library writes: ports, shutdown budget and OpenTelemetry', () => {
    expect(env).toMatchObject({
      PORT: String(containerPort(M.container, 'http')),
      METRICS_PORT: String(containerPort(M.container, 'metrics')),
      SHUTDOWN_DRAIN_SECONDS: M.drainAnnotation,
      TERMINATION_GRACE_PERIOD_SECONDS: String(grace),
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    });
    expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toMatch(/^http:\/\/otel-collector\.agents\.svc:4317$/);
    expect(M.container.lifecycle?.preStop).toBeUndefined();
  });

  it('starts on the image Node version as UID 10001 on a read-only root, and logs JSON only', () => {
    const lines = pod.stdout.filter((l) => l.trim() !== '');
    const parsed = lines.map((l) => {
      try {
        return JSON.parse(l) as Obj;
      } catch {
        throw new Error(`a log line is not JSON: ${l}`);
      }
    });
    const listening = parsed.find((l) => l.msg === 'agent runtime listening');
    expect(listening).toMatchObject({ level: 'info', node: `v${readFileSync(join(RUNTIME_DIR, '.node-version'), 'utf8').trim()}`, uid: 10001, port: 8080, metricsPort: 9090 });
    expect(pod.stderr()).toBe('');
    expect(lines.join('\n')).not.toMatch(/EROFS|EACCES/);
  });

  it('passes the startup probe within its budget, then liveness and readiness every time', () => {
    const s = report.startup;
    const p = M.container.startupProbe;
    expect(s.ok, JSON.stringify(s.attempts)).toBe(true);
    expect(s.succeededAfterMs).toBeLessThan(((p.initialDelaySeconds ?? 0) + p.periodSeconds * p.failureThreshold) * 1000);
    const log = report.probeLog as Obj[];
    for (const name of ['liveness', 'readiness']) {
      const runs = log.filter((r) => r.probe === name);
      expect(runs.length, `${name} ran`).toBeGreaterThan(0);
      expect(runs.filter((r) => !r.ok), `${name} failures`).toEqual([]);
    }
  });

  it('exposes at the ServiceMonitor target every metric the alerts and the dashboard read from its job', () => {
    const scraped = report.scrapes.afterNormal;
    expect(scraped.status).toBe(200);
    expect(scraped.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parseExposition(scraped.text);
    const recorded = new Set(M.groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))));
    const exprs = [...M.groups.flatMap((g) => g.rules.map((r) => r.expr)), ...M.dashboardQueries];
    const problems = new Set<string>();
    const appMetrics = new Set<string>();
    for (const expr of exprs) {
      for (const sel of selectorsOf(expr)) {
        if (recorded.has(sel.metric)) continue;
        const job = sel.matchers.find((x) => x.label === 'job' && x.op === '=');
        if (job?.value === JOB) {
          appMetrics.add(sel.metric);
          for (const p of selectorProblems(sel, samples)) problems.add(p);
        } else if (!Object.keys(OTHER_SOURCES).some((prefix) => sel.metric.startsWith(prefix))) {
          problems.add(`${sel.metric} is neither scraped from job ${JOB} nor from a known exporter`);
        }
      }
    }
    expect([...problems]).toEqual([]);
    expect([...appMetrics].sort()).toEqual(['http_request_duration_seconds_bucket', 'http_request_duration_seconds_count', 'http_requests_total']);
  });

  it('also exports the agent metrics: LLM tokens, tool calls and tool failures', () => {
    const names = new Set(parseExposition(report.scrapes.afterErrors.text).map((s) => s.name));
    for (const n of ['agent_llm_tokens_total', 'agent_tool_calls_total', 'agent_tool_failures_total', 'http_requests_in_flight', 'process_resident_memory_bytes']) expect(names, n).toContain(n);
  });

  it("writes its own metrics as promtool's linter wants them", () => {
    // prom-client's default process and Node.js metrics keep their upstream names (three gauges end in _total).
    const own = (report.scrapes.afterErrors.text as string)
      .split('\n')
      .filter((l) => !/^(# (HELP|TYPE) )?(nodejs_|process_)/.test(l))
      .join('\n');
    expect(own).toContain('# TYPE http_requests_total counter');
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: own, encoding: 'utf8' });
    expect(`${lint.stdout}${lint.stderr}`).toBe('');
    expect(lint.status).toBe(0);
  });

  it('keeps every alert on its metrics silent under normal load, and the error-rate alert fires when requests fail (promtool)', () => {
    const { before, afterNormal, afterErrors } = report.scrapes;
    const silent = promtoolSeries(parseExposition(before.text), parseExposition(afterNormal.text), (afterNormal.at - before.at) / 1000, targetLabels());
    const failing = promtoolSeries(parseExposition(afterNormal.text), parseExposition(afterErrors.text), (afterErrors.at - afterNormal.at) / 1000, targetLabels());
    const appAlerts = M.groups.flatMap((g) => g.rules.filter((r) => r.alert && selectorsOf(r.expr).some((s) => s.matchers.some((x) => x.label === 'job' && x.value === JOB) || s.metric.startsWith('slo:'))));
    expect(appAlerts.map((a) => a.alert)).toContain('AgentRuntimeHighErrorRate');
    const tests: PromtoolTest[] = [
      {
        name: 'normal load, as scraped',
        interval: '30s',
        input_series: silent,
        alert_rule_test: appAlerts.map((a) => ({ eval_time: '15m', alertname: a.alert!, exp_alerts: [] })),
        // The alerts' selectors match the scraped series: the request rate is there to alert on.
        promql_expr_test: [{ expr: `count(sum by (namespace, job, status) (rate(http_requests_total{job="${JOB}",namespace="${NAMESPACE}"}[5m])) > 0)`, eval_time: '15m', exp_samples: [{ labels: '{}', value: 1 }] }],
      },
      {
        name: 'every request failing a tool, as scraped',
        interval: '30s',
        input_series: failing,
        alert_rule_test: [],
        promql_expr_test: [
          {
            expr: 'ALERTS{alertname="AgentRuntimeHighErrorRate",alertstate="firing"}',
            eval_time: '15m',
            exp_samples: [{ labels: `ALERTS{alertname="AgentRuntimeHighErrorRate",alertstate="firing",job="${JOB}",namespace="${NAMESPACE}",severity="critical"}`, value: 1 }],
          },
        ],
      },
    ];
    const r = testRules(M.groups, tests);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('drains under load on SIGTERM: readiness flips first, no request fails, exit 0 within the grace period', () => {
    const d = report.drain;
    const delaySeconds = 5;
    expect(d.load.errors).toEqual({});
    expect(Object.keys(d.load.statuses)).toEqual(['200']);
    expect(d.load.requests).toBeGreaterThan(50);
    expect(d.long.map((l: Obj) => l.status ?? l.error)).toEqual([200, 200, 200]);
    expect(d.readyFlipAt - d.sigtermAt).toBeLessThan(delaySeconds * 1000);
    expect(d.listenerClosedAt).toBeGreaterThan(d.readyFlipAt);
    expect(d.listenerClosedAt - d.sigtermAt).toBeGreaterThanOrEqual(delaySeconds * 1000);
    expect(report.exit.code).toBe(0);
    expect(report.exit.at - d.sigtermAt).toBeLessThan(grace * 1000);
    // The long requests ran past the listener's close: they were drained, not cut.
    expect(Math.max(...d.long.map((l: Obj) => l.ms as number)) + d.sigtermAt - 200).toBeGreaterThan(d.listenerClosedAt);
  });
});

/** Labels Prometheus adds to every series it scrapes from the runtime's target. */
function targetLabels(): Record<string, string> {
  return { job: JOB, namespace: NAMESPACE, service: JOB, endpoint: 'metrics', pod: POD_NAME, container: AGENT, instance: '10.0.0.12:9090' };
}

/** What is wrong with a selector against the scraped samples: the metric missing, a label it never carries, a bucket it lacks. */
function selectorProblems(sel: Selector, samples: Sample[]): string[] {
  const series = samples.filter((s) => s.name === sel.metric);
  if (series.length === 0) return [`${sel.metric}: not exported by the runtime at the ServiceMonitor's target`];
  const target = new Set(Object.keys(targetLabels()));
  const out: string[] = [];
  for (const m of sel.matchers) {
    if (target.has(m.label)) continue;
    const values = new Set(series.flatMap((s) => (m.label in s.labels ? [s.labels[m.label]!] : [])));
    if (values.size === 0) out.push(`${sel.metric}: the runtime exports no label ${m.label}`);
    else if (m.label === 'le' && (m.op === '=' || m.op === '=~')) {
      const re = new RegExp(`^(?:${m.op === '=' ? m.value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : m.value})$`);
      if (![...values].some((v) => re.test(v))) out.push(`${sel.metric}: no bucket matches le${m.op}"${m.value}", buckets ${[...values].join(', ')}`);
    }
  }
  return out;
}
