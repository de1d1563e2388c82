import { ApiObject, type Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import {
  createHeadlessService,
  createNetworkPolicy,
  createPodDisruptionBudget,
  createService,
  createServiceAccount,
  createStatefulSet,
  hardenedContainer,
  ingressRule,
  podTemplate,
  quorumBudget,
  restrictedPodSpec,
  scratchVolume,
  setPrimary,
  spreadOverZonesAndHosts,
  workloadIdentity,
  type StatefulSetOptions,
} from '../../lib/kit/index.js';
import { REDIS } from '../../lib/core/redis.js';
import { AgentNamespace, verify } from '../../lib/index.js';
import { one, synth, type Obj } from '../util.js';

const SMALL = { requests: { cpu: '100m', memory: '128Mi', ephemeralStorage: '64Mi' }, limits: { cpu: '500m', memory: '512Mi', ephemeralStorage: '256Mi' } };

/**
 * A Redis-like store built with the kit only, the way a data-store construct
 * uses it: three members in a StatefulSet with a claim each, a headless
 * Service for their names and a client Service, an exporter sidecar, a PDB
 * that keeps a quorum, and a NetworkPolicy admitting clients and Prometheus.
 */
class TestStore extends Construct {
  public readonly statefulSet;
  constructor(scope: Construct, id: string, overrides: Partial<StatefulSetOptions> = {}) {
    super(scope, id);
    const w = workloadIdentity(this, { namespace: 'data', name: 'cache', image: REDIS.flavors.redis.image, component: 'cache', partOf: 'agents' });
    const sa = createServiceAccount(this, 'ServiceAccount', w);
    const scratch = scratchVolume('tmp', '/tmp', '64Mi');
    const redis = hardenedContainer({
      name: 'redis',
      image: REDIS.flavors.redis.image,
      command: [REDIS.flavors.redis.server, '--dir', REDIS.dataDir, '--appendonly', 'yes'],
      ports: [{ name: 'redis', containerPort: REDIS.port }],
      resources: SMALL,
      livenessProbe: { tcpSocket: { port: { value: 'redis' } as never }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
      readinessProbe: { exec: { command: [REDIS.flavors.redis.cli, 'ping'] }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 },
      volumeMounts: [{ name: 'data', mountPath: REDIS.dataDir }, scratch.mount],
    });
    const exporter = hardenedContainer({
      name: 'exporter',
      image: 'oliver006/redis_exporter:v1.62.0',
      ports: [{ name: 'metrics', containerPort: REDIS.exporter.port }],
      resources: SMALL,
      livenessProbe: { httpGet: { path: '/health', port: { value: 'metrics' } as never }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
      readinessProbe: { tcpSocket: { port: { value: 'metrics' } as never }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
      runAsUser: 59000,
    });
    const headless = createHeadlessService(this, 'Headless', w, [{ name: 'redis', port: REDIS.port }]);
    this.statefulSet = setPrimary(
      this,
      createStatefulSet(this, 'StatefulSet', w, {
        replicas: 3,
        serviceName: headless.name,
        podManagementPolicy: 'Parallel',
        volumeClaimTemplates: [{ name: 'data', size: '1Gi' }],
        template: podTemplate({
          labels: w.labels,
          annotations: { 'cdk8s-agent-platform.dev/drain-seconds': '10' },
          spec: restrictedPodSpec({
            serviceAccountName: sa.name,
            runAs: { runAsUser: 10001 },
            containers: [redis, exporter],
            volumes: [scratch.volume],
            topologySpreadConstraints: spreadOverZonesAndHosts(w.selector, 'StatefulSet'),
          }),
        }),
        ...overrides,
      }),
    );
    createService(this, 'Service', w, { ports: [{ name: 'redis', port: REDIS.port }] });
    createPodDisruptionBudget(this, 'Pdb', w, quorumBudget(3));
    createNetworkPolicy(this, 'NetworkPolicy', w, {
      ingress: [
        ingressRule([{ namespace: 'agents', podLabels: { 'app.kubernetes.io/name': 'agent' } }], [REDIS.port], 'data'),
        // Members replicate from each other.
        ingressRule([{ podLabels: { ...w.selector } }], [REDIS.port], 'data'),
        ingressRule([{ namespace: 'monitoring', podLabels: { 'app.kubernetes.io/name': 'prometheus' } }], [REDIS.exporter.port], 'data'),
      ],
      egress: [],
    });
  }
}

function build(overrides: Partial<StatefulSetOptions> = {}): Obj[] {
  return synth((chart: Chart) => new TestStore(chart, 'Store', overrides), { external: ['Pod/agents/agent'] });
}

describe('createStatefulSet', () => {
  it('builds a store that passes the verification (snapshot)', () => {
    expect(build()).toMatchSnapshot();
  });

  it('names pods under a headless Service that publishes members before they are ready', () => {
    const objs = build();
    const sts = one(objs, 'StatefulSet');
    const headless = one(objs, 'Service', 'cache-headless');
    expect(sts.spec.serviceName).toBe('cache-headless');
    expect(headless.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true, selector: sts.spec.selector.matchLabels });
    expect(one(objs, 'Service', 'cache').spec.clusterIP).toBeUndefined();
  });

  it('gives every pod its own claim, labelled like the workload, and keeps the claims by default', () => {
    const sts = one(build(), 'StatefulSet');
    expect(sts.spec.volumeClaimTemplates).toEqual([
      {
        metadata: { name: 'data', labels: sts.metadata.labels },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      },
    ]);
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
  });

  it('takes pod management, a partitioned rolling update and a retention policy', () => {
    const sts = one(
      build({ podManagementPolicy: 'OrderedReady', updateStrategy: { type: 'RollingUpdate', partition: 2 }, persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' } }),
      'StatefulSet',
    );
    expect(sts.spec.podManagementPolicy).toBe('OrderedReady');
    expect(sts.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 2 } });
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Delete', whenScaled: 'Retain' });
    expect(one(build({ updateStrategy: { type: 'OnDelete' } }), 'StatefulSet').spec.updateStrategy).toEqual({ type: 'OnDelete' });
    expect(one(build(), 'StatefulSet').spec.updateStrategy).toEqual({ type: 'RollingUpdate' });
  });

  it('spreads members without the Deployment-only pod-template-hash key', () => {
    const spread = one(build(), 'StatefulSet').spec.template.spec.topologySpreadConstraints;
    expect(spread.map((t: Obj) => t.topologyKey)).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
    expect(spread.every((t: Obj) => t.matchLabelKeys === undefined)).toBe(true);
  });

  it('keeps a quorum of three members with its PDB', () => {
    expect(one(build(), 'PodDisruptionBudget').spec).toEqual({
      selector: { matchLabels: { 'app.kubernetes.io/name': 'cache', 'app.kubernetes.io/instance': 'cache' } },
      minAvailable: 2,
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    });
  });

  it('is the store construct default child', () => {
    const objs = synth((c) => {
      const store = new TestStore(c, 'Store');
      expect(ApiObject.of(store)).toBe(store.statefulSet);
    }, { external: ['Pod/agents/agent'] });
    expect(objs.length).toBeGreaterThan(0);
  });

  it('counts every member and its claim against the namespace quota', () => {
    // Off only to read the whole report: 30 members need 30 claims where the quota allows 10.
    const objs = synth((c) => new TestStore(c, 'Store', { replicas: 30 }), { verify: 'off' });
    const withNamespace = [...objs, ...synth((c) => new AgentNamespace(c, 'Ns', { name: 'data' }), { verify: 'off' })];
    const pvcs = verify(withNamespace, { external: ['Pod/agents/agent'] }).findings.filter((f) => f.checkId === 'RES-04' && f.path.includes('persistentvolumeclaims'));
    expect(pvcs.map((f) => f.message)).toEqual([expect.stringContaining('StatefulSet "cache" 30 x 1 (30 replicas)')]);
  });
});
