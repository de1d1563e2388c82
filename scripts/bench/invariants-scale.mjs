#!/usr/bin/env node
// How the cross-resource invariants and the policy checks scale with the
// bundle: one process, 200 and 800 Deployments (each with its Service and a
// dependency on the next), best of 3 after a warm-up. Linear cost gives a
// ratio of about 4; a scan of the bundle per object would give about 16.
// Prints one JSON line. Uses the compiled sources (`npm run build`).
import { performance } from 'node:perf_hooks';
import { checkInvariants, DEPENDS_ON_ANNOTATION } from '../../build/lib/validation/invariants/index.js';
import { checkPolicies } from '../../build/lib/validation/policy/index.js';
import { goodBundle, goodDeployment, manifests, NS } from '../../build/test/validation/fixtures.js';

function bundle(n) {
  const out = goodBundle();
  for (let i = 0; i < n; i++) {
    const name = `agent-${i}`;
    const d = goodDeployment(name);
    d.spec.template.metadata.annotations[DEPENDS_ON_ANNOTATION] = `${NS}/agent-${(i + 1) % n}:8080`;
    out.push(d, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: NS },
      spec: { selector: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': name }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
  }
  return out;
}

function time(n) {
  const b = manifests(bundle(n));
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const start = performance.now();
    checkInvariants(b, {});
    checkPolicies(b, { kubernetesVersion: '1.28' });
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

time(50);
const small = time(200);
const large = time(800);
console.log(JSON.stringify({ ms200: small, ms800: large, ratio: large / small }));
