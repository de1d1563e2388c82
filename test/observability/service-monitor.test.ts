import type { Chart } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { AgentServiceMonitor, agentMetricsTarget, SecureAgentDeployment, type AgentServiceMonitorProps, type SecureAgentDeploymentProps } from '../../lib/index.js';
import { errorOf, one, synth, type Obj } from '../util.js';

function agent(chart: Chart, props: Partial<SecureAgentDeploymentProps> = {}): SecureAgentDeployment {
  return new SecureAgentDeployment(chart, 'Agent', { name: 'agent', namespace: 'agents', image: 'registry.example.com/agent:1.2.3', ...props });
}

function build(props: Partial<Omit<AgentServiceMonitorProps, 'target'>> = {}, agentProps: Partial<SecureAgentDeploymentProps> = {}): Obj[] {
  return synth((chart) => new AgentServiceMonitor(chart, 'Monitor', { target: agentMetricsTarget(agent(chart, agentProps)), ...props }));
}

describe('AgentServiceMonitor', () => {
  it('synthesizes a ServiceMonitor for an agent (snapshot)', () => {
    expect(all(build())).toMatchSnapshot();
  });

  it('selects the Service by its stable selector labels and scrapes the metrics port by name', () => {
    const objs = build();
    const sm = one(objs, 'ServiceMonitor');
    const svc = one(objs, 'Service');
    expect(sm.spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'agent', 'app.kubernetes.io/instance': 'agent' } });
    for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) expect(svc.metadata.labels[k]).toBe(v);
    expect(sm.spec.namespaceSelector).toEqual({ matchNames: ['agents'] });
    expect(sm.spec.endpoints).toEqual([
      { port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s', metricRelabelings: [{ action: 'labeldrop', regex: 'request_id|trace_id|span_id|session_id|conversation_id|user_id' }] },
    ]);
    expect(svc.spec.ports.map((p: Obj) => p.name)).toContain('metrics');
    expect(sm.spec.sampleLimit).toBe(20000);
  });

  it('scrapes the http port when metrics share it', () => {
    const sm = one(build({}, { metrics: { port: 8080, path: '/internal/metrics' } }), 'ServiceMonitor');
    expect(sm.spec.endpoints[0]).toMatchObject({ port: 'http', path: '/internal/metrics' });
  });

  it('carries the release label and the scraper for the network checks (D-X-04, NET-10)', () => {
    const sm = one(build(), 'ServiceMonitor');
    expect(sm.metadata.labels.release).toBe('kube-prometheus-stack');
    expect(sm.metadata.annotations).toEqual({ 'cdk8s-agent-platform.dev/ingress-from': 'monitoring/prometheus' });
    const vmagent = { namespace: 'observability', podLabels: { 'app.kubernetes.io/name': 'vmagent' } };
    // The agent admits the scraper the ServiceMonitor records (NET-02 fails the synth otherwise).
    expect(errorOf(() => build({ scrapedBy: vmagent }))).toContain('NET-02 High Deployment agents/agent spec.template.metadata.labels: ingress from Prometheus in observability');
    const custom = one(build({ release: 'prom', scrapedBy: vmagent }, { metrics: { scrapeFrom: vmagent } }), 'ServiceMonitor');
    expect(custom.metadata.labels.release).toBe('prom');
    expect(custom.metadata.annotations['cdk8s-agent-platform.dev/ingress-from']).toBe('observability/vmagent');
  });

  it('takes several endpoints, drop lists and honorLabels', () => {
    // Prometheus may scrape the app port too.
    const agentProps = { allowFrom: [{ namespace: 'monitoring', podLabels: { 'app.kubernetes.io/name': 'prometheus' } }] };
    const endpoints = [{ port: 'metrics', interval: '15s', scrapeTimeout: '15s' }, { port: 'http', path: '/stats', honorLabels: true }];
    const sm = one(build({ endpoints, dropLabels: [] }, agentProps), 'ServiceMonitor');
    expect(sm.spec.endpoints).toEqual([
      { port: 'metrics', path: '/metrics', interval: '15s', scrapeTimeout: '15s' },
      { port: 'http', path: '/stats', interval: '30s', scrapeTimeout: '10s', honorLabels: true },
    ]);
  });

  describe('rejects', () => {
    it('a port name the Service lacks', () => {
      expect(errorOf(() => build({ endpoints: [{ port: 'prometheus' }] }))).toBe(
        'invalid props for test/Monitor:\n  test/Monitor props.endpoints[0].port: is not a port of Service "agent", got "prometheus"; use one of http, metrics',
      );
    });

    it('a scrape timeout longer than the interval', () => {
      expect(errorOf(() => build({ endpoints: [{ interval: '15s', scrapeTimeout: '30s' }] }))).toBe(
        'invalid props for test/Monitor:\n  test/Monitor props.endpoints[0].scrapeTimeout: is longer than the interval 15s, got "30s"; use at most 15s, or scrape less often',
      );
    });

    it('an interval that is not a duration', () => {
      expect(errorOf(() => build({ endpoints: [{ interval: '1 minute' }] }))).toBe(
        "invalid props for test/Monitor:\n  test/Monitor props.endpoints[0].interval: is not a Prometheus duration, got \"1 minute\"; write it like '30s', '5m' or '1h30m' (units y, w, d, h, m, s, ms, largest first)",
      );
    });

    it('a default endpoint on an agent without metrics', () => {
      expect(errorOf(() => build({}, { metrics: false }))).toBe(
        'invalid props for test/Monitor:\n  test/Monitor props.endpoints: names no port and Service "agent" has no metrics port, got undefined; give endpoints[].port, one of http',
      );
    });
  });
});

function all(objs: Obj[]): Obj[] {
  return objs.filter((o) => o.kind === 'ServiceMonitor');
}
