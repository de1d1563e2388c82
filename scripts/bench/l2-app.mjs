// Baseline: a plain cdk8s-plus-28 app written as the cdk8s-plus docs teach,
// with about the same objects per agent as agents-app.mjs (Namespace,
// Deployment, Service, HPA, NetworkPolicy, ConfigMap, ServiceAccount).
// Usage: node l2-app.mjs <N> <outdir>
import { ApiObject, App, Chart, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';

const n = Number(process.argv[2] ?? 1);
const app = new App({ outdir: process.argv[3] ?? 'dist-bench' });
const chart = new Chart(app, 'agents');
for (let i = 0; i < n; i++) {
  const ns = new kplus.Namespace(chart, `Ns${i}`, { metadata: { name: `agents-${i}` } });
  const namespace = ns.name;
  const config = new kplus.ConfigMap(chart, `Config${i}`, { metadata: { namespace }, data: { 'agent.yaml': `id: ${i}\n` } });
  const sa = new kplus.ServiceAccount(chart, `Sa${i}`, { metadata: { namespace } });
  const dep = new kplus.Deployment(chart, `Agent${i}`, {
    metadata: { namespace },
    serviceAccount: sa,
    containers: [
      {
        image: 'registry.example.com/agent-runtime-ts:1.0.0',
        portNumber: 8080,
        envVariables: { NODE_ENV: kplus.EnvValue.fromValue('production') },
        volumeMounts: [{ path: '/config', volume: kplus.Volume.fromConfigMap(chart, `Vol${i}`, config) }],
        liveness: kplus.Probe.fromHttpGet('/healthz'),
        readiness: kplus.Probe.fromHttpGet('/readyz'),
      },
    ],
  });
  dep.exposeViaService({ ports: [{ port: 80, targetPort: 8080 }] });
  new kplus.HorizontalPodAutoscaler(chart, `Hpa${i}`, {
    metadata: { namespace },
    target: dep,
    maxReplicas: 10,
    minReplicas: 3,
    metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(70))],
    scaleDown: { stabilizationWindow: Duration.minutes(5) },
  });
  new kplus.NetworkPolicy(chart, `Np${i}`, { metadata: { namespace }, selector: dep });
}
app.synth();
const r = process.resourceUsage();
console.log(JSON.stringify({ cpuMs: (r.userCPUTime + r.systemCPUTime) / 1000, rssMiB: r.maxRSS / 1024, objects: chart.node.findAll().filter((c) => c instanceof ApiObject).length }));
