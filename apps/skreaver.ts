import { Chart, type App } from 'cdk8s';
import { parse } from 'smol-toml';
import { AgentNamespace, BackupCronJob, ExternalSecretRef, FluentBit, ObservabilityStack, SecureAgentDeployment } from '../lib/index.js';
import { platformEgress } from './egress.js';

/**
 * The Skreaver guide's Kubernetes objects, with its defects fixed. Each fix
 * names the defect ID of the project's DEFECTS spec.
 */

// The comprehensive policy of the guide's prose, not the weaker shipped one (D-SKR-09).
const SECURITY_TOML = `[metadata]
version = "1.0"
description = "Production security policy"

[fs]
allow_paths = ["/app/data", "/tmp/skreaver"]
deny_patterns = ["**/.env", "**/.git/**", "**/node_modules/**", "**/*.key", "**/*.pem"]
max_file_size_mb = 100
allow_symlinks = false

[http]
allow_domains = ["api.example.com"]
deny_patterns = ["*.internal", "localhost", "127.0.0.1"]
max_request_size_mb = 50
timeout_seconds = 30

[network]
allow_ports = [80, 443, 8080]
deny_private_ips = true
dns_timeout_seconds = 5

[resources]
max_memory_mb = 1024
max_cpu_percent = 80.0
max_execution_time = 300

[audit]
enabled = true
log_level = "info"
retention_days = 90
include_request_bodies = false
include_response_bodies = false

[secrets]
redact_in_logs = true
rotation_days = 90
allowed_sources = ["env", "file"]

[development]
enabled = false
skip_tls_verify = false
allow_localhost = false

[emergency]
kill_switch_enabled = true
`;

/**
 * What the agent's http tool may call, read from the policy it enforces
 * itself (`[http] allow_domains`, `[network] allow_ports`), so the network
 * enforces the same list: one source.
 */
export function skreaverAllowList(toml: string): { domains: string[]; ports: number[] } {
  const policy = parse(toml) as { http?: { allow_domains?: string[] }; network?: { allow_ports?: number[] } };
  return { domains: policy.http?.allow_domains ?? [], ports: policy.network?.allow_ports ?? [] };
}

/**
 * Kubernetes API server endpoint addresses for the API egress rule (the
 * Role lets the app read its ConfigMap and Secret). NetworkPolicy matches
 * endpoint addresses, not the `kubernetes` Service IP: take them from
 * `kubectl get endpoints kubernetes -n default`.
 */
const API_SERVER_CIDRS = ['10.0.0.1/32'];

/** Adds the `skreaver` chart. */
export function addSkreaverChart(app: App): Chart {
  const chart = new Chart(app, 'skreaver');

  // One Namespace with all labels (D-SKR-14); the quota admits HPA max plus
  // surge: 11 pods x 2 CPU limit = 22 CPU, plus the collector (3 x 500m) and
  // a backup run (1 CPU), so limits.cpu is 26, not 16
  // (and 11 x 4Gi ephemeral storage = 44Gi, so 60Gi), and
  // the LimitRange sets default/defaultRequest explicitly (D-SKR-05).
  const ns = new AgentNamespace(chart, 'Namespace', {
    name: 'skreaver',
    labels: { name: 'skreaver', environment: 'production' },
    quota: {
      requests: { cpu: '8', memory: '16Gi', ephemeralStorage: '20Gi' },
      limits: { cpu: '26', memory: '32Gi', ephemeralStorage: '60Gi' },
      pods: 30,
      persistentVolumeClaims: 10,
    },
    limitRange: {
      default: { cpu: '500m', memory: '512Mi', ephemeralStorage: '1Gi' },
      defaultRequest: { cpu: '100m', memory: '128Mi', ephemeralStorage: '64Mi' },
      min: { cpu: '100m', memory: '128Mi', ephemeralStorage: '1Mi' },
      max: { cpu: '4', memory: '4Gi', ephemeralStorage: '8Gi' },
    },
    apiServerEgress: { cidrs: API_SERVER_CIDRS },
  });

  // In the namespace, on external-secrets.io/v1 (D-SKR-18). The database URL
  // comes from the same store as a required key: the guide's optional
  // `skreaver-db/connection-string` never exists (D-SKR-10).
  const secrets = new ExternalSecretRef(chart, 'Secrets', {
    name: 'skreaver-secrets',
    namespace: ns.name,
    secretStore: { name: 'aws-secrets-manager', kind: 'SecretStore' },
    data: [
      { secretKey: 'jwt-secret', remoteKey: 'skreaver/prod/jwt-secret' },
      { secretKey: 'db-password', remoteKey: 'skreaver/prod/db-password' },
      { secretKey: 'database-url', remoteKey: 'skreaver/prod/database-url' },
    ],
  });

  const agent = new SecureAgentDeployment(chart, 'SkreaverHttp', {
    name: 'skreaver-http',
    namespace: ns.name,
    image: 'myregistry/skreaver-http:v0.5.0',
    partOf: 'skreaver',
    // The image's USER skreaver is UID 1000 (SKR-P04).
    securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 },
    port: 8080,
    // Skreaver serves /metrics on its HTTP port; the Ingress blocks that path (D-SKR-12).
    metrics: { port: 8080, path: '/metrics' },
    env: {
      // The runtime reads SKREAVER_SECURITY_CONFIG_PATH; the guide's
      // SKREAVER_SECURITY_CONFIG left the mounted policy unused (D-SKR-07).
      SKREAVER_SECURITY_CONFIG_PATH: '/config/security.toml',
      SKREAVER_JWT_SECRET: secrets.env('jwt-secret'),
      // No debug logging in production (D-SKR-22).
      RUST_LOG: 'info',
      SKREAVER_ENABLE_OPENAPI: 'false',
      DATABASE_URL: secrets.env('database-url'),
    },
    configFiles: { configMapName: 'skreaver-security-config', mountPath: '/config', files: { 'security.toml': SECURITY_TOML } },
    // D-SKR-08: one ReadWriteOnce PVC cannot serve 3-10 replicas spread over
    // nodes. State lives in PostgreSQL (DATABASE_URL), so /app/data is
    // per-pod scratch space and the shared `skreaver-data` PVC is dropped.
    scratchVolumes: [
      { name: 'tmp', mountPath: '/tmp/skreaver', sizeLimit: '1Gi' },
      { name: 'data', mountPath: '/app/data', sizeLimit: '2Gi' },
    ],
    resources: {
      requests: { cpu: '500m', memory: '512Mi', ephemeralStorage: '256Mi' },
      limits: { cpu: '2', memory: '2Gi', ephemeralStorage: '4Gi' },
    },
    livenessProbe: { path: '/health', initialDelaySeconds: 10, periodSeconds: 30, timeoutSeconds: 5, failureThreshold: 3 },
    readinessProbe: { path: '/ready', initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 2 },
    startupProbe: { path: '/health', periodSeconds: 2, timeoutSeconds: 3, failureThreshold: 30 },
    // debian:bookworm-slim has /bin/sleep. Grace covers preStop 5 s plus the
    // 60 s backpressure processing timeout; the guide's 30 s SIGKILLed
    // long requests (D-SKR-11).
    shutdown: { preStop: { type: 'execSleep', seconds: 5 }, drainSeconds: 60 },
    autoscaling: {
      minReplicas: 3,
      maxReplicas: 10,
      cpuUtilization: 70,
      memoryUtilization: 80,
      behavior: {
        scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] },
        scaleUp: { stabilizationWindowSeconds: 60, policies: [{ type: 'Percent', value: 100, periodSeconds: 30 }] },
      },
    },
    // No static replicas next to the HPA (D-SKR-21); minAvailable 2 of min 3 allows one eviction.
    pdb: { minAvailable: 2 },
    // ClientIP affinity had no effect behind ingress-nginx and skewed in-cluster load (D-SKR-20).
    service: { port: 80, sessionAffinity: 'None' },
    // Least privilege: only its own ConfigMap and Secret, by name (D-SKR-17).
    rbac: { configMaps: ['skreaver-security-config'], secrets: ['skreaver-secrets'] },
    // Peers are ANDed and namespaces matched on kubernetes.io/metadata.name;
    // DNS on UDP and TCP comes from the namespace policy (D-SKR-04).
    ingressFrom: 'ingress-nginx',
    egress: [{ description: 'PostgreSQL', pods: { podLabels: { 'app.kubernetes.io/name': 'postgres' } }, ports: [{ port: 5432 }] }],
    exposure: {
      type: 'ingress',
      className: 'nginx',
      host: 'skreaver.example.com',
      tls: { secretName: 'skreaver-tls', clusterIssuer: 'letsencrypt-prod' },
      bodySize: '50m',
      timeoutSeconds: 300,
      // `rate-limit` is not an ingress-nginx annotation; limit-rps is (D-SKR-12).
      rateLimit: { rps: 100, burstMultiplier: 5 },
    },
  });
  // External HTTPS for the agent's http tool (D-SKR-06), to the domains of
  // its own security.toml only, through the platform's egress proxy.
  platformEgress(app).allow(agent, [skreaverAllowList(SECURITY_TOML)]);

  // --- Observability (issue 4): ServiceMonitor, PrometheusRule, dashboard,
  // OpenTelemetry Collector and Fluent Bit, with the guide's defects fixed.
  // Tailing node logs needs a hostPath, which Pod Security forbids in
  // `skreaver`: Fluent Bit runs as a DaemonSet in its own `logging`
  // namespace, the project's only privileged one (D-SKR-15).
  const logs = new FluentBit(chart, 'Logging', {
    apiServer: { cidrs: API_SERVER_CIDRS },
    output: {
      type: 'elasticsearch',
      host: 'elasticsearch.elastic.svc',
      index: 'skreaver-logs',
      // Authenticated and verified TLS, Suppress_Type_Name for Elasticsearch 8 (D-SKR-15).
      credentials: { user: { name: 'elasticsearch-credentials', key: 'username' }, password: { name: 'elasticsearch-credentials', key: 'password' } },
      tls: { caSecret: { name: 'elasticsearch-credentials', key: 'ca.crt' } },
      egress: { pods: { namespace: 'elastic', podLabels: { 'app.kubernetes.io/name': 'elasticsearch' } }, ports: [{ port: 9200 }] },
    },
  });
  // In the `logging` namespace, after it in the output so a plain `kubectl apply` creates the namespace first.
  new ExternalSecretRef(chart, 'LogOutputSecrets', {
    name: 'elasticsearch-credentials',
    namespace: 'logging',
    secretStore: { name: 'platform-secrets', kind: 'ClusterSecretStore' },
    data: [
      { secretKey: 'username', remoteKey: 'logging/prod/elasticsearch-username' },
      { secretKey: 'password', remoteKey: 'logging/prod/elasticsearch-password' },
      { secretKey: 'ca.crt', remoteKey: 'logging/prod/elasticsearch-ca' },
    ],
  });
  // The trace backend's CA, so the collector verifies TLS instead of `tls.insecure: true` (D-SKR-16).
  new ExternalSecretRef(chart, 'TraceBackendCa', {
    name: 'jaeger-ca',
    namespace: ns.name,
    secretStore: { name: 'aws-secrets-manager', kind: 'SecretStore' },
    data: [{ secretKey: 'ca.crt', remoteKey: 'skreaver/prod/jaeger-ca' }],
  });
  const observability = new ObservabilityStack(chart, 'Observability', {
    agent,
    runbookBaseUrl: 'https://runbooks.example.com/skreaver',
    // Skreaver prefixes its metrics with SKREAVER_OBSERVABILITY_NAMESPACE
    // ("skreaver"), so the guide's unprefixed rules never matched (D-SKR-13).
    metrics: { requests: 'skreaver_http_requests_total', duration: 'skreaver_http_request_duration_seconds' },
    // The guide's four alerts, aggregated with `sum by`, scoped to this job and
    // namespace, memory on the working set (D-SKR-13); HPA-at-max and
    // certificate expiry alerts come with the stack (D-X-04).
    alerts: { alertPrefix: 'Skreaver', latency: { name: 'SkreaverSlowResponseTime', quantile: 0.95, thresholdSeconds: 1, for: '10m' } },
    slo: { availability: { target: 0.999 }, latency: { target: 0.99, thresholdSeconds: 1 } },
    tracing: {
      // OTLP export instead of the removed `jaeger` exporter, TLS verified,
      // memory_limiter first, and a collector workload and Service (D-SKR-16).
      collector: {
        partOf: 'skreaver',
        resources: {
          requests: { cpu: '100m', memory: '256Mi', ephemeralStorage: '64Mi' },
          limits: { cpu: '500m', memory: '512Mi', ephemeralStorage: '256Mi' },
        },
        traces: {
          endpoint: 'jaeger-collector.observability.svc:4317',
          tls: { ca: { secret: { name: 'jaeger-ca', key: 'ca.crt' } } },
          egress: { pods: { namespace: 'observability', podLabels: { 'app.kubernetes.io/name': 'jaeger' } }, ports: [{ port: 4317 }] },
        },
      },
      // Skreaver reads its own endpoint variable besides the standard one.
      endpointEnv: ['SKREAVER_OBSERVABILITY_OTEL_ENDPOINT'],
    },
    logShipper: logs,
  });
  // Tracing is off in Skreaver unless enabled (SKREAVER_OBSERVABILITY_ENABLE_TRACING defaults to false).
  agent.addEnv('SKREAVER_OBSERVABILITY_ENABLE_TRACING', 'true');

  // --- Backups (issue 5): the guide's `skreaver-db-backup` CronJob with its
  // defects fixed. RPO 24 h (daily); restore steps in docs/backup-and-restore.md.
  const backup = new BackupCronJob(chart, 'DbBackup', {
    name: 'skreaver-db-backup',
    namespace: ns.name,
    // "Daily at 2 AM" in a zone written down, not the controller's (D-SKR-03).
    schedule: '0 2 * * *',
    timeZone: 'Etc/UTC',
    engine: {
      type: 'postgres',
      host: 'postgres',
      database: 'skreaver',
      user: 'skreaver_user',
      // The ExternalSecret's key: the guide's `skreaver-db` Secret is never defined (D-SKR-10).
      password: secrets.env('db-password').fromSecret,
      // postgres:15-alpine, whose pg_dump is not older than the server (D-SKR-03).
      serverVersion: 15,
      destination: { pods: { podLabels: { 'app.kubernetes.io/name': 'postgres' } } },
    },
    // D-SKR-01: set -euo pipefail, dump to a .partial name, pg_restore reads
    // every block, then a checksum and the rename; retention runs only after
    // that, and the newest 7 good backups survive any number of failed runs.
    retention: { days: 30, minKeep: 7 },
    // D-SKR-03: the claim is created here; the guide referenced one that nothing
    // created, so its pod stayed Pending. An off-site copy is `target.s3`.
    target: { volume: { claimName: 'skreaver-backup', create: { size: '50Gi' } } },
    // D-SKR-03: explicit resources, not the LimitRange default; a run that
    // hangs is killed after an hour and retried twice.
    resources: {
      requests: { cpu: '100m', memory: '256Mi', ephemeralStorage: '128Mi' },
      limits: { cpu: '1', memory: '512Mi', ephemeralStorage: '1Gi' },
    },
    activeDeadlineSeconds: 3600,
    backoffLimit: 2,
    // D-SKR-02: the pod runs as UID 10001 under Pod Security restricted, with a
    // read-only root and a scratch emptyDir; the construct does this by default.
    partOf: 'skreaver',
  });
  // Alerts when no backup succeeded for 26 h (24 h + deadlines) or a run failed (D-SKR-01).
  backup.addAlertsTo(observability);
  return chart;
}
