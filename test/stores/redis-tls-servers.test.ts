import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../lib/index.js';
import type { RedisStoreProps } from '../../lib/index.js';
import { cronPod } from '../backup/fixtures.js';
import { applyFsGroup, cleanup, freePort, killGroup, listDir, podScript, run, runScript, startScript, tempDir, waitFor, type Started } from '../backup/harness.js';
import { one, synth, type Obj } from '../util.js';
import { RedisPod, stopMembers, type Member } from './redis-pods.js';

/**
 * A replicated RedisStore with TLS run for real: two members, each a
 * redis-server and a redis-sentinel started by the SYNTHESIZED start
 * scripts from the synthesized redis.conf and sentinel.conf, as the pod's
 * user, on loopback, with a certificate from a throwaway CA made here with
 * openssl and laid out as the pod mounts the TLS Secret. The probes and the
 * store's backup Job run the same way.
 */

const PASSWORD = 'tls-store-secret';
const SENTINEL_PASSWORD = 'tls-sentinel-secret';

const PROPS: RedisStoreProps = {
  name: 'sessions',
  namespace: 'agents',
  profile: 'staging',
  role: 'store',
  replicas: 1,
  auth: { secretName: 'sessions-auth', sentinelKey: 'sentinel-password' },
  tls: { secretName: 'sessions-tls' },
  sentinel: { downAfterMilliseconds: 1000, failoverTimeoutMilliseconds: 10_000 },
  alerting: false,
};


let objs: Obj[];
let pods: RedisPod;
let pki: string;
const members: Member[] = [];

/** A CA, a certificate it signs for the names and addresses a member is reached by (server and client use), and an unrelated CA. */
function makePki(dir: string): void {
  const ssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=test store CA');
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other-ca.key', '-out', 'other-ca.crt', '-days', '1', '-subj', '/CN=some other CA');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'tls.key', '-out', 'tls.csr', '-subj', '/CN=sessions');
  writeFileSync(join(dir, 'ext'), 'subjectAltName=DNS:localhost,DNS:*.sessions-headless.agents.svc.cluster.local,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  ssl('x509', '-req', '-in', 'tls.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'tls.crt', '-days', '1', '-extfile', 'ext');
}

const cliEnv = (password?: string) => ({ PATH: '/usr/bin:/bin', ...(password !== undefined ? { REDISCLI_AUTH: password } : {}) });
/** redis-cli over TLS, checking the server against `ca`; its output, or the error when it fails. */
function tlsCli(port: number, password: string | undefined, ca: string, ...args: string[]): string {
  const r = spawnSync('/usr/bin/redis-cli', ['--tls', '--cacert', ca, '-h', '127.0.0.1', '-p', String(port), '--raw', ...args], { encoding: 'utf8', env: cliEnv(password), timeout: 10_000 });
  return `${r.stdout}${r.stderr}`.trim();
}
const server = (m: Member, ...args: string[]) => tlsCli(m.redisPort, PASSWORD, join(pki, 'ca.crt'), ...args);
const sentinel = (m: Member, ...args: string[]) => tlsCli(m.sentinelPort, SENTINEL_PASSWORD, join(pki, 'ca.crt'), ...args);

beforeAll(async () => {
  objs = synth(
    (chart) => {
      new RedisStore(chart, 'Sessions', PROPS).addBackup('Backup', { schedule: '0 3 * * *', target: { volume: { claimName: 'sessions-backup' } }, alerting: false });
    },
    { external: ['Secret/agents/sessions-auth', 'Secret/agents/sessions-tls', 'PersistentVolumeClaim/agents/sessions-backup'], profile: 'staging' },
  );
  pods = new RedisPod(objs, 'sessions');
  pki = tempDir('redis-pki');
  makePki(pki);
  const configDir = pods.configDir('redis-tls-config');
  const secrets = pods.secretDir('redis-tls-auth', { password: PASSWORD, 'sentinel-password': SENTINEL_PASSWORD });
  const tls = pods.secretDir('redis-tls-cert', Object.fromEntries(['tls.crt', 'tls.key', 'ca.crt'].map((f) => [f, readFileSync(join(pki, f), 'utf8')])));
  members.push(...(await pods.loopbackMembers(2, { prefix: 'redis-tls', shell: (i) => (i === 0 ? 'busybox' : 'dash'), shared: { CONFIG_DIR: configDir, SECRET_DIR: secrets, TLS_DIR: tls } })));
  await pods.startInOrder(members);
}, 120_000);

afterAll(async () => {
  await stopMembers(members);
  cleanup();
});

describe('RedisStore with TLS, from the synthesized configuration', () => {
  it('the test overrides only what differs per pod; the certificate directory is the mounted TLS Secret', () => {
    const names = (pods.container.env as Obj[]).map((e) => e.name).sort();
    expect(names).toEqual(['POD_NAME', ...Object.keys(members[0]!.overrides)].sort());
    expect((pods.container.env as Obj[]).find((e) => e.name === 'TLS_DIR')?.value).toBe('/var/run/secrets/redis-tls');
    expect(pods.container.volumeMounts).toContainEqual({ name: 'tls', mountPath: '/var/run/secrets/redis-tls', readOnly: true });
  });

  it('serves TLS only: the plaintext port is closed, and a plaintext client on the TLS port gets nothing', () => {
    for (const m of members) {
      expect(server(m, 'CONFIG', 'GET', 'port')).toBe('port\n0');
      expect(server(m, 'CONFIG', 'GET', 'tls-port')).toBe(`tls-port\n${m.redisPort}`);
      expect(server(m, 'CONFIG', 'GET', 'tls-replication')).toBe('tls-replication\nyes');
      const plain = spawnSync('/usr/bin/redis-cli', ['-h', '127.0.0.1', '-p', String(m.redisPort), 'PING'], { encoding: 'utf8', env: cliEnv(PASSWORD), timeout: 10_000 });
      expect(`${plain.stdout}${plain.stderr}`).not.toContain('PONG');
      const plainSentinel = spawnSync('/usr/bin/redis-cli', ['-h', '127.0.0.1', '-p', String(m.sentinelPort), 'PING'], { encoding: 'utf8', env: cliEnv(SENTINEL_PASSWORD), timeout: 10_000 });
      expect(`${plainSentinel.stdout}${plainSentinel.stderr}`).not.toContain('PONG');
    }
  });

  it('over TLS a client with the password gets PONG; without it NOAUTH; a client trusting another CA is refused', () => {
    const m = members[0]!;
    expect(server(m, 'PING')).toBe('PONG');
    expect(tlsCli(m.redisPort, undefined, join(pki, 'ca.crt'), 'GET', 'k')).toMatch(/^NOAUTH/);
    const wrongCa = tlsCli(m.redisPort, PASSWORD, join(pki, 'other-ca.crt'), 'PING');
    expect(wrongCa).not.toContain('PONG');
    expect(wrongCa).toMatch(/certificate verify failed/i);
  });

  it('replicates over TLS: member 1 follows member 0, linked, and has its writes', async () => {
    const [primary, replica] = [members[0]!, members[1]!];
    expect(server(primary, 'ROLE').split('\n')[0]).toBe('master');
    expect(server(replica, 'ROLE').split('\n')[0]).toBe('slave');
    expect(server(replica, 'INFO', 'replication')).toMatch(/master_link_status:up/);
    server(primary, 'SET', 'greeting', 'over tls');
    await waitFor('the replica to have the write', () => server(replica, 'GET', 'greeting') === 'over tls', 10_000);
  });

  it('Sentinel speaks TLS, names the primary, and finds the replica and the other Sentinel over TLS', async () => {
    for (const m of members) expect(sentinel(m, 'SENTINEL', 'get-master-addr-by-name', 'sessions')).toBe(`127.0.0.1\n${members[0]!.redisPort}`);
    // Sentinel learns replicas from the primary's INFO (every 10 s) and other Sentinels from their hellos (every 2 s).
    await waitFor('Sentinel 0 to list the replica', () => sentinel(members[0]!, 'SENTINEL', 'replicas', 'sessions').includes(String(members[1]!.redisPort)), 25_000);
    await waitFor('Sentinel 0 to know Sentinel 1', () => sentinel(members[0]!, 'SENTINEL', 'sentinels', 'sessions').includes(String(members[1]!.sentinelPort)), 25_000);
  }, 60_000);

  it('the generated probes pass over TLS, and fail when the CA bundle does not match', async () => {
    for (const m of members) {
      for (const mode of ['live', 'ready', 'sentinel-live', 'sentinel-ready']) expect((await pods.probe(m, mode)).ok, `${mode} of member ${m.index}`).toBe(true);
    }
    const wrong = pods.secretDir('redis-tls-wrong', { 'tls.crt': '', 'tls.key': '', 'ca.crt': readFileSync(join(pki, 'other-ca.crt'), 'utf8') });
    const m = members[0]!;
    const s = pods.script('probe.sh');
    const r = await runScript({ ...s, script: `set -- live\n${s.script}` }, { ...m.overrides, TLS_DIR: wrong }, { shell: m.shell });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('probe live:');
  });

  it("the store's backup Job takes an RDB over TLS, checked against the CA", async () => {
    const pod = cronPod(objs);
    expect(pod.volumes).toContainEqual({ name: 'redis-ca', secret: { secretName: 'sessions-tls', items: [{ key: 'ca.crt', path: 'ca.crt' }], defaultMode: 0o444 } });
    const backup = podScript(pod, 'backup', { 'sessions-auth/password': PASSWORD });
    expect(backup.script).toContain('--tls --cacert "$REDIS_TLS_CA_FILE"');
    const ca = tempDir('redis-tls-backup-ca');
    chmodSync(ca, 0o755);
    writeFileSync(join(ca, 'ca.crt'), readFileSync(join(pki, 'ca.crt')));
    chmodSync(join(ca, 'ca.crt'), 0o444);
    const dir = tempDir('redis-tls-backup');
    const scratch = tempDir('redis-tls-scratch');
    const p = members[0]!;
    const r = await runScript(backup, { BACKUP_DIR: dir, SCRATCH_DIR: scratch, HOME: scratch, REDIS_HOST: '127.0.0.1', REDIS_PORT: String(p.redisPort), REDIS_TLS_CA_FILE: join(ca, 'ca.crt') });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const rdb = listDir(dir).filter((f) => /^sessions-backup-\d{8}T\d{6}Z\.rdb$/.test(f));
    expect(rdb).toHaveLength(1);
    expect(readFileSync(join(dir, rdb[0]!)).subarray(0, 5).toString()).toBe('REDIS');
  });
});

describe('RedisStore with tls.authClients, from the synthesized configuration', () => {
  let mtls: { files: Record<string, string>; env: Record<string, string>; overrides: Record<string, string>; port: number; server?: Started };
  const run_ = (s: string, mode?: string) => startScript({ script: mode ? `set -- ${mode}\n${s}` : s, env: mtls.env, user: { uid: pods.podSecurity.runAsUser, gid: pods.podSecurity.runAsGroup, fsGroup: pods.podSecurity.fsGroup } }, mtls.overrides, { shell: 'dash' });
  const withCert = (...args: string[]) => {
    const r = spawnSync('/usr/bin/redis-cli', ['--tls', '--cacert', join(pki, 'ca.crt'), '--cert', join(pki, 'tls.crt'), '--key', join(pki, 'tls.key'), '-p', String(mtls.port), '--raw', ...args], { encoding: 'utf8', env: cliEnv(PASSWORD), timeout: 10_000 });
    return `${r.stdout}${r.stderr}`.trim();
  };

  beforeAll(async () => {
    const objs = synth((chart) => new RedisStore(chart, 'Mtls', { name: 'mtls', namespace: 'agents', profile: 'dev', role: 'cache', auth: { secretName: 'mtls-auth' }, tls: { secretName: 'mtls-tls', authClients: true }, alerting: false }), {
      external: ['Secret/agents/mtls-auth', 'Secret/agents/mtls-tls'],
      profile: 'dev',
    });
    const files: Record<string, string> = one(objs, 'ConfigMap', 'mtls').data;
    const c = one(objs, 'StatefulSet', 'mtls').spec.template.spec.containers[0];
    const env: Record<string, string> = {};
    for (const e of c.env as Obj[]) if (e.value !== undefined) env[e.name] = String(e.value);
    const config = tempDir('redis-mtls-config');
    chmodSync(config, 0o755);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(config, name), text);
    const dirs = { RUN_DIR: tempDir('redis-mtls-run'), DATA_DIR: tempDir('redis-mtls-data') };
    for (const d of Object.values(dirs)) applyFsGroup(d, pods.podSecurity.fsGroup);
    const port = await freePort();
    const overrides = {
      ANNOUNCE_HOST: '127.0.0.1',
      REDIS_PORT: String(port),
      SENTINEL_PORT: '26379',
      PRIMARY_HOST: '127.0.0.1',
      PRIMARY_PORT: String(port),
      CONFIG_DIR: config,
      SECRET_DIR: pods.secretDir('redis-mtls-auth', { password: PASSWORD, 'sentinel-password': PASSWORD }),
      TLS_DIR: pods.secretDir('redis-mtls-cert', Object.fromEntries(['tls.crt', 'tls.key', 'ca.crt'].map((f) => [f, readFileSync(join(pki, f), 'utf8')]))),
      ...dirs,
    };
    mtls = { files, env, overrides, port };
    mtls.server = run_(files['start-redis.sh']!);
    await waitFor(`the mTLS server to answer\n${mtls.server.output()}`, () => withCert('PING') === 'PONG', 20_000);
  }, 60_000);

  afterAll(async () => {
    if (mtls?.server) {
      killGroup(mtls.server.pid, 'SIGKILL');
      await mtls.server.done;
    }
  });

  it('requires a client certificate: TLS with the password alone is refused, with the certificate it answers', () => {
    expect(withCert('CONFIG', 'GET', 'tls-auth-clients')).toBe('tls-auth-clients\nyes');
    const noCert = tlsCli(mtls.port, PASSWORD, join(pki, 'ca.crt'), 'PING');
    expect(noCert).not.toContain('PONG');
  });

  it('the generated probes present the store certificate and pass', async () => {
    for (const mode of ['live', 'ready']) {
      const r = await run_(mtls.files['probe.sh']!, mode).done;
      expect(r.status, `${mode}: ${r.stdout}${r.stderr}`).toBe(0);
    }
  });
});
