import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupCronJobProps } from '../../lib/backup/backup-cronjob-props.js';
import { scratchDatabase } from '../../lib/backup/scripts.js';
import { cronPod, PG_BACKUP, synthBackup } from './fixtures.js';
import { cleanup, freePort, killGroup, listDir, podScript, runScript, startPostgres, startScript, tempDir, waitFor, type Postgres, type Shell, type Started } from './harness.js';
import { APP_PASSWORD, createAppRole, databases, expectOk, fingerprint, pgPointAt, pgRestoreJob, SECRETS } from './pg-helpers.js';

/**
 * A PostgreSQL restore is all or nothing, and its log says which (issue 15,
 * findings 1 and 6). Faults are injected on a real PostgreSQL 15 with an
 * event trigger on CREATE INDEX, which the restore reaches after the data
 * and the large objects: a failing index build, or a slow one to stop the
 * Job in the middle (TERM, as at the Job's deadline, or SIGKILL of every
 * process, as when the grace period runs out).
 */

let pg: Postgres;
/** A database with large objects, and backups of it in both formats. */
const SOURCE = 'agents_lo';
let dir: string;
const backups: Record<'custom' | 'plain', string> = { custom: '', plain: '' };
/** A backup of a database without large objects, in the plain format. */
let plainNoLo: { dir: string; name: string; fingerprint: string };

const LO_SCHEMA = `
CREATE TABLE docs (id int PRIMARY KEY, title text NOT NULL, body oid NOT NULL);
INSERT INTO docs SELECT g, 'doc ' || g, lo_from_bytea(0, convert_to(repeat('large object ' || g || ' ', 2000), 'UTF8')) FROM generate_series(1, 5) g;
CREATE TABLE events (id bigserial PRIMARY KEY, doc int REFERENCES docs(id), at timestamptz NOT NULL);
INSERT INTO events (doc, at) SELECT 1 + g % 5, '2025-01-01'::timestamptz + g * interval '1 second' FROM generate_series(1, 5000) g;
CREATE INDEX events_at ON events (at);
`;

function backupProps(database: string, format: 'custom' | 'plain'): BackupCronJobProps {
  return { ...PG_BACKUP, engine: { ...(PG_BACKUP.engine as object), database, format } as BackupCronJobProps['engine'] };
}

beforeAll(async () => {
  pg = await startPostgres();
  createAppRole(pg);
  pg.psql(`CREATE DATABASE ${SOURCE} OWNER skreaver_user`);
  pg.psql(LO_SCHEMA, { db: SOURCE, user: 'skreaver_user', password: APP_PASSWORD });
  pg.psql('CREATE TABLE notes (id int PRIMARY KEY, body text); CREATE INDEX notes_body ON notes (body); INSERT INTO notes SELECT g, md5(g::text) FROM generate_series(1, 3000) g;', {
    db: 'skreaver',
    user: 'skreaver_user',
    password: APP_PASSWORD,
  });
  dir = tempDir('pg-lo');
  for (const format of ['custom', 'plain'] as const) {
    expectOk(await runScript(podScript(cronPod(synthBackup(backupProps(SOURCE, format))), 'backup', SECRETS), pgPointAt(dir, pg.port), { shell: 'dash' }));
    backups[format] = listDir(dir).find((f) => f.endsWith(format === 'custom' ? '.dump' : '.sql.gz'))!;
  }
  const noLoDir = tempDir('pg-plain');
  expectOk(await runScript(podScript(cronPod(synthBackup(backupProps('skreaver', 'plain'))), 'backup', SECRETS), pgPointAt(noLoDir, pg.port), { shell: 'dash' }));
  plainNoLo = { dir: noLoDir, name: listDir(noLoDir).find((f) => f.endsWith('.sql.gz'))!, fingerprint: fingerprint(pg, 'skreaver') };
  expect(fingerprint(pg, SOURCE)).toMatch(/large objects: 5 [0-9a-f]{32}$/);
});

afterAll(() => {
  try {
    pg?.stop();
  } finally {
    cleanup();
  }
});

/**
 * Installs an event trigger in `db` that, for the restore's own sessions
 * only (application_name `restore.*`), fails or sleeps at CREATE INDEX.
 * Installed in template1, it is copied into every database created later.
 * Returns the function that removes it.
 */
function injectAtIndexBuild(db: string, fault: 'fail' | 'sleep'): () => void {
  const action = fault === 'fail' ? "RAISE EXCEPTION 'injected fault: the index build failed'" : 'PERFORM pg_sleep(60)';
  pg.psql(
    `CREATE FUNCTION inject_fault() RETURNS event_trigger LANGUAGE plpgsql AS $$
     BEGIN IF current_setting('application_name') LIKE 'restore.%' THEN ${action}; END IF; END $$;
     CREATE EVENT TRIGGER inject_fault ON ddl_command_end WHEN TAG IN ('CREATE INDEX') EXECUTE FUNCTION inject_fault();`,
    { db },
  );
  return () => pg.psql('DROP EVENT TRIGGER IF EXISTS inject_fault; DROP FUNCTION IF EXISTS inject_fault();', { db });
}

/** Waits until a session of the restore sleeps in the injected index build, on database `db`. */
async function pausedAtIndexBuild(db: string, run: Started): Promise<void> {
  await waitFor(
    `the restore to reach the index build in ${db}; output so far:\n${run.output()}`,
    () => pg.psql(`SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = '${db}'`).trim() === '1',
  );
}

/**
 * Runs `fn` on a restore (of `props`, under `shell`) paused in a slow index
 * build injected into `injectIn`, once it sleeps there on database
 * `pausedIn`; removes the injection afterwards.
 */
async function withPausedRestore(
  at: { injectIn: string; pausedIn: string },
  props: Parameters<typeof pgRestoreJob>[0],
  shell: Shell,
  fn: (run: Started) => Promise<void>,
): Promise<void> {
  const remove = injectAtIndexBuild(at.injectIn, 'sleep');
  try {
    const run = startScript(pgRestoreJob(props), pgPointAt(dir, pg.port), { shell });
    await pausedAtIndexBuild(at.pausedIn, run);
    await fn(run);
  } finally {
    remove();
  }
}

/** An empty database owned by the restoring role, as an operator prepares one. */
function emptyDatabase(name: string): void {
  pg.psql(`CREATE DATABASE ${name} OWNER skreaver_user`);
}

describe('a restore into a new database (createDatabase) is built under a temporary name and renamed when complete', () => {
  it('names the temporary database <database>_restoring, within 63 bytes and never the target itself', () => {
    expect(scratchDatabase('skreaver_restored')).toBe('skreaver_restored_restoring');
    const long = 'a'.repeat(63);
    expect(scratchDatabase(long)).toBe(`${'a'.repeat(53)}_restoring`);
    // Shortened by whole characters: 'é' is two bytes.
    expect(scratchDatabase('é'.repeat(30))).toBe(`${'é'.repeat(26)}_restoring`);
    const tricky = `${'b'.repeat(53)}_restoring`;
    expect(scratchDatabase(tricky)).toBe(`${'b'.repeat(51)}_restore_tmp`);
  });

  it.each([
    ['plain', 'dash'],
    ['custom', 'busybox'],
  ] as const)(
    'a %s dump with large objects whose index build fails after them (%s): no database is left, the log says the temporary one was dropped (not that anything rolled back), and a retry restores it',
    async (format, shell) => {
      const target = `lo_failed_${format}`;
      const remove = injectAtIndexBuild('template1', 'fail');
      let r;
      try {
        r = await runScript(pgRestoreJob({ database: target, format, backup: backups[format] }), pgPointAt(dir, pg.port), { shell });
      } finally {
        remove();
      }
      expect(r.status, r.stdout).toBe(1);
      expect(r.stderr).toContain('injected fault: the index build failed');
      expect(r.stderr).toContain(`FAILED: the restore of ${backups[format]} failed`);
      expect(r.stderr).toContain(`dropped the temporary database ${target}_restoring; ${target} was not created`);
      expect(`${r.stdout}${r.stderr}`).not.toContain('rolled');
      expect(databases(pg).filter((d) => d.startsWith(target))).toEqual([]);

      // Finding 6: the retry is not blocked by anything the failed run left.
      const again = await runScript(pgRestoreJob({ database: target, format, backup: backups[format] }), pgPointAt(dir, pg.port), { shell });
      expectOk(again);
      expect(again.stdout).toContain(`restored ${backups[format]} into the new database ${target}`);
      expect(fingerprint(pg, target)).toBe(fingerprint(pg, SOURCE));
    },
  );

  it("stopped by a TERM after pg_dump's own COMMIT of the large objects (the Job's deadline): the temporary database is dropped and the target never existed", async () => {
    const target = 'lo_term';
    const scratch = `${target}_restoring`;
    await withPausedRestore({ injectIn: 'template1', pausedIn: scratch }, { database: target, format: 'plain', backup: backups.plain }, 'busybox', async (run) => {
      // The finding: pg_dump's COMMIT after the large objects ended psql's one transaction,
      // so they are already committed, visible to another session, while the restore is still running.
      expect(pg.psql('SELECT count(*) FROM pg_largeobject_metadata', { db: scratch }).trim()).toBe('5');
      expect(databases(pg)).not.toContain(target);
      killGroup(run.pid, 'SIGTERM');
      const r = await run.done;
      expect(r.status).toBe(143);
      expect(r.stderr).toContain('TERM received (the Job was stopped or reached its deadline): stopping');
      expect(r.stderr).toContain(`dropped the temporary database ${scratch}; ${target} was not created`);
      expect(`${r.stdout}${r.stderr}`).not.toContain('rolled');
    });
    expect(databases(pg).filter((d) => d.startsWith(target))).toEqual([]);
  });

  it('killed outright (SIGKILL to every process): the target never existed, and the next run drops the leftover, ending its orphaned session, and restores', async () => {
    const target = 'lo_killed';
    const scratch = `${target}_restoring`;
    await withPausedRestore({ injectIn: 'template1', pausedIn: scratch }, { database: target, format: 'plain', backup: backups.plain }, 'dash', async (run) => {
      killGroup(run.pid, 'SIGKILL');
      expect((await run.done).signal).toBe('SIGKILL');
    });
    expect(databases(pg)).toContain(scratch);
    expect(databases(pg)).not.toContain(target);
    // The killed run's statement outlives it on the server.
    expect(pg.psql(`SELECT count(*) FROM pg_stat_activity WHERE datname = '${scratch}'`).trim()).toBe('1');
    const again = await runScript(pgRestoreJob({ database: target, format: 'plain', backup: backups.plain }), pgPointAt(dir, pg.port), { shell: 'bash' });
    expectOk(again);
    expect(again.stdout).toContain(`dropped database ${scratch}, left behind by an interrupted restore`);
    expect(fingerprint(pg, target)).toBe(fingerprint(pg, SOURCE));
    expect(databases(pg)).not.toContain(scratch);
  });

  it('a second restore of the same target while one runs fails at once at the guard, touching nothing', async () => {
    const target = 'lo_twice';
    const scratch = `${target}_restoring`;
    await withPausedRestore({ injectIn: 'template1', pausedIn: scratch }, { database: target, format: 'custom', backup: backups.custom }, 'bash', async (first) => {
      const second = await runScript(pgRestoreJob({ database: target, format: 'custom', backup: backups.custom }), pgPointAt(dir, pg.port), { shell: 'busybox' });
      expect(second.status).toBe(1);
      expect(second.stderr).toContain(`FAILED: another restore of ${target} is running (it holds the server's advisory lock for ${target}); nothing was changed`);
      // The first is still at work, undisturbed.
      expect(pg.psql(`SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = '${scratch}'`).trim()).toBe('1');
      killGroup(first.pid, 'SIGTERM');
      expect((await first.done).stderr).toContain(`dropped the temporary database ${scratch}; ${target} was not created`);
    });
    expect(databases(pg).filter((d) => d.startsWith(target))).toEqual([]);
  });

  it.each(['dash', 'busybox'] as const)('with the server down (%s), fails before anything, saying why', async (shell) => {
    const target = `lo_down_${shell}`;
    const port = await freePort();
    const r = await runScript(pgRestoreJob({ database: target, format: 'custom', backup: backups.custom }), pgPointAt(dir, port), { shell });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`connection to server at "127\\.0\\.0\\.1", port ${port} failed: Connection refused`));
    expect(r.stderr).toContain('FAILED: cannot connect to database postgres; nothing was changed');
    expect(databases(pg).filter((d) => d.startsWith(target))).toEqual([]);
  });

  it('leaves alone a database under the temporary name that no restore made', async () => {
    const target = 'lo_foreign';
    pg.psql(`CREATE DATABASE ${target}_restoring OWNER skreaver_user`);
    const r = await runScript(pgRestoreJob({ database: target, format: 'custom', backup: backups.custom }), pgPointAt(dir, pg.port), { shell: 'dash' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`FAILED: database ${target}_restoring exists and was not made by a restore; drop or rename it, then retry; nothing was changed`);
    expect(databases(pg).filter((d) => d.startsWith(target))).toEqual([`${target}_restoring`]);
  });
});

describe('a restore into an existing database is one transaction', () => {
  it('refuses a plain dump with large objects, whose own BEGIN/COMMIT would split it, before anything changes', async () => {
    const target = 'lo_existing';
    emptyDatabase(target);
    const before = fingerprint(pg, target);
    const r = await runScript(pgRestoreJob({ database: target, format: 'plain', backup: backups.plain, createDatabase: false }), pgPointAt(dir, pg.port), { shell: 'bash' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `FAILED: ${backups.plain} holds BEGIN/COMMIT of its own (pg_dump wraps large objects in a transaction), so psql cannot restore it into ${target} in one transaction; nothing was changed.`,
    );
    expect(fingerprint(pg, target)).toBe(before);
  });

  it('a plain dump without large objects: a failing index build rolls it back, the log says so, and a retry commits', async () => {
    const target = 'plain_existing';
    emptyDatabase(target);
    const before = fingerprint(pg, target);
    const remove = injectAtIndexBuild(target, 'fail');
    let r;
    try {
      r = await runScript(pgRestoreJob({ database: target, format: 'plain', backup: plainNoLo.name, createDatabase: false }), pgPointAt(plainNoLo.dir, pg.port), { shell: 'dash' });
    } finally {
      remove();
    }
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`restoring ${plainNoLo.name} into the existing database ${target} in one transaction: ${target} changes only if it commits`);
    expect(r.stderr).toContain('injected fault: the index build failed');
    expect(r.stderr).toContain(`FAILED: the restore of ${plainNoLo.name} failed; PostgreSQL rolled its transaction back: ${target} is unchanged`);
    expect(fingerprint(pg, target)).toBe(before);

    const again = await runScript(pgRestoreJob({ database: target, format: 'plain', backup: plainNoLo.name, createDatabase: false }), pgPointAt(plainNoLo.dir, pg.port), { shell: 'busybox' });
    expectOk(again);
    expect(again.stdout).toContain(`restored ${plainNoLo.name} into database ${target} (committed)`);
    expect(fingerprint(pg, target)).toBe(plainNoLo.fingerprint);
  });

  it('stopped by a TERM mid-restore: the restore is cancelled, rolled back, and the log says the database is unchanged', async () => {
    const target = 'custom_existing';
    emptyDatabase(target);
    pg.psql("CREATE TABLE keep (x int); INSERT INTO keep VALUES (1), (2), (3);", { db: target, user: 'skreaver_user', password: APP_PASSWORD });
    const before = fingerprint(pg, target);
    await withPausedRestore({ injectIn: target, pausedIn: target }, { database: target, format: 'custom', backup: backups.custom, createDatabase: false }, 'dash', async (run) => {
      killGroup(run.pid, 'SIGTERM');
      const r = await run.done;
      expect(r.status).toBe(143);
      expect(r.stderr).toContain('asking PostgreSQL to cancel the restore');
      expect(r.stderr).toContain(`the restore was cancelled before it committed; PostgreSQL rolled its transaction back: ${target} is unchanged`);
    });
    expect(fingerprint(pg, target)).toBe(before);
    expect(pg.psql(`SELECT count(*) FROM pg_stat_activity WHERE datname = '${target}'`).trim()).toBe('0');
  });
});
