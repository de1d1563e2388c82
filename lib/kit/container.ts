import { k8s } from '../internal/plus.js';
import { hardenedContainerSecurityContext } from './security.js';

/**
 * Containers: environment, ports, probes and resources rendered from the
 * parsed props, and {@link hardenedContainer}, which every container of the
 * library is built with.
 */

/** A key of a ConfigMap or Secret, as the props give it. */
export interface KeyRef {
  readonly name: string;
  readonly key: string;
  readonly optional?: boolean;
}

/** One environment variable's value, as the props give it: a literal or a reference. */
export type EnvValue =
  | string
  | { readonly fromConfigMap: KeyRef }
  | { readonly fromSecret: KeyRef }
  | { readonly fromField: string }
  | { readonly fromResource: { readonly resource: string; readonly divisor?: string } };

/** Renders env vars in the order given. */
export function renderEnv(env: Readonly<Record<string, EnvValue>>): k8s.EnvVar[] {
  return Object.entries(env).map(([name, v]): k8s.EnvVar => {
    if (typeof v === 'string') return { name, value: v };
    if ('fromConfigMap' in v) return { name, valueFrom: { configMapKeyRef: keySelector(v.fromConfigMap) } };
    if ('fromSecret' in v) return { name, valueFrom: { secretKeyRef: keySelector(v.fromSecret) } };
    if ('fromField' in v) return { name, valueFrom: { fieldRef: { fieldPath: v.fromField } } };
    const divisor = v.fromResource.divisor ? k8s.Quantity.fromString(v.fromResource.divisor) : undefined;
    return { name, valueFrom: { resourceFieldRef: { resource: v.fromResource.resource, divisor } } };
  });
}

function keySelector(ref: KeyRef): { name: string; key: string; optional?: boolean } {
  return { name: ref.name, key: ref.key, ...(ref.optional ? { optional: true } : {}) };
}

/** A literal env var. */
export function envValue(name: string, value: string | number): k8s.EnvVar {
  return { name, value: String(value) };
}

/** An env var from one key of a Secret. */
export function envFromSecret(name: string, ref: { readonly name: string; readonly key: string }): k8s.EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } };
}

/** Renders envFrom sources: ConfigMaps only (a whole Secret as env exposes every key). */
export function renderEnvFrom(envFrom: readonly { readonly configMap: string; readonly prefix?: string }[]): k8s.EnvFromSource[] {
  return envFrom.map((s) => ({ configMapRef: { name: s.configMap }, ...(s.prefix ? { prefix: s.prefix } : {}) }));
}

/** Requests and limits of cpu, memory and ephemeral storage, as quantities. */
export interface ResolvedResources {
  readonly requests: ResourceSet;
  readonly limits: ResourceSet;
}

/** Amounts of the three resources every container is bounded on. */
export interface ResourceSet {
  /** CPU, like `500m` or `2`. */
  readonly cpu: string;
  /** Memory, like `512Mi`. */
  readonly memory: string;
  /** Ephemeral storage (writable layer, logs, emptyDir), like `1Gi`. */
  readonly ephemeralStorage: string;
}

/** One set of quantities under the API's resource names (`cpu`, `memory`, `ephemeral-storage`). */
export function resourceQuantities(s: ResourceSet): Record<'cpu' | 'memory' | 'ephemeral-storage', k8s.Quantity> {
  return {
    cpu: k8s.Quantity.fromString(s.cpu),
    memory: k8s.Quantity.fromString(s.memory),
    'ephemeral-storage': k8s.Quantity.fromString(s.ephemeralStorage),
  };
}

/** Renders requests and limits (every container is bounded on all three resources). */
export function renderResources(r: ResolvedResources): k8s.ResourceRequirements {
  return { requests: resourceQuantities(r.requests), limits: resourceQuantities(r.limits) };
}

/** A port by name or number. */
export function intOrString(v: number | string): k8s.IntOrString {
  return typeof v === 'number' ? k8s.IntOrString.fromNumber(v) : k8s.IntOrString.fromString(v);
}

/** A probe as the props give it: exactly one of `path` (HTTP GET), `tcpPort` or `command`. */
export interface ProbeSpec {
  readonly path?: string;
  readonly port?: string | number;
  readonly tcpPort?: string | number;
  readonly command?: readonly string[];
  readonly initialDelaySeconds?: number;
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly failureThreshold: number;
}

/** Renders a probe; `defaultPort` is used for HTTP probes without a port. */
export function renderProbe(p: ProbeSpec, defaultPort: string | number): k8s.Probe {
  const handler: Partial<k8s.Probe> =
    p.path !== undefined
      ? { httpGet: { path: p.path, port: intOrString(p.port ?? defaultPort) } }
      : p.tcpPort !== undefined
        ? { tcpSocket: { port: intOrString(p.tcpPort) } }
        : { exec: { command: p.command ? [...p.command] : undefined } };
  return {
    ...handler,
    initialDelaySeconds: p.initialDelaySeconds,
    periodSeconds: p.periodSeconds,
    timeoutSeconds: p.timeoutSeconds,
    failureThreshold: p.failureThreshold,
  };
}

/** A container port. */
export interface PortSpec {
  /** IANA service name; Services and probes refer to it. */
  readonly name: string;
  readonly containerPort: number;
  /** @default 'TCP' */
  readonly protocol?: string;
}

/** Renders container ports (TCP unless given). */
export function renderContainerPorts(ports: readonly PortSpec[]): k8s.ContainerPort[] {
  return ports.map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: p.protocol ?? 'TCP' }));
}

/** The pull policy: `IfNotPresent` for digest-pinned images (immutable), else `Always` (IMG-03). */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  return /@sha256:[a-f0-9]{64}$/.test(image) ? 'IfNotPresent' : 'Always';
}

/** What {@link hardenedContainer} builds a container from. Lists left out (or empty) are not written. */
export interface ContainerSpec {
  readonly name: string;
  readonly image: string;
  /** @default - {@link defaultPullPolicy} */
  readonly imagePullPolicy?: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly ports?: readonly PortSpec[];
  readonly env?: readonly k8s.EnvVar[];
  readonly envFrom?: readonly k8s.EnvFromSource[];
  readonly resources: ResolvedResources;
  readonly livenessProbe?: k8s.Probe;
  readonly readinessProbe?: k8s.Probe;
  readonly startupProbe?: k8s.Probe;
  readonly lifecycle?: k8s.Lifecycle;
  readonly volumeMounts?: readonly k8s.VolumeMount[];
  /** UID/GID repeated on the container (a container running as another user than the pod). @default - the pod's */
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  /** `Always` makes an init container a native sidecar (Kubernetes 1.29+). @default - none */
  readonly restartPolicy?: 'Always';
}

/**
 * A container hardened like every container of the library: the restricted
 * security context, explicit requests and limits on cpu, memory and
 * ephemeral storage, a pull policy, and logs as the termination message when
 * the app writes none.
 */
export function hardenedContainer(c: ContainerSpec): k8s.Container {
  return {
    name: c.name,
    image: c.image,
    imagePullPolicy: c.imagePullPolicy ?? defaultPullPolicy(c.image),
    command: list(c.command),
    args: list(c.args),
    ports: c.ports && c.ports.length > 0 ? renderContainerPorts(c.ports) : undefined,
    env: list(c.env),
    envFrom: list(c.envFrom),
    resources: renderResources(c.resources),
    livenessProbe: c.livenessProbe,
    readinessProbe: c.readinessProbe,
    startupProbe: c.startupProbe,
    lifecycle: c.lifecycle,
    restartPolicy: c.restartPolicy,
    securityContext: hardenedContainerSecurityContext(c.runAsUser, c.runAsGroup),
    volumeMounts: list(c.volumeMounts),
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

/** A copy of a list, or undefined when it is absent or empty (so it is not written). */
export function list<T>(items: readonly T[] | undefined): T[] | undefined {
  return items && items.length > 0 ? [...items] : undefined;
}
