import { FindingSink } from '../internal/findings.js';
import { describeObjects } from '../internal/objects.js';
import { podTemplateOf } from '../internal/pod-templates.js';
import type { Finding, KubernetesVersion, Manifest } from '../types.js';
import { checkHpa, checkPdb, checkWorkloadAvailability } from './availability.js';
import { checkContainers } from './containers.js';
import { checkReopenedEgress } from './egress.js';
import { buildContext } from './context.js';
import { checkIngress, checkService } from './network.js';
import { checkConfigMap, checkNamespace, checkPodSecurityLabels, checkSecret, checkWaivers } from './objects.js';
import { checkPodSecurity } from './pod-security.js';
import { checkBinding, checkRole } from './rbac.js';
import { checkJobBounds, checkLabels, checkSelector } from './workloads.js';

export { DRAIN_SECONDS_ANNOTATION, POD_SECURITY_EXCEPTION_ANNOTATION, WAIVER_ANNOTATION_PREFIX } from '../internal/annotations.js';

/**
 * Policy checks on each object, with the IDs and severities of CHECKS.md:
 *
 * - every pod template (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
 *   Job, CronJob): Pod Security Baseline and Restricted (PSS-01 to PSS-17),
 *   hardening (SEC-01 to SEC-05, SEC-07 `optional`), images (IMG-01 to
 *   IMG-03), resources (RES-01 to RES-03), probes (PRB-01 to PRB-03),
 *   availability (AVL-01, -02, -03, -10, -11), selector (WKL-01), env
 *   duplicates (WKL-03), Job bounds (WKL-04), labels (WKL-05), pipelines
 *   without pipefail (WKL-07), container ports (NET-09);
 * - Namespace: Pod Security labels (PSS-18); a documented exception
 *   (`enforce: privileged` or `baseline` plus a non-empty
 *   {@link POD_SECURITY_EXCEPTION_ANNOTATION}) is reported waived;
 * - Secret (SEC-08), ConfigMap (SEC-06), Service (NET-05), Ingress (NET-07,
 *   NET-08), PodDisruptionBudget (AVL-04 policy, AVL-05), HPA (AVL-07),
 *   Role/ClusterRole (RBAC-01, -03, -04, -05), bindings (RBAC-02);
 * - NetworkPolicy, CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy and
 *   Istio Sidecar: a rule that reopens what default-deny closed (NET-11);
 * - every namespaced object: NS-01; every object: label syntax (WKL-05) and
 *   its waiver annotations (WAIVER-01, WAIVER-02).
 *
 * A check is waived on one object by the annotation
 * `waivers.cdk8s-agent-platform.dev/<CHECK-ID>: "<reason>"`
 * ({@link WAIVER_ANNOTATION_PREFIX}); the finding is then reported with
 * `waived: { reason }` and does not fail.
 *
 * A few facts come from other objects where they decide how one object is
 * judged, all by map lookup: whether an HPA scales a workload (replica
 * bounds), a PVC's access modes (AVL-10), whether a ServiceAccount is bound
 * (SEC-03), whether a ClusterRole is a wildcard (RBAC-02).
 *
 * @param manifests The bundle, as plain JSON objects.
 * @param options.kubernetesVersion The target minor version: it decides the
 *   safe sysctl set (PSS-11) and whether the preStop `sleep` action exists (AVL-11).
 */
export function checkPolicies(manifests: readonly Manifest[], options: { kubernetesVersion: KubernetesVersion }): Finding[] {
  const sink = new FindingSink();
  const objects = describeObjects(manifests);
  const ctx = buildContext(objects, options.kubernetesVersion, sink);
  for (const o of objects) {
    checkWaivers(o, ctx);
    checkNamespace(o, ctx);
    const t = podTemplateOf(o);
    checkLabels(o, t, ctx);
    if (t) {
      checkPodSecurity(t, ctx);
      checkContainers(t, ctx);
      checkWorkloadAvailability(t, ctx);
    }
    checkSelector(o, t, ctx);
    checkJobBounds(o, t, ctx);
    checkReopenedEgress(o, ctx);
    switch (o.kind) {
      case 'Namespace':
        checkPodSecurityLabels(o, ctx);
        break;
      case 'Secret':
        checkSecret(o, ctx);
        break;
      case 'ConfigMap':
        checkConfigMap(o, ctx);
        break;
      case 'Service':
        checkService(o, ctx);
        break;
      case 'Ingress':
        checkIngress(o, ctx);
        break;
      case 'PodDisruptionBudget':
        checkPdb(o, ctx);
        break;
      case 'HorizontalPodAutoscaler':
        checkHpa(o, ctx);
        break;
      case 'Role':
      case 'ClusterRole':
        checkRole(o, ctx);
        break;
      case 'RoleBinding':
      case 'ClusterRoleBinding':
        checkBinding(o, ctx);
        break;
    }
  }
  return sink.findings;
}
