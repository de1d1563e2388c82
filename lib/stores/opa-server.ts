import { Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { ANNOTATIONS } from '../internal/labels.js';
import type { k8s } from '../internal/plus.js';
import {
  anyMutableImage,
  configChecksum,
  configMapVolume,
  createConfigMap,
  createDeployment,
  createNetworkPolicy,
  createPodDisruptionBudget,
  createService,
  createServiceAccount,
  devProfileWaivers,
  egressRule,
  envFromSecret,
  hardenedContainer,
  ingressRule,
  intOrString,
  parseConstructProps,
  podTemplate,
  restrictedPodSpec,
  scratchVolume,
  secretVolume,
  setPrimary,
  spreadOverZonesAndHosts,
  VolumeSet,
  workloadIdentity,
  type WorkloadIdentity,
} from '../kit/index.js';
import type { PodPeer } from '../network/peers.js';
import type { ConnectionEnvValue, IConnection, IServingWorkload, ServedPort } from '../network/serving.js';
import { AgentServiceMonitor } from '../observability/service-monitor.js';
import { OpaServerPropsSchema, type OpaServerConfig, type OpaServerProps } from './opa-server-props.js';

/** Construct ids of the children: part of the API, since they name objects. */
export const OpaServerIds = {
  Deployment: 'Deployment',
  Service: 'Service',
  ConfigMap: 'ConfigMap',
  ServiceAccount: 'ServiceAccount',
  NetworkPolicy: 'NetworkPolicy',
  PodDisruptionBudget: 'PodDisruptionBudget',
  ServiceMonitor: 'ServiceMonitor',
} as const;

/** OPA's REST API port. */
export const OPA_PORT = 8181;
/** OPA's diagnostic port: health and metrics, never the API. */
export const OPA_DIAGNOSTIC_PORT = 8282;
const UID = 10001;
/** The variable of OPA's container holding the API token, read by the `system.authz` policy through `opa.runtime().env`. */
export const OPA_TOKEN_ENV = 'OPA_AUTHZ_TOKEN';
const TLS_DIR = '/tls';
const AUTHZ_FILE = 'authz.rego';
const RESOURCES = {
  requests: { cpu: '100m', memory: '256Mi', ephemeralStorage: '64Mi' },
  limits: { cpu: '1', memory: '1Gi', ephemeralStorage: '256Mi' },
} as const;

/** OPA's configuration file: the bundle service and bundle (when policies come from one), decision logs to the console. @see https://www.openpolicyagent.org/docs/latest/configuration/ */
export function renderOpaConfig(p: Pick<OpaServerConfig, 'name' | 'policies' | 'decisionLogs'>): string {
  const b = 'url' in p.policies ? p.policies : undefined;
  const config = {
    ...(b
      ? {
          services: { bundles: { url: b.url } },
          bundles: { [p.name]: { service: 'bundles', resource: b.resource, polling: { min_delay_seconds: b.minDelaySeconds, max_delay_seconds: b.maxDelaySeconds } } },
        }
      : {}),
    decision_logs: { console: p.decisionLogs },
    status: { console: true },
  };
  return stringify(config);
}

/**
 * The `system.authz` policy of {@link OpaServerAuth}: allow `GET /health`
 * (and `GET /metrics` when `metrics`) without a token, GET and POST of a
 * document under `/v1/data/` (not the root, not `system`) with the token of
 * the {@link OPA_TOKEN_ENV} variable, and nothing else.
 * @see https://www.openpolicyagent.org/docs/latest/security/#authentication-and-authorization
 */
export function renderOpaAuthzPolicy(options: { readonly metrics: boolean }): string {
  // The input OPA gives this policy (Security page, "Authentication and
  // Authorization"): method, path (the URL path after the leading "/", split
  // on "/": "/health" is ["health"], "/v1/data/sark/allow" is
  // ["v1", "data", "sark", "allow"]), and identity, the bearer token with
  // --authentication=token (undefined without one). OPA's authorizer passes
  // the runtime, so opa.runtime().env holds the container's environment.
  // The diagnostic listener is authorized by the same policy.
  const rules = [
    '# OPA\'s authorization of its own API (--authorization=basic), written by',
    '# cdk8s-agent-platform: probes and metrics need no token; decisions need',
    '# the token; nothing may write policies or data.',
    '# https://www.openpolicyagent.org/docs/latest/security/',
    'package system.authz',
    '',
    'import rego.v1',
    '',
    'default allow := false',
    '',
    '# The kubelet\'s probes.',
    'allow if {',
    '\tinput.method == "GET"',
    '\tinput.path == ["health"]',
    '}',
    '',
    ...(options.metrics ? ['# Prometheus (the diagnostic port).', 'allow if {', '\tinput.method == "GET"', '\tinput.path == ["metrics"]', '}', ''] : []),
    '# Decisions: GET or POST of a document under /v1/data/, with the token.',
    '# Not the whole tree, not OPA\'s own system tree; PUT, PATCH and DELETE,',
    '# /v1/policies, /v1/query and everything else stay denied.',
    'allow if {',
    '\tinput.method in {"GET", "POST"}',
    '\tcount(input.path) > 2',
    '\tinput.path[0] == "v1"',
    '\tinput.path[1] == "data"',
    '\tnot reserved[input.path[2]]',
    '\ttoken_valid',
    '}',
    '',
    'reserved := {"", "system"}',
    '',
    '# The token OPA was started with; an empty or missing one matches nothing.',
    'token_valid if {',
    `\ttoken := opa.runtime().env.${OPA_TOKEN_ENV}`,
    '\ttoken != ""',
    '\tinput.identity == token',
    '}',
  ];
  return `${rules.join('\n')}\n`;
}

// D-SRK-06: the API reachable only from the declared clients, with OPA's
// own token authorization and TLS when `auth` and `tls` are given.
/**
 * Open Policy Agent as a policy server (the SARK guide's OPA): a
 * Deployment of the static, non-root image with policies from a ConfigMap of
 * rego files or polled from a bundle server, decision logs to stdout,
 * readiness on `/health?bundles&plugins` (so no pod takes traffic before
 * its policies are loaded), the API (8181) reachable only from the declared
 * clients (health and metrics on a separate diagnostic port),
 * spread over zones and nodes, Pod Security "restricted", a PDB and a
 * ServiceMonitor of OPA's metrics.
 * @see https://www.openpolicyagent.org/docs/latest/deployments/
 */
export class OpaServer extends Construct implements IServingWorkload {
  /** Object name of the Deployment and Service. */
  public readonly name: string;
  /** Namespace. */
  public readonly namespace: string;
  /** The OPA pods. */
  public readonly peer: PodPeer;
  /** The API port (8181): `http`, or `https` with `tls`. */
  public readonly servedPorts: readonly ServedPort[];
  /** `OPA_URL` for clients; with `auth`, `OPA_TOKEN` (a Secret reference); with `tls`, an https URL and `OPA_TLS_CA_CERT` (a Secret reference). */
  public readonly connection: IConnection;
  /** With `tls`: the DNS names the certificate must cover (clients connect to the first). */
  public readonly tlsDnsNames?: readonly string[];
  /** The Deployment (the default child). */
  public readonly deployment: k8s.KubeDeployment;
  /** The Service. */
  public readonly service: k8s.KubeService;
  /** The NetworkPolicy. */
  public readonly networkPolicy: k8s.KubeNetworkPolicy;
  private readonly callers: PodPeer[] = [];
  private readonly apiPortName: string;

  constructor(scope: Construct, id: string, props: OpaServerProps) {
    super(scope, id);
    const p = parseConstructProps(this, OpaServerPropsSchema, props);
    const replicas = p.replicas ?? (p.profile === 'dev' ? 1 : 2);
    [this.name, this.namespace] = [p.name, p.namespace];
    this.apiPortName = p.tls ? 'https' : 'http';
    this.servedPorts = [{ name: this.apiPortName, port: OPA_PORT }];
    const w = workloadIdentity(this, { namespace: p.namespace, name: p.name, image: p.image, component: 'policy', partOf: p.partOf, labels: p.labels });
    this.peer = { namespace: p.namespace, podLabels: { ...w.selector } };
    const config = renderOpaConfig(p);
    const files = { 'config.yaml': config, ...(p.auth ? { [AUTHZ_FILE]: renderOpaAuthzPolicy({ metrics: p.monitoring !== false }) } : {}) };
    const configMap = createConfigMap(this, OpaServerIds.ConfigMap, w.meta('ConfigMap'), files);
    const sa = createServiceAccount(this, OpaServerIds.ServiceAccount, w);
    this.service = createService(this, OpaServerIds.Service, w, { ports: [{ name: this.apiPortName, port: OPA_PORT }, { name: 'diagnostics', port: OPA_DIAGNOSTIC_PORT }] });
    const checksum = configChecksum(Object.values(files).join('\n'));
    this.deployment = setPrimary(this, this.createDeployment(p, w, configMap.name, sa.name, replicas, checksum));
    if (replicas > 1) createPodDisruptionBudget(this, OpaServerIds.PodDisruptionBudget, w, { maxUnavailable: 1 });
    for (const c of p.clients) this.allowFrom(c);
    const ns = p.namespace;
    const scrape = p.monitoring !== false ? [ingressRule([p.monitoring.scrapedBy], [OPA_DIAGNOSTIC_PORT], ns)] : [];
    const b = 'url' in p.policies ? p.policies : undefined;
    this.networkPolicy = createNetworkPolicy(this, OpaServerIds.NetworkPolicy, w, {
      // Callers may be added with allowFrom() after construction, so the rules are built at synth.
      ingress: Lazy.any({ produce: () => [...this.callers.map((c) => ingressRule([c], [OPA_PORT], ns)), ...scrape] }) as unknown as k8s.NetworkPolicyIngressRule[],
      egress: b ? [egressRule(b.destination.pods ? { pods: b.destination.pods } : { cidr: b.destination.cidr!, except: [] }, [b.port], ns)] : [],
    });
    if (p.monitoring !== false) {
      const target = { name: p.name, namespace: ns, serviceLabels: { ...w.selector }, servicePortNames: [this.apiPortName, 'diagnostics'], metricsPort: { name: 'diagnostics', path: '/metrics' }, podRegex: `${p.name}-[a-z0-9]+-[a-z0-9]+`, container: 'opa' };
      new AgentServiceMonitor(this, OpaServerIds.ServiceMonitor, { target, release: p.monitoring.release, scrapedBy: p.monitoring.scrapedBy });
    }
    const host = `${p.name}.${ns}.svc.cluster.local`;
    if (p.tls) this.tlsDnsNames = [host, `${p.name}.${ns}.svc`];
    this.connection = { host, port: OPA_PORT, env: (o = {}) => opaClientEnv(o.prefix ?? 'OPA_', host, p) };
  }

  /** Admits `caller` to the API port. */
  public allowFrom(caller: PodPeer, ports?: readonly string[]): void {
    const api = this.apiPortName;
    for (const n of ports ?? [api]) if (n !== api) throw new Error(`${this.node.path}: OpaServer "${this.name}" serves no port "${n}"; use ${api}`);
    this.callers.push(caller);
  }

  private createDeployment(p: OpaServerConfig, w: WorkloadIdentity, configMap: string, serviceAccountName: string, replicas: number, checksum: string): k8s.KubeDeployment {
    const v = new VolumeSet();
    v.add(configMapVolume('config', configMap, '/config'));
    if ('configMap' in p.policies) v.add(configMapVolume('policies', p.policies.configMap, '/policies'));
    if (p.tls) v.add(secretVolume('tls', p.tls.secretName, TLS_DIR, 0o440, [{ key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }]));
    v.add(scratchVolume('tmp', '/tmp', '64Mi'));
    // With TLS the probes call the API port over HTTPS, so a pod whose
    // certificate cannot be loaded is never ready; without, the diagnostic port.
    const health = (path: string) => ({ httpGet: p.tls ? { path, port: intOrString(this.apiPortName), scheme: 'HTTPS' } : { path, port: intOrString('diagnostics') } });
    const container = hardenedContainer({
      name: 'opa',
      image: p.image,
      args: opaArgs(p),
      ...(p.auth ? { env: [envFromSecret(OPA_TOKEN_ENV, p.auth.tokenSecret)] } : {}),
      ports: [
        { name: this.apiPortName, containerPort: OPA_PORT },
        { name: 'diagnostics', containerPort: OPA_DIAGNOSTIC_PORT },
      ],
      resources: RESOURCES,
      livenessProbe: { ...health('/health'), periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
      // Ready only once every bundle is activated and every plugin is up.
      readinessProbe: { ...health('/health?bundles&plugins'), periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
      volumeMounts: v.mounts,
    });
    return createDeployment(this, OpaServerIds.Deployment, w, {
      replicas,
      strategy: { type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 },
      annotations: devProfileWaivers(p.profile, { singleReplica: replicas === 1, mutableImage: anyMutableImage([p.image]) }),
      template: podTemplate({
        labels: w.labels,
        annotations: { [ANNOTATIONS.configChecksum]: checksum, [ANNOTATIONS.drainSeconds]: '5' },
        spec: restrictedPodSpec({ serviceAccountName, runAs: { runAsUser: UID }, containers: [container], volumes: v.volumes, terminationGracePeriodSeconds: 30, topologySpreadConstraints: spreadOverZonesAndHosts(w.selector) }),
      }),
    });
  }
}

/**
 * `opa run`'s arguments. Flags from OPA's Security page: `--authentication`,
 * `--authorization`, `--tls-cert-file`, `--tls-private-key-file`,
 * `--tls-cert-refresh-period`; an address with a scheme chooses HTTPS or
 * HTTP per listener (the page's example mixes both).
 * @see https://www.openpolicyagent.org/docs/latest/security/
 */
function opaArgs(p: OpaServerConfig): string[] {
  const tls = p.tls ? ['https://', 'http://'] : ['', ''];
  return [
    'run',
    '--server',
    `--addr=${tls[0]}0.0.0.0:${OPA_PORT}`,
    // Metrics stay plain HTTP: Prometheus alone reaches this port.
    `--diagnostic-addr=${tls[1]}0.0.0.0:${OPA_DIAGNOSTIC_PORT}`,
    '--config-file=/config/config.yaml',
    '--log-format=json',
    ...(p.tls ? [`--tls-cert-file=${TLS_DIR}/tls.crt`, `--tls-private-key-file=${TLS_DIR}/tls.key`, '--tls-cert-refresh-period=5m'] : []),
    // The token is never an argument: OPA reads it from its environment.
    ...(p.auth ? ['--authentication=token', '--authorization=basic'] : []),
    '--ignore=.*',
    ...(p.auth ? [`/config/${AUTHZ_FILE}`] : []),
    ...('configMap' in p.policies ? ['/policies'] : []),
  ];
}

/** A client's environment: the URL, and the token and CA bundle as Secret references. */
function opaClientEnv(prefix: string, host: string, p: OpaServerConfig): Record<string, ConnectionEnvValue> {
  return {
    [`${prefix}URL`]: `${p.tls ? 'https' : 'http'}://${host}:${OPA_PORT}`,
    ...(p.auth ? { [`${prefix}TOKEN`]: { fromSecret: { ...p.auth.tokenSecret } } } : {}),
    ...(p.tls ? { [`${prefix}TLS_CA_CERT`]: { fromSecret: { name: p.tls.caSecretName ?? p.tls.secretName, key: p.tls.caKey } } } : {}),
  };
}
