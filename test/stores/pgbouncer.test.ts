import { describe, expect, it } from 'vitest';
import { PgBouncer, PostgresStore, type PgBouncerProps } from '../../lib/index.js';
import { errorOf, one, synth, type Obj } from '../util.js';

const SERVER = { host: 'db.agents.svc.cluster.local', database: 'app', user: 'app', passwordSecret: { name: 'db-auth', key: 'password' }, destination: { pods: { podLabels: { 'app.kubernetes.io/name': 'db' } } } };
const BASE: PgBouncerProps = { name: 'pgbouncer', namespace: 'agents', server: SERVER };
const EXTERNAL = ['Secret/agents/db-auth', 'Pod/agents/db'];
const prefix = 'invalid props for test/Pool:\n  test/Pool ';
const rejects = (props: Record<string, unknown>) => errorOf(() => synth((c) => new PgBouncer(c, 'Pool', { ...BASE, ...props } as PgBouncerProps), { external: EXTERNAL }));

describe('PgBouncer', () => {
  it('synthesizes a Deployment, Service, PDB, NetworkPolicy and ServiceMonitor (snapshot)', () => {
    expect(synth((c) => new PgBouncer(c, 'Pool', BASE), { external: EXTERNAL })).toMatchSnapshot();
  });

  it('renders the SARK pool settings with transaction pooling and SCRAM', () => {
    const ini = one(synth((c) => new PgBouncer(c, 'Pool', BASE), { external: EXTERNAL }), 'ConfigMap').data['pgbouncer.ini'];
    expect(ini).toContain('pool_mode = transaction\nmax_client_conn = 1000\ndefault_pool_size = 25\nreserve_pool_size = 5\nreserve_pool_timeout = 5\nmax_db_connections = 100\n');
    expect(ini).toContain('auth_type = scram-sha-256\n');
    expect(ini).not.toContain('auth_query');
  });

  it('auth_query asks the server for the SCRAM secret', () => {
    const ini = one(synth((c) => new PgBouncer(c, 'Pool', { ...BASE, auth: 'authQuery' }), { external: EXTERNAL }), 'ConfigMap').data['pgbouncer.ini'];
    expect(ini).toContain('auth_user = app\nauth_query = SELECT usename, passwd FROM pg_shadow WHERE usename = $1\n');
  });

  it('takes its server from a PostgresStore and reaches only it', () => {
    const objs = synth(
      (c) => {
        const db = new PostgresStore(c, 'Db', { name: 'db', namespace: 'agents', profile: 'dev', database: 'app', owner: 'app', auth: { secretName: 'db-auth' } });
        // PostgreSQL small: max_connections 100 with 3 reserved; PgBouncer's default 100 would not fit (STO-03).
        const pool = new PgBouncer(c, 'Pool', { name: 'pgbouncer', namespace: 'agents', profile: 'dev', server: db.pgBouncerServer(), maxDbConnections: 90 });
        db.allowFrom(pool.peer);
      },
      { external: ['Secret/agents/db-auth'], profile: 'dev' },
    );
    const np = one(objs, 'NetworkPolicy', 'pgbouncer');
    expect(np.spec.egress).toEqual([{ to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'db', 'app.kubernetes.io/instance': 'db' } } }], ports: [{ port: 5432, protocol: 'TCP' }] }]);
    const env = one(objs, 'Deployment').spec.template.spec.containers[0].env as Obj[];
    expect(env.find((e) => e.name === 'SERVER_HOST')?.value).toBe('db.agents.svc.cluster.local');
  });
});

describe('PgBouncer and the connection budget', () => {
  it('fails synth when PgBouncer may open more server connections than PostgreSQL leaves to clients (D-SRK-09)', () => {
    const error = errorOf(() =>
      synth(
        (c) => {
          const db = new PostgresStore(c, 'Db', { name: 'db', namespace: 'agents', profile: 'dev', database: 'app', owner: 'app', auth: { secretName: 'db-auth' } });
          db.allowFrom(new PgBouncer(c, 'Pool', { name: 'pgbouncer', namespace: 'agents', profile: 'dev', server: db.pgBouncerServer() }).peer);
        },
        { external: ['Secret/agents/db-auth'], profile: 'dev' },
      ),
    );
    expect(error).toContain(
      'STO-03 High Deployment agents/pgbouncer spec.template.metadata.annotations["cdk8s-agent-platform.dev/connections"]: the clients of agents/db may open 100 connections (Deployment "pgbouncer" 1 × 100) and StatefulSet "db" accepts 97, so connections fail at peak',
    );
  });
});

describe('PgBouncer rejects', () => {
  it('a pool larger than max_db_connections', () => {
    expect(rejects({ defaultPoolSize: 50, maxDbConnections: 20 })).toBe(`${prefix}props.defaultPoolSize: is above maxDbConnections 20, which caps every pool, got 50; use at most 20, or raise maxDbConnections`);
  });
  it('a single pooler outside dev', () => {
    expect(rejects({ replicas: 1 })).toBe(`${prefix}props.replicas: is a single pooler in the production profile, so every restart drops every client, got 1; run 2 or more`);
  });
  it('a mutable image outside dev', () => {
    expect(rejects({ image: 'pgbouncer/pgbouncer:latest' })).toBe(
      `${prefix}props.image: is a mutable image (:latest) in the production profile, got "pgbouncer/pgbouncer:latest"; pin a version tag like ':1.2.3' or a digest '@sha256:...', or use profile 'dev'`,
    );
  });
  it('an unknown pool mode', () => {
    expect(rejects({ poolMode: 'statement' })).toBe(`${prefix}props.poolMode: is not an allowed value, got "statement"; use one of "transaction", "session"`);
  });
});
