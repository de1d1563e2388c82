#!/usr/bin/env node
// Makes what the published package adds to tsc's output (build/lib), so that
// it loads in every kind of cdk8s project (see package.json `exports`):
//
// - build/cjs/library.cjs: the library as one CommonJS file, for `require`
//   (the cdk8s-cli template: ts-node, jest, tsc with `module: CommonJS`),
//   through build/cjs/index.cjs, which checks the Node version and turns on
//   the compile cache (build/node-check.cjs), then loads the bundle with the
//   code cache of lib/internal/cached-script.ts (build/cjs/cached-script.cjs).
//   yaml, js-yaml, cron-parser and dagre are bundled apart, in build/cjs/vendor/.
//   The ES-module-only dependencies (kubernetes-models, zod's ESM build...)
//   are bundled in; cdk8s, cdk8s-plus-28 and constructs stay external, so the
//   app and the library share one construct tree. jest runs its own module
//   system, which cannot load ES modules: the bundle reaches the packages'
//   validators only through Node's own require (createRequire), never jest's.
//   Its exports load on first use: each is a getter that runs the modules it
//   comes from (and what they import) the first time the app reads it, so an
//   app that makes an agent and a namespace does not build the schemas of
//   the stores, the platform or the gateway at start-up.
// - build/esm/index.js and build/esm/cli.js: the ES module entry and the CLI,
//   each refusing an unsupported Node.js in one line before loading anything.
// - build/types/zod: zod's own declarations without its locales, which the
//   library's declarations import instead of `zod`. The locales' declarations
//   default-import CommonJS modules, which fails a project compiled without
//   `esModuleInterop` (63 x TS1259 in the template's tsconfig).
import { build, transform } from 'esbuild';
import { lazyRe2 } from './esbuild-lazy-re2.mjs';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const out = (...p) => join(root, 'build', ...p);

// --- what the CommonJS bundle leaves out of library.cjs ---
/**
 * zod's locales other than English, which the library never sets (its
 * messages are its own) and whose declarations build/types/zod leaves out
 * too: 63 modules, a sixth of the bundle, that zod's entry runs at load.
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic|core)$/.test(args.resolveDir)
        ? { path: 'zod/v4/locales/index.js', namespace: 'zod-english-only', pluginData: join(args.resolveDir, '..', 'locales') }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({ loader: 'js', resolveDir: args.pluginData, contents: "export { default as en } from './en.js';\n" }));
  },
};

/**
 * CommonJS dependencies that only some constructs call (YAML output and
 * parsing, cron schedules with luxon, the topology's graph layout): each is
 * bundled into its own file, build/cjs/vendor/<name>.cjs, which library.cjs
 * requires the first time one of its exports is read. An app that makes no
 * such construct neither reads nor runs them (about 800 KiB).
 */
const VENDORED = ['yaml', 'js-yaml', 'cron-parser', '@dagrejs/dagre'];
const vendorFile = (name) => `${name.replace(/^@/, '').replace(/\//g, '-')}.cjs`;
const lazyVendored = {
  name: 'lazy-vendored',
  setup(b) {
    const filter = new RegExp(`^(${VENDORED.map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})$`);
    b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'lazy-vendored' }));
    b.onResolve({ filter: /^\.\/vendor\// }, (args) => ({ path: args.path, external: true }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-vendored' }, (args) => {
      const names = Object.keys(require(args.path)).filter((n) => n !== 'default' && n !== '__esModule');
      return {
        loader: 'js',
        contents: `'use strict';
let m;
for (const name of ${JSON.stringify(names)}) Object.defineProperty(exports, name, { enumerable: true, get: () => (m ??= require(${JSON.stringify(`./vendor/${vendorFile(args.path)}`)}))[name] });
`,
      };
    });
  },
};

// --- the one-line refusal of an unsupported Node.js (engines.node), then the compile cache ---
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
// Node's module compile cache (22.1+), in the OS temp directory or
// NODE_COMPILE_CACHE, per Node version; NODE_DISABLE_COMPILE_CACHE=1 turns it
// off. It skips compiling cdk8s and cdk8s-plus-28 again on every synth after
// the first; the package's bundles keep a fuller code cache of their own in
// its directory (lib/internal/cached-script.ts). Nothing is cached in the
// package: a cache made by one Node version is useless to another.
const { enableCompileCache } = require('node:module');
if (typeof enableCompileCache === 'function') enableCompileCache();
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
writeFileSync(out('cjs', 'lazy-entry.cjs'), lazyEntry(out('lib', 'index.js')));
/** How every CommonJS file of the package is built. */
const CJS = { bundle: true, platform: 'node', format: 'cjs', target: 'node22', legalComments: 'none', logLevel: 'error' };
await build({
  ...CJS,
  entryPoints: [out('cjs', 'lazy-entry.cjs')],
  outfile: out('cjs', 'library.cjs'),
  external: [...peers, ...peers.map((p) => `${p}/*`), 're2-wasm'],
  plugins: [lazyRe2, zodEnglishOnly, lazyVendored],
  define: { 'import.meta.url': '__bundleUrl', 'import.meta.resolve': '__bundleResolve' },
  banner: {
    js: [
      "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;",
      "const __bundleResolve = (specifier) => require('node:module').createRequire(__filename)(require('node:path').join(__dirname, 'resolve.mjs')).resolve(specifier);",
    ].join('\n'),
  },
});
rmSync(out('cjs', 'lazy-entry.cjs'));
await asciiOnly(out('cjs', 'library.cjs'));
rmSync(out('cjs', 'vendor'), { recursive: true, force: true });
for (const name of VENDORED) {
  const outfile = out('cjs', 'vendor', vendorFile(name));
  await build({ entryPoints: [require.resolve(name)], outfile, ...CJS });
  await asciiOnly(outfile);
}
// The entry requires the bundle with the code cache of lib/internal/cached-script.ts
// (bundled beside it), which holds the functions a run compiled, not only
// the top-level code of Node's compile cache; with plain require when that
// cache is off, and in a test runner's own global scope (jest's).
await build({ entryPoints: [out('lib', 'internal', 'cached-script.js')], outfile: out('cjs', 'cached-script.cjs'), ...CJS });
writeFileSync(
  out('cjs', 'index.cjs'),
  `'use strict';
// Written by scripts/build-package.mjs.
require('../node-check.cjs');
const library = require('node:path').join(__dirname, 'library.cjs');
module.exports = require('./cached-script.cjs').requireWithCodeCache(library) ?? require(library);
`,
);
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
console.log(`packaged: build/cjs/library.cjs (${(statSync(out('cjs', 'library.cjs')).size / 1024).toFixed(0)} KiB), ES module entries, zod's declarations (${rewritten} files point at them)`);

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(join(dir, d.name)) : [join(dir, d.name)]));
}

/**
 * The CommonJS entry of the bundle: for each `export { a, b as c } from
 * './m.js'` of the compiled lib/index.js (which only re-exports), getters
 * that `require()` the module on first read. esbuild wraps every module a
 * `require()` reaches in a function run on first use, so a module and what it
 * imports run only when one of its exports is read. `__esModule` keeps tsc's
 * `import * as` helpers from copying, and so loading, every export.
 */
function lazyEntry(indexJs) {
  const source = ts.createSourceFile(indexJs, readFileSync(indexJs, 'utf8'), ts.ScriptTarget.Latest, true);
  const groups = [];
  for (const statement of source.statements) {
    if (!ts.isExportDeclaration(statement) || !statement.moduleSpecifier || !statement.exportClause || !ts.isNamedExports(statement.exportClause)) {
      throw new Error(`lib/index.ts may only re-export names (export { a } from './m.js'), found: ${statement.getText(source)}`);
    }
    if (statement.isTypeOnly) continue;
    const names = statement.exportClause.elements.filter((e) => !e.isTypeOnly).map((e) => [e.name.text, (e.propertyName ?? e.name).text]);
    if (names.length > 0) groups.push({ from: `./${relative(out('cjs'), join(dirname(indexJs), statement.moduleSpecifier.text))}`, names });
  }
  return `'use strict';
// Written by scripts/build-package.mjs from lib/index.js: see lazyEntry().
Object.defineProperty(exports, '__esModule', { value: true });
function lazy(load, names) {
  let mod;
  for (const [name, from] of names) Object.defineProperty(exports, name, { enumerable: true, get: () => (mod ??= load())[from] });
}
${groups.map((g) => `lazy(() => require(${JSON.stringify(g.from)}), ${JSON.stringify(g.names)});`).join('\n')}
`;
}

/**
 * Escapes the non-ASCII characters esbuild leaves in a bundle (it escapes
 * them in code, not in the comments it keeps): Node decodes an ASCII file
 * faster, and V8 holds and scans it as a one-byte string, half the memory
 * of a two-byte one (about 40 ms off a start-up without the compile cache).
 * The minified code (which drops comments and escapes what is left the same
 * way) must not change, proving that the code means the same.
 */
async function asciiOnly(file) {
  const code = readFileSync(file, 'utf8');
  const ascii = code.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (ascii === code) return;
  const minified = async (text) => (await transform(text, { minify: true, format: 'cjs', platform: 'node', logLevel: 'error' })).code;
  if ((await minified(code)) !== (await minified(ascii))) throw new Error(`${file}: escaping its non-ASCII characters would change the code`);
  writeFileSync(file, ascii);
}
