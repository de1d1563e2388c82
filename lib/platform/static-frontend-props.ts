import { z } from 'zod';
import { checkImageForProfile, imageReference } from '../core/image.js';
import { PROFILE_DEFAULTS, profileSchema, type Profile } from '../core/profile.js';
import { dnsLabel, dnsSubdomain, labelMap, portNumber, workloadName } from '../core/schemas.js';
import { looksLikeSecretName } from '../core/secret-names.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import type { ExplicitResources } from '../workload/container.js';
import { problem } from '../internal/props.js';
import { ingressSourceSchema, type PodPeer } from '../network/peers.js';
import { resourcesSchema } from '../workload/container.js';
import type { SizingPreset } from '../workload/sizing.js';

/** Props of {@link StaticFrontend}. */
export interface StaticFrontendProps {
  /** Name of the Deployment, Service and related objects. */
  readonly name: string;
  /** Namespace (an {@link AgentNamespace}'s `name`). */
  readonly namespace: string;
  /** Deployment profile. @default 'production' */
  readonly profile?: Profile;
  /**
   * The UI image: built `FROM nginxinc/nginx-unprivileged` (or any image
   * with an `nginx` binary on PATH and `/etc/nginx/mime.types`), with the
   * built files under `root`. The construct writes its own `nginx.conf`.
   */
  readonly image: string;
  /** Directory of the built files in the image. @default '/usr/share/nginx/html' */
  readonly root?: string;
  /**
   * UID nginx runs as. Any UID works with nginx-unprivileged: its files are
   * world-readable and the only writable path is the `/tmp` emptyDir. The
   * default stays clear of host users (below 10000).
   * @default 10101
   */
  readonly runAsUser?: number;
  /**
   * Seconds the preStop hook sleeps (`/bin/sleep`, which the nginx images
   * have), so the endpoint is gone from every proxy before nginx stops.
   * @default 5
   */
  readonly preStopSleepSeconds?: number;
  /**
   * Container port, 1024 or above: a non-root process cannot bind below
   * 1024 once every capability is dropped.
   * @default 8080
   */
  readonly port?: number;
  /** Service port. @default 80 */
  readonly servicePort?: number;
  /** Replicas. @default - 3 in production, 2 in staging, 1 in dev */
  readonly replicas?: number;
  /** Requests and limits: a preset or explicit. @default - requests 50m / 64Mi / 64Mi, limits 200m / 128Mi / 256Mi */
  readonly resources?: SizingPreset | ExplicitResources;
  /** Serve `/index.html` for paths that are not files (client-side routing). @default true */
  readonly spa?: boolean;
  /**
   * Configuration read by the app at start from `/config.js`
   * (`window.<runtimeConfigGlobal>`), for values a bundler would otherwise
   * inline at build time (Vite's `import.meta.env.VITE_*`). The values are
   * public: a secret-like name is rejected.
   * @default - no `/config.js`
   */
  readonly runtimeConfig?: Readonly<Record<string, string>>;
  /** Name of the global object `/config.js` sets. @default '__APP_CONFIG__' */
  readonly runtimeConfigGlobal?: string;
  /**
   * `Content-Security-Policy` of every response. Add the API's origin to
   * `connect-src` when the app calls another host.
   * @default "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
   */
  readonly contentSecurityPolicy?: string;
  /** Who may reach the pods from outside the namespace: the ingress controller or Gateway proxies. @default 'ingress-nginx' */
  readonly ingressFrom?: 'ingress-nginx' | 'envoy-gateway' | PodPeer;
  /** Secrets for pulling the image. @default [] */
  readonly imagePullSecrets?: readonly string[];
  /** `app.kubernetes.io/part-of`. @default - none */
  readonly partOf?: string;
  /** Extra labels on every object. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
}

const DEFAULT_CSP = "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'";

const absolutePath = z.string().regex(/^\/[^\s;{}"']*$/, { error: problem('must be an absolute path without spaces, quotes, braces or semicolons', "write it like '/usr/share/nginx/html'") });

/** The schema of {@link StaticFrontendProps}. */
export const StaticFrontendPropsSchema = z
  .strictObject({
    name: workloadName,
    namespace: dnsLabel,
    profile: profileSchema.default('production'),
    image: imageReference,
    root: absolutePath.default('/usr/share/nginx/html'),
    runAsUser: z.number().int().min(1, { error: problem('must not be root (0)', 'use a UID of 10000 or above') }).default(10101),
    preStopSleepSeconds: z.number().int().min(1).max(60).default(5),
    port: portNumber.refine((p) => p >= 1024, { error: problem('is below 1024, which a non-root container without capabilities cannot bind (D-SRK-12)', 'use 8080') }).default(8080),
    servicePort: portNumber.default(80),
    replicas: z.number().int().min(1).optional(),
    resources: resourcesSchema.default({
      requests: { cpu: '50m', memory: '64Mi', ephemeralStorage: '64Mi' },
      limits: { cpu: '200m', memory: '128Mi', ephemeralStorage: '256Mi' },
    }),
    spa: z.boolean().default(true),
    runtimeConfig: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: problem('is not a JavaScript identifier', "use letters, digits and '_'") }),
        z.string(),
      )
      .optional(),
    runtimeConfigGlobal: z.string().regex(/^[A-Za-z_$][A-Za-z0-9_$]*$/, { error: problem('is not a JavaScript identifier', "use a name like '__APP_CONFIG__'") }).default('__APP_CONFIG__'),
    contentSecurityPolicy: z.string().min(1).regex(/^[^"\\\n]*$/, { error: problem('contains a quote, backslash or newline', 'write the policy without them') }).default(DEFAULT_CSP),
    ingressFrom: ingressSourceSchema.default('ingress-nginx'),
    imagePullSecrets: z.array(dnsSubdomain).default([]),
    partOf: dnsLabel.optional(),
    labels: labelMap.default({}),
  })
  .superRefine((p, ctx) => {
    checkImageForProfile(ctx, p.image, p.profile, ['image']);
    const d = PROFILE_DEFAULTS[p.profile];
    if (p.replicas !== undefined && p.replicas < d.minReplicas) {
      ctx.addIssue({ code: 'custom', path: ['replicas'], message: problem(`is below ${d.minReplicas}, the ${p.profile} minimum`, `use at least ${d.minReplicas}, or profile 'dev'`) });
    }
    for (const key of Object.keys(p.runtimeConfig ?? {})) {
      if (looksLikeSecretName(key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['runtimeConfig', key],
          message: problem('looks like a secret, and /config.js is public', 'keep secrets on the server side; the browser may only hold public values'),
        });
      }
    }
  });

/** Parsed {@link StaticFrontendProps}. */
export type StaticFrontendConfig = z.output<typeof StaticFrontendPropsSchema>;

// compile-time: the interface and the schema's input agree
true satisfies SchemaAgrees<typeof StaticFrontendPropsSchema, StaticFrontendProps>;
