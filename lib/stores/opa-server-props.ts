import { z } from 'zod';
import { checkImageForProfile, imageReference } from '../core/image.js';
import { defaultImage } from '../core/images.js';
import { profileSchema, type Profile } from '../core/profile.js';
import { cidr, dnsLabel, dnsSubdomain, portNumber } from '../core/schemas.js';
import { problem } from '../internal/props.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import { secretKeyRefSchema, type SecretKeyRef } from '../backup/engines.js';
import { podPeerSchema, type PodPeer } from '../network/peers.js';
import { clientsSchema, storeLabelsSchema, storeMonitoringSchema, type StoreMonitoring } from './common.js';

/** The OPA image: the static build, which runs as a non-root user and has no shell. */
export const OPA_IMAGE = defaultImage('opa');

/** Policies from rego files in a ConfigMap, loaded at start. */
export interface OpaConfigMapPolicies {
  /** Name of the ConfigMap holding the `.rego` (and `data.json`) files. */
  readonly configMap: string;
}

/** Policies from a bundle server, polled. @see https://www.openpolicyagent.org/docs/latest/management-bundles/ */
export interface OpaBundlePolicies {
  /** Base URL of the bundle service, like `https://bundles.example.com`. */
  readonly url: string;
  /** Path of the bundle under the URL. @default 'bundle.tar.gz' */
  readonly resource?: string;
  /** Seconds between polls, at least. @default 60 */
  readonly minDelaySeconds?: number;
  /** Seconds between polls, at most. @default 120 */
  readonly maxDelaySeconds?: number;
  /** Where the bundle service runs, for the egress rule: its pods, or a CIDR block. */
  readonly destination: OpaBundleDestination;
  /** Port of the bundle service. @default 443 */
  readonly port?: number;
}

/** Where a bundle service runs. */
export interface OpaBundleDestination {
  /** The service's pods in the cluster. @default - none; then `cidr` is required */
  readonly pods?: PodPeer;
  /** CIDR block of a service outside the cluster. @default - none; then `pods` is required */
  readonly cidr?: string;
}

/**
 * OPA's own authentication and authorization of its API: OPA runs with
 * `--authentication=token --authorization=basic` and a `system.authz`
 * policy the library writes, which lets a request with the bearer token
 * evaluate policies (GET or POST under `/v1/data/`, except OPA's own
 * `system` tree), lets anyone read `/health` (the probes) and `/metrics`
 * (Prometheus, when monitoring is on), and denies everything else: no
 * client can replace a policy or write data, since the policies come only
 * from the ConfigMap or the bundle.
 * @see https://www.openpolicyagent.org/docs/latest/security/#authentication-and-authorization
 */
export interface OpaServerAuth {
  /**
   * The Secret key holding the bearer token (at least 32 characters of
   * random text, created out of band). OPA reads it from its environment;
   * clients get it as a Secret reference (`OPA_TOKEN`) and send
   * `Authorization: Bearer <token>`.
   */
  readonly tokenSecret: SecretKeyRef;
}

/**
 * TLS on OPA's API: `--tls-cert-file` and `--tls-private-key-file` from a
 * Secret mounted read-only, the API served over HTTPS only (the probes
 * too), the certificate re-read every 5 minutes so a renewed one is picked
 * up without a restart. The diagnostic port (metrics) stays plain HTTP.
 * @see https://www.openpolicyagent.org/docs/latest/security/#tls-and-https
 */
export interface OpaServerTls {
  /**
   * Name of a `kubernetes.io/tls` Secret with the server certificate and key
   * (`tls.crt`, `tls.key`), as cert-manager writes it. The certificate must
   * cover the Service's DNS names ({@link OpaServer.tlsDnsNames}).
   */
  readonly secretName: string;
  /** Secret holding the CA bundle clients check the certificate against (`OPA_TLS_CA_CERT`). @default - `secretName` (cert-manager writes the issuer's CA as `ca.crt` beside the certificate) */
  readonly caSecretName?: string;
  /** Key of the CA bundle in that Secret. @default 'ca.crt' */
  readonly caKey?: string;
}

/** Props of {@link OpaServer}. For OPA inside an agent's pod, see {@link OpaSidecarProps}. @see https://www.openpolicyagent.org/docs/latest/deployments/ */
export interface OpaServerProps {
  /** Name of the Deployment, Service and NetworkPolicy. */
  readonly name: string;
  /** Namespace. */
  readonly namespace: string;
  /** Deployment profile. @default 'production' */
  readonly profile?: Profile;
  /** Where the policies come from: a ConfigMap of rego files, or a bundle server. */
  readonly policies: OpaConfigMapPolicies | OpaBundlePolicies;
  /** Log every decision to stdout (`decision_logs.console`), for the log pipeline. @default true */
  readonly decisionLogs?: boolean;
  // D-SRK-06: the guide's OPA API was open to the whole cluster.
  /** Pods that may call the API (port 8181); nobody else can. @default [] */
  readonly clients?: readonly PodPeer[];
  // D-SRK-06: the guide ran OPA with authz.enabled=false over plain HTTP.
  /**
   * OPA's token authentication and authorization of its API, or `false` for
   * none (then any pod the NetworkPolicy admits can replace a policy).
   * Outside the `dev` profile there is no default: give `auth` or `false`.
   * @default - required outside `dev`; in `dev`, none
   */
  readonly auth?: OpaServerAuth | false;
  /**
   * TLS on the API, or `false` for plain HTTP. Outside the `dev` profile
   * there is no default: give `tls` or `false` (e.g. when a service mesh
   * encrypts the traffic).
   * @default - required outside `dev`; in `dev`, plain HTTP
   */
  readonly tls?: OpaServerTls | false;
  /** Pods. @default - 2 (1 in dev) */
  readonly replicas?: number;
  /** Image. @default {@link OPA_IMAGE} */
  readonly image?: string;
  /** A ServiceMonitor of OPA's own metrics (diagnostic port), or false. The image is not used: OPA serves its metrics itself. @default {} */
  readonly monitoring?: StoreMonitoring | false;
  /** `app.kubernetes.io/part-of`. @default - none */
  readonly partOf?: string;
  /** Extra labels. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
}

/** The runtime check of the policies of {@link OpaServerProps} and {@link OpaSidecarProps}. */
export const opaPoliciesSchema = z.union([
  z.strictObject({ configMap: dnsSubdomain }),
  z.strictObject({
    url: z.url({ protocol: /^https?$/, error: problem('is not an http(s) URL', "give the bundle service's base URL, like 'https://bundles.example.com'") }),
    resource: z.string().min(1).default('bundle.tar.gz'),
    minDelaySeconds: z.number().int().min(1).default(60),
    maxDelaySeconds: z.number().int().min(1).default(120),
    destination: z.strictObject({ pods: podPeerSchema.optional(), cidr: cidr.optional() }),
    port: portNumber.default(443),
  }),
]);

/** Parsed policies. */
export type OpaPolicies = z.output<typeof opaPoliciesSchema>;

/** The rules of a bundle source: one destination, a sane polling range, https outside dev. */
export function checkOpaPolicies(policies: OpaPolicies, profile: Profile, ctx: z.RefinementCtx): void {
  if (!('url' in policies)) return;
  const b = policies;
  if ((b.destination.pods === undefined) === (b.destination.cidr === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['policies', 'destination'], params: { value: b.destination }, message: problem('needs exactly one of pods and cidr', 'give the bundle service pods, or its CIDR block') });
  }
  if (b.minDelaySeconds > b.maxDelaySeconds) {
    ctx.addIssue({ code: 'custom', path: ['policies', 'minDelaySeconds'], params: { value: b.minDelaySeconds }, message: problem(`is above maxDelaySeconds ${b.maxDelaySeconds}`, 'lower it or raise maxDelaySeconds') });
  }
  if (profile !== 'dev' && b.url.startsWith('http://')) {
    ctx.addIssue({ code: 'custom', path: ['policies', 'url'], params: { value: b.url }, message: problem(`is plain HTTP in the ${profile} profile, so anyone on the path can change the policies`, 'serve the bundles over https') });
  }
}

/** Outside dev, authentication and TLS are an explicit choice: an object, or `false`; never a silent default. */
function checkOpaSecurityChosen(p: { profile: Profile; auth?: unknown; tls?: unknown }, ctx: z.RefinementCtx): void {
  if (p.profile === 'dev') return;
  if (p.auth === undefined) {
    ctx.addIssue({ code: 'custom', path: ['auth'], params: { value: undefined }, message: problem(`is not set in the ${p.profile} profile, so it is not said whether any pod that reaches the API may replace a policy`, "give auth: { tokenSecret: { name, key } } (OPA's token authentication and authorization), or auth: false to rely on the NetworkPolicy alone") });
  }
  if (p.tls === undefined) {
    ctx.addIssue({ code: 'custom', path: ['tls'], params: { value: undefined }, message: problem(`is not set in the ${p.profile} profile, so it is not said whether decisions and tokens cross the network in clear text`, 'give tls: { secretName } (a kubernetes.io/tls Secret, e.g. from cert-manager), or tls: false when a service mesh encrypts the traffic') });
  }
}

/** The runtime check of {@link OpaServerProps}. */
export const OpaServerPropsSchema = z
  .strictObject({
    name: dnsLabel.max(47),
    namespace: dnsLabel,
    profile: profileSchema.default('production'),
    policies: opaPoliciesSchema,
    decisionLogs: z.boolean().default(true),
    clients: clientsSchema,
    auth: z.union([z.strictObject({ tokenSecret: secretKeyRefSchema }), z.literal(false)]).optional(),
    tls: z
      .union([
        z.strictObject({
          secretName: dnsSubdomain,
          caSecretName: dnsSubdomain.optional(),
          caKey: z.string().regex(/^[-._a-zA-Z0-9]+$/, { error: problem('is not a valid Secret key', "use letters, digits, '-', '_' and '.'") }).default('ca.crt'),
        }),
        z.literal(false),
      ])
      .optional(),
    replicas: z.number().int().min(1).optional(),
    image: imageReference.default(OPA_IMAGE),
    monitoring: z.union([storeMonitoringSchema(OPA_IMAGE), z.literal(false)]).prefault({}),
    partOf: z.string().min(1).optional(),
    labels: storeLabelsSchema,
  })
  .superRefine((p, ctx) => {
    checkImageForProfile(ctx, p.image, p.profile, ['image']);
    checkOpaPolicies(p.policies, p.profile, ctx);
    checkOpaSecurityChosen(p, ctx);
    if (p.profile !== 'dev' && p.replicas === 1) {
      ctx.addIssue({ code: 'custom', path: ['replicas'], params: { value: 1 }, message: problem(`is a single policy server in the ${p.profile} profile, so every restart denies every decision`, 'run 2 or more') });
    }
  });

/** Parsed {@link OpaServerProps}. */
export type OpaServerConfig = z.output<typeof OpaServerPropsSchema>;

true satisfies SchemaAgrees<typeof OpaServerPropsSchema, OpaServerProps>;
