import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { z } from 'zod';
import type { IHTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute';
import { dnsLabel, dnsSubdomain, hostname, httpPath } from '../core/schemas.js';
import { k8s } from '../internal/plus.js';
import { problem } from '../internal/props.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import { isSnippetAnnotation, KNOWN_NGINX_ANNOTATIONS, NGINX_ANNOTATION_PREFIX } from './nginx-annotations.js';
import { claimRoute } from './route-claims.js';

// ingress-nginx annotations this library accepts in `extraAnnotations` and
// the snippet test: one list and one helper, shared with NET-08 of the
// validation layer (nginx-annotations.ts). Unknown keys are rejected, since a
// misspelt annotation is silently ignored by the controller (D-SKR-12:
// `rate-limit` does not exist), and `*-snippet` annotations are never
// accepted (CVE-2021-25742, NET-08).
export { isSnippetAnnotation, KNOWN_NGINX_ANNOTATIONS } from './nginx-annotations.js';

const NGINX = NGINX_ANNOTATION_PREFIX;

/**
 * TLS of an Ingress: the Secret with the certificate, optionally filled by cert-manager.
 * @see https://kubernetes.io/docs/concepts/services-networking/ingress/#tls
 */
export interface IngressTls {
  /** Secret holding the certificate (created by cert-manager when an issuer is given). */
  readonly secretName: string;
  /** cert-manager ClusterIssuer that fills the Secret. @default - none */
  readonly clusterIssuer?: string;
  /** cert-manager Issuer in the namespace that fills the Secret; not with `clusterIssuer`. @default - none */
  readonly issuer?: string;
}

/** Edge rate limit per client IP, by ingress-nginx (`limit-rps`, `limit-burst-multiplier`, `limit-connections`). */
export interface RateLimitOptions {
  /** Requests per second per client IP. */
  readonly rps: number;
  /** Burst, as a multiple of `rps`. @default 5 */
  readonly burstMultiplier?: number;
  /** Concurrent connections per client IP. @default - unlimited */
  readonly connections?: number;
}

/**
 * Exposure through an Ingress of ingress-nginx.
 * @see https://kubernetes.io/docs/concepts/services-networking/ingress/
 */
export interface IngressExposure {
  /** Selects this kind of exposure. */
  readonly type: 'ingress';
  /** IngressClass. @default 'nginx' */
  readonly className?: string;
  /** Host name, without scheme, path or port, like `agents.example.com`. */
  readonly host: string;
  /** Paths routed to the app port. @default ['/'] */
  readonly paths?: readonly string[];
  /**
   * How paths match.
   * @default 'Prefix'
   * @see https://kubernetes.io/docs/concepts/services-networking/ingress/#path-types
   */
  readonly pathType?: 'Prefix' | 'Exact';
  /** TLS; required outside `dev`. @default - no TLS */
  readonly tls?: IngressTls;
  /** Maximum request body (`proxy-body-size`), in nginx units like `50m`. @default '10m' */
  readonly bodySize?: string;
  /** Proxy read and send timeouts in seconds; long enough for websockets and streamed LLM responses. @default 3600 */
  readonly timeoutSeconds?: number;
  /** Edge rate limit per client IP, or `false` for none. @default { rps: 100, burstMultiplier: 5 } */
  readonly rateLimit?: RateLimitOptions | false;
  /** Further ingress-nginx annotations, by short name (`enable-cors`) or full key; only documented, non-snippet ones. @default {} */
  readonly extraAnnotations?: { readonly [key: string]: string };
}

/**
 * The Gateway an HTTPRoute attaches to.
 * @see https://gateway-api.sigs.k8s.io/api-types/httproute/#parentrefs
 */
export interface GatewayReference {
  /** Gateway name. */
  readonly name: string;
  /** Gateway namespace. @default - the route's namespace */
  readonly namespace?: string;
  /**
   * Listener to attach to. Outside `dev` it is required and must be the
   * HTTPS listener, since TLS terminates at the Gateway: without it the
   * route would also attach to plain-HTTP listeners.
   * @default - every listener (only in `dev`)
   */
  readonly sectionName?: string;
}

/**
 * Exposure through a Gateway API HTTPRoute.
 * @see https://kubernetes.io/docs/concepts/services-networking/gateway/
 */
export interface HttpRouteExposure {
  /** Selects this kind of exposure. */
  readonly type: 'httpRoute';
  /** The Gateway to attach to. */
  readonly gateway: GatewayReference;
  /** Host names the route answers. */
  readonly hostnames: readonly string[];
  /** Paths routed to the app port. @default ['/'] */
  readonly paths?: readonly string[];
  /** How paths match. @default 'PathPrefix' */
  readonly pathType?: 'PathPrefix' | 'Exact';
}

/** How the app port is exposed outside the cluster: only the app port is routed, the metrics port never is. */
export type ExposureOptions = IngressExposure | HttpRouteExposure;

/** Exposure through an Ingress (ingress-nginx). */
export const ingressExposureSchema = z.strictObject({
  type: z.literal('ingress'),
  /** IngressClass. @default 'nginx' */
  className: dnsSubdomain.default('nginx'),
  /** Host name, without scheme or path. */
  host: hostname,
  /** Paths routed to the app port. @default ['/'] */
  paths: z.array(httpPath).min(1).default(['/']),
  /** @default 'Prefix' */
  pathType: z.enum(['Prefix', 'Exact']).default('Prefix'),
  /** TLS: the Secret holding the certificate, and optionally the cert-manager issuer that fills it. Required outside `dev`. @default - no TLS */
  tls: z
    .strictObject({
      /** Secret with the certificate (created by cert-manager when an issuer is given). */
      secretName: dnsSubdomain,
      /** cert-manager ClusterIssuer. @default - none */
      clusterIssuer: dnsSubdomain.optional(),
      /** cert-manager Issuer in the namespace. @default - none */
      issuer: dnsSubdomain.optional(),
    })
    .optional(),
  /** Maximum request body (`proxy-body-size`), nginx units. @default '10m' */
  bodySize: z.string().regex(/^\d+[kmgKMG]?$/, { error: problem('is not an nginx size', "use a size like '50m'") }).default('10m'),
  /** `proxy-read-timeout` and `proxy-send-timeout`, seconds; long enough for websockets and streamed LLM responses. @default 3600 */
  timeoutSeconds: z.number().int().min(1).max(86400).default(3600),
  /** Edge rate limit per client IP (`limit-rps`, `limit-burst-multiplier`, `limit-connections`). @default { rps: 100, burstMultiplier: 5 } */
  rateLimit: z
    .union([
      z.strictObject({
        /** Requests per second per client IP. */
        rps: z.number().int().min(1),
        /** Burst as a multiple of rps. @default 5 */
        burstMultiplier: z.number().int().min(1).default(5),
        /** Concurrent connections per client IP. @default - unlimited */
        connections: z.number().int().min(1).optional(),
      }),
      z.literal(false),
    ])
    .prefault({ rps: 100 }),
  /** Further ingress-nginx annotations, by short name (`enable-cors`) or full key; only documented, non-snippet ones. @default {} */
  extraAnnotations: z.record(z.string(), z.string()).default({}),
});

/** Exposure through a Gateway API HTTPRoute. */
export const httpRouteExposureSchema = z.strictObject({
  type: z.literal('httpRoute'),
  /** The Gateway to attach to. */
  gateway: z.strictObject({
    /** Gateway name. */
    name: dnsSubdomain,
    /** Gateway namespace. @default - the route's namespace */
    namespace: dnsLabel.optional(),
    /**
     * Listener to attach to. Outside `dev` it is required and must be the
     * HTTPS listener, since TLS terminates at the Gateway: without it the
     * route would also attach to plain-HTTP listeners.
     * @default - every listener (only in `dev`)
     */
    sectionName: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).optional(),
  }),
  /** Host names the route answers. */
  hostnames: z.array(hostname).min(1),
  /** Paths routed to the app port. @default ['/'] */
  paths: z.array(httpPath).min(1).default(['/']),
  /** @default 'PathPrefix' */
  pathType: z.enum(['PathPrefix', 'Exact']).default('PathPrefix'),
});

/** How the app port is exposed outside the cluster. Only the app port is routed; the metrics port never is. */
export const exposureSchema = z.discriminatedUnion('type', [ingressExposureSchema, httpRouteExposureSchema]);

true satisfies SchemaAgrees<typeof exposureSchema, ExposureOptions>;

/** Parsed exposure, defaults applied. */
export type Exposure = z.output<typeof exposureSchema>;

/**
 * Paths are matched literally by prefix or exactly: a glob or regex character
 * never means what it seems, and the API server rejects `//`, `/./` and `/../`.
 */
function checkExposurePaths(ctx: z.RefinementCtx, e: Exposure, path: (string | number)[]): void {
  e.paths.forEach((p, i) => {
    if (/[*?[\]{}()|^$\\]/.test(p)) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'paths', i],
        message: problem(`contains a glob or regex character, which a ${e.pathType} path matches literally`, "drop it: a prefix path like '/api' already matches everything under /api"),
      });
    } else if (/\/\/|\/\.\.?(\/|$)/.test(p)) {
      ctx.addIssue({ code: 'custom', path: [...path, 'paths', i], message: problem("contains '//', '/./' or '/../'", "give the normalized path, like '/api/v1'") });
    }
  });
}

/** Checks exposure rules that depend on the profile; adds issues under `path`. */
export function checkExposure(ctx: z.RefinementCtx, e: Exposure, requireTls: boolean, path: (string | number)[]): void {
  checkExposurePaths(ctx, e, path);
  if (e.type === 'ingress') {
    if (requireTls && !e.tls) {
      ctx.addIssue({ code: 'custom', path: [...path, 'tls'], message: problem('is missing; TLS is required outside dev', "add tls: { secretName: '<secret>', clusterIssuer: '<issuer>' }") });
    }
    if (e.tls?.clusterIssuer && e.tls.issuer) {
      ctx.addIssue({ code: 'custom', path: [...path, 'tls', 'issuer'], message: problem('is set together with clusterIssuer', 'give one of issuer or clusterIssuer') });
    }
    for (const key of Object.keys(e.extraAnnotations)) {
      const short = key.startsWith(NGINX) ? key.slice(NGINX.length) : key;
      if (isSnippetAnnotation(short)) {
        ctx.addIssue({ code: 'custom', path: [...path, 'extraAnnotations', key], message: problem('is a snippet annotation', 'snippets allow config injection (CVE-2021-25742); use a documented annotation') });
      } else if (key.includes('/') && !key.startsWith(NGINX)) {
        ctx.addIssue({ code: 'custom', path: [...path, 'extraAnnotations', key], message: problem('is not an ingress-nginx annotation', `use a key under ${NGINX}`) });
      } else if (!KNOWN_NGINX_ANNOTATIONS.has(short)) {
        ctx.addIssue({ code: 'custom', path: [...path, 'extraAnnotations', key], message: problem('is not a documented ingress-nginx annotation', "check the name (rate limits are 'limit-rps', 'limit-rpm', 'limit-connections')") });
      }
    }
  } else if (requireTls && e.gateway.sectionName === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: [...path, 'gateway', 'sectionName'],
      message: problem('is missing; TLS is required outside dev', "name the Gateway's HTTPS listener, e.g. sectionName: 'https'"),
    });
  }
}

/** The ingress-nginx and cert-manager annotations of an ingress exposure: body size, timeouts, edge rate limit, TLS redirect and issuer, extra annotations. */
export function ingressAnnotations(e: Omit<z.output<typeof ingressExposureSchema>, 'host' | 'paths' | 'pathType'>): Record<string, string> {
  const annotations: Record<string, string> = {
    [`${NGINX}proxy-body-size`]: e.bodySize,
    [`${NGINX}proxy-read-timeout`]: String(e.timeoutSeconds),
    [`${NGINX}proxy-send-timeout`]: String(e.timeoutSeconds),
  };
  if (e.rateLimit) {
    annotations[`${NGINX}limit-rps`] = String(e.rateLimit.rps);
    annotations[`${NGINX}limit-burst-multiplier`] = String(e.rateLimit.burstMultiplier);
    if (e.rateLimit.connections) annotations[`${NGINX}limit-connections`] = String(e.rateLimit.connections);
  }
  if (e.tls) {
    annotations[`${NGINX}ssl-redirect`] = 'true';
    annotations[`${NGINX}force-ssl-redirect`] = 'true';
    if (e.tls.clusterIssuer) annotations['cert-manager.io/cluster-issuer'] = e.tls.clusterIssuer;
    if (e.tls.issuer) annotations['cert-manager.io/issuer'] = e.tls.issuer;
  }
  for (const [key, value] of Object.entries(e.extraAnnotations)) {
    annotations[key.startsWith(NGINX) ? key : `${NGINX}${key}`] = value;
  }
  return annotations;
}

/**
 * Claims the routes of a workload's exposure app-wide (see
 * {@link claimRoute}), so a second route to the same host and path fails
 * synth naming both constructs.
 */
export function claimExposure(scope: Construct, e: Exposure, namespace: string): void {
  const controller = e.type === 'ingress' ? `ingress:${e.className}` : `gateway:${e.gateway.namespace ?? namespace}/${e.gateway.name}`;
  const hosts = e.type === 'ingress' ? [e.host] : e.hostnames;
  const pathType = e.pathType === 'Exact' ? 'Exact' : 'Prefix';
  for (const host of hosts) e.paths.forEach((path, i) => claimRoute(scope, { controller, host, path, pathType }, `exposure.paths[${i}]`));
}

/** Renders the Ingress for a Service port. */
export function renderIngress(
  scope: Construct,
  id: string,
  e: z.output<typeof ingressExposureSchema>,
  meta: { name: string; namespace: string; labels: Record<string, string> },
  backend: { service: string; portName: string },
  blockedPaths: readonly string[] = [],
): k8s.KubeIngress[] {
  const annotations = ingressAnnotations(e);
  const spec = (paths: readonly string[], pathType: string): k8s.IngressSpec => ({
    ingressClassName: e.className,
    ...(e.tls ? { tls: [{ hosts: [e.host], secretName: e.tls.secretName }] } : {}),
    rules: [
      {
        host: e.host,
        http: {
          paths: paths.map((path) => ({ path, pathType, backend: { service: { name: backend.service, port: { name: backend.portName } } } })),
        },
      },
    ],
  });
  const main = new k8s.KubeIngress(scope, id, {
    metadata: { name: meta.name, namespace: meta.namespace, labels: meta.labels, annotations },
    spec: spec(e.paths, e.pathType),
  });
  if (blockedPaths.length === 0) return [main];
  // ingress-nginx has no path deny without snippets; a second Ingress for the
  // paths with a deny-all source range answers them 403 at the edge. Prefix,
  // not Exact: frameworks serve `/metrics/` as `/metrics`, and the longest
  // matching path wins across the host's Ingresses.
  const blocked = new k8s.KubeIngress(scope, `${id}Blocked`, {
    metadata: {
      name: `${meta.name}-blocked`,
      namespace: meta.namespace,
      labels: meta.labels,
      annotations: {
        [`${NGINX}denylist-source-range`]: '0.0.0.0/0,::/0',
        ...(e.tls ? { [`${NGINX}ssl-redirect`]: 'true', [`${NGINX}force-ssl-redirect`]: 'true' } : {}),
      },
    },
    spec: spec(blockedPaths, 'Prefix'),
  });
  return [main, blocked];
}

/** Renders the HTTPRoute (gateway.networking.k8s.io/v1) for a Service port. */
export function renderHttpRoute(
  scope: Construct,
  id: string,
  e: z.output<typeof httpRouteExposureSchema>,
  meta: { name: string; namespace: string; labels: Record<string, string> },
  backend: { service: string; port: number },
  blockedPaths: readonly string[] = [],
): ApiObject {
  const route: IHTTPRoute = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: meta.name, namespace: meta.namespace, labels: meta.labels },
    spec: {
      parentRefs: [
        {
          group: 'gateway.networking.k8s.io',
          kind: 'Gateway',
          name: e.gateway.name,
          ...(e.gateway.namespace ? { namespace: e.gateway.namespace } : {}),
          ...(e.gateway.sectionName ? { sectionName: e.gateway.sectionName } : {}),
        },
      ],
      hostnames: [...e.hostnames],
      rules: [
        // A rule without backends is rejected by the Gateway (HTTP 500 per the
        // spec), and the longest matching prefix wins: blocked paths (and
        // everything under them, `/metrics/` too) never reach the app.
        ...(blockedPaths.length > 0 ? [{ matches: blockedPaths.map((value) => ({ path: { type: 'PathPrefix' as const, value } })) }] : []),
        {
          matches: e.paths.map((value) => ({ path: { type: e.pathType, value } })),
          backendRefs: [{ kind: 'Service', name: backend.service, port: backend.port }],
        },
      ],
    },
  };
  return new ApiObject(scope, id, route as ConstructorParameters<typeof ApiObject>[2]);
}
