import type { ObjectInfo } from '../internal/objects.js';
import { join } from '../internal/paths.js';
import { arr, fmt, rec, str } from '../internal/values.js';
import type { PolicyContext } from './context.js';

/**
 * Network exposure on one object: Service type (NET-05), Ingress TLS,
 * redirect and class (NET-07), ingress-nginx annotations (NET-08).
 */

const NGINX_PREFIX = 'nginx.ingress.kubernetes.io/';

/**
 * Annotations ingress-nginx reads (docs/user-guide/nginx-configuration/annotations.md,
 * controller v1.10-v1.12). Anything else under its prefix is ignored by the
 * controller, so a typo silently drops a protection (D-SKR-12, D-WVR-08).
 */
const INGRESS_NGINX_ANNOTATIONS = new Set(
  [
    'app-root', 'affinity', 'affinity-mode', 'affinity-canary-behavior', 'auth-realm', 'auth-secret', 'auth-secret-type', 'auth-type',
    'auth-tls-secret', 'auth-tls-verify-depth', 'auth-tls-verify-client', 'auth-tls-error-page', 'auth-tls-pass-certificate-to-upstream',
    'auth-tls-match-cn', 'auth-url', 'auth-cache-key', 'auth-cache-duration', 'auth-keepalive', 'auth-keepalive-share-vars',
    'auth-keepalive-requests', 'auth-keepalive-timeout', 'auth-proxy-set-headers', 'auth-snippet', 'auth-method', 'auth-signin',
    'auth-signin-redirect-param', 'auth-response-headers', 'auth-request-redirect', 'auth-always-set-cookie', 'enable-global-auth',
    'backend-protocol', 'canary', 'canary-by-header', 'canary-by-header-value', 'canary-by-header-pattern', 'canary-by-cookie',
    'canary-weight', 'canary-weight-total', 'client-body-buffer-size', 'configuration-snippet', 'custom-http-errors', 'custom-headers',
    'default-backend', 'enable-cors', 'cors-allow-origin', 'cors-allow-methods', 'cors-allow-headers', 'cors-expose-headers',
    'cors-allow-credentials', 'cors-max-age', 'force-ssl-redirect', 'from-to-www-redirect', 'http2-push-preload', 'limit-connections',
    'limit-rps', 'limit-rpm', 'limit-burst-multiplier', 'limit-rate', 'limit-rate-after', 'limit-whitelist', 'limit-allowlist',
    'global-rate-limit', 'global-rate-limit-window', 'global-rate-limit-key', 'global-rate-limit-ignored-cidrs', 'permanent-redirect',
    'permanent-redirect-code', 'temporal-redirect', 'temporal-redirect-code', 'preserve-trailing-slash', 'proxy-body-size',
    'proxy-cookie-domain', 'proxy-cookie-path', 'proxy-connect-timeout', 'proxy-send-timeout', 'proxy-read-timeout',
    'proxy-next-upstream', 'proxy-next-upstream-timeout', 'proxy-next-upstream-tries', 'proxy-request-buffering',
    'proxy-redirect-from', 'proxy-redirect-to', 'proxy-http-version', 'proxy-ssl-secret', 'proxy-ssl-ciphers', 'proxy-ssl-name',
    'proxy-ssl-protocols', 'proxy-ssl-verify', 'proxy-ssl-verify-depth', 'proxy-ssl-server-name', 'enable-rewrite-log',
    'rewrite-target', 'satisfy', 'server-alias', 'server-snippet', 'service-upstream', 'session-cookie-name', 'session-cookie-path',
    'session-cookie-domain', 'session-cookie-change-on-failure', 'session-cookie-samesite', 'session-cookie-conditional-samesite-none',
    'session-cookie-expires', 'session-cookie-max-age', 'session-cookie-secure', 'ssl-redirect', 'ssl-passthrough', 'stream-snippet',
    'upstream-hash-by', 'upstream-hash-by-subset', 'upstream-hash-by-subset-size', 'x-forwarded-prefix', 'load-balance',
    'upstream-vhost', 'whitelist-source-range', 'allowlist-source-range', 'denylist-source-range', 'proxy-buffering',
    'proxy-buffers-number', 'proxy-buffer-size', 'proxy-max-temp-file-size', 'ssl-ciphers', 'ssl-prefer-server-ciphers',
    'connection-proxy-header', 'enable-access-log', 'enable-opentracing', 'opentracing-trust-incoming-span', 'enable-opentelemetry',
    'opentelemetry-trust-incoming-span', 'opentelemetry-operation-name', 'use-regex', 'enable-modsecurity', 'enable-owasp-core-rules',
    'modsecurity-transaction-id', 'modsecurity-snippet', 'mirror-request-body', 'mirror-target', 'mirror-host',
    'server-tokens', 'ssl-protocols',
  ].map((a) => NGINX_PREFIX + a),
);

/** What people meant by annotations ingress-nginx does not have. */
const NGINX_HINTS: Readonly<Record<string, string>> = {
  'rate-limit': 'use limit-rps or limit-rpm (with limit-burst-multiplier)',
  'rate-limit-burst': 'use limit-burst-multiplier',
  'websocket-services': 'remove it; ingress-nginx proxies WebSockets without an annotation (nginx.org/websocket-services belongs to NGINX Inc.’s controller)',
};

/** NET-05 on a Service. */
export function checkService(o: ObjectInfo, ctx: PolicyContext): void {
  const type = str(rec(o.manifest.spec)?.type);
  if (type === 'NodePort' || type === 'LoadBalancer') {
    ctx.sink.add(
      o,
      'NET-05',
      'spec.type',
      `Service is exposed outside the cluster, got type ${fmt(type)}`,
      type === 'NodePort' ? 'use ClusterIP behind an Ingress or Gateway' : 'use ClusterIP behind an Ingress or Gateway, or waive NET-05 with the reason for a LoadBalancer',
    );
  }
}

function covers(tlsHost: string, host: string): boolean {
  if (tlsHost === host) return true;
  return tlsHost.startsWith('*.') && host.endsWith(tlsHost.slice(1)) && !host.slice(0, host.length - tlsHost.length + 1).includes('.');
}

/** NET-07 and NET-08 on an Ingress. */
export function checkIngress(o: ObjectInfo, ctx: PolicyContext): void {
  const spec = rec(o.manifest.spec) ?? {};
  const report = (id: 'NET-07' | 'NET-08', path: string, message: string, fix: string) => ctx.sink.add(o, id, path, message, fix);
  const classAnnotation = o.annotations['kubernetes.io/ingress.class'];
  if (classAnnotation !== undefined) {
    report(
      'NET-07',
      join('metadata.annotations', 'kubernetes.io/ingress.class'),
      `Ingress picks its controller with the deprecated kubernetes.io/ingress.class annotation, got ${fmt(classAnnotation)}`,
      'set spec.ingressClassName and remove the annotation',
    );
  } else if (spec.ingressClassName === undefined) {
    report('NET-07', 'spec.ingressClassName', 'Ingress names no IngressClass, so it depends on a cluster default, got ingressClassName unset', 'set spec.ingressClassName');
  }
  const tlsHosts: string[] = [];
  arr(spec.tls).forEach((raw, i) => {
    const tls = rec(raw) ?? {};
    for (const h of arr(tls.hosts)) if (typeof h === 'string') tlsHosts.push(h);
    if (str(tls.secretName) === undefined) {
      report('NET-07', join('spec.tls', i, 'secretName'), 'TLS entry names no certificate Secret, so the controller serves its default certificate, got secretName unset', 'set secretName (cert-manager fills it when the Ingress has an issuer annotation)');
    }
  });
  arr(spec.rules).forEach((raw, i) => {
    const host = str(rec(raw)?.host);
    if (host === undefined) {
      report('NET-07', join('spec.rules', i, 'host'), 'Ingress rule has no host, so it answers any Host header and no TLS entry can cover it', 'set the host and list it under spec.tls');
    } else if (!tlsHosts.some((t) => covers(t, host))) {
      report('NET-07', join('spec.rules', i, 'host'), `host ${fmt(host)} has no TLS entry, so it is served over plain HTTP`, 'list the host under spec.tls with a certificate secretName');
    }
  });
  if (o.annotations[`${NGINX_PREFIX}ssl-redirect`] === 'false') {
    report('NET-07', join('metadata.annotations', `${NGINX_PREFIX}ssl-redirect`), 'Ingress turns off the HTTP to HTTPS redirect, got ssl-redirect "false"', 'remove the annotation (ingress-nginx redirects when TLS is set)');
  }
  for (const key of Object.keys(o.annotations)) {
    const nginx = key.startsWith(NGINX_PREFIX) || key.startsWith('nginx.org/');
    if (!nginx) continue;
    if (/-snippets?$/.test(key)) {
      report(
        'NET-08',
        join('metadata.annotations', key),
        `Ingress injects raw nginx configuration through ${key}, which can read the controller's secrets (CVE-2021-25742)`,
        'remove the snippet; use the dedicated annotations or a controller-level setting',
      );
    } else if (key.startsWith(NGINX_PREFIX) && !INGRESS_NGINX_ANNOTATIONS.has(key)) {
      const hint = NGINX_HINTS[key.slice(NGINX_PREFIX.length)];
      report('NET-08', join('metadata.annotations', key), `${key} is not an ingress-nginx annotation, so the controller ignores it`, hint ?? 'remove it or use the documented annotation');
    }
  }
}
