import { Lazy, type ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { ANNOTATIONS } from '../internal/labels.js';
import type { k8s } from '../internal/plus.js';
import {
  anyMutableImage,
  configChecksum,
  configMapVolume,
  createConfigMap,
  createHeadlessService,
  createNetworkPolicy,
  createService,
  createServiceAccount,
  createStatefulSet,
  devProfileWaivers,
  egressRule,
  envValue,
  hardenedContainer,
  intOrString,
  ingressRule,
  parseConstructProps,
  podTemplate,
  restrictedPodSpec,
  scratchVolume,
  secretVolume,
  setPrimary,
  VolumeSet,
  waiverAnnotations,
  workloadIdentity,
  type WorkloadIdentity,
} from '../kit/index.js';
import type { EgressRule, PodPeer } from '../network/peers.js';
import type { ConnectionEnvValue, IConnection, IServingWorkload, ServedPort } from '../network/serving.js';
import { AgentServiceMonitor } from '../observability/service-monitor.js';
import type { PgBouncerServer } from './pgbouncer-props.js';
import { cnpgInstances, createCnpgCluster, createCnpgPodMonitor, createCnpgPooler, createCnpgScheduledBackup } from './postgres-cnpg.js';
import { renderPgHba, renderPostgresqlConf } from './postgres-config.js';
import {
  maxConnections,
  postgresMode,
  postgresResources,
  postgresSettings,
  PostgresStorePropsSchema,
  POSTGRES_IMAGE,
  POSTGRES_TIERS,
  type PostgresSettings,
  type PostgresStoreConfig,
  type PostgresStoreProps,
} from './postgres-store-props.js';

/** Construct ids of the children: part of the API, since they name objects. */
export const PostgresStoreIds = {
  StatefulSet: 'StatefulSet',
  HeadlessService: 'HeadlessService',
  Service: 'Service',
  ConfigMap: 'ConfigMap',
  ServiceAccount: 'ServiceAccount',
  NetworkPolicy: 'NetworkPolicy',
  ServiceMonitor: 'ServiceMonitor',
  Cluster: 'Cluster',
  ScheduledBackup: 'ScheduledBackup',
  Pooler: 'Pooler',
  PoolerNetworkPolicy: 'PoolerNetworkPolicy',
  PodMonitor: 'PodMonitor',
} as const;

/** The PostgreSQL port. */
export const POSTGRES_PORT = 5432;
/** postgres_exporter's port (and CloudNativePG's metrics port). */
export const POSTGRES_METRICS_PORT = 9187;
/** The port of CloudNativePG's instance manager, which the operator calls. */
const CNPG_STATUS_PORT = 8000;

const PATHS = { config: '/etc/postgresql', data: '/var/lib/postgresql/data', secrets: '/var/run/secrets/postgres', socket: '/var/run/postgresql' } as const;
const UID = 10001;
const EXPORTER_RESOURCES = {
  requests: { cpu: '50m', memory: '64Mi', ephemeralStorage: '16Mi' },
  limits: { cpu: '250m', memory: '128Mi', ephemeralStorage: '64Mi' },
} as const;

/** How clients reach a {@link PostgresStore}. */
export interface PostgresConnection extends IConnection {
  /** Database name. */
  readonly database: string;
  /** Role clients log in as. */
  readonly user: string;
  /** The password (or, external with `dsnSecret`, the whole DSN) as a Secret key. */
  readonly passwordSecret?: { readonly name: string; readonly key: string };
  /** The DSN Secret of an external database. */
  readonly dsnSecret?: { readonly name: string; readonly key: string };
}

/**
 * PostgreSQL for an agent platform, in one of three modes:
 *
 * - `cloudNativePg` (the default outside dev): a CloudNativePG `Cluster`
 *   (instances spread over nodes and zones, the database and owner
 *   bootstrapped from a Secret, the tier's parameters, pg_stat_statements,
 *   S3 backups with a `ScheduledBackup`), an optional `Pooler` (PgBouncer,
 *   transaction pooling), a PodMonitor, and NetworkPolicies;
 * - `statefulSet`: one PostgreSQL 15 pod with a claim, `postgresql.conf`
 *   and `pg_hba.conf` (SCRAM for every connection) from the tier,
 *   `pg_isready` probes, postgres_exporter, Pod Security "restricted";
 * - `external`: a managed database; nothing is deployed, clients get the
 *   DSN Secret and an egress rule to its CIDR ({@link egress}).
 *
 * Tiers follow the SARK guide: `shared_buffers` 25% and
 * `effective_cache_size` 75% of the memory limit, `max_connections`,
 * `work_mem`, `maintenance_work_mem`; `statement_timeout` 60 s.
 * @see https://cloudnative-pg.io/documentation/current/
 */
export class PostgresStore extends Construct implements IServingWorkload {
  /** Object name of the StatefulSet or Cluster. */
  public readonly name: string;
  /** Namespace. */
  public readonly namespace: string;
  /** `cloudNativePg`, `statefulSet` or `external`. */
  public readonly mode: 'cloudNativePg' | 'statefulSet' | 'external';
  /** The database pods (for `external`, no pods: an empty label set in no namespace is never given; use {@link egress}). */
  public readonly peer: PodPeer;
  /** `postgres` (5432). */
  public readonly servedPorts: readonly ServedPort[];
  /** How clients connect. */
  public readonly connection: PostgresConnection;
  /** The egress rule a client needs to reach the database. */
  public readonly egress: EgressRule;
  /** `max_connections` of the server (for the connection budget). */
  public readonly maxConnections: number;
  /** `superuser_reserved_connections`. */
  public readonly reservedConnections: number;
  /** The settings the store writes (postgresql.conf or the Cluster's parameters), as `SHOW` prints them. */
  public readonly settings: PostgresSettings;
  /** The StatefulSet (`statefulSet`; the default child). */
  public readonly statefulSet?: k8s.KubeStatefulSet;
  /** The client Service (`statefulSet`). */
  public readonly service?: k8s.KubeService;
  /** postgresql.conf and pg_hba.conf (`statefulSet`). */
  public readonly configMap?: k8s.KubeConfigMap;
  /** The NetworkPolicy of the database pods (in-cluster modes). */
  public readonly networkPolicy?: k8s.KubeNetworkPolicy;
  /** The CloudNativePG Cluster (`cloudNativePg`; the default child). */
  public readonly cluster?: ApiObject;
  /** The ScheduledBackup, with `cloudNativePg.backup`. */
  public readonly scheduledBackup?: ApiObject;
  /** The Pooler, with `cloudNativePg.pooler`. */
  public readonly pooler?: ApiObject;
  private readonly callers: { peer: PodPeer; ports: number[] }[] = [];
  private readonly poolerCallers: PodPeer[] = [];

  constructor(scope: Construct, id: string, props: PostgresStoreProps) {
    super(scope, id);
    const p = parseConstructProps(this, PostgresStorePropsSchema, props);
    this.mode = postgresMode(p);
    [this.name, this.namespace, this.maxConnections, this.reservedConnections, this.settings] = [p.name, p.namespace, maxConnections(p), p.reservedConnections, postgresSettings(p)];
    this.servedPorts = [{ name: 'postgres', port: POSTGRES_PORT }];
    const w = workloadIdentity(this, { namespace: p.namespace, name: p.name, image: this.mode === 'statefulSet' ? (p.image ?? POSTGRES_IMAGE) : undefined, component: 'database', partOf: p.partOf, labels: p.labels });
    // The operator names its pods, and the verification knows them only by their app label (declared on the Cluster).
    this.peer = { namespace: p.namespace, podLabels: this.mode === 'cloudNativePg' ? { 'app.kubernetes.io/name': p.name } : { ...w.selector } };
    for (const c of p.clients) this.allowFrom(c);
    if (this.mode === 'statefulSet') {
      this.configMap = createConfigMap(this, PostgresStoreIds.ConfigMap, w.meta('ConfigMap'), postgresFiles(p));
      const sa = createServiceAccount(this, PostgresStoreIds.ServiceAccount, w);
      createHeadlessService(this, PostgresStoreIds.HeadlessService, w, [{ name: 'postgres', port: POSTGRES_PORT }]);
      const metrics = p.monitoring !== false ? [{ name: 'metrics', port: POSTGRES_METRICS_PORT }] : [];
      this.service = createService(this, PostgresStoreIds.Service, w, { ports: [{ name: 'postgres', port: POSTGRES_PORT }, ...metrics] });
      this.statefulSet = setPrimary(this, this.createStatefulSet(p, w, sa.name));
      this.networkPolicy = this.createNetworkPolicy(p, w, [], p.monitoring !== false ? [ingressRule([p.monitoring.scrapedBy], [POSTGRES_METRICS_PORT], p.namespace)] : []);
      if (p.monitoring !== false) {
        const target = { name: this.service.name, namespace: p.namespace, serviceLabels: { ...w.selector }, servicePortNames: ['postgres', ...metrics.map((m) => m.name)], metricsPort: { name: 'metrics', path: '/metrics' }, podRegex: `${p.name}-0`, container: 'postgres' };
        new AgentServiceMonitor(this, PostgresStoreIds.ServiceMonitor, { target, release: p.monitoring.release, scrapedBy: p.monitoring.scrapedBy });
      }
    } else if (this.mode === 'cloudNativePg') {
      const c = this.createCloudNativePg(p, w);
      [this.cluster, this.scheduledBackup, this.pooler, this.networkPolicy] = [c.cluster, c.scheduledBackup, c.pooler, c.networkPolicy];
    }
    this.egress =
      this.mode === 'external'
        ? { description: `PostgreSQL ${p.name}`, cidr: p.external!.cidr, except: [], ports: [{ port: p.external!.port, protocol: 'TCP' }] }
        : { description: `PostgreSQL ${p.name}`, pods: this.mode === 'cloudNativePg' && p.cloudNativePg?.pooler ? this.poolerPeer() : this.peer, ports: [{ port: POSTGRES_PORT, protocol: 'TCP' }] };
    this.connection = postgresConnection(p, this.mode, this.hostName(p));
  }

  /**
   * Admits `caller` to the database (or, with a Pooler, to the Pooler): an
   * ingress rule on the NetworkPolicy. An external database admits clients
   * through its own firewall, so it throws there: give clients {@link egress}.
   */
  public allowFrom(caller: PodPeer, ports?: readonly string[]): void {
    if (this.mode === 'external') throw new Error(`${this.node.path}: PostgresStore "${this.name}" is external; its own firewall admits clients: add store.egress to the client's egress rules`);
    for (const n of ports ?? ['postgres']) if (n !== 'postgres') throw new Error(`${this.node.path}: PostgresStore "${this.name}" serves no port "${n}"; use postgres`);
    this.callers.push({ peer: caller, ports: [POSTGRES_PORT] });
    this.poolerCallers.push(caller);
  }

  /** The server of a {@link PgBouncer} in front of this store: its Service, database, owner and password, and its pods (or CIDR). */
  public pgBouncerServer(): PgBouncerServer {
    const c = this.connection;
    if (!c.passwordSecret) throw new Error(`${this.node.path}: PostgresStore "${this.name}" gives its DSN as one Secret; PgBouncer needs the password apart: use external.dsn and auth`);
    return {
      host: c.host,
      port: c.port,
      database: c.database,
      user: c.user,
      passwordSecret: c.passwordSecret,
      destination: 'pods' in this.egress ? { pods: this.egress.pods } : { cidr: this.egress.cidr },
    };
  }

  private hostName(p: PostgresStoreConfig): string {
    if (this.mode === 'external') return p.external!.host;
    const svc = this.mode === 'statefulSet' ? p.name : p.cloudNativePg?.pooler ? `${p.name}-pooler-rw` : `${p.name}-rw`;
    return `${svc}.${p.namespace}.svc.cluster.local`;
  }

  private poolerPeer(): PodPeer {
    return { namespace: this.namespace, podLabels: { 'app.kubernetes.io/name': `${this.name}-pooler-rw` } };
  }

  private createStatefulSet(p: PostgresStoreConfig, w: WorkloadIdentity, serviceAccountName: string): k8s.KubeStatefulSet {
    const image = p.image ?? POSTGRES_IMAGE;
    const waivers = {
      ...devProfileWaivers(p.profile, { singleReplica: true, mutableImage: anyMutableImage([image, ...(p.monitoring !== false ? [p.monitoring.image] : [])]) }),
      ...(p.profile !== 'dev' && p.singleInstanceReason ? waiverAnnotations(['AVL-01'], p.singleInstanceReason) : {}),
    };
    return createStatefulSet(this, PostgresStoreIds.StatefulSet, w, {
      replicas: 1,
      serviceName: `${p.name}-headless`,
      annotations: waivers,
      template: podTemplate({
        labels: w.labels,
        // PostgreSQL's smart shutdown waits for clients; the fast shutdown the kubelet's SIGTERM asks for ends them and checkpoints.
        annotations: {
          [ANNOTATIONS.configChecksum]: configChecksum(JSON.stringify(postgresFiles(p))),
          [ANNOTATIONS.drainSeconds]: '30',
          // What clients may use of max_connections, for the connection budget check.
          [ANNOTATIONS.connectionLimit]: String(this.maxConnections - this.reservedConnections),
        },
        spec: postgresPodSpec(p, image, this.configMap!.name, serviceAccountName),
      }),
      volumeClaimTemplates: [{ name: 'data', size: p.storage?.size ?? POSTGRES_TIERS[p.tier].storage, storageClassName: p.storage?.storageClassName }],
    });
  }

  private createNetworkPolicy(p: PostgresStoreConfig, w: WorkloadIdentity, members: k8s.NetworkPolicyIngressRule[], extra: k8s.NetworkPolicyIngressRule[], egress: k8s.NetworkPolicyEgressRule[] = []): k8s.KubeNetworkPolicy {
    const ns = p.namespace;
    const viaPooler = this.mode === 'cloudNativePg' && p.cloudNativePg?.pooler !== undefined;
    return createNetworkPolicy(this, PostgresStoreIds.NetworkPolicy, w, {
      // Callers may be added with allowFrom() after construction, so the rules are built at synth.
      ingress: Lazy.any({
        produce: (): k8s.NetworkPolicyIngressRule[] => [...members, ...(viaPooler ? [ingressRule([this.poolerPeer()], [POSTGRES_PORT], ns)] : this.callers.map((c) => ingressRule([c.peer], c.ports, ns))), ...extra],
      }) as unknown as k8s.NetworkPolicyIngressRule[],
      egress,
    });
  }

  private createCloudNativePg(p: PostgresStoreConfig, w: WorkloadIdentity): { cluster: ApiObject; scheduledBackup?: ApiObject; pooler?: ApiObject; networkPolicy: k8s.KubeNetworkPolicy } {
    const c = p.cloudNativePg!;
    const ns = p.namespace;
    const cluster = setPrimary(this, createCnpgCluster(this, PostgresStoreIds.Cluster, w, p));
    const scheduledBackup = c.backup ? createCnpgScheduledBackup(this, PostgresStoreIds.ScheduledBackup, w, p) : undefined;
    const operator: PodPeer = { namespace: c.operatorNamespace, podLabels: { 'app.kubernetes.io/name': 'cloudnative-pg' } };
    const members = cnpgInstances(p) > 1 ? [ingressRule([this.peer], [POSTGRES_PORT, CNPG_STATUS_PORT], ns)] : [];
    const scrape = p.monitoring !== false ? [ingressRule([p.monitoring.scrapedBy], [POSTGRES_METRICS_PORT], ns)] : [];
    const api = c.apiServerCidrs.map((cidr) => egressRule({ cidr, except: [] }, [443, 6443], ns));
    const storage = (c.backup?.cidrs ?? []).map((cidr) => egressRule({ cidr, except: [] }, [443], ns));
    const replication = cnpgInstances(p) > 1 ? [egressRule({ pods: this.peer }, [POSTGRES_PORT, CNPG_STATUS_PORT], ns)] : [];
    const networkPolicy = this.createNetworkPolicy(p, w, [...members, ingressRule([operator], [CNPG_STATUS_PORT, POSTGRES_PORT], ns)], scrape, [...replication, ...api, ...storage]);
    waive(networkPolicy, 'Cluster');
    if (p.monitoring !== false) createCnpgPodMonitor(this, PostgresStoreIds.PodMonitor, w, p, p.monitoring.release);
    let pooler: ApiObject | undefined;
    if (c.pooler) {
      const pw = workloadIdentity(this, { namespace: ns, name: `${p.name}-pooler-rw`, component: 'pooler', partOf: p.partOf, labels: p.labels });
      pooler = createCnpgPooler(this, PostgresStoreIds.Pooler, pw, p);
      const poolerPolicy = createNetworkPolicy(this, PostgresStoreIds.PoolerNetworkPolicy, pw, {
        ingress: Lazy.any({ produce: () => this.poolerCallers.map((peer) => ingressRule([peer], [POSTGRES_PORT], ns)) }) as unknown as k8s.NetworkPolicyIngressRule[],
        egress: [egressRule({ pods: this.peer }, [POSTGRES_PORT], ns), ...api],
      });
      waive(poolerPolicy, 'Pooler');
    }
    return { cluster, scheduledBackup, pooler, networkPolicy };
  }
}

/**
 * Records on a NetworkPolicy of operator-made pods why NET-03 finds no pod:
 * CloudNativePG creates them from the Cluster or Pooler at run time.
 */
function waive(policy: k8s.KubeNetworkPolicy, owner: 'Cluster' | 'Pooler'): void {
  const reason = `selects the pods the CloudNativePG operator creates from the ${owner}, which are not in the bundle; the ${owner} gives them these labels`;
  for (const [k, v] of Object.entries(waiverAnnotations(['NET-03'], reason))) policy.metadata.addAnnotation(k, v);
}

/** The ConfigMap's files (`statefulSet`). */
function postgresFiles(p: PostgresStoreConfig): Record<string, string> {
  return { 'postgresql.conf': renderPostgresqlConf(postgresSettings(p)), 'pg_hba.conf': renderPgHba(p) };
}

/** The `statefulSet` pod: PostgreSQL with the generated config, and postgres_exporter. */
function postgresPodSpec(p: PostgresStoreConfig, image: string, configMap: string, serviceAccountName: string): k8s.PodSpec {
  const v = new VolumeSet();
  v.add(configMapVolume('config', configMap, PATHS.config));
  const secret = v.add(secretVolume('auth', p.auth.secretName, PATHS.secrets, 0o440, [{ key: p.auth.passwordKey, path: 'password' }]));
  v.add(scratchVolume('run', PATHS.socket, '1Mi', 'Memory'));
  v.add(scratchVolume('tmp', '/tmp', '256Mi'));
  v.mounts.push({ name: 'data', mountPath: PATHS.data });
  const isReady = (host: string) => ({ exec: { command: ['pg_isready', '-h', host, '-p', String(POSTGRES_PORT), '-U', p.owner, '-d', p.database] } });
  const containers = [
    hardenedContainer({
      name: 'postgres',
      image,
      args: ['postgres', '-c', `config_file=${PATHS.config}/postgresql.conf`, '-c', `hba_file=${PATHS.config}/pg_hba.conf`],
      ports: [{ name: 'postgres', containerPort: POSTGRES_PORT }],
      env: [
        envValue('POSTGRES_USER', p.owner),
        envValue('POSTGRES_DB', p.database),
        envValue('POSTGRES_PASSWORD_FILE', `${PATHS.secrets}/password`),
        envValue('PGDATA', `${PATHS.data}/pgdata`),
      ],
      resources: postgresResources(p),
      startupProbe: { ...isReady(PATHS.socket), periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 120 },
      livenessProbe: { ...isReady(PATHS.socket), periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
      readinessProbe: { ...isReady('127.0.0.1'), periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 3 },
      volumeMounts: v.mounts,
    }),
  ];
  if (p.monitoring !== false) {
    containers.push(
      hardenedContainer({
        name: 'exporter',
        image: p.monitoring.image,
        ports: [{ name: 'metrics', containerPort: POSTGRES_METRICS_PORT }],
        env: [
          envValue('DATA_SOURCE_URI', `127.0.0.1:${POSTGRES_PORT}/${p.database}?sslmode=disable`),
          envValue('DATA_SOURCE_USER', p.owner),
          envValue('DATA_SOURCE_PASS_FILE', `${PATHS.secrets}/password`),
        ],
        resources: EXPORTER_RESOURCES,
        livenessProbe: { tcpSocket: { port: intOrString('metrics') }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
        readinessProbe: { httpGet: { path: '/metrics', port: intOrString('metrics') }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
        volumeMounts: [secret],
      }),
    );
  }
  return restrictedPodSpec({ serviceAccountName, runAs: { runAsUser: UID }, containers, volumes: v.volumes, terminationGracePeriodSeconds: 60 });
}

/** The connection: host, port, database, user and password Secret; for `external`, the DSN Secret or DSN. */
function postgresConnection(p: PostgresStoreConfig, mode: string, host: string): PostgresConnection {
  const e = mode === 'external' ? p.external! : undefined;
  const passwordSecret = { name: p.auth.secretName, key: p.auth.passwordKey };
  const port = e ? e.port : POSTGRES_PORT;
  return {
    host,
    port,
    database: p.database,
    user: p.owner,
    ...(e?.dsnSecret ? { dsnSecret: e.dsnSecret } : { passwordSecret }),
    env(options = {}): Record<string, ConnectionEnvValue> {
      const x = options.prefix ?? 'DATABASE_';
      if (e?.dsnSecret) return { [`${x}URL`]: { fromSecret: e.dsnSecret } };
      return {
        ...(e?.dsn ? { [`${x}URL`]: e.dsn } : { [`${x}HOST`]: host, [`${x}PORT`]: String(port), [`${x}NAME`]: p.database, [`${x}USER`]: p.owner }),
        [`${x}PASSWORD`]: { fromSecret: passwordSecret },
      };
    },
  };
}
