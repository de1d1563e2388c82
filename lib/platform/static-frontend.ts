import { JsonPatch } from 'cdk8s';
import { Construct } from 'constructs';
import { PROFILE_DEFAULTS } from '../core/profile.js';
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
  hardenedContainer,
  ingressRule,
  parseConstructProps,
  podTemplate,
  renderProbe,
  restrictedPodSpec,
  scratchVolume,
  setPrimary,
  spreadOverZonesAndHosts,
  VolumeSet,
  workloadIdentity,
  type WorkloadIdentity,
} from '../kit/index.js';
import { resolveIngressSource, type PodPeer } from '../network/peers.js';
import type { IServingWorkload, ServedPort } from '../network/serving.js';
import { resolveResources } from '../workload/container.js';
import { renderNginxConf, renderRuntimeConfig } from './nginx-conf.js';
import { StaticFrontendPropsSchema, type StaticFrontendConfig, type StaticFrontendProps } from './static-frontend-props.js';

/** Construct ids of the children: part of the API, since they name objects. */
export const StaticFrontendIds = {
  ConfigMap: 'ConfigMap',
  Deployment: 'Deployment',
  Service: 'Service',
  ServiceAccount: 'ServiceAccount',
  Pdb: 'Pdb',
  NetworkPolicy: 'NetworkPolicy',
} as const;

/** Where the construct's configuration is mounted in the pod. */
export const STATIC_FRONTEND_CONFIG_DIR = '/etc/nginx/frontend';

const LIVENESS_PATH = '/healthz';
const READINESS_PATH = '/readyz';

/**
 * A static web UI (a built single-page app) served by unprivileged nginx:
 * Pod Security `restricted` (non-root, read-only root filesystem, every
 * capability dropped, nginx on port 8080 with its pid and temp files on an
 * emptyDir), the construct's own `nginx.conf` (health endpoints, security
 * headers, SPA fallback, uncached `index.html`), runtime configuration served
 * at `/config.js` instead of build-time variables, a Service, a PDB and a
 * NetworkPolicy admitting only the ingress controller. It serves callers as
 * an {@link IServingWorkload}.
 *
 * @see https://hub.docker.com/r/nginxinc/nginx-unprivileged
 */
export class StaticFrontend extends Construct implements IServingWorkload {
  public readonly name: string;
  public readonly namespace: string;
  public readonly peer: PodPeer;
  public readonly servedPorts: readonly ServedPort[];
  /** The rendered `nginx.conf`. */
  public readonly nginxConf: string;
  /** The ConfigMap holding `nginx.conf` (and `config.js`). */
  public readonly configMap: k8s.KubeConfigMap;
  /** The Deployment (the default child). */
  public readonly deployment: k8s.KubeDeployment;
  /** The ClusterIP Service. */
  public readonly service: k8s.KubeService;
  /** The dedicated ServiceAccount (no API token). */
  public readonly serviceAccount: k8s.KubeServiceAccount;
  /** The PodDisruptionBudget, when more than one replica runs. */
  public readonly pdb?: k8s.KubePodDisruptionBudget;
  /** The NetworkPolicy: ingress from the ingress controller (and callers added by {@link allowFrom}), no egress. */
  public readonly networkPolicy: k8s.KubeNetworkPolicy;
  /** The replica count. */
  public readonly replicas: number;
  private readonly props: StaticFrontendConfig;

  constructor(scope: Construct, id: string, props: StaticFrontendProps) {
    super(scope, id);
    const p = parseConstructProps(this, StaticFrontendPropsSchema, props);
    this.props = p;
    const w = workloadIdentity(this, { namespace: p.namespace, name: p.name, image: p.image, component: 'frontend', partOf: p.partOf, labels: p.labels });
    [this.name, this.namespace, this.peer] = [p.name, p.namespace, { namespace: p.namespace, podLabels: { ...w.selector } }];
    this.servedPorts = [{ name: 'http', port: p.servicePort, targetPort: p.port }];
    this.replicas = p.replicas ?? PROFILE_DEFAULTS[p.profile].replicas;
    const files = frontendFiles(p);
    this.nginxConf = files['nginx.conf']!;
    this.configMap = createConfigMap(this, StaticFrontendIds.ConfigMap, w.meta('ConfigMap', `${p.name}-nginx`), files);
    this.deployment = setPrimary(this, this.createDeployment(w, configChecksum(Object.values(files).join('\0'))));
    this.service = createService(this, StaticFrontendIds.Service, w, { ports: [{ name: 'http', port: p.servicePort }] });
    this.serviceAccount = createServiceAccount(this, StaticFrontendIds.ServiceAccount, w);
    if (this.replicas > 1) this.pdb = createPodDisruptionBudget(this, StaticFrontendIds.Pdb, w, { maxUnavailable: 1 });
    this.networkPolicy = createNetworkPolicy(this, StaticFrontendIds.NetworkPolicy, w, {
      ingress: [ingressRule([resolveIngressSource(p.ingressFrom)], [p.port], p.namespace)],
      egress: [],
    });
  }

  /** Admits `caller` to the UI's port (an ingress rule on its NetworkPolicy). */
  public allowFrom(caller: PodPeer, ports?: readonly string[]): void {
    for (const port of ports ?? []) {
      if (port !== 'http') throw new Error(`${this.node.path}: allowFrom names port "${port}", which ${this.name} does not serve; use http`);
    }
    this.networkPolicy.addJsonPatch(JsonPatch.add('/spec/ingress/-', ingressRule([caller], [this.props.port], this.namespace)));
  }

  private createDeployment(w: WorkloadIdentity, checksum: string): k8s.KubeDeployment {
    const p = this.props;
    const volumes = new VolumeSet();
    volumes.add(configMapVolume('config', `${p.name}-nginx`, STATIC_FRONTEND_CONFIG_DIR));
    volumes.add(scratchVolume('tmp', '/tmp', '64Mi'));
    const probe = (path: string, periodSeconds: number) => renderProbe({ path, periodSeconds, timeoutSeconds: 2, failureThreshold: 3 }, 'http');
    const container = hardenedContainer({
      name: p.name,
      image: p.image,
      // The image's entrypoint scripts rewrite files under /etc/nginx, which
      // the read-only root filesystem forbids: nginx starts directly.
      command: ['nginx', '-e', 'stderr', '-c', `${STATIC_FRONTEND_CONFIG_DIR}/nginx.conf`],
      ports: [{ name: 'http', containerPort: p.port }],
      resources: resolveResources(p.resources),
      livenessProbe: probe(LIVENESS_PATH, 10),
      readinessProbe: probe(READINESS_PATH, 5),
      volumeMounts: volumes.mounts,
      lifecycle: { preStop: { exec: { command: ['/bin/sleep', String(p.preStopSleepSeconds)] } } },
    });
    return createDeployment(this, StaticFrontendIds.Deployment, w, {
      replicas: this.replicas,
      strategy: { type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 },
      annotations: devProfileWaivers(p.profile, { singleReplica: this.replicas === 1, mutableImage: anyMutableImage([p.image]) }),
      template: podTemplate({
        labels: w.labels,
        annotations: { 'checksum/config': checksum },
        spec: restrictedPodSpec({
          serviceAccountName: p.name,
          // nginx stops at once on SIGTERM; requests for static files are short.
          terminationGracePeriodSeconds: p.preStopSleepSeconds + 10,
          runAs: { runAsUser: p.runAsUser },
          imagePullSecrets: p.imagePullSecrets,
          containers: [container],
          volumes: volumes.volumes,
          topologySpreadConstraints: spreadOverZonesAndHosts(w.selector),
        }),
      }),
    });
  }
}

/** The ConfigMap's files: `nginx.conf`, and `config.js` when there is runtime configuration. */
export function frontendFiles(p: StaticFrontendConfig): Record<string, string> {
  const nginx = renderNginxConf({
    port: p.port,
    root: p.root,
    tmpDir: '/tmp',
    mimeTypes: '/etc/nginx/mime.types',
    spa: p.spa,
    runtimeConfigFile: p.runtimeConfig ? `${STATIC_FRONTEND_CONFIG_DIR}/config.js` : undefined,
    contentSecurityPolicy: p.contentSecurityPolicy,
    livenessPath: LIVENESS_PATH,
    readinessPath: READINESS_PATH,
  });
  return { 'nginx.conf': nginx, ...(p.runtimeConfig ? { 'config.js': renderRuntimeConfig(p.runtimeConfigGlobal, p.runtimeConfig) } : {}) };
}
