import { z } from 'zod';
import { PROFILE_DEFAULTS, profileSchema, type Profile } from '../core/profile.js';
import { dnsLabel, dnsSubdomain, hostname, httpPath, labelMap, portNumber } from '../core/schemas.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import { problem } from '../internal/props.js';
import { checkExposure, httpRouteExposureSchema, ingressExposureSchema, type Exposure, type RateLimitOptions } from './exposure.js';
import { routeKey } from './route-claims.js';

/** One path of a host, routed to a Service port. */
export interface HostRoute {
  /** The path, starting with `/`; `/` takes everything no longer path takes. */
  readonly path: string;
  /**
   * `Prefix` matches the path and everything under it, element by element
   * (`/api` takes `/api/v1`, not `/apiary`); `Exact` only the path.
   * @default 'Prefix'
   * @see https://kubernetes.io/docs/concepts/services-networking/ingress/#path-types
   */
  readonly pathType?: 'Prefix' | 'Exact';
  /** The Service the path goes to, in the routes' namespace. */
  readonly service: string;
  /** The Service port (number) the path goes to. */
  readonly port: number;
}

/** TLS of an Ingress: the certificate Secret, and the cert-manager issuer that fills it. */
export interface RoutingTls {
  /** Secret holding the certificate (created by cert-manager when an issuer is given). */
  readonly secretName: string;
  /** cert-manager ClusterIssuer. @default - none */
  readonly clusterIssuer?: string;
  /** cert-manager Issuer in the namespace. @default - none */
  readonly issuer?: string;
}

/** Routing through one Ingress of ingress-nginx. */
export interface IngressRouting {
  /** Selects this routing: one ingress-nginx Ingress. */
  readonly type: 'ingress';
  /** IngressClass. @default 'nginx' */
  readonly className?: string;
  /** TLS; required outside the `dev` profile. @default - no TLS (dev only) */
  readonly tls?: RoutingTls;
  /** Maximum request body (`proxy-body-size`), nginx units like `50m`. @default '10m' */
  readonly bodySize?: string;
  /** `proxy-read-timeout` and `proxy-send-timeout`, seconds (websockets, streamed LLM answers). @default 3600 */
  readonly timeoutSeconds?: number;
  /** Edge rate limit per client IP, or false for none. @default { rps: 100, burstMultiplier: 5 } */
  readonly rateLimit?: RateLimitOptions | false;
  /** Further documented, non-snippet ingress-nginx annotations, by short name or full key. @default {} */
  readonly extraAnnotations?: Readonly<Record<string, string>>;
}

/** Routing through one Gateway API HTTPRoute; TLS terminates at the Gateway's HTTPS listener. */
export interface HttpRouteRouting {
  /** Selects this routing: one Gateway API HTTPRoute. */
  readonly type: 'httpRoute';
  /** The Gateway to attach to; outside `dev`, `sectionName` must name its HTTPS listener. */
  readonly gateway: {
    /** Gateway name. */
    readonly name: string;
    /** Gateway namespace. @default - the route's namespace */
    readonly namespace?: string;
    /** The HTTPS listener. @default - every listener (only in `dev`) */
    readonly sectionName?: string;
  };
}

/** Props of {@link HostRoutes}. */
export interface HostRoutesProps {
  /** Name of the Ingress or HTTPRoute. */
  readonly name: string;
  /** Namespace of the route and of every backend Service. */
  readonly namespace: string;
  /** Deployment profile: TLS is required outside `dev`. @default 'production' */
  readonly profile?: Profile;
  /** The host every path is under (no scheme, no path). */
  readonly host: string;
  /** One Ingress, or one HTTPRoute. */
  readonly via: IngressRouting | HttpRouteRouting;
  /** The paths and where each goes; a path (with its type) appears once. */
  readonly routes: readonly HostRoute[];
  /**
   * Paths answered 403 at the edge and never forwarded (a metrics endpoint
   * on an app port, say). With an Ingress they go into a second Ingress,
   * `<name>-blocked`, denying every source.
   * @default []
   */
  readonly blockedPaths?: readonly string[];
  /** Extra labels on the route objects. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
}

const routeSchema = z.strictObject({
  path: httpPath,
  pathType: z.enum(['Prefix', 'Exact']).default('Prefix'),
  service: dnsLabel,
  port: portNumber,
});

const viaSchema = z.discriminatedUnion('type', [
  ingressExposureSchema.omit({ host: true, paths: true, pathType: true }),
  httpRouteExposureSchema.omit({ hostnames: true, paths: true, pathType: true }),
]);

/** The schema of {@link HostRoutesProps}: checks them and applies the defaults. */
export const HostRoutesPropsSchema = z
  .strictObject({
    name: dnsSubdomain,
    namespace: dnsLabel,
    profile: profileSchema.default('production'),
    host: hostname,
    via: viaSchema,
    routes: z.array(routeSchema).min(1, { error: problem('is empty', 'route at least one path') }),
    blockedPaths: z.array(httpPath).default([]),
    labels: labelMap.default({}),
  })
  .superRefine((p, ctx) => {
    const asExposure: Exposure =
      p.via.type === 'ingress' ? { ...p.via, host: p.host, paths: ['/'], pathType: 'Prefix' } : { ...p.via, hostnames: [p.host], paths: ['/'], pathType: 'PathPrefix' };
    checkExposure(ctx, asExposure, PROFILE_DEFAULTS[p.profile].requireTls, ['via']);
    const seen = new Map<string, number>();
    p.routes.forEach((r, i) => {
      const key = routeKey({ controller: '', host: p.host, path: r.path, pathType: r.pathType });
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['routes', i, 'path'],
          message: problem(`duplicates routes[${first}] (${r.pathType} ${p.routes[first]!.path} on ${p.host})`, 'route each path once'),
        });
      } else seen.set(key, i);
    });
    p.blockedPaths.forEach((path, i) => {
      const routed = p.routes.findIndex((r) => routeKey({ controller: '', host: p.host, path: r.path, pathType: 'Prefix' }) === routeKey({ controller: '', host: p.host, path, pathType: 'Prefix' }));
      if (routed >= 0) {
        ctx.addIssue({ code: 'custom', path: ['blockedPaths', i], message: problem(`is routed by routes[${routed}]`, 'block a path no route names, or drop the route') });
      }
    });
  });

/** Parsed {@link HostRoutesProps}. */
export type HostRoutesConfig = z.output<typeof HostRoutesPropsSchema>;

// compile-time: the interface and the schema's input agree
true satisfies SchemaAgrees<typeof HostRoutesPropsSchema, HostRoutesProps>;
