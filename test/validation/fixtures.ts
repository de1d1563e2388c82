import type { Finding, Manifest } from '../../lib/validation/types.js';

/** A manifest loosely typed, for building and mutating fixtures. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type M = Record<string, any>;

/** A valid sha256 digest for pinned images. */
export const DIGEST = `sha256:${'a'.repeat(64)}`;

/** The namespace of the fixtures. */
export const NS = 'agents';

const labels = (name: string) => ({
  'app.kubernetes.io/name': name,
  'app.kubernetes.io/instance': name,
  'app.kubernetes.io/managed-by': 'cdk8s-agent-platform',
});

/** A container that passes every policy check. */
export function goodContainer(name = 'api'): M {
  return {
    name,
    image: `registry.example.com/${name}:1.2.3@${DIGEST}`,
    imagePullPolicy: 'IfNotPresent',
    ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
    resources: {
      requests: { cpu: '250m', memory: '256Mi', 'ephemeral-storage': '64Mi' },
      limits: { cpu: '500m', memory: '512Mi', 'ephemeral-storage': '256Mi' },
    },
    livenessProbe: { httpGet: { path: '/livez', port: 'http' }, periodSeconds: 10, timeoutSeconds: 2 },
    readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 5, timeoutSeconds: 2 },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
  };
}

/** A pod spec that passes every policy check. */
export function goodPodSpec(name = 'api'): M {
  return {
    serviceAccountName: name,
    automountServiceAccountToken: false,
    terminationGracePeriodSeconds: 30,
    securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [goodContainer(name)],
    volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
    topologySpreadConstraints: ['topology.kubernetes.io/zone', 'kubernetes.io/hostname'].map((topologyKey) => ({
      maxSkew: 1,
      topologyKey,
      whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: { matchLabels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': name } },
    })),
  };
}

/** A Deployment (scaled by the HPA of {@link goodBundle}) that passes every policy check. */
export function goodDeployment(name = 'api'): M {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS, labels: labels(name) },
    spec: {
      selector: { matchLabels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: labels(name), annotations: { 'cdk8s-agent-platform.dev/drain-seconds': '20' } },
        spec: goodPodSpec(name),
      },
    },
  };
}

/**
 * A complete, correct bundle: a restricted Namespace with quota, limits,
 * default-deny and DNS policies, and one workload with its ServiceAccount,
 * Service, HPA, PDB and NetworkPolicy. Both layers report nothing on it;
 * every test breaks exactly one thing.
 */
export function goodBundle(): M[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: NS,
        labels: {
          'app.kubernetes.io/managed-by': 'cdk8s-agent-platform',
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'v1.28',
          'pod-security.kubernetes.io/audit': 'restricted',
          'pod-security.kubernetes.io/audit-version': 'v1.28',
          'pod-security.kubernetes.io/warn': 'restricted',
          'pod-security.kubernetes.io/warn-version': 'v1.28',
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'quota', namespace: NS },
      spec: {
        hard: {
          'requests.cpu': '4',
          'requests.memory': '8Gi',
          'requests.ephemeral-storage': '4Gi',
          'limits.cpu': '8',
          'limits.memory': '16Gi',
          'limits.ephemeral-storage': '8Gi',
          pods: '20',
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'limits', namespace: NS },
      spec: {
        limits: [
          {
            type: 'Container',
            default: { cpu: '500m', memory: '512Mi', 'ephemeral-storage': '256Mi' },
            defaultRequest: { cpu: '100m', memory: '128Mi', 'ephemeral-storage': '64Mi' },
            min: { cpu: '10m', memory: '16Mi' },
            max: { cpu: '4', memory: '8Gi' },
          },
        ],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'default-deny', namespace: NS },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'allow-dns', namespace: NS },
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
            ports: [
              { protocol: 'UDP', port: 53 },
              { protocol: 'TCP', port: 53 },
            ],
          },
        ],
      },
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'api', namespace: NS, labels: labels('api') }, automountServiceAccountToken: false },
    goodDeployment('api'),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'api', namespace: NS, labels: labels('api') },
      spec: {
        type: 'ClusterIP',
        selector: { 'app.kubernetes.io/name': 'api', 'app.kubernetes.io/instance': 'api' },
        ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
      },
    },
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'api', namespace: NS, labels: labels('api') },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
        minReplicas: 2,
        maxReplicas: 4,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
      },
    },
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'api', namespace: NS, labels: labels('api') },
      spec: {
        maxUnavailable: 1,
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
        selector: { matchLabels: { 'app.kubernetes.io/name': 'api', 'app.kubernetes.io/instance': 'api' } },
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'api', namespace: NS, labels: labels('api') },
      spec: {
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'api', 'app.kubernetes.io/instance': 'api' } },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } },
                podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } },
              },
            ],
            ports: [{ protocol: 'TCP', port: 8080 }],
          },
        ],
        egress: [],
      },
    },
  ];
}

/** The object of a kind and name in a bundle (throws when absent, so a typo fails the test). */
export function get(bundle: M[], kind: string, name: string): M {
  const o = bundle.find((m) => m.kind === kind && m.metadata?.name === name);
  if (!o) throw new Error(`fixture has no ${kind} ${name}`);
  return o;
}

/** A finding without its fix, for exact comparison of what was found. */
export type Found = Omit<Finding, 'fix'>;

/** Drops `fix` (asserted separately) so tests compare the rest exactly. */
export function found(findings: readonly Finding[], checkId?: string): Found[] {
  return findings.filter((f) => checkId === undefined || f.checkId === checkId).map(({ fix: _fix, ...rest }) => rest);
}

/** Builds the expected shape of a finding; `namespace` defaults to the fixture namespace, `null` for none. */
export function at(checkId: string, severity: Finding['severity'], kind: string, name: string, path: string, message: string, namespace: string | null = NS): Found {
  return { checkId, severity, kind, ...(namespace !== null ? { namespace } : {}), name, path, message };
}

/** Casts fixtures to manifests. */
export function manifests(bundle: M[]): Manifest[] {
  return bundle as Manifest[];
}
