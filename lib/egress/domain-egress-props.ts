import type { IConstruct } from 'constructs';
import { z } from 'zod';
import { imageReference } from '../core/image.js';
import { dnsLabel, labelMap, portNumber, workloadName } from '../core/schemas.js';
import { problem } from '../internal/props.js';
import type { egressRuleSchema } from '../network/peers.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';

/**
 * Props of {@link EgressProxy}: a small Squid Deployment holding the domain
 * allow-list; the agents get `HTTPS_PROXY` and only the proxy reaches the
 * internet.
 */
export interface EgressProxyProps {
  /** Namespace of the proxy. Agents in other namespaces reach it across namespaces. */
  readonly namespace: string;
  /**
   * Squid image with `/usr/sbin/squid` (Squid 5 or later), run as a non-root
   * user on a read-only root filesystem, e.g. Canonical's `ubuntu/squid`
   * pinned to a version tag or digest.
   * @see https://hub.docker.com/r/ubuntu/squid
   */
  readonly image: string;
  /** Name of the Deployment, Service and related objects. @default 'egress-proxy' */
  readonly name?: string;
  /** Port agents connect to. @default 3128 */
  readonly port?: number;
  /** Replicas; two or more so a rollout or drain never cuts agents off. @default 2 */
  readonly replicas?: number;
  /** UID and GID the proxy runs as; Squid needs no user of its image when it starts as non-root. @default 10001 */
  readonly runAsUser?: number;
  /** `app.kubernetes.io/part-of`. @default - none */
  readonly partOf?: string;
  /** Extra labels on every object. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
}

/** Schema of {@link EgressProxyProps}. */
export const EgressProxyPropsSchema = z.strictObject({
  namespace: dnsLabel,
  image: imageReference,
  name: workloadName.default('egress-proxy'),
  port: portNumber.default(3128),
  replicas: z.number().int().min(2, { error: problem('must be at least 2', 'run 2 or more replicas so a rollout or node drain keeps egress up') }).default(2),
  runAsUser: z.number().int().min(1, { error: problem('must not be root (0)', 'use a non-zero UID, 10000 or above preferred') }).default(10001),
  partOf: dnsLabel.optional(),
  labels: labelMap.default({}),
});
true satisfies SchemaAgrees<typeof EgressProxyPropsSchema, EgressProxyProps>;

/** Where cluster DNS runs. */
export interface DnsPodsProps {
  /** Namespace of the DNS pods. @default 'kube-system' */
  readonly namespace?: string;
  /** Labels of the DNS pods. @default { 'k8s-app': 'kube-dns' } (CoreDNS keeps this label) */
  readonly podLabels?: Readonly<Record<string, string>>;
}

/**
 * Where domain allow-lists are enforced, chosen once for the platform. Each
 * target reads `*.` in its own way, so a list is checked against it: Cilium
 * keeps `*.` within one label and has no any-depth wildcard; Istio's `*.`
 * matches any depth (write `**.`); the GKE controller resolves names and
 * takes no wildcard; the proxy keeps every form exactly.
 */
export type DomainEnforcement =
  | {
      /**
       * Cilium: a CiliumNetworkPolicy with `toFQDNs` per agent and the DNS
       * rule that makes Cilium's DNS proxy see the lookups.
       * @see https://docs.cilium.io/en/stable/security/policy/language/#dns-based
       */
      readonly type: 'cilium';
      /** Where cluster DNS runs. @default - kube-dns pods in kube-system */
      readonly dns?: DnsPodsProps;
    }
  | {
      /**
       * Istio: a ServiceEntry per domain and a Sidecar with
       * `outboundTrafficPolicy: REGISTRY_ONLY` per agent. The agent's own
       * NetworkPolicy opens public addresses (never the baseline ranges) on
       * the listed ports for its sidecar.
       * @see https://istio.io/latest/docs/reference/config/networking/sidecar/
       */
      readonly type: 'istio';
    }
  | {
      /**
       * GKE: a FQDNNetworkPolicy per agent (the FQDN network policy
       * controller must run in the cluster).
       * @see https://github.com/GoogleCloudPlatform/gke-fqdnnetworkpolicies-golang
       */
      readonly type: 'gke';
    }
  | {
      /** An egress proxy (Squid) holding the allow-list; agents get `HTTPS_PROXY`. */
      readonly type: 'proxy';
      /** The proxy. */
      readonly proxy: EgressProxyProps;
    }
  | {
      /**
       * Plain NetworkPolicy, which matches addresses, never names: the
       * agents get HTTPS to every public address on the listed ports and the
       * names are NOT enforced. Needs `acknowledgeNamesNotEnforced`.
       */
      readonly type: 'networkPolicy';
      /** Why unenforced names are acceptable here, at least 10 characters; synth fails without it. */
      readonly acknowledgeNamesNotEnforced: string;
    };

/** Props of {@link DomainEgress}. */
export interface DomainEgressProps {
  /** The enforcement point of every agent's domain allow-list. */
  readonly enforcement: DomainEnforcement;
}

const dnsPodsSchema = z.strictObject({
  namespace: dnsLabel.default('kube-system'),
  podLabels: labelMap.default({ 'k8s-app': 'kube-dns' }),
});

/** Schema of {@link DomainEgressProps}. */
export const DomainEgressPropsSchema = z.strictObject({
  enforcement: z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('cilium'), dns: dnsPodsSchema.prefault({}) }),
    z.strictObject({ type: z.literal('istio') }),
    z.strictObject({ type: z.literal('gke') }),
    z.strictObject({ type: z.literal('proxy'), proxy: EgressProxyPropsSchema }),
    z.strictObject({
      type: z.literal('networkPolicy'),
      acknowledgeNamesNotEnforced: z
        .string({
          error: problem(
            'is missing: a NetworkPolicy matches addresses, never names, so the agents could reach every public address on the listed ports',
            "choose 'cilium', 'istio', 'gke' or 'proxy' to enforce the names, or record why unenforced names are acceptable here",
          ),
        })
        .min(10, { error: problem('is too short to be a reason', 'say in a sentence why unenforced names are acceptable here') }),
    }),
  ]),
});
true satisfies SchemaAgrees<typeof DomainEgressPropsSchema, DomainEgressProps>;

/** Parsed props of {@link DomainEgress}. */
export type DomainEgressConfig = z.output<typeof DomainEgressPropsSchema>;

/**
 * An agent whose egress a {@link DomainEgress} allows:
 * {@link SecureAgentDeployment} is one.
 */
export interface IDomainEgressClient extends IConstruct {
  /** Object name of the agent. */
  readonly name: string;
  /** Namespace of the agent. */
  readonly namespace: string;
  /** The agent pods' selector labels. */
  readonly selectorLabels: Readonly<Record<string, string>>;
  /** Labels for the objects made for the agent. */
  readonly labels: Readonly<Record<string, string>>;
  /** Adds an environment variable to the agent's main container. */
  addEnv(name: string, value: string): void;
  /** Adds an egress rule to the agent's NetworkPolicy. */
  addEgress(rule: z.input<typeof egressRuleSchema>): void;
}
