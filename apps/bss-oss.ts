import { Chart, JsonPatch, type App } from 'cdk8s';
import { AgentPlatform, BackupCronJob, ExternalSecretRef, RedisStore } from '../lib/index.js';

/**
 * The BSS/OSS Rust guide's platform (the `bss-oss-app` API, Redis, the
 * PostgreSQL database, daily backups), built with AgentPlatform, its
 * defects fixed. Each fix names the defect ID of the project's DEFECTS spec.
 */

const NAMESPACE = 'bss-oss';
// The managed PostgreSQL (or the cluster's database network), reached on its range only.
const DATABASE_CIDR = '10.50.0.0/16';

/** Adds the `bss-oss` chart. */
export function addBssOssChart(app: App): Chart {
  const chart = new Chart(app, 'bss-oss');

  // From the external store, in the namespace; never `helm --set` or a
  // Secret manifest in Git (D-BSS-09, BSS-P03).
  const secrets = new ExternalSecretRef(chart, 'Secrets', {
    name: 'bss-oss-secrets',
    namespace: NAMESPACE,
    secretStore: { name: 'bss-oss-vault', kind: 'ClusterSecretStore' },
    data: [
      { secretKey: 'JWT_SECRET', remoteKey: 'bss-oss/prod/jwt-secret' },
      { secretKey: 'DATABASE_PASSWORD', remoteKey: 'bss-oss/prod/database-password' },
      { secretKey: 'REDIS_PASSWORD', remoteKey: 'bss-oss/prod/redis-password' },
    ],
  });

  new ExternalSecretRef(chart, 'BackupS3', {
    name: 'bss-oss-backup-s3',
    namespace: NAMESPACE,
    secretStore: { name: 'bss-oss-vault', kind: 'ClusterSecretStore' },
    data: [
      { secretKey: 'AWS_ACCESS_KEY_ID', remoteKey: 'bss-oss/prod/backup-access-key-id' },
      { secretKey: 'AWS_SECRET_ACCESS_KEY', remoteKey: 'bss-oss/prod/backup-secret-access-key' },
    ],
  });

  const platform = new AgentPlatform(chart, 'Platform', {
    name: 'bss-oss-rust',
    namespace: NAMESPACE,
    namespaceLabels: { environment: 'production' },
    components: {
      'bss-oss-app': {
        kind: 'agent',
        props: {
          image: 'registry.example.com/bss-oss-rust:1.0.0',
          // One label set for every selector: `app.kubernetes.io/name=bss-oss-rust`
          // (the scrape config's) and the guide's `app: bss-oss-rust` on every pod (D-BSS-06).
          appName: 'bss-oss-rust',
          labels: { app: 'bss-oss-rust' },
          port: 8080,
          metrics: { port: 8080, path: '/metrics' },
          env: {
            RUST_LOG: 'info',
            JWT_SECRET: secrets.env('JWT_SECRET'),
            DATABASE_USER: 'bssoss',
            DATABASE_NAME: 'bssoss',
            DATABASE_PASSWORD: secrets.env('DATABASE_PASSWORD'),
          },
          // Timeouts on the DB-checking readiness, a startup probe instead of a 30 s liveness delay (D-BSS-08).
          livenessProbe: { path: '/live', periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
          readinessProbe: { path: '/ready', initialDelaySeconds: 10, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
          startupProbe: { path: '/live', periodSeconds: 2, timeoutSeconds: 3, failureThreshold: 30 },
          // autoscaling/v2 with both metrics, not the Helm values' mixed shapes (D-BSS-04).
          autoscaling: { minReplicas: 2, maxReplicas: 10, cpuUtilization: 70, memoryUtilization: 80 },
          // minAvailable 1 below the 2-replica minimum, so drains proceed (D-BSS-05).
          pdb: { minAvailable: 1 },
          // The app's 30 s shutdown timeout, with 5 s of headroom in the grace period (D-BSS-07).
          shutdown: { drainSeconds: 30 },
          // Zone spreading on topology.kubernetes.io/zone, the well-known label (D-BSS-03): the default topologySpread.
          resources: {
            requests: { cpu: '500m', memory: '512Mi', ephemeralStorage: '128Mi' },
            limits: { cpu: '2', memory: '2Gi', ephemeralStorage: '1Gi' },
          },
          // The ingress controller by `kubernetes.io/metadata.name`, and Prometheus for /metrics (D-BSS-02).
          ingressFrom: 'ingress-nginx',
        },
        // DNS comes with the namespace (D-BSS-01); Postgres and Redis by declaration.
        dependsOn: ['redis', { component: 'postgres', envPrefix: 'DATABASE_' }],
      },
      // Redis as a StatefulSet with its own claim, not a Deployment with an RWO PVC (D-BSS-10).
      redis: {
        kind: 'store',
        create: (scope, id, ctx) =>
          new RedisStore(scope, id, {
            name: id,
            namespace: ctx.namespace,
            profile: ctx.profile,
            partOf: ctx.partOf,
            role: 'store',
            auth: { secretName: 'bss-oss-secrets', key: 'REDIS_PASSWORD' },
            alerting: { prometheusRule: { runbookBaseUrl: 'https://runbooks.example.com/bss-oss' } },
          }),
      },
      postgres: { kind: 'external', host: 'bss-oss-db.example.internal', port: 5432, destination: { cidr: DATABASE_CIDR } },
      // Daily automated backups, not a manual `kubectl exec pg_dump` (BSS-P05, D-BSS-10).
      'bss-oss-db-backup': {
        kind: 'job',
        create: (scope, id, ctx) =>
          new BackupCronJob(scope, id, {
            name: id,
            namespace: ctx.namespace,
            profile: ctx.profile,
            schedule: '0 2 * * *',
            engine: {
              type: 'postgres',
              host: 'bss-oss-db.example.internal',
              database: 'bssoss',
              user: 'bssoss',
              password: { name: 'bss-oss-secrets', key: 'DATABASE_PASSWORD' },
              serverVersion: 15,
              image: 'postgres:15.8-alpine',
              destination: { cidr: DATABASE_CIDR },
            },
            target: { s3: { bucket: 'bss-oss-backups', credentials: { secretName: 'bss-oss-backup-s3' }, image: 'amazon/aws-cli:2.17.0' } },
            alerting: { prometheusRule: { runbookBaseUrl: 'https://runbooks.example.com/bss-oss' } },
          }),
      },
    },
  });

  // The guide's object names for the policy and the budget, in its namespace.
  const api = platform.agents['bss-oss-app']!;
  api.networkPolicy.addJsonPatch(JsonPatch.replace('/metadata/name', 'bss-oss-network-policy'));
  api.pdb?.addJsonPatch(JsonPatch.replace('/metadata/name', 'bss-oss-pdb'));
  return chart;
}
