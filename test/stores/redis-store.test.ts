import { describe, expect, it } from 'vitest';
import { AgentPlatform, AlertRules, RedisStore, SecureAgentDeployment, defaultImage, type RedisStoreProps } from '../../lib/index.js';
import { all, errorOf, one, synth, type Obj } from '../util.js';

const EXTERNAL = ['Secret/agents/cache-auth'];
const BASE: RedisStoreProps = { name: 'cache', namespace: 'agents', role: 'cache', auth: { secretName: 'cache-auth' }, alerting: false };

const build = (props: Partial<RedisStoreProps> = {}, options: { profile?: 'dev' | 'staging' | 'production' } = {}) =>
  synth((chart) => new RedisStore(chart, 'Cache', { ...BASE, ...props } as RedisStoreProps), { external: EXTERNAL, ...(options.profile ? { profile: options.profile } : {}) });

const rejects = (props: Record<string, unknown>) => errorOf(() => build(props as Partial<RedisStoreProps>));
const prefix = 'invalid props for test/Cache:\n  test/Cache ';

describe('RedisStore', () => {
  it('synthesizes a replicated cache (snapshot)', () => {
    expect(build({ clients: [{ podLabels: { 'app.kubernetes.io/name': 'cache' } }] })).toMatchSnapshot();
  });

  it('replicated: a primary and two replicas, a Sentinel in each pod, a quorum budget', () => {
    const objs = build();
    const sts = one(objs, 'StatefulSet', 'cache');
    expect(sts.spec.replicas).toBe(3);
    expect(sts.spec.serviceName).toBe('cache-headless');
    expect(one(objs, 'Service', 'cache-headless').spec.clusterIP).toBe('None');
    expect(one(objs, 'Service', 'cache').spec.ports.map((p: Obj) => p.name)).toEqual(['redis', 'sentinel', 'metrics']);
    expect(sts.spec.template.spec.containers.map((c: Obj) => c.name)).toEqual(['redis', 'sentinel', 'exporter']);
    expect(one(objs, 'PodDisruptionBudget').spec).toMatchObject({ minAvailable: 2, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    // A cache keeps nothing: no claims, a sized emptyDir for a replica's snapshot.
    expect(sts.spec.volumeClaimTemplates).toEqual([]);
    expect(sts.spec.template.spec.volumes.find((v: Obj) => v.name === 'data').emptyDir.sizeLimit).toBe('960Mi');
    const conf = one(objs, 'ConfigMap', 'cache').data['sentinel.conf'];
    expect(conf).toContain('sentinel monitor cache @PRIMARY_HOST@ @PRIMARY_PORT@ 2\n');
  });

  it('the pods meet Pod Security restricted, spread over zones and nodes, and read the passwords from files', () => {
    const pod = one(build(), 'StatefulSet').spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    for (const c of pod.containers) expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(pod.topologySpreadConstraints.map((t: Obj) => t.topologyKey)).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
    expect(pod.volumes.find((v: Obj) => v.name === 'auth').secret).toEqual({
      secretName: 'cache-auth',
      items: [
        { key: 'password', path: 'password' },
        { key: 'password', path: 'sentinel-password' },
      ],
      defaultMode: 0o440,
    });
    const redis = pod.containers[0];
    expect(JSON.stringify(redis.env)).not.toContain('secretKeyRef');
    expect(redis.readinessProbe.exec.command).toEqual(['sh', '/etc/redis/probe.sh', 'ready']);
    expect(redis.livenessProbe.exec.command).toEqual(['sh', '/etc/redis/probe.sh', 'live']);
  });

  it('role store: noeviction, AOF everysec and RDB, a claim per pod of the tier size', () => {
    const objs = build({ role: 'store', tier: 'medium' });
    const conf = one(objs, 'ConfigMap').data['redis.conf'];
    expect(conf).toContain('maxmemory 1610612736\nmaxmemory-policy noeviction\nio-threads 2\ntcp-backlog 1024\n');
    expect(conf).toContain('appendonly yes\nappendfsync everysec\nsave 3600 1 300 100 60 10000\n');
    expect(one(objs, 'StatefulSet').spec.volumeClaimTemplates).toEqual([
      { metadata: { name: 'data', labels: expect.any(Object) }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } } },
    ]);
  });

  it('an explicit maxmemory within the limit is written as given', () => {
    const conf = one(build({ maxmemory: '900Mi' }), 'ConfigMap').data['redis.conf'];
    expect(conf).toContain(`maxmemory ${900 * 2 ** 20}\n`);
  });

  it('standalone in dev: one pod, no Sentinel, no PDB, the dev relaxation recorded', () => {
    const objs = build({ profile: 'dev' }, { profile: 'dev' });
    const sts = one(objs, 'StatefulSet');
    expect(sts.spec.replicas).toBe(1);
    expect(sts.spec.template.spec.containers.map((c: Obj) => c.name)).toEqual(['redis', 'exporter']);
    expect(all(objs, 'PodDisruptionBudget')).toEqual([]);
    expect(sts.metadata.annotations['waivers.cdk8s-agent-platform.dev/AVL-01']).toMatch(/^profile 'dev' runs a single replica/);
    expect(one(objs, 'ConfigMap').data['sentinel.conf']).toBeUndefined();
  });

  it('standalone outside dev records the given reason as a waiver', () => {
    const sts = one(build({ topology: 'standalone', standaloneReason: 'a rebuildable cache; clients fall back to the database' }), 'StatefulSet');
    expect(sts.metadata.annotations).toEqual({ 'waivers.cdk8s-agent-platform.dev/AVL-01': 'a rebuildable cache; clients fall back to the database' });
  });

  it('the NetworkPolicy admits members, declared clients (also after construction) and Prometheus, and lets members reach each other only', () => {
    const objs = synth(
      (chart) => {
        const agent = new SecureAgentDeployment(chart, 'Agent', { name: 'agent', namespace: 'agents', image: 'registry.example.com/agent:1.2.3' });
        const store = new RedisStore(chart, 'Cache', BASE);
        store.allowFrom({ podLabels: { ...agent.selectorLabels } }, ['redis']);
        expect(() => store.allowFrom({ podLabels: { a: 'b' } }, ['http'])).toThrow('test/Cache: RedisStore "cache" serves no port "http"; use one of redis, sentinel');
      },
      { external: EXTERNAL },
    );
    const np = one(objs, 'NetworkPolicy', 'cache');
    const self = { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'cache', 'app.kubernetes.io/instance': 'cache' } } };
    const tcp = (port: number) => ({ port, protocol: 'TCP' });
    expect(np.spec.ingress).toEqual([
      { from: [self], ports: [tcp(6379), tcp(26379)] },
      { from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'agent', 'app.kubernetes.io/instance': 'agent' } } }], ports: [tcp(6379)] },
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }], ports: [tcp(9121)] },
    ]);
    expect(np.spec.egress).toEqual([{ to: [self], ports: [tcp(6379), tcp(26379)] }]);
  });

  it('gives clients a typed connection that renders as env, secrets by reference', () => {
    let env: Record<string, unknown> = {};
    synth(
      (chart) => {
        const store = new RedisStore(chart, 'Cache', { ...BASE, auth: { secretName: 'cache-auth', sentinelKey: 'sentinel' } });
        env = store.connection.env({ prefix: 'VALKEY_' });
        expect(store.connection.sentinel).toMatchObject({ masterName: 'cache', count: 3, quorum: 2, port: 26379 });
      },
      { external: EXTERNAL },
    );
    expect(env).toEqual({
      VALKEY_HOST: 'cache.agents.svc.cluster.local',
      VALKEY_PORT: '6379',
      VALKEY_PASSWORD: { fromSecret: { name: 'cache-auth', key: 'password' } },
      VALKEY_SENTINEL_HOST: 'cache.agents.svc.cluster.local',
      VALKEY_SENTINEL_PORT: '26379',
      VALKEY_SENTINEL_MASTER: 'cache',
      VALKEY_SENTINEL_PASSWORD: { fromSecret: { name: 'cache-auth', key: 'sentinel' } },
    });
  });

  it('valkey: the Valkey 8 image and programs', () => {
    const objs = build({ flavor: 'valkey' });
    const cm = one(objs, 'ConfigMap').data;
    expect(one(objs, 'StatefulSet').spec.template.spec.containers[0].image).toBe(defaultImage('valkey'));
    expect(cm['start-redis.sh']).toContain('exec valkey-server "$RUN_DIR/redis.conf"');
    expect(cm['start-sentinel.sh']).toContain('exec valkey-sentinel "$RUN_DIR/sentinel.conf"');
    expect(cm['probe.sh']).toContain('CLI=valkey-cli');
  });

  it('scrapes the exporter with a ServiceMonitor and adds the Redis alerts to a rule set', () => {
    const objs = synth(
      (chart) => {
        const rules = new AlertRules(chart, 'Rules', { name: 'rules', namespace: 'agents', runbookBaseUrl: 'https://runbooks.example.com' });
        new RedisStore(chart, 'Cache', { ...BASE, alerting: {} }).addAlertsTo(rules);
      },
      { external: EXTERNAL },
    );
    const sm = one(objs, 'ServiceMonitor', 'cache');
    expect(sm.spec.endpoints[0]).toMatchObject({ port: 'metrics', path: '/metrics' });
    const names = one(objs, 'PrometheusRule').spec.groups.flatMap((g: Obj) => g.rules.map((r: Obj) => r.alert));
    expect(names).toEqual(['CacheHighMemoryUsage', 'CachePodNotReady', 'CacheRedisDown', 'CacheLowCacheHitRatio']);
  });

  it('fails synth when the alerts go nowhere', () => {
    expect(errorOf(() => build({ alerting: {} }))).toContain('test/Cache: the alerts of RedisStore "cache" go nowhere; call addAlertsTo(<ObservabilityStack or AlertRules>), set alerting.prometheusRule, or set alerting: false');
  });

  it('wires a BackupCronJob that the store admits', () => {
    const objs = synth(
      (chart) => {
        const store = new RedisStore(chart, 'Cache', { ...BASE, role: 'store' });
        store.addBackup('Backup', { schedule: '0 3 * * *', target: { volume: { claimName: 'backups', create: { size: '20Gi' } } }, alerting: false });
      },
      { external: EXTERNAL },
    );
    const cron = one(objs, 'CronJob', 'cache-backup');
    const env = cron.spec.jobTemplate.spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'REDISCLI_AUTH', valueFrom: { secretKeyRef: { name: 'cache-auth', key: 'password' } } });
    const np = one(objs, 'NetworkPolicy', 'cache');
    expect(np.spec.ingress[1].from[0].podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'cache-backup', 'app.kubernetes.io/instance': 'cache-backup' });
  });
});

describe('RedisStore with tls', () => {
  const TLS_EXTERNAL = [...EXTERNAL, 'Secret/agents/cache-tls', 'Secret/agents/internal-ca'];
  const buildTls = (tls: RedisStoreProps['tls'], props: Partial<RedisStoreProps> = {}) =>
    synth((chart) => new RedisStore(chart, 'Cache', { ...BASE, tls, ...props } as RedisStoreProps), { external: TLS_EXTERNAL });

  it('closes the plaintext ports and serves TLS on 6379 and 26379, replication over TLS, the files from the mounted Secret', () => {
    const objs = buildTls({ secretName: 'cache-tls' });
    const cm = one(objs, 'ConfigMap').data;
    const tlsBlock = (port: string) =>
      `port 0\ntls-port ${port}\ntls-cert-file @TLS_DIR@/tls.crt\ntls-key-file @TLS_DIR@/tls.key\ntls-ca-cert-file @TLS_DIR@/ca.crt\ntls-auth-clients no\ntls-replication yes\n`;
    expect(cm['redis.conf']).toContain(tlsBlock('@REDIS_PORT@'));
    expect(cm['sentinel.conf']).toContain(tlsBlock('@SENTINEL_PORT@'));
    expect(cm['redis.conf']).not.toMatch(/^port @REDIS_PORT@$/m);
    expect(cm['probe.sh']).toContain('TLS="--tls --cacert $TLS_DIR/ca.crt"\n');
    expect(cm['probe.sh']).toContain('timeout 3 "$CLI" $TLS -h 127.0.0.1 -p "$REDIS_PORT"');
    expect(cm['start-redis.sh']).toContain('"$CLI" $TLS -h "$h" -p "$p"');
    const pod = one(objs, 'StatefulSet').spec.template.spec;
    expect(pod.volumes.find((v: Obj) => v.name === 'tls')).toEqual({
      name: 'tls',
      secret: {
        secretName: 'cache-tls',
        items: [
          { key: 'tls.crt', path: 'tls.crt' },
          { key: 'tls.key', path: 'tls.key' },
          { key: 'ca.crt', path: 'ca.crt' },
        ],
        defaultMode: 0o440,
      },
    });
    const mount = { name: 'tls', mountPath: '/var/run/secrets/redis-tls', readOnly: true };
    for (const c of pod.containers) expect(c.volumeMounts, c.name).toContainEqual(mount);
    expect(pod.containers[0].env).toContainEqual({ name: 'TLS_DIR', value: '/var/run/secrets/redis-tls' });
    // The same port numbers, now TLS only: the NetworkPolicy opens nothing else.
    const tcp = (port: number) => ({ port, protocol: 'TCP' });
    expect(one(objs, 'NetworkPolicy').spec.egress).toEqual([{ to: [expect.any(Object)], ports: [tcp(6379), tcp(26379)] }]);
    expect(one(objs, 'NetworkPolicy').spec.ingress.flatMap((r: Obj) => r.ports)).toEqual([tcp(6379), tcp(26379), tcp(9121)]);
  });

  it('the exporter connects with rediss:// to localhost and checks the CA; with authClients it presents the certificate', () => {
    const exporter = (tls: RedisStoreProps['tls']) => one(buildTls(tls), 'StatefulSet').spec.template.spec.containers.find((c: Obj) => c.name === 'exporter');
    expect(exporter({ secretName: 'cache-tls' }).env).toEqual([
      { name: 'REDIS_ADDR', value: 'rediss://localhost:6379' },
      { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'cache-auth', key: 'password' } } },
      { name: 'REDIS_EXPORTER_TLS_CA_CERT_FILE', value: '/var/run/secrets/redis-tls/ca.crt' },
    ]);
    const mutual = exporter({ secretName: 'cache-tls', authClients: true });
    expect(mutual.env.slice(3)).toEqual([
      { name: 'REDIS_EXPORTER_TLS_CLIENT_CERT_FILE', value: '/var/run/secrets/redis-tls/tls.crt' },
      { name: 'REDIS_EXPORTER_TLS_CLIENT_KEY_FILE', value: '/var/run/secrets/redis-tls/tls.key' },
    ]);
    const cm = one(buildTls({ secretName: 'cache-tls', authClients: true }), 'ConfigMap').data;
    expect(cm['redis.conf']).toContain('tls-auth-clients yes\n');
    expect(cm['probe.sh']).toContain('TLS="--tls --cacert $TLS_DIR/ca.crt --cert $TLS_DIR/tls.crt --key $TLS_DIR/tls.key"\n');
  });

  it('a CA of another Secret: one projected directory with the certificate and that CA', () => {
    const pod = one(buildTls({ secretName: 'cache-tls', caSecretName: 'internal-ca', caKey: 'bundle.pem' }), 'StatefulSet').spec.template.spec;
    expect(pod.volumes.find((v: Obj) => v.name === 'tls')).toEqual({
      name: 'tls',
      projected: {
        sources: [
          { secret: { name: 'cache-tls', items: [{ key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }] } },
          { secret: { name: 'internal-ca', items: [{ key: 'bundle.pem', path: 'ca.crt' }] } },
        ],
        defaultMode: 0o440,
      },
    });
  });

  it('clients get TLS in the connection and env (rediss URL, the CA by reference), and the names the certificate must cover', () => {
    let env: Record<string, unknown> = {};
    let store!: RedisStore;
    synth(
      (chart) => {
        store = new RedisStore(chart, 'Cache', { ...BASE, tls: { secretName: 'cache-tls' } });
        env = store.connection.env();
      },
      { external: TLS_EXTERNAL },
    );
    expect(store.connection.tls).toEqual({ caSecret: { name: 'cache-tls', key: 'ca.crt' }, clientCertificateRequired: false });
    expect(env).toMatchObject({
      REDIS_HOST: 'cache.agents.svc.cluster.local',
      REDIS_TLS: 'true',
      REDIS_URL: 'rediss://cache.agents.svc.cluster.local:6379',
      REDIS_TLS_CA_CERT: { fromSecret: { name: 'cache-tls', key: 'ca.crt' } },
    });
    expect(store.tlsDnsNames).toEqual(['cache.agents.svc.cluster.local', 'cache.agents.svc', '*.cache-headless.agents.svc.cluster.local', 'localhost']);
  });

  it("AgentPlatform wires a TLS store's connection into the caller's env", () => {
    const objs = synth(
      (chart) =>
        new AgentPlatform(chart, 'Platform', {
          name: 'shop',
          namespace: 'shop',
          components: {
            api: { kind: 'agent', props: { image: 'registry.example.com/api:1.0.0' }, dependsOn: ['cache'] },
            cache: {
              kind: 'store',
              create: (scope, id, ctx) => new RedisStore(scope, id, { name: id, namespace: ctx.namespace, profile: ctx.profile, role: 'cache', auth: { secretName: 'cache-auth' }, tls: { secretName: 'cache-tls' }, alerting: false }),
            },
          },
        }),
      { external: ['Secret/shop/cache-auth', 'Secret/shop/cache-tls'] },
    );
    const env = one(objs, 'Deployment', 'api').spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'CACHE_TLS', value: 'true' });
    expect(env).toContainEqual({ name: 'CACHE_URL', value: 'rediss://cache.shop.svc.cluster.local:6379' });
    expect(env).toContainEqual({ name: 'CACHE_TLS_CA_CERT', valueFrom: { secretKeyRef: { name: 'cache-tls', key: 'ca.crt' } } });
  });

  it('without tls nothing changes: no TLS lines, no tls volume, plain env', () => {
    const objs = build();
    expect(one(objs, 'ConfigMap').data['redis.conf']).toContain('\nport @REDIS_PORT@\n');
    expect(JSON.stringify(one(objs, 'ConfigMap').data)).not.toContain('TLS');
    expect(one(objs, 'StatefulSet').spec.template.spec.volumes.map((v: Obj) => v.name)).not.toContain('tls');
  });

  it('the backup Job connects with TLS and the CA', () => {
    const objs = synth(
      (chart) => {
        const store = new RedisStore(chart, 'Cache', { ...BASE, role: 'store', tls: { secretName: 'cache-tls', caSecretName: 'internal-ca' } });
        store.addBackup('Backup', { schedule: '0 3 * * *', target: { volume: { claimName: 'backups', create: { size: '20Gi' } } }, alerting: false });
      },
      { external: TLS_EXTERNAL },
    );
    const pod = one(objs, 'CronJob').spec.jobTemplate.spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: 'redis-ca', secret: { secretName: 'internal-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }], defaultMode: 0o444 } });
    expect(pod.containers[0].env).toContainEqual({ name: 'REDIS_TLS_CA_FILE', value: '/secrets/redis-ca/ca.crt' });
    expect(pod.containers[0].command[2]).toContain('redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --tls --cacert "$REDIS_TLS_CA_FILE" --rdb "$1"');
  });
});

describe('RedisStore rejects', () => {
  it('maxmemory above the tier memory limit, naming both', () => {
    expect(rejects({ maxmemory: '2Gi' })).toBe(
      `${prefix}props.maxmemory: is above the container memory limit 1Gi (resources.limits.memory of tier 'small'), so the kernel kills Redis before it evicts, got "2Gi"; use at most 1Gi; 75% of it (768Mi) leaves room for buffers and snapshots`,
    );
  });
  it('maxmemory above an explicit memory limit', () => {
    const resources = { requests: { cpu: '1', memory: '1Gi', ephemeralStorage: '1Gi' }, limits: { cpu: '1', memory: '2Gi', ephemeralStorage: '1Gi' } };
    expect(rejects({ maxmemory: '3Gi', resources })).toBe(
      `${prefix}props.maxmemory: is above the container memory limit 2Gi (resources.limits.memory), so the kernel kills Redis before it evicts, got "3Gi"; use at most 2Gi; 75% of it (1536Mi) leaves room for buffers and snapshots`,
    );
  });
  it('memory quantities Kubernetes does not accept', () => {
    expect(rejects({ maxmemory: '4gb' })).toBe(`${prefix}props.maxmemory: is not a byte quantity, got "4gb"; use a Kubernetes quantity like '512Mi' or '2Gi' (binary suffixes Ki, Mi, Gi)`);
    const resources = { requests: { cpu: '1', memory: '1GB', ephemeralStorage: '1Gi' }, limits: { cpu: '1', memory: '2Gi', ephemeralStorage: '1Gi' } };
    expect(rejects({ resources })).toBe(`${prefix}props.resources.requests.memory: is not a byte quantity, got "1GB"; use a Kubernetes quantity like '512Mi' or '2Gi' (binary suffixes Ki, Mi, Gi)`);
  });
  it('a quorum above the Sentinel count', () => {
    expect(rejects({ sentinel: { quorum: 4 } })).toBe(`${prefix}props.sentinel.quorum: is above the Sentinel count 3 (one per pod: replicas + 1), got 4; use a quorum of 2`);
  });
  it('a quorum of every Sentinel', () => {
    expect(rejects({ sentinel: { quorum: 3 } })).toBe(
      `${prefix}props.sentinel.quorum: equals the Sentinel count 3, and the failed primary's own Sentinel cannot vote, so no failover would ever start, got 3; use a quorum of 2`,
    );
  });
  it('a quorum below a majority', () => {
    expect(rejects({ replicas: 4, sentinel: { quorum: 2 } })).toBe(
      `${prefix}props.sentinel.quorum: is below a majority of the 5 Sentinels, so a partitioned minority could start a failover, got 2; use a quorum from 3 to 4`,
    );
  });
  it('fewer than three Sentinels in production', () => {
    expect(rejects({ replicas: 1 })).toBe(
      `${prefix}props.replicas: gives 2 Sentinels in the production profile, and fewer than 3 cannot lose one and still elect a leader, got 1; use replicas: 2 or more (3 Sentinels)`,
    );
  });
  it('replicas below 1', () => {
    expect(rejects({ replicas: 0 })).toBe(`${prefix}props.replicas: must be at least 1, got 0; a replicated store needs a replica to promote; use topology: 'standalone' for one pod`);
  });
  it('an unknown tier', () => {
    expect(rejects({ tier: 'huge' })).toBe(`${prefix}props.tier: is not a tier, got "huge"; use 'small', 'medium' or 'large'`);
  });
  it('an unknown role', () => {
    expect(rejects({ role: 'db' })).toBe(`${prefix}props.role: is not a role, got "db"; use 'cache' (evicts, no disk) or 'store' (persists, never evicts)`);
  });
  it('standalone outside dev without a reason', () => {
    expect(rejects({ topology: 'standalone' })).toBe(
      `${prefix}props.topology: runs a single pod in the production profile, so every restart is an outage, got "standalone"; use topology: 'replicated', or give standaloneReason to record why one pod is enough`,
    );
  });
  it('storage for a cache', () => {
    expect(rejects({ storage: { size: '1Gi' } })).toBe(`${prefix}props.storage: is given for a cache, which keeps nothing on disk, got {"size":"1Gi"}; remove storage, or use role: 'store'`);
  });
  it('a mutable image outside dev', () => {
    expect(rejects({ image: 'redis:latest' })).toBe(`${prefix}props.image: is a mutable image (:latest) in the production profile, got "redis:latest"; pin a version tag like ':1.2.3' or a digest '@sha256:...', or use profile 'dev'`);
  });
  it('alerts without the exporter', () => {
    expect(rejects({ monitoring: false, alerting: {} })).toBe(`${prefix}props.alerting: needs the exporter, and monitoring is false, got {}; turn monitoring on, or set alerting: false`);
  });
  it('a backup of a store that requires client certificates', () => {
    const err = errorOf(() =>
      synth(
        (chart) => {
          const store = new RedisStore(chart, 'Cache', { ...BASE, role: 'store', tls: { secretName: 'cache-tls', authClients: true } });
          store.addBackup('Backup', { schedule: '0 3 * * *', target: { volume: { claimName: 'backups', create: { size: '20Gi' } } }, alerting: false });
        },
        { external: [...EXTERNAL, 'Secret/agents/cache-tls'] },
      ),
    );
    expect(err).toBe(
      'test/Cache: addBackup cannot back up RedisStore "cache": it requires client certificates (tls.authClients), and the backup Job presents none; set tls.authClients: false, or back the store up another way',
    );
  });
  it('a TLS Secret name that is not a Kubernetes name', () => {
    expect(rejects({ tls: { secretName: 'Cache_TLS' } })).toBe(`${prefix}props.tls.secretName: is not a DNS-1123 subdomain, got "Cache_TLS"; use lowercase letters, digits, '-' and '.'`);
  });
  it('a certificate given inline instead of a Secret reference', () => {
    expect(rejects({ tls: { secretName: 'cache-tls', certificate: '-----BEGIN CERTIFICATE-----' } })).toBe(
      `${prefix}props.tls.certificate: unknown property, got "-----BEGIN CERTIFICATE-----"; remove it or check its spelling`,
    );
  });
  it('an invalid CA key', () => {
    expect(rejects({ tls: { secretName: 'cache-tls', caKey: 'ca crt' } })).toBe(`${prefix}props.tls.caKey: is not a valid Secret key, got "ca crt"; use letters, digits, '-', '_' and '.'`);
  });
  it('tls on a Redis image older than 6', () => {
    expect(rejects({ image: 'redis:5.0.14-alpine', tls: { secretName: 'cache-tls' } })).toBe(
      `${prefix}props.image: is Redis 5, and tls needs Redis 6 or later, got "redis:5.0.14-alpine"; use a Redis 6+ image like 'redis:7.2-alpine', or remove tls`,
    );
  });
  it('a password given inline instead of a Secret reference', () => {
    expect(rejects({ auth: { password: 'hunter2' } })).toBe(
      [
        `${prefix}props.auth.secretName: is required, got undefined; give a string`,
        `  test/Cache props.auth.password: unknown property, got "hunter2"; remove it or check its spelling`,
      ].join('\n'),
    );
  });
});
