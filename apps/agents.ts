import { Chart, type App } from 'cdk8s';
import { AgentNamespace, ExternalSecretRef, McpServer, ModelGateway, ObservabilityStack, SandboxRuntimeClass, SecureAgentDeployment, ToolSandbox } from '../lib/index.js';
import { platformEgress } from './egress.js';

/**
 * The default chart: the reference TypeScript agent runtime of `runtime/`
 * (HTTP 8080 with /healthz and /readyz, metrics 9090, UID 10001, graceful
 * SIGTERM drain) in namespace `agents`, production profile, exposed through
 * Gateway API, with its alerts, SLOs, dashboard and traces, an MCP tool
 * server it may call two tools of, and a gVisor sandbox for code execution. The runtime
 * contract test starts the runtime with this Deployment's env and checks its
 * probes, metrics and shutdown against these manifests.
 */
export function addAgentsChart(app: App): Chart {
  const chart = new Chart(app, 'agents');
  const ns = new AgentNamespace(chart, 'Namespace', { name: 'agents', labels: { environment: 'production' } });

  // The LLM provider keys, for the model gateway's pods only: agents never hold them.
  new ExternalSecretRef(chart, 'ProviderKeys', {
    name: 'llm-provider-keys',
    namespace: ns.name,
    secretStore: { name: 'platform-secrets', kind: 'ClusterSecretStore' },
    data: [
      { secretKey: 'openai', remoteKey: 'agents/prod/openai-api-key' },
      { secretKey: 'anthropic', remoteKey: 'agents/prod/anthropic-api-key' },
    ],
  });
  // The one workload that reaches the providers, by domain, through the platform's egress proxy.
  platformEgress(app);
  const gateway = new ModelGateway(chart, 'ModelGateway', {
    namespace: ns.name,
    image: 'ghcr.io/berriai/litellm-non_root:v1.74.0-stable',
    partOf: 'agent-platform',
    providers: [
      { provider: 'openai', models: ['gpt-4o-mini'], apiKey: { secretName: 'llm-provider-keys', key: 'openai' } },
      { provider: 'anthropic', models: ['claude-sonnet-4-5'], apiKey: { secretName: 'llm-provider-keys', key: 'anthropic' } },
    ],
  });

  const agent = new SecureAgentDeployment(chart, 'AgentRuntime', {
    name: 'agent-runtime',
    namespace: ns.name,
    image: 'registry.example.com/agent-runtime-ts:1.0.0',
    partOf: 'agent-platform',
    env: {
      NODE_ENV: 'production',
      PORT: '8080',
      METRICS_PORT: '9090',
      // SHUTDOWN_DRAIN_SECONDS and TERMINATION_GRACE_PERIOD_SECONDS come from
      // `shutdown` (no preStop hook: the runtime delays and drains itself).
      // No provider key here: the model gateway holds them (connect below).
    },
    resources: 'small',
    exposure: {
      type: 'httpRoute',
      gateway: { name: 'public', namespace: 'gateway-system', sectionName: 'https' },
      hostnames: ['agents.example.com'],
    },
  });

  // The agent reaches the models through the gateway only (OPENAI_BASE_URL,
  // ANTHROPIC_BASE_URL). The reference runtime's own LLM client reads
  // LLM_BASE_URL, left unset here so its contract test runs without a model;
  // a deployment with a model passes { openAiBaseUrlEnv: ['LLM_BASE_URL'] }.
  gateway.connect(agent);

  // A tool server: the agent may call search_docs and fetch_page, not
  // delete_page; the XAccessPolicy names its ServiceAccount with those tools.
  const docsMcp = new McpServer(chart, 'DocsMcp', {
    name: 'docs-mcp',
    namespace: ns.name,
    image: 'registry.example.com/docs-mcp:1.4.0',
    partOf: 'agent-platform',
    tools: ['search_docs', 'fetch_page', 'delete_page'],
  });
  docsMcp.connect(agent, { tools: ['search_docs', 'fetch_page'], urlEnv: 'DOCS_MCP_URL' });

  // Code the agent writes runs in a gVisor sandbox from a warm pool, which
  // reaches the Python package index through the egress proxy and nothing else.
  const gvisor = new SandboxRuntimeClass(chart, 'Gvisor', { preset: 'gvisor' });
  const pythonSandbox = new ToolSandbox(chart, 'PythonSandbox', {
    name: 'python-sandbox',
    namespace: ns.name,
    image: 'registry.example.com/python-sandbox:3.12.1',
    partOf: 'agent-platform',
    runtimeClassName: gvisor.name,
    egressDomains: [{ domains: ['pypi.org', 'files.pythonhosted.org'], ports: [443] }],
  });
  pythonSandbox.connect(agent);

  new ObservabilityStack(chart, 'Observability', {
    agent,
    runbookBaseUrl: 'https://runbooks.example.com/agents',
    // The runtime's histogram has a 0.5 s bucket boundary, as a latency SLO needs.
    slo: { availability: { target: 0.999 }, latency: { target: 0.99, thresholdSeconds: 0.5 } },
    tracing: {
      collector: {
        partOf: 'agent-platform',
        traces: {
          endpoint: 'tempo-distributor.observability.svc:4317',
          egress: { pods: { namespace: 'observability', podLabels: { 'app.kubernetes.io/name': 'tempo' } }, ports: [{ port: 4317 }] },
        },
      },
    },
  });
  return chart;
}
