import { Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  anyMutableImage,
  createCronJob,
  createDaemonSet,
  createDeployment,
  createHorizontalPodAutoscaler,
  createJob,
  createNetworkPolicy,
  createReadRole,
  createService,
  defaultPullPolicy,
  dependencyEdges,
  dependsOnAnnotation,
  devProfileWaivers,
  egressRule,
  grantsAccess,
  hardenedContainer,
  hardenedContainerSecurityContext,
  managedMeta,
  parseConstructProps,
  podServiceAccount,
  podTemplate,
  quorumBudget,
  renderEnv,
  renderProbe,
  restrictedPodSecurityContext,
  restrictedPodSpec,
  spreadOverZonesAndHosts,
  VolumeSet,
  claimVolume,
  scratchVolume,
  waiverAnnotations,
  workloadIdentity,
  type WorkloadIdentity,
} from '../../lib/kit/index.js';
import { enableVerification } from '../../lib/index.js';
import { errorOf, one, synth, type Obj } from '../util.js';

const SMALL = { requests: { cpu: '100m', memory: '128Mi', ephemeralStorage: '64Mi' }, limits: { cpu: '200m', memory: '256Mi', ephemeralStorage: '128Mi' } };

/** Runs `build` in a chart without verification and returns the chart's objects: for builder output alone. */
function objects(build: (scope: Construct, w: WorkloadIdentity) => void): Obj[] {
  const app = Testing.app();
  enableVerification(app, { mode: 'off' });
  const chart = new Chart(app, 'c');
  build(chart, workloadIdentity(chart, { namespace: 'ns', name: 'web', image: 'registry.example.com/web:2.0.1', component: 'api' }));
  return Testing.synth(chart) as Obj[];
}

describe('security contexts', () => {
  it('restricts the pod: non-root, group and fsGroup following the user, RuntimeDefault seccomp', () => {
    expect(restrictedPodSecurityContext({ runAsUser: 10001 })).toEqual({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      fsGroup: 10001,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(restrictedPodSecurityContext({ runAsUser: 10001, runAsGroup: 20000, supplementalGroups: [0] })).toMatchObject({ runAsGroup: 20000, fsGroup: 20000, supplementalGroups: [0] });
  });

  it('hardens the container, repeating a UID only when given', () => {
    const c = hardenedContainerSecurityContext();
    expect(c).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, privileged: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.runAsUser).toBeUndefined();
    expect(hardenedContainerSecurityContext(65534, 65534)).toMatchObject({ runAsUser: 65534, runAsGroup: 65534 });
  });
});

describe('containers', () => {
  it('renders env in order: literals, key references (optional only when asked), fields and resources', () => {
    expect(
      renderEnv({
        A: '1',
        B: { fromConfigMap: { name: 'cm', key: 'b' } },
        C: { fromSecret: { name: 's', key: 'c', optional: true } },
        D: { fromField: 'status.podIP' },
        E: { fromResource: { resource: 'limits.memory', divisor: '1Mi' } },
      }),
    ).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', valueFrom: { configMapKeyRef: { name: 'cm', key: 'b' } } },
      { name: 'C', valueFrom: { secretKeyRef: { name: 's', key: 'c', optional: true } } },
      { name: 'D', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'E', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: expect.anything() } } },
    ]);
  });

  it('renders each probe handler with explicit timings', () => {
    const timings = { periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 4 };
    expect(renderProbe({ path: '/ready', ...timings }, 'http')).toMatchObject({ httpGet: { path: '/ready' }, ...timings });
    expect(renderProbe({ tcpPort: 6379, ...timings }, 'http').tcpSocket).toBeDefined();
    expect(renderProbe({ command: ['redis-cli', 'ping'], ...timings }, 'http').exec).toEqual({ command: ['redis-cli', 'ping'] });
  });

  it('pulls digest-pinned images only when absent, anything else always', () => {
    expect(defaultPullPolicy(`registry.example.com/a@sha256:${'0'.repeat(64)}`)).toBe('IfNotPresent');
    expect(defaultPullPolicy('registry.example.com/a:1.0.0')).toBe('Always');
  });

  it('builds a hardened container and writes no empty list', () => {
    const [dep] = objects((scope, w) =>
      createDeployment(scope, 'D', w, {
        replicas: 2,
        strategy: { type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 },
        template: podTemplate({
          labels: w.labels,
          spec: restrictedPodSpec({
            serviceAccountName: 'web',
            runAs: { runAsUser: 10001 },
            containers: [hardenedContainer({ name: 'web', image: 'registry.example.com/web:2.0.1', env: [], ports: [], resources: SMALL })],
          }),
        }),
      }),
    );
    const c = dep!.spec.template.spec.containers[0];
    expect(Object.keys(c).sort()).toEqual(['image', 'imagePullPolicy', 'name', 'resources', 'securityContext', 'terminationMessagePolicy']);
    expect(c.resources).toEqual({
      requests: { cpu: '100m', memory: '128Mi', 'ephemeral-storage': '64Mi' },
      limits: { cpu: '200m', memory: '256Mi', 'ephemeral-storage': '128Mi' },
    });
  });
});

describe('workload identity', () => {
  it('labels with the recommended set, selects on the stable pair, and lets user labels replace neither', () => {
    const app = Testing.app();
    const w = workloadIdentity(new Chart(app, 'c'), {
      namespace: 'ns',
      name: 'web-blue',
      appName: 'web',
      image: 'registry.example.com/web:2.0.1',
      component: 'api',
      partOf: 'shop',
      labels: { team: 'a', 'app.kubernetes.io/name': 'spoofed' },
    });
    expect(w.selector).toEqual({ 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/instance': 'web-blue' });
    expect(w.labels).toEqual({
      team: 'a',
      'app.kubernetes.io/name': 'web',
      'app.kubernetes.io/instance': 'web-blue',
      'app.kubernetes.io/version': '2.0.1',
      'app.kubernetes.io/component': 'api',
      'app.kubernetes.io/part-of': 'shop',
      'app.kubernetes.io/managed-by': 'cdk8s-agent-platform',
    });
    expect(w.meta('ConfigMap', 'web-config')).toEqual({ name: 'web-config', namespace: 'ns', labels: w.labels });
    expect(w.clusterMeta('ClusterRole', 'ns-web')).toEqual({ name: 'ns-web', labels: w.labels });
  });

  it('claims each name once per kind and namespace, naming both construct paths', () => {
    const chart = new Chart(Testing.app(), 'c');
    const a = workloadIdentity(new Construct(chart, 'A'), { namespace: 'ns', name: 'web' });
    const b = workloadIdentity(new Construct(chart, 'B'), { namespace: 'ns', name: 'web' });
    a.meta('Service');
    b.meta('Service', 'web-other');
    expect(errorOf(() => b.meta('Service'))).toBe('c/B: duplicate Service "web" in namespace "ns", already defined by c/A; give one of them another name');
    expect(managedMeta(chart, 'Namespace', undefined, 'ns', { team: 'a' })).toEqual({ name: 'ns', labels: { team: 'a', 'app.kubernetes.io/managed-by': 'cdk8s-agent-platform' } });
  });
});

describe('pods and volumes', () => {
  it('writes a restricted pod spec: no token, no service links, pull secrets and the given scheduling', () => {
    const spec = restrictedPodSpec({
      serviceAccountName: 'web',
      runAs: { runAsUser: 10001 },
      containers: [],
      imagePullSecrets: ['regcred'],
      restartPolicy: 'Never',
      nodeSelector: {},
      tolerations: [],
    });
    expect(spec).toMatchObject({ serviceAccountName: 'web', automountServiceAccountToken: false, enableServiceLinks: false, restartPolicy: 'Never', imagePullSecrets: [{ name: 'regcred' }] });
    expect(spec.nodeSelector).toBeUndefined();
    expect(spec.tolerations).toBeUndefined();
  });

  it('spreads Deployment pods per ReplicaSet and StatefulSet pods across revisions', () => {
    expect(spreadOverZonesAndHosts({ a: 'b' })[0]).toMatchObject({ topologyKey: 'topology.kubernetes.io/zone', matchLabelKeys: ['pod-template-hash'] });
    expect(spreadOverZonesAndHosts({ a: 'b' }, 'StatefulSet')[1]!.matchLabelKeys).toBeUndefined();
  });

  it('collects volumes with the main container mounts', () => {
    const set = new VolumeSet();
    set.add(scratchVolume('tmp', '/tmp', '64Mi', 'Memory'));
    set.add(claimVolume('data', 'web-data', '/data', true));
    expect(set.mounts).toEqual([
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'data', mountPath: '/data', readOnly: true },
    ]);
    expect(set.volumes[1]).toEqual({ name: 'data', persistentVolumeClaim: { claimName: 'web-data', readOnly: true } });
  });
});

describe('services, access and network', () => {
  it('targets named container ports, with ClientIP affinity on request', () => {
    const [svc] = objects((scope, w) => createService(scope, 'S', w, { ports: [{ name: 'http', port: 80 }], sessionAffinity: 'ClientIP' }));
    expect(svc!.spec).toEqual({
      type: 'ClusterIP',
      selector: { 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/instance': 'web' },
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
    });
  });

  it('creates a dedicated ServiceAccount unless one is given, and a Role only for names granted', () => {
    const objs = objects((scope, w) => {
      expect(podServiceAccount(scope, 'Mine', w, 'shared').serviceAccount).toBeUndefined();
      const own = podServiceAccount(scope, 'Own', w, undefined);
      expect(grantsAccess({ configMaps: [], secrets: [] })).toBe(false);
      createReadRole(scope, { role: 'Role', binding: 'Binding' }, w, { configMaps: ['web-config'], secrets: [] }, own.name);
    });
    expect(one(objs, 'ServiceAccount').automountServiceAccountToken).toBe(false);
    expect(one(objs, 'Role').rules).toEqual([{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['web-config'], verbs: ['get'] }]);
    expect(one(objs, 'RoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: 'web', namespace: 'ns' }]);
  });

  it('opens both directions explicitly, with ANDed peers and declared edges', () => {
    const peer = { namespace: 'data', podLabels: { 'app.kubernetes.io/name': 'cache' } };
    const [np] = objects((scope, w) => createNetworkPolicy(scope, 'N', w, { ingress: [], egress: [egressRule({ pods: peer }, [6379], 'ns'), egressRule({ cidr: '10.0.0.0/8', except: [] }, [443], 'ns')] }));
    expect(np!.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np!.spec.egress[0].to).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'data' } }, podSelector: { matchLabels: peer.podLabels } }]);
    expect(np!.spec.egress[1].to).toEqual([{ ipBlock: { cidr: '10.0.0.0/8' } }]);
    expect(dependencyEdges([{ pods: peer, ports: [{ port: 6379 }] }, { cidr: '0.0.0.0/0', ports: [{ port: 443 }] }], 'ns')).toEqual(['data/cache:6379']);
    expect(dependsOnAnnotation([])).toEqual({});
  });
});

describe('availability and scaling', () => {
  it('keeps a majority of members and refuses a quorum it cannot keep', () => {
    expect(quorumBudget(3)).toEqual({ minAvailable: 2 });
    expect(quorumBudget(5)).toEqual({ minAvailable: 3 });
    expect(errorOf(() => quorumBudget(2))).toBe('quorumBudget: 2 members cannot lose one and keep a majority; run 3 or more');
  });

  it('scales on CPU, memory and per-pod metrics with the given behaviour', () => {
    const rules = { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 2, periodSeconds: 30 }] };
    const [hpa] = objects((scope, w) =>
      createHorizontalPodAutoscaler(scope, 'H', w, { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web' }, {
        minReplicas: 3,
        maxReplicas: 5,
        cpuUtilization: 60,
        memoryUtilization: 80,
        podsMetrics: [{ name: 'queue_depth', averageValue: '10' }],
        behavior: { scaleUp: rules, scaleDown: rules },
      }),
    );
    expect(hpa!.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web' });
    expect(hpa!.spec.metrics.map((m: Obj) => m.type)).toEqual(['Resource', 'Resource', 'Pods']);
  });
});

describe('jobs and node agents', () => {
  const spec = restrictedPodSpec({
    restartPolicy: 'Never',
    serviceAccountName: 'web',
    runAs: { runAsUser: 10001 },
    containers: [hardenedContainer({ name: 'run', image: 'registry.example.com/web:2.0.1', resources: SMALL })],
  });

  it('bounds a Job and labels its pods like the workload', () => {
    const [job] = objects((scope, w) => createJob(scope, 'J', w, { backoffLimit: 1, activeDeadlineSeconds: 60, ttlSecondsAfterFinished: 600, podSpec: spec, annotations: waiverAnnotations(['WKL-04'], 'kept') }));
    expect(job!.spec).toMatchObject({ backoffLimit: 1, activeDeadlineSeconds: 60, ttlSecondsAfterFinished: 600 });
    expect(job!.spec.template.metadata.labels['app.kubernetes.io/instance']).toBe('web');
    expect(job!.metadata.annotations).toEqual({ 'waivers.cdk8s-agent-platform.dev/WKL-04': 'kept' });
  });

  it('never overlaps CronJob runs by default and writes the time zone', () => {
    const cron = { schedule: '0 3 * * *', timeZone: 'Europe/Berlin', startingDeadlineSeconds: 600, successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 3, suspend: false };
    const [cj] = objects((scope, w) => createCronJob(scope, 'C', w, cron, { backoffLimit: 0, activeDeadlineSeconds: 60, podSpec: spec }));
    expect(cj!.spec).toMatchObject({ ...cron, concurrencyPolicy: 'Forbid' });
    expect(cj!.spec.jobTemplate.spec.template.spec.restartPolicy).toBe('Never');
  });

  it('rolls a DaemonSet out a share of the nodes at a time', () => {
    const [ds] = objects((scope, w) => createDaemonSet(scope, 'D', w, { template: podTemplate({ labels: w.labels, spec }) }));
    expect(ds!.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%' } });
  });
});

describe('constructs on the kit', () => {
  const schema = z.strictObject({ name: z.string() });
  class Thing extends Construct {
    constructor(scope: Construct, id: string, props: unknown) {
      super(scope, id);
      parseConstructProps(this, schema, props);
    }
  }

  it('parse props first, naming the construct path, and turn the verification on', () => {
    expect(errorOf(() => synth((c) => new Thing(c, 'T', { name: 1 })))).toContain('test/T props.name:');
    const app = Testing.app();
    new Thing(new Chart(app, 'c'), 'T', { name: 'x' });
    // The verification is on: a Deployment without resources in the app now fails synth.
    const chart = new Chart(app, 'd');
    createDeployment(chart, 'D', workloadIdentity(chart, { namespace: 'ns', name: 'bare' }), {
      strategy: { type: 'Recreate' },
      template: podTemplate({ labels: { 'app.kubernetes.io/name': 'bare', 'app.kubernetes.io/instance': 'bare' }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } }),
    });
    expect(errorOf(() => app.synth())).toContain('RES-01');
  });

  it('record the dev profile relaxations only where they apply', () => {
    expect(devProfileWaivers('production', { singleReplica: true, mutableImage: true })).toEqual({});
    expect(Object.keys(devProfileWaivers('dev', { singleReplica: true, mutableImage: false, plainHttp: true }))).toEqual([
      'waivers.cdk8s-agent-platform.dev/AVL-01',
      'waivers.cdk8s-agent-platform.dev/NET-07',
    ]);
    expect(anyMutableImage(['registry.example.com/a:1.0.0', 'registry.example.com/b'])).toBe(true);
    expect(anyMutableImage([`registry.example.com/a@sha256:${'0'.repeat(64)}`])).toBe(false);
  });
});
