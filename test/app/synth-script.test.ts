import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// scripts/synth.mjs (what cdk8s.yaml runs) builds the library and the app
// when the bundle is missing or older than a source under lib/ or apps/, and
// otherwise runs the bundle as it is. Checked in a copy of the layout whose
// `build:lib` is a stand-in that counts its runs and writes a bundle.

const ROOT = resolve(import.meta.dirname, '../..');
const tree = mkdtempSync(join(tmpdir(), 'synth-script-'));
afterAll(() => rmSync(tree, { recursive: true, force: true }));

const write = (path: string, text: string) => {
  mkdirSync(join(tree, path, '..'), { recursive: true });
  writeFileSync(join(tree, path), text);
};

write('package.json', JSON.stringify({ name: 'synth-script-fixture', private: true, type: 'module', scripts: { 'build:lib': 'node build.mjs' } }));
write(
  'build.mjs',
  `import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
appendFileSync('builds.log', 'build\\n');
mkdirSync('build/apps', { recursive: true });
mkdirSync('build/lib/internal', { recursive: true });
writeFileSync('build/apps/main.bundle.cjs', 'exports.main = () => console.log("synthesized");\\n');
writeFileSync('build/lib/internal/cached-script.js', 'import { createRequire } from "node:module";\\nexport const loadCommonJs = (path) => ({ exports: createRequire(import.meta.url)(path) });\\n');
`,
);
write('lib/core/a.ts', 'export const a = 1;\n');
write('apps/main.ts', 'export {};\n');
mkdirSync(join(tree, 'scripts'));
copyFileSync(join(ROOT, 'scripts/synth.mjs'), join(tree, 'scripts/synth.mjs'));

function synth(): { stdout: string; builds: number } {
  const r = spawnSync(process.execPath, ['scripts/synth.mjs'], { cwd: tree, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  let builds = 0;
  try {
    builds = readFileSync(join(tree, 'builds.log'), 'utf8').split('\n').filter(Boolean).length;
  } catch {
    // no build yet
  }
  return { stdout: r.stdout.trim(), builds };
}

describe('scripts/synth.mjs', () => {
  it('builds on a fresh clone, then runs the bundle without building again', () => {
    expect(synth()).toEqual({ stdout: 'synthesized', builds: 1 });
    expect(synth()).toEqual({ stdout: 'synthesized', builds: 1 });
  });

  it('builds again after an edit of a source under lib/ or apps/, and only then', () => {
    // An edit now, after the last build.
    const edit = (path: string) => {
      const now = new Date();
      utimesSync(join(tree, path), now, now);
    };
    edit('lib/core/a.ts');
    expect(synth().builds).toBe(2);
    expect(synth().builds).toBe(2);
    edit('apps/main.ts');
    expect(synth().builds).toBe(3);
  });

  it('builds again after a source is added, also in a new directory, though the last run only checked the sources it knew', () => {
    const before = synth().builds;
    expect(synth().builds).toBe(before);
    write('lib/core/b.ts', 'export const b = 2;\n');
    expect(synth().builds).toBe(before + 1);
    expect(synth().builds).toBe(before + 1);
    write('lib/extra/deep/c.ts', 'export const c = 3;\n');
    expect(synth().builds).toBe(before + 2);
    expect(synth().builds).toBe(before + 2);
  });

  it('builds again after a source is deleted or renamed, which leaves no newer source behind', () => {
    write('lib/core/gone.ts', 'export const gone = 1;\n');
    write('lib/core/old-name.ts', 'export const n = 1;\n');
    synth();
    const before = synth().builds;
    rmSync(join(tree, 'lib/core/gone.ts'));
    expect(synth().builds).toBe(before + 1);
    expect(synth().builds).toBe(before + 1);
    renameSync(join(tree, 'lib/core/old-name.ts'), join(tree, 'lib/core/new-name.ts'));
    expect(synth().builds).toBe(before + 2);
    expect(synth().builds).toBe(before + 2);
  });
});
