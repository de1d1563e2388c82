import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// `npm run bench` is not a test, so nothing else notices when one of its apps
// stops synthesizing (a construct gains a required prop, an app changes). Each
// bench app runs here once, at its smallest size, from the built library, and
// must print the usage line the benchmark reads.

const ROOT = resolve(import.meta.dirname, '..');
const out = mkdtempSync(join(tmpdir(), 'bench-apps-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function runApp(script: string, ...args: string[]): { cpuMs: number; objects?: number } {
  const r = spawnSync(process.execPath, [join('scripts/bench', script), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CDK8S_CHECK_UPGRADE: 'false' } });
  expect(r.status, `${script} failed:\n${r.stderr.slice(-3000)}`).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

describe('the bench apps still synthesize', () => {
  it.each([
    ['agents-app.mjs', ['1'], 14],
    ['l2-app.mjs', ['2'], 14],
    ['stores-app.mjs', ['1'], 39],
  ] as const)('%s', (script, args, objects) => {
    const dir = join(out, script);
    const usage = runApp(script, ...args, dir);
    expect(usage.objects).toBe(objects);
    expect(usage.cpuMs).toBeGreaterThan(0);
    expect(readdirSync(dir).filter((f) => f.endsWith('.yaml')).length).toBeGreaterThan(0);
  });

  it('platforms-app.mjs writes every guide platform chart with its topology', () => {
    const dir = join(out, 'platforms');
    const usage = runApp('platforms-app.mjs', dir);
    expect(usage.objects).toBeGreaterThan(300);
    const files = readdirSync(dir);
    for (const chart of ['talos', 'bss-oss', 'weaver-production', 'sark-large']) {
      expect(files).toContain(`${chart}.k8s.yaml`);
      expect(files).toContain(`${chart}.topology.svg`);
    }
  });

  it('platforms-app.mjs builds the set again per copy, each copy an app of its own with the same files', () => {
    const one = runApp('platforms-app.mjs', join(out, 'platforms-1')).objects!;
    const dir = join(out, 'platforms-2');
    expect(runApp('platforms-app.mjs', dir, '2').objects).toBe(2 * one);
    const yaml = readdirSync(dir).filter((f) => f.endsWith('.k8s.yaml'));
    expect(readdirSync(join(dir, 'copy-1')).filter((f) => f.endsWith('.k8s.yaml'))).toEqual(yaml);
    for (const f of yaml) expect(readFileSync(join(dir, 'copy-1', f), 'utf8'), f).toBe(readFileSync(join(dir, f), 'utf8'));
  });

  it('plain-app.mjs writes the objects of the given YAML again with plain cdk8s, once per copy', () => {
    const from = join(out, 'plain-from');
    const agents = runApp('agents-app.mjs', '2', from).objects!;
    const dir = join(out, 'plain');
    expect(runApp('plain-app.mjs', from, dir, '3').objects).toBe(3 * agents);
    const docs = (d: string) => readFileSync(join(d, 'agents.k8s.yaml'), 'utf8').split(/^---$/m).length;
    expect(docs(dir)).toBe(docs(from));
    expect(readFileSync(join(dir, 'copy-2', 'agents.k8s.yaml'), 'utf8')).toBe(readFileSync(join(dir, 'agents.k8s.yaml'), 'utf8'));
  });
});
