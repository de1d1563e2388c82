import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { z } from 'zod';
import { dnsLabel, dnsSubdomain, labelMap } from '../core/schemas.js';
import { MANAGED_BY } from '../internal/labels.js';
import { claimName } from '../internal/names.js';
import { k8s } from '../internal/plus.js';
import { parseProps, problem } from '../internal/props.js';
import { ensureVerification } from '../validation/synth.js';
import { httpMetricNamesSchema } from './agent-alerts.js';
import type { MetricsTarget } from './metrics-target.js';
import { selector, type Matcher } from './promql.js';

const isMetricsTarget = (v: unknown): v is MetricsTarget => typeof v === 'object' && v !== null && typeof (v as MetricsTarget).podRegex === 'string';

/** Props of {@link AgentDashboard}. */
export const AgentDashboardPropsSchema = z.strictObject({
  /** The workload the dashboard shows (see {@link agentMetricsTarget}). */
  target: z.custom<MetricsTarget>(isMetricsTarget, { error: problem('is not a metrics target', 'pass agentMetricsTarget(agent)') }),
  /** Names of the app's HTTP metrics. @default - the reference runtime's */
  metrics: httpMetricNamesSchema.prefault({}),
  /** Name of the ConfigMap. @default `<target name>-dashboard` */
  name: dnsSubdomain.optional(),
  /**
   * Namespace of the ConfigMap: one the Grafana sidecar watches (with
   * kube-prometheus-stack, Grafana's own unless `searchNamespace: ALL`).
   * @default - the target's namespace
   */
  namespace: dnsLabel.optional(),
  /** Dashboard title. @default `<namespace>/<name>` */
  title: z.string().min(1).optional(),
  /** Grafana folder, as the `grafana_folder` annotation the sidecar's `folderAnnotation` reads. @default - the sidecar's default folder */
  folder: z.string().min(1).optional(),
  /** Extra labels of the ConfigMap. @default {} */
  labels: labelMap.default({}),
});

/** Props of {@link AgentDashboard}. */
export type AgentDashboardProps = Readonly<z.input<typeof AgentDashboardPropsSchema>>;

/** One panel of the dashboard and its queries. */
export interface DashboardPanel {
  readonly title: string;
  readonly unit: string;
  readonly queries: readonly { readonly expr: string; readonly legend: string }[];
}

/** The label the Grafana dashboard sidecar selects ConfigMaps by (kube-prometheus-stack's default). */
export const GRAFANA_DASHBOARD_LABEL = 'grafana_dashboard';

/** Construct ids of the children: part of the API, since they name objects. */
export const AgentDashboardIds = {
  ConfigMap: 'ConfigMap',
} as const;

/**
 * A Grafana dashboard for one workload, generated as JSON into a ConfigMap
 * labelled `grafana_dashboard: "1"` for the Grafana sidecar: request rate,
 * error ratio, latency p50/p95/p99, CPU and memory against their limits,
 * container restarts and HPA replicas. Queries are scoped to the workload's
 * job and namespace, use `$__rate_interval`, and read the Prometheus data
 * source chosen in the dashboard's `datasource` variable.
 *
 * @see https://grafana.com/docs/grafana/latest/dashboards/build-dashboards/view-dashboard-json-model/
 */
export class AgentDashboard extends Construct {
  /** The ConfigMap holding the dashboard. */
  public readonly configMap: k8s.KubeConfigMap;
  /** The panels, with their PromQL queries. */
  public readonly panels: readonly DashboardPanel[];
  /** The dashboard JSON model. */
  public readonly model: Readonly<Record<string, unknown>>;

  constructor(scope: Construct, id: string, props: AgentDashboardProps) {
    super(scope, id);
    const p = parseProps(this, AgentDashboardPropsSchema, props);
    ensureVerification(this);
    const t = p.target;
    const ns = p.namespace ?? t.namespace;
    const name = p.name ?? `${t.name}-dashboard`;
    const m = p.metrics;
    const app: Matcher[] = [
      ['job', '=', t.name],
      ['namespace', '=', t.namespace],
    ];
    const pods: Matcher[] = [
      ['namespace', '=', t.namespace],
      ['pod', '=~', t.podRegex],
      ['container', '=', t.container],
    ];
    const rate = (metric: string, extra: Matcher[] = []) => `rate(${selector(metric, [...app, ...extra])}[$__rate_interval])`;
    const quantile = (q: number) => ({
      expr: `histogram_quantile(${q}, sum by (le) (${rate(`${m.duration}_bucket`)}))`,
      legend: `p${q * 100}`,
    });
    const limit = (resource: 'cpu' | 'memory') =>
      `max(${selector('kube_pod_container_resource_limits', [...pods, ['resource', '=', resource]])})`;
    const panels: DashboardPanel[] = [
      { title: 'Request rate', unit: 'reqps', queries: [{ expr: `sum by (${m.statusLabel}) (${rate(m.requests)})`, legend: `{{${m.statusLabel}}}` }] },
      {
        title: 'Error ratio (5xx)',
        unit: 'percentunit',
        queries: [{ expr: `sum(${rate(m.requests, [[m.statusLabel, '=~', '5..']])})\n/\nsum(${rate(m.requests)})`, legend: '5xx ratio' }],
      },
      { title: 'Latency', unit: 's', queries: [quantile(0.5), quantile(0.95), quantile(0.99)] },
      {
        title: 'CPU against limit (cores)',
        unit: 'short',
        queries: [
          { expr: `sum by (pod) (rate(${selector('container_cpu_usage_seconds_total', pods)}[$__rate_interval]))`, legend: '{{pod}}' },
          { expr: limit('cpu'), legend: 'limit' },
        ],
      },
      {
        title: 'Memory against limit',
        unit: 'bytes',
        queries: [
          { expr: `sum by (pod) (${selector('container_memory_working_set_bytes', pods)})`, legend: '{{pod}}' },
          { expr: limit('memory'), legend: 'limit' },
        ],
      },
      {
        title: 'Container restarts (1h)',
        unit: 'short',
        queries: [{ expr: `sum by (pod) (increase(${selector('kube_pod_container_status_restarts_total', pods)}[1h]))`, legend: '{{pod}}' }],
      },
    ];
    if (t.hpaName) {
      const hpa: Matcher[] = [
        ['namespace', '=', t.namespace],
        ['horizontalpodautoscaler', '=', t.hpaName],
      ];
      panels.push({
        title: 'HPA replicas',
        unit: 'short',
        queries: [
          { expr: `max(${selector('kube_horizontalpodautoscaler_status_current_replicas', hpa)})`, legend: 'current' },
          { expr: `max(${selector('kube_horizontalpodautoscaler_status_desired_replicas', hpa)})`, legend: 'desired' },
          { expr: `max(${selector('kube_horizontalpodautoscaler_spec_min_replicas', hpa)})`, legend: 'min' },
          { expr: `max(${selector('kube_horizontalpodautoscaler_spec_max_replicas', hpa)})`, legend: 'max' },
        ],
      });
    }
    this.panels = panels;
    const title = p.title ?? `${t.namespace}/${t.name}`;
    // A stable uid (Grafana allows 40 characters) so links survive re-imports.
    const uid = `cap-${createHash('sha256').update(`${t.namespace}/${t.name}`).digest('hex').slice(0, 20)}`;
    const ds = { type: 'prometheus', uid: '${datasource}' };
    this.model = {
      uid,
      title,
      tags: ['cdk8s-agent-platform', t.namespace],
      timezone: 'utc',
      schemaVersion: 39,
      version: 1,
      editable: false,
      refresh: '30s',
      time: { from: 'now-6h', to: 'now' },
      templating: {
        list: [{ name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0 }],
      },
      panels: panels.map((panel, i) => ({
        id: i + 1,
        type: 'timeseries',
        title: panel.title,
        datasource: ds,
        gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 },
        fieldConfig: { defaults: { unit: panel.unit }, overrides: [] },
        options: { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
        targets: panel.queries.map((q, j) => ({ refId: String.fromCharCode(65 + j), datasource: ds, expr: q.expr, legendFormat: q.legend })),
      })),
    };
    claimName(this, 'ConfigMap', ns, name);
    this.configMap = new k8s.KubeConfigMap(this, AgentDashboardIds.ConfigMap, {
      metadata: {
        name,
        namespace: ns,
        labels: { ...p.labels, [GRAFANA_DASHBOARD_LABEL]: '1', 'app.kubernetes.io/managed-by': MANAGED_BY },
        ...(p.folder ? { annotations: { grafana_folder: p.folder } } : {}),
      },
      data: { [`${name}.json`]: `${JSON.stringify(this.model, null, 2)}\n` },
    });
  }
}
