#!/usr/bin/env node
// Synth benchmark: whole-process runs, medians after a warm-up, printed as a
// table with ratios against baselines measured in the same run, and written
// as JSON to bench-results/. A benchmark, not a test: machines are noisy, so
// targets are reported as met or not, never asserted.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const out = mkdtempSync(join(tmpdir(), 'cap-bench-'));

// Each probe prints its own CPU time and peak RSS on its last line.
const REPORT = `const r = process.resourceUsage(); console.log(JSON.stringify({ cpuMs: (r.userCPUTime + r.systemCPUTime) / 1000, rssMiB: r.maxRSS / 1024 }));`;

const cases = [
  { name: 'node -e 0 (floor)', cmd: process.execPath, args: ['-e', REPORT] },
  { name: 'import cdk8s-plus-28 (floor)', cmd: process.execPath, args: ['--input-type=module', '-e', `await import('cdk8s-plus-28'); ${REPORT}`] },
  {
    name: 'whole app, compiled',
    cmd: process.execPath,
    args: ['--input-type=module', '-e', `const { buildApp } = await import('./build/apps/main.js'); buildApp(${JSON.stringify(join(out, 'app'))}).synth(); ${REPORT}`],
  },
  { name: 'npx cdk8s synth', cmd: 'npx', args: ['cdk8s', 'synth', '--output', join(out, 'cli')], env: { CDK8S_CHECK_UPGRADE: 'false' } },
];

function runOnce(c) {
  const start = process.hrtime.bigint();
  const r = spawnSync(c.cmd, c.args, { encoding: 'utf8', env: { ...process.env, ...(c.env ?? {}) } });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${c.name} failed: ${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  let usage = {};
  try {
    usage = JSON.parse(last);
  } catch {
    // The CLI case prints no usage line; only wall time is measured for it.
  }
  return { wallMs, ...usage };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? undefined : s[Math.floor(s.length / 2)];
};

const results = [];
for (const c of cases) {
  runOnce(c); // warm-up (file cache, npx resolution)
  const runs = Array.from({ length: RUNS }, () => runOnce(c));
  results.push({
    name: c.name,
    wallMs: median(runs.map((r) => r.wallMs)),
    cpuMs: median(runs.filter((r) => r.cpuMs !== undefined).map((r) => r.cpuMs)),
    rssMiB: median(runs.filter((r) => r.rssMiB !== undefined).map((r) => r.rssMiB)),
  });
}

const floor = results.find((r) => r.name.startsWith('import cdk8s-plus-28')).wallMs;
const fmt = (v, d = 0) => (v === undefined ? '-' : v.toFixed(d));
console.log(`median of ${RUNS} runs after a warm-up\n`);
console.log(`${'case'.padEnd(32)} ${'wall ms'.padStart(9)} ${'cpu ms'.padStart(9)} ${'rss MiB'.padStart(9)} ${'x floor'.padStart(8)}`);
for (const r of results) {
  console.log(`${r.name.padEnd(32)} ${fmt(r.wallMs).padStart(9)} ${fmt(r.cpuMs).padStart(9)} ${fmt(r.rssMiB, 1).padStart(9)} ${fmt(r.wallMs / floor, 2).padStart(8)}`);
}
const app = results.find((r) => r.name === 'whole app, compiled');
const target = app.wallMs / floor;
console.log(`\ntarget: whole app under 2.5x the bare-import floor: ${target.toFixed(2)}x, ${target < 2.5 ? 'met' : 'NOT met'}`);

// Validation's share of synth, in one process after module load: build the
// app, resolve every chart, then verify the same objects.
const split = spawnSync(
  process.execPath,
  [
    '--input-type=module',
    '-e',
    `const { buildApp } = await import('./build/apps/main.js');
const { verify } = await import('./build/lib/validation/verify.js');
const { enableVerification } = await import('./build/lib/index.js');
const times = [];
for (let i = 0; i < ${RUNS + 1}; i++) {
  const t0 = performance.now();
  const app = buildApp(${JSON.stringify(join(out, 'split'))});
  enableVerification(app, { mode: 'off' });
  const t1 = performance.now();
  const objs = app.charts.flatMap((c) => c.toJson());
  const t2 = performance.now();
  verify(objs);
  const t3 = performance.now();
  if (i > 0) times.push({ construct: t1 - t0, resolve: t2 - t1, verify: t3 - t2 });
}
console.log(JSON.stringify(times));`,
  ],
  { encoding: 'utf8' },
);
if (split.status !== 0) throw new Error(split.stderr);
const splits = JSON.parse(split.stdout.trim().split('\n').pop());
const part = (k) => median(splits.map((t) => t[k]));
const total = part('construct') + part('resolve') + part('verify');
const share = part('verify') / total;
console.log(`\nin-process synth of the whole app, module load excluded: construct ${part('construct').toFixed(1)} ms, resolve ${part('resolve').toFixed(1)} ms, verify ${part('verify').toFixed(1)} ms`);
console.log(`target: validation at most 25% of synth: ${(share * 100).toFixed(1)}%, ${share <= 0.25 ? 'met' : 'NOT met'} (the first verify also loads each kind's validator)`);
results.push({ name: 'in-process split (ms)', construct: part('construct'), resolve: part('resolve'), verify: part('verify'), verifyShare: share });

mkdirSync('bench-results', { recursive: true });
writeFileSync(join('bench-results', 'bench.json'), JSON.stringify({ runs: RUNS, node: process.version, results }, null, 2));
rmSync(out, { recursive: true, force: true });
