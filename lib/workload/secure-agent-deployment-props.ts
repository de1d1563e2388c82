import { z } from 'zod';
import { checkImageForProfile, imageReference } from '../core/image.js';
import { PROFILE_DEFAULTS, profileSchema, type Profile } from '../core/profile.js';
import { bytesQuantity, dnsLabel, dnsSubdomain, httpPath, labelMap, portNumber, workloadName } from '../core/schemas.js';
import { namespaceReference, type NamespaceReference } from '../namespace/namespace-reference.js';
import { problem } from '../internal/props.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import { checkExposure, exposureSchema, type ExposureOptions } from '../exposure/exposure.js';
import { egressRuleSchema, ingressSourceSchema, podPeerSchema, type EgressRuleOptions, type PodPeer } from '../network/peers.js';
import {
  containerPortSchema,
  envFromSchema,
  envSchema,
  extraContainerSchema,
  tolerationSchema,
  probeSchema,
  resourcesSchema,
  type ContainerPortOptions,
  type EnvFromSource,
  type EnvValue,
  type ExtraContainerOptions,
  type ProbeOptions,
  type Resources,
  type TolerationOptions,
} from './container.js';

/**
 * One scaling policy of a HorizontalPodAutoscaler's behavior.
 * @see https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#scaling-policies
 */
export interface ScalingPolicy {
  /** `Percent` of the current replicas, or a number of `Pods`. */
  readonly type: 'Percent' | 'Pods';
  /** Amount per period, 1 or more. */
  readonly value: number;
  /** Length of the period in seconds, 1-1800. */
  readonly periodSeconds: number;
}

/**
 * How a HorizontalPodAutoscaler scales in one direction.
 * @see https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#configurable-scaling-behavior
 */
export interface ScalingRules {
  /** Seconds of past recommendations the decision considers, 0-3600. */
  readonly stabilizationWindowSeconds: number;
  /** Scaling policies, at least one. */
  readonly policies: readonly ScalingPolicy[];
  /** Which policy wins when several apply: the largest change, the smallest, or none. @default 'Max' */
  readonly selectPolicy?: 'Max' | 'Min' | 'Disabled';
}

/**
 * A custom per-pod metric and its target; it needs a custom metrics adapter such as prometheus-adapter.
 * @see https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale-walkthrough/#autoscaling-on-multiple-metrics-and-custom-metrics
 */
export interface PodsMetric {
  /** Metric name, as the metrics adapter serves it. */
  readonly name: string;
  /** Target average per pod, a quantity like `10` or `500m`. */
  readonly averageValue: string;
}

/**
 * How a HorizontalPodAutoscaler scales up and down.
 * @see https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#configurable-scaling-behavior
 */
export interface ScalingBehavior {
  /** Rules for scaling up. */
  readonly scaleUp: ScalingRules;
  /** Rules for scaling down. */
  readonly scaleDown: ScalingRules;
}

/**
 * A HorizontalPodAutoscaler (autoscaling/v2) on CPU, optionally memory and
 * custom per-pod metrics. Utilization targets are percentages of the
 * container requests.
 * @see https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/
 */
export interface AutoscalingOptions {
  /** Minimum replicas, 1 or more (2 or more outside `dev`). */
  readonly minReplicas: number;
  /** Maximum replicas, at least `minReplicas`. */
  readonly maxReplicas: number;
  /** Target average CPU utilization, percent of the CPU request (1-100). @default 70 */
  readonly cpuUtilization?: number;
  /** Target average memory utilization, percent of the memory request (1-100). @default - memory not used */
  readonly memoryUtilization?: number;
  /** Custom per-pod metrics, each with a target average per pod. @default [] */
  readonly podsMetrics?: readonly PodsMetric[];
  /**
   * Scaling behaviour up and down.
   * @default - up: 60 s window, +100 % per 30 s; down: 300 s window, -50 % per 60 s
   */
  readonly behavior?: ScalingBehavior;
}

/**
 * A PodDisruptionBudget; exactly one of the two keys. It must never block a
 * node drain, so `maxUnavailable` is 1 or more and `minAvailable` stays below
 * the minimum replica count.
 * @see https://kubernetes.io/docs/tasks/run-application/configure-pdb/
 */
export interface DisruptionBudgetOptions {
  /** Pods that must stay available: a count or a percentage like `'50%'`. @default - unset; give this or maxUnavailable */
  readonly minAvailable?: number | string;
  /** Pods that may be down at once: a count or a percentage like `'25%'`. @default - unset; give this or minAvailable */
  readonly maxUnavailable?: number | string;
}

/**
 * Bounds of a rolling update, counts or percentages like `'25%'`; they may not both be 0.
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#rolling-update-deployment
 */
export interface RollingUpdateOptions {
  /** Pods created above the desired count during a rollout. @default 1 */
  readonly maxSurge?: number | string;
  /** Pods that may be unavailable during a rollout. @default 0 */
  readonly maxUnavailable?: number | string;
}

/**
 * Where Prometheus scrapes the app's metrics.
 * @see https://kubernetes.io/docs/concepts/cluster-administration/system-metrics/
 */
export interface MetricsOptions {
  /** Metrics port, named `metrics`; equal to `port` to serve metrics on the app port. @default 9090 */
  readonly port?: number;
  /** Metrics path. @default '/metrics' */
  readonly path?: string;
  /** Pods allowed to scrape the port (a NetworkPolicy rule). @default - Prometheus pods in `monitoring` */
  readonly scrapeFrom?: PodPeer;
}

/**
 * The ClusterIP Service in front of the pods.
 * @see https://kubernetes.io/docs/concepts/services-networking/service/
 */
export interface AgentServiceOptions {
  /** Service port of the app port (`http`). @default 80 */
  readonly port?: number;
  /**
   * `ClientIP` pins in-cluster clients to one pod; ingress controllers
   * route to pods directly and bypass it.
   * @default 'None'
   * @see https://kubernetes.io/docs/reference/networking/virtual-ips/#session-affinity
   */
  readonly sessionAffinity?: 'None' | 'ClientIP';
  /** Affinity timeout for `ClientIP`, 1-86400 seconds. @default 10800 */
  readonly sessionAffinityTimeoutSeconds?: number;
}

/**
 * User and group IDs of the pod; root (0) is never allowed.
 * @see https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
 */
export interface RunAsOptions {
  /** UID of every container, 1 or more. @default 10001 */
  readonly runAsUser?: number;
  /** GID of every container. @default - runAsUser */
  readonly runAsGroup?: number;
  /** Group owning mounted volumes. @default - runAsGroup */
  readonly fsGroup?: number;
}

/**
 * A writable emptyDir volume (the root filesystem is read-only).
 * @see https://kubernetes.io/docs/concepts/storage/volumes/#emptydir
 */
export interface ScratchVolume {
  /** Volume name, unique in the pod. */
  readonly name: string;
  /** Absolute mount path. */
  readonly mountPath: string;
  /** Size limit, like `256Mi`; it counts against ephemeral storage (or memory for `Memory`). */
  readonly sizeLimit: string;
  /** `Memory` for a tmpfs. @default - node disk */
  readonly medium?: 'Memory';
}

/**
 * Config files in a ConfigMap the construct creates, mounted read-only.
 * @see https://kubernetes.io/docs/concepts/storage/volumes/#configmap
 */
export interface ConfigFilesOptions {
  /** File contents by file name (letters, digits, `-`, `_` and `.`). */
  readonly files: { readonly [fileName: string]: string };
  /** Mount directory. @default '/config' */
  readonly mountPath?: string;
  /** ConfigMap name. @default - `<name>-config` */
  readonly configMapName?: string;
}

/**
 * A Secret mounted as read-only files, the preferred way to hand a secret to an app.
 * @see https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-files-from-a-pod
 */
export interface SecretVolume {
  /** Volume name, unique in the pod. */
  readonly name: string;
  /** Name of the Secret, in the pod's namespace. */
  readonly secretName: string;
  /** Absolute mount directory. */
  readonly mountPath: string;
  /** File mode of the files (octal, like `0o400`). @default 0o400 */
  readonly defaultMode?: number;
}

/**
 * A PersistentVolumeClaim the construct creates and mounts.
 * @see https://kubernetes.io/docs/concepts/storage/persistent-volumes/
 */
export interface PersistentVolumeOptions {
  /** Claim name. @default - `<name>-data` */
  readonly claimName?: string;
  /** Absolute mount path. */
  readonly mountPath: string;
  /** Requested size, like `10Gi`. */
  readonly size: string;
  /** Access mode; `ReadWriteMany` is needed for more than one replica. @default 'ReadWriteOnce' */
  readonly accessMode?: 'ReadWriteOnce' | 'ReadWriteOncePod' | 'ReadWriteMany';
  /** StorageClass. @default - the cluster default */
  readonly storageClassName?: string;
}

/** No preStop hook: the app keeps serving for a while after SIGTERM by itself, counted in `drainSeconds`. */
export interface NoPreStop {
  /** Selects no hook. */
  readonly type: 'none';
}

/**
 * A preStop hook that execs a sleep binary of the image, so endpoints are
 * removed before SIGTERM (`sh -c "sleep N"` would fail on shell-less images).
 */
export interface ExecSleepPreStop {
  /** Selects this hook. */
  readonly type: 'execSleep';
  /** Seconds to sleep, 1-120. */
  readonly seconds: number;
  /** Absolute path of the sleep binary in the image. @default '/bin/sleep' */
  readonly sleepBinary?: string;
}

/**
 * The container's preStop hook.
 * @see https://kubernetes.io/docs/concepts/containers/container-lifecycle-hooks/
 */
export type PreStopHook = NoPreStop | ExecSleepPreStop;

/**
 * Graceful shutdown.
 * @see https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination
 */
export interface ShutdownOptions {
  /** preStop hook. @default { type: 'none' } */
  readonly preStop?: PreStopHook;
  /** Seconds the app drains after SIGTERM (in-flight requests, an in-app delay). @default 30 */
  readonly drainSeconds?: number;
  /** Grace period; it must cover preStop + drain. @default - preStop + drain + 5 */
  readonly terminationGracePeriodSeconds?: number;
}

/**
 * Read access to the Kubernetes API: `get` on the named objects only.
 * @see https://kubernetes.io/docs/reference/access-authn-authz/rbac/
 */
export interface ApiAccessOptions {
  /** ConfigMaps the app may read. @default [] */
  readonly configMaps?: readonly string[];
  /** Secrets the app may read. @default [] */
  readonly secrets?: readonly string[];
}

/**
 * A sandboxed container runtime for the pods.
 * @see https://kubernetes.io/docs/concepts/containers/runtime-class/
 */
export interface AgentSandboxOptions {
  /** Name of the RuntimeClass (like `gvisor` or `kata-qemu`), created in the app or declared external. */
  readonly runtimeClassName: string;
}

/**
 * Props of {@link SecureAgentDeployment}: a hardened Deployment with its
 * Service, ServiceAccount, NetworkPolicy and, by profile, HPA and PDB.
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/deployment/
 */
export interface SecureAgentDeploymentProps {
  /**
   * Name of the Deployment, Service and related objects, as operators type it
   * (`kubectl rollout restart deployment/<name>`): a DNS-1035 label of at most
   * 47 characters, so pod names stay within 63.
   */
  readonly name: string;
  /**
   * Namespace of every object: an {@link AgentNamespace}, or a namespace name.
   * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/
   */
  readonly namespace: NamespaceReference;
  /**
   * Deployment profile: `production` (strictest), `staging` or `dev`; it
   * sets the replica, autoscaling, PDB, image and TLS defaults.
   * @default 'production'
   */
  readonly profile?: Profile;
  /**
   * Container image; outside `dev` it must carry a version tag or a digest.
   * @see https://kubernetes.io/docs/concepts/containers/images/
   */
  readonly image: string;
  /**
   * When the kubelet pulls the image.
   * @default - `IfNotPresent` for digest-pinned images, else `Always`
   * @see https://kubernetes.io/docs/concepts/containers/images/#image-pull-policy
   */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /**
   * Secrets for pulling the image from a private registry.
   * @default []
   * @see https://kubernetes.io/docs/concepts/containers/images/#specifying-imagepullsecrets-on-a-pod
   */
  readonly imagePullSecrets?: readonly string[];
  /**
   * The `app.kubernetes.io/name` label.
   * @default - `name`
   * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/
   */
  readonly appName?: string;
  /**
   * The `app.kubernetes.io/version` label, at most 63 characters.
   * @default - the image tag
   * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/
   */
  readonly version?: string;
  /**
   * The `app.kubernetes.io/component` label.
   * @default 'agent'
   * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/
   */
  readonly component?: string;
  /**
   * The `app.kubernetes.io/part-of` label.
   * @default - none
   * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/
   */
  readonly partOf?: string;
  /**
   * Extra labels on every object; they can never replace the recommended or selector labels.
   * @default {}
   * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/
   */
  readonly labels?: { readonly [key: string]: string };
  /**
   * Extra pod annotations. Keys that set an AppArmor or seccomp profile are
   * rejected: the pod runs with RuntimeDefault.
   * @default {}
   * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/annotations/
   */
  readonly podAnnotations?: { readonly [key: string]: string };
  /**
   * Entrypoint override.
   * @default - the image's
   * @see https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/
   */
  readonly command?: readonly string[];
  /**
   * Arguments.
   * @default - the image's
   * @see https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/
   */
  readonly args?: readonly string[];
  /**
   * Static replica count, used when autoscaling is off. Setting it without
   * `autoscaling` turns the profile's default autoscaling off.
   * @default - 3 in production, 2 in staging, 1 in dev
   * @see https://kubernetes.io/docs/concepts/workloads/controllers/deployment/
   */
  readonly replicas?: number;
  /**
   * HorizontalPodAutoscaler, or `false` for a static replica count. With an
   * HPA the Deployment has no `replicas`, so re-applies never fight it.
   * @default - production 3-10, staging 2-4 (unless `replicas` is set), dev none
   * @see https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/
   */
  readonly autoscaling?: AutoscalingOptions | false;
  /**
   * PodDisruptionBudget that can never block a node drain; `false` turns it off.
   * @default - { maxUnavailable: 1 } when more than one pod may run
   * @see https://kubernetes.io/docs/tasks/run-application/configure-pdb/
   */
  readonly pdb?: DisruptionBudgetOptions | false;
  /**
   * Rolling update bounds.
   * @default { maxSurge: 1, maxUnavailable: 0 }
   * @see https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#rolling-update-deployment
   */
  readonly rollingUpdate?: RollingUpdateOptions;
  /**
   * The app's HTTP port, named `http`.
   * @default 8080
   * @see https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#ports
   */
  readonly port?: number;
  /**
   * Prometheus metrics: their own port named `metrics`, or the app port when
   * `metrics.port` equals `port`; `false` for none.
   * @default { port: 9090, path: '/metrics' }
   */
  readonly metrics?: MetricsOptions | false;
  /**
   * More container ports; they are on the Service, never routed by the exposure.
   * @default []
   * @see https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#ports
   */
  readonly additionalPorts?: readonly ContainerPortOptions[];
  /**
   * The Service.
   * @default { port: 80 }
   * @see https://kubernetes.io/docs/concepts/services-networking/service/
   */
  readonly service?: AgentServiceOptions;
  /**
   * Environment variables by name, in order. Secrets only as `{ fromSecret: { name, key } }`.
   * @default {}
   * @see https://kubernetes.io/docs/tasks/inject-data-application/define-environment-variable-container/
   */
  readonly env?: { readonly [name: string]: EnvValue };
  /**
   * ConfigMaps whose keys all become variables (Secrets only key by key, in `env`).
   * @default []
   * @see https://kubernetes.io/docs/tasks/configure-pod-container/configure-pod-configmap/#configure-all-key-value-pairs-in-a-configmap-as-container-environment-variables
   */
  readonly envFrom?: readonly EnvFromSource[];
  /**
   * Liveness probe: a failing one restarts the container.
   * @default - GET /healthz on http every 10 s
   * @see https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/
   */
  readonly livenessProbe?: ProbeOptions;
  /**
   * Readiness probe, on another endpoint than liveness, so a dependency
   * outage takes pods out of the Service without restarting them.
   * @default - GET /readyz on http every 5 s
   * @see https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/
   */
  readonly readinessProbe?: ProbeOptions;
  /**
   * Startup probe; liveness waits for it. `false` for none.
   * @default - GET /healthz on http, up to 60 s
   * @see https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/
   */
  readonly startupProbe?: ProbeOptions | false;
  /**
   * Requests and limits (CPU, memory, ephemeral storage): a preset or explicit.
   * @default 'small'
   * @see https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
   */
  readonly resources?: Resources;
  /**
   * User and group IDs of the pod (the group and fsGroup follow the user).
   * @default { runAsUser: 10001 }
   * @see https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
   */
  readonly securityContext?: RunAsOptions;
  /**
   * Writable emptyDir mounts (the root filesystem is read-only).
   * @default - `tmp` at /tmp, 256Mi
   * @see https://kubernetes.io/docs/concepts/storage/volumes/#emptydir
   */
  readonly scratchVolumes?: readonly ScratchVolume[];
  /**
   * Config files mounted read-only from a ConfigMap the construct creates;
   * the pod template carries their checksum, so changed content rolls the pods.
   * @default - none
   * @see https://kubernetes.io/docs/concepts/storage/volumes/#configmap
   */
  readonly configFiles?: ConfigFilesOptions;
  /**
   * Secrets mounted as files (preferred over environment variables).
   * @default []
   * @see https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-files-from-a-pod
   */
  readonly secretVolumes?: readonly SecretVolume[];
  /**
   * A PersistentVolumeClaim created and mounted. ReadWriteOnce with more
   * than one replica is rejected; with one replica the rollout strategy
   * becomes Recreate, since a surge pod could not attach it.
   * @default - none
   * @see https://kubernetes.io/docs/concepts/storage/persistent-volumes/
   */
  readonly persistentVolume?: PersistentVolumeOptions;
  /**
   * Graceful shutdown.
   * @default - no preStop, 30 s drain, grace = preStop + drain + 5 s
   * @see https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-termination
   */
  readonly shutdown?: ShutdownOptions;
  /**
   * Soft topology spread over zones and hosts (`ScheduleAnyway`).
   * @default true
   * @see https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/
   */
  readonly topologySpread?: boolean;
  /**
   * Node labels the pods must be scheduled on.
   * @default {}
   * @see https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodeselector
   */
  readonly nodeSelector?: { readonly [key: string]: string };
  /**
   * Taints the pods tolerate.
   * @default []
   * @see https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/
   */
  readonly tolerations?: readonly TolerationOptions[];
  /**
   * PriorityClass of the pods.
   * @default - none (the cluster default)
   * @see https://kubernetes.io/docs/concepts/scheduling-eviction/pod-priority-preemption/
   */
  readonly priorityClassName?: string;
  /**
   * Run the pods in a sandboxed container runtime (gVisor, Kata Containers)
   * through a RuntimeClass, for agents that execute untrusted code. The
   * RuntimeClass must be created in the app ({@link SandboxRuntimeClass}) or
   * declared external (`RuntimeClass/<name>`), or synth fails.
   * @default - the cluster's default runtime
   * @see https://kubernetes.io/docs/concepts/containers/runtime-class/
   */
  readonly sandbox?: AgentSandboxOptions;
  /**
   * Init containers, hardened like the main container.
   * @default []
   * @see https://kubernetes.io/docs/concepts/workloads/pods/init-containers/
   */
  readonly initContainers?: readonly ExtraContainerOptions[];
  /**
   * Sidecars, hardened like the main container; each needs a liveness and a readiness probe.
   * @default []
   * @see https://kubernetes.io/docs/concepts/workloads/pods/sidecar-containers/
   */
  readonly sidecars?: readonly ExtraContainerOptions[];
  /**
   * Bring your own ServiceAccount, by name, instead of a dedicated one.
   * @default - a dedicated ServiceAccount named `name`
   * @see https://kubernetes.io/docs/concepts/security/service-accounts/
   */
  readonly serviceAccountName?: string;
  /**
   * API access, least privilege: `get` on the named ConfigMaps and Secrets
   * only. Granting anything mounts the token and labels the pods for the
   * namespace's API server egress policy.
   * @default - no API access, no token mounted
   * @see https://kubernetes.io/docs/reference/access-authn-authz/rbac/
   */
  readonly rbac?: ApiAccessOptions;
  /**
   * Who may reach the app port from outside the namespace: the ingress
   * controller or Gateway proxies, by preset name or as pods.
   * @default - 'ingress-nginx' with an Ingress, 'envoy-gateway' with an HTTPRoute, nobody without exposure
   * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/
   */
  readonly ingressFrom?: 'ingress-nginx' | 'envoy-gateway' | PodPeer;
  /**
   * In-cluster callers allowed on the app port.
   * @default []
   * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/
   */
  readonly allowFrom?: readonly PodPeer[];
  /**
   * Allowed egress destinations (DNS is allowed by the namespace).
   * @default []
   * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/
   */
  readonly egress?: readonly EgressRuleOptions[];
  /**
   * Exposure outside the cluster: an Ingress (ingress-nginx) or a Gateway API HTTPRoute.
   * @default - not exposed
   * @see https://kubernetes.io/docs/concepts/services-networking/ingress/
   */
  readonly exposure?: ExposureOptions;
}

const percentOrInt = z.union([
  z.number().int().min(0),
  z
    .string()
    .regex(/^\d{1,3}%$/, { error: problem('is not a percentage', "use an integer or a percentage like '25%'") })
    .refine((v) => Number(v.slice(0, -1)) <= 100, { error: problem('is above 100%', 'use a percentage from 0% to 100%') }),
]);

/** Whether an int-or-percent is zero. */
const isZero = (v: number | string) => v === 0 || (typeof v === 'string' && Number(v.slice(0, -1)) === 0);

/** Pod annotations that change the pod's security profile; they are set by the construct or not at all. */
const SECURITY_ANNOTATION = /(^|\.)(apparmor\.security\.beta\.kubernetes\.io|seccomp\.security\.alpha\.kubernetes\.io)\/|^container\.apparmor\.|^container\.seccomp\./;

const hpaPolicy = z.strictObject({
  type: z.enum(['Percent', 'Pods']),
  value: z.number().int().min(1),
  periodSeconds: z.number().int().min(1).max(1800),
});

const hpaRules = z.strictObject({
  stabilizationWindowSeconds: z.number().int().min(0).max(3600),
  policies: z.array(hpaPolicy).min(1),
  selectPolicy: z.enum(['Max', 'Min', 'Disabled']).default('Max'),
});
true satisfies SchemaAgrees<typeof hpaRules, ScalingRules>;

/** Runtime check of {@link AutoscalingOptions}. */
export const autoscalingSchema = z.strictObject({
  minReplicas: z.number().int().min(1, { error: problem('must be at least 1', 'use 1 or more (2 or more outside dev)') }),
  maxReplicas: z.number().int().min(1, { error: problem('must be at least 1', 'use a value of at least minReplicas') }),
  cpuUtilization: z.number().int().min(1).max(100).default(70),
  memoryUtilization: z.number().int().min(1).max(100).optional(),
  podsMetrics: z.array(z.strictObject({ name: z.string().min(1), averageValue: z.string().min(1) })).default([]),
  // The Skreaver guide's behaviour.
  behavior: z
    .strictObject({ scaleUp: hpaRules, scaleDown: hpaRules })
    .default({
      scaleUp: { stabilizationWindowSeconds: 60, policies: [{ type: 'Percent', value: 100, periodSeconds: 30 }], selectPolicy: 'Max' },
      scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }], selectPolicy: 'Max' },
    }),
});
true satisfies SchemaAgrees<typeof autoscalingSchema, AutoscalingOptions>;

// `sh -c "sleep N"` fails on shell-less images and Kubernetes 1.28 has no
// native sleep action, hence an exec of the image's sleep binary (D-TAL-02).
const preStopSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  z.strictObject({
    type: z.literal('execSleep'),
    seconds: z.number().int().min(1).max(120),
    sleepBinary: z.string().regex(/^\//, { error: problem('must be an absolute path', "use e.g. '/bin/sleep'") }).default('/bin/sleep'),
  }),
]);
true satisfies SchemaAgrees<typeof preStopSchema, PreStopHook>;

const absolutePath = z.string().regex(/^\//, { error: problem('must be an absolute path', "start it with '/'") });

const podSchema = {
  resources: resourcesSchema.default('small'),
  securityContext: z
    .strictObject({
      runAsUser: z.number().int().min(1, { error: problem('must not be root (0)', 'use a non-zero UID, 10000 or above preferred') }).default(10001),
      runAsGroup: z.number().int().min(1, { error: problem('must not be root (0)', 'use a non-zero GID') }).optional(),
      fsGroup: z.number().int().min(1, { error: problem('must not be root (0)', 'use a non-zero GID') }).optional(),
    })
    .prefault({}),
  scratchVolumes: z
    .array(z.strictObject({ name: dnsLabel, mountPath: absolutePath, sizeLimit: bytesQuantity, medium: z.literal('Memory').optional() }))
    .default([{ name: 'tmp', mountPath: '/tmp', sizeLimit: '256Mi' }]),
  configFiles: z
    .strictObject({
      files: z.record(z.string().regex(/^[-._a-zA-Z0-9]+$/, { error: problem('is not a valid file name', "use letters, digits, '-', '_' and '.'") }), z.string()),
      mountPath: z.string().regex(/^\//).default('/config'),
      configMapName: dnsSubdomain.optional(),
    })
    .optional(),
  // Files are preferred over env for secrets (SEC-05).
  secretVolumes: z
    .array(z.strictObject({ name: dnsLabel, secretName: dnsSubdomain, mountPath: z.string().regex(/^\//), defaultMode: z.number().int().min(0).max(0o777).default(0o400) }))
    .default([]),
  // ReadWriteOnce with several replicas is D-SKR-08.
  persistentVolume: z
    .strictObject({
      claimName: dnsSubdomain.optional(),
      mountPath: z.string().regex(/^\//),
      size: bytesQuantity,
      accessMode: z.enum(['ReadWriteOnce', 'ReadWriteOncePod', 'ReadWriteMany']).default('ReadWriteOnce'),
      storageClassName: dnsSubdomain.optional(),
    })
    .optional(),
  shutdown: z
    .strictObject({
      preStop: preStopSchema.default({ type: 'none' }),
      drainSeconds: z.number().int().min(0).default(30),
      terminationGracePeriodSeconds: z.number().int().min(1).optional(),
    })
    .prefault({}),
  topologySpread: z.boolean().default(true),
  nodeSelector: z.record(z.string(), z.string()).default({}),
  tolerations: z.array(tolerationSchema).default([]),
  priorityClassName: dnsSubdomain.optional(),
  sandbox: z.strictObject({ runtimeClassName: dnsSubdomain }).optional(),
  initContainers: z.array(extraContainerSchema).default([]),
  sidecars: z.array(extraContainerSchema).default([]),
};

const SecureAgentDeploymentShape = z.strictObject({
  name: workloadName,
  namespace: namespaceReference,
  profile: profileSchema.default('production'),
  image: imageReference,
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
  imagePullSecrets: z.array(dnsSubdomain).default([]),
  appName: dnsLabel.optional(),
  version: z.string().max(63).optional(),
  component: dnsLabel.default('agent'),
  partOf: dnsLabel.optional(),
  labels: labelMap.default({}),
  podAnnotations: z
    .record(
      z.string().refine((k) => !SECURITY_ANNOTATION.test(k), {
        error: problem('sets an AppArmor or seccomp profile', 'remove it: the pod runs with RuntimeDefault, and a weaker profile would fail Pod Security'),
      }),
      z.string(),
    )
    .default({}),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),

  replicas: z.number().int().min(1, { error: problem('must be at least 1', 'use 1 or more replicas (2 or more outside dev)') }).optional(),
  autoscaling: z.union([autoscalingSchema, z.literal(false)]).optional(),
  pdb: z.union([z.strictObject({ minAvailable: percentOrInt.optional(), maxUnavailable: percentOrInt.optional() }), z.literal(false)]).optional(),
  rollingUpdate: z.strictObject({ maxSurge: percentOrInt.default(1), maxUnavailable: percentOrInt.default(0) }).prefault({}),

  port: portNumber.default(8080),
  metrics: z
    .union([z.strictObject({ port: portNumber.default(9090), path: httpPath.default('/metrics'), scrapeFrom: podPeerSchema.optional() }), z.literal(false)])
    .prefault({}),
  additionalPorts: z.array(containerPortSchema).default([]),
  // ClientIP affinity is bypassed by ingress controllers (D-SKR-20).
  service: z
    .strictObject({
      port: portNumber.default(80),
      sessionAffinity: z.enum(['None', 'ClientIP']).default('None'),
      sessionAffinityTimeoutSeconds: z.number().int().min(1).max(86400).optional(),
    })
    .prefault({}),

  env: envSchema.default({}),
  envFrom: envFromSchema.default([]),
  livenessProbe: probeSchema.prefault({ path: '/healthz', periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 }),
  readinessProbe: probeSchema.prefault({ path: '/readyz', periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 }),
  startupProbe: z.union([probeSchema, z.literal(false)]).prefault({ path: '/healthz', periodSeconds: 2, timeoutSeconds: 3, failureThreshold: 30 }),

  ...podSchema,

  serviceAccountName: dnsSubdomain.optional(),
  rbac: z.strictObject({ configMaps: z.array(dnsSubdomain).default([]), secrets: z.array(dnsSubdomain).default([]) }).optional(),
  ingressFrom: ingressSourceSchema.optional(),
  allowFrom: z.array(podPeerSchema).default([]),
  egress: z.array(egressRuleSchema).default([]),
  exposure: exposureSchema.optional(),
});

/** The parsed props of a {@link SecureAgentDeployment}, defaults applied. */
type Parsed = z.output<typeof SecureAgentDeploymentShape>;
type Ctx = z.RefinementCtx;
type Path = (string | number)[];

/** Images of every container must suit the profile. */
function checkImages(p: Parsed, ctx: Ctx): void {
  checkImageForProfile(ctx, p.image, p.profile, ['image']);
  for (const key of ['initContainers', 'sidecars'] as const) {
    p[key].forEach((c, i) => checkImageForProfile(ctx, c.image, p.profile, [key, i, 'image']));
  }
}

/** Replicas and autoscaling against each other and the profile's minimum; returns the minimum replica count. */
function checkReplicas(p: Parsed, ctx: Ctx): number {
  const d = PROFILE_DEFAULTS[p.profile];
  const autoscaling = resolveAutoscaling(p);
  if (p.replicas !== undefined && autoscaling) {
    ctx.addIssue({ code: 'custom', path: ['replicas'], message: problem('is set while autoscaling is on', 'set autoscaling.minReplicas instead, or autoscaling: false') });
  }
  if (autoscaling && autoscaling.minReplicas > autoscaling.maxReplicas) {
    ctx.addIssue({
      code: 'custom',
      path: ['autoscaling', 'minReplicas'],
      message: problem(`is above autoscaling.maxReplicas (${autoscaling.maxReplicas})`, 'make minReplicas at most maxReplicas'),
    });
  }
  if (autoscaling && p.profile === 'production' && autoscaling.minReplicas === autoscaling.maxReplicas) {
    ctx.addIssue({
      code: 'custom',
      path: ['autoscaling', 'maxReplicas'],
      message: problem(`equals autoscaling.minReplicas (${autoscaling.minReplicas}), so the autoscaler can never scale`, 'raise maxReplicas, or set autoscaling: false and a static replicas count'),
    });
  }
  const minReplicas = autoscaling ? autoscaling.minReplicas : (p.replicas ?? d.replicas);
  // Counts below 1 were already rejected by the field's own rule.
  if (minReplicas >= 1 && minReplicas < d.minReplicas) {
    ctx.addIssue({
      code: 'custom',
      path: autoscaling ? ['autoscaling', 'minReplicas'] : ['replicas'],
      message: problem(`is below ${d.minReplicas}, the ${p.profile} minimum`, `use at least ${d.minReplicas}, or profile 'dev'`),
    });
  }
  return minReplicas;
}

/** The PDB must allow at least one eviction at the minimum replica count. */
function checkPdb(p: Parsed, ctx: Ctx, minReplicas: number): void {
  const pdb = p.pdb ?? (PROFILE_DEFAULTS[p.profile].pdb ? { maxUnavailable: 1 } : false);
  if (!pdb) return;
  if ((pdb.minAvailable === undefined) === (pdb.maxUnavailable === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['pdb'], message: problem('must set exactly one of minAvailable or maxUnavailable', 'set maxUnavailable: 1') });
  } else if (pdb.maxUnavailable !== undefined && isZero(pdb.maxUnavailable)) {
    ctx.addIssue({ code: 'custom', path: ['pdb', 'maxUnavailable'], message: problem('allows no eviction, so it blocks node drains', 'use 1 or more') });
  } else if (pdb.minAvailable !== undefined) {
    const need = typeof pdb.minAvailable === 'number' ? pdb.minAvailable : Math.ceil((Number(pdb.minAvailable.slice(0, -1)) / 100) * minReplicas);
    if (need >= minReplicas) {
      ctx.addIssue({
        code: 'custom',
        path: ['pdb', 'minAvailable'],
        message: problem(`leaves no eviction at ${minReplicas} replicas, so it blocks node drains`, `use at most ${minReplicas - 1}, or maxUnavailable: 1`),
      });
    }
  }
}

/** A rollout must be able to progress. */
function checkRollingUpdate(p: Parsed, ctx: Ctx): void {
  if (isZero(p.rollingUpdate.maxSurge) && isZero(p.rollingUpdate.maxUnavailable)) {
    ctx.addIssue({
      code: 'custom',
      path: ['rollingUpdate', 'maxUnavailable'],
      params: { value: p.rollingUpdate.maxUnavailable },
      message: problem('is 0 while maxSurge is 0 too, so a rollout can never progress', 'allow a surge (maxSurge: 1) or an unavailable pod'),
    });
  }
}

/** Service ports: http, metrics (when separate) and the additional ports, each its own number. */
function checkServicePorts(p: Parsed, ctx: Ctx): void {
  const servicePorts: { port: number; path: Path }[] = [{ port: p.service.port, path: ['service', 'port'] }];
  if (p.metrics && p.metrics.port !== p.port) servicePorts.push({ port: p.metrics.port, path: ['metrics', 'port'] });
  p.additionalPorts.forEach((ap, i) => servicePorts.push({ port: ap.containerPort, path: ['additionalPorts', i, 'containerPort'] }));
  const seen = new Set<number>();
  for (const sp of servicePorts) {
    if (seen.has(sp.port)) {
      ctx.addIssue({
        code: 'custom',
        path: sp.path,
        params: { value: sp.port },
        message: problem(`duplicates Service port ${sp.port}`, 'give every Service port its own number (service.port is the http port of the Service)'),
      });
    }
    seen.add(sp.port);
  }
}

/**
 * Extra containers: probes on their own ports; sidecars are probed (PRB-01,
 * PRB-02), init containers (not native sidecars) cannot be.
 */
function checkExtraContainerProbes(p: Parsed, ctx: Ctx): void {
  for (const key of ['initContainers', 'sidecars'] as const) {
    p[key].forEach((c, i) => {
      const own = new Set<string | number>(c.ports.flatMap((pt) => [pt.name, pt.containerPort]));
      for (const probe of ['livenessProbe', 'readinessProbe'] as const) {
        const pr = c[probe];
        if (!pr) {
          if (key === 'sidecars') {
            ctx.addIssue({ code: 'custom', path: [key, i, probe], message: problem('is missing on a sidecar', `give the sidecar a ${probe} (PRB-01/PRB-02 fail synth without one)`) });
          }
          continue;
        }
        if (key === 'initContainers' && !c.restartAlways) {
          ctx.addIssue({ code: 'custom', path: [key, i, probe], message: problem('is not allowed on an init container', 'remove it, or set restartAlways: true to run the container as a native sidecar') });
          continue;
        }
        const ref = pr.path !== undefined ? (pr.port ?? c.ports[0]?.name) : pr.tcpPort;
        if (pr.command === undefined && (ref === undefined || !own.has(ref))) {
          ctx.addIssue({
            code: 'custom',
            path: [key, i, probe, pr.path !== undefined ? 'port' : 'tcpPort'],
            params: { value: ref },
            message: problem(`names no port of container "${c.name}"`, c.ports.length > 0 ? `use one of ${c.ports.map((pt) => pt.name).join(', ')}` : 'declare the port in ports, or probe with a command'),
          });
        }
      }
    });
  }
}

/** Port names and numbers are unique across the main container, and its probes name its ports. */
function checkMainPorts(p: Parsed, ctx: Ctx): void {
  const ports: { name: string; port: number; path: Path }[] = [{ name: 'http', port: p.port, path: ['port'] }];
  if (p.metrics && p.metrics.port !== p.port) ports.push({ name: 'metrics', port: p.metrics.port, path: ['metrics', 'port'] });
  p.additionalPorts.forEach((ap, i) => ports.push({ name: ap.name, port: ap.containerPort, path: ['additionalPorts', i] }));
  const names = new Set<string>();
  const numbers = new Set<number>();
  for (const port of ports) {
    if (names.has(port.name)) {
      ctx.addIssue({ code: 'custom', path: [...port.path, 'name'], message: problem(`duplicates the port name "${port.name}"`, 'give every port its own name') });
    }
    if (numbers.has(port.port)) {
      ctx.addIssue({ code: 'custom', path: port.path, message: problem(`duplicates port ${port.port}`, 'give every port its own number') });
    }
    names.add(port.name);
    numbers.add(port.port);
  }
  const portRef = (ref: string | number | undefined, path: Path) => {
    if (ref === undefined) return;
    const ok = typeof ref === 'number' ? numbers.has(ref) : names.has(ref);
    if (!ok) ctx.addIssue({ code: 'custom', path, message: problem('names no port of the container', `use one of ${[...names].join(', ')}`) });
  };
  for (const key of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
    const probe = p[key];
    if (probe) {
      portRef(probe.port, [key, 'port']);
      portRef(probe.tcpPort, [key, 'tcpPort']);
    }
  }
  if (p.livenessProbe.path !== undefined && p.livenessProbe.path === p.readinessProbe.path) {
    ctx.addIssue({
      code: 'custom',
      path: ['readinessProbe', 'path'],
      message: problem('is the liveness path too', 'serve readiness on its own endpoint (e.g. /readyz) so a dependency outage never restarts pods (PRB-03)'),
    });
  }
}

/** The grace period covers preStop and drain. */
function checkShutdown(p: Parsed, ctx: Ctx): void {
  const preStopSeconds = p.shutdown.preStop.type === 'execSleep' ? p.shutdown.preStop.seconds : 0;
  const need = preStopSeconds + p.shutdown.drainSeconds;
  if (p.shutdown.terminationGracePeriodSeconds !== undefined && p.shutdown.terminationGracePeriodSeconds < need) {
    ctx.addIssue({
      code: 'custom',
      path: ['shutdown', 'terminationGracePeriodSeconds'],
      message: problem(`is shorter than preStop (${preStopSeconds}s) + drain (${p.shutdown.drainSeconds}s)`, `use at least ${need}, or shorten the drain`),
    });
  }
}

/** Volumes: a claim every replica can attach, unique names, sidecar mounts that name a pod volume. */
function checkVolumes(p: Parsed, ctx: Ctx, multi: boolean): void {
  if (p.persistentVolume && p.persistentVolume.accessMode !== 'ReadWriteMany' && multi) {
    ctx.addIssue({
      code: 'custom',
      path: ['persistentVolume', 'accessMode'],
      params: { value: p.persistentVolume.accessMode },
      message: problem(
        `is ${p.persistentVolume.accessMode} but the workload runs more than one replica, which cannot all attach it`,
        'use ReadWriteMany storage, keep the state in a database, or run one replica in dev',
      ),
    });
  }
  const volumes = new Set<string>();
  const addVolume = (name: string, path: Path) => {
    if (volumes.has(name)) ctx.addIssue({ code: 'custom', path, message: problem(`duplicates the volume name "${name}"`, 'give every volume its own name') });
    volumes.add(name);
  };
  p.scratchVolumes.forEach((v, i) => addVolume(v.name, ['scratchVolumes', i, 'name']));
  p.secretVolumes.forEach((v, i) => addVolume(v.name, ['secretVolumes', i, 'name']));
  if (p.configFiles) addVolume('config', ['configFiles']);
  if (p.persistentVolume) addVolume('data', ['persistentVolume']);
  for (const key of ['initContainers', 'sidecars'] as const) {
    p[key].forEach((c, i) =>
      c.volumeMounts.forEach((m, j) => {
        if (!volumes.has(m.name)) {
          ctx.addIssue({ code: 'custom', path: [key, i, 'volumeMounts', j, 'name'], message: problem('names no pod volume', `use one of ${[...volumes].join(', ') || '(none declared)'}`) });
        }
      }),
    );
  }
}

/** Container names are unique; `restartAlways` is for init containers only. */
function checkContainerNames(p: Parsed, ctx: Ctx): void {
  const containerNames = new Set([p.name]);
  for (const key of ['initContainers', 'sidecars'] as const) {
    p[key].forEach((c, i) => {
      if (containerNames.has(c.name)) ctx.addIssue({ code: 'custom', path: [key, i, 'name'], message: problem(`duplicates the container name "${c.name}"`, 'give every container its own name') });
      containerNames.add(c.name);
      if (key === 'sidecars' && c.restartAlways) {
        ctx.addIssue({ code: 'custom', path: [key, i, 'restartAlways'], message: problem('only applies to init containers', 'remove it') });
      }
    });
  }
}

/** Runtime check of {@link SecureAgentDeploymentProps}: the keys' own rules, then the rules across keys. */
export const SecureAgentDeploymentPropsSchema = SecureAgentDeploymentShape.superRefine((p, ctx) => {
  checkImages(p, ctx);
  const minReplicas = checkReplicas(p, ctx);
  const autoscaling = resolveAutoscaling(p);
  checkPdb(p, ctx, minReplicas);
  checkRollingUpdate(p, ctx);
  checkServicePorts(p, ctx);
  checkExtraContainerProbes(p, ctx);
  checkMainPorts(p, ctx);
  checkShutdown(p, ctx);
  checkVolumes(p, ctx, (autoscaling ? autoscaling.maxReplicas : minReplicas) > 1);
  checkContainerNames(p, ctx);
  if (p.exposure) checkExposure(ctx, p.exposure, PROFILE_DEFAULTS[p.profile].requireTls, ['exposure']);
});
true satisfies SchemaAgrees<typeof SecureAgentDeploymentPropsSchema, SecureAgentDeploymentProps>;

/** Parsed props. */
export type SecureAgentDeploymentConfig = z.output<typeof SecureAgentDeploymentPropsSchema>;

/** The autoscaling actually in force: explicit, or the profile's unless `replicas` is set. */
export function resolveAutoscaling(p: {
  profile: z.output<typeof profileSchema>;
  replicas?: number;
  autoscaling?: z.output<typeof autoscalingSchema> | false;
}): z.output<typeof autoscalingSchema> | false {
  if (p.autoscaling !== undefined) return p.autoscaling;
  if (p.replicas !== undefined) return false;
  const d = PROFILE_DEFAULTS[p.profile].autoscaling;
  return d ? autoscalingSchema.parse(d) : false;
}
