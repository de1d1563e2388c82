/**
 * Schemas of custom resources registered by the user: a CRD (its YAML or the
 * parsed object), an OpenAPI v3 schema for one apiVersion/kind, or a model
 * class generated from a CRD (by `@kubernetes-models/crd-generate`, as the
 * `@kubernetes-models/*` packages are). Strict validation then covers objects
 * of those kinds as it covers built-in ones: unknown fields, types, required
 * fields, enums, patterns, bounds and formats, with
 * `x-kubernetes-preserve-unknown-fields` honoured as the API server does.
 *
 * OpenAPI schemas are compiled with ajv (the validator the model packages
 * are built on, with their format set), once per schema object and only when
 * an object of that kind is first validated.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { Manifest } from '../types.js';
import type { AjvError, KindSchema, Unresolved } from './registry.js';

const require = createRequire(import.meta.url);

/** The OpenAPI v3 schema of one version of a custom resource, as a CRD's `schema.openAPIV3Schema` holds it. */
export type OpenApiSchema = Readonly<Record<string, unknown>>;

/** A custom resource's schema for one apiVersion and kind. */
export interface CustomResourceSchema {
  /** `<group>/<version>`, e.g. `postgresql.cnpg.io/v1`. */
  readonly apiVersion: string;
  /** The kind, e.g. `Cluster`. */
  readonly kind: string;
  /** The OpenAPI v3 schema of the whole object (a CRD version's `schema.openAPIV3Schema`). */
  readonly schema: OpenApiSchema;
  /**
   * Why this version is deprecated, when it is (a CRD version's
   * `deprecated: true` and `deprecationWarning`); objects of it are then
   * reported as deprecated.
   * @default - not deprecated
   */
  readonly deprecated?: string;
}

/**
 * A model class generated from a CRD by `@kubernetes-models/crd-generate`
 * (or taken from an `@kubernetes-models/*` package): static `apiVersion` and
 * `kind`, and a `validate()` that checks `this`.
 */
export interface CustomResourceModel {
  readonly apiVersion: string;
  readonly kind: string;
  readonly prototype: { validate(): void };
}

/**
 * What {@link VerifyOptions.customResources} accepts: a
 * CustomResourceDefinition object (every served version is registered), a
 * schema for one apiVersion/kind, or a generated model class.
 */
export type CustomResource = Manifest | CustomResourceSchema | CustomResourceModel;

/**
 * Reads every CustomResourceDefinition from a YAML file (several documents
 * allowed; other kinds are rejected).
 * @throws when the file holds no CRD, or a document that is not one.
 */
export function readCustomResourceDefinitions(file: string): Manifest[] {
  return parseCustomResourceDefinitions(readFileSync(file, 'utf8'), file);
}

/**
 * Parses CustomResourceDefinitions from YAML text.
 * @param source names the text in error messages.
 * @throws when the text holds no CRD, or a document that is not one.
 */
export function parseCustomResourceDefinitions(text: string, source = 'the YAML'): Manifest[] {
  const out: Manifest[] = [];
  for (const [i, doc] of parseAllDocuments(text).entries()) {
    if (doc.errors.length > 0) throw new Error(`${source} (document ${i + 1}) is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const m = value as Manifest;
    if (m.kind !== 'CustomResourceDefinition' || !String(m.apiVersion).startsWith('apiextensions.k8s.io/')) {
      throw new Error(`${source} (document ${i + 1}) is not a CustomResourceDefinition, got kind ${JSON.stringify(m.kind)}; pass CRD files only`);
    }
    out.push(m);
  }
  if (out.length === 0) throw new Error(`${source} holds no CustomResourceDefinition`);
  return out;
}

/** One registered apiVersion/kind: its schema compiled on first use. */
export interface RegistryEntry {
  readonly apiVersion: string;
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly deprecated?: string;
  readonly compile: () => (data: object) => readonly AjvError[];
}

/**
 * The custom resources of one verification run, by apiVersion/kind.
 * Compiled validators are shared between registries built from the same
 * schema objects, so repeated synths compile each schema once.
 */
export class CustomResourceRegistry {
  private readonly entries = new Map<string, RegistryEntry>();
  private readonly versions = new Map<string, string[]>();
  private readonly resolved = new Map<string, KindSchema>();

  /**
   * @param resources what the user registers.
   * @param builtIn entries registered first, so that the user's take precedence.
   */
  constructor(resources: readonly CustomResource[], builtIn: readonly RegistryEntry[] = []) {
    for (const e of [...builtIn, ...resources.flatMap(entriesOf)]) {
      this.entries.set(`${e.apiVersion}\n${e.kind}`, e);
      const list = this.versions.get(e.group) ?? [];
      if (!list.includes(e.version)) list.push(e.version);
      this.versions.set(e.group, list);
    }
  }

  /** Whether nothing is registered. */
  public get empty(): boolean {
    return this.entries.size === 0;
  }

  /**
   * The schema of `apiVersion`/`kind` when registered; for a group with
   * registered kinds, why this one is not; undefined when the group is not
   * registered at all.
   */
  public resolve(apiVersion: string, group: string, version: string, kind: string): KindSchema | Unresolved | undefined {
    const key = `${apiVersion}\n${kind}`;
    const done = this.resolved.get(key);
    if (done) return done;
    const entry = this.entries.get(key);
    if (!entry) {
      const versions = this.versions.get(group);
      if (!versions) return undefined;
      if (!versions.includes(version)) return { reason: 'unknown-version', group, versions };
      return { reason: 'unknown-kind' };
    }
    let validate: ((data: object) => readonly AjvError[]) | undefined;
    const schema: KindSchema = {
      apiVersion,
      group,
      version,
      kind,
      builtIn: false,
      ...(entry.deprecated !== undefined ? { deprecated: entry.deprecated } : {}),
      validate: (data) => (validate ??= entry.compile())(data),
    };
    this.resolved.set(key, schema);
    return schema;
  }
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

function isModel(r: CustomResource): r is CustomResourceModel {
  return typeof r === 'function';
}

function entriesOf(r: CustomResource): RegistryEntry[] {
  if (isModel(r)) {
    const { apiVersion, kind } = r;
    if (typeof apiVersion !== 'string' || typeof kind !== 'string') throw new Error('a custom resource model needs static apiVersion and kind');
    return [{ apiVersion, kind, ...splitApiVersion(apiVersion), compile: () => modelValidator(r) }];
  }
  if ('schema' in r && typeof r.schema === 'object' && r.schema !== null && r.kind !== 'CustomResourceDefinition') {
    const s = r as CustomResourceSchema;
    const { deprecated } = s;
    return [{ apiVersion: s.apiVersion, kind: s.kind, ...splitApiVersion(s.apiVersion), ...(deprecated !== undefined ? { deprecated } : {}), compile: () => schemaValidator(s.schema) }];
  }
  return crdEntries(r as Manifest);
}

interface CrdVersion {
  readonly name?: unknown;
  readonly served?: unknown;
  readonly deprecated?: unknown;
  readonly deprecationWarning?: unknown;
  readonly schema?: { readonly openAPIV3Schema?: OpenApiSchema };
}

function crdEntries(crd: Manifest): RegistryEntry[] {
  const spec = (crd['spec'] ?? {}) as { group?: unknown; names?: { kind?: unknown }; versions?: unknown };
  const name = crd.metadata?.name ?? '(unnamed)';
  const group = spec.group;
  const kind = spec.names?.kind;
  if (crd.kind !== 'CustomResourceDefinition' || typeof group !== 'string' || typeof kind !== 'string' || !Array.isArray(spec.versions)) {
    throw new Error(`custom resource ${String(name)}: not a CustomResourceDefinition with spec.group, spec.names.kind and spec.versions; pass a CRD, a { apiVersion, kind, schema } or a generated model class`);
  }
  const out: RegistryEntry[] = [];
  for (const v of spec.versions as CrdVersion[]) {
    if (v.served === false || typeof v.name !== 'string') continue;
    const schema = v.schema?.openAPIV3Schema;
    if (!schema) throw new Error(`CustomResourceDefinition ${String(name)} version ${v.name} has no schema.openAPIV3Schema; strict validation needs one`);
    const deprecated = v.deprecated === true ? (typeof v.deprecationWarning === 'string' ? v.deprecationWarning : `${group}/${v.name} ${kind} is deprecated`) : undefined;
    out.push({ apiVersion: `${group}/${v.name}`, group, version: v.name, kind, ...(deprecated !== undefined ? { deprecated } : {}), compile: () => schemaValidator(schema) });
  }
  return out;
}

function modelValidator(model: CustomResourceModel): (data: object) => readonly AjvError[] {
  const validate = model.prototype.validate;
  return (data) => {
    try {
      validate.call(data);
      return [];
    } catch (e) {
      if (e !== null && typeof e === 'object' && Array.isArray((e as { errors?: unknown }).errors)) return (e as { errors: AjvError[] }).errors;
      throw e;
    }
  };
}

type Compiled = ((data: unknown, context?: { instancePath: string }) => boolean) & { errors?: AjvError[] | null };
interface AjvLike {
  compile(schema: object): Compiled;
  addFormat(name: string, format: unknown): unknown;
  addKeyword(def: object): unknown;
}

const compiledBySchema = new WeakMap<object, (data: object) => readonly AjvError[]>();
let ajvInstance: AjvLike | undefined;
let objectMetaValidator: Compiled | undefined;

/**
 * The one ajv instance for OpenAPI schemas, made on first use (ajv and the
 * format set load only when a custom resource is validated): every error
 * reported, formats as the kubernetes-models validators check them (formats
 * the API server does not know are ignored, as it ignores them), the
 * OpenAPI `nullable` keyword, and the `x-kubernetes-*` extensions known and
 * otherwise inert, except {@link PRESERVE_UNKNOWN}.
 */
function ajv(): AjvLike {
  if (ajvInstance) return ajvInstance;
  const { Ajv } = require('ajv') as { Ajv: new (opts: object) => AjvLike };
  const { formats } = requireImport<{ formats: Record<string, unknown> }>('@kubernetes-models/validate');
  const instance = new Ajv({ allErrors: true, strict: false, logger: false, validateSchema: false });
  for (const [name, format] of Object.entries(formats)) instance.addFormat(name, format);
  instance.addKeyword({
    keyword: PRESERVE_UNKNOWN,
    schemaType: 'boolean',
    // The strict field check (strict.ts) reports keys that no validator
    // read: reading every key here keeps the fields the API server keeps.
    validate: (keep: boolean, data: unknown) => {
      if (keep && data !== null && typeof data === 'object' && !Array.isArray(data)) for (const k of Object.keys(data)) void Object.getOwnPropertyDescriptor(data, k);
      return true;
    },
  });
  for (const keyword of ['x-kubernetes-embedded-resource', 'x-kubernetes-int-or-string', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type', 'x-kubernetes-validations']) {
    instance.addKeyword({ keyword });
  }
  ajvInstance = instance;
  return instance;
}

/**
 * Loads an ES module synchronously (validation runs inside cdk8s's
 * synchronous validate), resolving it as `import` would: the
 * kubernetes-models packages declare only the `import` condition.
 */
function requireImport<T>(specifier: string): T {
  return require(fileURLToPath(import.meta.resolve(specifier))) as T;
}

const PRESERVE_UNKNOWN = 'x-kubernetes-preserve-unknown-fields';

/** Compiles an OpenAPI v3 object schema into a validator; the object's `metadata` is checked as Kubernetes ObjectMeta. */
export function schemaValidator(schema: OpenApiSchema): (data: object) => readonly AjvError[] {
  const cached = compiledBySchema.get(schema);
  if (cached) return cached;
  const props = (schema['properties'] ?? {}) as Record<string, unknown>;
  const root = toJsonSchema({ ...schema, type: 'object', properties: { ...props, apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: props['metadata'] ?? { type: 'object' } } });
  const fn = ajv().compile(root as object);
  objectMetaValidator ??= requireImport<{ validate: Compiled }>('@kubernetes-models/apimachinery/_schemas/IoK8sApimachineryPkgApisMetaV1ObjectMeta').validate;
  const meta = objectMetaValidator;
  const validate = (data: object): readonly AjvError[] => {
    const errors: AjvError[] = fn(data) ? [] : [...(fn.errors ?? [])];
    const metadata = (data as { metadata?: unknown }).metadata;
    if (metadata !== undefined && !meta(metadata, { instancePath: '/metadata' })) errors.push(...(meta.errors ?? []));
    return errors;
  };
  compiledBySchema.set(schema, validate);
  return validate;
}

/**
 * OpenAPI v3 (structural CRD schema) to the JSON Schema ajv compiles:
 * `x-kubernetes-int-or-string` becomes integer-or-string, an embedded
 * resource accepts apiVersion, kind and metadata, and `nullable` without a
 * type is dropped (ajv requires a type beside it).
 */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'description' || k === 'example' || k === 'externalDocs') continue;
    out[k] = k === 'properties' || k === 'patternProperties' || k === 'definitions' ? mapValues(v, toJsonSchema) : k === 'enum' || k === 'required' || k === 'default' ? v : toJsonSchema(v);
  }
  // ajv skips a property whose schema accepts anything, so the strict field
  // check would not see it read: give every declared property a keyword.
  const props = out['properties'];
  if (props !== null && typeof props === 'object') {
    for (const [k, v] of Object.entries(props)) if (v !== null && typeof v === 'object' && Object.keys(v).length === 0) (props as Record<string, unknown>)[k] = { [PRESERVE_UNKNOWN]: false };
  }
  if (out['x-kubernetes-int-or-string'] === true && out['type'] === undefined && out['anyOf'] === undefined) out['anyOf'] = [{ type: 'integer' }, { type: 'string' }];
  if (out['x-kubernetes-embedded-resource'] === true) {
    out['properties'] = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object', [PRESERVE_UNKNOWN]: true }, ...((out['properties'] as object | undefined) ?? {}) };
  }
  if (out['nullable'] !== undefined && out['type'] === undefined) delete out['nullable'];
  return out;
}

function mapValues(v: unknown, f: (x: unknown) => unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, f(x)]));
}
