// Every TypeScript block of the README compiles and synthesizes with the
// verification on. The quick start is one app and verifies clean (no
// finding at all); the other blocks, which continue one another (the
// Skreaver agent, its secrets, monitoring and backup, and the `shop`
// platform with its own namespace and Secrets), are put together in
// dependency order as a second app, with what the README leaves to the
// reader (a policy file's text, a CRD file, a schema) supplied here.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, expect, test } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
// Under build/ (not node_modules) so that vitest compiles the files it imports.
const dir = join(root, 'build', 'readme-blocks');
const blocks = [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

/** Splits a block into its imports (with the package name pointing at the sources) and its statements. */
function split(block: string): { imports: string[]; body: string } {
  const imports: string[] = [];
  const body = block.replace(/^import [\s\S]*?;\n/gm, (m) => {
    imports.push(m.replace("'cdk8s-agent-platform'", "'../../lib/index.js'").trim());
    return '';
  });
  return { imports, body };
}

const QUICK_START = 0;
// The Skreaver blocks: the namespace, the secrets and the agent first (the
// others use them), then every other block in README order.
const FIRST = [2, 4, 3];
// Every other block joins the app, the platform's `shop` (its own namespace and Secrets) too.
const SKREAVER_ORDER = [...FIRST, ...blocks.map((_, i) => i).filter((i) => i !== QUICK_START && !FIRST.includes(i))];

function quickStart(): string {
  const { imports, body } = split(blocks[QUICK_START]!);
  return `${imports.join('\n')}
export function run(outdir: string, warn: (line: string) => void): void {
  process.env.CDK8S_OUTDIR = outdir;
  const warnings = { warn };
${body.replace('const app = new App();', 'const app = new App();\n  enableVerification(app, warnings);')}
}
import { enableVerification } from '../../lib/index.js';
`;
}

function skreaver(exported: readonly string[]): string {
  const parts = SKREAVER_ORDER.map((i) => split(blocks[i]!));
  const imports = new Set(parts.flatMap((p) => p.imports));
  const imported = new Set([...imports].flatMap((i) => /\{([^}]*)\}/.exec(i)?.[1]?.split(',').map((n) => n.trim()) ?? []));
  // The library's names the blocks use and do not import themselves.
  const used = exported.filter((n) => !imported.has(n) && parts.some((p) => new RegExp(`\\b${n}\\b`).test(p.body)));
  return `import { ApiObject, App, Chart, JsonPatch } from 'cdk8s';
import { ${used.join(', ')} } from '../../lib/index.js';
${[...imports].join('\n')}
export function run(outdir: string, warn: (line: string) => void, widgetOpenApiSchema: object): void {
  const app = new App({ outdir });
  const chart = new Chart(app, 'skreaver');
  const policy = '[security]\\nmode = "strict"\\n';
${parts.map((p, n) => `  // README block ${SKREAVER_ORDER[n]}\n${p.body}`).join('\n')}
  enableVerification(app, { warn, customResources: [...readCustomResourceDefinitions('crds/keda-scaledobjects.yaml'), { apiVersion: 'example.dev/v1', kind: 'Widget', schema: widgetOpenApiSchema }] });
  app.synth();
  void [ApiObject, JsonPatch, ${used.join(', ')}];
}
`;
}

beforeAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'quick-start.ts'), quickStart());
  writeFileSync(join(dir, 'skreaver.ts'), skreaver(Object.keys(await import('../../lib/index.js'))));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the README has the blocks this test puts together', () => {
  expect(blocks[QUICK_START]).toMatch(/^import /);
  expect(blocks[FIRST[2]!]).toMatch(/^const agent = new SecureAgentDeployment/);
  expect(new Set([QUICK_START, ...SKREAVER_ORDER]).size).toBe(blocks.length);
});

test('every block type-checks (the project compiler options)', () => {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(String(d.messageText)); } })!;
  const program = ts.createProgram([join(dir, 'quick-start.ts'), join(dir, 'skreaver.ts')], { ...config.options, noEmit: true, incremental: false, noUnusedLocals: false });
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => `${d.file ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  expect(diagnostics).toEqual([]);
}, 120_000);

test('the quick start synthesizes as one app and verifies clean', async () => {
  const { run } = (await import(join(dir, 'quick-start.ts'))) as { run(outdir: string, warn: (l: string) => void): void };
  const warnings: string[] = [];
  const previous = process.env.CDK8S_OUTDIR;
  try {
    run(join(dir, 'quick-start-dist'), (l) => warnings.push(l));
  } finally {
    if (previous === undefined) delete process.env.CDK8S_OUTDIR;
    else process.env.CDK8S_OUTDIR = previous;
  }
  expect(warnings).toEqual([]);
  expect(readFileSync(join(dir, 'quick-start-dist', 'agents.k8s.yaml'), 'utf8')).toMatch(/^kind: Deployment$/m);
}, 120_000);

test('the Skreaver blocks together synthesize with the verification on', async () => {
  const { run } = (await import(join(dir, 'skreaver.ts'))) as { run(outdir: string, warn: (l: string) => void, schema: object): void };
  mkdirSync(join(dir, 'crds'));
  writeFileSync(join(dir, 'crds', 'keda-scaledobjects.yaml'), readFileSync(join(root, 'test', 'fixtures', 'crds', 'widgets.example.dev.yaml'), 'utf8'));
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    run(join(dir, 'skreaver-dist'), () => undefined, { type: 'object', properties: { spec: { type: 'object' } } });
  } finally {
    process.chdir(cwd);
  }
  const yaml = readFileSync(join(dir, 'skreaver-dist', 'skreaver.k8s.yaml'), 'utf8');
  for (const kind of ['Namespace', 'ExternalSecret', 'Deployment', 'PrometheusRule', 'CronJob']) expect(yaml).toMatch(new RegExp(`^kind: ${kind}$`, 'm'));
  // The platform block: its namespace, UI, API, cache and host.
  for (const name of ['Namespace shop', 'Deployment shop-ui', 'Deployment shop-api', 'StatefulSet cache', 'Ingress shop']) {
    const [kind, n] = name.split(' ');
    expect(yaml).toMatch(new RegExp(`^kind: ${kind}\\nmetadata:\\n(  .*\\n)*?  name: ${n}$`, 'm'));
  }
}, 120_000);
