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
        b.sink.add(
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
          b.sink.add(w.obj, 'RES-04', join(ci.path, 'resources', 'requests', r), `${ci.label} requests ${r} ${fmt(req)}, below the minimum ${fmt(min)} of LimitRange "${it.lr.name}", so its pods are rejected`, `request at least ${fmt(min)}`);
        }
        if (max !== undefined && lim !== undefined && lim > max + EPS) {
          b.sink.add(w.obj, 'RES-04', join(ci.path, 'resources', 'limits', r), `${ci.label} limits ${r} to ${fmt(lim)}, above the maximum ${fmt(max)} of LimitRange "${it.lr.name}", so its pods are rejected`, `limit it to at most ${fmt(max)}`);
        }
        if (ratio !== undefined && req !== undefined && lim !== undefined && req > 0 && lim / req > ratio + EPS) {
          b.sink.add(w.obj, 'RES-04', join(ci.path, 'resources', 'limits', r), `${ci.label} ${r} limit/request ratio ${Math.round((lim / req) * 100) / 100} exceeds maxLimitRequestRatio ${ratio} of LimitRange "${it.lr.name}"`, 'bring the limit closer to the request');
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
        b.sink.add(w.obj, 'RES-04', join(w.t.specPath, 'containers'), `pod limits ${r} to ${formatAmount(r, lim)} in total, above the pod maximum ${formatAmount(r, max)} of LimitRange "${it.lr.name}"`, 'lower the container limits');
      }
      if (min !== undefined && req !== undefined && req < min - EPS) {
        b.sink.add(w.obj, 'RES-04', join(w.t.specPath, 'containers'), `pod requests ${r} ${formatAmount(r, req)} in total, below the pod minimum ${formatAmount(r, min)} of LimitRange "${it.lr.name}"`, 'raise the container requests');
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
  const quotasByNs = new Map<string, ObjectInfo[]>();
  for (const q of b.byKind.get('ResourceQuota') ?? []) quotasByNs.set(q.ns, [...(quotasByNs.get(q.ns) ?? []), q]);
  const pvcsByNs = new Map<string, ObjectInfo[]>();
  for (const p of b.byKind.get('PersistentVolumeClaim') ?? []) pvcsByNs.set(p.ns, [...(pvcsByNs.get(p.ns) ?? []), p]);

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
    // Per HPA, the tightest quota key (fewest admitted pods).
    const unreachable = new Map<HpaBounds, { admit: number; text: string; peak: Peak }>();
    for (const quota of quotas) {
      const hard = rec(rec(quota.manifest.spec)?.hard) ?? {};
      const scoped = peaks.filter((p) => inScope(quota, p));
      for (const [key, raw] of Object.entries(hard)) {
        const k = quotaKey(key);
        const limit = typeof raw === 'string' || typeof raw === 'number' ? parseQuantity(raw) : undefined;
        if (!k || limit === undefined) continue;
        if (k.kind === 'compute') {
          const missingKey = `${k.field}.${k.resource}`;
          for (const p of scoped) {
            const ci = p.charge.missingBy.get(missingKey);
            if (!ci) continue;
            b.sink.add(
              p.w.obj,
              'RES-04',
              join(ci.path, 'resources', k.field, k.resource),
              `${ci.label} sets no ${k.resource} ${k.field === 'requests' ? 'request' : 'limit'} and no LimitRange default applies, so quota "${quota.name}" (${key}) rejects its pods`,
              `set resources.${k.field}.${k.resource}, or a LimitRange default`,
            );
          }
        }
        let fixed = 0;
        let fixedText = '';
        if (k.kind === 'pvc-count' || k.kind === 'pvc-storage') {
          for (const pvc of pvcsByNs.get(ns) ?? []) fixed += k.kind === 'pvc-count' ? 1 : (quantityOf(rec(rec(pvc.manifest.spec)?.resources)?.requests, 'storage') ?? 0);
          if (fixed > 0) fixedText = `PersistentVolumeClaims ${formatKey(k, fixed)}`;
        }
        const parts = scoped.map((p) => ({ p, each: perPod(p, k) })).filter((x) => x.each > 0);
        const total = fixed + parts.reduce((acc, x) => acc + x.each * x.p.pods, 0);
        if (total > limit + EPS) {
          const breakdown = [
            ...parts.map(
              (x) =>
                `${x.p.w.obj.kind} "${x.p.w.obj.name}" ${x.p.pods} x ${formatKey(k, x.each)} (${x.p.why}${k.kind === 'compute' && x.p.charge.fromLimitRange.has(`${k.field}.${k.resource}`) ? ', LimitRange default' : ''})`,
            ),
            ...(fixedText ? [fixedText] : []),
          ].join(', ');
          b.sink.add(
            quota,
            'RES-04',
            join('spec.hard', key),
            `quota ${key} ${formatKey(k, limit)} cannot admit the namespace at peak, which needs ${formatKey(k, total)}: ${breakdown}`,
            `raise ${key} to at least ${formatKey(k, total)}, or lower maxReplicas or the per-pod ${k.kind === 'compute' ? `${k.field}` : 'usage'}`,
          );
        }
        for (const x of parts) {
          if (!x.p.hpa) continue;
          const others = total - x.each * x.p.pods;
          const admit = Math.max(0, Math.floor((limit - others) / x.each + EPS));
          if (admit >= x.p.pods) continue;
          const prev = unreachable.get(x.p.hpa);
          if (prev && prev.admit <= admit) continue;
          unreachable.set(x.p.hpa, {
            admit,
            peak: x.p,
            text: `quota "${quota.name}" ${key} ${formatKey(k, limit)} admits at most ${admit} pods of ${x.p.w.obj.kind} "${x.p.w.obj.name}" (${formatKey(k, x.each)} each) next to ${formatKey(k, others)} for the rest of the namespace`,
          });
        }
      }
    }
    for (const [hpa, u] of unreachable) {
      const need = u.peak.surge > 0 ? `scaling to ${u.peak.max} with a ${u.peak.surge}-pod rollout surge needs ${u.peak.pods}` : `scaling to ${u.peak.max} needs ${u.peak.pods}`;
      b.sink.add(
        hpa.hpa,
        'RES-04',
        'spec.maxReplicas',
        `maxReplicas ${u.peak.max} is unreachable: ${u.text}, and ${need}`,
        'raise the quota, lower the per-pod resources, or lower maxReplicas to what the quota admits',
      );
    }
  }
}
