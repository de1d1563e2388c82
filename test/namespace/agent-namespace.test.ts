import { describe, expect, it } from 'vitest';
import { AgentNamespace, SecureAgentDeployment, type AgentNamespaceProps } from '../../lib/index.js';
import { errorOf, one, synth, type Obj } from '../util.js';

function build(props: Partial<AgentNamespaceProps> = {}): Obj[] {
  return synth((chart) => new AgentNamespace(chart, 'Ns', { name: 'agents', ...props }));
}

describe('AgentNamespace', () => {
  it('synthesizes the defaults (snapshot)', () => {
    expect(build()).toMatchSnapshot();
  });

  it('enforces, audits and warns restricted with a pinned version, and stamps no namespace on the Namespace', () => {
    const ns = one(build({ labels: { environment: 'production' } }), 'Namespace');
    expect(ns.metadata).toEqual({
      name: 'agents',
      labels: {
        environment: 'production',
        'app.kubernetes.io/managed-by': 'cdk8s-agent-platform',
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'v1.28',
        'pod-security.kubernetes.io/audit': 'restricted',
        'pod-security.kubernetes.io/audit-version': 'v1.28',
        'pod-security.kubernetes.io/warn': 'restricted',
        'pod-security.kubernetes.io/warn-version': 'v1.28',
      },
    });
  });

  it('is default-deny for ingress and egress', () => {
    expect(one(build(), 'NetworkPolicy', 'default-deny').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  });

  it('allows DNS on UDP and TCP 53 to kube-dns with namespace AND pod selector in one peer', () => {
    expect(one(build(), 'NetworkPolicy', 'allow-dns').spec).toEqual({
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
          ports: [
            { port: 53, protocol: 'UDP' },
            { port: 53, protocol: 'TCP' },
          ],
        },
      ],
    });
  });

  it('sets quota on requests and limits of cpu, memory and ephemeral storage, pods and PVCs', () => {
    const q = one(build({ quota: { requests: { cpu: '4', memory: '8Gi', ephemeralStorage: '10Gi' }, limits: { cpu: '8', memory: '16Gi', ephemeralStorage: '20Gi' }, pods: 20, persistentVolumeClaims: 4, requestsStorage: '100Gi' } }), 'ResourceQuota');
    expect(q.spec.hard).toEqual({
      'requests.cpu': '4',
      'requests.memory': '8Gi',
      'requests.ephemeral-storage': '10Gi',
      'limits.cpu': '8',
      'limits.memory': '16Gi',
      'limits.ephemeral-storage': '20Gi',
      pods: '20',
      persistentvolumeclaims: '4',
      'requests.storage': '100Gi',
    });
  });

  it('always sets LimitRange default and defaultRequest explicitly', () => {
    const lr = one(build(), 'LimitRange');
    expect(lr.spec.limits[0]).toEqual({
      type: 'Container',
      default: { cpu: '500m', memory: '512Mi', 'ephemeral-storage': '1Gi' },
      defaultRequest: { cpu: '100m', memory: '128Mi', 'ephemeral-storage': '64Mi' },
      min: { cpu: '10m', memory: '16Mi', 'ephemeral-storage': '1Mi' },
      max: { cpu: '4', memory: '8Gi', 'ephemeral-storage': '16Gi' },
    });
  });

  it('opens API server egress only for pods labelled for API access', () => {
    // A policy that selects no pod fails the verification (NET-03), so a workload granted API access is part of the bundle.
    const objs = synth(
      (chart) => {
        new AgentNamespace(chart, 'Ns', { name: 'agents', apiServerEgress: { cidrs: ['10.0.0.1/32'] } });
        new SecureAgentDeployment(chart, 'Agent', { name: 'agent', namespace: 'agents', image: 'registry.example.com/agent:1.2.3', rbac: { configMaps: ['agent-config'] } });
      },
      { external: ['ConfigMap/agents/agent-config'] },
    );
    expect(errorOf(() => build({ apiServerEgress: { cidrs: ['10.0.0.1/32'] } }))).toContain(
      'NET-03 High NetworkPolicy agents/allow-api-server spec.podSelector: NetworkPolicy podSelector cdk8s-agent-platform.dev/api-access=true selects no pod template in namespace agents',
    );
    // The fix names what the user wrote (apiServerEgress), not the policy the library made from it.
    expect(errorOf(() => build({ apiServerEgress: { cidrs: ['10.0.0.1/32'] } }))).toContain(
      'fix: this is the API-server egress policy of AgentNamespace\'s apiServerEgress, and no workload in the namespace is granted API access',
    );
    const np = one(objs, 'NetworkPolicy', 'allow-api-server');
    expect(np.spec).toEqual({
      podSelector: { matchLabels: { 'cdk8s-agent-platform.dev/api-access': 'true' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '10.0.0.1/32' } }], ports: [{ protocol: 'TCP', port: 443 }] }],
    });
  });

  it('records the reason of a Pod Security exception', () => {
    const ns = one(build({ name: 'logging', podSecurityLevel: 'privileged', podSecurityReason: 'fluent-bit reads container logs from hostPath' }), 'Namespace');
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(ns.metadata.labels['pod-security.kubernetes.io/warn']).toBe('restricted');
    expect(ns.metadata.annotations).toEqual({ 'cdk8s-agent-platform.dev/pod-security-exception': 'fluent-bit reads container logs from hostPath' });
  });

  const cases: [string, Partial<AgentNamespaceProps>, string][] = [
    ['a name that is not DNS-1123', { name: 'Agents' }, `test/Ns props.name: is not a DNS-1123 label, got "Agents"; use lowercase letters, digits and '-', starting and ending with a letter or digit`],
    ['a name that is too long', { name: 'a'.repeat(64) }, `test/Ns props.name: is longer than 63 characters, got "${'a'.repeat(64)}"; shorten it to a DNS-1123 label of at most 63 characters`],
    ['a system namespace', { name: 'default' }, 'test/Ns props.name: is a system namespace, got "default"; choose a dedicated namespace for agent workloads (NS-01)'],
    ['an exception without a reason', { podSecurityLevel: 'baseline' }, 'test/Ns props.podSecurityReason: is missing while podSecurityLevel is baseline, got undefined; record why this namespace needs an exception, or keep restricted'],
    ['a Pod Security label override', { labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } }, 'test/Ns props.labels.pod-security.kubernetes.io/enforce: is managed by the construct, got "privileged"; remove it; set podSecurityLevel / podSecurityVersion instead'],
    ['a malformed quota quantity', { quota: { requests: { cpu: '2 cores', memory: '1Gi', ephemeralStorage: '1Gi' }, limits: { cpu: '4', memory: '2Gi', ephemeralStorage: '2Gi' }, pods: 5, persistentVolumeClaims: 1 } }, `test/Ns props.quota.requests.cpu: is not a CPU quantity, got "2 cores"; use millicores like '500m' or cores like '2'`],
    ['a LimitRange default above max', { limitRange: { default: { cpu: '8', memory: '1Gi', ephemeralStorage: '1Gi' }, defaultRequest: { cpu: '1', memory: '1Gi', ephemeralStorage: '1Gi' }, min: { cpu: '1', memory: '1Gi', ephemeralStorage: '1Gi' }, max: { cpu: '4', memory: '1Gi', ephemeralStorage: '1Gi' } } }, 'test/Ns props.limitRange.default.cpu: is above limitRange.max.cpu (4), got "8"; keep min <= defaultRequest <= default <= max'],
    ['a bad API server CIDR', { apiServerEgress: { cidrs: ['10.0.0.1'] } }, `test/Ns props.apiServerEgress.cidrs[0]: is not a CIDR block, got "10.0.0.1"; write it like '10.0.0.0/8' or '2001:db8::/32'`],
  ];
  it.each(cases)('rejects %s', (_label, props, message) => {
    expect(errorOf(() => build(props))).toBe(`invalid props for test/Ns:\n  ${message}`);
  });

  it('fails on a second Namespace of the same name', () => {
    const msg = errorOf(() =>
      synth((chart) => {
        new AgentNamespace(chart, 'A', { name: 'agents' });
        new AgentNamespace(chart, 'B', { name: 'agents' });
      }),
    );
    expect(msg).toBe('test/B: duplicate Namespace "agents", already defined by test/A; give one of them another name');
  });
});
