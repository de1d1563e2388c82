// Benchmark app: the guides' platforms built with AgentPlatform (talos,
// bss-oss, weaver in three environments, sark in three tiers), synthesized
// with the verification on and their topology pictures written. With a
// count, the whole set is built that many times in one process, each copy an
// app of its own (the first into <outdir>, the others into <outdir>/copy-N),
// so that the cost per object can be taken without the one-time cost of the
// first copy, as the agents' is. Usage: node platforms-app.mjs <outdir> [copies]
import { join } from 'node:path';
import { ApiObject } from 'cdk8s';
import { AgentPlatformApp } from '../../build/lib/index.js';
import { addBssOssChart } from '../../build/apps/bss-oss.js';
import { addSarkCharts } from '../../build/apps/sark.js';
import { addTalosChart } from '../../build/apps/talos.js';
import { addWeaverCharts } from '../../build/apps/weaver.js';

const outdir = process.argv[2] ?? 'dist-bench';
const copies = Number(process.argv[3] ?? 1);
let objects = 0;
for (let i = 0; i < copies; i++) {
  const app = new AgentPlatformApp({ outdir: i === 0 ? outdir : join(outdir, `copy-${i}`) });
  addTalosChart(app);
  addBssOssChart(app);
  addWeaverCharts(app);
  addSarkCharts(app);
  app.synth();
  objects += app.node.findAll().filter((c) => c instanceof ApiObject).length;
}
const r = process.resourceUsage();
console.log(JSON.stringify({ cpuMs: (r.userCPUTime + r.systemCPUTime) / 1000, rssMiB: r.maxRSS / 1024, objects }));
