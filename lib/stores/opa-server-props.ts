import { z } from 'zod';
import { checkImageForProfile, imageReference } from '../core/image.js';
import { defaultImage } from '../core/images.js';
import { profileSchema, type Profile } from '../core/profile.js';
import { cidr, dnsLabel, dnsSubdomain, portNumber } from '../core/schemas.js';
import { problem } from '../internal/props.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
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

/** The runtime check of {@link OpaServerProps}. */
export const OpaServerPropsSchema = z
  .strictObject({
    name: dnsLabel.max(47),
    namespace: dnsLabel,
    profile: profileSchema.default('production'),
    policies: opaPoliciesSchema,
    decisionLogs: z.boolean().default(true),
    clients: clientsSchema,
    replicas: z.number().int().min(1).optional(),
    image: imageReference.default(OPA_IMAGE),
    monitoring: z.union([storeMonitoringSchema(OPA_IMAGE), z.literal(false)]).prefault({}),
    partOf: z.string().min(1).optional(),
    labels: storeLabelsSchema,
  })
  .superRefine((p, ctx) => {
    checkImageForProfile(ctx, p.image, p.profile, ['image']);
    checkOpaPolicies(p.policies, p.profile, ctx);
    if (p.profile !== 'dev' && p.replicas === 1) {
      ctx.addIssue({ code: 'custom', path: ['replicas'], params: { value: 1 }, message: problem(`is a single policy server in the ${p.profile} profile, so every restart denies every decision`, 'run 2 or more') });
    }
  });

/** Parsed {@link OpaServerProps}. */
export type OpaServerConfig = z.output<typeof OpaServerPropsSchema>;

true satisfies SchemaAgrees<typeof OpaServerPropsSchema, OpaServerProps>;
