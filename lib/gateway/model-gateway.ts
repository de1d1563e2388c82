import { Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import type { z } from 'zod';
import { DomainEgress } from '../egress/domain-egress.js';
import { OwnDomainGrant } from '../egress/own-grant.js';
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
  envFromSecret,
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
import { egressRuleSchema, type PodPeer } from '../network/peers.js';
import type { IConnection, IServingWorkload, ServedPort } from '../network/serving.js';
import type { SecureAgentDeployment } from '../workload/secure-agent-deployment.js';
import { MODEL_PROVIDERS, ModelGatewayPropsSchema, type ModelGatewayConfig, type ModelGatewayProps } from './model-gateway-props.js';

/** Construct ids of the children: part of the API, since they name objects. */
export const ModelGatewayIds = {
  ConfigMap: 'ConfigMap',
  ServiceAccount: 'ServiceAccount',
  Deployment: 'Deployment',
  Service: 'Service',
  Pdb: 'Pdb',
  NetworkPolicy: 'NetworkPolicy',
} as const;

const CONFIG_DIR = '/etc/litellm';

/** The LiteLLM proxy configuration: one entry per model, its key read from the gateway's env. */
export function liteLlmConfig(p: Pick<ModelGatewayConfig, 'providers'> & { readonly fallbacks?: ModelGatewayConfig['fallbacks'] }): Record<string, unknown> {
  return {
    model_list: p.providers.flatMap((pr) =>
      pr.models.map((model) => ({
        model_name: model,
        litellm_params: { model: `${MODEL_PROVIDERS[pr.provider].prefix}/${model}`, api_key: `os.environ/${MODEL_PROVIDERS[pr.provider].keyEnv}` },
      })),
    ),
    // Requests for a model not listed are refused instead of passed through.
    litellm_settings: { drop_params: true, telemetry: false },
    ...(p.fallbacks && p.fallbacks.length > 0 ? { router_settings: { fallbacks: p.fallbacks.map((f) => ({ [f.model]: [...f.to] })) } } : {}),
  };
}

/**
 * A model gateway: the LiteLLM proxy, the one workload that reaches the LLM
 * providers' APIs. LiteLLM because it speaks the OpenAI API (and Anthropic's
 * messages API) to agents and 100+ providers behind it, runs as a plain
 * Deployment with a config file and no database, and is what the GKE
 * kube-agents reference deploys; agentgateway would add MCP routing but is
 * younger and configured through its own CRDs.
 *
 * The provider keys are env from Secrets of the gateway's pods only; the
 * provider domains are allowed through the app's {@link DomainEgress}, for
 * the gateway's pods alone. {@link ModelGateway.connect} gives an agent the
 * providers' base-URL variables pointing here, egress to the gateway and
 * nothing else of the providers.
 * @see https://docs.litellm.ai/docs/proxy/configs
 */
export class ModelGateway extends Construct implements IServingWorkload {
  public readonly name: string;
  public readonly namespace: string;
  public readonly peer: PodPeer;
  public readonly servedPorts: readonly ServedPort[];
  /** Selector labels of the pods (for {@link DomainEgress}). */
  public readonly selectorLabels: Readonly<Record<string, string>>;
  /** Recommended labels on every object. */
  public readonly labels: Readonly<Record<string, string>>;
  /** The in-cluster base URL agents use. */
  public readonly url: string;
  /**
   * What an agent is given to use the gateway: each provider's base-URL
   * variable (as {@link ModelGateway.connect} sets them), and `<prefix>URL`,
   * the OpenAI-compatible base URL (`<url>/v1`). No provider key.
   */
  public readonly connection: IConnection;
  public readonly configMap: k8s.KubeConfigMap;
  public readonly serviceAccount: k8s.KubeServiceAccount;
  public readonly deployment: k8s.KubeDeployment;
  public readonly service: k8s.KubeService;
  public readonly pdb: k8s.KubePodDisruptionBudget;
  public readonly networkPolicy: k8s.KubeNetworkPolicy;
  private readonly config: ModelGatewayConfig;
  private readonly callers: PodPeer[] = [];
  private readonly ownGrant: OwnDomainGrant;

  constructor(scope: Construct, id: string, props: ModelGatewayProps) {
    super(scope, id);
    const p = parseConstructProps(this, ModelGatewayPropsSchema, props);
    this.config = p;
    [this.name, this.namespace] = [p.name, p.namespace];
    this.url = `http://${p.name}.${p.namespace}.svc.cluster.local:${p.port}`;
    const w = workloadIdentity(this, { namespace: p.namespace, name: p.name, image: p.image, component: 'model-gateway', partOf: p.partOf, labels: p.labels });
    [this.selectorLabels, this.labels] = [w.selector, w.labels];
    this.peer = { namespace: p.namespace, podLabels: { 'app.kubernetes.io/name': w.selector['app.kubernetes.io/name']! } };
    this.servedPorts = [{ name: 'http', port: p.port }];
    this.connection = { host: `${p.name}.${p.namespace}.svc.cluster.local`, port: p.port, env: ({ prefix = '' } = {}) => ({ ...this.baseUrlEnv(), [`${prefix}URL`]: `${this.url}/v1` }) };
    // First, so the enforcement point's env (a proxy's HTTPS_PROXY) and egress are in place for the pod and its policy.
    this.ownGrant = new OwnDomainGrant(this, p.namespace, 'gateway');
    DomainEgress.of(this).allow(this, p.providers.map((pr) => ({ domains: [...MODEL_PROVIDERS[pr.provider].domains], ports: [443] })));
    this.ownGrant.close();
    const text = stringify(liteLlmConfig(p), { lineWidth: 0 });
    this.configMap = createConfigMap(this, ModelGatewayIds.ConfigMap, w.meta('ConfigMap', `${p.name}-config`), { 'config.yaml': text });
    this.serviceAccount = createServiceAccount(this, ModelGatewayIds.ServiceAccount, w);
    this.deployment = setPrimary(this, createDeployment(this, ModelGatewayIds.Deployment, w, {
      replicas: p.replicas,
      strategy: { type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 },
      template: podTemplate({ labels: w.labels, annotations: { [ANNOTATIONS.configChecksum]: configChecksum(text), [ANNOTATIONS.drainSeconds]: '30' }, spec: this.podSpec(w) }),
    }));
    this.service = createService(this, ModelGatewayIds.Service, w, { ports: [{ name: 'http', port: p.port }] });
    this.pdb = createPodDisruptionBudget(this, ModelGatewayIds.Pdb, w, { maxUnavailable: 1 });
    this.networkPolicy = createNetworkPolicy(this, ModelGatewayIds.NetworkPolicy, w, {
      ingress: Lazy.any({ produce: () => (this.callers.length > 0 ? [ingressRule(this.callers, [p.port], p.namespace)] : []) }) as unknown as k8s.NetworkPolicyIngressRule[],
      egress: [...this.ownGrant.egress],
    });
  }

  /** The LiteLLM pods: the proxy reading the mounted config, provider keys from Secrets. */
  private podSpec(w: WorkloadIdentity): k8s.PodSpec {
    const p = this.config;
    const volumes = new VolumeSet();
    volumes.add(configMapVolume('config', this.configMap.name, CONFIG_DIR, [{ key: 'config.yaml', path: 'config.yaml' }]));
    volumes.add(scratchVolume('tmp', '/tmp', '256Mi'));
    const keys = p.providers.map((pr) => envFromSecret(MODEL_PROVIDERS[pr.provider].keyEnv, { name: pr.apiKey.secretName, key: pr.apiKey.key }));
    const container = hardenedContainer({
      name: 'litellm',
      image: p.image,
      args: ['--config', `${CONFIG_DIR}/config.yaml`, '--port', String(p.port), '--num_workers', '1'],
      env: [...keys, ...this.ownGrant.env],
      ports: [{ name: 'http', containerPort: p.port }],
      resources: { requests: { cpu: '250m', memory: '512Mi', ephemeralStorage: '128Mi' }, limits: { cpu: '1', memory: '1Gi', ephemeralStorage: '512Mi' } },
      readinessProbe: renderProbe({ path: '/health/readiness', periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 }, 'http'),
      livenessProbe: renderProbe({ path: '/health/liveliness', periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 }, 'http'),
      startupProbe: renderProbe({ path: '/health/liveliness', periodSeconds: 2, timeoutSeconds: 3, failureThreshold: 60 }, 'http'),
      runAsUser: 10001,
      runAsGroup: 10001,
      volumeMounts: volumes.mounts,
    });
    return restrictedPodSpec({ serviceAccountName: this.serviceAccount.name, terminationGracePeriodSeconds: 40, runAs: { runAsUser: 10001 }, containers: [container], volumes: volumes.volumes, topologySpreadConstraints: spreadOverZonesAndHosts(w.selector) });
  }

  /** For {@link DomainEgress}, during construction only: an env var on the gateway's container (the proxy's `HTTPS_PROXY`). */
  public addEnv(name: string, value: string): void {
    this.ownGrant.addEnv(name, value);
  }

  /** For {@link DomainEgress}, during construction only: an egress rule on the gateway's NetworkPolicy. */
  public addEgress(rule: z.input<typeof egressRuleSchema>): void {
    this.ownGrant.addEgress(rule);
  }

  public allowFrom(caller: PodPeer, ports?: readonly string[]): void {
    for (const port of ports ?? []) if (port !== 'http') throw new Error(`${this.node.path}: serves no port "${port}"; it serves http`);
    this.callers.push(caller);
  }

  /**
   * Points an agent at the gateway: each provider's base-URL variable
   * (`OPENAI_BASE_URL`, `ANTHROPIC_BASE_URL`, ...) set to the gateway, egress
   * to the gateway's port, and the gateway's ingress from the agent. The
   * agent gets no provider key and no route to the providers.
   * `options.openAiBaseUrlEnv` names more variables that get the
   * OpenAI-compatible base URL (`<gateway>/v1`), for runtimes with their own
   * (the reference runtime's `LLM_BASE_URL`).
   */
  public connect(agent: SecureAgentDeployment, options: { readonly openAiBaseUrlEnv?: readonly string[] } = {}): void {
    for (const [name, value] of Object.entries(this.baseUrlEnv())) agent.addEnv(name, value);
    for (const name of options.openAiBaseUrlEnv ?? []) agent.addEnv(name, `${this.url}/v1`);
    agent.addEgress({ description: `model gateway ${this.namespace}/${this.name}`, pods: { ...(this.namespace !== agent.namespace ? { namespace: this.namespace } : {}), podLabels: { ...this.peer.podLabels } }, ports: [{ port: this.config.port }] });
    this.allowFrom({ namespace: agent.namespace, podLabels: { ...agent.selectorLabels } });
  }

  /** Each provider's base-URL variable, pointing here (OpenAI's SDK takes the `/v1` URL). */
  private baseUrlEnv(): Record<string, string> {
    return Object.fromEntries(this.config.providers.map((pr) => [MODEL_PROVIDERS[pr.provider].baseUrlEnv, pr.provider === 'openai' ? `${this.url}/v1` : this.url]));
  }
}
