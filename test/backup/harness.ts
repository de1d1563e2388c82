import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { Obj } from '../util.js';

/**
 * Real servers and real shells for the backup tests: PostgreSQL 15 and
 * Redis 7 from Debian started on loopback in temporary directories, and the
 * scripts of the synthesized manifests run as they are, as the pod's UID and
 * GID with its fsGroup as a supplementary group (the kubelet's ownership of
 * the volumes emulated), under each shell an image may have as `/bin/sh`:
 *
 * - `busybox`: busybox ash with busybox's applets first on PATH, as in the
 *   alpine images;
 * - `dash`: Debian's `/bin/sh` with GNU tools, as in `postgres:15` or
 *   `redis:7.2`;
 * - `bash`: bash started as `sh` (POSIX mode) with GNU tools, as in the
 *   `amazon/aws-cli` image.
 *
 * A server that cannot start fails the test with its log; nothing is skipped.
 */

export const PG_BIN = '/usr/lib/postgresql/15/bin';
const BUSYBOX = '/usr/bin/busybox';
const SETPRIV = '/usr/bin/setpriv';

/** The shells every script is run under. */
export const SHELLS = ['busybox', 'dash', 'bash'] as const;
export type Shell = (typeof SHELLS)[number];

/** Runs a command; throws with its output when it fails. */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: opts.env ?? process.env, input: opts.input, cwd: opts.cwd, timeout: 120_000 });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const handedOut = new Set<number>();

/** A free TCP port on loopback, never one this process was handed before. */
export async function freePort(): Promise<number> {
  for (;;) {
    const srv = createServer();
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((resolve) => srv.close(() => resolve()));
    // The kernel may hand a closed port out again; two servers of one test
    // asking in turn (PORT, then METRICS_PORT) must not get the same one.
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

/** A temporary directory, removed by {@link cleanup}. */
const temps: string[] = [];
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `cap-${prefix}-`));
  temps.push(d);
  return d;
}

/** Removes every temporary directory (unmounting tmpfs mounts first). */
export function cleanup(): void {
  for (const m of mounted.splice(0).reverse()) spawnSync('umount', ['-l', m]);
  for (const d of temps.splice(0).reverse()) rmSync(d, { recursive: true, force: true });
  busyboxBin = undefined;
  shellBins = undefined;
}

const isRoot = process.getuid?.() === 0;

/** A directory of busybox applet links, put first on PATH like an alpine image's /bin. */
let busyboxBin: string | undefined;
function busyboxPath(): string {
  if (!busyboxBin) {
    if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing: install the Debian package busybox (scripts/test.sh does)`);
    busyboxBin = tempDir('busybox');
    chmodSync(busyboxBin, 0o755);
    for (const applet of run(BUSYBOX, ['--list']).split('\n').filter(Boolean)) symlinkSync(BUSYBOX, join(busyboxBin, applet));
  }
  return busyboxBin;
}

/** Directories holding an `sh` link to dash and to bash, so each starts as `sh` (bash then runs in POSIX mode). */
let shellBins: Record<'dash' | 'bash', string> | undefined;
function shellBin(shell: 'dash' | 'bash'): string {
  if (!shellBins) {
    const base = tempDir('shells');
    chmodSync(base, 0o755);
    shellBins = { dash: join(base, 'dash'), bash: join(base, 'bash') };
    for (const [name, bin] of [['dash', '/usr/bin/dash'], ['bash', '/bin/bash']] as const) {
      if (!existsSync(bin)) throw new Error(`${bin} is missing: install the Debian package ${name} (scripts/test.sh does)`);
      mkdirSync(shellBins[name], { mode: 0o755 });
      symlinkSync(bin, join(shellBins[name], 'sh'));
    }
  }
  return join(shellBins[shell], 'sh');
}

/**
 * The PATH scripts run with. busybox: its applets, then PostgreSQL's client
 * binaries, then Debian's (redis-cli, aws, and flock, which Debian's busybox
 * lacks and alpine's has). dash and bash: GNU tools, as in Debian images.
 */
export function scriptPath(shell: Shell = 'busybox'): string {
  return [...(shell === 'busybox' ? [busyboxPath()] : []), PG_BIN, '/usr/bin', '/bin'].join(':');
}

/** The user a pod's containers run as: runAsUser, runAsGroup and fsGroup from its security context. */
export interface PodUser {
  readonly uid: number;
  readonly gid: number;
  readonly fsGroup?: number;
}

/** A container's script, its environment with Secret references resolved, and the pod's user. */
export interface Script {
  readonly script: string;
  readonly env: Record<string, string>;
  /** The user to run as; the test's own (root) when absent, like a pod without runAsUser in an image whose user is root. */
  readonly user?: PodUser;
}

/** Takes `/bin/sh -c <script>` and the env of a synthesized container, with Secret references resolved from `secrets` (`<name>/<key>`). */
export function scriptOf(container: Obj, secrets: Readonly<Record<string, string>>): Script {
  const cmd = container.command as string[];
  if (cmd.length !== 3 || cmd[0] !== '/bin/sh' || cmd[1] !== '-c') throw new Error(`container ${container.name} does not run /bin/sh -c <script>: ${JSON.stringify(cmd)}`);
  const env: Record<string, string> = {};
  for (const e of (container.env ?? []) as Obj[]) {
    if (e.value !== undefined) env[e.name] = String(e.value);
    else if (e.valueFrom?.secretKeyRef) {
      const ref = `${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`;
      if (secrets[ref] === undefined) throw new Error(`the test gives no value for Secret key ${ref}`);
      env[e.name] = secrets[ref]!;
    } else throw new Error(`env ${e.name} has a source the test cannot resolve: ${JSON.stringify(e.valueFrom)}`);
  }
  return { script: cmd[2]!, env };
}

/** The script of container `name` of a synthesized pod spec, to run as the pod's user. */
export function podScript(pod: Obj, name: string, secrets: Readonly<Record<string, string>>): Script {
  const found = [...(pod.initContainers ?? []), ...pod.containers].filter((c: Obj) => c.name === name);
  if (found.length !== 1) throw new Error(`expected one container ${name}, found ${found.length}`);
  const c = found[0] as Obj;
  const sc = { ...(pod.securityContext ?? {}), ...(c.securityContext ?? {}) };
  if (typeof sc.runAsUser !== 'number' || sc.runAsUser === 0) throw new Error(`container ${name} has no non-root runAsUser: ${JSON.stringify(sc)}`);
  return { ...scriptOf(c, secrets), user: { uid: sc.runAsUser, gid: sc.runAsGroup ?? sc.runAsUser, ...(sc.fsGroup !== undefined ? { fsGroup: sc.fsGroup } : {}) } };
}

/** Result of running a script. */
export interface RunResult {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Variables naming directories the pod mounts as volumes, which the kubelet gives the pod's fsGroup. */
const VOLUME_VARS = ['BACKUP_DIR', 'SCRATCH_DIR', 'HOME', 'REDIS_DATA_DIR', 'TARGET_DIR'];

/**
 * What the kubelet does to a volume of a pod with an fsGroup (with
 * `fsGroupChangePolicy: OnRootMismatch`, when the root does not match yet):
 * every file gets the group and `g+rw`, every directory also `g+x` and
 * set-group-ID. A read-only filesystem is left as it is.
 */
export function applyFsGroup(dir: string, fsGroup: number): void {
  const st = statSync(dir);
  if (st.gid === fsGroup && (st.mode & 0o2070) === 0o2070) return;
  const walk = (p: string): void => {
    const s = lstatSync(p);
    if (s.isSymbolicLink()) return;
    chownSync(p, s.uid, fsGroup);
    chmodSync(p, (s.mode & 0o7777) | (s.isDirectory() ? 0o2070 : 0o060));
    if (s.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
  };
  try {
    walk(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EROFS') throw e;
  }
}

/** Options of a script run. */
export interface RunOptions {
  /** The shell that runs it. @default 'busybox' */
  readonly shell?: Shell;
}

/** A script started in the background: its process (the shell, in a process group of its own) and its result. */
export interface Started {
  readonly pid: number;
  readonly done: Promise<RunResult>;
  /** The output so far. */
  output(): string;
}

/**
 * Starts a script with `sh -c` under the chosen shell, as the script's user,
 * with exactly the manifest's env plus `overrides` (paths and hosts pointed
 * at the test's directories and servers) and PATH; nothing else from the
 * test's environment leaks in. The shell leads a process group of its own,
 * as a container's init does, so a test can kill the whole "container".
 */
export function startScript(s: Script, overrides: Readonly<Record<string, string>>, opts: RunOptions = {}): Started {
  const shell = opts.shell ?? 'busybox';
  const env = { ...s.env, ...overrides, PATH: scriptPath(shell) };
  if (s.user?.fsGroup !== undefined) {
    for (const v of VOLUME_VARS) if (overrides[v] && existsSync(overrides[v])) applyFsGroup(overrides[v], s.user.fsGroup);
  }
  const sh = shell === 'busybox' ? [BUSYBOX, 'sh'] : [shellBin(shell)];
  const argv = [...sh, '-c', s.script];
  const [cmd, args] = s.user
    ? [SETPRIV, [`--reuid=${s.user.uid}`, `--regid=${s.user.gid}`, `--groups=${[s.user.gid, s.user.fsGroup ?? s.user.gid].join(',')}`, '--no-new-privs', '--', ...argv]]
    : [argv[0]!, argv.slice(1)];
  const start = Date.now();
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<RunResult>((resolve, reject) => {
    const timer = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, ms: Date.now() - start });
    });
  });
  return { pid: child.pid!, done, output: () => `${stdout}${stderr}` };
}

/** Sends a signal to a started script's whole process group (the container's processes). */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

/** Runs a script to its end; see {@link startScript}. */
export async function runScript(s: Script, overrides: Readonly<Record<string, string>>, opts: RunOptions = {}): Promise<RunResult> {
  return await startScript(s, overrides, opts).done;
}

/** Polls `check` every 50 ms until it returns true; throws after `ms`. */
export async function waitFor(what: string, check: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A list of timing lines that the test file prints under `label` once all its tests ran. */
export function timingLog(label: string): string[] {
  const lines: string[] = [];
  afterAll(() => {
    process.stdout.write(`${label} script timings:\n  ${lines.join('\n  ')}\n`);
  });
  return lines;
}

/** Files in a directory, sorted, hidden ones included. */
export function listDir(dir: string): string[] {
  return readdirSync(dir).sort();
}

/** A backup-like file name `<prefix>-<UTC stamp of the date>.<ext>`. */
export function backupName(prefix: string, ext: string, date: Date): string {
  const iso = date.toISOString();
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return `${prefix}-${stamp}.${ext}`;
}

/** Copies a good backup (and a checksum naming the new file) under another name, as an older backup. */
export function plantBackup(dir: string, from: string, name: string): void {
  const data = readFileSync(join(dir, from));
  writeFileSync(join(dir, name), data);
  const sum = run('sha256sum', [join(dir, name)]).split(' ')[0];
  writeFileSync(join(dir, `${name}.sha256`), `${sum}  ${name}\n`);
}

// ---------------------------------------------------------------- mounts

const mounted: string[] = [];

/** Mounts a tmpfs of `size` at a new directory (root only: CI runs as root). */
export function tmpfs(size: string): string {
  const dir = tempDir('tmpfs');
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot mount a tmpfs at ${dir} (${r.stderr.trim()}); the failure-injection tests need root and mount(8)`);
  mounted.push(dir);
  return dir;
}

/** Remounts a tmpfs read-only. */
export function remountReadOnly(dir: string): void {
  run('mount', ['-o', 'remount,ro', dir]);
}

// ---------------------------------------------------------------- PostgreSQL

/** A PostgreSQL 15 server on loopback, with a superuser `postgres` and a password. */
export interface Postgres {
  readonly port: number;
  readonly superPassword: string;
  /** psql as the superuser (or another role), returning unaligned tuples. */
  psql(sql: string, opts?: { db?: string; user?: string; password?: string }): string;
  stop(): void;
  start(): void;
}

/** Starts PostgreSQL 15 in a temporary directory, as the `postgres` user when running as root. */
export async function startPostgres(): Promise<Postgres> {
  for (const bin of ['initdb', 'pg_ctl', 'postgres', 'pg_dump', 'pg_restore', 'psql']) {
    if (!existsSync(join(PG_BIN, bin))) throw new Error(`${PG_BIN}/${bin} is missing: install the Debian package postgresql (scripts/test.sh does)`);
  }
  const base = tempDir('pg');
  const data = join(base, 'data');
  const sock = join(base, 'sock');
  mkdirSync(sock);
  const superPassword = 'super-secret-test';
  writeFileSync(join(base, 'pw'), superPassword);
  const as = (args: string[]): [string, string[]] => (isRoot ? ['runuser', ['-u', 'postgres', '--', ...args]] : [args[0]!, args.slice(1)]);
  if (isRoot) {
    const pg = Number(run('id', ['-u', 'postgres']).trim());
    const gid = Number(run('id', ['-g', 'postgres']).trim());
    chownSync(base, pg, gid);
    chownSync(sock, pg, gid);
    chownSync(join(base, 'pw'), pg, gid);
    chmodSync(base, 0o755);
  }
  const port = await freePort();
  const [c1, a1] = as([join(PG_BIN, 'initdb'), '-D', data, '-U', 'postgres', '--auth-host=scram-sha-256', '--auth-local=scram-sha-256', `--pwfile=${join(base, 'pw')}`, '--no-sync']);
  run(c1, a1);
  const opts = `-p ${port} -k ${sock} -c listen_addresses=127.0.0.1 -c fsync=off -c max_wal_senders=0 -c wal_level=minimal`;
  const log = join(base, 'log');
  const ctl = (action: 'start' | 'stop') => {
    const [c, a] = as([join(PG_BIN, 'pg_ctl'), '-D', data, '-l', log, '-w', '-t', '60', ...(action === 'start' ? ['-o', opts] : ['-m', 'fast']), action]);
    const r = spawnSync(c, a, { encoding: 'utf8' });
    if (r.status !== 0) {
      const logText = existsSync(log) ? readFileSync(log, 'utf8') : '(no log)';
      throw new Error(`PostgreSQL did not ${action}: ${r.stdout}${r.stderr}\n${logText}`);
    }
  };
  ctl('start');
  const psql = (sql: string, o: { db?: string; user?: string; password?: string } = {}) =>
    run(join(PG_BIN, 'psql'), ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(port), '-U', o.user ?? 'postgres', '-d', o.db ?? 'postgres'], {
      env: { PATH: '/usr/bin:/bin', PGPASSWORD: o.password ?? superPassword, PGCONNECT_TIMEOUT: '10' },
      input: sql,
    });
  return { port, superPassword, psql, stop: () => ctl('stop'), start: () => ctl('start') };
}

// ---------------------------------------------------------------- Redis

/** A Redis 7 server on loopback with a password. */
export interface Redis {
  readonly port: number;
  readonly password: string;
  readonly dir: string;
  cli(...args: string[]): string;
  stop(): Promise<void>;
}

/**
 * Starts redis-server in a temporary directory, as root or as `user` (its
 * UID, GID and the supplementary groups given, like a pod with an fsGroup).
 */
export async function startRedis(opts: { dir?: string; password?: string; extra?: string[]; user?: { uid: number; gid: number; groups?: number[] } } = {}): Promise<Redis> {
  if (!existsSync('/usr/bin/redis-server')) throw new Error('/usr/bin/redis-server is missing: install the Debian package redis-server (scripts/test.sh does)');
  const dir = opts.dir ?? tempDir('redis');
  const password = opts.password ?? 'redis-test-secret';
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--requirepass', password, '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...(opts.extra ?? [])];
  const u = opts.user;
  const [cmd, argv] = u
    ? [SETPRIV, [`--reuid=${u.uid}`, `--regid=${u.gid}`, `--groups=${[u.gid, ...(u.groups ?? [])].join(',')}`, '--', '/usr/bin/redis-server', ...args]]
    : ['/usr/bin/redis-server', args];
  const child: ChildProcess = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const cli = (...a: string[]) => run('/usr/bin/redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...a], { env: { PATH: '/usr/bin:/bin', REDISCLI_AUTH: password } });
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}:\n${log}`);
    try {
      if (cli('ping').trim() === 'PONG') break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer PING within 20 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async () => {
    if (child.exitCode !== null) return;
    const closed = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await closed;
  };
  return { port, password, dir, cli, stop };
}

// ---------------------------------------------------------------- a connection that breaks

/**
 * A TCP proxy on loopback that forwards to `targetPort` and cuts both
 * connections once `cutAfterBytes` bytes came back from the server: a dump
 * cut off mid-stream, as a dropped connection or a killed server does.
 */
export async function cuttingProxy(targetPort: number, cutAfterBytes: number): Promise<{ port: number; close(): Promise<void>; bytes(): number }> {
  let passed = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d: Buffer) => {
      if (passed >= cutAfterBytes) return;
      const room = cutAfterBytes - passed;
      client.write(d.subarray(0, room));
      passed += Math.min(room, d.length);
      if (passed >= cutAfterBytes) {
        client.destroy();
        upstream.destroy();
      }
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    bytes: () => passed,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------- S3

/**
 * s3rver (an S3-compatible server from npm) in a child process, so that the
 * tests' synchronous `aws` calls cannot block it; the only access key it
 * accepts is `S3RVER` / `S3RVER`.
 */
export async function startS3rver(buckets: string[]): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const dir = tempDir('s3rver');
  const code = `
    import S3rver from 's3rver';
    const s = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: ${JSON.stringify(dir)},
      configureBuckets: ${JSON.stringify(buckets.map((name) => ({ name, configs: [] })))} });
    const { port } = await s.run();
    process.stdout.write(JSON.stringify({ port }) + '\\n');
    process.on('SIGTERM', () => s.close().then(() => process.exit(0)));
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s3rver did not start within 20 s:\n${err}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve((JSON.parse(line!) as { port: number }).port);
      }
    });
    child.on('exit', (c) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited with ${c}:\n${err}`));
    });
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const closed = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await closed;
    },
  };
}
