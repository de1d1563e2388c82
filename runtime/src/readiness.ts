import { connect } from 'node:net';
import type { RuntimeConfig } from './config.js';

/** Result of a readiness check. */
export interface ReadinessResult {
  readonly ready: boolean;
  readonly reason?: string;
}

/**
 * Whether the runtime's dependencies answer: with an LLM endpoint
 * configured, a TCP connection to it within a second. Results are kept for
 * two seconds so probes from several kubelets or proxies cost one connection.
 * Telemetry (the OTLP collector) is not a dependency: losing traces must not
 * take the agent out of service.
 */
export class DependencyCheck {
  private cached?: { at: number; result: ReadinessResult };

  constructor(private readonly config: Pick<RuntimeConfig, 'llm'>) {}

  async check(now = Date.now()): Promise<ReadinessResult> {
    if (!this.config.llm) return { ready: true };
    if (this.cached && now - this.cached.at < 2000) return this.cached.result;
    const url = this.config.llm.baseUrl;
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const result = await tcpReachable(url.hostname.replace(/^\[|\]$/g, ''), port, 1000).then(
      (): ReadinessResult => ({ ready: true }),
      (err: Error): ReadinessResult => ({ ready: false, reason: `LLM endpoint ${url.host} unreachable: ${err.message}` }),
    );
    this.cached = { at: now, result };
    return result;
  }
}

function tcpReachable(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no connection within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      resolve();
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
