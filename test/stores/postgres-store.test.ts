import { describe, expect, it } from 'vitest';
import { postgresqlCnpgIo } from '../../lib/crds/cloudnative-pg/index.js';
import { PostgresStore, SecureAgentDeployment, type PostgresStoreProps } from '../../lib/index.js';
import { errorOf, one, synth, type Obj } from '../util.js';

const EXTERNAL = ['Secret/agents/db-auth', 'Secret/agents/s3'];
const BASE: PostgresStoreProps = { name: 'db', namespace: 'agents', database: 'app', owner: 'app', auth: { secretName: 'db-auth' } };
const CNPG: PostgresStoreProps = {
  ...BASE,
  mode: 'cloudNativePg',
  tier: 'medium',
  cloudNativePg: {
    apiServerCidrs: ['10.0.0.1/32'],
    backup: { destinationPath: 's3://backups/db', endpointUrl: 'https://minio.example.com', credentialsSecret: 's3', cidrs: ['10.9.0.0/16'] },
    pooler: { instances: 2, maxClientConn: 500, defaultPoolSize: 20 },
  },
};
const build = (props: PostgresStoreProps, profile: 'dev' | 'staging' | 'production' = 'production') =>
  synth((chart) => new PostgresStore(chart, 'Db', props), { external: EXTERNAL, profile });
const rejects = (props: Record<string, unknown>) => errorOf(() => build({ ...BASE, ...props } as PostgresStoreProps));
const prefix = 'invalid props for test/Db:\n  test/Db ';

describe('PostgresStore cloudNativePg (no CloudNativePG binary here: the objects are checked against the operator v1.30.0 CRD schemas)', () => {
  it('synthesizes a Cluster, ScheduledBackup, Pooler, PodMonitor and NetworkPolicies (snapshot)', () => {
    expect(build(CNPG)).toMatchSnapshot();
  });

  it('each CloudNativePG object passes the generated model of its CRD, and the model rejects a wrong field', () => {
    const objs = build(CNPG);
    const models = { Cluster: postgresqlCnpgIo.v1.Cluster, ScheduledBackup: postgresqlCnpgIo.v1.ScheduledBackup, Pooler: postgresqlCnpgIo.v1.Pooler } as const;
    for (const [kind, Model] of Object.entries(models)) {
      const obj = one(objs, kind);
      expect(() => new (Model as new (d: unknown) => { validate(): void })(obj).validate(), kind).not.toThrow();
    }
    const cluster = one(objs, 'Cluster');
    const broken = { ...cluster, spec: { ...cluster.spec, instances: 'three' } };
    expect(() => new postgresqlCnpgIo.v1.Cluster(broken as never).validate()).toThrow(/instances/);
  });

  it('the Cluster carries the tier: parameters from the memory limit, the owner bootstrapped from its Secret', () => {
    const spec = one(build(CNPG), 'Cluster').spec;
    expect(spec.instances).toBe(3);
    expect(spec.bootstrap.initdb).toEqual({ database: 'app', owner: 'app', secret: { name: 'db-auth' }, postInitSQL: ['CREATE EXTENSION IF NOT EXISTS pg_stat_statements'] });
    expect(spec.postgresql.parameters).toMatchObject({ shared_buffers: '2GB', effective_cache_size: '6GB', max_connections: '200', work_mem: '16MB', maintenance_work_mem: '512MB', statement_timeout: '1min' });
    expect(spec.resources.limits).toEqual({ cpu: '2', memory: '8Gi', 'ephemeral-storage': '2Gi' });
    expect(spec.storage).toEqual({ size: '50Gi' });
    expect(one(build(CNPG), 'ScheduledBackup').spec).toMatchObject({ schedule: '0 0 2 * * *', cluster: { name: 'db' }, method: 'barmanObjectStore' });
    expect(one(build(CNPG), 'Pooler').spec.pgbouncer).toEqual({ poolMode: 'transaction', parameters: { max_client_conn: '500', default_pool_size: '20' } });
  });

  it('clients reach the Pooler, and the Pooler the instances; the instances reach each other, the API server and the storage', () => {
    let env: Record<string, unknown> = {};
    const objs = synth(
      (chart) => {
        const agent = new SecureAgentDeployment(chart, 'Agent', { name: 'agent', namespace: 'agents', image: 'registry.example.com/agent:1.2.3' });
        const db = new PostgresStore(chart, 'Db', CNPG);
        db.allowFrom({ podLabels: { ...agent.selectorLabels } });
        env = db.connection.env();
      },
      { external: EXTERNAL },
    );
    const pooler = one(objs, 'NetworkPolicy', 'db-pooler-rw');
    expect(pooler.spec.ingress).toEqual([{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'agent', 'app.kubernetes.io/instance': 'agent' } } }], ports: [{ port: 5432, protocol: 'TCP' }] }]);
    const db = one(objs, 'NetworkPolicy', 'db');
    expect(db.spec.egress.map((r: Obj) => r.to[0].ipBlock?.cidr ?? 'pods')).toEqual(['pods', '10.0.0.1/32', '10.9.0.0/16']);
    expect(env).toEqual({ DATABASE_HOST: 'db-pooler-rw.agents.svc.cluster.local', DATABASE_PORT: '5432', DATABASE_NAME: 'app', DATABASE_USER: 'app', DATABASE_PASSWORD: { fromSecret: { name: 'db-auth', key: 'password' } } });
  });
});

describe('PostgresStore statefulSet', () => {
  const dev = { ...BASE, profile: 'dev' as const };
  it('synthesizes one PostgreSQL pod with its claim, config and exporter (snapshot)', () => {
    expect(build(dev, 'dev')).toMatchSnapshot();
  });

  it('renders postgresql.conf from the tier and pg_hba with SCRAM only', () => {
    const cm = one(build(dev, 'dev'), 'ConfigMap').data;
    expect(cm['postgresql.conf']).toContain("shared_buffers = '1GB'\neffective_cache_size = '3GB'\n");
    expect(cm['postgresql.conf']).toContain("shared_preload_libraries = 'pg_stat_statements'\n");
    const rules = (cm['pg_hba.conf'] as string).split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(rules.map((l) => l.split(/\s+/).at(-1))).toEqual(['scram-sha-256', 'scram-sha-256', 'scram-sha-256']);
  });

  it('probes with pg_isready, over the socket (liveness) and TCP (readiness)', () => {
    const c = one(build(dev, 'dev'), 'StatefulSet').spec.template.spec.containers[0];
    expect(c.livenessProbe.exec.command).toEqual(['pg_isready', '-h', '/var/run/postgresql', '-p', '5432', '-U', 'app', '-d', 'app']);
    expect(c.readinessProbe.exec.command).toEqual(['pg_isready', '-h', '127.0.0.1', '-p', '5432', '-U', 'app', '-d', 'app']);
    expect(c.env).toContainEqual({ name: 'POSTGRES_PASSWORD_FILE', value: '/var/run/secrets/postgres/password' });
  });
});

describe('PostgresStore external', () => {
  it('deploys nothing and gives clients the DSN Secret and an egress rule to the CIDR', () => {
    let store: PostgresStore | undefined;
    const objs = synth((chart) => {
      store = new PostgresStore(chart, 'Db', { ...BASE, mode: 'external', external: { host: 'app.abc.eu-west-1.rds.amazonaws.com', cidr: '10.50.0.0/16', dsnSecret: { name: 'db-auth', key: 'dsn' } } });
    });
    expect(objs).toEqual([]);
    expect(store!.egress).toEqual({ description: 'PostgreSQL db', cidr: '10.50.0.0/16', except: [], ports: [{ port: 5432, protocol: 'TCP' }] });
    expect(store!.connection.env()).toEqual({ DATABASE_URL: { fromSecret: { name: 'db-auth', key: 'dsn' } } });
    expect(() => store!.allowFrom({ podLabels: { a: 'b' } })).toThrow('test/Db: PostgresStore "db" is external; its own firewall admits clients: add store.egress to the client\'s egress rules');
  });
});

describe('PostgresStore rejects', () => {
  const ext = (external: Record<string, unknown>) => rejects({ mode: 'external', external: { host: 'db.example.com', cidr: '10.50.0.0/16', ...external } });
  it('a DSN literal carrying a password', () => {
    expect(ext({ dsn: 'postgres://app:hunter2@db.example.com:5432/app' })).toBe(
      `${prefix}props.external.dsn: carries a password, got "postgres://app:hunter2@db.example.com:5432/app"; remove the password from the DSN and put it in the Secret of auth (or give the whole DSN as dsnSecret)`,
    );
    expect(ext({ dsn: 'postgresql://db.example.com/app?sslmode=require&password=x' })).toContain('props.external.dsn: carries a password');
  });
  it('neither or both of dsn and dsnSecret', () => {
    expect(ext({})).toBe(`${prefix}props.external: needs exactly one of dsnSecret and dsn, got {"host":"db.example.com","cidr":"10.50.0.0/16","port":5432}; give the DSN as a Secret key (dsnSecret), or a DSN without password (dsn)`);
  });
  it('one instance outside dev without a reason', () => {
    expect(rejects({ mode: 'statefulSet' })).toBe(
      `${prefix}props.mode: runs one PostgreSQL pod in the production profile, with no standby to fail over to, got "statefulSet"; use mode: 'cloudNativePg' (an operator-run cluster) or 'external' (a managed database), or give singleInstanceReason`,
    );
  });
  it('cloudNativePg without its options', () => {
    expect(rejects({})).toBe(`${prefix}props.cloudNativePg: is required in the cloudNativePg mode, got undefined; give cloudNativePg.apiServerCidrs at least`);
  });
  it('an unknown tier and an unknown mode', () => {
    expect(rejects({ tier: 'xl', profile: 'dev' })).toBe(`${prefix}props.tier: is not a tier, got "xl"; use 'small', 'medium' or 'large'`);
    expect(rejects({ mode: 'rds' })).toBe(`${prefix}props.mode: is not a mode, got "rds"; use 'cloudNativePg', 'statefulSet' or 'external'`);
  });
  it('reserved connections that leave none for clients', () => {
    expect(rejects({ profile: 'dev', maxConnections: 10, reservedConnections: 10 })).toBe(`${prefix}props.reservedConnections: leaves no connection of max_connections 10 for clients, got 10; use fewer than 10`);
  });
  it('a database name PostgreSQL would need quoted', () => {
    expect(rejects({ profile: 'dev', database: 'App-DB' })).toBe(
      `${prefix}props.database: is not a plain PostgreSQL name, got "App-DB"; use lowercase letters, digits and '_', starting with a letter or '_', at most 63 characters`,
    );
  });
  it('a five-field schedule for CloudNativePG (it reads seconds first)', () => {
    expect(rejects({ cloudNativePg: { apiServerCidrs: ['10.0.0.1/32'], backup: { destinationPath: 's3://backups/db', credentialsSecret: 's3', cidrs: ['10.9.0.0/16'], schedule: '0 2 * * *' } } })).toBe(
      `${prefix}props.cloudNativePg.backup.schedule: is not a six-field cron schedule, got "0 2 * * *"; CloudNativePG reads seconds first: '0 0 2 * * *' is 02:00 daily`,
    );
  });
  it('memory quantities', () => {
    const resources = { requests: { cpu: '1', memory: '2G B', ephemeralStorage: '1Gi' }, limits: { cpu: '1', memory: '4Gi', ephemeralStorage: '1Gi' } };
    expect(rejects({ profile: 'dev', resources })).toBe(`${prefix}props.resources.requests.memory: is not a byte quantity, got "2G B"; use a Kubernetes quantity like '512Mi' or '2Gi' (binary suffixes Ki, Mi, Gi)`);
  });
});
