import { createHash } from 'node:crypto';
import { JsonPatch, type ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { parseImage } from '../core/image.js';
import { PROFILE_DEFAULTS } from '../core/profile.js';
import { renderHttpRoute, renderIngress } from '../exposure/exposure.js';
import { ANNOTATIONS, recommendedLabels, selectorLabels, toLabelValue } from '../internal/labels.js';
import { claimName } from '../internal/names.js';
import { k8s } from '../internal/plus.js';
import { ensureVerification } from '../validation/synth.js';
import { parseProps } from '../internal/props.js';
import { API_ACCESS_LABEL } from '../namespace/agent-namespace.js';
import { DEFAULT_MONITORING_SOURCE, egressRuleSchema, type EgressRule, renderEgressRule, renderPodPeer, renderPorts, resolveIngressSource, type PodPeer } from '../network/peers.js';
import {
  defaultPullPolicy,
  envSchema,
  type envValueSchema,
  hardenedContainerSecurityContext,
  restrictedPodSecurityContext,
  renderEnv,
  renderEnvFrom,
  renderProbe,
  renderResources,
  resolveResources,
  type ExtraContainerOptions,
  extraContainerSchema,
} from './container.js';
import {
  resolveAutoscaling,
  SecureAgentDeploymentPropsSchema,
  type SecureAgentDeploymentConfig,
  type SecureAgentDeploymentProps,
} from './secure-agent-deployment-props.js';
import type { z } from 'zod';

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
  /** The parsed props, defaults applied. */
  public readonly config: SecureAgentDeploymentConfig;
  /** Object name of the Deployment and Service. */
  public readonly name: string;
  /** Namespace. */
  public readonly namespace: string;
  /** Labels the pods are selected by (`app.kubernetes.io/name` + `instance`). */
  public readonly selectorLabels: Readonly<Record<string, string>>;
  /** Recommended labels on every object. */
  public readonly labels: Readonly<Record<string, string>>;
  /** The Deployment. */
  public readonly deployment: k8s.KubeDeployment;
  /** The ClusterIP Service. */
  public readonly service: k8s.KubeService;
  /** The dedicated ServiceAccount (absent when `serviceAccountName` brings one). */
  public readonly serviceAccount?: k8s.KubeServiceAccount;
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
  public readonly metricsPort?: { readonly name: string; readonly port: number; readonly path: string };

  constructor(scope: Construct, id: string, props: SecureAgentDeploymentProps) {
    super(scope, id);
    const p = parseProps(this, SecureAgentDeploymentPropsSchema, props);
    ensureVerification(this);
    this.config = p;
    const { name, namespace: ns } = p;
    this.name = name;
    this.namespace = ns;
    const d = PROFILE_DEFAULTS[p.profile];
    const image = parseImage(p.image)!;
    const labelInputs = {
      name: p.appName ?? name,
      instance: name,
      version: toLabelValue(p.version ?? image.tag),
      component: p.component,
      partOf: p.partOf,
    };
    const selector = selectorLabels(labelInputs);
    const labels = recommendedLabels(labelInputs, p.labels);
    this.selectorLabels = selector;
    this.labels = labels;
    const meta = (objName: string, kind: string) => {
      claimName(this, kind, ns, objName);
      return { name: objName, namespace: ns, labels };
    };

    const autoscaling = resolveAutoscaling(p);
    const apiAccess = p.rbac !== undefined && (p.rbac.configMaps.length > 0 || p.rbac.secrets.length > 0);

    // Config files: a ConfigMap and a checksum that rolls the pods on change.
    let configChecksum: string | undefined;
    if (p.configFiles) {
      const cmName = p.configFiles.configMapName ?? `${name}-config`;
      const files = Object.fromEntries(Object.entries(p.configFiles.files).sort(([a], [b]) => a.localeCompare(b)));
      configChecksum = createHash('sha256').update(JSON.stringify(files)).digest('hex');
      this.configMap = new k8s.KubeConfigMap(this, SecureAgentDeploymentIds.ConfigMap, { metadata: meta(cmName, 'ConfigMap'), data: files });
    }

    if (p.persistentVolume) {
      const pv = p.persistentVolume;
      this.persistentVolumeClaim = new k8s.KubePersistentVolumeClaim(this, SecureAgentDeploymentIds.Pvc, {
        metadata: meta(pv.claimName ?? `${name}-data`, 'PersistentVolumeClaim'),
        spec: {
          accessModes: [pv.accessMode],
          ...(pv.storageClassName ? { storageClassName: pv.storageClassName } : {}),
          resources: { requests: { storage: k8s.Quantity.fromString(pv.size) } },
        },
      });
    }

    // Ports.
    const metrics = p.metrics;
    const metricsSeparate = metrics !== false && metrics.port !== p.port;
    this.metricsPort = metrics === false ? undefined : { name: metricsSeparate ? 'metrics' : 'http', port: metrics.port, path: metrics.path };
    const containerPorts: k8s.ContainerPort[] = [
      { name: 'http', containerPort: p.port, protocol: 'TCP' },
      ...(metricsSeparate ? [{ name: 'metrics', containerPort: metrics.port, protocol: 'TCP' }] : []),
      ...p.additionalPorts.map((ap) => ({ name: ap.name, containerPort: ap.containerPort, protocol: ap.protocol })),
    ];

    // Volumes and mounts of the main container.
    const volumes: k8s.Volume[] = [];
    const mounts: k8s.VolumeMount[] = [];
    for (const v of p.scratchVolumes) {
      volumes.push({ name: v.name, emptyDir: { sizeLimit: k8s.Quantity.fromString(v.sizeLimit), ...(v.medium ? { medium: v.medium } : {}) } });
      mounts.push({ name: v.name, mountPath: v.mountPath });
    }
    if (this.configMap && p.configFiles) {
      volumes.push({ name: 'config', configMap: { name: this.configMap.name } });
      mounts.push({ name: 'config', mountPath: p.configFiles.mountPath, readOnly: true });
    }
    for (const v of p.secretVolumes) {
      volumes.push({ name: v.name, secret: { secretName: v.secretName, defaultMode: v.defaultMode } });
      mounts.push({ name: v.name, mountPath: v.mountPath, readOnly: true });
    }
    if (this.persistentVolumeClaim && p.persistentVolume) {
      volumes.push({ name: 'data', persistentVolumeClaim: { claimName: this.persistentVolumeClaim.name } });
      mounts.push({ name: 'data', mountPath: p.persistentVolume.mountPath });
    }

    const preStop = p.shutdown.preStop;
    const preStopSeconds = preStop.type === 'execSleep' ? preStop.seconds : 0;
    const grace = p.shutdown.terminationGracePeriodSeconds ?? preStopSeconds + p.shutdown.drainSeconds + 5;

    const runAsUser = p.securityContext.runAsUser;
    const runAsGroup = p.securityContext.runAsGroup ?? runAsUser;
    const fsGroup = p.securityContext.fsGroup ?? runAsGroup;

    const main: k8s.Container = {
      name,
      image: p.image,
      imagePullPolicy: p.imagePullPolicy ?? defaultPullPolicy(p.image),
      ...(p.command ? { command: [...p.command] } : {}),
      ...(p.args ? { args: [...p.args] } : {}),
      ports: containerPorts,
      ...(Object.keys(p.env).length > 0 ? { env: renderEnv(p.env) } : {}),
      ...(p.envFrom.length > 0 ? { envFrom: renderEnvFrom(p.envFrom) } : {}),
      resources: renderResources(resolveResources(p.resources)),
      livenessProbe: renderProbe(p.livenessProbe, 'http'),
      readinessProbe: renderProbe(p.readinessProbe, 'http'),
      ...(p.startupProbe ? { startupProbe: renderProbe(p.startupProbe, 'http') } : {}),
      ...(preStop.type === 'execSleep' ? { lifecycle: { preStop: { exec: { command: [preStop.sleepBinary, String(preStop.seconds)] } } } } : {}),
      securityContext: hardenedContainerSecurityContext(runAsUser, runAsGroup),
      volumeMounts: mounts,
      terminationMessagePolicy: 'FallbackToLogsOnError',
    };

    const podAnnotations: Record<string, string> = {
      ...p.podAnnotations,
      [ANNOTATIONS.drainSeconds]: String(p.shutdown.drainSeconds),
      ...(configChecksum ? { [ANNOTATIONS.configChecksum]: configChecksum } : {}),
      ...(this.metricsPort
        ? { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(this.metricsPort.port), 'prometheus.io/path': this.metricsPort.path }
        : {}),
    };
    const dependsOn = dependencyEdges(p.egress, ns);
    if (dependsOn.length > 0) podAnnotations[ANNOTATIONS.dependsOn] = dependsOn.join(',');

    const topologySpreadConstraints: k8s.TopologySpreadConstraint[] = p.topologySpread
      ? ['topology.kubernetes.io/zone', 'kubernetes.io/hostname'].map((topologyKey) => ({
          maxSkew: 1,
          topologyKey,
          whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: { matchLabels: { ...selector } },
          matchLabelKeys: ['pod-template-hash'],
        }))
      : [];

    const serviceAccountName = p.serviceAccountName ?? name;
    const podSpec: k8s.PodSpec = {
      serviceAccountName,
      automountServiceAccountToken: apiAccess,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: grace,
      securityContext: restrictedPodSecurityContext(runAsUser, runAsGroup, fsGroup),
      ...(p.imagePullSecrets.length > 0 ? { imagePullSecrets: p.imagePullSecrets.map((s) => ({ name: s })) } : {}),
      ...(p.initContainers.length > 0 ? { initContainers: p.initContainers.map((c) => renderExtraContainer(c, runAsUser, runAsGroup)) } : {}),
      containers: [main, ...p.sidecars.map((c) => renderExtraContainer(c, runAsUser, runAsGroup))],
      volumes,
      ...(topologySpreadConstraints.length > 0 ? { topologySpreadConstraints } : {}),
      ...(Object.keys(p.nodeSelector).length > 0 ? { nodeSelector: p.nodeSelector } : {}),
      ...(p.tolerations.length > 0 ? { tolerations: p.tolerations } : {}),
      ...(p.priorityClassName ? { priorityClassName: p.priorityClassName } : {}),
    };

    const rwo = p.persistentVolume !== undefined && p.persistentVolume.accessMode !== 'ReadWriteMany';
    const intOrString = (v: number | string) => (typeof v === 'number' ? k8s.IntOrString.fromNumber(v) : k8s.IntOrString.fromString(v));
    this.deployment = new k8s.KubeDeployment(this, SecureAgentDeploymentIds.Deployment, {
      metadata: meta(name, 'Deployment'),
      spec: {
        ...(autoscaling ? {} : { replicas: p.replicas ?? d.replicas }),
        revisionHistoryLimit: 5,
        selector: { matchLabels: { ...selector } },
        // A ReadWriteOnce volume cannot be attached by a surge pod, so the
        // only safe strategy for it is Recreate (AVL-10).
        strategy: rwo
          ? { type: 'Recreate' }
          : { type: 'RollingUpdate', rollingUpdate: { maxSurge: intOrString(p.rollingUpdate.maxSurge), maxUnavailable: intOrString(p.rollingUpdate.maxUnavailable) } },
        template: {
          metadata: { labels: { ...labels, ...(apiAccess ? { [API_ACCESS_LABEL]: 'true' } : {}) }, annotations: podAnnotations },
          spec: podSpec,
        },
      },
    });

    const servicePorts: k8s.ServicePort[] = [
      { name: 'http', port: p.service.port, targetPort: k8s.IntOrString.fromString('http'), protocol: 'TCP' },
      ...(metricsSeparate ? [{ name: 'metrics', port: metrics.port, targetPort: k8s.IntOrString.fromString('metrics'), protocol: 'TCP' }] : []),
      ...p.additionalPorts.map((ap) => ({ name: ap.name, port: ap.containerPort, targetPort: k8s.IntOrString.fromString(ap.name), protocol: ap.protocol })),
    ];
    this.servicePort = p.service.port;
    this.service = new k8s.KubeService(this, SecureAgentDeploymentIds.Service, {
      metadata: meta(name, 'Service'),
      spec: {
        type: 'ClusterIP',
        selector: { ...selector },
        ports: servicePorts,
        sessionAffinity: p.service.sessionAffinity,
        ...(p.service.sessionAffinity === 'ClientIP'
          ? { sessionAffinityConfig: { clientIp: { timeoutSeconds: p.service.sessionAffinityTimeoutSeconds ?? 10800 } } }
          : {}),
      },
    });

    if (!p.serviceAccountName) {
      this.serviceAccount = new k8s.KubeServiceAccount(this, SecureAgentDeploymentIds.ServiceAccount, {
        metadata: meta(name, 'ServiceAccount'),
        automountServiceAccountToken: false,
      });
    }
    if (apiAccess && p.rbac) {
      const rules: k8s.PolicyRule[] = [];
      if (p.rbac.configMaps.length > 0) rules.push({ apiGroups: [''], resources: ['configmaps'], resourceNames: [...p.rbac.configMaps], verbs: ['get'] });
      if (p.rbac.secrets.length > 0) rules.push({ apiGroups: [''], resources: ['secrets'], resourceNames: [...p.rbac.secrets], verbs: ['get'] });
      this.role = new k8s.KubeRole(this, SecureAgentDeploymentIds.Role, { metadata: meta(name, 'Role'), rules });
      this.roleBinding = new k8s.KubeRoleBinding(this, SecureAgentDeploymentIds.RoleBinding, {
        metadata: meta(name, 'RoleBinding'),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: this.role.name },
        subjects: [{ kind: 'ServiceAccount', name: serviceAccountName, namespace: ns }],
      });
    }

    if (autoscaling) {
      const metricsSpec: k8s.MetricSpecV2[] = [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: autoscaling.cpuUtilization } } },
        ...(autoscaling.memoryUtilization !== undefined
          ? [{ type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: autoscaling.memoryUtilization } } }]
          : []),
        ...autoscaling.podsMetrics.map((m) => ({
          type: 'Pods',
          pods: { metric: { name: m.name }, target: { type: 'AverageValue', averageValue: k8s.Quantity.fromString(m.averageValue) } },
        })),
      ];
      const rules = (r: typeof autoscaling.behavior.scaleUp): k8s.HpaScalingRulesV2 => ({
        stabilizationWindowSeconds: r.stabilizationWindowSeconds,
        selectPolicy: r.selectPolicy,
        policies: r.policies.map((pol) => ({ ...pol })),
      });
      this.hpa = new k8s.KubeHorizontalPodAutoscalerV2(this, SecureAgentDeploymentIds.Hpa, {
        metadata: meta(name, 'HorizontalPodAutoscaler'),
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
          minReplicas: autoscaling.minReplicas,
          maxReplicas: autoscaling.maxReplicas,
          metrics: metricsSpec,
          behavior: { scaleUp: rules(autoscaling.behavior.scaleUp), scaleDown: rules(autoscaling.behavior.scaleDown) },
        },
      });
    }

    const pdb = p.pdb ?? (d.pdb ? { maxUnavailable: 1 } : false);
    if (pdb) {
      this.pdb = new k8s.KubePodDisruptionBudget(this, SecureAgentDeploymentIds.Pdb, {
        metadata: meta(name, 'PodDisruptionBudget'),
        spec: {
          selector: { matchLabels: { ...selector } },
          ...(pdb.maxUnavailable !== undefined ? { maxUnavailable: intOrString(pdb.maxUnavailable) } : {}),
          ...(pdb.minAvailable !== undefined ? { minAvailable: intOrString(pdb.minAvailable) } : {}),
          // Pods that are not ready may always be evicted, so a crash-looping
          // pod never blocks a drain (AVL-05).
          unhealthyPodEvictionPolicy: 'AlwaysAllow',
        },
      });
    }

    // NetworkPolicy: the namespace denies everything; this opens the app
    // port to the edge and allowed callers, metrics to Prometheus, and egress
    // to declared dependencies. DNS comes from the namespace's policy.
    const ingressSource: PodPeer | undefined = p.ingressFrom
      ? resolveIngressSource(p.ingressFrom)
      : p.exposure
        ? resolveIngressSource(p.exposure.type === 'ingress' ? 'ingress-nginx' : 'envoy-gateway')
        : undefined;
    const appPeers = [...(ingressSource ? [ingressSource] : []), ...p.allowFrom];
    const ingressRules: k8s.NetworkPolicyIngressRule[] = [];
    if (appPeers.length > 0) {
      ingressRules.push({ from: appPeers.map((peer) => renderPodPeer(peer, ns)), ports: renderPorts([{ port: p.port, protocol: 'TCP' }]) });
    }
    if (metrics !== false) {
      ingressRules.push({
        from: [renderPodPeer(metrics.scrapeFrom ?? DEFAULT_MONITORING_SOURCE, ns)],
        ports: renderPorts([{ port: metrics.port, protocol: 'TCP' }]),
      });
    }
    if (ingressSource?.namespace) {
      this.deployment.metadata.addAnnotation(ANNOTATIONS.ingressFrom, ingressSource.namespace);
    }
    this.networkPolicy = new k8s.KubeNetworkPolicy(this, SecureAgentDeploymentIds.NetworkPolicy, {
      metadata: meta(name, 'NetworkPolicy'),
      spec: {
        podSelector: { matchLabels: { ...selector } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: ingressRules,
        egress: p.egress.map((rule) => renderEgressRule(rule, ns)),
      },
    });

    // Only the app port is routed. When metrics share it, the metrics path
    // is blocked at the edge (D-SKR-12).
    const blockedPaths = this.metricsPort && !metricsSeparate ? [this.metricsPort.path] : [];
    if (p.exposure?.type === 'ingress') {
      if (blockedPaths.length > 0) claimName(this, 'Ingress', ns, `${name}-blocked`);
      [this.ingress, this.blockedPathsIngress] = renderIngress(
        this,
        SecureAgentDeploymentIds.Ingress,
        p.exposure,
        meta(name, 'Ingress'),
        { service: name, portName: 'http' },
        blockedPaths,
      );
    } else if (p.exposure?.type === 'httpRoute') {
      this.httpRoute = renderHttpRoute(
        this,
        SecureAgentDeploymentIds.HttpRoute,
        p.exposure,
        meta(name, 'HTTPRoute'),
        { service: name, port: p.service.port },
        blockedPaths,
      );
    }
  }

  private readonly addedEnv = new Set<string>();
  private readonly addedDependsOn: string[] = [];

  /**
   * Adds an environment variable to the main container after construction,
   * for constructs wired to this workload (an OpenTelemetry collector's
   * endpoint, for example). The value is checked like one of `env` (a literal
   * under a secret-like name is rejected). Throws when the name is already set.
   */
  public addEnv(name: string, value: z.input<typeof envValueSchema>): void {
    const env = parseProps(this, envSchema, { [name]: value });
    if (name in this.config.env || this.addedEnv.has(name)) {
      throw new Error(`${this.node.path}: env var ${name} is already set on container "${this.name}"; set it in one place only`);
    }
    const first = Object.keys(this.config.env).length === 0 && this.addedEnv.size === 0;
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
    const r = parseProps(this, egressRuleSchema, rule);
    this.networkPolicy.addJsonPatch(JsonPatch.add('/spec/egress/-', renderEgressRule(r, this.namespace)));
    const added = dependencyEdges([r], this.namespace);
    if (added.length > 0) {
      this.addedDependsOn.push(...added);
      const key = ANNOTATIONS.dependsOn.replace(/~/g, '~0').replace(/\//g, '~1');
      const edges = [...dependencyEdges(this.config.egress, this.namespace), ...this.addedDependsOn];
      this.deployment.addJsonPatch(JsonPatch.add(`/spec/template/metadata/annotations/${key}`, edges.join(',')));
    }
  }
}

/**
 * The dependency edges `<namespace>/<app name>:<port>` that egress rules to
 * pods labelled `app.kubernetes.io/name` declare, for the network invariants.
 */
function dependencyEdges(rules: readonly EgressRule[], namespace: string): string[] {
  return rules.flatMap((rule) => {
    if (!('pods' in rule)) return [];
    const app = rule.pods.podLabels['app.kubernetes.io/name'];
    return app ? rule.ports.map((port) => `${rule.pods.namespace ?? namespace}/${app}:${port.port}`) : [];
  });
}

function renderExtraContainer(c: z.output<typeof extraContainerSchema>, runAsUser: number, runAsGroup: number): k8s.Container {
  return {
    name: c.name,
    image: c.image,
    imagePullPolicy: c.imagePullPolicy ?? defaultPullPolicy(c.image),
    ...(c.command ? { command: [...c.command] } : {}),
    ...(c.args ? { args: [...c.args] } : {}),
    ...(c.ports.length > 0 ? { ports: c.ports.map((pt) => ({ name: pt.name, containerPort: pt.containerPort, protocol: pt.protocol })) } : {}),
    ...(Object.keys(c.env).length > 0 ? { env: renderEnv(c.env) } : {}),
    resources: renderResources(resolveResources(c.resources)),
    ...(c.livenessProbe ? { livenessProbe: renderProbe(c.livenessProbe, c.ports[0]?.name ?? 'http') } : {}),
    ...(c.readinessProbe ? { readinessProbe: renderProbe(c.readinessProbe, c.ports[0]?.name ?? 'http') } : {}),
    ...(c.restartAlways ? { restartPolicy: 'Always' } : {}),
    securityContext: hardenedContainerSecurityContext(c.runAsUser ?? runAsUser, runAsGroup),
    ...(c.volumeMounts.length > 0 ? { volumeMounts: c.volumeMounts.map((m) => ({ ...m })) } : {}),
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

/** Options of a sidecar or init container (re-exported for users). */
export type { ExtraContainerOptions };
