import { isSnippetAnnotation, KNOWN_NGINX_ANNOTATIONS, NGINX_ANNOTATION_PREFIX } from '../../exposure/nginx-annotations.js';
import type { ObjectInfo } from '../internal/objects.js';
import { join } from '../internal/paths.js';
import { arr, fmt, rec, str } from '../internal/values.js';
import type { PolicyContext } from './context.js';

/**
 * Network exposure on one object: Service type (NET-05), Ingress TLS,
 * redirect and class (NET-07), ingress-nginx annotations (NET-08).
 */

// The annotations ingress-nginx reads and the snippet test are the ones the
// Ingress exposure uses (lib/exposure/nginx-annotations.ts, re-exported by
// exposure.ts; imported from the import-free module so the CLI does not load
// cdk8s). Anything else under the prefix is ignored by the controller, so a
// typo silently drops a protection (D-SKR-12, D-WVR-08).
const NGINX_PREFIX = NGINX_ANNOTATION_PREFIX;

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
    if (isSnippetAnnotation(key)) {
      report(
        'NET-08',
        join('metadata.annotations', key),
        `Ingress injects raw nginx configuration through ${key}, which can read the controller's secrets (CVE-2021-25742)`,
        'remove the snippet; use the dedicated annotations or a controller-level setting',
      );
    } else if (key.startsWith(NGINX_PREFIX) && !KNOWN_NGINX_ANNOTATIONS.has(key.slice(NGINX_PREFIX.length))) {
      const hint = NGINX_HINTS[key.slice(NGINX_PREFIX.length)];
      report('NET-08', join('metadata.annotations', key), `${key} is not an ingress-nginx annotation, so the controller ignores it`, hint ?? 'remove it or use the documented annotation');
    }
  }
}
