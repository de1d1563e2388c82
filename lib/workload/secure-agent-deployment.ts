import { JsonPatch, type ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { z } from 'zod';
import { PROFILE_DEFAULTS, type Profile } from '../core/profile.js';
import { claimExposure, renderHttpRoute, renderIngress, type Exposure } from '../exposure/exposure.js';
import { ANNOTATIONS } from '../internal/labels.js';
import { claimName } from '../internal/names.js';
import type { k8s } from '../internal/plus.js';
import { parseProps } from '../internal/props.js';
import { ReportedError } from '../internal/reported-error.js';
import {
  anyMutableImage,
  createConfigMap,
  createDeployment,
  createHorizontalPodAutoscaler,
  createNetworkPolicy,
  createPersistentVolumeClaim,
  createPodDisruptionBudget,
  createReadRole,
  createService,
  createServiceAccount,
  dependencyEdges,
  devProfileWaivers,
  grantsAccess,
  ingressRule,
  parseConstructProps,
  podTemplate,
  renderEnv,
  restrictedPodSpec,
  setPrimary,
  spreadOverZonesAndHosts,
  workloadIdentity,
  type DisruptionBudget,
  type WorkloadIdentity,
} from '../kit/index.js';
import { API_ACCESS_LABEL } from '../namespace/agent-namespace.js';
import { egressRuleSchema, renderEgressRule } from '../network/peers.js';
import {
  agentIngressPeers,
  agentPodAnnotations,
  agentPorts,
  agentRunAs,
  agentVolumes,
  configFilesChecksum,
  extraContainer,
  gracePeriod,
  ingressSource,
  mainContainer,
  shutdownEnv,
  type AgentPorts,
  type MetricsPort,
} from './agent-pod.js';
import { envSchema, type envValueSchema, type ExtraContainerOptions } from './container.js';
import {
  resolveAutoscaling,
  SecureAgentDeploymentPropsSchema,
  type SecureAgentDeploymentConfig,
  type SecureAgentDeploymentProps,
} from './secure-agent-deployment-props.js';

export { SHUTDOWN_ENV } from './agent-pod.js';

/** The autoscaling in force: the HPA's options, or false for a static replica count. */
type Autoscaling = ReturnType<typeof resolveAutoscaling>;

/** Construct ids of the children: part of the API, since they name objects. */
export const SecureAgentDeploymentIds = {
  Deployment: 'Deployment',
  Service: 'Service',
  ServiceAccount: 'ServiceAccount',
  Role: 'Role',
  RoleBinding: 'RoleBinding',
  Hpa: 'Hpa',
  Pdb: 'Pdb',
  NetworkPolicy: 'NetworkPolicy',
  ConfigMap: 'ConfigMap',
  Pvc: 'Pvc',
  Ingress: 'Ingress',
  HttpRoute: 'HttpRoute',
} as const;

/**
 * One agent workload, complete and secure by default: a Deployment whose pods
 * meet Pod Security `restricted`, its Service, a dedicated ServiceAccount with
 * least-privilege RBAC, an HPA, a PDB that never blocks drains, a
 * NetworkPolicy with ANDed peers, and optional exposure through an Ingress or
 * a Gateway API HTTPRoute.
 *
 * Every child is a public, typed L1 object; `child.addJsonPatch(...)`
 * (cdk8s `JsonPatch`) is the escape hatch for anything the props don't cover.
 *
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/deployment/
 */
export class SecureAgentDeployment extends Construct {
  /** Object name of the Deployment and Service. */
  public readonly name: string;
  /** Namespace. */
  public readonly namespace: string;
  /** The profile the workload was built for. */
  public readonly profile: Profile;
  /** Labels the pods are selected by (`app.kubernetes.io/name` + `instance`). */
  public readonly selectorLabels: Readonly<Record<string, string>>;
  /** Recommended labels on every object. */
  public readonly labels: Readonly<Record<string, string>>;
  /** How the workload is exposed, with defaults applied; undefined when it is not. */
  public readonly exposure?: Exposure;
  /** The Deployment (the default child, so `ApiObject.of(agent)` reaches it). */
  public readonly deployment: k8s.KubeDeployment;
  /** The ClusterIP Service. */
  public readonly service: k8s.KubeService;
  /** The dedicated ServiceAccount (absent when `serviceAccountName` brings one). */
  public readonly serviceAccount?: k8s.KubeServiceAccount;
  /** Name of the pods' ServiceAccount: the dedicated one, or the one `serviceAccountName` brings (access policies name it). */
  public readonly serviceAccountName: string;
  /** The Role (only when `rbac` grants something). */
  public readonly role?: k8s.KubeRole;
  /** The RoleBinding (with `role`). */
  public readonly roleBinding?: k8s.KubeRoleBinding;
  /** The HorizontalPodAutoscaler (when autoscaling is on). */
  public readonly hpa?: k8s.KubeHorizontalPodAutoscalerV2;
  /** The PodDisruptionBudget (when on). */
  public readonly pdb?: k8s.KubePodDisruptionBudget;
  /** The NetworkPolicy of the pods. */
  public readonly networkPolicy: k8s.KubeNetworkPolicy;
  /** The ConfigMap holding `configFiles`. */
  public readonly configMap?: k8s.KubeConfigMap;
  /** The PersistentVolumeClaim. */
  public readonly persistentVolumeClaim?: k8s.KubePersistentVolumeClaim;
  /** The Ingress, with `exposure.type: 'ingress'`. */
  public readonly ingress?: k8s.KubeIngress;
  /** The Ingress answering 403 for the metrics path, when metrics share the app port. */
  public readonly blockedPathsIngress?: k8s.KubeIngress;
  /** The HTTPRoute, with `exposure.type: 'httpRoute'`. */
  public readonly httpRoute?: ApiObject;
  /** The Service port of `http`. */
  public readonly servicePort: number;
  /** The metrics port (name `metrics`, or `http` when shared), and its path; undefined without metrics. */
  public readonly metricsPort?: MetricsPort;
  private readonly props: SecureAgentDeploymentConfig;
  private readonly addedEnv = new Set<string>();
  private readonly addedDependsOn: string[] = [];

  constructor(scope: Construct, id: string, props: SecureAgentDeploymentProps) {
    super(scope, id);
    const p = parseConstructProps(this, SecureAgentDeploymentPropsSchema, props);
    this.props = p;
    this.claimShutdownEnv();
    const w = workloadIdentity(this, { namespace: p.namespace, name: p.name, appName: p.appName, version: p.version, image: p.image, component: p.component, partOf: p.partOf, labels: p.labels });
    [this.name, this.namespace, this.profile, this.exposure] = [p.name, p.namespace, p.profile, p.exposure];
    this.serviceAccountName = p.serviceAccountName ?? p.name;
    [this.selectorLabels, this.labels] = [w.selector, w.labels];
    const ports = agentPorts(p);
    [this.metricsPort, this.servicePort] = [ports.metrics, p.service.port];

    const config = p.configFiles ? configFilesChecksum(p.configFiles.files) : undefined;
    if (p.configFiles && config) {
      this.configMap = createConfigMap(this, SecureAgentDeploymentIds.ConfigMap, w.meta('ConfigMap', p.configFiles.configMapName ?? `${p.name}-config`), config.files);
    }
    const pv = p.persistentVolume;
    if (pv) {
      this.persistentVolumeClaim = createPersistentVolumeClaim(this, SecureAgentDeploymentIds.Pvc, w, { name: pv.claimName ?? `${p.name}-data`, ...pv });
    }
    const autoscaling = resolveAutoscaling(p);
    this.deployment = setPrimary(this, this.createDeployment(w, ports, autoscaling, config?.checksum));
    this.service = createService(this, SecureAgentDeploymentIds.Service, w, {
      ports: ports.service,
      sessionAffinity: p.service.sessionAffinity,
      sessionAffinityTimeoutSeconds: p.service.sessionAffinityTimeoutSeconds,
    });
    if (!p.serviceAccountName) this.serviceAccount = createServiceAccount(this, SecureAgentDeploymentIds.ServiceAccount, w);
    if (grantsAccess(p.rbac)) {
      const ids = { role: SecureAgentDeploymentIds.Role, binding: SecureAgentDeploymentIds.RoleBinding };
      ({ role: this.role, roleBinding: this.roleBinding } = createReadRole(this, ids, w, p.rbac, p.serviceAccountName ?? p.name));
    }
    if (autoscaling) {
      this.hpa = createHorizontalPodAutoscaler(this, SecureAgentDeploymentIds.Hpa, w, { apiVersion: 'apps/v1', kind: 'Deployment', name: p.name }, autoscaling);
    }
    const budget = this.disruptionBudget(autoscaling);
    if (budget) this.pdb = createPodDisruptionBudget(this, SecureAgentDeploymentIds.Pdb, w, budget);
    this.networkPolicy = createNetworkPolicy(this, SecureAgentDeploymentIds.NetworkPolicy, w, {
      ingress: agentIngressPeers(p).map((rule) => ingressRule(rule.peers, [rule.port], p.namespace)),
      egress: p.egress.map((rule) => renderEgressRule(rule, p.namespace)),
    });
    [this.ingress, this.blockedPathsIngress, this.httpRoute] = this.expose(w, ports);
  }

  private createDeployment(w: WorkloadIdentity, ports: AgentPorts, autoscaling: Autoscaling, checksum: string | undefined): k8s.KubeDeployment {
    const p = this.props;
    const replicas = autoscaling ? undefined : (p.replicas ?? PROFILE_DEFAULTS[p.profile].replicas);
    const volumes = agentVolumes(p, this.configMap?.name, this.persistentVolumeClaim?.name);
    const runAs = agentRunAs(p);
    const spec = restrictedPodSpec({
      serviceAccountName: p.serviceAccountName ?? p.name,
      automountServiceAccountToken: grantsAccess(p.rbac),
      terminationGracePeriodSeconds: gracePeriod(p),
      runAs,
      imagePullSecrets: p.imagePullSecrets,
      initContainers: p.initContainers.map((c) => extraContainer(c, runAs)),
      containers: [mainContainer(p, ports, volumes.mounts), ...p.sidecars.map((c) => extraContainer(c, runAs))],
      volumes: volumes.volumes,
      topologySpreadConstraints: p.topologySpread ? spreadOverZonesAndHosts(w.selector) : undefined,
      nodeSelector: p.nodeSelector,
      tolerations: p.tolerations,
      priorityClassName: p.priorityClassName,
      runtimeClassName: p.sandbox?.runtimeClassName,
    });
    const edge = ingressSource(p);
    const images = [p.image, ...p.initContainers.map((c) => c.image), ...p.sidecars.map((c) => c.image)];
    // A ReadWriteOnce volume cannot be attached by a surge pod, so the only
    // safe strategy for it is Recreate (AVL-10).
    const rwo = p.persistentVolume !== undefined && p.persistentVolume.accessMode !== 'ReadWriteMany';
    return createDeployment(this, SecureAgentDeploymentIds.Deployment, w, {
      replicas,
      strategy: rwo ? { type: 'Recreate' } : { type: 'RollingUpdate', ...p.rollingUpdate },
      annotations: {
        ...(edge?.namespace ? { [ANNOTATIONS.ingressFrom]: edge.namespace } : {}),
        ...devProfileWaivers(p.profile, { singleReplica: replicas === 1, mutableImage: anyMutableImage(images) }),
      },
      template: podTemplate({
        labels: { ...w.labels, ...(grantsAccess(p.rbac) ? { [API_ACCESS_LABEL]: 'true' } : {}) },
        annotations: agentPodAnnotations(p, ports.metrics, checksum),
        spec,
      }),
    });
  }

  /**
   * The PodDisruptionBudget: the one given, else `maxUnavailable: 1` in
   * every profile as soon as more than one pod may run (a single pod gains
   * nothing from a budget).
   */
  private disruptionBudget(autoscaling: Autoscaling): DisruptionBudget | undefined {
    const p = this.props;
    if (p.pdb !== undefined) return p.pdb === false ? undefined : p.pdb;
    const maxPods = autoscaling ? autoscaling.maxReplicas : (p.replicas ?? PROFILE_DEFAULTS[p.profile].replicas);
    return PROFILE_DEFAULTS[p.profile].pdb && maxPods > 1 ? { maxUnavailable: 1 } : undefined;
  }

  // D-SKR-12
  /**
   * The Ingress or HTTPRoute. Only the app port is routed; when metrics
   * share it, the metrics path is blocked at the edge.
   */
  private expose(w: WorkloadIdentity, ports: AgentPorts): [k8s.KubeIngress?, k8s.KubeIngress?, ApiObject?] {
    const p = this.props;
    const blockedPaths = ports.metrics && !ports.metricsSeparate ? [ports.metrics.path] : [];
    if (p.exposure) claimExposure(this, p.exposure, p.namespace);
    if (p.exposure?.type === 'ingress') {
      if (blockedPaths.length > 0) claimName(this, 'Ingress', p.namespace, `${p.name}-blocked`);
      const backend = { service: p.name, portName: 'http' };
      const [ingress, blocked] = renderIngress(this, SecureAgentDeploymentIds.Ingress, p.exposure, w.meta('Ingress'), backend, blockedPaths);
      for (const [key, value] of Object.entries(devProfileWaivers(p.profile, { plainHttp: !p.exposure.tls }))) ingress!.metadata.addAnnotation(key, value);
      return [ingress, blocked];
    }
    if (p.exposure?.type === 'httpRoute') {
      const backend = { service: p.name, port: p.service.port };
      return [undefined, undefined, renderHttpRoute(this, SecureAgentDeploymentIds.HttpRoute, p.exposure, w.meta('HTTPRoute'), backend, blockedPaths)];
    }
    return [];
  }

  /**
   * Without a preStop hook the shutdown budget is written into the env
   * ({@link SHUTDOWN_ENV}); it is set in one place only, so `env` and
   * `addEnv` may not set those names.
   */
  private claimShutdownEnv(): void {
    for (const name of Object.keys(shutdownEnv(this.props))) {
      if (name in this.props.env) {
        throw new ReportedError(
          `${this.node.path} props.env.${name}: is set from props.shutdown when preStop is none, got ${JSON.stringify(this.props.env[name])}; remove it and set shutdown.drainSeconds or shutdown.terminationGracePeriodSeconds`,
        );
      }
      this.addedEnv.add(name);
    }
  }

  /**
   * Adds an environment variable to the main container after construction,
   * for constructs wired to this workload (an OpenTelemetry collector's
   * endpoint, for example). The value is checked like one of `env` (a literal
   * under a secret-like name is rejected). Throws when the name is already set.
   */
  public addEnv(name: string, value: z.input<typeof envValueSchema>): void {
    const env = parseProps(this, envSchema, { [name]: value }, 'addEnv');
    if (name in this.props.env || this.addedEnv.has(name)) {
      throw new Error(`${this.node.path}: env var ${name} is already set on container "${this.name}"; set it in one place only`);
    }
    const first = Object.keys(this.props.env).length === 0 && this.addedEnv.size === 0;
    this.addedEnv.add(name);
    const [rendered] = renderEnv(env);
    const path = '/spec/template/spec/containers/0/env';
    this.deployment.addJsonPatch(first ? JsonPatch.add(path, [rendered]) : JsonPatch.add(`${path}/-`, rendered));
  }

  /**
   * Adds an egress rule (the shape of an `egress` entry) to the workload's
   * NetworkPolicy after construction; a pod destination labelled
   * `app.kubernetes.io/name` is also declared in the depends-on annotation,
   * as `egress` entries are.
   */
  public addEgress(rule: z.input<typeof egressRuleSchema>): void {
    const r = parseProps(this, egressRuleSchema, rule, 'addEgress(rule)');
    this.networkPolicy.addJsonPatch(JsonPatch.add('/spec/egress/-', renderEgressRule(r, this.namespace)));
    const added = dependencyEdges([r], this.namespace);
    if (added.length > 0) {
      this.addedDependsOn.push(...added);
      const key = ANNOTATIONS.dependsOn.replace(/~/g, '~0').replace(/\//g, '~1');
      const edges = [...dependencyEdges(this.props.egress, this.namespace), ...this.addedDependsOn];
      this.deployment.addJsonPatch(JsonPatch.add(`/spec/template/metadata/annotations/${key}`, edges.join(',')));
    }
  }
}

/** Options of a sidecar or init container (re-exported for users). */
export type { ExtraContainerOptions };
