import { chmodSync, chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyFsGroup, freePort, killGroup, startScript, tempDir, type Script, type Shell, type Started } from '../backup/harness.js';
import { one, type Obj } from '../util.js';

/**
 * Running a synthesized RedisStore's members for real, as its pods would:
 * the start and probe scripts of its ConfigMap, with the redis container's
 * env and the pod's user, under a member's shell. Shared by the replicated
 * and the TLS real-server tests.
 */

/** One member (pod) of the store on loopback: its shell, ports, and the env only this pod differs by. */
export interface Member {
  readonly index: number;
  readonly shell: Shell;
  readonly redisPort: number;
  readonly sentinelPort: number;
  readonly overrides: Record<string, string>;
  redis?: Started;
  sentinel?: Started;
}

/** The store's rendered pod: its ConfigMap files, the redis container and the pod's security context. */
export class RedisPod {
  public readonly files: Record<string, string>;
  public readonly container: Obj;
  public readonly podSecurity: Obj;

  constructor(objs: Obj[], name: string) {
    this.files = one(objs, 'ConfigMap', name).data;
    const pod = one(objs, 'StatefulSet', name).spec.template.spec;
    this.podSecurity = pod.securityContext;
    this.container = pod.containers.find((c: Obj) => c.name === 'redis');
  }

  /** The script of a ConfigMap file with the container's env: literals from the manifest, then the member's own values. */
  public script(file: string): Script {
    const env: Record<string, string> = {};
    for (const e of this.container.env as Obj[]) if (e.value !== undefined) env[e.name] = String(e.value);
    const s = this.podSecurity;
    return { script: this.files[file]!, env, user: { uid: s.runAsUser, gid: s.runAsGroup, fsGroup: s.fsGroup } };
  }

  /** The ConfigMap volume: every file in a fresh directory. */
  public configDir(prefix: string): string {
    const d = tempDir(prefix);
    for (const [name, text] of Object.entries(this.files)) writeFileSync(join(d, name), text);
    chmodSync(d, 0o755);
    return d;
  }

  /** A Secret volume as the kubelet lays it out: root-owned files readable by the pod's fsGroup (mode 0440, as rendered). */
  public secretDir(prefix: string, entries: Record<string, string>): string {
    const d = tempDir(prefix);
    chmodSync(d, 0o755);
    for (const [name, value] of Object.entries(entries)) {
      writeFileSync(join(d, name), value);
      chownSync(join(d, name), 0, this.podSecurity.fsGroup);
      chmodSync(join(d, name), 0o440);
    }
    return d;
  }

  /** Starts the member's redis-server or redis-sentinel with its start script. */
  public start(m: Member, which: 'redis' | 'sentinel'): Started {
    const s = startScript(this.script(which === 'redis' ? 'start-redis.sh' : 'start-sentinel.sh'), m.overrides, { shell: m.shell });
    m[which] = s;
    return s;
  }

  /** Runs probe.sh `mode` for member `m` as the pod would (exec in the container, its env); ok when it exits 0. */
  public async probe(m: Member, mode: string): Promise<{ ok: boolean; output: string }> {
    const s = this.script('probe.sh');
    const r = await startScript({ ...s, script: `set -- ${mode}\n${s.script}` }, m.overrides, { shell: m.shell }).done;
    return { ok: r.status === 0, output: r.stdout + r.stderr };
  }

  /** Waits until probe `mode` of member `m` passes; the error carries the member's logs. */
  public async waitProbe(m: Member, mode: string, ms = 30_000): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      const r = await this.probe(m, mode);
      if (r.ok) return;
      if (Date.now() > deadline) throw new Error(`probe ${mode} of member ${m.index} still failing after ${ms} ms: ${r.output}\nredis: ${m.redis?.output()}\nsentinel: ${m.sentinel?.output()}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  }

  /**
   * `count` members on loopback ports, member 0 the first primary, each with
   * its own run and data directories (owned by the pod's fsGroup) and the
   * env the start scripts read per pod; `shared` is added to every member's
   * (the mounted config and Secret directories).
   */
  public async loopbackMembers(count: number, o: { prefix: string; shell: (index: number) => Shell; shared: Record<string, string> }): Promise<Member[]> {
    const ports = await Promise.all(Array.from({ length: 2 * count }, () => freePort()));
    const sentinels = Array.from({ length: count }, (_, i) => `127.0.0.1:${ports[count + i]}`).join(' ');
    return Array.from({ length: count }, (_, i) => {
      const dirs = { RUN_DIR: tempDir(`${o.prefix}-run-${i}`), DATA_DIR: tempDir(`${o.prefix}-data-${i}`) };
      for (const d of Object.values(dirs)) applyFsGroup(d, this.podSecurity.fsGroup);
      return {
        index: i,
        shell: o.shell(i),
        redisPort: ports[i]!,
        sentinelPort: ports[count + i]!,
        overrides: {
          ANNOUNCE_HOST: '127.0.0.1',
          REDIS_PORT: String(ports[i]),
          SENTINEL_PORT: String(ports[count + i]),
          PRIMARY_HOST: '127.0.0.1',
          PRIMARY_PORT: String(ports[0]),
          SENTINELS: sentinels,
          ...o.shared,
          ...dirs,
        },
      };
    });
  }

  /** Starts the members as the StatefulSet does: in order, each ready (server and Sentinel) before the next. */
  public async startInOrder(members: readonly Member[]): Promise<void> {
    for (const m of members) {
      this.start(m, 'redis');
      this.start(m, 'sentinel');
      await this.waitProbe(m, 'ready');
      await this.waitProbe(m, 'sentinel-ready');
    }
  }
}

/** Kills every member's processes and waits for them. */
export async function stopMembers(members: readonly Member[]): Promise<void> {
  for (const m of members) for (const s of [m.redis, m.sentinel]) if (s) killGroup(s.pid, 'SIGKILL');
  await Promise.all(members.flatMap((m) => [m.redis?.done, m.sentinel?.done]));
}
