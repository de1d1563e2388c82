#!/usr/bin/env node
// Bundles the compiled reference app (build/apps/main.js) and everything it
// imports into one CommonJS file, build/apps/main.bundle.cjs, and makes a V8
// code cache for it; scripts/synth.mjs (what cdk8s.yaml runs) loads the
// bundle with that cache and synthesizes. Loading one file instead of a few
// hundred modules, and skipping its compilation, takes about half a second
// off every `cdk8s synth` (Node 20 has no module compile cache of its own).
// The schema validators stay external: their kinds load from the prebuilt
// validator bundle or, for rarer kinds, from the packages themselves.
import { build } from 'esbuild';
import { lazyRe2 } from './esbuild-lazy-re2.mjs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const outfile = join(process.cwd(), 'build/apps/main.bundle.cjs');
await build({
  entryPoints: ['build/apps/main.js'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  legalComments: 'none',
  // Without comments and indentation the file is a third smaller, and ASCII
  // only (some packages' comments are not), which loadCommonJs reads faster:
  // about 50 ms less per synth. Names stay as they are, and lines short
  // enough for a stack trace's source line to be readable.
  minifyWhitespace: true,
  lineLimit: 200,
  logLevel: 'error',
  // The models the constructs import (prometheus-operator's) are bundled,
  // since their packages export ES modules only; the validators the registry
  // loads by file path are not (they come from the prebuilt bundle).
  external: ['re2-wasm'],
  plugins: [lazyRe2],
  // The sources are ES modules that read import.meta.url.
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
});

// The code cache is made after a synth into a scratch directory, so it holds
// the functions a synth runs compiled too (its warnings are not shown here).
// Measured and not taken: a cache made right after loading (half the size)
// or after construction only loads no faster and leaves functions to compile
// later, so a synth takes longer; minifying syntax or identifiers leaves the
// load's instruction count as it is (identifiers would only cost readable
// stack traces). V8 keeps its flag hash in the cache: a process started with
// any V8 flag (NODE_OPTIONS=--max-old-space-size=...) rejects it.
const { loadCommonJs } = await import('../build/lib/internal/cached-script.js');
const loaded = loadCommonJs(outfile, undefined);
const write = process.stderr.write;
process.stderr.write = () => true;
try {
  loaded.exports.buildApp(join(process.cwd(), 'build', 'synth-warmup')).synth();
} finally {
  process.stderr.write = write;
}
writeFileSync(outfile.replace(/\.cjs$/, '.cache'), loaded.script.createCachedData());
console.log('bundled the reference app into build/apps/main.bundle.cjs, with its V8 code cache');
