import type { Chart } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { DomainEgress, SecureAgentDeployment, type DomainEgressProps } from '../../lib/index.js';
import { all, errorOf, one, synth, type Obj } from '../util.js';

const PROXY_IMAGE = 'ubuntu/squid:6.6-24.04_edge';
const LLM = [
  { domains: ['api.openai.com', 'api.anthropic.com'], ports: [443] },
  { domains: ['*.search.example.com'], ports: [443, 8443] },
];

function agent(chart: Chart, name = 'agent'): SecureAgentDeployment {
  return new SecureAgentDeployment(chart, name, { name, namespace: 'agents', image: 'registry.example.com/agent:1.0.0' });
}

function build(enforcement: DomainEgressProps['enforcement'], rules: readonly { domains: readonly string[]; ports: readonly number[] }[] = LLM): Obj[] {
  return synth((chart) => {
    const egress = new DomainEgress(chart, 'Egress', { enforcement });
    egress.allow(agent(chart), rules);
  });
}

describe('DomainEgress', () => {
  it('renders a CiliumNetworkPolicy with toFQDNs and the DNS proxy rule', () => {
    const objs = build({ type: 'cilium' });
    expect(objs).toMatchSnapshot();
    const cnp = one(objs, 'CiliumNetworkPolicy', 'agent-egress-domains');
    expect(cnp.spec.endpointSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'agent', 'app.kubernetes.io/instance': 'agent' });
    expect(cnp.spec.egress[0]).toEqual({
      toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'kube-system', 'k8s:k8s-app': 'kube-dns' } }],
      toPorts: [{ ports: [{ port: '53', protocol: 'ANY' }], rules: { dns: [{ matchPattern: '*' }] } }],
    });
    expect(cnp.spec.egress[1].toFQDNs).toEqual([{ matchName: 'api.openai.com' }, { matchName: 'api.anthropic.com' }]);
    expect(cnp.spec.egress[2]).toEqual({ toFQDNs: [{ matchPattern: '*.search.example.com' }], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }, { port: '8443', protocol: 'TCP' }] }] });
    // The agent's own NetworkPolicy opens nothing: Cilium allows the names.
    expect(one(objs, 'NetworkPolicy', 'agent').spec.egress).toEqual([]);
  });

  it('renders a ServiceEntry per domain and a REGISTRY_ONLY Sidecar for Istio', () => {
    const objs = build({ type: 'istio' }, [{ domains: ['api.openai.com', '**.googleapis.com'], ports: [443] }]);
    expect(objs).toMatchSnapshot();
    expect(all(objs, 'ServiceEntry').map((s) => [s.metadata.name, s.spec.hosts, s.spec.resolution, s.spec.exportTo])).toEqual([
      ['agent-api.openai.com', ['api.openai.com'], 'DNS', ['.']],
      ['agent-wildcard.googleapis.com', ['*.googleapis.com'], 'NONE', ['.']],
    ]);
    const sidecar = one(objs, 'Sidecar', 'agent-egress');
    expect(sidecar.spec.outboundTrafficPolicy).toEqual({ mode: 'REGISTRY_ONLY' });
    expect(sidecar.spec.egress[0].hosts).toEqual(['*/*.svc.cluster.local', './api.openai.com', './*.googleapis.com']);
    const egress = one(objs, 'NetworkPolicy', 'agent').spec.egress;
    expect(egress.map((r: Obj) => r.to[0].ipBlock.cidr)).toEqual(['0.0.0.0/0', '::/0']);
    expect(egress[0].to[0].ipBlock.except).toContain('169.254.0.0/16');
    expect(egress[1].to[0].ipBlock.except).toContain('fc00::/7');
  });

  it('renders a FQDNNetworkPolicy named apart from the agent NetworkPolicy for GKE', () => {
    const objs = build({ type: 'gke' }, [{ domains: ['api.openai.com'], ports: [443] }]);
    expect(objs).toMatchSnapshot();
    expect(one(objs, 'FQDNNetworkPolicy', 'agent-fqdn').spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'agent', 'app.kubernetes.io/instance': 'agent' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ fqdns: ['api.openai.com'] }], ports: [{ port: 443, protocol: 'TCP' }] }],
    });
  });

  it('routes the agent through the egress proxy, which alone reaches public addresses', () => {
    const objs = build({ type: 'proxy', proxy: { namespace: 'egress', image: PROXY_IMAGE } });
    expect(objs).toMatchSnapshot();
    const env = one(objs, 'Deployment', 'agent').spec.template.spec.containers[0].env;
    expect(env).toEqual(
      expect.arrayContaining([
        { name: 'HTTPS_PROXY', value: 'http://egress-proxy.egress.svc.cluster.local:3128' },
        { name: 'NO_PROXY', value: 'localhost,127.0.0.1,.svc,.svc.cluster.local,.cluster.local' },
      ]),
    );
    const agentEgress = one(objs, 'NetworkPolicy', 'agent').spec.egress;
    expect(agentEgress).toEqual([
      {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'egress' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'egress-proxy' } } }],
        ports: [{ protocol: 'TCP', port: 3128 }],
      },
    ]);
    const proxyPolicy = one(objs, 'NetworkPolicy', 'egress-proxy').spec;
    expect(proxyPolicy.ingress[0].from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'agents' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'agent', 'app.kubernetes.io/instance': 'agent' } } }]);
    expect(proxyPolicy.egress.map((r: Obj) => [r.to[0].ipBlock.cidr, r.ports.map((p: Obj) => p.port)])).toEqual([
      ['0.0.0.0/0', [443, 8443]],
      ['::/0', [443, 8443]],
    ]);
    const conf = one(objs, 'ConfigMap', 'egress-proxy-config').data['squid.conf'];
    expect(conf).toContain('acl rule0_names dstdomain -n api.openai.com api.anthropic.com');
    expect(conf).toContain('acl rule1_patterns dstdom_regex -n -i ^[^.]+\\.search\\.example\\.com$');
  });

  it('opens public addresses only with an acknowledgement that names are not enforced', () => {
    const objs = build({ type: 'networkPolicy', acknowledgeNamesNotEnforced: 'dev cluster without an FQDN-capable CNI' });
    expect(one(objs, 'NetworkPolicy', 'agent').spec.egress.map((r: Obj) => r.to[0].ipBlock.cidr)).toEqual(['0.0.0.0/0', '::/0']);
    expect(errorOf(() => build({ type: 'networkPolicy' } as never))).toBe(
      "invalid props for test/Egress:\n  test/Egress props.enforcement.acknowledgeNamesNotEnforced: is missing: a NetworkPolicy matches addresses, never names, so the agents could reach every public address on the listed ports, got undefined; choose 'cilium', 'istio', 'gke' or 'proxy' to enforce the names, or record why unenforced names are acceptable here",
    );
  });

  it.each([
    ['https://api.openai.com/v1', "is a URL, not a domain name, got \"https://api.openai.com/v1\"; give the bare name, like 'api.example.com' (the scheme and path are not part of egress)"],
    ['203.0.113.7', 'is an IP address, not a domain name, got "203.0.113.7"; list addresses as a CIDR egress rule'],
    ['2001:db8::1', 'is an IP address, not a domain name, got "2001:db8::1"; list addresses as a CIDR egress rule'],
    ['[2001:db8::1]', 'is an IP address, not a domain name, got "[2001:db8::1]"; list addresses as a CIDR egress rule'],
    ['203.0.113.7:8080', 'is an IP address, not a domain name, got "203.0.113.7:8080"; list addresses as a CIDR egress rule'],
    ['api.openai.com:443', "carries a port, got \"api.openai.com:443\"; give the bare name and put the port in 'ports'"],
    ['API.openai.com', "is not lowercase, got \"API.openai.com\"; write it as 'api.openai.com'"],
    ['api.openai.com.', "ends with a dot, got \"api.openai.com.\"; write it without the trailing dot, 'api.openai.com'"],
    ['api*.openai.com', "has a '*' that is not the whole first label, got \"api*.openai.com\"; use '*.example.com' (one level) or '**.example.com' (any depth)"],
    ['*.com', "matches a whole top-level domain, got \"*.com\"; narrow it to a registered domain, like '*.example.com'"],
    ['localhost', "is not a fully qualified name, got \"localhost\"; give the full name, like 'api.example.com'"],
    ['bad_name.example.com', 'is not a DNS name, got "bad_name.example.com"'],
  ])('rejects the domain %s', (domain, message) => {
    const error = errorOf(() => build({ type: 'cilium' }, [{ domains: [domain], ports: [443] }]));
    expect(error).toContain(`test/agent props.egressDomains[0].domains[0]: ${message}`);
  });

  it('rejects ports out of range and empty lists', () => {
    expect(errorOf(() => build({ type: 'cilium' }, [{ domains: ['api.openai.com'], ports: [0, 70000] }]))).toBe(
      'invalid props for test/agent:\n  test/agent props.egressDomains[0].ports[0]: is out of range, got 0; use an integer from 1 to 65535\n  test/agent props.egressDomains[0].ports[1]: is out of range, got 70000; use an integer from 1 to 65535',
    );
    expect(errorOf(() => build({ type: 'cilium' }, [{ domains: [], ports: [] }]))).toBe(
      "invalid props for test/agent:\n  test/agent props.egressDomains[0].domains: is empty, got []; list at least one domain, like 'api.example.com'\n  test/agent props.egressDomains[0].ports: is empty, got []; list at least one port, like [443]",
    );
  });

  describe('wildcards per enforcement point', () => {
    const rules = [{ domains: ['*.one.example.com', '**.any.example.com', 'exact.example.com'], ports: [443] }];
    it('Cilium keeps *. within one label and has no any-depth wildcard', () => {
      expect(errorOf(() => build({ type: 'cilium' }, rules))).toBe(
        "invalid props for test/agent:\n  test/agent props.egressDomains[0].domains[1]: cannot be enforced by Cilium 1.18, whose toFQDNs '*' stays within one label, got \"**.any.example.com\"; use '*.any.example.com' for one level, list the deeper names, or enforce through the egress proxy",
      );
    });
    it("Istio's *. matches any depth, so a one-level wildcard must be written **.", () => {
      expect(errorOf(() => build({ type: 'istio' }, rules))).toBe(
        "invalid props for test/agent:\n  test/agent props.egressDomains[0].domains[0]: would admit every depth under one.example.com on Istio, whose '*.' host matches any subdomain, got \"*.one.example.com\"; write '**.one.example.com' to accept any depth, or list the names",
      );
    });
    it('the GKE controller takes no wildcard', () => {
      expect(errorOf(() => build({ type: 'gke' }, rules))).toBe(
        [
          'invalid props for test/agent:',
          "  test/agent props.egressDomains[0].domains[0]: is a wildcard, and the GKE FQDNNetworkPolicy controller resolves names, so it cannot follow wildcards, got \"*.one.example.com\"; list the names (e.g. 'api.one.example.com'), or enforce through Cilium or the egress proxy",
          "  test/agent props.egressDomains[0].domains[1]: is a wildcard, and the GKE FQDNNetworkPolicy controller resolves names, so it cannot follow wildcards, got \"**.any.example.com\"; list the names (e.g. 'api.any.example.com'), or enforce through Cilium or the egress proxy",
        ].join('\n'),
      );
    });
    it('the proxy keeps every form', () => {
      const conf = one(build({ type: 'proxy', proxy: { namespace: 'egress', image: PROXY_IMAGE } }, rules), 'ConfigMap', 'egress-proxy-config').data['squid.conf'];
      expect(conf).toContain('acl rule0_patterns dstdom_regex -n -i ^[^.]+\\.one\\.example\\.com$ ^.+\\.any\\.example\\.com$');
    });
  });

  it('is chosen once per app', () => {
    expect(
      errorOf(() =>
        synth((chart) => {
          new DomainEgress(chart, 'Egress', { enforcement: { type: 'cilium' } });
          new DomainEgress(chart, 'Egress2', { enforcement: { type: 'istio' } });
        }),
      ),
    ).toBe('test/Egress2: the app already chooses its domain egress enforcement at test/Egress; use that one (DomainEgress.of(scope)), so every agent\'s list is enforced at the same point');
  });
});
