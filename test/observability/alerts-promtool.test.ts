import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../apps/main.js';
import { AlertRules, ObservabilityStack, SecureAgentDeployment, type ObservabilityStackProps, type RenderedGroup } from '../../lib/index.js';
import { synth, type Obj } from '../util.js';
import { checkRules, requirePromtool, testRules, type PromtoolTest } from './promtool.js';

const RUNBOOKS = 'https://runbooks.example.com/agents';
const POD = 'agent-7d9f8b6c5d-abcde';
const APP = 'job="agent", namespace="agents"';
const OTHER_NS = 'job="agent", namespace="other"';
/** The target labels of cert-manager scraped through its own ServiceMonitor. */
const CERT_MANAGER = 'job="cert-manager", namespace="cert-manager"';

/** The stack with every library alert turned on, for a production agent `agent` in `agents`. */
function libraryStack(): ObservabilityStack {
  return stackWith({}, { availability: { target: 0.999 }, latency: { target: 0.99, thresholdSeconds: 0.5 } });
}

/** The stack of {@link libraryStack} with `alerts` merged in and `slo` as given. */
function stackWith(alerts: NonNullable<ObservabilityStackProps['alerts']>, slo: ObservabilityStackProps['slo']): ObservabilityStack {
  let stack: ObservabilityStack | undefined;
  synth((chart) => {
    const agent = new SecureAgentDeployment(chart, 'Agent', {
      name: 'agent',
      namespace: 'agents',
      image: 'registry.example.com/agent:1.2.3',
      exposure: { type: 'ingress', host: 'agent.example.com', tls: { secretName: 'agent-tls', clusterIssuer: 'letsencrypt-prod' } },
    });
    stack = new ObservabilityStack(chart, 'Observability', {
      agent,
      runbookBaseUrl: RUNBOOKS,
      alerts: {
        rateLimitRejections: {},
        redis: { job: 'redis-exporter', namespace: 'data' },
        postgres: { job: 'postgres-exporter', namespace: 'data' },
        ...alerts,
      },
      ...(slo ? { slo } : {}),
      tracing: {
        collector: {
          traces: { endpoint: 'tempo.observability.svc:4317', egress: { pods: { namespace: 'observability', podLabels: { 'app.kubernetes.io/name': 'tempo' } }, ports: [{ port: 4317 }] } },
        },
      },
    });
  });
  return stack!;
}

const ann = (alert: string, summary: string, description: string) => ({ summary, description, runbook_url: `${RUNBOOKS}/${alert}` });
const s = (series: string, values: string) => ({ series, values });

/** Every library alert: a case where it fires and one where it stays silent (often the seeds' defect). */
const TESTS: PromtoolTest[] = [
  {
    name: 'error rate: 10% 5xx across two pods fires, aggregated per job',
    input_series: [
      s(`http_requests_total{${APP}, pod="a", status="500"}`, '0+5x30'),
      s(`http_requests_total{${APP}, pod="a", status="200"}`, '0+45x30'),
      s(`http_requests_total{${APP}, pod="b", status="503"}`, '0+5x30'),
      s(`http_requests_total{${APP}, pod="b", status="200"}`, '0+45x30'),
    ],
    alert_rule_test: [
      {
        eval_time: '15m',
        alertname: 'AgentHighErrorRate',
        exp_alerts: [
          {
            exp_labels: { severity: 'critical', namespace: 'agents', job: 'agent' },
            exp_annotations: ann(
              'AgentHighErrorRate',
              'agent in agents fails more than 5% of requests',
              '10% of the requests to agent in agents returned a server error (status 5..) over the last 5 minutes; the threshold is 5%.',
            ),
          },
        ],
      },
    ],
  },
  {
    // The seed's unaggregated ratio paired each 5xx series with itself: 1.0, a page (D-SKR-13).
    name: 'error rate: one 5xx among a thousand requests, and errors of another namespace, stay silent',
    input_series: [
      s(`http_requests_total{${APP}, status="500"}`, '0+1x30'),
      s(`http_requests_total{${APP}, status="200"}`, '0+1000x30'),
      s(`http_requests_total{${OTHER_NS}, status="500"}`, '0+100x30'),
    ],
    alert_rule_test: [{ eval_time: '15m', alertname: 'AgentHighErrorRate', exp_alerts: [] }],
  },
  {
    name: 'latency: every request between 1 s and 2.5 s fires with p95 2.425 s',
    input_series: [
      s(`http_request_duration_seconds_bucket{${APP}, le="0.5"}`, '0+0x30'),
      s(`http_request_duration_seconds_bucket{${APP}, le="1"}`, '0+0x30'),
      s(`http_request_duration_seconds_bucket{${APP}, le="2.5"}`, '0+100x30'),
      s(`http_request_duration_seconds_bucket{${APP}, le="+Inf"}`, '0+100x30'),
    ],
    alert_rule_test: [
      {
        eval_time: '20m',
        alertname: 'AgentHighLatency',
        exp_alerts: [
          {
            exp_labels: { severity: 'warning', namespace: 'agents', job: 'agent' },
            exp_annotations: ann(
              'AgentHighLatency',
              'agent in agents answers slowly (p95 above 1s)',
              'The p95 request latency of agent in agents is 2.425s over the last 5 minutes; the threshold is 1s.',
            ),
          },
        ],
      },
    ],
  },
  {
    name: 'latency: fast requests, and slow ones of another namespace, stay silent',
    input_series: [
      s(`http_request_duration_seconds_bucket{${APP}, le="0.5"}`, '0+100x30'),
      s(`http_request_duration_seconds_bucket{${APP}, le="+Inf"}`, '0+100x30'),
      s(`http_request_duration_seconds_bucket{${OTHER_NS}, le="0.5"}`, '0+0x30'),
      s(`http_request_duration_seconds_bucket{${OTHER_NS}, le="+Inf"}`, '0+100x30'),
    ],
    alert_rule_test: [{ eval_time: '20m', alertname: 'AgentHighLatency', exp_alerts: [] }],
  },
  {
    name: 'memory: a working set at 95% of the limit fires',
    input_series: [
      s(`container_memory_working_set_bytes{namespace="agents", pod="${POD}", container="agent"}`, '950+0x20'),
      s(`container_spec_memory_limit_bytes{namespace="agents", pod="${POD}", container="agent"}`, '1000+0x20'),
    ],
    alert_rule_test: [
      {
        eval_time: '10m',
        alertname: 'AgentHighMemoryUsage',
        exp_alerts: [
          {
            exp_labels: { severity: 'warning', namespace: 'agents', pod: POD, container: 'agent' },
            exp_annotations: ann(
              'AgentHighMemoryUsage',
              `Pod ${POD} uses more than 90% of its memory limit`,
              `Container agent of pod ${POD} in agents uses 95% of its memory limit; it is OOM-killed at 100%.`,
            ),
          },
        ],
      },
    ],
  },
  {
    name: 'memory: no limit (0), and a CronJob pod whose name starts with the agent name, stay silent',
    input_series: [
      s(`container_memory_working_set_bytes{namespace="agents", pod="${POD}", container="agent"}`, '950+0x20'),
      s(`container_spec_memory_limit_bytes{namespace="agents", pod="${POD}", container="agent"}`, '0+0x20'),
      s('container_memory_working_set_bytes{namespace="agents", pod="agent-db-backup-28473-abcde", container="agent"}', '990+0x20'),
      s('container_spec_memory_limit_bytes{namespace="agents", pod="agent-db-backup-28473-abcde", container="agent"}', '1000+0x20'),
    ],
    alert_rule_test: [{ eval_time: '10m', alertname: 'AgentHighMemoryUsage', exp_alerts: [] }],
  },
  {
    name: 'pod readiness: a pod not ready for 5 minutes fires; a ready one does not',
    input_series: [
      s(`kube_pod_status_ready{namespace="agents", pod="${POD}", condition="true"}`, '0+0x20'),
      s('kube_pod_status_ready{namespace="agents", pod="agent-7d9f8b6c5d-fghij", condition="true"}', '1+0x20'),
    ],
    alert_rule_test: [
      {
        eval_time: '10m',
        alertname: 'AgentPodNotReady',
        exp_alerts: [
          {
            exp_labels: { severity: 'critical', namespace: 'agents', pod: POD },
            exp_annotations: ann('AgentPodNotReady', `Pod ${POD} is not ready`, `Pod ${POD} in agents has not been ready for 5m, so it receives no traffic.`),
          },
        ],
      },
    ],
  },
  {
    name: 'pod readiness: ready pods stay silent',
    input_series: [s(`kube_pod_status_ready{namespace="agents", pod="${POD}", condition="true"}`, '1+0x20')],
    alert_rule_test: [{ eval_time: '10m', alertname: 'AgentPodNotReady', exp_alerts: [] }],
  },
  {
    name: 'HPA: at its maximum for 15 minutes fires',
    input_series: [
      s('kube_horizontalpodautoscaler_status_current_replicas{namespace="agents", horizontalpodautoscaler="agent"}', '10+0x30'),
      s('kube_horizontalpodautoscaler_spec_max_replicas{namespace="agents", horizontalpodautoscaler="agent"}', '10+0x30'),
    ],
    alert_rule_test: [
      {
        eval_time: '20m',
        alertname: 'AgentHpaAtMaxReplicas',
        exp_alerts: [
          {
            exp_labels: { severity: 'warning', namespace: 'agents', horizontalpodautoscaler: 'agent' },
            exp_annotations: ann(
              'AgentHpaAtMaxReplicas',
              'HPA agent runs at its maximum replicas',
              'HPA agent in agents has run 10 replicas, its maximum, for 15m; load beyond this is not absorbed. Raise maxReplicas (and the namespace quota) or find the cause.',
            ),
          },
        ],
      },
    ],
  },
  {
    name: 'HPA: below its maximum stays silent',
    input_series: [
      s('kube_horizontalpodautoscaler_status_current_replicas{namespace="agents", horizontalpodautoscaler="agent"}', '5+0x30'),
      s('kube_horizontalpodautoscaler_spec_max_replicas{namespace="agents", horizontalpodautoscaler="agent"}', '10+0x30'),
    ],
    alert_rule_test: [{ eval_time: '20m', alertname: 'AgentHpaAtMaxReplicas', exp_alerts: [] }],
  },
  {
    name: 'rate limit: 20% 429 responses fire',
    input_series: [s(`http_requests_total{${APP}, status="429"}`, '0+20x30'), s(`http_requests_total{${APP}, status="200"}`, '0+80x30')],
    alert_rule_test: [
      {
        eval_time: '20m',
        alertname: 'AgentHighRateLimitRejections',
        exp_alerts: [
          {
            exp_labels: { severity: 'warning', namespace: 'agents', job: 'agent' },
            exp_annotations: ann(
              'AgentHighRateLimitRejections',
              'agent in agents rejects more than 10% of requests by rate limit',
              '20% of the requests to agent in agents were rejected with status 429 over the last 5 minutes; the threshold is 10%.',
            ),
          },
        ],
      },
    ],
  },
  {
    name: 'rate limit: 5% 429 responses stay silent',
    input_series: [s(`http_requests_total{${APP}, status="429"}`, '0+5x30'), s(`http_requests_total{${APP}, status="200"}`, '0+95x30')],
    alert_rule_test: [{ eval_time: '20m', alertname: 'AgentHighRateLimitRejections', exp_alerts: [] }],
  },
  {
    // Scraped through cert-manager's ServiceMonitor (honorLabels: false), `namespace` is cert-manager's own.
    name: 'certificate: expiring in 10 days fires, matched on exported_namespace',
    input_series: [s(`certmanager_certificate_expiration_timestamp_seconds{${CERT_MANAGER}, exported_namespace="agents", name="agent-tls"}`, '864000+0x130')],
    alert_rule_test: [
      {
        eval_time: '2h',
        alertname: 'AgentCertificateExpiringSoon',
        exp_alerts: [
          {
            exp_labels: { severity: 'warning', namespace: 'agents', name: 'agent-tls' },
            exp_annotations: ann(
              'AgentCertificateExpiringSoon',
              'Certificate agent-tls expires in less than 14 days',
              'Certificate agent-tls in agents expires in 9d 22h 0m 0s and cert-manager has not renewed it.',
            ),
          },
        ],
      },
    ],
  },
  {
    name: 'certificate: expiring in 30 days, and a same-named certificate of another namespace expiring in 10, stay silent',
    input_series: [
      s(`certmanager_certificate_expiration_timestamp_seconds{${CERT_MANAGER}, exported_namespace="agents", name="agent-tls"}`, '2592000+0x130'),
      s(`certmanager_certificate_expiration_timestamp_seconds{${CERT_MANAGER}, exported_namespace="other", name="agent-tls"}`, '864000+0x130'),
    ],
    alert_rule_test: [{ eval_time: '2h', alertname: 'AgentCertificateExpiringSoon', exp_alerts: [] }],
  },
  {
    name: 'redis: redis_up 0 fires',
    input_series: [s('redis_up{job="redis-exporter", namespace="data", instance="redis:9121"}', '0+0x10')],
    alert_rule_test: [
      {
        eval_time: '5m',
        alertname: 'AgentRedisDown',
        exp_alerts: [
          {
            exp_labels: { severity: 'critical', namespace: 'data', job: 'redis-exporter' },
            exp_annotations: ann(
              'AgentRedisDown',
              'Redis behind redis-exporter in data is down',
              'redis_exporter job redis-exporter in data reports Redis down, or is not scraped at all, for 1m.',
            ),
          },
        ],
      },
    ],
  },
  {
    // The seed's `up{job="redis"} == 0` never fired without an exporter (D-WVR-09).
    name: 'redis: no redis_up series at all (no exporter scraped) fires too',
    input_series: [s('redis_up{job="redis-exporter", namespace="elsewhere"}', '1+0x10')],
    alert_rule_test: [
      {
        eval_time: '5m',
        alertname: 'AgentRedisDown',
        exp_alerts: [
          {
            exp_labels: { severity: 'critical', namespace: 'data', job: 'redis-exporter' },
            exp_annotations: ann(
              'AgentRedisDown',
              'Redis behind redis-exporter in data is down',
              'redis_exporter job redis-exporter in data reports Redis down, or is not scraped at all, for 1m.',
            ),
          },
        ],
      },
    ],
  },
  {
    name: 'redis: redis_up 1 stays silent',
    input_series: [s('redis_up{job="redis-exporter", namespace="data", instance="redis:9121"}', '1+0x10')],
    alert_rule_test: [{ eval_time: '5m', alertname: 'AgentRedisDown', exp_alerts: [] }],
  },
  {
    name: 'redis: a 50% hit ratio fires',
    input_series: [
      s('redis_keyspace_hits_total{job="redis-exporter", namespace="data"}', '0+60x30'),
      s('redis_keyspace_misses_total{job="redis-exporter", namespace="data"}', '0+60x30'),
    ],
    alert_rule_test: [
      {
        eval_time: '20m',
        alertname: 'AgentLowCacheHitRatio',
        exp_alerts: [
          {
            exp_labels: { severity: 'warning', namespace: 'data', job: 'redis-exporter' },
            exp_annotations: ann(
              'AgentLowCacheHitRatio',
              'Redis cache hit ratio of redis-exporter is below 80%',
              'Redis behind redis-exporter in data answers 50% of lookups from cache over the last 5 minutes; the threshold is 80%.',
            ),
          },
        ],
      },
    ],
  },
  {
    name: 'redis: a 90% hit ratio stays silent',
    input_series: [
      s('redis_keyspace_hits_total{job="redis-exporter", namespace="data"}', '0+90x30'),
      s('redis_keyspace_misses_total{job="redis-exporter", namespace="data"}', '0+10x30'),
    ],
    alert_rule_test: [{ eval_time: '20m', alertname: 'AgentLowCacheHitRatio', exp_alerts: [] }],
  },
  {
    // The seed divided per-database series by a series without those labels: no pairs, never fired (D-SRK-10).
    name: 'postgres: 95 of 100 connections across databases and states fires',
    input_series: [
      s('pg_stat_activity_count{job="postgres-exporter", namespace="data", instance="pg:9187", datname="app", state="active"}', '50+0x20'),
      s('pg_stat_activity_count{job="postgres-exporter", namespace="data", instance="pg:9187", datname="app", state="idle"}', '45+0x20'),
      s('pg_settings_max_connections{job="postgres-exporter", namespace="data", instance="pg:9187"}', '100+0x20'),
    ],
    alert_rule_test: [
      {
        eval_time: '10m',
        alertname: 'AgentDatabaseConnectionPoolHigh',
        exp_alerts: [
          {
            exp_labels: { severity: 'critical', namespace: 'data', job: 'postgres-exporter', instance: 'pg:9187' },
            exp_annotations: ann(
              'AgentDatabaseConnectionPoolHigh',
              'PostgreSQL pg:9187 uses more than 90% of max_connections',
              'PostgreSQL behind postgres-exporter (pg:9187) in data has 95% of max_connections in use; new connections fail at 100%.',
            ),
          },
        ],
      },
    ],
  },
  {
    name: 'postgres: 50 of 100 connections stays silent',
    input_series: [
      s('pg_stat_activity_count{job="postgres-exporter", namespace="data", instance="pg:9187", datname="app", state="active"}', '30+0x20'),
      s('pg_stat_activity_count{job="postgres-exporter", namespace="data", instance="pg:9187", datname="app", state="idle"}', '20+0x20'),
      s('pg_settings_max_connections{job="postgres-exporter", namespace="data", instance="pg:9187"}', '100+0x20'),
    ],
    alert_rule_test: [{ eval_time: '10m', alertname: 'AgentDatabaseConnectionPoolHigh', exp_alerts: [] }],
  },
  {
    name: 'availability SLO: 2% errors (burn rate 20) pages within minutes; the ticket follows',
    input_series: [s(`http_requests_total{${APP}, status="500"}`, '0+2x80'), s(`http_requests_total{${APP}, status="200"}`, '0+98x80')],
    alert_rule_test: [
      {
        eval_time: '10m',
        alertname: 'AgentAvailabilityBudgetBurnFast',
        exp_alerts: [
          {
            exp_labels: { severity: 'critical', namespace: 'agents', job: 'agent', slo: 'availability' },
            exp_annotations: ann(
              'AgentAvailabilityBudgetBurnFast',
              'agent in agents burns its availability error budget fast',
              'The ratio of server errors is 2% over the long window against a 99.9% availability SLO; at this rate the 30-day error budget is spent within 5 days.',
            ),
          },
        ],
      },
      { eval_time: '10m', alertname: 'AgentAvailabilityBudgetBurnSlow', exp_alerts: [] },
      {
        eval_time: '30m',
        alertname: 'AgentAvailabilityBudgetBurnSlow',
        exp_alerts: [
          {
            exp_labels: { severity: 'warning', namespace: 'agents', job: 'agent', slo: 'availability' },
            exp_annotations: ann(
              'AgentAvailabilityBudgetBurnSlow',
              'agent in agents burns its availability error budget steadily',
              'The ratio of server errors is 2% over the long window against a 99.9% availability SLO; at this rate the 30-day error budget is spent before the 30-day period ends.',
            ),
          },
        ],
      },
    ],
  },
  {
    name: 'availability SLO: 0.4% errors (burn rate 4) opens a ticket but does not page',
    input_series: [s(`http_requests_total{${APP}, status="500"}`, '0+4x60'), s(`http_requests_total{${APP}, status="200"}`, '0+996x60')],
    alert_rule_test: [
      { eval_time: '30m', alertname: 'AgentAvailabilityBudgetBurnFast', exp_alerts: [] },
      {
        eval_time: '30m',
        alertname: 'AgentAvailabilityBudgetBurnSlow',
        exp_alerts: [
          {
            exp_labels: { severity: 'warning', namespace: 'agents', job: 'agent', slo: 'availability' },
            exp_annotations: ann(
              'AgentAvailabilityBudgetBurnSlow',
              'agent in agents burns its availability error budget steadily',
              'The ratio of server errors is 0.4% over the long window against a 99.9% availability SLO; at this rate the 30-day error budget is spent before the 30-day period ends.',
            ),
          },
        ],
      },
    ],
  },
  {
    name: 'availability SLO: 0.05% errors (within budget) stays silent',
    input_series: [s(`http_requests_total{${APP}, status="500"}`, '0+1x60'), s(`http_requests_total{${APP}, status="200"}`, '0+1999x60')],
    alert_rule_test: [
      { eval_time: '30m', alertname: 'AgentAvailabilityBudgetBurnFast', exp_alerts: [] },
      { eval_time: '30m', alertname: 'AgentAvailabilityBudgetBurnSlow', exp_alerts: [] },
    ],
  },
  {
    name: 'latency SLO: half the requests slower than 0.5 s pages, then opens a ticket',
    input_series: [
      s(`http_request_duration_seconds_bucket{${APP}, le="0.5"}`, '0+50x60'),
      s(`http_request_duration_seconds_bucket{${APP}, le="+Inf"}`, '0+100x60'),
      s(`http_request_duration_seconds_count{${APP}}`, '0+100x60'),
    ],
    alert_rule_test: [
      {
        eval_time: '10m',
        alertname: 'AgentLatencyBudgetBurnFast',
        exp_alerts: [
          {
            exp_labels: { severity: 'critical', namespace: 'agents', job: 'agent', slo: 'latency' },
            exp_annotations: ann(
              'AgentLatencyBudgetBurnFast',
              'agent in agents burns its latency error budget fast',
              'The ratio of requests slower than 0.5s is 50% over the long window against a 99% latency SLO; at this rate the 30-day error budget is spent within 5 days.',
            ),
          },
        ],
      },
      {
        eval_time: '30m',
        alertname: 'AgentLatencyBudgetBurnSlow',
        exp_alerts: [
          {
            exp_labels: { severity: 'warning', namespace: 'agents', job: 'agent', slo: 'latency' },
            exp_annotations: ann(
              'AgentLatencyBudgetBurnSlow',
              'agent in agents burns its latency error budget steadily',
              'The ratio of requests slower than 0.5s is 50% over the long window against a 99% latency SLO; at this rate the 30-day error budget is spent before the 30-day period ends.',
            ),
          },
        ],
      },
    ],
  },
  {
    name: 'latency SLO: 0.1% slow requests stays silent',
    input_series: [
      s(`http_request_duration_seconds_bucket{${APP}, le="0.5"}`, '0+999x60'),
      s(`http_request_duration_seconds_bucket{${APP}, le="+Inf"}`, '0+1000x60'),
      s(`http_request_duration_seconds_count{${APP}}`, '0+1000x60'),
    ],
    alert_rule_test: [
      { eval_time: '30m', alertname: 'AgentLatencyBudgetBurnFast', exp_alerts: [] },
      { eval_time: '30m', alertname: 'AgentLatencyBudgetBurnSlow', exp_alerts: [] },
    ],
  },
  {
    name: 'collector: 10% of spans failing to export fires (Talos: trace export errors)',
    input_series: [
      s('otelcol_exporter_send_failed_spans_total{job="otel-collector", namespace="agents", exporter="otlp/traces"}', '0+10x20'),
      s('otelcol_exporter_sent_spans_total{job="otel-collector", namespace="agents", exporter="otlp/traces"}', '0+90x20'),
    ],
    alert_rule_test: [
      {
        eval_time: '15m',
        alertname: 'OtelCollectorTraceExportErrors',
        exp_alerts: [
          {
            exp_labels: { severity: 'warning', namespace: 'agents', job: 'otel-collector' },
            exp_annotations: ann(
              'OtelCollectorTraceExportErrors',
              'Collector otel-collector in agents fails to export spans',
              '10% of the spans collector otel-collector tried to export over the last 5 minutes failed; the threshold is 1%. Check the trace backend and the collector logs.',
            ),
          },
        ],
      },
    ],
  },
  {
    name: 'collector: exports without failures stay silent',
    input_series: [
      s('otelcol_exporter_send_failed_spans_total{job="otel-collector", namespace="agents", exporter="otlp/traces"}', '0+0x20'),
      s('otelcol_exporter_sent_spans_total{job="otel-collector", namespace="agents", exporter="otlp/traces"}', '0+90x20'),
    ],
    alert_rule_test: [{ eval_time: '15m', alertname: 'OtelCollectorTraceExportErrors', exp_alerts: [] }],
  },
  {
    name: 'collector: refusing a span per second fires',
    input_series: [s('otelcol_receiver_refused_spans_total{job="otel-collector", namespace="agents", receiver="otlp"}', '0+60x20')],
    alert_rule_test: [
      {
        eval_time: '15m',
        alertname: 'OtelCollectorRefusingSpans',
        exp_alerts: [
          {
            exp_labels: { severity: 'warning', namespace: 'agents', job: 'otel-collector' },
            exp_annotations: ann(
              'OtelCollectorRefusingSpans',
              'Collector otel-collector in agents refuses spans',
              'Collector otel-collector has refused 1 spans per second for 5 minutes, usually because the memory limiter is at its ceiling; give it more memory or replicas.',
            ),
          },
        ],
      },
    ],
  },
  {
    name: 'collector: no refused spans stays silent',
    input_series: [s('otelcol_receiver_refused_spans_total{job="otel-collector", namespace="agents", receiver="otlp"}', '0+0x20')],
    alert_rule_test: [{ eval_time: '15m', alertname: 'OtelCollectorRefusingSpans', exp_alerts: [] }],
  },
];

describe('alert library under promtool', () => {
  let groups: RenderedGroup[];
  beforeAll(() => {
    requirePromtool();
    groups = libraryStack().rules.renderGroups();
  });

  it('has the groups and alerts it promises', () => {
    expect(groups.map((g) => [g.name, g.interval, g.rules.length])).toEqual([
      ['agent', '30s', 10],
      ['agent-slo', '1m', 18],
      ['otel-collector', '30s', 2],
    ]);
  });

  it('passes promtool check rules (syntax, templates, duplicate rules)', () => {
    const r = checkRules(groups);
    expect(r.output).toContain('SUCCESS: 30 rules found');
    expect(r.status).toBe(0);
  });

  it('gives every alert a firing and a silent promtool unit test', () => {
    const alerts = groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [r.alert] : [])));
    expect(alerts).toHaveLength(16);
    const cases = TESTS.flatMap((t) => t.alert_rule_test);
    for (const alert of alerts) {
      expect(cases.some((c) => c.alertname === alert && c.exp_alerts.length > 0), `${alert} fires in a test`).toBe(true);
      expect(cases.some((c) => c.alertname === alert && c.exp_alerts.length === 0), `${alert} stays silent in a test`).toBe(true);
    }
  });

  it('passes every promtool unit test', () => {
    const r = testRules(groups, TESTS);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('fails promtool when an expected alert is wrong, so the unit tests can fail', () => {
    const wrong: PromtoolTest = { ...TESTS[1]!, alert_rule_test: [{ eval_time: '15m', alertname: 'AgentHighErrorRate', exp_alerts: [{ exp_labels: { severity: 'critical' }, exp_annotations: {} }] }] };
    const r = testRules(groups, [wrong]);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('FAILED');
  });
});

/** Latency-SLO cases for a 1 s threshold on buckets written `le` (`1` or `1.0`): half the requests slower fires. */
function latencySloFires(le: string): PromtoolTest {
  return {
    name: `latency SLO (1 s): half the requests slower than 1 s, bucket le="${le}", pages`,
    input_series: [
      s(`http_request_duration_seconds_bucket{${APP}, le="0.5"}`, '0+10x60'),
      s(`http_request_duration_seconds_bucket{${APP}, le="${le}"}`, '0+50x60'),
      s(`http_request_duration_seconds_bucket{${APP}, le="+Inf"}`, '0+100x60'),
      s(`http_request_duration_seconds_count{${APP}}`, '0+100x60'),
    ],
    alert_rule_test: [
      {
        eval_time: '10m',
        alertname: 'AgentLatencyBudgetBurnFast',
        exp_alerts: [
          {
            exp_labels: { severity: 'critical', namespace: 'agents', job: 'agent', slo: 'latency' },
            exp_annotations: ann(
              'AgentLatencyBudgetBurnFast',
              'agent in agents burns its latency error budget fast',
              'The ratio of requests slower than 1s is 50% over the long window against a 99% latency SLO; at this rate the 30-day error budget is spent within 5 days.',
            ),
          },
        ],
      },
    ],
  };
}

const certificateFires = (series: string): PromtoolTest => ({
  name: `certificate: expiring in 10 days fires on ${series}`,
  input_series: [s(`certmanager_certificate_expiration_timestamp_seconds{${series}, name="agent-tls"}`, '864000+0x130')],
  alert_rule_test: [
    {
      eval_time: '2h',
      alertname: 'AgentCertificateExpiringSoon',
      exp_alerts: [
        {
          exp_labels: { severity: 'warning', namespace: 'agents', name: 'agent-tls' },
          exp_annotations: ann(
            'AgentCertificateExpiringSoon',
            'Certificate agent-tls expires in less than 14 days',
            'Certificate agent-tls in agents expires in 9d 22h 0m 0s and cert-manager has not renewed it.',
          ),
        },
      ],
    },
  ],
});

describe('the Prometheus 3 bucket spelling and the certificate namespace label under promtool', () => {
  it('selects the SLO bucket as le="1" (Prometheus 2 text scrapes) and le="1.0" (Prometheus 3, protobuf scrapes)', () => {
    requirePromtool();
    const groups = stackWith({}, { latency: { target: 0.99, thresholdSeconds: 1 } }).rules.renderGroups();
    const slo = groups.find((g) => g.name === 'agent-slo')!;
    expect(slo.rules[0]!.expr).toContain('http_request_duration_seconds_bucket{job="agent", namespace="agents", le=~"1(\\\\.0+)?"}');
    expect(checkRules(groups).status).toBe(0);
    const r = testRules(groups, [
      latencySloFires('1'),
      latencySloFires('1.0'),
      {
        // The `le="1"` equality matcher selected nothing here: the numerator was empty and the SLO silent.
        name: 'latency SLO (1 s): 0.1% slow requests on le="1.0" buckets stay silent',
        input_series: [
          s(`http_request_duration_seconds_bucket{${APP}, le="1.0"}`, '0+999x60'),
          s(`http_request_duration_seconds_bucket{${APP}, le="10.0"}`, '0+1000x60'),
          s(`http_request_duration_seconds_bucket{${APP}, le="+Inf"}`, '0+1000x60'),
          s(`http_request_duration_seconds_count{${APP}}`, '0+1000x60'),
        ],
        alert_rule_test: [
          { eval_time: '30m', alertname: 'AgentLatencyBudgetBurnFast', exp_alerts: [] },
          { eval_time: '30m', alertname: 'AgentLatencyBudgetBurnSlow', exp_alerts: [] },
        ],
      },
    ]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('fails promtool on le="1.0" buckets with the old le="1" equality matcher, so the cases above catch the defect', () => {
    const groups = stackWith({}, { latency: { target: 0.99, thresholdSeconds: 1 } }).rules.renderGroups();
    const old = groups.map((g) => ({ ...g, rules: g.rules.map((rule) => ({ ...rule, expr: rule.expr.replaceAll('le=~"1(\\\\.0+)?"', 'le="1"') })) }));
    expect(JSON.stringify(old)).not.toContain('le=~');
    const r = testRules(old, [latencySloFires('1.0')]);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('FAILED');
    expect(testRules(old, [latencySloFires('1')]).status).toBe(0);
  });

  it("matches the Certificate's namespace on exported_namespace by default, never on cert-manager's own namespace", () => {
    const groups = stackWith({}, undefined).rules.renderGroups();
    const r = testRules(groups, [
      certificateFires(`${CERT_MANAGER}, exported_namespace="agents"`),
      {
        name: 'certificate: the namespace label alone (cert-manager in agents) stays silent by default',
        input_series: [s('certmanager_certificate_expiration_timestamp_seconds{job="cert-manager", namespace="agents", name="agent-tls"}', '864000+0x130')],
        alert_rule_test: [{ eval_time: '2h', alertname: 'AgentCertificateExpiringSoon', exp_alerts: [] }],
      },
    ]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it("matches it on namespace with certificateNamespaceLabel: 'namespace' (honorLabels: true)", () => {
    const groups = stackWith({ certificateNamespaceLabel: 'namespace' }, undefined).rules.renderGroups();
    expect(checkRules(groups).status).toBe(0);
    const r = testRules(groups, [
      certificateFires('job="cert-manager", namespace="agents"'),
      {
        name: 'certificate: exported_namespace is ignored with the namespace label',
        input_series: [s(`certmanager_certificate_expiration_timestamp_seconds{${CERT_MANAGER}, exported_namespace="agents", name="agent-tls"}`, '864000+0x130')],
        alert_rule_test: [{ eval_time: '2h', alertname: 'AgentCertificateExpiringSoon', exp_alerts: [] }],
      },
      {
        name: 'certificate: expiring in 30 days stays silent with the namespace label',
        input_series: [s('certmanager_certificate_expiration_timestamp_seconds{job="cert-manager", namespace="agents", name="agent-tls"}', '2592000+0x130')],
        alert_rule_test: [{ eval_time: '2h', alertname: 'AgentCertificateExpiringSoon', exp_alerts: [] }],
      },
    ]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });
});

describe('promtool itself', () => {
  it('is required: without it the tests fail with the install command, never skip', () => {
    const path = process.env.PATH;
    process.env.PATH = '';
    try {
      expect(() => requirePromtool()).toThrow(/^promtool is not installed \(.*\); install it with: apt-get install -y prometheus/);
    } finally {
      process.env.PATH = path;
    }
    expect(requirePromtool()).toMatch(/^promtool, version \d+\.\d+/);
  });
});

describe('Helm-safe annotations under promtool', () => {
  it('survive one Go-template pass (what Helm does) as the original Prometheus template', () => {
    requirePromtool();
    let rules: AlertRules | undefined;
    synth((chart) => {
      rules = new AlertRules(chart, 'Rules', { name: 'helm', namespace: 'agents', runbookBaseUrl: RUNBOOKS, helmSafeAnnotations: true });
      rules.addAlert({ name: 'AgentDown', expr: 'up{job="agent"} == 0', for: '1m', severity: 'critical', summary: 'Pod {{ $labels.pod }} is down', description: 'Value {{ $value }}' });
    });
    const groups = rules!.renderGroups();
    expect(groups[0]!.rules[0]!.annotations).toEqual({
      summary: 'Pod {{ "{{" }} $labels.pod {{ "}}" }} is down',
      description: 'Value {{ "{{" }} $value {{ "}}" }}',
      runbook_url: `${RUNBOOKS}/AgentDown`,
    });
    // Prometheus renders the escaped text once, exactly as Helm would: the original comes back.
    const r = testRules(groups, [
      {
        name: 'helm-escaped annotations render to the original templates',
        input_series: [s('up{job="agent", pod="agent-1"}', '0+0x5')],
        alert_rule_test: [
          {
            eval_time: '3m',
            alertname: 'AgentDown',
            exp_alerts: [
              {
                exp_labels: { severity: 'critical', job: 'agent', pod: 'agent-1' },
                exp_annotations: { summary: 'Pod {{ $labels.pod }} is down', description: 'Value {{ $value }}', runbook_url: `${RUNBOOKS}/AgentDown` },
              },
            ],
          },
        ],
      },
    ]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });
});

describe('the Skreaver chart rules under promtool', () => {
  const app = buildApp(mkdtempSync(join(tmpdir(), 'cap-obs-')));
  const objs = app.charts.find((c) => c.node.id === 'skreaver')!.toJson() as Obj[];
  const rule = objs.find((o) => o.kind === 'PrometheusRule')!;
  const groups = rule.spec.groups as RenderedGroup[];

  it('passes promtool check rules', () => {
    requirePromtool();
    expect(groups.map((g) => [g.name, g.rules.length])).toEqual([
      ['skreaver-http', 6],
      ['skreaver-http-slo', 18],
      ['otel-collector', 2],
      // The backup CronJob's staleness and failure alerts (BackupCronJob.addAlertsTo).
      ['skreaver-db-backup', 2],
    ]);
    const r = checkRules(groups);
    expect(r.output).toContain('SUCCESS: 28 rules found');
    expect(r.status).toBe(0);
  });

  it('has dashboard queries promtool compiles (as recording rules)', () => {
    const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'skreaver-http-dashboard')!;
    const model = JSON.parse(cm.data['skreaver-http-dashboard.json']);
    const rules = (model.panels as Obj[]).flatMap((p, i) => (p.targets as Obj[]).map((t, j) => ({ record: `dashboard:panel${i}_query${j}`, expr: String(t.expr).replaceAll('$__rate_interval', '5m') })));
    expect(rules).toHaveLength(14);
    expect(rules.every((r) => r.expr.includes('namespace="skreaver"'))).toBe(true);
    const r = checkRules([{ name: 'skreaver-dashboard', interval: '1m', rules }]);
    expect(r.output).toContain('SUCCESS: 14 rules found');
    expect(r.status).toBe(0);
  });

  it('fires SkreaverHighErrorRate on the prefixed metrics at 10% errors, not on one 5xx in a thousand (D-SKR-13)', () => {
    const sel = 'job="skreaver-http", namespace="skreaver"';
    const r = testRules(groups, [
      {
        name: 'skreaver error ratio',
        input_series: [s(`skreaver_http_requests_total{${sel}, status="500"}`, '0+10x30'), s(`skreaver_http_requests_total{${sel}, status="200"}`, '0+90x30')],
        alert_rule_test: [
          {
            eval_time: '15m',
            alertname: 'SkreaverHighErrorRate',
            exp_alerts: [
              {
                exp_labels: { severity: 'critical', namespace: 'skreaver', job: 'skreaver-http' },
                exp_annotations: {
                  summary: 'skreaver-http in skreaver fails more than 5% of requests',
                  description: '10% of the requests to skreaver-http in skreaver returned a server error (status 5..) over the last 5 minutes; the threshold is 5%.',
                  runbook_url: 'https://runbooks.example.com/skreaver/SkreaverHighErrorRate',
                },
              },
            ],
          },
        ],
      },
      {
        name: 'skreaver lone 5xx',
        input_series: [s(`skreaver_http_requests_total{${sel}, status="500"}`, '0+1x30'), s(`skreaver_http_requests_total{${sel}, status="200"}`, '0+1000x30')],
        alert_rule_test: [{ eval_time: '15m', alertname: 'SkreaverHighErrorRate', exp_alerts: [] }],
      },
    ]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });
});
