/**
 * What differs between the Kubernetes releases this library supports
 * (1.28 to 1.33): which apiVersions each serves, and which fields each
 * accepts.
 *
 * Why a table: `kubernetes-models` carries one schema per apiVersion, the
 * union of all releases (it still has `policy/v1beta1` and already has fields
 * of 1.34), and no npm package ships per-release schemas. The differences that
 * matter for manifests are few and are listed here, each from the Kubernetes
 * deprecated API migration guide
 * (https://kubernetes.io/docs/reference/using-api/deprecation-guide/) or the
 * feature-gate table of the release that added the field
 * (https://kubernetes.io/docs/reference/command-line-tools-reference/feature-gates/).
 * The field gates are cross-checked in the tests against the 1.28 API
 * generated into cdk8s-plus-28.
 */
import { type KubernetesVersion } from '../types.js';
import { type Segment } from './paths.js';

/** The oldest and newest Kubernetes minor versions the validators know. */
export const SUPPORTED_MINORS = { oldest: 28, newest: 33 } as const;

/** The minor number of a supported version: 28 for '1.28'. */
export function minorOf(version: KubernetesVersion): number {
  return Number(version.split('.')[1]);
}

/** When an apiVersion (or one kind of it) is served by default. */
export interface ApiLifecycle {
  /** First minor that serves it by default. @default - served by every supported release */
  readonly introduced?: number;
  /** Minor that deprecated it (it is still served until `removed`). @default - not deprecated */
  readonly deprecated?: number;
  /** First minor that no longer serves it. @default - not removed */
  readonly removed?: number;
  /** What to use instead (or, for `introduced`, what older releases have). */
  readonly instead: string;
}

/**
 * apiVersion lifecycle of the built-in kinds, keyed by apiVersion or by
 * `apiVersion Kind` where kinds of one apiVersion differ. Sources: the
 * deprecated API migration guide (removals 1.16 to 1.32), the 1.29 release
 * notes (flowcontrol v1 GA), 1.30 (ValidatingAdmissionPolicy GA), 1.33
 * (ServiceCIDR and IPAddress GA, v1 Endpoints deprecated) and 1.34 (DRA,
 * VolumeAttributesClass GA).
 */
export const API_LIFECYCLE: Readonly<Record<string, ApiLifecycle>> = {
  'extensions/v1beta1': { removed: 16, instead: 'apps/v1' },
  'extensions/v1beta1 Ingress': { removed: 22, instead: 'networking.k8s.io/v1' },
  'extensions/v1beta1 NetworkPolicy': { removed: 16, instead: 'networking.k8s.io/v1' },
  'extensions/v1beta1 PodSecurityPolicy': { removed: 16, instead: 'Pod Security Admission namespace labels' },
  'apps/v1beta1': { removed: 16, instead: 'apps/v1' },
  'apps/v1beta2': { removed: 16, instead: 'apps/v1' },
  'admissionregistration.k8s.io/v1beta1': { removed: 22, instead: 'admissionregistration.k8s.io/v1' },
  'apiextensions.k8s.io/v1beta1': { removed: 22, instead: 'apiextensions.k8s.io/v1' },
  'apiregistration.k8s.io/v1beta1': { removed: 22, instead: 'apiregistration.k8s.io/v1' },
  'authentication.k8s.io/v1beta1': { removed: 22, instead: 'authentication.k8s.io/v1' },
  'authorization.k8s.io/v1beta1': { removed: 22, instead: 'authorization.k8s.io/v1' },
  'certificates.k8s.io/v1beta1': { removed: 22, instead: 'certificates.k8s.io/v1' },
  'coordination.k8s.io/v1beta1': { removed: 22, instead: 'coordination.k8s.io/v1' },
  'networking.k8s.io/v1beta1': { removed: 22, instead: 'networking.k8s.io/v1' },
  'rbac.authorization.k8s.io/v1beta1': { removed: 22, instead: 'rbac.authorization.k8s.io/v1' },
  'scheduling.k8s.io/v1beta1': { removed: 22, instead: 'scheduling.k8s.io/v1' },
  'storage.k8s.io/v1beta1': { removed: 22, instead: 'storage.k8s.io/v1' },
  'storage.k8s.io/v1beta1 CSIStorageCapacity': { removed: 27, instead: 'storage.k8s.io/v1' },
  'batch/v1beta1': { removed: 25, instead: 'batch/v1' },
  'discovery.k8s.io/v1beta1': { removed: 25, instead: 'discovery.k8s.io/v1' },
  'events.k8s.io/v1beta1': { removed: 25, instead: 'events.k8s.io/v1' },
  'autoscaling/v2beta1': { removed: 25, instead: 'autoscaling/v2' },
  'node.k8s.io/v1beta1': { removed: 25, instead: 'node.k8s.io/v1' },
  'policy/v1beta1': { removed: 25, instead: 'policy/v1' },
  'policy/v1beta1 PodSecurityPolicy': { removed: 25, instead: 'Pod Security Admission namespace labels' },
  'autoscaling/v2beta2': { removed: 26, instead: 'autoscaling/v2' },
  'flowcontrol.apiserver.k8s.io/v1beta1': { removed: 26, instead: 'flowcontrol.apiserver.k8s.io/v1beta3 (v1 from 1.29)' },
  'flowcontrol.apiserver.k8s.io/v1beta2': { deprecated: 26, removed: 29, instead: 'flowcontrol.apiserver.k8s.io/v1beta3 (v1 from 1.29)' },
  'flowcontrol.apiserver.k8s.io/v1beta3': { deprecated: 29, removed: 32, instead: 'flowcontrol.apiserver.k8s.io/v1' },
  'flowcontrol.apiserver.k8s.io/v1': { introduced: 29, instead: 'flowcontrol.apiserver.k8s.io/v1beta3' },
  'admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy': { introduced: 30, instead: 'no default-on alternative before 1.30' },
  'admissionregistration.k8s.io/v1 ValidatingAdmissionPolicyBinding': { introduced: 30, instead: 'no default-on alternative before 1.30' },
  'admissionregistration.k8s.io/v1 MutatingAdmissionPolicy': { introduced: 34, instead: 'a mutating admission webhook' },
  'admissionregistration.k8s.io/v1 MutatingAdmissionPolicyBinding': { introduced: 34, instead: 'a mutating admission webhook' },
  'networking.k8s.io/v1 IPAddress': { introduced: 33, instead: 'no default-on alternative before 1.33' },
  'networking.k8s.io/v1 ServiceCIDR': { introduced: 33, instead: 'no default-on alternative before 1.33' },
  'resource.k8s.io/v1': { introduced: 34, instead: 'no default-on alternative before 1.34' },
  'storage.k8s.io/v1 VolumeAttributesClass': { introduced: 34, instead: 'no default-on alternative before 1.34' },
  'v1 Endpoints': { deprecated: 33, instead: 'discovery.k8s.io/v1 EndpointSlice' },
  'v1 ComponentStatus': { deprecated: 19, instead: 'the API server health endpoints (/livez, /readyz)' },
};

/** The lifecycle entry for a built-in apiVersion/kind, if any. */
export function lifecycleOf(apiVersion: string, kind: string): ApiLifecycle | undefined {
  return API_LIFECYCLE[`${apiVersion} ${kind}`] ?? API_LIFECYCLE[apiVersion];
}

/** Where a gated field lives: a kind of sub-object found under several kinds. */
export type GateScope = 'pod' | 'container' | 'podAffinityTerm' | 'job' | 'service' | 'pvc' | 'statefulSet' | 'hpa';

/** A field that some supported release lacks, or has only behind a feature gate that is off by default. */
export interface FieldGate {
  readonly scope: GateScope;
  /** Path below the scope; `[*]` walks every array item. */
  readonly path: string;
  /** First minor whose API has the field (as alpha). */
  readonly alpha: number;
  /** First minor where it works by default (beta on by default, or GA). @default - off by default in every supported release */
  readonly defaultOn?: number;
  /** The feature gate, for the message. */
  readonly feature: string;
  /** How to do without it on older releases. */
  readonly fix: string;
}

/**
 * Fields of the built-in kinds added or enabled by default after 1.28, each
 * with the release that added the feature gate and the release that turned it
 * on by default (feature-gate table of the Kubernetes docs). Writing such a
 * field for an older release is rejected (strict field validation, when the
 * release lacks it) or silently dropped (when its gate is off).
 */
export const FIELD_GATES: readonly FieldGate[] = [
  {
    scope: 'container', path: 'lifecycle.preStop.sleep', alpha: 29, defaultOn: 30, feature: 'PodLifecycleSleepAction',
    fix: 'target kubernetes 1.30 or later, or delay shutdown with an exec preStop hook that runs a sleep binary of the image',
  },
  {
    scope: 'container', path: 'lifecycle.postStart.sleep', alpha: 29, defaultOn: 30, feature: 'PodLifecycleSleepAction',
    fix: 'target kubernetes 1.30 or later, or use an exec postStart hook that runs a sleep binary of the image',
  },
  { scope: 'container', path: 'lifecycle.stopSignal', alpha: 33, feature: 'ContainerStopSignals', fix: 'remove it and handle SIGTERM in the application' },
  {
    scope: 'container', path: 'securityContext.appArmorProfile', alpha: 30, defaultOn: 30, feature: 'AppArmorFields',
    fix: 'target kubernetes 1.30 or later, or use the container.apparmor.security.beta.kubernetes.io/<container> pod annotation',
  },
  { scope: 'container', path: 'volumeMounts[*].recursiveReadOnly', alpha: 30, defaultOn: 31, feature: 'RecursiveReadOnlyMounts', fix: 'target kubernetes 1.31 or later, or remove it (readOnly: true alone is not recursive)' },
  { scope: 'container', path: 'resizePolicy', alpha: 27, defaultOn: 33, feature: 'InPlacePodVerticalScaling', fix: 'target kubernetes 1.33 or later, or remove it (resource changes then restart the pod)' },
  { scope: 'container', path: 'restartPolicyRules', alpha: 34, feature: 'ContainerRestartRules', fix: 'remove it' },
  { scope: 'container', path: 'env[*].valueFrom.fileKeyRef', alpha: 34, feature: 'EnvFiles', fix: 'use configMapKeyRef or secretKeyRef' },
  {
    scope: 'pod', path: 'initContainers[*].restartPolicy', alpha: 28, defaultOn: 29, feature: 'SidecarContainers',
    fix: 'target kubernetes 1.29 or later, or run the sidecar as a regular container',
  },
  {
    scope: 'pod', path: 'securityContext.appArmorProfile', alpha: 30, defaultOn: 30, feature: 'AppArmorFields',
    fix: 'target kubernetes 1.30 or later, or use the container.apparmor.security.beta.kubernetes.io/<container> pod annotation',
  },
  { scope: 'pod', path: 'securityContext.supplementalGroupsPolicy', alpha: 31, defaultOn: 33, feature: 'SupplementalGroupsPolicy', fix: 'target kubernetes 1.33 or later, or remove it' },
  { scope: 'pod', path: 'hostUsers', alpha: 25, defaultOn: 33, feature: 'UserNamespacesSupport', fix: 'target kubernetes 1.33 or later, or remove it' },
  { scope: 'pod', path: 'resources', alpha: 32, feature: 'PodLevelResources', fix: 'set resources on each container instead' },
  { scope: 'pod', path: 'volumes[*].image', alpha: 31, feature: 'ImageVolume', fix: 'copy the files from an init container into an emptyDir volume' },
  { scope: 'pod', path: 'hostnameOverride', alpha: 34, feature: 'HostnameOverride', fix: 'use hostname and subdomain' },
  { scope: 'podAffinityTerm', path: 'matchLabelKeys', alpha: 29, defaultOn: 31, feature: 'MatchLabelKeysInPodAffinity', fix: 'target kubernetes 1.31 or later, or list the label values in labelSelector' },
  { scope: 'podAffinityTerm', path: 'mismatchLabelKeys', alpha: 29, defaultOn: 31, feature: 'MatchLabelKeysInPodAffinity', fix: 'target kubernetes 1.31 or later, or list the label values in labelSelector' },
  { scope: 'job', path: 'podReplacementPolicy', alpha: 28, defaultOn: 29, feature: 'JobPodReplacementPolicy', fix: 'target kubernetes 1.29 or later, or remove it' },
  { scope: 'job', path: 'backoffLimitPerIndex', alpha: 28, defaultOn: 29, feature: 'JobBackoffLimitPerIndex', fix: 'target kubernetes 1.29 or later, or use backoffLimit' },
  { scope: 'job', path: 'maxFailedIndexes', alpha: 28, defaultOn: 29, feature: 'JobBackoffLimitPerIndex', fix: 'target kubernetes 1.29 or later, or use backoffLimit' },
  { scope: 'job', path: 'successPolicy', alpha: 30, defaultOn: 31, feature: 'JobSuccessPolicy', fix: 'target kubernetes 1.31 or later, or remove it' },
  { scope: 'job', path: 'managedBy', alpha: 30, defaultOn: 32, feature: 'JobManagedBy', fix: 'target kubernetes 1.32 or later, or remove it' },
  { scope: 'service', path: 'trafficDistribution', alpha: 30, defaultOn: 31, feature: 'ServiceTrafficDistribution', fix: 'target kubernetes 1.31 or later, or remove it' },
  { scope: 'pvc', path: 'volumeAttributesClassName', alpha: 29, feature: 'VolumeAttributesClass', fix: 'remove it and choose the volume parameters through storageClassName' },
  { scope: 'statefulSet', path: 'updateStrategy.rollingUpdate.maxUnavailable', alpha: 24, feature: 'MaxUnavailableStatefulSet', fix: 'remove it (StatefulSet rolling updates replace one pod at a time)' },
  { scope: 'hpa', path: 'behavior.scaleUp.tolerance', alpha: 33, feature: 'HPAConfigurableTolerance', fix: 'remove it (the cluster-wide tolerance of 10% applies)' },
  { scope: 'hpa', path: 'behavior.scaleDown.tolerance', alpha: 33, feature: 'HPAConfigurableTolerance', fix: 'remove it (the cluster-wide tolerance of 10% applies)' },
];

const POD_TEMPLATE_SPEC: Readonly<Record<string, string>> = {
  Pod: 'spec',
  PodTemplate: 'template.spec',
  Deployment: 'spec.template.spec',
  StatefulSet: 'spec.template.spec',
  DaemonSet: 'spec.template.spec',
  ReplicaSet: 'spec.template.spec',
  ReplicationController: 'spec.template.spec',
  Job: 'spec.template.spec',
  CronJob: 'spec.jobTemplate.spec.template.spec',
};

const AFFINITY_TERMS = [
  'affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[*]',
  'affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[*].podAffinityTerm',
  'affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[*]',
  'affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[*].podAffinityTerm',
];

/** The path patterns where objects of `scope` sit inside a manifest of `kind`. */
function scopeRoots(scope: GateScope, kind: string): string[] {
  const pod = POD_TEMPLATE_SPEC[kind];
  switch (scope) {
    case 'pod':
      return pod ? [pod] : [];
    case 'container':
      return pod ? ['containers', 'initContainers', 'ephemeralContainers'].map((c) => `${pod}.${c}[*]`) : [];
    case 'podAffinityTerm':
      return pod ? AFFINITY_TERMS.map((t) => `${pod}.${t}`) : [];
    case 'job':
      return kind === 'Job' ? ['spec'] : kind === 'CronJob' ? ['spec.jobTemplate.spec'] : [];
    case 'service':
      return kind === 'Service' ? ['spec'] : [];
    case 'pvc':
      return [
        ...(kind === 'PersistentVolumeClaim' ? ['spec'] : []),
        ...(kind === 'StatefulSet' ? ['spec.volumeClaimTemplates[*].spec'] : []),
        ...(pod ? [`${pod}.volumes[*].ephemeral.volumeClaimTemplate.spec`] : []),
      ];
    case 'statefulSet':
      return kind === 'StatefulSet' ? ['spec'] : [];
    case 'hpa':
      return kind === 'HorizontalPodAutoscaler' ? ['spec'] : [];
  }
}

/** A gated field found in a manifest. */
export interface GatedField {
  /** The table entry that matched. */
  readonly gate: FieldGate;
  /** Where the manifest sets the field. */
  readonly path: readonly Segment[];
}

/**
 * The gate paths that can occur in one kind and that one minor does not serve
 * by default, merged into a tree of path tokens, so that a manifest is walked
 * once, not once per path: a Deployment's `spec.template.spec` is the start
 * of some forty of them. Children are kept in arrays and walked with indexed
 * loops: this runs once per synth over every object, before it is optimized.
 */
interface GateTree {
  /** Field names below this point, and the tree below each (same positions). */
  readonly keys: string[];
  readonly subtrees: GateTree[];
  /** The tree below every item, when this point is an array (`[*]`). */
  items: GateTree | undefined;
  /** The paths that end here: their position in the gate table order, and the gate. */
  readonly ends: { readonly order: number; readonly gate: FieldGate }[];
}

const trees = new Map<string, GateTree>();

const newTree = (): GateTree => ({ keys: [], subtrees: [], items: undefined, ends: [] });

// The tree of every gate path of `kind` off by default in `minor`, built once per kind and minor.
function gateTree(kind: string, minor: number): GateTree {
  const key = `${kind} ${minor}`;
  let tree = trees.get(key);
  if (!tree) {
    tree = newTree();
    let order = 0;
    for (const gate of FIELD_GATES) {
      for (const root of scopeRoots(gate.scope, kind)) {
        // Counted for every path, so `order` is the position in the unfiltered table.
        const position = order++;
        if (gate.defaultOn !== undefined && gate.defaultOn <= minor) continue;
        // A match is a field set on an object; the walk records none at an array item.
        if (gate.path.endsWith('[*]')) throw new Error(`FIELD_GATES: ${gate.scope} path ${gate.path} must end in a field name`);
        let node = tree;
        for (const token of `${root}.${gate.path}`.replace(/\[\*\]/g, '.*').split('.')) {
          if (token === '*') {
            node = node.items ??= newTree();
            continue;
          }
          const at = node.keys.indexOf(token);
          if (at >= 0) {
            node = node.subtrees[at]!;
          } else {
            const next = newTree();
            node.keys.push(token);
            node.subtrees.push(next);
            node = next;
          }
        }
        node.ends.push({ order: position, gate });
      }
    }
    trees.set(key, tree);
  }
  return tree;
}

/**
 * The gated fields a built-in manifest sets that `minor` does not serve by
 * default, in the order of the gate table (then of the manifest's array items).
 */
export function gatedFields(manifest: object, kind: string, minor: number): GatedField[] {
  const found: { order: number; field: GatedField }[] = [];
  walk(manifest, gateTree(kind, minor), [], found);
  // The walk finds one path's matches in array order; a stable sort puts the paths in table order.
  return found.length === 0 ? [] : found.sort((a, b) => a.order - b.order).map((f) => f.field);
}

/** Adds the path of every key under `value` that a path of `tree` names and `value` sets. */
function walk(value: unknown, tree: GateTree, path: Segment[], found: { order: number; field: GatedField }[]): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    const items = tree.items;
    if (!items) return;
    for (let index = 0; index < value.length; index++) {
      // As forEach: holes are skipped.
      if (!(index in value)) continue;
      path.push(index);
      walk(value[index], items, path, found);
      path.pop();
    }
    return;
  }
  const { keys, subtrees } = tree;
  for (let i = 0; i < keys.length; i++) {
    const token = keys[i]!;
    if (!Object.hasOwn(value, token)) continue;
    const v = (value as Record<string, unknown>)[token];
    const child = subtrees[i]!;
    path.push(token);
    if (v !== undefined) for (const end of child.ends) found.push({ order: end.order, field: { gate: end.gate, path: [...path] } });
    walk(v, child, path, found);
    path.pop();
  }
}
