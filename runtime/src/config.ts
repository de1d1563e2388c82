import { z } from 'zod';

/**
 * The runtime's configuration, read once from the environment at start.
 *
 * The names are the ones the cdk8s-agent-platform library writes into the
 * Deployment: `PORT` and `METRICS_PORT` (the container ports), the shutdown
 * budget (`SHUTDOWN_DRAIN_SECONDS`, `TERMINATION_GRACE_PERIOD_SECONDS`, written
 * when the pod has no preStop hook) and the OpenTelemetry SDK's `OTEL_*`
 * variables (read by the SDK itself). Invalid values stop the process with one
 * line naming the variable, the value and the fix.
 */
export interface RuntimeConfig {
  /** Port of the API and the probes. */
  readonly port: number;
  /** Port of `/metrics`. */
  readonly metricsPort: number;
  /** Path of the metrics endpoint on `metricsPort`. */
  readonly metricsPath: string;
  /** Address both servers bind. */
  readonly host: string;
  readonly shutdown: {
    /** Seconds the runtime keeps serving after SIGTERM, with `/readyz` failing, before it closes its listener. */
    readonly delaySeconds: number;
    /** Seconds from SIGTERM to exit, the delay included; requests still running then are cut and the exit code is 1. */
    readonly drainSeconds: number;
    /** The pod's terminationGracePeriodSeconds, when the platform passes it. */
    readonly graceSeconds?: number;
  };
  readonly agent: {
    /** Agent ids served at `/v1/agents/:id/invoke`. */
    readonly ids: readonly string[];
    /** Latency of the stub agent, in milliseconds. */
    readonly latencyMs: number;
    /** Tools that always fail (their calls count as tool failures, the request answers 502). */
    readonly failingTools: readonly string[];
  };
  readonly llm?: {
    /** Base URL of an OpenAI-compatible API; `<baseUrl>/chat/completions` is called. */
    readonly baseUrl: URL;
    readonly apiKey?: string;
    readonly model: string;
    readonly timeoutMs: number;
  };
  readonly build: { readonly version: string; readonly gitSha: string; readonly buildTime: string };
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Whether traces are exported (the SDK reads the endpoint and the rest itself). */
  readonly tracing: boolean;
}

/** A configuration problem; its message is the one line printed before exiting. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Defaults of the runtime, the library's where both have one. */
export const DEFAULTS = {
  port: 8080,
  metricsPort: 9090,
  metricsPath: '/metrics',
  delaySeconds: 5,
  drainSeconds: 30,
  latencyMs: 20,
  agentIds: ['assistant'],
  failingTools: ['fail'],
  llmModel: 'gpt-4o-mini',
  llmTimeoutMs: 30_000,
} as const;

const fix = (what: string, how: string) => `${what}; ${how}`;

const port = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return fallback;
      if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 65535) {
        ctx.addIssue({ code: 'custom', message: fix(`is not a port number, got ${JSON.stringify(v)}`, 'use a whole number from 1 to 65535') });
        return z.NEVER;
      }
      return Number(v);
    });

// Whole seconds, as the library writes them (its drain-seconds check reads them the same way).
const seconds = <F extends number | undefined>(fallback: F, min: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx): number | F => {
      if (v === undefined) return fallback;
      if (!/^\d+$/.test(v)) {
        ctx.addIssue({ code: 'custom', message: fix(`is not a whole number of seconds, got ${JSON.stringify(v)}`, 'write the time in seconds, like "30"') });
        return z.NEVER;
      }
      if (Number(v) < min) {
        ctx.addIssue({ code: 'custom', message: fix(`must be at least ${min}, got ${JSON.stringify(v)}`, `use ${min} or more`) });
        return z.NEVER;
      }
      return Number(v);
    });

const list = (fallback: readonly string[]) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined ? [...fallback] : v.split(',').map((s) => s.trim()).filter((s) => s.length > 0)));

const envSchema = z
  .object({
    PORT: port(DEFAULTS.port),
    METRICS_PORT: port(DEFAULTS.metricsPort),
    METRICS_PATH: z
      .string()
      .regex(/^\/[^\s?#]*$/, { error: (i) => fix(`is not a URL path, got ${JSON.stringify(i.input)}`, 'start it with "/", like "/metrics"') })
      .default(DEFAULTS.metricsPath),
    HOST: z.string().min(1).default('0.0.0.0'),
    SHUTDOWN_DELAY_SECONDS: seconds(undefined, 0),
    SHUTDOWN_DRAIN_SECONDS: seconds(DEFAULTS.drainSeconds, 0),
    TERMINATION_GRACE_PERIOD_SECONDS: seconds(undefined, 1),
    AGENT_IDS: list(DEFAULTS.agentIds).pipe(
      z.array(z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, { error: (i) => fix(`has the id ${JSON.stringify(i.input)}`, 'use lowercase letters, digits and "-", at most 63') })).min(1, { error: fix('is empty', 'name at least one agent, like "assistant"') }),
    ),
    AGENT_LATENCY_MS: z
      .string()
      .regex(/^\d+$/, { error: (i) => fix(`is not a whole number of milliseconds, got ${JSON.stringify(i.input)}`, 'write it like "20"') })
      .optional()
      .transform((v) => (v === undefined ? DEFAULTS.latencyMs : Number(v))),
    AGENT_FAILING_TOOLS: list(DEFAULTS.failingTools),
    LLM_BASE_URL: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v === '') return undefined;
        const url = URL.canParse(v) ? new URL(v) : undefined;
        if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
          ctx.addIssue({ code: 'custom', message: fix(`is not an http(s) URL, got ${JSON.stringify(v)}`, 'give the API base, like "https://api.openai.com/v1"') });
          return z.NEVER;
        }
        return url;
      }),
    LLM_API_KEY: z.string().optional(),
    LLM_MODEL: z.string().min(1).default(DEFAULTS.llmModel),
    LLM_TIMEOUT_MS: z
      .string()
      .regex(/^\d+$/, { error: (i) => fix(`is not a whole number of milliseconds, got ${JSON.stringify(i.input)}`, 'write it like "30000"') })
      .optional()
      .transform((v) => (v === undefined ? DEFAULTS.llmTimeoutMs : Number(v))),
    APP_VERSION: z.string().optional(),
    GIT_SHA: z.string().default('unknown'),
    BUILD_TIME: z.string().default('unknown'),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: (i) => fix(`is not a log level, got ${JSON.stringify(i.input)}`, 'use one of fatal, error, warn, info, debug, trace, silent') })
      .default('info'),
    OTEL_EXPORTER_OTLP_ENDPOINT: z.string().optional(),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().optional(),
    OTEL_SDK_DISABLED: z.string().optional(),
  })
  .superRefine((e, ctx) => {
    if (e.PORT === e.METRICS_PORT) {
      ctx.addIssue({ code: 'custom', path: ['METRICS_PORT'], message: fix(`is the same as PORT (${e.PORT})`, 'serve metrics on their own port, like 9090') });
    }
    // The library's rule, with no preStop hook: the grace period covers the drain.
    if (e.TERMINATION_GRACE_PERIOD_SECONDS !== undefined && e.SHUTDOWN_DRAIN_SECONDS > e.TERMINATION_GRACE_PERIOD_SECONDS) {
      ctx.addIssue({
        code: 'custom',
        path: ['SHUTDOWN_DRAIN_SECONDS'],
        message: fix(
          `(${e.SHUTDOWN_DRAIN_SECONDS}) is longer than TERMINATION_GRACE_PERIOD_SECONDS (${e.TERMINATION_GRACE_PERIOD_SECONDS}), so the pod would be killed mid-drain`,
          `shorten the drain to at most ${e.TERMINATION_GRACE_PERIOD_SECONDS} or lengthen the grace period`,
        ),
      });
    }
    const delay = e.SHUTDOWN_DELAY_SECONDS ?? Math.min(DEFAULTS.delaySeconds, e.SHUTDOWN_DRAIN_SECONDS);
    if (delay > e.SHUTDOWN_DRAIN_SECONDS) {
      ctx.addIssue({
        code: 'custom',
        path: ['SHUTDOWN_DELAY_SECONDS'],
        message: fix(`(${delay}) is longer than SHUTDOWN_DRAIN_SECONDS (${e.SHUTDOWN_DRAIN_SECONDS}), which counts the delay`, `use at most ${e.SHUTDOWN_DRAIN_SECONDS}`),
      });
    }
  });

/**
 * Reads the configuration from `env`. Throws a {@link ConfigError} whose
 * message lists every problem on one line.
 */
export function loadConfig(env: NodeJS.ProcessEnv, packageVersion: string): RuntimeConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'} ${i.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('. ')}`);
  }
  const e = parsed.data;
  const sdkDisabled = e.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true';
  return {
    port: e.PORT,
    metricsPort: e.METRICS_PORT,
    metricsPath: e.METRICS_PATH,
    host: e.HOST,
    shutdown: {
      // Without an explicit delay, 5 s, shortened to the drain when that is shorter.
      delaySeconds: e.SHUTDOWN_DELAY_SECONDS ?? Math.min(DEFAULTS.delaySeconds, e.SHUTDOWN_DRAIN_SECONDS),
      drainSeconds: e.SHUTDOWN_DRAIN_SECONDS,
      ...(e.TERMINATION_GRACE_PERIOD_SECONDS !== undefined ? { graceSeconds: e.TERMINATION_GRACE_PERIOD_SECONDS } : {}),
    },
    agent: { ids: e.AGENT_IDS, latencyMs: e.AGENT_LATENCY_MS, failingTools: e.AGENT_FAILING_TOOLS },
    ...(e.LLM_BASE_URL
      ? { llm: { baseUrl: e.LLM_BASE_URL, ...(e.LLM_API_KEY ? { apiKey: e.LLM_API_KEY } : {}), model: e.LLM_MODEL, timeoutMs: e.LLM_TIMEOUT_MS } }
      : {}),
    build: { version: e.APP_VERSION ?? packageVersion, gitSha: e.GIT_SHA, buildTime: e.BUILD_TIME },
    logLevel: e.LOG_LEVEL,
    tracing: !sdkDisabled && (e.OTEL_EXPORTER_OTLP_ENDPOINT ?? e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? '') !== '',
  };
}
