import type { IConstruct } from 'constructs';
import { parseImage } from '../core/image.js';
import { MANAGED_BY, recommendedLabels, selectorLabels, toLabelValue } from '../internal/labels.js';
import { claimName } from '../internal/names.js';

/** Metadata of one object: the keys every construct of this library sets. */
export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

/** Metadata of a namespaced object. */
export interface NamespacedMeta extends ObjectMeta {
  readonly namespace: string;
}

/** Inputs of {@link workloadIdentity}. */
export interface WorkloadIdentityOptions {
  /** Namespace of every namespaced object. */
  readonly namespace: string;
  /** Default object name and `app.kubernetes.io/instance`. */
  readonly name: string;
  /** `app.kubernetes.io/name`. @default - `name` */
  readonly appName?: string;
  /** Free text for `app.kubernetes.io/version` (made a valid label value). @default - the tag of `image` */
  readonly version?: string;
  /** The main image, whose tag is the version when `version` is not given. @default - no version */
  readonly image?: string;
  /** `app.kubernetes.io/component`. @default - none */
  readonly component?: string;
  /** `app.kubernetes.io/part-of`. @default - none */
  readonly partOf?: string;
  /** User labels, merged first so they never replace a recommended or selector label. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * What every object of one workload shares: the namespace, the recommended
 * labels and the stable selector pair; {@link WorkloadIdentity.meta} claims
 * each object's name as it is made, so a clash fails synth naming both
 * construct paths.
 */
export interface WorkloadIdentity {
  /** Namespace. */
  readonly namespace: string;
  /** Default object name (the instance). */
  readonly name: string;
  /** Recommended labels, on every object and pod. */
  readonly labels: Readonly<Record<string, string>>;
  /** The selector pair (`app.kubernetes.io/name` + `instance`); selectors are immutable, so nothing else. */
  readonly selector: Readonly<Record<string, string>>;
  /** Metadata of a namespaced object of `kind`, named `name` (default: the workload's), claiming the name. */
  meta(kind: string, name?: string, annotations?: Readonly<Record<string, string>>): NamespacedMeta;
  /** Metadata of a cluster-scoped object of `kind` (no namespace), claiming the name. */
  clusterMeta(kind: string, name: string): ObjectMeta;
}

/** The {@link WorkloadIdentity} of a construct's workload. */
export function workloadIdentity(scope: IConstruct, o: WorkloadIdentityOptions): WorkloadIdentity {
  const inputs = {
    name: o.appName ?? o.name,
    instance: o.name,
    version: toLabelValue(o.version ?? (o.image ? parseImage(o.image)?.tag : undefined)),
    component: o.component,
    partOf: o.partOf,
  };
  const labels = recommendedLabels(inputs, { ...o.labels });
  const build = (kind: string, name: string, namespace: string | undefined, annotations?: Readonly<Record<string, string>>): ObjectMeta => {
    claimName(scope, kind, namespace, name);
    return { name, ...(namespace !== undefined ? { namespace } : {}), labels, ...(annotations ? { annotations: { ...annotations } } : {}) };
  };
  return {
    namespace: o.namespace,
    name: o.name,
    labels,
    selector: selectorLabels(inputs),
    meta: (kind, name = o.name, annotations) => build(kind, name, o.namespace, annotations) as NamespacedMeta,
    clusterMeta: (kind, name) => build(kind, name, undefined),
  };
}

/** User labels plus `app.kubernetes.io/managed-by`, for objects that are not part of a workload (namespaces, rules, dashboards). */
export function managedLabels(labels: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { ...labels, 'app.kubernetes.io/managed-by': MANAGED_BY };
}

/**
 * Metadata of an object outside a workload: the given labels plus
 * `managed-by`, the name claimed. `namespace` undefined for a cluster-scoped object.
 */
export function managedMeta(
  scope: IConstruct,
  kind: string,
  namespace: string | undefined,
  name: string,
  labels: Readonly<Record<string, string>> = {},
  annotations?: Readonly<Record<string, string>>,
): ObjectMeta {
  claimName(scope, kind, namespace, name);
  return { name, ...(namespace !== undefined ? { namespace } : {}), labels: managedLabels(labels), ...(annotations ? { annotations: { ...annotations } } : {}) };
}
