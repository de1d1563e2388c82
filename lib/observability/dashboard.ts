import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { z } from 'zod';
import { dnsLabel, dnsSubdomain, labelMap } from '../core/schemas.js';
import type { k8s } from '../internal/plus.js';
import { problem } from '../internal/props.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import { createConfigMap, managedMeta, parseConstructProps, setPrimary } from '../kit/index.js';
import { httpMetricNamesSchema, type HttpMetricNames, type HttpMetricNamesOptions } from './agent-alerts.js';
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

/**
 * Props of {@link AgentDashboard}.
 * @see https://github.com/grafana/helm-charts/tree/main/charts/grafana#sidecar-for-dashboards
 */
export interface AgentDashboardProps {
  /** The workload the dashboard shows: {@link agentMetricsTarget} of a SecureAgentDeployment. */
  readonly target: MetricsTarget;
  /** Names of the app's HTTP metrics. @default - the reference runtime's */
  readonly metrics?: HttpMetricNamesOptions;
  /** Name of the ConfigMap. @default - `<target name>-dashboard` */
  readonly name?: string;
  /**
   * Namespace of the ConfigMap: one the Grafana sidecar watches (with
   * kube-prometheus-stack, Grafana's own unless `searchNamespace: ALL`).
   * @default - the target's namespace
   */
  readonly namespace?: string;
  /** Dashboard title. @default - `<namespace>/<name>` */
  readonly title?: string;
  /** Grafana folder, as the `grafana_folder` annotation the sidecar's `folderAnnotation` reads. @default - the sidecar's default folder */
  readonly folder?: string;
  /** Extra labels of the ConfigMap. @default {} */
  readonly labels?: { readonly [key: string]: string };
}

true satisfies SchemaAgrees<typeof AgentDashboardPropsSchema, AgentDashboardProps>;

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
    const p = parseConstructProps(this, AgentDashboardPropsSchema, props);
    const t = p.target;
    const name = p.name ?? `${t.name}-dashboard`;
    this.panels = dashboardPanels(t, p.metrics);
    this.model = dashboardModel(t, p.title ?? `${t.namespace}/${t.name}`, this.panels);
    const labels = { ...p.labels, [GRAFANA_DASHBOARD_LABEL]: '1' };
    const metadata = managedMeta(this, 'ConfigMap', p.namespace ?? t.namespace, name, labels, p.folder ? { grafana_folder: p.folder } : undefined);
    this.configMap = setPrimary(this, createConfigMap(this, AgentDashboardIds.ConfigMap, metadata, { [`${name}.json`]: `${JSON.stringify(this.model, null, 2)}\n` }));
  }
}

/**
 * The panels and their PromQL: request rate, error ratio, latency
 * quantiles, CPU and memory against their limits, restarts, and HPA
 * replicas when the workload has an HPA.
 */
function dashboardPanels(t: MetricsTarget, m: HttpMetricNames): DashboardPanel[] {
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
  const quantile = (q: number) => ({ expr: `histogram_quantile(${q}, sum by (le) (${rate(`${m.duration}_bucket`)}))`, legend: `p${q * 100}` });
  const limit = (resource: 'cpu' | 'memory') => `max(${selector('kube_pod_container_resource_limits', [...pods, ['resource', '=', resource]])})`;
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
  return t.hpaName ? [...panels, hpaPanel(t.namespace, t.hpaName)] : panels;
}

function hpaPanel(namespace: string, hpaName: string): DashboardPanel {
  const hpa: Matcher[] = [
    ['namespace', '=', namespace],
    ['horizontalpodautoscaler', '=', hpaName],
  ];
  const series = (metric: string, legend: string) => ({ expr: `max(${selector(`kube_horizontalpodautoscaler_${metric}`, hpa)})`, legend });
  return {
    title: 'HPA replicas',
    unit: 'short',
    queries: [series('status_current_replicas', 'current'), series('status_desired_replicas', 'desired'), series('spec_min_replicas', 'min'), series('spec_max_replicas', 'max')],
  };
}

/** The Grafana JSON model: a stable uid, the data source variable, and one time series panel per {@link DashboardPanel}, two per row. */
function dashboardModel(t: MetricsTarget, title: string, panels: readonly DashboardPanel[]): Record<string, unknown> {
  // A stable uid (Grafana allows 40 characters) so links survive re-imports.
  const uid = `cap-${createHash('sha256').update(`${t.namespace}/${t.name}`).digest('hex').slice(0, 20)}`;
  const ds = { type: 'prometheus', uid: '${datasource}' };
  return {
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
}
