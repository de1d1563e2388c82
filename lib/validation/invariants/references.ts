import { EXTERNAL_REFS_ANNOTATION } from '../internal/annotations.js';
import type { ObjectInfo } from '../internal/objects.js';
import { join } from '../internal/paths.js';
import { ENV_FROM_SOURCES, ENV_VALUE_SOURCES } from '../internal/pod-templates.js';
import { arr, rec, str } from '../internal/values.js';
import type { Bundle, Keys, Workload } from './bundle.js';

/**
 * Duplicate objects, and references from pods (and Ingress TLS) to
 * Secrets, ConfigMaps, PersistentVolumeClaims and ServiceAccounts that must
 * exist in the bundle or be declared external (SEC-07, SEC-04).
 */

/**
 * Duplicates: two objects with one API group, kind, namespace and name. The
 * second silently replaces the first on apply (and client-side apply drops
 * labels only the first had, D-SKR-14). A Namespace is PSS-18, whose rule
 * says the Namespace "is emitted once" (its Pod Security labels are what a
 * duplicate loses); anything else is WKL-06, the check for objects that
 * are not a valid apply set.
 */
export function checkDuplicates(b: Bundle): void {
  const seen = new Map<string, ObjectInfo>();
  for (const o of b.objects) {
    const key = `${o.group}/${o.kind}/${o.ns}/${o.name}`;
    const first = seen.get(key);
    if (!first) {
      seen.set(key, o);
      continue;
    }
    const where = o.ns !== '' ? ` in namespace ${o.ns}` : '';
    if (o.kind === 'Namespace') {
      const keys = new Set([...Object.keys(first.labels), ...Object.keys(o.labels)]);
      const differ = [...keys].filter((k) => first.labels[k] !== o.labels[k]);
      b.sink.add(
        o,
        'PSS-18',
        'metadata.name',
        `Namespace "${o.name}" is defined twice (objects ${first.index + 1} and ${o.index + 1})${differ.length > 0 ? `, with different labels: ${differ.join(', ')}` : ''}, so one apply drops the other's labels`,
        'emit one Namespace and merge the labels, failing on conflicting values',
      );
    } else {
      b.sink.add(
        o,
        'WKL-06',
        'metadata.name',
        `${o.kind} "${o.name}"${where} is defined twice (objects ${first.index + 1} and ${o.index + 1}), so one silently replaces the other`,
        'give each object its own name, or merge them into one',
      );
    }
  }
}

interface Ref {
  readonly kind: 'Secret' | 'ConfigMap' | 'PersistentVolumeClaim';
  readonly name: string;
  readonly key?: string;
  readonly optional: boolean;
  /** A volume `items[]` key: judged only when the object exists (its absence is reported on the volume). */
  readonly itemKey?: true;
  readonly path: string;
  /** Who refers (`container "x"`, `volume "y"`, `pod`). */
  readonly by: string;
}

function podRefs(w: Workload): Ref[] {
  const refs: Ref[] = [];
  const { t } = w;
  for (const ci of t.containers) {
    arr(ci.c.env).forEach((raw, j) => {
      const from = rec(rec(raw)?.valueFrom);
      for (const [field, kind] of ENV_VALUE_SOURCES) {
        const r = rec(from?.[field]);
        const name = str(r?.name);
        if (r && name) refs.push({ kind, name, ...(str(r.key) !== undefined ? { key: str(r.key)! } : {}), optional: r.optional === true, path: join(ci.path, 'env', j, 'valueFrom', field, 'name'), by: ci.label });
      }
    });
    arr(ci.c.envFrom).forEach((raw, j) => {
      for (const [field, kind] of ENV_FROM_SOURCES) {
        const r = rec(rec(raw)?.[field]);
        const name = str(r?.name);
        if (r && name) refs.push({ kind, name, optional: r.optional === true, path: join(ci.path, 'envFrom', j, field, 'name'), by: ci.label });
      }
    });
  }
  arr(t.spec.volumes).forEach((raw, i) => {
    const v = rec(raw) ?? {};
    const by = `volume "${str(v.name) ?? i}"`;
    const base = join(t.specPath, 'volumes', i);
    const secret = rec(v.secret);
    if (secret && str(secret.secretName)) {
      refs.push({ kind: 'Secret', name: str(secret.secretName)!, optional: secret.optional === true, path: join(base, 'secret', 'secretName'), by });
      arr(secret.items).forEach((it, k) => {
        const key = str(rec(it)?.key);
        if (key) refs.push({ kind: 'Secret', name: str(secret.secretName)!, key, optional: secret.optional === true, itemKey: true, path: join(base, 'secret', 'items', k, 'key'), by });
      });
    }
    const cm = rec(v.configMap);
    if (cm && str(cm.name)) {
      refs.push({ kind: 'ConfigMap', name: str(cm.name)!, optional: cm.optional === true, path: join(base, 'configMap', 'name'), by });
      arr(cm.items).forEach((it, k) => {
        const key = str(rec(it)?.key);
        if (key) refs.push({ kind: 'ConfigMap', name: str(cm.name)!, key, optional: cm.optional === true, itemKey: true, path: join(base, 'configMap', 'items', k, 'key'), by });
      });
    }
    arr(rec(v.projected)?.sources).forEach((src, k) => {
      for (const [field, kind] of [['secret', 'Secret'], ['configMap', 'ConfigMap']] as const) {
        const r = rec(rec(src)?.[field]);
        const name = str(r?.name);
        if (r && name) refs.push({ kind, name, optional: r.optional === true, path: join(base, 'projected', 'sources', k, field, 'name'), by });
      }
    });
    const claim = str(rec(v.persistentVolumeClaim)?.claimName);
    if (claim) refs.push({ kind: 'PersistentVolumeClaim', name: claim, optional: false, path: join(base, 'persistentVolumeClaim', 'claimName'), by });
  });
  arr(t.spec.imagePullSecrets).forEach((raw, i) => {
    const name = str(rec(raw)?.name);
    if (name) refs.push({ kind: 'Secret', name, optional: false, path: join(t.specPath, 'imagePullSecrets', i, 'name'), by: 'pod' });
  });
  return refs;
}

function keyList(keys: ReadonlySet<string>): string {
  return keys.size > 0 ? `only keys ${[...keys].join(', ')}` : 'no keys';
}

/** SEC-07 and SEC-04 (the ServiceAccount exists) for every pod template; SEC-07 for Ingress TLS secrets. */
export function checkReferences(b: Bundle): void {
  const pvcs = new Set((b.byKind.get('PersistentVolumeClaim') ?? []).map((o) => `${o.ns}/${o.name}`));
  const sas = new Set((b.byKind.get('ServiceAccount') ?? []).map((o) => `${o.ns}/${o.name}`));
  // Where else a name exists, for the common mistake of an object in the wrong (or default) namespace.
  const elsewhere = new Map<string, string[]>();
  const note = (kind: string, id: string) => {
    const slash = id.indexOf('/');
    const key = `${kind}/${id.slice(slash + 1)}`;
    elsewhere.set(key, [...(elsewhere.get(key) ?? []), id.slice(0, slash)]);
  };
  for (const id of b.secrets.keys()) note('Secret', id);
  for (const id of b.configMaps.keys()) note('ConfigMap', id);
  for (const id of pvcs) note('PersistentVolumeClaim', id);
  for (const w of b.workloads) {
    const o = w.obj;
    const fixMissing = (kind: string, name: string) =>
      `add the ${kind}${kind === 'Secret' ? ' (through an ExternalSecret or SealedSecret)' : ''}, or declare it external as ${kind}/${name} (options.external or the ${EXTERNAL_REFS_ANNOTATION} annotation)`;
    for (const ref of podRefs(w)) {
      if (b.isExternal(ref.kind, w.ns, ref.name)) continue;
      const id = `${w.ns}/${ref.name}`;
      let exists: boolean;
      let keys: Keys = 'unknown';
      let via: string = ref.kind;
      if (ref.kind === 'Secret') {
        const source = b.secrets.get(id);
        exists = source !== undefined;
        if (source) {
          keys = source.keys;
          via = `Secret (from ${source.via})`;
        }
      } else if (ref.kind === 'ConfigMap') {
        const cm = b.configMaps.get(id);
        exists = cm !== undefined;
        if (cm) keys = cm;
      } else exists = pvcs.has(id);
      const optional = ref.optional ? ' (optional, so the pod starts without it)' : '';
      if (!exists) {
        if (ref.itemKey) continue;
        const other = elsewhere.get(`${ref.kind}/${ref.name}`);
        const where = other ? `not in namespace ${w.ns} (the bundle has it in ${other.join(', ')})` : 'not in the bundle';
        b.sink.add(o, 'SEC-07', ref.path, `${ref.by} refers to ${ref.kind} "${ref.name}"${optional}, which is ${where} and not declared external`, fixMissing(ref.kind, ref.name));
      } else if (ref.key !== undefined && keys !== 'unknown' && !keys.has(ref.key)) {
        b.sink.add(
          o,
          'SEC-07',
          ref.path,
          `${ref.by} reads key "${ref.key}" of ${via === ref.kind ? ref.kind : via} "${ref.name}"${optional}, which has ${keyList(keys)}`,
          `add the key to the ${ref.kind}, or read one it has`,
        );
      }
    }
    const sa = str(w.t.spec.serviceAccountName) ?? str(w.t.spec.serviceAccount);
    if (sa && sa !== 'default' && !sas.has(`${w.ns}/${sa}`) && !b.isExternal('ServiceAccount', w.ns, sa)) {
      b.sink.addStated(
        'High',
        o,
        'SEC-04',
        join(w.t.specPath, w.t.spec.serviceAccountName !== undefined ? 'serviceAccountName' : 'serviceAccount'),
        `pod runs as ServiceAccount "${sa}", which is not in the bundle, so its pods are never created`,
        `add the ServiceAccount, or declare it external as ServiceAccount/${sa}`,
      );
    }
  }
  for (const ing of b.byKind.get('Ingress') ?? []) {
    arr(rec(ing.manifest.spec)?.tls).forEach((raw, i) => {
      const name = str(rec(raw)?.secretName);
      if (name && !b.secrets.has(`${ing.ns}/${name}`) && !b.isExternal('Secret', ing.ns, name)) {
        b.sink.add(
          ing,
          'SEC-07',
          join('spec.tls', i, 'secretName'),
          `TLS secret "${name}" is not in the bundle, no cert-manager issuer annotation creates it, and it is not declared external`,
          'add a cert-manager.io/cluster-issuer annotation (or a Certificate), or declare the Secret external',
        );
      }
    });
  }
}

/**
 * WKL-08: the RuntimeClass a pod names (`runtimeClassName`) is in the bundle
 * or declared external (`RuntimeClass/<name>`); without it the API server
 * rejects every pod of the workload.
 */
export function checkRuntimeClasses(b: Bundle): void {
  const classes = new Set((b.byKind.get('RuntimeClass') ?? []).map((o) => o.name));
  for (const w of b.workloads) {
    const name = str(w.t.spec.runtimeClassName);
    if (!name || classes.has(name) || b.isExternal('RuntimeClass', '', name)) continue;
    b.sink.add(
      w.obj,
      'WKL-08',
      join(w.t.specPath, 'runtimeClassName'),
      `pod runs with RuntimeClass "${name}", which is not in the bundle and not declared external, so the API server rejects every pod`,
      `add the RuntimeClass (SandboxRuntimeClass), or declare it external as RuntimeClass/${name} (options.external)`,
    );
  }
}
