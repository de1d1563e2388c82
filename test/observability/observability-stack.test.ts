import type { Chart } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import {
  AgentNamespace,
  FluentBit,
  ObservabilityStack,
  OtelCollector,
  SecureAgentDeployment,
  verify,
  type ObservabilityStackProps,
  type SecureAgentDeploymentProps,
} from '../../lib/index.js';
import { all, errorOf, one, synth, type Obj } from '../util.js';

const RUNBOOKS = 'https://runbooks.example.com/agents';
const traces = {
  endpoint: 'tempo-distributor.observability.svc:4317',
  egress: { pods: { namespace: 'observability', podLabels: { 'app.kubernetes.io/name': 'tempo' } }, ports: [{ port: 4317 }] },
};

function agent(chart: Chart, props: Partial<SecureAgentDeploymentProps> = {}): SecureAgentDeployment {
  return new SecureAgentDeployment(chart, 'Agent', { name: 'agent', namespace: 'agents', image: 'registry.example.com/agent:1.2.3', ...props });
}

function build(props: Partial<Omit<ObservabilityStackProps, 'agent'>> = {}, agentProps: Partial<SecureAgentDeploymentProps> = {}): { objs: Obj[]; stack: ObservabilityStack } {
  let stack: ObservabilityStack | undefined;
  const objs = synth((chart) => {
    stack = new ObservabilityStack(chart, 'Observability', { agent: agent(chart, agentProps), runbookBaseUrl: RUNBOOKS, ...props });
  });
  return { objs, stack: stack! };
}

const alertNames = (objs: Obj[]) => one(objs, 'PrometheusRule').spec.groups.flatMap((g: Obj) => g.rules.filter((r: Obj) => r.alert).map((r: Obj) => r.alert));

describe('ObservabilityStack', () => {
  it('synthesizes the whole stack with tracing (snapshot)', () => {
    const { objs } = build({ slo: { availability: { target: 0.999 } }, tracing: { collector: { traces } } });
    expect(objs.filter((o) => !['Deployment', 'Service', 'ServiceAccount', 'HorizontalPodAutoscaler', 'PodDisruptionBudget'].includes(o.kind) || o.metadata.name === 'otel-collector')).toMatchSnapshot();
  });

  it('adds a ServiceMonitor, the library alerts and a dashboard by default', () => {
    const { objs, stack } = build();
    expect(one(objs, 'ServiceMonitor').metadata.name).toBe('agent');
    expect(one(objs, 'PrometheusRule').metadata.name).toBe('agent-alerts');
    expect(one(objs, 'PrometheusRule').spec.groups.map((g: Obj) => g.name)).toEqual(['agent']);
    expect(alertNames(objs)).toEqual(['AgentHighErrorRate', 'AgentHighLatency', 'AgentHighMemoryUsage', 'AgentPodNotReady', 'AgentHpaAtMaxReplicas']);
    expect(one(objs, 'ConfigMap', 'agent-dashboard').metadata.labels.grafana_dashboard).toBe('1');
    expect([...new Set(stack.rules.requiredMetrics.map((m) => m.source))]).toEqual(['app', 'cadvisor', 'kube-state-metrics']);
  });

  it('tunes, renames and turns off library alerts', () => {
    const { objs } = build({ alerts: { alertPrefix: 'Skreaver', latency: { name: 'SkreaverSlowResponseTime', thresholdSeconds: 2 }, memory: false, errorRate: { threshold: 0.01, severity: 'warning' } } });
    expect(alertNames(objs)).toEqual(['SkreaverHighErrorRate', 'SkreaverSlowResponseTime', 'SkreaverPodNotReady', 'SkreaverHpaAtMaxReplicas']);
    const rules = one(objs, 'PrometheusRule').spec.groups[0].rules;
    expect(rules[0].labels).toEqual({ severity: 'warning' });
    expect(rules[0].expr.endsWith('> 0.01')).toBe(true);
    expect(rules[1].expr.endsWith('> 2')).toBe(true);
  });

  it('alerts on certificate expiry when the agent has a cert-manager TLS Ingress (D-X-04)', () => {
    const { objs } = build({}, { exposure: { type: 'ingress', host: 'agent.example.com', tls: { secretName: 'agent-tls', clusterIssuer: 'letsencrypt-prod' } } });
    expect(alertNames(objs)).toContain('AgentCertificateExpiringSoon');
    const off = build({ alerts: { certificateExpiry: false } }, { exposure: { type: 'ingress', host: 'agent.example.com', tls: { secretName: 'agent-tls', clusterIssuer: 'letsencrypt-prod' } } });
    expect(alertNames(off.objs)).not.toContain('AgentCertificateExpiringSoon');
  });

  it('says which exporter metrics the data-store alerts need', () => {
    const { stack } = build({ alerts: { redis: { job: 'redis-exporter', namespace: 'data' }, postgres: { job: 'postgres-exporter', namespace: 'data' } } });
    expect(stack.rules.requiredMetrics.filter((m) => m.source.endsWith('_exporter'))).toEqual([
      { metric: 'redis_up', source: 'redis_exporter', job: 'redis-exporter', namespace: 'data' },
      { metric: 'redis_keyspace_hits_total', source: 'redis_exporter', job: 'redis-exporter', namespace: 'data' },
      { metric: 'redis_keyspace_misses_total', source: 'redis_exporter', job: 'redis-exporter', namespace: 'data' },
      { metric: 'pg_stat_activity_count', source: 'postgres_exporter', job: 'postgres-exporter', namespace: 'data' },
      { metric: 'pg_settings_max_connections', source: 'postgres_exporter', job: 'postgres-exporter', namespace: 'data' },
    ]);
  });

  it('adds SLO recording rules and burn-rate alerts in their own group', () => {
    const { objs } = build({ slo: { availability: { target: 0.999 }, latency: { target: 0.99, thresholdSeconds: 0.5 } } });
    const slo = one(objs, 'PrometheusRule').spec.groups[1];
    expect(slo.name).toBe('agent-slo');
    expect(slo.rules.filter((r: Obj) => r.record).map((r: Obj) => `${r.record}{slo=${r.labels.slo}}`)).toHaveLength(14);
    const fast = slo.rules.find((r: Obj) => r.alert === 'AgentAvailabilityBudgetBurnFast');
    expect(fast.expr).toBe(
      [
        '(slo:sli_error:ratio_rate1h{job="agent", namespace="agents", slo="availability"} > 0.0144',
        'and',
        'slo:sli_error:ratio_rate5m{job="agent", namespace="agents", slo="availability"} > 0.0144)',
        'or',
        '(slo:sli_error:ratio_rate6h{job="agent", namespace="agents", slo="availability"} > 0.006',
        'and',
        'slo:sli_error:ratio_rate30m{job="agent", namespace="agents", slo="availability"} > 0.006)',
      ].join('\n'),
    );
    expect(fast.labels).toEqual({ slo: 'availability', severity: 'critical' });
  });

  it('lets you add your own alerts', () => {
    const withOwn = synth((chart) => {
      const stack = new ObservabilityStack(chart, 'Observability', { agent: agent(chart), runbookBaseUrl: RUNBOOKS });
      stack.addAlert({ name: 'AgentToolErrors', expr: 'sum by (namespace, job) (rate(tool_errors_total{job="agent"}[5m])) > 1', for: '10m', severity: 'warning', summary: 's', description: 'd' });
    });
    expect(alertNames(withOwn)).toEqual([...alertNames(build().objs), 'AgentToolErrors']);
  });

  it('turns the ServiceMonitor and dashboard off', () => {
    const { objs } = build({ serviceMonitor: false, dashboard: false });
    expect(all(objs, 'ServiceMonitor')).toEqual([]);
    expect(all(objs, 'ConfigMap')).toEqual([]);
  });

  it('wires a collector of yours without creating another, and ships the namespace to a log shipper', () => {
    let shipper: FluentBit | undefined;
    const objs = synth((chart) => {
      const collector = new OtelCollector(chart, 'Collector', { namespace: 'telemetry', traces });
      shipper = new FluentBit(chart, 'Logs', { apiServer: { cidrs: ['10.0.0.1/32'] }, output: { type: 'loki', host: 'loki.loki.svc', egress: { cidr: '10.30.0.0/16', ports: [{ port: 3100 }] } } });
      new ObservabilityStack(chart, 'Observability', { agent: agent(chart), runbookBaseUrl: RUNBOOKS, tracing: { collector, protocol: 'http/protobuf' }, logShipper: shipper });
    });
    expect(all(objs, 'Deployment').map((d) => d.metadata.name)).toEqual(['otel-collector', 'agent']);
    expect(one(objs, 'Deployment', 'agent').spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'OTEL_EXPORTER_OTLP_ENDPOINT')).toEqual({ name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://otel-collector.telemetry.svc:4318' });
    expect(one(objs, 'NetworkPolicy', 'agent').spec.egress[0].to).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'telemetry' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'otel-collector', 'app.kubernetes.io/instance': 'otel-collector' } } },
    ]);
    expect(one(objs, 'NetworkPolicy', 'otel-collector').spec.ingress[0].from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'agents' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'agent', 'app.kubernetes.io/instance': 'agent' } } },
    ]);
    // A collector you bring is monitored where you created it, not by every agent's stack.
    expect(alertNames(objs).filter((a: string) => a.startsWith('OtelCollector'))).toEqual([]);
    expect(shipper!.namespaces).toEqual(['agents']);
  });

  it('passes the whole-bundle verification: namespace, agent, stack with collector, log shipper', () => {
    const objs = synth((chart) => {
      new AgentNamespace(chart, 'Ns', { name: 'agents' });
      const logs = new FluentBit(chart, 'Logs', { apiServer: { cidrs: ['10.0.0.1/32'] }, output: { type: 'loki', host: 'loki.loki.svc', egress: { pods: { namespace: 'loki', podLabels: { 'app.kubernetes.io/name': 'loki' } }, ports: [{ port: 3100 }] } } });
      new ObservabilityStack(chart, 'Observability', { agent: agent(chart), runbookBaseUrl: RUNBOOKS, slo: { availability: { target: 0.995 } }, tracing: { collector: { traces } }, logShipper: logs });
    });
    const report = verify(objs);
    expect(report.blocking).toEqual([]);
    expect(report.waived.map((f) => `${f.checkId} ${f.kind}/${f.name}`)).toEqual(['PSS-18 Namespace/logging', 'PSS-05 DaemonSet/fluent-bit']);
  });

  describe('rejects', () => {
    it('an SLO target outside (0, 1), by name', () => {
      expect(errorOf(() => build({ slo: { availability: { target: 99.9 }, latency: { target: 0, thresholdSeconds: 0.5 } } }))).toBe(
        [
          'invalid props for test/Observability:',
          '  test/Observability props.slo.availability.target: is outside (0, 1), got 99.9; use a ratio strictly between 0 and 1, like 0.999 for 99.9 %',
          '  test/Observability props.slo.latency.target: is outside (0, 1), got 0; use a ratio strictly between 0 and 1, like 0.999 for 99.9 %',
        ].join('\n'),
      );
    });

    it('an unknown severity and a `for` that is not a duration in the library options', () => {
      expect(errorOf(() => build({ alerts: { errorRate: { severity: 'urgent' as 'critical', for: '5' } } }))).toBe(
        [
          'invalid props for test/Observability:',
          "  test/Observability props.alerts.errorRate.for: is not a Prometheus duration, got \"5\"; write it like '30s', '5m' or '1h30m' (units y, w, d, h, m, s, ms, largest first)",
          '  test/Observability props.alerts.errorRate.severity: is not a known severity, got "urgent"; use "critical" (pages), "warning" (ticket) or "info"',
        ].join('\n'),
      );
    });

    it('a ServiceMonitor port name the Service lacks, and a scrape timeout longer than the interval', () => {
      expect(errorOf(() => build({ serviceMonitor: { endpoints: [{ port: 'admin', interval: '10s', scrapeTimeout: '20s' }] } }))).toBe(
        [
          'invalid props for test/Observability:',
          '  test/Observability props.serviceMonitor.endpoints[0].scrapeTimeout: is longer than the interval 10s, got "20s"; use at most 10s, or scrape less often',
        ].join('\n'),
      );
      expect(errorOf(() => build({ serviceMonitor: { endpoints: [{ port: 'admin' }] } }))).toBe(
        'invalid props for test/Observability/ServiceMonitor:\n  test/Observability/ServiceMonitor props.endpoints[0].port: is not a port of Service "agent", got "admin"; use one of http, metrics',
      );
    });

    it('something that is not a toggle or options, and an agent that is not a SecureAgentDeployment', () => {
      expect(errorOf(() => synth((chart) => new ObservabilityStack(chart, 'Observability', { agent: {} as SecureAgentDeployment, runbookBaseUrl: RUNBOOKS, dashboard: 'yes' as unknown as false })))).toBe(
        [
          'invalid props for test/Observability:',
          '  test/Observability props.agent: is not a SecureAgentDeployment, got {}; pass the SecureAgentDeployment to observe',
          '  test/Observability props.dashboard: must be false or an object of options, got "yes"; pass false to turn it off, or an object (possibly {}) to configure it',
        ].join('\n'),
      );
    });

    it('a ServiceMonitor for an agent without metrics', () => {
      expect(errorOf(() => build({}, { metrics: false }))).toBe(
        'test/Observability props.serviceMonitor: agent "agent" serves no metrics (metrics: false), got a ServiceMonitor; set serviceMonitor: false or give the agent a metrics port',
      );
    });
  });
});
