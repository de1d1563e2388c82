import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Failing apps run as programs, against the compiled library (npm test
// builds first), from a folder inside the package so `cdk8s` resolves.
const ROOT = resolve('.');
const LIB = pathToFileURL(join(ROOT, 'build/lib/index.js')).href;
let dir: string;

beforeAll(() => {
  mkdirSync(join(ROOT, 'build'), { recursive: true });
  dir = mkdtempSync(join(ROOT, 'build', 'failure-report-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEAD = `import { App, Chart, JsonPatch } from 'cdk8s';
import { AgentNamespace, runApp, SecureAgentDeployment } from '${LIB}';
`;
/** An app whose Deployment shares the host network (PSS-02, Critical) and has a tag, not a digest (IMG-02, Medium). */
const BROKEN = `function build(outdir) {
  const app = new App({ outdir });
  const chart = new Chart(app, 'broken');
  new AgentNamespace(chart, 'Ns', { name: 'agents' });
  const agent = new SecureAgentDeployment(chart, 'Agent', { name: 'agent', namespace: 'agents', image: 'registry.example.com/agent:1.0.0' });
  agent.deployment.addJsonPatch(JsonPatch.add('/spec/template/spec/hostNetwork', true));
  return app;
}
`;
const REPORT = [
  'synth failed: 1 error, 1 warning; no YAML was written',
  'error: broken/Agent/Deployment: PSS-02 Critical Deployment agents/agent spec.template.spec.hostNetwork: pod shares the host network namespace, got hostNetwork true; fix: remove hostNetwork or set it to false',
  '',
  'warning: broken/Agent/Deployment: IMG-02 Medium Deployment agents/agent spec.template.spec.containers[0].image: container "agent" image is not pinned by digest, got "registry.example.com/agent:1.0.0"; fix: append @sha256:<digest> (keep the tag for readability)',
].join('\n');

function app(name: string, body: string): string {
  const folder = join(dir, name);
  mkdirSync(folder);
  writeFileSync(join(folder, 'app.mjs'), HEAD + body);
  return folder;
}

function node(folder: string): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, ['app.mjs'], { cwd: folder, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

/** Files written under the app's output directory (an empty one may exist: cdk8s creates it before validating). */
function written(folder: string): string[] {
  const out = join(folder, 'dist');
  return existsSync(out) ? readdirSync(out) : [];
}

describe('a failing synth reports once, readably, without a stack trace', () => {
  it('the cdk8s CLI keeps the stack traces of other errors', () => {
    const folder = app('crash', `throw new TypeError('a bug, not a report');\n`);
    const r = spawnSync(process.execPath, ['app.mjs'], { cwd: folder, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: `--require=${join(ROOT, 'scripts/cdk8s-cli-quiet.cjs')}` } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/TypeError: a bug, not a report\n {4}at /);
  });

  it('a program ending in runApp prints exactly the report and exits 1', () => {
    const folder = app('run-app', `${BROKEN}runApp(() => build('dist'));\n`);
    const r = node(folder);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`${REPORT}\n`);
    expect(r.stdout).toBe('');
    expect(written(folder)).toEqual([]);
  });

  it('a program ending in a plain app.synth() prints the report with no stack frames and exits non-zero', () => {
    const folder = app('plain', `${BROKEN}build('dist').synth();\n`);
    const r = node(folder);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(REPORT);
    expect(r.stderr).not.toMatch(/^ {4}at /m);
    expect(r.stderr).not.toContain('errorLines');
    expect(written(folder)).toEqual([]);
  });

  it('bad props print their problems with no stack frames, through runApp and without it', () => {
    const bad = `function build() {
  const app = new App({ outdir: 'dist' });
  new SecureAgentDeployment(new Chart(app, 'bad'), 'Agent', { name: 'agent', namespace: 'agents', image: 'registry.example.com/agent:latest' });
  return app;
}
`;
    for (const [name, tail] of [['props-run-app', 'runApp(build);\n'], ['props-plain', 'build().synth();\n']] as const) {
      const folder = app(name, bad + tail);
      const r = node(folder);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('invalid props for bad/Agent:\n  bad/Agent props.image: is a mutable image (:latest) in the production profile');
      expect(r.stderr).not.toMatch(/^ {4}at /m);
      expect(r.stderr).not.toContain('problems');
      if (name === 'props-run-app') expect(r.stderr.startsWith('invalid props for bad/Agent:\n')).toBe(true);
      expect(written(folder)).toEqual([]);
    }
  });

  it('the real cdk8s synth CLI shows the report, no stack frames, exits non-zero and writes nothing', () => {
    const folder = app('cdk8s-cli', `${BROKEN}runApp(() => build(process.env.CDK8S_OUTDIR ?? 'dist'));\n`);
    writeFileSync(join(folder, 'cdk8s.yaml'), 'language: typescript\napp: node app.mjs\noutput: dist\n');
    // As `npm run synth` runs it: offline, and the CLI's own error for the failed app in one line.
    const r = spawnSync(join(ROOT, 'node_modules/.bin/cdk8s'), ['synth'], {
      cwd: folder,
      encoding: 'utf8',
      env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false', NODE_OPTIONS: `--require=${join(ROOT, 'scripts/cdk8s-cli-quiet.cjs')}` },
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toBe(`${REPORT}\n[Error: command "node app.mjs " at ${folder} returned a non-zero exit code 1]\n`);
    expect(written(folder)).toEqual([]);
  });
});
