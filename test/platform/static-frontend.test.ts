import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticFrontend, type StaticFrontendProps } from '../../lib/index.js';
import { errorOf, one, synth, type Obj } from '../util.js';

const base: StaticFrontendProps = {
  name: 'sark-ui',
  namespace: 'sark',
  image: 'registry.example.com/sark-frontend:1.0.0',
  runtimeConfig: { VITE_API_BASE_URL: 'https://sark.example.com/api', VITE_ENABLE_WEBSOCKETS: 'true' },
};

function build(props: Partial<StaticFrontendProps> = {}): Obj[] {
  return synth((chart) => new StaticFrontend(chart, 'Ui', { ...base, ...props }), { profile: props.profile ?? 'production' });
}

describe('StaticFrontend', () => {
  it('synthesizes an unprivileged nginx on 8080 under Pod Security restricted (snapshot)', () => {
    const objs = build();
    expect(objs).toMatchSnapshot();
    const pod = one(objs, 'Deployment').spec.template.spec;
    const c = pod.containers[0];
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(c.command).toEqual(['nginx', '-e', 'stderr', '-c', '/etc/nginx/frontend/nginx.conf']);
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(pod.securityContext.runAsUser).toBe(10101);
    expect(c.lifecycle.preStop.exec.command).toEqual(['/bin/sleep', '5']);
    expect(pod.terminationGracePeriodSeconds).toBe(15);
    expect(c.livenessProbe.httpGet.path).not.toBe(c.readinessProbe.httpGet.path);
    expect(one(objs, 'Service').spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
    expect(one(objs, 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
    const np = one(objs, 'NetworkPolicy').spec;
    expect(np.egress).toEqual([]);
    expect(np.ingress[0].ports).toEqual([{ port: 8080, protocol: 'TCP' }]);
  });

  it('serves runtime configuration from /config.js instead of build-time env (D-SRK-11)', () => {
    const cm = one(build(), 'ConfigMap');
    expect(cm.data['config.js']).toBe(
      'window.__APP_CONFIG__ = Object.freeze({\n  "VITE_API_BASE_URL": "https://sark.example.com/api",\n  "VITE_ENABLE_WEBSOCKETS": "true"\n});\n',
    );
    expect(one(build({ runtimeConfig: undefined }), 'ConfigMap').data['config.js']).toBeUndefined();
  });

  it('rolls the pods when the configuration changes', () => {
    const a = one(build(), 'Deployment').spec.template.metadata.annotations['checksum/config'];
    const b = one(build({ spa: false }), 'Deployment').spec.template.metadata.annotations['checksum/config'];
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).not.toBe(b);
  });

  it('admits a declared caller with allowFrom and refuses a port it does not serve', () => {
    const objs = synth((chart) => {
      const ui = new StaticFrontend(chart, 'Ui', base);
      ui.allowFrom({ podLabels: { 'app.kubernetes.io/name': 'checker' } });
    }, { external: ['Pod/sark/checker'] });
    expect(one(objs, 'NetworkPolicy').spec.ingress[1]).toEqual({ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'checker' } } }], ports: [{ port: 8080, protocol: 'TCP' }] });
    expect(errorOf(() => synth((chart) => new StaticFrontend(chart, 'Ui', base).allowFrom({ podLabels: {} }, ['metrics'])))).toBe(
      'test/Ui: allowFrom names port "metrics", which sark-ui does not serve; use http',
    );
  });

  it('rejects a privileged port, a secret in the public config, and one replica in production', () => {
    expect(errorOf(() => build({ port: 80, runtimeConfig: { VITE_API_TOKEN: 'abc' }, replicas: 1 }))).toBe(
      [
        'invalid props for test/Ui:',
        '  test/Ui props.port: is below 1024, which a non-root container without capabilities cannot bind (D-SRK-12), got 80; use 8080',
        "  test/Ui props.replicas: is below 2, the production minimum, got 1; use at least 2, or profile 'dev'",
        '  test/Ui props.runtimeConfig.VITE_API_TOKEN: looks like a secret, and /config.js is public, got "abc"; keep secrets on the server side; the browser may only hold public values',
      ].join('\n'),
    );
  });
});

/** A free loopback port. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe('the generated nginx.conf, run by the real nginx', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cap-nginx-'));
  const [root, tmp, config] = ['html', 'tmp', 'config'].map((d) => join(dir, d)) as [string, string, string];
  let nginx: ChildProcess | undefined;
  let port = 0;
  // As root (CI), nginx runs as an unprivileged UID, as in the pod.
  const asUser = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'] : [];
  const url = (path: string) => `http://127.0.0.1:${port}${path}`;

  beforeAll(async () => {
    port = await freePort();
    const cm = one(build(), 'ConfigMap');
    const conf = (cm.data['nginx.conf'] as string)
      .replaceAll(' /tmp/', ` ${tmp}/`)
      .replaceAll('/etc/nginx/frontend/', `${config}/`)
      .replace('root /usr/share/nginx/html;', `root ${root};`)
      .replace('listen 8080;', `listen 127.0.0.1:${port};`);
    for (const d of [root, tmp, config, join(root, 'assets')]) mkdirSync(d, { recursive: true });
    writeFileSync(join(config, 'nginx.conf'), conf);
    writeFileSync(join(config, 'config.js'), cm.data['config.js']);
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>sark</title><script src="/config.js"></script>');
    writeFileSync(join(root, 'assets', 'app.3f2a.js'), 'console.log("app");');
    chmodSync(dir, 0o755);
    if (asUser.length > 0) chownSync(tmp, 65534, 65534);

    // The access log goes to /dev/stdout, which in a pod is the container
    // runtime's pipe or file; here it is a file (a socket cannot be reopened).
    const stdout = openSync(join(dir, 'stdout.log'), 'w');
    if (asUser.length > 0) chownSync(join(dir, 'stdout.log'), 65534, 65534);
    const check = spawnSync(asUser[0] ?? 'nginx', [...asUser.slice(1), ...(asUser.length > 0 ? ['nginx'] : []), '-t', '-e', 'stderr', '-c', join(config, 'nginx.conf')], {
      encoding: 'utf8',
      stdio: ['ignore', stdout, 'pipe'],
    });
    expect(check.stderr).toContain('test is successful');
    expect(check.status).toBe(0);

    nginx = spawn(asUser[0] ?? 'nginx', [...asUser.slice(1), ...(asUser.length > 0 ? ['nginx'] : []), '-e', 'stderr', '-c', join(config, 'nginx.conf')], { stdio: ['ignore', stdout, 'ignore'] });
    closeSync(stdout);
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(url('/healthz'))).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('nginx did not start');
  }, 20_000);

  afterAll(() => {
    if (nginx?.pid) nginx.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves a file, with the security headers', async () => {
    const res = await fetch(url('/assets/app.3f2a.js'));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('console.log("app");');
    expect(res.headers.get('content-type')).toBe('application/javascript');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('server')).toBe('nginx');
  });

  it('answers a client-side route with index.html (SPA fallback), never cached', async () => {
    for (const path of ['/', '/dashboard/servers/42']) {
      const res = await fetch(url(path));
      expect(res.status, path).toBe(200);
      expect(await res.text(), path).toContain('<title>sark</title>');
    }
    const index = await fetch(url('/index.html'));
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('x-frame-options')).toBe('DENY');
  });

  it('serves the runtime configuration uncached', async () => {
    const res = await fetch(url('/config.js'));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.text()).toContain('"VITE_API_BASE_URL": "https://sark.example.com/api"');
  });

  it('is live while running, and ready only while index.html exists', async () => {
    expect((await fetch(url('/healthz'))).status).toBe(200);
    expect((await fetch(url('/readyz'))).status).toBe(200);
    rmSync(join(root, 'index.html'));
    expect((await fetch(url('/readyz'))).status).toBe(503);
    expect((await fetch(url('/healthz'))).status).toBe(200);
  });

  it('logs requests to stdout, but not the probes', () => {
    const log = readFileSync(join(dir, 'stdout.log'), 'utf8');
    expect(log).toContain('"GET /assets/app.3f2a.js HTTP/1.1" 200');
    expect(log).not.toContain('/healthz');
  });
});
