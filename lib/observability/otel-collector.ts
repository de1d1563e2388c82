import { Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { z } from 'zod';
import { imageReference } from '../core/image.js';
import { defaultImage } from '../core/images.js';
import { parseQuantity } from '../core/quantity.js';
import { dnsLabel, dnsSubdomain, hostname, labelMap, workloadName } from '../core/schemas.js';
import { ANNOTATIONS } from '../internal/labels.js';
import { k8s } from '../internal/plus.js';
import { problem } from '../internal/props.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import {
  configChecksum,
  configMapVolume,
  createConfigMap,
  createDeployment,
  createNetworkPolicy,
  createPodDisruptionBudget,
  createService,
  createServiceAccount,
  dependencyEdges,
  dependsOnAnnotation,
  envValue,
  hardenedContainer,
  ingressRule,
  parseConstructProps,
  podTemplate,
  renderProbe,
  restrictedPodSpec,
  secretVolume,
  setPrimary,
  spreadOverZonesAndHosts,
  VolumeSet,
  workloadIdentity,
  type WorkloadIdentity,
} from '../kit/index.js';
import { DEFAULT_MONITORING_SOURCE, egressRuleSchema, podPeerSchema, renderEgressRule, type EgressRuleOptions, type PodPeer } from '../network/peers.js';
import { resolveResources, resourcesSchema, type Resources } from '../workload/container.js';
import type { SecureAgentDeployment } from '../workload/secure-agent-deployment.js';
import type { MetricsTarget } from './metrics-target.js';
import type { AlertOptions } from './alert-rules.js';
import { parseOptions } from './options.js';
import { deploymentPodRegex, metricName, num, openRatio, selector, type Matcher } from './promql.js';

/** Ports of the collector, by name. */
export const OTEL_PORTS = {
  'otlp-grpc': 4317,
  'otlp-http': 4318,
  /** The collector's own telemetry. */
  metrics: 8888,
  /** The Prometheus exporter: metrics the apps sent over OTLP. */
  'prom-export': 8889,
  /** The health_check extension. */
  health: 13133,
} as const;

/**
 * Attribute keys the collector deletes from spans, metrics and logs: HTTP
 * Authorization and cookie headers, passwords, secrets, tokens, API and
 * private keys, signatures and credentials, plus the A2A frame contents
 * (`header_b64u`, `ciphertext_b64u`) the Talos guide redacts. Matched per
 * key segment (`.`, `_`, `-` separated), so `http.request.header.authorization`
 * and `auth_token` go while `gen_ai.usage.input_tokens` stays.
 */
export const REDACTED_KEY_PATTERN =
  '(?i)(^|[._-])(authorization|proxy-authorization|cookie|set-cookie|password|passwd|secret|token|bearer|jwt|api[-_]?key|private[-_]?key|signature|credentials?|header_b64u|ciphertext_b64u)($|[._-])';

/** Attribute values the collector masks wherever they appear: bearer credentials and JWTs. */
export const REDACTED_VALUE_PATTERNS = ['(?i)bearer\\s+[a-z0-9._~+/-]+=*', 'eyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]*'] as const;

const keyRef = z.strictObject({
  /** Name of the ConfigMap or Secret. */
  name: dnsSubdomain,
  /** Key holding the PEM CA bundle. @default 'ca.crt' */
  key: z.string().regex(/^[-._a-zA-Z0-9]+$/).default('ca.crt'),
});

/** Props of {@link OtelCollector}. */
export const OtelCollectorPropsSchema = z.strictObject({
  /** Name of the Deployment, Service and related objects. @default 'otel-collector' */
  name: workloadName.default('otel-collector'),
  /** Namespace. */
  namespace: dnsLabel,
  /**
   * Collector image: the contrib distribution, which has every component the
   * config uses (`redaction` is contrib-only). The config targets 0.115 and later.
   * @default - `otelCollector` of DEFAULT_IMAGES (README "Default images")
   */
  image: imageReference.default(defaultImage('otelCollector')),
  /** Replicas; two or more so a rollout or drain never drops telemetry. @default 2 */
  replicas: z.number().int().min(2, { error: problem('must be at least 2', 'run 2 or more replicas so a rollout or node drain keeps accepting telemetry') }).default(2),
  /** Requests and limits. @default - requests 200m / 256Mi, limits 1 CPU / 512Mi */
  resources: resourcesSchema.default({
    requests: { cpu: '200m', memory: '256Mi', ephemeralStorage: '64Mi' },
    limits: { cpu: '1', memory: '512Mi', ephemeralStorage: '256Mi' },
  }),
  // D-SKR-16
  /** Where traces go: an OTLP gRPC endpoint (Jaeger, Tempo, a vendor), not the removed `jaeger` exporter. */
  traces: z.strictObject({
    /** `host:port` of the OTLP gRPC endpoint, e.g. `jaeger-collector.observability.svc:4317`. */
    endpoint: z.string().refine((e) => /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?:\d{1,5}$/.test(e) && Number(e.split(':')[1]) <= 65535 && Number(e.split(':')[1]) > 0, {
      error: problem('is not host:port', "write it like 'jaeger-collector.observability.svc:4317', without a scheme"),
    }),
    /**
     * TLS to the endpoint: verified against the system CAs or `ca`. Plaintext
     * needs `insecure: true` and a recorded `insecureReason`.
     * @default - TLS verified against the system CAs
     */
    tls: z
      .strictObject({
        /** CA bundle from a ConfigMap (e.g. a trust-manager bundle) or a Secret. @default - the image's system CAs */
        ca: z.union([z.strictObject({ configMap: keyRef }), z.strictObject({ secret: keyRef })]).optional(),
        /** Server name to verify when it differs from the endpoint host. @default - the endpoint host */
        serverName: hostname.optional(),
        /** Send plaintext. @default false */
        insecure: z.boolean().default(false),
        /** Why plaintext is acceptable; required with `insecure`, recorded on the Deployment. @default - none */
        insecureReason: z.string().min(10).optional(),
      })
      .superRefine((t, ctx) => {
        if (t.insecure && !t.insecureReason) {
          ctx.addIssue({ code: 'custom', path: ['insecureReason'], message: problem('is missing while insecure is true', 'record why plaintext is acceptable, or drop insecure and verify TLS') });
        }
        if (t.insecure && (t.ca || t.serverName)) {
          ctx.addIssue({ code: 'custom', path: ['insecure'], params: { value: true }, message: problem('is set together with ca or serverName', 'remove insecure to verify TLS, or remove ca and serverName') });
        }
      })
      .prefault({}),
    /** Egress to the endpoint, for the collector's NetworkPolicy (pods by namespace and labels, or a CIDR). */
    egress: egressRuleSchema,
  }),
  /** Callers allowed to send OTLP, besides agents wired with {@link OtelCollector.wireAgent}. @default [] */
  allowFrom: z.array(podPeerSchema).default([]),
  /** Prometheus pods that scrape the collector. @default - Prometheus pods in `monitoring` */
  scrapedBy: podPeerSchema.default(DEFAULT_MONITORING_SOURCE),
  /** Extra attribute keys to delete, as exact keys. @default [] */
  redactKeys: z.array(z.string().min(1)).default([]),
  /** `app.kubernetes.io/part-of`. @default - none */
  partOf: dnsLabel.optional(),
  /** Extra labels on every object. @default {} */
  labels: labelMap.default({}),
});

/** A key of a ConfigMap or Secret holding a PEM CA bundle. */
export interface CaBundleKey {
  /** Name of the ConfigMap or Secret. */
  readonly name: string;
  /** Key holding the PEM CA bundle. @default 'ca.crt' */
  readonly key?: string;
}

/** A CA bundle from a ConfigMap (e.g. a trust-manager bundle). */
export interface CaFromConfigMap {
  /** The ConfigMap key. */
  readonly configMap: CaBundleKey;
}

/** A CA bundle from a Secret. */
export interface CaFromSecret {
  /** The Secret key. */
  readonly secret: CaBundleKey;
}

/**
 * TLS from the collector to its trace endpoint: verified against the system
 * CAs or `ca`. Plaintext needs `insecure: true` and a recorded `insecureReason`.
 * @see https://github.com/open-telemetry/opentelemetry-collector/blob/main/config/configtls/README.md
 */
export interface OtlpExportTls {
  /** CA bundle from a ConfigMap or a Secret. @default - the image's system CAs */
  readonly ca?: CaFromConfigMap | CaFromSecret;
  /** Server name to verify when it differs from the endpoint host. @default - the endpoint host */
  readonly serverName?: string;
  /** Send plaintext. @default false */
  readonly insecure?: boolean;
  /** Why plaintext is acceptable, 10 characters or more; required with `insecure`, recorded on the Deployment. @default - none */
  readonly insecureReason?: string;
}

// D-SKR-16
/**
 * Where the collector sends traces: an OTLP gRPC endpoint (Jaeger, Tempo, a vendor).
 * @see https://github.com/open-telemetry/opentelemetry-collector/blob/main/exporter/otlpexporter/README.md
 */
export interface OtlpTraceExport {
  /** `host:port` of the OTLP gRPC endpoint, e.g. `jaeger-collector.observability.svc:4317`, without a scheme. */
  readonly endpoint: string;
  /** TLS to the endpoint. @default - TLS verified against the system CAs */
  readonly tls?: OtlpExportTls;
  /** Egress to the endpoint, for the collector's NetworkPolicy (pods by namespace and labels, or a CIDR). */
  readonly egress: EgressRuleOptions;
}

/**
 * Props of {@link OtelCollector}.
 * @see https://opentelemetry.io/docs/collector/configuration/
 */
export interface OtelCollectorProps {
  /** Name of the Deployment, Service and related objects. @default 'otel-collector' */
  readonly name?: string;
  /** Namespace. */
  readonly namespace: string;
  /**
   * Collector image: the contrib distribution, which has every component the
   * config uses (`redaction` is contrib-only). The config targets 0.115 and later.
   * @default - `otelCollector` of DEFAULT_IMAGES (README "Default images")
   */
  readonly image?: string;
  /** Replicas; two or more so a rollout or drain never drops telemetry. @default 2 */
  readonly replicas?: number;
  /** Requests and limits. @default - requests 200m / 256Mi, limits 1 CPU / 512Mi */
  readonly resources?: Resources;
  /** Where traces go: an OTLP gRPC endpoint (Jaeger, Tempo, a vendor), not the removed `jaeger` exporter. */
  readonly traces: OtlpTraceExport;
  /** Callers allowed to send OTLP, besides agents wired with {@link OtelCollector.wireAgent}. @default [] */
  readonly allowFrom?: readonly PodPeer[];
  /** Prometheus pods that scrape the collector. @default - Prometheus pods in `monitoring` */
  readonly scrapedBy?: PodPeer;
  /** Extra attribute keys to delete, as exact keys. @default [] */
  readonly redactKeys?: readonly string[];
  /** `app.kubernetes.io/part-of`. @default - none */
  readonly partOf?: string;
  /** Extra labels on every object. @default {} */
  readonly labels?: { readonly [key: string]: string };
}

true satisfies SchemaAgrees<typeof OtelCollectorPropsSchema, OtelCollectorProps>;

/** OTLP transport the agent's SDK uses. */
export const otlpProtocolSchema = z.enum(['grpc', 'http/protobuf']);

/** Options of {@link OtelCollector.wireAgent}. */
export const wireAgentOptionsSchema = z.strictObject({
  /** OTLP transport of the agent's SDK. @default 'grpc' */
  protocol: otlpProtocolSchema.default('grpc'),
  /** `service.name`. @default - the agent's `app.kubernetes.io/name` */
  serviceName: z.string().min(1).optional(),
  // D-TAL-10
  /** `deployment.environment.name` (the semantic convention, not `environment`). @default - the agent's profile */
  environment: z.string().min(1).optional(),
  /** More resource attributes. @default {} */
  resourceAttributes: z.record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9._-]*$/), z.string()).default({}),
  /** More env var names that should carry the endpoint (runtimes with their own, like `SKREAVER_OBSERVABILITY_OTEL_ENDPOINT`). @default [] */
  endpointEnv: z.array(z.string().regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/)).default([]),
});

/**
 * Options of {@link OtelCollector.wireAgent}: the OTLP endpoint and resource attributes the agent's SDK gets.
 * @see https://opentelemetry.io/docs/languages/sdk-configuration/otlp-exporter/
 */
export interface WireAgentOptions {
  /** OTLP transport of the agent's SDK. @default 'grpc' */
  readonly protocol?: 'grpc' | 'http/protobuf';
  /** `service.name`. @default - the agent's `app.kubernetes.io/name` */
  readonly serviceName?: string;
  // D-TAL-10
  /** `deployment.environment.name` (the semantic convention, not `environment`). @default - the agent's profile */
  readonly environment?: string;
  /** More resource attributes. @default {} */
  readonly resourceAttributes?: { readonly [key: string]: string };
  /** More env var names that should carry the endpoint (runtimes with their own, like `SKREAVER_OBSERVABILITY_OTEL_ENDPOINT`). @default [] */
  readonly endpointEnv?: readonly string[];
}

true satisfies SchemaAgrees<typeof wireAgentOptionsSchema, WireAgentOptions>;

/** Construct ids of the children: part of the API, since they name objects. */
export const OtelCollectorIds = {
  ConfigMap: 'ConfigMap',
  ServiceAccount: 'ServiceAccount',
  Deployment: 'Deployment',
  Service: 'Service',
  Pdb: 'Pdb',
  NetworkPolicy: 'NetworkPolicy',
} as const;

/** Percent-encodes a value of `OTEL_RESOURCE_ATTRIBUTES` (`,` and `=` separate entries). */
function encodeAttribute(value: string): string {
  return encodeURIComponent(value);
}

// D-SKR-16
/**
 * An OpenTelemetry Collector that receives OTLP from agents and exports
 * traces over OTLP (the `jaeger` exporter no longer exists) and
 * metrics through a Prometheus exporter. The config's pipelines reference
 * only declared components: OTLP gRPC and HTTP receivers, `memory_limiter`
 * first and `batch` last, redaction of Authorization headers and
 * secret-like attributes (keys and values) as the Talos guide asks, and a
 * health check. It runs as a Deployment of two or more pods meeting Pod
 * Security `restricted`, behind a ClusterIP Service, with a
 * PodDisruptionBudget and a NetworkPolicy admitting only wired agents on
 * OTLP and Prometheus on the metrics ports.
 *
 * {@link OtelCollector.wireAgent} gives an agent the OTLP endpoint and
 * resource attributes, its egress to the collector and the collector's
 * ingress from it.
 *
 * @see https://opentelemetry.io/docs/collector/configuration/
 */
export class OtelCollector extends Construct implements MetricsTarget {
  /** Object name (Deployment, Service). */
  public readonly name: string;
  /** Namespace. */
  public readonly namespace: string;
  /** Stable selector labels of the pods and the Service. */
  public readonly serviceLabels: Readonly<Record<string, string>>;
  /** Recommended labels on every object. */
  public readonly labels: Readonly<Record<string, string>>;
  /** Service port names. */
  public readonly servicePortNames: readonly string[] = ['otlp-grpc', 'otlp-http', 'metrics', 'prom-export'];
  /** The collector's own telemetry port. */
  public readonly metricsPort = { name: 'metrics', path: '/metrics' } as const;
  /** Pod name regular expression. */
  public readonly podRegex: string;
  /** Main container name. */
  public readonly container = 'otel-collector';
  /** The collector configuration, as written to the ConfigMap. */
  public readonly config: Readonly<Record<string, unknown>>;
  /** The ConfigMap holding `collector.yaml`. */
  public readonly configMap: k8s.KubeConfigMap;
  /** The ServiceAccount (no API access, no token). */
  public readonly serviceAccount: k8s.KubeServiceAccount;
  /** The Deployment. */
  public readonly deployment: k8s.KubeDeployment;
  /** The ClusterIP Service. */
  public readonly service: k8s.KubeService;
  /** The PodDisruptionBudget. */
  public readonly pdb: k8s.KubePodDisruptionBudget;
  /** The NetworkPolicy of the collector pods. */
  public readonly networkPolicy: k8s.KubeNetworkPolicy;
  private readonly callers: { peer: PodPeer; port: number }[] = [];
  private readonly wired = new Set<SecureAgentDeployment>();

  constructor(scope: Construct, id: string, props: OtelCollectorProps) {
    super(scope, id);
    const p = parseConstructProps(this, OtelCollectorPropsSchema, props);
    const { name, namespace: ns } = p;
    [this.name, this.namespace, this.podRegex] = [name, ns, deploymentPodRegex(name)];
    const w = workloadIdentity(this, { namespace: ns, name, image: p.image, component: 'telemetry-collector', partOf: p.partOf, labels: p.labels });
    [this.serviceLabels, this.labels] = [w.selector, w.labels];
    this.config = collectorConfig(p);
    const configText = stringify(this.config, { lineWidth: 0, aliasDuplicateObjects: false });
    this.configMap = createConfigMap(this, OtelCollectorIds.ConfigMap, w.meta('ConfigMap', `${name}-config`), { 'collector.yaml': configText });
    this.serviceAccount = createServiceAccount(this, OtelCollectorIds.ServiceAccount, w);
    const tls = p.traces.tls;
    this.deployment = setPrimary(this, createDeployment(this, OtelCollectorIds.Deployment, w, {
      replicas: p.replicas,
      strategy: { type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 },
      annotations: tls.insecure ? { 'cdk8s-agent-platform.dev/plaintext-export': tls.insecureReason! } : undefined,
      template: podTemplate({
        labels: w.labels,
        annotations: {
          [ANNOTATIONS.configChecksum]: configChecksum(configText),
          // The collector flushes its batch and export queue after SIGTERM.
          [ANNOTATIONS.drainSeconds]: '15',
          ...dependsOnAnnotation(dependencyEdges([p.traces.egress], ns)),
        },
        spec: this.podSpec(p, w),
      }),
    }));
    this.service = createService(this, OtelCollectorIds.Service, w, { ports: this.servicePortNames.map((n) => ({ name: n, port: OTEL_PORTS[n as keyof typeof OTEL_PORTS] })) });
    this.pdb = createPodDisruptionBudget(this, OtelCollectorIds.Pdb, w, { maxUnavailable: 1 });
    for (const peer of p.allowFrom) this.callers.push({ peer, port: OTEL_PORTS['otlp-grpc'] }, { peer, port: OTEL_PORTS['otlp-http'] });
    this.networkPolicy = createNetworkPolicy(this, OtelCollectorIds.NetworkPolicy, w, {
      // Callers are added by wireAgent() after construction, so the rules are built at synth.
      ingress: Lazy.any({
        produce: (): k8s.NetworkPolicyIngressRule[] => [...this.callerRules(), ingressRule([p.scrapedBy], [OTEL_PORTS.metrics, OTEL_PORTS['prom-export']], ns)],
      }) as unknown as k8s.NetworkPolicyIngressRule[],
      egress: [renderEgressRule(p.traces.egress, ns)],
    });
  }

  /** The collector pods: one hardened container reading the mounted config, spread over zones and hosts. */
  private podSpec(p: z.output<typeof OtelCollectorPropsSchema>, w: WorkloadIdentity): k8s.PodSpec {
    const resources = resolveResources(p.resources);
    // The Go runtime collects harder near GOMEMLIMIT: 80 % of the limit, the memory_limiter's ceiling.
    const goMemLimit = `${Math.floor(((parseQuantity(resources.limits.memory) ?? 0) * 0.8) / 2 ** 20)}MiB`;
    const volumes = new VolumeSet();
    volumes.add(configMapVolume('config', this.configMap.name, '/etc/otelcol', [{ key: 'collector.yaml', path: 'collector.yaml' }]));
    const ca = p.traces.tls.ca;
    if (ca) {
      volumes.add(
        'configMap' in ca
          ? configMapVolume('ca', ca.configMap.name, CA_DIR, [{ key: ca.configMap.key, path: ca.configMap.key }])
          : secretVolume('ca', ca.secret.name, CA_DIR, 0o444, [{ key: ca.secret.key, path: ca.secret.key }]),
      );
    }
    const container = hardenedContainer({
      name: this.container,
      image: p.image,
      args: ['--config=/etc/otelcol/collector.yaml'],
      env: [{ name: 'MY_POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }, envValue('GOMEMLIMIT', goMemLimit)],
      ports: (Object.keys(OTEL_PORTS) as (keyof typeof OTEL_PORTS)[]).map((n) => ({ name: n, containerPort: OTEL_PORTS[n] })),
      resources,
      // Readiness: the health_check extension reports the pipelines up;
      // liveness only needs the process to accept connections.
      readinessProbe: renderProbe({ path: '/', periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 }, 'health'),
      livenessProbe: renderProbe({ tcpPort: 'health', periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 }, 'health'),
      runAsUser: COLLECTOR_UID,
      runAsGroup: COLLECTOR_UID,
      volumeMounts: volumes.mounts,
    });
    return restrictedPodSpec({
      serviceAccountName: this.serviceAccount.name,
      terminationGracePeriodSeconds: 30,
      runAs: { runAsUser: COLLECTOR_UID },
      containers: [container],
      volumes: volumes.volumes,
      topologySpreadConstraints: spreadOverZonesAndHosts(w.selector),
    });
  }

  /** The OTLP endpoint URL agents use for `protocol` (`http://<service>.<namespace>.svc:<port>`). */
  public endpoint(protocol: z.input<typeof otlpProtocolSchema> = 'grpc'): string {
    const port = protocol === 'grpc' ? OTEL_PORTS['otlp-grpc'] : OTEL_PORTS['otlp-http'];
    return `http://${this.name}.${this.namespace}.svc:${port}`;
  }

  /**
   * Sends an agent's telemetry here: sets `OTEL_EXPORTER_OTLP_ENDPOINT`,
   * `OTEL_EXPORTER_OTLP_PROTOCOL` and `OTEL_RESOURCE_ATTRIBUTES` on its main
   * container, adds egress to the collector's OTLP port to its NetworkPolicy
   * (and the dependency annotation), and admits it on that port here.
   * Throws when the agent is already wired or sets those variables itself.
   */
  public wireAgent(agent: SecureAgentDeployment, options: WireAgentOptions = {}): void {
    const o = parseOptions(this, `wireAgent(${agent.node.path})`, wireAgentOptionsSchema, options);
    if (this.wired.has(agent)) throw new Error(`${this.node.path}: ${agent.node.path} is already wired to this collector`);
    this.wired.add(agent);
    const port = o.protocol === 'grpc' ? OTEL_PORTS['otlp-grpc'] : OTEL_PORTS['otlp-http'];
    const partOf = agent.labels['app.kubernetes.io/part-of'];
    const attributes: Record<string, string> = {
      'service.name': o.serviceName ?? agent.selectorLabels['app.kubernetes.io/name'] ?? agent.name,
      ...(agent.labels['app.kubernetes.io/version'] ? { 'service.version': agent.labels['app.kubernetes.io/version'] } : {}),
      ...(partOf ? { 'service.namespace': partOf } : {}),
      'deployment.environment.name': o.environment ?? agent.profile,
      'k8s.namespace.name': agent.namespace,
      'k8s.deployment.name': agent.name,
      ...o.resourceAttributes,
    };
    const endpoint = this.endpoint(o.protocol);
    agent.addEnv('OTEL_EXPORTER_OTLP_ENDPOINT', endpoint);
    agent.addEnv('OTEL_EXPORTER_OTLP_PROTOCOL', o.protocol);
    agent.addEnv('OTEL_RESOURCE_ATTRIBUTES', Object.entries(attributes).map(([k, v]) => `${k}=${encodeAttribute(v)}`).join(','));
    for (const name of o.endpointEnv) agent.addEnv(name, endpoint);
    agent.addEgress({
      description: `OpenTelemetry collector ${this.namespace}/${this.name}`,
      pods: { ...(this.namespace !== agent.namespace ? { namespace: this.namespace } : {}), podLabels: { ...this.serviceLabels } },
      ports: [{ port }],
    });
    this.callers.push({ peer: { namespace: agent.namespace, podLabels: { ...agent.selectorLabels } }, port });
  }

  private callerRules(): k8s.NetworkPolicyIngressRule[] {
    const byPeer = new Map<string, { peer: PodPeer; ports: Set<number> }>();
    for (const c of this.callers) {
      const key = JSON.stringify([c.peer.namespace ?? this.namespace, c.peer.podLabels]);
      const entry = byPeer.get(key) ?? { peer: c.peer, ports: new Set<number>() };
      entry.ports.add(c.port);
      byPeer.set(key, entry);
    }
    return [...byPeer.values()].map(({ peer, ports }) => ingressRule([peer], [...ports].sort((a, b) => a - b), this.namespace));
  }
}

/** Where the CA bundle of the trace backend is mounted. */
const CA_DIR = '/etc/otelcol/ca';

/** UID and GID of the collector (the contrib image's user). */
const COLLECTOR_UID = 10001;

/**
 * The collector configuration: OTLP receivers on the pod IP, the memory
 * limiter first and the batch last, redaction of secret-like attribute keys
 * and values, traces to the backend over OTLP, metrics to the Prometheus
 * exporter, and the health check.
 */
function collectorConfig(p: z.output<typeof OtelCollectorPropsSchema>): Record<string, unknown> {
  const tls = p.traces.tls;
  const caKey = tls.ca ? ('configMap' in tls.ca ? tls.ca.configMap.key : tls.ca.secret.key) : undefined;
  const listen = (port: number) => `\${env:MY_POD_IP}:${port}`;
  const processors = ['memory_limiter', 'attributes/redact', 'redaction', 'batch'];
  return {
    extensions: { health_check: { endpoint: listen(OTEL_PORTS.health) } },
    receivers: {
      otlp: { protocols: { grpc: { endpoint: listen(OTEL_PORTS['otlp-grpc']) }, http: { endpoint: listen(OTEL_PORTS['otlp-http']) } } },
    },
    processors: {
      // First: refuse data before the pod runs out of memory.
      memory_limiter: { check_interval: '1s', limit_percentage: 80, spike_limit_percentage: 25 },
      'attributes/redact': {
        actions: [...p.redactKeys.map((key) => ({ key, action: 'delete' })), { pattern: REDACTED_KEY_PATTERN, action: 'delete' }],
      },
      redaction: { allow_all_keys: true, blocked_values: [...REDACTED_VALUE_PATTERNS], summary: 'silent' },
      // Last: batch what survived.
      batch: { send_batch_size: 8192, timeout: '5s' },
    },
    exporters: {
      'otlp/traces': {
        endpoint: p.traces.endpoint,
        tls: tls.insecure
          ? { insecure: true }
          : { insecure: false, ...(caKey ? { ca_file: `${CA_DIR}/${caKey}` } : {}), ...(tls.serverName ? { server_name_override: tls.serverName } : {}) },
        sending_queue: { enabled: true, queue_size: 5000 },
        retry_on_failure: { enabled: true, max_elapsed_time: '300s' },
      },
      prometheus: { endpoint: listen(OTEL_PORTS['prom-export']), resource_to_telemetry_conversion: { enabled: true } },
    },
    service: {
      extensions: ['health_check'],
      telemetry: {
        logs: { level: 'info', encoding: 'json' },
        metrics: { level: 'normal', readers: [{ pull: { exporter: { prometheus: { host: '${env:MY_POD_IP}', port: OTEL_PORTS.metrics } } } }] },
      },
      pipelines: {
        traces: { receivers: ['otlp'], processors, exporters: ['otlp/traces'] },
        metrics: { receivers: ['otlp'], processors, exporters: ['prometheus'] },
      },
    },
  };
}

/** Options of {@link collectorAlerts}. */
export const collectorAlertsSchema = z.strictObject({
  /** Prefix of the alert names. @default 'OtelCollector' */
  alertPrefix: z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, { error: problem('is not an alert name prefix', 'use letters and digits, starting with a letter') }).default('OtelCollector'),
  /** Ratio of spans failing to export above which `<prefix>TraceExportErrors` fires (Talos). @default 0.01 */
  exportFailureRatio: openRatio.default(0.01),
  /** Names of the collector's own metrics (0.106 and later add the `_total` suffix). @default - the 0.115 names */
  metrics: z
    .strictObject({
      /** @default 'otelcol_exporter_send_failed_spans_total' */
      failedSpans: metricName.default('otelcol_exporter_send_failed_spans_total'),
      /** @default 'otelcol_exporter_sent_spans_total' */
      sentSpans: metricName.default('otelcol_exporter_sent_spans_total'),
      /** @default 'otelcol_receiver_refused_spans_total' */
      refusedSpans: metricName.default('otelcol_receiver_refused_spans_total'),
    })
    .prefault({}),
});

/** Names of the collector's own metrics. */
export interface CollectorMetricNames {
  /** Spans an exporter failed to send. @default 'otelcol_exporter_send_failed_spans_total' */
  readonly failedSpans?: string;
  /** Spans an exporter sent. @default 'otelcol_exporter_sent_spans_total' */
  readonly sentSpans?: string;
  /** Spans a receiver refused. @default 'otelcol_receiver_refused_spans_total' */
  readonly refusedSpans?: string;
}

/**
 * Options of {@link collectorAlerts}.
 * @see https://opentelemetry.io/docs/collector/internal-telemetry/
 */
export interface CollectorAlertsOptions {
  /** Prefix of the alert names. @default 'OtelCollector' */
  readonly alertPrefix?: string;
  /** Ratio of spans failing to export above which `<prefix>TraceExportErrors` fires. @default 0.01 */
  readonly exportFailureRatio?: number;
  /** Names of the collector's own metrics (0.106 and later add the `_total` suffix). @default - the 0.115 names */
  readonly metrics?: CollectorMetricNames;
}

true satisfies SchemaAgrees<typeof collectorAlertsSchema, CollectorAlertsOptions>;

/**
 * Alerts on a collector's own telemetry (its `metrics` port): spans failing
 * to export to the backend (`<prefix>TraceExportErrors`, the Talos guide's
 * "trace export errors alerted") and spans refused by the receivers, which
 * the memory limiter does under pressure (`<prefix>RefusingSpans`).
 */
export function collectorAlerts(collector: MetricsTarget, options: CollectorAlertsOptions = {}): AlertOptions[] {
  const o = collectorAlertsSchema.parse(options);
  const m = o.metrics;
  const sel: Matcher[] = [
    ['job', '=', collector.name],
    ['namespace', '=', collector.namespace],
  ];
  const sum = (metric: string) => `sum by (namespace, job) (rate(${selector(metric, sel)}[5m]))`;
  const req = (metric: string) => ({ metric, source: 'otel-collector' as const, job: collector.name, namespace: collector.namespace });
  return [
    {
      name: `${o.alertPrefix}TraceExportErrors`,
      expr: `${sum(m.failedSpans)}\n/\n(${sum(m.sentSpans)} + ${sum(m.failedSpans)})\n> ${num(o.exportFailureRatio)}`,
      for: '5m',
      severity: 'warning',
      summary: 'Collector {{ $labels.job }} in {{ $labels.namespace }} fails to export spans',
      description: `{{ $value | humanizePercentage }} of the spans collector {{ $labels.job }} tried to export over the last 5 minutes failed; the threshold is ${num(o.exportFailureRatio * 100)}%. Check the trace backend and the collector logs.`,
      requires: [req(m.failedSpans), req(m.sentSpans)],
    },
    {
      name: `${o.alertPrefix}RefusingSpans`,
      expr: `${sum(m.refusedSpans)} > 0`,
      for: '5m',
      severity: 'warning',
      summary: 'Collector {{ $labels.job }} in {{ $labels.namespace }} refuses spans',
      description: 'Collector {{ $labels.job }} has refused {{ $value | humanize }} spans per second for 5 minutes, usually because the memory limiter is at its ceiling; give it more memory or replicas.',
      requires: [req(m.refusedSpans)],
    },
  ];
}
