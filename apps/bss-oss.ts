import { Chart, JsonPatch, type App } from 'cdk8s';
import { AgentPlatform, BackupCronJob, ExternalSecretRef, MigrationJob, PostgresStore, RedisStore } from '../lib/index.js';

/**
 * The BSS/OSS Rust guide's platform (the `bss-oss-app` API, Redis, the
 * PostgreSQL database, daily backups), built with AgentPlatform, its
 * defects fixed. Each fix names the defect ID of the project's DEFECTS spec.
 */

const NAMESPACE = 'bss-oss';
const IMAGE = 'registry.example.com/bss-oss-rust:1.0.0';
// The guide's one migration file, shipped in the app image (it runs it there with `psql -f`),
// with the release that shipped it: that stays when the app's image moves on, since a
// Job's pod template cannot change and the Job is the record that the migration ran.
const MIGRATION = { version: '001-initial-schema', file: '/app/migrations/001_initial_schema.sql', image: 'registry.example.com/bss-oss-rust:1.0.0' };

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

  // The database, once the platform builds it (before the backup and the migration, declared after it).
  let database: PostgresStore | undefined;
  const built = (): PostgresStore => {
    if (!database) throw new Error('bss-oss: declare the postgres component before bss-oss-db-backup and bss-oss-migrations, which connect to it');
    return database;
  };

  const platform = new AgentPlatform(chart, 'Platform', {
    name: 'bss-oss-rust',
    namespace: NAMESPACE,
    namespaceLabels: { environment: 'production' },
    components: {
      'bss-oss-app': {
        kind: 'agent',
        props: {
          image: IMAGE,
          // One label set for every selector: `app.kubernetes.io/name=bss-oss-rust`
          // (the scrape config's) and the guide's `app: bss-oss-rust` on every pod (D-BSS-06).
          appName: 'bss-oss-rust',
          labels: { app: 'bss-oss-rust' },
          port: 8080,
          metrics: { port: 8080, path: '/metrics' },
          env: {
            RUST_LOG: 'info',
            JWT_SECRET: secrets.env('JWT_SECRET'),
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
        // DNS comes with the namespace (D-BSS-01); Postgres and Redis by declaration
        // (DATABASE_HOST, _PORT, _NAME, _USER and _PASSWORD from the store).
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
      // The guide's one in-cluster PostgreSQL with its claim, as a StatefulSet
      // (one pod, one claim from its template: no RWO Multi-Attach, never two
      // servers on one data directory) instead of a Deployment with an RWO PVC
      // (D-BSS-10). SCRAM, the small tier, postgres_exporter. Not CloudNativePG:
      // the guide runs one server and names no operator.
      postgres: {
        kind: 'store',
        create: (scope, id, ctx) =>
          (database = new PostgresStore(scope, id, {
            name: id,
            namespace: ctx.namespace,
            profile: ctx.profile,
            partOf: ctx.partOf,
            mode: 'statefulSet',
            database: 'bssoss',
            owner: 'bssoss',
            auth: { secretName: 'bss-oss-secrets', passwordKey: 'DATABASE_PASSWORD' },
            singleInstanceReason: 'the guide runs one PostgreSQL server: a restart is a short database outage, the data stays on the claim, and bss-oss-db-backup dumps it daily',
          })),
      },
      // Daily automated backups, not a manual `kubectl exec pg_dump` (BSS-P05, D-BSS-10).
      'bss-oss-db-backup': {
        kind: 'job',
        create: (scope, id, ctx) => {
          const db = built();
          const backup = new BackupCronJob(scope, id, {
            name: id,
            namespace: ctx.namespace,
            profile: ctx.profile,
            schedule: '0 2 * * *',
            engine: {
              type: 'postgres',
              host: db.connection.host,
              database: db.connection.database,
              user: db.connection.user,
              password: db.connection.passwordSecret!,
              serverVersion: 15,
              destination: { pods: db.peer },
            },
            target: { s3: { bucket: 'bss-oss-backups', credentials: { secretName: 'bss-oss-backup-s3' } } },
            alerting: { prometheusRule: { runbookBaseUrl: 'https://runbooks.example.com/bss-oss' } },
          });
          // The database admits the backup's pods, as it admits the API.
          db.allowFrom({ namespace: ctx.namespace, podLabels: backup.selectorLabels });
          return backup;
        },
      },
      // The guide's `psql -f /app/migrations/001_initial_schema.sql` as a Job
      // instead of a manual `kubectl exec` (D-BSS-10). The Job is named after
      // the migration file, not the app's release, and keeps the image that
      // shipped it: re-applying the manifests, or a new app release, finds it
      // complete and runs nothing again. One transaction, stopping at the first
      // error, so a failed run leaves no half-applied schema and the retry
      // starts clean. libpq's PG* variables, the password from the Secret.
      'bss-oss-migrations': {
        kind: 'job',
        create: (scope, id, ctx) => {
          const db = built();
          const migration = new MigrationJob(scope, id, {
            name: id,
            namespace: ctx.namespace,
            profile: ctx.profile,
            partOf: ctx.partOf,
            image: MIGRATION.image,
            version: MIGRATION.version,
            command: ['psql', '--no-psqlrc', '--single-transaction', '--set', 'ON_ERROR_STOP=1', '--file', MIGRATION.file],
            env: {
              PGHOST: db.connection.host,
              PGPORT: String(db.connection.port),
              PGDATABASE: db.connection.database,
              PGUSER: db.connection.user,
              PGPASSWORD: { fromSecret: db.connection.passwordSecret! },
            },
            egress: [{ description: 'PostgreSQL', pods: db.peer, ports: [{ port: db.connection.port }] }],
          });
          db.allowFrom({ namespace: ctx.namespace, podLabels: { 'app.kubernetes.io/name': id, 'app.kubernetes.io/instance': migration.jobName } });
          return migration;
        },
      },
    },
  });

  // The guide's object names for the policy and the budget, in its namespace.
  const api = platform.agents['bss-oss-app']!;
  api.networkPolicy.addJsonPatch(JsonPatch.replace('/metadata/name', 'bss-oss-network-policy'));
  api.pdb?.addJsonPatch(JsonPatch.replace('/metadata/name', 'bss-oss-pdb'));
  return chart;
}
