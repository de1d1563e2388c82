import type { Construct } from 'constructs';
import { k8s } from '../internal/plus.js';
import type { WorkloadIdentity } from './metadata.js';

/** Creates a ServiceAccount that mounts no API token by default (pods opt in). */
export function createServiceAccount(scope: Construct, id: string, w: WorkloadIdentity, name?: string): k8s.KubeServiceAccount {
  return new k8s.KubeServiceAccount(scope, id, { metadata: w.meta('ServiceAccount', name), automountServiceAccountToken: false });
}

/** The ServiceAccount a workload's pods run as. */
export interface PodServiceAccount {
  /** Its name. */
  readonly name: string;
  /** The dedicated ServiceAccount, when one was created. */
  readonly serviceAccount?: k8s.KubeServiceAccount;
}

/**
 * The user's ServiceAccount when `given` names one, else a dedicated one
 * named `name` (default: the workload's) that mounts no API token.
 */
export function podServiceAccount(scope: Construct, id: string, w: WorkloadIdentity, given: string | undefined, name: string = w.name): PodServiceAccount {
  if (given !== undefined) return { name: given };
  return { name, serviceAccount: createServiceAccount(scope, id, w, name) };
}

/** Read access to named ConfigMaps and Secrets. */
export interface ReadAccess {
  readonly configMaps: readonly string[];
  readonly secrets: readonly string[];
}

/** Whether `access` grants anything. */
export function grantsAccess(access: ReadAccess | undefined): access is ReadAccess {
  return access !== undefined && (access.configMaps.length > 0 || access.secrets.length > 0);
}

/** A Role with `get` on the named ConfigMaps and Secrets only, and its binding to `serviceAccountName`. */
export function createReadRole(
  scope: Construct,
  ids: { readonly role: string; readonly binding: string },
  w: WorkloadIdentity,
  access: ReadAccess,
  serviceAccountName: string,
): { role: k8s.KubeRole; roleBinding: k8s.KubeRoleBinding } {
  const rules: k8s.PolicyRule[] = [];
  if (access.configMaps.length > 0) rules.push({ apiGroups: [''], resources: ['configmaps'], resourceNames: [...access.configMaps], verbs: ['get'] });
  if (access.secrets.length > 0) rules.push({ apiGroups: [''], resources: ['secrets'], resourceNames: [...access.secrets], verbs: ['get'] });
  const role = new k8s.KubeRole(scope, ids.role, { metadata: w.meta('Role'), rules });
  const roleBinding = new k8s.KubeRoleBinding(scope, ids.binding, {
    metadata: w.meta('RoleBinding'),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.name },
    subjects: [{ kind: 'ServiceAccount', name: serviceAccountName, namespace: w.namespace }],
  });
  return { role, roleBinding };
}
