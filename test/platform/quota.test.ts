import { describe, expect, it } from 'vitest';
import { buildApp } from '../../apps/main.js';
import { enableVerification } from '../../lib/index.js';
import { largestContainerLimits, QUOTA_KINDS, quotaNeeded } from '../../lib/platform/quota.js';

type Manifest = { kind?: string; metadata?: { namespace?: string } };

describe('quota inputs', () => {
  // AgentPlatform resolves only objects of QUOTA_KINDS at construction: a kind the quota
  // counts must be listed there, or the computed quota silently leaves it out.
  it('every kind the quota reads is in QUOTA_KINDS (each namespace of the reference app)', () => {
    const app = buildApp('dist-test-quota');
    enableVerification(app, { mode: 'off' });
    const byNamespace = new Map<string, Manifest[]>();
    for (const chart of app.charts) {
      for (const o of chart.toJson() as Manifest[]) {
        const ns = o.metadata?.namespace;
        if (ns !== undefined) byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), o]);
      }
    }
    expect(byNamespace.size).toBeGreaterThan(10);
    for (const [ns, objects] of byNamespace) {
      const read = objects.filter((o) => QUOTA_KINDS.has(o.kind ?? ''));
      expect(read.length, ns).toBeLessThan(objects.length);
      expect(quotaNeeded(read as never), ns).toEqual(quotaNeeded(objects as never));
      expect(largestContainerLimits(read as never), ns).toEqual(largestContainerLimits(objects as never));
    }
  });
});
