#!/usr/bin/env node
// Makes what the published package adds to tsc's output (build/lib), so that
// it loads in every kind of cdk8s project (see package.json `exports`):
//
// - build/cjs/index.cjs: the library as one CommonJS file, for `require`
//   (the cdk8s-cli template: ts-node, jest, tsc with `module: CommonJS`).
//   The ES-module-only dependencies (kubernetes-models, zod's ESM build...)
//   are bundled in; cdk8s, cdk8s-plus-28 and constructs stay external, so the
//   app and the library share one construct tree. jest runs its own module
//   system, which cannot load ES modules: the bundle reaches the packages'
//   validators only through Node's own require (createRequire), never jest's.
// - build/esm/index.js and build/esm/cli.js: the ES module entry and the CLI,
//   each refusing an unsupported Node.js in one line before loading anything.
// - build/types/zod: zod's own declarations without its locales, which the
//   library's declarations import instead of `zod`. The locales' declarations
//   default-import CommonJS modules, which fails a project compiled without
//   `esModuleInterop` (63 x TS1259 in the template's tsconfig).
import { build } from 'esbuild';
import { lazyRe2 } from './esbuild-lazy-re2.mjs';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const out = (...p) => join(root, 'build', ...p);

// --- the one-line refusal of an unsupported Node.js (engines.node) ---
const minimum = /^>=(\d+)\.(\d+)$/.exec(pkg.engines.node);
if (!minimum) throw new Error(`engines.node must read ">=MAJOR.MINOR", got ${pkg.engines.node}`);
writeFileSync(
  out('node-check.cjs'),
  `'use strict';
// Written by scripts/build-package.mjs from package.json engines.node.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < ${minimum[1]} || (major === ${minimum[1]} && minor < ${minimum[2]})) {
  process.stderr.write('cdk8s-agent-platform needs Node.js ${pkg.engines.node.slice(2)} or later (22 or 24 LTS); this is Node.js ' + process.version + '\\n');
  process.exit(1);
}
`,
);

// --- ES module entries ---
mkdirSync(out('esm'), { recursive: true });
writeFileSync(out('esm', 'index.js'), "import '../node-check.cjs';\nexport * from '../lib/index.js';\n");
writeFileSync(out('esm', 'cli.js'), "#!/usr/bin/env node\nimport '../node-check.cjs';\nawait import('../bin/cdk8s-agent-platform.js');\n");

// --- CommonJS bundle ---
mkdirSync(out('cjs'), { recursive: true });
// import.meta.resolve resolves with the `import` condition, the only one the
// kubernetes-models packages declare; a CommonJS file has no such resolver,
// so the bundle asks this ES module (loaded with Node's require of ES modules).
writeFileSync(out('cjs', 'resolve.mjs'), 'export const resolve = (specifier) => import.meta.resolve(specifier);\n');
const peers = Object.keys(pkg.peerDependencies);
await build({
  entryPoints: [out('lib', 'index.js')],
  outfile: out('cjs', 'index.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  legalComments: 'none',
  logLevel: 'error',
  external: [...peers, ...peers.map((p) => `${p}/*`), 're2-wasm'],
  plugins: [lazyRe2],
  define: { 'import.meta.url': '__bundleUrl', 'import.meta.resolve': '__bundleResolve' },
  banner: {
    js: [
      "require('../node-check.cjs');",
      "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;",
      "const __bundleResolve = (specifier) => require('node:module').createRequire(__filename)(require('node:path').join(__dirname, 'resolve.mjs')).resolve(specifier);",
    ].join('\n'),
  },
});
writeFileSync(out('cjs', 'index.d.cts'), "export * from '../lib/index.js';\n");

// --- zod's declarations, vendored ---
const zodRoot = dirname(require.resolve('zod/package.json'));
const zodOut = out('types', 'zod');
rmSync(zodOut, { recursive: true, force: true });
mkdirSync(zodOut, { recursive: true });
cpSync(join(zodRoot, 'index.d.cts'), join(zodOut, 'index.d.cts'));
for (const dir of ['v4/core', 'v4/classic']) {
  for (const f of readdirSync(join(zodRoot, dir)).filter((n) => n.endsWith('.d.cts'))) {
    const text = readFileSync(join(zodRoot, dir, f), 'utf8').replace(/^export \* as locales from "\.\.\/locales\/index\.cjs";\n/m, '');
    mkdirSync(join(zodOut, dir), { recursive: true });
    writeFileSync(join(zodOut, dir, f), text);
  }
}
cpSync(join(zodRoot, 'LICENSE'), join(zodOut, 'LICENSE'));
let rewritten = 0;
for (const file of walk(out('lib')).filter((f) => f.endsWith('.d.ts'))) {
  const text = readFileSync(file, 'utf8');
  let target = relative(dirname(file), join(zodOut, 'index.cjs'));
  if (!target.startsWith('.')) target = `./${target}`;
  const next = text.replace(/(from |import\()(['"])zod\2/g, (_, head, q) => `${head}${q}${target}${q}`);
  if (next !== text) {
    writeFileSync(file, next);
    rewritten++;
  }
}
console.log(`packaged: build/cjs/index.cjs (${(statSync(out('cjs', 'index.cjs')).size / 1024).toFixed(0)} KiB), ES module entries, zod's declarations (${rewritten} files point at them)`);

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(join(dir, d.name)) : [join(dir, d.name)]));
}
