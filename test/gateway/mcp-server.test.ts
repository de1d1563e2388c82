import type { Chart } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { XAccessPolicy } from '../../lib/crds/kube-agentic-networking/agentic.networking.x-k8s.io/v0alpha0/XAccessPolicy.js';
import { XBackend } from '../../lib/crds/kube-agentic-networking/agentic.networking.x-k8s.io/v0alpha0/XBackend.js';
import { DomainEgress, McpServer, SecureAgentDeployment, type McpServerProps } from '../../lib/index.js';
import { errorOf, one, synth, type Obj } from '../util.js';

const SERVER: McpServerProps = {
  name: 'docs-mcp',
  namespace: 'tools',
  image: 'registry.example.com/docs-mcp:1.4.0',
  tools: ['search_docs', 'fetch_page', 'delete_page'],
};

const agent = (chart: Chart, name: string, extra: { serviceAccountName?: string } = {}) =>
  new SecureAgentDeployment(chart, name, { name, namespace: 'agents', image: `registry.example.com/${name}:1.0.0`, ...extra });

function build(props: McpServerProps = SERVER, wire?: (chart: Chart, server: McpServer) => void): Obj[] {
  return synth((chart) => {
    const server = new McpServer(chart, 'Mcp', props);
    if (wire) wire(chart, server);
    else {
      server.connect(agent(chart, 'researcher'), { tools: ['search_docs', 'fetch_page'], urlEnv: 'DOCS_MCP_URL' });
      server.connect(agent(chart, 'summarizer'), { tools: ['search_docs'] });
    }
  });
}

describe('McpServer', () => {
  it('runs the server hardened, with probes, two replicas and a PDB', () => {
    const objs = build();
    expect(objs).toMatchSnapshot();
    const dep = one(objs, 'Deployment', 'docs-mcp');
    expect(dep.spec.replicas).toBe(2);
    const pod = dep.spec.template.spec;
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.containers[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pod.containers[0].readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(pod.containers[0].livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(one(objs, 'PodDisruptionBudget', 'docs-mcp').spec.maxUnavailable).toBe(1);
  });

  it('renders the XBackend and an XAccessPolicy naming each agent ServiceAccount with its tools, valid against the CRD schemas', () => {
    const objs = build();
    const backend = one(objs, 'XBackend', 'docs-mcp');
    expect(backend.spec).toEqual({ mcp: { serviceName: 'docs-mcp', port: 8080, path: '/mcp' } });
    const policy = one(objs, 'XAccessPolicy', 'docs-mcp');
    expect(policy.spec).toEqual({
      targetRefs: [{ group: 'agentic.networking.x-k8s.io', kind: 'XBackend', name: 'docs-mcp' }],
      rules: [
        { name: 'agents.researcher', source: { type: 'ServiceAccount', serviceAccount: { name: 'researcher', namespace: 'agents' } }, authorization: { type: 'InlineTools', tools: ['search_docs', 'fetch_page'] } },
        { name: 'agents.summarizer', source: { type: 'ServiceAccount', serviceAccount: { name: 'summarizer', namespace: 'agents' } }, authorization: { type: 'InlineTools', tools: ['search_docs'] } },
      ],
    });
    expect(() => new XBackend(backend as never).validate()).not.toThrow();
    expect(() => new XAccessPolicy(policy as never).validate()).not.toThrow();
    // The generated validator does catch a broken policy: the test above can fail.
    expect(() => new XAccessPolicy({ ...policy, spec: { ...policy.spec, rules: [] } } as never).validate()).toThrow();
  });

  it('admits exactly the connected agents, which reach it and nothing else of it', () => {
    const objs = build();
    const peer = (name: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'agents' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': name } } });
    expect(one(objs, 'NetworkPolicy', 'docs-mcp').spec.ingress).toEqual([{ from: [peer('researcher'), peer('summarizer')], ports: [{ protocol: 'TCP', port: 8080 }] }]);
    expect(one(objs, 'NetworkPolicy', 'docs-mcp').spec.egress).toEqual([]);
    expect(one(objs, 'NetworkPolicy', 'researcher').spec.egress).toEqual([
      { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'tools' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'docs-mcp', 'app.kubernetes.io/instance': 'docs-mcp' } } }], ports: [{ protocol: 'TCP', port: 8080 }] },
    ]);
    const mcpEnv = (name: string) => one(objs, 'Deployment', name).spec.template.spec.containers[0].env.filter((e: Obj) => e.name.includes('MCP'));
    expect(mcpEnv('researcher')).toEqual([{ name: 'DOCS_MCP_URL', value: 'http://docs-mcp.tools.svc.cluster.local:8080/mcp' }]);
    expect(mcpEnv('summarizer')).toEqual([]);
  });

  it('sends agents through the tool gateway when there is one, and admits only its proxies', () => {
    const gateway = { pods: { namespace: 'agentic-net', podLabels: { 'kube-agentic-networking.sigs.k8s.io/gateway-name': 'tools' } }, port: 10001 };
    const objs = build({ ...SERVER, toolGateway: gateway }, (chart, server) => server.connect(agent(chart, 'researcher'), { tools: ['search_docs'] }));
    const gatewayPeer = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'agentic-net' } }, podSelector: { matchLabels: gateway.pods.podLabels } };
    expect(one(objs, 'NetworkPolicy', 'docs-mcp').spec.ingress).toEqual([{ from: [gatewayPeer], ports: [{ protocol: 'TCP', port: 8080 }] }]);
    expect(one(objs, 'NetworkPolicy', 'researcher').spec.egress).toEqual([{ to: [gatewayPeer], ports: [{ protocol: 'TCP', port: 10001 }] }]);
  });

  it('reaches its own domains through the DomainEgress only', () => {
    const objs = synth((chart) => {
      new DomainEgress(chart, 'Egress', { enforcement: { type: 'cilium' } });
      const server = new McpServer(chart, 'Mcp', { ...SERVER, egressDomains: [{ domains: ['docs.example.com'], ports: [443] }] });
      server.connect(agent(chart, 'researcher'), { tools: ['search_docs'] });
    });
    expect(one(objs, 'CiliumNetworkPolicy', 'docs-mcp-egress-domains').spec.egress[1].toFQDNs).toEqual([{ matchName: 'docs.example.com' }]);
  });

  it('runs one replica without a PDB in dev, recording the waiver', () => {
    const objs = synth(
      (chart) => {
        const server = new McpServer(chart, 'Mcp', { ...SERVER, profile: 'dev', image: 'registry.example.com/docs-mcp:latest' });
        server.connect(agent(chart, 'researcher'), { tools: ['search_docs'] });
      },
      { profile: 'dev' },
    );
    expect(one(objs, 'Deployment', 'docs-mcp').spec.replicas).toBe(1);
    expect(objs.filter((o) => o.kind === 'PodDisruptionBudget').map((o) => o.metadata.name)).toEqual(['researcher']);
    expect(Object.keys(one(objs, 'Deployment', 'docs-mcp').metadata.annotations)).toEqual(['waivers.cdk8s-agent-platform.dev/AVL-01', 'waivers.cdk8s-agent-platform.dev/IMG-01']);
  });

  it('rejects bad tool lists and ports, naming the property and the fix', () => {
    expect(errorOf(() => build({ ...SERVER, tools: [] }))).toBe(
      "invalid props for test/Mcp:\n  test/Mcp props.tools: is empty: an MCP server with no tool serves nothing, got []; list the tools by the names the server gives them, like ['search_docs']",
    );
    expect(errorOf(() => build({ ...SERVER, tools: ['search_docs', 'search_docs'] }))).toBe(
      'invalid props for test/Mcp:\n  test/Mcp props.tools[1]: lists tool search_docs twice, got "search_docs"; list each tool once',
    );
    expect(errorOf(() => build({ ...SERVER, tools: ['search docs'] }))).toBe(
      'invalid props for test/Mcp:\n  test/Mcp props.tools[0]: is not an MCP tool name, got "search docs"; use 1 to 128 letters, digits, \'_\', \'-\' or \'.\', as the server names the tool (like \'search_docs\')',
    );
    expect(errorOf(() => build({ ...SERVER, port: 70000 }))).toBe('invalid props for test/Mcp:\n  test/Mcp props.port: is out of range, got 70000; use an integer from 1 to 65535');
    expect(errorOf(() => build({ ...SERVER, toolGateway: { pods: { podLabels: {} }, port: 0 } }))).toBe(
      'invalid props for test/Mcp:\n  test/Mcp props.toolGateway.port: is out of range, got 0; use an integer from 1 to 65535',
    );
    expect(errorOf(() => build({ ...SERVER, replicas: 1 }))).toBe(
      'invalid props for test/Mcp:\n  test/Mcp props.replicas: is a single MCP server in the production profile, so every restart cuts agents off their tools, got 1; run 2 or more',
    );
  });

  it('rejects a tool the server does not offer, an empty grant, and an agent connected twice', () => {
    const connect = (tools: string[]) => errorOf(() => build(SERVER, (chart, server) => server.connect(agent(chart, 'researcher'), { tools })));
    expect(connect(['search_docs', 'drop_database'])).toBe(
      'invalid props for test/researcher:\n  test/researcher connect(docs-mcp).options.tools[1]: is not a tool MCP server docs-mcp offers, got "drop_database"; use one of search_docs, fetch_page, delete_page, or add it to the server\'s tools',
    );
    expect(connect([])).toBe(
      "invalid props for test/researcher:\n  test/researcher connect(docs-mcp).options.tools: is empty: an agent granted no tool has nothing to call, got []; list the tools by the names the server gives them, like ['search_docs']",
    );
    expect(
      errorOf(() =>
        build(SERVER, (chart, server) => {
          const a = agent(chart, 'researcher');
          server.connect(a, { tools: ['search_docs'] });
          server.connect(a, { tools: ['fetch_page'] });
        }),
      ),
    ).toBe('test/researcher: connects to MCP server docs-mcp twice; grant each ServiceAccount its tools in one connect call');
    expect(
      errorOf(() =>
        build(SERVER, (chart, server) => {
          server.connect(agent(chart, 'a1', { serviceAccountName: 'shared' }), { tools: ['search_docs'] });
          server.connect(agent(chart, 'a2', { serviceAccountName: 'shared' }), { tools: ['fetch_page'] });
        }),
      ),
    ).toBe('test/a2: connects to MCP server docs-mcp with ServiceAccount shared, which test/a1 already uses; grant each ServiceAccount its tools in one connect call');
  });

  it('types the grant with the server\'s tool names', () => {
    const objs = synth((chart) => {
      const server = new McpServer(chart, 'Mcp', { ...SERVER, tools: ['search_docs', 'fetch_page'] });
      const a = agent(chart, 'researcher');
      // @ts-expect-error a tool the server does not list is a compile error
      const wrong: Parameters<typeof server.connect>[1] = { tools: ['drop_database'] };
      expect(wrong.tools).toEqual(['drop_database']);
      server.connect(a, { tools: ['fetch_page'] });
    });
    expect(one(objs, 'XAccessPolicy').spec.rules[0].authorization.tools).toEqual(['fetch_page']);
  });

  it('rejects an eleventh agent and a server no agent is connected to', () => {
    expect(errorOf(() => build(SERVER, () => undefined))).not.toContain('XAccessPolicy');
    expect(
      errorOf(() =>
        build(SERVER, (chart, server) => {
          for (let i = 1; i <= 11; i++) server.connect(agent(chart, `a${i}`), { tools: ['search_docs'] });
        }),
      ),
    ).toBe('test/a11: connects to MCP server docs-mcp as agent 11, but an access policy holds at most 10 agents; run another MCP server for more agents');
    expect(errorOf(() => build(SERVER, () => undefined))).toContain(
      'test/Mcp: MCP server docs-mcp has no agent connected, so no agent may call its tools; connect one with connect(agent, { tools }) or remove the server',
    );
  });
});
