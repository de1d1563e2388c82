import { refKey, type ObjectInfo } from './objects.js';
import { num, rec, str } from './values.js';

/** An HPA's bounds, by the object it scales. */
export interface HpaBounds {
  readonly hpa: ObjectInfo;
  /** `spec.minReplicas` (API default 1). */
  readonly min: number;
  readonly max?: number;
}

/** HPAs by `Kind/namespace/name` of their scale target. */
export function indexHpas(objects: readonly ObjectInfo[]): Map<string, HpaBounds> {
  const out = new Map<string, HpaBounds>();
  for (const o of objects) {
    if (o.kind !== 'HorizontalPodAutoscaler') continue;
    const spec = rec(o.manifest.spec);
    const target = rec(spec?.scaleTargetRef);
    const kind = str(target?.kind);
    const name = str(target?.name);
    const max = num(spec?.maxReplicas);
    if (kind && name) out.set(refKey(kind, o.ns, name), { hpa: o, min: num(spec?.minReplicas) ?? 1, ...(max !== undefined ? { max } : {}) });
  }
  return out;
}

/** Replica bounds of a workload. */
export interface ReplicaBounds {
  readonly min: number;
  readonly max: number;
  /** The HPA that owns the count, if any. */
  readonly hpa?: HpaBounds;
}

/** Replica bounds: the HPA's when one targets the workload, else `spec.replicas` (default 1). */
export function replicaBounds(o: ObjectInfo, hpas: ReadonlyMap<string, HpaBounds>): ReplicaBounds {
  const hpa = hpas.get(refKey(o.kind, o.ns, o.name));
  if (hpa) return { min: hpa.min, max: Math.max(hpa.max ?? hpa.min, hpa.min), hpa };
  const replicas = num(rec(o.manifest.spec)?.replicas) ?? 1;
  return { min: replicas, max: replicas };
}
