import type { RestoreJobProps } from '../../lib/backup/restore-job-props.js';
import { one } from '../util.js';
import { PG_BACKUP, synthRestore } from './fixtures.js';
import { podScript, tempDir, type Postgres, type RunResult, type Script } from './harness.js';
import { expect } from 'vitest';

/** The role the scripts connect as, and its password. */
export const APP_PASSWORD = 'app-secret-test';
export const SECRETS = { 'skreaver-db/password': APP_PASSWORD };

/** Creates the application role and its database `skreaver`. */
export function createAppRole(pg: Postgres): void {
  pg.psql(`CREATE ROLE skreaver_user LOGIN CREATEDB PASSWORD '${APP_PASSWORD}'; CREATE DATABASE skreaver OWNER skreaver_user;`);
}

/** Tables, row counts and a checksum of every row, per table; views; sequence positions; large objects. */
export function fingerprint(pg: Postgres, db: string): string {
  const tables = pg.psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1", { db }).trim().split('\n').filter(Boolean);
  const parts = tables.map((t) => `${t}: ${pg.psql(`SELECT count(*) || ' ' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '-') FROM ${t} x`, { db }).trim()}`);
  parts.push(`views: ${pg.psql("SELECT string_agg(viewname, ',' ORDER BY viewname) FROM pg_views WHERE schemaname = 'public'", { db }).trim()}`);
  parts.push(`sequences: ${pg.psql("SELECT string_agg(sequencename || '=' || coalesce(last_value, 0), ',' ORDER BY sequencename) FROM pg_sequences WHERE schemaname = 'public'", { db }).trim()}`);
  parts.push(
    `large objects: ${pg.psql("SELECT count(*) || ' ' || coalesce(md5(string_agg(oid::text || ':' || md5(lo_get(oid)), ',' ORDER BY oid)), '-') FROM pg_largeobject_metadata", { db }).trim()}`,
  );
  return parts.join('\n');
}

/** The databases of the server, by name. */
export function databases(pg: Postgres): string[] {
  return pg.psql('SELECT datname FROM pg_database ORDER BY 1').trim().split('\n');
}

/** Env overrides pointing a script at `dir`, a fresh scratch directory and the server. */
export function pgPointAt(dir: string, port: number): Record<string, string> {
  const scratch = tempDir('scratch');
  return { BACKUP_DIR: dir, SCRATCH_DIR: scratch, HOME: scratch, PGHOST: '127.0.0.1', PGPORT: String(port) };
}

/** The restore script of a RestoreJob of the Skreaver database with these props. */
export function pgRestoreJob(props: Partial<RestoreJobProps> & { database: string; format?: 'custom' | 'plain' }): Script {
  const { database, format, ...rest } = props;
  const base: RestoreJobProps = {
    name: 'skreaver-db-restore',
    namespace: 'skreaver',
    engine: { ...(PG_BACKUP.engine as object), database, format: format ?? 'custom' } as RestoreJobProps['engine'],
    filePrefix: 'skreaver-db-backup',
    backup: 'latest',
    source: { volume: { claimName: 'skreaver-backup' } },
    createDatabase: true,
  };
  return podScript(one(synthRestore({ ...base, ...rest }), 'Job').spec.template.spec, 'restore', SECRETS);
}

/** A run that succeeded and said nothing failed. */
export function expectOk(r: RunResult): void {
  expect(r.stderr, r.stdout).not.toMatch(/FAILED/);
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
}
