import type { Severity } from '../types.js';

/**
 * Severity of every check ID: CHECKS.md's normalised severity for its 70
 * IDs, plus the IDs this project adds. A finding takes the severity recorded
 * here (FindingSink gives nothing else), so one ID means one severity, except
 * for the IDs in {@link STATED_SEVERITIES}, whose findings state one of the
 * severities documented there.
 *
 * Added IDs:
 * - `WKL-07` (next free number in group G): a shell script in a container
 *   runs a pipeline without `set -o pipefail`, so a failure before the last
 *   `|` is ignored (the D-SKR-01 backup that "succeeds" with an empty dump).
 * - `WAIVER-01`: a waiver annotation gives no reason. A waiver is an
 *   auditable decision, so an empty one blocks like the check it hides.
 * - `WAIVER-02`: a waiver annotation names no known check ID (a typo; the
 *   finding it meant to waive is still reported on its own).
 * - `NET-11` (next free number in the network group): a NetworkPolicy,
 *   Cilium policy or Istio Sidecar reopens what the namespace's default-deny
 *   closed: an ipBlock or Cilium CIDR containing a private, link-local or
 *   unique-local range without excepting it (cloud metadata at
 *   169.254.169.254 and fd00:ec2::254, nodes, every pod), an empty
 *   namespaceSelector on every port, a rule without peers or ports, Cilium
 *   `toEntities: world|all`, or Istio `ALLOW_ANY`. High in every profile; a
 *   deliberate one is waived with the reason.
 * - `STO-01` (data stores): a Redis `maxmemory` in a config file a
 *   container reads from a mounted ConfigMap is above the container's memory
 *   limit, so the kernel kills Redis before it evicts.
 * - `STO-02`: a Sentinel quorum read from a mounted ConfigMap is above the
 *   number of Sentinels (no failover can start) or below a majority of them.
 * - `STO-03`: the connection budget (D-SRK-09): the clients of a server, at
 *   their maximum replicas times the connections each pod declares
 *   (`cdk8s-agent-platform.dev/connections`), exceed the server's
 *   `cdk8s-agent-platform.dev/connection-limit`.
 * - `AVL-12` (next free number in group F): an HPA on a Pods, Object or
 *   External metric without the metrics API an adapter serves (D-SRK-07).
 * - `WKL-08` (next free number in group G): a pod names a RuntimeClass
 *   (`runtimeClassName`, a sandboxed runtime) that is neither in the bundle
 *   nor declared external: the API server's RuntimeClass admission rejects
 *   every pod, so a sandboxed agent never starts (nor silently runs
 *   unsandboxed).
 */
export const CHECK_SEVERITY = {
  'PSS-01': 'High',
  'PSS-02': 'Critical',
  'PSS-03': 'Critical',
  'PSS-04': 'High',
  'PSS-05': 'Critical',
  'PSS-06': 'High',
  'PSS-07': 'Medium',
  'PSS-08': 'Medium',
  'PSS-09': 'High',
  'PSS-10': 'High',
  'PSS-11': 'High',
  'PSS-12': 'High',
  'PSS-13': 'Critical',
  'PSS-14': 'Critical',
  'PSS-15': 'Critical',
  'PSS-16': 'High',
  'PSS-17': 'High',
  'PSS-18': 'High',
  'SEC-01': 'High',
  'SEC-02': 'Medium',
  'SEC-03': 'Medium',
  'SEC-04': 'Medium',
  'SEC-05': 'High',
  'SEC-06': 'High',
  'SEC-07': 'High',
  'SEC-08': 'Critical',
  'IMG-01': 'High',
  'IMG-02': 'Medium',
  'IMG-03': 'Low',
  'RES-01': 'High',
  'RES-02': 'High',
  'RES-03': 'Medium',
  'RES-04': 'Medium',
  'PRB-01': 'High',
  'PRB-02': 'High',
  'PRB-03': 'High',
  'AVL-01': 'High',
  'AVL-02': 'Medium',
  'AVL-03': 'Medium',
  'AVL-04': 'High',
  'AVL-05': 'High',
  'AVL-06': 'Medium',
  'AVL-07': 'Medium',
  'AVL-08': 'High',
  'AVL-09': 'Medium',
  'AVL-10': 'High',
  'AVL-11': 'High',
  'WKL-01': 'Critical',
  'WKL-02': 'High',
  'WKL-03': 'Medium',
  'WKL-04': 'Medium',
  'WKL-05': 'Low',
  'WKL-06': 'Medium',
  'WKL-07': 'High',
  'WKL-08': 'High',
  'NET-01': 'High',
  'NET-02': 'High',
  'NET-03': 'High',
  'NET-04': 'High',
  'NET-05': 'Medium',
  'NET-06': 'High',
  'NET-07': 'High',
  'NET-08': 'High',
  'NET-09': 'Medium',
  'NET-10': 'Medium',
  'NET-11': 'High',
  'RBAC-01': 'High',
  'RBAC-02': 'Critical',
  'RBAC-03': 'High',
  'RBAC-04': 'High',
  'RBAC-05': 'High',
  'NS-01': 'High',
  'OPS-01': 'Medium',
  'WAIVER-01': 'High',
  'WAIVER-02': 'Low',
  'STO-01': 'High',
  'STO-02': 'High',
  'STO-03': 'High',
  'AVL-12': 'High',
} as const satisfies Record<string, Severity>;

/** A check ID this project knows. */
export type CheckId = keyof typeof CHECK_SEVERITY;

/**
 * Checks whose findings state their own severity, and the severities they may
 * state. Every other ID always carries its {@link CHECK_SEVERITY}.
 *
 * The rule: a finding the API server or an admission controller certainly
 * rejects (the object, or every pod its controller creates) is High and
 * blocks synth, whatever the check's recorded severity; the check's other
 * findings keep the recorded one. IDs stay as CHECKS.md assigns them.
 *
 * - `WKL-06`: CHECKS.md puts two things under this one ID and records M: an
 *   apiVersion that is deprecated but still served (Medium, the recorded
 *   severity, also that of a duplicate object), and a "schema-valid objects"
 *   clause whose violations (D-TAL-03, a Job without spec) the API server
 *   rejects: an unknown or unserved apiVersion or kind, a schema violation,
 *   an unknown field, an invalid name, or a field a disabled feature gate
 *   silently drops. Those are High, so they block like the failed apply they
 *   predict (the schema layer and the CLI's kubeconform pass).
 * - `RES-04` (M): a namespace without a LimitRange or ResourceQuota, and a
 *   LimitRange leaving defaults implicit, stay Medium. High: a container the
 *   LimitRanger admission plugin rejects (request above limit, below a min,
 *   above a max, over maxLimitRequestRatio, pod totals out of bounds), a pod
 *   the ResourceQuota admission plugin rejects for a missing request or limit,
 *   and a quota that cannot admit the namespace at its peak (HPA max plus
 *   surge plus Jobs; D-SKR-05), or not even one pod of a workload, with the
 *   HPA whose maxReplicas it makes unreachable.
 * - `SEC-04` (M): a pod naming a ServiceAccount that does not exist is
 *   rejected by the ServiceAccount admission plugin, so its controller never
 *   creates a pod: High. Using `default` or the deprecated field stays Medium.
 * - `WKL-04` (M): a Job or CronJob pod template with restartPolicy other than
 *   OnFailure or Never is rejected by the API server: High. Missing bounds
 *   stay Medium.
 * - `WKL-05` (L): a label key or value outside the label grammar is rejected
 *   by the API server: High. Inconsistent recommended labels stay Low.
 * - `AVL-07` (M): an HPA with minReplicas below 1 or maxReplicas below
 *   minReplicas is rejected by the API server: High. Bounds that are legal
 *   but unsafe (minReplicas 1, maxReplicas = minReplicas) stay Medium.
 * - `PSS-07`, `PSS-08` (M): Unconfined AppArmor and custom SELinux options are
 *   Baseline controls; in a namespace of the bundle that enforces Pod
 *   Security `baseline` or `restricted`, Pod Security admission rejects the
 *   pod: High. Elsewhere they stay Medium.
 */
export const STATED_SEVERITIES = {
  'WKL-06': ['Medium', 'High'],
  'RES-04': ['Medium', 'High'],
  'SEC-04': ['Medium', 'High'],
  'WKL-04': ['Medium', 'High'],
  'WKL-05': ['Low', 'High'],
  'AVL-07': ['Medium', 'High'],
  'PSS-07': ['Medium', 'High'],
  'PSS-08': ['Medium', 'High'],
} as const satisfies { readonly [K in CheckId]?: readonly Severity[] };

/** The severities each check of {@link STATED_SEVERITIES} may state. */
export type StatedSeverity = { readonly [K in keyof typeof STATED_SEVERITIES]: (typeof STATED_SEVERITIES)[K][number] };

/** The severities a finding of `id` may carry: its stated ones, or else the one of {@link CHECK_SEVERITY}. */
export function severitiesOf(id: CheckId): readonly Severity[] {
  const stated: Partial<Record<CheckId, readonly Severity[]>> = STATED_SEVERITIES;
  return stated[id] ?? [CHECK_SEVERITY[id]];
}

/** Whether `id` is a known check ID. */
export function isCheckId(id: string): id is CheckId {
  return Object.hasOwn(CHECK_SEVERITY, id);
}
