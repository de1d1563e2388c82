import { describe, expect, it } from 'vitest';
import { ExternalSecretRef, SecureAgentDeployment } from '../../lib/index.js';
import { errorOf, one, synth } from '../util.js';

describe('ExternalSecretRef', () => {
  it('renders an external-secrets.io/v1 ExternalSecret in the namespace (snapshot)', () => {
    const objs = synth(
      (chart) =>
        new ExternalSecretRef(chart, 'S', {
          name: 'app-secrets',
          namespace: 'agents',
          secretStore: { name: 'aws', kind: 'ClusterSecretStore' },
          data: [{ secretKey: 'jwt', remoteKey: 'app/prod/jwt' }, { secretKey: 'db', remoteKey: 'app/prod/db', property: 'password' }],
        }),
    );
    expect(objs).toMatchSnapshot();
    const es = one(objs, 'ExternalSecret');
    expect(es.apiVersion).toBe('external-secrets.io/v1');
    expect(es.metadata.namespace).toBe('agents');
    expect(es.spec.target).toEqual({ name: 'app-secrets', creationPolicy: 'Owner' });
  });

  it('references produced keys from a workload and refuses keys it does not produce', () => {
    const objs = synth((chart) => {
      const s = new ExternalSecretRef(chart, 'S', { name: 'app-secrets', namespace: 'agents', secretStore: { name: 'aws' }, data: [{ secretKey: 'jwt', remoteKey: 'k' }] });
      new SecureAgentDeployment(chart, 'A', { name: 'app', namespace: 'agents', image: 'r.example.com/app:1.0.0', env: { JWT_SECRET: s.env('jwt') } });
      expect(errorOf(() => s.env('connection-string'))).toBe('test/S: key "connection-string" is not produced by ExternalSecret "app-secrets"; add it to props.data or use one of jwt');
    });
    expect(one(objs, 'Deployment').spec.template.spec.containers[0].env).toContainEqual({ name: 'JWT_SECRET', valueFrom: { secretKeyRef: { name: 'app-secrets', key: 'jwt' } } });
  });

  it('rejects an empty key list and duplicate keys', () => {
    expect(errorOf(() => synth((chart) => new ExternalSecretRef(chart, 'S', { name: 'x', namespace: 'agents', secretStore: { name: 'aws' }, data: [] })))).toBe(
      'invalid props for test/S:\n  test/S props.data: is empty, got []; list at least one key',
    );
    expect(
      errorOf(() =>
        synth((chart) => new ExternalSecretRef(chart, 'S', { name: 'x', namespace: 'agents', secretStore: { name: 'aws' }, data: [{ secretKey: 'a', remoteKey: 'r' }, { secretKey: 'a', remoteKey: 's' }] })),
      ),
    ).toBe('invalid props for test/S:\n  test/S props.data[1].secretKey: duplicates the key "a", got "a"; give every key its own name');
  });
});
