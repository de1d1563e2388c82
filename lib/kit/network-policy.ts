import type { Construct } from 'constructs';
import { ANNOTATIONS } from '../internal/labels.js';
import { k8s } from '../internal/plus.js';
import { renderEgressPeer, renderPodPeer, renderPorts, type PodPeer } from '../network/peers.js';
import type { WorkloadIdentity } from './metadata.js';

/**
 * The workload's NetworkPolicy. The namespace denies everything and allows
 * DNS ({@link AgentNamespace}); a workload's policy opens what it serves to
 * who may call it, and what it calls. Peers are rendered as one
 * namespace-and-pod peer, so the selectors are ANDed.
 */

/** An egress destination: pods by namespace and labels, or a CIDR block with exceptions. */
export type EgressDestination = { readonly pods: PodPeer } | { readonly cidr: string; readonly except: readonly string[] };

/** An ingress rule: the peers may reach the ports (TCP). */
export function ingressRule(peers: readonly PodPeer[], ports: readonly number[], policyNamespace: string): k8s.NetworkPolicyIngressRule {
  return { from: peers.map((peer) => renderPodPeer(peer, policyNamespace)), ports: tcpPorts(ports) };
}

/** An egress rule to a destination on TCP ports. */
export function egressRule(to: EgressDestination, ports: readonly number[], policyNamespace: string): k8s.NetworkPolicyEgressRule {
  return { to: [renderEgressPeer(to, policyNamespace)], ports: tcpPorts(ports) };
}

function tcpPorts(ports: readonly number[]): k8s.NetworkPolicyPort[] {
  return renderPorts(ports.map((port) => ({ port, protocol: 'TCP' as const })));
}

/** Options of {@link createNetworkPolicy}. */
export interface NetworkPolicyOptions {
  /** Who may connect; empty for nobody. A Lazy value when callers are added after construction. */
  readonly ingress: k8s.NetworkPolicyIngressRule[];
  /** Where the pods may connect, besides DNS; empty for nowhere. */
  readonly egress: k8s.NetworkPolicyEgressRule[];
  /** Object name. @default - the workload's */
  readonly name?: string;
}

/** Creates the NetworkPolicy of the workload's pods, for both directions. */
export function createNetworkPolicy(scope: Construct, id: string, w: WorkloadIdentity, o: NetworkPolicyOptions): k8s.KubeNetworkPolicy {
  return new k8s.KubeNetworkPolicy(scope, id, {
    metadata: w.meta('NetworkPolicy', o.name),
    spec: { podSelector: { matchLabels: { ...w.selector } }, policyTypes: ['Ingress', 'Egress'], ingress: o.ingress, egress: o.egress },
  });
}

/** An egress target that may name the app it reaches: pods with `app.kubernetes.io/name`, on ports. */
export interface DependencyTarget {
  readonly pods?: PodPeer;
  readonly ports: readonly { readonly port: number }[];
}

/**
 * The dependency edges `<namespace>/<app name>:<port>` of egress rules to
 * pods labelled `app.kubernetes.io/name`, which the network invariants of
 * the verification read from the depends-on annotation.
 */
export function dependencyEdges(targets: readonly (DependencyTarget | object)[], policyNamespace: string): string[] {
  return targets.flatMap((t) => {
    if (!('pods' in t) || !t.pods || !('ports' in t)) return [];
    const { pods, ports } = t as Required<DependencyTarget>;
    const app = pods.podLabels['app.kubernetes.io/name'];
    return app ? ports.map((p) => `${pods.namespace ?? policyNamespace}/${app}:${p.port}`) : [];
  });
}

/** The depends-on annotation for `edges`, or nothing when there are none. */
export function dependsOnAnnotation(edges: readonly string[]): Record<string, string> {
  return edges.length > 0 ? { [ANNOTATIONS.dependsOn]: edges.join(',') } : {};
}
