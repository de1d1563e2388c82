import { BlockList, isIP } from 'node:net';
import type { ObjectInfo } from '../internal/objects.js';
import { join } from '../internal/paths.js';
import { arr, fmt, rec, str, type Rec } from '../internal/values.js';
import type { PolicyContext } from './context.js';

/**
 * NET-11: a policy that reopens what the namespace's default-deny closed,
 * on a NetworkPolicy, a CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy,
 * or an Istio Sidecar:
 *
 * - an `ipBlock` (Cilium: `toCIDR`, `toCIDRSet`) that contains a private,
 *   link-local or unique-local range without excepting it, so the pods reach
 *   cloud metadata (169.254.169.254, fd00:ec2::254), nodes and every pod;
 * - a peer with an empty `namespaceSelector` (and no pod selector) on every
 *   port, or a rule without peers and ports: every pod of every namespace;
 * - Cilium `toEntities` `world` or `all`: every address outside the cluster,
 *   metadata included;
 * - an Istio Sidecar with `outboundTrafficPolicy.mode: ALLOW_ANY`.
 *
 * Users of the peer projects keep shipping these (curie-eng/curie PR #795,
 * kube-agents PR #963). A deliberate one is waived with a reason.
 */

/** The ranges public egress must except: RFC 1918, IPv4 link-local (metadata), IPv6 ULA (AWS metadata) and link-local. */
export const BASELINE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', 'fc00::/7', 'fe80::/10'] as const;

interface Cidr {
  readonly text: string;
  readonly addr: string;
  readonly bits: number;
  readonly family: 'ipv4' | 'ipv6';
}

function parseCidr(text: string): Cidr | undefined {
  const [addr, b] = text.split('/');
  const v = addr ? isIP(addr) : 0;
  if (!addr || v === 0 || b === undefined || !/^\d+$/.test(b)) return undefined;
  return { text, addr, bits: Number(b), family: v === 4 ? 'ipv4' : 'ipv6' };
}

// One BlockList per outer range, made when a first range of its family and
// size is checked against it: a range is tested against every baseline range.
const subnets = new WeakMap<Cidr, BlockList>();

/** Whether `outer` contains all of `inner`. */
function contains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || outer.bits > inner.bits) return false;
  let list = subnets.get(outer);
  if (!list) {
    list = new BlockList();
    list.addSubnet(outer.addr, outer.bits, outer.family);
    subnets.set(outer, list);
  }
  return list.check(inner.addr, inner.family);
}

let baseline: readonly Cidr[] | undefined;

/** The baseline ranges `cidr` opens: those it contains and no `except` covers. */
export function reopenedRanges(cidr: string, except: readonly string[]): string[] {
  const c = parseCidr(cidr);
  if (!c) return [];
  const excepts = except.map(parseCidr).filter((e): e is Cidr => e !== undefined);
  baseline ??= BASELINE_RANGES.map((r) => parseCidr(r)!);
  return baseline.filter((r) => contains(c, r) && !excepts.some((e) => contains(e, r))).map((r) => r.text);
}

const CIDR_FIX = 'except the private, link-local and unique-local ranges (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 169.254.0.0/16; fc00::/7, fe80::/10), name the destinations, or waive NET-11 with the reason';

function emptySelector(s: Rec | undefined): boolean {
  return s !== undefined && Object.keys(rec(s.matchLabels) ?? {}).length === 0 && arr(s.matchExpressions).length === 0;
}

/** NET-11 on the rules of a NetworkPolicy (`ingress`/`from` or `egress`/`to`). */
function checkNetworkPolicyRules(o: ObjectInfo, ctx: PolicyContext, key: 'ingress' | 'egress'): void {
  const peersKey = key === 'ingress' ? 'from' : 'to';
  arr(rec(o.manifest.spec)?.[key]).forEach((raw, i) => {
    const rule = rec(raw) ?? {};
    const path = join(`spec.${key}`, i);
    const allPorts = arr(rule.ports).length === 0;
    const peers = arr(rule[peersKey]);
    if (peers.length === 0 && allPorts) {
      ctx.sink.add(o, 'NET-11', path, `${key} rule has no ${peersKey} and no ports, so it opens every address and port the default-deny closed`, `list the peers and ports it needs, or waive NET-11 with the reason`);
    }
    peers.forEach((p, j) => {
      const peer = rec(p) ?? {};
      const ipBlock = rec(peer.ipBlock);
      const cidr = str(ipBlock?.cidr);
      const open = cidr ? reopenedRanges(cidr, arr(ipBlock?.except).filter((e): e is string => typeof e === 'string')) : [];
      if (open.length > 0) {
        ctx.sink.add(o, 'NET-11', join(path, peersKey, j, 'ipBlock'), `ipBlock ${fmt(cidr)} reopens ${open.join(', ')} (cloud metadata, nodes, pods), got except ${fmt(ipBlock?.except ?? [])}`, CIDR_FIX);
      }
      if (emptySelector(rec(peer.namespaceSelector)) && (peer.podSelector === undefined || emptySelector(rec(peer.podSelector))) && allPorts) {
        ctx.sink.add(o, 'NET-11', join(path, peersKey, j, 'namespaceSelector'), 'peer selects every pod of every namespace on every port, got an empty namespaceSelector', 'select the namespaces by kubernetes.io/metadata.name and the pods by labels, on named ports');
      }
    });
  });
}

/** NET-11 on the egress rules of a Cilium policy. */
function checkCiliumRules(o: ObjectInfo, ctx: PolicyContext): void {
  const specs = [rec(o.manifest.spec), ...arr((o.manifest as Rec).specs).map(rec)];
  specs.forEach((spec, s) => {
    const base = s === 0 ? 'spec' : join('specs', s - 1);
    arr(spec?.egress).forEach((raw, i) => {
      const rule = rec(raw) ?? {};
      const path = join(`${base}.egress`, i);
      arr(rule.toCIDR).forEach((c, j) => {
        const open = typeof c === 'string' ? reopenedRanges(c, []) : [];
        if (open.length > 0) ctx.sink.add(o, 'NET-11', join(path, 'toCIDR', j), `toCIDR ${fmt(c)} reopens ${open.join(', ')} (cloud metadata, nodes, pods)`, `use toCIDRSet with except, or toFQDNs; ${CIDR_FIX}`);
      });
      arr(rule.toCIDRSet).forEach((raw2, j) => {
        const set = rec(raw2) ?? {};
        const cidr = str(set.cidr);
        const open = cidr ? reopenedRanges(cidr, arr(set.except).filter((e): e is string => typeof e === 'string')) : [];
        if (open.length > 0) ctx.sink.add(o, 'NET-11', join(path, 'toCIDRSet', j), `toCIDRSet ${fmt(cidr)} reopens ${open.join(', ')} (cloud metadata, nodes, pods), got except ${fmt(set.except ?? [])}`, CIDR_FIX);
      });
      arr(rule.toEntities).forEach((e, j) => {
        if (e === 'world' || e === 'all' || e === 'world-ipv4' || e === 'world-ipv6') {
          ctx.sink.add(o, 'NET-11', join(path, 'toEntities', j), `toEntities ${fmt(e)} opens every address outside the cluster, cloud metadata included`, 'use toFQDNs for the names the pods call, or toCIDRSet with except, or waive NET-11 with the reason');
        }
      });
    });
  });
}

/** NET-11 on NetworkPolicy, Cilium policies and Istio Sidecars. */
export function checkReopenedEgress(o: ObjectInfo, ctx: PolicyContext): void {
  if (o.kind === 'NetworkPolicy' && o.group === 'networking.k8s.io') {
    checkNetworkPolicyRules(o, ctx, 'ingress');
    checkNetworkPolicyRules(o, ctx, 'egress');
  } else if ((o.kind === 'CiliumNetworkPolicy' || o.kind === 'CiliumClusterwideNetworkPolicy') && o.group === 'cilium.io') {
    checkCiliumRules(o, ctx);
  } else if (o.kind === 'Sidecar' && o.group === 'networking.istio.io') {
    const mode = str(rec(rec(o.manifest.spec)?.outboundTrafficPolicy)?.mode);
    if (mode === 'ALLOW_ANY') {
      ctx.sink.add(o, 'NET-11', 'spec.outboundTrafficPolicy.mode', 'Sidecar lets the pods reach any host outside the mesh, got mode "ALLOW_ANY"', 'use REGISTRY_ONLY with a ServiceEntry per allowed host, or waive NET-11 with the reason');
    }
  }
}
