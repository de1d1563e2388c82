import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
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
});
