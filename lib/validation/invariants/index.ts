import { FindingSink } from '../internal/findings.js';
import type { Finding, Manifest } from '../types.js';
import { checkDisruptionBudgets, checkHpaTargets } from './availability.js';
import { buildBundle } from './bundle.js';
import { checkNetwork } from './network.js';
import { checkQuotas } from './quota.js';
import { checkDuplicates, checkReferences, checkRuntimeClasses } from './references.js';
import { checkStores } from './stores.js';
import { checkProbePorts, checkRoutes, checkServiceMonitors, checkServices, checkStatefulSets } from './routing.js';

export { DEPENDS_ON_ANNOTATION, EXTERNAL_REFS_ANNOTATION, INGRESS_FROM_ANNOTATION } from '../internal/annotations.js';

/** Options of {@link checkInvariants}. */
export interface InvariantOptions {
  /** References declared to exist outside the bundle, as `Kind/name` or `Kind/namespace/name`. */
  readonly external?: readonly string[];
}

/**
 * Cross-resource invariants that no single-object linter checks, with
 * CHECKS.md IDs:
 *
 * - selectors meet: Service (NET-04), PodDisruptionBudget (AVL-04), HPA
 *   target (AVL-08; static replicas under an HPA, AVL-09), NetworkPolicy
 *   (NET-03), ServiceMonitor (NET-10), StatefulSet governing Service (WKL-02);
 * - ports meet: Service targetPort and probe ports on declared container
 *   ports (NET-04, PRB-01, PRB-02), ServiceMonitor endpoint port names on the
 *   Service (NET-10), Ingress and HTTPRoute backends (NET-06);
 * - references exist or are declared external: Secrets (produced by a
 *   Secret, ExternalSecret, SealedSecret, Certificate or a cert-manager
 *   annotated Ingress), ConfigMaps and their keys, PVCs (SEC-07),
 *   ServiceAccounts (SEC-04);
 * - capacity: LimitRange defaults explicit and min/max admitting every
 *   container; ResourceQuota admitting every workload at HPA max plus surge
 *   plus Jobs, with LimitRange defaulting applied (RES-04);
 * - disruption: a budget per multi-replica workload that allows an eviction
 *   at the minimum replica count (AVL-04, AVL-05, AVL-06);
 * - network: default-deny and DNS per namespace (NET-02), isolation of
 *   every pod (NET-01), peers that resolve and are ANDed (NET-03), and every
 *   declared dependency edge admitted at both ends (NET-02);
 * - uniqueness: no object twice (PSS-18 for a Namespace, WKL-06 otherwise);
 * - data stores: Redis maxmemory within the limit (STO-01), Sentinel quorum
 *   (STO-02), the connection budget (STO-03), HPA metrics served by an
 *   adapter (AVL-12).
 *
 * Objects without a namespace are placed in `default`, as `kubectl apply`
 * places them. Externals come from `options.external` and from the
 * {@link EXTERNAL_REFS_ANNOTATION} annotation (`"Secret/foo,ConfigMap/bar"`)
 * on any object, for that object's namespace. A finding on an object is
 * waived by its `waivers.cdk8s-agent-platform.dev/<CHECK-ID>` annotation;
 * invalid waivers are reported by the policy layer, not twice here.
 *
 * Every object is indexed once (by kind, by identity, pods and Services
 * behind inverted label indexes), so the cost grows with the bundle, not
 * with its square.
 */
export function checkInvariants(manifests: readonly Manifest[], options: InvariantOptions): Finding[] {
  const sink = new FindingSink();
  const b = buildBundle(manifests, options.external ?? [], sink);
  checkDuplicates(b);
  checkReferences(b);
  checkRuntimeClasses(b);
  checkServices(b);
  checkStatefulSets(b);
  checkProbePorts(b);
  checkRoutes(b);
  checkServiceMonitors(b);
  checkHpaTargets(b);
  checkDisruptionBudgets(b);
  checkNetwork(b);
  checkQuotas(b);
  checkStores(b);
  return sink.findings;
}
