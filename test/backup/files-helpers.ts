import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect } from 'vitest';
import type { BackupCronJobProps } from '../../lib/backup/backup-cronjob-props.js';
import type { RestoreJobProps } from '../../lib/backup/restore-job-props.js';
import { one } from '../util.js';
import { synthRestore } from './fixtures.js';
import { podScript, run, tempDir, type RunResult, type Script } from './harness.js';

/** Props and fixtures shared by the files and object-storage tests (the Weaver audit logs). */

export const FILES_BACKUP: BackupCronJobProps = {
  name: 'audit-logs-backup',
  namespace: 'weaver-ai',
  schedule: '0 4 * * 0',
  timeZone: 'Etc/UTC',
  engine: { type: 'files', claimName: 'audit-logs', accessMode: 'ReadWriteMany' },
  target: { volume: { claimName: 'audit-logs-backup' } },
  retention: { days: 28, minKeep: 2 },
  // The alerts are tested in backup-cronjob.test.ts; these tests run the scripts.
  alerting: false,
};

export const FILES_RESTORE: RestoreJobProps = {
  name: 'audit-logs-restore',
  namespace: 'weaver-ai',
  engine: FILES_BACKUP.engine as RestoreJobProps['engine'],
  filePrefix: 'audit-logs-backup',
  backup: 'latest',
  source: { volume: { claimName: 'audit-logs-backup' } },
  filesTarget: { claimName: 'audit-logs-restored' },
};

/** World-readable audit logs, as the files engine's default user (nobody) reads them. */
export function makeAuditSource(): string {
  const source = tempDir('audit');
  chmodSync(source, 0o755);
  mkdirSync(join(source, '2025', '01'), { recursive: true, mode: 0o755 });
  writeFileSync(join(source, 'audit.log'), Array.from({ length: 2000 }, (_, i) => `{"seq":${i},"event":"tool_call","sig":"${(i * 7919).toString(16)}"}`).join('\n'));
  writeFileSync(join(source, '2025', '01', 'audit-2025-01-01.log.gz'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31) % 256)));
  writeFileSync(join(source, 'keys with spaces.txt'), 'spaces survive\n');
  return source;
}

/** Path and sha256 of every file under a directory. */
export function tree(dir: string): string[] {
  return run('find', [dir, '-type', 'f'])
    .split('\n')
    .filter(Boolean)
    .map((f) => `${relative(dir, f)} ${run('sha256sum', [f]).split(' ')[0]}`)
    .sort();
}

/** The restore script of a files RestoreJob with these props. */
export function filesRestoreScript(props: Partial<RestoreJobProps> = {}, secrets: Record<string, string> = {}): Script {
  return podScript(one(synthRestore({ ...FILES_RESTORE, ...props }), 'Job').spec.template.spec, 'restore', secrets);
}

/** Env overrides pointing a script at `dir`, a scratch directory (fresh unless given) and the source `source`. */
export function filesPointAt(dir: string, source: string, extra: Record<string, string> = {}): Record<string, string> {
  const scratch = extra.SCRATCH_DIR ?? tempDir('scratch');
  return { BACKUP_DIR: dir, SCRATCH_DIR: scratch, HOME: scratch, SOURCE_DIR: source, ...extra };
}

/** An empty directory as a fresh volume's root: root-owned; the kubelet gives it the pod's fsGroup. */
export function emptyTarget(): string {
  return tempDir('files-restore');
}

export function expectOk(r: RunResult): void {
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
}
