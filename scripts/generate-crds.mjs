#!/usr/bin/env node
// Generates typed models and strict validators for the custom resources of
// the operators the library targets, from the CRD YAML in each project's own
// repository at a pinned commit, with @kubernetes-models/crd-generate (the
// generator behind the @kubernetes-models/* packages). Never edit the output
// by hand: change SOURCES and run this again.
//
//   node scripts/generate-crds.mjs                     # downloads each CRD file at its commit
//   node scripts/generate-crds.mjs --git-mirrors DIR   # reads DIR/<owner>+<name>[/repo], a git clone per repository
//   node scripts/generate-crds.mjs --only cilium       # regenerates one project, keeps the others' output
//
// Each CRD file's SHA-256 is pinned below, so a download that differs from
// what the committed output was generated from fails.
//
// Output: lib/crds/<project>/ (models as TypeScript, validators as ES
// modules with declarations), lib/crds/sources.ts (what was generated from
// where, read by the validator registry) and docs/crds.md (the table of
// source versions).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';

const require = createRequire(import.meta.url);

/**
 * Where each project's CRDs come from: the repository, the release tag (or
 * none when no release has the current API yet), the commit, and per file its
 * SHA-256 and the kinds to generate.
 */
export const SOURCES = [
  {
    project: 'cloudnative-pg',
    title: 'CloudNativePG',
    repo: 'cloudnative-pg/cloudnative-pg',
    tag: 'v1.30.0',
    commit: '4b5e244a7d031f67e025c83c1555e7726ecbbfa1',
    files: {
      'config/crd/bases/postgresql.cnpg.io_clusters.yaml': { kinds: ['Cluster'] },
      'config/crd/bases/postgresql.cnpg.io_poolers.yaml': { kinds: ['Pooler'] },
      'config/crd/bases/postgresql.cnpg.io_scheduledbackups.yaml': { kinds: ['ScheduledBackup'] },
      'config/crd/bases/postgresql.cnpg.io_backups.yaml': { kinds: ['Backup'] },
    },
  },
  {
    project: 'jaeger-operator',
    title: 'Jaeger operator',
    repo: 'jaegertracing/jaeger-operator',
    tag: 'v1.65.0',
    commit: '77c2ee4de53d07267002d6088e75eb7a34e5000d',
    files: { 'config/crd/bases/jaegertracing.io_jaegers.yaml': { kinds: ['Jaeger'] } },
  },
  {
    project: 'agent-sandbox',
    title: 'Agent Sandbox (kubernetes-sigs)',
    repo: 'kubernetes-sigs/agent-sandbox',
    tag: 'v0.5.6',
    commit: '211b7579cabed9460c1a692eb687084ff4c5879d',
    files: {
      'k8s/crds/agents.x-k8s.io_sandboxes.yaml': { kinds: ['Sandbox'] },
      'k8s/crds/extensions.agents.x-k8s.io_sandboxtemplates.yaml': { kinds: ['SandboxTemplate'] },
      'k8s/crds/extensions.agents.x-k8s.io_sandboxwarmpools.yaml': { kinds: ['SandboxWarmPool'] },
      'k8s/crds/extensions.agents.x-k8s.io_sandboxclaims.yaml': { kinds: ['SandboxClaim'] },
    },
  },
  {
    project: 'kube-agentic-networking',
    title: 'Kube Agentic Networking (kubernetes-sigs)',
    repo: 'kubernetes-sigs/kube-agentic-networking',
    // v0.1.0 predates the agentic.networking.x-k8s.io group and XAccessPolicy v1alpha1.
    tag: undefined,
    commit: 'c7e4194047b08b09f2d321ac682294b5abbda1db',
    files: {
      'k8s/crds/agentic.networking.x-k8s.io_xbackends.yaml': { kinds: ['XBackend'] },
      'k8s/crds/agentic.networking.x-k8s.io_xaccesspolicies.yaml': { kinds: ['XAccessPolicy'] },
    },
  },
  {
    project: 'gke-fqdn-network-policies',
    title: 'GKE FQDNNetworkPolicy',
    repo: 'GoogleCloudPlatform/gke-fqdnnetworkpolicies-golang',
    // The last tag, 0.3, has an older generated CRD than the default branch.
    tag: undefined,
    commit: '83d1aa25594eec40c4a5671af560db4f8e4e1a10',
    files: { 'config/crd/bases/networking.gke.io_fqdnnetworkpolicies.yaml': { kinds: ['FQDNNetworkPolicy'] } },
  },
  {
    project: 'cilium',
    title: 'Cilium',
    // cilium/cilium is too large to mirror here, so the schemas come from the
    // CRDs catalog, which publishes each CRD's openAPIV3Schema as JSON Schema
    // (its commit "Update cilium to 1.18.2"); `schemaOf` wraps each back into
    // a CustomResourceDefinition for the generator.
    repo: 'datreeio/CRDs-catalog',
    tag: undefined,
    release: 'Cilium 1.18.2',
    commit: '7b1e26ef9deea49293714d204c1a2270aab1178f',
    files: {
      'cilium.io/ciliumnetworkpolicy_v2.json': { kinds: ['CiliumNetworkPolicy'], schemaOf: { group: 'cilium.io', version: 'v2', plural: 'ciliumnetworkpolicies', scope: 'Namespaced' } },
      'cilium.io/ciliumclusterwidenetworkpolicy_v2.json': { kinds: ['CiliumClusterwideNetworkPolicy'], schemaOf: { group: 'cilium.io', version: 'v2', plural: 'ciliumclusterwidenetworkpolicies', scope: 'Cluster' } },
    },
  },
];

/** A CustomResourceDefinition around a published JSON Schema of one kind and version. */
function crdOfSchema(text, kind, { group, version, plural, scope }) {
  // The catalog adds `additionalProperties: false` to every object, which a
  // CRD schema never states (the strict field check does that job); drop it.
  const schema = JSON.parse(text, (key, value) => (value && typeof value === 'object' && value.additionalProperties === false ? (({ additionalProperties, ...rest }) => rest)(value) : value));
  return stringify({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: { group, names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` }, scope, versions: [{ name: version, served: true, storage: true, schema: { openAPIV3Schema: schema } }] },
  });
}

/** SHA-256 of each CRD file at its commit (`<repo>:<path>`). */
const SHA256 = JSON.parse(readFileSync(new URL('./crd-sources.sha256.json', import.meta.url), 'utf8'));

const ROOT = join(dirname(new URL(import.meta.url).pathname), '..');
const OUT = join(ROOT, 'lib', 'crds');

async function readSource(repo, commit, path, mirrors) {
  if (mirrors) {
    const base = join(mirrors, repo.replace('/', '+'));
    const gitDir = existsSync(join(base, 'repo')) ? join(base, 'repo') : base;
    return execFileSync('git', ['-C', gitDir, 'show', `${commit}:${path}`], { encoding: 'utf8', maxBuffer: 64 << 20 });
  }
  const url = `https://raw.githubusercontent.com/${repo}/${commit}/${path}`;
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.text();
}

/** Keeps the CRDs of the listed kinds; refuses a schema the strict field check cannot honour. */
function selectCrds(text, kinds, where) {
  const crds = parseAllDocuments(text)
    .map((d) => d.toJS())
    .filter((d) => d?.kind === 'CustomResourceDefinition' && kinds.includes(d.spec?.names?.kind));
  const found = crds.map((c) => c.spec.names.kind);
  const missing = kinds.filter((k) => !found.includes(k));
  if (missing.length > 0) throw new Error(`${where}: no CRD for ${missing.join(', ')}`);
  for (const crd of crds) for (const v of crd.spec.versions) checkPreserveUnknown(v.schema?.openAPIV3Schema, `${where} ${crd.spec.names.kind} ${v.name}`);
  return crds;
}

// The generated validators drop the x-kubernetes-* extensions, and the strict
// field check then treats an object whose schema declares no properties as
// free-form. That matches the API server as long as no object both declares
// properties and preserves unknown fields; refuse the input if one does.
function checkPreserveUnknown(schema, where, path = '') {
  if (!schema || typeof schema !== 'object') return;
  if (schema['x-kubernetes-preserve-unknown-fields'] === true && schema.properties && Object.keys(schema.properties).length > 0) {
    throw new Error(`${where}: ${path || '<root>'} declares properties and x-kubernetes-preserve-unknown-fields; the generated validator cannot keep its unknown fields`);
  }
  for (const [k, v] of Object.entries(schema.properties ?? {})) checkPreserveUnknown(v, where, `${path}.${k}`);
  if (schema.items) checkPreserveUnknown(schema.items, where, `${path}[]`);
  if (typeof schema.additionalProperties === 'object') checkPreserveUnknown(schema.additionalProperties, where, `${path}{}`);
  for (const key of ['allOf', 'anyOf', 'oneOf']) for (const s of schema[key] ?? []) checkPreserveUnknown(s, where, path);
}

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/**
 * crd-generate writes imports without extensions (for a bundler); the
 * package compiles with NodeNext resolution, which needs `.js` on relative
 * imports. Validators stay JavaScript, models TypeScript.
 */
function postProcess(dir, header) {
  for (const file of walk(dir)) {
    let text = readFileSync(file, 'utf8');
    text = text.replace(/(from\s+["'])(\.{1,2}\/[^"']+?)(["'])/g, (m, a, spec, b) => (spec.endsWith('.js') ? m : `${a}${spec}${spec.endsWith('/') || !/\/[^/.]+$/.test(spec) ? '' : existsSync(join(dirname(file), `${spec}.ts`)) || existsSync(join(dirname(file), `${spec}.js`)) ? '.js' : '/index.js'}${b}`));
    if (file.endsWith('.ts') && !file.endsWith('.d.ts')) text = text.replace(/^/, header);
    if (file.endsWith('.js')) text = `${header}${text}`;
    writeFileSync(file, text);
  }
}

async function generateProject(source, mirrors, generate) {
  const crds = [];
  for (const [path, { kinds, schemaOf }] of Object.entries(source.files)) {
    const raw = await readSource(source.repo, source.commit, path, mirrors);
    const text = schemaOf ? crdOfSchema(raw, kinds[0], schemaOf) : raw;
    const digest = createHash('sha256').update(raw).digest('hex');
    const key = `${source.repo}:${path}`;
    if (SHA256[key] === undefined) SHA256[key] = digest;
    else if (SHA256[key] !== digest) throw new Error(`${key}@${source.commit}: SHA-256 ${digest}, pinned ${SHA256[key]}`);
    crds.push(...selectCrds(text, kinds, key));
  }
  const out = join(OUT, source.project);
  rmSync(out, { recursive: true, force: true });
  const scratch = mkdtempSync(join(tmpdir(), 'crd-generate-'));
  try {
    const log = console.log;
    console.log = () => {};
    try {
      await generate({ input: crds.map((c) => stringify(c)).join('\n---\n'), outputPath: scratch });
    } finally {
      console.log = log;
    }
    const version = source.tag ? `${source.tag} (${source.commit})` : source.commit;
    const header = `// Generated by scripts/generate-crds.mjs from the CRDs of ${source.repo} at ${version}; do not edit.\n`;
    postProcess(scratch, header);
    mkdirSync(out, { recursive: true });
    execFileSync('cp', ['-r', `${scratch}/.`, out]);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return crds.flatMap((crd) =>
    crd.spec.versions
      .filter((v) => v.served !== false)
      .map((v) => ({
        project: source.project,
        apiVersion: `${crd.spec.group}/${v.name}`,
        kind: crd.spec.names.kind,
        schema: `${source.project}/_schemas/${schemaId(crd.spec.group, v.name, crd.spec.names.kind)}.js`,
        ...(v.deprecated ? { deprecated: v.deprecationWarning ?? `${crd.spec.group}/${v.name} ${crd.spec.names.kind} is deprecated` } : {}),
      })),
  );
}

/** The file name crd-generate gives a validator (`postgresql.cnpg.io`, `v1`, `Cluster` → `PostgresqlCnpgIoV1Cluster`). */
function schemaId(group, version, kind) {
  return `${group}.${version}.${kind}`
    .split(/[.-]/)
    .map((s) => s.charAt(0).toUpperCase() + s.slice(1))
    .join('');
}

function writeSourcesModule(kinds) {
  const lines = [
    '// Generated by scripts/generate-crds.mjs; do not edit.',
    '',
    '/** Where the generated custom resource models and validators come from. */',
    'export interface CrdSource {',
    '  /** Folder under lib/crds. */',
    '  readonly project: string;',
    '  readonly title: string;',
    '  /** GitHub repository, owner/name. */',
    '  readonly repo: string;',
    '  /** Release tag, when the CRDs come from one. */',
    '  readonly tag?: string;',
    '  readonly commit: string;',
    '  /** CRD files in the repository. */',
    '  readonly files: readonly string[];',
    '}',
    '',
    '/** A generated validator: its apiVersion and kind, and its module under lib/crds. */',
    'export interface GeneratedKind {',
    '  readonly project: string;',
    '  readonly apiVersion: string;',
    '  readonly kind: string;',
    '  readonly schema: string;',
    '  readonly deprecated?: string;',
    '}',
    '',
    `export const CRD_SOURCES: readonly CrdSource[] = ${JSON.stringify(
      SOURCES.map(({ project, title, repo, tag, commit, files }) => ({ project, title, repo, ...(tag ? { tag } : {}), commit, files: Object.keys(files) })),
      null,
      2,
    )};`,
    '',
    `export const GENERATED_KINDS: readonly GeneratedKind[] = ${JSON.stringify(kinds, null, 2)};`,
    '',
  ];
  writeFileSync(join(OUT, 'sources.ts'), lines.join('\n'));
}

function writeDocs(kinds) {
  const rows = SOURCES.map((s) => {
    const ks = kinds.filter((k) => k.project === s.project);
    const byKind = [...new Set(ks.map((k) => k.kind))].map((kind) => `${kind} (${ks.filter((k) => k.kind === kind).map((k) => k.apiVersion).join(', ')})`);
    return `| ${s.title} | [${s.repo}](https://github.com/${s.repo}) | ${s.tag ?? s.release ?? '(no release with this API)'} | \`${s.commit.slice(0, 12)}\` | ${byKind.join('<br>')} | \`lib/crds/${s.project}\` |`;
  });
  const text = `# Custom resource types

Typed models and strict validators for the custom resources of the operators
the library targets, generated from the CRD YAML in each project's own
repository with \`@kubernetes-models/crd-generate\` (the generator behind the
\`@kubernetes-models/*\` packages). Strict validation covers every kind below
in every app: unknown fields, types, required fields, enums, patterns and
formats, as the CRD's OpenAPI schema states them. Istio's kinds come from the
\`@kubernetes-models/istio\` package. Cilium's come from the CRDs catalog's
JSON Schema of each CRD (the cilium/cilium repository is too large to mirror
for generation), wrapped back into a CRD for the generator.

Each folder is a package subpath, its models typed and validating:

\`\`\`ts
import { postgresqlCnpgIo } from 'cdk8s-agent-platform/crds/cloudnative-pg';

const cluster = new postgresqlCnpgIo.v1.Cluster({ metadata: { name: 'pg' }, spec: { instances: 3, storage: { size: '10Gi' } } });
cluster.validate(); // throws on a schema violation
new ApiObject(chart, 'Pg', cluster.toJSON());
\`\`\`

Regenerate with \`node scripts/generate-crds.mjs\` (it downloads each CRD file
at the pinned commit and checks its SHA-256; \`--git-mirrors DIR\` reads local
clones instead). This file is generated too.

| project | repository | release | commit | kinds (apiVersions) | folder |
|---|---|---|---|---|---|
${rows.join('\n')}
| Istio | [istio/istio](https://github.com/istio/istio) | 1.29.2 (through \`@kubernetes-models/istio\` ${require('@kubernetes-models/istio/package.json').version}) | - | ServiceEntry, Sidecar (networking.istio.io/v1, v1beta1, v1alpha3), AuthorizationPolicy (security.istio.io/v1, v1beta1), and the package's other kinds | \`@kubernetes-models/istio\` |
`;
  writeFileSync(join(ROOT, 'docs', 'crds.md'), text);
}

/** The generated kinds of every project but `only`, read back from lib/crds/sources.ts. */
function keptKinds(only) {
  if (!SOURCES.some((s) => s.project === only)) throw new Error(`--only ${only}: no such project; one of ${SOURCES.map((s) => s.project).join(', ')}`);
  const text = readFileSync(join(OUT, 'sources.ts'), 'utf8');
  const json = text.slice(text.indexOf('GENERATED_KINDS: readonly GeneratedKind[] = ') + 'GENERATED_KINDS: readonly GeneratedKind[] = '.length).replace(/;\s*$/, '');
  return JSON.parse(json).filter((k) => k.project !== only);
}

const { values } = parseArgs({ options: { 'git-mirrors': { type: 'string' }, only: { type: 'string' } } });
const { generate } = require('@kubernetes-models/crd-generate');
const kinds = values.only ? keptKinds(values.only) : [];
for (const source of SOURCES.filter((s) => !values.only || s.project === values.only)) {
  kinds.push(...(await generateProject(source, values['git-mirrors'], generate)));
  console.log(`generated ${source.project} (${source.tag ?? source.commit.slice(0, 12)})`);
}
writeSourcesModule(kinds);
writeDocs(kinds);
writeFileSync(new URL('./crd-sources.sha256.json', import.meta.url), `${JSON.stringify(Object.fromEntries(Object.entries(SHA256).sort()), null, 2)}\n`);
console.log(`${kinds.length} apiVersion/kinds into ${relative(ROOT, OUT)}`);
