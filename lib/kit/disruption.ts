import type { Construct } from 'constructs';
import { k8s } from '../internal/plus.js';
import { intOrString } from './container.js';
import type { WorkloadIdentity } from './metadata.js';

/** A disruption budget: exactly one of the two. */
export interface DisruptionBudget {
  readonly maxUnavailable?: number | string;
  readonly minAvailable?: number | string;
}

/**
 * Creates a PodDisruptionBudget for the workload's pods. Pods that are not
 * ready may always be evicted (`unhealthyPodEvictionPolicy: AlwaysAllow`),
 * so a crash-looping pod never blocks a node drain (AVL-05).
 * @see https://kubernetes.io/docs/tasks/run-application/configure-pdb/
 */
export function createPodDisruptionBudget(scope: Construct, id: string, w: WorkloadIdentity, b: DisruptionBudget): k8s.KubePodDisruptionBudget {
  return new k8s.KubePodDisruptionBudget(scope, id, {
    metadata: w.meta('PodDisruptionBudget'),
    spec: {
      selector: { matchLabels: { ...w.selector } },
      maxUnavailable: b.maxUnavailable !== undefined ? intOrString(b.maxUnavailable) : undefined,
      minAvailable: b.minAvailable !== undefined ? intOrString(b.minAvailable) : undefined,
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  });
}

/**
 * The budget that keeps a quorum (a majority) of `replicas` members:
 * `minAvailable: floor(n/2) + 1`, so 3 members keep 2 and 5 keep 3. Data
 * stores with leader election (Sentinel, Patroni) use it. Fewer than 3
 * members have no member to spare, and a budget that allows no eviction
 * blocks every node drain, so they are refused.
 */
export function quorumBudget(replicas: number): DisruptionBudget {
  if (!Number.isInteger(replicas) || replicas < 3) {
    throw new Error(`quorumBudget: ${replicas} members cannot lose one and keep a majority; run 3 or more`);
  }
  return { minAvailable: Math.floor(replicas / 2) + 1 };
}
