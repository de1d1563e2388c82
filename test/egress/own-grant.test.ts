import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { DomainEgress, McpServer, ModelGateway, SandboxRuntimeClass, ToolSandbox } from '../../lib/index.js';

// McpServer, ModelGateway and ToolSandbox take their own DomainEgress grant
// while they are built (OwnDomainGrant): the proxy's env reaches the
// container, its rule the NetworkPolicy, and a grant after construction,
// when nothing would render it, is refused by name.

function build() {
  const chart = Testing.chart();
  new DomainEgress(chart, 'Egress', { enforcement: { type: 'proxy', proxy: { namespace: 'egress', image: 'ubuntu/squid:6.6-24.04_edge' } } });
  new SandboxRuntimeClass(chart, 'Gvisor', { preset: 'gvisor' });
  const domains = [{ domains: ['docs.example.com'], ports: [443] }];
  return {
    server: new McpServer(chart, 'Mcp', { name: 'docs-mcp', namespace: 'tools', image: 'registry.example.com/docs-mcp:1.4.0', tools: ['search_docs'], egressDomains: domains }),
    gateway: new ModelGateway(chart, 'Gateway', {
      namespace: 'llm',
      image: 'ghcr.io/berriai/litellm-non_root:v1.74.0-stable',
      providers: [{ provider: 'openai', models: ['gpt-4o'], apiKey: { secretName: 'llm-keys', key: 'openai' } }],
    }),
    sandbox: new ToolSandbox(chart, 'Sandbox', { name: 'python-sandbox', namespace: 'agents', image: 'registry.example.com/python-sandbox:3.12.1', runtimeClassName: 'gvisor', egressDomains: domains }),
  };
}

describe('a workload\'s own DomainEgress grant', () => {
  it('puts the proxy env on the container and the proxy rule on the NetworkPolicy of each', () => {
    const built = build();
    const containers = [built.server.deployment.toJson().spec.template.spec.containers[0], built.gateway.deployment.toJson().spec.template.spec.containers[0], built.sandbox.template.toJson().spec.podTemplate.spec.containers[0]];
    for (const c of containers) expect(c.env.find((e: { name: string }) => e.name === 'HTTPS_PROXY')?.value).toBe('http://egress-proxy.egress.svc.cluster.local:3128');
    for (const np of [built.server.networkPolicy, built.gateway.networkPolicy, built.sandbox.networkPolicy]) {
      expect(JSON.stringify(np.toJson().spec.egress)).toContain('"kubernetes.io/metadata.name":"egress"');
    }
  });

  it('refuses a grant after construction, naming the workload and the method', () => {
    const { server, gateway, sandbox } = build();
    expect(() => server.addEnv('HTTPS_PROXY', 'http://x')).toThrow("test/Mcp: addEnv is for the server's own DomainEgress grant, during construction");
    expect(() => server.addEgress({ description: 'late', pods: { podLabels: { a: 'b' } }, ports: [{ port: 80 }] })).toThrow("test/Mcp: addEgress is for the server's own DomainEgress grant, during construction");
    expect(() => gateway.addEnv('HTTPS_PROXY', 'http://x')).toThrow("test/Gateway: addEnv is for the gateway's own DomainEgress grant, during construction");
    expect(() => gateway.addEgress({ description: 'late', pods: { podLabels: { a: 'b' } }, ports: [{ port: 80 }] })).toThrow("test/Gateway: addEgress is for the gateway's own DomainEgress grant, during construction");
    expect(() => sandbox.addEnv('HTTPS_PROXY', 'http://x')).toThrow("test/Sandbox: addEnv is for the sandbox's own DomainEgress grant, during construction");
    expect(() => sandbox.addEgress({ description: 'late', pods: { podLabels: { a: 'b' } }, ports: [{ port: 80 }] })).toThrow("test/Sandbox: addEgress is for the sandbox's own DomainEgress grant, during construction");
  });
});
