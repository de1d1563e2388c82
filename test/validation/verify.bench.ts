/**
 * Cost of the policy and invariant layers on a large bundle: 1000 agents in
 * one namespace (the worst case for per-namespace indexes), each with a
 * Deployment, Service, ServiceAccount, HPA, PDB and NetworkPolicy (6005
 * objects with the namespace objects), every Deployment declaring a
 * dependency on the next. Run with
 * `npx vitest bench --run test/validation/verify.bench.ts`; divide the mean
 * by 6005 for the cost per object.
 */
import { bench, describe } from 'vitest';
import { checkInvariants, DEPENDS_ON_ANNOTATION } from '../../lib/validation/invariants/index.js';
import { checkPolicies } from '../../lib/validation/policy/index.js';
import type { Manifest } from '../../lib/validation/types.js';
import { get, goodBundle, goodDeployment, NS, type M } from './fixtures.js';

const AGENTS = 1000;

function bundle(): Manifest[] {
  const base = goodBundle();
  const out: M[] = base.filter((o) => ['Namespace', 'ResourceQuota', 'LimitRange'].includes(o.kind) || (o.kind === 'NetworkPolicy' && o.metadata.name !== 'api'));
  get(out, 'ResourceQuota', 'quota').spec.hard = { 'requests.cpu': '2000', 'limits.cpu': '4000', 'requests.memory': '4Ti', 'limits.memory': '8Ti', pods: '10000' };
  for (let i = 0; i < AGENTS; i++) {
    const name = `agent-${i}`;
    const rename = (o: M): M => {
      const copy = structuredClone(o);
      copy.metadata.name = name;
      return copy;
    };
    const d = goodDeployment(name);
    d.spec.template.metadata.annotations[DEPENDS_ON_ANNOTATION] = `${NS}/agent-${(i + 1) % AGENTS}:8080`;
    const selector = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': name };
    const svc = rename(get(base, 'Service', 'api'));
    svc.spec.selector = selector;
    const hpa = rename(get(base, 'HorizontalPodAutoscaler', 'api'));
    hpa.spec.scaleTargetRef.name = name;
    const pdb = rename(get(base, 'PodDisruptionBudget', 'api'));
    pdb.spec.selector.matchLabels = selector;
    const np = rename(get(base, 'NetworkPolicy', 'api'));
    np.spec.podSelector.matchLabels = selector;
    // Admit the declared edge at both ends, so the bundle is clean and every edge is evaluated.
    np.spec.ingress.push({ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': `agent-${(i + AGENTS - 1) % AGENTS}` } } }], ports: [{ protocol: 'TCP', port: 8080 }] });
    np.spec.egress.push({ to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': `agent-${(i + 1) % AGENTS}` } } }], ports: [{ protocol: 'TCP', port: 8080 }] });
    out.push(d, svc, rename(get(base, 'ServiceAccount', 'api')), hpa, pdb, np);
  }
  return out as Manifest[];
}

const manifests = bundle();

describe(`${manifests.length} objects (${AGENTS} Deployments)`, () => {
  bench('checkPolicies', () => {
    checkPolicies(manifests, { kubernetesVersion: '1.28' });
  });
  bench('checkInvariants', () => {
    checkInvariants(manifests, {});
  });
});
