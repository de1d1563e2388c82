// Benchmark app: N fully featured agents (namespace, HPA, PDB, NetworkPolicy,
// exposure, ExternalSecret), one namespace each, synthesized with the
// library's verification on. Usage: node agents-app.mjs <N> <outdir>
import { ApiObject, Chart } from 'cdk8s';
import { AgentNamespace, AgentPlatformApp, ExternalSecretRef, SecureAgentDeployment, internetEgress } from '../../build/lib/index.js';

const n = Number(process.argv[2] ?? 1);
const app = new AgentPlatformApp({ outdir: process.argv[3] ?? 'dist-bench' });
const chart = new Chart(app, 'agents');
for (let i = 0; i < n; i++) {
  const ns = new AgentNamespace(chart, `Ns${i}`, { name: `agents-${i}` });
  const secrets = new ExternalSecretRef(chart, `Secrets${i}`, {
    name: `agent-${i}-secrets`,
    namespace: ns.name,
    secretStore: { name: 'platform-secrets', kind: 'ClusterSecretStore' },
    data: [{ secretKey: 'llm-api-key', remoteKey: `agents/${i}/llm-api-key` }],
  });
  new SecureAgentDeployment(chart, `Agent${i}`, {
    name: `agent-${i}`,
    namespace: ns.name,
    image: 'registry.example.com/agent-runtime-ts:1.0.0',
    env: { NODE_ENV: 'production', LLM_API_KEY: secrets.env('llm-api-key') },
    configFiles: { files: { 'agent.yaml': `id: ${i}\n` } },
    egress: [internetEgress([443])],
    exposure: { type: 'httpRoute', gateway: { name: 'public', namespace: 'gateway-system', sectionName: 'https' }, hostnames: [`agent-${i}.example.com`] },
  });
}
app.synth();
const r = process.resourceUsage();
console.log(JSON.stringify({ cpuMs: (r.userCPUTime + r.systemCPUTime) / 1000, rssMiB: r.maxRSS / 1024, objects: chart.node.findAll().filter((c) => c instanceof ApiObject).length }));
