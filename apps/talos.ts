import { ApiObject, Chart, type App } from 'cdk8s';
import { AgentPlatform, ExternalSecretRef, MigrationJob, ObservabilityStack, RedisStore } from '../lib/index.js';

/**
 * The Talos Protocol guide's platform (gateway, audit service, MCP
 * connector, dashboard, Redis for rate limits, a managed PostgreSQL, an
 * OTLP endpoint), built with AgentPlatform, its defects fixed. Each fix
 * names the defect ID of the project's DEFECTS spec.
 *
 * Tracing: the guide's Jaeger CR (operator v1, `strategy: production` with
 * no storage) is not rendered. The gateway exports OTLP to the endpoint the
 * guide already requires in production (Secret `talos-otlp`), which a Jaeger
 * v2 collector or any OTLP backend receives (D-TAL-10).
 */

const NAMESPACE = 'talos-system';
// Images tagged with the git short SHA, immutable per build (TAL-P14).
const VERSION = '3f2c1ab';
const image = (service: string) => `ghcr.io/talosprotocol/talos-${service}:${VERSION}`;

/** A Talos service on port 8000, UID 1001, read-only root with a writable /tmp (TAL-P08). */
function service(name: string, env: Record<string, string | { fromSecret: { name: string; key: string } }> = {}) {
  return {
    image: image(name),
    port: 8000,
    securityContext: { runAsUser: 1001, runAsGroup: 1001, fsGroup: 1001 },
    // One path set per service (D-TAL-04): the section the probes fragment gives.
    livenessProbe: { path: '/health/live', initialDelaySeconds: 10, periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 3 },
    readinessProbe: { path: '/health/ready', initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
    startupProbe: { path: '/health/live', periodSeconds: 2, timeoutSeconds: 3, failureThreshold: 30 },
    env: { MODE: 'prod', DEV_MODE: 'false', ...env },
    // Grace period on the pod template, covering preStop 5 s + drain 30 s
    // (D-TAL-01, TAL-P06); preStop execs the image's sleep binary, no shell (D-TAL-02).
    shutdown: { preStop: { type: 'execSleep' as const, seconds: 5, sleepBinary: '/bin/sleep' }, drainSeconds: 30, terminationGracePeriodSeconds: 60 },
    resources: {
      requests: { cpu: '200m', memory: '256Mi', ephemeralStorage: '128Mi' },
      limits: { cpu: '1', memory: '1Gi', ephemeralStorage: '1Gi' },
    },
  };
}

/** Adds the `talos` chart. */
export function addTalosChart(app: App): Chart {
  const chart = new Chart(app, 'talos');

  // Secrets from the external store, never `--from-literal` on a command line (D-TAL-08, TAL-P10).
  const secrets = new ExternalSecretRef(chart, 'Secrets', {
    name: 'talos-secrets',
    namespace: NAMESPACE,
    secretStore: { name: 'talos-vault', kind: 'ClusterSecretStore' },
    data: [{ secretKey: 'database-url', remoteKey: 'talos/prod/database-url' }],
  });
  const otlp = new ExternalSecretRef(chart, 'Otlp', {
    name: 'talos-otlp',
    namespace: NAMESPACE,
    secretStore: { name: 'talos-vault', kind: 'ClusterSecretStore' },
    data: [{ secretKey: 'endpoint', remoteKey: 'talos/prod/otlp-endpoint' }],
  });
  new ExternalSecretRef(chart, 'RedisAuth', {
    name: 'talos-redis',
    namespace: NAMESPACE,
    secretStore: { name: 'talos-vault', kind: 'ClusterSecretStore' },
    data: [{ secretKey: 'password', remoteKey: 'talos/prod/redis-password' }],
  });
  const databaseUrl = secrets.env('database-url');

  const platform = new AgentPlatform(chart, 'Platform', {
    name: 'talos',
    namespace: NAMESPACE,
    namespaceLabels: { environment: 'production' },
    components: {
      'talos-gateway': {
        kind: 'agent',
        props: {
          ...service('gateway', {
            RATE_LIMIT_ENABLED: 'true',
            // Redis is required in production (TAL-P03); the connection comes from the store below.
            RATE_LIMIT_BACKEND: 'redis',
            RATE_LIMIT_DEFAULT_RPS: '10',
            RATE_LIMIT_DEFAULT_BURST: '20',
            TRACING_ENABLED: 'true',
            OTEL_EXPORTER_OTLP_ENDPOINT: otlp.env('endpoint'),
            // Semantic-convention attribute, not `environment=` (D-TAL-10).
            OTEL_RESOURCE_ATTRIBUTES: 'service.name=talos-gateway,deployment.environment.name=prod',
            SHUTDOWN_DRAIN_TIMEOUT_SECONDS: '30',
            DATABASE_URL: databaseUrl,
          }),
          // The HPA of the guide, in the namespace of its Deployment (D-TAL-05).
          autoscaling: { minReplicas: 3, maxReplicas: 10, cpuUtilization: 70 },
          // The surface ConfigMap, namespaced and mounted (D-TAL-05).
          configFiles: {
            configMapName: 'gateway-surface-config',
            files: { 'gateway_surface.json': '{"surface_id":"llm.chat.completions","rate_limit_rps":10,"rate_limit_burst":20}\n' },
          },
        },
        dependsOn: ['redis', 'postgres', 'otlp'],
      },
      'talos-audit': { kind: 'agent', props: { ...service('audit', { DATABASE_URL: databaseUrl }), autoscaling: { minReplicas: 2, maxReplicas: 4 } }, dependsOn: ['postgres'] },
      'talos-mcp': { kind: 'agent', props: { ...service('mcp-connector'), autoscaling: { minReplicas: 2, maxReplicas: 4 } }, dependsOn: ['talos-gateway'] },
      'talos-dashboard': {
        kind: 'agent',
        props: { ...service('dashboard'), port: 3000, service: { port: 3000 }, autoscaling: { minReplicas: 2, maxReplicas: 4 } },
      },
      // Rate-limit state: replicated Redis with Sentinel, a password and TLS,
      // not an unauthenticated plaintext `redis://` (D-TAL-08): the gateway
      // gets a `rediss://` URL and the CA bundle as a Secret reference. The
      // certificate is cert-manager's, issued from the cluster's internal CA
      // (the ClusterIssuer `cluster-internal-ca`, owned by cert-manager's
      // admins). Redis is not a hard readiness dependency of the app's own
      // choosing (D-TAL-06 is app behaviour).
      redis: {
        kind: 'store',
        create: (scope, id, ctx) => {
          const redis = new RedisStore(scope, id, {
            name: id,
            namespace: ctx.namespace,
            profile: ctx.profile,
            partOf: ctx.partOf,
            role: 'cache',
            auth: { secretName: 'talos-redis' },
            tls: { secretName: 'talos-redis-tls' },
            alerting: { prometheusRule: { runbookBaseUrl: 'https://runbooks.talos.yourdomain.com' } },
          });
          new ApiObject(scope, `${id}-certificate`, {
            apiVersion: 'cert-manager.io/v1',
            kind: 'Certificate',
            metadata: { name: 'talos-redis-tls', namespace: ctx.namespace },
            spec: {
              secretName: 'talos-redis-tls',
              dnsNames: [...redis.tlsDnsNames!],
              issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'cluster-internal-ca' },
              privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
              // Members connect to each other (replication, Sentinel) with the same certificate.
              usages: ['server auth', 'client auth', 'digital signature', 'key encipherment'],
              duration: '2160h',
              renewBefore: '720h',
            },
          });
          return redis;
        },
      },
      // The managed PostgreSQL the guide recommends, reached on its VPC range only.
      postgres: { kind: 'external', host: 'talos.cluster-abc.eu-west-1.rds.amazonaws.com', port: 5432, destination: { cidr: '10.40.0.0/16' } },
      otlp: { kind: 'external', host: 'otlp.datadoghq.com', port: 4317, destination: 'internet' },
      // A real, versioned Job named after the image (D-TAL-03, TAL-P11).
      'gateway-migrations': {
        kind: 'job',
        create: (scope, id, ctx) =>
          new MigrationJob(scope, id, {
            name: id,
            namespace: ctx.namespace,
            profile: ctx.profile,
            partOf: ctx.partOf,
            image: image('gateway'),
            command: ['alembic', 'upgrade', 'head'],
            env: { DATABASE_URL: databaseUrl },
            egress: [{ description: 'managed PostgreSQL', cidr: '10.40.0.0/16', ports: [{ port: 5432 }] }],
            securityContext: { runAsUser: 1001 },
          }),
      },
    },
    // One host: `/` to the dashboard, `/api`, `/audit`, `/mcp` to their
    // services (TAL-P07), TLS from cert-manager, edge rate limits (TAL-P13).
    hosts: [
      {
        host: 'talos.yourdomain.com',
        via: { type: 'ingress', tls: { secretName: 'talos-tls', clusterIssuer: 'letsencrypt-prod' } },
        paths: [
          { path: '/', component: 'talos-dashboard' },
          { path: '/api', component: 'talos-gateway' },
          { path: '/audit', component: 'talos-audit' },
          { path: '/mcp', component: 'talos-mcp' },
        ],
      },
    ],
  });
  // ServiceMonitor and PrometheusRule on, as the guide's monitoring values ask (TAL-P12).
  new ObservabilityStack(chart, 'Observability', { agent: platform.agents['talos-gateway']!, runbookBaseUrl: 'https://runbooks.talos.yourdomain.com' });
  return chart;
}
