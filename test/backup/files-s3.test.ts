import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupCronJobProps } from '../../lib/backup/backup-cronjob-props.js';
import type { RestoreJobProps } from '../../lib/backup/restore-job-props.js';
import { one } from '../util.js';
import { container, cronPod, synthBackup, synthRestore } from './fixtures.js';
import { backupName, cleanup, freePort, listDir, remountReadOnly, run, runScript, scriptOf, startS3rver, tempDir, tmpfs, type RunResult } from './harness.js';

/**
 * The files engine (the Weaver audit logs) and object storage: archives run
 * with busybox tar, uploads with the real `aws` CLI from Debian's awscli
 * against s3rver, an S3-compatible server from npm, on loopback.
 */

const AWS_CLI = '/usr/bin/aws';
const KEYS = { 'weaver-s3/AWS_ACCESS_KEY_ID': 'S3RVER', 'weaver-s3/AWS_SECRET_ACCESS_KEY': 'S3RVER' };
const DAY = 86400_000;

const FILES_BACKUP: BackupCronJobProps = {
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

let s3: Awaited<ReturnType<typeof startS3rver>>;
let endpoint: string;
let source: string;

/** Path and sha256 of every file under a directory. */
function tree(dir: string): string[] {
  return run('find', [dir, '-type', 'f'])
    .split('\n')
    .filter(Boolean)
    .map((f) => `${relative(dir, f)} ${run('sha256sum', [f]).split(' ')[0]}`)
    .sort();
}

/** `aws s3` as the tests' own client, to look into the bucket. */
function aws(...args: string[]): string {
  return run(AWS_CLI, ['--endpoint-url', endpoint, 's3', ...args], {
    env: { PATH: '/usr/bin:/bin', HOME: tempDir('aws-home'), AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_DEFAULT_REGION: 'us-east-1' },
  });
}

function bucketKeys(prefix = ''): string[] {
  let out = '';
  try {
    out = aws('ls', `s3://weaver-audit-logs/${prefix}`);
  } catch (e) {
    // `aws s3 ls` exits 1 when nothing matches.
    if (!/exited 1:/.test((e as Error).message)) throw e;
  }
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[3])
    .filter((k): k is string => !!k)
    .sort();
}

beforeAll(async () => {
  if (!existsSync(AWS_CLI)) throw new Error(`${AWS_CLI} is missing: install the Debian package awscli (scripts/test.sh does)`);
  s3 = await startS3rver(['weaver-audit-logs']);
  endpoint = s3.endpoint;
  source = tempDir('audit');
  mkdirSync(join(source, '2025', '01'), { recursive: true });
  writeFileSync(join(source, 'audit.log'), Array.from({ length: 2000 }, (_, i) => `{"seq":${i},"event":"tool_call","sig":"${(i * 7919).toString(16)}"}`).join('\n'));
  writeFileSync(join(source, '2025', '01', 'audit-2025-01-01.log.gz'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31) % 256)));
  writeFileSync(join(source, 'keys with spaces.txt'), 'spaces survive\n');
});

afterAll(async () => {
  try {
    await s3?.stop();
  } finally {
    cleanup();
  }
});

function pointAt(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  const scratch = extra.SCRATCH_DIR ?? tempDir('scratch');
  return { BACKUP_DIR: dir, SCRATCH_DIR: scratch, HOME: scratch, SOURCE_DIR: source, ...extra };
}

function expectOk(r: RunResult): void {
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
}

describe('files backup', () => {
  it('archives the volume read-only and restores it into an empty directory', async () => {
    const objs = synthBackup(FILES_BACKUP);
    const pod = cronPod(objs);
    expect(pod.volumes).toContainEqual({ name: 'source', persistentVolumeClaim: { claimName: 'audit-logs', readOnly: true } });
    expect(container(pod, 'backup').volumeMounts).toContainEqual({ name: 'source', mountPath: '/source', readOnly: true });
    const dir = tempDir('files');
    const r = await runScript(scriptOf(container(pod, 'backup'), {}), pointAt(dir));
    expectOk(r);
    const [name] = listDir(dir).filter((f) => f.endsWith('.tar.gz'));
    expect(name).toMatch(/^audit-logs-backup-\d{8}T\d{6}Z\.tar\.gz$/);

    const target = tempDir('files-restore');
    const restore: RestoreJobProps = {
      name: 'audit-logs-restore',
      namespace: 'weaver-ai',
      engine: FILES_BACKUP.engine as RestoreJobProps['engine'],
      filePrefix: 'audit-logs-backup',
      backup: name!,
      source: { volume: { claimName: 'audit-logs-backup' } },
      filesTarget: { claimName: 'audit-logs-restored' },
    };
    const s = scriptOf(container(one(synthRestore(restore), 'Job').spec.template.spec, 'restore'), {});
    expectOk(await runScript(s, { ...pointAt(dir), TARGET_DIR: target }));
    expect(tree(target)).toEqual(tree(source));
    expect(tree(target)).toHaveLength(3);
    // A second restore into the now non-empty directory is refused.
    const again = await runScript(s, { ...pointAt(dir), TARGET_DIR: target });
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(`FAILED: target directory ${target} is not empty; restore into an empty directory`);
  });

  it('fails without a backup when the target is full or read-only, or the source is missing', async () => {
    const s = scriptOf(container(cronPod(synthBackup({ ...FILES_BACKUP })), 'backup'), {});
    const big = tempDir('big-source');
    run('dd', ['if=/dev/urandom', `of=${join(big, 'random.bin')}`, 'bs=1M', 'count=3'], {});
    const full = tmpfs('1m');
    const r1 = await runScript(s, pointAt(full, { SOURCE_DIR: big }));
    expect(r1.status).toBe(1);
    expect(r1.stderr).toContain('FAILED: the dump failed; no backup was written and retention did not run');
    expect(listDir(full)).toEqual([]);

    const ro = tmpfs('8m');
    remountReadOnly(ro);
    const r2 = await runScript(s, pointAt(ro));
    expect(r2.status).toBe(1);
    expect(r2.stderr).toContain(`FAILED: cannot create a file in ${ro}`);

    const dir = tempDir('files-nosource');
    const r3 = await runScript(s, pointAt(dir, { SOURCE_DIR: join(dir, 'missing') }));
    expect(r3.status).toBe(1);
    expect(r3.stderr).toContain('FAILED: the dump failed; no backup was written and retention did not run');
    expect(listDir(dir)).toEqual([]);
  });
});

describe('object storage', () => {
  const withS3 = (over: Partial<NonNullable<BackupCronJobProps['target']['s3']>> = {}, volume = true): BackupCronJobProps => ({
    ...FILES_BACKUP,
    target: {
      ...(volume ? { volume: { claimName: 'audit-logs-backup' } } : {}),
      s3: { bucket: 'weaver-audit-logs', prefix: 'audit/', endpoint: 'https://s3.example.com', forcePathStyle: true, credentials: { secretName: 'weaver-s3' }, ...over },
    },
  });

  /** Runs the backup init container, then the upload container, sharing the scratch directory as the pod does. */
  async function backupAndUpload(props: BackupCronJobProps, dir: string, keys: Record<string, string> = KEYS): Promise<[RunResult, RunResult]> {
    const pod = cronPod(synthBackup(props));
    expect(pod.initContainers.map((c: { name: string }) => c.name)).toEqual(['backup']);
    expect(pod.containers.map((c: { name: string }) => c.name)).toEqual(['upload']);
    const scratch = tempDir('scratch');
    const b = await runScript(scriptOf(container(pod, 'backup'), keys), pointAt(dir, { SCRATCH_DIR: scratch }));
    expectOk(b);
    const u = await runScript(scriptOf(container(pod, 'upload'), keys), { BACKUP_DIR: dir, SCRATCH_DIR: scratch, HOME: scratch, S3_ENDPOINT: endpoint });
    return [b, u];
  }

  /**
   * Puts backups of the given ages into the bucket (with their checksum files
   * unless `withChecksum` is false) in one `aws s3 cp --recursive`: the CLI
   * takes about a second to start, so one call per object made this file slow.
   */
  function plantObjects(planted: { ageDays: number; withChecksum: boolean }[]): string[] {
    const dir = tempDir('plant');
    const names = planted.map(({ ageDays, withChecksum }) => {
      const name = backupName('audit-logs-backup', 'tar.gz', new Date(Date.now() - ageDays * DAY));
      const f = join(dir, name);
      writeFileSync(f, `planted ${ageDays}\n`);
      if (withChecksum) writeFileSync(`${f}.sha256`, `${run('sha256sum', [f]).split(' ')[0]}  ${name}\n`);
      return name;
    });
    aws('cp', '--only-show-errors', '--recursive', dir, 's3://weaver-audit-logs/audit/');
    return names;
  }

  it('uploads, reads back, and applies retention in the bucket; a restore downloads and extracts it', async () => {
    aws('rm', '--only-show-errors', '--recursive', 's3://weaver-audit-logs/audit/');
    const [unverified, ...old] = plantObjects([
      { ageDays: 60, withChecksum: false },
      ...[70, 50, 40].map((ageDays) => ({ ageDays, withChecksum: true })),
    ]);
    const dir = tempDir('s3-volume');
    const [, u] = await backupAndUpload(withS3({ retention: { days: 45, minKeep: 2 } }), dir);
    expectOk(u);
    process.stdout.write(`s3 upload: ${u.ms} ms\n`);
    const [name] = listDir(dir).filter((f) => f.endsWith('.tar.gz'));
    expect(u.stdout).toContain(`uploaded and read back ${name}`);
    // 70 and 50 days are past 45; 40 days is not. The object without a checksum is not counted and not touched.
    expect(u.stdout).toContain('bucket retention: 2 good backups kept, 2 deleted');
    expect(bucketKeys('audit/')).toEqual([old[2], `${old[2]}.sha256`, unverified, name, `${name}.sha256`].sort());

    const restore: RestoreJobProps = {
      name: 'audit-logs-restore',
      namespace: 'weaver-ai',
      engine: FILES_BACKUP.engine as RestoreJobProps['engine'],
      filePrefix: 'audit-logs-backup',
      backup: 'latest',
      source: { s3: { bucket: 'weaver-audit-logs', prefix: 'audit/', endpoint: 'https://s3.example.com', forcePathStyle: true, credentials: { secretName: 'weaver-s3' } } },
      filesTarget: { claimName: 'audit-logs-restored' },
    };
    const job = one(synthRestore(restore), 'Job').spec.template.spec;
    const staging = tempDir('staging');
    const scratch = tempDir('scratch');
    const target = tempDir('s3-restore');
    const f = await runScript(scriptOf(container(job, 'fetch'), KEYS), { BACKUP_DIR: staging, SCRATCH_DIR: scratch, HOME: scratch, S3_ENDPOINT: endpoint });
    expectOk(f);
    expect(f.stdout).toContain(`downloaded ${name}`);
    const r = await runScript(scriptOf(container(job, 'restore'), {}), { BACKUP_DIR: staging, SCRATCH_DIR: scratch, HOME: scratch, TARGET_DIR: target });
    expectOk(r);
    expect(tree(target)).toEqual(tree(source));
  });

  it('works with object storage only, staging the backup in an emptyDir', async () => {
    const pod = cronPod(synthBackup(withS3({}, false)));
    expect(pod.volumes).toContainEqual({ name: 'backup', emptyDir: { sizeLimit: '512Mi' } });
    const dir = tempDir('s3-only');
    const [, u] = await backupAndUpload(withS3({}, false), dir);
    expectOk(u);
    const [name] = listDir(dir).filter((f) => f.endsWith('.tar.gz'));
    expect(bucketKeys('audit/')).toContain(`${name}.sha256`);
  });

  it('fails and changes nothing in the bucket with wrong credentials or when the store is down', async () => {
    const before = bucketKeys('audit/');
    const dir = tempDir('s3-bad');
    const [, u] = await backupAndUpload(withS3(), dir, { ...KEYS, 'weaver-s3/AWS_ACCESS_KEY_ID': 'NOT-A-KEY' });
    expect(u.stderr).toContain('InvalidAccessKeyId');
    expect(u.status).toBe(1);
    expect(u.stderr).toMatch(/FAILED: the upload of audit-logs-backup-\d{8}T\d{6}Z\.tar\.gz failed/);
    expect(bucketKeys('audit/')).toEqual(before);

    const pod = cronPod(synthBackup(withS3()));
    const scratch = tempDir('scratch');
    expectOk(await runScript(scriptOf(container(pod, 'backup'), KEYS), pointAt(dir, { SCRATCH_DIR: scratch })));
    const down = await runScript(scriptOf(container(pod, 'upload'), KEYS), { BACKUP_DIR: dir, SCRATCH_DIR: scratch, HOME: scratch, S3_ENDPOINT: `http://127.0.0.1:${await freePort()}` });
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/Could not connect to the endpoint URL/);
    expect(down.stderr).toMatch(/FAILED: the upload of .* failed/);
    expect(bucketKeys('audit/')).toEqual(before);
  });
});
