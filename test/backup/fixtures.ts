import { BackupCronJob } from '../../lib/backup/backup-cronjob.js';
import type { BackupCronJobProps } from '../../lib/backup/backup-cronjob-props.js';
import { RestoreJob } from '../../lib/backup/restore-job.js';
import type { RestoreJobProps } from '../../lib/backup/restore-job-props.js';
import { one, synth, type Obj, type SynthOptions } from '../util.js';

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

/**
 * What the backup tests' Jobs reference and a test bundle does not hold:
 * the database credentials, the object storage credentials, and the claims
 * of the backups, the data and the restore targets (the database servers
 * and their claims belong to other charts of a real app).
 */
export const BACKUP_EXTERNAL = [
  'Secret/skreaver-db',
  'Secret/skreaver-pgpass',
  'Secret/skreaver-secrets',
  'Secret/skreaver-s3',
  'Secret/weaver-secrets',
  'Secret/weaver-s3',
  'Secret/r',
  'PersistentVolumeClaim/skreaver-backup',
  'PersistentVolumeClaim/redis-backup',
  'PersistentVolumeClaim/redis-data-redis-0',
  'PersistentVolumeClaim/audit-logs',
  'PersistentVolumeClaim/audit-logs-backup',
  'PersistentVolumeClaim/audit-logs-restored',
] as const;

/** Synthesizes one BackupCronJob, verified, and returns its objects. */
export function synthBackup(props: BackupCronJobProps, options: SynthOptions = {}): Obj[] {
  return synth((chart) => new BackupCronJob(chart, 'Backup', props), { external: BACKUP_EXTERNAL, ...options });
}

/** Synthesizes one RestoreJob, verified, and returns its objects. */
export function synthRestore(props: RestoreJobProps, options: SynthOptions = {}): Obj[] {
  return synth((chart) => new RestoreJob(chart, 'Restore', props), { external: BACKUP_EXTERNAL, ...options });
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
