import { z } from 'zod';
import { cidr, dnsLabel, labelMap, portNumber } from '../core/schemas.js';
import { k8s } from '../internal/plus.js';
import { problem } from '../internal/props.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';

// D-X-02
/** The label every namespace carries automatically (Kubernetes 1.21+); hand-set `name:` labels are not reliable. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/**
 * A port of a network rule.
 * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/
 */
export interface NetworkPortOptions {
  /** Port number, 1-65535. */
  readonly port: number;
  /** Protocol. @default 'TCP' */
  readonly protocol?: 'TCP' | 'UDP' | 'SCTP';
}

/**
 * Pods selected by labels, in a namespace: one NetworkPolicy peer carrying
 * both selectors, so a pod must match both.
 * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors
 */
export interface PodPeer {
  /** Namespace of the pods. @default - the namespace of the policy */
  readonly namespace?: string;
  /** Labels the pods carry; an empty map selects every pod of the namespace. */
  readonly podLabels: { readonly [key: string]: string };
}

/**
 * Egress to pods (by namespace and labels) on the given ports.
 * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/
 */
export interface PodEgressRule {
  /** What the destination is, for people reading the code and errors. @default - none */
  readonly description?: string;
  /** Destination pods. */
  readonly pods: PodPeer;
  /** Destination ports, at least one: an open port range is never implied. */
  readonly ports: readonly NetworkPortOptions[];
}

/**
 * Egress to a CIDR block, minus exceptions, on the given ports.
 * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource
 */
export interface CidrEgressRule {
  /** What the destination is, for people reading the code and errors. @default - none */
  readonly description?: string;
  /** Destination CIDR block, e.g. `0.0.0.0/0` for the internet. */
  readonly cidr: string;
  /** Blocks inside `cidr` excluded from it (private ranges, link-local, cloud metadata). @default [] */
  readonly except?: readonly string[];
  /** Destination ports, at least one. */
  readonly ports: readonly NetworkPortOptions[];
}

/** An egress destination: pods or a CIDR block, with ports. */
export type EgressRuleOptions = PodEgressRule | CidrEgressRule;

/** A port of a network rule. */
export const networkPortSchema = z.strictObject({
  /** Port number. */
  port: portNumber,
  /** @default 'TCP' */
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).default('TCP'),
});

// D-SKR-04
/**
 * Pods selected by labels, in a namespace. Rendered as ONE peer carrying
 * both selectors, so they are ANDed, with the namespace matched on
 * `kubernetes.io/metadata.name`.
 */
export const podPeerSchema = z.strictObject({
  /** Namespace of the pods. @default - the namespace of the policy */
  namespace: dnsLabel.optional(),
  /** Labels the pods carry. An empty map selects every pod of the namespace. */
  podLabels: labelMap,
});

true satisfies SchemaAgrees<typeof podPeerSchema, PodPeer>;
true satisfies SchemaAgrees<typeof networkPortSchema, NetworkPortOptions>;

/** An egress destination: pods (by namespace and labels) or a CIDR block, with ports. */
export const egressRuleSchema = z.union([
  z.strictObject({
    /** Human description, kept as a comment-like name in errors and docs. @default - none */
    description: z.string().optional(),
    /** Destination pods. */
    pods: podPeerSchema,
    /** Destination ports; at least one, an open port range is never implied. */
    ports: z.array(networkPortSchema).min(1, { error: problem('is empty', 'list at least one port') }),
  }),
  z.strictObject({
    /** Human description. @default - none */
    description: z.string().optional(),
    /** Destination CIDR block, e.g. `0.0.0.0/0` for internet HTTPS. */
    cidr,
    /** Blocks excluded from `cidr` (RFC1918, link-local, cloud metadata). @default [] */
    except: z.array(cidr).default([]),
    /** Destination ports; at least one. */
    ports: z.array(networkPortSchema).min(1, { error: problem('is empty', 'list at least one port') }),
  }).superRefine((r, ctx) => {
    // The API server rejects an `except` that is not strictly inside `cidr`.
    r.except.forEach((block, i) => {
      if (!strictlyInside(block, r.cidr)) {
        ctx.addIssue({ code: 'custom', path: ['except', i], message: problem(`is not strictly inside cidr ${r.cidr}`, `except only blocks within ${r.cidr}, or remove it`) });
      }
    });
  }),
]);

/** An address of a CIDR block as a number, and its prefix length; undefined when it does not parse. */
function cidrBits(block: string): { family: 4 | 6; addr: bigint; prefix: number } | undefined {
  const [ip, len] = block.split('/');
  const prefix = Number(len);
  if (ip === undefined || !Number.isInteger(prefix)) return undefined;
  if (ip.includes('.')) return { family: 4, addr: ip.split('.').reduce((a, o) => (a << 8n) + BigInt(Number(o)), 0n), prefix };
  const [head = '', tail = ''] = ip.split('::');
  const parts = (x: string) => (x === '' ? [] : x.split(':'));
  const h = parts(head);
  const t = parts(tail);
  const groups = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  if (groups.length !== 8) return undefined;
  return { family: 6, addr: groups.reduce((a, g) => (a << 16n) + BigInt(parseInt(g || '0', 16)), 0n), prefix };
}

/** Whether `inner` is a block strictly inside `outer` (same family, longer prefix, same leading bits). */
function strictlyInside(inner: string, outer: string): boolean {
  const a = cidrBits(inner);
  const b = cidrBits(outer);
  if (!a || !b || a.family !== b.family || a.prefix <= b.prefix) return false;
  const width = a.family === 4 ? 32n : 128n;
  const shift = width - BigInt(b.prefix);
  return a.addr >> shift === b.addr >> shift;
}

true satisfies SchemaAgrees<typeof egressRuleSchema, EgressRuleOptions>;

/** A parsed egress rule, defaults applied. */
export type EgressRule = z.output<typeof egressRuleSchema>;

/** Private, link-local and metadata ranges excluded from internet egress by {@link internetEgress}. */
export const NON_PUBLIC_IPV4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '100.64.0.0/10', '127.0.0.0/8'] as const;

// D-SKR-06
/**
 * Egress to the public internet on the given ports (HTTPS 443 by default):
 * `0.0.0.0/0` except private, link-local (cloud metadata 169.254.169.254) and
 * CGNAT ranges.
 */
export function internetEgress(ports: number[] = [443], description = 'internet HTTPS'): z.input<typeof egressRuleSchema> {
  return { description, cidr: '0.0.0.0/0', except: [...NON_PUBLIC_IPV4], ports: ports.map((port) => ({ port })) };
}

/** Renders pods in a namespace as one ANDed peer. */
export function renderPodPeer(peer: PodPeer, policyNamespace: string): k8s.NetworkPolicyPeer {
  const podSelector = { matchLabels: { ...peer.podLabels } };
  if (peer.namespace === undefined || peer.namespace === policyNamespace) {
    return { podSelector };
  }
  return { namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: peer.namespace } }, podSelector };
}

/** Renders network ports. */
export function renderPorts(ports: readonly z.output<typeof networkPortSchema>[]): k8s.NetworkPolicyPort[] {
  return ports.map((p) => ({ protocol: p.protocol, port: k8s.IntOrString.fromNumber(p.port) }));
}

/** Renders an egress destination: pods as one ANDed peer, or a CIDR block with its exceptions. */
export function renderEgressPeer(
  to: { readonly pods: PodPeer } | { readonly cidr: string; readonly except: readonly string[] },
  policyNamespace: string,
): k8s.NetworkPolicyPeer {
  return 'pods' in to ? renderPodPeer(to.pods, policyNamespace) : { ipBlock: { cidr: to.cidr, ...(to.except.length > 0 ? { except: [...to.except] } : {}) } };
}

/** Renders an egress rule. */
export function renderEgressRule(rule: EgressRule, policyNamespace: string): k8s.NetworkPolicyEgressRule {
  return { to: [renderEgressPeer(rule, policyNamespace)], ports: renderPorts(rule.ports) };
}

/** Where the cluster DNS runs. */
export const dnsTargetSchema = z.strictObject({
  /** @default 'kube-system' */
  namespace: dnsLabel.default('kube-system'),
  /** @default { 'k8s-app': 'kube-dns' } (CoreDNS keeps this label) */
  podLabels: labelMap.default({ 'k8s-app': 'kube-dns' }),
});

// D-SKR-04, D-BSS-01
/** DNS egress on UDP and TCP 53 to the cluster DNS pods, one ANDed peer. */
export function renderDnsEgress(target: z.output<typeof dnsTargetSchema>, policyNamespace: string): k8s.NetworkPolicyEgressRule {
  return {
    to: [renderPodPeer({ namespace: target.namespace, podLabels: target.podLabels }, policyNamespace)],
    ports: renderPorts([
      { port: 53, protocol: 'UDP' },
      { port: 53, protocol: 'TCP' },
    ]),
  };
}

/** Known sources of ingress traffic: the controller or Gateway proxy pods. */
export const INGRESS_SOURCE_PRESETS = {
  /** ingress-nginx controller pods, as its Helm chart and static manifests label them. */
  'ingress-nginx': { namespace: 'ingress-nginx', podLabels: { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' } },
  /** Envoy Gateway's managed Envoy proxy pods (default controller namespace). */
  'envoy-gateway': { namespace: 'envoy-gateway-system', podLabels: { 'app.kubernetes.io/name': 'envoy', 'app.kubernetes.io/component': 'proxy' } },
} as const satisfies Record<string, PodPeer>;

/** A preset name or explicit pods. */
export const ingressSourceSchema = z.union([z.enum(['ingress-nginx', 'envoy-gateway']), podPeerSchema]);

/** Resolves an ingress source to pods. */
export function resolveIngressSource(s: z.output<typeof ingressSourceSchema>): PodPeer {
  return typeof s === 'string' ? INGRESS_SOURCE_PRESETS[s] : s;
}

/** Prometheus pods of kube-prometheus-stack in `monitoring`, the default scraper. */
export const DEFAULT_MONITORING_SOURCE: PodPeer = { namespace: 'monitoring', podLabels: { 'app.kubernetes.io/name': 'prometheus' } };
