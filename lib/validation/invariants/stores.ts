import { CONNECTION_LIMIT_ANNOTATION, CONNECTIONS_ANNOTATION } from '../internal/annotations.js';
import { join } from '../internal/paths.js';
import { runningContainers } from '../internal/pod-templates.js';
import { replicaBounds } from '../internal/replicas.js';
import { parseQuantity } from '../../core/quantity.js';
import { arr, fmt, rec, str } from '../internal/values.js';
import type { Bundle, Workload } from './bundle.js';

/**
 * Invariants of data stores across objects:
 *
 * - STO-01: a `maxmemory` in a configuration file a container reads from a
 *   mounted ConfigMap is at most the container's memory limit (above it,
 *   the kernel kills Redis before it evicts; RES-02 checks the same knob on
 *   the command line).
 * - STO-02: a `sentinel monitor` quorum read from a mounted ConfigMap is at
 *   most the number of Sentinels (the workload's replicas) and at least a
 *   majority of them.
 * - STO-03: the connection budget (D-SRK-09): the clients of a server,
 *   each pod at its maximum replica count times the connections it
 *   declares, fit the server's connection limit. Clients declare
 *   `connections: "<namespace>/<app>=<per pod>,..."` on their pod template;
 *   a server declares its `connection-limit` (total) on its pod template or
 *   on the object the operator builds it from. PgBouncer declares both.
 * - AVL-12: an HPA with a `Pods` or `Object` metric needs the custom metrics
 *   API (`v1beta1.custom.metrics.k8s.io`), and one with an `External`
 *   metric the external metrics API (`v1beta1.external.metrics.k8s.io`),
 *   served by an adapter's APIService in the bundle or declared external
 *   (D-SRK-07); without it the HPA never scales on that metric and never
 *   scales down.
 */
export function checkStores(b: Bundle): void {
  for (const w of b.workloads) checkMountedConfig(b, w);
  checkConnectionBudget(b);
  checkMetricsApis(b);
}

/** A quantity field's bytes, or undefined. */
function quantity(raw: unknown): number | undefined {
  return typeof raw === 'string' || typeof raw === 'number' ? parseQuantity(raw) : undefined;
}

/** Redis units: `1k` is 1000, `1kb` 1024; the same for m/mb and g/gb. */
function redisBytes(v: string): number | undefined {
  const m = /^(\d+)(k|kb|m|mb|g|gb)?$/i.exec(v);
  if (!m) return undefined;
  const unit = (m[2] ?? '').toLowerCase();
  const f: Record<string, number> = { '': 1, k: 1e3, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 };
  return Number(m[1]) * f[unit]!;
}

/** The ConfigMap files each container of a workload mounts: `[container, configMap name, key, text]`. */
function mountedFiles(b: Bundle, w: Workload): { ci: ReturnType<typeof runningContainers>[number]; cm: string; key: string; text: string }[] {
  // A volume projects every key, or only its items (key to path).
  const volumes = new Map<string, { cm: string; items?: Map<string, string> }>();
  for (const v of arr(w.t.spec.volumes)) {
    const name = str(rec(v)?.name);
    const source = rec(rec(v)?.configMap);
    const cm = str(source?.name);
    const items = arr(source?.items).flatMap((i) => (str(rec(i)?.key) && str(rec(i)?.path) ? [[str(rec(i)?.path)!, str(rec(i)?.key)!] as const] : []));
    if (name && cm) volumes.set(name, { cm, ...(items.length > 0 ? { items: new Map(items) } : {}) });
  }
  const out = [];
  for (const ci of runningContainers(w.t)) {
    for (const m of arr(ci.c.volumeMounts)) {
      const v = volumes.get(str(rec(m)?.name) ?? '');
      const obj = v ? b.byRef.get(`ConfigMap/${w.ns}/${v.cm}`)?.[0] : undefined;
      const subPath = str(rec(m)?.subPath);
      for (const [key, text] of Object.entries(rec(obj?.manifest.data) ?? {})) {
        const paths = v!.items ? [...v!.items].filter(([, k]) => k === key).map(([path]) => path) : [key];
        if (typeof text === 'string' && paths.length > 0 && (subPath === undefined || paths.includes(subPath))) out.push({ ci, cm: v!.cm, key, text });
      }
    }
  }
  return out;
}

function checkMountedConfig(b: Bundle, w: Workload): void {
  const sentinels = replicaBounds(w.obj, b.hpas).min;
  for (const { ci, cm, key, text } of mountedFiles(b, w)) {
    const mm = /^\s*maxmemory\s+(\S+)\s*$/im.exec(text);
    const limit = quantity(rec(rec(ci.c.resources)?.limits)?.memory);
    const bytes = mm ? redisBytes(mm[1]!) : undefined;
    if (bytes !== undefined && limit !== undefined && bytes > limit) {
      b.sink.add(
        w.obj,
        'STO-01',
        join(ci.path, 'resources', 'limits', 'memory'),
        `${ci.label} reads maxmemory ${mm![1]} (${bytes} bytes) from ConfigMap "${cm}" key ${key}, above its memory limit ${fmt(rec(rec(ci.c.resources)?.limits)?.memory)}, so the kernel kills it before it evicts`,
        `lower maxmemory to at most the limit (75% of it leaves room for buffers and snapshots), or raise the limit`,
      );
    }
    const q = /^\s*sentinel\s+monitor\s+\S+\s+\S+\s+\S+\s+(\d+)\s*$/im.exec(text);
    if (!q) continue;
    const quorum = Number(q[1]);
    const majority = Math.floor(sentinels / 2) + 1;
    if (quorum > sentinels || quorum < majority) {
      b.sink.add(
        w.obj,
        'STO-02',
        'spec.replicas',
        `${ci.label} reads a Sentinel quorum of ${quorum} from ConfigMap "${cm}" key ${key}, but ${w.obj.kind} "${w.obj.name}" runs ${sentinels} Sentinels, so ${quorum > sentinels ? 'no failover can ever start' : 'a minority of them could start a failover'}`,
        `use a quorum from ${majority} to ${sentinels}, or run more Sentinels`,
      );
    }
  }
}

/** The declared total connection limit of the app `app` in `ns`: from a pod template or another object (a CloudNativePG Cluster) carrying it. */
function connectionLimit(b: Bundle, ns: string, app: string): { limit: number; what: string } | undefined {
  for (const w of b.workloads) {
    const v = w.t.annotations[CONNECTION_LIMIT_ANNOTATION];
    if (w.ns === ns && w.labels['app.kubernetes.io/name'] === app && v !== undefined) return { limit: Number(v), what: `${w.obj.kind} "${w.obj.name}"` };
  }
  for (const o of b.objects) {
    const v = o.annotations[CONNECTION_LIMIT_ANNOTATION];
    if (o.ns === ns && o.name === app && v !== undefined && o.kind !== 'NetworkPolicy') return { limit: Number(v), what: `${o.kind} "${o.name}"` };
  }
  return undefined;
}

function checkConnectionBudget(b: Bundle): void {
  const demand = new Map<string, { total: number; parts: string[]; first: Workload }>();
  for (const w of b.workloads) {
    const raw = w.t.annotations[CONNECTIONS_ANNOTATION];
    if (raw === undefined) continue;
    const max = replicaBounds(w.obj, b.hpas).max;
    for (const entry of raw.split(',')) {
      const m = /^\s*([a-z0-9-]+)\/([^=\s]+)=(\d+)\s*$/.exec(entry);
      if (!m) continue;
      const key = `${m[1]}/${m[2]}`;
      const d = demand.get(key) ?? { total: 0, parts: [], first: w };
      d.total += max * Number(m[3]);
      d.parts.push(`${w.obj.kind} "${w.obj.name}" ${max} × ${m[3]}`);
      demand.set(key, d);
    }
  }
  for (const [key, d] of demand) {
    const [ns, app] = key.split('/') as [string, string];
    const cap = connectionLimit(b, ns, app);
    if (!cap || d.total <= cap.limit) continue;
    b.sink.add(
      d.first.obj,
      'STO-03',
      join(d.first.t.metaPath, 'annotations', CONNECTIONS_ANNOTATION),
      `the clients of ${key} may open ${d.total} connections (${d.parts.join(' + ')}) and ${cap.what} accepts ${cap.limit}, so connections fail at peak`,
      'lower the pool sizes or the maximum replicas, put PgBouncer in front, or raise the server limit',
    );
  }
}

function checkMetricsApis(b: Bundle): void {
  const served = new Set((b.byKind.get('APIService') ?? []).map((o) => o.name));
  const has = (name: string) => served.has(name) || b.isExternal('APIService', '', name);
  for (const hpa of b.byKind.get('HorizontalPodAutoscaler') ?? []) {
    arr(rec(hpa.manifest.spec)?.metrics).forEach((raw, i) => {
      const type = str(rec(raw)?.type);
      const api = type === 'Pods' || type === 'Object' ? 'v1beta1.custom.metrics.k8s.io' : type === 'External' ? 'v1beta1.external.metrics.k8s.io' : undefined;
      if (api && !has(api)) {
        b.sink.add(
          hpa,
          'AVL-12',
          `spec.metrics[${i}]`,
          `HorizontalPodAutoscaler scales on a ${type} metric, and no APIService ${api} serves it (no metrics adapter in the bundle), so it never scales on it and never scales down`,
          `deploy a metrics adapter (prometheus-adapter, KEDA) with its APIService ${api}, declare it external (APIService/${api}), or scale on a Resource metric`,
        );
      }
    });
  }
}
