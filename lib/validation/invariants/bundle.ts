import { DEPENDS_ON_ANNOTATION, EXTERNAL_REFS_ANNOTATION, INGRESS_FROM_ANNOTATION } from '../internal/annotations.js';
import type { FindingSink, Subject } from '../internal/findings.js';
import { describeObjects, refKey, type ObjectInfo } from '../internal/objects.js';
import { join } from '../internal/paths.js';
import { declaredPorts, podTemplateOf, runningContainers, type DeclaredPort, type PodTemplate } from '../internal/pod-templates.js';
import { indexHpas, type HpaBounds } from '../internal/replicas.js';
import { LabelIndex } from '../internal/selectors.js';
import { parsePolicy, type Endpoint, type Policy } from '../internal/netpol.js';
import { arr, rec, str, type StringMap } from '../internal/values.js';
import type { Manifest } from '../types.js';

/**
 * The bundle, indexed once for the cross-resource invariants: objects by
 * kind and by `Kind/namespace/name`, pod templates behind an inverted label
 * index per namespace, Services likewise, NetworkPolicies per namespace and
 * the policies that select each pod template, what produces each Secret,
 * and the references declared external. Every invariant reads these maps;
 * none scans the bundle per object.
 */

/** A pod template with what the invariants need about it. */
export interface Workload {
  readonly t: PodTemplate;
  readonly obj: ObjectInfo;
  readonly ns: string;
  readonly labels: StringMap;
  /** Ports declared by the running containers. */
  readonly ports: readonly DeclaredPort[];
  readonly endpoint: Endpoint;
}

/** One declared dependency edge from a workload's depends-on annotation. */
export interface Dependency {
  readonly from: Workload;
  /** The entry as written. */
  readonly entry: string;
  /** Path of the annotation holding it. */
  readonly path: string;
  /** Parsed target; undefined when the entry does not parse. */
  readonly to?: { readonly ns: string; readonly app: string; readonly port: number | string };
}

/** Where ingress traffic comes from, per {@link INGRESS_FROM_ANNOTATION}: a namespace and maybe the app name of its pods. */
export interface TrafficSource {
  readonly ns: string;
  readonly app?: string;
}

/** Parses an ingress-from value (`ns` or `ns/app`). */
export function parseSource(value: string | undefined): TrafficSource | undefined {
  const m = value === undefined ? null : /^\s*([a-z0-9]([-a-z0-9]*[a-z0-9])?)(?:\/([^\s/]+))?\s*$/.exec(value);
  if (!m) return undefined;
  return { ns: m[1]!, ...(m[3] !== undefined ? { app: m[3] } : {}) };
}

/** Keys of a Secret or ConfigMap, or `unknown` when the producer does not say (ExternalSecret with dataFrom). */
export type Keys = ReadonlySet<string> | 'unknown';

/** How a Secret comes to exist. */
export interface SecretSource {
  readonly keys: Keys;
  /** `ExternalSecret "x"`, `Secret`, `Certificate "y"`: for messages. */
  readonly via: string;
}

/** The indexed bundle. */
export interface Bundle {
  readonly objects: readonly ObjectInfo[];
  readonly byKind: ReadonlyMap<string, readonly ObjectInfo[]>;
  /** By `Kind/namespace/name` (namespace `''` for cluster-scoped), every occurrence. */
  readonly byRef: ReadonlyMap<string, readonly ObjectInfo[]>;
  readonly workloads: readonly Workload[];
  readonly pods: LabelIndex<Workload>;
  readonly services: LabelIndex<ObjectInfo>;
  /** Namespaces known to exist: defined, used by an object, declared in an annotation, or built in. */
  readonly knownNamespaces: ReadonlySet<string>;
  readonly policies: ReadonlyMap<string, readonly Policy[]>;
  /** NetworkPolicies selecting each workload. */
  readonly policiesFor: ReadonlyMap<Workload, readonly Policy[]>;
  readonly hpas: ReadonlyMap<string, HpaBounds>;
  /** Every depends-on entry of every workload. */
  readonly dependencies: readonly Dependency[];
  /** Secrets by `namespace/name`. */
  readonly secrets: ReadonlyMap<string, SecretSource>;
  /** ConfigMap keys by `namespace/name`. */
  readonly configMaps: ReadonlyMap<string, Keys>;
  readonly sink: FindingSink;
  /** Whether `Kind/name` in `ns` is declared to exist outside the bundle. */
  isExternal(kind: string, ns: string, name: string): boolean;
  /**
   * App names (`app.kubernetes.io/name`) of pods declared external with
   * `Pod/<app>` entries: by namespace, and for any namespace under `''`.
   */
  readonly externalPods: ReadonlyMap<string, readonly string[]>;
  /** The Namespace object of `ns` or, when the bundle has none, a subject naming it. */
  namespaceSubject(ns: string): Subject;
  /** Labels of any namespace (only the automatic name label for ones outside the bundle). */
  nsLabels(ns: string): StringMap;
}

/** The label every namespace carries (1.21+); the same key as `NAMESPACE_NAME_LABEL` of lib/network/peers.ts, which this layer does not import (it loads the cdk8s-plus model). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

const BUILT_IN_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

function secretSourceKeys(o: ObjectInfo): Keys {
  const keys = new Set<string>();
  for (const field of ['data', 'stringData']) for (const k of Object.keys(rec(o.manifest[field]) ?? {})) keys.add(k);
  return keys;
}

function externalSecretKeys(spec: Readonly<Record<string, unknown>>): Keys {
  if (arr(spec.dataFrom).length > 0 || rec(rec(spec.target)?.template)) return 'unknown';
  return new Set(arr(spec.data).flatMap((d) => (typeof rec(d)?.secretKey === 'string' ? [rec(d)!.secretKey as string] : [])));
}

/** What {@link buildBundle} collects in one pass over the objects. */
interface Index {
  readonly byKind: Map<string, ObjectInfo[]>;
  readonly byRef: Map<string, ObjectInfo[]>;
  readonly workloads: Workload[];
  readonly pods: LabelIndex<Workload>;
  readonly services: LabelIndex<ObjectInfo>;
  readonly namespaceLabels: Map<string, Record<string, string>>;
  readonly namespaceObjects: Map<string, ObjectInfo>;
  readonly knownNamespaces: Set<string>;
  readonly policies: Map<string, Policy[]>;
  readonly secrets: Map<string, SecretSource>;
  readonly configMaps: Map<string, Keys>;
  readonly externalAny: Set<string>;
  readonly externalExact: Set<string>;
  readonly externalPods: Map<string, string[]>;
}

function newIndex(): Index {
  return {
    byKind: new Map(),
    byRef: new Map(),
    workloads: [],
    pods: new LabelIndex<Workload>(),
    services: new LabelIndex<ObjectInfo>(),
    namespaceLabels: new Map(),
    namespaceObjects: new Map(),
    knownNamespaces: new Set<string>(BUILT_IN_NAMESPACES),
    policies: new Map(),
    secrets: new Map(),
    configMaps: new Map(),
    externalAny: new Set(),
    externalExact: new Set(),
    externalPods: new Map(),
  };
}

/** Records one external reference: `Kind/name` (in `ns`, or any namespace when undefined), `Kind/namespace/name`, or `Pod/<app>`. */
function declareExternal(x: Index, entry: string, ns: string | undefined): void {
  const parts = entry.trim().split('/');
  if (parts[0] === 'Pod' && parts.length >= 2 && parts.length <= 3 && parts.every((p) => p !== '')) {
    const podNs = parts.length === 3 ? parts[1]! : (ns ?? '');
    x.externalPods.set(podNs, [...(x.externalPods.get(podNs) ?? []), parts[parts.length - 1]!]);
    if (podNs !== '') x.knownNamespaces.add(podNs);
  } else if (parts.length === 2 && parts[0] && parts[1]) {
    if (ns === undefined) x.externalAny.add(`${parts[0]}/${parts[1]}`);
    else x.externalExact.add(refKey(parts[0], ns, parts[1]));
  } else if (parts.length === 3 && parts[0] && parts[1] && parts[2]) {
    x.externalExact.add(refKey(parts[0], parts[1], parts[2]));
    x.knownNamespaces.add(parts[1]);
  }
}

/** Indexes one object by kind and identity, and by what it provides. */
function indexObject(x: Index, o: ObjectInfo): void {
  let list = x.byKind.get(o.kind);
  if (!list) x.byKind.set(o.kind, (list = []));
  list.push(o);
  const key = refKey(o.kind, o.ns, o.name);
  const same = x.byRef.get(key);
  if (same) same.push(o);
  else x.byRef.set(key, [o]);
  if (o.ns !== '') x.knownNamespaces.add(o.ns);
  const refs = o.annotations[EXTERNAL_REFS_ANNOTATION];
  if (refs !== undefined) for (const entry of refs.split(',')) if (entry.trim() !== '') declareExternal(x, entry, o.kind === 'Namespace' ? o.name : o.ns);
  switch (o.kind) {
    case 'Namespace':
      x.knownNamespaces.add(o.name);
      x.namespaceObjects.set(o.name, x.namespaceObjects.get(o.name) ?? o);
      x.namespaceLabels.set(o.name, { ...x.namespaceLabels.get(o.name), ...o.labels, [NAMESPACE_NAME_LABEL]: o.name });
      break;
    case 'Service':
      x.services.add(o.ns, o.labels, o);
      break;
    case 'NetworkPolicy': {
      const p = parsePolicy(o);
      const inNs = x.policies.get(o.ns);
      if (inNs) inNs.push(p);
      else x.policies.set(o.ns, [p]);
      break;
    }
    case 'ConfigMap':
      x.configMaps.set(`${o.ns}/${o.name}`, new Set<string>([...Object.keys(rec(o.manifest.data) ?? {}), ...Object.keys(rec(o.manifest.binaryData) ?? {})]));
      break;
    default:
      indexSecretSource(x, o);
  }
  const t = podTemplateOf(o);
  if (t) {
    const ports = runningContainers(t).flatMap((ci) => declaredPorts(ci.c));
    const w: Workload = { t, obj: o, ns: o.ns, labels: t.labels, ports, endpoint: { ns: o.ns, labels: t.labels, ports } };
    x.workloads.push(w);
    x.pods.add(o.ns, t.labels, w);
  }
}

const TLS_KEYS = ['tls.crt', 'tls.key', 'ca.crt'];

/** The Secrets an object provides: itself, an ExternalSecret's or SealedSecret's target, a Certificate's, cert-manager's for an annotated Ingress. */
function indexSecretSource(x: Index, o: ObjectInfo): void {
  const spec = rec(o.manifest.spec) ?? {};
  switch (o.kind) {
    case 'Secret':
      x.secrets.set(`${o.ns}/${o.name}`, { keys: secretSourceKeys(o), via: 'Secret' });
      break;
    case 'ExternalSecret':
      x.secrets.set(`${o.ns}/${str(rec(spec.target)?.name) ?? o.name}`, { keys: externalSecretKeys(spec), via: `ExternalSecret "${o.name}"` });
      break;
    case 'SealedSecret': {
      const encrypted = rec(spec.encryptedData);
      const name = str(rec(rec(spec.template)?.metadata)?.name) ?? o.name;
      x.secrets.set(`${o.ns}/${name}`, { keys: encrypted ? new Set(Object.keys(encrypted)) : 'unknown', via: `SealedSecret "${o.name}"` });
      break;
    }
    case 'Certificate': {
      const name = str(spec.secretName);
      if (name) x.secrets.set(`${o.ns}/${name}`, { keys: new Set(TLS_KEYS), via: `Certificate "${o.name}"` });
      break;
    }
    case 'Ingress':
      // cert-manager's ingress-shim creates a Certificate for each TLS secret of an annotated Ingress.
      if (o.annotations['cert-manager.io/cluster-issuer'] !== undefined || o.annotations['cert-manager.io/issuer'] !== undefined) {
        for (const tls of arr(spec.tls)) {
          const name = str(rec(tls)?.secretName);
          if (name && !x.secrets.has(`${o.ns}/${name}`)) x.secrets.set(`${o.ns}/${name}`, { keys: new Set(TLS_KEYS), via: `cert-manager for Ingress "${o.name}"` });
        }
      }
      break;
  }
}

/** The declared dependency edges of every workload (its depends-on annotation), valid or not. */
function parseDependencies(workloads: readonly Workload[], knownNamespaces: Set<string>): Dependency[] {
  const dependencies: Dependency[] = [];
  for (const w of workloads) {
    const onTemplate = w.t.annotations[DEPENDS_ON_ANNOTATION];
    const value = onTemplate ?? w.obj.annotations[DEPENDS_ON_ANNOTATION];
    if (value === undefined) continue;
    const path = join(onTemplate !== undefined ? w.t.metaPath : 'metadata', 'annotations', DEPENDS_ON_ANNOTATION);
    for (const raw of value.split(',')) {
      const entry = raw.trim();
      if (entry === '') continue;
      const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([^\s/:]+):(\d+|[a-z0-9-]+)$/.exec(entry);
      if (m) {
        knownNamespaces.add(m[1]!);
        dependencies.push({ from: w, entry, path, to: { ns: m[1]!, app: m[3]!, port: /^\d+$/.test(m[4]!) ? Number(m[4]) : m[4]! } });
      } else dependencies.push({ from: w, entry, path });
    }
  }
  return dependencies;
}

/** The NetworkPolicies that select each workload's pods. */
function policiesByWorkload(policies: ReadonlyMap<string, Policy[]>, pods: LabelIndex<Workload>): Map<Workload, Policy[]> {
  const out = new Map<Workload, Policy[]>();
  for (const [ns, list] of policies) {
    for (const p of list) {
      if (!p.podSelector) continue;
      for (const w of pods.select(ns, p.podSelector)) {
        const existing = out.get(w);
        if (existing) existing.push(p);
        else out.set(w, [p]);
      }
    }
  }
  return out;
}

/** Indexes the bundle. `external` entries are `Kind/name` (any namespace) or `Kind/namespace/name`. */
export function buildBundle(manifests: readonly Manifest[], external: readonly string[], sink: FindingSink): Bundle {
  const objects = describeObjects(manifests);
  const x = newIndex();
  for (const e of external) declareExternal(x, e, undefined);
  for (const o of objects) indexObject(x, o);
  const dependencies = parseDependencies(x.workloads, x.knownNamespaces);
  for (const source of [...objects.map((o) => o.annotations), ...x.workloads.map((w) => w.t.annotations)].map((a) => parseSource(a[INGRESS_FROM_ANNOTATION]))) {
    if (source) x.knownNamespaces.add(source.ns);
  }
  const nsLabelCache = new Map<string, StringMap>();
  const nsLabels = (ns: string): StringMap => {
    let labels: StringMap | undefined = x.namespaceLabels.get(ns) ?? nsLabelCache.get(ns);
    if (!labels) {
      labels = { [NAMESPACE_NAME_LABEL]: ns };
      nsLabelCache.set(ns, labels);
    }
    return labels;
  };
  return {
    objects,
    byKind: x.byKind,
    byRef: x.byRef,
    workloads: x.workloads,
    pods: x.pods,
    services: x.services,
    knownNamespaces: x.knownNamespaces,
    policies: x.policies,
    policiesFor: policiesByWorkload(x.policies, x.pods),
    hpas: indexHpas(objects),
    dependencies,
    secrets: x.secrets,
    configMaps: x.configMaps,
    sink,
    externalPods: x.externalPods,
    isExternal: (kind, ns, name) => x.externalAny.has(`${kind}/${name}`) || x.externalExact.has(refKey(kind, ns, name)),
    namespaceSubject: (ns) => x.namespaceObjects.get(ns) ?? { kind: 'Namespace', name: ns },
    nsLabels,
  };
}
