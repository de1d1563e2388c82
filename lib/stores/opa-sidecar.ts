import { JsonPatch } from 'cdk8s';
import { Construct } from 'constructs';
import type { k8s } from '../internal/plus.js';
import { configChecksum, configMapVolume, createConfigMap, hardenedContainer, intOrString, managedMeta, parseConstructProps, scratchVolume, setPrimary, VolumeSet } from '../kit/index.js';
import type { SecureAgentDeployment } from '../workload/secure-agent-deployment.js';
import { renderOpaConfig } from './opa-server.js';
import { OPA_CONTAINER, OpaSidecarPropsSchema, renderedPodSpec, type OpaSidecarConfig, type OpaSidecarProps } from './opa-sidecar-props.js';

/** Construct ids of the children: part of the API, since they name objects. */
export const OpaSidecarIds = {
  ConfigMap: 'ConfigMap',
} as const;

/** The pod template annotation carrying the checksum of OPA's configuration, so a change rolls the pods. */
export const OPA_CONFIG_CHECKSUM_ANNOTATION = 'checksum/opa-config';

const PATHS = { config: '/opa/config', policies: '/opa/policies', tmp: '/tmp' } as const;

/**
 * Open Policy Agent as a sidecar of a {@link SecureAgentDeployment}: the
 * OPA container (the static, non-root image, Pod Security "restricted")
 * joins the agent's pod and answers on `127.0.0.1:<port>` only, so nothing
 * outside the pod can ask it, and no NetworkPolicy rule opens its ports.
 * Its health and metrics listen on a diagnostic port of their own, which
 * the kubelet probes: liveness on `/health`, readiness on
 * `/health?bundles&plugins`, so the pod takes no traffic before the
 * policies are loaded. Policies come from a ConfigMap of rego files or are
 * polled from a bundle server (the agent's NetworkPolicy gets that one
 * egress rule); decisions are logged to stdout. The agent's container gets
 * the API's URL as `OPA_URL`.
 *
 * Use it when every decision is on the agent's request path (no network
 * hop, no shared server to scale); use {@link OpaServer} when many
 * workloads share one policy server.
 * @see https://www.openpolicyagent.org/docs/latest/deployments/#kubernetes
 */
export class OpaSidecar extends Construct {
  /** The agent whose pods run OPA. */
  public readonly workload: SecureAgentDeployment;
  /** The URL of OPA's API inside the pod: `http://127.0.0.1:<port>`. */
  public readonly url: string;
  /** OPA's configuration file (`<agent>-opa`), the default child: the one object the sidecar owns besides what it adds to the agent's pod. */
  public readonly configMap: k8s.KubeConfigMap;
  /** The container added to the agent's pod. */
  public readonly container: k8s.Container;

  constructor(scope: Construct, id: string, props: OpaSidecarProps) {
    super(scope, id);
    const p = parseConstructProps(this, OpaSidecarPropsSchema, props);
    const w = p.workload;
    this.workload = w;
    this.url = `http://127.0.0.1:${p.port}`;
    const config = renderOpaConfig({ name: w.name, policies: p.policies, decisionLogs: p.decisionLogs });
    this.configMap = setPrimary(this, createConfigMap(this, OpaSidecarIds.ConfigMap, managedMeta(this, 'ConfigMap', w.namespace, `${w.name}-opa`, { ...w.labels, 'app.kubernetes.io/component': 'policy' }), { 'config.yaml': config }));
    const v = new VolumeSet();
    v.add(configMapVolume('opa-config', this.configMap.name, PATHS.config));
    if ('configMap' in p.policies) v.add(configMapVolume('opa-policies', p.policies.configMap, PATHS.policies));
    v.add(scratchVolume('opa-tmp', PATHS.tmp, '64Mi'));
    this.container = opaContainer(p, v.mounts);
    const pod = renderedPodSpec(w);
    const base = '/spec/template';
    // The patched JSON goes through the Deployment's generated serializer
    // again, so the patches carry the typed objects, as the props do.
    const volumes = v.volumes;
    w.deployment.addJsonPatch(
      JsonPatch.add(`${base}/spec/containers/-`, this.container),
      ...(pod.volumes ? volumes.map((vol) => JsonPatch.add(`${base}/spec/volumes/-`, vol)) : [JsonPatch.add(`${base}/spec/volumes`, volumes)]),
      JsonPatch.add(`${base}/metadata/annotations/${OPA_CONFIG_CHECKSUM_ANNOTATION.replace(/\//g, '~1')}`, configChecksum(config)),
    );
    if ('url' in p.policies) {
      const b = p.policies;
      const to = b.destination.pods ? { pods: b.destination.pods } : { cidr: b.destination.cidr!, except: [] };
      w.addEgress({ description: `${w.name} OPA bundles`, ...to, ports: [{ port: b.port }] });
    }
    if (p.urlEnv !== false) w.addEnv(p.urlEnv, this.url);
  }
}

/** The OPA container: API on loopback, diagnostics on the pod address for the probes, config and policies read-only. */
function opaContainer(p: OpaSidecarConfig, mounts: k8s.VolumeMount[]): k8s.Container {
  const health = (path: string) => ({ httpGet: { path, port: intOrString('opa-diagnostic') } });
  return hardenedContainer({
    name: OPA_CONTAINER,
    image: p.image,
    args: [
      'run',
      '--server',
      `--addr=127.0.0.1:${p.port}`,
      `--diagnostic-addr=0.0.0.0:${p.diagnosticPort}`,
      `--config-file=${PATHS.config}/config.yaml`,
      '--log-format=json',
      '--ignore=.*',
      ...('configMap' in p.policies ? [PATHS.policies] : []),
    ],
    ports: [{ name: 'opa-diagnostic', containerPort: p.diagnosticPort }],
    resources: p.resources,
    livenessProbe: { ...health('/health'), periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
    readinessProbe: { ...health('/health?bundles&plugins'), periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
    volumeMounts: mounts,
  });
}
