import { pino, type Logger } from 'pino';
import type { RuntimeConfig } from './config.js';

/**
 * Structured JSON logs on stdout, one object a line (pino): `level` as a
 * name, `time` in ISO 8601, and the OpenTelemetry `trace_id` and `span_id`
 * where a request logs inside a span.
 */
export function createLogger(config: Pick<RuntimeConfig, 'logLevel' | 'build'>): Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'agent-runtime-ts', version: config.build.version },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
