import { Construct } from 'constructs';
import { z } from 'zod';
import { profileSchema, type Profile } from '../core/profile.js';
import { parseQuantity } from '../core/quantity.js';
import { bytesQuantity, cidr, cpuQuantity, dnsLabel, labelMap, portNumber } from '../core/schemas.js';
import { ANNOTATIONS } from '../internal/labels.js';
import { k8s, TARGET_KUBERNETES_VERSION } from '../internal/plus.js';
import { problem } from '../internal/props.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import { managedMeta, parseConstructProps, resourceQuantities, setPrimary, type ResourceSet } from '../kit/index.js';
import { dnsTargetSchema, renderDnsEgress, renderPorts } from '../network/peers.js';

const PSS_LEVELS = ['restricted', 'baseline', 'privileged'] as const;

/**
 * The namespace's ResourceQuota: totals over all its pods.
 * @see https://kubernetes.io/docs/concepts/policy/resource-quotas/
 */
export interface NamespaceQuota {
  /** Total requests of all pods. */
  readonly requests: ResourceSet;
  /** Total limits of all pods. */
  readonly limits: ResourceSet;
  /** Maximum pods, 1 or more. */
  readonly pods: number;
  /** Maximum PersistentVolumeClaims. */
  readonly persistentVolumeClaims: number;
  /** Total requested PVC storage, like `100Gi`. @default - not limited */
  readonly requestsStorage?: string;
}

/**
 * The namespace's LimitRange for containers; `min <= defaultRequest <= default <= max`.
 * @see https://kubernetes.io/docs/concepts/policy/limit-range/
 */
export interface ContainerLimitRange {
  /** Limits of a container that sets none. */
  readonly default: ResourceSet;
  /** Requests of a container that sets none. */
  readonly defaultRequest: ResourceSet;
  /** Smallest requests a container may set. */
  readonly min: ResourceSet;
  /** Largest limits a container may set. */
  readonly max: ResourceSet;
}

/** Where the cluster DNS runs. */
export interface DnsTarget {
  /** Namespace of the DNS pods. @default 'kube-system' */
  readonly namespace?: string;
  /** Labels of the DNS pods. @default { 'k8s-app': 'kube-dns' } (CoreDNS keeps this label) */
  readonly podLabels?: { readonly [key: string]: string };
}

/** Egress to the Kubernetes API server, given by its endpoint addresses. */
export interface ApiServerEgress {
  /** API server endpoint CIDRs (`kubectl get endpoints kubernetes`), at least one. */
  readonly cidrs: readonly string[];
  /** API server port. @default 443 */
  readonly port?: number;
}

/**
 * Props of {@link AgentNamespace}: a namespace for agent workloads with Pod
 * Security labels, default-deny NetworkPolicies, DNS egress, a ResourceQuota
 * and a LimitRange.
 * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/
 */
export interface AgentNamespaceProps {
  /** Namespace name, a DNS-1123 label; not a system namespace (`default`, `kube-*`). */
  readonly name: string;
  /** Deployment profile; it sets the quota defaults. @default 'production' */
  readonly profile?: Profile;
  /**
   * Extra namespace labels, e.g. `environment: production`. Pod Security
   * labels cannot be set here.
   * @default {}
   * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/
   */
  readonly labels?: { readonly [key: string]: string };
  /**
   * Pod Security admission level enforced, audited and warned. Anything
   * below `restricted` is an exception that needs `podSecurityReason`, which
   * is recorded on the namespace.
   * @default 'restricted'
   * @see https://kubernetes.io/docs/concepts/security/pod-security-admission/
   */
  readonly podSecurityLevel?: 'restricted' | 'baseline' | 'privileged';
  /** Why this namespace runs below `restricted` (10 characters or more); required when it does. @default - none */
  readonly podSecurityReason?: string;
  /**
   * Pod Security Standards version the labels pin, like `v1.28`.
   * @default - the Kubernetes version this library targets (`v1.28`)
   * @see https://kubernetes.io/docs/concepts/security/pod-security-admission/#pod-security-admission-labels-for-namespaces
   */
  readonly podSecurityVersion?: string;
  /**
   * ResourceQuota, sized so the default HPA maximum of a few agents fits,
   * rollout surge and backup Jobs included; the verification checks that it does.
   * @default - production: requests 8 CPU / 16Gi / 20Gi ephemeral, limits 16 CPU / 32Gi / 40Gi, 50 pods, 10 PVCs; staging and dev: half the CPU, memory and storage, 30 and 20 pods, 5 PVCs
   * @see https://kubernetes.io/docs/concepts/policy/resource-quotas/
   */
  readonly quota?: NamespaceQuota;
  /**
   * LimitRange for containers. `default` and `defaultRequest` are always
   * explicit: without them the API defaults both to `max`.
   * @default - default 500m/512Mi/1Gi, defaultRequest 100m/128Mi/64Mi, min 10m/16Mi/1Mi, max 4/8Gi/16Gi
   * @see https://kubernetes.io/docs/concepts/policy/limit-range/
   */
  readonly limitRange?: ContainerLimitRange;
  /**
   * Where cluster DNS runs; every pod gets egress to it on UDP and TCP 53.
   * @default - kube-dns pods in kube-system
   * @see https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/
   */
  readonly dns?: DnsTarget;
  /**
   * Egress to the Kubernetes API server, for workloads granted API access.
   * NetworkPolicy cannot select the API server by name, so give its endpoint
   * addresses.
   * @default - no API server egress
   * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/
   */
  readonly apiServerEgress?: ApiServerEgress;
}

const containerLimits = z.strictObject({ cpu: cpuQuantity, memory: bytesQuantity, ephemeralStorage: bytesQuantity });

// Quota sizes follow D-SKR-05; LimitRange defaults are explicit (D-SKR-05).
const AgentNamespaceShape = z.strictObject({
  name: dnsLabel.refine((n) => !['default', 'kube-system', 'kube-public', 'kube-node-lease'].includes(n), {
    error: problem('is a system namespace', 'choose a dedicated namespace for agent workloads (NS-01)'),
  }),
  profile: profileSchema.default('production'),
  labels: labelMap.default({}),
  podSecurityLevel: z.enum(PSS_LEVELS).default('restricted'),
  podSecurityReason: z.string().min(10).optional(),
  podSecurityVersion: z
    .string()
    .regex(/^v1\.\d+$/, { error: problem('is not a Pod Security version', "use a Kubernetes minor version like 'v1.28'") })
    .default(`v${TARGET_KUBERNETES_VERSION}`),
  quota: z
    .strictObject({
      requests: containerLimits,
      limits: containerLimits,
      pods: z.number().int().min(1),
      persistentVolumeClaims: z.number().int().min(0),
      requestsStorage: bytesQuantity.optional(),
    })
    .optional(),
  limitRange: z.strictObject({ default: containerLimits, defaultRequest: containerLimits, min: containerLimits, max: containerLimits }).optional(),
  dns: dnsTargetSchema.default({ namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' } }),
  apiServerEgress: z.strictObject({ cidrs: z.array(cidr).min(1), port: portNumber.default(443) }).optional(),
});

/** Runtime check of {@link AgentNamespaceProps}. */
export const AgentNamespacePropsSchema = AgentNamespaceShape
  .superRefine((p, ctx) => {
    if (p.podSecurityLevel !== 'restricted' && p.podSecurityReason === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['podSecurityReason'],
        message: problem(`is missing while podSecurityLevel is ${p.podSecurityLevel}`, 'record why this namespace needs an exception, or keep restricted'),
      });
    }
    for (const key of Object.keys(p.labels)) {
      if (key.startsWith('pod-security.kubernetes.io/') || key === 'kubernetes.io/metadata.name') {
        ctx.addIssue({
          code: 'custom',
          path: ['labels', key],
          message: problem('is managed by the construct', 'remove it; set podSecurityLevel / podSecurityVersion instead'),
        });
      }
    }
    const lr = p.limitRange;
    if (lr) {
      const order = ['min', 'defaultRequest', 'default', 'max'] as const;
      for (const res of ['cpu', 'memory', 'ephemeralStorage'] as const) {
        for (let i = 0; i + 1 < order.length; i++) {
          const lo = parseQuantity(lr[order[i]!][res]);
          const hi = parseQuantity(lr[order[i + 1]!][res]);
          if (lo !== undefined && hi !== undefined && lo > hi) {
            ctx.addIssue({
              code: 'custom',
              path: ['limitRange', order[i]!, res],
              message: problem(`is above limitRange.${order[i + 1]}.${res} (${lr[order[i + 1]!][res]})`, 'keep min <= defaultRequest <= default <= max'),
            });
          }
        }
      }
    }
  });

true satisfies SchemaAgrees<typeof AgentNamespacePropsSchema, AgentNamespaceProps>;

const DEFAULT_QUOTA = {
  production: { requests: { cpu: '8', memory: '16Gi', ephemeralStorage: '20Gi' }, limits: { cpu: '16', memory: '32Gi', ephemeralStorage: '40Gi' }, pods: 50, persistentVolumeClaims: 10 },
  staging: { requests: { cpu: '4', memory: '8Gi', ephemeralStorage: '10Gi' }, limits: { cpu: '8', memory: '16Gi', ephemeralStorage: '20Gi' }, pods: 30, persistentVolumeClaims: 5 },
  dev: { requests: { cpu: '4', memory: '8Gi', ephemeralStorage: '10Gi' }, limits: { cpu: '8', memory: '16Gi', ephemeralStorage: '20Gi' }, pods: 20, persistentVolumeClaims: 5 },
} as const;

/** The LimitRange of a namespace when none is given. */
export const DEFAULT_LIMIT_RANGE = {
  default: { cpu: '500m', memory: '512Mi', ephemeralStorage: '1Gi' },
  defaultRequest: { cpu: '100m', memory: '128Mi', ephemeralStorage: '64Mi' },
  min: { cpu: '10m', memory: '16Mi', ephemeralStorage: '1Mi' },
  max: { cpu: '4', memory: '8Gi', ephemeralStorage: '16Gi' },
} as const;

/** Construct ids of the children: part of the API, since they name objects. */
export const AgentNamespaceIds = {
  Namespace: 'Namespace',
  Quota: 'Quota',
  LimitRange: 'LimitRange',
  DefaultDeny: 'DefaultDeny',
  AllowDns: 'AllowDns',
  AllowApiServer: 'AllowApiServer',
} as const;

/**
 * A namespace for agent workloads, secure by default: Pod Security
 * `restricted` enforced, audited and warned (version pinned); a ResourceQuota
 * and a LimitRange with explicit defaults; default-deny NetworkPolicy for
 * ingress and egress; DNS egress to kube-dns; optional API server egress.
 *
 * @see https://kubernetes.io/docs/concepts/security/pod-security-admission/
 */
export class AgentNamespace extends Construct {
  /** The namespace name. */
  public readonly name: string;
  /** The profile that sized the quota. */
  public readonly profile: Profile;
  /** The Namespace (cluster-scoped, no namespace stamped on it); the default child. */
  public readonly namespace: k8s.KubeNamespace;
  /** The ResourceQuota. */
  public readonly resourceQuota: k8s.KubeResourceQuota;
  /** The LimitRange. */
  public readonly limitRange: k8s.KubeLimitRange;
  /** Denies all ingress and egress of every pod in the namespace. */
  public readonly defaultDenyPolicy: k8s.KubeNetworkPolicy;
  /** Allows DNS egress (UDP and TCP 53) for every pod. */
  public readonly dnsPolicy: k8s.KubeNetworkPolicy;
  /** Allows API server egress for pods labelled `cdk8s-agent-platform.dev/api-access: "true"`, when configured. */
  public readonly apiServerPolicy?: k8s.KubeNetworkPolicy;

  constructor(scope: Construct, id: string, props: AgentNamespaceProps) {
    super(scope, id);
    const p = parseConstructProps(this, AgentNamespacePropsSchema, props);
    const ns = p.name;
    [this.name, this.profile] = [ns, p.profile];
    const annotations = p.podSecurityReason ? { [ANNOTATIONS.podSecurityException]: p.podSecurityReason } : undefined;
    this.namespace = setPrimary(this, new k8s.KubeNamespace(this, AgentNamespaceIds.Namespace, {
      metadata: managedMeta(this, 'Namespace', undefined, ns, { ...p.labels, ...podSecurityLabels(p.podSecurityLevel, p.podSecurityVersion) }, annotations),
    }));
    this.resourceQuota = new k8s.KubeResourceQuota(this, AgentNamespaceIds.Quota, {
      metadata: managedMeta(this, 'ResourceQuota', ns, `${ns}-quota`),
      spec: { hard: quotaHard(p.quota ?? DEFAULT_QUOTA[p.profile]) },
    });
    const lr = p.limitRange ?? DEFAULT_LIMIT_RANGE;
    this.limitRange = new k8s.KubeLimitRange(this, AgentNamespaceIds.LimitRange, {
      metadata: managedMeta(this, 'LimitRange', ns, `${ns}-limits`),
      spec: {
        limits: [{ type: 'Container', default: resourceQuantities(lr.default), defaultRequest: resourceQuantities(lr.defaultRequest), min: resourceQuantities(lr.min), max: resourceQuantities(lr.max) }],
      },
    });
    const policy = (policyId: string, name: string, spec: k8s.NetworkPolicySpec) =>
      new k8s.KubeNetworkPolicy(this, policyId, { metadata: managedMeta(this, 'NetworkPolicy', ns, name), spec });
    this.defaultDenyPolicy = policy(AgentNamespaceIds.DefaultDeny, 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    this.dnsPolicy = policy(AgentNamespaceIds.AllowDns, 'allow-dns', { podSelector: {}, policyTypes: ['Egress'], egress: [renderDnsEgress(p.dns, ns)] });
    if (p.apiServerEgress) {
      const api = p.apiServerEgress;
      this.apiServerPolicy = policy(AgentNamespaceIds.AllowApiServer, 'allow-api-server', {
        podSelector: { matchLabels: { [API_ACCESS_LABEL]: 'true' } },
        policyTypes: ['Egress'],
        egress: [{ to: api.cidrs.map((c) => ({ ipBlock: { cidr: c } })), ports: renderPorts([{ port: api.port, protocol: 'TCP' }]) }],
      });
    }
  }
}

/** The Pod Security admission labels: `level` enforced, `restricted` audited and warned, all pinned to `version`. */
function podSecurityLabels(level: string, version: string): Record<string, string> {
  return {
    'pod-security.kubernetes.io/enforce': level,
    'pod-security.kubernetes.io/enforce-version': version,
    'pod-security.kubernetes.io/audit': 'restricted',
    'pod-security.kubernetes.io/audit-version': version,
    'pod-security.kubernetes.io/warn': 'restricted',
    'pod-security.kubernetes.io/warn-version': version,
  };
}

type Quota = z.output<typeof AgentNamespacePropsSchema>['quota'] | (typeof DEFAULT_QUOTA)[Profile];

/** The quota's `hard` limits. */
function quotaHard(q: NonNullable<Quota>): Record<string, k8s.Quantity> {
  const quantity = (s: string | number) => k8s.Quantity.fromString(String(s));
  const prefixed = (prefix: string, set: ResourceSet) =>
    Object.fromEntries(Object.entries(resourceQuantities(set)).map(([key, value]) => [`${prefix}.${key}`, value]));
  return {
    ...prefixed('requests', q.requests),
    ...prefixed('limits', q.limits),
    pods: quantity(q.pods),
    persistentvolumeclaims: quantity(q.persistentVolumeClaims),
    ...('requestsStorage' in q && q.requestsStorage ? { 'requests.storage': quantity(q.requestsStorage) } : {}),
  };
}

/** Pods with this label set to "true" may reach the API server through {@link AgentNamespace}'s API server policy. */
export const API_ACCESS_LABEL = 'cdk8s-agent-platform.dev/api-access';
