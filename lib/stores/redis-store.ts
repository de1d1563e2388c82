import { Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { BackupCronJob } from '../backup/backup-cronjob.js';
import type { BackupCronJobProps } from '../backup/backup-cronjob-props.js';
import type { AlertSink } from '../backup/alerts.js';
import { ANNOTATIONS } from '../internal/labels.js';
import type { k8s } from '../internal/plus.js';
import {
  anyMutableImage,
  configChecksum,
  configMapVolume,
  createConfigMap,
  createHeadlessService,
  createNetworkPolicy,
  createPodDisruptionBudget,
  createService,
  createServiceAccount,
  createStatefulSet,
  devProfileWaivers,
  egressRule,
  envFromSecret,
  envValue,
  hardenedContainer,
  intOrString,
  ingressRule,
  parseConstructProps,
  podTemplate,
  projectedSecretsVolume,
  quorumBudget,
  restrictedPodSpec,
  scratchVolume,
  secretVolume,
  setPrimary,
  spreadOverZonesAndHosts,
  VolumeSet,
  waiverAnnotations,
  workloadIdentity,
  type WorkloadIdentity,
} from '../kit/index.js';
import type { PodPeer } from '../network/peers.js';
import type { ConnectionEnvValue, IConnection, IServingWorkload, ServedPort } from '../network/serving.js';
import { agentAlerts, agentAlertsSchema, pascalCase } from '../observability/agent-alerts.js';
import { AlertRules, type AlertOptions } from '../observability/alert-rules.js';
import type { MetricsTarget } from '../observability/metrics-target.js';
import { AgentServiceMonitor } from '../observability/service-monitor.js';
import { REDIS } from '../core/redis.js';
import { probeScript, REDIS_FILES, REDIS_SECRET_FILES, REDIS_TLS_FILES, renderRedisConf, renderSentinelConf, startRedisScript, startSentinelScript } from './redis-config.js';
import { RedisStorePropsSchema, resolveRedis, type RedisStoreConfig, type RedisStoreProps, type ResolvedRedis } from './redis-store-props.js';

/** Construct ids of the children: part of the API, since they name objects. */
export const RedisStoreIds = {
  StatefulSet: 'StatefulSet',
  HeadlessService: 'HeadlessService',
  Service: 'Service',
  ConfigMap: 'ConfigMap',
  ServiceAccount: 'ServiceAccount',
  NetworkPolicy: 'NetworkPolicy',
  PodDisruptionBudget: 'PodDisruptionBudget',
  ServiceMonitor: 'ServiceMonitor',
  Alerts: 'Alerts',
} as const;

/** Paths inside the pods. */
const PATHS = { config: '/etc/redis', run: '/run/redis', secrets: '/var/run/secrets/redis', tls: '/var/run/secrets/redis-tls' } as const;

/** The UID and GID of every container (the images' own `redis` user is not needed: the scripts write only to volumes). */
const UID = 10001;

/**
 * Seconds Redis takes to shut down on SIGTERM (its `shutdown-timeout`): it
 * waits for lagging replicas, then writes its snapshot or AOF. Declared as
 * the pods' drain time; the grace period leaves room above it.
 */
const SHUTDOWN_SECONDS = 10;

const SIDECAR_RESOURCES = {
  requests: { cpu: '50m', memory: '64Mi', ephemeralStorage: '16Mi' },
  limits: { cpu: '250m', memory: '128Mi', ephemeralStorage: '64Mi' },
} as const;

/** The Sentinel side of a replicated store, for clients and checks. */
export interface RedisSentinelInfo {
  /** The name clients ask Sentinel for. */
  readonly masterName: string;
  /** Sentinels (one per pod). */
  readonly count: number;
  /** Sentinels that must agree before a failover. */
  readonly quorum: number;
  /** Sentinel's port on the client Service. */
  readonly port: number;
}

/** How clients reach a {@link RedisStore}, rendered as env by {@link IConnection.env}. */
export interface RedisConnection extends IConnection {
  /** The Secret key holding the password. */
  readonly passwordSecret: { readonly name: string; readonly key: string };
  /**
   * TLS, when the store has it: connect with TLS (`rediss://`) and check the
   * server against this CA bundle. The env gets `<prefix>TLS=true`,
   * `<prefix>URL=rediss://<host>:<port>` and the CA's PEM as
   * `<prefix>TLS_CA_CERT` (from the Secret).
   */
  readonly tls?: { readonly caSecret: { readonly name: string; readonly key: string }; readonly clientCertificateRequired: boolean };
  /** Sentinel, when the store is replicated: ask it for the primary (`SENTINEL get-master-addr-by-name`). */
  readonly sentinel?: RedisSentinelInfo & { readonly host: string; readonly passwordSecret: { readonly name: string; readonly key: string } };
}

/** Options of {@link RedisStore.addBackup}: a {@link BackupCronJob} without what the store knows. */
export type RedisBackupOptions = Omit<BackupCronJobProps, 'name' | 'namespace' | 'profile' | 'engine'> & {
  /** Name of the CronJob. @default - `<store>-backup` */
  readonly name?: string;
};

/**
 * Redis 7 or Valkey 8 as a StatefulSet: `standalone` (one pod) or
 * `replicated` (a primary, replicas, and a Sentinel in every pod that
 * promotes a replica when the primary fails).
 *
 * - Configuration from a ConfigMap (`redis.conf`, `sentinel.conf`) filled in
 *   per pod by a POSIX sh start script; the passwords (`requirepass`,
 *   `masterauth`, Sentinel's) come from a mounted Secret, never the manifest.
 * - `role: 'cache'` evicts (`allkeys-lru`) and keeps nothing on disk;
 *   `role: 'store'` never evicts, with AOF (fsync every second) and RDB
 *   snapshots on a claim per pod. `maxmemory` is 75% of the memory limit
 *   unless given, and never above it. Tiers set resources, `io-threads`
 *   and `tcp-backlog`.
 * - A headless Service (stable pod names), a client Service (server and
 *   Sentinel ports), a PodDisruptionBudget that keeps a Sentinel majority,
 *   spreading over zones and nodes, Pod Security "restricted".
 * - Probes that ask the server: PING with the password (liveness), and as
 *   a replica a linked, synced primary (readiness).
 * - A NetworkPolicy admitting the declared clients ({@link allowFrom}),
 *   replication and Sentinel traffic between the members, and Prometheus
 *   on the redis_exporter sidecar, which a ServiceMonitor scrapes; alerts
 *   on it from the library ({@link addAlertsTo}).
 *
 * @see https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/
 */
export class RedisStore extends Construct implements IServingWorkload {
  /** Object name of the StatefulSet and the client Service. */
  public readonly name: string;
  /** Namespace. */
  public readonly namespace: string;
  /** The store's pods as a NetworkPolicy peer. */
  public readonly peer: PodPeer;
  /** `redis` (6379), and `sentinel` (26379) when replicated. */
  public readonly servedPorts: readonly ServedPort[];
  /** How clients connect. */
  public readonly connection: RedisConnection;
  /** `standalone` or `replicated`. */
  public readonly topology: 'standalone' | 'replicated';
  /** The `maxmemory` written to redis.conf, in bytes. */
  public readonly maxmemoryBytes: number;
  /** Sentinel, when replicated. */
  public readonly sentinel?: RedisSentinelInfo;
  /**
   * With `tls`: the DNS names the certificate must cover (the client
   * Service, the members Sentinel hands out, and `localhost` for the
   * exporter), ready for a cert-manager Certificate's `dnsNames`.
   */
  public readonly tlsDnsNames?: readonly string[];
  /** The StatefulSet (the default child). */
  public readonly statefulSet: k8s.KubeStatefulSet;
  /** The headless Service that names the pods (`<name>-headless`). */
  public readonly headlessService: k8s.KubeService;
  /** The client Service. */
  public readonly service: k8s.KubeService;
  /** redis.conf, sentinel.conf and the scripts. */
  public readonly configMap: k8s.KubeConfigMap;
  /** The pods' ServiceAccount (no API token). */
  public readonly serviceAccount: k8s.KubeServiceAccount;
  /** The pods' NetworkPolicy. */
  public readonly networkPolicy: k8s.KubeNetworkPolicy;
  /** The disruption budget, when more than one pod runs. */
  public readonly podDisruptionBudget?: k8s.KubePodDisruptionBudget;
  /** The ServiceMonitor of the exporter, unless monitoring is false. */
  public readonly serviceMonitor?: AgentServiceMonitor;
  /** The store's own PrometheusRule, with `alerting.prometheusRule`. */
  public readonly alertRules?: AlertRules;
  /** The alerts, as {@link AlertRules.addAlert} takes them (none with `alerting: false`). */
  public readonly alerts: readonly AlertOptions[];
  /** What monitoring constructs need to know about the store. */
  public readonly metricsTarget?: MetricsTarget;
  private readonly callers: { peer: PodPeer; ports: number[] }[] = [];
  private readonly config: RedisStoreConfig;
  private alertsWired = false;

  constructor(scope: Construct, id: string, props: RedisStoreProps) {
    super(scope, id);
    const p = parseConstructProps(this, RedisStorePropsSchema, props);
    const r = resolveRedis(p);
    [this.config, this.name, this.namespace, this.topology, this.maxmemoryBytes] = [p, p.name, p.namespace, r.topology, r.maxmemoryBytes];
    const w = workloadIdentity(this, { namespace: p.namespace, name: p.name, appName: p.name, image: r.image, component: p.role, partOf: p.partOf, labels: p.labels });
    this.peer = { namespace: p.namespace, podLabels: { ...w.selector } };
    const replicated = r.topology === 'replicated';
    if (replicated) this.sentinel = { masterName: r.masterName, count: r.pods, quorum: r.quorum, port: REDIS.sentinelPort };
    this.servedPorts = [{ name: 'redis', port: REDIS.port }, ...(replicated ? [{ name: 'sentinel', port: REDIS.sentinelPort }] : [])];
    const files = redisFiles(p, r);
    this.configMap = createConfigMap(this, RedisStoreIds.ConfigMap, w.meta('ConfigMap'), files);
    this.serviceAccount = createServiceAccount(this, RedisStoreIds.ServiceAccount, w);
    const ports = [{ name: 'redis', port: REDIS.port }, ...(replicated ? [{ name: 'sentinel', port: REDIS.sentinelPort }] : [])];
    const metricsPort = p.monitoring !== false ? [{ name: 'metrics', port: REDIS.exporter.port }] : [];
    this.headlessService = createHeadlessService(this, RedisStoreIds.HeadlessService, w, ports);
    this.service = createService(this, RedisStoreIds.Service, w, { ports: [...ports, ...metricsPort] });
    this.statefulSet = setPrimary(this, this.createStatefulSet(p, r, w, configChecksum(JSON.stringify(files))));
    if (r.pods > 1) this.podDisruptionBudget = createPodDisruptionBudget(this, RedisStoreIds.PodDisruptionBudget, w, r.pods >= 3 ? quorumBudget(r.pods) : { maxUnavailable: 1 });
    for (const client of p.clients) this.allowFrom(client);
    this.networkPolicy = this.createNetworkPolicy(p, w);
    this.connection = redisConnection(p, r, this.service.name);
    if (p.tls) this.tlsDnsNames = [`${p.name}.${p.namespace}.svc.cluster.local`, `${p.name}.${p.namespace}.svc`, `*.${p.name}-headless.${p.namespace}.svc.cluster.local`, 'localhost'];
    if (p.monitoring !== false) {
      this.metricsTarget = {
        name: this.service.name,
        namespace: p.namespace,
        serviceLabels: { ...w.selector },
        servicePortNames: [...ports, ...metricsPort].map((x) => x.name),
        metricsPort: { name: 'metrics', path: '/metrics' },
        podRegex: `${p.name}-[0-9]+`,
        container: 'redis',
      };
      this.serviceMonitor = new AgentServiceMonitor(this, RedisStoreIds.ServiceMonitor, { target: this.metricsTarget, release: p.monitoring.release, scrapedBy: p.monitoring.scrapedBy });
    }
    this.alerts = p.alerting === false || !this.metricsTarget ? [] : storeAlerts(p, this.metricsTarget);
    if (p.alerting !== false && p.alerting.prometheusRule) this.alertRules = this.createAlertRules(w, p.alerting.prometheusRule);
    this.node.addValidation({
      validate: () =>
        this.alerts.length > 0 && !this.alertsWired
          ? [`${this.node.path}: the alerts of RedisStore "${this.name}" go nowhere; call addAlertsTo(<ObservabilityStack or AlertRules>), set alerting.prometheusRule, or set alerting: false`]
          : [],
    });
  }

  /**
   * Admits `caller` to `ports` (port names; every served port when omitted):
   * an ingress rule on the store's NetworkPolicy.
   */
  public allowFrom(caller: PodPeer, ports?: readonly string[]): void {
    const names = ports ?? this.servedPorts.map((s) => s.name);
    const numbers = names.map((n) => {
      const served = this.servedPorts.find((s) => s.name === n);
      if (!served) throw new Error(`${this.node.path}: RedisStore "${this.name}" serves no port "${n}"; use one of ${this.servedPorts.map((s) => s.name).join(', ')}`);
      return served.port;
    });
    this.callers.push({ peer: caller, ports: numbers });
  }

  /** Adds the alerts to an ObservabilityStack or AlertRules, in rule group `group` (default: the store's name). */
  public addAlertsTo(sink: AlertSink, group: string = this.name): void {
    for (const a of this.alerts) sink.addAlert(a, group);
    this.alertsWired = true;
  }

  /**
   * A {@link BackupCronJob} of the store: an RDB snapshot over the
   * replication protocol from the client Service, with the store's
   * password (over TLS, checking the store's CA, when the store has TLS);
   * the store admits the backup pods. Throws for a store that requires
   * client certificates.
   */
  public addBackup(id: string, options: RedisBackupOptions): BackupCronJob {
    const { name, ...rest } = options;
    const p = this.config;
    if (p.tls?.authClients) {
      throw new Error(`${this.node.path}: addBackup cannot back up RedisStore "${this.name}": it requires client certificates (tls.authClients), and the backup Job presents none; set tls.authClients: false, or back the store up another way`);
    }
    const backup = new BackupCronJob(this, id, {
      ...rest,
      name: name ?? `${this.name}-backup`,
      namespace: this.namespace,
      profile: p.profile,
      engine: {
        type: 'redis',
        host: this.service.name,
        password: { name: p.auth.secretName, key: p.auth.key },
        flavor: p.flavor,
        ...(this.connection.tls ? { tls: true, tlsCa: { ...this.connection.tls.caSecret } } : {}),
        ...(p.image ? { image: p.image } : {}),
        destination: { pods: this.peer },
      },
    });
    this.allowFrom({ namespace: this.namespace, podLabels: { ...backup.selectorLabels } }, ['redis']);
    return backup;
  }

  private createStatefulSet(p: RedisStoreConfig, r: ResolvedRedis, w: WorkloadIdentity, checksum: string): k8s.KubeStatefulSet {
    const waivers = {
      ...devProfileWaivers(p.profile, { singleReplica: r.pods === 1, mutableImage: anyMutableImage([r.image, ...(p.monitoring !== false ? [p.monitoring.image] : [])]) }),
      ...(r.pods === 1 && p.profile !== 'dev' && p.standaloneReason ? waiverAnnotations(['AVL-01'], p.standaloneReason) : {}),
    };
    return createStatefulSet(this, RedisStoreIds.StatefulSet, w, {
      replicas: r.pods,
      serviceName: `${p.name}-headless`,
      annotations: waivers,
      template: podTemplate({ labels: w.labels, annotations: { [ANNOTATIONS.configChecksum]: checksum, [ANNOTATIONS.drainSeconds]: String(SHUTDOWN_SECONDS) }, spec: redisPodSpec(p, r, w, this.configMap.name, this.serviceAccount.name) }),
      volumeClaimTemplates: r.storage ? [{ name: 'data', size: r.storage.size, storageClassName: r.storage.storageClassName }] : [],
    });
  }

  private createNetworkPolicy(p: RedisStoreConfig, w: WorkloadIdentity): k8s.KubeNetworkPolicy {
    const ns = p.namespace;
    const memberPorts = this.servedPorts.map((s) => s.port);
    const scrape = p.monitoring !== false ? [ingressRule([p.monitoring.scrapedBy], [REDIS.exporter.port], ns)] : [];
    const members = this.topology === 'replicated' ? [ingressRule([this.peer], memberPorts, ns)] : [];
    return createNetworkPolicy(this, RedisStoreIds.NetworkPolicy, w, {
      // Callers may be added with allowFrom() after construction, so the rules are built at synth.
      ingress: Lazy.any({
        produce: (): k8s.NetworkPolicyIngressRule[] => [...members, ...this.callers.map((c) => ingressRule([c.peer], c.ports, ns)), ...scrape],
      }) as unknown as k8s.NetworkPolicyIngressRule[],
      // Replication and Sentinel gossip go to the other members only.
      egress: this.topology === 'replicated' ? [egressRule({ pods: this.peer }, memberPorts, ns)] : [],
    });
  }

  private createAlertRules(w: WorkloadIdentity, rule: { runbookBaseUrl: string; release: string | false }): AlertRules {
    const rules = new AlertRules(this, RedisStoreIds.Alerts, {
      name: `${this.name}-alerts`,
      namespace: this.namespace,
      runbookBaseUrl: rule.runbookBaseUrl,
      release: rule.release,
      labels: w.labels,
      defaultGroup: this.name,
    });
    this.addAlertsTo(rules);
    return rules;
  }
}

/** The ConfigMap's files. */
function redisFiles(p: RedisStoreConfig, r: ResolvedRedis): Record<string, string> {
  return {
    [REDIS_FILES.redisConf]: renderRedisConf(p, r),
    ...(r.topology === 'replicated' ? { [REDIS_FILES.sentinelConf]: renderSentinelConf(p, r), [REDIS_FILES.startSentinel]: startSentinelScript(p, r) } : {}),
    [REDIS_FILES.startRedis]: startRedisScript(p, r),
    [REDIS_FILES.probe]: probeScript(p, r),
  };
}

/** The environment of the start and probe scripts: this pod's address, the first member's, the Sentinels', the paths. */
function scriptEnv(p: RedisStoreConfig, r: ResolvedRedis): k8s.EnvVar[] {
  const domain = `${p.name}-headless.${p.namespace}.svc.cluster.local`;
  const sentinels = r.topology === 'replicated' ? Array.from({ length: r.pods }, (_, i) => `${p.name}-${i}.${domain}:${REDIS.sentinelPort}`).join(' ') : '';
  return [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    envValue('ANNOUNCE_HOST', `$(POD_NAME).${domain}`),
    envValue('REDIS_PORT', REDIS.port),
    envValue('SENTINEL_PORT', REDIS.sentinelPort),
    envValue('PRIMARY_HOST', `${p.name}-0.${domain}`),
    envValue('PRIMARY_PORT', REDIS.port),
    envValue('SENTINELS', sentinels),
    envValue('CONFIG_DIR', PATHS.config),
    envValue('RUN_DIR', PATHS.run),
    envValue('DATA_DIR', REDIS.dataDir),
    envValue('SECRET_DIR', PATHS.secrets),
    ...(p.tls ? [envValue('TLS_DIR', PATHS.tls)] : []),
  ];
}

/** The TLS directory: the certificate and key of `tls.secretName`, and the CA bundle (of the same Secret or its own). */
function tlsVolume(tls: NonNullable<RedisStoreConfig['tls']>): ReturnType<typeof secretVolume> {
  const pair = [
    { key: 'tls.crt', path: REDIS_TLS_FILES.cert },
    { key: 'tls.key', path: REDIS_TLS_FILES.key },
  ];
  const ca = { key: tls.caKey, path: REDIS_TLS_FILES.ca };
  if (tls.caSecretName === undefined || tls.caSecretName === tls.secretName) return secretVolume('tls', tls.secretName, PATHS.tls, 0o440, [...pair, ca]);
  return projectedSecretsVolume('tls', PATHS.tls, 0o440, [
    { secretName: tls.secretName, items: pair },
    { secretName: tls.caSecretName, items: [ca] },
  ]);
}

/** An exec probe of probe.sh. */
function probe(mode: string, period: number, failures: number): k8s.Probe {
  return { exec: { command: ['sh', `${PATHS.config}/${REDIS_FILES.probe}`, mode] }, periodSeconds: period, timeoutSeconds: 5, failureThreshold: failures };
}

/** The pod: server, Sentinel (replicated) and exporter containers; config, run, data and secret volumes. */
function redisPodSpec(p: RedisStoreConfig, r: ResolvedRedis, w: WorkloadIdentity, configMap: string, serviceAccountName: string): k8s.PodSpec {
  const v = new VolumeSet();
  // Each container sees only its own files, so no check (or person) takes redis.conf for Sentinel's.
  const only = (...keys: string[]) => keys.map((key) => ({ key, path: key }));
  v.add(configMapVolume('config', configMap, PATHS.config, only(REDIS_FILES.redisConf, REDIS_FILES.startRedis, REDIS_FILES.probe)));
  const sentinelConfig = configMapVolume('sentinel-config', configMap, PATHS.config, only(REDIS_FILES.sentinelConf, REDIS_FILES.startSentinel, REDIS_FILES.probe));
  v.add(scratchVolume('run', PATHS.run, '16Mi', 'Memory'));
  const items = [
    { key: p.auth.key, path: REDIS_SECRET_FILES.password },
    { key: p.auth.sentinelKey ?? p.auth.key, path: REDIS_SECRET_FILES.sentinelPassword },
  ];
  v.add(secretVolume('auth', p.auth.secretName, PATHS.secrets, 0o440, items));
  const tlsMount = p.tls ? v.add(tlsVolume(p.tls)) : undefined;
  // A cache keeps nothing, but a replica still receives the primary's snapshot: a sized emptyDir.
  if (r.storage) v.mounts.push({ name: 'data', mountPath: REDIS.dataDir });
  else v.add(scratchVolume('data', REDIS.dataDir, REDIS_CACHE_SCRATCH(r)));
  const env = scriptEnv(p, r);
  const containers = [
    hardenedContainer({
      name: 'redis',
      image: r.image,
      command: ['sh', `${PATHS.config}/${REDIS_FILES.startRedis}`],
      ports: [{ name: 'redis', containerPort: REDIS.port }],
      env,
      resources: r.resources,
      startupProbe: probe('live', 5, 60),
      livenessProbe: probe('live', 10, 6),
      readinessProbe: probe('ready', 5, 3),
      volumeMounts: v.mounts,
    }),
  ];
  if (r.topology === 'replicated') {
    v.addVolume(sentinelConfig.volume);
    containers.push(
      hardenedContainer({
        name: 'sentinel',
        image: r.image,
        command: ['sh', `${PATHS.config}/${REDIS_FILES.startSentinel}`],
        ports: [{ name: 'sentinel', containerPort: REDIS.sentinelPort }],
        env,
        resources: SIDECAR_RESOURCES,
        livenessProbe: probe('sentinel-live', 10, 6),
        readinessProbe: probe('sentinel-ready', 5, 3),
        volumeMounts: [sentinelConfig.mount, ...v.mounts.filter((m) => m.name !== 'data' && m.name !== 'config')],
      }),
    );
  }
  if (p.monitoring !== false) containers.push(exporterContainer(p.monitoring.image, p.auth, p.tls, tlsMount));
  return restrictedPodSpec({
    serviceAccountName,
    runAs: { runAsUser: UID },
    containers,
    volumes: v.volumes,
    terminationGracePeriodSeconds: 3 * SHUTDOWN_SECONDS,
    topologySpreadConstraints: spreadOverZonesAndHosts(w.selector, 'StatefulSet'),
  });
}

/** Size of a cache's data emptyDir: the snapshot a replica receives is at most about maxmemory. */
function REDIS_CACHE_SCRATCH(r: ResolvedRedis): string {
  return `${Math.ceil((r.maxmemoryBytes * 1.25) / 2 ** 20)}Mi`;
}

/**
 * redis_exporter, scraping the server of its own pod with the password from
 * the Secret; with TLS over `rediss://localhost`, checking the server's
 * certificate against the CA (and presenting the store's own certificate
 * when clients must have one).
 */
function exporterContainer(image: string, auth: RedisStoreConfig['auth'], tls: RedisStoreConfig['tls'], tlsMount: k8s.VolumeMount | undefined): k8s.Container {
  const tlsEnv = tls
    ? [
        envValue('REDIS_EXPORTER_TLS_CA_CERT_FILE', `${PATHS.tls}/${REDIS_TLS_FILES.ca}`),
        ...(tls.authClients
          ? [envValue('REDIS_EXPORTER_TLS_CLIENT_CERT_FILE', `${PATHS.tls}/${REDIS_TLS_FILES.cert}`), envValue('REDIS_EXPORTER_TLS_CLIENT_KEY_FILE', `${PATHS.tls}/${REDIS_TLS_FILES.key}`)]
          : []),
      ]
    : [];
  return hardenedContainer({
    name: 'exporter',
    image,
    ports: [{ name: 'metrics', containerPort: REDIS.exporter.port }],
    env: [envValue('REDIS_ADDR', tls ? `rediss://localhost:${REDIS.port}` : `redis://127.0.0.1:${REDIS.port}`), envFromSecret('REDIS_PASSWORD', { name: auth.secretName, key: auth.key }), ...tlsEnv],
    ...(tlsMount ? { volumeMounts: [tlsMount] } : {}),
    resources: SIDECAR_RESOURCES,
    livenessProbe: { tcpSocket: { port: intOrString('metrics') }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
    readinessProbe: { httpGet: { path: '/health', port: intOrString('metrics') }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
  });
}

/** The library's alerts for the store: Redis down or unscraped, the cache hit ratio (caches), memory, readiness. */
function storeAlerts(p: RedisStoreConfig, target: MetricsTarget): AlertOptions[] {
  if (p.alerting === false) return [];
  const options = agentAlertsSchema.parse({
    alertPrefix: p.alerting.alertPrefix ?? pascalCase(p.name),
    errorRate: false,
    latency: false,
    hpaAtMax: false,
    redis: { job: target.name, namespace: target.namespace, cacheHitRatio: p.role === 'cache' ? {} : false },
  });
  return agentAlerts(target, { requests: 'unused', statusLabel: 'unused', duration: 'unused' }, options);
}

/** The connection clients get: the client Service, the password Secret, and Sentinel when replicated. */
function redisConnection(p: RedisStoreConfig, r: ResolvedRedis, service: string): RedisConnection {
  const host = `${service}.${p.namespace}.svc.cluster.local`;
  const passwordSecret = { name: p.auth.secretName, key: p.auth.key };
  const sentinel =
    r.topology === 'replicated'
      ? { masterName: r.masterName, count: r.pods, quorum: r.quorum, port: REDIS.sentinelPort, host, passwordSecret: { name: p.auth.secretName, key: p.auth.sentinelKey ?? p.auth.key } }
      : undefined;
  const tls = p.tls ? { caSecret: { name: p.tls.caSecretName ?? p.tls.secretName, key: p.tls.caKey }, clientCertificateRequired: p.tls.authClients } : undefined;
  return {
    host,
    port: REDIS.port,
    passwordSecret,
    ...(sentinel ? { sentinel } : {}),
    ...(tls ? { tls } : {}),
    env(options = {}): Record<string, ConnectionEnvValue> {
      const x = options.prefix ?? 'REDIS_';
      return {
        [`${x}HOST`]: host,
        [`${x}PORT`]: String(REDIS.port),
        [`${x}PASSWORD`]: { fromSecret: passwordSecret },
        ...(tls ? { [`${x}TLS`]: 'true', [`${x}URL`]: `rediss://${host}:${REDIS.port}`, [`${x}TLS_CA_CERT`]: { fromSecret: { ...tls.caSecret } } } : {}),
        ...(sentinel
          ? {
              [`${x}SENTINEL_HOST`]: sentinel.host,
              [`${x}SENTINEL_PORT`]: String(sentinel.port),
              [`${x}SENTINEL_MASTER`]: sentinel.masterName,
              [`${x}SENTINEL_PASSWORD`]: { fromSecret: sentinel.passwordSecret },
            }
          : {}),
      };
    },
  };
}
