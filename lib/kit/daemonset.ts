import type { Construct } from 'constructs';
import { k8s } from '../internal/plus.js';
import { withAnnotations } from './deployment.js';
import type { WorkloadIdentity } from './metadata.js';

/** Options of {@link createDaemonSet}. */
export interface DaemonSetOptions {
  /** The pod template ({@link podTemplate}). */
  readonly template: k8s.PodTemplateSpec;
  /** Nodes whose pod may be down at once during a rollout (a number or a percentage). @default '10%' */
  readonly maxUnavailable?: number | string;
  /** Annotations of the DaemonSet object (waivers). @default - none */
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * Creates the workload's DaemonSet: one pod per node, rolled out a share of
 * the nodes at a time.
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/
 */
export function createDaemonSet(scope: Construct, id: string, w: WorkloadIdentity, o: DaemonSetOptions): k8s.KubeDaemonSet {
  const max = o.maxUnavailable ?? '10%';
  return new k8s.KubeDaemonSet(scope, id, {
    metadata: withAnnotations(w.meta('DaemonSet'), o.annotations),
    spec: {
      selector: { matchLabels: { ...w.selector } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: typeof max === 'number' ? k8s.IntOrString.fromNumber(max) : k8s.IntOrString.fromString(max) } },
      template: o.template,
    },
  });
}
