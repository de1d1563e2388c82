import { ANNOTATIONS } from '../internal/labels.js';
import type { k8s } from '../internal/plus.js';
import {
  configChecksum,
  configMapVolume,
  claimVolume,
  dependencyEdges,
  dependsOnAnnotation,
  hardenedContainer,
  renderEnv,
  renderEnvFrom,
  renderProbe,
  scratchVolume,
  secretVolume,
  VolumeSet,
  type PortSpec,
  type RunAs,
  type ServicePortSpec,
} from '../kit/index.js';
import { DEFAULT_MONITORING_SOURCE, resolveIngressSource, type PodPeer } from '../network/peers.js';
import { resolveResources } from './container.js';
import type { SecureAgentDeploymentConfig } from './secure-agent-deployment-props.js';

/**
 * The pod of a {@link SecureAgentDeployment}, rendered from its parsed
 * props: ports, volumes, the main container and the extra ones, pod
 * annotations, and who may reach it.
 */

type Config = SecureAgentDeploymentConfig;
type ExtraContainer = Config['sidecars'][number];

/** The metrics port the pods serve (`metrics`, or `http` when shared), and its path. */
export interface MetricsPort {
  readonly name: string;
  readonly port: number;
  readonly path: string;
}

/** Ports of the main container and the Service. */
export interface AgentPorts {
  readonly container: PortSpec[];
  readonly service: ServicePortSpec[];
  readonly metrics?: MetricsPort;
  /** Whether metrics have a port of their own (else they share `http`). */
  readonly metricsSeparate: boolean;
}

/** `http`, `metrics` when it has its own port, and the additional ports. */
export function agentPorts(p: Config): AgentPorts {
  const m = p.metrics;
  const metricsSeparate = m !== false && m.port !== p.port;
  const additional = p.additionalPorts.map((ap) => ({ name: ap.name, containerPort: ap.containerPort, protocol: ap.protocol }));
  return {
    container: [{ name: 'http', containerPort: p.port }, ...(metricsSeparate ? [{ name: 'metrics', containerPort: m.port }] : []), ...additional],
    service: [
      { name: 'http', port: p.service.port },
      ...(metricsSeparate ? [{ name: 'metrics', port: m.port }] : []),
      ...additional.map((ap) => ({ name: ap.name, port: ap.containerPort, protocol: ap.protocol })),
    ],
    metrics: m === false ? undefined : { name: metricsSeparate ? 'metrics' : 'http', port: m.port, path: m.path },
    metricsSeparate,
  };
}

/** Scratch emptyDirs, the config files, the secret files and the claim, with the main container's mounts. */
export function agentVolumes(p: Config, configMapName: string | undefined, claimName: string | undefined): VolumeSet {
  const set = new VolumeSet();
  for (const v of p.scratchVolumes) set.add(scratchVolume(v.name, v.mountPath, v.sizeLimit, v.medium));
  if (configMapName && p.configFiles) set.add(configMapVolume('config', configMapName, p.configFiles.mountPath));
  for (const v of p.secretVolumes) set.add(secretVolume(v.name, v.secretName, v.mountPath, v.defaultMode));
  if (claimName && p.persistentVolume) set.add(claimVolume('data', claimName, p.persistentVolume.mountPath));
  return set;
}

/** The identity of the pod: UID, GID (default the UID) and fsGroup (default the GID). */
export function agentRunAs(p: Config): Required<Omit<RunAs, 'supplementalGroups'>> {
  const runAsGroup = p.securityContext.runAsGroup ?? p.securityContext.runAsUser;
  return { runAsUser: p.securityContext.runAsUser, runAsGroup, fsGroup: p.securityContext.fsGroup ?? runAsGroup };
}

/** The termination grace period: given, or preStop + drain + 5 s. */
export function gracePeriod(p: Config): number {
  const preStop = p.shutdown.preStop;
  const preStopSeconds = preStop.type === 'execSleep' ? preStop.seconds : 0;
  return p.shutdown.terminationGracePeriodSeconds ?? preStopSeconds + p.shutdown.drainSeconds + 5;
}

/**
 * Environment variables the main container gets when `shutdown.preStop` is
 * `none`: the seconds the app may take after SIGTERM (`shutdown.drainSeconds`)
 * and the pod's `terminationGracePeriodSeconds`.
 */
export const SHUTDOWN_ENV = {
  drainSeconds: 'SHUTDOWN_DRAIN_SECONDS',
  gracePeriodSeconds: 'TERMINATION_GRACE_PERIOD_SECONDS',
} as const;

/**
 * The shutdown budget told to an app without a preStop hook: it delays and
 * drains by itself, so it learns its budget (the reference runtime refuses to
 * start on a drain longer than the grace period, the rule the props check).
 */
export function shutdownEnv(p: Config): Record<string, string> {
  if (p.shutdown.preStop.type !== 'none') return {};
  return { [SHUTDOWN_ENV.drainSeconds]: String(p.shutdown.drainSeconds), [SHUTDOWN_ENV.gracePeriodSeconds]: String(gracePeriod(p)) };
}

/** The main container, named after the workload, probed on `http`. */
export function mainContainer(p: Config, ports: AgentPorts, mounts: readonly k8s.VolumeMount[]): k8s.Container {
  const preStop = p.shutdown.preStop;
  const runAs = agentRunAs(p);
  return hardenedContainer({
    name: p.name,
    image: p.image,
    imagePullPolicy: p.imagePullPolicy,
    command: p.command,
    args: p.args,
    ports: ports.container,
    env: renderEnv({ ...p.env, ...shutdownEnv(p) }),
    envFrom: renderEnvFrom(p.envFrom),
    resources: resolveResources(p.resources),
    livenessProbe: renderProbe(p.livenessProbe, 'http'),
    readinessProbe: renderProbe(p.readinessProbe, 'http'),
    startupProbe: p.startupProbe ? renderProbe(p.startupProbe, 'http') : undefined,
    lifecycle: preStop.type === 'execSleep' ? { preStop: { exec: { command: [preStop.sleepBinary, String(preStop.seconds)] } } } : undefined,
    runAsUser: runAs.runAsUser,
    runAsGroup: runAs.runAsGroup,
    volumeMounts: mounts,
  });
}

/** A sidecar or init container, hardened like the main one and probed on its own first port by default. */
export function extraContainer(c: ExtraContainer, runAs: { runAsUser: number; runAsGroup: number }): k8s.Container {
  const probePort = c.ports[0]?.name ?? 'http';
  return hardenedContainer({
    name: c.name,
    image: c.image,
    imagePullPolicy: c.imagePullPolicy,
    command: c.command,
    args: c.args,
    ports: c.ports,
    env: renderEnv(c.env),
    resources: resolveResources(c.resources),
    livenessProbe: c.livenessProbe ? renderProbe(c.livenessProbe, probePort) : undefined,
    readinessProbe: c.readinessProbe ? renderProbe(c.readinessProbe, probePort) : undefined,
    restartPolicy: c.restartAlways ? 'Always' : undefined,
    runAsUser: c.runAsUser ?? runAs.runAsUser,
    runAsGroup: runAs.runAsGroup,
    volumeMounts: c.volumeMounts.map((m) => ({ ...m })),
  });
}

/** The config files sorted by name, and their checksum (changed content rolls the pods). */
export function configFilesChecksum(files: Readonly<Record<string, string>>): { files: Record<string, string>; checksum: string } {
  const sorted = Object.fromEntries(Object.entries(files).sort(([a], [b]) => a.localeCompare(b)));
  return { files: sorted, checksum: configChecksum(JSON.stringify(sorted)) };
}

/** Pod annotations: the user's, the drain time, the config checksum, Prometheus scrape hints and the depends-on edges. */
export function agentPodAnnotations(p: Config, metrics: MetricsPort | undefined, checksum: string | undefined): Record<string, string> {
  return {
    ...p.podAnnotations,
    [ANNOTATIONS.drainSeconds]: String(p.shutdown.drainSeconds),
    ...(checksum ? { [ANNOTATIONS.configChecksum]: checksum } : {}),
    ...(metrics ? { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(metrics.port), 'prometheus.io/path': metrics.path } : {}),
    ...dependsOnAnnotation(dependencyEdges(p.egress, p.namespace)),
  };
}

/**
 * Who may reach the app port from outside: `ingressFrom`, or the ingress
 * controller or Gateway proxies the exposure implies.
 */
export function ingressSource(p: Config): PodPeer | undefined {
  if (p.ingressFrom) return resolveIngressSource(p.ingressFrom);
  if (p.exposure) return resolveIngressSource(p.exposure.type === 'ingress' ? 'ingress-nginx' : 'envoy-gateway');
  return undefined;
}

/** Ingress allowed by the NetworkPolicy: the app port to the edge and the callers, metrics to the scraper. */
export function agentIngressPeers(p: Config): { peers: PodPeer[]; port: number }[] {
  const edge = ingressSource(p);
  const appPeers = [...(edge ? [edge] : []), ...p.allowFrom];
  return [
    ...(appPeers.length > 0 ? [{ peers: appPeers, port: p.port }] : []),
    ...(p.metrics !== false ? [{ peers: [p.metrics.scrapeFrom ?? DEFAULT_MONITORING_SOURCE], port: p.metrics.port }] : []),
  ];
}
