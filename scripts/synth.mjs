#!/usr/bin/env node
// What cdk8s.yaml runs: loads the bundled reference app (built by
// `npm run build`, see scripts/build-app.mjs) with its V8 code cache and
// synthesizes every chart into the output directory (cdk8s sets
// CDK8S_OUTDIR; `dist` otherwise). A failure prints its report, without a
// stack trace, and exits 1. On a fresh clone (`npm ci` builds nothing), or
// after an edit of lib/ or apps/, it builds the library and the app first.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = join(root, 'build/apps/main.bundle.cjs');

/** The newest modification time of the TypeScript sources under `dir` (0 when there are none). */
function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

// Build when the bundle is missing or older than a source of the library or
// the apps, so an edit is never synthesized from a stale build.
const built = statSync(bundle, { throwIfNoEntry: false })?.mtimeMs ?? -1;
if (built < Math.max(newestSource(join(root, 'lib')), newestSource(join(root, 'apps')))) {
  const build = spawnSync('npm', ['run', '--silent', 'build:lib'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const { loadCommonJs } = await import('../build/lib/internal/cached-script.js');
const { exports } = loadCommonJs(bundle, bundle.replace(/\.cjs$/, '.cache'));
exports.main();
