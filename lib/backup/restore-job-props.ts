import { z } from 'zod';
import { checkImageForProfile } from '../core/image.js';
import { profileSchema, type Profile } from '../core/profile.js';
import { bytesQuantity, dnsLabel, dnsSubdomain } from '../core/schemas.js';
import { namespaceReference, type NamespaceReference } from '../namespace/namespace-reference.js';
import { problem } from '../internal/props.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import { backupExtension, checkEngine, engineImage, engineSchema, type EngineOptions } from './engines.js';
import { jobPodProps, type JobPodOptions } from './job-props.js';
import { s3TargetSchema, type S3TargetOptions } from './targets.js';

/** The claim a {@link BackupCronJob} writes to, mounted read-only by the restore. */
export interface RestoreVolumeSource {
  /** Claim name. */
  readonly claimName: string;
}

/** Where the backup is read from; exactly one of the two. */
export interface RestoreSourceOptions {
  /** The claim the BackupCronJob writes to, mounted read-only. @default - none; then `s3` is required */
  readonly volume?: RestoreVolumeSource;
  /**
   * The bucket the BackupCronJob uploads to (its target without `retention`);
   * the backup is downloaded to an emptyDir of `scratchSize` first.
   * @default - none; then `volume` is required
   */
  readonly s3?: Omit<S3TargetOptions, 'retention'>;
}

/** Redis: the data volume of the stopped server. */
export interface RedisDataOptions {
  /** Claim of the server's data directory, like `redis-data-redis-0`. */
  readonly claimName: string;
  /** The server's `dbfilename`, a file name without `/` or whitespace. @default 'dump.rdb' */
  readonly rdbFileName?: string;
}

/** Files: the volume an archive is extracted into. */
export interface FilesRestoreTarget {
  /** Claim name. */
  readonly claimName: string;
  /** Directory inside the volume, relative. @default - the volume's root */
  readonly subPath?: string;
}

/**
 * Props of {@link RestoreJob}: a one-off Job that restores a backup written
 * by a {@link BackupCronJob}, after checking it.
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/job/
 */
export interface RestoreJobProps extends JobPodOptions {
  /** Name of the Job (and its ServiceAccount and NetworkPolicy), a DNS label. */
  readonly name: string;
  /**
   * Namespace of every object: an {@link AgentNamespace}, or a namespace name.
   * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/
   */
  readonly namespace: NamespaceReference;
  /** Deployment profile: outside `dev`, images must be pinned. @default 'production' */
  readonly profile?: Profile;
  /**
   * The data store restored into, described as for the backup. For
   * PostgreSQL, `database` is the target database; for Redis, `host` and
   * `port` are only used to make sure the server is stopped.
   */
  readonly engine: EngineOptions;
  /** The `filePrefix` of the backups (the BackupCronJob's name unless it set one). */
  readonly filePrefix: string;
  /** The backup to restore: a file name like `skreaver-db-backup-20250101T020000Z.dump`, or `latest` (the newest good one). */
  readonly backup: string;
  /** Where the backup is read from; exactly one of `volume` and `s3`. */
  readonly source: RestoreSourceOptions;
  /**
   * PostgreSQL: restore into a new database `engine.database`, built under a
   * temporary name and renamed when complete; the restore fails rather than
   * write into an existing database. The role needs `CREATEDB`.
   * @default false
   */
  readonly createDatabase?: boolean;
  /** PostgreSQL custom format: drop each object before re-creating it (`--clean --if-exists`). @default false */
  readonly clean?: boolean;
  /** PostgreSQL custom format: restore without ownership and privileges, as the restoring role (`--no-owner --no-privileges`). @default true */
  readonly noOwner?: boolean;
  /**
   * Redis: the data volume of the stopped server (its `dir`); the RDB is
   * written there as `rdbFileName`, and an existing AOF is moved aside.
   * @default - none; required for Redis
   */
  readonly redisData?: RedisDataOptions;
  /** Redis: refuse to run while the server answers on `engine.host`. @default true */
  readonly checkStopped?: boolean;
  /** Files: the claim the archive is extracted into; the directory must be empty. @default - none; required for files */
  readonly filesTarget?: FilesRestoreTarget;
  /** Retries, 0-10. A restore is not retried blindly. @default 0 */
  readonly backoffLimit?: number;
  /** Longest run in seconds before the Job is killed. @default 7200 */
  readonly activeDeadlineSeconds?: number;
  /** Seconds a finished Job (and its logs) is kept. @default 86400 */
  readonly ttlSecondsAfterFinished?: number;
  /** Size of the scratch emptyDir, and of the download emptyDir with `source.s3`. @default '512Mi' */
  readonly scratchSize?: string;
}

const STAMPED = /^(.+)-\d{8}T\d{6}Z\.(dump|sql\.gz|rdb|tar\.gz)$/;

/** Props of {@link RestoreJob}. */
export const RestoreJobPropsSchema = z
  .strictObject({
    /** Name of the Job (and its ServiceAccount and NetworkPolicy). */
    name: dnsLabel,
    /** Namespace. */
    namespace: namespaceReference,
    /** Deployment profile: outside `dev`, images must be pinned. @default 'production' */
    profile: profileSchema.default('production'),
    /**
     * The data store restored into, described as for the backup. For
     * PostgreSQL, `database` is the target database; for Redis, `host` and
     * `port` are only used to make sure the server is stopped.
     */
    engine: engineSchema,
    /** The `filePrefix` of the backups (the BackupCronJob's name unless it set one). */
    filePrefix: dnsLabel,
    /** The backup to restore: a file name like `skreaver-db-backup-20250101T020000Z.dump`, or `latest` (the newest good one). */
    backup: z.union([
      z.literal('latest'),
      z.string().regex(STAMPED, { error: problem('is not a backup file name', "give '<prefix>-YYYYMMDDTHHMMSSZ.<ext>' as listed in the backup directory, or 'latest'") }),
    ]),
    /** Where the backup is read from; exactly one. */
    source: z.strictObject({
      /** The claim the BackupCronJob writes to, mounted read-only. @default - none; then `s3` is required */
      volume: z.strictObject({ /** Claim name. */ claimName: dnsSubdomain }).optional(),
      /** The bucket the BackupCronJob uploads to; the backup is downloaded to an emptyDir of `scratchSize` first. @default - none; then `volume` is required */
      s3: s3TargetSchema.omit({ retention: true }).optional(),
    }),
    /**
     * PostgreSQL: restore into a new database `engine.database`, built under a
     * temporary name and renamed when complete; the restore fails rather than
     * write into an existing database. The role needs `CREATEDB`.
     * @default false
     */
    createDatabase: z.boolean().default(false),
    /** PostgreSQL custom format: drop each object before re-creating it (`--clean --if-exists`). @default false */
    clean: z.boolean().default(false),
    /** PostgreSQL custom format: restore without ownership and privileges, as the restoring role (`--no-owner --no-privileges`). @default true */
    noOwner: z.boolean().default(true),
    /**
     * Redis: the data volume of the stopped server (its `dir`); the RDB is
     * written there as `rdbFileName`, and an existing AOF is moved aside.
     * @default - none; required for Redis
     */
    redisData: z
      .strictObject({
        /** Claim of the server's data directory, like `redis-data-redis-0`. */
        claimName: dnsSubdomain,
        /** The server's `dbfilename`. @default 'dump.rdb' */
        rdbFileName: z.string().regex(/^[^/\s]+$/).default('dump.rdb'),
      })
      .optional(),
    /** Redis: refuse to run while the server answers on `engine.host`. @default true */
    checkStopped: z.boolean().default(true),
    /** Files: the claim the archive is extracted into; the directory must be empty. @default - none; required for files */
    filesTarget: z
      .strictObject({
        /** Claim name. */
        claimName: dnsSubdomain,
        /** Directory inside the volume. @default - the volume's root */
        subPath: z.string().regex(/^[^/].*$/).optional(),
      })
      .optional(),
    /** Retries. A restore is not retried blindly. @default 0 */
    backoffLimit: z.number().int().min(0).max(10).default(0),
    /** Longest run before the Job is killed. @default 7200 */
    activeDeadlineSeconds: z
      .number()
      .int()
      .min(1, { error: problem('must be greater than 0', 'give the longest acceptable run in seconds, like 7200') })
      .default(7200),
    /** Seconds a finished Job (and its logs) is kept. @default 86400 */
    ttlSecondsAfterFinished: z.number().int().min(0).default(86400),
    ...jobPodProps,
    /** Size of the scratch emptyDir, and of the download emptyDir with `source.s3`. @default '512Mi' */
    scratchSize: bytesQuantity.default('512Mi'),
  })
  .superRefine((p, ctx) => {
    checkEngine(p.engine, ctx, ['engine'], { mountsSource: false });
    if ((p.source.volume === undefined) === (p.source.s3 === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['source'],
        message: problem(p.source.volume ? 'names both a volume and s3' : 'names no source', 'give exactly one of source.volume or source.s3'),
      });
    }
    if (p.backup !== 'latest' && STAMPED.test(p.backup)) {
      const ext = backupExtension(p.engine);
      if (!p.backup.startsWith(`${p.filePrefix}-`) || !p.backup.endsWith(`.${ext}`)) {
        ctx.addIssue({
          code: 'custom',
          path: ['backup'],
          message: problem(`is not a ${p.engine.type} backup of prefix ${p.filePrefix}`, `give a name like '${p.filePrefix}-YYYYMMDDTHHMMSSZ.${ext}'`),
        });
      }
    }
    if (p.engine.type === 'redis' && !p.redisData) {
      ctx.addIssue({ code: 'custom', path: ['redisData'], message: problem('is missing for a Redis restore', "give the claim of the stopped server's data directory"), params: { value: undefined } });
    }
    if (p.engine.type === 'files' && !p.filesTarget) {
      ctx.addIssue({ code: 'custom', path: ['filesTarget'], message: problem('is missing for a files restore', 'give the claim the archive is extracted into'), params: { value: undefined } });
    }
    if (p.clean && !(p.engine.type === 'postgres' && p.engine.format === 'custom')) {
      ctx.addIssue({ code: 'custom', path: ['clean'], message: problem('only applies to PostgreSQL custom-format backups', 'remove it, or restore into a fresh database') });
    }
    checkImageForProfile(ctx, engineImage(p.engine), p.profile, ['engine', 'image']);
    if (p.source.s3) checkImageForProfile(ctx, p.source.s3.image, p.profile, ['source', 's3', 'image']);
  });

true satisfies SchemaAgrees<typeof RestoreJobPropsSchema, RestoreJobProps>;

/** Props of {@link RestoreJob} with defaults applied. */
export type RestoreJobConfig = z.output<typeof RestoreJobPropsSchema>;
