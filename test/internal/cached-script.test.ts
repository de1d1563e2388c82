import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeBinary, runtimeNodeVersion } from '../../scripts/node-binary.mjs';

// requireWithCodeCache (lib/internal/cached-script.ts) keeps its code caches
// beside Node's module compile cache, which Node 20 (the machine's, maybe)
// does not have: run on the Node the package needs, through the CommonJS
// copy the build puts beside the bundle (build/cjs/cached-script.cjs).
const CACHED_SCRIPT = fileURLToPath(new URL('../../build/cjs/cached-script.cjs', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'cap-code-cache-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const LOAD = `const [cacheDir, file] = process.argv.slice(1);
require('node:module').enableCompileCache(cacheDir);
const exports = require(${JSON.stringify(CACHED_SCRIPT)}).requireWithCodeCache(file);
console.log(exports === undefined ? 'not loaded' : exports.answer() + ' ' + exports.here);`;

/** Loads `file` with requireWithCodeCache in a Node 22 process whose compile cache is in `cacheDir`; its stdout. */
function load(cacheDir: string, file: string, env: Record<string, string> = {}): string {
  const r = spawnSync(nodeBinary(runtimeNodeVersion()), ['-e', LOAD, cacheDir, file], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', ...env } });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.trim();
}

/** The code cache files under the compile cache directory, with their modification times. */
function caches(cacheDir: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const version of readdirSync(cacheDir)) {
    const dir = join(cacheDir, version, 'cdk8s-agent-platform');
    for (const name of statSync(dir, { throwIfNoEntry: false })?.isDirectory() ? readdirSync(dir) : []) found.set(name, statSync(join(dir, name)).mtimeMs);
  }
  return found;
}

function module(dir: string, answer: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'bundle.cjs');
  writeFileSync(file, `'use strict';\nexports.answer = () => ${answer};\nexports.here = __filename === ${JSON.stringify(file)} && __dirname === ${JSON.stringify(dir)};\n`);
  return file;
}

describe('requireWithCodeCache', () => {
  it('writes a code cache at the first run and uses it, unchanged, in the next', () => {
    const cacheDir = join(work, 'first');
    const file = module(join(work, 'first-src'), '6 * 7');
    expect(load(cacheDir, file)).toBe('42 true');
    const written = caches(cacheDir);
    expect([...written.keys()]).toEqual([expect.stringMatching(/^bundle\.cjs-[0-9a-f]+\.cache$/)]);
    expect(load(cacheDir, file)).toBe('42 true');
    expect(caches(cacheDir)).toEqual(written);
  });

  it('replaces the cache of a file whose content changed, and uses the new one', () => {
    const cacheDir = join(work, 'changed');
    const dir = join(work, 'changed-src');
    expect(load(cacheDir, module(dir, '6 * 7'))).toBe('42 true');
    const first = caches(cacheDir);
    expect(load(cacheDir, module(dir, '6 * 8'))).toBe('48 true');
    const second = caches(cacheDir);
    expect([...second.keys()]).toEqual([...first.keys()]);
    expect(load(cacheDir, module(dir, '6 * 8'))).toBe('48 true');
    expect(caches(cacheDir)).toEqual(second);
  });

  it('runs a file once per process, and writes every cache from one exit listener', () => {
    const cacheDir = join(work, 'once');
    const a = module(join(work, 'once-a'), '6 * 7');
    const b = module(join(work, 'once-b'), '6 * 8');
    const script = `const [cacheDir, a, b] = process.argv.slice(1);
require('node:module').enableCompileCache(cacheDir);
const { requireWithCodeCache } = require(${JSON.stringify(CACHED_SCRIPT)});
const before = process.listenerCount('exit');
const first = requireWithCodeCache(a);
const again = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map(() => requireWithCodeCache(a));
const other = requireWithCodeCache(b);
console.log(first.answer(), other.answer(), again.every((e) => e === first), process.listenerCount('exit') - before);`;
    const r = spawnSync(nodeBinary(runtimeNodeVersion()), ['-e', script, cacheDir, a, b], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('42 48 true 1');
    expect(caches(cacheDir).size).toBe(2);
  });

  it('loads the file when its cache cannot be written', () => {
    const cacheDir = join(work, 'blocked');
    const file = module(join(work, 'blocked-src'), '6 * 7');
    expect(load(cacheDir, file)).toBe('42 true');
    for (const version of readdirSync(cacheDir)) {
      rmSync(join(cacheDir, version, 'cdk8s-agent-platform'), { recursive: true });
      // A file where the folder would be: not writable, even for root.
      writeFileSync(join(cacheDir, version, 'cdk8s-agent-platform'), '');
    }
    expect(load(cacheDir, file)).toBe('42 true');
    expect(load(cacheDir, file)).toBe('42 true');
  });

  it('requires a file as a module of Node\'s cache, shared with later requires', () => {
    const cacheDir = join(work, 'required');
    const file = module(join(work, 'required-src'), '6 * 7');
    const script = `const [cacheDir, file] = process.argv.slice(1);
require('node:module').enableCompileCache(cacheDir);
const { requireWithCodeCache } = require(${JSON.stringify(CACHED_SCRIPT)});
const first = requireWithCodeCache(file);
console.log(first.answer(), first === require(file), requireWithCodeCache(file) === first, require.cache[file].loaded);`;
    for (let i = 0; i < 2; i++) {
      const r = spawnSync(nodeBinary(runtimeNodeVersion()), ['-e', script, cacheDir, file], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('42 true true true');
    }
    expect(caches(cacheDir).size).toBe(1);
  });

  it('leaves the file to its caller when the compile cache is off', () => {
    const file = module(join(work, 'off-src'), '6 * 7');
    expect(load(join(work, 'off'), file, { NODE_DISABLE_COMPILE_CACHE: '1' })).toBe('not loaded');
  });
});
