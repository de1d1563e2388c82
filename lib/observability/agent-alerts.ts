import { z } from 'zod';
import { dnsLabel, dnsSubdomain } from '../core/schemas.js';
import { problem } from '../internal/props.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import { REDIS } from '../core/redis.js';
import { severitySchema, type AlertOptions, type AlertSeverity, type RequiredMetric } from './alert-rules.js';
import type { MetricsTarget } from './metrics-target.js';
import { offOr } from './toggle.js';
import { metricName, num, openRatio, promDuration, promLabelName, selector, type Matcher } from './promql.js';

// D-SKR-13, D-WVR-09, D-SRK-10
/**
 * The alert library: the alerts every seed platform defines, with the seeds'
 * expression defects fixed, as options for
 * {@link AlertRules.addAlert}. Ratios aggregate with `sum by` on both sides,
 * quantiles run over `sum by (le)` of bucket rates, and every selector is
 * scoped to the workload's job and namespace (or its pods and container).
 */

/**
 * Names of the app's HTTP metrics. Each platform names them differently;
 * the defaults are the reference runtime's.
 */
export const httpMetricNamesSchema = z.strictObject({
  /** Counter of requests, labelled with the status code. @default 'http_requests_total' */
  requests: metricName.default('http_requests_total'),
  /** Label of `requests` holding the HTTP status code (`code` in some client libraries). @default 'status' */
  statusLabel: promLabelName.default('status'),
  /** Histogram of request durations in seconds (its `_bucket` and `_count` series are used). @default 'http_request_duration_seconds' */
  duration: metricName.default('http_request_duration_seconds'),
});

/** See {@link httpMetricNamesSchema}. */
export type HttpMetricNames = z.output<typeof httpMetricNamesSchema>;

/**
 * Names of the app's HTTP metrics, where they differ from the reference runtime's.
 * @see https://prometheus.io/docs/practices/naming/
 */
export interface HttpMetricNamesOptions {
  /** Counter of requests, labelled with the status code. @default 'http_requests_total' */
  readonly requests?: string;
  /** Label of `requests` holding the HTTP status code (`code` in some client libraries). @default 'status' */
  readonly statusLabel?: string;
  /** Histogram of request durations in seconds (its `_bucket` and `_count` series are used). @default 'http_request_duration_seconds' */
  readonly duration?: string;
}

true satisfies SchemaAgrees<typeof httpMetricNamesSchema, HttpMetricNamesOptions>;

const alertName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, { error: problem('is not an alert name', "use letters, digits and '_', starting with a letter") });

/** Options every library alert shares. */
function common(defaults: { for: string; severity: z.output<typeof severitySchema> }) {
  return {
    /** Alert name. @default - `<alertPrefix><the alert's name>` */
    name: alertName.optional(),
    /** How long the condition must hold. */
    for: promDuration.default(defaults.for),
    /** Severity. */
    severity: severitySchema.default(defaults.severity),
  };
}

/** An alert that can be turned off with `false`. */
function toggle<T extends z.ZodRawShape>(shape: T) {
  return offOr(z.strictObject(shape));
}

const exporterScope = {
  /** The exporter's scrape job (its Service name, with a ServiceMonitor). */
  job: dnsSubdomain,
  /** Namespace the exporter runs in. */
  namespace: dnsLabel,
};

/** Options of {@link agentAlerts}: which library alerts to add, and their thresholds. */
export const agentAlertsSchema = z.strictObject({
  /** Prefix of every alert name, e.g. `Skreaver` gives `SkreaverHighErrorRate`. @default - the workload name in PascalCase */
  alertPrefix: z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, { error: problem('is not an alert name prefix', 'use letters and digits, starting with a letter') }).optional(),
  /** Ratio of 5xx responses (Skreaver, Weaver, SARK). @default { threshold: 0.05, for: '5m', severity: 'critical' } */
  errorRate: toggle({
    ...common({ for: '5m', severity: 'critical' }),
    /** Ratio of 5xx responses above which it fires. @default 0.05 */
    threshold: openRatio.default(0.05),
    /** Regular expression of the server-error status codes. @default '5..' */
    statusRegex: z.string().min(1).default('5..'),
  }).prefault({}),
  /** Latency quantile (Skreaver p95 > 1 s, Weaver p95 > 2 s, SARK p95 > 200 ms). @default { quantile: 0.95, thresholdSeconds: 1, for: '10m', severity: 'warning' } */
  latency: toggle({
    ...common({ for: '10m', severity: 'warning' }),
    /** Quantile. @default 0.95 */
    quantile: openRatio.default(0.95),
    /** Seconds above which it fires. @default 1 */
    thresholdSeconds: z.number().positive().default(1),
  }).prefault({}),
  /** Memory working set against the container's limit (cAdvisor). @default { threshold: 0.9, for: '5m', severity: 'warning' } */
  memory: toggle({
    ...common({ for: '5m', severity: 'warning' }),
    /** Ratio of the memory limit above which it fires. @default 0.9 */
    threshold: openRatio.default(0.9),
  }).prefault({}),
  /** A pod not ready (kube-state-metrics). @default { for: '5m', severity: 'critical' } */
  podNotReady: toggle(common({ for: '5m', severity: 'critical' })).prefault({}),
  // D-X-04
  /** The HPA at its maximum (kube-state-metrics); only when the workload has an HPA. @default { for: '15m', severity: 'warning' } */
  hpaAtMax: toggle(common({ for: '15m', severity: 'warning' })).prefault({}),
  /** Ratio of rate-limited (429) responses (Talos). @default false */
  rateLimitRejections: toggle({
    ...common({ for: '10m', severity: 'warning' }),
    /** Ratio of 429 responses above which it fires. @default 0.1 */
    threshold: openRatio.default(0.1),
    /** Status code of a rate-limit rejection. @default '429' */
    statusCode: z.string().regex(/^\d{3}$/).default('429'),
  }).default(false),
  /**
   * The label of cert-manager's certificate metrics (`certificateExpiry`)
   * that holds the Certificate's namespace. cert-manager exports it as
   * `namespace`, but scraped through a ServiceMonitor with `honorLabels:
   * false` (the cert-manager Helm chart's) the target's own `namespace`
   * label, cert-manager's namespace, wins and Prometheus renames the
   * exported one `exported_namespace`; matching `namespace` then finds no
   * series and the alert never fires. Set `'namespace'` when cert-manager is
   * scraped with `honorLabels: true` or a relabeling that restores it.
   * @default 'exported_namespace'
   * @see https://github.com/giantswarm/prometheus-rules/pull/952
   * @see https://github.com/imusmanmalik/cert-manager-mixin (`certManagerReplaceExportedNamespace`)
   */
  certificateNamespaceLabel: promLabelName.default('exported_namespace'),
  // D-X-04
  /** TLS certificate expiry (cert-manager metrics). @default false */
  certificateExpiry: toggle({
    ...common({ for: '1h', severity: 'warning' }),
    /** Name of the cert-manager Certificate (ingress-shim names it after the TLS Secret). */
    certificate: dnsSubdomain,
    /** Days before expiry at which it fires. @default 14 */
    days: z.number().int().min(1).default(14),
  }).default(false),
  /** Redis, through redis_exporter (Weaver, SARK). @default - no Redis alerts */
  redis: z
    .strictObject({
      ...exporterScope,
      // D-WVR-09
      /** Redis down or not scraped (an absent series also fires). @default { for: '1m', severity: 'critical' } */
      down: toggle(common({ for: '1m', severity: 'critical' })).prefault({}),
      /** Keyspace hit ratio (SARK). @default { threshold: 0.8, for: '10m', severity: 'warning' } */
      cacheHitRatio: toggle({
        ...common({ for: '10m', severity: 'warning' }),
        /** Hit ratio below which it fires. @default 0.8 */
        threshold: openRatio.default(0.8),
      }).prefault({}),
    })
    .optional(),
  /** PostgreSQL, through postgres_exporter (SARK). @default - no PostgreSQL alerts */
  postgres: z
    .strictObject({
      ...exporterScope,
      // D-SRK-10
      /** Connections against max_connections, matched per server. @default { threshold: 0.9, for: '5m', severity: 'critical' } */
      connections: toggle({
        ...common({ for: '5m', severity: 'critical' }),
        /** Ratio of max_connections above which it fires. @default 0.9 */
        threshold: openRatio.default(0.9),
      }).prefault({}),
    })
    .optional(),
});

/** Options every library alert shares; the defaults of `for` and `severity` are the alert's own, given where it is set. */
export interface LibraryAlertOptions {
  /** Alert name. @default - `<alertPrefix><the alert's name>` */
  readonly name?: string;
  /** How long the condition must hold, a Prometheus duration like `5m`. @default - the alert's own */
  readonly for?: string;
  /** Severity. @default - the alert's own */
  readonly severity?: AlertSeverity;
}

/** The ratio of 5xx responses. */
export interface ErrorRateAlertOptions extends LibraryAlertOptions {
  /** Ratio of 5xx responses above which it fires. @default 0.05 */
  readonly threshold?: number;
  /** Regular expression of the server-error status codes. @default '5..' */
  readonly statusRegex?: string;
}

/** A latency quantile. */
export interface LatencyAlertOptions extends LibraryAlertOptions {
  /** Quantile. @default 0.95 */
  readonly quantile?: number;
  /** Seconds above which it fires. @default 1 */
  readonly thresholdSeconds?: number;
}

/** A ratio threshold alert: memory against its limit, Redis cache hit ratio, PostgreSQL connections. */
export interface RatioAlertOptions extends LibraryAlertOptions {
  /** Ratio at which it fires. @default - the alert's own */
  readonly threshold?: number;
}

/** The ratio of rate-limited responses. */
export interface RateLimitAlertOptions extends LibraryAlertOptions {
  /** Ratio of 429 responses above which it fires. @default 0.1 */
  readonly threshold?: number;
  /** Status code of a rate-limit rejection. @default '429' */
  readonly statusCode?: string;
}

/**
 * TLS certificate expiry, from cert-manager's metrics.
 * @see https://cert-manager.io/docs/devops-tips/prometheus-metrics/
 */
export interface CertificateExpiryAlertOptions extends LibraryAlertOptions {
  /** Name of the cert-manager Certificate (ingress-shim names it after the TLS Secret). */
  readonly certificate: string;
  /** Days before expiry at which it fires. @default 14 */
  readonly days?: number;
}

/** Where an exporter's metrics come from. */
export interface ExporterScope {
  /** The exporter's scrape job (its Service name, with a ServiceMonitor). */
  readonly job: string;
  /** Namespace the exporter runs in. */
  readonly namespace: string;
}

/** Redis alerts, through redis_exporter. */
export interface RedisAlertsOptions extends ExporterScope {
  /** Redis down or not scraped (an absent series also fires), or `false`. @default { for: '1m', severity: 'critical' } */
  readonly down?: false | LibraryAlertOptions;
  /** Keyspace hit ratio below `threshold`, or `false`. @default { threshold: 0.8, for: '10m', severity: 'warning' } */
  readonly cacheHitRatio?: false | RatioAlertOptions;
}

/** PostgreSQL alerts, through postgres_exporter. */
export interface PostgresAlertsOptions extends ExporterScope {
  /** Connections against max_connections, matched per server, or `false`. @default { threshold: 0.9, for: '5m', severity: 'critical' } */
  readonly connections?: false | RatioAlertOptions;
}

/**
 * Options of {@link agentAlerts}: which library alerts to add, and their
 * thresholds. Each alert is an object of options, or `false` for none.
 * @see https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/
 */
export interface AgentAlertsOptions {
  /** Prefix of every alert name, e.g. `Skreaver` gives `SkreaverHighErrorRate`. @default - the workload name in PascalCase */
  readonly alertPrefix?: string;
  /** Ratio of 5xx responses. @default { threshold: 0.05, for: '5m', severity: 'critical' } */
  readonly errorRate?: false | ErrorRateAlertOptions;
  /** Latency quantile. @default { quantile: 0.95, thresholdSeconds: 1, for: '10m', severity: 'warning' } */
  readonly latency?: false | LatencyAlertOptions;
  /** Memory working set against the container's limit (cAdvisor). @default { threshold: 0.9, for: '5m', severity: 'warning' } */
  readonly memory?: false | RatioAlertOptions;
  /** A pod not ready (kube-state-metrics). @default { for: '5m', severity: 'critical' } */
  readonly podNotReady?: false | LibraryAlertOptions;
  /** The HPA at its maximum (kube-state-metrics); only when the workload has an HPA. @default { for: '15m', severity: 'warning' } */
  readonly hpaAtMax?: false | LibraryAlertOptions;
  /** Ratio of rate-limited (429) responses. @default false */
  readonly rateLimitRejections?: false | RateLimitAlertOptions;
  /**
   * The label of cert-manager's certificate metrics (`certificateExpiry`)
   * that holds the Certificate's namespace. cert-manager exports it as
   * `namespace`, but scraped through a ServiceMonitor with `honorLabels:
   * false` (the cert-manager Helm chart's) the target's own `namespace`
   * label wins and Prometheus renames the exported one
   * `exported_namespace`. Set `'namespace'` when cert-manager is scraped
   * with `honorLabels: true` or a relabeling that restores it.
   * @default 'exported_namespace'
   * @see https://github.com/giantswarm/prometheus-rules/pull/952
   */
  readonly certificateNamespaceLabel?: string;
  /** TLS certificate expiry (cert-manager metrics). @default false */
  readonly certificateExpiry?: false | CertificateExpiryAlertOptions;
  /** Redis, through redis_exporter. @default - no Redis alerts */
  readonly redis?: RedisAlertsOptions;
  /** PostgreSQL, through postgres_exporter. @default - no PostgreSQL alerts */
  readonly postgres?: PostgresAlertsOptions;
}

true satisfies SchemaAgrees<typeof agentAlertsSchema, AgentAlertsOptions>;

/** Parsed options of {@link agentAlerts}. */
export type AgentAlertsConfig = z.output<typeof agentAlertsSchema>;

/** `skreaver-http` → `SkreaverHttp`. */
export function pascalCase(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w.length > 0)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

function percent(ratio: number): string {
  return `${num(ratio * 100)}%`;
}

/**
 * The library alerts for one workload, as {@link AlertOptions}.
 *
 * Metrics they need: the app's request counter and duration histogram;
 * cAdvisor `container_memory_working_set_bytes` and
 * `container_spec_memory_limit_bytes`; kube-state-metrics
 * `kube_pod_status_ready` and `kube_horizontalpodautoscaler_*`; with
 * `redis`, redis_exporter's `redis_up` and `redis_keyspace_{hits,misses}_total`;
 * with `postgres`, postgres_exporter's `pg_stat_activity_count` and
 * `pg_settings_max_connections`; with `certificateExpiry`, cert-manager's
 * `certmanager_certificate_expiration_timestamp_seconds`. Each alert lists
 * its own in `requires`.
 */
export function agentAlerts(target: MetricsTarget, m: HttpMetricNames, c: AgentAlertsConfig): AlertOptions[] {
  const ns = target.namespace;
  const x: AlertContext = {
    target,
    m,
    c,
    prefix: c.alertPrefix ?? pascalCase(target.name),
    ns,
    app: [
      ['job', '=', target.name],
      ['namespace', '=', ns],
    ],
    pods: [
      ['namespace', '=', ns],
      ['pod', '=~', target.podRegex],
      ['container', '=', target.container],
    ],
    where: '{{ $labels.job }} in {{ $labels.namespace }}',
  };
  return LIBRARY.flatMap((alerts) => alerts(x));
}

/** What every alert of the library is built from. */
interface AlertContext {
  readonly target: MetricsTarget;
  readonly m: HttpMetricNames;
  readonly c: AgentAlertsConfig;
  /** Prefix of the alert names. */
  readonly prefix: string;
  readonly ns: string;
  /** The app's own series: its job and namespace. */
  readonly app: Matcher[];
  /** The pods' cAdvisor and kube-state-metrics series: namespace, pod and container. */
  readonly pods: Matcher[];
  /** How a summary names the workload. */
  readonly where: string;
}

/** The alerts of the library, in the order they are added. */
const LIBRARY: readonly ((x: AlertContext) => AlertOptions[])[] = [
  errorRateAlert,
  latencyAlert,
  memoryAlert,
  podNotReadyAlert,
  hpaAtMaxAlert,
  rateLimitAlert,
  certificateExpiryAlert,
  redisAlerts,
  postgresAlerts,
];

/** The app's request counter, for `requires`. */
function appMetric(x: AlertContext, metric: string): RequiredMetric {
  return { metric, source: 'app', job: x.target.name, namespace: x.ns };
}

/** The share of requests matching `matcher`, per namespace and job. */
function requestRatio(x: AlertContext, matcher: Matcher): string {
  const rate = (extra: Matcher[]) => `sum by (namespace, job) (rate(${selector(x.m.requests, [...x.app, ...extra])}[5m]))`;
  return `${rate([matcher])}\n/\n${rate([])}`;
}

function errorRateAlert(x: AlertContext): AlertOptions[] {
  const a = x.c.errorRate;
  if (!a) return [];
  return [
    {
      name: a.name ?? `${x.prefix}HighErrorRate`,
      expr: `${requestRatio(x, [x.m.statusLabel, '=~', a.statusRegex])}\n> ${num(a.threshold)}`,
      for: a.for,
      severity: a.severity,
      summary: `${x.where} fails more than ${percent(a.threshold)} of requests`,
      description: `{{ $value | humanizePercentage }} of the requests to ${x.where} returned a server error (status ${a.statusRegex}) over the last 5 minutes; the threshold is ${percent(a.threshold)}.`,
      requires: [appMetric(x, x.m.requests)],
    },
  ];
}

function latencyAlert(x: AlertContext): AlertOptions[] {
  const a = x.c.latency;
  if (!a) return [];
  const q = `p${num(a.quantile * 100)}`;
  return [
    {
      name: a.name ?? `${x.prefix}HighLatency`,
      expr: `histogram_quantile(${num(a.quantile)},\n  sum by (namespace, job, le) (rate(${selector(`${x.m.duration}_bucket`, x.app)}[5m]))\n)\n> ${num(a.thresholdSeconds)}`,
      for: a.for,
      severity: a.severity,
      summary: `${x.where} answers slowly (${q} above ${num(a.thresholdSeconds)}s)`,
      description: `The ${q} request latency of ${x.where} is {{ $value | humanizeDuration }} over the last 5 minutes; the threshold is ${num(a.thresholdSeconds)}s.`,
      requires: [appMetric(x, `${x.m.duration}_bucket`)],
    },
  ];
}

function memoryAlert(x: AlertContext): AlertOptions[] {
  const a = x.c.memory;
  if (!a) return [];
  return [
    {
      name: a.name ?? `${x.prefix}HighMemoryUsage`,
      // The working set is what the OOM killer counts (usage includes page
      // cache), and a limit of 0 (none) is filtered out instead of dividing by it.
      expr: `max by (namespace, pod, container) (${selector('container_memory_working_set_bytes', x.pods)})\n/\nmax by (namespace, pod, container) (${selector('container_spec_memory_limit_bytes', x.pods)} > 0)\n> ${num(a.threshold)}`,
      for: a.for,
      severity: a.severity,
      summary: `Pod {{ $labels.pod }} uses more than ${percent(a.threshold)} of its memory limit`,
      description: `Container {{ $labels.container }} of pod {{ $labels.pod }} in {{ $labels.namespace }} uses {{ $value | humanizePercentage }} of its memory limit; it is OOM-killed at 100%.`,
      requires: [
        { metric: 'container_memory_working_set_bytes', source: 'cadvisor', namespace: x.ns },
        { metric: 'container_spec_memory_limit_bytes', source: 'cadvisor', namespace: x.ns },
      ],
    },
  ];
}

function podNotReadyAlert(x: AlertContext): AlertOptions[] {
  const a = x.c.podNotReady;
  if (!a) return [];
  const podSel: Matcher[] = [
    ['namespace', '=', x.ns],
    ['pod', '=~', x.target.podRegex],
    ['condition', '=', 'true'],
  ];
  return [
    {
      name: a.name ?? `${x.prefix}PodNotReady`,
      expr: `max by (namespace, pod) (${selector('kube_pod_status_ready', podSel)}) == 0`,
      for: a.for,
      severity: a.severity,
      summary: `Pod {{ $labels.pod }} is not ready`,
      description: `Pod {{ $labels.pod }} in {{ $labels.namespace }} has not been ready for ${a.for}, so it receives no traffic.`,
      requires: [{ metric: 'kube_pod_status_ready', source: 'kube-state-metrics', namespace: x.ns }],
    },
  ];
}

function hpaAtMaxAlert(x: AlertContext): AlertOptions[] {
  const a = x.c.hpaAtMax;
  if (!a || !x.target.hpaName) return [];
  const hpa: Matcher[] = [
    ['namespace', '=', x.ns],
    ['horizontalpodautoscaler', '=', x.target.hpaName],
  ];
  const series = (metric: string) => `max by (namespace, horizontalpodautoscaler) (${selector(metric, hpa)})`;
  return [
    {
      name: a.name ?? `${x.prefix}HpaAtMaxReplicas`,
      expr: `${series('kube_horizontalpodautoscaler_status_current_replicas')}\n>=\n${series('kube_horizontalpodautoscaler_spec_max_replicas')}`,
      for: a.for,
      severity: a.severity,
      summary: `HPA {{ $labels.horizontalpodautoscaler }} runs at its maximum replicas`,
      description: `HPA {{ $labels.horizontalpodautoscaler }} in {{ $labels.namespace }} has run {{ $value }} replicas, its maximum, for ${a.for}; load beyond this is not absorbed. Raise maxReplicas (and the namespace quota) or find the cause.`,
      requires: [
        { metric: 'kube_horizontalpodautoscaler_status_current_replicas', source: 'kube-state-metrics', namespace: x.ns },
        { metric: 'kube_horizontalpodautoscaler_spec_max_replicas', source: 'kube-state-metrics', namespace: x.ns },
      ],
    },
  ];
}

function rateLimitAlert(x: AlertContext): AlertOptions[] {
  const a = x.c.rateLimitRejections;
  if (!a) return [];
  return [
    {
      name: a.name ?? `${x.prefix}HighRateLimitRejections`,
      expr: `${requestRatio(x, [x.m.statusLabel, '=', a.statusCode])}\n> ${num(a.threshold)}`,
      for: a.for,
      severity: a.severity,
      summary: `${x.where} rejects more than ${percent(a.threshold)} of requests by rate limit`,
      description: `{{ $value | humanizePercentage }} of the requests to ${x.where} were rejected with status ${a.statusCode} over the last 5 minutes; the threshold is ${percent(a.threshold)}.`,
      requires: [appMetric(x, x.m.requests)],
    },
  ];
}

function certificateExpiryAlert(x: AlertContext): AlertOptions[] {
  const a = x.c.certificateExpiry;
  if (!a) return [];
  const cert: Matcher[] = [
    [x.c.certificateNamespaceLabel, '=', x.ns],
    ['name', '=', a.certificate],
  ];
  return [
    {
      name: a.name ?? `${x.prefix}CertificateExpiringSoon`,
      // Aggregated by name only: the series' `namespace` may be cert-manager's
      // (see certificateNamespaceLabel), so the Certificate's is set as a rule label.
      expr: `min by (name) (${selector('certmanager_certificate_expiration_timestamp_seconds', cert)}) - time()\n< ${a.days * 86400}`,
      for: a.for,
      severity: a.severity,
      labels: { namespace: x.ns },
      summary: `Certificate {{ $labels.name }} expires in less than ${a.days} days`,
      description: `Certificate {{ $labels.name }} in ${x.ns} expires in {{ $value | humanizeDuration }} and cert-manager has not renewed it.`,
      requires: [{ metric: 'certmanager_certificate_expiration_timestamp_seconds', source: 'cert-manager', namespace: x.ns }],
    },
  ];
}

function redisAlerts(x: AlertContext): AlertOptions[] {
  const r = x.c.redis;
  if (!r) return [];
  const { metrics, source } = REDIS.exporter;
  const exp: Matcher[] = [
    ['job', '=', r.job],
    ['namespace', '=', r.namespace],
  ];
  const req = (metric: string): RequiredMetric => ({ metric, source, job: r.job, namespace: r.namespace });
  const out: AlertOptions[] = [];
  if (r.down) {
    const a = r.down;
    out.push({
      name: a.name ?? `${x.prefix}RedisDown`,
      expr: `(max by (namespace, job) (${selector(metrics.up, exp)}) == 0)\nor\nabsent(${selector(metrics.up, exp)})`,
      for: a.for,
      severity: a.severity,
      summary: `Redis behind {{ $labels.job }} in {{ $labels.namespace }} is down`,
      description: `redis_exporter job {{ $labels.job }} in {{ $labels.namespace }} reports Redis down, or is not scraped at all, for ${a.for}.`,
      requires: [req(metrics.up)],
    });
  }
  if (r.cacheHitRatio) {
    const a = r.cacheHitRatio;
    const hits = `sum by (namespace, job) (rate(${selector(metrics.keyspaceHits, exp)}[5m]))`;
    const misses = `sum by (namespace, job) (rate(${selector(metrics.keyspaceMisses, exp)}[5m]))`;
    out.push({
      name: a.name ?? `${x.prefix}LowCacheHitRatio`,
      expr: `${hits}\n/\n(${hits} + ${misses})\n< ${num(a.threshold)}`,
      for: a.for,
      severity: a.severity,
      summary: `Redis cache hit ratio of {{ $labels.job }} is below ${percent(a.threshold)}`,
      description: `Redis behind {{ $labels.job }} in {{ $labels.namespace }} answers {{ $value | humanizePercentage }} of lookups from cache over the last 5 minutes; the threshold is ${percent(a.threshold)}.`,
      requires: [req(metrics.keyspaceHits), req(metrics.keyspaceMisses)],
    });
  }
  return out;
}

function postgresAlerts(x: AlertContext): AlertOptions[] {
  const r = x.c.postgres;
  const a = r?.connections;
  if (!r || !a) return [];
  const exp: Matcher[] = [
    ['job', '=', r.job],
    ['namespace', '=', r.namespace],
  ];
  const req = (metric: string): RequiredMetric => ({ metric, source: 'postgres_exporter', job: r.job, namespace: r.namespace });
  return [
    {
      name: a.name ?? `${x.prefix}DatabaseConnectionPoolHigh`,
      // pg_stat_activity_count has one series per database and state, and
      // max_connections none of those labels: sum first, then match per server.
      expr: `sum by (namespace, job, instance) (${selector('pg_stat_activity_count', exp)})\n/ on (namespace, job, instance)\nmax by (namespace, job, instance) (${selector('pg_settings_max_connections', exp)})\n> ${num(a.threshold)}`,
      for: a.for,
      severity: a.severity,
      summary: `PostgreSQL {{ $labels.instance }} uses more than ${percent(a.threshold)} of max_connections`,
      description: `PostgreSQL behind {{ $labels.job }} ({{ $labels.instance }}) in {{ $labels.namespace }} has {{ $value | humanizePercentage }} of max_connections in use; new connections fail at 100%.`,
      requires: [req('pg_stat_activity_count'), req('pg_settings_max_connections')],
    },
  ];
}
