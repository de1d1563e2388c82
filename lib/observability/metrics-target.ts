import type { SecureAgentDeployment } from '../workload/secure-agent-deployment.js';
import { deploymentPodRegex } from './promql.js';

/** The port a workload serves its metrics on. */
export interface MetricsTargetPort {
  /** Name of the Service port. */
  readonly name: string;
  /** HTTP path of the metrics, like `/metrics`. */
  readonly path: string;
}

/**
 * What the monitoring constructs need to know about a workload: its Service
 * (selected by labels, scraped on a named port; its name is the Prometheus
 * `job` label prometheus-operator sets) and its pods (for cAdvisor and
 * kube-state-metrics series).
 */
export interface MetricsTarget {
  /** Name of the Service, which is the `job` label of its ServiceMonitor targets. */
  readonly name: string;
  /** Namespace. */
  readonly namespace: string;
  /** Labels of the Service a ServiceMonitor selects it by (use the stable selector pair). */
  readonly serviceLabels: Readonly<Record<string, string>>;
  /** Names of the Service's ports. */
  readonly servicePortNames: readonly string[];
  /** The metrics port name and path, when the workload serves metrics. @default - none: the workload serves no metrics */
  readonly metricsPort?: MetricsTargetPort;
  /** Regular expression of the pod names (cAdvisor and kube-state-metrics `pod` label). */
  readonly podRegex: string;
  /** Name of the main container (cAdvisor and kube-state-metrics `container` label). */
  readonly container: string;
  /** Name of the HorizontalPodAutoscaler, when there is one. @default - none: the workload has no HPA */
  readonly hpaName?: string;
}

/** The {@link MetricsTarget} of a {@link SecureAgentDeployment}. */
export function agentMetricsTarget(agent: SecureAgentDeployment): MetricsTarget {
  const svc = agent.service.toJson() as { spec?: { ports?: { name?: string }[] } };
  const ports = (svc.spec?.ports ?? []).flatMap((p) => (p.name ? [p.name] : []));
  return {
    name: agent.name,
    namespace: agent.namespace,
    serviceLabels: { ...agent.selectorLabels },
    servicePortNames: ports,
    ...(agent.metricsPort ? { metricsPort: { name: agent.metricsPort.name, path: agent.metricsPort.path } } : {}),
    podRegex: deploymentPodRegex(agent.name),
    container: agent.name,
    ...(agent.hpa ? { hpaName: agent.hpa.name } : {}),
  };
}
