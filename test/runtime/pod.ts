import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseQuantity } from '../../lib/core/quantity.js';
import { nodeBinary, runtimeNodeVersion } from '../../scripts/node-binary.mjs';
import type { Obj } from '../util.js';

/** The repository's runtime/ package. */
export const RUNTIME_DIR = resolve(import.meta.dirname, '..', '..', 'runtime');

/** The PATH the runtime image sets (distroless's), and what the kubelet adds to every container. */
const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The official Node binary of the version the runtime image runs (runtime/.node-version). */
export function runtimeNode(): string {
  return nodeBinary(runtimeNodeVersion());
}

/** The image's command: the exec-form CMD of runtime/Dockerfile (the entrypoint is node). */
export function imageCommand(): string[] {
  const dockerfile = readFileSync(join(RUNTIME_DIR, 'Dockerfile'), 'utf8');
  const cmds = [...dockerfile.matchAll(/^CMD\s+(\[.*\])\s*$/gm)];
  if (cmds.length === 0) throw new Error('runtime/Dockerfile has no exec-form CMD');
  return JSON.parse(cmds[cmds.length - 1]![1]!) as string[];
}

/**
 * The container's environment as the kubelet builds it: the image's PATH,
 * HOSTNAME, the API server variables every pod gets, then `env` in order
 * with `secretKeyRef` and `fieldRef` resolved from `secrets` and `fields`.
 */
export function containerEnv(container: Obj, secrets: Record<string, string>, fields: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {
    PATH: IMAGE_PATH,
    HOSTNAME: fields['metadata.name'] ?? 'pod',
    KUBERNETES_SERVICE_HOST: '10.96.0.1',
    KUBERNETES_SERVICE_PORT: '443',
  };
  for (const e of (container.env ?? []) as Obj[]) {
    if (typeof e.value === 'string') env[e.name] = e.value;
    else if (e.valueFrom?.secretKeyRef) {
      const ref = `${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`;
      if (!(ref in secrets)) throw new Error(`env ${e.name} references Secret key ${ref}, which the test does not provide`);
      env[e.name] = secrets[ref]!;
    } else if (e.valueFrom?.fieldRef) {
      const path = e.valueFrom.fieldRef.fieldPath as string;
      if (!(path in fields)) throw new Error(`env ${e.name} references pod field ${path}, which the test does not provide`);
      env[e.name] = fields[path]!;
    } else throw new Error(`env ${e.name} has a source the test cannot resolve: ${JSON.stringify(e.valueFrom)}`);
  }
  return env;
}

/** The port number of a container port given by name or number. */
export function containerPort(container: Obj, port: string | number): number {
  if (typeof port === 'number') return port;
  const found = ((container.ports ?? []) as Obj[]).find((p) => p.name === port);
  if (!found) throw new Error(`container ${container.name} has no port named ${port}`);
  return found.containerPort as number;
}

/** emptyDir mounts of the container: path and size limit in bytes. */
export function emptyDirMounts(container: Obj, volumes: Obj[]): { path: string; bytes: number }[] {
  return ((container.volumeMounts ?? []) as Obj[]).flatMap((m) => {
    const v = volumes.find((x) => x.name === m.name);
    if (!v?.emptyDir) return [];
    const bytes = v.emptyDir.sizeLimit ? parseQuantity(v.emptyDir.sizeLimit as string) : undefined;
    if (bytes === undefined) throw new Error(`emptyDir ${m.name} has no size limit the test can read`);
    return [{ path: m.mountPath as string, bytes }];
  });
}

/** A runtime process started like the container. */
export interface Pod {
  readonly pid: number;
  readonly startedAt: number;
  /** stdout lines so far. */
  readonly stdout: string[];
  /** stderr text so far. */
  readonly stderr: () => string;
  /** Resolves with the exit code (or signal) and when it happened. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  readonly child: ChildProcess;
}

// Sets up the container's view inside new network and mount namespaces, as
// root, then drops to the pod's UID and GID for good: loopback up; the app
// and the Node binary bound at /mnt/app and /mnt/node on a tmpfs (as the
// image has them at /app and /nodejs, and so that the UID can reach them
// whatever the permissions above the checkout); every mount read-only
// (readOnlyRootFilesystem); a size-limited tmpfs at each emptyDir path; no
// capabilities, no privilege escalation.
const SANDBOX = `set -eu
app=$1 nodedir=$2 uid=$3 gid=$4 dirs=$5; shift 5
ip link set lo up
mount -t tmpfs -o size=1m,mode=755 podroot /mnt
mkdir /mnt/app /mnt/node
mount --bind "$app" /mnt/app
mount --bind "$nodedir" /mnt/node
awk '{print $2}' /proc/self/mounts | sort -u | while read -r m; do
  mount -o remount,bind,ro "$(printf '%b' "$m")" 2>/dev/null || true
done
cd /mnt/app
for d in / /mnt/app /mnt/node; do
  if touch "$d/.cap-rw-check" 2>/dev/null; then rm -f "$d/.cap-rw-check"; echo "pod sandbox: $d is still writable" >&2; exit 90; fi
done
for spec in $dirs; do
  mount -t tmpfs -o "size=\${spec%%=*},mode=1777" emptydir "\${spec#*=}"
done
exec setpriv --reuid="$uid" --regid="$gid" --clear-groups --no-new-privs --inh-caps=-all --bounding-set=-all -- /mnt/node/bin/node "$@"
`;

/** Whether this process may create namespaces and switch users (CI runs as root). */
export function canSandbox(): boolean {
  return process.getuid?.() === 0 && spawnSync('unshare', ['--net', '--mount', 'true']).status === 0;
}

/**
 * Starts `command` (the image's, run by `node`) from the app directory `cwd`
 * with exactly `env`, in its own network namespace (so it listens on the
 * Deployment's own ports without touching the machine's), with a read-only
 * root filesystem, the emptyDirs as tmpfs, and as `uid`:`gid`.
 */
export function startPod(opts: { node: string; command: string[]; cwd: string; env: Record<string, string>; uid: number; gid: number; emptyDirs: { path: string; bytes: number }[] }): Pod {
  if (!canSandbox()) {
    throw new Error('the runtime contract test runs the pod in its own network and mount namespaces as UID 10001, which needs root (CI runs as root): run npm test as root');
  }
  const dirs = opts.emptyDirs.map((d) => `${d.bytes}=${d.path}`).join(' ');
  const startedAt = Date.now();
  const nodeDir = dirname(dirname(opts.node));
  const child = spawn('unshare', ['--net', '--mount', '--propagation', 'private', '--', 'sh', '-c', SANDBOX, 'pod', opts.cwd, nodeDir, String(opts.uid), String(opts.gid), dirs, ...opts.command], {
    cwd: '/',
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  let partial = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop()!;
    stdout.push(...lines);
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((done) =>
    child.on('exit', (code, signal) => {
      const at = Date.now();
      if (partial) stdout.push(partial);
      done({ code, signal, at });
    }),
  );
  return { pid: child.pid!, startedAt, stdout, stderr: () => stderr, exited, child };
}

/** Runs the pod client (test/runtime/pod-client.mjs) inside the pod's network namespace and returns its report. */
export function runPodClient(pod: Pod, plan: Record<string, unknown>): Promise<Obj> {
  return new Promise((done, fail) => {
    const script = join(import.meta.dirname, 'pod-client.mjs');
    const c = spawn('nsenter', [`--net=/proc/${pod.pid}/ns/net`, '--', process.execPath, script, JSON.stringify(plan)], { stdio: ['ignore', 'pipe', 'pipe'], cwd: resolve(RUNTIME_DIR, '..') });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    c.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    c.on('exit', (code) => {
      try {
        const report = JSON.parse(out) as Obj;
        if (report.error) fail(new Error(`pod client: ${report.error}\n${err}`));
        else done(report);
      } catch {
        fail(new Error(`pod client exited ${code} without a report: ${out}\n${err}`));
      }
    });
  });
}
