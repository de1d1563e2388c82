import { describe, expect, it } from 'vitest';
import { AgentNamespace, ExternalSecretRef, MigrationJob, SecureAgentDeployment } from '../../lib/index.js';
import { errorOf, synth, type Obj } from '../util.js';

// `namespace` takes the AgentNamespace construct or its name: the same objects either way.

const IMAGE = 'registry.example.com/agent:1.2.3';
const EXTERNAL = ['Secret/agents/db'];

function build(byReference: boolean): Obj[] {
  return synth(
    (chart) => {
      const ns = new AgentNamespace(chart, 'Ns', { name: 'agents' });
      const namespace = byReference ? ns : 'agents';
      new SecureAgentDeployment(chart, 'Agent', { name: 'agent', namespace, image: IMAGE });
      new MigrationJob(chart, 'Migrations', { name: 'migrations', namespace, image: IMAGE, egress: [] });
      new ExternalSecretRef(chart, 'Secret', { name: 'db', namespace, secretStore: { name: 'vault' }, data: [{ secretKey: 'url', remoteKey: 'db/url' }] });
    },
    { external: EXTERNAL },
  );
}

describe('namespace: AgentNamespace | string', () => {
  it('puts every object in the AgentNamespace given, as with its name', () => {
    const byReference = build(true);
    expect(byReference).toEqual(build(false));
    const namespaced = byReference.filter((o) => o.kind !== 'Namespace');
    expect(namespaced.length).toBeGreaterThan(5);
    expect(new Set(namespaced.map((o) => o.metadata.namespace))).toEqual(new Set(['agents']));
  });

  it('rejects anything else, naming the property', () => {
    const msg = errorOf(() => synth((chart) => new SecureAgentDeployment(chart, 'Agent', { name: 'agent', namespace: 42 as never, image: IMAGE })));
    expect(msg).toBe(
      "invalid props for test/Agent:\n  test/Agent props.namespace: must be a namespace name or an AgentNamespace, got 42; pass the name, like 'agents', or the AgentNamespace construct",
    );
  });

  it('checks a name as a DNS-1123 label', () => {
    const msg = errorOf(() => synth((chart) => new MigrationJob(chart, 'M', { name: 'm', namespace: 'Agents', image: IMAGE, egress: [] })));
    expect(msg).toBe(
      "invalid props for test/M:\n  test/M props.namespace: is not a DNS-1123 label, got \"Agents\"; use lowercase letters, digits and '-', starting and ending with a letter or digit",
    );
  });
});
