import type { Construct } from 'constructs';
import { k8s } from '../internal/plus.js';
import { intOrString } from './container.js';
import type { ObjectMeta, WorkloadIdentity } from './metadata.js';

/** How a Deployment replaces its pods. */
export type RolloutStrategy =
  | { readonly type: 'RollingUpdate'; readonly maxSurge: number | string; readonly maxUnavailable: number | string }
  /** Stop every pod first: only for a ReadWriteOnce volume, which a surge pod could not attach (AVL-10). */
  | { readonly type: 'Recreate' };

/** Options of {@link createDeployment}. */
export interface DeploymentOptions {
  /** Static replicas; leave undefined when an HPA scales the Deployment. */
  readonly replicas?: number;
  readonly strategy: RolloutStrategy;
  /** The pod template ({@link podTemplate}). */
  readonly template: k8s.PodTemplateSpec;
  /** Annotations of the Deployment object (waivers, notes). @default - none */
  readonly annotations?: Readonly<Record<string, string>>;
  /** ReplicaSets kept for `kubectl rollout undo`. @default 5 */
  readonly revisionHistoryLimit?: number;
}

function renderStrategy(s: RolloutStrategy): k8s.DeploymentStrategy {
  return s.type === 'Recreate'
    ? { type: 'Recreate' }
    : { type: 'RollingUpdate', rollingUpdate: { maxSurge: intOrString(s.maxSurge), maxUnavailable: intOrString(s.maxUnavailable) } };
}

/**
 * Creates the workload's Deployment, named after it and selecting its pods
 * by the stable selector pair.
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/deployment/
 */
export function createDeployment(scope: Construct, id: string, w: WorkloadIdentity, o: DeploymentOptions): k8s.KubeDeployment {
  return new k8s.KubeDeployment(scope, id, {
    metadata: withAnnotations(w.meta('Deployment'), o.annotations),
    spec: {
      replicas: o.replicas,
      revisionHistoryLimit: o.revisionHistoryLimit ?? 5,
      selector: { matchLabels: { ...w.selector } },
      strategy: renderStrategy(o.strategy),
      template: o.template,
    },
  });
}

/** `meta` with `annotations` added, when there are any. */
export function withAnnotations(meta: ObjectMeta, annotations: Readonly<Record<string, string>> | undefined): ObjectMeta {
  if (!annotations || Object.keys(annotations).length === 0) return meta;
  return { ...meta, annotations: { ...meta.annotations, ...annotations } };
}
