import { test } from 'vitest';
import { checkPolicies } from '../../lib/validation/policy/index.js';
import { checkInvariants } from '../../lib/validation/invariants/index.js';
import { loadSeed, seedStems } from './seed-loader.js';

test('scratch', () => {
  for (const stem of seedStems()) {
    const seed = loadSeed(stem);
    const f = [...checkPolicies(seed.manifests, { kubernetesVersion: '1.28' }), ...checkInvariants(seed.manifests, {})];
    console.log(`=== ${stem} (${seed.manifests.length} objects, ${f.length} findings)`);
    for (const x of f) console.log(`${x.checkId} ${x.severity[0]} ${x.kind}/${x.namespace ?? '-'}/${x.name} ${x.path} :: ${x.message}${x.waived ? ' [waived]' : ''}`);
  }
});
