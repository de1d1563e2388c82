import { existsSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Server as GrpcServer, ServerCredentials } from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { SecureAgentDeployment, SHUTDOWN_ENV, verify } from '../../lib/index.js';
import { ConfigError, loadConfig } from '../../runtime/src/config.js';
import { freePort } from '../backup/harness.js';
import { errorOf, one, synth, type Obj } from '../util.js';
import { imageCommand, RUNTIME_DIR } from './pod.js';
import { invoke, runRuntime, startRuntime, type RuntimeProcess } from './process.js';

const started: RuntimeProcess[] = [];
async function runtime(env: Record<string, string> = {}): Promise<RuntimeProcess> {
  const rt = await startRuntime(env);
  started.push(rt);
  return rt;
}
afterAll(async () => {
  await Promise.all(started.map((r) => r.stop()));
});

const base = { name: 'agent', namespace: 'agents', image: 'registry.example.com/agent-runtime-ts:1.0.0' };

/** The env the library writes for `shutdown`, or its error. */
function libraryShutdownEnv(shutdown: { drainSeconds: number; terminationGracePeriodSeconds?: number }): Record<string, string> | string {
  try {
    const objs = synth((chart) => new SecureAgentDeployment(chart, 'Agent', { ...base, shutdown }));
    const env = one(objs, 'Deployment').spec.template.spec.containers[0].env as Obj[];
    return Object.fromEntries(env.map((e) => [e.name, e.value]));
  } catch (e) {
    return (e as Error).message;
  }
}

function runtimeAccepts(env: Record<string, string>): true | string {
  try {
    loadConfig(env, '1.0.0');
    return true;
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
}

describe('the runtime refuses a configuration the library would refuse', () => {
  it('agrees with the library on the drain against the grace period', () => {
    const cases = [
      { drainSeconds: 30 },
      { drainSeconds: 0 },
      { drainSeconds: 60, terminationGracePeriodSeconds: 60 },
      { drainSeconds: 61, terminationGracePeriodSeconds: 60 },
      { drainSeconds: 120, terminationGracePeriodSeconds: 30 },
    ];
    for (const shutdown of cases) {
      const lib = libraryShutdownEnv(shutdown);
      // What the library writes when it accepts; what it would have written when it refuses.
      const env =
        typeof lib === 'string'
          ? { [SHUTDOWN_ENV.drainSeconds]: String(shutdown.drainSeconds), [SHUTDOWN_ENV.gracePeriodSeconds]: String(shutdown.terminationGracePeriodSeconds) }
          : lib;
      const rt = runtimeAccepts(env);
      expect({ shutdown, library: typeof lib !== 'string', runtime: rt === true }).toEqual({ shutdown, library: rt === true, runtime: rt === true });
      if (typeof lib === 'string') {
        expect(lib).toContain('props.shutdown.terminationGracePeriodSeconds: is shorter than preStop (0s) + drain');
        expect(rt).toContain('longer than TERMINATION_GRACE_PERIOD_SECONDS');
      }
    }
  });

  it('reads drain seconds with the same rule as the library: whole seconds only', () => {
    const annotation = 'cdk8s-agent-platform.dev/drain-seconds';
    for (const text of ['30', '0', '030', '3.5', '-1', 'thirty', '30s', ' 30', '1e3']) {
      const objs = synth((chart) => new SecureAgentDeployment(chart, 'Agent', { ...base, profile: 'dev' }));
      const dep = one(objs, 'Deployment');
      dep.spec.template.metadata.annotations[annotation] = text;
      const libraryRefuses = verify(objs).findings.some((f) => f.checkId === 'AVL-11' && f.message.includes('not a whole number of seconds'));
      const runtime = runtimeAccepts({ SHUTDOWN_DRAIN_SECONDS: text });
      expect({ text, runtimeRefuses: runtime !== true }).toEqual({ text, runtimeRefuses: libraryRefuses });
    }
  });

  it('stops with one clear line naming the variable, the value and the fix', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ SHUTDOWN_DRAIN_SECONDS: 'thirty' }, 'invalid configuration: SHUTDOWN_DRAIN_SECONDS is not a whole number of seconds, got "thirty"; write the time in seconds, like "30"'],
      [
        { SHUTDOWN_DRAIN_SECONDS: '40', TERMINATION_GRACE_PERIOD_SECONDS: '35' },
        'invalid configuration: SHUTDOWN_DRAIN_SECONDS (40) is longer than TERMINATION_GRACE_PERIOD_SECONDS (35), so the pod would be killed mid-drain; shorten the drain to at most 35 or lengthen the grace period',
      ],
      [{ SHUTDOWN_DRAIN_SECONDS: '3', SHUTDOWN_DELAY_SECONDS: '5' }, 'invalid configuration: SHUTDOWN_DELAY_SECONDS (5) is longer than SHUTDOWN_DRAIN_SECONDS (3), which counts the delay; use at most 3'],
      [{ PORT: '8080', METRICS_PORT: '8080' }, 'invalid configuration: METRICS_PORT is the same as PORT (8080); serve metrics on their own port, like 9090'],
      [{ PORT: 'http' }, 'invalid configuration: PORT is not a port number, got "http"; use a whole number from 1 to 65535'],
      [{ LLM_BASE_URL: 'api.openai.com' }, 'invalid configuration: LLM_BASE_URL is not an http(s) URL, got "api.openai.com"; give the API base, like "https://api.openai.com/v1"'],
    ];
    for (const [env, line] of cases) expect({ env, error: runtimeAccepts({ PORT: '8080', METRICS_PORT: '9090', ...env }) }).toEqual({ env, error: line });
    // The process itself, for the two rules the library shares: the line on stderr, exit 2, nothing on stdout.
    for (const [env, line] of cases.slice(0, 2)) {
      const r = await runRuntime(env);
      expect({ env, status: r.status, stderr: r.stderr, stdout: r.stdout }).toEqual({ env, status: 2, stderr: `agent-runtime: ${line}\n`, stdout: '' });
    }
  });

  it('lists every problem at once, still on one line', () => {
    expect(errorOf(() => loadConfig({ PORT: 'x', SHUTDOWN_DRAIN_SECONDS: 'y' }, '1.0.0'))).toBe(
      'invalid configuration: PORT is not a port number, got "x"; use a whole number from 1 to 65535. SHUTDOWN_DRAIN_SECONDS is not a whole number of seconds, got "y"; write the time in seconds, like "30"',
    );
  });
});

describe('the runtime image', () => {
  it('builds in stages from bases pinned by digest, runs the compiled entry as UID 10001 with no shell', () => {
    const dockerfile = readFileSync(join(RUNTIME_DIR, 'Dockerfile'), 'utf8');
    const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]!);
    expect(froms).toHaveLength(2);
    for (const from of froms) expect(from).toMatch(/^[^@\s]*22[^@\s]*@sha256:[0-9a-f]{64}$/);
    expect(froms[1]).toMatch(/^gcr\.io\/distroless\/nodejs22-/);
    expect([...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1])).toEqual(['10001:10001']);
    // The run stage needs no shell: nothing runs at build time there, and CMD is exec-form.
    const runStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runStage).not.toMatch(/^(RUN|SHELL)\b/m);
    expect(runStage).toMatch(/^CMD \[/m);
    expect(imageCommand()).toEqual(['dist/main.js']);
    expect(existsSync(join(RUNTIME_DIR, 'dist', 'main.js'))).toBe(true);
  });
});

describe('the runtime API', () => {
  // One runtime for the stub's tests, started once.
  let shared: Promise<RuntimeProcess> | undefined;
  const stub = () => (shared ??= runtime({ AGENT_LATENCY_MS: '1', APP_VERSION: '1.2.3', GIT_SHA: 'abc1234', BUILD_TIME: '2026-01-02T03:04:05Z' }));

  it('answers invocations deterministically and counts tokens and tools', async () => {
    const rt = await stub();
    const first = await (await invoke(rt, { input: 'plan a trip', tools: ['search', 'weather'] })).json();
    const again = await (await invoke(rt, { input: 'plan a trip', tools: ['search', 'weather'] })).json();
    expect(first).toEqual(again);
    expect(first).toMatchObject({ agent: 'assistant', model: 'stub', usage: { inputTokens: 3 }, toolCalls: [{ tool: 'search', ok: true }, { tool: 'weather', ok: true }] });
    const failed = await invoke(rt, { input: 'x', tools: ['fail'] });
    expect([failed.status, await failed.json()]).toEqual([502, { error: 'tool fail failed' }]);
    const metrics = await (await fetch(`http://127.0.0.1:${rt.metricsPort}/metrics`)).text();
    expect(metrics).toContain('agent_tool_calls_total{agent="assistant",tool="search"} 2');
    expect(metrics).toContain('agent_tool_failures_total{agent="assistant",tool="fail"} 1');
    expect(metrics).toContain(`agent_llm_tokens_total{agent="assistant",model="stub",type="input"} 7`);
    expect(metrics).toContain('http_requests_total{method="POST",route="/v1/agents/:id/invoke",status="502"} 1');
  });

  it('refuses bad requests with a status and a reason', async () => {
    const rt = await stub();
    const cases: [Promise<Response>, number, string][] = [
      [invoke(rt, { input: '' }), 400, 'body.input: Too small: expected string to have >=1 characters'],
      [invoke(rt, { input: 'x', extra: 1 }), 400, 'body.(root): Unrecognized key: "extra"'],
      [fetch(`${rt.url}/v1/agents/assistant/invoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }), 400, 'the body is not valid JSON'],
      [fetch(`${rt.url}/v1/agents/assistant/invoke`, { method: 'POST', body: 'x' }), 415, 'send the body as application/json'],
      [fetch(`${rt.url}/v1/agents/nobody/invoke`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }), 404, 'no agent "nobody"; agents here: assistant'],
      [fetch(`${rt.url}/v1/agents/assistant/invoke`), 405, 'use POST'],
      [fetch(`${rt.url}/nothing`), 404, 'no such route; use POST /v1/agents/:id/invoke'],
    ];
    for (const [res, status, error] of cases) {
      const r = await res;
      expect([r.status, ((await r.json()) as { error: string }).error]).toEqual([status, error]);
    }
  });

  it('reports its version, git SHA and build time from the environment', async () => {
    const rt = await stub();
    expect(await (await fetch(`${rt.url}/version`)).json()).toEqual({ version: '1.2.3', gitSha: 'abc1234', buildTime: '2026-01-02T03:04:05Z' });
  });

  it('calls an OpenAI-compatible LLM when LLM_BASE_URL is set, and is ready only while it is reachable', async () => {
    const seen: { path?: string; auth?: string; body?: Obj } = {};
    const llm = createHttpServer(async (req, res) => {
      seen.path = req.url;
      seen.auth = req.headers.authorization;
      seen.body = JSON.parse(await text(req)) as Obj;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ choices: [{ message: { content: 'hello from the model' } }], usage: { prompt_tokens: 11, completion_tokens: 4 } }));
    });
    const port = await listen(llm);
    const rt = await runtime({ LLM_BASE_URL: `http://127.0.0.1:${port}/v1`, LLM_API_KEY: 'sk-test', LLM_MODEL: 'test-model', OTEL_SDK_DISABLED: 'true' });
    const res = await invoke(rt, { input: 'hi' });
    expect(await res.json()).toMatchObject({ output: 'hello from the model', model: 'test-model', usage: { inputTokens: 11, outputTokens: 4 } });
    expect(seen).toMatchObject({ path: '/v1/chat/completions', auth: 'Bearer sk-test', body: { model: 'test-model', messages: [{ role: 'user', content: 'hi' }] } });
    expect((await fetch(`${rt.url}/readyz`)).status).toBe(200);
    await new Promise<void>((done) => llm.close(() => done()));
    llm.closeAllConnections();
    await sleep(2100); // past the readiness cache
    const down = await fetch(`${rt.url}/readyz`);
    expect(down.status).toBe(503);
    expect(((await down.json()) as { reason: string }).reason).toMatch(/^LLM endpoint 127\.0\.0\.1:\d+ unreachable: connect ECONNREFUSED/);
    const failed = await invoke(rt, { input: 'hi' });
    expect(failed.status).toBe(502);
  });
});

describe('the runtime on SIGTERM', () => {
  it('exits 1 when requests outlast the drain timeout', async () => {
    const rt = await runtime({ SHUTDOWN_DELAY_SECONDS: '0', SHUTDOWN_DRAIN_SECONDS: '1' });
    const slow = invoke(rt, { input: 'x', latencyMs: 10_000 }).catch((e: Error) => e);
    await sleep(200);
    const at = Date.now();
    rt.child.kill('SIGTERM');
    const exit = await rt.exited;
    expect(exit.code).toBe(1);
    expect(exit.at - at).toBeLessThan(5000);
    expect(await slow).toBeInstanceOf(Error);
    expect(rt.logs().some((l) => l.level === 'error' && l.msg === 'drain timeout: requests still running are cut' && l.inFlight === 1)).toBe(true);
  });

  it('exits 143 at once on a second SIGTERM', async () => {
    const rt = await runtime({ SHUTDOWN_DELAY_SECONDS: '5', SHUTDOWN_DRAIN_SECONDS: '30' });
    rt.child.kill('SIGTERM');
    await sleep(300);
    expect((await fetch(`${rt.url}/readyz`)).status).toBe(503);
    const at = Date.now();
    rt.child.kill('SIGTERM');
    const exit = await rt.exited;
    expect(exit.code).toBe(143);
    expect(exit.at - at).toBeLessThan(2000);
  });
});

describe('traces', () => {
  for (const protocol of ['grpc', 'http/protobuf'] as const) {
    it(`exports spans over OTLP ${protocol}, continuing the caller's trace`, async () => {
      const received: Buffer[] = [];
      const { endpoint, close } = protocol === 'grpc' ? await grpcCollector(received) : await httpCollector(received);
      try {
        const rt = await runtime({
          OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
          OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
          OTEL_RESOURCE_ATTRIBUTES: 'service.name=agent-runtime,k8s.namespace.name=agents',
          OTEL_BSP_SCHEDULE_DELAY: '100',
          AGENT_LATENCY_MS: '1',
        });
        const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
        const res = await invoke(rt, { input: 'trace me', tools: ['search'] }, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
        expect(res.status).toBe(200);
        // Spans end at different times and may come in several batches.
        const expected = ['invoke_agent assistant', 'execute_tool search', 'POST /v1/agents/:id/invoke', 'agent-runtime', 'agents'];
        const deadline = Date.now() + 15_000;
        while (!expected.every((t) => Buffer.concat(received).includes(t)) && Date.now() < deadline) await sleep(100);
        const all = Buffer.concat(received);
        for (const text of expected) expect(all.includes(text), text).toBe(true);
        expect(all.includes(Buffer.from(traceId, 'hex')), 'the caller trace id').toBe(true);
      } finally {
        await close();
      }
    });
  }
});

function text(req: IncomingMessage): Promise<string> {
  return new Promise((done) => {
    let s = '';
    req.on('data', (d: Buffer) => (s += d.toString('utf8')));
    req.on('end', () => done(s));
  });
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return (server.address() as { port: number }).port;
}

/** An OTLP/HTTP receiver keeping each raw request body. */
async function httpCollector(received: Buffer[]): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      if (req.url === '/v1/traces') received.push(Buffer.concat(chunks));
      // An empty ExportTraceServiceResponse.
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  const port = await listen(server);
  return { endpoint: `http://127.0.0.1:${port}`, close: () => new Promise((done) => server.close(() => done())) };
}

/** An OTLP/gRPC receiver of the trace service keeping each raw request message. */
async function grpcCollector(received: Buffer[]): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const server = new GrpcServer();
  const raw = (b: Buffer) => b;
  server.addService(
    {
      Export: { path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export', requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw },
    },
    {
      Export: (call: { request: Buffer }, callback: (err: null, res: Buffer) => void) => {
        received.push(call.request);
        callback(null, Buffer.alloc(0));
      },
    },
  );
  const port = await freePort();
  await new Promise<void>((done, fail) => server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err) => (err ? fail(err) : done())));
  return { endpoint: `http://127.0.0.1:${port}`, close: () => new Promise((done) => server.tryShutdown(() => done())) };
}
