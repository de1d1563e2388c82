// An esbuild plugin shared by the build scripts.

/**
 * Two prometheus-operator schemas build an RE2 pattern at module load, which
 * compiles re2-wasm's WebAssembly (about 50 ms) for every synth. This shim
 * builds it on the first test() instead; ajv only ever calls test() on a
 * pattern. re2-wasm stays a package import, since it loads its .wasm file
 * from beside its own module.
 */
export const lazyRe2 = {
  name: 'lazy-re2',
  setup(b) {
    b.onResolve({ filter: /^@kubernetes-models\/validate\/runtime\/re2$/ }, () => ({ path: 'lazy-re2', namespace: 'lazy-re2' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-re2' }, () => ({
      loader: 'js',
      contents: `export default class LazyRE2 {
  constructor(source, flags) { this.source = source; this.flags = flags; this.re = undefined; }
  test(s) { if (this.re === undefined) { const { RE2 } = require('re2-wasm'); this.re = new RE2(this.source, this.flags); } return this.re.test(s); }
}`,
    }));
  },
};

