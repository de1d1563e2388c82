import { k8s } from '../internal/plus.js';
import { restrictedPodSecurityContext, type RunAs } from './security.js';
import { list } from './container.js';

/** What {@link restrictedPodSpec} builds a pod spec from. */
export interface PodSpecOptions {
  /** The ServiceAccount (a dedicated one, or the user's). */
  readonly serviceAccountName: string;
  /** Mount the API token; only for pods granted API access. @default false */
  readonly automountServiceAccountToken?: boolean;
  /** UID, GID, fsGroup and extra groups. */
  readonly runAs: RunAs;
  readonly containers: readonly k8s.Container[];
  /** @default - none */
  readonly initContainers?: readonly k8s.Container[];
  /** Written even when empty. @default - none */
  readonly volumes?: readonly k8s.Volume[];
  /** Secrets for pulling images. @default - none */
  readonly imagePullSecrets?: readonly string[];
  /** `Never` for Jobs (each retry a new pod, whose logs stay readable). @default - the API's (`Always`) */
  readonly restartPolicy?: 'Never' | 'OnFailure';
  /** @default - the API's 30 s */
  readonly terminationGracePeriodSeconds?: number;
  /** Topology spread constraints ({@link spreadOverZonesAndHosts}). @default - none */
  readonly topologySpreadConstraints?: readonly k8s.TopologySpreadConstraint[];
  readonly affinity?: k8s.Affinity;
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly tolerations?: readonly k8s.Toleration[];
  readonly priorityClassName?: string;
  /** RuntimeClass the pods run with (a sandboxed runtime such as gVisor or Kata). @default - the cluster's default runtime */
  readonly runtimeClassName?: string;
}

/**
 * A pod spec that meets Pod Security "restricted": the restricted pod
 * security context, no API token unless asked for, and no service links
 * (the `<SVC>_SERVICE_HOST` variables leak every Service of the namespace
 * into the environment and slow down start-up in large namespaces).
 */
export function restrictedPodSpec(o: PodSpecOptions): k8s.PodSpec {
  return {
    restartPolicy: o.restartPolicy,
    serviceAccountName: o.serviceAccountName,
    automountServiceAccountToken: o.automountServiceAccountToken ?? false,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: o.terminationGracePeriodSeconds,
    securityContext: restrictedPodSecurityContext(o.runAs),
    imagePullSecrets: o.imagePullSecrets && o.imagePullSecrets.length > 0 ? o.imagePullSecrets.map((name) => ({ name })) : undefined,
    initContainers: list(o.initContainers),
    containers: [...o.containers],
    volumes: o.volumes ? [...o.volumes] : undefined,
    topologySpreadConstraints: list(o.topologySpreadConstraints),
    affinity: o.affinity,
    nodeSelector: o.nodeSelector && Object.keys(o.nodeSelector).length > 0 ? { ...o.nodeSelector } : undefined,
    tolerations: list(o.tolerations),
    priorityClassName: o.priorityClassName,
    runtimeClassName: o.runtimeClassName,
  };
}

/**
 * Soft spreading over zones and hosts (`ScheduleAnyway`, skew 1) of the
 * pods `selector` matches. For a Deployment, `matchLabelKeys:
 * [pod-template-hash]` spreads each ReplicaSet on its own, so a rollout is
 * not skewed by the old pods.
 * @see https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/
 */
export function spreadOverZonesAndHosts(selector: Readonly<Record<string, string>>, controller: 'Deployment' | 'StatefulSet' = 'Deployment'): k8s.TopologySpreadConstraint[] {
  return ['topology.kubernetes.io/zone', 'kubernetes.io/hostname'].map((topologyKey) => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: 'ScheduleAnyway',
    labelSelector: { matchLabels: { ...selector } },
    ...(controller === 'Deployment' ? { matchLabelKeys: ['pod-template-hash'] } : {}),
  }));
}

/** A pod template: labels (the workload's, plus any extra), annotations when there are any, and the spec. */
export interface PodTemplateOptions {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly spec: k8s.PodSpec;
}

/** Renders a pod template; empty annotations are not written. */
export function podTemplate(t: PodTemplateOptions): k8s.PodTemplateSpec {
  const annotations = t.annotations && Object.keys(t.annotations).length > 0 ? { ...t.annotations } : undefined;
  return { metadata: { labels: { ...t.labels }, annotations }, spec: t.spec };
}
