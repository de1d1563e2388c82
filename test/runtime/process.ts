import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../backup/harness.js';
import { imageCommand, runtimeNode, RUNTIME_DIR } from './pod.js';

/** A runtime started on free loopback ports, on the image's Node version. */
export interface RuntimeProcess {
  readonly port: number;
  readonly metricsPort: number;
  readonly url: string;
  readonly child: ChildProcess;
  /** stdout lines, parsed as JSON. */
  readonly logs: () => Record<string, unknown>[];
  readonly exited: Promise<{ code: number | null; at: number }>;
  stop(): Promise<void>;
}

/**
 * Starts the runtime with `env` (over PORT, METRICS_PORT and HOST on free
 * loopback ports) and waits until `/healthz` answers.
 */
export async function startRuntime(env: Record<string, string>): Promise<RuntimeProcess> {
  const port = await freePort();
  const metricsPort = await freePort();
  const child = spawn(runtimeNode(), imageCommand(), {
    cwd: RUNTIME_DIR,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOST: '127.0.0.1', PORT: String(port), METRICS_PORT: String(metricsPort), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const exited = new Promise<{ code: number | null; at: number }>((done) => child.on('exit', (code) => done({ code, at: Date.now() })));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the runtime exited ${child.exitCode}: ${err}${out}`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`the runtime did not answer /healthz within 30 s: ${err}${out}`);
    await sleep(50);
  }
  return {
    port,
    metricsPort,
    url,
    child,
    exited,
    logs: () =>
      out
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Runs the runtime to its exit with `env` (on free loopback ports unless `env` sets them): for configurations it must refuse. */
export async function runRuntime(env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const ports = { PORT: String(await freePort()), METRICS_PORT: String(await freePort()) };
  const r = spawnSync(runtimeNode(), imageCommand(), { cwd: RUNTIME_DIR, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOST: '127.0.0.1', ...ports, ...env }, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** POSTs an invocation of agent `assistant`. */
export function invoke(rt: RuntimeProcess, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${rt.url}/v1/agents/assistant/invoke`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}
