import { z } from 'zod';
import { checkImageForProfile } from '../core/image.js';
import { profileSchema, type Profile } from '../core/profile.js';
import { parseQuantity } from '../core/quantity.js';
import { bytesQuantity, dnsLabel, labelMap } from '../core/schemas.js';
import { namespaceReference, type NamespaceReference } from '../namespace/namespace-reference.js';
import { problem } from '../internal/props.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import { resolveResources } from '../workload/container.js';
import { checkEngine, engineImage, engineSchema, type EngineOptions } from './engines.js';
import { jobPodProps, type JobPodOptions } from './job-props.js';
import { cronSchedule, isTimeZone, longestInterval, promDuration, timeZoneName } from './schedule.js';
import { retentionSchema, s3TargetSchema, volumeTargetSchema, type Retention, type RetentionOptions, type S3TargetOptions, type VolumeTargetOptions } from './targets.js';

/** A PrometheusRule of the backup's own, `<name>-alerts`. */
export interface BackupPrometheusRuleOptions {
  /** Base URL of the runbooks; each alert links to `<runbookBaseUrl>/<AlertName>`. */
  readonly runbookBaseUrl: string;
  /** The `release` label kube-prometheus-stack selects rules on, or false for none. @default 'kube-prometheus-stack' */
  readonly release?: string | false;
}

/**
 * Alerting on backups, through kube-state-metrics series. The alerts go to
 * an {@link ObservabilityStack} (or any {@link AlertRules}) through
 * `addAlertsTo`, or to a PrometheusRule of their own with `prometheusRule`;
 * synth fails when they go nowhere.
 */
export interface BackupAlertingOptions {
  /** Severity of the "no recent backup" alert. @default 'critical' */
  readonly severity?: 'critical' | 'warning' | 'info';
  /** Extra labels on every alert, for routing. @default {} */
  readonly labels?: { readonly [key: string]: string };
  /**
   * A PrometheusRule of the backup's own, `<name>-alerts`, built with
   * {@link AlertRules}.
   * @default - none; hand the alerts to a stack with `addAlertsTo`
   */
  readonly prometheusRule?: BackupPrometheusRuleOptions;
}

/** Where backups go: a volume, object storage, or both; at least one. */
export interface BackupTargetOptions {
  /** A PersistentVolumeClaim mounted at `/backup`. @default - none; then `s3` is required */
  readonly volume?: VolumeTargetOptions;
  /** S3-compatible object storage. @default - none; then `volume` is required */
  readonly s3?: S3TargetOptions;
}

/**
 * Props of {@link BackupCronJob}: a CronJob that backs up a data store to a
 * volume and/or object storage, checks each backup, applies retention, and
 * alerts on stale and failed backups.
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/
 */
export interface BackupCronJobProps extends JobPodOptions {
  /**
   * Name of the CronJob, its ServiceAccount and NetworkPolicy: a DNS label
   * of at most 52 characters, since the controller appends 11 to name each Job.
   */
  readonly name: string;
  /**
   * Namespace of every object: an {@link AgentNamespace}, or a namespace name.
   * @see https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/
   */
  readonly namespace: NamespaceReference;
  /**
   * Deployment profile: outside `dev`, images must be pinned; in
   * `production`, every retention keeps backups at least 7 days.
   * @default 'production'
   */
  readonly profile?: Profile;
  /**
   * Five-field cron schedule (`minute hour day-of-month month day-of-week`)
   * or a macro like `@daily`, read in `timeZone`.
   * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#schedule-syntax
   */
  readonly schedule: string;
  /**
   * IANA time zone of the schedule (`spec.timeZone`, GA in 1.27). Always
   * written, so "02:00" never silently means the controller's zone.
   * @default 'Etc/UTC'
   * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones
   */
  readonly timeZone?: string;
  /** What is backed up: PostgreSQL, Redis/Valkey, or the files of a volume. */
  readonly engine: EngineOptions;
  /** Where backups go: a volume, object storage, or both; at least one. */
  readonly target: BackupTargetOptions;
  /**
   * Retention of the backups on the volume (and in the bucket, unless
   * `target.s3.retention` says otherwise). Every retention that applies
   * must keep backups at least as long as the longest interval between two
   * runs of `schedule` in `timeZone` (a daylight-saving shift included, so a
   * daily run in `Europe/Berlin` needs 2 days, in `Etc/UTC` 1 day, a weekly
   * one 7 days in UTC, a monthly one 31): a shorter retention deletes a
   * backup before the next run has written its successor. In the
   * `production` profile it must also be at least 7 days.
   * @default { days: 7, minKeep: 3 }
   */
  readonly retention?: RetentionOptions;
  /** Backups are named `<filePrefix>-<YYYYMMDDTHHMMSSZ>.<ext>`. @default - `name` */
  readonly filePrefix?: string;
  /**
   * Seconds after its scheduled time that a missed run may still start;
   * later, the run is skipped and counted as missed. At least 10 (the
   * controller checks every 10 s).
   * @default 3600
   */
  readonly startingDeadlineSeconds?: number;
  /** Retries of a failed backup pod, 0-10. @default 2 */
  readonly backoffLimit?: number;
  /** Longest run of a backup Job in seconds, retries included, before it is killed and failed. @default 3600 */
  readonly activeDeadlineSeconds?: number;
  /** Finished Jobs kept, 0-100. @default 3 */
  readonly successfulJobsHistoryLimit?: number;
  /** Failed Jobs kept, with their pods and logs, 1-100. @default 3 */
  readonly failedJobsHistoryLimit?: number;
  /** Suspends the schedule. @default false */
  readonly suspend?: boolean;
  /**
   * Size of the scratch emptyDir (`/scratch`, also `HOME`). With object
   * storage and no volume, `/backup` is an emptyDir of this size too,
   * which must hold one backup.
   * @default '512Mi'
   */
  readonly scratchSize?: string;
  /** Alerts on stale and failed backups, or false for none (say why in a comment). @default {} (on; they must be wired) */
  readonly alerting?: BackupAlertingOptions | false;
}

/**
 * Alerting on backups, through kube-state-metrics series. The alerts go to
 * an {@link ObservabilityStack} (or any {@link AlertRules}) through
 * `addAlertsTo`, or to a PrometheusRule of their own with `prometheusRule`;
 * synth fails when they go nowhere.
 */
export const backupAlertingSchema = z.strictObject({
  /** Severity of the "no recent backup" alert. @default 'critical' */
  severity: z.enum(['critical', 'warning', 'info']).default('critical'),
  /** Extra labels on every alert, for routing. @default {} */
  labels: labelMap.default({}),
  /**
   * A PrometheusRule of the backup's own, `<name>-alerts`, built with
   * {@link AlertRules}.
   * @default - none; hand the alerts to a stack with `addAlertsTo`
   */
  prometheusRule: z
    .strictObject({
      /** Base URL of the runbooks; each alert links to `<runbookBaseUrl>/<AlertName>`. */
      runbookBaseUrl: z.url({ error: problem('is not a URL', "give an absolute URL like 'https://runbooks.example.com/backups'") }),
      /** The `release` label kube-prometheus-stack selects rules on, or false. @default 'kube-prometheus-stack' */
      release: z.union([z.string().min(1), z.literal(false)]).default('kube-prometheus-stack'),
    })
    .optional(),
});

/** Days of retention the `production` profile requires at least. */
export const PRODUCTION_MIN_RETENTION_DAYS = 7;

/** `7 days`, `25 hours`, `90m`. */
function duration(seconds: number): string {
  if (seconds % 86400 === 0) return seconds === 86400 ? '1 day' : `${seconds / 86400} days`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hours`;
  return promDuration(seconds);
}

/**
 * The retention rules: each retention in use (the volume's, and the
 * bucket's, which is `retention` unless `target.s3.retention` is given)
 * keeps backups at least the schedule's longest interval (rounded up to
 * whole days, as retention counts days), and, in `production`,
 * {@link PRODUCTION_MIN_RETENTION_DAYS}.
 */
function checkRetention(
  p: { readonly schedule: string; readonly timeZone: string; readonly profile: string; readonly retention: Retention; readonly target: { readonly volume?: unknown; readonly s3?: { readonly retention?: Retention } } },
  ctx: z.RefinementCtx,
): void {
  // An invalid schedule, zone or day count is reported by its own schema.
  if (!cronSchedule.safeParse(p.schedule).success || !isTimeZone(p.timeZone)) return;
  const inUse: [Retention, (string | number)[]][] = [];
  if (p.target.volume || (p.target.s3 && !p.target.s3.retention)) inUse.push([p.retention, ['retention', 'days']]);
  if (p.target.s3?.retention) inUse.push([p.target.s3.retention, ['target', 's3', 'retention', 'days']]);
  const interval = longestInterval(p.schedule, p.timeZone);
  const needed = Math.ceil(interval / 86400);
  for (const [r, path] of inUse) {
    if (!(r.days >= 1)) continue;
    if (r.days < needed) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: problem(
          `is shorter than the longest interval between two runs of schedule '${p.schedule}' in ${p.timeZone} (${duration(interval)}), so a backup is deleted before the next run replaces it`,
          `keep backups at least ${duration(needed * 86400)}, or run the backup more often`,
        ),
        params: { value: r.days },
      });
    } else if (p.profile === 'production' && r.days < PRODUCTION_MIN_RETENTION_DAYS) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: problem(
          `is below the production minimum of ${PRODUCTION_MIN_RETENTION_DAYS} days`,
          `keep backups at least ${PRODUCTION_MIN_RETENTION_DAYS} days, or use profile 'staging' or 'dev'`,
        ),
        params: { value: r.days },
      });
    }
  }
}

/** Props of {@link BackupCronJob}. */
export const BackupCronJobPropsSchema = z
  .strictObject({
    /**
     * Name of the CronJob, its ServiceAccount and NetworkPolicy. At most 52
     * characters: the controller appends 11 to name each Job.
     */
    name: dnsLabel.refine((n) => n.length <= 52, {
      error: problem('is longer than 52 characters', 'shorten it: Job names add 11 characters to the CronJob name and must stay within 63'),
    }),
    /** Namespace (use an {@link AgentNamespace}'s `name`). */
    namespace: namespaceReference,
    /** Deployment profile: outside `dev`, images must be pinned. @default 'production' */
    profile: profileSchema.default('production'),
    /** Five-field cron schedule (or `@daily`-style macro), read in `timeZone`. */
    schedule: cronSchedule,
    // D-SKR-03
    /**
     * IANA time zone of the schedule (`spec.timeZone`, GA in 1.27). Always
     * written, so "02:00" never silently means the controller's zone.
     * @default 'Etc/UTC'
     */
    timeZone: timeZoneName.default('Etc/UTC'),
    /** What is backed up: PostgreSQL, Redis/Valkey, or the files of a volume. */
    engine: engineSchema,
    /** Where backups go: a volume, object storage, or both; at least one. */
    target: z.strictObject({
      /** A PersistentVolumeClaim mounted at `/backup`. @default - none; then `s3` is required */
      volume: volumeTargetSchema.optional(),
      /** S3-compatible object storage. @default - none; then `volume` is required */
      s3: s3TargetSchema.optional(),
    }),
    /** Retention of the backups on the volume (and in the bucket, unless `target.s3.retention` says otherwise). @default { days: 7, minKeep: 3 } */
    retention: retentionSchema.prefault({}),
    /** Backups are named `<filePrefix>-<YYYYMMDDTHHMMSSZ>.<ext>`. @default - `name` */
    filePrefix: dnsLabel.optional(),
    /**
     * Seconds after its scheduled time that a missed run may still start;
     * later, the run is skipped and counted as missed. At least 10 (the
     * controller checks every 10 s).
     * @default 3600
     */
    startingDeadlineSeconds: z
      .number()
      .int()
      .min(10, { error: problem('must be at least 10', 'the controller checks schedules every 10 seconds; use 10 or more, like 3600') })
      .default(3600),
    /** Retries of a failed backup pod. @default 2 */
    backoffLimit: z.number().int().min(0).max(10).default(2),
    /** Longest run of a backup Job, retries included, before it is killed and failed. @default 3600 */
    activeDeadlineSeconds: z
      .number()
      .int()
      .min(1, { error: problem('must be greater than 0', 'give the longest acceptable run in seconds, like 3600') })
      .default(3600),
    /** Finished Jobs kept. @default 3 */
    successfulJobsHistoryLimit: z.number().int().min(0).max(100).default(3),
    /** Failed Jobs kept, with their pods and logs. @default 3 */
    failedJobsHistoryLimit: z.number().int().min(1).max(100).default(3),
    /** Suspends the schedule. @default false */
    suspend: z.boolean().default(false),
    ...jobPodProps,
    /**
     * Size of the scratch emptyDir (`/scratch`, also `HOME`). With object
     * storage and no volume, `/backup` is an emptyDir of this size too,
     * which must hold one backup.
     * @default '512Mi'
     */
    scratchSize: bytesQuantity.default('512Mi'),
    /** Alerts on stale and failed backups, or false for none (say why in a comment). @default {} (on; they must be wired, see {@link backupAlertingSchema}) */
    alerting: z.union([backupAlertingSchema, z.literal(false)]).prefault({}),
  })
  .superRefine((p, ctx) => {
    if (!p.target.volume && !p.target.s3) {
      ctx.addIssue({
        code: 'custom',
        path: ['target'],
        message: problem('names no place for the backups', 'give target.volume (a PersistentVolumeClaim), target.s3 (object storage), or both'),
      });
    }
    checkEngine(p.engine, ctx, ['engine'], { mountsSource: true });
    checkRetention(p, ctx);
    if (p.engine.type === 'files' && p.target.volume && p.engine.claimName === p.target.volume.claimName) {
      ctx.addIssue({
        code: 'custom',
        path: ['target', 'volume', 'claimName'],
        message: problem('is the volume being backed up', 'write the backups to another volume or to object storage'),
      });
    }
    checkImageForProfile(ctx, engineImage(p.engine), p.profile, ['engine', 'image']);
    if (p.target.s3) checkImageForProfile(ctx, p.target.s3.image, p.profile, ['target', 's3', 'image']);
    const limit = parseQuantity(resolveResources(p.resources).limits.ephemeralStorage) ?? 0;
    const scratch = parseQuantity(p.scratchSize) ?? 0;
    const needed = p.target.volume ? scratch : 2 * scratch;
    if (needed > limit) {
      ctx.addIssue({
        code: 'custom',
        path: ['scratchSize'],
        message: problem(
          `${p.target.volume ? 'is' : 'is, twice (scratch and staging),'} above the ephemeral-storage limit ${resolveResources(p.resources).limits.ephemeralStorage}`,
          'lower scratchSize or raise resources.limits.ephemeralStorage',
        ),
        params: { value: p.scratchSize },
      });
    }
  });

true satisfies SchemaAgrees<typeof backupAlertingSchema, BackupAlertingOptions>;
true satisfies SchemaAgrees<typeof BackupCronJobPropsSchema, BackupCronJobProps>;

/** Props of {@link BackupCronJob} with defaults applied. */
export type BackupCronJobConfig = z.output<typeof BackupCronJobPropsSchema>;
