import type { Construct } from 'constructs';
import { z } from 'zod';
import { profileSchema, type Profile } from '../core/profile.js';
import { cidr, dnsLabel, envVarName, hostname, httpPath, labelMap, portNumber, workloadName } from '../core/schemas.js';
import type { DomainEgressRuleProps } from '../egress/domain-egress.js';
import type { HostRoutesProps } from '../exposure/host-routes-props.js';
import type { ModelGatewayProps } from '../gateway/model-gateway-props.js';
import { problem } from '../internal/props.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import type { AgentNamespaceProps } from '../namespace/agent-namespace.js';
import { podPeerSchema, type PodPeer } from '../network/peers.js';
import type { IServingWorkload } from '../network/serving.js';
import type { SecureAgentDeploymentProps } from '../workload/secure-agent-deployment-props.js';
import type { StaticFrontendProps } from './static-frontend-props.js';

/** What a store factory is given. */
export interface StoreContext {
  /** Namespace of the platform (of this environment or tier). */
  readonly namespace: string;
  /** Profile of the platform. */
  readonly profile: Profile;
  /** `app.kubernetes.io/part-of` of the platform. */
  readonly partOf: string;
  /** The store's settings: the component's `settings` with the environment's or tier's merged over them. */
  readonly settings: Readonly<Record<string, unknown>>;
  /**
   * A store this one declares in `dependsOn`, already built, as the class
   * it must be (`ctx.dependency('postgres', PostgresStore).pgBouncerServer()`).
   * Throws, naming the component, for a name not in `dependsOn` or a store of
   * another class.
   */
  dependency<T extends IServingWorkload>(name: string, type: abstract new (...args: never[]) => T): T;
}

/** Builds a data store (a RedisStore, PostgresStore, PgBouncer, OpaServer, …) in the platform's scope; called once per environment or tier. */
export type StoreFactory = (scope: Construct, id: string, context: StoreContext) => IServingWorkload;

/** A dependency on another component: by name, or with options. */
export interface PlatformDependency {
  /** The component depended on. */
  readonly component: string;
  /** The served port used, by name. @default - the target's first served port */
  readonly port?: string;
  /** Prefix of the connection's environment variables. @default - the target's name in upper case with `_` (`REDIS_`) */
  readonly envPrefix?: string;
  /** Whether the caller gets the connection's environment variables. @default true */
  readonly env?: boolean;
  /**
   * Connections each pod of the caller opens to the target at most (its
   * pool: workers times pool size plus overflow). Written on the caller's
   * pods, so the verification checks that every caller at its maximum
   * replicas fits the connection limit the target declares (a PostgresStore,
   * a PgBouncer).
   * @default - none declared: the budget is not checked for this caller
   */
  readonly connections?: number;
}

/** An agent or API, built as a {@link SecureAgentDeployment}. */
export interface AgentComponent {
  /** An agent or API. */
  readonly kind: 'agent';
  /** Its props; the platform sets `name` (the component's), `namespace`, `profile` and `partOf`, and `ingressFrom` when routed. */
  readonly props: Omit<SecureAgentDeploymentProps, 'name' | 'namespace' | 'profile'>;
  /** What it calls; each yields egress to the target, the target's ingress from it, and the connection env. @default [] */
  readonly dependsOn?: readonly (string | PlatformDependency)[];
  /**
   * Public services it reaches by domain name (a telemetry endpoint),
   * allowed through the app's DomainEgress, which must exist: the
   * enforcement point's egress and env (an egress proxy's `HTTPS_PROXY`),
   * and nothing else of the internet.
   * @default []
   */
  readonly egressDomains?: readonly DomainEgressRuleProps[];
}

/** A web UI, built as a {@link StaticFrontend}. */
export interface FrontendComponent {
  /** A web UI. */
  readonly kind: 'frontend';
  /** Its props; the platform sets `name`, `namespace`, `profile` and `partOf`. */
  readonly props: Omit<StaticFrontendProps, 'name' | 'namespace' | 'profile'>;
}

/** A data store, built by a factory that returns an {@link IServingWorkload}. */
export interface StoreComponent {
  /** A data store. */
  readonly kind: 'store';
  /** Builds the store. */
  readonly create: StoreFactory;
  /** Settings handed to the factory (sizes, memory limits), which environments and tiers override key by key. @default {} */
  readonly settings?: Readonly<Record<string, unknown>>;
  /**
   * Other stores this one connects to (PgBouncer in front of PostgreSQL):
   * they are built first and handed to the factory (`context.dependency`),
   * and each admits this store's pods on the ports it serves. The store's
   * own egress comes from its props.
   * @default []
   */
  readonly dependsOn?: readonly string[];
}

/**
 * A model gateway, built as a {@link ModelGateway}: the one component that
 * reaches the LLM providers (by domain, through the app's DomainEgress) and
 * holds their keys. An agent depending on it gets egress to it and the
 * providers' base-URL variables pointing at it (`OPENAI_BASE_URL`,
 * `ANTHROPIC_BASE_URL`, and `<PREFIX>URL`, its OpenAI-compatible `/v1`
 * URL), never a provider key or a route to the providers.
 */
export interface ModelGatewayComponent {
  /** A model gateway. */
  readonly kind: 'model-gateway';
  /** Its props; the platform sets `name` (the component's), `namespace` and `partOf`. */
  readonly props: Omit<ModelGatewayProps, 'name' | 'namespace' | 'partOf'>;
}

/** A service outside the cluster (a managed database, an LLM provider, an OTLP endpoint). */
export interface ExternalComponent {
  /** A service outside the cluster. */
  readonly kind: 'external';
  /** Host name callers connect to. */
  readonly host: string;
  /** Port callers connect to. */
  readonly port: number;
  /**
   * Where it is, for the callers' egress rule: `'internet'` (public
   * addresses only, private and metadata ranges excluded), a CIDR block, or
   * pods in the cluster.
   */
  readonly destination: 'internet' | ExternalCidr | ExternalPods;
  /**
   * Environment of a caller, besides `<PREFIX>HOST` and `<PREFIX>PORT`:
   * literals, or Secret keys (`{ fromSecret: { name, key } }`).
   * @default {}
   */
  readonly env?: Readonly<Record<string, string | PlatformSecretKey>>;
}

/** An external service in a CIDR block. */
export interface ExternalCidr {
  /** The block, like `10.20.0.0/16`. */
  readonly cidr: string;
  /** Blocks excluded from it. @default [] */
  readonly except?: readonly string[];
}

/** An external service running as pods in another namespace. */
export interface ExternalPods {
  /** The pods, by namespace and labels. */
  readonly pods: PodPeer;
}

/** An environment value from a key of a Secret. */
export interface PlatformSecretKey {
  /** The Secret and its key. */
  readonly fromSecret: {
    /** Secret name. */
    readonly name: string;
    /** Key in the Secret. */
    readonly key: string;
  };
}

/** A Job or CronJob of the platform (migrations, backups), built by a factory in the platform's scope, so the quota counts it. */
export interface JobComponent {
  /** A Job or CronJob. */
  readonly kind: 'job';
  /** Builds the Job or CronJob construct (a MigrationJob, a BackupCronJob, …); its egress is its own props'. */
  readonly create: (scope: Construct, id: string, context: StoreContext) => Construct;
  /** Settings handed to the factory, overridden by environments and tiers like a store's. @default {} */
  readonly settings?: Readonly<Record<string, unknown>>;
}

/** One component of a platform. */
export type PlatformComponent = AgentComponent | FrontendComponent | StoreComponent | ExternalComponent | JobComponent | ModelGatewayComponent;

/** One path of a platform host. */
export interface PlatformPath {
  /** The path. */
  readonly path: string;
  /** The component it goes to (an agent or a frontend). */
  readonly component: string;
  /** `Prefix` takes the path and everything under it, `Exact` the path only. @default 'Prefix' */
  readonly pathType?: 'Prefix' | 'Exact';
}

/** A host of the platform: one Ingress or HTTPRoute routing its paths to components. */
export interface PlatformHost {
  /** The host. */
  readonly host: string;
  /** Name of the Ingress or HTTPRoute. @default - the platform's name, with `-<n>` after the first host */
  readonly name?: string;
  /** How it is routed (see {@link HostRoutes}). */
  readonly via: HostRoutesProps['via'];
  /** Its paths. */
  readonly paths: readonly PlatformPath[];
}

/** Props of {@link AgentPlatform}. */
export interface AgentPlatformProps {
  /** Platform name: `app.kubernetes.io/part-of` of every component. */
  readonly name: string;
  /** The namespace the platform creates and runs in. */
  readonly namespace: string;
  /** Deployment profile of every component. @default 'production' */
  readonly profile?: Profile;
  /** Extra namespace labels. @default {} */
  readonly namespaceLabels?: Readonly<Record<string, string>>;
  /** The components, by name (their object names). */
  readonly components: Readonly<Record<string, PlatformComponent>>;
  /** The hosts and their paths. @default [] */
  readonly hosts?: readonly PlatformHost[];
  /**
   * The namespace's ResourceQuota. A quota that cannot hold every
   * component at its maximum (HPA max plus surge, store members, Jobs) is
   * rejected.
   * @default - computed from the components at their maximum
   */
  readonly quota?: AgentNamespaceProps['quota'];
  /** API server egress of the namespace (see {@link AgentNamespace}). @default - none */
  readonly apiServerEgress?: AgentNamespaceProps['apiServerEgress'];
}

const dependencySchema = z.union([
  workloadName,
  z.strictObject({
    component: workloadName,
    port: z.string().min(1).optional(),
    envPrefix: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: problem('is not an environment variable prefix', "use letters, digits and '_', like 'REDIS_'") }).optional(),
    env: z.boolean().default(true),
    connections: z.number().int().min(1, { error: problem('must be at least 1', "give the caller's pool per pod") }).optional(),
  }),
]);

const objectProps = <T>() => z.custom<T>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), { error: problem('must be an object', 'pass the props of the construct') });

const connectionEnvValue = z.union([z.string(), z.strictObject({ fromSecret: z.strictObject({ name: dnsLabel, key: z.string().min(1) }) })]);

/** The schema of one component. */
export const componentSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('agent'),
    props: objectProps<AgentComponent['props']>(),
    dependsOn: z.array(dependencySchema).default([]),
    // The names and ports are checked by DomainEgress.allow, against its enforcement point.
    egressDomains: z.array(z.strictObject({ domains: z.array(z.string()).min(1), ports: z.array(portNumber).min(1) })).default([]),
  }),
  z.strictObject({ kind: z.literal('frontend'), props: objectProps<FrontendComponent['props']>() }),
  z.strictObject({ kind: z.literal('model-gateway'), props: objectProps<ModelGatewayComponent['props']>() }),
  z.strictObject({
    kind: z.literal('store'),
    create: z.custom<StoreFactory>((v) => typeof v === 'function', { error: problem('must be a function', 'pass (scope, id, context) => a store') }),
    settings: z.record(z.string(), z.unknown()).default({}),
    dependsOn: z.array(workloadName).default([]),
  }),
  z.strictObject({
    kind: z.literal('job'),
    create: z.custom<JobComponent['create']>((v) => typeof v === 'function', { error: problem('must be a function', 'pass (scope, id, context) => a Job construct') }),
    settings: z.record(z.string(), z.unknown()).default({}),
  }),
  z.strictObject({
    kind: z.literal('external'),
    host: hostname,
    port: portNumber,
    destination: z.union([z.literal('internet'), z.strictObject({ cidr, except: z.array(cidr).default([]) }), z.strictObject({ pods: podPeerSchema })]),
    env: z.record(envVarName, connectionEnvValue).default({}),
  }),
]);

const quotaSet = z.strictObject({ cpu: z.string(), memory: z.string(), ephemeralStorage: z.string() });

/** The schema of {@link AgentPlatformProps}. */
export const AgentPlatformPropsSchema = z
  .strictObject({
    name: dnsLabel,
    namespace: dnsLabel,
    profile: profileSchema.default('production'),
    namespaceLabels: labelMap.default({}),
    components: z.record(workloadName, componentSchema).refine((c) => Object.keys(c).length > 0, { error: problem('is empty', 'declare at least one component') }),
    hosts: z
      .array(
        z.strictObject({
          host: hostname,
          name: dnsLabel.optional(),
          via: z.custom<HostRoutesProps['via']>((v) => typeof v === 'object' && v !== null),
          paths: z.array(z.strictObject({ path: httpPath, component: workloadName, pathType: z.enum(['Prefix', 'Exact']).default('Prefix') })).min(1),
        }),
      )
      .default([]),
    quota: z
      .strictObject({ requests: quotaSet, limits: quotaSet, pods: z.number().int().min(1), persistentVolumeClaims: z.number().int().min(0), requestsStorage: z.string().optional() })
      .optional(),
    apiServerEgress: z.custom<NonNullable<AgentNamespaceProps['apiServerEgress']>>((v) => typeof v === 'object' && v !== null).optional(),
  })
  .superRefine((p, ctx) => {
    const known = Object.keys(p.components).join(', ');
    checkAgentDependencies(p, ctx, known);
    checkStoreDependencies(p, ctx, known);
    p.hosts.forEach((h, i) =>
      h.paths.forEach((path, j) => {
        const target = p.components[path.component];
        if (!target) {
          ctx.addIssue({ code: 'custom', path: ['hosts', i, 'paths', j, 'component'], message: problem('names no component of the platform', `use one of ${known}`) });
        } else if (target.kind !== 'agent' && target.kind !== 'frontend') {
          ctx.addIssue({ code: 'custom', path: ['hosts', i, 'paths', j, 'component'], message: problem(`is ${target.kind === 'external' ? 'an' : 'a'} ${target.kind}, which is never routed from outside`, 'route paths to agents and frontends only') });
        }
      }),
    );
  });

type ParsedProps = z.output<z.ZodObject<(typeof AgentPlatformPropsSchema)['shape']>>;

function checkAgentDependencies(p: ParsedProps, ctx: z.RefinementCtx, known: string): void {
  for (const [name, c] of Object.entries(p.components)) {
    if (c.kind !== 'agent') continue;
    c.dependsOn.forEach((d, i) => {
      const target = typeof d === 'string' ? d : d.component;
      const path = ['components', name, 'dependsOn', i, ...(typeof d === 'string' ? [] : ['component'])];
      if (!(target in p.components)) {
        ctx.addIssue({ code: 'custom', path, message: problem(`names no component of the platform`, `use one of ${known}`) });
      } else if (p.components[target]!.kind === 'job') {
        ctx.addIssue({ code: 'custom', path, message: problem('is a job, which serves nothing', 'depend on a component that serves a port') });
      } else if (target === name) {
        ctx.addIssue({ code: 'custom', path, message: problem('is the component itself', 'remove it: a component reaches its own pods') });
      }
    });
    checkGatewayBypass(p, ctx, name, c);
  }
}

/**
 * An agent that reaches the LLM providers through a model gateway opens no
 * route to the internet beside it (an egress rule to 0.0.0.0/0 or ::/0, or
 * an external component at `'internet'`): that route would reach the
 * providers around the gateway, with keys of the agent's own.
 */
function checkGatewayBypass(p: ParsedProps, ctx: z.RefinementCtx, name: string, c: Extract<ParsedProps['components'][string], { kind: 'agent' }>): void {
  const gateway = c.dependsOn.map((d) => (typeof d === 'string' ? d : d.component)).find((t) => p.components[t]?.kind === 'model-gateway');
  if (gateway === undefined) return;
  const fix = "reach other public services by domain through the app's DomainEgress, or through the gateway";
  const why = `while ${name} depends on model gateway ${gateway}, so it could call the LLM providers around the gateway`;
  (c.props.egress ?? []).forEach((rule, i) => {
    const cidr = (rule as { cidr?: string }).cidr;
    if (cidr === '0.0.0.0/0' || cidr === '::/0') ctx.addIssue({ code: 'custom', path: ['components', name, 'props', 'egress', i], message: problem(`opens the internet (${cidr}) ${why}`, `remove it; ${fix}`) });
  });
  c.dependsOn.forEach((d, i) => {
    const target = typeof d === 'string' ? d : d.component;
    const t = p.components[target];
    if (t?.kind === 'external' && t.destination === 'internet') ctx.addIssue({ code: 'custom', path: ['components', name, 'dependsOn', i], message: problem(`is external ${target} on the internet, ${why}`, `give ${target} a CIDR destination, or ${fix}`) });
  });
}

/** A store depends on other stores only, never on itself, and never in a cycle (each is built before the stores that depend on it). */
function checkStoreDependencies(p: ParsedProps, ctx: z.RefinementCtx, known: string): void {
  const stores = Object.entries(p.components).flatMap(([name, c]) => (c.kind === 'store' ? [[name, c.dependsOn] as const] : []));
  const storeNames = stores.map(([name]) => name).join(', ');
  for (const [name, deps] of stores) {
    deps.forEach((target, i) => {
      const path = ['components', name, 'dependsOn', i];
      const kind = p.components[target]?.kind;
      if (kind === undefined) ctx.addIssue({ code: 'custom', path, message: problem('names no component of the platform', `use one of ${known}`) });
      else if (target === name) ctx.addIssue({ code: 'custom', path, message: problem('is the component itself', 'remove it: a component reaches its own pods') });
      else if (kind !== 'store') ctx.addIssue({ code: 'custom', path, message: problem(`is ${kind === 'agent' || kind === 'external' ? 'an' : 'a'} ${kind}; a store depends on other stores only`, `use one of ${storeNames}`) });
    });
  }
  const deps = new Map(stores);
  const cycle = (start: string): string[] | undefined => {
    const walk = (at: string, seen: string[]): string[] | undefined => {
      // A store naming itself is reported apart.
      for (const next of (deps.get(at) ?? []).filter((d) => d !== at)) {
        if (next === start) return [...seen, next];
        if (!seen.includes(next)) {
          const found = walk(next, [...seen, next]);
          if (found) return found;
        }
      }
      return undefined;
    };
    return walk(start, [start]);
  };
  const reported = new Set<string>();
  for (const [name] of stores) {
    const c = cycle(name);
    if (!c || reported.has(name)) continue;
    for (const member of c) reported.add(member);
    ctx.addIssue({ code: 'custom', path: ['components', name, 'dependsOn'], message: problem(`makes a cycle (${c.join(' -> ')}), so no store can be built first`, 'remove one of the dependencies') });
  }
}

/** Parsed {@link AgentPlatformProps}. */
export type AgentPlatformConfig = z.output<typeof AgentPlatformPropsSchema>;

true satisfies SchemaAgrees<typeof AgentPlatformPropsSchema, AgentPlatformProps>;
