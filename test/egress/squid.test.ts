import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { squidConfig } from '../../lib/egress/squid.js';

// The generated squid.conf, parsed and run by the real Squid (Debian's
// `squid` package): CONNECT through it on loopback to a local server, for
// names the allow-list admits and names it refuses.

const RULES = [
  { domains: ['api.allowed.test', '*.one.test', '**.deep.test'], ports: [0] },
  { domains: ['other.allowed.test'], ports: [1] },
];
const HOSTS = ['api.allowed.test', 'eu.one.test', 'a.eu.one.test', 'one.test', 'x.deep.test', 'a.b.deep.test', 'deep.test', 'denied.test', 'other.allowed.test'];

let dir: string;
let target: Server;
let other: Server;
let targetPort: number;
let otherPort: number;
const squids: ChildProcess[] = [];

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** The config for the test's ports, with the names resolving to loopback through a hosts file. */
function config(proxyPort: number, options: { allowLoopback: boolean }): string {
  const rules = RULES.map((r, i) => ({ ...r, ports: [i === 0 ? targetPort : otherPort] }));
  let text = squidConfig({ port: proxyPort, rules });
  // The target listens on loopback, which the baseline refuses; one proxy
  // runs the config as generated, the other with loopback taken out of it.
  if (options.allowLoopback) text = text.replace(' 127.0.0.0/8', '');
  return `${text}hosts_file ${join(dir, 'hosts')}\n`;
}

async function startSquid(conf: string, port: number): Promise<void> {
  const file = join(dir, `squid-${port}.conf`);
  writeFileSync(file, conf);
  // As in the pod: a non-root UID (the proxy's default), never root. It may
  // not reopen a pipe of this process as /dev/stdout, so the output goes to
  // /dev/null. Two instances at once need their own service names.
  const child = spawn('setpriv', ['--reuid', '10001', '--regid', '10001', '--clear-groups', 'squid', '-N', '-n', `egress${port}`, '-f', file], { stdio: 'ignore' });
  squids.push(child);
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1', () => (c.end(), resolve(true)));
      c.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('squid did not start');
}

/** The status code Squid answers a CONNECT with, and what the tunnel returned. */
function tunnel(proxyPort: number, host: string, port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const c = connect(proxyPort, '127.0.0.1', () => c.write(`CONNECT ${host}:${port} HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`));
    let data = '';
    let sent = false;
    c.on('data', (chunk) => {
      data += chunk.toString();
      const status = Number(/^HTTP\/1\.\d (\d{3})/.exec(data)?.[1]);
      if (status && status !== 200) {
        resolve({ status, body: data });
        c.destroy();
      } else if (status === 200 && data.includes('\r\n\r\n') && !sent) {
        sent = true;
        c.write('ping\n');
      }
      if (data.includes('pong:ping')) {
        resolve({ status, body: 'pong:ping' });
        c.destroy();
      }
    });
    c.on('error', reject);
    setTimeout(() => reject(new Error(`no answer for ${host}`)), 10_000);
  });
}

describe('egress proxy squid.conf with the real Squid', () => {
  let strict: number;
  let open: number;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'squid-egress-'));
    // Squid runs as another user than the test.
    chmodSync(dir, 0o755);
    target = createServer((s) => s.on('data', (d) => s.write(`pong:${d.toString().trim()}`)));
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    targetPort = (target.address() as AddressInfo).port;
    other = createServer((s) => s.on('data', (d) => s.write(`pong:${d.toString().trim()}`)));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    otherPort = (other.address() as AddressInfo).port;
    writeFileSync(join(dir, 'hosts'), HOSTS.map((h) => `127.0.0.1 ${h}`).join('\n') + '\n');
    [strict, open] = [await freePort(), await freePort()];
    await startSquid(config(strict, { allowLoopback: false }), strict);
    await startSquid(config(open, { allowLoopback: true }), open);
  }, 30_000);
  afterAll(() => {
    for (const s of squids) s.kill('SIGKILL');
    target?.close();
    other?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('parses (squid -k parse)', () => {
    const file = join(dir, 'parse.conf');
    writeFileSync(file, squidConfig({ port: 3128, rules: [{ domains: ['api.openai.com', '*.example.com', '**.example.org'], ports: [443, 8443] }] }));
    const r = spawnSync('squid', ['-k', 'parse', '-f', file], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/ERROR|FATAL|WARNING/);
  });

  it.each([
    ['api.allowed.test', 0, 200],
    ['eu.one.test', 0, 200],
    ['a.eu.one.test', 0, 403],
    ['one.test', 0, 403],
    ['x.deep.test', 0, 200],
    ['a.b.deep.test', 0, 200],
    ['deep.test', 0, 403],
    ['denied.test', 0, 403],
    ['api.allowed.test', 1, 403],
    ['other.allowed.test', 1, 200],
    ['other.allowed.test', 0, 403],
    ['127.0.0.1', 0, 403],
  ] as const)('CONNECT %s (rule %i port) answers %i', async (host, rule, status) => {
    const r = await tunnel(open, host, rule === 0 ? targetPort : otherPort);
    expect(r.status, r.body.slice(0, 2000)).toBe(status);
    if (status === 200) expect(r.body).toBe('pong:ping');
  });

  it('refuses an allowed name that resolves into the baseline (loopback here, metadata or private in a cluster)', async () => {
    expect((await tunnel(strict, 'api.allowed.test', targetPort)).status).toBe(403);
  });
});
