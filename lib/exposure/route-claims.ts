import type { IConstruct } from 'constructs';
import { ReportedError } from '../internal/reported-error.js';

/** One route a construct answers: a controller (IngressClass or Gateway), a host, a path and its match type. */
export interface RouteClaim {
  /** `ingress:<class>` or `gateway:<namespace>/<name>`: routes only collide on the same controller. */
  readonly controller: string;
  readonly host: string;
  readonly path: string;
  readonly pathType: 'Prefix' | 'Exact';
}

const registries = new WeakMap<IConstruct, Map<string, string>>();
const separateScopes = new WeakSet<IConstruct>();

/**
 * Marks `scope` as an alternative deployment (a sizing tier): its routes are
 * claimed among themselves, not against the rest of the app, since
 * alternatives never run side by side.
 */
export function markAlternativeRoutes(scope: IConstruct): void {
  separateScopes.add(scope);
}

function registryRoot(scope: IConstruct): IConstruct {
  for (const c of scope.node.scopes.slice().reverse()) if (separateScopes.has(c)) return c;
  return scope.node.root;
}

/**
 * The key two routes collide on. A `Prefix` path matches element-wise and
 * ignores a trailing `/` (`/api` and `/api/` are the same route); `Exact`
 * is literal.
 * @see https://kubernetes.io/docs/concepts/services-networking/ingress/#examples
 */
export function routeKey(r: RouteClaim): string {
  const path = r.pathType === 'Prefix' && r.path.length > 1 ? r.path.replace(/\/+$/, '') : r.path;
  return `${r.controller}|${r.host}|${r.pathType}|${path}`;
}

/** How a route reads in an error message. */
export function describeRoute(r: RouteClaim): string {
  return `${r.host}${r.path} (${r.pathType}) on ${r.controller}`;
}

/**
 * Claims a route for a construct, app-wide. Two Ingresses (or HTTPRoutes)
 * answering the same host and path on one controller are merged by the
 * controller in an order nobody chose, so one backend silently loses: the
 * second claim fails synth, naming both construct paths and the property.
 */
export function claimRoute(scope: IConstruct, route: RouteClaim, property: string): void {
  const root = registryRoot(scope);
  let registry = registries.get(root);
  if (!registry) {
    registry = new Map();
    registries.set(root, registry);
  }
  const key = routeKey(route);
  const owner = registry.get(key);
  if (owner !== undefined) {
    throw new ReportedError(
      `${scope.node.path} props.${property}: routes ${describeRoute(route)}, which ${owner} already routes, got ${JSON.stringify(route.path)}; route each host and path to one backend (another path or host)`,
    );
  }
  registry.set(key, `${scope.node.path} props.${property}`);
}
