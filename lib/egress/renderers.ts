import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import type { ObjectMeta } from '../kit/index.js';
import { parseDomain, type DomainEgressRule } from './domains.js';

/**
 * The objects each enforcement point needs for one agent's allow-list. Each
 * renders the meaning of {@link DomainPattern} exactly; what a target cannot
 * express was refused before (`checkDomainsForEnforcement`).
 */

/** What a renderer needs of the agent. */
export interface EgressSubject {
  /** Object name of the agent (its objects are named after it). */
  readonly name: string;
  /** Namespace of the agent. */
  readonly namespace: string;
  /** The agent pods' selector labels. */
  readonly selector: Readonly<Record<string, string>>;
}

/** Where cluster DNS runs, for Cilium's DNS proxy rule. */
export interface DnsPods {
  readonly namespace: string;
  readonly podLabels: Readonly<Record<string, string>>;
}

function apiObject(scope: Construct, id: string, apiVersion: string, kind: string, metadata: ObjectMeta, spec: Record<string, unknown>): ApiObject {
  return new ApiObject(scope, id, { apiVersion, kind, metadata: { ...metadata }, spec });
}

/** Sorted, de-duplicated ports. */
function portsOf(rule: DomainEgressRule): number[] {
  return [...new Set(rule.ports)].sort((a, b) => a - b);
}

/**
 * A CiliumNetworkPolicy: `toFQDNs` per rule (exact names as `matchName`,
 * `*.` as `matchPattern`, which Cilium keeps within one label) and the DNS
 * rule that sends the pods' lookups through Cilium's DNS proxy, which is how
 * Cilium learns the addresses behind the names (without it `toFQDNs` never
 * matches).
 * @see https://docs.cilium.io/en/stable/security/dns/
 */
export function renderCilium(scope: Construct, meta: (kind: string, name: string) => ObjectMeta, s: EgressSubject, rules: readonly DomainEgressRule[], dns: DnsPods): ApiObject {
  const dnsPeer = {
    matchLabels: { 'k8s:io.kubernetes.pod.namespace': dns.namespace, ...Object.fromEntries(Object.entries(dns.podLabels).map(([k, v]) => [`k8s:${k}`, v])) },
  };
  const egress = [
    { toEndpoints: [dnsPeer], toPorts: [{ ports: [{ port: '53', protocol: 'ANY' }], rules: { dns: [{ matchPattern: '*' }] } }] },
    ...rules.map((r) => ({
      toFQDNs: r.domains.map(parseDomain).map((d) => (d.kind === 'exact' ? { matchName: d.name } : { matchPattern: `*.${d.base}` })),
      toPorts: [{ ports: portsOf(r).map((port) => ({ port: String(port), protocol: 'TCP' })) }],
    })),
  ];
  return apiObject(scope, 'CiliumNetworkPolicy', 'cilium.io/v2', 'CiliumNetworkPolicy', meta('CiliumNetworkPolicy', `${s.name}-egress-domains`), {
    endpointSelector: { matchLabels: { ...s.selector } },
    egress,
  });
}

/** The Istio host of a pattern: `**.x` is Istio's `*.x` (any depth). */
function istioHost(text: string): string {
  const d = parseDomain(text);
  return d.kind === 'exact' ? d.name : `*.${d.base}`;
}

/**
 * Istio: a ServiceEntry per domain (MESH_EXTERNAL, TLS on the rule's ports;
 * DNS resolution for a name, none for a wildcard, whose address Istio
 * cannot know) visible in the agent's namespace only, and a Sidecar for the
 * agent's pods with `outboundTrafficPolicy: REGISTRY_ONLY` that imports the
 * cluster's Services and this agent's entries only, so a name no entry
 * lists goes nowhere.
 * @see https://istio.io/latest/docs/tasks/traffic-management/egress/egress-control/
 */
export function renderIstio(scope: Construct, meta: (kind: string, name: string) => ObjectMeta, s: EgressSubject, rules: readonly DomainEgressRule[]): ApiObject[] {
  const entries = new Map<string, Set<number>>();
  for (const r of rules) for (const d of r.domains) for (const p of r.ports) entries.set(istioHost(d), (entries.get(istioHost(d)) ?? new Set()).add(p));
  const objects = [...entries].map(([host, ports]) =>
    apiObject(scope, `ServiceEntry-${host}`, 'networking.istio.io/v1', 'ServiceEntry', meta('ServiceEntry', `${s.name}-${host.replace(/^\*\./, 'wildcard.')}`), {
      hosts: [host],
      location: 'MESH_EXTERNAL',
      resolution: host.startsWith('*.') ? 'NONE' : 'DNS',
      ports: [...ports].sort((a, b) => a - b).map((number) => ({ number, name: `tls-${number}`, protocol: 'TLS' })),
      exportTo: ['.'],
    }),
  );
  objects.push(
    apiObject(scope, 'Sidecar', 'networking.istio.io/v1', 'Sidecar', meta('Sidecar', `${s.name}-egress`), {
      workloadSelector: { labels: { ...s.selector } },
      egress: [{ hosts: ['*/*.svc.cluster.local', ...[...entries.keys()].map((h) => `./${h}`)] }],
      outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' },
    }),
  );
  return objects;
}

/**
 * A GKE FQDNNetworkPolicy (its controller resolves the names and keeps a
 * NetworkPolicy of the same name with their addresses up to date). Named
 * `<agent>-fqdn` so the generated NetworkPolicy never replaces the agent's own.
 * @see https://github.com/GoogleCloudPlatform/gke-fqdnnetworkpolicies-golang
 */
export function renderGke(scope: Construct, meta: (kind: string, name: string) => ObjectMeta, s: EgressSubject, rules: readonly DomainEgressRule[]): ApiObject {
  return apiObject(scope, 'FQDNNetworkPolicy', 'networking.gke.io/v1alpha3', 'FQDNNetworkPolicy', meta('FQDNNetworkPolicy', `${s.name}-fqdn`), {
    podSelector: { matchLabels: { ...s.selector } },
    policyTypes: ['Egress'],
    egress: rules.map((r) => ({ to: [{ fqdns: [...new Set(r.domains)] }], ports: portsOf(r).map((port) => ({ port, protocol: 'TCP' })) })),
  });
}
