import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import type { z } from 'zod';
import { DomainEgress } from '../egress/domain-egress.js';
import { OwnDomainGrant } from '../egress/own-grant.js';
import { k8s } from '../internal/plus.js';
import {
  anyMutableImage,
  createNetworkPolicy,
  createServiceAccount,
  devProfileWaivers,
  hardenedContainer,
  ingressRule,
  parseConstructProps,
  podTemplate,
  renderEnv,
  restrictedPodSpec,
  scratchVolume,
  setPrimary,
  VolumeSet,
  workloadIdentity,
  type WorkloadIdentity,
} from '../kit/index.js';
import { egressRuleSchema, type PodPeer } from '../network/peers.js';
import { resolveResources } from '../workload/container.js';
import type { SecureAgentDeployment } from '../workload/secure-agent-deployment.js';
import { ToolSandboxPropsSchema, type ToolSandboxConfig, type ToolSandboxProps } from './tool-sandbox-props.js';

/** Construct ids of the children: part of the API, since they name objects. */
export const ToolSandboxIds = {
  ServiceAccount: 'ServiceAccount',
  Template: 'Template',
  WarmPool: 'WarmPool',
  NetworkPolicy: 'NetworkPolicy',
} as const;

/** The agent-sandbox API version whose SandboxTemplate and SandboxWarmPool are rendered (release v0.5.6). */
export const AGENT_SANDBOX_API_VERSION = 'extensions.agents.x-k8s.io/v1beta1';

/**
 * A sandbox for a tool that executes code, run by the kubernetes-sigs
 * agent-sandbox controller: a `SandboxTemplate` whose pod meets Pod
 * Security "restricted" (non-root, read-only root filesystem with a
 * `/workspace` emptyDir, no capabilities, no API token) and runs in a
 * sandboxed RuntimeClass, and a `SandboxWarmPool` of ready sandboxes. The
 * controller's own NetworkPolicy is turned off (`Unmanaged`): the sandboxes'
 * NetworkPolicy is this construct's, so they reach only DNS and the
 * `egressDomains` (through the app's {@link DomainEgress}, never the cluster
 * network or cloud metadata), and only the agents given to
 * {@link ToolSandbox.connect} reach them. Claims may not inject
 * environment variables.
 * @see https://github.com/kubernetes-sigs/agent-sandbox
 */
export class ToolSandbox extends Construct {
  /** Name of the SandboxTemplate and SandboxWarmPool. */
  public readonly name: string;
  /** Namespace. */
  public readonly namespace: string;
  /** Labels of the sandbox pods that select them (for {@link DomainEgress}). */
  public readonly selectorLabels: Readonly<Record<string, string>>;
  /** Recommended labels on every object and pod. */
  public readonly labels: Readonly<Record<string, string>>;
  /** The sandboxes' own ServiceAccount (its token is not mounted). */
  public readonly serviceAccount: k8s.KubeServiceAccount;
  /** The SandboxTemplate (the default child). */
  public readonly template: ApiObject;
  /** The SandboxWarmPool, unless the pool size is 0. */
  public readonly warmPool?: ApiObject;
  /** The NetworkPolicy of the sandbox pods. */
  public readonly networkPolicy: k8s.KubeNetworkPolicy;
  private readonly config: ToolSandboxConfig;
  private readonly callers: PodPeer[] = [];
  private readonly ownGrant: OwnDomainGrant;

  constructor(scope: Construct, id: string, props: ToolSandboxProps) {
    super(scope, id);
    const p = parseConstructProps(this, ToolSandboxPropsSchema, props);
    this.config = p;
    [this.name, this.namespace] = [p.name, p.namespace];
    const w = workloadIdentity(this, { namespace: p.namespace, name: p.name, image: p.image, component: 'tool-sandbox', partOf: p.partOf, labels: p.labels });
    [this.selectorLabels, this.labels] = [w.selector, w.labels];
    // First, so the enforcement point's env and egress are in place for the pod and its policy.
    this.ownGrant = new OwnDomainGrant(this, p.namespace, 'sandbox');
    if (p.egressDomains.length > 0) DomainEgress.of(this).allow(this, p.egressDomains);
    this.ownGrant.close();
    this.serviceAccount = createServiceAccount(this, ToolSandboxIds.ServiceAccount, w);
    this.template = setPrimary(this, new ApiObject(this, ToolSandboxIds.Template, {
      apiVersion: AGENT_SANDBOX_API_VERSION,
      kind: 'SandboxTemplate',
      metadata: w.meta('SandboxTemplate', p.name, devProfileWaivers(p.profile, { mutableImage: anyMutableImage([p.image]) })),
      spec: {
        // The custom resource embeds the pod template as plain JSON (quantities as strings).
        podTemplate: k8s.toJson_PodTemplateSpec(podTemplate({ labels: w.labels, spec: this.podSpec() })),
        networkPolicyManagement: 'Unmanaged',
        envVarsInjectionPolicy: 'Disallowed',
      },
    }));
    const size = p.warmPoolSize ?? (p.profile === 'dev' ? 1 : 2);
    if (size > 0) {
      this.warmPool = new ApiObject(this, ToolSandboxIds.WarmPool, {
        apiVersion: AGENT_SANDBOX_API_VERSION,
        kind: 'SandboxWarmPool',
        metadata: w.meta('SandboxWarmPool'),
        spec: { replicas: size, sandboxTemplateRef: { name: p.name } },
      });
    }
    this.networkPolicy = this.createNetworkPolicy(w);
  }

  private createNetworkPolicy(w: WorkloadIdentity): k8s.KubeNetworkPolicy {
    const p = this.config;
    const policy = createNetworkPolicy(this, ToolSandboxIds.NetworkPolicy, w, {
      // Agents are connected after construction, so the rule is built at synth.
      ingress: Lazy.any({ produce: () => (this.callers.length > 0 ? [ingressRule(this.callers, [p.port], p.namespace)] : []) }) as unknown as k8s.NetworkPolicyIngressRule[],
      egress: [...this.ownGrant.egress],
    });
    return policy;
  }

  /** The sandbox pod: hardened, in the sandboxed runtime, no API token, writable only under /workspace and /tmp. */
  private podSpec(): k8s.PodSpec {
    const p = this.config;
    const volumes = new VolumeSet();
    volumes.add(scratchVolume('workspace', '/workspace', p.workspaceSize));
    volumes.add(scratchVolume('tmp', '/tmp', '256Mi'));
    const container = hardenedContainer({
      name: 'sandbox',
      image: p.image,
      command: p.command,
      args: p.args,
      env: [...renderEnv(p.env), ...this.ownGrant.env],
      ports: [{ name: 'tool', containerPort: p.port }],
      resources: resolveResources(p.resources),
      runAsUser: p.runAsUser,
      runAsGroup: p.runAsUser,
      volumeMounts: volumes.mounts,
    });
    return restrictedPodSpec({
      serviceAccountName: this.serviceAccount.name,
      runAs: { runAsUser: p.runAsUser },
      containers: [container],
      volumes: volumes.volumes,
      runtimeClassName: p.runtimeClassName,
    });
  }

  /**
   * Lets `agent` reach the sandboxes on the tool port: egress on the agent,
   * ingress on the sandboxes' NetworkPolicy. Nothing else reaches them.
   */
  public connect(agent: SecureAgentDeployment): void {
    const pods = { ...(this.namespace !== agent.namespace ? { namespace: this.namespace } : {}), podLabels: { ...this.selectorLabels } };
    agent.addEgress({ description: `tool sandbox ${this.namespace}/${this.name}`, pods, ports: [{ port: this.config.port }] });
    this.callers.push({ namespace: agent.namespace, podLabels: { ...agent.selectorLabels } });
  }

  /** For {@link DomainEgress}, during construction only: an env var on the sandbox container (the proxy's `HTTPS_PROXY`). */
  public addEnv(name: string, value: string): void {
    this.ownGrant.addEnv(name, value);
  }

  /** For {@link DomainEgress}, during construction only: an egress rule on the sandboxes' NetworkPolicy. */
  public addEgress(rule: z.input<typeof egressRuleSchema>): void {
    this.ownGrant.addEgress(rule);
  }
}
