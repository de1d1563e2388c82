#!/usr/bin/env node
// Bundles the compiled reference app (build/apps/main.js) and everything it
// imports into one ES module, build/apps/main.bundle.mjs, which cdk8s.yaml
// runs. Loading one file instead of a few hundred modules takes about a
// quarter of a second off every `cdk8s synth`. The validator packages stay
// external: their kinds load from the prebuilt bundle or, for rarer kinds,
// from the packages themselves.
import { build } from 'esbuild';

await build({
  entryPoints: ['build/apps/main.js'],
  outfile: 'build/apps/main.bundle.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'error',
  external: ['kubernetes-models', '@kubernetes-models/*', 're2-wasm'],
  // Bundled CommonJS (cdk8s, constructs) calls require(); give it one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});
console.log('bundled the reference app into build/apps/main.bundle.mjs');
