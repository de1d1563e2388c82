import { ApiObject, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import type { Profile } from '../core/profile.js';
import { ANNOTATIONS } from '../internal/labels.js';
import { ReportedError } from '../internal/reported-error.js';
import { registerSideFiles } from '../internal/side-files.js';
import { parseConstructProps, setPrimary } from '../kit/index.js';
import { formatBytes, formatCpu, parseQuantity } from '../core/quantity.js';
import { AgentNamespace, DEFAULT_LIMIT_RANGE, type ContainerLimitRange } from '../namespace/agent-namespace.js';
import { publicEgress } from '../egress/baseline.js';
import { DomainEgress, type DomainEgressRuleProps } from '../egress/domain-egress.js';
import { ModelGateway } from '../gateway/model-gateway.js';
import type { IServingWorkload } from '../network/serving.js';
import { SecureAgentDeployment } from '../workload/secure-agent-deployment.js';
import { AgentPlatformPropsSchema, type AgentPlatformConfig, type AgentPlatformProps, type StoreContext } from './agent-platform-props.js';
import { HostRoutes } from './host-routes.js';
import { formatQuota, largestContainerLimits, QUOTA_KINDS, quotaNeeded, quotaShortfalls, type QuotaSpec } from './quota.js';
import { StaticFrontend } from './static-frontend.js';
import { buildTopology, renderMermaid, type DeclaredTopology, type Topology } from './topology.js';
import { renderSvg } from './topology-svg.js';
import { buildVariants, type PlatformOverrides } from './variants.js';
import { agentServing, wireDependency, wireStoreDependency, writeConnections, type Node, type PlatformEdge } from './wiring.js';

export type { PlatformEdge } from './wiring.js';

const CONNECTIONS = ANNOTATIONS.connections;

/** A synthesized object, loosely typed. */
type Manifest = { kind?: string; metadata?: { name?: string; namespace?: string }; spec?: Record<string, unknown> };

/** Construct ids of the platform's own children (components take their names as ids). */
export const AgentPlatformIds = {
  Namespace: 'Namespace',
  /** Host routes: `Routes`, then `Routes2`, `Routes3`, … */
  Routes: 'Routes',
} as const;

/**
 * A whole agent platform from one typed definition: agents and APIs
 * ({@link SecureAgentDeployment}), web UIs ({@link StaticFrontend}), data
 * stores (any {@link IServingWorkload}) and external services, in one
 * {@link AgentNamespace}. Declared dependencies are the only traffic
 * allowed between components: `api → redis` opens egress on `api` to
 * redis's pods on the one port, ingress on redis from `api` on that port,
 * and gives `api` the connection's environment (host, port, URL, Secret
 * references). Hosts route paths to agents and UIs ({@link HostRoutes}).
 * The namespace quota is computed from the components at their maximum, or
 * checked when given.
 */
export class AgentPlatform extends Construct {
  /** The platform name (`app.kubernetes.io/part-of`). */
  public readonly name: string;
  /** The namespace. */
  public readonly namespace: string;
  /** The profile. */
  public readonly profile: Profile;
  /** The namespace construct (created after the components, sized for them); its Namespace is the default child. */
  public readonly agentNamespace: AgentNamespace;
  /** Agents and APIs, by component name. */
  public readonly agents: Readonly<Record<string, SecureAgentDeployment>>;
  /** Web UIs, by component name. */
  public readonly frontends: Readonly<Record<string, StaticFrontend>>;
  /** Data stores, by component name. */
  public readonly stores: Readonly<Record<string, IServingWorkload>>;
  /** Model gateways, by component name. */
  public readonly gateways: Readonly<Record<string, ModelGateway>>;
  /** The host routes, one per host. */
  public readonly routes: readonly HostRoutes[];
  /** The declared dependencies, wired. */
  public readonly edges: readonly PlatformEdge[];
  /** Components and their kinds, in declaration order. */
  public readonly components: readonly { readonly name: string; readonly kind: string; readonly host?: string; readonly port?: number; readonly outsideId?: string }[];
  /** The quota in force (given, or computed). */
  public readonly quota: QuotaSpec;
  /** Edges of the agents' `egressDomains` to the enforcement point, for the topology. */
  private readonly domainEdges: { readonly from: string; readonly to: string; readonly port: number }[] = [];

  /**
   * One definition, several environments (dev, staging, production): a
   * chart `<id>-<environment>` each, with its own namespace (default
   * `<namespace>-<environment>`), profile and typed overrides (replicas,
   * resources, env, store settings, hosts). An override naming an unknown
   * component or a setting its kind does not have fails before any chart
   * is made.
   */
  public static environments(
    scope: Construct,
    id: string,
    props: { readonly definition: AgentPlatformProps; readonly environments: Readonly<Record<string, PlatformOverrides>> },
  ): Record<string, AgentPlatform> {
    return buildVariants(scope, id, 'environments', props.definition, props.environments, (chart, p) => new AgentPlatform(chart, 'Platform', p));
  }

  /**
   * Sizing tiers (small, medium, large): like {@link environments}, and every
   * tier must set the same settings, so a tier never silently keeps the
   * definition's value where the others scale it.
   */
  public static tiers(
    scope: Construct,
    id: string,
    props: { readonly definition: AgentPlatformProps; readonly tiers: Readonly<Record<string, PlatformOverrides>> },
  ): Record<string, AgentPlatform> {
    return buildVariants(scope, id, 'tiers', props.definition, props.tiers, (chart, p) => new AgentPlatform(chart, 'Platform', p));
  }

  constructor(scope: Construct, id: string, props: AgentPlatformProps) {
    super(scope, id);
    const p = parseConstructProps(this, AgentPlatformPropsSchema, props);
    [this.name, this.namespace, this.profile] = [p.name, p.namespace, p.profile];
    const nodes = this.buildComponents(p);
    this.agents = pick(nodes, (n) => (n.kind === 'agent' ? n.agent : undefined));
    this.frontends = pick(nodes, (n) => (n.kind === 'frontend' ? (n.serving as StaticFrontend) : undefined));
    this.stores = pick(nodes, (n) => (n.kind === 'store' ? n.serving : undefined));
    this.gateways = pick(nodes, (n) => (n.kind === 'model-gateway' ? (n.serving as ModelGateway) : undefined));
    this.components = [...nodes].map(([name, n]) => ({ name, kind: n.kind, ...(n.kind === 'external' ? { host: n.external.host, port: n.external.port, outsideId: outsideId(n.external.destination, p.namespace) } : {}) }));
    this.edges = Object.entries(p.components).flatMap(([name, c]) => {
      if (c.kind === 'store') return c.dependsOn.map((to) => wireStoreDependency(name, to, nodes));
      if (c.kind !== 'agent') return [];
      const edges = c.dependsOn.map((d, i) => wireDependency(this.node.path, name, this.agents[name]!, d, i, nodes));
      writeConnections(this.node.path, name, this.agents[name]!, c.dependsOn, nodes, c.props.podAnnotations?.[CONNECTIONS]);
      return edges;
    });
    this.routes = p.hosts.map((h, i) => {
      const routes = h.paths.map((path) => ({ path: path.path, pathType: path.pathType, service: path.component, port: servicePort(nodes.get(path.component)!) }));
      // An agent serving metrics on its app port never has them routed: the path answers 403 at the edge.
      const blockedPaths = [...new Set(h.paths.flatMap((path) => sharedMetricsPath(this.agents[path.component])))].filter((b) => !h.paths.some((path) => path.path === b));
      return new HostRoutes(this, i === 0 ? AgentPlatformIds.Routes : `${AgentPlatformIds.Routes}${i + 1}`, {
        name: h.name ?? (i === 0 ? p.name : `${p.name}-${i + 1}`),
        namespace: p.namespace,
        profile: p.profile,
        host: h.host,
        via: h.via,
        routes,
        blockedPaths,
        labels: { 'app.kubernetes.io/part-of': p.name },
      });
    });
    const objects = this.namespaceObjects(p.namespace);
    this.quota = this.resolveQuota(p, objects);
    const limitRange = AgentPlatform.limitRangeFor(objects);
    this.agentNamespace = new AgentNamespace(this, AgentPlatformIds.Namespace, {
      name: p.namespace,
      profile: p.profile,
      labels: p.namespaceLabels,
      quota: this.quota,
      ...(limitRange ? { limitRange } : {}),
      ...(p.apiServerEgress ? { apiServerEgress: p.apiServerEgress } : {}),
    });
    setPrimary(this, this.agentNamespace.namespace);
    const title = `${p.name} (namespace ${p.namespace})`;
    // The picture is drawn from the chart's synthesized objects at synth, next to its YAML.
    registerSideFiles(Chart.of(this), (objects) => {
      const t = this.topology(objects);
      return { 'topology.mmd': renderMermaid(t, title), 'topology.svg': renderSvg(t, title) };
    });
  }

  /**
   * The platform's topology in `objects` (the synthesized chart): its
   * components and the edges its NetworkPolicies allow, each marked
   * declared, undeclared (allowed without a dependency) or blocked
   * (declared, not allowed).
   */
  public topology(objects: readonly object[]): Topology {
    const declared: DeclaredTopology = {
      namespace: this.namespace,
      components: this.components.map((c) => ({ name: c.name, kind: c.kind, ...(c.outsideId ? { outsideId: c.outsideId } : {}) })),
      edges: [...this.edges, ...this.domainEdges],
    };
    return buildTopology(objects, declared);
  }

  private buildComponents(p: AgentPlatformConfig): Map<string, Node> {
    const built = new Map<string, Node>();
    const common = { namespace: p.namespace, profile: p.profile, partOf: p.name };
    for (const name of buildOrder(p)) {
      const c = p.components[name]!;
      if (c.kind === 'agent') {
        const ingressFrom = c.props.ingressFrom ?? routedFrom(p, name);
        const agent = new SecureAgentDeployment(this, name, { ...c.props, name, ...common, ...(ingressFrom ? { ingressFrom } : {}) });
        built.set(name, { kind: 'agent', agent, serving: agentServing(agent, c.props.port ?? 8080) });
        if (c.egressDomains.length > 0) this.allowDomains(name, agent, c.egressDomains);
      } else if (c.kind === 'frontend') {
        const ingressFrom = c.props.ingressFrom ?? routedFrom(p, name);
        built.set(name, { kind: 'frontend', serving: new StaticFrontend(this, name, { ...c.props, name, ...common, ...(ingressFrom ? { ingressFrom } : {}) }) });
      } else if (c.kind === 'store') {
        const dependency = storeDependency(this.node.path, name, c.dependsOn, built);
        built.set(name, { kind: 'store', serving: c.create(this, name, { ...common, settings: c.settings, dependency }) });
      } else if (c.kind === 'model-gateway') {
        built.set(name, { kind: 'model-gateway', serving: new ModelGateway(this, name, { ...c.props, name, namespace: p.namespace, partOf: p.name }) });
      } else if (c.kind === 'job') {
        c.create(this, name, { ...common, settings: c.settings, dependency: storeDependency(this.node.path, name, [], built) });
        built.set(name, { kind: 'job' });
      } else {
        built.set(name, { kind: 'external', external: c });
      }
    }
    // Declaration order, whatever order the stores were built in.
    return new Map(Object.keys(p.components).map((name) => [name, built.get(name)!]));
  }

  /**
   * Lets an agent reach its `egressDomains` through the app's DomainEgress,
   * and records where that egress goes (the egress proxy's pods, or public
   * addresses for a sidecar or plain NetworkPolicy) as declared.
   */
  private allowDomains(name: string, agent: SecureAgentDeployment, rules: readonly DomainEgressRuleProps[]): void {
    const egress = DomainEgress.of(this);
    egress.allow(agent, rules);
    const ports = [...new Set(rules.flatMap((r) => r.ports))];
    if (egress.proxy) {
      const proxy = egress.proxy;
      const to = proxy.namespace === agent.namespace ? proxy.name : `pods:${proxy.namespace}/${JSON.stringify({ 'app.kubernetes.io/name': proxy.peer.podLabels['app.kubernetes.io/name'] })}`;
      this.domainEdges.push({ from: name, to, port: proxy.port });
    } else if (egress.enforcement === 'istio' || egress.enforcement === 'networkPolicy') {
      const cidrs = publicEgress(ports, '').flatMap((r) => ('cidr' in r ? [r.cidr] : []));
      for (const cidr of cidrs) for (const port of ports) this.domainEdges.push({ from: name, to: `cidr:${cidr}`, port });
    }
  }

  /**
   * The default LimitRange, its `max` raised to the largest container limit
   * of the components where that is above it (a large database), so
   * admission takes every pod; undefined when the default fits.
   */
  private static limitRangeFor(objects: readonly Manifest[]): ContainerLimitRange | undefined {
    const largest = largestContainerLimits(objects);
    const max = DEFAULT_LIMIT_RANGE.max;
    const above = (key: keyof typeof largest) => largest[key] > (parseQuantity(max[key]) ?? 0);
    if (!above('cpu') && !above('memory') && !above('ephemeralStorage')) return undefined;
    const raised = {
      cpu: above('cpu') ? formatCpu(largest.cpu) : max.cpu,
      memory: above('memory') ? formatBytes(largest.memory) : max.memory,
      ephemeralStorage: above('ephemeralStorage') ? formatBytes(largest.ephemeralStorage) : max.ephemeralStorage,
    };
    return { ...DEFAULT_LIMIT_RANGE, max: raised };
  }

  /**
   * The synthesized objects of the platform in its namespace that the quota
   * and the LimitRange are computed from (workloads, autoscalers, claims);
   * the others are not resolved here (synth resolves every object anyway).
   */
  private namespaceObjects(ns: string): Manifest[] {
    return this.node
      .findAll()
      .filter((c): c is ApiObject => c instanceof ApiObject && QUOTA_KINDS.has(c.kind))
      .map((o) => o.toJson() as Manifest)
      .filter((o) => o.metadata?.namespace === ns);
  }

  /** The given quota, checked against the components at their maximum, or that maximum rounded up. */
  private resolveQuota(p: AgentPlatformConfig, objects: readonly Manifest[]): QuotaSpec {
    const { totals, shares } = quotaNeeded(objects);
    if (!p.quota) return formatQuota(totals);
    const short = quotaShortfalls(p.quota, totals);
    if (short.length > 0) {
      const at = shares.map((s) => `${s.workload} x${s.pods}`).join(', ');
      throw new ReportedError(
        short
          .map(([key, need]) => {
            const given = key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], p.quota);
            return `${this.node.path} props.quota.${key}: cannot hold the components at their maximum (${at}), which need ${need}, got ${JSON.stringify(given)}; raise it to at least ${need}, or leave quota out to have it computed`;
          })
          .join('\n'),
      );
    }
    return p.quota;
  }
}

/** The components in declaration order, each store after the stores it depends on (the schema rejects cycles). */
function buildOrder(p: AgentPlatformConfig): string[] {
  const order: string[] = [];
  const visit = (name: string): void => {
    if (order.includes(name)) return;
    const c = p.components[name]!;
    if (c.kind === 'store') for (const d of c.dependsOn) visit(d);
    order.push(name);
  };
  for (const name of Object.keys(p.components)) visit(name);
  return order;
}

/** `context.dependency` of a store: one of its declared dependencies, built, checked to be of the class asked for. */
function storeDependency(path: string, from: string, dependsOn: readonly string[], built: ReadonlyMap<string, Node>): StoreContext['dependency'] {
  return <T extends IServingWorkload>(name: string, type: abstract new (...args: never[]) => T): T => {
    const where = `${path} props.components.${from}.create`;
    if (!dependsOn.includes(name)) throw new ReportedError(`${where}: asks for dependency ${JSON.stringify(name)}, which ${from} does not declare; add it to props.components.${from}.dependsOn (declared: ${dependsOn.join(', ') || 'none'})`);
    const n = built.get(name);
    const serving = n && (n.kind === 'store' || n.kind === 'frontend' || n.kind === 'agent') ? n.serving : undefined;
    if (!(serving instanceof type)) throw new ReportedError(`${where}: asks for dependency ${JSON.stringify(name)} as a ${type.name}, got ${serving?.constructor.name ?? 'nothing'}; ask for the class the store ${name} is built as`);
    return serving;
  };
}

/** The ingress source a routed component must admit: the controller of the first host routing to it. */
function routedFrom(p: AgentPlatformConfig, component: string): 'ingress-nginx' | 'envoy-gateway' | undefined {
  const host = p.hosts.find((h) => h.paths.some((path) => path.component === component));
  return host ? (host.via.type === 'ingress' ? 'ingress-nginx' : 'envoy-gateway') : undefined;
}

/** The topology node id of where an external component's egress goes. */
function outsideId(d: Extract<Node, { kind: 'external' }>['external']['destination'], ns: string): string {
  if (d === 'internet') return 'cidr:0.0.0.0/0';
  if ('cidr' in d) return `cidr:${d.cidr}`;
  return `pods:${d.pods.namespace ?? ns}/${JSON.stringify(d.pods.podLabels)}`;
}

/** The metrics path of an agent whose metrics share its app port, as a list. */
function sharedMetricsPath(agent: SecureAgentDeployment | undefined): string[] {
  return agent?.metricsPort?.name === 'http' ? [agent.metricsPort.path] : [];
}

/** The Service port of a routed component (`http`). */
function servicePort(n: Node): number {
  return n.kind === 'external' ? n.external.port : n.kind === 'job' ? 0 : n.serving.servedPorts[0]!.port;
}

function pick<T>(nodes: ReadonlyMap<string, Node>, f: (n: Node) => T | undefined): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [name, n] of nodes) {
    const v = f(n);
    if (v !== undefined) out[name] = v;
  }
  return out;
}
