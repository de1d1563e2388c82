import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { Agent, invokeRequestSchema, LlmFailure, ToolFailure } from './agent.js';
import type { RuntimeConfig } from './config.js';
import type { RuntimeMetrics } from './metrics.js';
import type { DependencyCheck } from './readiness.js';

const tracer = trace.getTracer('agent-runtime-ts');
const MAX_BODY_BYTES = 1024 * 1024;
const INVOKE = /^\/v1\/agents\/([^/]+)\/invoke$/;

/** State the shutdown sequence changes and the handlers read. */
export interface ServingState {
  /** True from the first SIGTERM: `/readyz` fails and responses close their connections. */
  draining: boolean;
  /** Requests being served now. */
  inFlight: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown, state: ServingState): void {
  const text = JSON.stringify(body);
  // While draining, every response closes its connection, so keep-alive
  // clients reconnect through the Service to pods that stay.
  if (state.draining) res.setHeader('connection', 'close');
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new HttpError(415, 'send the body as application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'the body is not valid JSON');
  }
}

/** The API server on `PORT`: probes, version and agent invocations. */
export function createAppServer(config: RuntimeConfig, metrics: RuntimeMetrics, deps: DependencyCheck, state: ServingState, log: Logger): Server {
  const agent = new Agent(config, metrics);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/healthz' || path === '/readyz') {
      void probe(path, req, res, deps, state);
      return;
    }
    const started = process.hrtime.bigint();
    const match = INVOKE.exec(path);
    const route = match ? '/v1/agents/:id/invoke' : path === '/version' ? '/version' : 'unmatched';
    const method = req.method ?? 'GET';
    state.inFlight++;
    metrics.inFlight.inc();
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    tracer.startActiveSpan(`${method} ${route}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'http.route': route, 'url.path': path } }, parent, async (span) => {
      let status = 500;
      try {
        const body = await dispatch(method, route, match?.[1], req, agent, config);
        status = 200;
        send(res, status, body, state);
      } catch (err) {
        status = err instanceof HttpError ? err.status : err instanceof ToolFailure || err instanceof LlmFailure ? 502 : 500;
        if (status >= 500) log.warn({ err, route, status, trace_id: span.spanContext().traceId }, 'request failed');
        if (err instanceof HttpError && err.status === 405) res.setHeader('allow', route === '/version' ? 'GET' : 'POST');
        send(res, status, { error: status === 500 ? 'internal error' : (err as Error).message }, state);
      } finally {
        span.setAttribute('http.response.status_code', status);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        metrics.observe(method, route, status, seconds);
        state.inFlight--;
        metrics.inFlight.dec();
        log.debug({ method, route, status, seconds, trace_id: span.spanContext().traceId }, 'request');
      }
    });
  });
  return server;
}

async function dispatch(method: string, route: string, id: string | undefined, req: IncomingMessage, agent: Agent, config: RuntimeConfig): Promise<unknown> {
  if (route === 'unmatched') throw new HttpError(404, 'no such route; use POST /v1/agents/:id/invoke');
  if (route === '/version') {
    if (method !== 'GET') throw new HttpError(405, 'use GET');
    return config.build;
  }
  if (method !== 'POST') throw new HttpError(405, 'use POST');
  let agentId: string;
  try {
    agentId = decodeURIComponent(id!);
  } catch {
    throw new HttpError(404, 'the agent id is not valid percent-encoding');
  }
  if (!config.agent.ids.includes(agentId)) throw new HttpError(404, `no agent ${JSON.stringify(agentId)}; agents here: ${config.agent.ids.join(', ')}`);
  const parsed = invokeRequestSchema.safeParse(await readJson(req));
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new HttpError(400, `body.${first.path.join('.') || '(root)'}: ${first.message}`);
  }
  return agent.invoke(agentId, parsed.data);
}

async function probe(path: string, req: IncomingMessage, res: ServerResponse, deps: DependencyCheck, state: ServingState): Promise<void> {
  req.resume();
  if (path === '/healthz') return send(res, 200, { status: 'ok' }, state);
  if (state.draining) return send(res, 503, { status: 'draining' }, state);
  const r = await deps.check();
  return r.ready ? send(res, 200, { status: 'ready' }, state) : send(res, 503, { status: 'not ready', reason: r.reason }, state);
}

/** The metrics server on `METRICS_PORT`: only `GET <METRICS_PATH>`. */
export function createMetricsServer(config: RuntimeConfig, metrics: RuntimeMetrics, log: Logger): Server {
  return createServer((req, res) => {
    req.resume();
    const path = (req.url ?? '/').split('?')[0];
    if (path !== config.metricsPath || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`metrics are at GET ${config.metricsPath}\n`);
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (err: Error) => {
        log.error({ err }, 'collecting metrics failed');
        res.writeHead(500).end();
      },
    );
  });
}
