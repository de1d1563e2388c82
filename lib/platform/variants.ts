import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { z } from 'zod';
import { profileSchema, type Profile } from '../core/profile.js';
import { dnsLabel, hostname, labelMap } from '../core/schemas.js';
import { markAlternativeRoutes } from '../exposure/route-claims.js';
import { formatIssue, problem, PropsValidationError } from '../internal/props.js';
import type { AgentComponent, AgentPlatformProps, ExternalComponent, FrontendComponent, ModelGatewayComponent, PlatformComponent } from './agent-platform-props.js';

/** What an environment or tier may change on an agent. `replicas` and `autoscaling` replace each other. */
export interface AgentOverride {
  /** Image. @default - the definition's */
  readonly image?: string;
  /** Static replicas (drops the definition's autoscaling). @default - the definition's */
  readonly replicas?: number;
  /** Autoscaling (drops the definition's replicas). @default - the definition's */
  readonly autoscaling?: AgentComponent['props']['autoscaling'];
  /** Requests and limits. @default - the definition's */
  readonly resources?: AgentComponent['props']['resources'];
  /** Merged over the definition's env, key by key. @default {} */
  readonly env?: AgentComponent['props']['env'];
  /** Rolling update bounds. @default - the definition's */
  readonly rollingUpdate?: AgentComponent['props']['rollingUpdate'];
  /** Domains it reaches (replacing the definition's list; `[]` for none). @default - the definition's */
  readonly egressDomains?: AgentComponent['egressDomains'];
}

/** What an environment or tier may change on a UI. */
export interface FrontendOverride {
  /** Image. @default - the definition's */
  readonly image?: string;
  /** Replicas. @default - the definition's */
  readonly replicas?: number;
  /** Requests and limits. @default - the definition's */
  readonly resources?: FrontendComponent['props']['resources'];
  /** Merged over the definition's, key by key. @default {} */
  readonly runtimeConfig?: Readonly<Record<string, string>>;
}

/** What an environment or tier may change on a store: its settings, merged key by key. */
export interface StoreOverride {
  /** Merged over the definition's settings, key by key. @default {} */
  readonly settings?: Readonly<Record<string, unknown>>;
}

/** What an environment or tier may change on an external service. */
export interface ExternalOverride {
  /** Host. @default - the definition's */
  readonly host?: string;
  /** Port. @default - the definition's */
  readonly port?: number;
  /** Where it is. @default - the definition's */
  readonly destination?: ExternalComponent['destination'];
  /** Merged over the definition's, key by key. @default {} */
  readonly env?: ExternalComponent['env'];
}

/** What an environment or tier may change on a model gateway. */
export interface ModelGatewayOverride {
  /** Image. @default - the definition's */
  readonly image?: string;
  /** Replicas. @default - the definition's */
  readonly replicas?: number;
  /** The providers (replacing the definition's list). @default - the definition's */
  readonly providers?: ModelGatewayComponent['props']['providers'];
  /** The fallbacks (replacing the definition's list; `[]` for none). @default - the definition's */
  readonly fallbacks?: ModelGatewayComponent['props']['fallbacks'];
}

/** The settings of one environment or tier. */
export interface PlatformOverrides {
  /** @default - the definition's namespace, `-<environment or tier>` appended */
  readonly namespace?: string;
  /** @default - the definition's */
  readonly profile?: Profile;
  /** Merged over the definition's. @default {} */
  readonly namespaceLabels?: Readonly<Record<string, string>>;
  /** @default - the definition's, or computed */
  readonly quota?: AgentPlatformProps['quota'];
  /** The hosts of this variant: the definition's host to this one's. @default - the definition's hosts */
  readonly hosts?: Readonly<Record<string, string>>;
  /** Per component, by name: only the settings its kind allows. @default {} */
  readonly components?: Readonly<Record<string, AgentOverride | FrontendOverride | StoreOverride | ExternalOverride | ModelGatewayOverride>>;
  /**
   * Components of the definition this variant leaves out (a model gateway
   * where the model is a stub), with every agent's dependency on them. A
   * component a host routes to or a store depends on cannot be left out.
   * @default []
   */
  readonly omit?: readonly string[];
}

const any = z.custom<unknown>(() => true);
const OVERRIDE_SCHEMAS: Record<PlatformComponent['kind'], z.ZodType> = {
  agent: z.strictObject({ image: z.string().optional(), replicas: z.number().int().min(1).optional(), autoscaling: any.optional(), resources: any.optional(), env: z.record(z.string(), any).optional(), rollingUpdate: any.optional(), egressDomains: z.array(any).optional() }),
  frontend: z.strictObject({ image: z.string().optional(), replicas: z.number().int().min(1).optional(), resources: any.optional(), runtimeConfig: z.record(z.string(), z.string()).optional() }),
  store: z.strictObject({ settings: z.record(z.string(), any).optional() }),
  job: z.strictObject({ settings: z.record(z.string(), any).optional() }),
  'model-gateway': z.strictObject({ image: z.string().optional(), replicas: z.number().int().min(1).optional(), providers: z.array(any).optional(), fallbacks: z.array(any).optional() }),
  external: z.strictObject({ host: hostname.optional(), port: z.number().int().optional(), destination: any.optional(), env: z.record(z.string(), any).optional() }),
};

const overridesSchema = z.strictObject({
  namespace: dnsLabel.optional(),
  profile: profileSchema.optional(),
  namespaceLabels: labelMap.optional(),
  quota: any.optional(),
  hosts: z.record(z.string(), hostname).optional(),
  components: z.record(z.string(), z.record(z.string(), any)).optional(),
  omit: z.array(z.string()).optional(),
});

const MERGED = new Set(['env', 'runtimeConfig', 'settings']);

/** The setting paths an override sets (`api.resources`, `api.env.LOG_LEVEL`), for the tiers' completeness check. */
function settingPaths(o: PlatformOverrides): string[] {
  return Object.entries(o.components ?? {}).flatMap(([name, c]) =>
    Object.entries(c).flatMap(([key, value]) => (MERGED.has(key) && value && typeof value === 'object' ? Object.keys(value).map((k) => `${name}.${key}.${k}`) : [`${name}.${key}`])),
  );
}

/** Checks every variant's overrides against the definition; throws one error listing each problem. */
function checkVariants(id: string, key: string, definition: AgentPlatformProps, variants: Readonly<Record<string, PlatformOverrides>>, sameSettings: boolean): void {
  const lines: string[] = [];
  const at = (variant: string, ...rest: (string | number)[]) => [key, variant, ...rest];
  const push = (path: (string | number)[], what: string, got: unknown, fix: string) =>
    lines.push(...formatIssue(id, { code: 'custom', path, message: problem(what, fix), params: { value: got }, input: got } as never, {}));
  const all = Object.entries(variants).map(([name, o]) => [name, new Set(settingPaths(o))] as const);
  const union = new Set(all.flatMap(([, s]) => [...s]));
  for (const [variant, o] of Object.entries(variants)) {
    const top = overridesSchema.safeParse(o);
    if (!top.success) for (const issue of top.error.issues) lines.push(...formatIssue(id, { ...issue, path: at(variant, ...(issue.path as (string | number)[])) }, { [key]: { [variant]: o } }));
    for (const host of Object.keys(o.hosts ?? {})) {
      if (!(definition.hosts ?? []).some((h) => h.host === host)) push(at(variant, 'hosts', host), 'names no host of the definition', host, `use one of ${(definition.hosts ?? []).map((h) => h.host).join(', ') || '(no hosts)'}`);
    }
    for (const [name, c] of Object.entries(o.components ?? {})) {
      const base = definition.components[name];
      if (!base) {
        push(at(variant, 'components', name), 'names no component of the definition', name, `use one of ${Object.keys(definition.components).join(', ')}`);
        continue;
      }
      const parsed = OVERRIDE_SCHEMAS[base.kind].safeParse(c);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) lines.push(...formatIssue(id, { ...issue, path: at(variant, 'components', name, ...(issue.path as (string | number)[])) }, { [key]: { [variant]: { components: { [name]: c } } } }));
      }
    }
    for (const [i, name] of (o.omit ?? []).entries()) {
      const why = omitConflict(definition, o, name);
      if (why) push(at(variant, 'omit', i), why[0], name, why[1]);
    }
    if (sameSettings) {
      const mine = all.find(([n]) => n === variant)![1];
      for (const path of union) {
        if (mine.has(path)) continue;
        const by = all.find(([, s]) => s.has(path))![0];
        push(at(variant, 'components', ...path.split('.')), `is missing, set by ${key.replace(/s$/, '')} ${by}`, undefined, `give every ${key.replace(/s$/, '')} a value for it`);
      }
    }
  }
  if (lines.length > 0) throw new PropsValidationError(id, lines);
}

/** Why `name` cannot be left out of a variant, as [what is wrong, how to fix it]; undefined when it can. */
function omitConflict(definition: AgentPlatformProps, o: PlatformOverrides, name: string): [string, string] | undefined {
  if (!(name in definition.components)) return ['names no component of the definition', `use one of ${Object.keys(definition.components).join(', ')}`];
  if (o.components?.[name]) return [`is also overridden in components.${name}`, 'remove the override, or keep the component'];
  const host = (definition.hosts ?? []).find((h) => h.paths.some((path) => path.component === name));
  if (host) return [`is routed from host ${host.host}`, 'keep it, or route the path to another component'];
  const store = Object.entries(definition.components).find(([, c]) => c.kind === 'store' && (c.dependsOn ?? []).includes(name));
  if (store) return [`is a dependency of store ${store[0]}`, `keep it, or leave out ${store[0]} too`];
  return undefined;
}

function mergeComponent(base: PlatformComponent, o: Record<string, unknown> | undefined): PlatformComponent {
  if (!o) return base;
  if (base.kind === 'store' || base.kind === 'job') return { ...base, settings: { ...base.settings, ...(o.settings as object) } };
  if (base.kind === 'external') return { ...base, ...o, env: { ...base.env, ...(o.env as object) } } as PlatformComponent;
  const props: Record<string, unknown> = { ...base.props };
  const { egressDomains, ...rest } = o;
  if (egressDomains !== undefined && base.kind === 'agent') base = { ...base, egressDomains: egressDomains as AgentComponent['egressDomains'] };
  for (const [key, value] of Object.entries(rest)) {
    props[key] = MERGED.has(key) ? { ...(props[key] as object), ...(value as object) } : value;
    if (key === 'replicas') delete props.autoscaling;
    if (key === 'autoscaling') delete props.replicas;
  }
  return { ...base, props } as PlatformComponent;
}

/** An agent without its dependencies on the components left out. */
function leaveOut(c: PlatformComponent, omit: ReadonlySet<string>): PlatformComponent {
  if (c.kind !== 'agent' || !c.dependsOn || omit.size === 0) return c;
  return { ...c, dependsOn: c.dependsOn.filter((d) => !omit.has(typeof d === 'string' ? d : d.component)) };
}

/** The definition with one variant's overrides applied. */
export function applyOverrides(definition: AgentPlatformProps, variant: string, o: PlatformOverrides): AgentPlatformProps {
  const omit = new Set(o.omit ?? []);
  const components = Object.fromEntries(
    Object.entries(definition.components)
      .filter(([name]) => !omit.has(name))
      .map(([name, c]) => [name, leaveOut(mergeComponent(c, o.components?.[name] as Record<string, unknown> | undefined), omit)]),
  );
  return {
    ...definition,
    namespace: o.namespace ?? `${definition.namespace}-${variant}`,
    profile: o.profile ?? definition.profile,
    namespaceLabels: { ...definition.namespaceLabels, ...o.namespaceLabels },
    quota: o.quota ?? definition.quota,
    hosts: (definition.hosts ?? []).map((h) => ({ ...h, host: o.hosts?.[h.host] ?? h.host })),
    components,
  };
}

/**
 * One chart per variant (`<id>-<variant>`), each holding the definition with
 * the variant's overrides applied, built by `build`. Bad overrides fail
 * before any chart is made.
 */
export function buildVariants<T>(
  app: Construct,
  id: string,
  key: 'environments' | 'tiers',
  definition: AgentPlatformProps,
  variants: Readonly<Record<string, PlatformOverrides>>,
  build: (chart: Chart, props: AgentPlatformProps) => T,
): Record<string, T> {
  checkVariants(id, key, definition, variants, key === 'tiers');
  return Object.fromEntries(
    Object.entries(variants).map(([variant, o]) => {
      const chart = new Chart(app, `${id}-${variant}`);
      // Tiers are alternatives, never deployed side by side: each may use the same hosts.
      if (key === 'tiers') markAlternativeRoutes(chart);
      return [variant, build(chart, applyOverrides(definition, variant, o))];
    }),
  );
}
