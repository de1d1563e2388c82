import type { AlertOptions } from '../observability/alert-rules.js';
import { promDuration } from './schedule.js';

/**
 * Alerts on a backup CronJob, on kube-state-metrics series, in the form
 * {@link AlertRules.addAlert} and {@link ObservabilityStack.addAlert} take.
 *
 * @see https://github.com/kubernetes/kube-state-metrics/blob/main/docs/metrics/workload/cronjob-metrics.md
 */

/** Anything alerts can be added to: an {@link ObservabilityStack} or an {@link AlertRules}. */
export interface AlertSink {
  addAlert(options: AlertOptions, group?: string): unknown;
}

/** What the alerts are about. */
export interface BackupAlertInputs {
  readonly namespace: string;
  readonly cronJobName: string;
  /** Longest time between two scheduled runs, in seconds. */
  readonly longestIntervalSeconds: number;
  readonly startingDeadlineSeconds: number;
  readonly activeDeadlineSeconds: number;
  /** Severity of `BackupNotRecent`. */
  readonly severity: 'critical' | 'warning' | 'info';
  /** Extra labels on both alerts. */
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * Seconds after which the last success is overdue: the longest interval
 * between runs, plus the latest a run may start, plus the longest it may
 * take. A healthy CronJob never exceeds it.
 */
export function staleAfterSeconds(i: Pick<BackupAlertInputs, 'longestIntervalSeconds' | 'startingDeadlineSeconds' | 'activeDeadlineSeconds'>): number {
  return i.longestIntervalSeconds + i.startingDeadlineSeconds + i.activeDeadlineSeconds;
}

/**
 * Two alerts:
 * - `BackupNotRecent`: the last successful run is older than the schedule
 *   allows (`kube_cronjob_status_last_successful_time`), or the CronJob has
 *   existed that long without ever succeeding (`kube_cronjob_created`: an
 *   absent series never fires).
 * - `BackupJobFailed` (warning): a backup Job failed within the last
 *   interval, for example after renaming a damaged backup to `.corrupt`,
 *   even when a later run succeeded.
 */
export function backupAlerts(i: BackupAlertInputs): AlertOptions[] {
  const sel = `namespace="${i.namespace}", cronjob="${i.cronJobName}"`;
  const stale = staleAfterSeconds(i);
  const jobSel = `namespace="${i.namespace}", job_name=~"${i.cronJobName}-[0-9]+"`;
  const labels = { ...i.labels, cronjob: i.cronJobName };
  const ksm = (metric: string) => ({ metric, source: 'kube-state-metrics' as const, namespace: i.namespace });
  return [
    {
      name: 'BackupNotRecent',
      expr:
        `(time() - max by (namespace, cronjob) (kube_cronjob_status_last_successful_time{${sel}}) > ${stale})` +
        ` or ((time() - max by (namespace, cronjob) (kube_cronjob_created{${sel}}) > ${stale})` +
        ` unless on (namespace, cronjob) kube_cronjob_status_last_successful_time{${sel}})`,
      for: '5m',
      severity: i.severity,
      summary: `No successful backup by ${i.namespace}/${i.cronJobName} for more than ${promDuration(stale)}`,
      description:
        `The schedule runs at least every ${promDuration(i.longestIntervalSeconds)}; a run may start up to ${promDuration(i.startingDeadlineSeconds)} late and take up to ${promDuration(i.activeDeadlineSeconds)}. ` +
        `Check the Jobs (kubectl -n ${i.namespace} get jobs -l app.kubernetes.io/instance=${i.cronJobName}) and the logs of the last failed pod.`,
      labels,
      requires: [ksm('kube_cronjob_status_last_successful_time'), ksm('kube_cronjob_created')],
    },
    {
      name: 'BackupJobFailed',
      expr:
        `(max by (namespace, job_name) (kube_job_status_failed{${jobSel}}) > 0)` +
        ` and on (namespace, job_name) (time() - max by (namespace, job_name) (kube_job_status_start_time{${jobSel}}) < ${i.longestIntervalSeconds})`,
      for: '1m',
      severity: 'warning',
      summary: `Backup Job {{ $labels.job_name }} of ${i.namespace}/${i.cronJobName} failed`,
      description: `Read its logs: kubectl -n ${i.namespace} logs job/{{ $labels.job_name }}. A failed run deletes no backup; a backup renamed to .corrupt needs a look.`,
      labels,
      requires: [ksm('kube_job_status_failed'), ksm('kube_job_status_start_time')],
    },
  ];
}
