import type { App } from 'cdk8s';
import { AgentPlatformApp } from '../lib/index.js';
import { addAgentsChart } from './agents.js';
import { addSkreaverChart } from './skreaver.js';

/** Builds every chart of the reference app; each chart is written to its own file in dist/. */
export function buildApp(outdir?: string): App {
  const app = new AgentPlatformApp(outdir ? { outdir } : {});
  addAgentsChart(app);
  addSkreaverChart(app);
  return app;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  buildApp().synth();
}
