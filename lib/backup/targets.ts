import { z } from 'zod';
import { imageReference } from '../core/image.js';
import { defaultImage } from '../core/images.js';
import { bytesQuantity, dnsSubdomain } from '../core/schemas.js';
import { problem } from '../internal/props.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import { egressRuleSchema, internetEgress, type EgressRuleOptions } from '../network/peers.js';

/**
 * Where backups are kept: a PersistentVolumeClaim, S3-compatible object
 * storage, or both, and how long they are kept.
 */

/**
 * How long backups are kept. A backup older than `days` (by the UTC time in
 * its name) is deleted, oldest first, but the newest `minKeep` good backups
 * are never deleted, whatever their age: when backups keep failing, the last
 * good ones stay.
 */
export interface RetentionOptions {
  /**
   * Days a backup is kept, 1 or more. A {@link BackupCronJob} requires at
   * least the longest interval between two runs of its schedule (rounded up
   * to whole days), and in the `production` profile at least 7.
   * @default 7
   */
  readonly days?: number;
  /** Good backups always kept, whatever their age, 1 or more. @default 3 */
  readonly minKeep?: number;
}

/** Creates the PersistentVolumeClaim the backups are written to. */
export interface VolumeClaimCreateOptions {
  /** Requested size, like `50Gi`. */
  readonly size: string;
  /** Storage class. @default - the cluster's default class */
  readonly storageClassName?: string;
  /** Access mode of the claim. @default 'ReadWriteOnce' */
  readonly accessMode?: 'ReadWriteOnce' | 'ReadWriteMany';
}

/**
 * A PersistentVolumeClaim the backups are written to, mounted at `/backup`.
 * @see https://kubernetes.io/docs/concepts/storage/persistent-volumes/
 */
export interface VolumeTargetOptions {
  /** Name of the claim. */
  readonly claimName: string;
  /**
   * Creates the claim with the backups. Without it the claim must exist
   * already, or the backup pod stays Pending.
   * @default - the claim is not created
   */
  readonly create?: VolumeClaimCreateOptions;
}

/** The Secret holding the S3 access key. */
export interface S3CredentialsOptions {
  /** Secret name, in the Job's namespace. */
  readonly secretName: string;
  /** Key of the access key ID. @default 'AWS_ACCESS_KEY_ID' */
  readonly accessKeyIdKey?: string;
  /** Key of the secret access key. @default 'AWS_SECRET_ACCESS_KEY' */
  readonly secretAccessKeyKey?: string;
}

/**
 * S3-compatible object storage. The upload runs in a second container with
 * a well-known CLI image after the backup container has written and checked
 * the backup; it uploads the backup, reads it back and compares checksums,
 * uploads the checksum last, then applies retention to the bucket.
 *
 * Prefer a bucket with versioning or object lock, so that credentials that
 * can delete old backups cannot destroy them for good.
 * @see https://docs.aws.amazon.com/cli/latest/reference/s3/
 */
export interface S3TargetOptions {
  /** Bucket name: 3 to 63 lowercase letters, digits, `.` and `-`. */
  readonly bucket: string;
  /** Key prefix, empty or ending in `/`, like `skreaver/db/`. @default '' */
  readonly prefix?: string;
  /** Endpoint of an S3-compatible store, like `https://minio.storage.svc:9000`. @default - AWS S3 of the region */
  readonly endpoint?: string;
  /** Region. @default 'us-east-1' */
  readonly region?: string;
  /** Path-style addressing (`https://host/bucket/key`), which most S3-compatible stores need. @default false */
  readonly forcePathStyle?: boolean;
  /** The Secret holding the access key, read into `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`. */
  readonly credentials: S3CredentialsOptions;
  /**
   * Image of the AWS CLI. The scripts use only `aws s3 cp`, `ls` and `rm`
   * with `--endpoint-url`; the tests run them against an S3-compatible
   * server with the AWS CLI 2 of Debian. Newer versions work too (the
   * container sets `AWS_REQUEST_CHECKSUM_CALCULATION=when_required` for
   * stores that do not support the newer default checksums).
   * @default - `awsCli` of DEFAULT_IMAGES (README "Default images")
   */
  readonly image?: string;
  /** Egress rule to the store. @default - internet HTTPS (443) outside private and metadata ranges */
  readonly egress?: EgressRuleOptions;
  /** Retention in the bucket. @default - the volume's retention */
  readonly retention?: RetentionOptions;
}

// D-SKR-01
/**
 * Retention. A backup older than `days` (by the UTC time in its name) is
 * deleted, oldest first, but the newest `minKeep` good backups are never
 * deleted, whatever their age: when backups keep failing, the last good ones
 * stay.
 */
export const retentionSchema = z.strictObject({
  /** Days a backup is kept. @default 7 */
  days: z
    .number()
    .int()
    .min(1, { error: problem('must be at least 1', 'keep backups for at least one day') })
    .default(7),
  /** Good backups always kept, whatever their age. @default 3 */
  minKeep: z
    .number()
    .int()
    .min(1, { error: problem('must be at least 1', 'keep at least the newest good backup, so retention can never delete it') })
    .default(3),
});

true satisfies SchemaAgrees<typeof retentionSchema, RetentionOptions>;

/** See {@link retentionSchema}. */
export type Retention = z.output<typeof retentionSchema>;

/** A PersistentVolumeClaim the backups are written to, mounted at `/backup`. */
export const volumeTargetSchema = z.strictObject({
  /** Name of the claim. */
  claimName: dnsSubdomain,
  // D-SKR-03
  /**
   * Creates the claim with the backups. Without it the claim must exist
   * already (the Skreaver guide referenced a `skreaver-backup` claim that
   * nothing created, so its pod stayed Pending).
   * @default - the claim is not created
   */
  create: z
    .strictObject({
      /** Requested size, like `50Gi`. */
      size: bytesQuantity,
      /** Storage class. @default - the cluster's default class */
      storageClassName: dnsSubdomain.optional(),
      /** @default 'ReadWriteOnce' */
      accessMode: z.enum(['ReadWriteOnce', 'ReadWriteMany']).default('ReadWriteOnce'),
    })
    .optional(),
});

const bucketName = z
  .string({
    error: (iss) =>
      iss.input === undefined
        ? problem('is required', "name the bucket the backups go to, like 'acme-db-backups'")
        : problem('must be a string', "name the bucket, like 'acme-db-backups'"),
  })
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
    error: problem('is not an S3 bucket name', "use 3 to 63 lowercase letters, digits, '.' and '-'"),
  });

/**
 * S3-compatible object storage. The upload runs in a second container with
 * a well-known CLI image after the backup container has written and checked
 * the backup; it uploads the backup, reads it back and compares checksums,
 * uploads the checksum last, then applies retention to the bucket.
 *
 * Prefer a bucket with versioning or object lock, so that credentials that
 * can delete old backups cannot destroy them for good.
 */
export const s3TargetSchema = z.strictObject({
  /** Bucket name. */
  bucket: bucketName,
  /** Key prefix, empty or ending in `/`, like `skreaver/db/`. @default '' */
  prefix: z
    .string()
    .regex(/^([^/\s][^\s]*\/)?$/, { error: problem('must be empty or end with "/"', "write it like 'skreaver/db/', without a leading '/'") })
    .default(''),
  /**
   * Endpoint of an S3-compatible store, like `https://minio.storage.svc:9000`.
   * @default - AWS S3 of the region
   */
  endpoint: z
    .string()
    .regex(/^https?:\/\/[^\s/]+(:\d+)?\/?$/, { error: problem('is not an endpoint URL', "give scheme, host and optional port, like 'https://s3.example.com'") })
    .optional(),
  /** Region. @default 'us-east-1' */
  region: z.string().regex(/^[a-z0-9-]+$/).default('us-east-1'),
  /** Path-style addressing (`https://host/bucket/key`), which most S3-compatible stores need. @default false */
  forcePathStyle: z.boolean().default(false),
  /** The Secret holding the access key, read into `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`. */
  credentials: z.strictObject({
    /** Secret name. */
    secretName: dnsSubdomain,
    /** Key of the access key ID. @default 'AWS_ACCESS_KEY_ID' */
    accessKeyIdKey: z.string().min(1).default('AWS_ACCESS_KEY_ID'),
    /** Key of the secret access key. @default 'AWS_SECRET_ACCESS_KEY' */
    secretAccessKeyKey: z.string().min(1).default('AWS_SECRET_ACCESS_KEY'),
  }),
  /**
   * Image of the AWS CLI. The scripts use only `aws s3 cp`, `ls` and `rm`
   * with `--endpoint-url`; the tests run them against an S3-compatible
   * server with the AWS CLI 2 of Debian. Newer versions work too (the
   * container sets `AWS_REQUEST_CHECKSUM_CALCULATION=when_required` for
   * stores that do not support the newer default checksums).
   * @default - `awsCli` of DEFAULT_IMAGES (README "Default images")
   */
  image: imageReference.default(defaultImage('awsCli')),
  /**
   * Egress rule to the store.
   * @default - internet HTTPS (443) outside private and metadata ranges
   */
  egress: egressRuleSchema.prefault(internetEgress([443], 'object storage')),
  /** Retention in the bucket. @default - the volume's retention */
  retention: retentionSchema.optional(),
});

true satisfies SchemaAgrees<typeof volumeTargetSchema, VolumeTargetOptions>;
true satisfies SchemaAgrees<typeof s3TargetSchema, S3TargetOptions>;

/** See {@link s3TargetSchema}. */
export type S3Target = z.output<typeof s3TargetSchema>;
