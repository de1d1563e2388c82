import { BackupCronJob } from '../../lib/backup/backup-cronjob.js';
import type { BackupCronJobProps } from '../../lib/backup/backup-cronjob-props.js';
import { RestoreJob } from '../../lib/backup/restore-job.js';
import type { RestoreJobProps } from '../../lib/backup/restore-job-props.js';
import { one, synth, type Obj } from '../util.js';

/** Props of a PostgreSQL backup like Skreaver's, to spread and override. */
export const PG_BACKUP: BackupCronJobProps = {
  name: 'skreaver-db-backup',
  namespace: 'skreaver',
  schedule: '0 2 * * *',
  timeZone: 'Etc/UTC',
  engine: {
    type: 'postgres',
    host: 'postgres',
    database: 'skreaver',
    user: 'skreaver_user',
    password: { name: 'skreaver-db', key: 'password' },
    serverVersion: 15,
    destination: { pods: { podLabels: { 'app.kubernetes.io/name': 'postgres' } } },
  },
  target: { volume: { claimName: 'skreaver-backup' } },
  retention: { days: 7, minKeep: 2 },
  alerting: { prometheusRule: { runbookBaseUrl: 'https://runbooks.example.com/backups' } },
};

/** Synthesizes one BackupCronJob and returns its objects. */
export function synthBackup(props: BackupCronJobProps): Obj[] {
  return synth((chart) => new BackupCronJob(chart, 'Backup', props));
}

/** Synthesizes one RestoreJob and returns its objects. */
export function synthRestore(props: RestoreJobProps): Obj[] {
  return synth((chart) => new RestoreJob(chart, 'Restore', props));
}

/** The pod spec of the CronJob in a synthesized bundle. */
export function cronPod(objs: Obj[]): Obj {
  return one(objs, 'CronJob').spec.jobTemplate.spec.template.spec;
}

/** A container of a pod spec by name, among init and regular containers. */
export function container(pod: Obj, name: string): Obj {
  const found = [...(pod.initContainers ?? []), ...pod.containers].filter((c: Obj) => c.name === name);
  if (found.length !== 1) throw new Error(`expected one container ${name}, found ${found.length}`);
  return found[0];
}
