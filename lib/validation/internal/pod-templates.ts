import type { ObjectInfo } from './objects.js';
import { join } from './paths.js';
import { arr, rec, str, strMap, type Rec, type StringMap } from './values.js';

/** Where each workload kind keeps its pod template (`''` for a Pod itself). */
export const POD_TEMPLATE_PATHS: Readonly<Record<string, string>> = {
  Pod: '',
  Deployment: 'spec.template',
  StatefulSet: 'spec.template',
  DaemonSet: 'spec.template',
  ReplicaSet: 'spec.template',
  ReplicationController: 'spec.template',
  Job: 'spec.template',
  CronJob: 'spec.jobTemplate.spec.template',
  // kubernetes-sigs/agent-sandbox: the controller runs this pod per sandbox.
  SandboxTemplate: 'spec.podTemplate',
};

/** Where a container's env var can take its value from (`env[].valueFrom.<field>`), and the kind of object it names. */
export const ENV_VALUE_SOURCES = [['secretKeyRef', 'Secret'], ['configMapKeyRef', 'ConfigMap']] as const;

/** Where a container's whole env can come from (`envFrom[].<field>`), and the kind of object it names. */
export const ENV_FROM_SOURCES = [['secretRef', 'Secret'], ['configMapRef', 'ConfigMap']] as const;

/** Kinds whose pods run until stopped (as opposed to Jobs); probes and graceful shutdown apply to them. */
export const LONG_RUNNING_KINDS: ReadonlySet<string> = new Set(['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController']);

/** Kinds that scale by `spec.replicas` (and may be an HPA target). */
export const REPLICATED_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController']);

/** One container of a pod template. */
export interface ContainerInfo {
  readonly c: Rec;
  /** Path of the container (`spec.template.spec.containers[0]`). */
  readonly path: string;
  readonly name: string;
  /** `containers`, `initContainers` or `ephemeralContainers`. */
  readonly list: 'containers' | 'initContainers' | 'ephemeralContainers';
  /** An init container with `restartPolicy: Always` (a native sidecar, 1.29+). */
  readonly sidecar: boolean;
  /** `container "x"`, `init container "x"`: how messages name it. */
  readonly label: string;
}

/** The pod template of a workload (or a Pod), with its paths. */
export interface PodTemplate {
  readonly obj: ObjectInfo;
  /** Path of the template's metadata (`spec.template.metadata`, `metadata` for a Pod). */
  readonly metaPath: string;
  /** Path of the pod spec (`spec.template.spec`, `spec` for a Pod). */
  readonly specPath: string;
  readonly labels: StringMap;
  readonly annotations: StringMap;
  readonly spec: Rec;
  /** Every container: regular, init and ephemeral. */
  readonly containers: readonly ContainerInfo[];
}

const LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;
const LIST_LABEL = { containers: 'container', initContainers: 'init container', ephemeralContainers: 'ephemeral container' } as const;

/** The pod template of an object, or undefined when its kind has none or it is missing. */
export function podTemplateOf(obj: ObjectInfo): PodTemplate | undefined {
  const base = POD_TEMPLATE_PATHS[obj.kind];
  if (base === undefined) return undefined;
  let template: Rec | undefined;
  if (base === '') {
    template = obj.manifest as Rec;
  } else {
    let cur: unknown = obj.manifest;
    for (const key of base.split('.')) cur = rec(cur)?.[key];
    template = rec(cur);
  }
  const spec = rec(template?.spec);
  if (!template || !spec) return undefined;
  const metaPath = join(base, 'metadata');
  const specPath = join(base, 'spec');
  const meta = rec(template.metadata);
  const containers: ContainerInfo[] = [];
  for (const list of LISTS) {
    arr(spec[list]).forEach((raw, i) => {
      const c = rec(raw);
      if (!c) return;
      const name = str(c.name) ?? `#${i}`;
      const sidecar = list === 'initContainers' && c.restartPolicy === 'Always';
      containers.push({ c, path: join(specPath, list, i), name, list, sidecar, label: `${LIST_LABEL[list]} "${name}"` });
    });
  }
  return { obj, metaPath, specPath, labels: strMap(meta?.labels), annotations: strMap(meta?.annotations), spec, containers };
}

/** Containers that run for the pod's life: regular containers and native sidecars. */
export function runningContainers(t: PodTemplate): ContainerInfo[] {
  return t.containers.filter((c) => c.list === 'containers' || c.sidecar);
}

/** A declared container port. */
export interface DeclaredPort {
  readonly name?: string;
  readonly containerPort: number;
  readonly protocol: string;
}

/** The ports a container declares. */
export function declaredPorts(c: Rec): DeclaredPort[] {
  const out: DeclaredPort[] = [];
  for (const raw of arr(c.ports)) {
    const p = rec(raw);
    const port = p?.containerPort;
    if (!p || typeof port !== 'number') continue;
    const name = str(p.name);
    out.push({ ...(name !== undefined ? { name } : {}), containerPort: port, protocol: str(p.protocol) ?? 'TCP' });
  }
  return out;
}
