import { chmodSync, chownSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../lib/index.js';
import { applyFsGroup, cleanup, freePort, killGroup, run, startScript, tempDir, waitFor, type Script, type Started } from '../backup/harness.js';
import { one, synth, type Obj } from '../util.js';

/**
 * A standalone `store` (the dev default) started from the SYNTHESIZED
 * redis.conf and start script under dash, as the pod's user: persistence
 * as the preset promises, and the start script's refusals.
 */

const PASSWORD = 'standalone-secret';
let files: Record<string, string>;
let container: Obj;
let security: Obj;
let server: Started;
let port: number;
let data: string;

function setup(password: string): { script: Script; overrides: Record<string, string> } {
  const config = tempDir('redis-sa-config');
  chmodSync(config, 0o755);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(config, name), text);
  const secrets = tempDir('redis-sa-secret');
  chmodSync(secrets, 0o755);
  for (const name of ['password', 'sentinel-password']) {
    writeFileSync(join(secrets, name), password);
    chownSync(join(secrets, name), 0, security.fsGroup);
    chmodSync(join(secrets, name), 0o440);
  }
  const dirs = { RUN_DIR: tempDir('redis-sa-run'), DATA_DIR: tempDir('redis-sa-data') };
  for (const d of Object.values(dirs)) applyFsGroup(d, security.fsGroup);
  const env: Record<string, string> = {};
  for (const e of container.env as Obj[]) if (e.value !== undefined) env[e.name] = String(e.value);
  return {
    script: { script: files['start-redis.sh']!, env, user: { uid: security.runAsUser, gid: security.runAsGroup, fsGroup: security.fsGroup } },
    overrides: { ANNOUNCE_HOST: '127.0.0.1', REDIS_PORT: String(port), SENTINEL_PORT: '26379', PRIMARY_HOST: '127.0.0.1', PRIMARY_PORT: String(port), CONFIG_DIR: config, SECRET_DIR: secrets, ...dirs },
  };
}

const cli = (...args: string[]) => run('/usr/bin/redis-cli', ['-h', '127.0.0.1', '-p', String(port), '--raw', ...args], { env: { PATH: '/usr/bin:/bin', REDISCLI_AUTH: PASSWORD } }).trim();

beforeAll(async () => {
  const objs = synth((chart) => new RedisStore(chart, 'Store', { name: 'sessions', namespace: 'agents', profile: 'dev', role: 'store', auth: { secretName: 'sessions-auth' }, alerting: false }), {
    external: ['Secret/agents/sessions-auth'],
    profile: 'dev',
  });
  files = one(objs, 'ConfigMap', 'sessions').data;
  const pod = one(objs, 'StatefulSet', 'sessions').spec.template.spec;
  security = pod.securityContext;
  container = pod.containers[0];
  port = await freePort();
  const s = setup(PASSWORD);
  data = s.overrides.DATA_DIR!;
  server = startScript(s.script, s.overrides, { shell: 'dash' });
  await waitFor(`redis to answer\n${server.output()}`, () => {
    try {
      return cli('PING') === 'PONG';
    } catch {
      return false;
    }
  }, 20_000);
}, 60_000);

afterAll(async () => {
  if (server) {
    killGroup(server.pid, 'SIGKILL');
    await server.done;
  }
  cleanup();
});

describe('RedisStore standalone store, from the synthesized configuration', () => {
  it('persists as the store preset says: AOF fsynced every second, RDB snapshots, no eviction', () => {
    expect(cli('CONFIG', 'GET', 'appendonly')).toBe('appendonly\nyes');
    expect(cli('CONFIG', 'GET', 'appendfsync')).toBe('appendfsync\neverysec');
    expect(cli('CONFIG', 'GET', 'save')).toBe('save\n3600 1 300 100 60 10000');
    expect(cli('CONFIG', 'GET', 'maxmemory-policy')).toBe('maxmemory-policy\nnoeviction');
    expect(cli('ROLE').split('\n')[0]).toBe('master');
    cli('SET', 'session:1', 'alive');
    expect(existsSync(join(data, 'appendonlydir'))).toBe(true);
  });

  it('the start script refuses a multi-line password and a host with shell characters, naming the problem', async () => {
    const multi = setup('line one\nline two');
    const r1 = await startScript(multi.script, multi.overrides, { shell: 'dash' }).done;
    expect(r1.status).toBe(1);
    expect(r1.stderr).toContain('/password holds more than one line');
    const host = setup(PASSWORD);
    const r2 = await startScript(host.script, { ...host.overrides, ANNOUNCE_HOST: 'x;rm -rf /' }, { shell: 'busybox' }).done;
    expect(r2.status).toBe(1);
    expect(r2.stderr).toContain("ANNOUNCE_HOST is not a host name, address or port: 'x;rm -rf /'");
  });
});
