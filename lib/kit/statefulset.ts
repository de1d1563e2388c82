import type { Construct } from 'constructs';
import { k8s } from '../internal/plus.js';
import { withAnnotations } from './deployment.js';
import type { WorkloadIdentity } from './metadata.js';
import { createService, type ServicePortSpec } from './service.js';
import { claimSpec } from './volumes.js';

/** A claim every pod of a StatefulSet gets its own of (`<name>-<statefulset>-<ordinal>`). */
export interface ClaimTemplate {
  /** Volume name the containers mount. */
  readonly name: string;
  readonly size: string;
  /** @default 'ReadWriteOnce' */
  readonly accessMode?: string;
  /** @default - the cluster default StorageClass */
  readonly storageClassName?: string;
}

/** Options of {@link createStatefulSet}. */
export interface StatefulSetOptions {
  /** Static replicas; leave undefined when an HPA scales the StatefulSet. */
  readonly replicas?: number;
  /** The headless Service that gives the pods stable DNS names ({@link createHeadlessService}). */
  readonly serviceName: string;
  /** The pod template ({@link podTemplate}). */
  readonly template: k8s.PodTemplateSpec;
  /** Per-pod claims. @default [] */
  readonly volumeClaimTemplates?: readonly ClaimTemplate[];
  /**
   * `OrderedReady` starts and stops pods one at a time in order (members
   * that join a primary); `Parallel` starts them at once (peers).
   * @default 'OrderedReady'
   */
  readonly podManagementPolicy?: 'OrderedReady' | 'Parallel';
  /**
   * `RollingUpdate` replaces pods from the highest ordinal down; a
   * `partition` keeps ordinals below it on the old revision (canaries).
   * `OnDelete` waits for pods to be deleted by hand.
   * @default { type: 'RollingUpdate' }
   */
  readonly updateStrategy?: { readonly type: 'RollingUpdate'; readonly partition?: number } | { readonly type: 'OnDelete' };
  /**
   * What happens to the claims when the StatefulSet is deleted or scaled
   * down. `Retain` keeps the data (the safe default for a data store);
   * `Delete` removes it.
   * @default { whenDeleted: 'Retain', whenScaled: 'Retain' }
   */
  readonly persistentVolumeClaimRetentionPolicy?: { readonly whenDeleted: 'Retain' | 'Delete'; readonly whenScaled: 'Retain' | 'Delete' };
  /** Seconds a new pod must be ready before it counts as available. @default - the API's 0 */
  readonly minReadySeconds?: number;
  /** Annotations of the StatefulSet object (waivers, notes). @default - none */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Revisions kept for `kubectl rollout undo`. @default 5 */
  readonly revisionHistoryLimit?: number;
}

/**
 * Creates the workload's StatefulSet: stable pod names and DNS under a
 * headless Service, one claim per pod from `volumeClaimTemplates` (labelled
 * like the workload), ordered or parallel pod management, a rolling update
 * strategy with an optional partition, and claims retained on delete and
 * scale-down unless told otherwise.
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/
 */
export function createStatefulSet(scope: Construct, id: string, w: WorkloadIdentity, o: StatefulSetOptions): k8s.KubeStatefulSet {
  const update = o.updateStrategy ?? { type: 'RollingUpdate' };
  const retention = o.persistentVolumeClaimRetentionPolicy ?? { whenDeleted: 'Retain', whenScaled: 'Retain' };
  return new k8s.KubeStatefulSet(scope, id, {
    metadata: withAnnotations(w.meta('StatefulSet'), o.annotations),
    spec: {
      replicas: o.replicas,
      serviceName: o.serviceName,
      revisionHistoryLimit: o.revisionHistoryLimit ?? 5,
      selector: { matchLabels: { ...w.selector } },
      podManagementPolicy: o.podManagementPolicy ?? 'OrderedReady',
      updateStrategy:
        update.type === 'OnDelete' ? { type: 'OnDelete' } : { type: 'RollingUpdate', ...(update.partition !== undefined ? { rollingUpdate: { partition: update.partition } } : {}) },
      persistentVolumeClaimRetentionPolicy: { ...retention },
      minReadySeconds: o.minReadySeconds,
      template: o.template,
      volumeClaimTemplates: (o.volumeClaimTemplates ?? []).map((c) => ({
        metadata: { name: c.name, labels: { ...w.labels } },
        spec: claimSpec({ size: c.size, accessMode: c.accessMode ?? 'ReadWriteOnce', storageClassName: c.storageClassName }),
      })),
    },
  });
}

/**
 * Creates the headless Service a StatefulSet's pods are named under
 * (default name `<workload>-headless`). It publishes pods before they are
 * ready, so members can find each other while they start.
 */
export function createHeadlessService(scope: Construct, id: string, w: WorkloadIdentity, ports: readonly ServicePortSpec[], name = `${w.name}-headless`): k8s.KubeService {
  return createService(scope, id, w, { name, ports, headless: true, publishNotReadyAddresses: true });
}
