#!/usr/bin/env node
// Bundles the validators of the kinds a manifest bundle most often holds into
// one CommonJS file, build/lib/validation/schema/prebuilt.cjs. Loading the
// kubernetes-models validators one ES module at a time costs about 20 ms a
// kind (hundreds of small files to resolve); the bundle loads every listed
// kind in about 25 ms. Kinds not listed still load from the packages.
import { build } from 'esbuild';
import { lazyFormats } from './esbuild-lazy-formats.mjs';
import { lazyRe2 } from './esbuild-lazy-re2.mjs';
import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** [package, apiVersion, kind]; kubernetes-models keeps the core group under `v1/`. */
const KINDS = [
  ...[
    'v1/Namespace', 'v1/ResourceQuota', 'v1/LimitRange', 'v1/ConfigMap', 'v1/Secret', 'v1/Service', 'v1/ServiceAccount',
    'v1/PersistentVolumeClaim', 'v1/Pod', 'v1/Endpoints',
  ].map((k) => ['kubernetes-models', ...split(k)]),
  ...[
    'apps/v1/Deployment', 'apps/v1/StatefulSet', 'apps/v1/DaemonSet', 'batch/v1/Job', 'batch/v1/CronJob',
    'autoscaling/v2/HorizontalPodAutoscaler', 'policy/v1/PodDisruptionBudget', 'networking.k8s.io/v1/NetworkPolicy',
    'networking.k8s.io/v1/Ingress', 'node.k8s.io/v1/RuntimeClass', 'rbac.authorization.k8s.io/v1/Role', 'rbac.authorization.k8s.io/v1/RoleBinding',
    'rbac.authorization.k8s.io/v1/ClusterRole', 'rbac.authorization.k8s.io/v1/ClusterRoleBinding', 'scheduling.k8s.io/v1/PriorityClass',
  ].map((k) => ['kubernetes-models', ...split(k)]),
  ...['monitoring.coreos.com/v1/ServiceMonitor', 'monitoring.coreos.com/v1/PodMonitor', 'monitoring.coreos.com/v1/PrometheusRule'].map((k) => [
    '@kubernetes-models/prometheus-operator',
    ...split(k),
  ]),
  ...['external-secrets.io/v1/ExternalSecret', 'external-secrets.io/v1/SecretStore', 'external-secrets.io/v1/ClusterSecretStore'].map((k) => [
    '@kubernetes-models/external-secrets',
    ...split(k),
  ]),
  ...['gateway.networking.k8s.io/v1/HTTPRoute', 'gateway.networking.k8s.io/v1/Gateway', 'gateway.networking.k8s.io/v1/GRPCRoute'].map((k) => [
    '@kubernetes-models/gateway-api',
    ...split(k),
  ]),
  ...['cert-manager.io/v1/Certificate', 'cert-manager.io/v1/Issuer', 'cert-manager.io/v1/ClusterIssuer'].map((k) => ['@kubernetes-models/cert-manager', ...split(k)]),
  ['@kubernetes-models/sealed-secrets', ...split('bitnami.com/v1alpha1/SealedSecret')],
];

// The validators generated from CRDs (lib/crds/<project>/_schemas, see
// scripts/generate-crds.mjs) are JavaScript, which tsc does not copy: put them
// beside the compiled models. Each is also bundled into one CommonJS file
// (below), which a synth loads with its code cache when the app has an object
// of its kind: one file instead of the ES modules of the kind and of the
// format set it imports, which cost about 150 ms for the reference app's five
// generated kinds.
for (const project of readdirSync('lib/crds', { withFileTypes: true }).filter((d) => d.isDirectory())) {
  cpSync(join('lib/crds', project.name, '_schemas'), join('build/lib/crds', project.name, '_schemas'), { recursive: true });
}

function split(path) {
  const parts = path.split('/');
  const kind = parts.pop();
  return [parts.join('/'), kind];
}

const lines = KINDS.map(([pkg, apiVersion, kind], i) => {
  const root = dirname(require.resolve(`${pkg}/package.json`));
  const file = join(root, ...apiVersion.split('/'), `${kind}.js`);
  return { imp: `import { ${kind} as K${i} } from ${JSON.stringify(file)};`, entry: `  ${JSON.stringify(`${apiVersion}\n${kind}`)}: K${i},` };
});
const entry = `${lines.map((l) => l.imp).join('\n')}\nexport const models = {\n${lines.map((l) => l.entry).join('\n')}\n};\n`;

const outfile = join(process.cwd(), 'build/lib/validation/schema/prebuilt.cjs');
mkdirSync(dirname(outfile), { recursive: true });
/** How every validator bundle is built: minified CommonJS for Node 20+, the slow parts loaded lazily. */
const BUNDLE = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  plugins: [lazyRe2, lazyFormats],
  external: ['re2-wasm'],
  write: false,
  logLevel: 'error',
};
const result = await build({ ...BUNDLE, stdin: { contents: entry, resolveDir: process.cwd(), loader: 'js' } });
writeFileSync(outfile, result.outputFiles[0].contents);
console.log(`bundled the validators of ${KINDS.length} kinds into build/lib/validation/schema/prebuilt.cjs (${(result.outputFiles[0].contents.length / 1024).toFixed(0)} KiB)`);

// Each generated validator bundled into its own CommonJS file beside its ES
// module (`_schemas/<Name>.cjs`, with its V8 code cache in `<Name>.cache`),
// as lib/validation/schema/generated.ts loads it: an app loads the code of
// the generated kinds it has, not of all of them.
const { GENERATED_KINDS } = await import('../build/lib/crds/sources.js');
const generatedFile = (k) => join(process.cwd(), 'build/lib/crds', k.schema.replace(/\.js$/, '.cjs'));
let generatedBytes = 0;
for (const k of GENERATED_KINDS) {
  const generated = await build({ ...BUNDLE, entryPoints: [join('lib/crds', k.schema)] });
  writeFileSync(generatedFile(k), generated.outputFiles[0].contents);
  generatedBytes += generated.outputFiles[0].contents.length;
}
console.log(`bundled the validators of ${GENERATED_KINDS.length} generated kinds into one CommonJS file each, beside their modules (${(generatedBytes / 1024).toFixed(0)} KiB)`);

// V8 code cache for the bundle: compiling 1.4 MiB of validators, and each
// validator on its first call, costs about 60 ms per synth. The cache is made
// after running every bundled validator once (the reference app's objects and
// a minimal object of every kind), so it holds those functions compiled too.
// V8 rejects a cache made by another V8 version, and the registry then
// compiles the source as usual.
const { loadCommonJs } = await import('../build/lib/internal/cached-script.js');
const loaded = loadCommonJs(outfile, undefined);
const { models } = loaded.exports;
const samples = KINDS.map(([, apiVersion, kind]) => ({ apiVersion, kind, metadata: { name: 'sample', namespace: 'sample' } }));
try {
  const { buildApp } = await import('../build/apps/main.js');
  const { enableVerification } = await import('../build/lib/index.js');
  const app = buildApp(join(process.cwd(), 'build', 'cache-warmup')); // never synthesized: only resolved
  enableVerification(app, { mode: 'off' });
  samples.push(...app.charts.flatMap((c) => c.toJson()));
} catch (e) {
  console.warn(`code cache made from minimal objects only: ${e.message}`);
}
for (const o of samples) {
  const Model = models[`${o.apiVersion}\n${o.kind}`];
  try {
    Model?.prototype.validate.call(o);
  } catch {
    // Invalid samples still compile the validators they reach.
  }
}
writeFileSync(outfile.replace(/\.cjs$/, '.cache'), loaded.script.createCachedData());
console.log(`wrote the V8 code cache of the bundle (${samples.length} objects validated)`);

// The same for each generated validator: the app's objects of its kind and a
// minimal object.
for (const k of GENERATED_KINDS) {
  const file = generatedFile(k);
  const loadedGenerated = loadCommonJs(file, undefined);
  const { validate } = loadedGenerated.exports;
  for (const o of [{ apiVersion: k.apiVersion, kind: k.kind, metadata: { name: 'sample', namespace: 'sample' } }, ...samples.filter((o) => o.apiVersion === k.apiVersion && o.kind === k.kind)]) validate(o);
  writeFileSync(file.replace(/\.cjs$/, '.cache'), loadedGenerated.script.createCachedData());
}
console.log(`wrote the V8 code caches of the generated validators`);
