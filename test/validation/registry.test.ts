import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { describe, expect, it } from 'vitest';
import { resolveKind, validateWithModel, versionsOf } from '../../lib/validation/schema/registry.js';

/** The message `check` throws, or undefined. */
function thrown(check: () => void): string | undefined {
  try {
    check();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

describe('validateWithModel', () => {
  const bad = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { name: 'm' },
    spec: { selector: {}, endpoints: [{ port: 7, scrapeTimeout: 'soon' }] },
  };

  it("throws the model's own validation error, as new Model(data).validate() does", () => {
    const expected = thrown(() => new ServiceMonitor(bad as never).validate());
    expect(expected).toBeDefined();
    expect(thrown(() => validateWithModel(bad.apiVersion, bad.kind, bad))).toBe(expected);
  });

  it('passes a valid object', () => {
    const good = { ...bad, spec: { selector: { matchLabels: { app: 'a' } }, endpoints: [{ port: 'metrics' }] } };
    expect(thrown(() => validateWithModel(good.apiVersion, good.kind, good))).toBeUndefined();
  });

  it('throws for a kind no package declares', () => {
    expect(thrown(() => validateWithModel('monitoring.coreos.com/v1', 'NoSuchKind', {}))).toBe('no schema of NoSuchKind in apiVersion monitoring.coreos.com/v1 (unknown-kind)');
  });
});

describe("a group's versions, read from that group's folders only", () => {
  it('lists the versions of a custom resource group, most stable first', () => {
    expect(versionsOf('external-secrets.io')).toEqual(['v1', 'v1beta1', 'v1alpha1']);
  });

  it('lists the core group from the top of kubernetes-models', () => {
    expect(versionsOf('')).toEqual(['v1']);
  });

  it('knows no group that is a file or absent', () => {
    expect(versionsOf('no-such.example.com')).toEqual([]);
    expect(versionsOf('package.json')).toEqual([]);
    expect(resolveKind('no-such.example.com/v1', 'Widget')).toEqual({ reason: 'unknown-group', group: 'no-such.example.com' });
    expect(resolveKind('policy/v9', 'PodDisruptionBudget')).toEqual({ reason: 'unknown-version', group: 'policy', versions: ['v1', 'v1beta1'] });
  });
});
