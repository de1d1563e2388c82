import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { App } from 'cdk8s';
import { AgentPlatformApp, runApp } from '../lib/index.js';
import { addAgentsChart } from './agents.js';
import { addBssOssChart } from './bss-oss.js';
import { addSkreaverChart } from './skreaver.js';
import { addSarkCharts } from './sark.js';
import { addTalosChart } from './talos.js';
import { addWeaverCharts } from './weaver.js';

/** Builds every chart of the reference app; each chart is written to its own file in dist/. */
export function buildApp(outdir?: string): App {
  const app = new AgentPlatformApp(outdir ? { outdir } : {});
  addAgentsChart(app);
  addSkreaverChart(app);
  addTalosChart(app);
  addBssOssChart(app);
  addWeaverCharts(app);
  addSarkCharts(app);
  return app;
}

/** Synthesizes the reference app as a program: a failure prints its report and sets exit code 1. */
export function main(): boolean {
  return runApp(() => buildApp());
}

// Run as a program (also through a symlink or a path with spaces), not when imported.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main();
}
