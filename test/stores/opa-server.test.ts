import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { OpaServer, SecureAgentDeployment, type OpaServerProps } from '../../lib/index.js';
import { errorOf, one, synth } from '../util.js';

// No OPA binary is installed here: the objects are checked by the
// verification (Kubernetes schemas, Pod Security, network invariants) and
// OPA's configuration file is checked for the keys OPA reads.

const BUNDLE: OpaServerProps = {
  name: 'opa',
  namespace: 'agents',
  policies: { url: 'https://bundles.example.com', resource: 'bundles/sark.tar.gz', destination: { cidr: '10.80.0.0/16' } },
};
const prefix = 'invalid props for test/Opa:\n  test/Opa ';
const rejects = (props: Record<string, unknown>) => errorOf(() => synth((c) => new OpaServer(c, 'Opa', { ...BUNDLE, ...props } as OpaServerProps)));

describe('OpaServer (schema-only: no OPA binary here)', () => {
  it('synthesizes a Deployment, Service, PDB, NetworkPolicy and ServiceMonitor (snapshot)', () => {
    expect(synth((c) => new OpaServer(c, 'Opa', BUNDLE))).toMatchSnapshot();
  });

  it('polls the bundle, logs decisions to stdout, and is ready only once the bundles are active', () => {
    const objs = synth((c) => new OpaServer(c, 'Opa', BUNDLE));
    expect(parse(one(objs, 'ConfigMap').data['config.yaml'])).toEqual({
      services: { bundles: { url: 'https://bundles.example.com' } },
      bundles: { opa: { service: 'bundles', resource: 'bundles/sark.tar.gz', polling: { min_delay_seconds: 60, max_delay_seconds: 120 } } },
      decision_logs: { console: true },
      status: { console: true },
    });
    const c = one(objs, 'Deployment').spec.template.spec.containers[0];
    expect(c.readinessProbe.httpGet).toEqual({ path: '/health?bundles&plugins', port: 'diagnostics' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/health', port: 'diagnostics' });
    expect(one(objs, 'NetworkPolicy').spec.egress).toEqual([{ to: [{ ipBlock: { cidr: '10.80.0.0/16' } }], ports: [{ port: 443, protocol: 'TCP' }] }]);
  });

  it('loads rego files from a ConfigMap', () => {
    const objs = synth((c) => new OpaServer(c, 'Opa', { ...BUNDLE, policies: { configMap: 'opa-policies' } }), { external: ['ConfigMap/agents/opa-policies'] });
    const d = one(objs, 'Deployment').spec.template.spec;
    expect(d.containers[0].args.at(-1)).toBe('/policies');
    expect(d.volumes.find((v: { name: string }) => v.name === 'policies').configMap).toEqual({ name: 'opa-policies' });
    expect(one(objs, 'NetworkPolicy').spec.egress).toEqual([]);
  });

  it('the API admits only declared clients; Prometheus reaches the diagnostic port only (D-SRK-06)', () => {
    const objs = synth((c) => {
      const agent = new SecureAgentDeployment(c, 'Agent', { name: 'sark', namespace: 'agents', image: 'registry.example.com/sark:1.2.3' });
      new OpaServer(c, 'Opa', BUNDLE).allowFrom({ podLabels: { ...agent.selectorLabels } });
    });
    const ingress = one(objs, 'NetworkPolicy', 'opa').spec.ingress;
    expect(ingress.map((r: { ports: { port: number }[] }) => r.ports.map((x) => x.port))).toEqual([[8181], [8282]]);
    expect(ingress[0].from).toEqual([{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'sark', 'app.kubernetes.io/instance': 'sark' } } }]);
  });
});

describe('OpaServer rejects', () => {
  it('a plain-HTTP bundle server outside dev', () => {
    expect(rejects({ policies: { url: 'http://bundles.example.com', destination: { cidr: '10.80.0.0/16' } } })).toBe(
      `${prefix}props.policies.url: is plain HTTP in the production profile, so anyone on the path can change the policies, got "http://bundles.example.com"; serve the bundles over https`,
    );
  });
  it('a bundle destination with neither pods nor cidr', () => {
    expect(rejects({ policies: { url: 'https://bundles.example.com', destination: {} } })).toBe(`${prefix}props.policies.destination: needs exactly one of pods and cidr, got {}; give the bundle service pods, or its CIDR block`);
  });
  it('a single policy server outside dev', () => {
    expect(rejects({ replicas: 1 })).toBe(`${prefix}props.replicas: is a single policy server in the production profile, so every restart denies every decision, got 1; run 2 or more`);
  });
});
