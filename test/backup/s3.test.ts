import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupCronJobProps } from '../../lib/backup/backup-cronjob-props.js';
import { one, type Obj } from '../util.js';
import { cronPod, synthBackup, synthRestore } from './fixtures.js';
import { emptyTarget, expectOk, FILES_BACKUP, FILES_RESTORE, filesPointAt, makeAuditSource, tree } from './files-helpers.js';
import { backupName, cleanup, freePort, listDir, podScript, run, runScript, SHELLS, startS3rver, tempDir, timingLog, type RunResult, type Shell } from './harness.js';

/**
 * Object storage: uploads, read-backs, bucket retention and downloads with
 * the real `aws` CLI from Debian's awscli against s3rver, an S3-compatible
 * server from npm, on loopback; every script runs as its pod's user under
 * busybox ash, dash and bash.
 */

const AWS_CLI = '/usr/bin/aws';
const KEYS = { 'weaver-s3/AWS_ACCESS_KEY_ID': 'S3RVER', 'weaver-s3/AWS_SECRET_ACCESS_KEY': 'S3RVER' };
const DAY = 86400_000;

let s3: Awaited<ReturnType<typeof startS3rver>>;
let endpoint: string;
let source: string;

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
  source = makeAuditSource();
});

afterAll(async () => {
  try {
    await s3?.stop();
  } finally {
    cleanup();
  }
});

function pointAt(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return filesPointAt(dir, source, extra);
}

const timings = timingLog('s3');

describe('object storage', () => {
  const S3: NonNullable<BackupCronJobProps['target']['s3']> = {
    bucket: 'weaver-audit-logs',
    prefix: 'audit/',
    endpoint: 'https://s3.example.com',
    forcePathStyle: true,
    credentials: { secretName: 'weaver-s3' },
  };
  const withS3 = (over: Partial<NonNullable<BackupCronJobProps['target']['s3']>> = {}, volume = true): BackupCronJobProps => ({
    ...FILES_BACKUP,
    target: { ...(volume ? { volume: { claimName: 'audit-logs-backup' } } : {}), s3: { ...S3, ...over } },
  });

  /** Runs the backup init container, then the upload container, sharing the scratch directory as the pod does. */
  async function backupAndUpload(props: BackupCronJobProps, dir: string, keys: Record<string, string> = KEYS, shell: Shell = 'bash'): Promise<[RunResult, RunResult]> {
    const pod = cronPod(synthBackup(props));
    expect(pod.initContainers.map((c: Obj) => c.name)).toEqual(['backup']);
    expect(pod.containers.map((c: Obj) => c.name)).toEqual(['upload']);
    const scratch = tempDir('scratch');
    const b = await runScript(podScript(pod, 'backup', keys), pointAt(dir, { SCRATCH_DIR: scratch }), { shell });
    expectOk(b);
    const u = await runScript(podScript(pod, 'upload', keys), { BACKUP_DIR: dir, SCRATCH_DIR: scratch, HOME: scratch, S3_ENDPOINT: endpoint }, { shell });
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

  it('uploads, reads back, and applies retention in the bucket', async () => {
    aws('rm', '--only-show-errors', '--recursive', 's3://weaver-audit-logs/audit/');
    const [unverified, ...old] = plantObjects([
      { ageDays: 60, withChecksum: false },
      ...[70, 50, 40].map((ageDays) => ({ ageDays, withChecksum: true })),
    ]);
    const dir = tempDir('s3-volume');
    const [, u] = await backupAndUpload(withS3({ retention: { days: 45, minKeep: 2 } }), dir);
    expectOk(u);
    timings.push(`s3 upload with retention (bash): ${u.ms} ms`);
    const [name] = listDir(dir).filter((f) => f.endsWith('.tar.gz'));
    expect(u.stdout).toContain(`uploaded and read back ${name}`);
    // 70 and 50 days are past 45; 40 days is not. The object without a checksum is not counted and not touched.
    expect(u.stdout).toContain('bucket retention: 2 good backups kept, 2 deleted');
    expect(bucketKeys('audit/')).toEqual([old[2], `${old[2]}.sha256`, unverified, name, `${name}.sha256`].sort());
  });

  describe.each(SHELLS)('under %s', (shell: Shell) => {
    it('backs up with object storage only (staged in an emptyDir), then downloads and restores the newest', async () => {
      const pod = cronPod(synthBackup(withS3({ prefix: `${shell}/` }, false)));
      expect(pod.volumes).toContainEqual({ name: 'backup', emptyDir: { sizeLimit: '512Mi' } });
      const dir = tempDir('s3-only');
      const [, u] = await backupAndUpload(withS3({ prefix: `${shell}/` }, false), dir, KEYS, shell);
      expectOk(u);
      timings.push(`s3 upload (${shell}): ${u.ms} ms`);
      const [name] = listDir(dir).filter((f) => f.endsWith('.tar.gz'));
      expect(bucketKeys(`${shell}/`)).toEqual([name, `${name}.sha256`]);

      const job = one(synthRestore({ ...FILES_RESTORE, source: { s3: { ...S3, prefix: `${shell}/` } } }), 'Job').spec.template.spec;
      const staging = tempDir('staging');
      const scratch = tempDir('scratch');
      const target = emptyTarget();
      const f = await runScript(podScript(job, 'fetch', KEYS), { BACKUP_DIR: staging, SCRATCH_DIR: scratch, HOME: scratch, S3_ENDPOINT: endpoint }, { shell });
      expectOk(f);
      timings.push(`s3 fetch (${shell}): ${f.ms} ms`);
      expect(f.stdout).toContain(`downloaded ${name}`);
      const r = await runScript(podScript(job, 'restore', {}), { BACKUP_DIR: staging, SCRATCH_DIR: scratch, HOME: scratch, TARGET_DIR: target }, { shell });
      expectOk(r);
      expect(tree(target)).toEqual(tree(source));
    });
  });

  it('fails and changes nothing in the bucket with wrong credentials or when the store is down', async () => {
    const before = bucketKeys('audit/');
    const dir = tempDir('s3-bad');
    const [, u] = await backupAndUpload(withS3(), dir, { ...KEYS, 'weaver-s3/AWS_ACCESS_KEY_ID': 'NOT-A-KEY' }, 'dash');
    expect(u.stderr).toContain('InvalidAccessKeyId');
    expect(u.status).toBe(1);
    expect(u.stderr).toMatch(/FAILED: the upload of audit-logs-backup-\d{8}T\d{6}Z\.tar\.gz failed/);
    expect(bucketKeys('audit/')).toEqual(before);

    const pod = cronPod(synthBackup(withS3()));
    const scratch = tempDir('scratch');
    expectOk(await runScript(podScript(pod, 'backup', KEYS), pointAt(dir, { SCRATCH_DIR: scratch })));
    const down = await runScript(podScript(pod, 'upload', KEYS), { BACKUP_DIR: dir, SCRATCH_DIR: scratch, HOME: scratch, S3_ENDPOINT: `http://127.0.0.1:${await freePort()}` }, { shell: 'busybox' });
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/Could not connect to the endpoint URL/);
    expect(down.stderr).toMatch(/FAILED: the upload of .* failed/);
    expect(bucketKeys('audit/')).toEqual(before);
  });
});
