import { Chart, JsonPatch, type App } from 'cdk8s';
import { AgentPlatform, ExternalSecretRef, ObservabilityStack, RedisStore, type AgentPlatformProps, type PlatformOverrides } from '../lib/index.js';

/**
 * The SARK guide's platform (the `sark` governance API, the `sark-ui` React
 * UI on one host, Valkey/Redis, the PostgreSQL database) in its sizing
 * tiers small, medium and large from one definition: API replicas and
 * resources and the cache size scale together. Each fix names the defect
 * ID of the project's DEFECTS spec.
 */

const secret = (key: string) => ({ fromSecret: { name: 'sark-secrets', key } });
// The managed PostgreSQL, reached on its range only, over TLS (SRK-P04).
const DATABASE_CIDR = '10.60.0.0/16';

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
          WORKERS: '4',
          // Secrets as Secret keys, never env literals (D-SRK-15).
          DATABASE_URL: secret('database_url'),
          JWT_SECRET_KEY: secret('jwt_secret_key'),
          JWT_ALGORITHM: 'HS256',
          // 20 pods x 4 workers x (10 + 5) stays under the database's connections (D-SRK-09).
          DATABASE_POOL_SIZE: '10',
          DATABASE_MAX_OVERFLOW: '5',
          DATABASE_POOL_TIMEOUT: '30',
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
      dependsOn: ['redis', { component: 'postgres', envPrefix: 'DATABASE_' }],
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
    postgres: { kind: 'external', host: 'sark-db.example.internal', port: 5432, destination: { cidr: DATABASE_CIDR } },
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

/** The guide's sizing table: API replicas and resources, and the cache, scaled together. */
const tier = (min: number, max: number, api: 'small' | 'medium' | 'large', cache: 'small' | 'medium' | 'large'): PlatformOverrides => ({
  namespace: `sark-${api}`,
  components: {
    sark: { autoscaling: { minReplicas: min, maxReplicas: max, cpuUtilization: 70, memoryUtilization: 80 }, resources: api },
    redis: { settings: { tier: cache } },
  },
});

/** Adds the `sark-small`, `sark-medium` and `sark-large` charts. */
export function addSarkCharts(app: App): Chart[] {
  const platforms = AgentPlatform.tiers(app, 'sark', { definition, tiers: { small: tier(2, 5, 'small', 'small'), medium: tier(4, 10, 'medium', 'medium'), large: tier(8, 20, 'large', 'large') } });
  return Object.values(platforms).map((platform) => {
    const chart = Chart.of(platform);
    // One Secret with every key, created once from the secret manager (D-SRK-14, D-SRK-15).
    new ExternalSecretRef(chart, 'Secrets', {
      name: 'sark-secrets',
      namespace: platform.namespace,
      secretStore: { name: 'sark-vault', kind: 'ClusterSecretStore' },
      data: ['database_url', 'jwt_secret_key', 'redis_password'].map((k) => ({ secretKey: k, remoteKey: `sark/production/${k}` })),
    });
    const api = platform.agents.sark!;
    // ServiceMonitor and alerts on metrics the API exports (D-SRK-10).
    new ObservabilityStack(chart, 'Observability', { agent: api, runbookBaseUrl: 'https://runbooks.sark.yourdomain.com' });
    // The guide's names for the budget and the autoscaler.
    api.pdb?.addJsonPatch(JsonPatch.replace('/metadata/name', 'sark-pdb'));
    api.hpa?.addJsonPatch(JsonPatch.replace('/metadata/name', 'sark-hpa'));
    return chart;
  });
}
