import { z } from 'zod';
import { imageReference } from '../core/image.js';
import { parseQuantity } from '../core/quantity.js';
import { bytesQuantity, cpuQuantity, dnsLabel, dnsSubdomain, envVarName, httpPath, portName, portNumber } from '../core/schemas.js';
import { looksLikeSecretName } from '../core/secret-names.js';
import { problem } from '../internal/props.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import type { ResourceSet } from '../kit/index.js';
import { EnvConfig } from './env-config.js';
import { SIZING_PRESETS, sizingPresetSchema, type SizingPreset } from './sizing.js';

/** A key of a ConfigMap or Secret, the source of one environment variable. */
export interface KeyReference {
  /** Name of the ConfigMap or Secret, in the pod's namespace. */
  readonly name: string;
  /** Key inside it: letters, digits, `-`, `_` and `.`. */
  readonly key: string;
  /**
   * Whether the pod may start without the key. Off unless you opt in: a
   * missing key should stop the pod, not start it without its configuration.
   * @default false
   */
  readonly optional?: boolean;
}

/** A container resource as a variable's value, e.g. `limits.memory`. */
export interface ResourceFieldReference {
  /** The resource: `limits.cpu`, `limits.memory`, `requests.cpu`, `requests.memory`, ... */
  readonly resource: string;
  /** Unit the value is divided by, a quantity like `1Mi`. @default - `1` */
  readonly divisor?: string;
}

/** A variable from a ConfigMap key. */
export interface EnvFromConfigMap {
  /** The ConfigMap key. */
  readonly fromConfigMap: KeyReference;
}

/** A variable from a Secret key, the only way a secret reaches the environment. */
export interface EnvFromSecret {
  /** The Secret key. */
  readonly fromSecret: KeyReference;
}

/**
 * A variable from a pod field.
 * @see https://kubernetes.io/docs/tasks/inject-data-application/environment-variable-expose-pod-information/
 */
export interface EnvFromField {
  /** The field path, e.g. `metadata.name`, `status.podIP`. */
  readonly fromField: string;
}

/** A variable from a container resource. */
export interface EnvFromResource {
  /** The resource and its unit. */
  readonly fromResource: ResourceFieldReference;
}

/**
 * One environment variable's value: a literal, or a reference. Secrets can
 * only be referenced (`fromSecret`): the type has no way to carry a secret
 * value, and a literal under a secret-like name (`API_KEY`, `*_TOKEN`) is rejected.
 * @see https://kubernetes.io/docs/tasks/inject-data-application/define-environment-variable-container/
 */
export type EnvValue = string | EnvFromConfigMap | EnvFromSecret | EnvFromField | EnvFromResource;

/**
 * A ConfigMap whose keys all become environment variables. Only ConfigMaps:
 * a whole Secret as env exposes every key to the process and its children;
 * reference single keys with `{ fromSecret }` or mount the Secret as files.
 * @see https://kubernetes.io/docs/tasks/configure-pod-container/configure-pod-configmap/#configure-all-key-value-pairs-in-a-configmap-as-container-environment-variables
 */
export interface EnvFromSource {
  /** The ConfigMap, in the pod's namespace: an {@link EnvConfig}, or a ConfigMap name. */
  readonly configMap: EnvConfig | string;
  /** Prefix put before every variable name. @default - none */
  readonly prefix?: string;
}

/**
 * Explicit requests and limits; each request at most its limit.
 * @see https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
 */
export interface ExplicitResources {
  /** What the scheduler reserves for the container. */
  readonly requests: ResourceSet;
  /** What the container may use at most. */
  readonly limits: ResourceSet;
}

/**
 * Requests and limits: a sizing preset (`small`, `medium`, `large`,
 * `xlarge`; see `SIZING_PRESETS`) or given explicitly.
 * @see https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
 */
export type Resources = SizingPreset | ExplicitResources;

/**
 * A port the container listens on.
 * @see https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#ports
 */
export interface ContainerPortOptions {
  /** Port name, an IANA service name (at most 15 characters); Services and probes refer to it. */
  readonly name: string;
  /** Port number in the container, 1-65535. */
  readonly containerPort: number;
  /** Protocol. @default 'TCP' */
  readonly protocol?: 'TCP' | 'UDP' | 'SCTP';
}

/**
 * A probe. Give exactly one handler: `path` (HTTP GET), `tcpPort` or `command`.
 * @see https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/
 */
export interface ProbeOptions {
  /** HTTP GET path, starting with `/`. @default - none; give exactly one of path, tcpPort, command */
  readonly path?: string;
  /** Port (name or number) of the HTTP GET. @default - the container's main port */
  readonly port?: string | number;
  /** Port (name or number) of a TCP check. @default - none */
  readonly tcpPort?: string | number;
  /** Command of an exec check, run without a shell. @default - none */
  readonly command?: readonly string[];
  /** Seconds after the container starts before the first probe. @default 0 */
  readonly initialDelaySeconds?: number;
  /** Seconds between probes. @default 10 */
  readonly periodSeconds?: number;
  /** Seconds a probe may take; set explicitly, never the API's 1 s by accident. @default 3 */
  readonly timeoutSeconds?: number;
  /** Consecutive failures before the probe counts as failed. @default 3 */
  readonly failureThreshold?: number;
}

/**
 * A mount of a volume the pod declares.
 * @see https://kubernetes.io/docs/concepts/storage/volumes/
 */
export interface VolumeMountOptions {
  /** Name of the pod volume. */
  readonly name: string;
  /** Absolute path in the container. */
  readonly mountPath: string;
  /** Mount read-only. @default false */
  readonly readOnly?: boolean;
  /** Sub-path inside the volume. @default - the whole volume */
  readonly subPath?: string;
}

/**
 * An extra container of the pod (sidecar or init container). It is hardened
 * exactly like the main container: non-root, read-only root filesystem, no
 * privilege escalation, every capability dropped, RuntimeDefault seccomp.
 * @see https://kubernetes.io/docs/concepts/workloads/pods/sidecar-containers/
 */
export interface ExtraContainerOptions {
  /** Container name, unique in the pod (a DNS-1123 label). */
  readonly name: string;
  /** Image reference; outside `dev` it must carry a version tag or digest. */
  readonly image: string;
  /**
   * When the kubelet pulls the image.
   * @default - `IfNotPresent` for digest-pinned images, else `Always`
   * @see https://kubernetes.io/docs/concepts/containers/images/#image-pull-policy
   */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** Entrypoint override. @default - the image's */
  readonly command?: readonly string[];
  /** Arguments. @default - the image's */
  readonly args?: readonly string[];
  /** Environment variables by name, in order. @default {} */
  readonly env?: { readonly [name: string]: EnvValue };
  /** Ports the container listens on. @default [] */
  readonly ports?: readonly ContainerPortOptions[];
  /** Requests and limits. @default 'small' */
  readonly resources?: Resources;
  /**
   * Liveness probe. Required for sidecars; not allowed on init containers
   * unless `restartAlways` makes them native sidecars.
   * @default - none
   */
  readonly livenessProbe?: ProbeOptions;
  /** Readiness probe; the same rules as `livenessProbe`. @default - none */
  readonly readinessProbe?: ProbeOptions;
  /** Mounts of pod volumes. @default [] */
  readonly volumeMounts?: readonly VolumeMountOptions[];
  /** UID for this container, when the image needs another than the pod's; never 0. @default - the pod's */
  readonly runAsUser?: number;
  /**
   * Init containers only: run as a native sidecar (`restartPolicy: Always`,
   * Kubernetes 1.29+).
   * @default false
   */
  readonly restartAlways?: boolean;
}

/**
 * A toleration, with the API server's rules: `Exists` needs no value and is
 * the only operator for an empty key (which tolerates every taint);
 * `tolerationSeconds` applies only to `NoExecute`.
 * @see https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/
 */
export interface TolerationOptions {
  /** Taint key. @default - every key (operator must be `Exists`) */
  readonly key?: string;
  /** `Equal` matches the value; `Exists` any value. @default 'Equal' */
  readonly operator?: 'Exists' | 'Equal';
  /** Taint value, for `Equal`. @default - empty */
  readonly value?: string;
  /** Taint effect. @default - every effect */
  readonly effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  /** Seconds a pod stays bound after a `NoExecute` taint appears. @default - forever */
  readonly tolerationSeconds?: number;
}

// The schemas below check the interfaces above at runtime and apply their
// defaults; `SchemaAgrees` keeps the two in step at compile time.

const keyRef = z.strictObject({
  name: dnsSubdomain,
  key: z.string().regex(/^[-._a-zA-Z0-9]+$/, { error: problem('is not a valid key', "use letters, digits, '-', '_' and '.'") }),
  // A missing key should stop the pod by default (D-SKR-10).
  optional: z.boolean().default(false),
});

/** Runtime check of {@link EnvValue}. */
export const envValueSchema = z.union([
  z.string(),
  z.strictObject({ fromConfigMap: keyRef }),
  z.strictObject({ fromSecret: keyRef }),
  z.strictObject({ fromField: z.string().min(1) }),
  z.strictObject({ fromResource: z.strictObject({ resource: z.string().min(1), divisor: z.string().optional() }) }),
]);
true satisfies SchemaAgrees<typeof envValueSchema, EnvValue>;

/** Environment variables by name, in order. */
export const envSchema = z.record(envVarName, envValueSchema).superRefine((env, ctx) => {
  for (const [name, value] of Object.entries(env)) {
    if (typeof value === 'string' && looksLikeSecretName(name)) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: problem(`is a literal value under the secret-like name ${name}`, `reference a Secret instead: { fromSecret: { name: '<secret>', key: '<key>' } }`),
      });
    }
  }
});

// ConfigMaps only: a whole Secret as env is CKV_K8S_35, D-WVR-13.
/** Runtime check of a list of {@link EnvFromSource}. */
export const envFromSchema = z.array(
  z.strictObject({
    configMap: z
      .custom<EnvConfig | string>((v) => typeof v === 'string' || v instanceof EnvConfig, {
        error: (issue) =>
          problem(issue.input === undefined ? 'is required' : 'must be a ConfigMap name or an EnvConfig', "pass the EnvConfig construct, or a ConfigMap name like 'agent-env'"),
      })
      .transform((v) => (typeof v === 'string' ? v : v.name))
      .pipe(dnsSubdomain),
    prefix: z.string().optional(),
  }),
);
true satisfies SchemaAgrees<typeof envFromSchema, readonly EnvFromSource[]>;

const resourceSet = z.strictObject({ cpu: cpuQuantity, memory: bytesQuantity, ephemeralStorage: bytesQuantity });

/** Runtime check of {@link ExplicitResources}. */
export const explicitResourcesSchema = z
  .strictObject({ requests: resourceSet, limits: resourceSet })
  .superRefine((r, ctx) => {
    for (const key of ['cpu', 'memory', 'ephemeralStorage'] as const) {
      const req = parseQuantity(r.requests[key]);
      const lim = parseQuantity(r.limits[key]);
      if (req !== undefined && lim !== undefined && req > lim) {
        ctx.addIssue({
          code: 'custom',
          path: ['requests', key],
          message: problem(`is above the limit ${r.limits[key]}`, `lower the request or raise limits.${key}`),
        });
      }
    }
  });
true satisfies SchemaAgrees<typeof explicitResourcesSchema, ExplicitResources>;

/** Runtime check of {@link Resources}. */
export const resourcesSchema = z.union([sizingPresetSchema, explicitResourcesSchema]);

/** Resolved requests and limits. */
export type ResolvedResources = z.output<typeof explicitResourcesSchema>;

/** Resolves a preset name to requests and limits. */
export function resolveResources(r: z.output<typeof resourcesSchema>): ResolvedResources {
  return typeof r === 'string' ? SIZING_PRESETS[r] : r;
}

/** Runtime check of {@link ContainerPortOptions}. */
export const containerPortSchema = z.strictObject({
  name: portName,
  containerPort: portNumber,
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).default('TCP'),
});
true satisfies SchemaAgrees<typeof containerPortSchema, ContainerPortOptions>;

/** Runtime check of {@link ProbeOptions}. */
export const probeSchema = z
  .strictObject({
    path: httpPath.optional(),
    port: z.union([portName, portNumber]).optional(),
    tcpPort: z.union([portName, portNumber]).optional(),
    command: z.array(z.string()).min(1).optional(),
    initialDelaySeconds: z.number().int().min(0).default(0),
    periodSeconds: z.number().int().min(1).default(10),
    timeoutSeconds: z.number().int().min(1).default(3),
    failureThreshold: z.number().int().min(1).default(3),
  })
  .superRefine((p, ctx) => {
    const handlers = [p.path, p.tcpPort, p.command].filter((h) => h !== undefined).length;
    if (handlers !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: problem(`has ${handlers} handlers`, "give exactly one of 'path' (HTTP GET), 'tcpPort' or 'command'"),
      });
    }
  });
true satisfies SchemaAgrees<typeof probeSchema, ProbeOptions>;

/** Runtime check of {@link VolumeMountOptions}. */
export const volumeMountSchema = z.strictObject({
  name: dnsLabel,
  mountPath: z.string().regex(/^\//, { error: problem('must be an absolute path', "start it with '/'") }),
  readOnly: z.boolean().default(false),
  subPath: z.string().optional(),
});
true satisfies SchemaAgrees<typeof volumeMountSchema, VolumeMountOptions>;

/** Runtime check of {@link ExtraContainerOptions}. */
export const extraContainerSchema = z.strictObject({
  name: dnsLabel,
  image: imageReference,
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  env: envSchema.default({}),
  ports: z.array(containerPortSchema).default([]),
  resources: resourcesSchema.default('small'),
  // Sidecars need both probes (PRB-01, PRB-02); see the deployment's refinement.
  livenessProbe: probeSchema.optional(),
  readinessProbe: probeSchema.optional(),
  volumeMounts: z.array(volumeMountSchema).default([]),
  runAsUser: z.number().int().min(1, { error: problem('must not be root (0)', 'use a non-zero UID') }).optional(),
  restartAlways: z.boolean().default(false),
});
true satisfies SchemaAgrees<typeof extraContainerSchema, ExtraContainerOptions>;

/** Runtime check of {@link TolerationOptions}, with the API server's rules. */
export const tolerationSchema = z
  .strictObject({
    key: z.string().min(1).optional(),
    operator: z.enum(['Exists', 'Equal']).default('Equal'),
    value: z.string().optional(),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
    tolerationSeconds: z.number().int().min(0).optional(),
  })
  .superRefine((t, ctx) => {
    if (t.key === undefined && t.operator !== 'Exists') {
      ctx.addIssue({ code: 'custom', path: ['operator'], params: { value: t.operator }, message: problem('must be Exists when no key is given', "set operator: 'Exists' (tolerates every taint) or give a key") });
    }
    if (t.operator === 'Exists' && t.value !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: problem('must be empty with operator Exists', "remove the value, or use operator: 'Equal'") });
    }
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      ctx.addIssue({ code: 'custom', path: ['tolerationSeconds'], message: problem('only applies to the NoExecute effect', "set effect: 'NoExecute' or remove tolerationSeconds") });
    }
  });
true satisfies SchemaAgrees<typeof tolerationSchema, TolerationOptions>;

export type { ResourceSet };

// The renderers of these props (env, resources, probes, the security
// contexts) are in lib/kit/container.ts and lib/kit/security.ts.
