import { describe, expect, it } from 'vitest';
import { reopenedRanges } from '../../lib/validation/policy/egress.js';
import type { Manifest } from '../../lib/validation/types.js';
import { verify } from '../../lib/validation/verify.js';

// NET-11: a policy that reopens what the namespace's default-deny closed.

type Obj = Record<string, unknown>;

function netpol(spec: Obj, annotations: Record<string, string> = {}): Manifest {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'p', namespace: 'agents', annotations },
    spec: { podSelector: { matchLabels: { app: 'a' } }, policyTypes: ['Ingress', 'Egress'], ...spec },
  } as Manifest;
}

function net11(m: Manifest): string[] {
  return verify([m])
    .findings.filter((f) => f.checkId === 'NET-11')
    .map((f) => `${f.severity}${f.waived ? ' waived' : ''} ${f.path}: ${f.message}; ${f.fix}`);
}

const FIX = 'except the private, link-local and unique-local ranges (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 169.254.0.0/16; fc00::/7, fe80::/10), name the destinations, or waive NET-11 with the reason';
const V4_BASELINE = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '100.64.0.0/10', '127.0.0.0/8'];

describe('NET-11 reopened egress', () => {
  it('reports 0.0.0.0/0 and ::/0 without the baseline excepts, High', () => {
    const m = netpol({ egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0', except: ['fc00::/7'] } }], ports: [{ port: 443, protocol: 'TCP' }] }] });
    expect(net11(m)).toEqual([
      `High spec.egress[0].to[0].ipBlock: ipBlock "0.0.0.0/0" reopens 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 169.254.0.0/16 (cloud metadata, nodes, pods), got except []; ${FIX}`,
      `High spec.egress[0].to[1].ipBlock: ipBlock "::/0" reopens fe80::/10 (cloud metadata, nodes, pods), got except ["fc00::/7"]; ${FIX}`,
    ]);
  });

  it('passes public egress with the baseline excepts, and private destinations', () => {
    expect(net11(netpol({ egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: V4_BASELINE } }], ports: [{ port: 443 }] }] }))).toEqual([]);
    expect(net11(netpol({ egress: [{ to: [{ ipBlock: { cidr: '::/0', except: ['fc00::/7', 'fe80::/10', '::1/128'] } }], ports: [{ port: 443 }] }] }))).toEqual([]);
    expect(net11(netpol({ egress: [{ to: [{ ipBlock: { cidr: '10.20.0.0/16' } }], ports: [{ port: 5432 }] }] }))).toEqual([]);
  });

  it('reports only the range an except misses, 169.254.169.254 included', () => {
    expect(reopenedRanges('0.0.0.0/0', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'])).toEqual(['169.254.0.0/16']);
    expect(reopenedRanges('169.254.0.0/16', [])).toEqual(['169.254.0.0/16']);
    expect(reopenedRanges('0.0.0.0/0', ['169.254.169.254/32', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'])).toEqual(['169.254.0.0/16']);
  });

  it('reports an empty namespaceSelector on every port and a rule without peers or ports', () => {
    const m = netpol({ ingress: [{ from: [{ namespaceSelector: {} }] }], egress: [{}, { to: [{ namespaceSelector: {} }], ports: [{ port: 53 }] }] });
    expect(net11(m)).toEqual([
      'High spec.ingress[0].from[0].namespaceSelector: peer selects every pod of every namespace on every port, got an empty namespaceSelector; select the namespaces by kubernetes.io/metadata.name and the pods by labels, on named ports',
      'High spec.egress[0]: egress rule has no to and no ports, so it opens every address and port the default-deny closed; list the peers and ports it needs, or waive NET-11 with the reason',
    ]);
  });

  it('reports Cilium world entities and CIDRs without excepts', () => {
    const cnp = {
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumNetworkPolicy',
      metadata: { name: 'c', namespace: 'agents' },
      spec: {
        endpointSelector: { matchLabels: { app: 'a' } },
        egress: [{ toEntities: ['world'] }, { toCIDR: ['0.0.0.0/0'] }, { toCIDRSet: [{ cidr: '0.0.0.0/0', except: V4_BASELINE }] }, { toFQDNs: [{ matchName: 'api.example.com' }] }],
      },
    } as Manifest;
    expect(net11(cnp)).toEqual([
      'High spec.egress[0].toEntities[0]: toEntities "world" opens every address outside the cluster, cloud metadata included; use toFQDNs for the names the pods call, or toCIDRSet with except, or waive NET-11 with the reason',
      `High spec.egress[1].toCIDR[0]: toCIDR "0.0.0.0/0" reopens 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 169.254.0.0/16 (cloud metadata, nodes, pods); use toCIDRSet with except, or toFQDNs; ${FIX}`,
    ]);
  });

  it('reports an Istio Sidecar with ALLOW_ANY', () => {
    const sidecar = { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', metadata: { name: 's', namespace: 'agents' }, spec: { outboundTrafficPolicy: { mode: 'ALLOW_ANY' } } } as Manifest;
    expect(net11(sidecar)).toEqual(['High spec.outboundTrafficPolicy.mode: Sidecar lets the pods reach any host outside the mesh, got mode "ALLOW_ANY"; use REGISTRY_ONLY with a ServiceEntry per allowed host, or waive NET-11 with the reason']);
  });

  it('is waived with a reason', () => {
    const m = netpol({ egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 443 }] }] }, { 'waivers.cdk8s-agent-platform.dev/NET-11': 'the scraper must reach customer-hosted targets on private addresses' });
    expect(net11(m)).toHaveLength(1);
    expect(net11(m)[0]).toMatch(/^High waived /);
    expect(verify([m]).blocking.filter((f) => f.checkId === 'NET-11')).toEqual([]);
  });
});
