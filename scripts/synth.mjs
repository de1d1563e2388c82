#!/usr/bin/env node
// What cdk8s.yaml runs: loads the bundled reference app (built by
// `npm run build`, see scripts/build-app.mjs) with its V8 code cache and
// synthesizes every chart into the output directory (cdk8s sets
// CDK8S_OUTDIR; `dist` otherwise). A failure prints its report, without a
// stack trace, and exits 1. On a fresh clone (`npm ci` builds nothing), or
// after an edit of lib/ or apps/, it builds the library and the app first.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = join(root, 'build/apps/main.bundle.cjs');
const SOURCE_DIRS = ['lib', 'apps'];
// The directories and sources the last full walk found, for this bundle.
const record = join(root, 'build/apps/main.bundle.sources.json');

/** The modification time of `path` (under the root); Infinity when it is gone. */
const mtime = (path) => statSync(root + path, { throwIfNoEntry: false })?.mtimeMs ?? Infinity;

/**
 * Adds the directories under `dir` (itself included) and its TypeScript
 * sources to `found`, with their modification times. A directory's time is
 * read before its entries, so an entry added meanwhile makes it newer.
 */
function walk(dir, found) {
  found.set(dir, mtime(dir));
  for (const e of readdirSync(root + dir, { withFileTypes: true })) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) walk(path, found);
    else if (e.name.endsWith('.ts')) found.set(path, mtime(path));
  }
  return found;
}

/**
 * Whether a source of the library or the apps is newer than the bundle.
 * Walking lib/ and apps/ takes about 20 ms; a walk that finds the bundle
 * fresh records the directories and sources it found, and the newest time
 * among them, for this bundle. Later runs only stat those paths (about 5 ms)
 * and walk again when one of them is newer than the record or gone. A source
 * edited since shows in its own time, which is newer than the bundle: a
 * build. One added, moved or deleted since shows in its directory's time (a
 * directory's time changes when an entry is added, removed or renamed): the
 * walk then finds a set of sources other than the recorded one, and builds.
 * (A source deleted between a build and the first synth after it is not
 * noticed: no record lists it yet.)
 */
function stale(built) {
  let recorded;
  try {
    recorded = JSON.parse(readFileSync(record, 'utf8'));
  } catch {
    // no record yet, or an unreadable one: walk
  }
  // A record made for this bundle, whose paths are the sources and directories of the last walk.
  const paths = recorded?.built === built && Array.isArray(recorded.paths) ? recorded.paths : undefined;
  if (paths?.every((p) => mtime(p) <= recorded.newest)) return false;
  const found = new Map();
  for (const d of SOURCE_DIRS) walk(d, found);
  let newest = built;
  for (const [path, t] of found) {
    if (path.endsWith('.ts') && t > built) return true;
    newest = Math.max(newest, t);
  }
  const sources = (list) => list.filter((p) => p.endsWith('.ts')).sort().join('\n');
  if (paths && sources(paths) !== sources([...found.keys()])) return true;
  try {
    writeFileSync(record, JSON.stringify({ built, newest, paths: [...found.keys()] }));
  } catch {
    // a read-only checkout: walk every time
  }
  return false;
}

// Build when the bundle is missing or older than a source of the library or
// the apps, so an edit is never synthesized from a stale build.
const built = statSync(bundle, { throwIfNoEntry: false })?.mtimeMs;
if (built === undefined || stale(built)) {
  const build = spawnSync('npm', ['run', '--silent', 'build:lib'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const { loadCommonJs } = await import('../build/lib/internal/cached-script.js');
const { exports } = loadCommonJs(bundle, bundle.replace(/\.cjs$/, '.cache'));
exports.main();
