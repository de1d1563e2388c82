import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { ConfigError, loadConfig, type RuntimeConfig } from './config.js';
import { Shutdown } from './lifecycle.js';
import { createLogger } from './log.js';
import { RuntimeMetrics } from './metrics.js';
import { DependencyCheck } from './readiness.js';
import { createAppServer, createMetricsServer, type ServingState } from './server.js';
import { startTracing, type StopTracing } from './tracing.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function main(config: RuntimeConfig): Promise<void> {
  const log = createLogger(config);
  const stopTracing: StopTracing = config.tracing ? await startTracing(log) : async () => undefined;
  const metrics = new RuntimeMetrics();
  const state: ServingState = { draining: false, inFlight: 0 };
  const app = createAppServer(config, metrics, new DependencyCheck(config), state, log);
  const metricsServer = createMetricsServer(config, metrics, log);
  const shutdown = new Shutdown(config, app, metricsServer, state, metrics, log, stopTracing, (code) => process.exit(code));
  process.on('SIGTERM', () => shutdown.signal('SIGTERM'));
  process.on('SIGINT', () => shutdown.signal('SIGINT'));
  await listen(metricsServer, config.metricsPort, config.host);
  await listen(app, config.port, config.host);
  log.info(
    { port: config.port, metricsPort: config.metricsPort, metricsPath: config.metricsPath, agents: config.agent.ids, llm: config.llm?.baseUrl.origin ?? 'stub', shutdown: config.shutdown, node: process.version, uid: process.getuid?.() },
    'agent runtime listening',
  );
}

let config: RuntimeConfig;
try {
  config = loadConfig(process.env, pkg.version);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  // One line, plain text: what `kubectl logs` and the termination message show.
  process.stderr.write(`agent-runtime: ${err.message}\n`);
  process.exit(2);
}
main(config).catch((err: Error) => {
  process.stderr.write(`agent-runtime: failed to start: ${err.message}\n`);
  process.exit(1);
});
