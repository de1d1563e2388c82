import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../lib/crds/cloudnative-pg/postgresql.cnpg.io/v1/Cluster.js';
import { FQDNNetworkPolicy } from '../../lib/crds/gke-fqdn-network-policies/networking.gke.io/v1alpha3/FQDNNetworkPolicy.js';
import { CRD_SOURCES, GENERATED_KINDS } from '../../lib/crds/sources.js';
import type { Manifest } from '../../lib/validation/types.js';
import { verify } from '../../lib/validation/verify.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

const container = { name: 'agent', image: 'ghcr.io/example/agent:1.0.0' };
const podTemplate = { spec: { containers: [container] } };

/**
 * A valid object of every kind the library validates beyond Kubernetes and
 * the packaged CRDs, and for each an invalid variant: one unknown field and
 * one wrong type, at the paths given.
 */
const CASES: readonly { apiVersion: string; kind: string; spec: Obj; unknownAt: string; wrongType: [path: string, value: unknown, expected: string] }[] = [
  { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', spec: { instances: 3, storage: { size: '10Gi' }, postgresql: { parameters: { max_connections: '200' } } }, unknownAt: 'spec.storage', wrongType: ['spec.instances', 'three', 'integer'] },
  { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Pooler', spec: { cluster: { name: 'pg' }, instances: 2, type: 'rw', pgbouncer: { poolMode: 'transaction' } }, unknownAt: 'spec.pgbouncer', wrongType: ['spec.instances', '2', 'integer'] },
  { apiVersion: 'postgresql.cnpg.io/v1', kind: 'ScheduledBackup', spec: { schedule: '0 0 2 * * *', cluster: { name: 'pg' } }, unknownAt: 'spec.cluster', wrongType: ['spec.immediate', 'yes', 'boolean'] },
  { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Backup', spec: { cluster: { name: 'pg' }, method: 'barmanObjectStore' }, unknownAt: 'spec', wrongType: ['spec.online', 1, 'boolean'] },
  { apiVersion: 'jaegertracing.io/v1', kind: 'Jaeger', spec: { strategy: 'production', storage: { type: 'elasticsearch', options: { es: { 'server-urls': 'http://es:9200' } } } }, unknownAt: 'spec.storage', wrongType: ['spec.collector.replicas', 'two', 'integer'] },
  { apiVersion: 'agents.x-k8s.io/v1beta1', kind: 'Sandbox', spec: { podTemplate, operatingMode: 'Running' }, unknownAt: 'spec', wrongType: ['spec.service', 'yes', 'boolean'] },
  { apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxTemplate', spec: { podTemplate, networkPolicyManagement: 'Managed' }, unknownAt: 'spec', wrongType: ['spec.service', 'no', 'boolean'] },
  { apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxWarmPool', spec: { replicas: 2, sandboxTemplateRef: { name: 'python' } }, unknownAt: 'spec.sandboxTemplateRef', wrongType: ['spec.replicas', '2', 'integer'] },
  { apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxClaim', spec: { warmPoolRef: { name: 'python' } }, unknownAt: 'spec.warmPoolRef', wrongType: ['spec.warmPoolRef.name', 7, 'string'] },
  { apiVersion: 'agentic.networking.x-k8s.io/v0alpha0', kind: 'XBackend', spec: { mcp: { serviceName: 'tools', port: 8080, path: '/mcp' } }, unknownAt: 'spec.mcp', wrongType: ['spec.mcp.port', '8080', 'integer'] },
  {
    apiVersion: 'agentic.networking.x-k8s.io/v1alpha1',
    kind: 'XAccessPolicy',
    spec: { action: 'Allow', targetRefs: [{ group: 'agentic.networking.x-k8s.io', kind: 'XBackend', name: 'tools' }], rules: [{ name: 'agents', source: { type: 'ServiceAccount', serviceAccount: { name: 'agent', namespace: 'agents' } } }] },
    unknownAt: 'spec.targetRefs[0]',
    wrongType: ['spec.targetRefs[0].name', 3, 'string'],
  },
  {
    apiVersion: 'networking.gke.io/v1alpha3',
    kind: 'FQDNNetworkPolicy',
    spec: { podSelector: { matchLabels: { app: 'agent' } }, egress: [{ to: [{ fqdns: ['api.example.com'] }], ports: [{ port: 443, protocol: 'TCP' }] }], policyTypes: ['Egress'] },
    unknownAt: 'spec.podSelector',
    wrongType: ['spec.policyTypes', 'Egress', 'array'],
  },
  {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumNetworkPolicy',
    spec: { endpointSelector: { matchLabels: { app: 'agent' } }, egress: [{ toFQDNs: [{ matchName: 'api.example.com' }, { matchPattern: '*.example.org' }], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }] }] }] },
    unknownAt: 'spec.endpointSelector',
    wrongType: ['spec.egress[0].toFQDNs', 'api.example.com', 'array'],
  },
  {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumClusterwideNetworkPolicy',
    spec: { endpointSelector: {}, egressDeny: [{ toCIDRSet: [{ cidr: '169.254.169.254/32' }] }] },
    unknownAt: 'spec.egressDeny[0]',
    wrongType: ['spec.egressDeny[0].toCIDRSet', '169.254.169.254/32', 'array'],
  },
  { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', spec: { hosts: ['api.example.com'], location: 'MESH_EXTERNAL', resolution: 'DNS', ports: [{ number: 443, name: 'https', protocol: 'TLS' }] }, unknownAt: 'spec', wrongType: ['spec.hosts', 'api.example.com', 'array'] },
  { apiVersion: 'networking.istio.io/v1', kind: 'Sidecar', spec: { egress: [{ hosts: ['./*', 'istio-system/*'] }], outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' } }, unknownAt: 'spec.outboundTrafficPolicy', wrongType: ['spec.egress[0].hosts', './*', 'array'] },
  {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    spec: { action: 'ALLOW', selector: { matchLabels: { app: 'tools' } }, rules: [{ from: [{ source: { principals: ['cluster.local/ns/agents/sa/agent'] } }] }] },
    unknownAt: 'spec.selector',
    wrongType: ['spec.rules[0].from', 'agents', 'array'],
  },
];

function object(c: (typeof CASES)[number], spec: Obj): Manifest {
  return { apiVersion: c.apiVersion, kind: c.kind, metadata: { name: 'sample', namespace: 'agents' }, spec } as Manifest;
}

function set(target: Obj, path: string, value: unknown): void {
  const keys = path.replace(/\[(\d+)\]/g, '.$1').split('.');
  let o = target;
  for (const k of keys.slice(0, -1)) o = o[k] ??= {};
  o[keys[keys.length - 1]!] = value;
}

/** WKL-06 findings as `path: message`. */
function schemaFindings(m: Manifest): string[] {
  return verify([m]).findings.filter((f) => f.checkId === 'WKL-06').map((f) => `${f.path}: ${f.message}`);
}

describe('generated and packaged custom resource validators', () => {
  it('cover every generated kind and the Istio kinds', () => {
    const generated = [...new Set(GENERATED_KINDS.map((k) => `${k.apiVersion} ${k.kind}`))];
    const storageVersions = CASES.map((c) => `${c.apiVersion} ${c.kind}`);
    for (const k of generated.filter((g) => !storageVersions.includes(g))) {
      // Older served versions are registered too; the cases use the storage version.
      expect(GENERATED_KINDS.some((g) => `${g.apiVersion} ${g.kind}` !== k && g.kind === k.split(' ')[1])).toBe(true);
    }
    expect(new Set(CASES.map((c) => c.kind))).toEqual(new Set([...GENERATED_KINDS.map((k) => k.kind), 'ServiceEntry', 'Sidecar', 'AuthorizationPolicy']));
  });

  it.each(CASES)('accepts a valid $kind ($apiVersion)', (c) => {
    expect(schemaFindings(object(c, structuredClone(c.spec)))).toEqual([]);
  });

  it.each(CASES)('rejects an unknown field and a wrong type in a $kind', (c) => {
    const spec = structuredClone(c.spec);
    const bad = object(c, spec) as Obj;
    set(bad, `${c.unknownAt}.notAField`, true);
    const [path, value, expected] = c.wrongType;
    set(bad, path, value);
    const findings = schemaFindings(bad as Manifest);
    expect(findings).toContain(`${c.unknownAt}.notAField: unknown field "notAField" (value true)`);
    expect(findings.some((f) => f.startsWith(`${path}: wrong type: expected ${expected}`))).toBe(true);
  });

  it('types the models and validates through them', () => {
    const cluster = new Cluster({ metadata: { name: 'pg' }, spec: { instances: 3, storage: { size: '10Gi' } } });
    expect(() => cluster.validate()).not.toThrow();
    const policy = new FQDNNetworkPolicy({ metadata: { name: 'egress' }, spec: { podSelector: {}, egress: [{ to: [{ fqdns: ['api.example.com'] }] }] } });
    expect(policy.toJSON()).toMatchObject({ apiVersion: 'networking.gke.io/v1alpha3', kind: 'FQDNNetworkPolicy' });
  });

  it('records the source commit in every generated file and in the docs table', () => {
    const docs = readFileSync('docs/crds.md', 'utf8');
    for (const s of CRD_SOURCES) {
      const index = readFileSync(`lib/crds/${s.project}/index.ts`, 'utf8');
      expect(index).toContain(`from the CRDs of ${s.repo} at ${s.tag ? `${s.tag} (${s.commit})` : s.commit}; do not edit.`);
      expect(docs).toContain(`\`${s.commit.slice(0, 12)}\``);
    }
  });
});
