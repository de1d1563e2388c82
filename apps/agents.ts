import { Chart, type App } from 'cdk8s';
import { AgentNamespace, ExternalSecretRef, ObservabilityStack, SecureAgentDeployment } from '../lib/index.js';
import { platformEgress } from './egress.js';

/**
 * The default chart: the reference TypeScript agent runtime of `runtime/`
 * (HTTP 8080 with /healthz and /readyz, metrics 9090, UID 10001, graceful
 * SIGTERM drain) in namespace `agents`, production profile, exposed through
 * Gateway API, with its alerts, SLOs, dashboard and traces. The runtime
 * contract test starts the runtime with this Deployment's env and checks its
 * probes, metrics and shutdown against these manifests.
 */
export function addAgentsChart(app: App): Chart {
  const chart = new Chart(app, 'agents');
  const ns = new AgentNamespace(chart, 'Namespace', { name: 'agents', labels: { environment: 'production' } });

  const secrets = new ExternalSecretRef(chart, 'Secrets', {
    name: 'agent-runtime-secrets',
    namespace: ns.name,
    secretStore: { name: 'platform-secrets', kind: 'ClusterSecretStore' },
    data: [{ secretKey: 'llm-api-key', remoteKey: 'agents/prod/llm-api-key' }],
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
      LLM_API_KEY: secrets.env('llm-api-key'),
    },
    resources: 'small',
    exposure: {
      type: 'httpRoute',
      gateway: { name: 'public', namespace: 'gateway-system', sectionName: 'https' },
      hostnames: ['agents.example.com'],
    },
  });

  // The LLM providers' APIs, by name, through the platform's egress proxy.
  platformEgress(app).allow(agent, [{ domains: ['api.openai.com', 'api.anthropic.com'], ports: [443] }]);

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
