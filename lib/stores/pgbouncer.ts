import { Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { ANNOTATIONS } from '../internal/labels.js';
import type { k8s } from '../internal/plus.js';
import {
  anyMutableImage,
  configChecksum,
  configMapVolume,
  createConfigMap,
  createDeployment,
  createNetworkPolicy,
  createPodDisruptionBudget,
  createService,
  createServiceAccount,
  devProfileWaivers,
  egressRule,
  envFromSecret,
  envValue,
  hardenedContainer,
  ingressRule,
  intOrString,
  parseConstructProps,
  podTemplate,
  restrictedPodSpec,
  scratchVolume,
  secretVolume,
  setPrimary,
  spreadOverZonesAndHosts,
  VolumeSet,
  workloadIdentity,
  type WorkloadIdentity,
} from '../kit/index.js';
import type { PodPeer } from '../network/peers.js';
import type { ConnectionEnvValue, IConnection, IServingWorkload, ServedPort } from '../network/serving.js';
import { AgentServiceMonitor } from '../observability/service-monitor.js';
import { PgBouncerPropsSchema, type PgBouncerConfig, type PgBouncerProps } from './pgbouncer-props.js';

/** Construct ids of the children: part of the API, since they name objects. */
export const PgBouncerIds = {
  Deployment: 'Deployment',
  Service: 'Service',
  ConfigMap: 'ConfigMap',
  ServiceAccount: 'ServiceAccount',
  NetworkPolicy: 'NetworkPolicy',
  PodDisruptionBudget: 'PodDisruptionBudget',
  ServiceMonitor: 'ServiceMonitor',
} as const;

/** PgBouncer's port. */
export const PGBOUNCER_PORT = 6432;
const EXPORTER_PORT = 9127;
const PATHS = { config: '/etc/pgbouncer', run: '/run/pgbouncer', secrets: '/var/run/secrets/pgbouncer' } as const;
const UID = 10001;
const RESOURCES = {
  requests: { cpu: '100m', memory: '64Mi', ephemeralStorage: '32Mi' },
  limits: { cpu: '1', memory: '256Mi', ephemeralStorage: '128Mi' },
} as const;
const EXPORTER_RESOURCES = {
  requests: { cpu: '20m', memory: '32Mi', ephemeralStorage: '16Mi' },
  limits: { cpu: '200m', memory: '64Mi', ephemeralStorage: '32Mi' },
} as const;

/** `pgbouncer.ini`, with `@NAME@` placeholders the start script fills in (server address, listen port, run directory). */
export function renderPgBouncerIni(p: PgBouncerConfig): string {
  const s = p.server;
  const auth =
    p.auth === 'authQuery'
      ? [`auth_user = ${s.user}`, 'auth_query = SELECT usename, passwd FROM pg_shadow WHERE usename = $1']
      : [];
  return [
    '; Rendered by cdk8s-agent-platform; start.sh fills in the @NAME@ placeholders and writes the auth_file.',
    '[databases]',
    `${s.database} = host=@SERVER_HOST@ port=@SERVER_PORT@ dbname=${s.database}`,
    '',
    '[pgbouncer]',
    'listen_addr = *',
    'listen_port = @LISTEN_PORT@',
    'unix_socket_dir =',
    'auth_type = scram-sha-256',
    'auth_file = @RUN_DIR@/userlist.txt',
    ...auth,
    `pool_mode = ${p.poolMode}`,
    `max_client_conn = ${p.maxClientConn}`,
    `default_pool_size = ${p.defaultPoolSize}`,
    `reserve_pool_size = ${p.reservePoolSize}`,
    'reserve_pool_timeout = 5',
    `max_db_connections = ${p.maxDbConnections}`,
    `stats_users = ${s.user}`,
    'ignore_startup_parameters = extra_float_digits',
    'server_tls_sslmode = prefer',
    '',
  ].join('\n');
}

/** The start script: check the env, write the auth_file from the Secret file, fill in the placeholders, exec pgbouncer. */
export function pgBouncerStartScript(p: PgBouncerConfig): string {
  return `#!/bin/sh
# Starts PgBouncer: ${p.auth === 'authQuery' ? 'the auth user' : 'the user'} and its password (from the mounted Secret) go to the auth_file on a
# memory emptyDir; pgbouncer.ini gets the server's address and the listen port.
set -eu
fail() { printf 'start.sh: %s\\n' "$*" >&2; exit 1; }
check() { case "$2" in '' | *[!A-Za-z0-9.:_-]*) fail "$1 is not a host name or port: '$2'" ;; esac; }
checkpath() { case "$2" in '' | *[!A-Za-z0-9._/-]*) fail "$1 is not a plain path: '$2'" ;; esac; }
check SERVER_HOST "\${SERVER_HOST:-}"; check SERVER_PORT "\${SERVER_PORT:-}"; check LISTEN_PORT "\${LISTEN_PORT:-}"
checkpath CONFIG_DIR "\${CONFIG_DIR:-}"; checkpath RUN_DIR "\${RUN_DIR:-}"; checkpath SECRET_DIR "\${SECRET_DIR:-}"
[ -r "$SECRET_DIR/password" ] || fail "cannot read $SECRET_DIR/password (the Secret key is missing?)"
PASSWORD=$(cat "$SECRET_DIR/password")
[ -n "$PASSWORD" ] || fail "$SECRET_DIR/password is empty"
case "$PASSWORD" in *'
'*) fail "$SECRET_DIR/password holds more than one line" ;; esac
umask 077
# auth_file quoting: a double quote inside a value is doubled.
printf '"%s" "%s"\\n' '${p.server.user}' "$(printf '%s' "$PASSWORD" | sed 's/"/""/g')" > "$RUN_DIR/userlist.txt"
# The SSLRequest packet the readiness probe sends (PgBouncer answers N, or S with TLS).
printf '\\000\\000\\000\\010\\004\\322\\026\\057' > "$RUN_DIR/sslrequest"
sed -e "s|@SERVER_HOST@|$SERVER_HOST|g" -e "s|@SERVER_PORT@|$SERVER_PORT|g" -e "s|@LISTEN_PORT@|$LISTEN_PORT|g" -e "s|@RUN_DIR@|$RUN_DIR|g" \\
  "$CONFIG_DIR/pgbouncer.ini" > "$RUN_DIR/pgbouncer.ini"
exec pgbouncer "$RUN_DIR/pgbouncer.ini"
`;
}

/**
 * The readiness probe: PgBouncer answers a PostgreSQL SSLRequest on its
 * port (`N`, or `S` with TLS), so the process speaks the protocol, not just
 * holds the socket. busybox `nc` has no `-z`; the packet comes from a file,
 * so no pipeline is needed.
 */
export function pgBouncerProbeScript(): string {
  return `#!/bin/sh
set -eu
answer=$(nc -w 2 127.0.0.1 "$LISTEN_PORT" < "$RUN_DIR/sslrequest") || true
case "$answer" in N* | S*) exit 0 ;; esac
printf 'pgbouncer did not answer an SSLRequest on port %s\\n' "$LISTEN_PORT" >&2
exit 1
`;
}

/**
 * PgBouncer in front of PostgreSQL, as its own Deployment: transaction
 * pooling by default, the pool sizes of the SARK guide
 * (`max_client_conn`, `default_pool_size`, `reserve_pool_size`,
 * `max_db_connections`), SCRAM auth from the PostgreSQL Secret (an
 * `auth_file` written at start, or `auth_query`), TCP probes on its port,
 * pgbouncer_exporter with a ServiceMonitor, a NetworkPolicy admitting the
 * declared clients and reaching only the server, spread over zones and
 * nodes, Pod Security "restricted".
 * @see https://www.pgbouncer.org/config.html
 */
export class PgBouncer extends Construct implements IServingWorkload {
  /** Object name of the Deployment and Service. */
  public readonly name: string;
  /** Namespace. */
  public readonly namespace: string;
  /** The PgBouncer pods. */
  public readonly peer: PodPeer;
  /** `pgbouncer` (6432). */
  public readonly servedPorts: readonly ServedPort[] = [{ name: 'pgbouncer', port: PGBOUNCER_PORT }];
  /** How clients connect: PgBouncer's Service, the server's database, user and password Secret. */
  public readonly connection: IConnection;
  /** `max_client_conn`, `max_db_connections` and the replica count, for the connection budget. */
  public readonly limits: { readonly maxClientConn: number; readonly maxDbConnections: number; readonly replicas: number };
  /** The Deployment (the default child). */
  public readonly deployment: k8s.KubeDeployment;
  /** The Service. */
  public readonly service: k8s.KubeService;
  /** pgbouncer.ini and start.sh. */
  public readonly configMap: k8s.KubeConfigMap;
  /** The NetworkPolicy. */
  public readonly networkPolicy: k8s.KubeNetworkPolicy;
  private readonly callers: PodPeer[] = [];

  constructor(scope: Construct, id: string, props: PgBouncerProps) {
    super(scope, id);
    const p = parseConstructProps(this, PgBouncerPropsSchema, props);
    const replicas = p.replicas ?? (p.profile === 'dev' ? 1 : 2);
    [this.name, this.namespace] = [p.name, p.namespace];
    this.limits = { maxClientConn: p.maxClientConn, maxDbConnections: p.maxDbConnections, replicas };
    const w = workloadIdentity(this, { namespace: p.namespace, name: p.name, image: p.image, component: 'pooler', partOf: p.partOf, labels: p.labels });
    this.peer = { namespace: p.namespace, podLabels: { ...w.selector } };
    const files = { 'pgbouncer.ini': renderPgBouncerIni(p), 'start.sh': pgBouncerStartScript(p), 'probe.sh': pgBouncerProbeScript() };
    this.configMap = createConfigMap(this, PgBouncerIds.ConfigMap, w.meta('ConfigMap'), files);
    const sa = createServiceAccount(this, PgBouncerIds.ServiceAccount, w);
    const metrics = p.monitoring !== false ? [{ name: 'metrics', port: EXPORTER_PORT }] : [];
    this.service = createService(this, PgBouncerIds.Service, w, { ports: [{ name: 'pgbouncer', port: PGBOUNCER_PORT }, ...metrics] });
    this.deployment = setPrimary(this, this.createDeployment(p, w, sa.name, replicas, configChecksum(JSON.stringify(files))));
    if (replicas > 1) createPodDisruptionBudget(this, PgBouncerIds.PodDisruptionBudget, w, { maxUnavailable: 1 });
    for (const c of p.clients) this.allowFrom(c);
    const ns = p.namespace;
    const scrape = p.monitoring !== false ? [ingressRule([p.monitoring.scrapedBy], [EXPORTER_PORT], ns)] : [];
    this.networkPolicy = createNetworkPolicy(this, PgBouncerIds.NetworkPolicy, w, {
      // Callers may be added with allowFrom() after construction, so the rules are built at synth.
      ingress: Lazy.any({ produce: () => [...this.callers.map((c) => ingressRule([c], [PGBOUNCER_PORT], ns)), ...scrape] }) as unknown as k8s.NetworkPolicyIngressRule[],
      egress: [egressRule('pods' in p.server.destination ? { pods: p.server.destination.pods } : { cidr: p.server.destination.cidr, except: [] }, [p.server.port], ns)],
    });
    if (p.monitoring !== false) {
      const target = { name: p.name, namespace: ns, serviceLabels: { ...w.selector }, servicePortNames: ['pgbouncer', 'metrics'], metricsPort: { name: 'metrics', path: '/metrics' }, podRegex: `${p.name}-[a-z0-9]+-[a-z0-9]+`, container: 'pgbouncer' };
      new AgentServiceMonitor(this, PgBouncerIds.ServiceMonitor, { target, release: p.monitoring.release, scrapedBy: p.monitoring.scrapedBy });
    }
    this.connection = pgBouncerConnection(p, `${p.name}.${ns}.svc.cluster.local`);
  }

  /** Admits `caller` to PgBouncer's port. */
  public allowFrom(caller: PodPeer, ports?: readonly string[]): void {
    for (const n of ports ?? ['pgbouncer']) if (n !== 'pgbouncer') throw new Error(`${this.node.path}: PgBouncer "${this.name}" serves no port "${n}"; use pgbouncer`);
    this.callers.push(caller);
  }

  private createDeployment(p: PgBouncerConfig, w: WorkloadIdentity, serviceAccountName: string, replicas: number, checksum: string): k8s.KubeDeployment {
    return createDeployment(this, PgBouncerIds.Deployment, w, {
      replicas,
      strategy: { type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 },
      annotations: devProfileWaivers(p.profile, { singleReplica: replicas === 1, mutableImage: anyMutableImage([p.image, ...(p.monitoring !== false ? [p.monitoring.image] : [])]) }),
      template: podTemplate({
        labels: w.labels,
        // PgBouncer closes idle clients at once on SIGTERM, and waits for running transactions up to shutdown_wait_timeout.
        annotations: { [ANNOTATIONS.configChecksum]: checksum, [ANNOTATIONS.drainSeconds]: '10', ...budgetAnnotations(p, replicas) },
        spec: pgBouncerPodSpec(p, w, this.configMap.name, serviceAccountName),
      }),
    });
  }
}

/**
 * The connection budget: PgBouncer accepts `max_client_conn` per pod, and
 * each pod opens up to `max_db_connections` to the server (named by its
 * pods' app label).
 */
function budgetAnnotations(p: PgBouncerConfig, replicas: number): Record<string, string> {
  const d = p.server.destination;
  const app = 'pods' in d ? d.pods.podLabels['app.kubernetes.io/name'] : undefined;
  return {
    [ANNOTATIONS.connectionLimit]: String(replicas * p.maxClientConn),
    ...(app && 'pods' in d ? { [ANNOTATIONS.connections]: `${d.pods.namespace ?? p.namespace}/${app}=${p.maxDbConnections}` } : {}),
  };
}

/** The pod: PgBouncer (and the exporter), the config, a memory run directory, the password file. */
function pgBouncerPodSpec(p: PgBouncerConfig, w: WorkloadIdentity, configMap: string, serviceAccountName: string): k8s.PodSpec {
  const v = new VolumeSet();
  v.add(configMapVolume('config', configMap, PATHS.config));
  v.add(scratchVolume('run', PATHS.run, '8Mi', 'Memory'));
  v.add(secretVolume('auth', p.server.passwordSecret.name, PATHS.secrets, 0o440, [{ key: p.server.passwordSecret.key, path: 'password' }]));
  const containers = [
    hardenedContainer({
      name: 'pgbouncer',
      image: p.image,
      command: ['sh', `${PATHS.config}/start.sh`],
      ports: [{ name: 'pgbouncer', containerPort: PGBOUNCER_PORT }],
      env: [envValue('SERVER_HOST', p.server.host), envValue('SERVER_PORT', p.server.port), envValue('LISTEN_PORT', PGBOUNCER_PORT), envValue('CONFIG_DIR', PATHS.config), envValue('RUN_DIR', PATHS.run), envValue('SECRET_DIR', PATHS.secrets)],
      resources: RESOURCES,
      livenessProbe: { tcpSocket: { port: intOrString('pgbouncer') }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
      readinessProbe: { exec: { command: ['sh', `${PATHS.config}/probe.sh`] }, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 3 },
      volumeMounts: v.mounts,
    }),
  ];
  if (p.monitoring !== false) {
    containers.push(
      hardenedContainer({
        name: 'exporter',
        image: p.monitoring.image,
        ports: [{ name: 'metrics', containerPort: EXPORTER_PORT }],
        env: [
          envFromSecret('PGBOUNCER_PASSWORD', p.server.passwordSecret),
          envValue('PGBOUNCER_EXPORTER_CONNECTION_STRING', `postgres://${p.server.user}:$(PGBOUNCER_PASSWORD)@127.0.0.1:${PGBOUNCER_PORT}/pgbouncer?sslmode=disable`),
        ],
        resources: EXPORTER_RESOURCES,
        livenessProbe: { tcpSocket: { port: intOrString('metrics') }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
        readinessProbe: { httpGet: { path: '/metrics', port: intOrString('metrics') }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
      }),
    );
  }
  return restrictedPodSpec({ serviceAccountName, runAs: { runAsUser: UID }, containers, volumes: v.volumes, terminationGracePeriodSeconds: 30, topologySpreadConstraints: spreadOverZonesAndHosts(w.selector) });
}

function pgBouncerConnection(p: PgBouncerConfig, host: string): IConnection {
  return {
    host,
    port: PGBOUNCER_PORT,
    env(options = {}): Record<string, ConnectionEnvValue> {
      const x = options.prefix ?? 'DATABASE_';
      return { [`${x}HOST`]: host, [`${x}PORT`]: String(PGBOUNCER_PORT), [`${x}NAME`]: p.server.database, [`${x}USER`]: p.server.user, [`${x}PASSWORD`]: { fromSecret: p.server.passwordSecret } };
    },
  };
}
