/**
 * Finds the compiled schema validator for an `apiVersion`/`kind`, loading the
 * one model module that declares it on first use and caching the result.
 *
 * The validators come from `kubernetes-models` (core kinds, every apiVersion
 * Kubernetes ever served) and the `@kubernetes-models/*` packages for the
 * custom resources this library emits. They are ESM-only and lay one kind out
 * per file (`<group>/<version>/<Kind>.js`), so a kind costs one small module
 * graph, loaded when a manifest of that kind is first seen; nothing is loaded
 * eagerly.
 *
 * Loading is synchronous because cdk8s construct validation is: the modules
 * are loaded with `require()` of ES modules (unflagged since Node.js 20.19 and
 * 22.12). The packages' `exports` maps only declare the `import` condition, so
 * the file is addressed by path from the package root rather than by
 * specifier.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBundle } from '../../internal/cached-script.js';
import type { CustomResourceRegistry } from './custom.js';

const require = createRequire(import.meta.url);

/** An ajv error as the compiled validators report it. */
export interface AjvError {
  /** JSON pointer to the offending value (`/spec/replicas`). */
  readonly instancePath: string;
  /** Where in the (sub)schema the failing keyword sits (`#/oneOf/0/required`). */
  readonly schemaPath: string;
  /** The failing JSON Schema keyword (`type`, `required`, `format`, ...). */
  readonly keyword: string;
  /** Keyword details (`{ type: 'integer' }`, `{ missingProperty: 'name' }`). */
  readonly params: Readonly<Record<string, unknown>>;
}

/** The validator of one apiVersion/kind. */
export interface KindSchema {
  /** The apiVersion as written in manifests (`apps/v1`, `v1`). */
  readonly apiVersion: string;
  /** The API group; empty for the core group. */
  readonly group: string;
  /** The version within the group (`v1`, `v1beta1`). */
  readonly version: string;
  /** The kind (`Deployment`). */
  readonly kind: string;
  /** True for Kubernetes built-in kinds (kubernetes-models), false for custom resources. */
  readonly builtIn: boolean;
  /** For a registered custom resource version marked deprecated in its CRD: the deprecation warning. */
  readonly deprecated?: string;
  /** Runs the compiled validator over `data`; returns its errors, empty when valid. */
  validate(data: object): readonly AjvError[];
}

/** Why an apiVersion/kind has no validator. */
export type Unresolved =
  | { readonly reason: 'malformed'; readonly field: 'apiVersion' | 'kind'; readonly message: string }
  | { readonly reason: 'unknown-group'; readonly group: string }
  | { readonly reason: 'unknown-version'; readonly group: string; readonly versions: readonly string[] }
  | { readonly reason: 'unknown-kind'; readonly suggestion?: string };

/** The packages whose models are validated against, in lookup order. */
const MODEL_PACKAGES: readonly { readonly name: string; readonly builtIn: boolean }[] = [
  { name: 'kubernetes-models', builtIn: true },
  { name: '@kubernetes-models/prometheus-operator', builtIn: false },
  { name: '@kubernetes-models/cert-manager', builtIn: false },
  { name: '@kubernetes-models/external-secrets', builtIn: false },
  { name: '@kubernetes-models/gateway-api', builtIn: false },
  { name: '@kubernetes-models/sealed-secrets', builtIn: false },
  { name: '@kubernetes-models/istio', builtIn: false },
];

const VERSION = /^v\d+(?:(?:alpha|beta)\d+)?$/;
const GROUP = /^[a-z0-9](?:[-a-z0-9.]*[a-z0-9])?$/;
const KIND = /^[A-Z][A-Za-z0-9]*$/;

interface GroupEntry {
  readonly dir: string;
  readonly builtIn: boolean;
  readonly versions: readonly string[];
}

interface ModelClass {
  readonly apiVersion?: unknown;
  readonly kind?: unknown;
  readonly prototype: { validate(this: unknown): void };
}

const groups = new Map<string, GroupEntry | undefined>();
let prebuilt: Readonly<Record<string, ModelClass>> | null | undefined;

function loadModels(file: string): Record<string, ModelClass> {
  // With Node's module compile cache on (22.1+; the package's entries turn it
  // on), with the code cache this package keeps beside it, made after a run
  // (so with the validators that ran compiled); otherwise the V8 code cache
  // made at build time, when it exists and this V8 made it.
  type Bundle = { models?: Record<string, ModelClass> };
  const { models } = loadBundle<Bundle>(file);
  if (!models) throw new Error(`${file} holds no validator models; rebuild with npm run build`);
  return models;
}

/**
 * The validators bundled at build time by scripts/build-validators.mjs (one
 * file instead of hundreds of small ES modules), keyed `apiVersion\nkind`;
 * null when absent, e.g. when running from the TypeScript sources.
 */
function prebuiltModels(): Readonly<Record<string, ModelClass>> | null {
  if (prebuilt === undefined) {
    // Beside this module in the compiled package; through the package's own
    // export when this code runs bundled into an app.
    let file: string | undefined = join(dirname(fileURLToPath(import.meta.url)), 'prebuilt.cjs');
    if (!existsSync(file)) {
      try {
        file = require.resolve('cdk8s-agent-platform/prebuilt-validators');
      } catch {
        file = undefined;
      }
    }
    prebuilt = file && existsSync(file) ? loadModels(file) : null;
  }
  return prebuilt;
}
const kinds = new Map<string, KindSchema | Unresolved>();

/**
 * The validator for `apiVersion`/`kind`, or why there is none. Cached per
 * apiVersion/kind for the life of the process.
 */
export function resolveKind(apiVersion: string, kind: string, custom?: CustomResourceRegistry): KindSchema | Unresolved {
  let registered: KindSchema | Unresolved | undefined;
  if (custom && !custom.empty) {
    const parsed = parseApiVersion(apiVersion, kind);
    if (!('reason' in parsed)) registered = custom.resolve(apiVersion, parsed.group, parsed.version, kind);
    if (registered && isResolved(registered)) return registered;
  }
  const key = `${apiVersion}\n${kind}`;
  let entry = kinds.get(key);
  if (entry === undefined) {
    entry = load(apiVersion, kind);
    kinds.set(key, entry);
  }
  // A group that only the registered CRDs know says which of its versions
  // and kinds exist.
  return registered && !isResolved(entry) && entry.reason === 'unknown-group' ? registered : entry;
}

/** True when `r` is a validator rather than a reason. */
export function isResolved(r: KindSchema | Unresolved): r is KindSchema {
  return 'validate' in r;
}

/** The versions of `group` the model packages know, most stable first (Kubernetes version priority). */
export function versionsOf(group: string): readonly string[] {
  return groupEntry(group)?.versions ?? [];
}

/** The group and version of a well-formed apiVersion and kind, or why they are malformed. */
function parseApiVersion(apiVersion: string, kind: string): { group: string; version: string } | Unresolved {
  const parts = apiVersion.split('/');
  const [group, version] = parts.length === 1 ? ['', parts[0]!] : parts.length === 2 ? [parts[0]!, parts[1]!] : ['', ''];
  if (!VERSION.test(version) || (group !== '' && !GROUP.test(group))) {
    return { reason: 'malformed', field: 'apiVersion', message: `malformed apiVersion ${JSON.stringify(apiVersion)}` };
  }
  if (!KIND.test(kind)) return { reason: 'malformed', field: 'kind', message: `malformed kind ${JSON.stringify(kind)}` };
  return { group, version };
}

function load(apiVersion: string, kind: string): KindSchema | Unresolved {
  const found = findModel(apiVersion, kind);
  if ('reason' in found) return found;
  return toKindSchema(found.cls, apiVersion, found.group, found.version, kind, found.builtIn);
}

/** The model class of `apiVersion`/`kind`: from the prebuilt bundle, else from its package; or why there is none. */
function findModel(apiVersion: string, kind: string): { cls: ModelClass; group: string; version: string; builtIn: boolean } | Unresolved {
  const parsed = parseApiVersion(apiVersion, kind);
  if ('reason' in parsed) return parsed;
  const { group, version } = parsed;
  const bundled = prebuiltModels()?.[`${apiVersion}\n${kind}`];
  if (bundled) return { cls: bundled, group, version, builtIn: !PREBUILT_CRD_GROUPS.test(group) };
  const entry = groupEntry(group);
  if (!entry) return { reason: 'unknown-group', group };
  if (!entry.versions.includes(version)) return { reason: 'unknown-version', group, versions: entry.versions };
  const dir = join(entry.dir, version);
  const cls = loadModel(dir, kind);
  if (!cls || cls.apiVersion !== apiVersion || cls.kind !== kind) {
    const suggestion = suggestKind(dir, apiVersion, kind);
    return suggestion ? { reason: 'unknown-kind', suggestion } : { reason: 'unknown-kind' };
  }
  return { cls, group, version, builtIn: entry.builtIn };
}

/**
 * Checks `data` with the model class of `apiVersion`/`kind` from the model
 * packages, as `new Model(data).validate()` does: throws the model's
 * validation error (its message lists every problem) when `data` does not
 * match. The class comes from the prebuilt validator bundle when it holds the
 * kind, so a construct that checks its own object loads no second copy of the
 * validators; throws when no package declares the kind.
 */
export function validateWithModel(apiVersion: string, kind: string, data: object): void {
  const found = findModel(apiVersion, kind);
  if ('reason' in found) throw new Error(`no schema of ${kind} in apiVersion ${apiVersion} (${found.reason})`);
  const Model = found.cls as unknown as new (data: object) => { validate(): void };
  new Model(data).validate();
}

/** Groups of the custom resources in the prebuilt bundle (everything else in it is built in). */
const PREBUILT_CRD_GROUPS = /(^|\.)(coreos\.com|external-secrets\.io|gateway\.networking\.k8s\.io|cert-manager\.io|bitnami\.com)$/;

function toKindSchema(cls: ModelClass, apiVersion: string, group: string, version: string, kind: string, builtIn: boolean): KindSchema {
  const validate = cls.prototype.validate;
  return {
    apiVersion,
    group,
    version,
    kind,
    builtIn,
    validate(data: object): readonly AjvError[] {
      // The model's validate() runs the compiled validator with `this` as the
      // data and throws ajv's ValidationError listing every error.
      try {
        validate.call(data);
        return [];
      } catch (e) {
        if (e !== null && typeof e === 'object' && Array.isArray((e as { errors?: unknown }).errors)) {
          return (e as { errors: AjvError[] }).errors;
        }
        throw e;
      }
    },
  };
}

function loadModel(dir: string, name: string): ModelClass | undefined {
  const file = join(dir, `${name}.js`);
  if (!existsSync(file)) return undefined;
  let mod: Record<string, unknown>;
  try {
    mod = require(file) as Record<string, unknown>;
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_REQUIRE_ESM') {
      throw new Error(
        'schema validation loads the kubernetes-models ES modules synchronously, which needs Node.js 20.19+ or 22.12+ (require of ES modules)',
      );
    }
    throw e;
  }
  const cls = mod[name];
  return typeof cls === 'function' ? (cls as unknown as ModelClass) : undefined;
}

function suggestKind(dir: string, apiVersion: string, kind: string): string | undefined {
  // Only on the error path: compare against the file names of the version
  // directory, then confirm the candidate really is a kind of this apiVersion.
  const lower = kind.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.js') || file === 'index.js') continue;
    const name = file.slice(0, -3);
    const distance = name.toLowerCase() === lower ? 0 : editDistance(name.toLowerCase(), lower);
    if (distance <= Math.max(2, Math.floor(kind.length / 4)) && (best === undefined || distance < best.distance)) {
      const cls = loadModel(dir, name);
      if (cls?.apiVersion === apiVersion && cls.kind === name) best = { name, distance };
    }
  }
  return best?.name;
}

/**
 * Edit distance counting insertions, deletions, substitutions and swaps of
 * two adjacent characters (optimal string alignment), so `lables` is one edit
 * from `labels`. Hand-written because it serves only the "did you mean" hints
 * of error messages, over short names, which does not justify a runtime
 * dependency.
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * Where the models of `group` live: the directory `<group>/` of the first
 * model package (in {@link MODEL_PACKAGES} order) that has one with version
 * directories in it; kubernetes-models keeps the core ("") group's versions
 * at its top level (`v1/`). Only that group's directories are read, once.
 */
function groupEntry(group: string): GroupEntry | undefined {
  if (groups.has(group)) return groups.get(group);
  let found: GroupEntry | undefined;
  if (group === '' || GROUP.test(group)) {
    for (const pkg of MODEL_PACKAGES) {
      if (group === '' && !pkg.builtIn) continue;
      const dir = group === '' ? packageRoot(pkg.name) : join(packageRoot(pkg.name), group);
      if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) continue;
      const versions = readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && VERSION.test(d.name))
        .map((d) => d.name);
      if (versions.length > 0) {
        found = { dir, builtIn: pkg.builtIn, versions: sortVersions(versions) };
        break;
      }
    }
  }
  groups.set(group, found);
  return found;
}

const roots = new Map<string, string>();
function packageRoot(name: string): string {
  let root = roots.get(name);
  if (root === undefined) {
    root = dirname(require.resolve(`${name}/package.json`));
    roots.set(name, root);
  }
  return root;
}

/**
 * Sorts versions by Kubernetes version priority: GA before beta before alpha,
 * then by major and minor number, highest first (`v2`, `v1`, `v1beta2`,
 * `v1beta1`, `v1alpha1`).
 * @see https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definition-versioning/#version-priority
 */
export function sortVersions(versions: readonly string[]): string[] {
  return [...versions].sort((a, b) => versionRank(b) - versionRank(a));
}

/** Orders apiVersion versions by Kubernetes version priority: a higher rank is more stable or newer. */
export function versionRank(v: string): number {
  const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
  if (!m) return -1;
  const stability = m[2] === undefined ? 2 : m[2] === 'beta' ? 1 : 0;
  return stability * 1e6 + Number(m[1]) * 1e3 + Number(m[3] ?? 0);
}
