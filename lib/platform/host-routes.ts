import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { IHTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute';
import { k8s } from '../internal/plus.js';
import { devProfileWaivers, managedMeta, parseConstructProps, setPrimary, type ObjectMeta } from '../kit/index.js';
import { ingressAnnotations } from '../exposure/exposure.js';
import { HostRoutesPropsSchema, type HostRoutesConfig, type HostRoutesProps } from '../exposure/host-routes-props.js';
import { NGINX_ANNOTATION_PREFIX } from '../exposure/nginx-annotations.js';
import { claimRoute } from '../exposure/route-claims.js';

/** Construct ids of the children: part of the API, since they name objects. */
export const HostRoutesIds = {
  Ingress: 'Ingress',
  BlockedIngress: 'BlockedIngress',
  HttpRoute: 'HttpRoute',
} as const;

/**
 * One host, several paths, several backends: one Ingress (ingress-nginx,
 * TLS through cert-manager) or one Gateway API HTTPRoute routing each path
 * to its Service. A host and path routed twice, here or by any other route
 * of the app on the same IngressClass or Gateway, fails synth naming both:
 * the controller would otherwise pick one backend silently.
 *
 * @see https://kubernetes.io/docs/concepts/services-networking/ingress/
 * @see https://gateway-api.sigs.k8s.io/api-types/httproute/
 */
export class HostRoutes extends Construct {
  /** Object name of the Ingress or HTTPRoute. */
  public readonly name: string;
  /** The host. */
  public readonly host: string;
  /** The Ingress, when routing through one (the default child then). */
  public readonly ingress?: k8s.KubeIngress;
  /** The Ingress answering 403 for `blockedPaths`, when there are any. */
  public readonly blockedIngress?: k8s.KubeIngress;
  /** The HTTPRoute, when routing through one (the default child then). */
  public readonly httpRoute?: ApiObject;
  /** The routes with defaults applied, in the order given. */
  public readonly routes: readonly { readonly path: string; readonly pathType: 'Prefix' | 'Exact'; readonly service: string; readonly port: number }[];

  constructor(scope: Construct, id: string, props: HostRoutesProps) {
    super(scope, id);
    const p = parseConstructProps(this, HostRoutesPropsSchema, props);
    [this.name, this.host, this.routes] = [p.name, p.host, p.routes];
    const controller = p.via.type === 'ingress' ? `ingress:${p.via.className}` : `gateway:${p.via.gateway.namespace ?? p.namespace}/${p.via.gateway.name}`;
    p.routes.forEach((r, i) => claimRoute(this, { controller, host: p.host, path: r.path, pathType: r.pathType }, `routes[${i}].path`));
    if (p.via.type === 'ingress') {
      [this.ingress, this.blockedIngress] = renderHostIngress(this, p, p.via);
      setPrimary(this, this.ingress);
    } else {
      this.httpRoute = setPrimary(this, renderHostHttpRoute(this, p, p.via));
    }
  }
}

type IngressVia = Extract<HostRoutesConfig['via'], { type: 'ingress' }>;
type RouteVia = Extract<HostRoutesConfig['via'], { type: 'httpRoute' }>;

function ingressSpec(p: HostRoutesConfig, via: IngressVia, paths: readonly { path: string; pathType: string; service: string; port: number }[]): k8s.IngressSpec {
  return {
    ingressClassName: via.className,
    ...(via.tls ? { tls: [{ hosts: [p.host], secretName: via.tls.secretName }] } : {}),
    rules: [
      {
        host: p.host,
        http: { paths: paths.map((r) => ({ path: r.path, pathType: r.pathType, backend: { service: { name: r.service, port: { number: r.port } } } })) },
      },
    ],
  };
}

function renderHostIngress(scope: HostRoutes, p: HostRoutesConfig, via: IngressVia): [k8s.KubeIngress, k8s.KubeIngress?] {
  const meta = (name: string, annotations: Record<string, string>): ObjectMeta => managedMeta(scope, 'Ingress', p.namespace, name, p.labels, annotations);
  const annotations = { ...ingressAnnotations(via), ...devProfileWaivers(p.profile, { plainHttp: !via.tls }) };
  const main = new k8s.KubeIngress(scope, HostRoutesIds.Ingress, { metadata: meta(p.name, annotations), spec: ingressSpec(p, via, p.routes) });
  if (p.blockedPaths.length === 0) return [main];
  // ingress-nginx has no path deny without snippets: a second Ingress with a
  // deny-all source range answers the paths 403, and the longest match wins
  // across the host's Ingresses.
  const NGINX = NGINX_ANNOTATION_PREFIX;
  const deny = {
    [`${NGINX}denylist-source-range`]: '0.0.0.0/0,::/0',
    ...(via.tls ? { [`${NGINX}ssl-redirect`]: 'true', [`${NGINX}force-ssl-redirect`]: 'true' } : {}),
    ...devProfileWaivers(p.profile, { plainHttp: !via.tls }),
  };
  const first = p.routes[0]!;
  const blockedPaths = p.blockedPaths.map((path) => ({ path, pathType: 'Prefix', service: first.service, port: first.port }));
  return [main, new k8s.KubeIngress(scope, HostRoutesIds.BlockedIngress, { metadata: meta(`${p.name}-blocked`, deny), spec: ingressSpec(p, via, blockedPaths) })];
}

function renderHostHttpRoute(scope: HostRoutes, p: HostRoutesConfig, via: RouteVia): ApiObject {
  const meta = managedMeta(scope, 'HTTPRoute', p.namespace, p.name, p.labels);
  const route: IHTTPRoute = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: meta.name, namespace: p.namespace, labels: meta.labels },
    spec: {
      parentRefs: [
        {
          group: 'gateway.networking.k8s.io',
          kind: 'Gateway',
          name: via.gateway.name,
          ...(via.gateway.namespace ? { namespace: via.gateway.namespace } : {}),
          ...(via.gateway.sectionName ? { sectionName: via.gateway.sectionName } : {}),
        },
      ],
      hostnames: [p.host],
      rules: [
        // A rule without backends answers 500 (the Gateway API's rule), and
        // the longest prefix wins, so blocked paths never reach a backend.
        ...(p.blockedPaths.length > 0 ? [{ matches: p.blockedPaths.map((value) => ({ path: { type: 'PathPrefix' as const, value } })) }] : []),
        ...p.routes.map((r) => ({
          matches: [{ path: { type: r.pathType === 'Prefix' ? ('PathPrefix' as const) : ('Exact' as const), value: r.path } }],
          backendRefs: [{ kind: 'Service', name: r.service, port: r.port }],
        })),
      ],
    },
  };
  return new ApiObject(scope, HostRoutesIds.HttpRoute, route as ConstructorParameters<typeof ApiObject>[2]);
}
