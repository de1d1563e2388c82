// The verification as a cdk8s-cli validation plugin, through the real
// `cdk8s synth`: a plain cdk8s-plus app lists the package under
// `validations:` in its cdk8s.yaml (loaded by path, as the package's
// CommonJS entry), the CLI reports the findings and exits with its failure
// code; an app of the library's constructs passes.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AgentPlatformValidation, type PluginValidationContext } from '../../lib/index.js';
import { nodeBinary, runtimeNodeVersion } from '../../scripts/node-binary.mjs';

const root = resolve(import.meta.dirname, '..', '..');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
let work: string;

beforeAll(() => {
  mkdirSync(join(root, 'node_modules', '.cache'), { recursive: true });
  work = mkdtempSync(join(root, 'node_modules', '.cache', 'plugin-'));
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const PLAIN_APP = `const { App, Chart } = require('cdk8s');
const kplus = require('cdk8s-plus-28');
const app = new App();
const chart = new Chart(app, 'web');
new kplus.Deployment(chart, 'Web', {
  metadata: { name: 'web', namespace: 'default' },
  containers: [{ image: 'nginx:latest', portNumber: 80, securityContext: { ensureNonRoot: false } }],
});
app.synth();
`;

const AGENT_APP = `const { App, Chart } = require('cdk8s');
const { AgentNamespace, SecureAgentDeployment } = require(${JSON.stringify(root)});
const app = new App();
const chart = new Chart(app, 'agents');
const ns = new AgentNamespace(chart, 'Namespace', { name: 'agents' });
new SecureAgentDeployment(chart, 'Agent', { name: 'agent', namespace: ns.name, image: 'registry.example.com/agent:1.0.0@sha256:${'d'.repeat(64)}', egress: [] });
app.synth();
`;

function project(name: string, app: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'app.cjs'), app);
  writeFileSync(
    join(dir, 'cdk8s.yaml'),
    `language: typescript
app: node app.cjs
output: dist
validations:
  - package: ${root}
    version: ${version}
    class: AgentPlatformValidation
    properties:
      kubernetesVersion: '1.31'
`,
  );
  return dir;
}

function synth(dir: string): { status: number | null; output: string } {
  // On Node 22, which the package needs (it refuses this machine's Node 20).
  const node = nodeBinary(runtimeNodeVersion());
  const r = spawnSync(node, [join(root, 'node_modules', 'cdk8s-cli', 'bin', 'cdk8s'), 'synth', '--plugins-dir', join(work, 'plugins')], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${dirname(node)}:${process.env.PATH ?? ''}`, CDK8S_CHECK_UPGRADE: 'false' },
  });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

describe('through `cdk8s synth` with validations: in cdk8s.yaml', () => {
  test('a plain cdk8s-plus app: findings reported, synth fails', () => {
    const r = synth(project('plain', PLAIN_APP));
    expect(r.status, r.output).toBe(2);
    expect(r.output).toContain('Performing validations');
    expect(r.output).toMatch(/IMG-01 \(High\)/);
    expect(r.output).toContain('Deployment default/web');
    expect(r.output).toContain('Validation failed');
  }, 120_000);

  test("an app of the library's constructs passes", () => {
    const r = synth(project('agents', AGENT_APP));
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain('Validations ended succesfully');
  }, 120_000);
});

describe('AgentPlatformValidation', () => {
  function context(manifests: string[]) {
    const violations: unknown[] = [];
    const submitted: { status?: string; metadata?: Record<string, string> } = {};
    const ctx: PluginValidationContext = {
      manifests,
      report: { addViolation: (v) => violations.push(v), submit: (status, metadata) => Object.assign(submitted, { status, metadata }) },
      logger: { log: () => undefined },
    };
    return { ctx, violations, submitted };
  }

  test('a manifest that cannot be read fails the report', async () => {
    const file = join(work, 'broken.yaml');
    writeFileSync(file, 'kind: [\n');
    const { ctx, violations, submitted } = context([file]);
    await new AgentPlatformValidation().validate(ctx);
    expect(submitted.status).toBe('failure');
    expect(violations).toEqual([expect.objectContaining({ ruleName: 'READ', violatingResources: [expect.objectContaining({ manifestPath: file })] })]);
  });

  test('rejects properties it does not know how to use, naming the fix', () => {
    expect(() => new AgentPlatformValidation({ kubernetesVersion: '1.99' as never })).toThrow(
      'AgentPlatformValidation: properties.kubernetesVersion is "1.99"; fix: use one of 1.28, 1.29, 1.30, 1.31, 1.32, 1.33',
    );
  });
});
