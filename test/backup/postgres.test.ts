import { chmodSync, chownSync, existsSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../apps/main.js';
import type { BackupCronJobProps } from '../../lib/backup/backup-cronjob-props.js';
import type { RestoreJobProps } from '../../lib/backup/restore-job-props.js';
import { findShellScript, unsafePipeline } from '../../lib/validation/internal/shell.js';
import { one, type Obj } from '../util.js';
import { cronPod, PG_BACKUP, synthBackup, synthRestore } from './fixtures.js';
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
  startPostgres,
  startScript,
  tempDir,
  timingLog,
  tmpfs,
  waitFor,
  type Postgres,
  type RunResult,
  type Shell,
} from './harness.js';
import { APP_PASSWORD, createAppRole, databases, expectOk, fingerprint, pgPointAt, pgRestoreJob, SECRETS } from './pg-helpers.js';

/**
 * The PostgreSQL backup and restore scripts of the synthesized manifests,
 * run as the pod's user under busybox ash, dash and bash against a real
 * PostgreSQL 15 on loopback. The restore's fault tests are in
 * postgres-restore.test.ts.
 */

const DAY = 86400_000;

let pg: Postgres;
/** The fingerprint of the source database, which no test changes. */
let original: string;

const SCHEMA = `
CREATE TABLE agents (id serial PRIMARY KEY, name text NOT NULL UNIQUE, config jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT '2025-01-01');
CREATE TABLE runs (id bigserial PRIMARY KEY, agent_id int NOT NULL REFERENCES agents(id), input text, output text, payload bytea, started_at timestamptz);
CREATE INDEX runs_agent ON runs (agent_id);
CREATE TABLE notes (id int PRIMARY KEY, body text);
CREATE VIEW agent_run_counts AS SELECT agent_id, count(*) AS runs FROM runs GROUP BY agent_id;
INSERT INTO agents (name, config) SELECT 'agent-' || g, jsonb_build_object('n', g, 'tags', jsonb_build_array('a', 'b')) FROM generate_series(1, 50) g;
INSERT INTO runs (agent_id, input, output, payload, started_at)
  SELECT 1 + g % 50, md5(g::text) || md5((g * 7)::text), md5((g * 3)::text) || md5((g * 5)::text), decode(md5((g * 11)::text) || md5((g * 13)::text), 'hex'),
         '2025-01-01'::timestamptz + g * interval '1 minute'
  FROM generate_series(1, 40000) g;
INSERT INTO notes VALUES (1, E'tab\\there, newline\\nthere, quote '' and backslash \\\\'), (2, 'ünïcødé ✓'), (3, NULL);
`;

beforeAll(async () => {
  pg = await startPostgres();
  createAppRole(pg);
  pg.psql(SCHEMA, { db: 'skreaver', user: 'skreaver_user', password: APP_PASSWORD });
  original = fingerprint(pg, 'skreaver');
  expect(original).toContain('runs: 40000 ');
  expect(original).toContain('notes: 3 ');
});

afterAll(() => {
  try {
    pg?.stop();
  } finally {
    cleanup();
  }
});

/** The backup script of a CronJob with these props. */
function backupJob(props: Partial<BackupCronJobProps> = {}) {
  return podScript(cronPod(synthBackup({ ...PG_BACKUP, ...props })), 'backup', SECRETS);
}

function pointAt(dir: string, port = pg.port): Record<string, string> {
  return pgPointAt(dir, port);
}

/** Backups (with their checksums) in a directory, by name. */
function backupsIn(dir: string, ext: string): string[] {
  return listDir(dir).filter((f) => f.startsWith('skreaver-db-backup-') && f.endsWith(`.${ext}`));
}

/** Writes a small file that passes as a good backup of that age (right name, matching checksum). */
function plantAged(dir: string, ext: string, ageDays: number): string {
  const name = backupName('skreaver-db-backup', ext, new Date(Date.now() - ageDays * DAY));
  writeFileSync(join(dir, name), `planted backup, ${ageDays} days old\n`);
  const sum = run('sha256sum', [join(dir, name)]).split(' ')[0];
  writeFileSync(join(dir, `${name}.sha256`), `${sum}  ${name}\n`);
  return name;
}

/** Every file in a directory with its content hash: a failed run must leave this unchanged. */
function snapshotDir(dir: string): Record<string, string> {
  return Object.fromEntries(listDir(dir).map((f) => [f, run('sha256sum', [join(dir, f)]).split(' ')[0]!]));
}

const timings = timingLog('postgres');

describe.each([
  { format: 'custom' as const, ext: 'dump' },
  { format: 'plain' as const, ext: 'sql.gz' },
])('PostgreSQL $format backup', ({ format, ext }) => {
  const props = { engine: { ...PG_BACKUP.engine, format } } as Partial<BackupCronJobProps>;

  it('runs its script under set -eu with no pipeline at all (dash has no pipefail), with pg_dump from the environment only', () => {
    const s = backupJob(props);
    expect(s.script.startsWith('set -eu\n')).toBe(true);
    expect(s.script).not.toContain('pipefail');
    // WKL-07's own scanner finds no pipeline that could hide a failure.
    const found = findShellScript(['/bin/sh', '-c', s.script])!;
    expect(unsafePipeline(found)).toBeUndefined();
    expect(s.env).toMatchObject({ PGHOST: 'postgres', PGPORT: '5432', PGDATABASE: 'skreaver', PGUSER: 'skreaver_user', PGPASSWORD: APP_PASSWORD, BACKUP_DIR: '/backup' });
    expect(s.user).toEqual({ uid: 10001, gid: 10001, fsGroup: 10001 });
    expect(s.script).toContain(format === 'custom' ? 'pg_dump --no-password --format=custom --file="$1" &' : 'pg_dump --no-password --format=plain --compress=6 --file="$1" &');
  });

  describe.each(SHELLS)('under %s', (shell) => {
    it('writes a checked backup with its checksum; a restore into a new database is identical, and a second one is refused', async () => {
      const dir = tempDir(`pg-${format}`);
      const r = await runScript(backupJob(props), pointAt(dir), { shell });
      timings.push(`${format} backup (${shell}): ${r.ms} ms`);
      expectOk(r);
      const [name] = backupsIn(dir, ext);
      expect(listDir(dir)).toEqual([`.skreaver-db-backup.lock`, name, `${name}.sha256`]);
      expect(name).toMatch(new RegExp(`^skreaver-db-backup-\\d{8}T\\d{6}Z\\.${ext.replace('.', '\\.')}$`));
      // The checksum file is in sha256sum's own format; the backup is the pod user's, readable by its group.
      expect(run('sha256sum', ['-c', `${name}.sha256`], { cwd: dir })).toBe(`${name}: OK\n`);
      expect(statSync(join(dir, name!))).toMatchObject({ uid: 10001, mode: 0o100640 });
      expect(r.stdout).toContain(`wrote ${name}`);

      const target = `restored_${format}_${shell}`;
      const restore = pgRestoreJob({ database: target, format, backup: name! });
      const rr = await runScript(restore, pointAt(dir), { shell });
      timings.push(`${format} restore (${shell}): ${rr.ms} ms`);
      expectOk(rr);
      expect(rr.stdout).toContain(`restored ${name} into the new database ${target}`);
      expect(fingerprint(pg, target)).toBe(original);
      expect(databases(pg)).not.toContain(`${target}_restoring`);

      // A second run of the same restore is refused: the database exists now, and nothing is overwritten.
      const again = await runScript(restore, pointAt(dir), { shell });
      expect(again.status).not.toBe(0);
      expect(again.stderr).toContain(
        `FAILED: database ${target} already exists; createDatabase restores only into a new database (drop or rename it, or restore under another name); nothing was changed`,
      );
      expect(fingerprint(pg, target)).toBe(original);
    });
  });

  describe('failures exit non-zero, leave no backup and delete nothing', () => {
    /** A directory with four good backups that retention would delete on a successful run. */
    function seeded(dir: string): Record<string, string> {
      for (const age of [40, 30, 20, 10]) plantAged(dir, ext, age);
      return snapshotDir(dir);
    }

    /** Runs the backup, which must fail and leave the directory as it was (the lock file aside, which the run may create). */
    async function expectNothingChanged(dir: string, before: Record<string, string>, overrides: Record<string, string>, shell: Shell, secrets = SECRETS): Promise<RunResult> {
      const s = podScript(cronPod(synthBackup({ ...PG_BACKUP, ...props })), 'backup', secrets);
      const r = await runScript(s, overrides, { shell });
      expect(r.status, r.stdout).not.toBe(0);
      const after = snapshotDir(dir);
      delete after['.skreaver-db-backup.lock'];
      expect(after).toEqual(before);
      return r;
    }

    it('when the server is down (dash)', async () => {
      const dir = tempDir('pg-down');
      const r = await expectNothingChanged(dir, seeded(dir), pointAt(dir, await freePort()), 'dash');
      expect(r.stderr).toMatch(/connection to server at "127\.0\.0\.1", port \d+ failed: Connection refused/);
      expect(r.stderr).toContain('FAILED: the dump failed; no backup was written and retention did not run');
    });

    it('when the password is wrong (bash)', async () => {
      const dir = tempDir('pg-auth');
      const r = await expectNothingChanged(dir, seeded(dir), pointAt(dir), 'bash', { 'skreaver-db/password': 'not-the-password' });
      expect(r.stderr).toContain('password authentication failed for user "skreaver_user"');
      expect(r.stderr).toContain('FAILED: the dump failed; no backup was written and retention did not run');
    });

    it('when the connection is cut off mid-stream (busybox)', async () => {
      const dir = tempDir('pg-cut');
      const proxy = await cuttingProxy(pg.port, 400_000);
      try {
        const r = await expectNothingChanged(dir, seeded(dir), pointAt(dir, proxy.port), 'busybox');
        expect(proxy.bytes()).toBe(400_000);
        expect(r.stderr).toMatch(/pg_dump: error: .*(server closed the connection unexpectedly|connection to server was lost|could not receive data)/s);
        expect(r.stderr).toContain('FAILED: the dump failed; no backup was written and retention did not run');
      } finally {
        await proxy.close();
      }
    });

    it('when the target is full (dash)', async () => {
      const dir = tmpfs('1m');
      const r = await expectNothingChanged(dir, seeded(dir), pointAt(dir), 'dash');
      expect(r.stderr).toMatch(/No space left on device/);
      expect(r.stderr).toContain('FAILED: the dump failed; no backup was written and retention did not run');
    });

    it('when the target is read-only (busybox)', async () => {
      const dir = tmpfs('16m');
      const before = seeded(dir);
      remountReadOnly(dir);
      const r = await expectNothingChanged(dir, before, pointAt(dir), 'busybox');
      expect(r.stderr).toContain(`FAILED: cannot create a file in ${dir}`);
    });
  });

  it('renames a damaged existing backup to .corrupt, keeps the new good one, deletes nothing and fails', async () => {
    const dir = tempDir('pg-corrupt');
    const old = [40, 30, 20, 10].map((age) => plantAged(dir, ext, age));
    truncateSync(join(dir, old[1]!), 5);
    const r = await runScript(backupJob(props), pointAt(dir), { shell: 'dash' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${old[1]} does not match its checksum; renamed to ${old[1]}.corrupt`);
    expect(r.stderr).toContain('FAILED: 1 existing backup(s) failed verification and were renamed to .corrupt; retention deleted nothing');
    const fresh = backupsIn(dir, ext).filter((n) => !old.includes(n));
    expect(fresh).toHaveLength(1);
    expect(backupsIn(dir, ext).sort()).toEqual([old[0], old[2], old[3], fresh[0]].sort());
    expect(listDir(dir)).toContain(`${old[1]}.corrupt`);
    expect(listDir(dir)).toContain(`${old[1]}.sha256.corrupt`);
    // Every file that still looks like a backup is good.
    for (const n of backupsIn(dir, ext)) expect(run('sha256sum', ['-c', `${n}.sha256`], { cwd: dir })).toBe(`${n}: OK\n`);
  });
});

describe('PostgreSQL retention', () => {
  it('deletes backups past the retention age, oldest first, and never the newest minKeep good ones', async () => {
    const dir = tempDir('pg-retention');
    const ages = [40, 35, 20, 8, 6, 1];
    const planted = ages.map((a) => plantAged(dir, 'dump', a));
    const r = await runScript(backupJob({ retention: { days: 7, minKeep: 2 } }), pointAt(dir));
    expectOk(r);
    const fresh = backupsIn(dir, 'dump').filter((n) => !planted.includes(n));
    expect(fresh).toHaveLength(1);
    // 40, 35, 20 and 8 days are past 7; 6 and 1 days are not.
    expect(backupsIn(dir, 'dump')).toEqual([planted[4], planted[5], fresh[0]]);
    expect(r.stdout).toContain('retention: 3 good backups kept, 4 deleted');
    for (const n of planted.slice(0, 4)) expect(listDir(dir)).not.toContain(`${n}.sha256`);
  });

  it('keeps minKeep backups even when all of them are past the retention age', async () => {
    const dir = tempDir('pg-minkeep');
    const planted = [50, 45, 40, 35].map((a) => plantAged(dir, 'dump', a));
    const r = await runScript(backupJob({ retention: { days: 7, minKeep: 3 } }), pointAt(dir), { shell: 'bash' });
    expectOk(r);
    const fresh = backupsIn(dir, 'dump').filter((n) => !planted.includes(n));
    expect(backupsIn(dir, 'dump')).toEqual([planted[2], planted[3], fresh[0]]);
    expect(r.stdout).toContain('retention: 3 good backups kept, 2 deleted');
  });

  it('removes a .partial file of a killed run once it is older than the deadline, and keeps a recent one', async () => {
    const dir = tempDir('pg-partial');
    const stale = `.${backupName('skreaver-db-backup', 'dump', new Date(Date.now() - 2 * 3600_000))}.partial.Ab12Cd`;
    const recent = `.${backupName('skreaver-db-backup', 'dump', new Date(Date.now() - 60_000))}.partial.Xy34Zw`;
    writeFileSync(join(dir, stale), 'half a dump');
    writeFileSync(join(dir, recent), 'a dump in progress elsewhere');
    const r = await runScript(backupJob({ activeDeadlineSeconds: 3600 }), pointAt(dir), { shell: 'dash' });
    expectOk(r);
    expect(listDir(dir)).not.toContain(stale);
    expect(listDir(dir)).toContain(recent);
    expect(r.stdout).toContain(`removed ${dir}/${stale}, left over from a killed run`);
  });
});

describe('overlapping backup runs (CronJob concurrencyPolicy Forbid, plus a manual Job)', () => {
  it('a second run while the first dumps fails at once, having touched nothing; the first writes one good backup', async () => {
    const dir = tempDir('pg-overlap');
    // A .partial of the same name, left by a run of an older version that had no lock, stays untouched:
    // each run writes a file of its own (mktemp), never a shared one.
    const now = Date.now();
    const foreign = [0, 1, 2, 3].map((s) => `.${backupName('skreaver-db-backup', 'dump', new Date(now + s * 1000))}.partial`);
    for (const f of foreign) writeFileSync(join(dir, f), 'another run in flight');
    const first = startScript(backupJob(), pointAt(dir), { shell: 'dash' });
    await waitFor('the first run to start its dump', () => listDir(dir).some((f) => /\.partial\.[A-Za-z0-9]{6}$/.test(f)));
    const second = await runScript(backupJob(), pointAt(dir), { shell: 'busybox' });
    expect(second.status).toBe(1);
    expect(second.stderr).toContain(
      `FAILED: another backup run with prefix skreaver-db-backup holds ${dir}/.skreaver-db-backup.lock; this run wrote and deleted nothing`,
    );
    const r = await first.done;
    expectOk(r);
    const names = backupsIn(dir, 'dump');
    expect(names).toHaveLength(1);
    expect(run('sha256sum', ['-c', `${names[0]}.sha256`], { cwd: dir })).toBe(`${names[0]}: OK\n`);
    expect(listDir(dir)).toEqual([...foreign, '.skreaver-db-backup.lock', names[0], `${names[0]}.sha256`].sort());
    for (const f of foreign) expect(readFileSync(join(dir, f), 'utf8')).toBe('another run in flight');
    // Once the first has finished, the lock is free again.
    await new Promise((res) => setTimeout(res, 1100));
    expectOk(await runScript(backupJob(), pointAt(dir), { shell: 'bash' }));
    expect(backupsIn(dir, 'dump')).toHaveLength(2);
  });
});

describe('PostgreSQL credentials from a mounted .pgpass', () => {
  it('copies a group-readable .pgpass to mode 0600, which libpq would otherwise ignore', async () => {
    const objs = synthBackup({ ...PG_BACKUP, engine: { ...(PG_BACKUP.engine as object), password: undefined, passFile: { name: 'skreaver-pgpass', key: '.pgpass' } } as BackupCronJobProps['engine'] });
    const pod = cronPod(objs);
    expect(pod.volumes).toContainEqual({ name: 'pgpass', secret: { secretName: 'skreaver-pgpass', items: [{ key: '.pgpass', path: 'pgpass' }], defaultMode: 0o440 } });
    const s = podScript(pod, 'backup', {});
    expect(s.env.PGPASSWORD).toBeUndefined();
    // The Secret volume as the kubelet mounts it: root-owned, mode 0440, group fsGroup.
    const secretDir = tempDir('pgpass');
    chmodSync(secretDir, 0o755);
    const file = join(secretDir, 'pgpass');
    writeFileSync(file, `127.0.0.1:${pg.port}:skreaver:skreaver_user:${APP_PASSWORD}\n`);
    chownSync(file, 0, s.user!.fsGroup!);
    chmodSync(file, 0o440);
    const dir = tempDir('pg-pgpass');
    const r = await runScript(s, { ...pointAt(dir), PGPASSFILE_SOURCE: file }, { shell: 'dash' });
    expectOk(r);
    expect(backupsIn(dir, 'dump')).toHaveLength(1);
    expect(readFileSync(file, 'utf8')).toContain('skreaver_user');
  });
});

describe('PostgreSQL restore', () => {
  it("restores 'latest' from the newest backup that matches its checksum, skipping a damaged newer one", async () => {
    const dir = tempDir('pg-latest');
    expectOk(await runScript(backupJob(), pointAt(dir)));
    const [good] = backupsIn(dir, 'dump');
    const damaged = backupName('skreaver-db-backup', 'dump', new Date(Date.now() + 3600_000));
    writeFileSync(join(dir, damaged), readFileSync(join(dir, good!)).subarray(0, 1000));
    writeFileSync(join(dir, `${damaged}.sha256`), readFileSync(join(dir, `${good}.sha256`), 'utf8').replace(good!, damaged));
    const r = await runScript(pgRestoreJob({ database: 'restored_latest' }), pointAt(dir), { shell: 'dash' });
    expectOk(r);
    expect(r.stderr).toContain(`skipping ${damaged}: it does not match its checksum`);
    expect(r.stdout).toContain(`restored ${good} into the new database restored_latest`);
    expect(fingerprint(pg, 'restored_latest')).toBe(original);
  });

  it('refuses a named backup that fails its checksum, before creating anything', async () => {
    const dir = tempDir('pg-bad');
    expectOk(await runScript(backupJob(), pointAt(dir)));
    const [name] = backupsIn(dir, 'dump');
    truncateSync(join(dir, name!), 2000);
    const r = await runScript(pgRestoreJob({ database: 'restored_never', backup: name! }), pointAt(dir), { shell: 'bash' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`FAILED: ${name} does not match its checksum; restore another backup`);
    expect(databases(pg).filter((d) => d.startsWith('restored_never'))).toEqual([]);
  });
});

describe('the Skreaver app', () => {
  it("runs its own skreaver-db-backup CronJob's script to a good backup, restorable into a fresh database", async () => {
    const app = buildApp(tempDir('app'));
    const chart = app.charts.find((c) => c.node.id === 'skreaver')!;
    const cron = one(chart.toJson() as Obj[], 'CronJob', 'skreaver-db-backup');
    expect(cron.spec).toMatchObject({ schedule: '0 2 * * *', timeZone: 'Etc/UTC', concurrencyPolicy: 'Forbid' });
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: 'backup', persistentVolumeClaim: { claimName: 'skreaver-backup' } });
    const s = podScript(pod, 'backup', { 'skreaver-secrets/db-password': APP_PASSWORD });
    expect(s.env).toMatchObject({ RETENTION_DAYS: '30', RETENTION_MIN_KEEP: '7', PGUSER: 'skreaver_user', PGDATABASE: 'skreaver' });
    const dir = tempDir('skreaver-app');
    const r = await runScript(s, pointAt(dir), { shell: 'dash' });
    expectOk(r);
    const [name] = backupsIn(dir, 'dump');
    const restoreProps: RestoreJobProps = {
      name: 'skreaver-db-restore',
      namespace: 'skreaver',
      engine: { ...(PG_BACKUP.engine as object), password: { name: 'skreaver-secrets', key: 'db-password' }, database: 'restored_app' } as RestoreJobProps['engine'],
      filePrefix: 'skreaver-db-backup',
      backup: name!,
      source: { volume: { claimName: 'skreaver-backup' } },
      createDatabase: true,
    };
    const restore = podScript(one(synthRestore(restoreProps), 'Job').spec.template.spec, 'restore', { 'skreaver-secrets/db-password': APP_PASSWORD });
    expectOk(await runScript(restore, pointAt(dir), { shell: 'dash' }));
    expect(fingerprint(pg, 'restored_app')).toBe(original);
  });

  it("the guide's own CronJob script (D-SKR-01) succeeds with the server down and leaves an empty archive; ours fails", async () => {
    const seed = parse(readFileSync(join('test', 'fixtures', 'seed-yaml', '000_0cf490c0ec8e90c5', '21-cronjob-skreaver-db-backup.yaml'), 'utf8')) as Obj;
    const c = seed.spec.jobTemplate.spec.template.spec.containers[0];
    // Its host is the Service name `postgres`, which does not resolve here: the
    // server is unreachable. Debian's busybox lacks `find -delete`, which
    // alpine's has, so GNU find stands in for it. Its pod sets no user: it runs as the image's, root.
    const script = (c.command as string[])[2]!.replaceAll('/backup', '$BACKUP_DIR').replace('find ', '/usr/bin/find ');
    const dir = tempDir('seed');
    const down = String(await freePort());
    const r = await runScript({ script, env: { PGPASSWORD: APP_PASSWORD } }, { BACKUP_DIR: dir, PGHOST: '127.0.0.1', PGPORT: down });
    expect(r.status).toBe(0);
    const [archive] = listDir(dir);
    expect(archive).toMatch(/^skreaver-\d{8}-\d{6}\.sql\.gz$/);
    expect(run('busybox', ['gzip', '-dc', join(dir, archive!)])).toBe('');
    expect(statSync(join(dir, archive!)).size).toBeGreaterThan(0);

    const oursDir = tempDir('ours');
    const ours = await runScript(backupJob({ engine: { ...(PG_BACKUP.engine as object), format: 'plain' } as BackupCronJobProps['engine'] }), pointAt(oursDir, Number(down)), { shell: 'dash' });
    expect(ours.status).toBe(1);
    expect(existsSync(oursDir) && listDir(oursDir)).toEqual(['.skreaver-db-backup.lock']);
  });
});
