import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Request duration buckets, in seconds. The library's latency SLO needs its
 * threshold to be one of these boundaries, and agents answer from a few
 * milliseconds (cached) to a minute or two (long tool chains).
 */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] as const;

/**
 * The runtime's Prometheus metrics. The HTTP names and labels are the ones
 * the library's alerts, SLOs and dashboard query by default
 * (`http_requests_total` with the status code in `status`,
 * `http_request_duration_seconds`); the agent metrics count LLM tokens, tool
 * calls and tool failures. Route labels are templates (`/v1/agents/:id/invoke`)
 * and agent ids come from a fixed list, so the series count stays bounded.
 */
export class RuntimeMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'method' | 'route' | 'status'>;
  readonly duration: Histogram<'method' | 'route' | 'status'>;
  readonly inFlight: Gauge;
  readonly llmTokens: Counter<'agent' | 'model' | 'type'>;
  readonly toolCalls: Counter<'agent' | 'tool'>;
  readonly toolFailures: Counter<'agent' | 'tool'>;
  readonly draining: Gauge;

  constructor() {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'http_requests_total', help: 'HTTP requests answered, by method, route template and status code.', labelNames: ['method', 'route', 'status'], registers });
    this.duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from request to the end of the response, in seconds.',
      labelNames: ['method', 'route', 'status'],
      buckets: [...DURATION_BUCKETS],
      registers,
    });
    this.inFlight = new Gauge({ name: 'http_requests_in_flight', help: 'Requests being served now.', registers });
    this.llmTokens = new Counter({ name: 'agent_llm_tokens_total', help: 'LLM tokens used, by agent, model and type (input or output).', labelNames: ['agent', 'model', 'type'], registers });
    this.toolCalls = new Counter({ name: 'agent_tool_calls_total', help: 'Tool calls made by agents.', labelNames: ['agent', 'tool'], registers });
    this.toolFailures = new Counter({ name: 'agent_tool_failures_total', help: 'Tool calls that failed.', labelNames: ['agent', 'tool'], registers });
    this.draining = new Gauge({ name: 'agent_runtime_draining', help: '1 while the runtime shuts down after SIGTERM, else 0.', registers });
    collectDefaultMetrics({ register: this.registry });
  }

  /** Records one answered request. */
  observe(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.requests.inc(labels);
    this.duration.observe(labels, seconds);
  }
}
