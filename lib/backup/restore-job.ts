import { Construct } from 'constructs';
import { parseImage } from '../core/image.js';
import { recommendedLabels, selectorLabels, toLabelValue } from '../internal/labels.js';
import { claimName } from '../internal/names.js';
import { k8s } from '../internal/plus.js';
import { parseProps } from '../internal/props.js';
import { ensureVerification } from '../validation/synth.js';
import { resolveResources, restrictedPodSecurityContext } from '../workload/container.js';
import { engineImage, engineUid } from './engines.js';
import { commonEnv, dependsOn, emptyDir, engineEgress, engineEnv, passFileVolume, PATHS, s3Egress, s3Env, scriptContainer } from './pod.js';
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
  /** The parsed props, defaults applied. */
  public readonly config: RestoreJobConfig;
  /** Object name of the Job. */
  public readonly name: string;
  /** The Job. */
  public readonly job: k8s.KubeJob;
  /** The dedicated ServiceAccount (absent when `serviceAccountName` brings one). */
  public readonly serviceAccount?: k8s.KubeServiceAccount;
  /** The NetworkPolicy of the pod: no ingress; egress to the database and the storage. */
  public readonly networkPolicy: k8s.KubeNetworkPolicy;

  constructor(scope: Construct, id: string, props: RestoreJobProps) {
    super(scope, id);
    const p = parseProps(this, RestoreJobPropsSchema, props);
    ensureVerification(this);
    this.config = p;
    const { name, namespace: ns, engine } = p;
    this.name = name;
    const image = engineImage(engine);
    const labelInputs = { name, instance: name, version: toLabelValue(parseImage(image)?.tag), component: 'restore', partOf: p.partOf };
    const labels = recommendedLabels(labelInputs, p.labels);
    const selector = selectorLabels(labelInputs);
    const meta = (objName: string, kind: string) => {
      claimName(this, kind, ns, objName);
      return { name: objName, namespace: ns, labels };
    };

    const volumes: k8s.Volume[] = [emptyDir('scratch', p.scratchSize)];
    const scratch: k8s.VolumeMount = { name: 'scratch', mountPath: PATHS.scratch };
    const backups: k8s.VolumeMount = { name: 'backup', mountPath: PATHS.backup, ...(p.source.volume ? { readOnly: true } : {}) };
    volumes.push(
      p.source.volume ? { name: 'backup', persistentVolumeClaim: { claimName: p.source.volume.claimName, readOnly: true } } : emptyDir('backup', p.scratchSize),
    );
    const mounts: k8s.VolumeMount[] = [scratch, backups];
    const extraEnv: k8s.EnvVar[] = [{ name: 'RESTORE_BACKUP', value: p.backup }];
    if (engine.type === 'redis' && p.redisData) {
      volumes.push({ name: 'redis-data', persistentVolumeClaim: { claimName: p.redisData.claimName } });
      mounts.push({ name: 'redis-data', mountPath: PATHS.redisData });
      extraEnv.push({ name: 'REDIS_DATA_DIR', value: PATHS.redisData }, { name: 'REDIS_RDB_FILENAME', value: p.redisData.rdbFileName });
    }
    if (engine.type === 'files' && p.filesTarget) {
      volumes.push({ name: 'restore', persistentVolumeClaim: { claimName: p.filesTarget.claimName } });
      mounts.push({ name: 'restore', mountPath: PATHS.restoreTarget });
      extraEnv.push({ name: 'TARGET_DIR', value: p.filesTarget.subPath ? `${PATHS.restoreTarget}/${p.filesTarget.subPath}` : PATHS.restoreTarget });
    }
    const pgpass = passFileVolume(engine);
    if (pgpass) {
      volumes.push(pgpass.volume);
      mounts.push(pgpass.mount);
    }
    const resources = resolveResources(p.resources);
    // The files engine's source directory is not read by a restore.
    const connection = engine.type === 'files' ? [] : engineEnv(engine, name);
    const restore = scriptContainer({
      name: 'restore',
      image,
      script: restoreScript(engine, { createDatabase: p.createDatabase, clean: p.clean, noOwner: p.noOwner, checkStopped: p.checkStopped }),
      env: [...commonEnv(p.filePrefix, engine, PATHS.backup), ...extraEnv, ...connection],
      mounts,
      resources,
    });
    const s3 = p.source.s3;
    const fetch = s3
      ? scriptContainer({
          name: 'fetch',
          image: s3.image,
          script: fetchScript(),
          env: [...commonEnv(p.filePrefix, engine, PATHS.backup), { name: 'RESTORE_BACKUP', value: p.backup }, ...s3Env({ ...s3, retention: undefined })],
          mounts: [scratch, backups],
          resources,
        })
      : undefined;

    const runAsUser = p.runAsUser ?? engineUid(engine);
    const runAsGroup = p.runAsGroup ?? runAsUser;
    const annotations = dependsOn(engine, ns);
    this.job = new k8s.KubeJob(this, RestoreJobIds.Job, {
      metadata: meta(name, 'Job'),
      spec: {
        backoffLimit: p.backoffLimit,
        activeDeadlineSeconds: p.activeDeadlineSeconds,
        ttlSecondsAfterFinished: p.ttlSecondsAfterFinished,
        template: {
          metadata: { labels, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
          spec: {
            restartPolicy: 'Never',
            serviceAccountName: p.serviceAccountName ?? name,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: restrictedPodSecurityContext(runAsUser, runAsGroup),
            ...(p.imagePullSecrets.length > 0 ? { imagePullSecrets: p.imagePullSecrets.map((s) => ({ name: s })) } : {}),
            ...(fetch ? { initContainers: [fetch] } : {}),
            containers: [restore],
            volumes,
          },
        },
      },
    });

    if (!p.serviceAccountName) {
      this.serviceAccount = new k8s.KubeServiceAccount(this, RestoreJobIds.ServiceAccount, {
        metadata: meta(name, 'ServiceAccount'),
        automountServiceAccountToken: false,
      });
    }
    const egress = [engineEgress(engine, ns), ...(s3 ? [s3Egress({ ...s3, retention: undefined }, ns)] : [])].filter(
      (r): r is k8s.NetworkPolicyEgressRule => r !== undefined,
    );
    this.networkPolicy = new k8s.KubeNetworkPolicy(this, RestoreJobIds.NetworkPolicy, {
      metadata: meta(name, 'NetworkPolicy'),
      spec: { podSelector: { matchLabels: { ...selector } }, policyTypes: ['Ingress', 'Egress'], ingress: [], egress },
    });
  }
}
