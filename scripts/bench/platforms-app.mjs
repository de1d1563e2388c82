// Benchmark app: the guides' platforms built with AgentPlatform (talos,
// bss-oss, weaver in three environments, sark in three tiers), synthesized
// with the verification on and their topology pictures written. Usage:
// node platforms-app.mjs <outdir>
import { ApiObject } from 'cdk8s';
import { AgentPlatformApp } from '../../build/lib/index.js';
import { addBssOssChart } from '../../build/apps/bss-oss.js';
import { addSarkCharts } from '../../build/apps/sark.js';
import { addTalosChart } from '../../build/apps/talos.js';
import { addWeaverCharts } from '../../build/apps/weaver.js';

const app = new AgentPlatformApp({ outdir: process.argv[2] ?? 'dist-bench' });
addTalosChart(app);
addBssOssChart(app);
addWeaverCharts(app);
addSarkCharts(app);
app.synth();
const r = process.resourceUsage();
console.log(JSON.stringify({ cpuMs: (r.userCPUTime + r.systemCPUTime) / 1000, rssMiB: r.maxRSS / 1024, objects: app.node.findAll().filter((c) => c instanceof ApiObject).length }));
