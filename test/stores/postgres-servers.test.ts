import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore, type PostgresStoreProps } from '../../lib/index.js';
import { cleanup, freePort, PG_BIN, run, tempDir, waitFor } from '../backup/harness.js';
import { one, synth, type Obj } from '../util.js';

/**
 * PostgresStore `statefulSet` mode run for real: PostgreSQL 15 from Debian,
 * initialised like the image's entrypoint does (the owner as the bootstrap
 * role, its password from a file, SCRAM), started as the pod's non-root UID
 * with the container's own arguments (the SYNTHESIZED postgresql.conf and
 * pg_hba.conf), plus the data directory, a free port and a socket directory
 * of the test's. Every generated setting must come back from SHOW, and the
 * probe commands of the manifest must pass.
 */

const NSS_WRAPPER = '/usr/lib/x86_64-linux-gnu/libnss_wrapper.so';
const PASSWORD = "owner-secret-'quoted'";
const PROPS: PostgresStoreProps = { name: 'sark-db', namespace: 'sark', profile: 'dev', mode: 'statefulSet', database: 'sark', owner: 'sark', auth: { secretName: 'sark-db' }, tier: 'small' };

let store: PostgresStore;
let container: Obj;
let uid: number;
let port: number;
let sock: string;
let server: ChildProcess;
let log = '';

const as = (args: string[]) => ['/usr/bin/setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--', ...args];
const psql = (sql: string, password: string | null = PASSWORD, user = 'sark') =>
  spawnSync(join(PG_BIN, 'psql'), ['-X', '-w', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', 'sark'], {
    env: { PATH: '/usr/bin:/bin', ...(password !== null ? { PGPASSWORD: password } : {}), PGCONNECT_TIMEOUT: '10' },
    input: sql,
    encoding: 'utf8',
  });
const query = (sql: string) => {
  const r = psql(sql);
  if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
  return r.stdout.trim();
};

/** A probe command of the manifest, pointed at the test's server (its port, its socket directory), run as the pod's UID. */
function probe(p: Obj, to: { port: number; sock: string }): number | null {
  const cmd = (p.exec.command as string[]).map((a, i, all) => (all[i - 1] === '-p' ? String(to.port) : a === '/var/run/postgresql' ? to.sock : a));
  const [bin, ...args] = as([join(PG_BIN, cmd[0]!), ...cmd.slice(1)]);
  return spawnSync(bin!, args, { encoding: 'utf8' }).status;
}

beforeAll(async () => {
  const objs = synth(
    (chart) => {
      store = new PostgresStore(chart, 'Db', PROPS);
    },
    { external: ['Secret/sark/sark-db'], profile: 'dev' },
  );
  const cm = one(objs, 'ConfigMap', 'sark-db').data;
  const pod = one(objs, 'StatefulSet', 'sark-db').spec.template.spec;
  uid = pod.securityContext.runAsUser;
  container = pod.containers.find((c: Obj) => c.name === 'postgres');
  const base = tempDir('pg-store');
  chmodSync(base, 0o755);
  const config = join(base, 'config');
  mkdirSync(config);
  for (const [name, text] of Object.entries(cm)) writeFileSync(join(config, name), String(text));
  const data = join(base, 'data');
  sock = join(base, 'sock');
  for (const d of [data, sock]) {
    mkdirSync(d, { mode: 0o700 });
    chownSync(d, uid, uid);
  }
  writeFileSync(join(base, 'pw'), PASSWORD);
  // The UID has no passwd entry, which initdb needs: the image's entrypoint gives it one through nss_wrapper, and so does the test.
  writeFileSync(join(base, 'passwd'), `postgres:x:${uid}:${uid}:PostgreSQL:${data}:/bin/false\n`);
  writeFileSync(join(base, 'group'), `postgres:x:${uid}:\n`);
  const nss = { LD_PRELOAD: NSS_WRAPPER, NSS_WRAPPER_PASSWD: join(base, 'passwd'), NSS_WRAPPER_GROUP: join(base, 'group'), PATH: '/usr/bin:/bin' };
  chownSync(join(base, 'pw'), uid, uid);
  const env = Object.fromEntries((container.env as Obj[]).map((e) => [e.name, e.value]));
  // What the image's entrypoint does on an empty data directory: initdb with the owner as bootstrap role, then the database.
  const [initdb, ...initArgs] = as([join(PG_BIN, 'initdb'), '-D', data, '-U', env.POSTGRES_USER, `--pwfile=${join(base, 'pw')}`, '--auth-host=scram-sha-256', '--auth-local=scram-sha-256', '--no-sync']);
  run(initdb!, initArgs, { env: nss });
  port = await freePort();
  // The container's arguments, its config paths pointed at the test's copy of the ConfigMap.
  const args = (container.args as string[]).slice(1).map((a) => a.replace('/etc/postgresql', config));
  expect(container.args[0]).toBe('postgres');
  const [bin, ...rest] = as([join(PG_BIN, 'postgres'), '-D', data, ...args, '-c', `port=${port}`, '-c', `unix_socket_directories=${sock}`]);
  server = spawn(bin!, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  server.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  await waitFor(`PostgreSQL to accept connections\n${log}`, () => probe(container.readinessProbe, { port, sock }) === 0, 30_000);
  const created = spawnSync(join(PG_BIN, 'psql'), ['-X', '-h', '127.0.0.1', '-p', String(port), '-U', env.POSTGRES_USER, '-d', 'postgres', '-c', `CREATE DATABASE ${env.POSTGRES_DB}`], { env: { PGPASSWORD: PASSWORD }, encoding: 'utf8' });
  if (created.status !== 0) throw new Error(created.stderr);
}, 90_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGINT');
    await exited;
  }
  cleanup();
});

describe('PostgresStore statefulSet, from the synthesized postgresql.conf and pg_hba.conf', () => {
  it('SHOW returns every generated setting', () => {
    expect(Object.keys(store.settings).length).toBeGreaterThan(10);
    for (const [name, value] of Object.entries(store.settings)) expect([name, query(`SHOW "${name}"`)]).toEqual([name, value]);
    expect(store.settings).toMatchObject({ shared_buffers: '1GB', effective_cache_size: '3GB', max_connections: '100', work_mem: '8MB', maintenance_work_mem: '256MB', statement_timeout: '1min' });
  });

  it('pg_stat_statements is loaded and records statements', () => {
    query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    query('SELECT 42 AS answer');
    expect(Number(query("SELECT count(*) FROM pg_stat_statements WHERE query LIKE 'SELECT $1 AS answer%'"))).toBeGreaterThan(0);
  });

  it('statement_timeout cancels a long statement', () => {
    const r = psql("SET statement_timeout = '200ms'; SELECT pg_sleep(2)");
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('canceling statement due to statement timeout');
  });

  it('pg_hba asks every connection for the password (SCRAM): none and a wrong one are refused', () => {
    expect(psql('SELECT 1', null).stderr).toContain('fe_sendauth: no password supplied');
    expect(psql('SELECT 1', 'wrong').stderr).toContain('password authentication failed for user "sark"');
    expect(query("SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = 'sark'")).toBe('t');
  });

  it('the probe commands of the manifest pass against the server, and fail without one', async () => {
    for (const p of [container.startupProbe, container.livenessProbe, container.readinessProbe]) expect(probe(p, { port, sock })).toBe(0);
    expect(probe(container.readinessProbe, { port: await freePort(), sock })).not.toBe(0);
  });
});
