#!/usr/bin/env node
// Synth benchmark (`npm run bench`): whole-process runs, medians after a
// warm-up, the cases run round-robin (a machine whose speed drifts slows
// them alike), printed as a table with ratios against baselines measured in
// the same run, and written as JSON to bench-results/bench.json. It is not a
// test: machines are noisy, so targets are printed as met or not, never
// asserted. BENCH_RUNS sets the runs per case (default 5; 3 for 1000 agents),
// BENCH_MAX_N the largest agent count (default 1000), BENCH_TESTS=1 also
// times `npm test`. The reference runtime's latency and memory under load
// come from scripts/bench/runtime.mjs.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const MAX_N = Number(process.env.BENCH_MAX_N ?? 1000);
const out = mkdtempSync(join(tmpdir(), 'cap-bench-'));
const node = process.execPath;
const env = { ...process.env, CDK8S_CHECK_UPGRADE: 'false' };

// A probe prints its own CPU time and peak RSS as JSON on its last line.
const REPORT = `const r = process.resourceUsage(); console.log(JSON.stringify({ cpuMs: (r.userCPUTime + r.systemCPUTime) / 1000, rssMiB: r.maxRSS / 1024 }));`;

// Every run writes into a folder of its own, as `cdk8s synth` does (it
// removes its output folder first): a file rewritten in place waits for the
// file system to flush the previous run's copy, which would charge the cases
// that write many files for the benchmark's own repetition.
let runCount = 0;

/** The bytes of YAML a run wrote (its output folder, not nested), or undefined when it wrote none there. */
function yamlBytes(dir) {
  const files = readdirSync(dir, { throwIfNoEntry: false }) ?? [];
  const yaml = files.filter((f) => f.endsWith('.yaml'));
  return yaml.length === 0 ? undefined : yaml.reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

function runOnce(c) {
  const runOut = join(out, `run-${runCount++}`);
  const args = c.args.map((a) => a.replaceAll(out, runOut));
  const start = process.hrtime.bigint();
  const r = spawnSync(c.cmd, args, { encoding: 'utf8', env, cwd: c.cwd, maxBuffer: 64 * 1024 * 1024 });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  const dir = args.find((a) => a.startsWith(runOut));
  const bytes = dir === undefined ? undefined : yamlBytes(dir);
  rmSync(runOut, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`${c.name} failed (${r.status}): ${r.stderr.slice(0, 2000)}`);
  let usage = {};
  try {
    usage = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
  } catch {
    // CLI runs print no usage line; only their wall time is measured.
  }
  return { wallMs, yamlBytes: bytes, ...usage };
}

const median = (xs) => {
  const s = xs.filter((x) => x !== undefined).sort((a, b) => a - b);
  return s.length === 0 ? undefined : s[Math.floor(s.length / 2)];
};

function summary(c, rs) {
  const r = {
    name: c.name,
    runs: rs.length,
    wallMs: median(rs.map((x) => x.wallMs)),
    cpuMs: median(rs.map((x) => x.cpuMs)),
    rssMiB: median(rs.map((x) => x.rssMiB)),
    objects: rs[0].objects,
    yamlBytes: rs[0].yamlBytes,
  };
  process.stderr.write(`  ${c.name}: ${r.wallMs.toFixed(0)} ms\n`);
  return r;
}

/**
 * Measures the cases together, round-robin: after a warm-up run of each
 * (file cache, npx resolution), every round runs each case once (a case with
 * fewer runs sits the last rounds out). A machine whose speed drifts during
 * the benchmark then slows every case alike, and the ratios between cases,
 * which the targets are, stay meaningful.
 */
function measureAll(cases) {
  process.stderr.write(`  ${cases.length} cases, round-robin\n`);
  for (const c of cases) runOnce(c);
  const runs = cases.map(() => []);
  const rounds = Math.max(...cases.map((c) => c.runs ?? RUNS));
  for (let i = 0; i < rounds; i++) cases.forEach((c, k) => i < (c.runs ?? RUNS) && runs[k].push(runOnce(c)));
  return cases.map((c, k) => summary(c, runs[k]));
}

process.stderr.write('measuring...\n');
const results = {};
// Every case of the table, measured together (measureAll); each is stored under its key.
const cases = [];
const measure = (key, c, runs) => cases.push({ key, ...c, runs });
measure(['floorNode'], { name: 'node -e 0', cmd: node, args: ['-e', REPORT] });
measure(['floorPlus'], { name: 'import cdk8s-plus-28', cmd: node, args: ['--input-type=module', '-e', `await import('cdk8s-plus-28'); ${REPORT}`] });
// What scripts/synth.mjs (cdk8s.yaml's app) does, plus the usage line.
measure(['app'], {
  name: 'whole app, bundled (what cdk8s runs)',
  cmd: node,
  args: [
    '--input-type=module',
    '-e',
    `const { loadCommonJs } = await import('./build/lib/internal/cached-script.js');
const bundle = new URL('./build/apps/main.bundle.cjs', 'file://' + process.cwd() + '/').pathname;
loadCommonJs(bundle, bundle.replace(/\\.cjs$/, '.cache')).exports.buildApp(${JSON.stringify(join(out, 'app'))}).synth(); ${REPORT}`,
  ],
});
measure(['appUnbundled'], { name: 'whole app, compiled modules', cmd: node, args: ['--input-type=module', '-e', `const { buildApp } = await import('./build/apps/main.js'); buildApp(${JSON.stringify(join(out, 'app2'))}).synth(); ${REPORT}`] });
measure(['cli'], { name: 'npx cdk8s synth (whole app)', cmd: 'npx', args: ['cdk8s', 'synth', '--output', join(out, 'cli')] });
measure(['trivialCli'], { name: 'npx cdk8s synth (trivial app)', cmd: 'npx', args: ['cdk8s', 'synth', '--output', join(out, 'trivial')], cwd: 'scripts/bench/trivial' });

// The guides' platforms (AgentPlatform, eight charts with topology pictures).
measure(['platforms'], { name: 'guide platforms (8 charts)', cmd: node, args: ['scripts/bench/platforms-app.mjs', join(out, 'platforms')] });
// The same set built four times in one process: the cost per object without the first copy's one-time cost.
measure(['platforms4'], { name: 'guide platforms, 4 copies', cmd: node, args: ['scripts/bench/platforms-app.mjs', join(out, 'platforms4'), '4'] });
// Plain cdk8s writing the platforms' objects, and the 100-agent app's, again (no construct logic, no
// verification): what objects of each size cost in cdk8s itself. Their YAML is synthesized once, here.
const fixtures = mkdtempSync(join(tmpdir(), 'cap-bench-fixtures-'));
for (const [script, args] of [['platforms-app.mjs', [join(fixtures, 'platforms')]], ['agents-app.mjs', ['100', join(fixtures, 'agents')]]]) {
  const r = spawnSync(node, [join('scripts', 'bench', script), ...args], { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`${script} failed (${r.status}): ${r.stderr.slice(0, 2000)}`);
}
for (const [key, from] of [['plainPlatforms', 'platforms'], ['plainAgents', 'agents']]) {
  results[key] = {};
  for (const copies of [1, 4]) {
    measure([key, copies], { name: `plain cdk8s, ${from} objects x${copies}`, cmd: node, args: ['scripts/bench/plain-app.mjs', join(fixtures, from), join(out, `${key}${copies}`), String(copies)] });
  }
}
// A user's compiled, unbundled app requiring the package, on Node 22 (scripts/bench/user-app.mjs).
{
  const r = spawnSync(node, ['scripts/bench/user-app.mjs'], { encoding: 'utf8', env: { ...env, BENCH_RUNS: String(RUNS) }, stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`user app benchmark failed (${r.status})`);
  results.userApp = JSON.parse(r.stdout.trim().split('\n').pop());
  process.stderr.write(`  a user's compiled app (Node ${results.userApp.node}): ${results.userApp.userApp.wallMs.toFixed(0)} ms, require cdk8s-plus-28 ${results.userApp.plus.wallMs.toFixed(0)} ms\n`);
}

const NS = [1, 10, 100, 1000].filter((n) => n <= MAX_N);
results.agents = {};
results.l2 = {};
for (const n of NS) {
  const runs = n >= 1000 ? Math.min(RUNS, 3) : RUNS;
  measure(['agents', n], { name: `${n} agents (this library)`, cmd: node, args: ['scripts/bench/agents-app.mjs', String(n), join(out, `a${n}`)] }, runs);
  // The L2 baseline gets as many objects: it emits half as many per agent.
  measure(['l2', n], { name: `${2 * n} L2 agents (cdk8s-plus-28)`, cmd: node, args: ['scripts/bench/l2-app.mjs', String(2 * n), join(out, `l${n}`)] }, runs);
}

// Data stores (Redis with Sentinel, CloudNativePG with a Pooler, PgBouncer, OPA) per namespace, against the agents case.
const STORE_NS = [1, 10].filter((n) => n <= MAX_N);
results.stores = {};
for (const n of STORE_NS) measure(['stores', n], { name: `${n} namespaces of stores`, cmd: node, args: ['scripts/bench/stores-app.mjs', String(n), join(out, `s${n}`)] });
measureAll(cases).forEach((r, i) => {
  const [key, n] = cases[i].key;
  if (n === undefined) results[key] = r;
  else results[key][n] = r;
});

// Module load and validation, in one process: import, build, resolve, verify.
const split = spawnSync(
  node,
  [
    '--input-type=module',
    '-e',
    `const t0 = performance.now();
const { buildApp } = await import('./build/apps/main.js');
const { verify } = await import('./build/lib/validation/verify.js');
const { enableVerification } = await import('./build/lib/index.js');
// Loading the validator bundle is module loading too: do it before the clock.
const { resolveKind } = await import('./build/lib/validation/schema/registry.js');
resolveKind('v1', 'Namespace');
const load = performance.now() - t0;
const times = [];
for (let i = 0; i < ${RUNS + 1}; i++) {
  const a = performance.now();
  const app = buildApp(${JSON.stringify(join(out, 'split'))});
  enableVerification(app, { mode: 'off' });
  const b = performance.now();
  const objs = app.charts.flatMap((c) => c.toJson());
  const c = performance.now();
  verify(objs);
  const d = performance.now();
  times.push({ construct: b - a, resolve: c - b, verify: d - c });
}
console.log(JSON.stringify({ load, first: times[0], warm: times.slice(1) }));`,
  ],
  { encoding: 'utf8', env },
);
if (split.status !== 0) throw new Error(split.stderr);
const s = JSON.parse(split.stdout.trim().split('\n').pop());
const part = (k) => median(s.warm.map((t) => t[k]));
results.split = {
  moduleLoadMs: s.load,
  firstRun: s.first,
  warm: { construct: part('construct'), resolve: part('resolve'), verify: part('verify') },
};

// The invariant and policy checks against the bundle size (was a timed test).
const scale = spawnSync(node, ['scripts/bench/invariants-scale.mjs'], { encoding: 'utf8', env });
if (scale.status !== 0) throw new Error(`invariants scale benchmark failed (${scale.status}): ${scale.stderr.slice(0, 2000)}`);
results.invariantsScale = JSON.parse(scale.stdout.trim().split('\n').pop());

if (process.env.BENCH_TESTS === '1') {
  const t = process.hrtime.bigint();
  const r = spawnSync('npm', ['test'], { encoding: 'utf8', env });
  results.npmTest = { wallMs: Number(process.hrtime.bigint() - t) / 1e6, status: r.status };
}

// ---- report ----
const fmt = (v, d = 0) => (v === undefined ? '-' : Number(v).toFixed(d));
/** Wall time per object between two runs: the difference of their times over the difference of their objects. */
const perObject = (big, small) => (big.wallMs - small.wallMs) / (big.objects - small.objects);
const floor = results.floorPlus.wallMs;
const rows = [results.floorNode, results.floorPlus, results.app, results.appUnbundled, results.cli, results.trivialCli, results.platforms, results.platforms4, ...[1, 4].flatMap((k) => [results.plainPlatforms[k], results.plainAgents[k]]), ...NS.flatMap((n) => [results.agents[n], results.l2[n]]), ...STORE_NS.map((n) => results.stores[n])];
console.log(`median wall time of ${RUNS} runs after a warm-up (3 for 1000 agents); node ${process.version}\n`);
console.log(`${'case'.padEnd(36)} ${'wall ms'.padStart(9)} ${'cpu ms'.padStart(9)} ${'rss MiB'.padStart(8)} ${'objects'.padStart(8)} ${'x floor'.padStart(8)}`);
for (const r of rows) {
  console.log(`${r.name.padEnd(36)} ${fmt(r.wallMs).padStart(9)} ${fmt(r.cpuMs).padStart(9)} ${fmt(r.rssMiB, 0).padStart(8)} ${fmt(r.objects).padStart(8)} ${fmt(r.wallMs / floor, 2).padStart(8)}`);
}
console.log(
  `\nin one process: module load ${fmt(s.load)} ms; first synth construct ${fmt(s.first.construct)} / resolve ${fmt(s.first.resolve)} / verify ${fmt(s.first.verify)} ms (validators load on first use); warm construct ${fmt(part('construct'), 1)} / resolve ${fmt(part('resolve'), 1)} / verify ${fmt(part('verify'), 1)} ms`,
);

// The reference runtime under the contract test's load, against a bare node:http floor.
const rt = spawnSync(node, ['scripts/bench/runtime.mjs'], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'inherit'] });
if (rt.status !== 0) throw new Error(`runtime benchmark failed (${rt.status})`);
const rtLines = rt.stdout.trim().split('\n');
console.log(`\n${rtLines.slice(0, -1).join('\n')}`);
results.runtime = JSON.parse(rtLines[rtLines.length - 1]);

const targets = [];
const target = (label, value, ok) => targets.push({ label, value, met: ok });
{
  const u = results.userApp;
  console.log(
    `\na user's compiled (unbundled) CommonJS app on Node ${u.node}: ${fmt(u.userApp.wallMs)} ms wall, ${fmt(u.userApp.cpuMs)} ms CPU; require('cdk8s-plus-28') ${fmt(u.plus.wallMs)} ms wall, ${fmt(u.plus.cpuMs)} ms CPU`,
  );
  target("a user's compiled app at most 1.8x a bare require of cdk8s-plus-28 (Node 22, wall)", `${fmt(u.userApp.wallMs / u.plus.wallMs, 2)}x (CPU ${fmt(u.userApp.cpuMs / u.plus.cpuMs, 2)}x)`, u.userApp.wallMs / u.plus.wallMs <= 1.8);
}
target('whole app under 2.5x the bare-import floor', `${fmt(results.app.wallMs / floor, 2)}x`, results.app.wallMs / floor < 2.5);
const first = s.first;
const verifyShare = first.verify / (first.construct + first.resolve + first.verify);
const warmShare = part('verify') / (part('construct') + part('resolve') + part('verify'));
target(
  "validation at most 25% of the default app's synth (module load, validator bundle included, excluded; first synth)",
  `${fmt(verifyShare * 100, 1)}% (warm, repeated in one process: ${fmt(warmShare * 100, 1)}%)`,
  verifyShare <= 0.25,
);
target('npx cdk8s synth at most 0.5 s above the trivial app through the CLI', `+${fmt(results.cli.wallMs - results.trivialCli.wallMs)} ms`, results.cli.wallMs - results.trivialCli.wallMs <= 500);
if (NS.includes(1000) && NS.includes(1)) {
  const a = results.agents;
  const l = results.l2;
  const ours = perObject(a[1000], a[1]);
  const theirs = perObject(l[1000], l[1]);
  target('cost per object, validation included, at most 1.5x the L2 baseline', `${fmt(ours * 1000, 0)} vs ${fmt(theirs * 1000, 0)} µs = ${fmt(ours / theirs, 2)}x`, ours / theirs <= 1.5);
  target('1000 agents under 15 s', `${fmt(a[1000].wallMs / 1000, 2)} s`, a[1000].wallMs < 15000);
  target('1000 agents under 600 MiB', `${fmt(a[1000].rssMiB)} MiB`, a[1000].rssMiB < 600);
  target('t(1000)/t(100) at most 11', fmt(a[1000].wallMs / a[100].wallMs, 2), a[1000].wallMs / a[100].wallMs <= 11);
}
if (STORE_NS.includes(10) && NS.includes(10) && NS.includes(1)) {
  const st = results.stores;
  const a = results.agents;
  const perStore = perObject(st[10], st[1]);
  const perAgent = perObject(a[10], a[1]);
  // A measurement, not a target: store objects are heavier (StatefulSets of three containers, CloudNativePG objects checked against their large CRD schemas).
  results.storesPerObject = { storeUs: perStore * 1000, agentUs: perAgent * 1000, ratio: perStore / perAgent };
  console.log(`\nstores: ${fmt(perStore * 1000, 0)} µs per object against ${fmt(perAgent * 1000, 0)} µs for the agents (${fmt(perStore / perAgent, 2)}x)`);
}
target(
  'invariant and policy checks scale linearly: t(800 Deployments)/t(200) at most 9 (linear is about 4, a scan per object about 16)',
  `${fmt(results.invariantsScale.ms200, 1)} ms -> ${fmt(results.invariantsScale.ms800, 1)} ms = ${fmt(results.invariantsScale.ratio, 2)}x`,
  results.invariantsScale.ratio <= 9,
);
if (NS.includes(100) && NS.includes(1)) {
  // The platforms' cost per object above one agent's app (the fixed cost: module load, validators), with
  // dependency wiring, the computed quota and the topology pictures, against the agents app's.
  const a = results.agents;
  const perAgentObject = perObject(a[100], a[1]);
  const perPlatformObject = perObject(results.platforms, a[1]);
  target(
    'guide platforms: cost per object at most 1.5x the agents app',
    `${fmt(perPlatformObject * 1000, 0)} vs ${fmt(perAgentObject * 1000, 0)} µs = ${fmt(perPlatformObject / perAgentObject, 2)}x`,
    perPlatformObject / perAgentObject <= 1.5,
  );
  // A measurement, not a target: the platforms' objects are larger than the agents' (StatefulSets,
  // CloudNativePG clusters, rule and config files), so the same cost per object is also shown per KiB of YAML.
  const kib = (r) => (r.yamlBytes ?? NaN) / 1024;
  const perPlatformKiB = (results.platforms.wallMs - a[1].wallMs) / (kib(results.platforms) - kib(a[1]));
  const perAgentKiB = (a[100].wallMs - a[1].wallMs) / (kib(a[100]) - kib(a[1]));
  results.platformsPerKiB = { platformUs: perPlatformKiB * 1000, agentUs: perAgentKiB * 1000, ratio: perPlatformKiB / perAgentKiB };
  console.log(
    `\nplatforms: ${fmt(kib(results.platforms) / results.platforms.objects, 2)} KiB of YAML per object against ${fmt(kib(a[100]) / a[100].objects, 2)} for the agents; per KiB ${fmt(perPlatformKiB * 1000, 0)} vs ${fmt(perAgentKiB * 1000, 0)} µs (${fmt(perPlatformKiB / perAgentKiB, 2)}x)`,
  );
  // Measurements, not targets. The figure above counts, as cost per object, the platforms' one-time
  // cost of first running the code one agent's app never runs (stores, platform, topology). Taken as
  // the agents' is, a difference of two sizes of the same app, that cost drops out:
  const warmPlatform = perObject(results.platforms4, results.platforms);
  // and plain cdk8s writing the same objects again shows what their size alone costs in cdk8s.
  const plainPlatform = perObject(results.plainPlatforms[4], results.plainPlatforms[1]);
  const plainAgent = perObject(results.plainAgents[4], results.plainAgents[1]);
  results.platformsPerObjectByCopies = { platformUs: warmPlatform * 1000, agentUs: perAgentObject * 1000, ratio: warmPlatform / perAgentObject };
  results.plainPerObject = { platformUs: plainPlatform * 1000, agentUs: plainAgent * 1000, ratio: plainPlatform / plainAgent };
  console.log(
    `platforms per object as the agents' is taken (4 copies against 1): ${fmt(warmPlatform * 1000, 0)} vs ${fmt(perAgentObject * 1000, 0)} µs (${fmt(warmPlatform / perAgentObject, 2)}x); plain cdk8s writing the same objects: ${fmt(plainPlatform * 1000, 0)} µs per platform object vs ${fmt(plainAgent * 1000, 0)} per agent object (${fmt(plainPlatform / plainAgent, 2)}x); this library over plain cdk8s for the same objects: platforms ${fmt(warmPlatform / plainPlatform, 2)}x, agents ${fmt(perAgentObject / plainAgent, 2)}x`,
  );
}
if (results.npmTest) target('npm test under 90 s', `${fmt(results.npmTest.wallMs / 1000, 1)} s`, results.npmTest.wallMs < 90000 && results.npmTest.status === 0);
console.log('\ntargets:');
for (const t of targets) console.log(`  ${t.met ? 'met    ' : 'NOT met'} ${t.label}: ${t.value}`);

mkdirSync('bench-results', { recursive: true });
writeFileSync(join('bench-results', 'bench.json'), JSON.stringify({ node: process.version, runs: RUNS, results, targets }, null, 2));
console.log('\nwritten: bench-results/bench.json');
rmSync(out, { recursive: true, force: true });
rmSync(fixtures, { recursive: true, force: true });
