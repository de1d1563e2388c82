import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { z } from 'zod';
import type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { dnsSubdomain, httpPath, labelMap, portName } from '../core/schemas.js';
import { ANNOTATIONS } from '../internal/labels.js';
import { problem } from '../internal/props.js';
import { managedMeta, parseConstructProps, setPrimary, validateAgainstModel } from '../kit/index.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import { DEFAULT_MONITORING_SOURCE, podPeerSchema, type PodPeer } from '../network/peers.js';
import type { MetricsTarget } from './metrics-target.js';
import { durationSeconds, labelValue, promDuration, promLabelName } from './promql.js';

/**
 * Labels that identify one request, session or user. A series per value
 * makes a scrape unbounded, so they are dropped at scrape time.
 */
export const DEFAULT_DROPPED_LABELS = ['request_id', 'trace_id', 'span_id', 'session_id', 'conversation_id', 'user_id'] as const;

const isMetricsTarget = (v: unknown): v is MetricsTarget =>
  typeof v === 'object' && v !== null && typeof (v as MetricsTarget).name === 'string' && Array.isArray((v as MetricsTarget).servicePortNames);

/** One scrape endpoint of a {@link AgentServiceMonitor}. */
export const scrapeEndpointSchema = z
  .strictObject({
    /** Name of the Service port to scrape. @default - the target's metrics port */
    port: portName.optional(),
    /** HTTP path. @default - the target's metrics path, else '/metrics' */
    path: httpPath.optional(),
    /** Scrape interval. @default '30s' */
    interval: promDuration.default('30s'),
    /** Scrape timeout, at most the interval. @default '10s' */
    scrapeTimeout: promDuration.default('10s'),
    /** Keep the `job` and `instance` labels the target sets (for exporters that relay other services' metrics). @default false */
    honorLabels: z.boolean().default(false),
  })
  .superRefine((e, ctx) => {
    const interval = durationSeconds(e.interval);
    const timeout = durationSeconds(e.scrapeTimeout);
    if (interval !== undefined && timeout !== undefined && timeout > interval) {
      ctx.addIssue({
        code: 'custom',
        path: ['scrapeTimeout'],
        params: { value: e.scrapeTimeout },
        message: problem(`is longer than the interval ${e.interval}`, `use at most ${e.interval}, or scrape less often`),
      });
    }
  });

/** Props of {@link AgentServiceMonitor}. */
export const AgentServiceMonitorPropsSchema = z
  .strictObject({
    /** The workload to scrape (see {@link agentMetricsTarget} for a SecureAgentDeployment). */
    target: z.custom<MetricsTarget>(isMetricsTarget, { error: problem('is not a metrics target', 'pass agentMetricsTarget(agent) or an OtelCollector') }),
    /** Name of the ServiceMonitor. @default - the target's name */
    name: dnsSubdomain.optional(),
    /** Scrape endpoints. @default - one endpoint on the target's metrics port */
    endpoints: z.array(scrapeEndpointSchema).min(1, { error: problem('is empty', 'list at least one endpoint') }).optional(),
    /**
     * Labels dropped from every scraped series (`labeldrop`). Dropping a label
     * that alone tells two series apart merges them, which Prometheus reports
     * as duplicate samples: such labels belong in logs or traces, not metrics.
     * @default - request, trace, span, session, conversation and user IDs
     */
    dropLabels: z.array(promLabelName).default([...DEFAULT_DROPPED_LABELS]),
    /** Maximum samples per scrape; a scrape above it fails, so runaway cardinality is caught. @default 20000 */
    sampleLimit: z.number().int().min(1).default(20000),
    // D-X-04
    /**
     * The `release` label kube-prometheus-stack selects ServiceMonitors on
     *; `false` when your Prometheus selects on something else.
     * @default 'kube-prometheus-stack'
     */
    release: z.union([labelValue, z.literal(false)]).default('kube-prometheus-stack'),
    /** Extra labels of the ServiceMonitor. @default {} */
    labels: labelMap.default({}),
    /** Prometheus pods that scrape, recorded for the network checks. @default - Prometheus pods in `monitoring` */
    scrapedBy: podPeerSchema.default(DEFAULT_MONITORING_SOURCE),
  })
  .superRefine((p, ctx) => {
    const t = p.target;
    if (!isMetricsTarget(t)) return;
    const given = p.endpoints ? p.endpoints.map((e) => e.port) : [undefined];
    given.forEach((endpointPort, i) => {
      const port = endpointPort ?? t.metricsPort?.name;
      const path = p.endpoints ? ['endpoints', i, 'port'] : ['endpoints'];
      if (port === undefined) {
        ctx.addIssue({ code: 'custom', path, params: { value: undefined }, message: problem(`names no port and Service "${t.name}" has no metrics port`, `give endpoints[].port, one of ${t.servicePortNames.join(', ')}`) });
      } else if (!t.servicePortNames.includes(port)) {
        ctx.addIssue({
          code: 'custom',
          path,
          params: { value: port },
          message: problem(`is not a port of Service "${t.name}"`, `use one of ${t.servicePortNames.join(', ') || '(none: the Service has no named ports)'}`),
        });
      }
    });
  });

/**
 * One scrape endpoint of a {@link AgentServiceMonitor}.
 * @see https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.Endpoint
 */
export interface ScrapeEndpointOptions {
  /** Name of the Service port to scrape. @default - the target's metrics port */
  readonly port?: string;
  /** HTTP path. @default - the target's metrics path, else '/metrics' */
  readonly path?: string;
  /** Scrape interval, a Prometheus duration like `30s`. @default '30s' */
  readonly interval?: string;
  /** Scrape timeout, at most the interval. @default '10s' */
  readonly scrapeTimeout?: string;
  /** Keep the `job` and `instance` labels the target sets (for exporters that relay other services' metrics). @default false */
  readonly honorLabels?: boolean;
}

true satisfies SchemaAgrees<typeof scrapeEndpointSchema, ScrapeEndpointOptions>;

/**
 * Props of {@link AgentServiceMonitor}.
 * @see https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.ServiceMonitor
 */
export interface AgentServiceMonitorProps {
  /** The workload to scrape: {@link agentMetricsTarget} of a SecureAgentDeployment, or an OtelCollector. */
  readonly target: MetricsTarget;
  /** Name of the ServiceMonitor. @default - the target's name */
  readonly name?: string;
  /** Scrape endpoints, at least one. @default - one endpoint on the target's metrics port */
  readonly endpoints?: readonly ScrapeEndpointOptions[];
  /**
   * Labels dropped from every scraped series (`labeldrop`). Dropping a label
   * that alone tells two series apart merges them, which Prometheus reports
   * as duplicate samples: such labels belong in logs or traces, not metrics.
   * @default - request, trace, span, session, conversation and user IDs
   */
  readonly dropLabels?: readonly string[];
  /** Maximum samples per scrape; a scrape above it fails, so runaway cardinality is caught. @default 20000 */
  readonly sampleLimit?: number;
  // D-X-04
  /**
   * The `release` label kube-prometheus-stack selects ServiceMonitors on;
   * `false` when your Prometheus selects on something else.
   * @default 'kube-prometheus-stack'
   */
  readonly release?: string | false;
  /** Extra labels of the ServiceMonitor. @default {} */
  readonly labels?: { readonly [key: string]: string };
  /** Prometheus pods that scrape, recorded for the network checks. @default - Prometheus pods in `monitoring` */
  readonly scrapedBy?: PodPeer;
}

true satisfies SchemaAgrees<typeof AgentServiceMonitorPropsSchema, AgentServiceMonitorProps>;

/** Construct ids of the children: part of the API, since they name objects. */
export const AgentServiceMonitorIds = {
  ServiceMonitor: 'ServiceMonitor',
} as const;

// D-X-04
/**
 * A prometheus-operator `ServiceMonitor` for one workload: it selects the
 * Service by its stable selector labels and scrapes metrics ports by name,
 * with an explicit interval and timeout (timeout within the interval),
 * request-scoped labels dropped and a sample limit. It carries the
 * `release` label kube-prometheus-stack selects on and records
 * which Prometheus pods scrape, so the verification checks that the
 * workload's NetworkPolicy admits them.
 *
 * The object is checked against the prometheus-operator schema of
 * `@kubernetes-models/prometheus-operator` when it is built.
 *
 * @see https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.ServiceMonitor
 */
export class AgentServiceMonitor extends Construct {
  /** The ServiceMonitor. */
  public readonly serviceMonitor: ApiObject;
  /** Object name. */
  public readonly name: string;

  constructor(scope: Construct, id: string, props: AgentServiceMonitorProps) {
    super(scope, id);
    const p = parseConstructProps(this, AgentServiceMonitorPropsSchema, props);
    const t = p.target;
    this.name = p.name ?? t.name;
    const endpoints = (p.endpoints ?? [scrapeEndpointSchema.parse({})]).map((e) => ({
      port: (e.port ?? t.metricsPort?.name)!,
      path: e.path ?? t.metricsPort?.path ?? '/metrics',
      interval: e.interval,
      scrapeTimeout: e.scrapeTimeout,
      ...(e.honorLabels ? { honorLabels: true } : {}),
      ...(p.dropLabels.length > 0 ? { metricRelabelings: [{ action: 'labeldrop' as const, regex: p.dropLabels.join('|') }] } : {}),
    }));
    const scraper = p.scrapedBy.namespace ?? t.namespace;
    const app = p.scrapedBy.podLabels['app.kubernetes.io/name'];
    const labels = { ...p.labels, ...(p.release !== false ? { release: p.release } : {}) };
    const body: IServiceMonitor = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: managedMeta(this, 'ServiceMonitor', t.namespace, this.name, labels, { [ANNOTATIONS.ingressFrom]: app ? `${scraper}/${app}` : scraper }),
      spec: {
        selector: { matchLabels: { ...t.serviceLabels } },
        namespaceSelector: { matchNames: [t.namespace] },
        endpoints,
        sampleLimit: p.sampleLimit,
      },
    };
    try {
      validateAgainstModel(body);
    } catch (e) {
      throw new Error(`${this.node.path}: the ServiceMonitor fails the prometheus-operator schema: ${(e as Error).message}`);
    }
    this.serviceMonitor = setPrimary(this, new ApiObject(this, AgentServiceMonitorIds.ServiceMonitor, body as ConstructorParameters<typeof ApiObject>[2]));
  }
}
