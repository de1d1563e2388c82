#!/usr/bin/env node
// What cdk8s.yaml runs: loads the bundled reference app (built by
// `npm run build`, see scripts/build-app.mjs) with its V8 code cache and
// synthesizes every chart into the output directory (cdk8s sets
// CDK8S_OUTDIR; `dist` otherwise). A failure prints its report, without a
// stack trace, and exits 1.
import { fileURLToPath } from 'node:url';
import { loadCommonJs } from '../build/lib/internal/cached-script.js';

const bundle = fileURLToPath(new URL('../build/apps/main.bundle.cjs', import.meta.url));
const { exports } = loadCommonJs(bundle, bundle.replace(/\.cjs$/, '.cache'));
exports.main();
