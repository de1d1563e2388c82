import type { PostgresSettings, PostgresStoreConfig } from './postgres-store-props.js';

/**
 * `postgresql.conf` and `pg_hba.conf` of the `statefulSet` mode. The port
 * and the socket directory are left to the server's defaults (5432,
 * `/var/run/postgresql`), which the pod's volumes and probes assume.
 */

/** A setting's value as postgresql.conf takes it: numbers bare, everything else single-quoted. */
function confValue(v: string): string {
  return /^-?\d+$/.test(v) ? v : `'${v.replace(/'/g, "''")}'`;
}

/** postgresql.conf from the settings of the tier. */
export function renderPostgresqlConf(settings: PostgresSettings): string {
  return ['# Rendered by cdk8s-agent-platform from the store tier.', ...Object.entries(settings).map(([k, v]) => `${k} = ${confValue(v)}`), ''].join('\n');
}

/**
 * pg_hba.conf: every connection, local or over TCP, authenticates with
 * SCRAM-SHA-256; nothing is trusted. Which pods can connect at all is the
 * NetworkPolicy's business.
 */
export function renderPgHba(p: PostgresStoreConfig): string {
  void p;
  return [
    '# Rendered by cdk8s-agent-platform: password (SCRAM) for every connection, no trust.',
    '# TYPE  DATABASE  USER  ADDRESS    METHOD',
    'local   all       all             scram-sha-256',
    'host    all       all   0.0.0.0/0  scram-sha-256',
    'host    all       all   ::/0       scram-sha-256',
    '',
  ].join('\n');
}
