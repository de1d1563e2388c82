import type { Construct } from 'constructs';
import { k8s } from '../internal/plus.js';
import { withAnnotations } from './deployment.js';
import type { WorkloadIdentity } from './metadata.js';
import { podTemplate } from './pod.js';

/** What a Job runs and for how long. */
export interface JobOptions {
  /** Object name. @default - the workload's */
  readonly name?: string;
  /** Retries of a failed pod. */
  readonly backoffLimit: number;
  /** Longest run, retries included. */
  readonly activeDeadlineSeconds: number;
  /** Seconds a finished Job is kept. @default - kept until deleted */
  readonly ttlSecondsAfterFinished?: number;
  /** The pod spec ({@link restrictedPodSpec} with `restartPolicy: 'Never'`). */
  readonly podSpec: k8s.PodSpec;
  /** Pod annotations (the depends-on edges). @default - none */
  readonly podAnnotations?: Readonly<Record<string, string>>;
  /** Annotations of the Job object (waivers). @default - none */
  readonly annotations?: Readonly<Record<string, string>>;
}

function jobSpec(w: WorkloadIdentity, o: JobOptions): k8s.JobSpec {
  return {
    backoffLimit: o.backoffLimit,
    activeDeadlineSeconds: o.activeDeadlineSeconds,
    ttlSecondsAfterFinished: o.ttlSecondsAfterFinished,
    template: podTemplate({ labels: w.labels, annotations: o.podAnnotations, spec: o.podSpec }),
  };
}

/**
 * Creates a Job of the workload: bounded retries and run time, pods
 * labelled like the workload.
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/job/
 */
export function createJob(scope: Construct, id: string, w: WorkloadIdentity, o: JobOptions): k8s.KubeJob {
  return new k8s.KubeJob(scope, id, { metadata: withAnnotations(w.meta('Job', o.name), o.annotations), spec: jobSpec(w, o) });
}

/** When a CronJob runs, and how many finished Jobs it keeps. */
export interface CronScheduleOptions {
  readonly schedule: string;
  /** IANA time zone of the schedule. */
  readonly timeZone: string;
  /** Seconds after a missed time within which the run still starts. */
  readonly startingDeadlineSeconds: number;
  readonly successfulJobsHistoryLimit: number;
  readonly failedJobsHistoryLimit: number;
  readonly suspend: boolean;
  /** `Forbid` never starts a run while one is going. @default 'Forbid' */
  readonly concurrencyPolicy?: 'Forbid' | 'Replace' | 'Allow';
}

/**
 * Creates a CronJob of the workload with an explicit time zone and starting
 * deadline; by default two runs never overlap.
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/
 */
export function createCronJob(scope: Construct, id: string, w: WorkloadIdentity, cron: CronScheduleOptions, job: JobOptions): k8s.KubeCronJob {
  return new k8s.KubeCronJob(scope, id, {
    metadata: withAnnotations(w.meta('CronJob', job.name), job.annotations),
    spec: {
      schedule: cron.schedule,
      timeZone: cron.timeZone,
      concurrencyPolicy: cron.concurrencyPolicy ?? 'Forbid',
      startingDeadlineSeconds: cron.startingDeadlineSeconds,
      successfulJobsHistoryLimit: cron.successfulJobsHistoryLimit,
      failedJobsHistoryLimit: cron.failedJobsHistoryLimit,
      suspend: cron.suspend,
      jobTemplate: { metadata: { labels: { ...w.labels } }, spec: jobSpec(w, job) },
    },
  });
}
