import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { RuntimeConfig } from './config.js';
import type { RuntimeMetrics } from './metrics.js';
import type { ServingState } from './server.js';

/** Exit codes of the shutdown sequence. */
export const EXIT = {
  /** Drained: every request finished. */
  ok: 0,
  /** The drain timeout passed with requests still running. */
  drainTimeout: 1,
  /** A second SIGTERM (or SIGINT) arrived during the drain. */
  secondSignal: 143,
} as const;

/**
 * Graceful shutdown for a pod without a preStop hook (the library's default):
 * on the first SIGTERM `/readyz` answers 503 while the runtime keeps serving
 * for `SHUTDOWN_DELAY_SECONDS`, so endpoint removal reaches every proxy;
 * then it stops accepting connections and lets running requests finish until
 * `SHUTDOWN_DRAIN_SECONDS` after the signal (which the library keeps within
 * the grace period). It then flushes traces and exits 0; the drain timeout
 * exits 1 and a second signal exits 143 at once.
 */
export class Shutdown {
  private started?: number;
  private timers: NodeJS.Timeout[] = [];
  private finished = false;

  constructor(
    private readonly config: RuntimeConfig,
    private readonly app: Server,
    private readonly metricsServer: Server,
    private readonly state: ServingState,
    private readonly metrics: RuntimeMetrics,
    private readonly log: Logger,
    private readonly stopTracing: (timeoutMs: number) => Promise<void>,
    private readonly exit: (code: number) => void,
  ) {}

  /** Handles a termination signal. */
  signal(name: string): void {
    if (this.started !== undefined) {
      this.log.error({ signal: name, inFlight: this.state.inFlight }, 'second signal during the drain: exiting now');
      this.finish(EXIT.secondSignal);
      return;
    }
    const { delaySeconds, drainSeconds, graceSeconds } = this.config.shutdown;
    this.started = Date.now();
    this.state.draining = true;
    this.metrics.draining.set(1);
    this.log.info({ signal: name, delaySeconds, drainSeconds, graceSeconds, inFlight: this.state.inFlight }, 'shutting down: readiness fails, serving until the delay ends');
    this.timers.push(setTimeout(() => this.closeListener(), delaySeconds * 1000));
    this.timers.push(
      setTimeout(() => {
        this.log.error({ inFlight: this.state.inFlight, drainSeconds }, 'drain timeout: requests still running are cut');
        this.finish(EXIT.drainTimeout);
      }, drainSeconds * 1000),
    );
  }

  private closeListener(): void {
    this.log.info({ inFlight: this.state.inFlight }, 'delay over: listener closed, draining running requests');
    // The callback runs once every connection has ended; running requests
    // answer with `connection: close`, idle keep-alive connections close now.
    this.app.close(() => {
      const left = this.config.shutdown.drainSeconds * 1000 - (Date.now() - this.started!);
      this.log.info({ drainedInMs: Date.now() - this.started! }, 'drained: every request finished');
      void this.stopTracing(Math.max(0, Math.min(left - 100, 5000))).then(() => this.finish(EXIT.ok));
    });
    this.app.closeIdleConnections();
  }

  private finish(code: number): void {
    if (this.finished) return;
    this.finished = true;
    for (const t of this.timers) clearTimeout(t);
    this.metricsServer.close();
    this.metricsServer.closeAllConnections();
    this.app.closeAllConnections();
    this.exit(code);
  }
}
