import { Construct } from 'constructs';
import { z } from 'zod';
import { dnsLabel, dnsSubdomain } from '../core/schemas.js';
import { problem } from '../internal/props.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import { parseConstructProps, setPrimary } from '../kit/index.js';
import { podPeerSchema, DEFAULT_MONITORING_SOURCE, type PodPeer } from '../network/peers.js';
import { SecureAgentDeployment } from '../workload/secure-agent-deployment.js';
import { agentAlerts, agentAlertsSchema, httpMetricNamesSchema, pascalCase, type AgentAlertsOptions, type HttpMetricNamesOptions } from './agent-alerts.js';
import { AlertRules } from './alert-rules.js';
import { AgentDashboard } from './dashboard.js';
import { FluentBit } from './fluent-bit.js';
import { agentMetricsTarget, type MetricsTarget } from './metrics-target.js';
import {
  collectorAlerts,
  collectorAlertsSchema,
  OtelCollector,
  OtelCollectorPropsSchema,
  wireAgentOptionsSchema,
  type CollectorAlertsOptions,
  type OtelCollectorProps,
  type WireAgentOptions,
} from './otel-collector.js';
import { labelValue, promLabelName } from './promql.js';
import { AgentServiceMonitor, DEFAULT_DROPPED_LABELS, scrapeEndpointSchema, type ScrapeEndpointOptions } from './service-monitor.js';
import { sloRules, sloSchema, type SloOptions } from './slo.js';
import { offOr } from './toggle.js';

/** Collector props when the stack creates the collector (the namespace defaults to the agent's). */
const ownCollectorSchema = OtelCollectorPropsSchema.extend({
  /** @default - the agent's namespace */
  namespace: dnsLabel.optional(),
  /** Alerts on the collector's own telemetry. @default {} */
  alerts: collectorAlertsSchema.prefault({}),
});

/** Props of {@link ObservabilityStack}. */
export const ObservabilityStackPropsSchema = z.strictObject({
  /** The agent to observe. */
  agent: z.custom<SecureAgentDeployment>((v) => v instanceof SecureAgentDeployment, { error: problem('is not a SecureAgentDeployment', 'pass the SecureAgentDeployment to observe') }),
  /** Base URL of the runbooks; each alert links to `<runbookBaseUrl>/<AlertName>`. */
  runbookBaseUrl: z.url({ error: problem('is not a URL', "give an absolute URL like 'https://runbooks.example.com/agents'") }),
  // D-X-04
  /**
   * The `release` label kube-prometheus-stack selects ServiceMonitors and
   * PrometheusRules on; `false` when your Prometheus selects on something else.
   * @default 'kube-prometheus-stack'
   */
  release: z.union([labelValue, z.literal(false)]).default('kube-prometheus-stack'),
  /** Prometheus pods that scrape (NetworkPolicies and the network checks). @default - Prometheus pods in `monitoring` */
  scrapedBy: podPeerSchema.default(DEFAULT_MONITORING_SOURCE),
  /** Names of the app's HTTP metrics, for alerts, SLOs and the dashboard. @default - the reference runtime's */
  metrics: httpMetricNamesSchema.prefault({}),
  /** The ServiceMonitor, or `false` for none. @default - one endpoint on the agent's metrics port, every 30 s */
  serviceMonitor: offOr(
      z.strictObject({
        /** Scrape endpoints. @default - the agent's metrics port */
        endpoints: z.array(scrapeEndpointSchema).min(1).optional(),
        /** Labels dropped from every series. @default - request, trace, span, session, conversation and user IDs */
        dropLabels: z.array(promLabelName).default([...DEFAULT_DROPPED_LABELS]),
        /** Maximum samples per scrape. @default 20000 */
        sampleLimit: z.number().int().min(1).default(20000),
      }),
    )
    .prefault({}),
  /** The alert library: which alerts, thresholds, durations and severities. @default - error rate, latency, memory, pod readiness, HPA at max */
  alerts: agentAlertsSchema.prefault({}),
  /** SLOs with multi-window, multi-burn-rate alerts. @default - none */
  slo: sloSchema.optional(),
  /** Name of the PrometheusRule. @default `<agent name>-alerts` */
  rulesName: dnsSubdomain.optional(),
  /** Write alert annotations so Helm leaves `{{ ... }}` literal. @default false */
  helmSafeAnnotations: z.boolean().default(false),
  /** The Grafana dashboard, or `false` for none. @default - in the agent's namespace */
  dashboard: offOr(
      z.strictObject({
        /** Namespace the Grafana sidecar watches. @default - the agent's */
        namespace: dnsLabel.optional(),
        /** Grafana folder. @default - the sidecar's default */
        folder: z.string().min(1).optional(),
        /** Title. @default `<namespace>/<agent name>` */
        title: z.string().min(1).optional(),
      }),
    )
    .prefault({}),
  /**
   * Tracing through an OpenTelemetry Collector: a collector of yours
   * (`collector: OtelCollector`), or the props of one the stack creates (it
   * then also scrapes the collector and alerts on export errors). The agent
   * gets `OTEL_EXPORTER_OTLP_ENDPOINT` and `OTEL_RESOURCE_ATTRIBUTES`, egress
   * to the collector, and the collector admits it.
   * @default - no tracing
   */
  tracing: z
    .strictObject({
      /** A collector, or props to create one. */
      collector: z.union([z.custom<OtelCollector>((v) => v instanceof OtelCollector), ownCollectorSchema]),
      ...wireAgentOptionsSchema.shape,
    })
    .optional(),
  /** A log shipper that also ships the agent's namespace. @default - logs are not shipped by this stack */
  logShipper: z.custom<FluentBit>((v) => v instanceof FluentBit, { error: problem('is not a FluentBit', 'pass a FluentBit construct') }).optional(),
});

/** The ServiceMonitor the stack creates on the agent's metrics port. */
export interface StackServiceMonitorOptions {
  /** Scrape endpoints, at least one. @default - the agent's metrics port */
  readonly endpoints?: readonly ScrapeEndpointOptions[];
  /** Labels dropped from every series. @default - request, trace, span, session, conversation and user IDs */
  readonly dropLabels?: readonly string[];
  /** Maximum samples per scrape. @default 20000 */
  readonly sampleLimit?: number;
}

/** The Grafana dashboard the stack creates. */
export interface StackDashboardOptions {
  /** Namespace the Grafana sidecar watches. @default - the agent's */
  readonly namespace?: string;
  /** Grafana folder. @default - the sidecar's default */
  readonly folder?: string;
  /** Title. @default - `<namespace>/<agent name>` */
  readonly title?: string;
}

/** Props of the OpenTelemetry Collector the stack creates: those of {@link OtelCollector}, the namespace optional, and alerts. */
export interface StackCollectorOptions extends Omit<OtelCollectorProps, 'namespace'> {
  /** Namespace of the collector. @default - the agent's namespace */
  readonly namespace?: string;
  /** Alerts on the collector's own telemetry. @default {} */
  readonly alerts?: CollectorAlertsOptions;
}

/**
 * Tracing through an OpenTelemetry Collector, and how the agent is wired to it.
 * @see https://opentelemetry.io/docs/collector/
 */
export interface StackTracingOptions extends WireAgentOptions {
  /** A collector of yours, or the props of one the stack creates (it then also scrapes it and alerts on export errors). */
  readonly collector: OtelCollector | StackCollectorOptions;
}

/**
 * Props of {@link ObservabilityStack}.
 * @see https://prometheus-operator.dev/docs/developer/getting-started/
 */
export interface ObservabilityStackProps {
  /** The agent to observe. */
  readonly agent: SecureAgentDeployment;
  /** Base URL of the runbooks; each alert links to `<runbookBaseUrl>/<AlertName>`. */
  readonly runbookBaseUrl: string;
  // D-X-04
  /**
   * The `release` label kube-prometheus-stack selects ServiceMonitors and
   * PrometheusRules on; `false` when your Prometheus selects on something else.
   * @default 'kube-prometheus-stack'
   */
  readonly release?: string | false;
  /** Prometheus pods that scrape (NetworkPolicies and the network checks). @default - Prometheus pods in `monitoring` */
  readonly scrapedBy?: PodPeer;
  /** Names of the app's HTTP metrics, for alerts, SLOs and the dashboard. @default - the reference runtime's */
  readonly metrics?: HttpMetricNamesOptions;
  /** The ServiceMonitor, or `false` for none. @default - one endpoint on the agent's metrics port, every 30 s */
  readonly serviceMonitor?: false | StackServiceMonitorOptions;
  /** The alert library: which alerts, thresholds, durations and severities. @default - error rate, latency, memory, pod readiness, HPA at max */
  readonly alerts?: AgentAlertsOptions;
  /** SLOs with multi-window, multi-burn-rate alerts. @default - none */
  readonly slo?: SloOptions;
  /** Name of the PrometheusRule. @default - `<agent name>-alerts` */
  readonly rulesName?: string;
  /** Write alert annotations so Helm leaves `{{ ... }}` literal. @default false */
  readonly helmSafeAnnotations?: boolean;
  /** The Grafana dashboard, or `false` for none. @default - in the agent's namespace */
  readonly dashboard?: false | StackDashboardOptions;
  /**
   * Tracing through an OpenTelemetry Collector: a collector of yours, or the
   * props of one the stack creates. The agent gets
   * `OTEL_EXPORTER_OTLP_ENDPOINT` and `OTEL_RESOURCE_ATTRIBUTES`, egress to
   * the collector, and the collector admits it.
   * @default - no tracing
   */
  readonly tracing?: StackTracingOptions;
  /** A log shipper that also ships the agent's namespace. @default - logs are not shipped by this stack */
  readonly logShipper?: FluentBit;
}

true satisfies SchemaAgrees<typeof ObservabilityStackPropsSchema, ObservabilityStackProps>;

type Config = z.output<typeof ObservabilityStackPropsSchema>;

/** Construct ids of the children: part of the API, since they name objects. */
export const ObservabilityStackIds = {
  ServiceMonitor: 'ServiceMonitor',
  Rules: 'Rules',
  Dashboard: 'Dashboard',
  Collector: 'Collector',
  CollectorServiceMonitor: 'CollectorServiceMonitor',
} as const;

/**
 * Observability for one {@link SecureAgentDeployment}: a ServiceMonitor on
 * its metrics port, a PrometheusRule with the alert library (and SLO
 * burn-rate alerts when `slo` is set), a Grafana dashboard, tracing through
 * an OpenTelemetry Collector wired to the agent, and its namespace added to
 * a log shipper. Every piece is a public child and can be turned off;
 * {@link ObservabilityStack.addAlert} adds your own alerts.
 *
 * @see https://prometheus-operator.dev/docs/developer/getting-started/
 */
export class ObservabilityStack extends Construct {
  /** The observed agent. */
  public readonly agent: SecureAgentDeployment;
  /** What the monitoring constructs know about the agent. */
  public readonly target: MetricsTarget;
  /** The ServiceMonitor (unless `serviceMonitor: false`). */
  public readonly serviceMonitor?: AgentServiceMonitor;
  /** The PrometheusRule with the alerts. */
  public readonly rules: AlertRules;
  /** The dashboard (unless `dashboard: false`). */
  public readonly dashboard?: AgentDashboard;
  /** The collector the agent sends telemetry to (with `tracing`). */
  public readonly collector?: OtelCollector;
  /** The collector's ServiceMonitor, when the stack created the collector. */
  public readonly collectorServiceMonitor?: AgentServiceMonitor;

  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id);
    const p = parseConstructProps(this, ObservabilityStackPropsSchema, props);
    const agent = p.agent;
    this.agent = agent;
    this.target = agentMetricsTarget(agent);
    if (p.serviceMonitor !== false) this.serviceMonitor = this.createServiceMonitor(p, p.serviceMonitor);
    this.rules = setPrimary(this, new AlertRules(this, ObservabilityStackIds.Rules, {
      name: p.rulesName ?? `${agent.name}-alerts`,
      namespace: agent.namespace,
      runbookBaseUrl: p.runbookBaseUrl,
      release: p.release,
      defaultGroup: agent.name,
      helmSafeAnnotations: p.helmSafeAnnotations,
    }));
    for (const a of agentAlerts(this.target, p.metrics, this.alertsConfig(p, props))) this.rules.addAlert(a);
    if (p.slo && (p.slo.availability || p.slo.latency)) {
      const group = `${agent.name}-slo`;
      this.rules.addGroup(group, { interval: '1m' });
      const slo = sloRules(this.target, p.metrics, p.slo, p.alerts.alertPrefix ?? pascalCase(agent.name));
      for (const r of slo.recordings) this.rules.addRecordingRule(r, group);
      for (const a of slo.alerts) this.rules.addAlert(a, group);
    }
    if (p.dashboard !== false) {
      const d = p.dashboard;
      this.dashboard = new AgentDashboard(this, ObservabilityStackIds.Dashboard, { target: this.target, metrics: p.metrics, namespace: d.namespace, folder: d.folder, title: d.title });
    }
    if (p.tracing) [this.collector, this.collectorServiceMonitor] = this.wireTracing(p, p.tracing);
    p.logShipper?.shipNamespace(agent.namespace);
  }

  private createServiceMonitor(p: Config, sm: Exclude<Config['serviceMonitor'], false>): AgentServiceMonitor {
    if (!this.target.metricsPort) {
      throw new Error(
        `${this.node.path} props.serviceMonitor: agent "${this.agent.name}" serves no metrics (metrics: false), got a ServiceMonitor; set serviceMonitor: false or give the agent a metrics port`,
      );
    }
    return new AgentServiceMonitor(this, ObservabilityStackIds.ServiceMonitor, {
      target: this.target,
      ...(sm.endpoints ? { endpoints: sm.endpoints } : {}),
      dropLabels: sm.dropLabels,
      sampleLimit: sm.sampleLimit,
      release: p.release,
      scrapedBy: p.scrapedBy,
    });
  }

  /**
   * The alert library's options. A TLS Ingress with a cert-manager issuer
   * gets a Certificate named after its Secret (ingress-shim): alert before
   * it expires unless told otherwise (on the label
   * alerts.certificateNamespaceLabel names, kept by the spread).
   */
  private alertsConfig(p: Config, props: ObservabilityStackProps): Config['alerts'] {
    const exposure = this.agent.exposure;
    const tls = exposure?.type === 'ingress' ? exposure.tls : undefined;
    const rawAlerts = (props.alerts ?? {}) as { certificateExpiry?: unknown };
    if (rawAlerts.certificateExpiry !== undefined || !tls || !(tls.clusterIssuer || tls.issuer)) return p.alerts;
    return agentAlertsSchema.parse({ ...(props.alerts ?? {}), certificateExpiry: { certificate: tls.secretName } });
  }

  /** The collector (given, or created here with its ServiceMonitor and alerts), wired to the agent. */
  private wireTracing(p: Config, tracing: NonNullable<Config['tracing']>): [OtelCollector, AgentServiceMonitor?] {
    const { collector: spec, protocol, serviceName, environment, resourceAttributes, endpointEnv } = tracing;
    let collector: OtelCollector;
    let monitor: AgentServiceMonitor | undefined;
    if (spec instanceof OtelCollector) {
      collector = spec;
    } else {
      const { alerts, ...collectorProps } = spec;
      collector = new OtelCollector(this, ObservabilityStackIds.Collector, { ...collectorProps, namespace: collectorProps.namespace ?? this.agent.namespace, scrapedBy: collectorProps.scrapedBy });
      monitor = new AgentServiceMonitor(this, ObservabilityStackIds.CollectorServiceMonitor, {
        target: collector,
        endpoints: [
          { port: 'metrics', path: '/metrics' },
          // Metrics the apps pushed over OTLP keep the job and instance the
          // exporter derives from service.name and service.instance.id.
          { port: 'prom-export', path: '/metrics', honorLabels: true },
        ],
        release: p.release,
        scrapedBy: collectorProps.scrapedBy,
      });
      for (const a of collectorAlerts(collector, alerts)) this.rules.addAlert(a, collector.name);
    }
    collector.wireAgent(this.agent, { protocol, ...(serviceName ? { serviceName } : {}), ...(environment ? { environment } : {}), resourceAttributes, endpointEnv });
    return [collector, monitor];
  }

  /** Adds an alert of your own to the agent's PrometheusRule (see {@link AlertRules.addAlert}). */
  public addAlert(...args: Parameters<AlertRules['addAlert']>): ReturnType<AlertRules['addAlert']> {
    return this.rules.addAlert(...args);
  }
}
