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
  hardenedContainer,
  ingressRule,
  intOrString,
  parseConstructProps,
  podTemplate,
  restrictedPodSpec,
  scratchVolume,
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

// D-SRK-06: the API reachable only from the declared clients.
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
  /** `http` (8181). */
  public readonly servedPorts: readonly ServedPort[] = [{ name: 'http', port: OPA_PORT }];
  /** `OPA_URL` for clients. */
  public readonly connection: IConnection;
  /** The Deployment (the default child). */
  public readonly deployment: k8s.KubeDeployment;
  /** The Service. */
  public readonly service: k8s.KubeService;
  /** The NetworkPolicy. */
  public readonly networkPolicy: k8s.KubeNetworkPolicy;
  private readonly callers: PodPeer[] = [];

  constructor(scope: Construct, id: string, props: OpaServerProps) {
    super(scope, id);
    const p = parseConstructProps(this, OpaServerPropsSchema, props);
    const replicas = p.replicas ?? (p.profile === 'dev' ? 1 : 2);
    [this.name, this.namespace] = [p.name, p.namespace];
    const w = workloadIdentity(this, { namespace: p.namespace, name: p.name, image: p.image, component: 'policy', partOf: p.partOf, labels: p.labels });
    this.peer = { namespace: p.namespace, podLabels: { ...w.selector } };
    const config = renderOpaConfig(p);
    const configMap = createConfigMap(this, OpaServerIds.ConfigMap, w.meta('ConfigMap'), { 'config.yaml': config });
    const sa = createServiceAccount(this, OpaServerIds.ServiceAccount, w);
    this.service = createService(this, OpaServerIds.Service, w, { ports: [{ name: 'http', port: OPA_PORT }, { name: 'diagnostics', port: OPA_DIAGNOSTIC_PORT }] });
    this.deployment = setPrimary(this, this.createDeployment(p, w, configMap.name, sa.name, replicas, configChecksum(config)));
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
      const target = { name: p.name, namespace: ns, serviceLabels: { ...w.selector }, servicePortNames: ['http', 'diagnostics'], metricsPort: { name: 'diagnostics', path: '/metrics' }, podRegex: `${p.name}-[a-z0-9]+-[a-z0-9]+`, container: 'opa' };
      new AgentServiceMonitor(this, OpaServerIds.ServiceMonitor, { target, release: p.monitoring.release, scrapedBy: p.monitoring.scrapedBy });
    }
    const url = `http://${p.name}.${ns}.svc.cluster.local:${OPA_PORT}`;
    this.connection = { host: `${p.name}.${ns}.svc.cluster.local`, port: OPA_PORT, env: (o = {}): Record<string, ConnectionEnvValue> => ({ [`${o.prefix ?? 'OPA_'}URL`]: url }) };
  }

  /** Admits `caller` to the API port. */
  public allowFrom(caller: PodPeer, ports?: readonly string[]): void {
    for (const n of ports ?? ['http']) if (n !== 'http') throw new Error(`${this.node.path}: OpaServer "${this.name}" serves no port "${n}"; use http`);
    this.callers.push(caller);
  }

  private createDeployment(p: OpaServerConfig, w: WorkloadIdentity, configMap: string, serviceAccountName: string, replicas: number, checksum: string): k8s.KubeDeployment {
    const v = new VolumeSet();
    v.add(configMapVolume('config', configMap, '/config'));
    if ('configMap' in p.policies) v.add(configMapVolume('policies', p.policies.configMap, '/policies'));
    v.add(scratchVolume('tmp', '/tmp', '64Mi'));
    const health = (path: string) => ({ httpGet: { path, port: intOrString('diagnostics') } });
    const container = hardenedContainer({
      name: 'opa',
      image: p.image,
      args: [
        'run',
        '--server',
        `--addr=0.0.0.0:${OPA_PORT}`,
        `--diagnostic-addr=0.0.0.0:${OPA_DIAGNOSTIC_PORT}`,
        '--config-file=/config/config.yaml',
        '--log-format=json',
        '--ignore=.*',
        ...('configMap' in p.policies ? ['/policies'] : []),
      ],
      ports: [
        { name: 'http', containerPort: OPA_PORT },
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
