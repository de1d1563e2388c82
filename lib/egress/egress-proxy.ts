import { Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { ANNOTATIONS } from '../internal/labels.js';
import type { k8s } from '../internal/plus.js';
import {
  configChecksum,
  configMapVolume,
  createConfigMap,
  createDeployment,
  createNetworkPolicy,
  createPodDisruptionBudget,
  createService,
  createServiceAccount,
  hardenedContainer,
  ingressRule,
  parseConstructProps,
  podTemplate,
  waiverAnnotations,
  renderProbe,
  restrictedPodSpec,
  scratchVolume,
  setPrimary,
  spreadOverZonesAndHosts,
  VolumeSet,
  workloadIdentity,
  type WorkloadIdentity,
} from '../kit/index.js';
import { renderEgressRule, egressRuleSchema, type PodPeer } from '../network/peers.js';
import { publicEgress } from './baseline.js';
import { EgressProxyPropsSchema, type EgressProxyProps, type IDomainEgressClient } from './domain-egress-props.js';
import type { DomainEgressRule } from './domains.js';
import { squidConfig } from './squid.js';

/** Construct ids of the children: part of the API, since they name objects. */
export const EgressProxyIds = {
  ConfigMap: 'ConfigMap',
  ServiceAccount: 'ServiceAccount',
  Deployment: 'Deployment',
  Service: 'Service',
  Pdb: 'Pdb',
  NetworkPolicy: 'NetworkPolicy',
} as const;

/**
 * Squid serves no health endpoint without opening its cache manager to the
 * probes' source addresses, so both probes check that the proxy port
 * accepts connections; that check depends on nothing outside the pod, which
 * is what PRB-03 guards against.
 */
export const PROBE_WAIVER_REASON = 'Squid has no health endpoint; readiness and liveness both check the proxy port, which depends on nothing outside the pod';

/** Where the generated squid.conf is mounted. */
const CONFIG_DIR = '/etc/squid-egress';

/** In-cluster destinations the agents reach directly, never through the proxy. */
export const NO_PROXY = 'localhost,127.0.0.1,.svc,.svc.cluster.local,.cluster.local';

/**
 * An egress proxy: Squid as a CONNECT-only forward proxy holding the domain
 * allow-list of the agents that use it ({@link EgressProxy.addClient}). Only
 * the proxy's pods may reach public addresses (never the metadata, private,
 * link-local or ULA ranges), on the allow-listed ports; agents reach the
 * proxy only, through `HTTPS_PROXY`. Agents sharing a proxy share its
 * allow-list: give agents whose lists must stay apart a proxy each.
 *
 * Two or more replicas, Pod Security `restricted` (non-root, read-only root
 * filesystem: Squid keeps no cache and logs to stdout), a
 * PodDisruptionBudget, and a config checksum that rolls the pods when the
 * list changes.
 * @see https://www.squid-cache.org/Doc/config/
 */
export class EgressProxy extends Construct {
  /** Object name (Deployment, Service). */
  public readonly name: string;
  /** Namespace. */
  public readonly namespace: string;
  /** Port agents connect to. */
  public readonly port: number;
  /** The `HTTPS_PROXY` URL agents get. */
  public readonly url: string;
  /** The proxy pods, as a NetworkPolicy peer. */
  public readonly peer: PodPeer;
  /** The ConfigMap holding `squid.conf`. */
  public readonly configMap: k8s.KubeConfigMap;
  /** The ServiceAccount (no API access, no token). */
  public readonly serviceAccount: k8s.KubeServiceAccount;
  /** The Deployment (the default child). */
  public readonly deployment: k8s.KubeDeployment;
  /** The ClusterIP Service. */
  public readonly service: k8s.KubeService;
  /** The PodDisruptionBudget. */
  public readonly pdb: k8s.KubePodDisruptionBudget;
  /** The NetworkPolicy of the proxy pods. */
  public readonly networkPolicy: k8s.KubeNetworkPolicy;
  private readonly rules: DomainEgressRule[] = [];
  private readonly clients: PodPeer[] = [];

  constructor(scope: Construct, id: string, props: EgressProxyProps) {
    super(scope, id);
    const p = parseConstructProps(this, EgressProxyPropsSchema, props);
    [this.name, this.namespace, this.port] = [p.name, p.namespace, p.port];
    this.url = `http://${p.name}.${p.namespace}.svc.cluster.local:${p.port}`;
    const w = workloadIdentity(this, { namespace: p.namespace, name: p.name, image: p.image, component: 'egress-proxy', partOf: p.partOf, labels: p.labels });
    this.peer = { namespace: p.namespace, podLabels: { ...w.selector } };
    const config = Lazy.any({ produce: () => this.config() }) as unknown as string;
    this.configMap = createConfigMap(this, EgressProxyIds.ConfigMap, w.meta('ConfigMap', `${p.name}-config`), { 'squid.conf': config });
    this.serviceAccount = createServiceAccount(this, EgressProxyIds.ServiceAccount, w);
    this.deployment = setPrimary(
      this,
      createDeployment(this, EgressProxyIds.Deployment, w, {
        replicas: p.replicas,
        strategy: { type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 },
        annotations: waiverAnnotations(['PRB-03'], PROBE_WAIVER_REASON),
        template: podTemplate({
          labels: w.labels,
          annotations: {
            [ANNOTATIONS.configChecksum]: Lazy.any({ produce: () => configChecksum(this.config()) }) as unknown as string,
            // Squid closes client connections within shutdown_lifetime.
            [ANNOTATIONS.drainSeconds]: '5',
          },
          spec: this.podSpec(p.image, p.runAsUser, w),
        }),
      }),
    );
    this.service = createService(this, EgressProxyIds.Service, w, { ports: [{ name: 'proxy', port: p.port }] });
    this.pdb = createPodDisruptionBudget(this, EgressProxyIds.Pdb, w, { maxUnavailable: 1 });
    this.networkPolicy = createNetworkPolicy(this, EgressProxyIds.NetworkPolicy, w, {
      ingress: Lazy.any({ produce: () => (this.clients.length > 0 ? [ingressRule(this.clients, [p.port], p.namespace)] : []) }) as unknown as k8s.NetworkPolicyIngressRule[],
      egress: Lazy.any({ produce: () => this.egressRules() }) as unknown as k8s.NetworkPolicyEgressRule[],
    });
  }

  /** The Squid pods: one hardened container reading the mounted squid.conf. */
  private podSpec(image: string, uid: number, w: WorkloadIdentity): k8s.PodSpec {
    const volumes = new VolumeSet();
    volumes.add(configMapVolume('config', this.configMap.name, CONFIG_DIR, [{ key: 'squid.conf', path: 'squid.conf' }]));
    volumes.add(scratchVolume('tmp', '/tmp', '64Mi'));
    volumes.add(scratchVolume('run', '/var/run/squid', '1Mi'));
    volumes.add(scratchVolume('spool', '/var/spool/squid', '16Mi'));
    const container = hardenedContainer({
      name: 'squid',
      image,
      command: ['/usr/sbin/squid', '-N', '-f', `${CONFIG_DIR}/squid.conf`],
      ports: [{ name: 'proxy', containerPort: this.port }],
      resources: {
        requests: { cpu: '100m', memory: '128Mi', ephemeralStorage: '64Mi' },
        limits: { cpu: '500m', memory: '512Mi', ephemeralStorage: '256Mi' },
      },
      readinessProbe: renderProbe({ tcpPort: 'proxy', periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 }, 'proxy'),
      livenessProbe: renderProbe({ tcpPort: 'proxy', periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 }, 'proxy'),
      runAsUser: uid,
      runAsGroup: uid,
      volumeMounts: volumes.mounts,
    });
    return restrictedPodSpec({
      serviceAccountName: this.serviceAccount.name,
      terminationGracePeriodSeconds: 15,
      runAs: { runAsUser: uid },
      containers: [container],
      volumes: volumes.volumes,
      topologySpreadConstraints: spreadOverZonesAndHosts(w.selector),
    });
  }

  /** The squid.conf for the allow-lists of every client so far. */
  public config(): string {
    return squidConfig({ port: this.port, rules: this.rules });
  }

  /** Public egress on the union of the clients' ports, plus nothing when there are none. */
  private egressRules(): k8s.NetworkPolicyEgressRule[] {
    const ports = [...new Set(this.rules.flatMap((r) => r.ports))].sort((a, b) => a - b);
    if (ports.length === 0) return [];
    return publicEgress(ports, 'allow-listed domains').map((r) => renderEgressRule(egressRuleSchema.parse(r), this.namespace));
  }

  /**
   * Lets `client` reach `rules` through the proxy: the rules join the
   * allow-list, the client gets `HTTPS_PROXY` / `NO_PROXY` (in-cluster names
   * go direct) and egress to the proxy, and the proxy admits it.
   */
  public addClient(client: IDomainEgressClient, rules: readonly DomainEgressRule[]): void {
    this.rules.push(...rules);
    this.clients.push({ namespace: client.namespace, podLabels: { ...client.selectorLabels } });
    client.addEnv('HTTPS_PROXY', this.url);
    client.addEnv('NO_PROXY', NO_PROXY);
    // By app name alone, the label the depends-on edge names, so the
    // verification can match the rule to the proxy from the agent's chart.
    const pods = { ...(this.namespace !== client.namespace ? { namespace: this.namespace } : {}), podLabels: { 'app.kubernetes.io/name': this.peer.podLabels['app.kubernetes.io/name']! } };
    client.addEgress({ description: `egress proxy ${this.namespace}/${this.name}`, pods, ports: [{ port: this.port }] });
  }
}
