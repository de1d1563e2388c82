import { chownSync, existsSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupCronJobProps } from '../../lib/backup/backup-cronjob-props.js';
import type { RestoreJobProps } from '../../lib/backup/restore-job-props.js';
import { one } from '../util.js';
import { cronPod, synthBackup, synthRestore } from './fixtures.js';
import {
  backupName,
  cleanup,
  cuttingProxy,
  freePort,
  listDir,
  podScript,
  remountReadOnly,
  run,
  runScript,
  SHELLS,
  startRedis,
  tempDir,
  timingLog,
  tmpfs,
  type Redis,
  type RunResult,
  type Shell,
  waitFor,
} from './harness.js';

/**
 * The Redis backup (an RDB over the replication protocol, `redis-cli --rdb`)
 * and the stop-restore-start procedure, run as the pods' users under busybox
 * ash, dash and bash against a real Redis 7 on loopback; the restored server
 * runs as a user of its own, as a Redis pod does.
 */

const PASSWORD = 'weaver-redis-test-secret';
const SECRETS = { 'weaver-secrets/REDIS_PASSWORD': PASSWORD };
const DAY = 86400_000;

const REDIS_BACKUP: BackupCronJobProps = {
  name: 'redis-backup',
  namespace: 'weaver-ai',
  schedule: '30 3 * * *',
  timeZone: 'Europe/Berlin',
  engine: {
    type: 'redis',
    host: 'redis',
    password: { name: 'weaver-secrets', key: 'REDIS_PASSWORD' },
    destination: { pods: { podLabels: { 'app.kubernetes.io/name': 'redis' } } },
  },
  target: { volume: { claimName: 'redis-backup' } },
  retention: { days: 7, minKeep: 2 },
  // The alerts are tested in backup-cronjob.test.ts; these tests run the scripts.
  alerting: false,
};

/** A fingerprint of every key, its type and its value, computed by the server. */
const FINGERPRINT = `
local keys = redis.call('KEYS', '*')
table.sort(keys)
local parts = {}
for _, k in ipairs(keys) do
  local t = redis.call('TYPE', k)['ok']
  local v
  if t == 'string' then v = redis.call('GET', k)
  elseif t == 'list' then v = table.concat(redis.call('LRANGE', k, 0, -1), ',')
  elseif t == 'set' then local m = redis.call('SMEMBERS', k); table.sort(m); v = table.concat(m, ',')
  elseif t == 'zset' then v = table.concat(redis.call('ZRANGE', k, 0, -1, 'WITHSCORES'), ',')
  elseif t == 'hash' then
    local h = redis.call('HGETALL', k); local pairs_ = {}
    for i = 1, #h, 2 do table.insert(pairs_, h[i] .. '=' .. h[i + 1]) end
    table.sort(pairs_); v = table.concat(pairs_, ',')
  else v = '?' end
  table.insert(parts, k .. '|' .. t .. '|' .. v)
end
return #keys .. ' ' .. redis.sha1hex(table.concat(parts, '\\n'))
`;

let redis: Redis;
let original: string;
const timings = timingLog('redis');

function fingerprint(r: Redis): string {
  return r.cli('EVAL', FINGERPRINT, '0').trim();
}

beforeAll(async () => {
  // No 5 s wait for more replicas before a diskless transfer (the default), to keep the tests short.
  redis = await startRedis({ password: PASSWORD, extra: ['--repl-diskless-sync-delay', '0'] });
  const lines: string[] = [];
  for (let i = 0; i < 800; i++) lines.push(`SET session:${i} ${randomHex(i)}`);
  lines.push('HSET agent:1 name planner model gpt-4 temperature 0.2', 'RPUSH queue:jobs a b c d e', 'SADD tags red green blue', 'ZADD scores 1 one 2.5 two 10 ten');
  lines.push('SET ephemeral value', 'EXPIRE ephemeral 86400', 'SET "key with spaces" "value with spaces"');
  run('/usr/bin/redis-cli', ['-h', '127.0.0.1', '-p', String(redis.port)], { env: { PATH: '/usr/bin:/bin', REDISCLI_AUTH: PASSWORD }, input: `${lines.join('\n')}\n` });
  original = fingerprint(redis);
  expect(original).toMatch(/^806 [0-9a-f]{40}$/);
});

/** A deterministic 2400-character hex string. */
function randomHex(seed: number): string {
  let x = seed * 2654435761 + 1;
  let out = '';
  while (out.length < 2400) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out += x.toString(16).padStart(8, '0');
  }
  return out.slice(0, 2400);
}

afterAll(async () => {
  try {
    await redis?.stop();
  } finally {
    cleanup();
  }
});

function backupJob(props: Partial<BackupCronJobProps> = {}, secrets: Record<string, string> = SECRETS) {
  return podScript(cronPod(synthBackup({ ...REDIS_BACKUP, ...props })), 'backup', secrets);
}

function pointAt(dir: string, port = redis.port): Record<string, string> {
  const scratch = tempDir('scratch');
  return { BACKUP_DIR: dir, SCRATCH_DIR: scratch, HOME: scratch, REDIS_HOST: '127.0.0.1', REDIS_PORT: String(port) };
}

function expectOk(r: RunResult): void {
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
}

function backupsIn(dir: string): string[] {
  return listDir(dir).filter((f) => /^redis-backup-\d{8}T\d{6}Z\.rdb$/.test(f));
}

function plantAged(dir: string, ageDays: number): string {
  const name = backupName('redis-backup', 'rdb', new Date(Date.now() - ageDays * DAY));
  writeFileSync(join(dir, name), `planted RDB, ${ageDays} days old\n`);
  const sum = run('sha256sum', [join(dir, name)]).split(' ')[0];
  writeFileSync(join(dir, `${name}.sha256`), `${sum}  ${name}\n`);
  return name;
}

function snapshotDir(dir: string): Record<string, string> {
  return Object.fromEntries(listDir(dir).map((f) => [f, run('sha256sum', [join(dir, f)]).split(' ')[0]!]));
}

function restoreJob(props: Partial<RestoreJobProps> = {}) {
  const base: RestoreJobProps = {
    name: 'redis-restore',
    namespace: 'weaver-ai',
    engine: REDIS_BACKUP.engine as RestoreJobProps['engine'],
    filePrefix: 'redis-backup',
    backup: 'latest',
    source: { volume: { claimName: 'redis-backup' } },
    redisData: { claimName: 'redis-data-redis-0' },
  };
  return podScript(one(synthRestore({ ...base, ...props }), 'Job').spec.template.spec, 'restore', SECRETS);
}

/** The user of the Redis server's pod (not the Job's), as the official image runs it under its own UID. */
const SERVER = { uid: 10003, gid: 10003 };

/**
 * The data directory of a stopped Redis server as it left it: owned by the
 * server's user, with an RDB of its own (a real one, with one key) unless
 * `withDump` is false, and an AOF directory if `withAof`.
 */
async function serverDataDir(opts: { withDump?: boolean; withAof?: boolean; dir?: string; group?: number; mode?: number } = {}): Promise<string> {
  const data = opts.dir ?? tempDir('redis-data');
  const gid = opts.group ?? SERVER.gid;
  chownSync(data, SERVER.uid, gid);
  run('chmod', [(opts.mode ?? 0o755).toString(8), data]);
  if (opts.withDump !== false) {
    const old = await startRedis({ dir: data, password: PASSWORD, user: { ...SERVER, gid, groups: [gid] } });
    try {
      old.cli('SET', 'old-key', 'from before the restore');
      old.cli('SAVE');
    } finally {
      await old.stop();
    }
  }
  if (opts.withAof) {
    mkdirSync(join(data, 'appendonlydir'));
    writeFileSync(join(data, 'appendonlydir', 'appendonly.aof.1.base.rdb'), 'old data');
    run('chown', ['-R', `${SERVER.uid}:${gid}`, join(data, 'appendonlydir')]);
  }
  return data;
}

/** Starts a server on `data` as `user` and expects it to hold every key of the backup. */
async function expectServerLoads(data: string, user: { uid: number; gid: number; groups?: number[] }): Promise<void> {
  const restored = await startRedis({ dir: data, password: PASSWORD, user });
  try {
    expect(fingerprint(restored)).toBe(original);
  } finally {
    await restored.stop();
  }
}

/** Every file of a directory with its content hash, mode and owner. */
function snapshotData(dir: string): Record<string, string> {
  return Object.fromEntries(
    listDir(dir).map((f) => {
      const st = statSync(join(dir, f));
      return [f, `${st.isFile() ? run('sha256sum', [join(dir, f)]).split(' ')[0] : 'dir'} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`];
    }),
  );
}

describe('Redis backup', () => {
  it('passes the password only through REDISCLI_AUTH', () => {
    const s = backupJob();
    expect(s.env).toMatchObject({ REDIS_HOST: 'redis', REDIS_PORT: '6379', REDISCLI_AUTH: PASSWORD });
    expect(s.script).toContain('redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" "$@"');
    expect(s.script).not.toContain(PASSWORD);
  });

  it('runs its script under set -eu with no pipeline', () => {
    const s = backupJob();
    expect(s.script.startsWith('set -eu\n')).toBe(true);
    expect(s.script).not.toContain('pipefail');
    expect(s.script).not.toMatch(/[^|]\|[^|]/);
  });

  describe.each(SHELLS)('under %s', (shell: Shell) => {
    it('takes a checked RDB snapshot; stop, restore and start brings back every key, read by a server running as its own user', async () => {
      const dir = tempDir('redis');
      const r = await runScript(backupJob(), pointAt(dir), { shell });
      expectOk(r);
      const [name] = backupsIn(dir);
      expect(listDir(dir)).toEqual(['.redis-backup.lock', name, `${name}.sha256`]);
      expect(readFileSync(join(dir, name!)).subarray(0, 5).toString()).toBe('REDIS');
      expect(run('sha256sum', ['-c', `${name}.sha256`], { cwd: dir })).toBe(`${name}: OK\n`);
      timings.push(`redis backup (${shell}): ${r.ms} ms, ${readFileSync(join(dir, name!)).length} bytes`);

      // Restore into the data directory of a stopped server that used AOF, as the Job's user (10001).
      const data = await serverDataDir({ withAof: true });
      const before = readFileSync(join(data, 'dump.rdb'));
      const stoppedPort = await freePort();
      const rr = await runScript(restoreJob(), { ...pointAt(dir, stoppedPort), REDIS_DATA_DIR: data }, { shell });
      timings.push(`redis restore (${shell}): ${rr.ms} ms`);
      expectOk(rr);
      expect(rr.stdout).toContain(`restored ${name} as ${data}/dump.rdb`);
      const aside = listDir(data).filter((f) => f.includes('.before-restore-'));
      expect(aside).toHaveLength(2);
      expect(aside.some((f) => f.startsWith('appendonlydir.before-restore-'))).toBe(true);
      // The replaced RDB is kept as it was.
      expect(readFileSync(join(data, aside.find((f) => f.startsWith('dump.rdb.'))!))).toEqual(before);
      expect(existsSync(join(data, 'appendonlydir'))).toBe(false);
      expect(listDir(data).filter((f) => f.startsWith('.'))).toEqual([]);
      // The new RDB has the mode of the one it replaced (0644 from Redis, g+rw from the Job's fsGroup), so the server's user reads it.
      expect(statSync(join(data, 'dump.rdb'))).toMatchObject({ mode: 0o100664, uid: 10001, gid: 10001 });
      expect(rr.stdout).toContain(`dump.rdb will have mode 664, owner 10001 and group 10001 (from the replaced file: mode 664, owner ${SERVER.uid}, group 10001)`);

      // Start with appendonly no, as the server's own user (not in the Job's group): the RDB is loaded.
      const restored = await startRedis({ dir: data, password: PASSWORD, user: SERVER });
      try {
        expect(fingerprint(restored)).toBe(original);
        expect(Number(restored.cli('TTL', 'ephemeral').trim())).toBeGreaterThan(80000);
        // The AOF step of the procedure: CONFIG SET appendonly yes rewrites the AOF from memory.
        restored.cli('CONFIG', 'SET', 'appendonly', 'yes');
        const deadline = Date.now() + 30_000;
        while (!/aof_rewrite_in_progress:0[\s\S]*aof_rewrite_scheduled:0/.test(restored.cli('INFO', 'persistence')) || !existsSync(join(data, 'appendonlydir'))) {
          if (Date.now() > deadline) throw new Error('the AOF rewrite did not finish in 30 s');
          await new Promise((res) => setTimeout(res, 100));
        }
        await new Promise((res) => setTimeout(res, 300));
      } finally {
        await restored.stop();
      }
      // Restarted with appendonly yes (the usual configuration), it loads the rewritten AOF.
      const withAof = await startRedis({ dir: data, password: PASSWORD, extra: ['--appendonly', 'yes'], user: SERVER });
      try {
        expect(fingerprint(withAof)).toBe(original);
      } finally {
        await withAof.stop();
      }
    });
  });

  it('refuses to restore while the server is running, and leaves its data directory alone', async () => {
    const dir = tempDir('redis-running');
    expectOk(await runScript(backupJob(), pointAt(dir)));
    const data = tempDir('redis-live-data');
    writeFileSync(join(data, 'dump.rdb'), 'live data');
    const r = await runScript(restoreJob(), { ...pointAt(dir), REDIS_DATA_DIR: data });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`FAILED: the server at 127.0.0.1:${redis.port} is running; stop it (scale it to 0) before restoring; nothing was changed`);
    expect(listDir(data)).toEqual(['dump.rdb']);
    expect(readFileSync(join(data, 'dump.rdb'), 'utf8')).toBe('live data');
  });

  describe('failures exit non-zero, leave no backup and delete nothing', () => {
    function seeded(dir: string): Record<string, string> {
      for (const age of [40, 30, 20, 10]) plantAged(dir, age);
      return snapshotDir(dir);
    }

    async function expectNothingChanged(dir: string, before: Record<string, string>, overrides: Record<string, string>, secrets = SECRETS, shell: Shell = 'busybox'): Promise<RunResult> {
      const r = await runScript(backupJob({}, secrets), overrides, { shell });
      expect(r.status, r.stdout).not.toBe(0);
      const after = snapshotDir(dir);
      delete after['.redis-backup.lock'];
      expect(after).toEqual(before);
      return r;
    }

    it('when the server is down', async () => {
      const dir = tempDir('redis-down');
      const port = await freePort();
      const r = await expectNothingChanged(dir, seeded(dir), pointAt(dir, port), SECRETS, 'dash');
      expect(r.stderr).toContain(`Could not connect to Redis at 127.0.0.1:${port}: Connection refused`);
      expect(r.stderr).toContain('FAILED: the dump failed; no backup was written and retention did not run');
    });

    it('when the password is wrong', async () => {
      const dir = tempDir('redis-auth');
      const r = await expectNothingChanged(dir, seeded(dir), pointAt(dir), { 'weaver-secrets/REDIS_PASSWORD': 'wrong' }, 'bash');
      expect(`${r.stdout}${r.stderr}`).toContain('AUTH failed: WRONGPASS');
      expect(r.stderr).toContain('FAILED: the dump failed; no backup was written and retention did not run');
    });

    it('when the transfer is cut off mid-stream', async () => {
      const dir = tempDir('redis-cut');
      const proxy = await cuttingProxy(redis.port, 300_000);
      try {
        const r = await expectNothingChanged(dir, seeded(dir), pointAt(dir, proxy.port));
        expect(proxy.bytes()).toBe(300_000);
        expect(r.stderr).toContain('FAILED: the dump failed; no backup was written and retention did not run');
      } finally {
        await proxy.close();
      }
    });

    it('when the target is full', async () => {
      const dir = tmpfs('1m');
      const r = await expectNothingChanged(dir, seeded(dir), pointAt(dir), SECRETS, 'dash');
      // redis-cli reports ENOSPC as a short write.
      expect(`${r.stdout}${r.stderr}`).toContain('Error writing data to file: short write');
      expect(r.stderr).toContain('FAILED: the dump failed; no backup was written and retention did not run');
    });

    it('when the target is read-only', async () => {
      const dir = tmpfs('16m');
      const before = seeded(dir);
      remountReadOnly(dir);
      const r = await expectNothingChanged(dir, before, pointAt(dir));
      expect(r.stderr).toContain(`FAILED: cannot create a file in ${dir}`);
    });
  });

  it('renames a damaged existing backup to .corrupt, deletes nothing and fails', async () => {
    const dir = tempDir('redis-corrupt');
    expectOk(await runScript(backupJob(), pointAt(dir)));
    const [good] = backupsIn(dir);
    // Damage the RDB after its checksum was written, as a bad disk would.
    truncateSync(join(dir, good!), 1000);
    const old = [30, 20, 10].map((a) => plantAged(dir, a));
    await new Promise((res) => setTimeout(res, 1100));
    const r = await runScript(backupJob(), pointAt(dir));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`FAILED: 1 existing backup(s) failed verification and were renamed to .corrupt; retention deleted nothing`);
    expect(listDir(dir)).toContain(`${good}.corrupt`);
    const now = backupsIn(dir);
    expect(now.filter((n) => !old.includes(n))).toHaveLength(1);
    expect(now.filter((n) => old.includes(n))).toEqual(old);
    for (const n of now) expect(run('sha256sum', ['-c', `${n}.sha256`], { cwd: dir })).toBe(`${n}: OK\n`);
  });

  it('applies retention by the age in the name, keeping the newest minKeep', async () => {
    const dir = tempDir('redis-retention');
    const planted = [60, 9, 8, 3].map((a) => plantAged(dir, a));
    const r = await runScript(backupJob({ retention: { days: 7, minKeep: 2 } }), pointAt(dir));
    expectOk(r);
    const fresh = backupsIn(dir).filter((n) => !planted.includes(n));
    expect(backupsIn(dir)).toEqual([planted[3], fresh[0]]);
    expect(r.stdout).toContain('retention: 2 good backups kept, 3 deleted');
  });
});

describe('Redis restore is all or nothing', () => {
  /** One good backup, shared by the restore tests. */
  let dir: string;
  let name: string;
  beforeAll(async () => {
    dir = tempDir('redis-restore-src');
    expectOk(await runScript(backupJob(), pointAt(dir), { shell: 'dash' }));
    [name] = backupsIn(dir) as [string];
  });

  it('onto a full data volume: fails before touching anything, removes its copy, and the server restarts with its old data', async () => {
    const data = await serverDataDir({ dir: tmpfs('2m'), withAof: true });
    // Fill the volume: the live RDB fits, the backup does not.
    spawnSync('dd', ['if=/dev/zero', `of=${join(data, 'filler')}`, 'bs=4096'], { encoding: 'utf8' });
    const before = snapshotData(data);
    const r = await runScript(restoreJob(), { ...pointAt(dir, await freePort()), REDIS_DATA_DIR: data }, { shell: 'dash' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/No space left on device/);
    expect(r.stderr).toContain(`FAILED: cannot copy ${name} into ${data} (is the volume full?); nothing in ${data} was changed`);
    // Nothing renamed, nothing left behind (the kubelet's fsGroup change aside, which happens on mount).
    const after = snapshotData(data);
    expect(Object.keys(after)).toEqual(Object.keys(before));
    for (const [f, v] of Object.entries(before)) expect(after[f]!.split(' ')[0]).toBe(v.split(' ')[0]);
    const restarted = await startRedis({ dir: data, password: PASSWORD, user: SERVER });
    try {
      expect(restarted.cli('GET', 'old-key').trim()).toBe('from before the restore');
    } finally {
      await restarted.stop();
    }
  });

  it('run as the server\'s own user (runAsUser, runAsGroup), the RDB is the server\'s, with the mode of the one it replaced', async () => {
    const data = await serverDataDir({ mode: 0o700 });
    run('chmod', ['600', join(data, 'dump.rdb')]);
    const s = restoreJob({ runAsUser: SERVER.uid, runAsGroup: SERVER.gid });
    expect(s.user).toEqual({ uid: SERVER.uid, gid: SERVER.gid, fsGroup: SERVER.gid });
    expectOk(await runScript(s, { ...pointAt(dir, await freePort()), REDIS_DATA_DIR: data }, { shell: 'bash' }));
    // 0600, plus g+rw from the kubelet's fsGroup change on mount.
    expect(statSync(join(data, 'dump.rdb'))).toMatchObject({ mode: 0o100660, uid: SERVER.uid, gid: SERVER.gid });
    await expectServerLoads(data, SERVER);
  });

  it('run in the server pod\'s fsGroup (runAsGroup), a server of another UID in that group reads the RDB, which others cannot', async () => {
    const fsGroup = 10005;
    const data = await serverDataDir({ group: fsGroup, mode: 0o2770 });
    run('chmod', ['640', join(data, 'dump.rdb')]);
    const s = restoreJob({ runAsGroup: fsGroup });
    const r = await runScript(s, { ...pointAt(dir, await freePort()), REDIS_DATA_DIR: data }, { shell: 'busybox' });
    expectOk(r);
    expect(statSync(join(data, 'dump.rdb'))).toMatchObject({ mode: 0o100640, uid: 10001, gid: fsGroup });
    expect(r.stdout).toContain(`a server running as user ${SERVER.uid} reads it only as a member of group ${fsGroup} (its pod's fsGroup); otherwise run this Job as that user (runAsUser: ${SERVER.uid})`);
    await expectServerLoads(data, { ...SERVER, groups: [fsGroup] });
  });

  it('onto an empty volume, the RDB gets the mode Redis gives its own (0644)', async () => {
    const data = await serverDataDir({ withDump: false });
    const r = await runScript(restoreJob(), { ...pointAt(dir, await freePort()), REDIS_DATA_DIR: data }, { shell: 'dash' });
    expectOk(r);
    expect(statSync(join(data, 'dump.rdb'))).toMatchObject({ mode: 0o100644, uid: 10001 });
    expect(r.stdout).toContain('dump.rdb will have mode 644, owner 10001 and group 10001 (as Redis writes its own; there was no dump.rdb)');
    await expectServerLoads(data, SERVER);
  });

  it('a second restore into the same data directory while one runs fails at the lock', async () => {
    const data = await serverDataDir({});
    const lockHolder = spawn('/usr/bin/flock', ['-x', join(data, '.restore.lock'), '-c', 'sleep 30'], { stdio: 'ignore' });
    try {
      await waitFor('the lock holder', () => existsSync(join(data, '.restore.lock')));
      await new Promise((res) => setTimeout(res, 200));
      const before = snapshotData(data);
      const r = await runScript(restoreJob(), { ...pointAt(dir, await freePort()), REDIS_DATA_DIR: data }, { shell: 'bash' });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`FAILED: another restore into ${data} is running (it holds ${data}/.restore.lock); nothing was changed`);
      const after = snapshotData(data);
      for (const [f, v] of Object.entries(before)) expect(after[f]!.split(' ')[0]).toBe(v.split(' ')[0]);
    } finally {
      lockHolder.kill('SIGKILL');
    }
  });
});
