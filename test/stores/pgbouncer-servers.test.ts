import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, chownSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgBouncer, type PgBouncerProps } from '../../lib/index.js';
import { applyFsGroup, cleanup, freePort, killGroup, PG_BIN, startPostgres, startScript, tempDir, waitFor, type Postgres, type Script, type Started } from '../backup/harness.js';
import { one, synth, type Obj } from '../util.js';

/**
 * PgBouncer run for real from the SYNTHESIZED pgbouncer.ini, start script
 * and probe (dash, as the pod's UID) in front of a real PostgreSQL 15, with
 * max_db_connections 2: psql through PgBouncer works, five client sessions
 * share two server connections (transaction pooling), and a sixth
 * transaction waits while both are busy.
 */

const PASSWORD = 'app-"pool"-secret';
const MAX_DB = 2;
const PROPS: PgBouncerProps = {
  name: 'pgbouncer',
  namespace: 'sark',
  profile: 'dev',
  server: { host: 'sark-db.sark.svc.cluster.local', database: 'app', user: 'app', passwordSecret: { name: 'sark-db', key: 'password' }, destination: { pods: { podLabels: { 'app.kubernetes.io/name': 'sark-db' } } } },
  maxDbConnections: MAX_DB,
  defaultPoolSize: MAX_DB,
  reservePoolSize: 0,
  monitoring: false,
};

let pg: Postgres;
let bouncer: Started;
let port: number;
let files: Record<string, string>;
let script: (file: string) => Script;
let overrides: Record<string, string>;
/** Where the test links Debian's /usr/sbin/pgbouncer, put first on the scripts' PATH. */
let sbinDir: string;
const sessions: ChildProcessWithoutNullStreams[] = [];

const psqlArgs = (db: string) => ['-X', '-w', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', 'app', '-d', db];
const viaBouncer = (sql: string, db = 'app') => {
  const r = spawnSync(join(PG_BIN, 'psql'), psqlArgs(db), { env: { PATH: '/usr/bin:/bin', PGPASSWORD: PASSWORD }, input: sql, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`psql through PgBouncer failed: ${r.stderr}\n${bouncer.output()}`);
  return r.stdout.trim();
};
/** Server connections of `app` as PostgreSQL counts them. */
const serverConnections = () => Number(pg.psql("SELECT count(*) FROM pg_stat_activity WHERE usename = 'app' AND backend_type = 'client backend'").trim());

/** A psql session kept open: write statements, read their answers. */
function session(): { run(sql: string): Promise<string>; proc: ChildProcessWithoutNullStreams } {
  const proc = spawn(join(PG_BIN, 'psql'), psqlArgs('app'), { env: { PATH: '/usr/bin:/bin', PGPASSWORD: PASSWORD } });
  sessions.push(proc);
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return {
    proc,
    run: async (sql: string) => {
      const marker = `done-${Math.random().toString(36).slice(2)}`;
      out = '';
      proc.stdin.write(`${sql}\nSELECT '${marker}';\n`);
      await waitFor(`session answer to ${sql}`, () => out.includes(marker), 20_000);
      return out.slice(0, out.indexOf(marker)).trim();
    },
  };
}

beforeAll(async () => {
  pg = await startPostgres();
  pg.psql(`CREATE ROLE app LOGIN PASSWORD '${PASSWORD.replace(/'/g, "''")}'`);
  pg.psql('CREATE DATABASE app OWNER app');
  const objs = synth((chart) => new PgBouncer(chart, 'Pool', PROPS), { external: ['Secret/sark/sark-db', 'Pod/sark/sark-db'], profile: 'dev' });
  files = one(objs, 'ConfigMap', 'pgbouncer').data;
  const pod = one(objs, 'Deployment', 'pgbouncer').spec.template.spec;
  const container = pod.containers[0] as Obj;
  const config = tempDir('pgb-config');
  chmodSync(config, 0o755);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(config, name), text);
  const secrets = tempDir('pgb-secret');
  chmodSync(secrets, 0o755);
  writeFileSync(join(secrets, 'password'), `${PASSWORD}\n`);
  chownSync(join(secrets, 'password'), 0, pod.securityContext.fsGroup);
  chmodSync(join(secrets, 'password'), 0o440);
  const run = tempDir('pgb-run');
  applyFsGroup(run, pod.securityContext.fsGroup);
  port = await freePort();
  overrides = { SERVER_HOST: '127.0.0.1', SERVER_PORT: String(pg.port), LISTEN_PORT: String(port), CONFIG_DIR: config, RUN_DIR: run, SECRET_DIR: secrets };
  const env = Object.fromEntries((container.env as Obj[]).map((e) => [e.name, String(e.value)]));
  expect(Object.keys(env).sort()).toEqual(Object.keys(overrides).sort());
  script = (file) => ({ script: files[file]!, env, user: { uid: pod.securityContext.runAsUser, gid: pod.securityContext.runAsGroup, fsGroup: pod.securityContext.fsGroup } });
  let last = '';
  // Debian installs pgbouncer in /usr/sbin, which the harness's PATH for scripts does not hold.
  const sbin = tempDir('pgb-path');
  chmodSync(sbin, 0o755);
  symlinkSync('/usr/sbin/pgbouncer', join(sbin, 'pgbouncer'));
  const start = script('start.sh');
  bouncer = startScript({ ...start, script: `PATH=${sbin}:$PATH\n${start.script}` }, overrides, { shell: 'dash' });
  sbinDir = sbin;
  await waitFor('PgBouncer to answer', () => {
    try {
      return viaBouncer('SELECT 1') === '1';
    } catch (e) {
      last = (e as Error).message;
      return false;
    }
  }, 20_000).catch((e: Error) => {
    throw new Error(`${e.message}: ${last}`);
  });
}, 90_000);

afterAll(async () => {
  for (const s of sessions) s.kill('SIGKILL');
  if (bouncer) {
    killGroup(bouncer.pid, 'SIGKILL');
    await bouncer.done;
  }
  pg?.stop();
  cleanup();
});

describe('PgBouncer, from the synthesized pgbouncer.ini and scripts, in front of PostgreSQL 15', () => {
  it('auth_query: a role that is not in the auth_file logs in with the SCRAM secret PgBouncer reads from pg_shadow', async () => {
    // The auth user must read pg_shadow: the bootstrap role of the statefulSet mode is a superuser.
    pg.psql('ALTER ROLE app SUPERUSER');
    pg.psql("CREATE ROLE reader LOGIN PASSWORD 'reader-secret'");
    const objs = synth((chart) => new PgBouncer(chart, 'Pool', { ...PROPS, auth: 'authQuery' }), { external: ['Secret/sark/sark-db', 'Pod/sark/sark-db'], profile: 'dev' });
    const ini = one(objs, 'ConfigMap', 'pgbouncer').data['pgbouncer.ini'];
    const config = tempDir('pgb-aq-config');
    chmodSync(config, 0o755);
    writeFileSync(join(config, 'pgbouncer.ini'), ini);
    const run = tempDir('pgb-aq-run');
    applyFsGroup(run, 10001);
    const aqPort = await freePort();
    const start = script('start.sh');
    const sbin = sbinDir;
    const aq = startScript({ ...start, script: `PATH=${sbin}:$PATH\n${start.script}` }, { ...overrides, CONFIG_DIR: config, RUN_DIR: run, LISTEN_PORT: String(aqPort) }, { shell: 'dash' });
    try {
      const login = () => spawnSync(join(PG_BIN, 'psql'), ['-X', '-w', '-A', '-t', '-h', '127.0.0.1', '-p', String(aqPort), '-U', 'reader', '-d', 'app', '-c', 'SELECT current_user'], { env: { PGPASSWORD: 'reader-secret' }, encoding: 'utf8' });
      await waitFor(`PgBouncer with auth_query to log reader in\n${aq.output()}`, () => login().stdout.trim() === 'reader', 20_000);
      const wrong = spawnSync(join(PG_BIN, 'psql'), ['-X', '-w', '-h', '127.0.0.1', '-p', String(aqPort), '-U', 'reader', '-d', 'app', '-c', 'SELECT 1'], { env: { PGPASSWORD: 'wrong' }, encoding: 'utf8' });
      expect(wrong.stderr).toContain('FATAL:  SASL authentication failed');
    } finally {
      killGroup(aq.pid, 'SIGKILL');
      await aq.done;
    }
  });

  it('psql through PgBouncer reaches the database as the user, with SCRAM from the auth_file', () => {
    expect(viaBouncer('SELECT current_user || \'@\' || current_database()')).toBe('app@app');
    const wrong = spawnSync(join(PG_BIN, 'psql'), psqlArgs('app'), { env: { PGPASSWORD: 'wrong' }, input: 'SELECT 1', encoding: 'utf8' });
    expect(wrong.stderr).toContain('FATAL:  SASL authentication failed');
  });

  it('the readiness probe passes on a running PgBouncer and fails without one', async () => {
    for (const [p, ok] of [[port, 0], [await freePort(), 1]] as const) {
      const r = await startScript(script('probe.sh'), { ...overrides, LISTEN_PORT: String(p) }, { shell: 'busybox' }).done;
      expect(r.status, r.stderr).toBe(ok);
    }
  });

  it('transaction pooling: five open client sessions share at most max_db_connections server connections', async () => {
    const clients = Array.from({ length: 5 }, () => session());
    for (let round = 0; round < 3; round++) {
      for (const c of clients) expect(await c.run('SELECT 1;')).toBe('1');
    }
    expect(serverConnections()).toBeLessThanOrEqual(MAX_DB);
    expect(viaBouncer('SHOW POOLS', 'pgbouncer')).toMatch(/^app\|app\|.*\|transaction/m);
  });

  it('beyond max_db_connections, a transaction waits until a server connection is free', async () => {
    const [a, b, c] = [session(), session(), session()];
    // Two open transactions hold both server connections.
    await a.run('BEGIN; SELECT 1;');
    await b.run('BEGIN; SELECT 1;');
    let answered = false;
    const third = c.run('SELECT 42;').then((r) => {
      answered = true;
      return r;
    });
    await waitFor('PgBouncer to report a waiting client', () => waitingClients() > 0, 10_000);
    expect(answered).toBe(false);
    expect(serverConnections()).toBeLessThanOrEqual(MAX_DB);
    await a.run('COMMIT;');
    expect(await third).toBe('42');
    await b.run('COMMIT;');
  });
});

/** cl_waiting of the app pool, from PgBouncer's admin console. */
function waitingClients(): number {
  const out = spawnSync(join(PG_BIN, 'psql'), [...psqlArgs('pgbouncer').filter((a) => a !== '-t'), '-c', 'SHOW POOLS'], { env: { PGPASSWORD: PASSWORD }, encoding: 'utf8' }).stdout;
  const lines = out.trim().split('\n');
  const header = lines[0]!.split('|');
  const row = lines.find((l) => l.startsWith('app|app|'));
  return row ? Number(row.split('|')[header.indexOf('cl_waiting')]) : 0;
}
