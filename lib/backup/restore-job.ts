import { Construct } from 'constructs';
import type { k8s } from '../internal/plus.js';
import { anyMutableImage, createJob, createNetworkPolicy, createServiceAccount, devProfileWaivers, parseConstructProps, setPrimary, workloadIdentity } from '../kit/index.js';
import { resolveResources } from '../workload/container.js';
import { engineImage } from './engines.js';
import { backupVolume, commonEnv, dependsOn, engineEnv, jobEgress, jobPodSpec, passFileVolume, PATHS, redisCaVolume, s3Env, scratch, scriptContainer } from './pod.js';
import { RestoreJobPropsSchema, type RestoreJobConfig, type RestoreJobProps } from './restore-job-props.js';
import { fetchScript, restoreScript } from './scripts.js';

/** Construct ids of the children: part of the API, since they name objects. */
export const RestoreJobIds = {
  Job: 'Job',
  ServiceAccount: 'ServiceAccount',
  NetworkPolicy: 'NetworkPolicy',
} as const;

/**
 * A one-off Job that restores a backup written by {@link BackupCronJob}.
 * It checks the backup against its checksum and its engine's check before
 * touching anything. A restore is all or nothing: the target ends up fully
 * restored or exactly as it was, and the last lines of the log say which.
 *
 * - PostgreSQL with `createDatabase`: restores into a new database under a
 *   temporary name (`<database>_restoring`) and renames it to
 *   `engine.database` in one transaction when complete, so the target never
 *   exists half-restored; into an existing database, in one transaction
 *   (`pg_restore --single-transaction`, or psql for plain dumps; a plain dump
 *   with large objects, whose own BEGIN/COMMIT would split it, is refused);
 * - Redis/Valkey: an RDB can only be loaded at start-up, so a restore is
 *   stop, restore, start. Scale the server to 0, run this Job (it refuses
 *   while the server answers, copies and checks the RDB beside the live one,
 *   then swaps it in with one rename, moving any AOF aside), then start the
 *   server with `appendonly no`; if it uses AOF, `CONFIG SET appendonly yes`
 *   rewrites the AOF from the loaded data, after which the usual
 *   configuration applies again;
 * - files: extracts the archive, with its modes and times, into an empty
 *   directory of a volume.
 *
 * Apply it once, on purpose, from a chart of its own (see
 * docs/backup-and-restore.md): it is not part of an app's steady state.
 *
 * @see https://www.postgresql.org/docs/current/app-pgrestore.html
 * @see https://redis.io/docs/latest/operate/oss_and_stack/management/persistence/
 */
export class RestoreJob extends Construct {
  /** Object name of the Job. */
  public readonly name: string;
  /** The Job (the default child). */
  public readonly job: k8s.KubeJob;
  /** The dedicated ServiceAccount (absent when `serviceAccountName` brings one). */
  public readonly serviceAccount?: k8s.KubeServiceAccount;
  /** The NetworkPolicy of the pod: no ingress; egress to the database and the storage. */
  public readonly networkPolicy: k8s.KubeNetworkPolicy;

  constructor(scope: Construct, id: string, props: RestoreJobProps) {
    super(scope, id);
    const p = parseConstructProps(this, RestoreJobPropsSchema, props);
    const { name, namespace: ns, engine } = p;
    this.name = name;
    const w = workloadIdentity(this, { namespace: ns, name, image: engineImage(engine), component: 'restore', partOf: p.partOf, labels: p.labels });
    const images = [engineImage(engine), ...(p.source.s3 ? [p.source.s3.image] : [])];
    this.job = setPrimary(this, createJob(this, RestoreJobIds.Job, w, {
      backoffLimit: p.backoffLimit,
      activeDeadlineSeconds: p.activeDeadlineSeconds,
      ttlSecondsAfterFinished: p.ttlSecondsAfterFinished,
      podSpec: restorePodSpec(p),
      podAnnotations: dependsOn(engine, ns),
      annotations: devProfileWaivers(p.profile, { mutableImage: anyMutableImage(images) }),
    }));
    if (!p.serviceAccountName) this.serviceAccount = createServiceAccount(this, RestoreJobIds.ServiceAccount, w);
    this.networkPolicy = createNetworkPolicy(this, RestoreJobIds.NetworkPolicy, w, { ingress: [], egress: jobEgress(engine, p.source.s3, ns) });
  }
}

/**
 * The restore pod: the restore container, after a fetch container when the
 * backup comes from object storage. Volumes: scratch, the backups (the
 * claim read-only, or an emptyDir the fetch fills), the Redis data or files
 * target, a .pgpass Secret.
 */
function restorePodSpec(p: RestoreJobConfig): k8s.PodSpec {
  const { engine } = p;
  const base = [scratch(p.scratchSize), backupVolume(p.source.volume?.claimName, p.scratchSize, true)];
  const parts = [...base];
  const env: k8s.EnvVar[] = [{ name: 'RESTORE_BACKUP', value: p.backup }];
  if (engine.type === 'redis' && p.redisData) {
    parts.push({ volume: { name: 'redis-data', persistentVolumeClaim: { claimName: p.redisData.claimName } }, mount: { name: 'redis-data', mountPath: PATHS.redisData } });
    env.push({ name: 'REDIS_DATA_DIR', value: PATHS.redisData }, { name: 'REDIS_RDB_FILENAME', value: p.redisData.rdbFileName });
  }
  if (engine.type === 'files' && p.filesTarget) {
    parts.push({ volume: { name: 'restore', persistentVolumeClaim: { claimName: p.filesTarget.claimName } }, mount: { name: 'restore', mountPath: PATHS.restoreTarget } });
    env.push({ name: 'TARGET_DIR', value: p.filesTarget.subPath ? `${PATHS.restoreTarget}/${p.filesTarget.subPath}` : PATHS.restoreTarget });
  }
  const pgpass = passFileVolume(engine);
  if (pgpass) parts.push(pgpass);
  const redisCa = redisCaVolume(engine);
  if (redisCa) parts.push(redisCa);
  const resources = resolveResources(p.resources);
  // The files engine's source directory is not read by a restore.
  const connection = engine.type === 'files' ? [] : engineEnv(engine, p.name);
  const restore = scriptContainer({
    name: 'restore',
    image: engineImage(engine),
    script: restoreScript(engine, { createDatabase: p.createDatabase, clean: p.clean, noOwner: p.noOwner, checkStopped: p.checkStopped }),
    env: [...commonEnv(p.filePrefix, engine, PATHS.backup), ...env, ...connection],
    mounts: parts.map((x) => x.mount),
    resources,
  });
  const s3 = p.source.s3;
  const fetch = s3
    ? scriptContainer({
        name: 'fetch',
        image: s3.image,
        script: fetchScript(),
        env: [...commonEnv(p.filePrefix, engine, PATHS.backup), { name: 'RESTORE_BACKUP', value: p.backup }, ...s3Env({ ...s3, retention: undefined })],
        mounts: base.map((x) => x.mount),
        resources,
      })
    : undefined;
  return jobPodSpec(p, { initContainers: fetch ? [fetch] : undefined, containers: [restore], volumes: parts.map((x) => x.volume) });
}
