import { looksLikeSecretName } from '../../core/secret-names.js';
import { POD_SECURITY_EXCEPTION_ANNOTATION, WAIVER_ANNOTATION_PREFIX } from '../internal/annotations.js';
import { isCheckId } from '../internal/checks.js';
import type { ObjectInfo } from '../internal/objects.js';
import { join } from '../internal/paths.js';
import { fmt, rec } from '../internal/values.js';
import { secretLikeValue } from './containers.js';
import type { PolicyContext } from './context.js';

/**
 * Checks on an object as a whole: its namespace (NS-01), a Namespace's Pod
 * Security labels (PSS-18), ConfigMap credentials (SEC-06), literal Secrets
 * (SEC-08), and the waiver annotations themselves (WAIVER-01, WAIVER-02).
 */

const SYSTEM_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);
const PSA = 'pod-security.kubernetes.io/';

/** NS-01 on a namespaced object. */
export function checkNamespace(o: ObjectInfo, ctx: PolicyContext): void {
  if (!o.namespaced) return;
  if (o.namespace === undefined || o.namespace === '') {
    ctx.sink.add(o, 'NS-01', 'metadata.namespace', `${o.kind} has no namespace, so it lands wherever it is applied (usually default)`, 'set metadata.namespace to the workload namespace');
  } else if (SYSTEM_NAMESPACES.has(o.namespace)) {
    ctx.sink.add(o, 'NS-01', 'metadata.namespace', `${o.kind} is placed in a system namespace, got namespace ${fmt(o.namespace)}`, 'use a dedicated namespace for the workload');
  }
}

/** PSS-18 on a Namespace: enforce, audit and warn `restricted`, each with a pinned version. */
export function checkPodSecurityLabels(o: ObjectInfo, ctx: PolicyContext): void {
  const labels = o.labels;
  const reason = o.annotations[POD_SECURITY_EXCEPTION_ANNOTATION]?.trim();
  for (const mode of ['enforce', 'audit', 'warn'] as const) {
    const key = PSA + mode;
    const level = labels[key];
    const path = join('metadata.labels', key);
    if (level !== 'restricted') {
      const fix = `set ${key}: restricted, or record why the namespace needs less in the ${POD_SECURITY_EXCEPTION_ANNOTATION} annotation`;
      const message = `namespace does not ${mode} pod security restricted, got ${key} ${fmt(level)}`;
      if (mode === 'enforce' && (level === 'privileged' || level === 'baseline') && reason) {
        ctx.sink.addWaived(o, 'PSS-18', path, message, fix, reason);
      } else if (mode === 'enforce' && reason === '') {
        ctx.sink.add(o, 'PSS-18', path, `${message}, and the ${POD_SECURITY_EXCEPTION_ANNOTATION} annotation gives no reason`, fix);
      } else {
        ctx.sink.add(o, 'PSS-18', path, message, fix);
      }
    }
    if (level !== undefined) {
      const versionKey = `${key}-version`;
      const version = labels[versionKey];
      if (version === undefined || !/^v1\.\d+$/.test(version)) {
        ctx.sink.add(
          o,
          'PSS-18',
          join('metadata.labels', versionKey),
          `namespace does not pin the ${mode} policy version, so a cluster upgrade changes what is ${mode === 'enforce' ? 'admitted' : 'reported'}, got ${versionKey} ${fmt(version)}`,
          `pin it to the target minor version, like "v${ctx.version}"`,
        );
      }
    }
  }
}

/** SEC-08 on a Secret: no literal data in synthesized output. */
export function checkSecret(o: ObjectInfo, ctx: PolicyContext): void {
  for (const field of ['stringData', 'data'] as const) {
    const data = rec(o.manifest[field]);
    const keys = data ? Object.keys(data) : [];
    if (keys.length > 0) {
      ctx.sink.add(
        o,
        'SEC-08',
        field,
        `Secret carries literal values in ${field}, which end up in Git and the synth output, got keys ${keys.join(', ')}`,
        'replace it with an ExternalSecret or SealedSecret that produces the Secret in the cluster',
      );
    }
  }
}

/** SEC-06 on a ConfigMap: no credentials by key name or by value. */
export function checkConfigMap(o: ObjectInfo, ctx: PolicyContext): void {
  for (const [key, value] of Object.entries(rec(o.manifest.data) ?? {})) {
    if (typeof value !== 'string' || value === '') continue;
    const why = secretLikeValue(value);
    if (why) {
      ctx.sink.add(o, 'SEC-06', join('data', key), `ConfigMap key ${key} holds ${why}`, 'move it to a Secret produced by an ExternalSecret or SealedSecret');
    } else if (looksLikeSecretName(key)) {
      ctx.sink.add(o, 'SEC-06', join('data', key), `ConfigMap key ${key} looks like a credential and holds a literal value`, 'move it to a Secret produced by an ExternalSecret or SealedSecret');
    }
  }
}

/** WAIVER-01 (empty reason) and WAIVER-02 (unknown check ID) on any object. */
export function checkWaivers(o: ObjectInfo, ctx: PolicyContext): void {
  for (const [id, reason] of o.waivers) {
    const path = join('metadata.annotations', WAIVER_ANNOTATION_PREFIX + id);
    if (!isCheckId(id)) {
      ctx.sink.add(o, 'WAIVER-02', path, `waiver names no known check, got ${fmt(id)}`, 'use a check ID from CHECKS.md, like PSS-13');
    } else if (reason === '') {
      ctx.sink.add(o, 'WAIVER-01', path, `waiver for ${id} gives no reason, so it waives nothing`, `write why ${id} does not apply, e.g. "node agent reads host logs; reviewed 2025-01"`);
    }
  }
}
