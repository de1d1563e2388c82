import { formatBytes, formatCpu, parseQuantity } from '../core/quantity.js';

/**
 * The ResourceQuota a set of synthesized objects needs at its largest: each
 * Deployment at its HPA maximum (or replicas) plus its rollout surge, each
 * StatefulSet at its replicas, each Job at its parallelism, each CronJob
 * one run at a time, and each CloudNativePG Cluster at its instances plus
 * the operator's Job; per pod, its containers (and its largest init
 * container, when larger). PVCs count the claims, each StatefulSet
 * member's claims and a Cluster's claim per pod.
 */

/** A manifest, loosely typed. */
type Manifest = { readonly apiVersion?: string; readonly kind?: string; readonly metadata?: { readonly name?: string }; readonly spec?: Record<string, unknown> };

/** Totals of one resource dimension. */
export interface QuotaTotals {
  readonly requests: { cpu: number; memory: number; ephemeralStorage: number };
  readonly limits: { cpu: number; memory: number; ephemeralStorage: number };
  pods: number;
  persistentVolumeClaims: number;
}

/** One workload's share of the quota, for error messages. */
export interface QuotaShare {
  readonly workload: string;
  readonly pods: number;
}

/** The kinds {@link quotaNeeded} and {@link largestContainerLimits} read; every other object may be left out of their input. */
export const QUOTA_KINDS: ReadonlySet<string> = new Set(['HorizontalPodAutoscaler', 'PersistentVolumeClaim', 'Deployment', 'StatefulSet', 'Job', 'CronJob', 'Cluster']);

const RESOURCES = { cpu: 'cpu', memory: 'memory', ephemeralStorage: 'ephemeral-storage' } as const;

type Side = 'requests' | 'limits';
type Container = { resources?: Partial<Record<Side, Record<string, string | number>>> };

function perPod(spec: { containers?: Container[]; initContainers?: Container[] } | undefined, side: Side, key: keyof typeof RESOURCES): number {
  const amount = (c: Container) => parseQuantity(c.resources?.[side]?.[RESOURCES[key]] ?? 0) ?? 0;
  const main = (spec?.containers ?? []).reduce((sum, c) => sum + amount(c), 0);
  const init = Math.max(0, ...(spec?.initContainers ?? []).map(amount));
  return Math.max(main, init);
}

function surge(spec: Record<string, unknown>, replicas: number): number {
  const strategy = spec.strategy as { type?: string; rollingUpdate?: { maxSurge?: number | string } } | undefined;
  if (strategy?.type === 'Recreate') return 0;
  const s = strategy?.rollingUpdate?.maxSurge ?? '25%';
  return typeof s === 'number' ? s : Math.ceil((Number(String(s).replace('%', '')) / 100) * replicas);
}

/** Pods at most, and the pod template, of a workload manifest; undefined for other kinds (a kind added here goes in QUOTA_KINDS too). */
function maxPods(o: Manifest, hpaMax: ReadonlyMap<string, number>): { pods: number; template: unknown } | undefined {
  const spec = o.spec ?? {};
  const template = (spec.template as { spec?: unknown } | undefined)?.spec;
  switch (o.kind) {
    case 'Deployment': {
      const replicas = hpaMax.get(`Deployment/${o.metadata?.name}`) ?? (spec.replicas as number | undefined) ?? 1;
      return { pods: replicas + surge(spec, replicas), template };
    }
    case 'StatefulSet':
      return { pods: (spec.replicas as number | undefined) ?? 1, template };
    case 'Job':
      return { pods: (spec.parallelism as number | undefined) ?? 1, template };
    case 'CronJob': {
      const job = (spec.jobTemplate as { spec?: { parallelism?: number; template?: { spec?: unknown } } } | undefined)?.spec;
      return { pods: job?.parallelism ?? 1, template: job?.template?.spec };
    }
    case 'Cluster': {
      // A CloudNativePG Cluster: the operator runs its instances, and a Job (initdb,
      // or a replacement's join) beside them, each with the Cluster's resources.
      if (!String(o.apiVersion).startsWith('postgresql.cnpg.io/')) return undefined;
      const instances = (spec.instances as number | undefined) ?? 1;
      return { pods: instances + 1, template: { containers: [{ resources: spec.resources }] } };
    }
    default:
      return undefined;
  }
}

/** The totals the objects need; `shares` lists each workload's pods. */
export function quotaNeeded(objects: readonly Manifest[]): { totals: QuotaTotals; shares: QuotaShare[] } {
  const hpaMax = new Map<string, number>();
  for (const o of objects) {
    if (o.kind !== 'HorizontalPodAutoscaler') continue;
    const ref = o.spec?.scaleTargetRef as { kind?: string; name?: string } | undefined;
    hpaMax.set(`${ref?.kind}/${ref?.name}`, o.spec?.maxReplicas as number);
  }
  const totals: QuotaTotals = {
    requests: { cpu: 0, memory: 0, ephemeralStorage: 0 },
    limits: { cpu: 0, memory: 0, ephemeralStorage: 0 },
    pods: 0,
    persistentVolumeClaims: 0,
  };
  const shares: QuotaShare[] = [];
  for (const o of objects) {
    if (o.kind === 'PersistentVolumeClaim') totals.persistentVolumeClaims += 1;
    const m = maxPods(o, hpaMax);
    if (!m) continue;
    shares.push({ workload: `${o.kind}/${o.metadata?.name}`, pods: m.pods });
    totals.pods += m.pods;
    for (const side of ['requests', 'limits'] as const) {
      for (const key of Object.keys(RESOURCES) as (keyof typeof RESOURCES)[]) totals[side][key] += m.pods * perPod(m.template as never, side, key);
    }
    if (o.kind === 'StatefulSet') totals.persistentVolumeClaims += m.pods * ((o.spec?.volumeClaimTemplates as unknown[] | undefined)?.length ?? 0);
    // One claim per instance, and the replacement's beside them.
    if (o.kind === 'Cluster') totals.persistentVolumeClaims += m.pods;
  }
  return { totals, shares };
}

/**
 * The largest limit of any container (or init container) of the workloads,
 * per resource, for the namespace LimitRange's `max`, which admission
 * checks every container against.
 */
export function largestContainerLimits(objects: readonly Manifest[]): { cpu: number; memory: number; ephemeralStorage: number } {
  const out = { cpu: 0, memory: 0, ephemeralStorage: 0 };
  for (const o of objects) {
    const spec = maxPods(o, new Map())?.template as { containers?: Container[]; initContainers?: Container[] } | undefined;
    for (const c of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]) {
      for (const key of Object.keys(RESOURCES) as (keyof typeof RESOURCES)[]) out[key] = Math.max(out[key], parseQuantity(c.resources?.limits?.[RESOURCES[key]] ?? 0) ?? 0);
    }
  }
  return out;
}

/** A quota as AgentNamespace takes it: CPU rounded up to 100m, memory and storage up to 64Mi. */
export interface QuotaSpec {
  readonly requests: { readonly cpu: string; readonly memory: string; readonly ephemeralStorage: string };
  readonly limits: { readonly cpu: string; readonly memory: string; readonly ephemeralStorage: string };
  readonly pods: number;
  readonly persistentVolumeClaims: number;
}

const MI64 = 64 * 2 ** 20;

/** Formats totals as a quota, rounded up (never below what is needed). */
export function formatQuota(t: QuotaTotals): QuotaSpec {
  const cpu = (v: number) => formatCpu(Math.ceil(Math.round(v * 1000) / 100) / 10);
  const bytes = (v: number) => formatBytes(Math.max(MI64, Math.ceil(v / MI64) * MI64));
  const side = (s: QuotaTotals['requests']) => ({ cpu: cpu(s.cpu), memory: bytes(s.memory), ephemeralStorage: bytes(s.ephemeralStorage) });
  return { requests: side(t.requests), limits: side(t.limits), pods: Math.max(1, t.pods), persistentVolumeClaims: t.persistentVolumeClaims };
}

/** The dimensions where a given quota is below the totals, as `[path, needed]`. */
export function quotaShortfalls(given: QuotaSpec, t: QuotaTotals): [string, string][] {
  const out: [string, string][] = [];
  const need = formatQuota(t);
  for (const side of ['requests', 'limits'] as const) {
    for (const key of Object.keys(RESOURCES) as (keyof typeof RESOURCES)[]) {
      if ((parseQuantity(given[side][key]) ?? 0) < t[side][key] - 1e-9) out.push([`${side}.${key}`, need[side][key]]);
    }
  }
  if (given.pods < t.pods) out.push(['pods', String(t.pods)]);
  if (given.persistentVolumeClaims < t.persistentVolumeClaims) out.push(['persistentVolumeClaims', String(t.persistentVolumeClaims)]);
  return out;
}
