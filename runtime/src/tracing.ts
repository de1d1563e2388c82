import type { Logger } from 'pino';

/** Flushes and stops trace export; resolves within `timeoutMs`. */
export type StopTracing = (timeoutMs: number) => Promise<void>;

/**
 * Starts the OpenTelemetry Node SDK for traces only. It reads the standard
 * variables itself (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_PROTOCOL`
 * (`grpc` or `http/protobuf`), `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_SERVICE_NAME`,
 * `OTEL_TRACES_SAMPLER`, `OTEL_BSP_*`) and propagates W3C `traceparent`.
 * Metrics stay on Prometheus and logs on stdout, so neither is exported. The
 * SDK is loaded only when an endpoint is set.
 */
export async function startTracing(log: Logger): Promise<StopTracing> {
  const { startNodeSdk } = await import('@opentelemetry/sdk-node');
  const { diag, DiagLogLevel } = await import('@opentelemetry/api');
  const sdk = startNodeSdk({ logLevel: 'warn', metricReaders: [], logRecordProcessors: [], instrumentations: [] });
  // The SDK logs to the console in plain text; export failures (an
  // unreachable collector) become warn lines of the JSON log instead.
  diag.setLogger(
    {
      error: (msg) => log.warn({ component: 'opentelemetry' }, oneLine(msg)),
      warn: (msg) => log.warn({ component: 'opentelemetry' }, oneLine(msg)),
      info: () => undefined,
      debug: () => undefined,
      verbose: () => undefined,
    },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  log.info({ endpoint: process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT, protocol: process.env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf' }, 'trace export on');
  return async (timeoutMs) => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([sdk.shutdown(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]).catch((err: Error) =>
      log.warn({ component: 'opentelemetry' }, `trace flush failed: ${oneLine(err.message)}`),
    );
    clearTimeout(timer);
  };
}

// The SDK reports an export failure as the error's JSON, stack included.
function oneLine(msg: string): string {
  try {
    const parsed = JSON.parse(msg) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON
  }
  return msg.split('\n')[0]!;
}
