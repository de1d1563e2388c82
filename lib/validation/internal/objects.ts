import type { Manifest } from '../types.js';
import { WAIVER_ANNOTATION_PREFIX } from './annotations.js';
import { str, strMap, type StringMap } from './values.js';

/**
 * Kinds that are cluster-scoped. Everything else, custom resources included,
 * is treated as namespaced: almost every CRD an app ships (ServiceMonitor,
 * ExternalSecret, Certificate, HTTPRoute) is.
 */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'APIService',
  'CertificateSigningRequest',
  'ClusterExternalSecret',
  'ClusterIssuer',
  'ClusterRole',
  'ClusterRoleBinding',
  'ClusterSecretStore',
  'ComponentStatus',
  'CSIDriver',
  'CSINode',
  'CustomResourceDefinition',
  'FlowSchema',
  'GatewayClass',
  'IngressClass',
  'MutatingWebhookConfiguration',
  'Namespace',
  'Node',
  'PersistentVolume',
  'PriorityClass',
  'PriorityLevelConfiguration',
  'RuntimeClass',
  'StorageClass',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'ValidatingWebhookConfiguration',
  'VolumeAttachment',
  'VolumeSnapshotClass',
]);

/** The namespace an object without `metadata.namespace` lands in (kubectl's default context). */
export const DEFAULT_NAMESPACE = 'default';

/** One manifest with the identity facts every check needs, read once. */
export interface ObjectInfo {
  readonly manifest: Manifest;
  /** Position in the input. */
  readonly index: number;
  readonly kind: string;
  /** API group (`''` for the core group, `apps`, `networking.k8s.io`). */
  readonly group: string;
  readonly name: string;
  /** `metadata.namespace` as written (undefined when unset). */
  readonly namespace?: string;
  /** Whether the kind is namespaced. */
  readonly namespaced: boolean;
  /** Where the object lands: its namespace, `default` when unset, `''` when cluster-scoped. */
  readonly ns: string;
  readonly labels: StringMap;
  readonly annotations: StringMap;
  /**
   * Waiver annotations by check ID, reason trimmed (possibly empty; an empty
   * reason waives nothing).
   */
  readonly waivers: ReadonlyMap<string, string>;
}

/** The API group of an apiVersion (`apps/v1` → `apps`, `v1` → `''`). */
export function groupOf(apiVersion: string | undefined): string {
  if (!apiVersion) return '';
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

const NO_WAIVERS: ReadonlyMap<string, string> = new Map();

/** Reads the identity of one manifest. */
export function describeObject(manifest: Manifest, index: number): ObjectInfo {
  const kind = str(manifest.kind) ?? '';
  const meta = manifest.metadata;
  const namespaced = !CLUSTER_SCOPED_KINDS.has(kind);
  const namespace = str(meta?.namespace);
  const annotations = strMap(meta?.annotations);
  let waivers: Map<string, string> | undefined;
  for (const key in annotations) {
    if (key.startsWith(WAIVER_ANNOTATION_PREFIX)) (waivers ??= new Map()).set(key.slice(WAIVER_ANNOTATION_PREFIX.length), annotations[key]!.trim());
  }
  return {
    manifest,
    index,
    kind,
    group: groupOf(str(manifest.apiVersion)),
    name: str(meta?.name) ?? str(meta?.generateName) ?? '(unnamed)',
    ...(namespace !== undefined ? { namespace } : {}),
    namespaced,
    ns: namespaced ? (namespace !== undefined && namespace !== '' ? namespace : DEFAULT_NAMESPACE) : '',
    labels: strMap(meta?.labels),
    annotations,
    waivers: waivers ?? NO_WAIVERS,
  };
}

/** Reads the identity of every manifest that is an object (skips nulls and kind-less fragments). */
export function describeObjects(manifests: readonly Manifest[]): ObjectInfo[] {
  const out: ObjectInfo[] = [];
  manifests.forEach((m, i) => {
    if (m !== null && typeof m === 'object' && typeof m.kind === 'string' && m.kind !== '') out.push(describeObject(m, i));
  });
  return out;
}

/** `kind/namespace/name` key for lookups (namespace `''` for cluster-scoped kinds). */
export function refKey(kind: string, ns: string, name: string): string {
  return `${kind}/${ns}/${name}`;
}
