#!/usr/bin/env node
// What cdk8s.yaml runs: loads the bundled reference app (built by
// `npm run build`, see scripts/build-app.mjs) with its V8 code cache and
// synthesizes every chart into the output directory (cdk8s sets
// CDK8S_OUTDIR; `dist` otherwise). A failure prints its report, without a
// stack trace, and exits 1. On a fresh clone (`npm ci` builds nothing) it
// builds the library and the app first.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../build/apps/main.bundle.cjs', import.meta.url));
if (!existsSync(bundle)) {
  const built = spawnSync('npm', ['run', '--silent', 'build:lib'], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'ignore', 'inherit'] });
  if (built.status !== 0) process.exit(built.status ?? 1);
}
const { loadCommonJs } = await import('../build/lib/internal/cached-script.js');
const { exports } = loadCommonJs(bundle, bundle.replace(/\.cjs$/, '.cache'));
exports.main();
