import type { FindingSink } from '../internal/findings.js';
import type { ObjectInfo } from '../internal/objects.js';
import { indexHpas, type HpaBounds } from '../internal/replicas.js';
import { rec, str, type Rec } from '../internal/values.js';
import type { KubernetesVersion } from '../types.js';

/**
 * What single-object checks may look up elsewhere in the bundle: only
 * facts that change how one object is judged (is it HPA-scaled, is its PVC
 * ReadWriteOnce, is its ServiceAccount bound). Built in one pass, read by
 * map lookups.
 */
export interface PolicyContext {
  readonly version: KubernetesVersion;
  readonly sink: FindingSink;
  /** By `Kind/namespace/name` of the scale target. */
  readonly hpaByTarget: ReadonlyMap<string, HpaBounds>;
  /** PVC specs by `namespace/name`. */
  readonly pvcs: ReadonlyMap<string, Rec>;
  /** ServiceAccounts by `namespace/name`. */
  readonly serviceAccounts: ReadonlyMap<string, ObjectInfo>;
  /** `namespace/name` of ServiceAccounts some RoleBinding or ClusterRoleBinding binds. */
  readonly boundServiceAccounts: ReadonlySet<string>;
  /** ClusterRoles by name. */
  readonly clusterRoles: ReadonlyMap<string, ObjectInfo>;
  /** The Pod Security `enforce` level of each Namespace object of the bundle that sets one. */
  readonly enforcement: ReadonlyMap<string, string>;
}

const ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';

/** Builds the lookups of {@link PolicyContext} in one pass over the objects. */
export function buildContext(objects: readonly ObjectInfo[], version: KubernetesVersion, sink: FindingSink): PolicyContext {
  const hpaByTarget = indexHpas(objects);
  const pvcs = new Map<string, Rec>();
  const serviceAccounts = new Map<string, ObjectInfo>();
  const boundServiceAccounts = new Set<string>();
  const clusterRoles = new Map<string, ObjectInfo>();
  const enforcement = new Map<string, string>();
  for (const o of objects) {
    const spec = rec(o.manifest.spec);
    switch (o.kind) {
      case 'PersistentVolumeClaim':
        pvcs.set(`${o.ns}/${o.name}`, spec ?? {});
        break;
      case 'ServiceAccount':
        serviceAccounts.set(`${o.ns}/${o.name}`, o);
        break;
      case 'ClusterRole':
        clusterRoles.set(o.name, o);
        break;
      case 'Namespace': {
        const level = o.labels[ENFORCE_LABEL];
        if (level !== undefined) enforcement.set(o.name, level);
        break;
      }
      case 'RoleBinding':
      case 'ClusterRoleBinding':
        for (const s of Array.isArray(o.manifest.subjects) ? o.manifest.subjects : []) {
          const subject = rec(s);
          if (subject?.kind === 'ServiceAccount' && typeof subject.name === 'string') {
            boundServiceAccounts.add(`${str(subject.namespace) ?? o.ns}/${subject.name}`);
          }
        }
        break;
    }
  }
  return { version, sink, hpaByTarget, pvcs, serviceAccounts, boundServiceAccounts, clusterRoles, enforcement };
}

/** Whether `version` is at least `minimum` (both `1.NN`). */
export function atLeast(version: KubernetesVersion, minimum: string): boolean {
  return Number(version.split('.')[1]) >= Number(minimum.split('.')[1]);
}
