import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { container, cronPod, synthBackup } from './fixtures.js';
import { emptyTarget, expectOk, FILES_BACKUP, filesRestoreScript as restoreScript, filesPointAt, makeAuditSource, tree } from './files-helpers.js';
import { cleanup, listDir, podScript, remountReadOnly, run, runScript, SHELLS, tempDir, timingLog, tmpfs, type Script, type Shell } from './harness.js';

/**
 * The files engine (the Weaver audit logs): archives made and extracted with
 * busybox tar (busybox ash) or GNU tar (dash and bash), every script run as
 * its pod's user. A restore keeps modes and times, and is all or nothing.
 */

/** The application's user, which owns the files of the rich source tree. */
const APP = { uid: 10002, gid: 10002 };

/** World-readable audit logs, as the default user (nobody) reads them. */
let source: string;
/** Files of the application's user with every kind of mode, and times in the past. */
let rich: string;

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

beforeAll(() => {
  source = makeAuditSource();
  rich = makeRichSource();
});

afterAll(() => cleanup());

function pointAt(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return filesPointAt(dir, source, extra);
}

const timings = timingLog('files');

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
