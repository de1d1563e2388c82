/**
 * ingress-nginx annotations, one list for the library and its checks: the
 * Ingress exposure accepts exactly these in `extraAnnotations` (by short name
 * or full key), and NET-08 flags any other key under the controller's prefix,
 * since a misspelt annotation is silently ignored by the controller
 * (D-SKR-12: `rate-limit` does not exist; D-WVR-08). Snippet annotations
 * (`*-snippet`) are read by the controller but never accepted
 * (CVE-2021-25742, NET-08): {@link isSnippetAnnotation} recognises them.
 *
 * Apart from exposure.ts (which re-exports both) and free of imports, so the
 * validation CLI reads the list without loading cdk8s and the generated API
 * objects.
 * @see https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/
 */

/** The prefix of ingress-nginx annotation keys. */
export const NGINX_ANNOTATION_PREFIX = 'nginx.ingress.kubernetes.io/';

/** ingress-nginx annotations by short name (controller v1.10-v1.12), snippets excluded. */
export const KNOWN_NGINX_ANNOTATIONS = new Set([
  'affinity', 'affinity-canary-behavior', 'affinity-mode', 'allowlist-source-range', 'app-root',
  'auth-always-set-cookie', 'auth-cache-duration', 'auth-cache-key', 'auth-keepalive', 'auth-keepalive-requests',
  'auth-keepalive-share-vars', 'auth-keepalive-timeout', 'auth-method', 'auth-proxy-set-headers', 'auth-realm',
  'auth-request-redirect', 'auth-response-headers', 'auth-secret', 'auth-secret-type', 'auth-signin',
  'auth-signin-redirect-param', 'auth-tls-error-page', 'auth-tls-match-cn', 'auth-tls-pass-certificate-to-upstream',
  'auth-tls-secret', 'auth-tls-verify-client', 'auth-tls-verify-depth', 'auth-type', 'auth-url', 'backend-protocol',
  'canary', 'canary-by-cookie', 'canary-by-header', 'canary-by-header-pattern', 'canary-by-header-value',
  'canary-weight', 'canary-weight-total', 'client-body-buffer-size', 'connection-proxy-header', 'cors-allow-credentials',
  'cors-allow-headers', 'cors-allow-methods', 'cors-allow-origin', 'cors-expose-headers', 'cors-max-age',
  'custom-headers', 'custom-http-errors', 'default-backend', 'denylist-source-range', 'enable-access-log', 'enable-cors',
  'enable-global-auth', 'enable-modsecurity', 'enable-opentelemetry', 'enable-opentracing', 'enable-owasp-core-rules',
  'enable-rewrite-log', 'force-ssl-redirect', 'from-to-www-redirect', 'global-rate-limit',
  'global-rate-limit-ignored-cidrs', 'global-rate-limit-key', 'global-rate-limit-window', 'http2-push-preload',
  'limit-allowlist', 'limit-burst-multiplier', 'limit-connections', 'limit-rate', 'limit-rate-after', 'limit-rpm',
  'limit-rps', 'limit-whitelist', 'load-balance', 'mirror-host', 'mirror-request-body', 'mirror-target',
  'modsecurity-transaction-id', 'opentelemetry-operation-name', 'opentelemetry-trust-incoming-span',
  'opentracing-trust-incoming-span', 'permanent-redirect', 'permanent-redirect-code', 'preserve-trailing-slash',
  'proxy-body-size', 'proxy-buffer-size', 'proxy-buffering', 'proxy-buffers-number', 'proxy-connect-timeout',
  'proxy-cookie-domain', 'proxy-cookie-path', 'proxy-http-version', 'proxy-max-temp-file-size', 'proxy-next-upstream',
  'proxy-next-upstream-timeout', 'proxy-next-upstream-tries', 'proxy-read-timeout', 'proxy-redirect-from',
  'proxy-redirect-to', 'proxy-request-buffering', 'proxy-send-timeout', 'proxy-ssl-ciphers', 'proxy-ssl-name',
  'proxy-ssl-protocols', 'proxy-ssl-secret', 'proxy-ssl-server-name', 'proxy-ssl-verify', 'proxy-ssl-verify-depth',
  'rewrite-target', 'satisfy', 'server-alias', 'server-tokens', 'service-upstream', 'session-cookie-change-on-failure',
  'session-cookie-conditional-samesite-none', 'session-cookie-domain', 'session-cookie-expires',
  'session-cookie-max-age', 'session-cookie-name', 'session-cookie-path', 'session-cookie-samesite',
  'session-cookie-secure', 'ssl-ciphers', 'ssl-passthrough', 'ssl-prefer-server-ciphers', 'ssl-protocols',
  'ssl-redirect', 'temporal-redirect', 'temporal-redirect-code', 'upstream-hash-by', 'upstream-hash-by-subset',
  'upstream-hash-by-subset-size', 'upstream-vhost', 'use-regex', 'whitelist-source-range', 'x-forwarded-prefix',
]);

/**
 * Whether an annotation key (full, or the short name after the prefix)
 * injects raw nginx configuration: ingress-nginx's `*-snippet`
 * (configuration-, server-, auth-, stream-, modsecurity-snippet) and NGINX
 * Inc.'s `nginx.org/*-snippets`.
 */
export function isSnippetAnnotation(key: string): boolean {
  return /-snippets?$/.test(key);
}
