import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../lib/index.js';
import type { RedisStoreProps } from '../../lib/index.js';
import { cleanup, freePort, killGroup, run, waitFor } from '../backup/harness.js';
import { synth, type Obj } from '../util.js';
import { RedisPod, stopMembers, type Member } from './redis-pods.js';

/**
 * A replicated RedisStore run for real: three members, each a redis-server
 * and a redis-sentinel started by the SYNTHESIZED start scripts from the
 * synthesized redis.conf and sentinel.conf, as the pod's non-root user, on
 * loopback ports (the only per-pod values the test gives are the ones the
 * scripts read from the env: this member's address and ports, the first
 * member's, the Sentinels', and the paths). Members alternate between
 * busybox ash (the alpine images' shell) and dash. The probe script is run
 * the same way.
 */

// Quotes, a backslash and a dollar: the password must survive the config quoting.
const PASSWORD = 'p@ss "w\\rd$HOME';
const SENTINEL_PASSWORD = 'sentinel-only-secret';
const DOWN_AFTER_MS = 1000;
const FAILOVER_TIMEOUT_MS = 10_000;

const PROPS: RedisStoreProps = {
  name: 'cache',
  namespace: 'agents',
  role: 'cache',
  replicas: 2,
  auth: { secretName: 'cache-auth', key: 'password', sentinelKey: 'sentinel-password' },
  sentinel: { downAfterMilliseconds: DOWN_AFTER_MS, failoverTimeoutMilliseconds: FAILOVER_TIMEOUT_MS },
  alerting: false,
};


let store: RedisStore;
let pods: RedisPod;
const members: Member[] = [];

const cli = (port: number, password: string | undefined, ...args: string[]) =>
  run('/usr/bin/redis-cli', ['-h', '127.0.0.1', '-p', String(port), '--raw', ...args], { env: { PATH: '/usr/bin:/bin', ...(password !== undefined ? { REDISCLI_AUTH: password } : {}) } }).trim();
const server = (m: Member, ...args: string[]) => cli(m.redisPort, PASSWORD, ...args);
const sentinel = (m: Member, ...args: string[]) => cli(m.sentinelPort, SENTINEL_PASSWORD, ...args);
const answers = (f: () => string, expected: string) => () => {
  try {
    return f() === expected;
  } catch {
    return false;
  }
};

/** True when every member's Sentinel lists the two replicas and the two other Sentinels of the primary. */
function topologyKnown(): boolean {
  try {
    return members.every((m) => {
      const count = (kind: string) => sentinel(m, 'SENTINEL', kind, 'cache').split('\n').filter((l) => l === 'name').length;
      return count('replicas') === 2 && count('sentinels') === 2;
    });
  } catch {
    return false;
  }
}

/** Every member's server and Sentinel log, for a failure message. */
const logs = () => members.map((m) => `--- member ${m.index} redis:\n${m.redis?.output()}\n--- member ${m.index} sentinel:\n${m.sentinel?.output()}`).join('\n');

beforeAll(async () => {
  const objs = synth(
    (chart) => {
      store = new RedisStore(chart, 'Cache', PROPS);
    },
    { external: ['Secret/agents/cache-auth'] },
  );
  pods = new RedisPod(objs, 'cache');
  const configDir = pods.configDir('redis-config');
  const secretDir = pods.secretDir('redis-secret', { password: `${PASSWORD}\n`, 'sentinel-password': `${SENTINEL_PASSWORD}\n` });
  members.push(...(await pods.loopbackMembers(3, { prefix: 'redis', shell: (i) => (i === 1 ? 'dash' : 'busybox'), shared: { CONFIG_DIR: configDir, SECRET_DIR: secretDir } })));
  await pods.startInOrder(members);
}, 120_000);

afterAll(async () => {
  await stopMembers(members);
  cleanup();
});

describe('RedisStore replicated, from the synthesized configuration', () => {
  it('the test overrides only what differs per pod: the env the manifest gives, plus the pod name', () => {
    const names = (pods.container.env as Obj[]).map((e) => e.name).sort();
    expect(names).toEqual(['POD_NAME', ...Object.keys(members[0]!.overrides)].sort());
    expect((pods.container.env as Obj[]).find((e) => e.name === 'ANNOUNCE_HOST')?.value).toBe('$(POD_NAME).cache-headless.agents.svc.cluster.local');
  });

  it('CONFIG GET shows maxmemory (75% of the 1Gi limit) and the cache policy as generated', () => {
    expect(store.maxmemoryBytes).toBe(805306368);
    for (const m of members) {
      expect(server(m, 'CONFIG', 'GET', 'maxmemory')).toBe('maxmemory\n805306368');
      expect(server(m, 'CONFIG', 'GET', 'maxmemory-policy')).toBe('maxmemory-policy\nallkeys-lru');
      expect(server(m, 'CONFIG', 'GET', 'appendonly')).toBe('appendonly\nno');
      expect(server(m, 'CONFIG', 'GET', 'save')).toBe('save');
    }
  });

  it('enforces the password on the servers and on Sentinel (NOAUTH without it)', () => {
    expect(cli(members[0]!.redisPort, undefined, 'GET', 'k')).toMatch(/^NOAUTH/);
    expect(cli(members[0]!.sentinelPort, undefined, 'SENTINEL', 'masters')).toMatch(/^NOAUTH/);
    // A wrong password leaves the connection unauthenticated.
    expect(cli(members[0]!.redisPort, 'wrong', 'GET', 'k')).toMatch(/^NOAUTH/);
  });

  it('member 0 is the primary, the others replicate its writes', async () => {
    expect(server(members[0]!, 'ROLE').split('\n')[0]).toBe('master');
    server(members[0]!, 'SET', 'greeting', 'hello');
    for (const m of members.slice(1)) {
      expect(server(m, 'ROLE').split('\n')[0]).toBe('slave');
      await waitFor(`member ${m.index} to replicate`, answers(() => server(m, 'GET', 'greeting'), 'hello'), 10_000);
    }
    expect(server(members[1]!, 'SET', 'x', '1')).toMatch(/^READONLY/);
  });

  it('the probes pass on healthy members, and readiness fails without the primary link', async () => {
    for (const m of members) {
      for (const mode of ['live', 'ready', 'sentinel-live', 'sentinel-ready']) expect((await pods.probe(m, mode)).ok, `${mode} of member ${m.index}`).toBe(true);
    }
    const m = members[2]!;
    server(m, 'REPLICAOF', '127.0.0.1', String(await freePort()));
    const broken = await pods.probe(m, 'ready');
    expect(broken).toEqual({ ok: false, output: expect.stringContaining('replica not linked to its primary') });
    expect((await pods.probe(m, 'live')).ok).toBe(true);
    server(m, 'REPLICAOF', '127.0.0.1', String(members[0]!.redisPort));
    await pods.waitProbe(m, 'ready');
  });

  it('when the primary pod dies, Sentinel promotes a replica within the configured timeout and tells clients', async () => {
    // Sentinels learn replicas from the primary's INFO (every 10 s) and each
    // other from hello messages (every 2 s). A failover only reconfigures the
    // replicas its leader knows; one it has not seen yet is fixed later, by
    // the misconfigured-replica rule, only after another failover timeout. So
    // the promise is about a converged deployment: wait until every Sentinel
    // knows both replicas and the two other Sentinels, as a pod that has run
    // for a while does.
    await waitFor('every Sentinel to know the two replicas and the two other Sentinels', topologyKnown, 30_000);
    const old = members[0]!;
    const started = Date.now();
    killGroup(old.redis!.pid, 'SIGKILL');
    killGroup(old.sentinel!.pid, 'SIGKILL');
    await Promise.all([old.redis!.done, old.sentinel!.done]);
    const asked = members[1]!;
    const moved = () => {
      try {
        return sentinel(asked, 'SENTINEL', 'get-master-addr-by-name', 'cache') !== `127.0.0.1\n${old.redisPort}`;
      } catch {
        return false;
      }
    };
    await waitFor('Sentinel to name a new primary', moved, DOWN_AFTER_MS + FAILOVER_TIMEOUT_MS);
    const [host, port] = sentinel(asked, 'SENTINEL', 'get-master-addr-by-name', 'cache').split('\n');
    expect(host).toBe('127.0.0.1');
    const primary = members.find((m) => String(m.redisPort) === port)!;
    expect(primary.index).not.toBe(0);
    await waitFor('the new primary to take writes', answers(() => server(primary, 'ROLE').split('\n')[0]!, 'master'), FAILOVER_TIMEOUT_MS);
    server(primary, 'SET', 'after', 'failover');
    const other = members.find((m) => m.index !== 0 && m !== primary)!;
    await waitFor('the other replica to follow the new primary', answers(() => server(other, 'GET', 'after'), 'failover'), FAILOVER_TIMEOUT_MS).catch((e: Error) => {
      throw new Error(`${e.message}\n${logs()}`);
    });
    process.stdout.write(`redis failover: new primary named by Sentinel after ${Date.now() - started} ms (down-after ${DOWN_AFTER_MS} ms)\n`);

    // The old primary's pod comes back: its start script asks Sentinel and joins as a replica.
    pods.start(old, 'redis');
    pods.start(old, 'sentinel');
    await pods.waitProbe(old, 'ready');
    expect(server(old, 'ROLE').split('\n')[0]).toBe('slave');
    await waitFor('the returning member to have the new writes', answers(() => server(old, 'GET', 'after'), 'failover'), 10_000);
  }, 60_000);
});

