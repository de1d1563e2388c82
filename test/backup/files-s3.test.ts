import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupCronJobProps } from '../../lib/backup/backup-cronjob-props.js';
import type { RestoreJobProps } from '../../lib/backup/restore-job-props.js';
import { one, type Obj } from '../util.js';
import { container, cronPod, synthBackup, synthRestore } from './fixtures.js';
import {
  backupName,
  cleanup,
  freePort,
  listDir,
  podScript,
  remountReadOnly,
  run,
  runScript,
  SHELLS,
  startS3rver,
  tempDir,
  tmpfs,
  type RunResult,
  type Script,
  type Shell,
} from './harness.js';

/**
 * The files engine (the Weaver audit logs) and object storage: archives
 * made and extracted with busybox tar (busybox ash) or GNU tar (dash and
 * bash), uploads with the real `aws` CLI from Debian's awscli against
 * s3rver, an S3-compatible server from npm, on loopback; every script runs
 * as its pod's user.
 */

const AWS_CLI = '/usr/bin/aws';
const KEYS = { 'weaver-s3/AWS_ACCESS_KEY_ID': 'S3RVER', 'weaver-s3/AWS_SECRET_ACCESS_KEY': 'S3RVER' };
const DAY = 86400_000;
/** The application's user, which owns the files of the rich source tree. */
const APP = { uid: 10002, gid: 10002 };

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

const FILES_RESTORE: RestoreJobProps = {
  name: 'audit-logs-restore',
  namespace: 'weaver-ai',
  engine: FILES_BACKUP.engine as RestoreJobProps['engine'],
  filePrefix: 'audit-logs-backup',
  backup: 'latest',
  source: { volume: { claimName: 'audit-logs-backup' } },
  filesTarget: { claimName: 'audit-logs-restored' },
};

let s3: Awaited<ReturnType<typeof startS3rver>>;
let endpoint: string;
/** World-readable audit logs, as the default user (nobody) reads them. */
let source: string;
/** Files of the application's user with every kind of mode, and times in the past. */
let rich: string;

/** Path and sha256 of every file under a directory. */
function tree(dir: string): string[] {
  return run('find', [dir, '-type', 'f'])
    .split('\n')
    .filter(Boolean)
    .map((f) => `${relative(dir, f)} ${run('sha256sum', [f]).split(' ')[0]}`)
    .sort();
}

/** Every file and directory under `dir` (not `dir` itself): type, mode, modification time, and owner unless `withOwner` is false. */
function metadata(dir: string, withOwner = true): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      const st = lstatSync(p);
      out.push(`${relative(dir, p)} ${st.isDirectory() ? 'd' : 'f'} ${(st.mode & 0o7777).toString(8)} ${Math.floor(st.mtimeMs / 1000)}${withOwner ? ` ${st.uid}:${st.gid}` : ''}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
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

/** A tree with modes 0644, 0755, 0600 and 0640, directories 0750, 0700 and set-group-ID 2775, and times in the past. */
function makeRichSource(): string {
  const d = tempDir('rich');
  chmodSync(d, 0o755);
  const root = join(d, 'volume');
  mkdirSync(join(root, 'shared', 'inbox'), { recursive: true });
  mkdirSync(join(root, 'private'));
  mkdirSync(join(root, 'bin'));
  const files: [string, string, number][] = [
    ['readme.txt', 'a world-readable file\n', 0o644],
    ['bin/run.sh', '#!/bin/sh\necho run\n', 0o755],
    ['private/key.pem', 'not for others\n', 0o600],
    ['private/app.conf', 'group-readable\n', 0o640],
    ['shared/inbox/msg 1.txt', 'spaces survive\n', 0o664],
  ];
  for (const [f, body, mode] of files) {
    writeFileSync(join(root, f), body);
    chmodSync(join(root, f), mode);
  }
  const dirs: [string, number][] = [
    ['private', 0o700],
    ['bin', 0o750],
    ['shared', 0o2775],
    ['shared/inbox', 0o2770],
    ['.', 0o755],
  ];
  for (const [p, mode] of dirs) chmodSync(join(root, p), mode);
  run('chown', ['-R', `${APP.uid}:${APP.gid}`, root]);
  // Times last, deepest first, so creating entries does not change them again.
  let t = Date.UTC(2024, 0, 2, 3, 4, 5) / 1000;
  for (const p of [...files.map(([f]) => f), 'shared/inbox', 'shared', 'private', 'bin', '.']) utimesSync(join(root, p), t, (t += 3600));
  return root;
}

beforeAll(async () => {
  if (!existsSync(AWS_CLI)) throw new Error(`${AWS_CLI} is missing: install the Debian package awscli (scripts/test.sh does)`);
  s3 = await startS3rver(['weaver-audit-logs']);
  endpoint = s3.endpoint;
  source = tempDir('audit');
  chmodSync(source, 0o755);
  mkdirSync(join(source, '2025', '01'), { recursive: true, mode: 0o755 });
  writeFileSync(join(source, 'audit.log'), Array.from({ length: 2000 }, (_, i) => `{"seq":${i},"event":"tool_call","sig":"${(i * 7919).toString(16)}"}`).join('\n'));
  writeFileSync(join(source, '2025', '01', 'audit-2025-01-01.log.gz'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31) % 256)));
  writeFileSync(join(source, 'keys with spaces.txt'), 'spaces survive\n');
  rich = makeRichSource();
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

function restoreScript(props: Partial<RestoreJobProps> = {}, secrets: Record<string, string> = {}): Script {
  return podScript(one(synthRestore({ ...FILES_RESTORE, ...props }), 'Job').spec.template.spec, 'restore', secrets);
}

/** An empty directory as a fresh volume's root: root-owned; the kubelet gives it the pod's fsGroup. */
function emptyTarget(): string {
  return tempDir('files-restore');
}

const timings: string[] = [];
afterAll(() => {
  process.stdout.write(`files and s3 script timings:\n  ${timings.join('\n  ')}\n`);
});

describe('files backup and restore', () => {
  it('archives the volume read-only and restores it into an empty directory; a second restore is refused', async () => {
    const pod = cronPod(synthBackup(FILES_BACKUP));
    expect(pod.volumes).toContainEqual({ name: 'source', persistentVolumeClaim: { claimName: 'audit-logs', readOnly: true } });
    expect(container(pod, 'backup').volumeMounts).toContainEqual({ name: 'source', mountPath: '/source', readOnly: true });
    const s = podScript(pod, 'backup', {});
    expect(s.user).toEqual({ uid: 65534, gid: 65534, fsGroup: 65534 });
    const dir = tempDir('files');
    expectOk(await runScript(s, pointAt(dir)));
    const [name] = listDir(dir).filter((f) => f.endsWith('.tar.gz'));
    expect(name).toMatch(/^audit-logs-backup-\d{8}T\d{6}Z\.tar\.gz$/);

    const target = emptyTarget();
    const restore = restoreScript({ backup: name! });
    expectOk(await runScript(restore, { ...pointAt(dir), TARGET_DIR: target }));
    expect(tree(target)).toEqual(tree(source));
    expect(tree(target)).toHaveLength(3);
    // Nothing of the restore's own is left in the target.
    expect(listDir(target)).toEqual(['2025', 'audit.log', 'keys with spaces.txt']);
    const again = await runScript(restore, { ...pointAt(dir), TARGET_DIR: target }, { shell: 'dash' });
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(`FAILED: target directory ${target} is not empty; restore into an empty directory`);
    expect(tree(target)).toEqual(tree(source));
  });

  describe.each(SHELLS)('under %s', (shell: Shell) => {
    it("round-trips every file's and directory's mode (0644, 0755, 0600, set-group-ID) and modification time, as the application's user", async () => {
      const user = { runAsUser: APP.uid, runAsGroup: APP.gid };
      const backup = podScript(cronPod(synthBackup({ ...FILES_BACKUP, ...user })), 'backup', {});
      const dir = tempDir('files-rich');
      const b = await runScript(backup, pointAt(dir, { SOURCE_DIR: rich }), { shell });
      expectOk(b);
      timings.push(`files backup (${shell}): ${b.ms} ms`);
      const target = emptyTarget();
      const r = await runScript(restoreScript(user), { ...pointAt(dir), TARGET_DIR: target }, { shell });
      expectOk(r);
      timings.push(`files restore (${shell}): ${r.ms} ms`);
      expect(r.stdout).toMatch(/restored audit-logs-backup-\d{8}T\d{6}Z\.tar\.gz into /);
      // As a non-root user the files become the pod user's, which is the application's here.
      expect(metadata(target)).toEqual(metadata(rich));
      expect(metadata(target).filter((l) => / d 2775 /.test(l))).toEqual([expect.stringMatching(/^shared d 2775 \d+ 10002:10002$/)]);
      // The target itself is the volume's root, which only its owner (root here) may change.
      expect(r.stdout).toContain(`kept the mode of ${target} itself`);
    });
  });

  it.each(['busybox', 'dash'] as const)('as root (%s tar), restores the numeric owners too', async (shell) => {
    const user = { runAsUser: APP.uid, runAsGroup: APP.gid };
    const dir = tempDir('files-root');
    expectOk(await runScript(podScript(cronPod(synthBackup({ ...FILES_BACKUP, ...user })), 'backup', {}), pointAt(dir, { SOURCE_DIR: rich }), { shell }));
    const target = emptyTarget();
    const asRoot: Script = { ...restoreScript(), user: undefined };
    expectOk(await runScript(asRoot, { ...pointAt(dir), TARGET_DIR: target }, { shell }));
    expect(metadata(target)).toEqual(metadata(rich));
    expect(metadata(target).find((l) => l.startsWith('private/key.pem '))).toMatch(new RegExp(`^private/key\\.pem f 600 \\d+ ${APP.uid}:${APP.gid}$`));
  });

  it('onto a volume that fills up mid-extraction: the partial extraction is removed, the target is empty as before, and the log says so', async () => {
    const big = tempDir('big-source');
    chmodSync(big, 0o755);
    run('dd', ['if=/dev/urandom', `of=${join(big, 'random.bin')}`, 'bs=1M', 'count=3']);
    chmodSync(join(big, 'random.bin'), 0o644);
    writeFileSync(join(big, 'small.txt'), 'extracted before the volume filled up\n');
    chmodSync(join(big, 'small.txt'), 0o644);
    const dir = tempDir('files-big');
    expectOk(await runScript(podScript(cronPod(synthBackup(FILES_BACKUP)), 'backup', {}), pointAt(dir, { SOURCE_DIR: big }), { shell: 'dash' }));
    const target = tmpfs('1m');
    const r = await runScript(restoreScript(), { ...pointAt(dir), TARGET_DIR: target }, { shell: 'bash' });
    expect(r.status).toBe(1);
    // GNU tar reports ENOSPC as a short write.
    expect(r.stderr).toMatch(/No space left on device|Wrote only \d+ of \d+ bytes/);
    expect(r.stderr).toMatch(/FAILED: extracting audit-logs-backup-\d{8}T\d{6}Z\.tar\.gz failed/);
    expect(r.stderr).toContain(`removed the partial restore: ${target} is empty, as it was`);
    expect(listDir(target)).toEqual([]);
  });

  it('removes what a killed restore left, then restores', async () => {
    const dir = tempDir('files-leftover');
    expectOk(await runScript(podScript(cronPod(synthBackup(FILES_BACKUP)), 'backup', {}), pointAt(dir), { shell: 'busybox' }));
    const target = emptyTarget();
    // What a restore killed mid-extraction leaves: its hidden directory (with a read-only part) and its lock file.
    const leftover = join(target, '.restore-partial.Ab12Cd');
    mkdirSync(join(leftover, 'sub'), { recursive: true });
    writeFileSync(join(leftover, 'sub', 'half.log'), 'half');
    chmodSync(join(leftover, 'sub'), 0o500);
    chownSync(leftover, 65534, 65534);
    chownSync(join(leftover, 'sub'), 65534, 65534);
    writeFileSync(join(target, '.restore.lock'), '');
    const r = await runScript(restoreScript(), { ...pointAt(dir), TARGET_DIR: target }, { shell: 'dash' });
    expectOk(r);
    expect(r.stdout).toContain(`removed ${leftover}, left behind by an interrupted restore`);
    expect(tree(target)).toEqual(tree(source));
    expect(listDir(target)).toEqual(['2025', 'audit.log', 'keys with spaces.txt']);
  });

  it('fails without a backup when the target is full or read-only, or the source is missing', async () => {
    const s = podScript(cronPod(synthBackup({ ...FILES_BACKUP })), 'backup', {});
    const big = tempDir('big-source');
    chmodSync(big, 0o755);
    run('dd', ['if=/dev/urandom', `of=${join(big, 'random.bin')}`, 'bs=1M', 'count=3']);
    chmodSync(join(big, 'random.bin'), 0o644);
    const full = tmpfs('1m');
    const r1 = await runScript(s, pointAt(full, { SOURCE_DIR: big }), { shell: 'dash' });
    expect(r1.status).toBe(1);
    expect(r1.stderr).toContain('FAILED: the dump failed; no backup was written and retention did not run');
    expect(listDir(full)).toEqual(['.audit-logs-backup.lock']);

    const ro = tmpfs('8m');
    remountReadOnly(ro);
    const r2 = await runScript(s, pointAt(ro), { shell: 'bash' });
    expect(r2.status).toBe(1);
    expect(r2.stderr).toContain(`FAILED: cannot create a file in ${ro}`);

    const dir = tempDir('files-nosource');
    const r3 = await runScript(s, pointAt(dir, { SOURCE_DIR: join(dir, 'missing') }));
    expect(r3.status).toBe(1);
    expect(r3.stderr).toContain('FAILED: the dump failed; no backup was written and retention did not run');
    expect(listDir(dir)).toEqual(['.audit-logs-backup.lock']);
  });
});

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
