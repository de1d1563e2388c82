/**
 * The nginx configuration of a {@link StaticFrontend}: an unprivileged
 * server (no `user` directive, every temp path and the pid under a
 * writable scratch directory, logs to stdout and stderr) that serves a
 * directory, answers its own health endpoints, sends security headers on
 * every response, and optionally falls back to `index.html` for client-side
 * routes (a single-page app). Written by hand: nginx's config language has
 * no maintained renderer on npm; the tests run the result with the real
 * `nginx` binary (`nginx -t`, then serving files on loopback).
 */

/** Inputs of {@link renderNginxConf}; paths are absolute. */
export interface NginxConfOptions {
  /** Port the server listens on (1024 or above: the pod runs unprivileged). */
  readonly port: number;
  /** Directory of the static files. */
  readonly root: string;
  /** Writable directory for the pid file and temp files. */
  readonly tmpDir: string;
  /** nginx's `mime.types` file. */
  readonly mimeTypes: string;
  /** Fall back to `/index.html` for paths that are not files (client-side routing). */
  readonly spa: boolean;
  /** The runtime configuration script served at `/config.js`, when there is one. */
  readonly runtimeConfigFile?: string;
  /** `Content-Security-Policy` header value. */
  readonly contentSecurityPolicy: string;
  /** Liveness path (answers 200 while nginx runs). */
  readonly livenessPath: string;
  /** Readiness path (200 when `index.html` exists under the root, else 503). */
  readonly readinessPath: string;
}

const quote = (s: string) => `"${s.replace(/["\\]/g, '\\$&')}"`;

/** Security headers, repeated in each location that adds a header (nginx drops the inherited ones there). */
function headers(o: NginxConfOptions, cacheControl?: string): string[] {
  return [
    `add_header X-Content-Type-Options "nosniff" always;`,
    `add_header X-Frame-Options "DENY" always;`,
    `add_header Referrer-Policy "strict-origin-when-cross-origin" always;`,
    `add_header Content-Security-Policy ${quote(o.contentSecurityPolicy)} always;`,
    ...(cacheControl ? [`add_header Cache-Control ${quote(cacheControl)} always;`] : []),
  ];
}

/** The server block's locations. */
function locations(o: NginxConfOptions): string[] {
  const block = (match: string, body: string[]) => [`location ${match} {`, ...body.map((l) => `  ${l}`), '}'];
  return [
    ...block(`= ${o.livenessPath}`, ['access_log off;', 'default_type text/plain;', 'return 200 "ok\\n";']),
    ...block(`= ${o.readinessPath}`, ['access_log off;', 'default_type text/plain;', 'try_files /index.html =503;']),
    ...(o.runtimeConfigFile ? block('= /config.js', [`alias ${o.runtimeConfigFile};`, 'default_type application/javascript;', ...headers(o, 'no-store')]) : []),
    // index.html names the hashed bundles, so it must never be cached.
    ...block('= /index.html', [...headers(o, 'no-cache')]),
    ...block('/', [o.spa ? 'try_files $uri $uri/ /index.html;' : 'try_files $uri $uri/ =404;', ...headers(o)]),
  ];
}

/** Renders `nginx.conf`. */
export function renderNginxConf(o: NginxConfOptions): string {
  const lines = [
    'worker_processes auto;',
    'daemon off;',
    `pid ${o.tmpDir}/nginx.pid;`,
    'error_log stderr warn;',
    'events {',
    '  worker_connections 1024;',
    '}',
    'http {',
    `  include ${o.mimeTypes};`,
    '  default_type application/octet-stream;',
    '  access_log /dev/stdout;',
    '  server_tokens off;',
    '  sendfile on;',
    '  keepalive_timeout 65;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${o.tmpDir}/${t}_temp;`),
    '  gzip on;',
    '  gzip_min_length 1024;',
    '  gzip_types text/css application/javascript application/json image/svg+xml text/plain;',
    '  server {',
    `    listen ${o.port};`,
    '    server_name _;',
    `    root ${o.root};`,
    '    index index.html;',
    // Redirects stay relative: behind the ingress the pod's own port and scheme are wrong.
    '    absolute_redirect off;',
    ...locations(o).map((l) => `    ${l}`),
    '  }',
    '}',
  ];
  return `${lines.join('\n')}\n`;
}

/** The runtime configuration script: one global object the app reads at start, instead of values inlined at build time. */
export function renderRuntimeConfig(globalName: string, values: Readonly<Record<string, string>>): string {
  return `window.${globalName} = Object.freeze(${JSON.stringify(values, null, 2)});\n`;
}
