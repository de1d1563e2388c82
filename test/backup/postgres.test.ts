import { chmodSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../apps/main.js';
import type { BackupCronJobProps } from '../../lib/backup/backup-cronjob-props.js';
import type { RestoreJobProps } from '../../lib/backup/restore-job-props.js';
import { one, type Obj } from '../util.js';
import { container, cronPod, PG_BACKUP, synthBackup, synthRestore } from './fixtures.js';
import {
  backupName,
  cleanup,
  cuttingProxy,
  freePort,
  listDir,
  remountReadOnly,
  run,
  runScript,
  scriptOf,
  startPostgres,
  tempDir,
  tmpfs,
  type Postgres,
  type RunResult,
} from './harness.js';

/**
 * The PostgreSQL backup and restore scripts of the synthesized manifests,
 * run with busybox sh against a real PostgreSQL 15 on loopback.
 */

const APP_PASSWORD = 'app-secret-test';
const SECRETS = { 'skreaver-db/password': APP_PASSWORD };
const DAY = 86400_000;

let pg: Postgres;

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

/** Tables, row counts and a checksum of every row, per table; sequence positions. */
function fingerprint(db: string): string {
  const tables = pg.psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1", { db }).trim().split('\n');
  const parts = tables.map((t) => `${t}: ${pg.psql(`SELECT count(*) || ' ' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '-') FROM ${t} x`, { db }).trim()}`);
  parts.push(`views: ${pg.psql("SELECT string_agg(viewname, ',' ORDER BY viewname) FROM pg_views WHERE schemaname = 'public'", { db }).trim()}`);
  parts.push(`sequences: ${pg.psql("SELECT string_agg(sequencename || '=' || coalesce(last_value, 0), ',' ORDER BY sequencename) FROM pg_sequences WHERE schemaname = 'public'", { db }).trim()}`);
  return parts.join('\n');
}

beforeAll(async () => {
  pg = await startPostgres();
  pg.psql(`CREATE ROLE skreaver_user LOGIN CREATEDB PASSWORD '${APP_PASSWORD}'; CREATE DATABASE skreaver OWNER skreaver_user;`);
  pg.psql(SCHEMA, { db: 'skreaver', user: 'skreaver_user', password: APP_PASSWORD });
});

afterAll(() => {
  try {
    pg?.stop();
  } finally {
    cleanup();
  }
});

/** The backup script of a CronJob with these props, and env overrides pointing at `dir` and the server. */
function backupJob(props: Partial<BackupCronJobProps> = {}) {
  const objs = synthBackup({ ...PG_BACKUP, ...props });
  return scriptOf(container(cronPod(objs), 'backup'), SECRETS);
}

function pointAt(dir: string, port = pg.port): Record<string, string> {
  const scratch = tempDir('scratch');
  return { BACKUP_DIR: dir, SCRATCH_DIR: scratch, HOME: scratch, PGHOST: '127.0.0.1', PGPORT: String(port) };
}

function expectOk(r: RunResult): void {
  expect(r.stderr, r.stdout).not.toMatch(/FAILED/);
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
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

const timings: string[] = [];
afterAll(() => {
  process.stdout.write(`postgres script timings:\n  ${timings.join('\n  ')}\n`);
});

describe.each([
  { format: 'custom' as const, ext: 'dump' },
  { format: 'plain' as const, ext: 'sql.gz' },
])('PostgreSQL $format backup', ({ format, ext }) => {
  const props = { engine: { ...PG_BACKUP.engine, format } } as Partial<BackupCronJobProps>;

  it('runs its script under set -euo pipefail with pg_dump from the environment only', () => {
    const s = backupJob(props);
    expect(s.script.startsWith('set -euo pipefail\n')).toBe(true);
    expect(s.env).toMatchObject({ PGHOST: 'postgres', PGPORT: '5432', PGDATABASE: 'skreaver', PGUSER: 'skreaver_user', PGPASSWORD: APP_PASSWORD, BACKUP_DIR: '/backup' });
    expect(s.script).toContain(format === 'custom' ? 'pg_dump --no-password --format=custom --file="$1"' : 'pg_dump --no-password --format=plain | gzip -c > "$1"');
  });

  it('writes a checked backup with its checksum, and a restore into a fresh database is identical', async () => {
    const dir = tempDir(`pg-${format}`);
    const r = await runScript(backupJob(props), pointAt(dir));
    timings.push(`${format} backup: ${r.ms} ms`);
    expectOk(r);
    const [name] = backupsIn(dir, ext);
    expect(listDir(dir)).toEqual([name, `${name}.sha256`]);
    expect(name).toMatch(new RegExp(`^skreaver-db-backup-\\d{8}T\\d{6}Z\\.${ext.replace('.', '\\.')}$`));
    // The checksum file is in sha256sum's own format.
    expect(run('sha256sum', ['-c', `${name}.sha256`], { cwd: dir })).toBe(`${name}: OK\n`);
    expect(r.stdout).toContain(`wrote ${name}`);

    const target = `restored_${format}`;
    const restoreProps: RestoreJobProps = {
      name: 'skreaver-db-restore',
      namespace: 'skreaver',
      engine: { ...(PG_BACKUP.engine as object), format, database: target } as RestoreJobProps['engine'],
      filePrefix: 'skreaver-db-backup',
      backup: name!,
      source: { volume: { claimName: 'skreaver-backup' } },
      createDatabase: true,
    };
    const restore = scriptOf(container(one(synthRestore(restoreProps), 'Job').spec.template.spec, 'restore'), SECRETS);
    const rr = await runScript(restore, pointAt(dir));
    timings.push(`${format} restore: ${rr.ms} ms`);
    expectOk(rr);
    expect(rr.stdout).toContain(`restored ${name} into database ${target}`);
    const original = fingerprint('skreaver');
    expect(original).toContain('runs: 40000 ');
    expect(original).toContain('notes: 3 ');
    expect(fingerprint(target)).toBe(original);

    // A second run of the same restore fails: the database exists now, and nothing is overwritten.
    const again = await runScript(restore, pointAt(dir));
    expect(again.status).not.toBe(0);
    expect(again.stderr).toContain(`FAILED: cannot create database ${target} (it must not exist yet)`);
    expect(fingerprint(target)).toBe(original);
  });

  describe('failures exit non-zero, leave no backup and delete nothing', () => {
    /** A directory with four good backups that retention would delete on a successful run. */
    function seeded(dir: string): Record<string, string> {
      for (const age of [40, 30, 20, 10]) plantAged(dir, ext, age);
      return snapshotDir(dir);
    }

    async function expectNothingChanged(dir: string, before: Record<string, string>, overrides: Record<string, string>, secrets = SECRETS): Promise<RunResult> {
      const s = scriptOf(container(cronPod(synthBackup({ ...PG_BACKUP, ...props })), 'backup'), secrets);
      const r = await runScript(s, overrides);
      expect(r.status, r.stdout).not.toBe(0);
      expect(snapshotDir(dir)).toEqual(before);
      return r;
    }

    it('when the server is down', async () => {
      const dir = tempDir('pg-down');
      const r = await expectNothingChanged(dir, seeded(dir), pointAt(dir, await freePort()));
      expect(r.stderr).toMatch(/connection to server at "127\.0\.0\.1", port \d+ failed: Connection refused/);
      expect(r.stderr).toContain('FAILED: the dump failed; no backup was written and retention did not run');
    });

    it('when the password is wrong', async () => {
      const dir = tempDir('pg-auth');
      const r = await expectNothingChanged(dir, seeded(dir), pointAt(dir), { 'skreaver-db/password': 'not-the-password' });
      expect(r.stderr).toContain('password authentication failed for user "skreaver_user"');
      expect(r.stderr).toContain('FAILED: the dump failed; no backup was written and retention did not run');
    });

    it('when the connection is cut off mid-stream', async () => {
      const dir = tempDir('pg-cut');
      const proxy = await cuttingProxy(pg.port, 400_000);
      try {
        const r = await expectNothingChanged(dir, seeded(dir), pointAt(dir, proxy.port));
        expect(proxy.bytes()).toBe(400_000);
        expect(r.stderr).toMatch(/pg_dump: error: .*(server closed the connection unexpectedly|connection to server was lost|could not receive data)/s);
        expect(r.stderr).toContain('FAILED: the dump failed; no backup was written and retention did not run');
      } finally {
        await proxy.close();
      }
    });

    it('when the target is full', async () => {
      const dir = tmpfs('1m');
      const r = await expectNothingChanged(dir, seeded(dir), pointAt(dir));
      expect(r.stderr).toMatch(/No space left on device/);
      expect(r.stderr).toContain('FAILED: the dump failed; no backup was written and retention did not run');
    });

    it('when the target is read-only', async () => {
      const dir = tmpfs('16m');
      const before = seeded(dir);
      remountReadOnly(dir);
      const r = await expectNothingChanged(dir, before, pointAt(dir));
      expect(r.stderr).toMatch(/Read-only file system/);
      expect(r.stderr).toContain(`FAILED: cannot create a file in ${dir}`);
    });
  });

  it('renames a damaged existing backup to .corrupt, keeps the new good one, deletes nothing and fails', async () => {
    const dir = tempDir('pg-corrupt');
    const old = [40, 30, 20, 10].map((age) => plantAged(dir, ext, age));
    truncateSync(join(dir, old[1]!), 5);
    const r = await runScript(backupJob(props), pointAt(dir));
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
    const r = await runScript(backupJob({ retention: { days: 7, minKeep: 3 } }), pointAt(dir));
    expectOk(r);
    const fresh = backupsIn(dir, 'dump').filter((n) => !planted.includes(n));
    expect(backupsIn(dir, 'dump')).toEqual([planted[2], planted[3], fresh[0]]);
    expect(r.stdout).toContain('retention: 3 good backups kept, 2 deleted');
  });

  it('removes a .partial file of a killed run once it is older than the deadline, and keeps a recent one', async () => {
    const dir = tempDir('pg-partial');
    const stale = `.${backupName('skreaver-db-backup', 'dump', new Date(Date.now() - 2 * 3600_000))}.partial`;
    const recent = `.${backupName('skreaver-db-backup', 'dump', new Date(Date.now() - 60_000))}.partial`;
    writeFileSync(join(dir, stale), 'half a dump');
    writeFileSync(join(dir, recent), 'a dump in progress elsewhere');
    const r = await runScript(backupJob({ activeDeadlineSeconds: 3600 }), pointAt(dir));
    expectOk(r);
    expect(listDir(dir)).not.toContain(stale);
    expect(listDir(dir)).toContain(recent);
    expect(r.stdout).toContain(`removed ${dir}/${stale}, left over from a killed run`);
  });
});

describe('PostgreSQL credentials from a mounted .pgpass', () => {
  it('copies a group-readable .pgpass to mode 0600, which libpq would otherwise ignore', async () => {
    const objs = synthBackup({ ...PG_BACKUP, engine: { ...(PG_BACKUP.engine as object), password: undefined, passFile: { name: 'skreaver-pgpass', key: '.pgpass' } } as BackupCronJobProps['engine'] });
    const pod = cronPod(objs);
    expect(pod.volumes).toContainEqual({ name: 'pgpass', secret: { secretName: 'skreaver-pgpass', items: [{ key: '.pgpass', path: 'pgpass' }], defaultMode: 0o440 } });
    const s = scriptOf(container(pod, 'backup'), {});
    expect(s.env.PGPASSWORD).toBeUndefined();
    const secretDir = tempDir('pgpass');
    const file = join(secretDir, 'pgpass');
    writeFileSync(file, `127.0.0.1:${pg.port}:skreaver:skreaver_user:${APP_PASSWORD}\n`);
    chmodSync(file, 0o640);
    const dir = tempDir('pg-pgpass');
    const r = await runScript(s, { ...pointAt(dir), PGPASSFILE_SOURCE: file });
    expectOk(r);
    expect(backupsIn(dir, 'dump')).toHaveLength(1);
    expect(readFileSync(file, 'utf8')).toContain('skreaver_user');
  });
});

describe('PostgreSQL restore', () => {
  function restoreJob(props: Partial<RestoreJobProps>) {
    const base: RestoreJobProps = {
      name: 'skreaver-db-restore',
      namespace: 'skreaver',
      engine: { ...(PG_BACKUP.engine as object), database: 'restored_latest' } as RestoreJobProps['engine'],
      filePrefix: 'skreaver-db-backup',
      backup: 'latest',
      source: { volume: { claimName: 'skreaver-backup' } },
      createDatabase: true,
    };
    return scriptOf(container(one(synthRestore({ ...base, ...props }), 'Job').spec.template.spec, 'restore'), SECRETS);
  }

  it("restores 'latest' from the newest backup that matches its checksum, skipping a damaged newer one", async () => {
    const dir = tempDir('pg-latest');
    expectOk(await runScript(backupJob(), pointAt(dir)));
    const [good] = backupsIn(dir, 'dump');
    const damaged = backupName('skreaver-db-backup', 'dump', new Date(Date.now() + 3600_000));
    writeFileSync(join(dir, damaged), readFileSync(join(dir, good!)).subarray(0, 1000));
    writeFileSync(join(dir, `${damaged}.sha256`), readFileSync(join(dir, `${good}.sha256`), 'utf8').replace(good!, damaged));
    const r = await runScript(restoreJob({}), pointAt(dir));
    expectOk(r);
    expect(r.stderr).toContain(`skipping ${damaged}: it does not match its checksum`);
    expect(r.stdout).toContain(`restored ${good} into database restored_latest`);
    expect(fingerprint('restored_latest')).toBe(fingerprint('skreaver'));
  });

  it('refuses a named backup that fails its checksum, before creating anything', async () => {
    const dir = tempDir('pg-bad');
    expectOk(await runScript(backupJob(), pointAt(dir)));
    const [name] = backupsIn(dir, 'dump');
    truncateSync(join(dir, name!), 2000);
    const r = await runScript(restoreJob({ backup: name!, engine: { ...(PG_BACKUP.engine as object), database: 'restored_never' } as RestoreJobProps['engine'] }), pointAt(dir));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`FAILED: ${name} does not match its checksum; restore another backup`);
    expect(pg.psql("SELECT count(*) FROM pg_database WHERE datname = 'restored_never'").trim()).toBe('0');
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
    const s = scriptOf(container(pod, 'backup'), { 'skreaver-secrets/db-password': APP_PASSWORD });
    expect(s.env).toMatchObject({ RETENTION_DAYS: '30', RETENTION_MIN_KEEP: '7', PGUSER: 'skreaver_user', PGDATABASE: 'skreaver' });
    const dir = tempDir('skreaver-app');
    const r = await runScript(s, pointAt(dir));
    expectOk(r);
    const [name] = backupsIn(dir, 'dump');
    const restore = scriptOf(
      container(
        one(
          synthRestore({
            name: 'skreaver-db-restore',
            namespace: 'skreaver',
            engine: { ...(PG_BACKUP.engine as object), password: { name: 'skreaver-secrets', key: 'db-password' }, database: 'restored_app' } as RestoreJobProps['engine'],
            filePrefix: 'skreaver-db-backup',
            backup: name!,
            source: { volume: { claimName: 'skreaver-backup' } },
            createDatabase: true,
          }),
          'Job',
        ).spec.template.spec,
        'restore',
      ),
      { 'skreaver-secrets/db-password': APP_PASSWORD },
    );
    expectOk(await runScript(restore, pointAt(dir)));
    expect(fingerprint('restored_app')).toBe(fingerprint('skreaver'));
  });

  it("the guide's own CronJob script (D-SKR-01) succeeds with the server down and leaves an empty archive; ours fails", async () => {
    const seed = parse(readFileSync(join('test', 'fixtures', 'seed-yaml', '000_0cf490c0ec8e90c5', '21-cronjob-skreaver-db-backup.yaml'), 'utf8')) as Obj;
    const c = seed.spec.jobTemplate.spec.template.spec.containers[0];
    // Its host is the Service name `postgres`, which does not resolve here: the
    // server is unreachable. Debian's busybox lacks `find -delete`, which
    // alpine's has, so GNU find stands in for it.
    const script = (c.command as string[])[2]!.replaceAll('/backup', '$BACKUP_DIR').replace('find ', '/usr/bin/find ');
    const dir = tempDir('seed');
    const down = String(await freePort());
    const r = await runScript({ script, env: { PGPASSWORD: APP_PASSWORD } }, { BACKUP_DIR: dir, PGHOST: '127.0.0.1', PGPORT: down });
    expect(r.status).toBe(0);
    const [archive] = listDir(dir);
    expect(archive).toMatch(/^skreaver-\d{8}-\d{6}\.sql\.gz$/);
    expect(run('busybox', ['gzip', '-dc', join(dir, archive!)])).toBe('');
    expect(statSync(join(dir, archive!)).size).toBeGreaterThan(0);

    const ours = await runScript(backupJob({ engine: { ...(PG_BACKUP.engine as object), format: 'plain' } as BackupCronJobProps['engine'] }), pointAt(tempDir('ours'), Number(down)));
    expect(ours.status).toBe(1);
  });
});
