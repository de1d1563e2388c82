// An esbuild plugin for the bundles that hold the kubernetes-models validators.

/**
 * @kubernetes-models/validate adds ajv-formats-draft2019's formats to every
 * validator, and the modules of four of them (iri, iri-reference, idn-email,
 * idn-hostname) load uri-js, an e-mail grammar, the list of URI schemes and
 * Node's deprecated `punycode` (a DeprecationWarning on every synth) when the
 * validators load. This shim gives each of the four as a function that
 * requires its module on the first value it checks, then calls it: the same
 * function on the same value, so the same answer, loaded only by a schema
 * that uses the format. `duration` is a regular expression and stays as it
 * is. The `cidr` format's is-cidr loads the same way. The modules stay in the bundle (esbuild runs a bundled CommonJS module
 * on its first require).
 */
export const lazyFormats = {
  name: 'lazy-formats',
  setup(b) {
    b.onResolve({ filter: /^ajv-formats-draft2019\/formats\/index\.js$/ }, () => ({ path: 'lazy-formats', namespace: 'lazy-formats' }));
    // The `cidr` format's is-cidr builds its expressions at load; formats.js only calls its default export.
    b.onResolve({ filter: /^is-cidr$/ }, async (args) => {
      if (!/@kubernetes-models[\\/]validate[\\/]dist[\\/]formats\.js$/.test(args.importer)) return undefined;
      const real = await b.resolve('is-cidr', { kind: args.kind, resolveDir: args.resolveDir });
      if (real.errors.length > 0) return { errors: real.errors };
      return { path: 'is-cidr', namespace: 'lazy-is-cidr', pluginData: real.path };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-is-cidr' }, (args) => ({
      loader: 'js',
      resolveDir: process.cwd(),
      contents: `let isCidr;
export default (value) => (isCidr ??= require(${JSON.stringify(args.pluginData)}).default)(value);
`,
    }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-formats' }, () => ({
      loader: 'js',
      resolveDir: process.cwd(),
      contents: `const lazy = (load) => { let format; return (value) => (format ??= load())(value); };
module.exports.iri = lazy(() => require('ajv-formats-draft2019/formats/iri.js'));
module.exports.duration = require('ajv-formats-draft2019/formats/duration.js');
module.exports['idn-email'] = lazy(() => require('ajv-formats-draft2019/formats/idn-email.js'));
module.exports['idn-hostname'] = lazy(() => require('ajv-formats-draft2019/formats/idn-hostname.js'));
module.exports['iri-reference'] = lazy(() => require('ajv-formats-draft2019/formats/iri-reference.js'));
`,
    }));
  },
};
