import type { Construct } from 'constructs';
import { k8s } from '../internal/plus.js';
import type { WorkloadIdentity } from './metadata.js';

/** Scaling rules of one direction. */
export interface ScalingRules {
  readonly stabilizationWindowSeconds: number;
  readonly selectPolicy: string;
  readonly policies: readonly { readonly type: string; readonly value: number; readonly periodSeconds: number }[];
}

/** An autoscaling range and its targets, as the props give them. */
export interface AutoscalingSpec {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Target average CPU utilization, percent of requests. */
  readonly cpuUtilization: number;
  /** Target average memory utilization, percent of requests. @default - memory not used */
  readonly memoryUtilization?: number;
  /** Per-pod custom metrics and their target averages. */
  readonly podsMetrics: readonly { readonly name: string; readonly averageValue: string }[];
  readonly behavior: { readonly scaleUp: ScalingRules; readonly scaleDown: ScalingRules };
}

/** The object an HPA scales. */
export interface ScaleTarget {
  readonly apiVersion: string;
  readonly kind: 'Deployment' | 'StatefulSet';
  readonly name: string;
}

/**
 * Creates a HorizontalPodAutoscaler (autoscaling/v2) for `target`. The
 * controller must then leave `replicas` unset, so re-applies never fight it.
 * @see https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/
 */
export function createHorizontalPodAutoscaler(scope: Construct, id: string, w: WorkloadIdentity, target: ScaleTarget, a: AutoscalingSpec): k8s.KubeHorizontalPodAutoscalerV2 {
  const utilization = (name: string, averageUtilization: number): k8s.MetricSpecV2 => ({
    type: 'Resource',
    resource: { name, target: { type: 'Utilization', averageUtilization } },
  });
  const metrics: k8s.MetricSpecV2[] = [
    utilization('cpu', a.cpuUtilization),
    ...(a.memoryUtilization !== undefined ? [utilization('memory', a.memoryUtilization)] : []),
    ...a.podsMetrics.map((m) => ({
      type: 'Pods',
      pods: { metric: { name: m.name }, target: { type: 'AverageValue', averageValue: k8s.Quantity.fromString(m.averageValue) } },
    })),
  ];
  const rules = (r: ScalingRules): k8s.HpaScalingRulesV2 => ({
    stabilizationWindowSeconds: r.stabilizationWindowSeconds,
    selectPolicy: r.selectPolicy,
    policies: r.policies.map((pol) => ({ ...pol })),
  });
  return new k8s.KubeHorizontalPodAutoscalerV2(scope, id, {
    metadata: w.meta('HorizontalPodAutoscaler'),
    spec: {
      scaleTargetRef: { ...target },
      minReplicas: a.minReplicas,
      maxReplicas: a.maxReplicas,
      metrics,
      behavior: { scaleUp: rules(a.behavior.scaleUp), scaleDown: rules(a.behavior.scaleDown) },
    },
  });
}
