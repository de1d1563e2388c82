import { z } from 'zod';
import { checkImageForProfile, imageReference, parseImage } from '../core/image.js';
import { profileSchema } from '../core/profile.js';
import { bytesQuantity, dnsLabel, dnsSubdomain, labelMap } from '../core/schemas.js';
import { problem } from '../internal/props.js';
import { egressRuleSchema } from '../network/peers.js';
import { envFromSchema, envSchema, resourcesSchema } from '../workload/container.js';

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

/** Props of {@link MigrationJob}. */
export const MigrationJobPropsSchema = z
  .strictObject({
    /** Base name; the Job is `<name>-<version>`, like `gateway-migrations-v1`. */
    name: dnsLabel,
    /** Namespace. */
    namespace: dnsLabel,
    /** Deployment profile: outside `dev`, the image must be pinned. @default 'production' */
    profile: profileSchema.default('production'),
    /** Image with the migration tool (usually the application's own image). */
    image: imageReference,
    /**
     * Schema version the Job applies; it names the Job, so a new version is
     * a new Job and the same version is never run twice.
     * @default - the image tag, or the first 12 hex digits of its digest
     */
    version: z.string().min(1).max(63).optional(),
    /** @default - `IfNotPresent` for digest-pinned images, else `Always` */
    imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
    /** Secrets for pulling the image. @default [] */
    imagePullSecrets: z.array(dnsSubdomain).default([]),
    /** Entrypoint, like `['alembic', 'upgrade', 'head']`. @default - the image's */
    command: z.array(z.string()).min(1).optional(),
    /** Arguments. @default - the image's */
    args: z.array(z.string()).optional(),
    /** Environment variables; secrets only as `{ fromSecret: { name, key } }`. @default {} */
    env: envSchema.default({}),
    /** ConfigMaps whose keys all become variables. @default [] */
    envFrom: envFromSchema.default([]),
    /** Requests and limits. @default 'small' */
    resources: resourcesSchema.default('small'),
    /** Retries of a failed migration pod. @default 1 */
    backoffLimit: z.number().int().min(0).max(10).default(1),
    /** Longest run, retries included, before the Job is killed and failed. @default 900 */
    activeDeadlineSeconds: z
      .number()
      .int()
      .min(1, { error: problem('must be greater than 0', 'give the longest acceptable run in seconds, like 900') })
      .default(900),
    /**
     * Deletes the finished Job after this many seconds. Unset by default, on
     * purpose: the finished Job of a version is the record that the version
     * ran. Deleted, the next `kubectl apply` or GitOps sync of the same
     * manifests creates it again and runs the migration again.
     * @default - the finished Job is kept (its WKL-04 finding is waived with that reason)
     */
    ttlSecondsAfterFinished: z.number().int().min(0).optional(),
    /** UID/GID of the pod. @default { runAsUser: 10001 } (group and fsGroup follow the user) */
    securityContext: z
      .strictObject({
        runAsUser: z.number().int().min(1, { error: problem('must not be root (0)', 'use a non-zero UID, 10000 or above preferred') }).default(10001),
        /** @default - runAsUser */
        runAsGroup: z.number().int().min(1).optional(),
      })
      .prefault({}),
    /** Writable scratch directory on a read-only root filesystem. @default { mountPath: '/tmp', sizeLimit: '256Mi' } */
    scratch: z
      .strictObject({
        mountPath: z.string().regex(/^\//, { error: problem('must be an absolute path', "start it with '/'") }).default('/tmp'),
        sizeLimit: bytesQuantity.default('256Mi'),
      })
      .prefault({}),
    /** Egress the migration needs, usually the database; DNS comes from the namespace. @default [] */
    egress: z.array(egressRuleSchema).default([]),
    /** An existing ServiceAccount. @default - a dedicated one (named `name`) without an API token */
    serviceAccountName: dnsSubdomain.optional(),
    /** Extra labels. @default {} */
    labels: labelMap.default({}),
    /** `app.kubernetes.io/part-of`. @default - none */
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

/** Props of {@link MigrationJob}. */
export type MigrationJobProps = Readonly<z.input<typeof MigrationJobPropsSchema>>;

/** Props of {@link MigrationJob} with defaults applied. */
export type MigrationJobConfig = z.output<typeof MigrationJobPropsSchema>;
