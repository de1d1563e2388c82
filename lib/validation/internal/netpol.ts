import type { ObjectInfo } from './objects.js';
import { join } from './paths.js';
import type { DeclaredPort } from './pod-templates.js';
import { matches, parseLabelSelector, type Selector } from './selectors.js';
import { arr, rec, str, type StringMap } from './values.js';

/**
 * NetworkPolicy semantics, evaluated the way the API defines them: a policy
 * isolates the pods its `podSelector` picks for each of its `policyTypes`;
 * rules are ORed; inside one peer `namespaceSelector` and `podSelector` are
 * ANDed, separate peers are ORed; a `podSelector`-only peer means pods of
 * the policy's own namespace; a missing or empty `from`/`to` means every
 * peer and missing or empty `ports` every port.
 *
 * `ipBlock` peers are never taken to match a pod: the API leaves it to the
 * plugin whether pod IPs fall under ipBlock, so a rule that reaches pods only
 * through a CIDR is not relied on.
 *
 * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/
 */

/** One peer of a rule. */
export interface Peer {
  readonly path: string;
  /** Undefined when the peer has no podSelector. */
  readonly pods?: Selector;
  /** Undefined when the peer has no namespaceSelector. */
  readonly namespaces?: Selector;
  readonly ipBlock: boolean;
  /** A selector that did not parse (bad operator): the peer matches nothing. */
  readonly invalid: boolean;
}

/** One port entry of a rule. */
export interface RulePort {
  readonly protocol: string;
  readonly port?: number | string;
  readonly endPort?: number;
}

/** One ingress or egress rule. */
export interface Rule {
  readonly path: string;
  /** Undefined: every peer. */
  readonly peers?: readonly Peer[];
  /** Undefined: every port. */
  readonly ports?: readonly RulePort[];
}

/** A parsed NetworkPolicy. */
export interface Policy {
  readonly obj: ObjectInfo;
  readonly ns: string;
  /** Undefined when it does not parse: the policy selects nothing. */
  readonly podSelector?: Selector;
  readonly ingress: boolean;
  readonly egress: boolean;
  readonly ingressRules: readonly Rule[];
  readonly egressRules: readonly Rule[];
}

function parsePeer(raw: unknown, path: string): Peer {
  const p = rec(raw) ?? {};
  const hasPods = p.podSelector !== undefined && p.podSelector !== null;
  const hasNs = p.namespaceSelector !== undefined && p.namespaceSelector !== null;
  const pods = hasPods ? parseLabelSelector(p.podSelector) : undefined;
  const namespaces = hasNs ? parseLabelSelector(p.namespaceSelector) : undefined;
  return {
    path,
    ...(pods ? { pods } : {}),
    ...(namespaces ? { namespaces } : {}),
    ipBlock: rec(p.ipBlock) !== undefined,
    invalid: (hasPods && !pods) || (hasNs && !namespaces),
  };
}

function parseRules(raw: unknown, base: string, peerKey: 'from' | 'to'): Rule[] {
  return arr(raw).map((r, i) => {
    const rule = rec(r) ?? {};
    const path = join(base, i);
    const peerList = arr(rule[peerKey]);
    const portList = arr(rule.ports);
    return {
      path,
      ...(peerList.length > 0 ? { peers: peerList.map((p, j) => parsePeer(p, join(path, peerKey, j))) } : {}),
      ...(portList.length > 0
        ? {
            ports: portList.map((x) => {
              const p = rec(x) ?? {};
              const port = typeof p.port === 'number' || typeof p.port === 'string' ? p.port : undefined;
              const endPort = typeof p.endPort === 'number' ? p.endPort : undefined;
              return { protocol: str(p.protocol) ?? 'TCP', ...(port !== undefined ? { port } : {}), ...(endPort !== undefined ? { endPort } : {}) };
            }),
          }
        : {}),
    };
  });
}

/** Parses a NetworkPolicy object. */
export function parsePolicy(obj: ObjectInfo): Policy {
  const spec = rec(obj.manifest.spec) ?? {};
  const types = arr(spec.policyTypes).filter((t): t is string => typeof t === 'string');
  // Without policyTypes the API defaults to Ingress, plus Egress only when
  // spec.egress is non-empty (`len(spec.Egress) != 0` in the defaulting of
  // networking/v1): `egress: []` alone does not isolate egress.
  const ingress = types.length > 0 ? types.includes('Ingress') : true;
  const egress = types.length > 0 ? types.includes('Egress') : arr(spec.egress).length > 0;
  const podSelector = parseLabelSelector(spec.podSelector);
  return {
    obj,
    ns: obj.ns,
    ...(podSelector ? { podSelector } : {}),
    ingress,
    egress,
    ingressRules: ingress ? parseRules(spec.ingress, 'spec.ingress', 'from') : [],
    egressRules: egress ? parseRules(spec.egress, 'spec.egress', 'to') : [],
  };
}

/**
 * A pod as a network endpoint. `labels` undefined means the labels are not
 * known (a controller outside the bundle named only by namespace); a
 * non-empty podSelector is then given the benefit of the doubt.
 */
export interface Endpoint {
  readonly ns: string;
  readonly labels?: StringMap;
  /** Declared container ports, to resolve named ports. */
  readonly ports: readonly DeclaredPort[];
}

/** A destination port: a number, a name, or both; with the protocol. */
export interface TargetPort {
  readonly number?: number;
  readonly name?: string;
  readonly protocol: string;
}

/** Labels of a namespace, by name (bundle labels plus `kubernetes.io/metadata.name`). */
export type NamespaceLabels = (ns: string) => StringMap;

/** Whether a policy's podSelector picks the endpoint. */
export function selects(policy: Policy, ep: Endpoint): boolean {
  return policy.ns === ep.ns && policy.podSelector !== undefined && (ep.labels === undefined || matches(policy.podSelector, ep.labels));
}

/** Whether a peer (of a policy in `policyNs`) matches the endpoint. */
export function peerMatches(peer: Peer, policyNs: string, ep: Endpoint, nsLabels: NamespaceLabels): boolean {
  if (peer.invalid) return false;
  if (!peer.pods && !peer.namespaces) return false;
  if (peer.namespaces) {
    if (!matches(peer.namespaces, nsLabels(ep.ns))) return false;
  } else if (ep.ns !== policyNs) {
    return false;
  }
  if (peer.pods && ep.labels !== undefined && !matches(peer.pods, ep.labels)) return false;
  return true;
}

function resolveName(ep: Endpoint, name: string, protocol: string): number | undefined {
  return ep.ports.find((p) => p.name === name && p.protocol === protocol)?.containerPort;
}

/** Whether a rule's ports admit the target port on the destination endpoint. */
export function portsMatch(ports: readonly RulePort[] | undefined, target: TargetPort, dest: Endpoint): boolean {
  if (!ports) return true;
  const targetNumber = target.number ?? (target.name !== undefined ? resolveName(dest, target.name, target.protocol) : undefined);
  for (const p of ports) {
    if (p.protocol !== target.protocol) continue;
    if (p.port === undefined) return true;
    if (typeof p.port === 'number') {
      if (targetNumber !== undefined && (targetNumber === p.port || (p.endPort !== undefined && targetNumber >= p.port && targetNumber <= p.endPort))) {
        return true;
      }
    } else if (p.port === target.name || (targetNumber !== undefined && resolveName(dest, p.port, p.protocol) === targetNumber)) {
      return true;
    }
  }
  return false;
}

/** Whether a rule admits traffic with `peer` (the other side) to `target` on `dest`. */
export function ruleAdmits(rule: Rule, policyNs: string, peer: Endpoint, target: TargetPort, dest: Endpoint, nsLabels: NamespaceLabels): boolean {
  if (rule.peers && !rule.peers.some((p) => peerMatches(p, policyNs, peer, nsLabels))) return false;
  return portsMatch(rule.ports, target, dest);
}

/** Policies of the endpoint's namespace that isolate it in a direction. */
export function isolating(policies: readonly Policy[], ep: Endpoint, direction: 'ingress' | 'egress'): Policy[] {
  return policies.filter((p) => p[direction] && selects(p, ep));
}

/**
 * Whether traffic `src` → `dst` on `target` is admitted: by an egress rule of
 * a policy isolating `src` (or `src` is not egress-isolated), and by an
 * ingress rule of a policy isolating `dst` (or it is not ingress-isolated).
 * `srcPolicies`/`dstPolicies` are the policies of each endpoint's namespace.
 */
export function admits(
  direction: 'ingress' | 'egress',
  policies: readonly Policy[],
  src: Endpoint,
  dst: Endpoint,
  target: TargetPort,
  nsLabels: NamespaceLabels,
): boolean {
  const self = direction === 'egress' ? src : dst;
  const other = direction === 'egress' ? dst : src;
  const iso = isolating(policies, self, direction);
  if (iso.length === 0) return true;
  return iso.some((p) => (direction === 'egress' ? p.egressRules : p.ingressRules).some((r) => ruleAdmits(r, p.ns, other, target, dst, nsLabels)));
}
