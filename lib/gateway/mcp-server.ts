import { ApiObject, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import type { z } from 'zod';
import { DomainEgress } from '../egress/domain-egress.js';
import { OwnDomainGrant } from '../egress/own-grant.js';
import { ANNOTATIONS } from '../internal/labels.js';
import type { k8s } from '../internal/plus.js';
import { parseProps } from '../internal/props.js';
import { ReportedError } from '../internal/reported-error.js';
import {
  anyMutableImage,
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
  renderEnv,
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
import { resolveResources } from '../workload/container.js';
import type { SecureAgentDeployment } from '../workload/secure-agent-deployment.js';
import {
  MCP_MAX_AGENTS,
  mcpConnectOptionsSchema,
  McpServerPropsSchema,
  type McpConnectOptions,
  type McpServerConfig,
  type McpServerProps,
} from './mcp-server-props.js';

/** Construct ids of the children: part of the API, since they name objects. */
export const McpServerIds = {
  ServiceAccount: 'ServiceAccount',
  Deployment: 'Deployment',
  Service: 'Service',
  Pdb: 'Pdb',
  NetworkPolicy: 'NetworkPolicy',
  Backend: 'Backend',
  AccessPolicy: 'AccessPolicy',
} as const;

/** The kube-agentic-networking API group and the version whose XBackend and XAccessPolicy are rendered. */
export const AGENTIC_NETWORKING_API_VERSION = 'agentic.networking.x-k8s.io/v0alpha0';

/** One agent granted tools, as the access policy renders it. */
export interface McpGrant {
  /** The agent's namespace. */
  readonly namespace: string;
  /** The agent's ServiceAccount. */
  readonly serviceAccount: string;
  /** The tools it may call. */
  readonly tools: readonly string[];
}

/**
 * The XAccessPolicy spec: one rule per agent ServiceAccount with its tools
 * inline, targeting the server's XBackend. Calls not allowed by a rule are
 * denied (`tools/list` and the handshake stay open to every client).
 * @see https://github.com/kubernetes-sigs/kube-agentic-networking/blob/main/docs/proposals/0008-ToolAuthAPI.md
 */
export function mcpAccessPolicySpec(backend: string, grants: readonly McpGrant[]): Record<string, unknown> {
  return {
    targetRefs: [{ group: 'agentic.networking.x-k8s.io', kind: 'XBackend', name: backend }],
    rules: grants.map((g) => ({
      name: `${g.namespace}.${g.serviceAccount}`.slice(0, 63).replace(/[-.]+$/, ''),
      source: { type: 'ServiceAccount', serviceAccount: { name: g.serviceAccount, namespace: g.namespace } },
      authorization: { type: 'InlineTools', tools: [...g.tools] },
    })),
  };
}

/**
 * A Model Context Protocol tool server: a Deployment of the server's image
 * (streamable HTTP) whose pods meet Pod Security "restricted", its Service,
 * a PDB, and a NetworkPolicy that admits exactly the agents connected with
 * {@link McpServer.connect} (or only the tool gateway's proxies). The tool
 * allow-list is rendered for kube-agentic-networking: an `XBackend` for the
 * Service and an `XAccessPolicy` naming each connected agent's
 * ServiceAccount with the tools it may call, so an agent calls only the
 * tools it declared. A server with no connected agent fails synth.
 *
 * The server's own outbound calls are by domain through the app's
 * {@link DomainEgress} (`egressDomains`), nothing else.
 * @see https://github.com/kubernetes-sigs/kube-agentic-networking
 */
export class McpServer<Tool extends string = string> extends Construct {
  /** Object name of the Deployment, Service, XBackend and XAccessPolicy. */
  public readonly name: string;
  /** Namespace. */
  public readonly namespace: string;
  /** Selector labels of the pods (for {@link DomainEgress}). */
  public readonly selectorLabels: Readonly<Record<string, string>>;
  /** Recommended labels on every object. */
  public readonly labels: Readonly<Record<string, string>>;
  /** The MCP endpoint agents use (through the tool gateway, when there is one, by its routes). */
  public readonly url: string;
  /** The tools the server offers. */
  public readonly tools: readonly Tool[];
  public readonly serviceAccount: k8s.KubeServiceAccount;
  /** The Deployment (the default child). */
  public readonly deployment: k8s.KubeDeployment;
  public readonly service: k8s.KubeService;
  /** The PodDisruptionBudget, when more than one pod runs. */
  public readonly pdb?: k8s.KubePodDisruptionBudget;
  public readonly networkPolicy: k8s.KubeNetworkPolicy;
  /** The kube-agentic-networking XBackend of the Service. */
  public readonly backend: ApiObject;
  private policy?: ApiObject;
  private readonly policyMeta: () => ReturnType<WorkloadIdentity['meta']>;
  private readonly config: McpServerConfig;
  private readonly grants: (McpGrant & { readonly path: string })[] = [];
  private readonly callers: PodPeer[] = [];
  private readonly ownGrant: OwnDomainGrant;

  constructor(scope: Construct, id: string, props: McpServerProps<Tool>) {
    super(scope, id);
    const p = parseConstructProps(this, McpServerPropsSchema, props);
    this.config = p;
    [this.name, this.namespace, this.tools] = [p.name, p.namespace, [...p.tools] as Tool[]];
    this.url = `http://${p.name}.${p.namespace}.svc.cluster.local:${p.port}${p.path}`;
    const w = workloadIdentity(this, { namespace: p.namespace, name: p.name, image: p.image, component: 'mcp-server', partOf: p.partOf, labels: p.labels });
    [this.selectorLabels, this.labels] = [w.selector, w.labels];
    // First, so the enforcement point's env and egress are in place for the pod and its policy.
    this.ownGrant = new OwnDomainGrant(this, p.namespace, 'server');
    if (p.egressDomains.length > 0) DomainEgress.of(this).allow(this, p.egressDomains);
    this.ownGrant.close();
    if (p.toolGateway) this.callers.push(p.toolGateway.pods);
    this.serviceAccount = createServiceAccount(this, McpServerIds.ServiceAccount, w);
    const replicas = p.replicas ?? (p.profile === 'dev' ? 1 : 2);
    this.deployment = setPrimary(this, this.createDeployment(w, replicas));
    this.service = createService(this, McpServerIds.Service, w, { ports: [{ name: 'http', port: p.port }] });
    if (replicas > 1) this.pdb = createPodDisruptionBudget(this, McpServerIds.Pdb, w, { maxUnavailable: 1 });
    this.networkPolicy = createNetworkPolicy(this, McpServerIds.NetworkPolicy, w, {
      // Agents are connected after construction, so the rule is built at synth.
      ingress: Lazy.any({ produce: () => (this.callers.length > 0 ? [ingressRule(this.callers, [p.port], p.namespace)] : []) }) as unknown as k8s.NetworkPolicyIngressRule[],
      egress: [...this.ownGrant.egress],
    });
    this.backend = new ApiObject(this, McpServerIds.Backend, {
      apiVersion: AGENTIC_NETWORKING_API_VERSION,
      kind: 'XBackend',
      metadata: w.meta('XBackend'),
      spec: { mcp: { serviceName: p.name, port: p.port, path: p.path } },
    });
    // Made by the first connect(): a policy with no rule is invalid, and a server no agent may use is a mistake.
    this.node.addValidation({
      validate: () => (this.grants.length === 0 ? [`${this.node.path}: MCP server ${this.name} has no agent connected, so no agent may call its tools; connect one with connect(agent, { tools }) or remove the server`] : []),
    });
    this.policyMeta = () => w.meta('XAccessPolicy');
  }

  /** The kube-agentic-networking XAccessPolicy: the connected agents and their tools (made by the first {@link connect}). */
  public get accessPolicy(): ApiObject | undefined {
    return this.policy;
  }

  private createDeployment(w: WorkloadIdentity, replicas: number): k8s.KubeDeployment {
    const p = this.config;
    const volumes = new VolumeSet();
    volumes.add(scratchVolume('tmp', '/tmp', '256Mi'));
    const container = hardenedContainer({
      name: 'mcp-server',
      image: p.image,
      args: p.args,
      env: [...renderEnv(p.env), ...this.ownGrant.env],
      ports: [{ name: 'http', containerPort: p.port }],
      resources: resolveResources(p.resources),
      readinessProbe: renderProbe({ path: p.readinessPath, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 }, 'http'),
      livenessProbe: renderProbe({ path: p.livenessPath, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 }, 'http'),
      startupProbe: renderProbe({ path: p.livenessPath, periodSeconds: 2, timeoutSeconds: 3, failureThreshold: 30 }, 'http'),
      runAsUser: p.runAsUser,
      runAsGroup: p.runAsUser,
      volumeMounts: volumes.mounts,
    });
    return createDeployment(this, McpServerIds.Deployment, w, {
      replicas,
      strategy: { type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 },
      annotations: devProfileWaivers(p.profile, { singleReplica: replicas === 1, mutableImage: anyMutableImage([p.image]) }),
      template: podTemplate({
        labels: w.labels,
        annotations: { [ANNOTATIONS.drainSeconds]: '10' },
        spec: restrictedPodSpec({
          serviceAccountName: this.serviceAccount.name,
          terminationGracePeriodSeconds: 20,
          runAs: { runAsUser: p.runAsUser },
          containers: [container],
          volumes: volumes.volumes,
          topologySpreadConstraints: spreadOverZonesAndHosts(w.selector),
        }),
      }),
    });
  }

  /**
   * Grants `agent` the `tools` it may call on this server: the access
   * policy gets a rule for the agent's ServiceAccount with those tools, the
   * agent gets egress to the server (or to the tool gateway's proxies), and
   * the server admits the agent. Rejects a tool the server does not offer,
   * an agent connected twice, a ServiceAccount already granted, and more
   * agents than one access policy holds.
   */
  public connect(agent: SecureAgentDeployment, options: McpConnectOptions<Tool>): void {
    const o = parseProps(agent, mcpConnectOptionsSchema(this.name, this.tools), options, `connect(${this.name}).options`);
    const where = `${agent.node.path}: connects to MCP server ${this.name}`;
    const same = this.grants.find((g) => g.namespace === agent.namespace && g.serviceAccount === agent.serviceAccountName);
    if (same) {
      const what = same.path === agent.node.path ? 'twice' : `with ServiceAccount ${agent.serviceAccountName}, which ${same.path} already uses`;
      throw new ReportedError(`${where} ${what}; grant each ServiceAccount its tools in one connect call`);
    }
    if (this.grants.length >= MCP_MAX_AGENTS) {
      throw new ReportedError(`${where} as agent ${this.grants.length + 1}, but an access policy holds at most ${MCP_MAX_AGENTS} agents; run another MCP server for more agents`);
    }
    this.grants.push({ namespace: agent.namespace, serviceAccount: agent.serviceAccountName, tools: o.tools, path: agent.node.path });
    this.policy ??= new ApiObject(this, McpServerIds.AccessPolicy, {
      apiVersion: AGENTIC_NETWORKING_API_VERSION,
      kind: 'XAccessPolicy',
      metadata: this.policyMeta(),
      spec: Lazy.any({ produce: () => mcpAccessPolicySpec(this.name, this.grants) }),
    });
    const gw = this.config.toolGateway;
    const to = gw ? { pods: { ...gw.pods }, port: gw.port } : { pods: { namespace: this.namespace, podLabels: { ...this.selectorLabels } }, port: this.config.port };
    const pods = { ...(to.pods.namespace !== undefined && to.pods.namespace !== agent.namespace ? { namespace: to.pods.namespace } : {}), podLabels: { ...to.pods.podLabels } };
    agent.addEgress({ description: `MCP server ${this.namespace}/${this.name}`, pods, ports: [{ port: to.port }] });
    if (!gw) this.callers.push({ namespace: agent.namespace, podLabels: { ...agent.selectorLabels } });
    if (o.urlEnv) agent.addEnv(o.urlEnv, this.url);
  }

  /** For {@link DomainEgress}, during construction only: an env var on the server's container (the proxy's `HTTPS_PROXY`). */
  public addEnv(name: string, value: string): void {
    this.ownGrant.addEnv(name, value);
  }

  /** For {@link DomainEgress}, during construction only: an egress rule on the server's NetworkPolicy. */
  public addEgress(rule: z.input<typeof egressRuleSchema>): void {
    this.ownGrant.addEgress(rule);
  }
}
