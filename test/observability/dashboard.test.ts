import { describe, expect, it } from 'vitest';
import { AgentDashboard, agentMetricsTarget, SecureAgentDeployment, type AgentDashboardProps, type RenderedGroup, type SecureAgentDeploymentProps } from '../../lib/index.js';
import { errorOf, one, synth, type Obj } from '../util.js';
import { checkRules } from './promtool.js';

function build(props: Partial<Omit<AgentDashboardProps, 'target'>> = {}, agentProps: Partial<SecureAgentDeploymentProps> = {}): { objs: Obj[]; dashboard: AgentDashboard } {
  let dashboard: AgentDashboard | undefined;
  const objs = synth((chart) => {
    const agent = new SecureAgentDeployment(chart, 'Agent', { name: 'agent', namespace: 'agents', image: 'registry.example.com/agent:1.2.3', ...agentProps });
    dashboard = new AgentDashboard(chart, 'Dashboard', { target: agentMetricsTarget(agent), ...props });
  });
  return { objs, dashboard: dashboard! };
}

/** The dashboard's queries as recording rules, with Grafana's `$__rate_interval` replaced by a fixed window. */
function queriesAsRules(d: AgentDashboard): RenderedGroup[] {
  const rules = d.panels.flatMap((p, i) => p.queries.map((q, j) => ({ record: `dashboard:panel${i}_query${j}`, expr: q.expr.replaceAll('$__rate_interval', '5m') })));
  return [{ name: 'dashboard-queries', interval: '1m', rules }];
}

describe('AgentDashboard', () => {
  it('synthesizes a ConfigMap for the Grafana sidecar (snapshot)', () => {
    expect(build().objs.filter((o) => o.kind === 'ConfigMap')).toMatchSnapshot();
  });

  it('labels the ConfigMap grafana_dashboard: "1" and holds valid dashboard JSON', () => {
    const cm = one(build({ folder: 'Agents' }).objs, 'ConfigMap', 'agent-dashboard');
    expect(cm.metadata.labels.grafana_dashboard).toBe('1');
    expect(cm.metadata.annotations).toEqual({ grafana_folder: 'Agents' });
    const model = JSON.parse(cm.data['agent-dashboard.json']);
    expect(model.title).toBe('agents/agent');
    expect(model.uid).toMatch(/^cap-[0-9a-f]{20}$/);
    expect(model.templating.list[0]).toMatchObject({ name: 'datasource', type: 'datasource', query: 'prometheus' });
    expect(model.panels.map((p: Obj) => p.title)).toEqual([
      'Request rate',
      'Error ratio (5xx)',
      'Latency',
      'CPU against limit (cores)',
      'Memory against limit',
      'Container restarts (1h)',
      'HPA replicas',
    ]);
    expect(model.panels[2].targets.map((t: Obj) => t.legendFormat)).toEqual(['p50', 'p95', 'p99']);
    for (const panel of model.panels) {
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      for (const t of panel.targets) expect(t.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
  });

  it('scopes every query to the workload and compares CPU and memory to the limits', () => {
    const d = build().dashboard;
    for (const p of d.panels) for (const q of p.queries) expect(q.expr).toMatch(/namespace="agents"/);
    const cpu = d.panels.find((p) => p.title.startsWith('CPU'))!;
    expect(cpu.queries[1]!.expr).toBe('max(kube_pod_container_resource_limits{namespace="agents", pod=~"agent-[a-z0-9]+-[a-z0-9]{5}", container="agent", resource="cpu"})');
  });

  it('leaves out the HPA panel without an HPA, and follows the metric names', () => {
    const d = build({ metrics: { requests: 'agent_http_requests_total', statusLabel: 'code' } }, { replicas: 2 }).dashboard;
    expect(d.panels.map((p) => p.title)).not.toContain('HPA replicas');
    expect(d.panels[0]!.queries[0]!.expr).toBe('sum by (code) (rate(agent_http_requests_total{job="agent", namespace="agents"}[$__rate_interval]))');
  });

  it('has queries promtool compiles (as recording rules)', () => {
    const groups = queriesAsRules(build().dashboard);
    expect(groups[0]!.rules).toHaveLength(14);
    const r = checkRules(groups);
    expect(r.output).toContain('SUCCESS: 14 rules found');
    expect(r.status).toBe(0);
  });

  it('rejects a bad namespace by name', () => {
    expect(errorOf(() => build({ namespace: 'Monitoring' }))).toBe(
      "invalid props for test/Dashboard:\n  test/Dashboard props.namespace: is not a DNS-1123 label, got \"Monitoring\"; use lowercase letters, digits and '-', starting and ending with a letter or digit",
    );
  });
});
