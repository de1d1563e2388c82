import { Chart, type App } from 'cdk8s';
import { AgentPlatform, ExternalSecretRef, ObservabilityStack, RedisStore, type AgentPlatformProps, type PlatformOverrides } from '../lib/index.js';
import { platformEgress } from './egress.js';

/**
 * The Weaver AI guide's platform (the `weaver-api` FastAPI gateway, Redis,
 * the LLM providers behind a model gateway, the telemetry endpoint) in its
 * three environments from one definition: dev, staging and production, each
 * with the settings of its `.env` file as typed overrides. Each fix names
 * the defect ID of the project's DEFECTS spec.
 */

/** The LiteLLM proxy image of the model gateway (non-root, pinned to a release tag). */
const LITELLM_IMAGE = 'ghcr.io/berriai/litellm-non_root:v1.74.0-stable';

const secret = (key: string) => ({ fromSecret: { name: 'weaver-secrets', key } });
/** The provider keys, read by the model gateway's pods only. */
const modelKey = (key: string) => ({ secretName: 'weaver-model-keys', key });
const signing = (key: string) => ({ fromSecret: { name: 'telemetry-signing-keys', key } });

const definition: AgentPlatformProps = {
  name: 'weaver-ai',
  namespace: 'weaver-ai',
  components: {
    'weaver-api': {
      kind: 'agent',
      props: {
        image: 'your-registry.com/weaver-ai:1.0.0',
        port: 8000,
        // Hardened by default: non-root, read-only root, no capabilities, seccomp (D-WVR-01).
        // The app has one health endpoint: liveness is the port, readiness /health (D-WVR-02).
        livenessProbe: { tcpPort: 'http', periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
        readinessProbe: { path: '/health', initialDelaySeconds: 10, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 },
        startupProbe: { tcpPort: 'http', periodSeconds: 2, timeoutSeconds: 3, failureThreshold: 30 },
        // The settings of the .env files as typed env, one source (D-WVR-07);
        // secrets key by key, never `envFrom: secretRef` (D-WVR-05, D-WVR-13).
        env: {
          // The provider's calls go to the model gateway (WEAVER_MODEL_BASE_URL,
          // OPENAI_BASE_URL and ANTHROPIC_BASE_URL from the dependency below),
          // which holds the provider keys: the API holds none.
          WEAVER_MODEL_PROVIDER: 'openai',
          WEAVER_MODEL_NAME: 'gpt-4',
          WEAVER_AUTH_MODE: 'jwt',
          WEAVER_JWT_PUBLIC_KEY: secret('WEAVER_JWT_PUBLIC_KEY'),
          WEAVER_PII_REDACT: 'true',
          // Audit lines go to a per-pod file the log pipeline ships, not a shared RWO PVC (D-WVR-06).
          WEAVER_AUDIT_PATH: '/var/log/weaver/audit.log',
          WEAVER_RATELIMIT_RPS: '5',
          WEAVER_RATELIMIT_BURST: '10',
          WEAVER_REQUEST_MAX_TOKENS: '4096',
          WEAVER_REQUEST_TIMEOUT_MS: '25000',
          WEAVER_TELEMETRY_ENABLED: 'true',
          WEAVER_TELEMETRY_ENDPOINT: 'https://otel-prod.example.com',
          REDIS_DB: '0',
          LOG_LEVEL: 'INFO',
          OTEL_SERVICE_NAME: 'weaver-ai',
          OTEL_SERVICE_VERSION: '1.0.0',
        },
        scratchVolumes: [
          { name: 'tmp', mountPath: '/tmp', sizeLimit: '256Mi' },
          { name: 'audit', mountPath: '/var/log/weaver', sizeLimit: '1Gi' },
        ],
        resources: { requests: { cpu: '500m', memory: '512Mi', ephemeralStorage: '256Mi' }, limits: { cpu: '2', memory: '2Gi', ephemeralStorage: '2Gi' } },
        autoscaling: {
          minReplicas: 3,
          maxReplicas: 10,
          cpuUtilization: 70,
          memoryUtilization: 80,
          behavior: {
            scaleUp: { stabilizationWindowSeconds: 60, policies: [{ type: 'Percent', value: 100, periodSeconds: 60 }] },
            scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] },
          },
        },
        // Requests run up to 25 s (WEAVER_REQUEST_TIMEOUT_MS): drain 30 s, grace covers it (D-WVR-11).
        shutdown: { drainSeconds: 30 },
      },
      // The Redis connection (REDIS_HOST, REDIS_PORT, REDIS_PASSWORD, Sentinel) from the store (D-WVR-03);
      // the LLM providers through the model gateway only, no route to the internet.
      dependsOn: ['redis', { component: 'model-gateway', envPrefix: 'WEAVER_MODEL_BASE_' }],
      // The telemetry collector by name, through the platform's egress proxy.
      egressDomains: [{ domains: ['otel-prod.example.com'], ports: [443] }],
    },
    // The one component that reaches the LLM providers, by domain through the
    // egress proxy: OpenAI, with Anthropic as the guide's fallback provider.
    'model-gateway': {
      kind: 'model-gateway',
      props: {
        image: LITELLM_IMAGE,
        providers: [
          { provider: 'openai', models: ['gpt-4'], apiKey: modelKey('openai') },
          { provider: 'anthropic', models: ['claude-sonnet-4-5'], apiKey: modelKey('anthropic') },
        ],
        // The guide's failover: a request to gpt-4 that fails after retries goes to Anthropic.
        fallbacks: [{ model: 'gpt-4', to: ['claude-sonnet-4-5'] }],
      },
    },
    // Master, two replicas and Sentinel, a governing Service, the password from
    // a Secret file instead of argv, non-root (D-WVR-03, D-WVR-04).
    redis: {
      kind: 'store',
      settings: { tier: 'medium' },
      create: (scope, id, ctx) =>
        new RedisStore(scope, id, {
          name: id,
          namespace: ctx.namespace,
          profile: ctx.profile,
          partOf: ctx.partOf,
          role: 'store',
          tier: ctx.settings.tier as 'small' | 'medium' | 'large',
          auth: { secretName: 'weaver-secrets', key: 'REDIS_PASSWORD' },
          alerting: { prometheusRule: { runbookBaseUrl: 'https://runbooks.weaver-ai.example.com' } },
        }),
    },
  },
  hosts: [
    {
      host: 'api.weaver-ai.example.com',
      name: 'weaver-api',
      // A real edge rate limit (`limit-rps`), not the non-existent `rate-limit` annotation (D-WVR-08).
      via: { type: 'ingress', tls: { secretName: 'weaver-tls', clusterIssuer: 'letsencrypt-prod' }, rateLimit: { rps: 10 }, timeoutSeconds: 60 },
      paths: [{ path: '/', component: 'weaver-api' }],
    },
  ],
};

/** The three .env files as typed overrides. */
const environments: Record<string, PlatformOverrides> = {
  dev: {
    profile: 'dev',
    hosts: { 'api.weaver-ai.example.com': 'api.dev.weaver-ai.example.com' },
    // The stub model makes no API calls: no gateway, no route to a provider.
    omit: ['model-gateway'],
    components: {
      'weaver-api': {
        replicas: 1,
        resources: 'small',
        // Telemetry is off in dev: no route to a collector either.
        egressDomains: [],
        env: {
          WEAVER_MODEL_PROVIDER: 'stub',
          WEAVER_MODEL_NAME: 'stub-model',
          WEAVER_TELEMETRY_ENABLED: 'false',
          WEAVER_AUTH_MODE: 'api_key', WEAVER_ALLOWED_API_KEYS: secret('WEAVER_ALLOWED_API_KEYS'), WEAVER_RATELIMIT_RPS: '100', WEAVER_RATELIMIT_BURST: '200', LOG_LEVEL: 'DEBUG', OTEL_SERVICE_NAME: 'weaver-ai-dev',
        },
      },
      redis: { settings: { tier: 'small' } },
    },
  },
  staging: {
    profile: 'staging',
    hosts: { 'api.weaver-ai.example.com': 'api.staging.weaver-ai.example.com' },
    components: {
      'weaver-api': {
        autoscaling: { minReplicas: 2, maxReplicas: 4, cpuUtilization: 70, memoryUtilization: 80 },
        resources: 'medium',
        egressDomains: [{ domains: ['otel-staging.example.com'], ports: [443] }],
        env: {
          WEAVER_MODEL_NAME: 'gpt-3.5-turbo',
          WEAVER_TELEMETRY_ENDPOINT: 'https://otel-staging.example.com',
          WEAVER_RATELIMIT_RPS: '10',
          WEAVER_RATELIMIT_BURST: '20',
          OTEL_SERVICE_NAME: 'weaver-ai-staging',
        },
      },
      redis: { settings: { tier: 'small' } },
      // Real LLM calls with the staging test key, OpenAI only.
      'model-gateway': { providers: [{ provider: 'openai', models: ['gpt-3.5-turbo'], apiKey: modelKey('openai') }], fallbacks: [] },
    },
  },
  production: {
    namespace: 'weaver-ai',
    namespaceLabels: { environment: 'production' },
    components: {
      'weaver-api': {
        env: {
          // Signed telemetry is required for production compliance; the keys are Secret keys (D-WVR-05).
          WEAVER_TELEMETRY_SIGNING_ENABLED: 'true',
          WEAVER_TELEMETRY_SIGNING_KEY: signing('signing-key'),
          WEAVER_TELEMETRY_VERIFICATION_KEY: signing('verification-key'),
          OTEL_SERVICE_NAME: 'weaver-ai-prod',
        },
      },
    },
  },
};

/** Adds the `weaver-dev`, `weaver-staging` and `weaver-production` charts. */
export function addWeaverCharts(app: App): Chart[] {
  // The gateway's provider domains and the telemetry endpoint are enforced at the platform's egress proxy.
  platformEgress(app);
  const platforms = AgentPlatform.environments(app, 'weaver', { definition, environments });
  return Object.entries(platforms).map(([env, platform]) => {
    const chart = Chart.of(platform);
    const store = { name: 'weaver-vault', kind: 'ClusterSecretStore' as const };
    const keys = ['WEAVER_JWT_PUBLIC_KEY', 'REDIS_PASSWORD', ...(env === 'dev' ? ['WEAVER_ALLOWED_API_KEYS'] : [])];
    // From the secret manager per environment, never a `stringData` manifest in Git (D-WVR-05).
    new ExternalSecretRef(chart, 'Secrets', {
      name: 'weaver-secrets',
      namespace: platform.namespace,
      secretStore: store,
      data: keys.map((k) => ({ secretKey: k, remoteKey: `weaver/${env}/${k.toLowerCase()}` })),
    });
    // The provider keys (the guide's OPENAI_API_KEY_STAGING / _PROD, and Anthropic's in production), for the gateway's pods only.
    const providers = platform.gateways['model-gateway'] ? (env === 'production' ? ['openai', 'anthropic'] : ['openai']) : [];
    if (providers.length > 0) {
      new ExternalSecretRef(chart, 'ModelKeys', {
        name: 'weaver-model-keys',
        namespace: platform.namespace,
        secretStore: store,
        data: providers.map((p) => ({ secretKey: p, remoteKey: `weaver/${env}/${p}_api_key` })),
      });
    }
    // A PrometheusRule with severities and working expressions instead of the guide's rule file (D-WVR-09).
    new ObservabilityStack(chart, 'Observability', { agent: platform.agents['weaver-api']!, runbookBaseUrl: 'https://runbooks.weaver-ai.example.com' });
    if (env === 'production') {
      new ExternalSecretRef(chart, 'SigningKeys', {
        name: 'telemetry-signing-keys',
        namespace: platform.namespace,
        secretStore: store,
        data: [
          { secretKey: 'signing-key', remoteKey: 'weaver/production/telemetry-signing-key' },
          { secretKey: 'verification-key', remoteKey: 'weaver/production/telemetry-verification-key' },
        ],
      });
    }
    return chart;
  });
}
