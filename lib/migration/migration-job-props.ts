import { z } from 'zod';
import { checkImageForProfile, imageReference, parseImage } from '../core/image.js';
import { profileSchema, type Profile } from '../core/profile.js';
import { bytesQuantity, dnsLabel, dnsSubdomain, labelMap } from '../core/schemas.js';
import { namespaceReference, type NamespaceReference } from '../namespace/namespace-reference.js';
import { problem } from '../internal/props.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import { egressRuleSchema, type EgressRuleOptions } from '../network/peers.js';
import { envFromSchema, envSchema, resourcesSchema, type EnvFromSource, type EnvValue, type Resources } from '../workload/container.js';

/**
 * The version part of a Job name: lowercase, `.`/`_`/`+` and other
 * characters turned into `-`; a digest gives its first 12 hex digits.
 */
export function versionSlug(version: string): string {
  const digest = /^sha256:([a-f0-9]{12})/.exec(version);
  if (digest) return digest[1]!;
  return version
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
}

/** The version a Job is named after: the `version` prop, else the image tag, else the digest. */
export function resolveVersion(p: { version?: string | undefined; image: string }): string | undefined {
  if (p.version !== undefined) return p.version;
  const ref = parseImage(p.image);
  if (ref?.tag && ref.tag !== 'latest') return ref.tag;
  return ref?.digest;
}

/**
 * User and group of a Job's pod; root (0) is never allowed.
 * @see https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
 */
export interface JobRunAsOptions {
  /** UID, 1 or more. @default 10001 */
  readonly runAsUser?: number;
  /** GID. @default - runAsUser */
  readonly runAsGroup?: number;
}

/**
 * A writable emptyDir for a read-only root filesystem.
 * @see https://kubernetes.io/docs/concepts/storage/volumes/#emptydir
 */
export interface ScratchOptions {
  /** Absolute mount path. @default '/tmp' */
  readonly mountPath?: string;
  /** Size limit, counted against ephemeral storage. @default '256Mi' */
  readonly sizeLimit?: string;
}

/**
 * Props of {@link MigrationJob}: a Job named after the schema version it applies.
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/job/
 */
export interface MigrationJobProps {
  /** Base name, a DNS-1123 label; the Job is `<name>-<version>`, like `gateway-migrations-v1`. */
  readonly name: string;
  /**
   * Namespace: an {@link AgentNamespace}, or a namespace name.
   * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/
   */
  readonly namespace: NamespaceReference;
  /** Deployment profile: outside `dev`, the image must be pinned. @default 'production' */
  readonly profile?: Profile;
  /**
   * Image with the migration tool (usually the application's own image).
   * @see https://kubernetes.io/docs/concepts/containers/images/
   */
  readonly image: string;
  /**
   * Schema version the Job applies, at most 63 characters; it names the Job,
   * so a new version is a new Job and the same version never runs twice.
   * @default - the image tag, or the first 12 hex digits of its digest
   */
  readonly version?: string;
  /**
   * When the kubelet pulls the image.
   * @default - `IfNotPresent` for digest-pinned images, else `Always`
   * @see https://kubernetes.io/docs/concepts/containers/images/#image-pull-policy
   */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /**
   * Secrets for pulling the image.
   * @default []
   * @see https://kubernetes.io/docs/concepts/containers/images/#specifying-imagepullsecrets-on-a-pod
   */
  readonly imagePullSecrets?: readonly string[];
  /**
   * Entrypoint, like `['alembic', 'upgrade', 'head']`.
   * @default - the image's
   * @see https://kubernetes.io/docs/tasks/inject-data-application/define-command-argument-container/
   */
  readonly command?: readonly string[];
  /** Arguments. @default - the image's */
  readonly args?: readonly string[];
  /**
   * Environment variables by name; secrets only as `{ fromSecret: { name, key } }`.
   * @default {}
   * @see https://kubernetes.io/docs/tasks/inject-data-application/define-environment-variable-container/
   */
  readonly env?: { readonly [name: string]: EnvValue };
  /** ConfigMaps whose keys all become variables. @default [] */
  readonly envFrom?: readonly EnvFromSource[];
  /**
   * Requests and limits: a preset or explicit.
   * @default 'small'
   * @see https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/
   */
  readonly resources?: Resources;
  /**
   * Retries of a failed migration pod, 0-10.
   * @default 1
   * @see https://kubernetes.io/docs/concepts/workloads/controllers/job/#pod-backoff-failure-policy
   */
  readonly backoffLimit?: number;
  /**
   * Longest run in seconds, retries included, before the Job is killed and failed.
   * @default 900
   * @see https://kubernetes.io/docs/concepts/workloads/controllers/job/#job-termination-and-cleanup
   */
  readonly activeDeadlineSeconds?: number;
  /**
   * Deletes the finished Job after this many seconds. Unset by default, on
   * purpose: the finished Job of a version is the record that the version
   * ran. Deleted, the next `kubectl apply` or GitOps sync of the same
   * manifests creates it again and runs the migration again.
   * @default - the finished Job is kept (recorded as a waiver with that reason)
   * @see https://kubernetes.io/docs/concepts/workloads/controllers/ttlafterfinished/
   */
  readonly ttlSecondsAfterFinished?: number;
  /** User and group of the pod (the group and fsGroup follow the user). @default { runAsUser: 10001 } */
  readonly securityContext?: JobRunAsOptions;
  /** Writable scratch directory on the read-only root filesystem. @default { mountPath: '/tmp', sizeLimit: '256Mi' } */
  readonly scratch?: ScratchOptions;
  /**
   * Egress the migration needs, usually the database; DNS comes from the namespace.
   * @default []
   * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/
   */
  readonly egress?: readonly EgressRuleOptions[];
  /**
   * An existing ServiceAccount, by name.
   * @default - a dedicated one (named `name`) without an API token
   * @see https://kubernetes.io/docs/concepts/security/service-accounts/
   */
  readonly serviceAccountName?: string;
  /** Extra labels. @default {} */
  readonly labels?: { readonly [key: string]: string };
  /**
   * The `app.kubernetes.io/part-of` label.
   * @default - none
   * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/
   */
  readonly partOf?: string;
}

/** Runtime check of {@link MigrationJobProps}. */
export const MigrationJobPropsSchema = z
  .strictObject({
    name: dnsLabel,
    namespace: namespaceReference,
    profile: profileSchema.default('production'),
    image: imageReference,
    version: z.string().min(1).max(63).optional(),
    imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
    imagePullSecrets: z.array(dnsSubdomain).default([]),
    command: z.array(z.string()).min(1).optional(),
    args: z.array(z.string()).optional(),
    env: envSchema.default({}),
    envFrom: envFromSchema.default([]),
    resources: resourcesSchema.default('small'),
    backoffLimit: z.number().int().min(0).max(10).default(1),
    activeDeadlineSeconds: z
      .number()
      .int()
      .min(1, { error: problem('must be greater than 0', 'give the longest acceptable run in seconds, like 900') })
      .default(900),
    // Unset on purpose; the kept Job's WKL-04 finding is waived with the reason.
    ttlSecondsAfterFinished: z.number().int().min(0).optional(),
    securityContext: z
      .strictObject({
        runAsUser: z.number().int().min(1, { error: problem('must not be root (0)', 'use a non-zero UID, 10000 or above preferred') }).default(10001),
        runAsGroup: z.number().int().min(1).optional(),
      })
      .prefault({}),
    scratch: z
      .strictObject({
        mountPath: z.string().regex(/^\//, { error: problem('must be an absolute path', "start it with '/'") }).default('/tmp'),
        sizeLimit: bytesQuantity.default('256Mi'),
      })
      .prefault({}),
    egress: z.array(egressRuleSchema).default([]),
    serviceAccountName: dnsSubdomain.optional(),
    labels: labelMap.default({}),
    partOf: dnsLabel.optional(),
  })
  .superRefine((p, ctx) => {
    checkImageForProfile(ctx, p.image, p.profile, ['image']);
    const version = resolveVersion(p);
    if (version === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['version'],
        message: problem('is missing and the image names no version', "give version, like 'v1', or pin the image by tag or digest"),
        params: { value: undefined },
      });
      return;
    }
    const slug = versionSlug(version);
    const jobName = `${p.name}-${slug}`;
    if (slug.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['version'], message: problem('has no letter or digit to name the Job with', "use a version like 'v1' or '2025.01.1'"), params: { value: version } });
    } else if (jobName.length > 63) {
      ctx.addIssue({
        code: 'custom',
        path: ['version'],
        message: problem(`makes the Job name ${jobName} longer than 63 characters`, 'shorten name or version'),
        params: { value: version },
      });
    }
  });

true satisfies SchemaAgrees<typeof MigrationJobPropsSchema, MigrationJobProps>;

/** Props of {@link MigrationJob} with defaults applied. */
export type MigrationJobConfig = z.output<typeof MigrationJobPropsSchema>;
