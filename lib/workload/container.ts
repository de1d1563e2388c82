import { z } from 'zod';
import { imageReference } from '../core/image.js';
import { parseQuantity } from '../core/quantity.js';
import { bytesQuantity, cpuQuantity, dnsLabel, dnsSubdomain, envVarName, httpPath, portName, portNumber } from '../core/schemas.js';
import { looksLikeSecretName } from '../core/secret-names.js';
import { problem } from '../internal/props.js';
import { SIZING_PRESETS, sizingPresetSchema } from './sizing.js';

/** A key in a ConfigMap or Secret. */
const keyRef = z.strictObject({
  /** Name of the ConfigMap or Secret. */
  name: dnsSubdomain,
  /** Key inside it. */
  key: z.string().regex(/^[-._a-zA-Z0-9]+$/, { error: problem('is not a valid key', "use letters, digits, '-', '_' and '.'") }),
  /**
   * Whether the pod may start without it. Off unless you opt in: a missing
   * key should stop the pod, not start it without its configuration (D-SKR-10).
   * @default false
   */
  optional: z.boolean().default(false),
});

/**
 * One environment variable's value: a literal, or a reference. Secrets can
 * only be referenced (`fromSecret`); the type has no way to carry a secret
 * value, and a literal under a secret-like name is rejected.
 */
export const envValueSchema = z.union([
  z.string(),
  z.strictObject({ /** A ConfigMap key. */ fromConfigMap: keyRef }),
  z.strictObject({ /** A Secret key. */ fromSecret: keyRef }),
  z.strictObject({ /** A pod field, e.g. `metadata.name`, `status.podIP`. */ fromField: z.string().min(1) }),
  z.strictObject({
    /** A container resource, e.g. `limits.memory`. */
    fromResource: z.strictObject({ resource: z.string().min(1), divisor: z.string().optional() }),
  }),
]);

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

/**
 * Sources of many variables at once: ConfigMaps only. A whole Secret as env
 * exposes every key to the process and its children (CKV_K8S_35, D-WVR-13):
 * reference single keys with `{ fromSecret }` or mount the Secret as files.
 */
export const envFromSchema = z.array(
  z.strictObject({
    /** All keys of a ConfigMap. */
    configMap: dnsSubdomain,
    /** Prefix for every variable name. @default - none */
    prefix: z.string().optional(),
  }),
);

const resourceSet = z.strictObject({
  /** CPU, like `500m`. */
  cpu: cpuQuantity,
  /** Memory, like `512Mi`. */
  memory: bytesQuantity,
  /** Ephemeral storage (container writable layer, logs, emptyDir), like `1Gi`. */
  ephemeralStorage: bytesQuantity,
});

/** Explicit requests and limits. */
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

/** Requests and limits: a sizing preset (`small`, `medium`, `large`, `xlarge`) or given explicitly. */
export const resourcesSchema = z.union([sizingPresetSchema, explicitResourcesSchema]);

/** Resolved requests and limits. */
export type ResolvedResources = z.output<typeof explicitResourcesSchema>;

/** Resolves a preset name to requests and limits. */
export function resolveResources(r: z.output<typeof resourcesSchema>): ResolvedResources {
  return typeof r === 'string' ? SIZING_PRESETS[r] : r;
}

/** A container port. */
export const containerPortSchema = z.strictObject({
  /** IANA service name; Services and probes refer to it. */
  name: portName,
  /** Port number in the container. */
  containerPort: portNumber,
  /** @default 'TCP' */
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).default('TCP'),
});

/**
 * A probe. Give exactly one handler: `path` (HTTP GET), `tcpPort` or `command`.
 * @see https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/
 */
export const probeSchema = z
  .strictObject({
    /** HTTP GET path. @default - none; give exactly one of path, tcpPort, command */
    path: httpPath.optional(),
    /** Port (name or number) of the HTTP GET. @default - the container's main port */
    port: z.union([portName, portNumber]).optional(),
    /** Port (name or number) of a TCP check. @default - none */
    tcpPort: z.union([portName, portNumber]).optional(),
    /** Command of an exec check. @default - none */
    command: z.array(z.string()).min(1).optional(),
    /** @default 0 */
    initialDelaySeconds: z.number().int().min(0).default(0),
    /** @default 10 */
    periodSeconds: z.number().int().min(1).default(10),
    /** Explicit, never the 1 s API default by accident. @default 3 */
    timeoutSeconds: z.number().int().min(1).default(3),
    /** @default 3 */
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

/** A parsed probe. */
export type ProbeOptions = z.output<typeof probeSchema>;

/** A volume mount of a volume the pod declares. */
export const volumeMountSchema = z.strictObject({
  /** Name of the pod volume. */
  name: dnsLabel,
  /** Absolute path in the container. */
  mountPath: z.string().regex(/^\//, { error: problem('must be an absolute path', "start it with '/'") }),
  /** @default false */
  readOnly: z.boolean().default(false),
  /** Sub-path inside the volume. @default - the whole volume */
  subPath: z.string().optional(),
});

/**
 * An extra container of the pod (sidecar or init container). It is hardened
 * exactly like the main container: non-root, read-only root filesystem, no
 * privilege escalation, every capability dropped, RuntimeDefault seccomp.
 */
export const extraContainerSchema = z.strictObject({
  /** Container name. */
  name: dnsLabel,
  /** Image reference; pinned outside `dev`. */
  image: imageReference,
  /** @default - `IfNotPresent` for digest-pinned images, else `Always` */
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
  /** Entrypoint override. @default - the image's */
  command: z.array(z.string()).optional(),
  /** Arguments. @default - the image's */
  args: z.array(z.string()).optional(),
  /** Environment variables. @default {} */
  env: envSchema.default({}),
  /** Ports. @default [] */
  ports: z.array(containerPortSchema).default([]),
  /** Requests and limits. @default 'small' */
  resources: resourcesSchema.default('small'),
  /**
   * Liveness probe. Required for sidecars (PRB-01); not allowed on init
   * containers unless `restartAlways` makes them native sidecars.
   * @default - none
   */
  livenessProbe: probeSchema.optional(),
  /** Readiness probe. Required for sidecars (PRB-02), same rules as liveness. @default - none */
  readinessProbe: probeSchema.optional(),
  /** Mounts of pod volumes. @default [] */
  volumeMounts: z.array(volumeMountSchema).default([]),
  /** UID for this container, when the image needs another than the pod's. @default - the pod's */
  runAsUser: z.number().int().min(1, { error: problem('must not be root (0)', 'use a non-zero UID') }).optional(),
  /**
   * Init containers only: run as a native sidecar (`restartPolicy: Always`,
   * Kubernetes 1.29+). @default false
   */
  restartAlways: z.boolean().default(false),
});

/**
 * A toleration, with the API server's rules: `Exists` needs no value and is
 * the only operator for an empty key (which tolerates every taint);
 * `tolerationSeconds` applies only to `NoExecute`.
 * @see https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/
 */
export const tolerationSchema = z
  .strictObject({
    /** Taint key. @default - every key (operator must be `Exists`) */
    key: z.string().min(1).optional(),
    /** @default 'Equal' */
    operator: z.enum(['Exists', 'Equal']).default('Equal'),
    /** Taint value, for `Equal`. @default - empty */
    value: z.string().optional(),
    /** Taint effect. @default - every effect */
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
    /** How long a pod stays bound after a `NoExecute` taint appears. @default - forever */
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

/** Options of an extra container. */
export type ExtraContainerOptions = z.input<typeof extraContainerSchema>;

// The renderers of these props (env, resources, probes, the security
// contexts) are in lib/kit/container.ts and lib/kit/security.ts.
