import type { CheckId } from '../internal/checks.js';
import type { ObjectInfo } from '../internal/objects.js';
import { join } from '../internal/paths.js';
import { arr, fmt, rec, str, type Rec } from '../internal/values.js';
import type { PolicyContext } from './context.js';

/**
 * RBAC on one Role, ClusterRole or binding: wildcards (RBAC-01), bindings to
 * cluster-admin or a wildcard ClusterRole (RBAC-02), exec/attach (RBAC-03),
 * broad secret reads (RBAC-04), and privilege-escalation paths (RBAC-05).
 * A `*` resource is reported once, as RBAC-01; a named resource with a `*`
 * verb is also judged by the specific checks, since its grant is precise.
 */

interface RuleView {
  readonly path: string;
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames: readonly string[];
}

function strings(v: unknown): string[] {
  return arr(v).filter((x): x is string => typeof x === 'string');
}

function view(raw: unknown, path: string): RuleView {
  const r = rec(raw) ?? {};
  return { path, apiGroups: strings(r.apiGroups), resources: strings(r.resources), verbs: strings(r.verbs), resourceNames: strings(r.resourceNames) };
}

/** Verbs of `wanted` the rule grants on the named resource (a `*` verb grants all of them). */
function granted(rule: RuleView, group: string, resource: string, wanted: readonly string[]): string[] {
  if (!rule.apiGroups.includes(group) && !rule.apiGroups.includes('*')) return [];
  if (!rule.resources.includes(resource)) return [];
  if (rule.verbs.includes('*')) return [...wanted];
  return wanted.filter((v) => rule.verbs.includes(v));
}

const WORKLOADS: readonly (readonly [string, string])[] = [
  ['', 'pods'],
  ['', 'replicationcontrollers'],
  ['apps', 'deployments'],
  ['apps', 'statefulsets'],
  ['apps', 'daemonsets'],
  ['apps', 'replicasets'],
  ['batch', 'jobs'],
  ['batch', 'cronjobs'],
];

/** RBAC-01, -03, -04 and -05 on a Role or ClusterRole. */
export function checkRole(o: ObjectInfo, ctx: PolicyContext): void {
  const report = (id: CheckId, path: string, message: string, fix: string) => ctx.sink.add(o, id, path, message, fix);
  arr(o.manifest.rules).forEach((raw, i) => {
    const rule = view(raw, join('rules', i));
    for (const field of ['apiGroups', 'resources', 'verbs'] as const) {
      if (rule[field].includes('*')) {
        report('RBAC-01', join(rule.path, field), `${o.kind} grants a wildcard, got ${field} ${fmt(rule[field])}`, `list the ${field} the workload needs`);
      }
    }
    if (strings(rec(raw)?.nonResourceURLs).includes('*')) {
      report('RBAC-01', join(rule.path, 'nonResourceURLs'), `${o.kind} grants every non-resource URL, got nonResourceURLs ["*"]`, 'list the URLs the workload needs');
    }
    for (const sub of ['pods/exec', 'pods/attach']) {
      const verbs = granted(rule, '', sub, ['create', 'get']);
      if (verbs.length > 0) {
        report('RBAC-03', join(rule.path, 'resources'), `${o.kind} grants ${sub}, a shell in any pod of its scope, got verbs ${verbs.join(', ')}`, `remove ${sub}; use a break-glass role bound only when needed`);
      }
    }
    const secretBroad = granted(rule, '', 'secrets', ['list', 'watch']);
    if (secretBroad.length > 0) {
      report('RBAC-04', join(rule.path, 'verbs'), `${o.kind} can ${secretBroad.join(' and ')} every Secret in its scope, got verbs ${fmt(rule.verbs)}`, 'grant only get, with resourceNames');
    }
    if (granted(rule, '', 'secrets', ['get']).length > 0 && rule.resourceNames.length === 0) {
      report('RBAC-04', join(rule.path, 'resourceNames'), `${o.kind} can read every Secret in its scope, got get on secrets without resourceNames`, 'list the Secrets the workload reads in resourceNames');
    }
    for (const [group, resource] of WORKLOADS) {
      if (granted(rule, group, resource, ['create']).length > 0) {
        report('RBAC-05', join(rule.path, 'verbs'), `${o.kind} can create ${resource}, which runs code as any ServiceAccount of its scope`, `remove create on ${resource}`);
      }
    }
    for (const resource of ['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings']) {
      const verbs = granted(rule, 'rbac.authorization.k8s.io', resource, ['bind', 'escalate']);
      if (verbs.length > 0) {
        report('RBAC-05', join(rule.path, 'verbs'), `${o.kind} can ${verbs.join(' and ')} ${resource}, which grants permissions it does not hold`, `remove ${verbs.join(' and ')}`);
      }
    }
    for (const resource of ['users', 'groups', 'serviceaccounts']) {
      if (granted(rule, '', resource, ['impersonate']).length > 0) {
        report('RBAC-05', join(rule.path, 'verbs'), `${o.kind} can impersonate ${resource}`, 'remove impersonate');
      }
    }
    for (const resource of ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations']) {
      const verbs = granted(rule, 'admissionregistration.k8s.io', resource, ['create', 'update', 'patch', 'delete']);
      if (verbs.length > 0) {
        report('RBAC-05', join(rule.path, 'verbs'), `${o.kind} can ${verbs.join(', ')} ${resource}, which intercept every API request`, `remove write access to ${resource}`);
      }
    }
    const approve = [
      ...granted(rule, 'certificates.k8s.io', 'certificatesigningrequests/approval', ['update', 'patch']),
      ...granted(rule, 'certificates.k8s.io', 'signers', ['approve']),
    ];
    if (approve.length > 0) {
      report('RBAC-05', join(rule.path, 'verbs'), `${o.kind} can approve certificate signing requests, which mints cluster credentials`, 'remove CSR approval');
    }
  });
}

function isWildcardRole(role: Rec): boolean {
  return arr(role.rules).some((raw) => {
    const r = view(raw, '');
    return r.verbs.includes('*') && r.resources.includes('*');
  });
}

/** RBAC-02 on a RoleBinding or ClusterRoleBinding. */
export function checkBinding(o: ObjectInfo, ctx: PolicyContext): void {
  const ref = rec(o.manifest.roleRef) ?? {};
  const name = str(ref.name);
  if (ref.kind !== 'ClusterRole' || name === undefined) return;
  const role = ctx.clusterRoles.get(name);
  if (name === 'cluster-admin' || (role && isWildcardRole(role.manifest as Rec))) {
    ctx.sink.add(
      o,
      'RBAC-02',
      'roleRef.name',
      name === 'cluster-admin' ? `${o.kind} grants cluster-admin, got roleRef ClusterRole "cluster-admin"` : `${o.kind} grants a ClusterRole with * verbs on * resources, got roleRef ClusterRole ${fmt(name)}`,
      'bind a Role that lists only the resources and verbs the subject needs',
    );
  }
}
