import { describe, expect, it } from 'vitest';
import type { RestoreJobProps } from '../../lib/index.js';
import { validateSchema } from '../../lib/validation/schema/index.js';
import { errorOf, one, type Obj } from '../util.js';
import { container, PG_BACKUP, synthRestore } from './fixtures.js';

const PG_RESTORE: RestoreJobProps = {
  name: 'skreaver-db-restore',
  namespace: 'skreaver',
  engine: { ...(PG_BACKUP.engine as object), database: 'skreaver_restored' } as RestoreJobProps['engine'],
  filePrefix: 'skreaver-db-backup',
  backup: 'skreaver-db-backup-20250101T020000Z.dump',
  source: { volume: { claimName: 'skreaver-backup' } },
  createDatabase: true,
};

const REDIS: RestoreJobProps['engine'] = {
  type: 'redis',
  host: 'redis',
  password: { name: 'weaver-secrets', key: 'REDIS_PASSWORD' },
  destination: { pods: { podLabels: { 'app.kubernetes.io/name': 'redis' } } },
};

describe('RestoreJob', () => {
  it('matches its snapshot', () => {
    expect(synthRestore(PG_RESTORE)).toMatchSnapshot();
  });

  it('is a bounded one-off Job that mounts the backups read-only and is not retried blindly', () => {
    const job = one(synthRestore(PG_RESTORE), 'Job');
    expect(job.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 7200, ttlSecondsAfterFinished: 86400 });
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.volumes).toContainEqual({ name: 'backup', persistentVolumeClaim: { claimName: 'skreaver-backup', readOnly: true } });
    const c = container(pod, 'restore');
    expect(c.env).toContainEqual({ name: 'RESTORE_BACKUP', value: 'skreaver-db-backup-20250101T020000Z.dump' });
    expect(c.env).toContainEqual({ name: 'PGDATABASE', value: 'skreaver_restored' });
    expect(c.command[2]).toContain(`pg_restore --no-password --exit-on-error --single-transaction --no-owner --no-privileges --dbname="dbname='$1'" "$file" &`);
    // createDatabase: built under a temporary name, renamed to the target when complete.
    expect(c.command[2]).toContain("scratch='skreaver_restored_restoring'");
    expect(c.command[2]).toContain('createdb --no-password --maintenance-db=postgres "$scratch"');
    expect(c.command[2]).toContain('ALTER DATABASE :"scratch" RENAME TO :"target";');
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
  });

  it('downloads from object storage in an init container', () => {
    const objs = synthRestore({
      ...PG_RESTORE,
      backup: 'latest',
      source: { s3: { bucket: 'skreaver-backups', prefix: 'db/', credentials: { secretName: 'skreaver-s3' } } },
    });
    const pod = one(objs, 'Job').spec.template.spec;
    expect(pod.initContainers.map((c: Obj) => c.name)).toEqual(['fetch']);
    expect(container(pod, 'fetch').image).toBe('amazon/aws-cli:2.17.0@sha256:643507c10ada7964ca6157b3d799f030b90577643da9955d319a77399ed80d73');
    expect(pod.volumes).toContainEqual({ name: 'backup', emptyDir: { sizeLimit: '512Mi' } });
    expect(one(objs, 'NetworkPolicy').spec.egress).toHaveLength(2);
  });

  it('mounts the data volume of a stopped Redis and the files target', () => {
    const redis = one(synthRestore({ ...PG_RESTORE, engine: REDIS, filePrefix: 'redis-backup', backup: 'latest', createDatabase: false, redisData: { claimName: 'redis-data-redis-0' } }), 'Job');
    expect(redis.spec.template.spec.volumes).toContainEqual({ name: 'redis-data', persistentVolumeClaim: { claimName: 'redis-data-redis-0' } });
    expect(container(redis.spec.template.spec, 'restore').env).toContainEqual({ name: 'REDIS_RDB_FILENAME', value: 'dump.rdb' });
    const files = synthRestore({
      ...PG_RESTORE,
      engine: { type: 'files', claimName: 'audit-logs', accessMode: 'ReadWriteOnce' },
      filePrefix: 'audit-logs-backup',
      backup: 'latest',
      createDatabase: false,
      filesTarget: { claimName: 'audit-logs-restored', subPath: 'weaver' },
    });
    expect(container(one(files, 'Job').spec.template.spec, 'restore').env).toContainEqual({ name: 'TARGET_DIR', value: '/restore/weaver' });
    // The restore does not talk to a server.
    expect(one(files, 'NetworkPolicy').spec.egress).toEqual([]);
    for (const v of ['1.28', '1.31'] as const) expect(validateSchema([...files, ...synthRestore(PG_RESTORE)], { kubernetesVersion: v })).toEqual([]);
  });

  it.each([
    ['two sources', { source: { volume: { claimName: 'a' }, s3: { bucket: 'bkt', credentials: { secretName: 's' } } } }, 'test/Restore props.source: names both a volume and s3, got {"volume":{"claimName":"a"},"s3":{"bucket":"bkt","credentials":{"secretName":...; give exactly one of source.volume or source.s3'],
    ['no source', { source: {} }, 'test/Restore props.source: names no source, got {}; give exactly one of source.volume or source.s3'],
    [
      'a backup of another prefix',
      { backup: 'other-20250101T020000Z.dump' },
      "test/Restore props.backup: is not a postgres backup of prefix skreaver-db-backup, got \"other-20250101T020000Z.dump\"; give a name like 'skreaver-db-backup-YYYYMMDDTHHMMSSZ.dump'",
    ],
    [
      'a name that is no backup',
      { backup: 'skreaver.sql' },
      "test/Restore props.backup: is not a backup file name, got \"skreaver.sql\"; give '<prefix>-YYYYMMDDTHHMMSSZ.<ext>' as listed in the backup directory, or 'latest'",
    ],
    ['Redis without its data volume', { engine: REDIS, filePrefix: 'redis-backup', backup: 'latest', createDatabase: false }, "test/Restore props.redisData: is missing for a Redis restore, got undefined; give the claim of the stopped server's data directory"],
    [
      '--clean on a plain dump',
      { engine: { ...(PG_RESTORE.engine as object), format: 'plain' } as RestoreJobProps['engine'], backup: 'latest', clean: true },
      'test/Restore props.clean: only applies to PostgreSQL custom-format backups, got true; remove it, or restore into a fresh database',
    ],
    ['an activeDeadlineSeconds of zero', { activeDeadlineSeconds: 0 }, 'test/Restore props.activeDeadlineSeconds: must be greater than 0, got 0; give the longest acceptable run in seconds, like 7200'],
  ])('rejects %s', (_what, props, message) => {
    expect(errorOf(() => synthRestore({ ...PG_RESTORE, ...props } as RestoreJobProps))).toBe(`invalid props for test/Restore:\n  ${message}`);
  });
});
