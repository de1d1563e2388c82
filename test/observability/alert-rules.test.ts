import { JsonPatch } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { AlertRules, type AlertOptions, type AlertRulesProps } from '../../lib/index.js';
import { errorOf, one, synth, type Obj } from '../util.js';

const base: AlertRulesProps = { name: 'agent-alerts', namespace: 'agents', runbookBaseUrl: 'https://runbooks.example.com/agents/' };
const alert: AlertOptions = {
  name: 'AgentDown',
  expr: 'max by (namespace, job) (up{job="agent", namespace="agents"}) == 0',
  for: '5m',
  severity: 'critical',
  summary: '{{ $labels.job }} is down',
  description: 'No target of {{ $labels.job }} in {{ $labels.namespace }} answers scrapes.',
};

function build(props: Partial<AlertRulesProps> = {}, add: (r: AlertRules) => void = (r) => r.addAlert(alert)): { objs: Obj[]; rules: AlertRules } {
  let rules: AlertRules | undefined;
  const objs = synth((chart) => {
    rules = new AlertRules(chart, 'Rules', { ...base, ...props });
    add(rules);
  });
  return { objs, rules: rules! };
}

describe('AlertRules', () => {
  it('synthesizes a PrometheusRule (snapshot)', () => {
    const { objs } = build({}, (r) => {
      r.addAlert(alert);
      r.addRecordingRule({ record: 'job:up:max', expr: 'max by (job) (up)', labels: { team: 'agents' } }, 'recordings');
      r.addAlert({ ...alert, name: 'AgentFlapping', severity: 'warning', for: '15m', keepFiringFor: '10m', labels: { team: 'agents' }, runbookUrl: 'https://wiki.example.com/flapping' });
    });
    expect(objs).toMatchSnapshot();
  });

  it('labels the object for kube-prometheus-stack (release) and lets it be turned off (D-X-04)', () => {
    expect(one(build().objs, 'PrometheusRule').metadata.labels).toEqual({ release: 'kube-prometheus-stack', 'app.kubernetes.io/managed-by': 'cdk8s-agent-platform' });
    expect(one(build({ release: false, labels: { prometheus: 'platform' } }).objs, 'PrometheusRule').metadata.labels).toEqual({
      prometheus: 'platform',
      'app.kubernetes.io/managed-by': 'cdk8s-agent-platform',
    });
  });

  it('gives every alert a severity label and summary, description and runbook_url annotations', () => {
    const rule = one(build().objs, 'PrometheusRule').spec.groups[0].rules[0];
    expect(rule).toEqual({
      alert: 'AgentDown',
      expr: alert.expr,
      for: '5m',
      labels: { severity: 'critical' },
      annotations: {
        summary: '{{ $labels.job }} is down',
        description: 'No target of {{ $labels.job }} in {{ $labels.namespace }} answers scrapes.',
        runbook_url: 'https://runbooks.example.com/agents/AgentDown',
      },
    });
  });

  it('puts alerts in the default group, named after the rule set, at the interval', () => {
    const groups = one(build({ interval: '1m' }).objs, 'PrometheusRule').spec.groups;
    expect(groups.map((g: Obj) => [g.name, g.interval])).toEqual([['agent-alerts', '1m']]);
    const named = one(build({ defaultGroup: 'agent' }).objs, 'PrometheusRule').spec.groups;
    expect(named.map((g: Obj) => g.name)).toEqual(['agent']);
  });

  it('writes Helm-safe annotations only when asked', () => {
    const plain = build().rules.renderGroups()[0]!.rules[0]!.annotations!;
    expect(plain.summary).toBe('{{ $labels.job }} is down');
    const safe = build({ helmSafeAnnotations: true }).rules.renderGroups()[0]!.rules[0]!.annotations!;
    expect(safe.summary).toBe('{{ "{{" }} $labels.job {{ "}}" }} is down');
    // The expression is Prometheus', never templated by Helm.
    expect(build({ helmSafeAnnotations: true }).rules.renderGroups()[0]!.rules[0]!.expr).toBe(alert.expr);
  });

  it('lists the metrics the alerts need', () => {
    const { rules } = build({}, (r) =>
      r.addAlert({ ...alert, requires: [{ metric: 'redis_up', source: 'redis_exporter', job: 'redis', namespace: 'data' }, { metric: 'redis_up', source: 'redis_exporter', job: 'redis', namespace: 'data' }] }),
    );
    expect(rules.requiredMetrics).toEqual([{ metric: 'redis_up', source: 'redis_exporter', job: 'redis', namespace: 'data' }]);
  });

  describe('rejects', () => {
    it('an unknown severity and a `for` that is not a duration, by name', () => {
      expect(errorOf(() => build({}, (r) => r.addAlert({ ...alert, severity: 'page' as 'critical', for: '5 minutes' })))).toBe(
        [
          'invalid props for test/Rules:',
          '  test/Rules addAlert("AgentDown").for: is not a Prometheus duration, got "5 minutes"; write it like \'30s\', \'5m\' or \'1h30m\' (units y, w, d, h, m, s, ms, largest first)',
          '  test/Rules addAlert("AgentDown").severity: is not a known severity, got "page"; use "critical" (pages), "warning" (ticket) or "info"',
        ].join('\n'),
      );
    });

    it('a severity label and reserved annotations given by hand', () => {
      expect(errorOf(() => build({}, (r) => r.addAlert({ ...alert, labels: { severity: 'critical' }, annotations: { summary: 'x' } })))).toBe(
        [
          'invalid props for test/Rules:',
          '  test/Rules addAlert("AgentDown").labels.severity: is set from the severity option, got "critical"; remove it and set severity instead',
          '  test/Rules addAlert("AgentDown").annotations.summary: has its own option, got "x"; set summary, description or runbookUrl instead',
        ].join('\n'),
      );
    });

    it('the same alert name and severity twice', () => {
      expect(errorOf(() => build({}, (r) => (r.addAlert(alert), r.addAlert(alert))))).toBe(
        'test/Rules: alert "AgentDown" with severity critical is already defined in group "agent-alerts"; give it another name or severity',
      );
    });

    it('an object the schema rejects, checked again after a change (the check is kept only for an unchanged object)', () => {
      const { rules } = build();
      expect(rules.node.validate()).toEqual([]);
      rules.prometheusRule.addJsonPatch(JsonPatch.replace('/spec/groups/0/rules/0/for', 5));
      expect(rules.node.validate()).toEqual(['test/Rules: PrometheusRule "agent-alerts" fails the prometheus-operator schema: data/spec/groups/0/rules/0/for must be string, data/spec/groups/0/rules/0/for must be string']);
    });

    it('a rule set without rules, at synth', () => {
      expect(errorOf(() => build({}, () => undefined))).toContain('test/Rules: PrometheusRule "agent-alerts" has no rules; add alerts with addAlert() or remove it');
    });

    it('a runbook base that is not a URL and an interval that is not a duration', () => {
      expect(errorOf(() => build({ runbookBaseUrl: 'runbooks', interval: '30 seconds' }))).toBe(
        [
          'invalid props for test/Rules:',
          "  test/Rules props.runbookBaseUrl: is not a URL, got \"runbooks\"; give an absolute URL like 'https://runbooks.example.com/agents'",
          "  test/Rules props.interval: is not a Prometheus duration, got \"30 seconds\"; write it like '30s', '5m' or '1h30m' (units y, w, d, h, m, s, ms, largest first)",
        ].join('\n'),
      );
    });
  });
});
