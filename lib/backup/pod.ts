import type { k8s } from '../internal/plus.js';
import {
  dependencyEdges,
  dependsOnAnnotation,
  egressRule,
  emptyDirVolume,
  envFromSecret,
  envValue,
  hardenedContainer,
  restrictedPodSpec,
  type ResolvedResources,
} from '../kit/index.js';
import { renderEgressRule } from '../network/peers.js';
import { REDIS } from '../core/redis.js';
import { backupExtension, enginePort, engineUid, type Engine } from './engines.js';
import type { Retention, S3Target } from './targets.js';

/**
 * Pieces of the pods of {@link BackupCronJob} and {@link RestoreJob}: the
 * environment the scripts read, volumes, containers, the pod spec and the
 * egress rules.
 */

/** Where the pods mount things; the scripts read these through env vars. */
export const PATHS = {
  backup: '/backup',
  scratch: '/scratch',
  source: '/source',
  pgpass: '/secrets/pgpass',
  redisCa: '/secrets/redis-ca',
  redisData: REDIS.dataDir,
  restoreTarget: '/restore',
} as const;

/** Variables every script reads. */
export function commonEnv(prefix: string, e: Engine, backupDir: string): k8s.EnvVar[] {
  return [
    envValue('BACKUP_DIR', backupDir),
    envValue('BACKUP_PREFIX', prefix),
    envValue('BACKUP_EXT', backupExtension(e)),
    envValue('SCRATCH_DIR', PATHS.scratch),
    envValue('HOME', PATHS.scratch),
  ];
}

/** Retention variables. */
export function retentionEnv(r: Retention): k8s.EnvVar[] {
  return [envValue('RETENTION_DAYS', r.days), envValue('RETENTION_MIN_KEEP', r.minKeep)];
}

/** The engine's connection: libpq's own variables, or the Redis ones, or the source directory. */
export function engineEnv(e: Engine, applicationName: string): k8s.EnvVar[] {
  switch (e.type) {
    case 'postgres':
      return [
        envValue('PGHOST', e.host),
        envValue('PGPORT', e.port),
        envValue('PGDATABASE', e.database),
        envValue('PGUSER', e.user),
        envValue('PGSSLMODE', e.sslMode),
        envValue('PGCONNECT_TIMEOUT', 30),
        envValue('PGAPPNAME', applicationName),
        ...(e.password ? [envFromSecret('PGPASSWORD', e.password)] : []),
        ...(e.passFile ? [envValue('PGPASSFILE_SOURCE', `${PATHS.pgpass}/pgpass`)] : []),
      ];
    case 'redis':
      return [
        envValue('REDIS_HOST', e.host),
        envValue('REDIS_PORT', e.port),
        ...(e.user ? [envValue('REDIS_USER', e.user)] : []),
        ...(e.password ? [envFromSecret('REDISCLI_AUTH', e.password)] : []),
        ...(e.tlsCa ? [envValue('REDIS_TLS_CA_FILE', `${PATHS.redisCa}/ca.crt`)] : []),
      ];
    case 'files':
      return [envValue('SOURCE_DIR', e.subPath ? `${PATHS.source}/${e.subPath}` : PATHS.source)];
  }
}

/** Object-storage variables of the upload and fetch containers. */
export function s3Env(s3: S3Target): k8s.EnvVar[] {
  return [
    envValue('S3_BUCKET', s3.bucket),
    envValue('S3_PREFIX', s3.prefix),
    ...(s3.endpoint ? [envValue('S3_ENDPOINT', s3.endpoint)] : []),
    envValue('S3_FORCE_PATH_STYLE', String(s3.forcePathStyle)),
    envValue('AWS_DEFAULT_REGION', s3.region),
    envFromSecret('AWS_ACCESS_KEY_ID', { name: s3.credentials.secretName, key: s3.credentials.accessKeyIdKey }),
    envFromSecret('AWS_SECRET_ACCESS_KEY', { name: s3.credentials.secretName, key: s3.credentials.secretAccessKeyKey }),
    // The pod cannot reach instance metadata (the NetworkPolicy), so skip the lookup and its timeouts.
    envValue('AWS_EC2_METADATA_DISABLED', 'true'),
    // CLI 2.23+ sends CRC checksums by default, which many S3-compatible stores reject.
    envValue('AWS_REQUEST_CHECKSUM_CALCULATION', 'when_required'),
    envValue('AWS_RESPONSE_CHECKSUM_VALIDATION', 'when_required'),
  ];
}

/** Volume of a `.pgpass` Secret key, when the engine uses one. */
export function passFileVolume(e: Engine): { volume: k8s.Volume; mount: k8s.VolumeMount } | undefined {
  if (e.type !== 'postgres' || !e.passFile) return undefined;
  return {
    volume: { name: 'pgpass', secret: { secretName: e.passFile.name, items: [{ key: e.passFile.key, path: 'pgpass' }], defaultMode: 0o440 } },
    mount: { name: 'pgpass', mountPath: PATHS.pgpass, readOnly: true },
  };
}

/** Volume of the CA bundle a TLS Redis is checked against, when the engine names one. */
export function redisCaVolume(e: Engine): { volume: k8s.Volume; mount: k8s.VolumeMount } | undefined {
  if (e.type !== 'redis' || !e.tlsCa) return undefined;
  return {
    volume: { name: 'redis-ca', secret: { secretName: e.tlsCa.name, items: [{ key: e.tlsCa.key, path: 'ca.crt' }], defaultMode: 0o444 } },
    mount: { name: 'redis-ca', mountPath: PATHS.redisCa, readOnly: true },
  };
}

/** The scratch emptyDir (HOME, and the hand-over between containers). */
export function scratch(sizeLimit: string): { volume: k8s.Volume; mount: k8s.VolumeMount } {
  return { volume: emptyDirVolume('scratch', sizeLimit), mount: { name: 'scratch', mountPath: PATHS.scratch } };
}

/** The backups: a claim, or (with object storage only) an emptyDir staging them. */
export function backupVolume(claimName: string | undefined, sizeLimit: string, readOnly: boolean): { volume: k8s.Volume; mount: k8s.VolumeMount } {
  return {
    volume: claimName ? { name: 'backup', persistentVolumeClaim: { claimName, ...(readOnly ? { readOnly: true } : {}) } } : emptyDirVolume('backup', sizeLimit),
    mount: { name: 'backup', mountPath: PATHS.backup, ...(claimName && readOnly ? { readOnly: true } : {}) },
  };
}

/** A container running a script with `/bin/sh -c`, hardened like every container of the library. */
export function scriptContainer(opts: {
  name: string;
  image: string;
  script: string;
  env: k8s.EnvVar[];
  mounts: k8s.VolumeMount[];
  resources: ResolvedResources;
}): k8s.Container {
  return hardenedContainer({ ...opts, command: ['/bin/sh', '-c', opts.script], volumeMounts: opts.mounts });
}

/** Pod props every backup and restore Job takes (`jobPodProps`), parsed. */
export interface JobPodConfig {
  readonly name: string;
  readonly engine: Engine;
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly serviceAccountName?: string;
  readonly imagePullSecrets: readonly string[];
}

/**
 * The pod spec of a backup or restore Job: `restartPolicy: Never` (each
 * retry a new pod, so a failed attempt's logs stay readable), the engine's
 * UID (or the one given), no API token, the containers and volumes given.
 */
export function jobPodSpec(
  p: JobPodConfig,
  parts: { initContainers?: k8s.Container[]; containers: k8s.Container[]; volumes: k8s.Volume[]; affinity?: k8s.Affinity },
): k8s.PodSpec {
  const runAsUser = p.runAsUser ?? engineUid(p.engine);
  return restrictedPodSpec({
    restartPolicy: 'Never',
    serviceAccountName: p.serviceAccountName ?? p.name,
    runAs: { runAsUser, runAsGroup: p.runAsGroup ?? runAsUser },
    imagePullSecrets: p.imagePullSecrets,
    ...parts,
  });
}

/** Egress of a Job pod: the engine's server (when it has one) and the object storage (when used). */
export function jobEgress(e: Engine, s3: Pick<S3Target, 'egress'> | undefined, namespace: string): k8s.NetworkPolicyEgressRule[] {
  const port = enginePort(e);
  return [
    ...(port !== undefined && e.type !== 'files' ? [egressRule(e.destination, [port], namespace)] : []),
    ...(s3 ? [renderEgressRule(s3.egress, namespace)] : []),
  ];
}

/**
 * The depends-on annotation (`<ns>/<app>:<port>`) for a database run by pods
 * labelled `app.kubernetes.io/name`, read by the network invariants.
 */
export function dependsOn(e: Engine, namespace: string): Record<string, string> {
  if (e.type === 'files' || !('pods' in e.destination)) return {};
  return dependsOnAnnotation(dependencyEdges([{ pods: e.destination.pods, ports: [{ port: e.port }] }], namespace));
}
