// Benchmark app: N namespaces, each with an agent and its data stores (a
// replicated Redis with Sentinel, PostgreSQL as a CloudNativePG cluster with
// a Pooler, PgBouncer, OPA), wired to each other, synthesized with the
// library's verification on (the store invariants included).
// Usage: node stores-app.mjs <N> <outdir>
import { ApiObject, Chart } from 'cdk8s';
import { AgentNamespace, AgentPlatformApp, OpaServer, PgBouncer, PostgresStore, RedisStore, SecureAgentDeployment } from '../../build/lib/index.js';

const n = Number(process.argv[2] ?? 1);
const app = new AgentPlatformApp({ outdir: process.argv[3] ?? 'dist-bench' });
const chart = new Chart(app, 'stores');
for (let i = 0; i < n; i++) {
  const ns = new AgentNamespace(chart, `Ns${i}`, { name: `team-${i}` });
  const agent = new SecureAgentDeployment(chart, `Agent${i}`, { name: 'agent', namespace: ns.name, image: 'registry.example.com/agent-runtime-ts:1.0.0' });
  const client = { podLabels: { ...agent.selectorLabels } };
  const redis = new RedisStore(chart, `Redis${i}`, { name: 'cache', namespace: ns.name, role: 'cache', auth: { secretName: 'cache-auth' }, clients: [client], alerting: false });
  const db = new PostgresStore(chart, `Db${i}`, {
    name: 'db',
    namespace: ns.name,
    mode: 'cloudNativePg',
    database: 'app',
    owner: 'app',
    auth: { secretName: 'db-auth' },
    cloudNativePg: { apiServerCidrs: ['10.0.0.1/32'], pooler: {} },
    clients: [client],
  });
  const pool = new PgBouncer(chart, `Pool${i}`, { name: 'pgbouncer', namespace: ns.name, server: db.pgBouncerServer(), clients: [client], maxDbConnections: 40 });
  db.allowFrom(pool.peer);
  new OpaServer(chart, `Opa${i}`, { name: 'opa', namespace: ns.name, policies: { configMap: 'opa-policies' }, auth: { tokenSecret: { name: 'opa-token', key: 'token' } }, tls: { secretName: 'opa-tls' }, clients: [client] });
  // What the bundle references outside itself.
  new ApiObject(chart, `Refs${i}`, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'external-refs', namespace: ns.name, annotations: { 'cdk8s-agent-platform.dev/external-refs': 'Secret/cache-auth,Secret/db-auth,Secret/opa-token,Secret/opa-tls,ConfigMap/opa-policies' } },
    data: {},
  });
  void redis;
}
app.synth();
const r = process.resourceUsage();
console.log(JSON.stringify({ cpuMs: (r.userCPUTime + r.systemCPUTime) / 1000, rssMiB: r.maxRSS / 1024, objects: chart.node.findAll().filter((c) => c instanceof ApiObject).length }));
