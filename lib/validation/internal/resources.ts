import { formatBytes, formatCpu, parseQuantity } from '../../core/quantity.js';
import type { ObjectInfo } from './objects.js';
import { join } from './paths.js';
import type { ContainerInfo } from './pod-templates.js';
import { arr, rec, str, type Rec } from './values.js';

/**
 * Container resources after the API server's defaulting and the LimitRanger
 * admission plugin, and the pod-level sums a ResourceQuota charges.
 *
 * Order, as kube-apiserver applies it:
 * 1. `SetDefaults_LimitRangeItem` (type Container): a missing `default` takes
 *    `max`; a missing `defaultRequest` takes `default`, then `min`.
 * 2. Pod defaulting: a container with a limit but no request gets request = limit.
 * 3. LimitRanger: still-missing limits take `default`, requests `defaultRequest`.
 *
 * @see https://kubernetes.io/docs/concepts/policy/limit-range/
 */

/** Resources a quota and a LimitRange both govern. */
export const COMPUTE_RESOURCES = ['cpu', 'memory', 'ephemeral-storage'] as const;

/** One of {@link COMPUTE_RESOURCES}. */
export type ComputeResource = (typeof COMPUTE_RESOURCES)[number];

/** Values per resource, in cores or bytes. */
export type ResourceValues = Partial<Record<ComputeResource, number>>;

/** Formats a resource amount the way manifests write it. */
export function formatAmount(resource: ComputeResource, value: number): string {
  return resource === 'cpu' ? formatCpu(value) : formatBytes(value);
}

function values(raw: unknown): ResourceValues {
  const out: ResourceValues = {};
  const r = rec(raw);
  if (!r) return out;
  for (const res of COMPUTE_RESOURCES) {
    const v = r[res];
    if (typeof v === 'string' || typeof v === 'number') {
      const q = parseQuantity(v);
      if (q !== undefined) out[res] = q;
    }
  }
  return out;
}

/** A LimitRange item after API defaulting. */
export interface LimitItem {
  readonly lr: ObjectInfo;
  /** Path of the item (`spec.limits[0]`). */
  readonly path: string;
  readonly type: string;
  /** As written. */
  readonly written: { readonly default: ResourceValues; readonly defaultRequest: ResourceValues };
  readonly default: ResourceValues;
  readonly defaultRequest: ResourceValues;
  readonly min: ResourceValues;
  readonly max: ResourceValues;
  readonly maxLimitRequestRatio: ResourceValues;
}

/** Reads a LimitRange's items with `SetDefaults_LimitRangeItem` applied to Container items. */
export function limitItems(lr: ObjectInfo): LimitItem[] {
  const items: LimitItem[] = [];
  arr(rec(lr.manifest.spec)?.limits).forEach((raw, i) => {
    const it = rec(raw);
    if (!it) return;
    const type = str(it.type) ?? '';
    const writtenDefault = values(it.default);
    const writtenDefaultRequest = values(it.defaultRequest);
    const min = values(it.min);
    const max = values(it.max);
    const def: ResourceValues = { ...writtenDefault };
    const defReq: ResourceValues = { ...writtenDefaultRequest };
    if (type === 'Container') {
      for (const res of COMPUTE_RESOURCES) {
        if (def[res] === undefined && max[res] !== undefined) def[res] = max[res];
        if (defReq[res] === undefined && def[res] !== undefined) defReq[res] = def[res];
        if (defReq[res] === undefined && min[res] !== undefined) defReq[res] = min[res];
      }
    }
    items.push({
      lr,
      path: join('spec.limits', i),
      type,
      written: { default: writtenDefault, defaultRequest: writtenDefaultRequest },
      default: def,
      defaultRequest: defReq,
      min,
      max,
      maxLimitRequestRatio: values(it.maxLimitRequestRatio),
    });
  });
  return items;
}

/** A container's effective resources. */
export interface EffectiveResources {
  readonly requests: ResourceValues;
  readonly limits: ResourceValues;
  /** `requests.cpu`-style keys whose value a LimitRange supplied. */
  readonly fromLimitRange: ReadonlySet<string>;
}

/** Applies pod defaulting and LimitRanger defaults (first item that has a value wins) to one container. */
export function effectiveResources(c: Rec, items: readonly LimitItem[]): EffectiveResources {
  const res = rec(c.resources);
  const requests = values(res?.requests);
  const limits = values(res?.limits);
  const fromLimitRange = new Set<string>();
  for (const r of COMPUTE_RESOURCES) {
    if (requests[r] === undefined && limits[r] !== undefined) requests[r] = limits[r];
  }
  for (const item of items) {
    if (item.type !== 'Container') continue;
    for (const r of COMPUTE_RESOURCES) {
      if (limits[r] === undefined && item.default[r] !== undefined) {
        limits[r] = item.default[r];
        fromLimitRange.add(`limits.${r}`);
      }
      if (requests[r] === undefined && item.defaultRequest[r] !== undefined) {
        requests[r] = item.defaultRequest[r];
        fromLimitRange.add(`requests.${r}`);
      }
    }
  }
  return { requests, limits, fromLimitRange };
}

/** What a pod charges against a quota: sums per resource, and which resources some container leaves unset. */
export interface PodCharge {
  readonly requests: ResourceValues;
  readonly limits: ResourceValues;
  /** `requests.cpu`-style keys some container leaves unset (quota then rejects the pod). */
  readonly missing: ReadonlySet<string>;
  /** Keys where a LimitRange default contributed. */
  readonly fromLimitRange: ReadonlySet<string>;
  /** Containers that leave a key unset, by key. */
  readonly missingBy: ReadonlyMap<string, ContainerInfo>;
  /** Whether no container has any request or limit (QoS BestEffort). */
  readonly bestEffort: boolean;
  /** Each container's effective resources (ephemeral containers excluded). */
  readonly containers: readonly { readonly ci: ContainerInfo; readonly eff: EffectiveResources }[];
}

/**
 * A pod's charge: regular containers and native sidecars summed; an init
 * container counts only if it alone (plus the sidecars) is larger, as the
 * scheduler and quota compute the effective request.
 */
export function podCharge(containers: readonly ContainerInfo[], items: readonly LimitItem[]): PodCharge {
  const requests: ResourceValues = {};
  const limits: ResourceValues = {};
  const missing = new Set<string>();
  const missingBy = new Map<string, ContainerInfo>();
  const fromLimitRange = new Set<string>();
  let bestEffort = true;
  const running: EffectiveResources[] = [];
  const inits: EffectiveResources[] = [];
  const each: { ci: ContainerInfo; eff: EffectiveResources }[] = [];
  for (const ci of containers) {
    if (ci.list === 'ephemeralContainers') continue;
    const eff = effectiveResources(ci.c, items);
    each.push({ ci, eff });
    for (const k of eff.fromLimitRange) fromLimitRange.add(k);
    for (const r of COMPUTE_RESOURCES) {
      for (const [kind, v] of [['requests', eff.requests], ['limits', eff.limits]] as const) {
        if (v[r] === undefined) {
          missing.add(`${kind}.${r}`);
          if (!missingBy.has(`${kind}.${r}`)) missingBy.set(`${kind}.${r}`, ci);
        } else bestEffort = false;
      }
    }
    (ci.list === 'initContainers' && !ci.sidecar ? inits : running).push(eff);
  }
  for (const r of COMPUTE_RESOURCES) {
    for (const kind of ['requests', 'limits'] as const) {
      const sum = running.reduce((acc, e) => acc + (e[kind][r] ?? 0), 0);
      const init = inits.reduce((acc, e) => Math.max(acc, e[kind][r] ?? 0), 0);
      const total = Math.max(sum, init);
      (kind === 'requests' ? requests : limits)[r] = total;
    }
  }
  return { requests, limits, missing, missingBy, fromLimitRange, bestEffort, containers: each };
}
