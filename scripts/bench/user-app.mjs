#!/usr/bin/env node
// Start-up of a user's own app: compiled by tsc to CommonJS (as the cdk8s-cli
// template compiles it), not bundled, requiring the package by name as it is
// installed (its package.json `exports`), against a bare
// `require('cdk8s-plus-28')` in the same place. On Node 22, which the package
// needs (the machine may run an older Node). Prints one JSON line:
// { node, userApp, plus } with median wall times (ms) over BENCH_RUNS runs
// after a warm-up. Part of `npm run bench`; runs alone too.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeBinary, runtimeNodeVersion } from '../node-binary.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const node = nodeBinary(runtimeNodeVersion());
const dir = mkdtempSync(join(tmpdir(), 'cap-user-app-'));

// The project: node_modules holds the package (this repository, built) and its peers.
mkdirSync(join(dir, 'node_modules'));
symlinkSync(root, join(dir, 'node_modules', 'cdk8s-agent-platform'));
for (const p of ['cdk8s', 'cdk8s-plus-28', 'constructs']) symlinkSync(join(root, 'node_modules', p), join(dir, 'node_modules', p));
// What tsc (module CommonJS) makes of a main.ts with one agent and its monitoring.
writeFileSync(
  join(dir, 'main.js'),
  `"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
const cdk8s_1 = require("cdk8s");
const cdk8s_agent_platform_1 = require("cdk8s-agent-platform");
const app = new cdk8s_1.App({ outdir: process.argv[2] });
const chart = new cdk8s_1.Chart(app, "agents");
const ns = new cdk8s_agent_platform_1.AgentNamespace(chart, "Namespace", { name: "agents" });
const agent = new cdk8s_agent_platform_1.SecureAgentDeployment(chart, "Agent", {
    name: "agent",
    namespace: ns.name,
    image: "registry.example.com/agent:1.0.0@sha256:${'e'.repeat(64)}",
    egress: [],
});
new cdk8s_agent_platform_1.ObservabilityStack(chart, "Observability", { agent, runbookBaseUrl: "https://runbooks.example.com/agents" });
app.synth();
`,
);

// Each run reports its own CPU time at exit (stderr's last line): on a busy
// machine CPU time is steadier than wall time.
writeFileSync(join(dir, 'report.cjs'), `process.on('exit', () => { const r = process.resourceUsage(); process.stderr.write('\\n' + JSON.stringify({ cpuMs: (r.userCPUTime + r.systemCPUTime) / 1000 }) + '\\n'); });\n`);

function median(args) {
  const once = () => {
    const start = process.hrtime.bigint();
    const r = spawnSync(node, ['-r', './report.cjs', ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr.slice(0, 2000)}`);
    return { wallMs: Number(process.hrtime.bigint() - start) / 1e6, cpuMs: JSON.parse(r.stderr.trim().split('\n').pop()).cpuMs };
  };
  once(); // warm-up: file cache, compile cache
  const xs = Array.from({ length: RUNS }, once);
  const mid = (k) => xs.map((x) => x[k]).sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { wallMs: mid('wallMs'), cpuMs: mid('cpuMs') };
}

try {
  const plus = median(['-e', "require('cdk8s-plus-28')"]);
  const userApp = median(['main.js', join(dir, 'dist')]);
  console.log(JSON.stringify({ node: runtimeNodeVersion(), userApp, plus }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
