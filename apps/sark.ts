import { ApiObject, Chart, JsonPatch, type App } from 'cdk8s';
import { AgentPlatform, ExternalSecretRef, ObservabilityStack, OpaServer, PgBouncer, PostgresStore, RedisStore, type AgentPlatformProps, type PlatformOverrides } from '../lib/index.js';

/**
 * The SARK guide's platform (the `sark` governance API, the `sark-ui` React
 * UI on one host, Valkey/Redis, PostgreSQL behind PgBouncer, the OPA policy
 * server) in its sizing tiers small, medium, large and very large from one definition:
 * API replicas and resources, the cache, the database and the pooler scale
 * together. Each fix names the defect ID of the project's DEFECTS spec.
 */

const secret = (key: string) => ({ fromSecret: { name: 'sark-secrets', key } });
// The external-refs annotation: objects the guide creates by hand, outside this app.
const EXTERNAL_REFS = 'cdk8s-agent-platform.dev/external-refs';
// Each uvicorn worker's SQLAlchemy pool, pool size plus overflow (the guide's 20 + 10).
const WORKERS = 4;
const POOL_SIZE = 20;
const MAX_OVERFLOW = 10;
// The cluster's API server, which CloudNativePG's instance manager calls (kubectl get endpoints kubernetes).
const API_SERVER_CIDRS = ['10.100.0.1/32'];

const definition: AgentPlatformProps = {
  name: 'sark',
  namespace: 'sark',
  namespaceLabels: { environment: 'production' },
  components: {
    sark: {
      kind: 'agent',
      props: {
        image: 'your-registry.com/sark:0.1.0',
        port: 8000,
        livenessProbe: { path: '/live', periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
        readinessProbe: { path: '/ready', periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 },
        startupProbe: { path: '/health', periodSeconds: 2, timeoutSeconds: 3, failureThreshold: 30 },
        env: {
          APP_VERSION: '0.1.0',
          ENVIRONMENT: 'production',
          LOG_LEVEL: 'INFO',
          JSON_LOGS: 'true',
          ENABLE_METRICS: 'true',
          HOST: '0.0.0.0',
          PORT: '8000',
          WORKERS: String(WORKERS),
          // Secrets as Secret keys, never env literals (D-SRK-15).
          JWT_SECRET_KEY: secret('jwt_secret_key'),
          JWT_ALGORITHM: 'HS256',
          // The guide's pool, now through PgBouncer; the budget is declared on
          // the dependency and checked at synth (D-SRK-09).
          DATABASE_POOL_SIZE: String(POOL_SIZE),
          DATABASE_MAX_OVERFLOW: String(MAX_OVERFLOW),
          DATABASE_POOL_TIMEOUT: '30',
          DATABASE_POOL_RECYCLE: '3600',
          OPA_TIMEOUT_SECONDS: '5',
          OPA_DECISION_LOG_ENABLED: 'true',
          // One unit, per minute, for every rate limit (D-SRK-18).
          API_KEY_DEFAULT_RATE_LIMIT: '1000',
          RATE_LIMIT_STORAGE: 'redis',
        },
        // The custom Pods metric needs an adapter the guide never installs (D-SRK-07): CPU and memory only.
        autoscaling: { minReplicas: 4, maxReplicas: 20, cpuUtilization: 70, memoryUtilization: 80 },
        // A budget that never blocks drains, not minAvailable == replicas (D-SRK-08).
        pdb: { maxUnavailable: 1 },
        resources: 'medium',
      },
      // VALKEY/REDIS host from the store's Service, not a `valkey` host that does not exist (D-SRK-14).
      // The database through PgBouncer, each pod's pool counted against its
      // max_client_conn (D-SRK-09); OPA_URL from the policy server (D-SRK-06).
      dependsOn: ['redis', { component: 'pgbouncer', envPrefix: 'DATABASE_', connections: WORKERS * (POOL_SIZE + MAX_OVERFLOW) }, 'opa'],
    },
    // Non-root nginx on 8080 with a read-only root (D-SRK-12); runtime config at
    // /config.js instead of build-time VITE_* env (D-SRK-11); the API under the
    // same host, one entry point (D-SRK-13).
    'sark-ui': {
      kind: 'frontend',
      props: {
        image: 'your-registry.com/sark-frontend:1.0.0',
        replicas: 2,
        resources: { requests: { cpu: '100m', memory: '128Mi', ephemeralStorage: '64Mi' }, limits: { cpu: '200m', memory: '256Mi', ephemeralStorage: '256Mi' } },
        runtimeConfig: { VITE_API_BASE_URL: 'https://sark.yourdomain.com/api', VITE_APP_ENV: 'production', VITE_ENABLE_WEBSOCKETS: 'true' },
        contentSecurityPolicy: "default-src 'self'; connect-src 'self' wss://sark.yourdomain.com; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'",
      },
    },
    // Valkey as a StatefulSet, maxmemory below the container limit, the
    // project's image, non-root, password from a Secret file (D-SRK-02..05).
    redis: {
      kind: 'store',
      settings: { tier: 'medium' },
      create: (scope, id, ctx) =>
        new RedisStore(scope, id, {
          name: id,
          namespace: ctx.namespace,
          profile: ctx.profile,
          partOf: ctx.partOf,
          role: 'cache',
          flavor: 'valkey',
          tier: ctx.settings.tier as 'small' | 'medium' | 'large',
          maxmemoryPolicy: 'allkeys-lru',
          auth: { secretName: 'sark-secrets', key: 'redis_password' },
          alerting: { prometheusRule: { runbookBaseUrl: 'https://runbooks.sark.yourdomain.com' } },
        }),
    },
    // The guide's PostgreSQL tiers (resources, shared_buffers 25% and
    // effective_cache_size 75% of memory, max_connections 100/200/300), the
    // 30 s statement timeout, pg_stat_statements, SCRAM and TLS, as a
    // CloudNativePG cluster: a primary and two standbys over nodes and zones
    // where the guide ran one server (the operator must be installed).
    postgres: {
      kind: 'store',
      settings: { tier: 'medium' },
      create: (scope, id, ctx) =>
        new PostgresStore(scope, id, {
          name: id,
          namespace: ctx.namespace,
          profile: ctx.profile,
          partOf: ctx.partOf,
          mode: 'cloudNativePg',
          database: 'sark',
          owner: 'sark',
          auth: { secretName: 'postgres-credentials', passwordKey: 'password' },
          tier: ctx.settings.tier as 'small' | 'medium' | 'large',
          statementTimeoutSeconds: 30,
          cloudNativePg: { apiServerCidrs: API_SERVER_CIDRS },
        }),
    },
    // A Deployment with labels its selector matches, a pinned image, a
    // Service, probes and resources (D-SRK-01); max_db_connections of both
    // pods below the database's max_connections less the reserved ones (D-SRK-09).
    pgbouncer: {
      kind: 'store',
      dependsOn: ['postgres'],
      settings: { maxClientConn: 1000, maxDbConnections: 80 },
      create: (scope, id, ctx) =>
        new PgBouncer(scope, id, {
          name: id,
          namespace: ctx.namespace,
          profile: ctx.profile,
          partOf: ctx.partOf,
          server: ctx.dependency('postgres', PostgresStore).pgBouncerServer(),
          replicas: 2,
          maxClientConn: ctx.settings.maxClientConn as number,
          maxDbConnections: ctx.settings.maxDbConnections as number,
        }),
    },
    // OPA from its static non-root image, policies read-only from the
    // `opa-policies` ConfigMap, decision logs on, and its API reachable from
    // the SARK API only (D-SRK-06, SRK-P11). OPA's own authorization on:
    // only a request with the token of `sark-secrets` (`opa_token`) evaluates
    // policies, and nobody may PUT or DELETE a policy or write data, so a
    // compromised SARK pod cannot replace one either; the API is HTTPS only,
    // with a certificate cert-manager issues from the cluster's internal CA.
    // SARK gets OPA_URL (https), OPA_TOKEN and OPA_TLS_CA_CERT.
    opa: {
      kind: 'store',
      create: (scope, id, ctx) => {
        const opa = new OpaServer(scope, id, {
          name: id,
          namespace: ctx.namespace,
          profile: ctx.profile,
          partOf: ctx.partOf,
          replicas: 3,
          policies: { configMap: 'opa-policies' },
          auth: { tokenSecret: secret('opa_token').fromSecret },
          tls: { secretName: 'opa-tls' },
        });
        // Created from the policy files with kubectl, as the guide does.
        opa.deployment.metadata.addAnnotation(EXTERNAL_REFS, 'ConfigMap/opa-policies');
        // The ClusterIssuer of the in-cluster CA is cert-manager's admins' (cluster-scoped, not rendered);
        // its CA lands in the Secret as ca.crt, which SARK checks OPA's certificate against.
        new ApiObject(scope, `${id}-certificate`, {
          apiVersion: 'cert-manager.io/v1',
          kind: 'Certificate',
          metadata: { name: 'opa-tls', namespace: ctx.namespace },
          spec: {
            secretName: 'opa-tls',
            dnsNames: [...opa.tlsDnsNames!],
            issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'cluster-internal-ca' },
            privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
            usages: ['server auth', 'digital signature', 'key encipherment'],
            duration: '2160h',
            renewBefore: '720h',
          },
        });
        return opa;
      },
    },
  },
  hosts: [
    {
      host: 'sark.yourdomain.com',
      name: 'sark-ui',
      // spec.ingressClassName, TLS from cert-manager, websocket timeouts (D-SRK-13).
      via: { type: 'ingress', tls: { secretName: 'sark-ui-tls', clusterIssuer: 'letsencrypt-prod' }, timeoutSeconds: 3600 },
      paths: [
        { path: '/', component: 'sark-ui' },
        { path: '/api', component: 'sark' },
      ],
    },
  ],
};

type Size = 'small' | 'medium' | 'large';

/**
 * The guide's sizing table: API replicas and resources, the cache and the
 * database scaled together, and PgBouncer sized so the budget holds at the
 * HPA maximum: API pods x 120 within 2 x max_client_conn, and
 * 2 x max_db_connections within max_connections less 3 reserved, with room
 * left for migrations and backups (D-SRK-09). The very large tier sizes
 * only the API in the guide; its cache and database stay at large.
 */
const tier = (min: number, max: number, api: Size | 'xlarge', store: Size, pool: { maxClientConn: number; maxDbConnections: number }): PlatformOverrides => ({
  namespace: `sark-${api}`,
  components: {
    sark: { autoscaling: { minReplicas: min, maxReplicas: max, cpuUtilization: 70, memoryUtilization: 80 }, resources: api },
    redis: { settings: { tier: store } },
    postgres: { settings: { tier: store } },
    pgbouncer: { settings: pool },
  },
});

/** Adds the `sark-small`, `sark-medium`, `sark-large` and `sark-xlarge` charts. */
export function addSarkCharts(app: App): Chart[] {
  const platforms = AgentPlatform.tiers(app, 'sark', {
    definition,
    tiers: {
      // 5 x 120 = 600 of 2000; 2 x 40 = 80 of 97.
      small: tier(2, 5, 'small', 'small', { maxClientConn: 1000, maxDbConnections: 40 }),
      // 10 x 120 = 1200 of 2000; 2 x 80 = 160 of 197.
      medium: tier(4, 10, 'medium', 'medium', { maxClientConn: 1000, maxDbConnections: 80 }),
      // 20 x 120 = 2400 of 3000; 2 x 120 = 240 of 297.
      large: tier(8, 20, 'large', 'large', { maxClientConn: 1500, maxDbConnections: 120 }),
      // The guide's 16 pods at least; 32 x 120 = 3840 of 4000; 2 x 120 = 240 of 297.
      xlarge: tier(16, 32, 'xlarge', 'large', { maxClientConn: 2000, maxDbConnections: 120 }),
    },
  });
  return Object.values(platforms).map((platform) => {
    const chart = Chart.of(platform);
    // One Secret with every key, created once from the secret manager (D-SRK-14, D-SRK-15).
    new ExternalSecretRef(chart, 'Secrets', {
      name: 'sark-secrets',
      namespace: platform.namespace,
      secretStore: { name: 'sark-vault', kind: 'ClusterSecretStore' },
      data: ['jwt_secret_key', 'redis_password', 'opa_token'].map((k) => ({ secretKey: k, remoteKey: `sark/production/${k}` })),
    });
    // The database owner, which CloudNativePG bootstraps and PgBouncer and the API log in as:
    // a basic-auth Secret, as the operator requires.
    const credentials = new ExternalSecretRef(chart, 'PostgresCredentials', {
      name: 'postgres-credentials',
      namespace: platform.namespace,
      secretStore: { name: 'sark-vault', kind: 'ClusterSecretStore' },
      data: [
        { secretKey: 'username', remoteKey: 'sark/production/postgres_username' },
        { secretKey: 'password', remoteKey: 'sark/production/postgres_password' },
      ],
    });
    credentials.externalSecret.addJsonPatch(JsonPatch.add('/spec/target/template', { type: 'kubernetes.io/basic-auth' }));
    const api = platform.agents.sark!;
    // The DSN SARK reads, from the pooler's env: the password stays a Secret reference.
    // postgresql:// is SQLAlchemy's psycopg2 driver, which prepares no statements on the
    // server, so PgBouncer's transaction pooling is safe; an asyncpg URL would need
    // prepared_statement_cache_size=0 (D-SRK-09).
    api.addEnv('DATABASE_URL', 'postgresql://$(DATABASE_USER):$(DATABASE_PASSWORD)@$(DATABASE_HOST):$(DATABASE_PORT)/$(DATABASE_NAME)');
    // ServiceMonitor and alerts on metrics the API exports (D-SRK-10).
    new ObservabilityStack(chart, 'Observability', { agent: api, runbookBaseUrl: 'https://runbooks.sark.yourdomain.com' });
    // The guide's names for the budget and the autoscaler.
    api.pdb?.addJsonPatch(JsonPatch.replace('/metadata/name', 'sark-pdb'));
    api.hpa?.addJsonPatch(JsonPatch.replace('/metadata/name', 'sark-hpa'));
    return chart;
  });
}
