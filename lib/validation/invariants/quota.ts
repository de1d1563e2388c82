import { parseQuantity } from '../../core/quantity.js';
import type { ObjectInfo } from '../internal/objects.js';
import { join } from '../internal/paths.js';
import { replicaBounds, type HpaBounds } from '../internal/replicas.js';
import {
  COMPUTE_RESOURCES,
  formatAmount,
  limitItems,
  podCharge,
  type ComputeResource,
  type LimitItem,
  type PodCharge,
} from '../internal/resources.js';
import { arr, intOrPercent, num, rec, scaled, str } from '../internal/values.js';
import type { Bundle, Workload } from './bundle.js';

/**
 * RES-04: every namespace with pods has a LimitRange with explicit defaults
 * and a ResourceQuota; LimitRange min/max admit every container after
 * defaulting; and each quota admits the namespace at its peak: every
 * workload at its HPA maxReplicas (or replicas) plus the rollout surge,
 * plus every Job and CronJob pod, charged per pod by requests and limits
 * after LimitRange defaulting (D-SKR-05: a LimitRange with only `max` makes
 * every unset container request the max).
 *
 * DaemonSets are not counted (their pod count is the node count, which the
 * bundle does not know). A CronJob counts one run (`concurrencyPolicy:
 * Allow` may overlap runs; the message says what was counted).
 */

const EPS = 1e-9;

/** A quota key this check evaluates, and how a pod is charged for it. */
type QuotaKey =
  | { readonly kind: 'compute'; readonly field: 'requests' | 'limits'; readonly resource: ComputeResource }
  | { readonly kind: 'pods' }
  | { readonly kind: 'pvc-count' }
  | { readonly kind: 'pvc-storage' };

function quotaKey(key: string): QuotaKey | undefined {
  if (key === 'pods') return { kind: 'pods' };
  if (key === 'persistentvolumeclaims') return { kind: 'pvc-count' };
  if (key === 'requests.storage') return { kind: 'pvc-storage' };
  for (const resource of COMPUTE_RESOURCES) {
    if (key === resource || key === `requests.${resource}`) return { kind: 'compute', field: 'requests', resource };
    if (key === `limits.${resource}`) return { kind: 'compute', field: 'limits', resource };
  }
  return undefined;
}

function formatKey(k: QuotaKey, value: number): string {
  if (k.kind === 'compute') return formatAmount(k.resource, value);
  if (k.kind === 'pvc-storage') return formatAmount('memory', value);
  return String(Math.round(value * 1000) / 1000);
}

/** A workload at its peak. */
interface Peak {
  readonly w: Workload;
  readonly pods: number;
  /** `10 HPA maxReplicas + 1 surge`. */
  readonly why: string;
  readonly hpa?: HpaBounds;
  readonly surge: number;
  readonly max: number;
  readonly charge: PodCharge;
}

function peakOf(w: Workload, b: Bundle, items: readonly LimitItem[]): Peak | undefined {
  const o = w.obj;
  const spec = rec(o.manifest.spec) ?? {};
  const charge = podCharge(w.t.containers, items);
  switch (o.kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'ReplicaSet':
    case 'ReplicationController': {
      const bounds = replicaBounds(o, b.hpas);
      let surge = 0;
      if (o.kind === 'Deployment' && str(rec(spec.strategy)?.type) !== 'Recreate') {
        const s = intOrPercent(rec(rec(spec.strategy)?.rollingUpdate)?.maxSurge ?? '25%');
        surge = s ? scaled(s, bounds.max) : 0;
      }
      const base = `${bounds.max} ${bounds.hpa ? 'HPA maxReplicas' : bounds.max === 1 ? 'replica' : 'replicas'}`;
      return { w, pods: bounds.max + surge, why: surge > 0 ? `${base} + ${surge} surge` : base, ...(bounds.hpa ? { hpa: bounds.hpa } : {}), surge, max: bounds.max, charge };
    }
    case 'Job':
    case 'CronJob': {
      const job = o.kind === 'CronJob' ? (rec(rec(spec.jobTemplate)?.spec) ?? {}) : spec;
      const parallelism = num(job.parallelism) ?? 1;
      const completions = num(job.completions);
      const pods = completions !== undefined ? Math.min(parallelism, completions) : parallelism;
      return { w, pods, why: o.kind === 'CronJob' ? (pods === 1 ? 'one run' : `one run of ${pods} pods`) : `parallelism ${pods}`, surge: 0, max: pods, charge };
    }
    case 'Pod':
      return { w, pods: 1, why: 'a bare Pod', surge: 0, max: 1, charge };
    default:
      return undefined;
  }
}

/** Per-pod charge of a workload for a quota key. */
function perPod(p: Peak, k: QuotaKey): number {
  if (k.kind === 'pods') return 1;
  if (k.kind === 'compute') return p.charge[k.field][k.resource] ?? 0;
  const vcts = arr(rec(p.w.obj.manifest.spec)?.volumeClaimTemplates);
  if (p.w.obj.kind !== 'StatefulSet') return 0;
  if (k.kind === 'pvc-count') return vcts.length;
  return vcts.reduce<number>((acc, v) => acc + (quantityOf(rec(rec(rec(v)?.spec)?.resources)?.requests, 'storage') ?? 0), 0);
}

function quantityOf(map: unknown, key: string): number | undefined {
  const v = rec(map)?.[key];
  return typeof v === 'string' || typeof v === 'number' ? parseQuantity(v) : undefined;
}

/** Whether a quota's scopes cover the workload's pods. Unknown scopes cover nothing (the quota is not judged). */
function inScope(quota: ObjectInfo, p: Peak): boolean {
  const spec = rec(quota.manifest.spec) ?? {};
  const podSpec = p.w.t.spec;
  const terminating = podSpec.activeDeadlineSeconds !== undefined;
  const test = (scope: string, op: string, values: readonly string[]): boolean => {
    let r: boolean;
    switch (scope) {
      case 'Terminating':
        r = terminating;
        break;
      case 'NotTerminating':
        r = !terminating;
        break;
      case 'BestEffort':
        r = p.charge.bestEffort;
        break;
      case 'NotBestEffort':
        r = !p.charge.bestEffort;
        break;
      case 'PriorityClass': {
        const pc = str(podSpec.priorityClassName);
        if (op === 'Exists') return pc !== undefined;
        if (op === 'DoesNotExist') return pc === undefined;
        r = pc !== undefined && values.includes(pc);
        return op === 'NotIn' ? !r : r;
      }
      default:
        return false;
    }
    return op === 'DoesNotExist' || op === 'NotIn' ? !r : r;
  };
  for (const s of arr(spec.scopes)) if (typeof s === 'string' && !test(s, 'Exists', [])) return false;
  for (const e of arr(rec(spec.scopeSelector)?.matchExpressions)) {
    const x = rec(e) ?? {};
    if (!test(str(x.scopeName) ?? '', str(x.operator) ?? 'In', arr(x.values).filter((v): v is string => typeof v === 'string'))) return false;
  }
  return true;
}

function explicitDefaults(b: Bundle, items: readonly LimitItem[]): void {
  for (const it of items) {
    if (it.type !== 'Container') continue;
    const implicit = COMPUTE_RESOURCES.filter(
      (r) => (it.max[r] !== undefined || it.min[r] !== undefined) && (it.written.default[r] === undefined || it.written.defaultRequest[r] === undefined),
    );
    if (implicit.length === 0) continue;
    const gets = implicit
      .map((r) => `${r} request ${it.defaultRequest[r] !== undefined ? formatAmount(r, it.defaultRequest[r]) : 'none'} and limit ${it.default[r] !== undefined ? formatAmount(r, it.default[r]) : 'none'}`)
      .join(', ');
    b.sink.add(
      it.lr,
      'RES-04',
      join(it.path, 'default'),
      `LimitRange leaves default and defaultRequest to API defaulting for ${implicit.join(', ')}, so a container without resources gets ${gets}`,
      'set default and defaultRequest explicitly, sized for a typical container',
    );
  }
}

function limitRangeAdmits(b: Bundle, w: Workload, items: readonly LimitItem[], charge: PodCharge): void {
  for (const { ci, eff } of charge.containers) {
    for (const r of COMPUTE_RESOURCES) {
      const req = eff.requests[r];
      const lim = eff.limits[r];
      const fmt = (v: number) => formatAmount(r, v);
      const source = (field: string) => (eff.fromLimitRange.has(`${field}.${r}`) ? ' (LimitRange default)' : '');
      if (req !== undefined && lim !== undefined && req > lim + EPS) {
        b.sink.addStated(
          'High',
          w.obj,
          'RES-04',
          join(ci.path, 'resources', 'requests', r),
          `${ci.label} requests ${r} ${fmt(req)}${source('requests')} above its limit ${fmt(lim)}${source('limits')}, so its pods are rejected`,
          'set the limit explicitly, or raise the LimitRange default',
        );
      }
      for (const it of items) {
        if (it.type !== 'Container') continue;
        const min = it.min[r];
        const max = it.max[r];
        const ratio = it.maxLimitRequestRatio[r];
        if (min !== undefined && req !== undefined && req < min - EPS) {
          b.sink.addStated('High', w.obj, 'RES-04', join(ci.path, 'resources', 'requests', r), `${ci.label} requests ${r} ${fmt(req)}, below the minimum ${fmt(min)} of LimitRange "${it.lr.name}", so its pods are rejected`, `request at least ${fmt(min)}`);
        }
        if (max !== undefined && lim !== undefined && lim > max + EPS) {
          b.sink.addStated('High', w.obj, 'RES-04', join(ci.path, 'resources', 'limits', r), `${ci.label} limits ${r} to ${fmt(lim)}, above the maximum ${fmt(max)} of LimitRange "${it.lr.name}", so its pods are rejected`, `limit it to at most ${fmt(max)}`);
        }
        if (ratio !== undefined && req !== undefined && lim !== undefined && req > 0 && lim / req > ratio + EPS) {
          b.sink.addStated('High', w.obj, 'RES-04', join(ci.path, 'resources', 'limits', r), `${ci.label} ${r} limit/request ratio ${Math.round((lim / req) * 100) / 100} exceeds maxLimitRequestRatio ${ratio} of LimitRange "${it.lr.name}"`, 'bring the limit closer to the request');
        }
      }
    }
  }
  for (const it of items) {
    if (it.type !== 'Pod') continue;
    for (const r of COMPUTE_RESOURCES) {
      const max = it.max[r];
      const min = it.min[r];
      const lim = charge.limits[r];
      const req = charge.requests[r];
      if (max !== undefined && lim !== undefined && lim > max + EPS) {
        b.sink.addStated('High', w.obj, 'RES-04', join(w.t.specPath, 'containers'), `pod limits ${r} to ${formatAmount(r, lim)} in total, above the pod maximum ${formatAmount(r, max)} of LimitRange "${it.lr.name}"`, 'lower the container limits');
      }
      if (min !== undefined && req !== undefined && req < min - EPS) {
        b.sink.addStated('High', w.obj, 'RES-04', join(w.t.specPath, 'containers'), `pod requests ${r} ${formatAmount(r, req)} in total, below the pod minimum ${formatAmount(r, min)} of LimitRange "${it.lr.name}"`, 'raise the container requests');
      }
    }
  }
}

/** Runs RES-04 over every namespace. */
export function checkQuotas(b: Bundle): void {
  const lrByNs = new Map<string, LimitItem[]>();
  for (const lr of b.byKind.get('LimitRange') ?? []) {
    const items = limitItems(lr);
    explicitDefaults(b, items);
    lrByNs.set(lr.ns, [...(lrByNs.get(lr.ns) ?? []), ...items]);
  }
  const quotasByNs = groupByNs(b.byKind.get('ResourceQuota') ?? []);
  const pvcsByNs = groupByNs(b.byKind.get('PersistentVolumeClaim') ?? []);
  for (const ns of [...b.pods.namespaces()]) {
    const workloads = b.pods.all(ns);
    if (workloads.length === 0) continue;
    const items = lrByNs.get(ns) ?? [];
    const quotas = quotasByNs.get(ns) ?? [];
    const missing = [...(quotas.length === 0 ? ['ResourceQuota'] : []), ...(items.length === 0 ? ['LimitRange'] : [])];
    if (missing.length > 0) {
      b.sink.add(
        b.namespaceSubject(ns),
        'RES-04',
        'metadata.name',
        `namespace ${ns} has pods but no ${missing.join(' and no ')}, so nothing bounds what its pods may take`,
        `add ${missing.map((m) => `a ${m}`).join(' and ')} (explicit default and defaultRequest, and a quota sized for HPA max x per-pod limits + Jobs)`,
      );
    }
    const peaks: Peak[] = [];
    for (const w of workloads) {
      const p = peakOf(w, b, items);
      if (p) {
        peaks.push(p);
        limitRangeAdmits(b, w, items, p.charge);
      }
    }
    const unreachable = new Map<HpaBounds, Unreachable>();
    for (const quota of quotas) checkQuota(b, quota, peaks.filter((p) => inScope(quota, p)), pvcsByNs.get(ns) ?? [], unreachable);
    reportUnreachable(b, unreachable);
  }
}

function groupByNs(objects: readonly ObjectInfo[]): Map<string, ObjectInfo[]> {
  const out = new Map<string, ObjectInfo[]>();
  for (const o of objects) out.set(o.ns, [...(out.get(o.ns) ?? []), o]);
  return out;
}

/** Per HPA, the tightest quota key (fewest admitted pods). */
interface Unreachable {
  readonly admit: number;
  readonly text: string;
  readonly peak: Peak;
}

/** One workload's share of a quota key: pods at peak times the charge per pod. */
interface Share {
  readonly p: Peak;
  readonly each: number;
}

/** Every key of one quota against the workloads it covers. */
function checkQuota(b: Bundle, quota: ObjectInfo, scoped: readonly Peak[], pvcs: readonly ObjectInfo[], unreachable: Map<HpaBounds, Unreachable>): void {
  const hard = rec(rec(quota.manifest.spec)?.hard) ?? {};
  for (const [key, raw] of Object.entries(hard)) {
    const k = quotaKey(key);
    const limit = typeof raw === 'string' || typeof raw === 'number' ? parseQuantity(raw) : undefined;
    if (!k || limit === undefined) continue;
    if (k.kind === 'compute') missingCharges(b, quota, key, k, scoped);
    let fixed = 0;
    if (k.kind === 'pvc-count' || k.kind === 'pvc-storage') {
      for (const pvc of pvcs) fixed += k.kind === 'pvc-count' ? 1 : (quantityOf(rec(rec(pvc.manifest.spec)?.resources)?.requests, 'storage') ?? 0);
    }
    const shares: Share[] = scoped.map((p) => ({ p, each: perPod(p, k) })).filter((x) => x.each > 0);
    const total = fixed + shares.reduce((acc, x) => acc + x.each * x.p.pods, 0);
    const single = shares.find((x) => x.each > limit - fixed + EPS);
    if (single) {
      const beside = fixed > 0 ? ` next to PersistentVolumeClaims ${formatKey(k, fixed)}` : '';
      b.sink.addStated(
        'High',
        quota,
        'RES-04',
        join('spec.hard', key),
        `quota ${key} ${formatKey(k, limit)} cannot admit one pod of ${single.p.w.obj.kind} "${single.p.w.obj.name}", which needs ${formatKey(k, single.each)}${beside}, so every such pod is rejected`,
        `raise ${key} to at least ${formatKey(k, total)} (the namespace at peak), or lower the per-pod ${k.kind === 'compute' ? k.field : 'usage'}`,
      );
    } else if (total > limit + EPS) {
      reportPeak(b, quota, key, k, limit, total, shares, fixed);
    }
    for (const x of shares) trackUnreachable(quota, key, k, limit, total, x, unreachable);
  }
}

/** A container without the request or limit a compute quota counts: quota admission rejects its pods. */
function missingCharges(b: Bundle, quota: ObjectInfo, key: string, k: Extract<QuotaKey, { kind: 'compute' }>, scoped: readonly Peak[]): void {
  for (const p of scoped) {
    const ci = p.charge.missingBy.get(`${k.field}.${k.resource}`);
    if (!ci) continue;
    b.sink.addStated(
      'High',
      p.w.obj,
      'RES-04',
      join(ci.path, 'resources', k.field, k.resource),
      `${ci.label} sets no ${k.resource} ${k.field === 'requests' ? 'request' : 'limit'} and no LimitRange default applies, so quota "${quota.name}" (${key}) rejects its pods`,
      `set resources.${k.field}.${k.resource}, or a LimitRange default`,
    );
  }
}

function reportPeak(b: Bundle, quota: ObjectInfo, key: string, k: QuotaKey, limit: number, total: number, shares: readonly Share[], fixed: number): void {
  const breakdown = [
    ...shares.map(
      (x) =>
        `${x.p.w.obj.kind} "${x.p.w.obj.name}" ${x.p.pods} x ${formatKey(k, x.each)} (${x.p.why}${k.kind === 'compute' && x.p.charge.fromLimitRange.has(`${k.field}.${k.resource}`) ? ', LimitRange default' : ''})`,
    ),
    ...(fixed > 0 ? [`PersistentVolumeClaims ${formatKey(k, fixed)}`] : []),
  ].join(', ');
  b.sink.addStated(
    'High',
    quota,
    'RES-04',
    join('spec.hard', key),
    `quota ${key} ${formatKey(k, limit)} cannot admit the namespace at peak, which needs ${formatKey(k, total)}: ${breakdown}`,
    `raise ${key} to at least ${formatKey(k, total)}, or lower maxReplicas or the per-pod ${k.kind === 'compute' ? `${k.field}` : 'usage'}`,
  );
}

function trackUnreachable(quota: ObjectInfo, key: string, k: QuotaKey, limit: number, total: number, x: Share, unreachable: Map<HpaBounds, Unreachable>): void {
  if (!x.p.hpa) return;
  const others = total - x.each * x.p.pods;
  const admit = Math.max(0, Math.floor((limit - others) / x.each + EPS));
  if (admit >= x.p.pods) return;
  const prev = unreachable.get(x.p.hpa);
  if (prev && prev.admit <= admit) return;
  unreachable.set(x.p.hpa, {
    admit,
    peak: x.p,
    text: `quota "${quota.name}" ${key} ${formatKey(k, limit)} admits at most ${admit} pods of ${x.p.w.obj.kind} "${x.p.w.obj.name}" (${formatKey(k, x.each)} each) next to ${formatKey(k, others)} for the rest of the namespace`,
  });
}

function reportUnreachable(b: Bundle, unreachable: ReadonlyMap<HpaBounds, Unreachable>): void {
  for (const [hpa, u] of unreachable) {
    const need = u.peak.surge > 0 ? `scaling to ${u.peak.max} with a ${u.peak.surge}-pod rollout surge needs ${u.peak.pods}` : `scaling to ${u.peak.max} needs ${u.peak.pods}`;
    b.sink.addStated(
      'High',
      hpa.hpa,
      'RES-04',
      'spec.maxReplicas',
      `maxReplicas ${u.peak.max} is unreachable: ${u.text}, and ${need}`,
      'raise the quota, lower the per-pod resources, or lower maxReplicas to what the quota admits',
    );
  }
}
