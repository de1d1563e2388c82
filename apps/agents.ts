import { Chart, type App } from 'cdk8s';
import { AgentNamespace, ExternalSecretRef, internetEgress, SecureAgentDeployment } from '../lib/index.js';

/**
 * The default chart: the reference TypeScript agent runtime (HTTP 8080 with
 * /healthz and /readyz, metrics 9090, UID 10001, graceful SIGTERM drain) in
 * namespace `agents`, production profile, exposed through Gateway API.
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

  new SecureAgentDeployment(chart, 'AgentRuntime', {
    name: 'agent-runtime',
    namespace: ns.name,
    image: 'registry.example.com/agent-runtime-ts:1.0.0',
    partOf: 'agent-platform',
    env: {
      NODE_ENV: 'production',
      PORT: '8080',
      METRICS_PORT: '9090',
      // The runtime keeps serving for this long after SIGTERM, then drains.
      SHUTDOWN_DRAIN_SECONDS: '30',
      LLM_API_KEY: secrets.env('llm-api-key'),
    },
    resources: 'small',
    egress: [internetEgress([443], 'LLM provider APIs')],
    exposure: {
      type: 'httpRoute',
      gateway: { name: 'public', namespace: 'gateway-system', sectionName: 'https' },
      hostnames: ['agents.example.com'],
    },
  });
  return chart;
}
