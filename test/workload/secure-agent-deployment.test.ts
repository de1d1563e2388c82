import { ApiObject, JsonPatch } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { SecureAgentDeployment, type SecureAgentDeploymentProps } from '../../lib/index.js';
import { all, errorOf, one, synth, type Obj, type SynthOptions } from '../util.js';

const base: SecureAgentDeploymentProps = {
  name: 'agent',
  namespace: 'agents',
  image: 'registry.example.com/agent:1.2.3',
};

/** What the tests' workloads reference and a test bundle does not hold (Secrets and ConfigMaps of the app, a caller's pods). */
const EXTERNAL = [
  'Secret/agent-secrets',
  'Secret/agent-tls',
  'Secret/otel',
  'Secret/regcred',
  'Secret/s',
  'Secret/t',
  'ConfigMap/agent-cfg',
  'ConfigMap/agent-env',
  'ConfigMap/cm',
  'ConfigMap/cm-all',
  'ConfigMap/more',
  'Pod/scheduler',
];

function build(props: Partial<SecureAgentDeploymentProps> = {}, options: SynthOptions = {}): Obj[] {
  return synth((chart) => new SecureAgentDeployment(chart, 'Agent', { ...base, ...props }), { external: EXTERNAL, ...options });
}

function reject(props: Partial<SecureAgentDeploymentProps>): string {
  return errorOf(() => build(props));
}

describe('SecureAgentDeployment', () => {
  it('synthesizes the production defaults (snapshot)', () => {
    expect(build()).toMatchSnapshot();
  });

  it('synthesizes a fully featured workload (snapshot)', () => {
    expect(
      build({
        env: { LOG_LEVEL: 'info', API_KEY: { fromSecret: { name: 'agent-secrets', key: 'api-key' } }, MODE: { fromConfigMap: { name: 'agent-cfg', key: 'mode' } } },
        envFrom: [{ configMap: 'agent-env' }],
        configFiles: { files: { 'app.yaml': 'a: 1\n' } },
        secretVolumes: [{ name: 'tls', secretName: 'agent-tls', mountPath: '/tls' }],
        rbac: { configMaps: ['agent-config'], secrets: ['agent-secrets'] },
        egress: [
          { pods: { podLabels: { 'app.kubernetes.io/name': 'postgres' } }, ports: [{ port: 5432 }] },
          { pods: { namespace: 'cache', podLabels: { 'app.kubernetes.io/name': 'redis' } }, ports: [{ port: 6379 }] },
        ],
        allowFrom: [{ namespace: 'tools', podLabels: { 'app.kubernetes.io/name': 'caller' } }],
        sidecars: [
          {
            name: 'proxy',
            image: 'registry.example.com/proxy:2.0.0',
            ports: [{ name: 'proxy', containerPort: 15000 }],
            livenessProbe: { tcpPort: 'proxy' },
            readinessProbe: { path: '/ready' },
          },
        ],
        initContainers: [{ name: 'init', image: 'registry.example.com/init:1.0.0', command: ['/init'] }],
        imagePullSecrets: ['regcred'],
        nodeSelector: { 'kubernetes.io/arch': 'amd64' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'agents', effect: 'NoSchedule' }],
        priorityClassName: 'agents-high',
        exposure: { type: 'ingress', host: 'agent.example.com', tls: { secretName: 'agent-tls', clusterIssuer: 'letsencrypt-prod' } },
      }),
    ).toMatchSnapshot();
  });

  describe('pod security', () => {
    it('meets Pod Security restricted on the pod and every container', () => {
      const dep = one(
        build({
          sidecars: [{ name: 'side', image: 'registry.example.com/side:1.0.0', livenessProbe: { command: ['/bin/alive'] }, readinessProbe: { command: ['/bin/ready'] } }],
          initContainers: [{ name: 'init', image: 'registry.example.com/init:1.0.0' }],
        }),
        'Deployment',
      );
      const spec = dep.spec.template.spec;
      expect(spec.securityContext).toEqual({
        runAsNonRoot: true,
        runAsUser: 10001,
        runAsGroup: 10001,
        fsGroup: 10001,
        fsGroupChangePolicy: 'OnRootMismatch',
        seccompProfile: { type: 'RuntimeDefault' },
      });
      const containers = [...spec.containers, ...spec.initContainers];
      expect(containers).toHaveLength(3);
      for (const c of containers) {
        expect(c.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          runAsUser: 10001,
          runAsGroup: 10001,
          privileged: false,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
      }
      expect(spec.hostNetwork).toBeUndefined();
    });

    it('does not mount a service account token without API access', () => {
      const objs = build();
      expect(one(objs, 'Deployment').spec.template.spec.automountServiceAccountToken).toBe(false);
      expect(one(objs, 'ServiceAccount').automountServiceAccountToken).toBe(false);
      expect(all(objs, 'Role')).toHaveLength(0);
    });

    it('grants get on named ConfigMaps and Secrets only, and mounts the token', () => {
      const objs = build({ rbac: { configMaps: ['cfg'], secrets: ['sec'] } });
      expect(one(objs, 'Role').rules).toEqual([
        { apiGroups: [''], resources: ['configmaps'], resourceNames: ['cfg'], verbs: ['get'] },
        { apiGroups: [''], resources: ['secrets'], resourceNames: ['sec'], verbs: ['get'] },
      ]);
      expect(one(objs, 'RoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: 'agent', namespace: 'agents' }]);
      const tpl = one(objs, 'Deployment').spec.template;
      expect(tpl.spec.automountServiceAccountToken).toBe(true);
      expect(tpl.metadata.labels['cdk8s-agent-platform.dev/api-access']).toBe('true');
    });

    it('accepts a bring-your-own ServiceAccount', () => {
      const objs = build({ serviceAccountName: 'shared-sa' }, { external: [...EXTERNAL, 'ServiceAccount/shared-sa'] });
      expect(all(objs, 'ServiceAccount')).toHaveLength(0);
      expect(one(objs, 'Deployment').spec.template.spec.serviceAccountName).toBe('shared-sa');
    });

    it('fails synth for a bring-your-own ServiceAccount that is neither in the app nor declared external', () => {
      expect(reject({ serviceAccountName: 'shared-sa' })).toContain('SEC-04 High Deployment agents/agent spec.template.spec.serviceAccountName: pod runs as ServiceAccount "shared-sa", which is not in the bundle');
    });

    it('uses the given UID, group and fsGroup', () => {
      const spec = one(build({ securityContext: { runAsUser: 1000, runAsGroup: 2000, fsGroup: 3000 } }), 'Deployment').spec.template.spec;
      expect([spec.securityContext.runAsUser, spec.securityContext.runAsGroup, spec.securityContext.fsGroup]).toEqual([1000, 2000, 3000]);
    });
  });

  describe('deployment', () => {
    it('rolls with maxSurge 1 and maxUnavailable 0 and omits replicas under an HPA', () => {
      const dep = one(build(), 'Deployment');
      expect(dep.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
      expect(dep.spec.replicas).toBeUndefined();
    });

    it('names objects after the name prop, without hash suffixes', () => {
      const objs = build({ exposure: { type: 'ingress', host: 'a.example.com', tls: { secretName: 't' } } });
      expect(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
        'Deployment/agent',
        'HorizontalPodAutoscaler/agent',
        'Ingress/agent',
        'NetworkPolicy/agent',
        'PodDisruptionBudget/agent',
        'Service/agent',
        'ServiceAccount/agent',
      ]);
    });

    it('labels with the recommended set and selects on name and instance only', () => {
      const objs = build({ labels: { team: 'ai', 'app.kubernetes.io/name': 'hijack' }, partOf: 'platform' });
      const dep = one(objs, 'Deployment');
      expect(dep.metadata.labels).toEqual({
        team: 'ai',
        'app.kubernetes.io/name': 'agent',
        'app.kubernetes.io/instance': 'agent',
        'app.kubernetes.io/version': '1.2.3',
        'app.kubernetes.io/component': 'agent',
        'app.kubernetes.io/part-of': 'platform',
        'app.kubernetes.io/managed-by': 'cdk8s-agent-platform',
      });
      const selector = { 'app.kubernetes.io/name': 'agent', 'app.kubernetes.io/instance': 'agent' };
      expect(dep.spec.selector.matchLabels).toEqual(selector);
      expect(one(objs, 'Service').spec.selector).toEqual(selector);
      expect(one(objs, 'PodDisruptionBudget').spec.selector.matchLabels).toEqual(selector);
      expect(one(objs, 'NetworkPolicy').spec.podSelector.matchLabels).toEqual(selector);
    });

    it('names ports, with metrics on their own port and scrape annotations', () => {
      const dep = one(build(), 'Deployment');
      const c = dep.spec.template.spec.containers[0];
      expect(c.ports).toEqual([
        { name: 'http', containerPort: 8080, protocol: 'TCP' },
        { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
      ]);
      expect(dep.spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090', 'prometheus.io/path': '/metrics' });
    });

    it('probes liveness and readiness on different endpoints, with a startup probe', () => {
      const c = one(build(), 'Deployment').spec.template.spec.containers[0];
      expect(c.livenessProbe).toEqual({ httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 });
      expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(c.startupProbe).toEqual({ httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 0, periodSeconds: 2, timeoutSeconds: 3, failureThreshold: 30 });
    });

    it('sizes from presets, including ephemeral storage', () => {
      // The default production quota admits 5 such pods at peak: 4 HPA replicas and the surge.
      const c = one(build({ resources: 'large', autoscaling: { minReplicas: 2, maxReplicas: 4 } }), 'Deployment').spec.template.spec.containers[0];
      expect(c.resources).toEqual({
        requests: { cpu: '1', memory: '2Gi', 'ephemeral-storage': '512Mi' },
        limits: { cpu: '2', memory: '4Gi', 'ephemeral-storage': '4Gi' },
      });
    });

    it('renders env literals, ConfigMap and Secret references in order, and envFrom', () => {
      const c = one(
        build({
          env: { A: '1', B: { fromConfigMap: { name: 'cm', key: 'b' } }, C_TOKEN: { fromSecret: { name: 's', key: 'c' } }, D: { fromField: 'metadata.name' } },
          envFrom: [{ configMap: 'cm-all' }, { configMap: 'more', prefix: 'M_' }],
        }),
        'Deployment',
      ).spec.template.spec.containers[0];
      expect(c.env).toEqual([
        { name: 'A', value: '1' },
        { name: 'B', valueFrom: { configMapKeyRef: { name: 'cm', key: 'b' } } },
        { name: 'C_TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'c' } } },
        { name: 'D', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'SHUTDOWN_DRAIN_SECONDS', value: '30' },
        { name: 'TERMINATION_GRACE_PERIOD_SECONDS', value: '35' },
      ]);
      expect(c.envFrom).toEqual([{ configMapRef: { name: 'cm-all' } }, { configMapRef: { name: 'more' }, prefix: 'M_' }]);
    });

    it('mounts writable emptyDirs with a size limit and a read-only root filesystem', () => {
      const spec = one(build(), 'Deployment').spec.template.spec;
      expect(spec.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '256Mi' } }]);
      expect(spec.containers[0].volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    });

    it('mounts config files from its own ConfigMap and rolls pods when they change', () => {
      const checksum = (content: string) => {
        const objs = build({ configFiles: { files: { 'a.toml': content } } });
        expect(one(objs, 'ConfigMap', 'agent-config').data).toEqual({ 'a.toml': content });
        const tpl = one(objs, 'Deployment').spec.template;
        expect(tpl.spec.containers[0].volumeMounts).toContainEqual({ name: 'config', mountPath: '/config', readOnly: true });
        return tpl.metadata.annotations['checksum/config'] as string;
      };
      const a = checksum('x = 1');
      expect(a).toMatch(/^[a-f0-9]{64}$/);
      expect(checksum('x = 1')).toBe(a);
      expect(checksum('x = 2')).not.toBe(a);
    });

    it('creates a PVC and switches to Recreate for ReadWriteOnce with one replica', () => {
      const objs = build({ profile: 'dev', persistentVolume: { mountPath: '/data', size: '5Gi', storageClassName: 'fast-ssd' } });
      expect(one(objs, 'PersistentVolumeClaim', 'agent-data').spec).toEqual({ accessModes: ['ReadWriteOnce'], storageClassName: 'fast-ssd', resources: { requests: { storage: '5Gi' } } });
      expect(one(objs, 'Deployment').spec.strategy).toEqual({ type: 'Recreate' });
    });

    it('accepts ReadWriteMany storage with several replicas', () => {
      const objs = build({ persistentVolume: { mountPath: '/data', size: '5Gi', accessMode: 'ReadWriteMany' } });
      expect(one(objs, 'PersistentVolumeClaim').spec.accessModes).toEqual(['ReadWriteMany']);
      expect(one(objs, 'Deployment').spec.strategy.type).toBe('RollingUpdate');
    });

    it('execs a sleep binary as preStop and sizes the grace period to cover preStop + drain', () => {
      const spec = one(build({ shutdown: { preStop: { type: 'execSleep', seconds: 5 }, drainSeconds: 60 } }), 'Deployment').spec.template;
      expect(spec.spec.containers[0].lifecycle).toEqual({ preStop: { exec: { command: ['/bin/sleep', '5'] } } });
      expect(spec.spec.terminationGracePeriodSeconds).toBe(70);
      expect(spec.metadata.annotations['cdk8s-agent-platform.dev/drain-seconds']).toBe('60');
    });

    it('has no preStop by default: the reference runtime delays its own shutdown', () => {
      const spec = one(build(), 'Deployment').spec.template.spec;
      expect(spec.containers[0].lifecycle).toBeUndefined();
      expect(spec.terminationGracePeriodSeconds).toBe(35);
    });

    it('tells the app its drain and grace period as env when it has no preStop hook', () => {
      const env = (props: Partial<SecureAgentDeploymentProps>) => one(build(props), 'Deployment').spec.template.spec.containers[0].env as Obj[] | undefined;
      expect(env({ shutdown: { drainSeconds: 45, terminationGracePeriodSeconds: 60 } })).toEqual([
        { name: 'SHUTDOWN_DRAIN_SECONDS', value: '45' },
        { name: 'TERMINATION_GRACE_PERIOD_SECONDS', value: '60' },
      ]);
      // With an exec preStop the image is not the reference runtime's design: nothing is added.
      expect(env({ shutdown: { preStop: { type: 'execSleep', seconds: 5 }, drainSeconds: 60 } })).toBeUndefined();
    });

    it('rejects env that the shutdown settings write', () => {
      expect(errorOf(() => build({ env: { SHUTDOWN_DRAIN_SECONDS: '30' } }))).toBe(
        'test/Agent props.env.SHUTDOWN_DRAIN_SECONDS: is set from props.shutdown when preStop is none, got "30"; remove it and set shutdown.drainSeconds or shutdown.terminationGracePeriodSeconds',
      );
      synth((chart) => {
        const agent = new SecureAgentDeployment(chart, 'Agent', base);
        expect(errorOf(() => agent.addEnv('TERMINATION_GRACE_PERIOD_SECONDS', '60'))).toBe(
          'test/Agent: env var TERMINATION_GRACE_PERIOD_SECONDS is already set on container "agent"; set it in one place only',
        );
      });
    });

    it('spreads softly over zones and hosts', () => {
      const spec = one(build(), 'Deployment').spec.template.spec;
      expect(spec.topologySpreadConstraints.map((t: Obj) => [t.topologyKey, t.whenUnsatisfiable, t.maxSkew])).toEqual([
        ['topology.kubernetes.io/zone', 'ScheduleAnyway', 1],
        ['kubernetes.io/hostname', 'ScheduleAnyway', 1],
      ]);
    });

    it('hardens sidecars and init containers and gives them resources', () => {
      const spec = one(
        build({ sidecars: [{ name: 'exporter', image: 'registry.example.com/exporter:1.0.0', runAsUser: 65534, ports: [{ name: 'exp', containerPort: 9121 }], livenessProbe: { tcpPort: 'exp' }, readinessProbe: { path: '/metrics' } }] }),
        'Deployment',
      ).spec.template.spec;
      const side = spec.containers[1];
      expect(side.securityContext.runAsUser).toBe(65534);
      expect(side.resources.limits).toEqual({ cpu: '500m', memory: '1Gi', 'ephemeral-storage': '1Gi' });
      expect(side.livenessProbe.tcpSocket).toEqual({ port: 'exp' });
    });

    it('pulls mutable tags always and digest-pinned images only if not present', () => {
      expect(one(build(), 'Deployment').spec.template.spec.containers[0].imagePullPolicy).toBe('Always');
      const digest = `registry.example.com/agent@sha256:${'a'.repeat(64)}`;
      expect(one(build({ image: digest }), 'Deployment').spec.template.spec.containers[0].imagePullPolicy).toBe('IfNotPresent');
    });
  });

  describe('profiles', () => {
    it('dev: one replica, no HPA or PDB, mutable tags allowed, security defaults on', () => {
      const objs = build({ profile: 'dev', image: 'registry.example.com/agent:latest' });
      expect(one(objs, 'Deployment').spec.replicas).toBe(1);
      expect(all(objs, 'HorizontalPodAutoscaler')).toHaveLength(0);
      expect(all(objs, 'PodDisruptionBudget')).toHaveLength(0);
      expect(one(objs, 'Deployment').spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
    });

    it('staging: an HPA from 2 to 4 and a PDB', () => {
      const objs = build({ profile: 'staging' });
      expect(one(objs, 'HorizontalPodAutoscaler').spec).toMatchObject({ minReplicas: 2, maxReplicas: 4 });
      expect(one(objs, 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
    });

    it('production: an HPA from 3 to 10 with stabilization windows', () => {
      const hpa = one(build(), 'HorizontalPodAutoscaler');
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(hpa.spec).toEqual({
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'agent' },
        minReplicas: 3,
        maxReplicas: 10,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
        behavior: {
          scaleUp: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 30 }] },
          scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] },
        },
      });
    });

    it('a static replica count turns the default HPA off', () => {
      const objs = build({ replicas: 4 });
      expect(one(objs, 'Deployment').spec.replicas).toBe(4);
      expect(all(objs, 'HorizontalPodAutoscaler')).toHaveLength(0);
    });

    it('adds memory and custom pods metrics to the HPA', () => {
      const props = { autoscaling: { minReplicas: 4, maxReplicas: 20, memoryUtilization: 80, podsMetrics: [{ name: 'http_requests_per_second', averageValue: '100' }] } };
      // A Pods metric needs the custom metrics API of an adapter (AVL-12, D-SRK-07): synth fails without one.
      expect(errorOf(() => build(props))).toContain('AVL-12 High HorizontalPodAutoscaler agents/agent spec.metrics[2]');
      const hpa = one(build(props, { external: [...EXTERNAL, 'APIService/v1beta1.custom.metrics.k8s.io'] }), 'HorizontalPodAutoscaler');
      expect(hpa.spec.metrics.slice(1)).toEqual([
        { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } } },
        { type: 'Pods', pods: { metric: { name: 'http_requests_per_second' }, target: { type: 'AverageValue', averageValue: '100' } } },
      ]);
    });

    it('never lets the PDB block a drain', () => {
      expect(one(build(), 'PodDisruptionBudget').spec).toEqual({
        selector: { matchLabels: { 'app.kubernetes.io/name': 'agent', 'app.kubernetes.io/instance': 'agent' } },
        maxUnavailable: 1,
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      });
      expect(one(build({ pdb: { minAvailable: 2 } }), 'PodDisruptionBudget').spec.minAvailable).toBe(2);
    });
  });

  describe('network policy', () => {
    it('admits the ingress controller and Prometheus with ANDed peers, and egress to dependencies', () => {
      const np = one(
        build({
          exposure: { type: 'ingress', host: 'a.example.com', tls: { secretName: 't' } },
          egress: [
            { pods: { podLabels: { 'app.kubernetes.io/name': 'postgres' } }, ports: [{ port: 5432 }] },
            { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16'], ports: [{ port: 443 }] },
          ],
        }),
        'NetworkPolicy',
      );
      expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
      expect(np.spec.ingress).toEqual([
        {
          from: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } },
              podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' } },
            },
          ],
          ports: [{ protocol: 'TCP', port: 8080 }],
        },
        {
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }],
          ports: [{ protocol: 'TCP', port: 9090 }],
        },
      ]);
      expect(np.spec.egress).toEqual([
        { to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'postgres' } } }], ports: [{ protocol: 'TCP', port: 5432 }] },
        { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16'] } }], ports: [{ protocol: 'TCP', port: 443 }] },
      ]);
    });

    it('records dependency edges for the network invariants', () => {
      const tpl = one(build({ egress: [{ pods: { namespace: 'data', podLabels: { 'app.kubernetes.io/name': 'redis' } }, ports: [{ port: 6379 }] }] }), 'Deployment').spec.template;
      expect(tpl.metadata.annotations['cdk8s-agent-platform.dev/depends-on']).toBe('data/redis:6379');
    });

    it('uses the Envoy Gateway preset with an HTTPRoute', () => {
      const np = one(build({ exposure: { type: 'httpRoute', gateway: { name: 'gw', sectionName: 'https' }, hostnames: ['a.example.com'] } }), 'NetworkPolicy');
      expect(np.spec.ingress[0].from[0].namespaceSelector.matchLabels).toEqual({ 'kubernetes.io/metadata.name': 'envoy-gateway-system' });
    });
  });

  describe('exposure', () => {
    it('renders an Ingress with TLS, cert-manager and real ingress-nginx annotations', () => {
      const ing = one(build({ exposure: { type: 'ingress', host: 'a.example.com', tls: { secretName: 'a-tls', clusterIssuer: 'letsencrypt-prod' }, bodySize: '50m' } }), 'Ingress');
      expect(ing.metadata.annotations).toEqual({
        'nginx.ingress.kubernetes.io/proxy-body-size': '50m',
        'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
        'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
        'nginx.ingress.kubernetes.io/limit-rps': '100',
        'nginx.ingress.kubernetes.io/limit-burst-multiplier': '5',
        'nginx.ingress.kubernetes.io/ssl-redirect': 'true',
        'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true',
        'cert-manager.io/cluster-issuer': 'letsencrypt-prod',
      });
      expect(ing.spec).toEqual({
        ingressClassName: 'nginx',
        tls: [{ hosts: ['a.example.com'], secretName: 'a-tls' }],
        rules: [{ host: 'a.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'agent', port: { name: 'http' } } } }] } }],
      });
    });

    it('renders an HTTPRoute to the app port only', () => {
      const route = one(build({ exposure: { type: 'httpRoute', gateway: { name: 'public', namespace: 'gw', sectionName: 'https' }, hostnames: ['a.example.com'] } }), 'HTTPRoute');
      expect(route.apiVersion).toBe('gateway.networking.k8s.io/v1');
      expect(route.spec).toEqual({
        parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public', namespace: 'gw', sectionName: 'https' }],
        hostnames: ['a.example.com'],
        rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ kind: 'Service', name: 'agent', port: 80 }] }],
      });
    });

    it('blocks the metrics path at the edge when metrics share the app port', () => {
      const objs = build({ metrics: { port: 8080 }, exposure: { type: 'ingress', host: 'a.example.com', tls: { secretName: 't' } } });
      const blocked = one(objs, 'Ingress', 'agent-blocked');
      expect(blocked.metadata.annotations['nginx.ingress.kubernetes.io/denylist-source-range']).toBe('0.0.0.0/0,::/0');
      expect(blocked.spec.rules[0].http.paths).toEqual([{ path: '/metrics', pathType: 'Prefix', backend: { service: { name: 'agent', port: { name: 'http' } } } }]);
      const route = one(build({ metrics: { port: 8080 }, exposure: { type: 'httpRoute', gateway: { name: 'g', sectionName: 'https' }, hostnames: ['a.example.com'] } }), 'HTTPRoute');
      expect(route.spec.rules[0]).toEqual({ matches: [{ path: { type: 'PathPrefix', value: '/metrics' } }] });
    });

    it('never routes or exposes the metrics port on the Service as the app port', () => {
      const svc = one(build(), 'Service');
      expect(svc.spec.ports).toEqual([
        { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
        { name: 'metrics', port: 9090, targetPort: 'metrics', protocol: 'TCP' },
      ]);
      expect(svc.spec.type).toBe('ClusterIP');
    });
  });

  it('exposes typed children and a working escape hatch', () => {
    const objs = synth((chart) => {
      const agent = new SecureAgentDeployment(chart, 'Agent', base);
      expect(agent.deployment.name).toBe('agent');
      expect(agent.hpa?.kind).toBe('HorizontalPodAutoscaler');
      agent.deployment.addJsonPatch(JsonPatch.add('/spec/template/spec/hostname', 'patched'));
      ApiObject.of(agent.service).metadata.addAnnotation('example.com/owner', 'team-ai');
    }, { external: EXTERNAL });
    expect(one(objs, 'Deployment').spec.template.spec.hostname).toBe('patched');
    expect(one(objs, 'Service').metadata.annotations).toEqual({ 'example.com/owner': 'team-ai' });
  });

  it('fails on two objects of one kind with one name in a namespace', () => {
    const msg = errorOf(() =>
      synth((chart) => {
        new SecureAgentDeployment(chart, 'A', base);
        new SecureAgentDeployment(chart, 'B', base);
      }, { external: EXTERNAL }),
    );
    expect(msg).toBe('test/B: duplicate Deployment "agent" in namespace "agents", already defined by test/A; give one of them another name');
  });

  describe('rejects bad props with the construct path, property, value and fix', () => {
    const cases: [string, Partial<SecureAgentDeploymentProps>, string][] = [
      ['a name that is not DNS-1035', { name: 'Agent_1' }, `test/Agent props.name: is not a DNS-1035 label, got "Agent_1"; use lowercase letters, digits and '-', starting with a letter and ending with a letter or digit`],
      ['a name that is too long', { name: 'a'.repeat(48) }, `test/Agent props.name: is longer than 47 characters, got "${'a'.repeat(48)}"; shorten it: pod names add 16 characters and must stay within 63`],
      ['a malformed memory quantity', { resources: { requests: { cpu: '1', memory: '2GB', ephemeralStorage: '1Gi' }, limits: { cpu: '2', memory: '4Gi', ephemeralStorage: '1Gi' } } }, `test/Agent props.resources.requests.memory: is not a byte quantity, got "2GB"; use a Kubernetes quantity like '512Mi' or '2Gi' (binary suffixes Ki, Mi, Gi)`],
      ['a malformed cpu quantity', { resources: { requests: { cpu: '2 cores', memory: '1Gi', ephemeralStorage: '1Gi' }, limits: { cpu: '2', memory: '4Gi', ephemeralStorage: '1Gi' } } }, `test/Agent props.resources.requests.cpu: is not a CPU quantity, got "2 cores"; use millicores like '500m' or cores like '2'`],
      ['zero replicas', { replicas: 0 }, 'test/Agent props.replicas: must be at least 1, got 0; use 1 or more replicas (2 or more outside dev)'],
      ['negative replicas', { replicas: -2 }, 'test/Agent props.replicas: must be at least 1, got -2; use 1 or more replicas (2 or more outside dev)'],
      ['HPA min above max', { autoscaling: { minReplicas: 5, maxReplicas: 3 } }, 'test/Agent props.autoscaling.minReplicas: is above autoscaling.maxReplicas (3), got 5; make minReplicas at most maxReplicas'],
      ['a PDB that blocks drains', { pdb: { minAvailable: 3 } }, 'test/Agent props.pdb.minAvailable: leaves no eviction at 3 replicas, so it blocks node drains, got 3; use at most 2, or maxUnavailable: 1'],
      ['a PDB with maxUnavailable 0', { pdb: { maxUnavailable: 0 } }, 'test/Agent props.pdb.maxUnavailable: allows no eviction, so it blocks node drains, got 0; use 1 or more'],
      ['a port out of range', { port: 70000 }, 'test/Agent props.port: is out of range, got 70000; use an integer from 1 to 65535'],
      ['a duplicated port name', { additionalPorts: [{ name: 'http', containerPort: 8081 }] }, 'test/Agent props.additionalPorts[0].name: duplicates the port name "http", got "http"; give every port its own name'],
      ['a probe path without a leading slash', { livenessProbe: { path: 'healthz' } }, `test/Agent props.livenessProbe.path: must start with "/" and contain no spaces, got "healthz"; write it like '/healthz'`],
      ['identical liveness and readiness', { readinessProbe: { path: '/healthz' } }, 'test/Agent props.readinessProbe.path: is the liveness path too, got "/healthz"; serve readiness on its own endpoint (e.g. /readyz) so a dependency outage never restarts pods (PRB-03)'],
      ['an untagged image in production', { image: 'registry.example.com/agent' }, `test/Agent props.image: is a mutable image (untagged) in the production profile, got "registry.example.com/agent"; pin a version tag like ':1.2.3' or a digest '@sha256:...', or use profile 'dev'`],
      ['a :latest image in staging', { profile: 'staging', image: 'registry.example.com/agent:latest' }, `test/Agent props.image: is a mutable image (:latest) in the staging profile, got "registry.example.com/agent:latest"; pin a version tag like ':1.2.3' or a digest '@sha256:...', or use profile 'dev'`],
      ['a grace period shorter than preStop + drain', { shutdown: { preStop: { type: 'execSleep', seconds: 5 }, drainSeconds: 30, terminationGracePeriodSeconds: 30 } }, 'test/Agent props.shutdown.terminationGracePeriodSeconds: is shorter than preStop (5s) + drain (30s), got 30; use at least 35, or shorten the drain'],
      ['a ReadWriteOnce PVC shared by several replicas', { persistentVolume: { mountPath: '/data', size: '1Gi' } }, 'test/Agent props.persistentVolume.accessMode: is ReadWriteOnce but the workload runs more than one replica, which cannot all attach it, got "ReadWriteOnce"; use ReadWriteMany storage, keep the state in a database, or run one replica in dev'],
      ['an ingress host with a scheme', { exposure: { type: 'ingress', host: 'https://a.example.com', tls: { secretName: 't' } } }, `test/Agent props.exposure.host: must not include a scheme, got "https://a.example.com"; drop 'https://' and give the bare host, like 'agents.example.com'`],
      ['TLS without a secret', { exposure: { type: 'ingress', host: 'a.example.com', tls: { clusterIssuer: 'le' } as never } }, 'test/Agent props.exposure.tls.secretName: is required, got undefined; give a string'],
      ['no TLS in production', { exposure: { type: 'ingress', host: 'a.example.com' } }, `test/Agent props.exposure.tls: is missing; TLS is required outside dev, got undefined; add tls: { secretName: '<secret>', clusterIssuer: '<issuer>' }`],
      ['an HTTPRoute without an HTTPS listener in production', { exposure: { type: 'httpRoute', gateway: { name: 'g' }, hostnames: ['a.example.com'] } }, `test/Agent props.exposure.gateway.sectionName: is missing; TLS is required outside dev, got undefined; name the Gateway's HTTPS listener, e.g. sectionName: 'https'`],
      ['an invalid env var name', { env: { '1BAD': 'x' } }, `test/Agent props.env.1BAD: is not a variable name a POSIX shell can read, got key "1BAD"; use letters, digits and '_', not starting with a digit, like 'LOG_LEVEL'`],
      ['a whole Secret as env', { envFrom: [{ secret: 'all-secrets' } as never] }, `test/Agent props.envFrom[0].configMap: is required, got undefined; pass the EnvConfig construct, or a ConfigMap name like 'agent-env'\n  test/Agent props.envFrom[0].secret: unknown property, got "all-secrets"; remove it or check its spelling`],
      ['a literal secret', { env: { DB_PASSWORD: 'hunter2' } }, `test/Agent props.env.DB_PASSWORD: is a literal value under the secret-like name DB_PASSWORD, got "hunter2"; reference a Secret instead: { fromSecret: { name: '<secret>', key: '<key>' } }`],
      ['an unknown prop', { replicaCount: 3 } as never, 'test/Agent props.replicaCount: unknown property, got 3; remove it or check its spelling'],
      ['a snippet annotation', { exposure: { type: 'ingress', host: 'a.example.com', tls: { secretName: 't' }, extraAnnotations: { 'configuration-snippet': 'x' } } }, 'test/Agent props.exposure.extraAnnotations.configuration-snippet: is a snippet annotation, got "x"; snippets allow config injection (CVE-2021-25742); use a documented annotation'],
      ['the non-existent rate-limit annotation', { exposure: { type: 'ingress', host: 'a.example.com', tls: { secretName: 't' }, extraAnnotations: { 'rate-limit': '100' } } }, `test/Agent props.exposure.extraAnnotations.rate-limit: is not a documented ingress-nginx annotation, got "100"; check the name (rate limits are 'limit-rps', 'limit-rpm', 'limit-connections')`],
      ['a single replica in production', { replicas: 1 }, `test/Agent props.replicas: is below 2, the production minimum, got 1; use at least 2, or profile 'dev'`],
      ['a toleration without key that is not Exists', { tolerations: [{ effect: 'NoSchedule' }] }, `test/Agent props.tolerations[0].operator: must be Exists when no key is given, got "Equal"; set operator: 'Exists' (tolerates every taint) or give a key`],
      ['tolerationSeconds without NoExecute', { tolerations: [{ key: 'k', value: 'v', effect: 'NoSchedule', tolerationSeconds: 60 }] }, `test/Agent props.tolerations[0].tolerationSeconds: only applies to the NoExecute effect, got 60; set effect: 'NoExecute' or remove tolerationSeconds`],
      ['a value with operator Exists', { tolerations: [{ key: 'k', operator: 'Exists', value: 'v' }] }, `test/Agent props.tolerations[0].value: must be empty with operator Exists, got "v"; remove the value, or use operator: 'Equal'`],
      ['a Service port used twice', { service: { port: 9090 } }, 'test/Agent props.metrics.port: duplicates Service port 9090, got 9090; give every Service port its own number (service.port is the http port of the Service)'],
      ['a rollout that can never progress', { rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } }, 'test/Agent props.rollingUpdate.maxUnavailable: is 0 while maxSurge is 0 too, so a rollout can never progress, got "0%"; allow a surge (maxSurge: 1) or an unavailable pod'],
      ['a percentage above 100%', { pdb: { maxUnavailable: '500%' } }, 'test/Agent props.pdb.maxUnavailable: is above 100%, got "500%"; use a percentage from 0% to 100%'],
      ['a probe on an init container', { initContainers: [{ name: 'init', image: 'registry.example.com/init:1.0.0', livenessProbe: { command: ['/bin/true'] } }] }, 'test/Agent props.initContainers[0].livenessProbe: is not allowed on an init container, got {"command":["/bin/true"]}; remove it, or set restartAlways: true to run the container as a native sidecar'],
      ['a sidecar without probes', { sidecars: [{ name: 'side', image: 'registry.example.com/side:1.0.0', readinessProbe: { command: ['/bin/true'] } }] }, 'test/Agent props.sidecars[0].livenessProbe: is missing on a sidecar, got undefined; give the sidecar a livenessProbe (PRB-01/PRB-02 fail synth without one)'],
      ['a sidecar probe on the main container\'s port', { sidecars: [{ name: 'side', image: 'registry.example.com/side:1.0.0', livenessProbe: { path: '/healthz', port: 'http' }, readinessProbe: { command: ['/bin/true'] } }] }, 'test/Agent props.sidecars[0].livenessProbe.port: names no port of container "side", got "http"; declare the port in ports, or probe with a command'],
      ['an AppArmor annotation', { podAnnotations: { 'container.apparmor.security.beta.kubernetes.io/agent': 'unconfined' } }, 'test/Agent props.podAnnotations.container.apparmor.security.beta.kubernetes.io/agent: sets an AppArmor or seccomp profile, got key "container.apparmor.security.beta.kubernetes.io/agent"; remove it: the pod runs with RuntimeDefault, and a weaker profile would fail Pod Security'],
      ['a request above its limit', { resources: { requests: { cpu: '2', memory: '1Gi', ephemeralStorage: '1Gi' }, limits: { cpu: '1', memory: '1Gi', ephemeralStorage: '1Gi' } } }, 'test/Agent props.resources.requests.cpu: is above the limit 1, got "2"; lower the request or raise limits.cpu'],
    ];
    it.each(cases)('%s', (_label, props, message) => {
      expect(reject(props)).toBe(`invalid props for test/Agent:\n  ${message}`);
    });

    it('lists every problem of the construct at once', () => {
      const msg = reject({ name: 'Bad', port: 0, replicas: 0 });
      expect(msg.split('\n')).toHaveLength(4);
      expect(msg).toContain('props.name:');
      expect(msg).toContain('props.port:');
      expect(msg).toContain('props.replicas:');
    });
  });
});

describe('SecureAgentDeployment wiring after construction', () => {
  it('adds env vars and egress rules to a workload that had none, and declares the edge', () => {
    const objs = synth((chart) => {
      const agent = new SecureAgentDeployment(chart, 'Agent', base);
      agent.addEnv('OTEL_EXPORTER_OTLP_ENDPOINT', 'http://otel-collector:4317');
      agent.addEnv('OTEL_TOKEN', { fromSecret: { name: 'otel', key: 'token' } });
      agent.addEgress({ pods: { podLabels: { 'app.kubernetes.io/name': 'otel-collector' } }, ports: [{ port: 4317 }] });
    }, { external: EXTERNAL });
    const dep = one(objs, 'Deployment');
    expect(dep.spec.template.spec.containers[0].env).toEqual([
      { name: 'SHUTDOWN_DRAIN_SECONDS', value: '30' },
      { name: 'TERMINATION_GRACE_PERIOD_SECONDS', value: '35' },
      { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://otel-collector:4317' },
      { name: 'OTEL_TOKEN', valueFrom: { secretKeyRef: { name: 'otel', key: 'token' } } },
    ]);
    expect(dep.spec.template.metadata.annotations['cdk8s-agent-platform.dev/depends-on']).toBe('agents/otel-collector:4317');
    expect(one(objs, 'NetworkPolicy').spec.egress).toEqual([
      { to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'otel-collector' } } }], ports: [{ protocol: 'TCP', port: 4317 }] },
    ]);
  });

  it('appends to existing env, egress and edges', () => {
    const objs = synth((chart) => {
      const agent = new SecureAgentDeployment(chart, 'Agent', {
        ...base,
        env: { A: '1' },
        egress: [{ pods: { podLabels: { 'app.kubernetes.io/name': 'postgres' } }, ports: [{ port: 5432 }] }],
      });
      agent.addEnv('B', '2');
      agent.addEgress({ pods: { namespace: 'obs', podLabels: { 'app.kubernetes.io/name': 'otel-collector' } }, ports: [{ port: 4317 }] });
    }, { external: EXTERNAL });
    const dep = one(objs, 'Deployment');
    expect(dep.spec.template.spec.containers[0].env.map((e: Obj) => e.name)).toEqual(['A', 'SHUTDOWN_DRAIN_SECONDS', 'TERMINATION_GRACE_PERIOD_SECONDS', 'B']);
    expect(dep.spec.template.metadata.annotations['cdk8s-agent-platform.dev/depends-on']).toBe('agents/postgres:5432,obs/otel-collector:4317');
    expect(one(objs, 'NetworkPolicy').spec.egress).toHaveLength(2);
  });

  it('refuses a second value for one name and a literal secret', () => {
    synth((chart) => {
      const agent = new SecureAgentDeployment(chart, 'Agent', { ...base, env: { A: '1' } });
      expect(errorOf(() => agent.addEnv('A', '2'))).toBe('test/Agent: env var A is already set on container "agent"; set it in one place only');
      expect(errorOf(() => agent.addEnv('API_TOKEN', 'abc'))).toBe(
        `invalid props for test/Agent:\n  test/Agent addEnv.API_TOKEN: is a literal value under the secret-like name API_TOKEN, got "abc"; reference a Secret instead: { fromSecret: { name: '<secret>', key: '<key>' } }`,
      );
    }, { external: EXTERNAL });
  });
});

describe('SecureAgentDeployment props, one by one', () => {
  const dep = (props: Partial<SecureAgentDeploymentProps>) => one(build(props), 'Deployment');

  it('pins in-cluster clients with ClientIP affinity and its timeout', () => {
    expect(one(build({ service: { port: 8000, sessionAffinity: 'ClientIP', sessionAffinityTimeoutSeconds: 600 } }), 'Service').spec).toMatchObject({
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
      ports: [{ name: 'http', port: 8000, targetPort: 'http', protocol: 'TCP' }, expect.objectContaining({ name: 'metrics' })],
    });
  });

  it('drops the startup probe with startupProbe: false', () => {
    expect(dep({ startupProbe: false }).spec.template.spec.containers[0].startupProbe).toBeUndefined();
  });

  it('has no metrics port, scrape annotations or Prometheus rule with metrics: false', () => {
    const objs = build({ metrics: false });
    const d = one(objs, 'Deployment');
    expect(d.spec.template.spec.containers[0].ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(d.spec.template.metadata.annotations['prometheus.io/scrape']).toBeUndefined();
    expect(one(objs, 'NetworkPolicy').spec.ingress).toEqual([]);
    expect(one(objs, 'Service').spec.ports).toHaveLength(1);
  });

  it('lets a custom scraper reach the metrics port', () => {
    const np = one(build({ metrics: { scrapeFrom: { namespace: 'observability', podLabels: { app: 'vmagent' } } } }), 'NetworkPolicy');
    expect(np.spec.ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } }, podSelector: { matchLabels: { app: 'vmagent' } } }],
        ports: [{ protocol: 'TCP', port: 9090 }],
      },
    ]);
  });

  it('mounts a memory-backed scratch volume', () => {
    expect(dep({ scratchVolumes: [{ name: 'shm', mountPath: '/dev/shm', sizeLimit: '64Mi', medium: 'Memory' }] }).spec.template.spec.volumes).toEqual([
      { name: 'shm', emptyDir: { sizeLimit: '64Mi', medium: 'Memory' } },
    ]);
  });

  it('mounts Secrets as read-only files with mode 0400 by default', () => {
    const spec = dep({ secretVolumes: [{ name: 'tls', secretName: 'agent-tls', mountPath: '/tls' }] }).spec.template.spec;
    expect(spec.volumes).toContainEqual({ name: 'tls', secret: { secretName: 'agent-tls', defaultMode: 0o400 } });
    expect(spec.containers[0].volumeMounts).toContainEqual({ name: 'tls', mountPath: '/tls', readOnly: true });
  });

  it('exposes a container resource as env', () => {
    expect(dep({ env: { MEM_LIMIT: { fromResource: { resource: 'limits.memory', divisor: '1Mi' } } } }).spec.template.spec.containers[0].env).toEqual([
      { name: 'MEM_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      { name: 'SHUTDOWN_DRAIN_SECONDS', value: '30' },
      { name: 'TERMINATION_GRACE_PERIOD_SECONDS', value: '35' },
    ]);
  });

  it('runs an init container as a native sidecar with restartAlways (Kubernetes 1.29+)', () => {
    const proxy = { name: 'proxy', image: 'registry.example.com/proxy:1.0.0', restartAlways: true, ports: [{ name: 'proxy', containerPort: 15001 }], livenessProbe: { tcpPort: 'proxy' }, readinessProbe: { tcpPort: 'proxy' } };
    // Kubernetes 1.28 drops restartPolicy on an init container (the SidecarContainers gate is off), which the verification blocks.
    expect(errorOf(() => build({ initContainers: [proxy] }))).toContain('WKL-06 High Deployment agents/agent spec.template.spec.initContainers[0].restartPolicy');
    const init = one(build({ initContainers: [proxy] }, { kubernetesVersion: '1.29' }), 'Deployment').spec.template.spec.initContainers[0];
    expect(init.restartPolicy).toBe('Always');
    expect(init.livenessProbe.tcpSocket).toEqual({ port: 'proxy' });
  });

  it('takes custom rolling update bounds', () => {
    expect(dep({ rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } }).spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } });
  });

  it('labels with the given app name and version while selecting on them', () => {
    const d = dep({ appName: 'agent-runtime', version: 'v1.2.3+build.7' });
    expect(d.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'agent-runtime', 'app.kubernetes.io/instance': 'agent', 'app.kubernetes.io/version': 'v1.2.3-build.7' });
    expect(d.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'agent-runtime', 'app.kubernetes.io/instance': 'agent' });
  });

  it('admits in-cluster callers and a custom ingress source on the app port', () => {
    const np = one(
      build({
        ingressFrom: { namespace: 'edge', podLabels: { 'app.kubernetes.io/name': 'traefik' } },
        allowFrom: [{ podLabels: { 'app.kubernetes.io/name': 'scheduler' } }],
      }),
      'NetworkPolicy',
    );
    expect(np.spec.ingress[0]).toEqual({
      from: [
        { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'edge' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'traefik' } } },
        { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'scheduler' } } },
      ],
      ports: [{ protocol: 'TCP', port: 8080 }],
    });
  });

  it('sets pull secrets, node selector, tolerations and priority class', () => {
    const spec = dep({
      imagePullSecrets: ['regcred'],
      nodeSelector: { 'kubernetes.io/arch': 'arm64' },
      tolerations: [{ key: 'dedicated', value: 'agents', effect: 'NoExecute', tolerationSeconds: 30 }, { operator: 'Exists' }],
      priorityClassName: 'agents-high',
    }).spec.template.spec;
    expect(spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(spec.nodeSelector).toEqual({ 'kubernetes.io/arch': 'arm64' });
    expect(spec.tolerations).toEqual([
      { key: 'dedicated', operator: 'Equal', value: 'agents', effect: 'NoExecute', tolerationSeconds: 30 },
      { operator: 'Exists' },
    ]);
    expect(spec.priorityClassName).toBe('agents-high');
  });
});
