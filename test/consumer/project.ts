// Builds consumer projects the way a cdk8s user gets them: the cdk8s-cli
// template (templates/typescript-app inside the installed cdk8s-cli, the
// files `cdk8s init typescript-app` copies) with this package's tarball
// installed, and a vitest project. Commands run on a given Node binary with
// npm from PATH and an npm cache under node_modules/.cache.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const version = (pkg: string): string => (require(`${pkg}/package.json`) as { version: string }).version;

/** The result of one command. */
export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr together, for assertion messages. */
  readonly output: string;
}

/** Runs `cmd args` in `cwd` with `node` (a path to a Node binary) first on PATH. */
export function run(node: string, cwd: string, cmd: string, args: readonly string[], env: Record<string, string> = {}): Run {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: {
      ...ownEnvironment(),
      PATH: `${dirname(node)}:${process.env.PATH ?? ''}`,
      npm_config_cache: join(root, 'node_modules', '.cache', 'consumer-npm'),
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
      CDK8S_CHECK_UPGRADE: 'false',
      // jest writes a missing snapshot only outside CI, as on a user's machine.
      CI: '',
      // Whatever vitest set for this process is not the consumer's.
      NODE_OPTIONS: '',
      VITEST: '',
      VITEST_POOL_ID: '',
      VITEST_WORKER_ID: '',
      NODE_ENV: '',
      ...env,
    },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, output: `$ ${cmd} ${args.join(' ')}\n${r.stdout}\n${r.stderr}` };
}

/**
 * This process's environment without what npm (`npx vitest`, `npm test`) set
 * for this repository: npm_config_local_prefix and friends would make npm in
 * a consumer project act on this one.
 */
function ownEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|INIT_CWD$|NODE$)/i.test(k)));
}

/**
 * `npm pack` of this repository into `dir`; returns the tarball's path. The
 * package is built first as `prepack` builds it, less the API reference
 * (test/docs/api-reference.test.ts builds that).
 */
export function pack(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const build = run(process.execPath, root, 'npm', ['run', '--silent', 'build:lib']);
  if (build.status !== 0) throw new Error(`npm run build:lib failed\n${build.output}`);
  const r = run(process.execPath, root, 'npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', dir]);
  if (r.status !== 0) throw new Error(`npm pack failed\n${r.output}`);
  return join(dir, r.stdout.trim().split('\n').pop()!);
}

/** The chart both projects define: what a user's first agent looks like. */
const CHART = `export class MyChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps = { }) {
    super(scope, id, props);
    const ns = new AgentNamespace(this, 'Namespace', { name: 'agents' });
    new SecureAgentDeployment(this, 'Agent', {
      name: 'agent',
      namespace: ns.name,
      image: 'registry.example.com/agent:1.0.0@sha256:${'a'.repeat(64)}',
      egress: [],
    });
  }
}`;

const IMPORTS = `import { Construct } from 'constructs';
import { App, Chart, ChartProps } from 'cdk8s';
import { AgentNamespace, SecureAgentDeployment } from 'cdk8s-agent-platform';`;

/** The ES module app run with tsx. */
const ESM_MAIN = `import { App, Chart } from 'cdk8s';
import { AgentNamespace, SecureAgentDeployment } from 'cdk8s-agent-platform';

const app = new App();
const chart = new Chart(app, 'esm');
const ns = new AgentNamespace(chart, 'Namespace', { name: 'agents' });
new SecureAgentDeployment(chart, 'Agent', { name: 'agent', namespace: ns.name, image: 'registry.example.com/agent:1.0.0@sha256:${'b'.repeat(64)}', egress: [] });
app.synth();
`;

/**
 * The cdk8s-cli template project with `main.ts` defining an agent, the
 * tarball and cdk8s-plus-28 added to its dependencies and tsx to its
 * devDependencies; not installed. Also `esm/main.mts` (an ES module app) and
 * `tsconfig.nodenext.json` (the same sources type-checked with NodeNext).
 */
export function templateProject(dir: string, tarball: string): void {
  const template = join(dirname(require.resolve('cdk8s-cli/package.json')), 'templates', 'typescript-app');
  rmSync(dir, { recursive: true, force: true });
  cpSync(template, dir, { recursive: true });
  rmSync(join(dir, '.hooks.sscaff.js'));
  rmSync(join(dir, '__snapshots__'), { recursive: true });
  renameSync(join(dir, '{{}}.gitignore'), join(dir, '.gitignore'));
  // What `cdk8s init` substitutes (cdk8s-cli's lib/cli/cmds/init.js).
  const values: Record<string, string> = {
    $base: 'app',
    cdk8s_core_version: version('cdk8s'),
    cdk8s_plus_version: '2.5.0',
    constructs_version: version('constructs'),
    cdk8s_cli_spec: `^${version('cdk8s-cli')}`,
  };
  for (const f of readdirSync(dir).filter((n) => /\.(json|ts|yaml)$/.test(n))) {
    const file = join(dir, f);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/\{\{ *([$\w]+) *\}\}/g, (m, k: string) => values[k] ?? m));
  }
  const main = readFileSync(join(dir, 'main.ts'), 'utf8');
  const chart = /export class MyChart[\s\S]*?\n}\n/.exec(main);
  if (!chart) throw new Error('the template main.ts has no MyChart class');
  writeFileSync(join(dir, 'main.ts'), `${IMPORTS}\n\n${CHART}\n${main.slice(chart.index + chart[0].length)}`);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  pkg.dependencies['cdk8s-agent-platform'] = `file:${tarball}`;
  pkg.dependencies['cdk8s-plus-28'] = `^${version('cdk8s-plus-28')}`;
  pkg.devDependencies['tsx'] = '^4';
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  mkdirSync(join(dir, 'esm'));
  writeFileSync(join(dir, 'esm', 'main.mts'), ESM_MAIN);
  writeFileSync(
    join(dir, 'tsconfig.nodenext.json'),
    JSON.stringify({ extends: './tsconfig.json', compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', noEmit: true, lib: ['es2022'] }, include: ['main.ts', 'esm/main.mts'] }),
  );
}

/** An ES module project testing the same chart with vitest (snapshot of `Testing.synth`), type-checked with NodeNext. */
export function vitestProject(dir: string, tarball: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const pkg = {
    name: 'vitest-app',
    version: '1.0.0',
    private: true,
    type: 'module',
    scripts: { build: 'tsc && vitest run' },
    dependencies: {
      'cdk8s': `^${version('cdk8s')}`,
      'cdk8s-plus-28': `^${version('cdk8s-plus-28')}`,
      'constructs': `^${version('constructs')}`,
      'cdk8s-agent-platform': `file:${tarball}`,
    },
    devDependencies: { 'vitest': `^${version('vitest')}`, 'typescript': '5.9.x', '@types/node': '^22' },
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, types: ['node'] }, include: ['*.ts'] }),
  );
  writeFileSync(join(dir, 'chart.ts'), `${IMPORTS.replace("import { App, ", 'import { ')}\n\n${CHART}\n`);
  writeFileSync(
    join(dir, 'chart.test.ts'),
    `import { Testing } from 'cdk8s';
import { expect, test } from 'vitest';
import { MyChart } from './chart.js';

test('the agent chart', () => {
  const chart = new MyChart(Testing.app(), 'test-chart');
  expect(Testing.synth(chart)).toMatchSnapshot();
});
`,
  );
}
