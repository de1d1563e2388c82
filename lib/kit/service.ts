import type { Construct } from 'constructs';
import { k8s } from '../internal/plus.js';
import type { WorkloadIdentity } from './metadata.js';

/** A Service port; it targets the container port of the same name unless `targetPort` says otherwise. */
export interface ServicePortSpec {
  readonly name: string;
  readonly port: number;
  /** @default - the container port named `name` */
  readonly targetPort?: string;
  /** @default 'TCP' */
  readonly protocol?: string;
}

/** Options of {@link createService}. */
export interface ServiceOptions {
  readonly ports: readonly ServicePortSpec[];
  /** Object name. @default - the workload's */
  readonly name?: string;
  /**
   * A headless Service (`clusterIP: None`): DNS answers with the pod
   * addresses, and a StatefulSet's pods get stable names under it
   * (`<pod>.<service>.<namespace>.svc`).
   * @default false
   */
  readonly headless?: boolean;
  /** Publish pods before they are ready (peer discovery of a StatefulSet). @default - not written */
  readonly publishNotReadyAddresses?: boolean;
  /** @default - not written (the API's `None`) */
  readonly sessionAffinity?: 'None' | 'ClientIP';
  /** Affinity timeout with `ClientIP`. @default 10800 */
  readonly sessionAffinityTimeoutSeconds?: number;
}

/** Renders Service ports, each targeting a named container port. */
export function renderServicePorts(ports: readonly ServicePortSpec[]): k8s.ServicePort[] {
  return ports.map((p) => ({ name: p.name, port: p.port, targetPort: k8s.IntOrString.fromString(p.targetPort ?? p.name), protocol: p.protocol ?? 'TCP' }));
}

/** Creates the workload's Service, selecting its pods by the stable selector pair. */
export function createService(scope: Construct, id: string, w: WorkloadIdentity, o: ServiceOptions): k8s.KubeService {
  return new k8s.KubeService(scope, id, {
    metadata: w.meta('Service', o.name),
    spec: {
      type: 'ClusterIP',
      clusterIp: o.headless ? 'None' : undefined,
      selector: { ...w.selector },
      ports: renderServicePorts(o.ports),
      publishNotReadyAddresses: o.publishNotReadyAddresses,
      sessionAffinity: o.sessionAffinity,
      ...(o.sessionAffinity === 'ClientIP' ? { sessionAffinityConfig: { clientIp: { timeoutSeconds: o.sessionAffinityTimeoutSeconds ?? 10800 } } } : {}),
    },
  });
}
