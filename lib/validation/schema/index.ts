/**
 * Strict structural validation of manifests, like `kubeconform -strict` and
 * the API server's strict field validation, for the Kubernetes release the
 * bundle targets.
 *
 * Every object is checked against the schema of its apiVersion/kind: built-in
 * kinds against the Kubernetes OpenAPI schemas compiled into
 * `kubernetes-models`, custom resources of prometheus-operator, cert-manager,
 * external-secrets, the Gateway API and sealed-secrets against theirs. Types,
 * formats (quantities, int32), enums and required fields come from those
 * compiled validators; unknown fields from the strict field check
 * (`FieldTracker`, strict.ts); what the target release serves from the
 * version tables (`API_LIFECYCLE` and `FIELD_GATES`, versions.ts).
 *
 * Findings use check WKL-06 (CHECKS.md): High for anything the API server
 * rejects (or, for fields behind a disabled feature gate, silently drops),
 * Medium for apiVersions that are deprecated but still served. WKL-06 is the
 * one check whose findings state their severity; `STATED_SEVERITIES`
 * (internal/checks.ts) documents why, and types what `report` accepts.
 */
import { DNS1123_SUBDOMAIN_PATTERN } from '../../core/schemas.js';
import type { STATED_SEVERITIES } from '../internal/checks.js';
import { type Finding, type KubernetesVersion, type Manifest } from '../types.js';
import { describeErrors } from './errors.js';
import { describeValue, formatPath, type Segment, valueAt } from './paths.js';
import { editDistance, isResolved, resolveKind, versionRank, versionsOf, type KindSchema, type Unresolved } from './registry.js';
import { FieldTracker } from './strict.js';
import type { CustomResourceRegistry } from './custom.js';
import { WAIVER_ANNOTATION_PREFIX } from '../internal/annotations.js';
import { gatedFields, lifecycleOf, minorOf, SUPPORTED_MINORS } from './versions.js';

const CHECK_ID = 'WKL-06';

/** What a WKL-06 finding may state: High for a rejection, Medium for a deprecation. */
type Wkl06Severity = (typeof STATED_SEVERITIES)[typeof CHECK_ID][number];

/**
 * Validates each manifest against the schema of its apiVersion/kind for the
 * target Kubernetes release and returns one finding per problem (none for a
 * valid bundle). Validators are loaded per kind on first use and cached, so
 * repeated calls cost only the validation itself.
 */
export function validateSchema(manifests: readonly Manifest[], options: SchemaOptions): Finding[] {
  const minor = minorOf(options.kubernetesVersion);
  const findings: Finding[] = [];
  for (const manifest of manifests) validateOne(manifest, minor, options.customResources, findings);
  return findings;
}

/** Options of {@link validateSchema}. */
export interface SchemaOptions {
  readonly kubernetesVersion: KubernetesVersion;
  /** Schemas of custom resources beyond the ones the library knows. */
  readonly customResources?: CustomResourceRegistry;
}

interface Subject {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

function validateOne(manifest: Manifest, minor: number, custom: CustomResourceRegistry | undefined, out: Finding[]): void {
  const subject = subjectOf(manifest);
  const waiver = waiverOf(manifest);
  const report = (severity: Wkl06Severity, path: readonly Segment[], message: string, fix: string): void => {
    out.push({ checkId: CHECK_ID, severity, ...subject, path: formatPath(path), message, fix, ...(waiver ? { waived: { reason: waiver } } : {}) });
  };
  if (manifest === null || typeof manifest !== 'object' || Array.isArray(manifest)) {
    report('High', [], `not a kubernetes object: got ${Array.isArray(manifest) ? 'an array' : JSON.stringify(manifest)}`, 'make every document a mapping with apiVersion, kind and metadata');
    return;
  }
  const { apiVersion, kind } = manifest;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    for (const field of ['apiVersion', 'kind'] as const) {
      const value = manifest[field];
      if (value === undefined) report('High', [field], `missing required field "${field}"`, `set ${field}`);
      else if (typeof value !== 'string') report('High', [field], `wrong type: expected string, got ${JSON.stringify(value)}`, `set ${field} to a string`);
    }
    return;
  }
  const resolved = resolveKind(apiVersion, kind, custom);
  if (!isResolved(resolved)) {
    reportUnresolved(resolved, apiVersion, kind, report);
    return;
  }
  checkLifecycle(resolved, minor, report);
  checkName(manifest, report);
  if (resolved.builtIn && SPEC_REQUIRED.has(kind) && manifest['spec'] === undefined) {
    report('High', ['spec'], 'missing required field "spec"', `set spec; the API server rejects a ${kind} without one`);
  }

  const tracker = new FieldTracker();
  const errors = resolved.validate(tracker.wrap(manifest));
  for (const p of describeErrors(errors, manifest)) report('High', p.path, p.message, p.fix);
  for (const u of tracker.unknownFields()) {
    // kubernetes-models leaves the `x-kubernetes-*` properties of
    // JSONSchemaProps out of its compiled validators (its generator strips
    // vendor extensions by name), so in a CustomResourceDefinition they are
    // known fields the validator cannot report reading.
    if (kind === 'CustomResourceDefinition' && u.key.startsWith('x-kubernetes-')) continue;
    const near = u.declaredAt ? undefined : closest(u.key, u.known);
    const fix = u.declaredAt
      ? valueAt(manifest, u.declaredAt) === undefined
        ? `move it to ${formatPath(u.declaredAt)}`
        : `remove it; the field belongs at ${formatPath(u.declaredAt)}, which is already set`
      : near
        ? `rename it to "${near}"`
        : `remove it (kubectl explain ${explainPath(kind, u.path)} lists the accepted fields)`;
    const value = valueAt(manifest, u.path);
    const shown = value !== null && typeof value === 'object' ? '' : ` (value ${describeValue(value)})`;
    report('High', u.path, `unknown field "${u.key}"${shown}`, fix);
  }
  if (resolved.builtIn) {
    for (const { gate, path } of gatedFields(manifest, kind, minor)) {
      const field = String(path[path.length - 1]);
      const version = `kubernetes 1.${minor}`;
      const since = gate.defaultOn === undefined ? `not on by default up to 1.${SUPPORTED_MINORS.newest}` : `on by default from 1.${gate.defaultOn}`;
      const message =
        minor < gate.alpha
          ? `field "${field}" is not in the ${version} API (added in 1.${gate.alpha}, ${since})`
          : `field "${field}" needs the ${gate.feature} feature gate, off by default in ${version} (${since}); the API server drops it`;
      report('High', path, message, gate.fix);
    }
  }
}

/**
 * The reason of the object's WKL-06 waiver annotation, when it gives one: a
 * waiver applies to schema findings as to any other (an empty reason waives
 * nothing and is reported by the policy layer as WAIVER-01).
 */
export function waiverOf(manifest: Manifest): string | undefined {
  const annotations = manifest !== null && typeof manifest === 'object' ? manifest.metadata?.annotations : undefined;
  const reason = annotations !== null && typeof annotations === 'object' ? annotations[WAIVER_ANNOTATION_PREFIX + CHECK_ID] : undefined;
  return typeof reason === 'string' && reason.trim() !== '' ? reason.trim() : undefined;
}

function subjectOf(manifest: Manifest): Subject {
  const m: Partial<Manifest> = manifest !== null && typeof manifest === 'object' ? manifest : {};
  const kind = typeof m.kind === 'string' ? m.kind : '<unknown>';
  const name = typeof m.metadata?.name === 'string' ? m.metadata.name : '<unnamed>';
  const namespace = m.metadata?.namespace;
  return typeof namespace === 'string' ? { kind, namespace, name } : { kind, name };
}

type Report = (severity: Wkl06Severity, path: readonly Segment[], message: string, fix: string) => void;

function reportUnresolved(r: Unresolved, apiVersion: string, kind: string, report: Report): void {
  switch (r.reason) {
    case 'malformed':
      report('High', [r.field], r.message, 'write apiVersion as <group>/<version> (or v1 for the core group) and kind in PascalCase');
      return;
    case 'unknown-group':
      report(
        'High',
        ['apiVersion'],
        `unknown apiVersion "${apiVersion}": no schema for group "${r.group}" (kind ${kind})`,
        'check the spelling, or register the CRD of this kind (enableVerification(app, { customResources }) at synth, --crd <file> for the validate CLI)',
      );
      return;
    case 'unknown-version':
      report('High', ['apiVersion'], `unknown apiVersion "${apiVersion}": group "${r.group || 'core'}" has versions ${r.versions.join(', ')}`, `use one of ${r.versions.map((v) => (r.group ? `${r.group}/${v}` : v)).join(', ')}`);
      return;
    case 'unknown-kind':
      report(
        'High',
        ['kind'],
        `unknown kind "${kind}" in apiVersion "${apiVersion}"`,
        r.suggestion ? `rename the kind to "${r.suggestion}"` : `check the kind and apiVersion against the API reference`,
      );
      return;
  }
}

function checkLifecycle(schema: KindSchema, minor: number, report: Report): void {
  const { apiVersion, kind } = schema;
  if (schema.deprecated !== undefined) {
    report('Medium', ['apiVersion'], `apiVersion "${apiVersion}" of ${kind} is deprecated: ${schema.deprecated}`, 'change apiVersion to the version its CRD marks as the replacement');
    return;
  }
  if (!schema.builtIn) {
    // Custom resources: a kind that the same group also has in a more stable
    // version is on its way out (the CRD marks the older version deprecated
    // before the operator stops serving it), e.g. external-secrets.io/v1beta1
    // once v1 exists.
    const newer = versionsOf(schema.group).find((v) => v !== schema.version && versionRank(v) > versionRank(schema.version) && isResolved(resolveKind(`${schema.group}/${v}`, kind)));
    if (newer) {
      report('Medium', ['apiVersion'], `apiVersion "${apiVersion}" of ${kind} is deprecated: ${schema.group}/${newer} is available`, `change apiVersion to ${schema.group}/${newer} and check the fields that changed between the versions`);
    }
    return;
  }
  const life = lifecycleOf(apiVersion, kind);
  if (!life) return;
  const target = `kubernetes 1.${minor}`;
  if (life.introduced !== undefined && minor < life.introduced) {
    const added = life.introduced > SUPPORTED_MINORS.newest ? `not served up to 1.${SUPPORTED_MINORS.newest}` : `added in 1.${life.introduced}`;
    report('High', ['apiVersion'], `apiVersion "${apiVersion}" of ${kind} is not served by ${target} (${added})`, `target a release that serves it, or use ${life.instead}`);
  } else if (life.removed !== undefined && minor >= life.removed) {
    report('High', ['apiVersion'], `apiVersion "${apiVersion}" of ${kind} is not served by ${target} (removed in 1.${life.removed})`, `use ${life.instead}`);
  } else if (life.removed !== undefined) {
    report('Medium', ['apiVersion'], `apiVersion "${apiVersion}" of ${kind} is deprecated and removed in kubernetes 1.${life.removed}`, `use ${life.instead}`);
  } else if (life.deprecated !== undefined && minor >= life.deprecated) {
    report('Medium', ['apiVersion'], `apiVersion "${apiVersion}" of ${kind} is deprecated since kubernetes 1.${life.deprecated}`, `use ${life.instead}`);
  }
}

// The OpenAPI schemas mark every `spec` optional, but the API server's
// validation of these kinds requires fields inside it (a pod template,
// containers, scaleTargetRef, ports, resources), so an object without spec is
// rejected (D-TAL-03: a Job with no spec).
const SPEC_REQUIRED: ReadonlySet<string> = new Set([
  'Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Service', 'HorizontalPodAutoscaler', 'PersistentVolumeClaim',
]);

// Names the API server accepts for most kinds (RFC 1123 subdomain,
// DNS1123_SUBDOMAIN_PATTERN of lib/core/schemas.ts); the compiled schemas do
// not check names.

function checkName(manifest: Manifest, report: Report): void {
  const meta = manifest.metadata;
  if (meta === undefined || meta === null || typeof meta !== 'object') {
    report('High', ['metadata'], 'missing required field "metadata"', 'set metadata.name');
    return;
  }
  const { name } = meta;
  if (name === undefined) {
    if (meta['generateName'] === undefined) report('High', ['metadata', 'name'], 'missing required field "name"', 'set metadata.name');
    return;
  }
  if (typeof name === 'string' && (name.length > 253 || !DNS1123_SUBDOMAIN_PATTERN.test(name))) {
    report('High', ['metadata', 'name'], `invalid name ${JSON.stringify(name)}: must be lowercase letters, digits, "-" and "." (RFC 1123), at most 253 characters`, 'rename the object, e.g. lowercase it and replace other characters with "-"');
  }
}

function explainPath(kind: string, path: readonly Segment[]): string {
  return [kind.toLowerCase(), ...path.slice(0, -1).filter((s): s is string => typeof s === 'string')].join('.');
}

function closest(key: string, known: ReadonlySet<string>): string | undefined {
  let best: { name: string; distance: number } | undefined;
  const lower = key.toLowerCase();
  for (const name of known) {
    const d = editDistance(lower, name.toLowerCase());
    if (d <= Math.max(1, Math.floor(key.length / 5)) && (best === undefined || d < best.distance)) best = { name, distance: d };
  }
  return best?.name;
}
