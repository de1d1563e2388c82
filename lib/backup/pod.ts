import { ANNOTATIONS } from '../internal/labels.js';
import { k8s } from '../internal/plus.js';
import { renderEgressRule, renderPodPeer, renderPorts } from '../network/peers.js';
import { defaultPullPolicy, hardenedContainerSecurityContext, renderResources, type ResolvedResources } from '../workload/container.js';
import { backupExtension, enginePort, type Destination, type Engine } from './engines.js';
import type { Retention, S3Target } from './targets.js';

/**
 * Pieces of the pods of {@link BackupCronJob} and {@link RestoreJob}: the
 * environment the scripts read, volumes, containers, the pod security
 * context and the egress rules.
 */

/** Where the pods mount things; the scripts read these through env vars. */
export const PATHS = {
  backup: '/backup',
  scratch: '/scratch',
  source: '/source',
  pgpass: '/secrets/pgpass',
  redisData: '/data',
  restoreTarget: '/restore',
} as const;

const value = (name: string, v: string | number): k8s.EnvVar => ({ name, value: String(v) });
const secret = (name: string, ref: { name: string; key: string }): k8s.EnvVar => ({ name, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } });

/** Variables every script reads. */
export function commonEnv(prefix: string, e: Engine, backupDir: string): k8s.EnvVar[] {
  return [
    value('BACKUP_DIR', backupDir),
    value('BACKUP_PREFIX', prefix),
    value('BACKUP_EXT', backupExtension(e)),
    value('SCRATCH_DIR', PATHS.scratch),
    value('HOME', PATHS.scratch),
  ];
}

/** Retention variables. */
export function retentionEnv(r: Retention): k8s.EnvVar[] {
  return [value('RETENTION_DAYS', r.days), value('RETENTION_MIN_KEEP', r.minKeep)];
}

/** The engine's connection: libpq's own variables, or the Redis ones, or the source directory. */
export function engineEnv(e: Engine, applicationName: string): k8s.EnvVar[] {
  switch (e.type) {
    case 'postgres':
      return [
        value('PGHOST', e.host),
        value('PGPORT', e.port),
        value('PGDATABASE', e.database),
        value('PGUSER', e.user),
        value('PGSSLMODE', e.sslMode),
        value('PGCONNECT_TIMEOUT', 30),
        value('PGAPPNAME', applicationName),
        ...(e.password ? [secret('PGPASSWORD', e.password)] : []),
        ...(e.passFile ? [value('PGPASSFILE_SOURCE', `${PATHS.pgpass}/pgpass`)] : []),
      ];
    case 'redis':
      return [
        value('REDIS_HOST', e.host),
        value('REDIS_PORT', e.port),
        ...(e.user ? [value('REDIS_USER', e.user)] : []),
        ...(e.password ? [secret('REDISCLI_AUTH', e.password)] : []),
      ];
    case 'files':
      return [value('SOURCE_DIR', e.subPath ? `${PATHS.source}/${e.subPath}` : PATHS.source)];
  }
}

/** Object-storage variables of the upload and fetch containers. */
export function s3Env(s3: S3Target): k8s.EnvVar[] {
  return [
    value('S3_BUCKET', s3.bucket),
    value('S3_PREFIX', s3.prefix),
    ...(s3.endpoint ? [value('S3_ENDPOINT', s3.endpoint)] : []),
    value('S3_FORCE_PATH_STYLE', String(s3.forcePathStyle)),
    value('AWS_DEFAULT_REGION', s3.region),
    secret('AWS_ACCESS_KEY_ID', { name: s3.credentials.secretName, key: s3.credentials.accessKeyIdKey }),
    secret('AWS_SECRET_ACCESS_KEY', { name: s3.credentials.secretName, key: s3.credentials.secretAccessKeyKey }),
    // The pod cannot reach instance metadata (the NetworkPolicy), so skip the lookup and its timeouts.
    value('AWS_EC2_METADATA_DISABLED', 'true'),
    // CLI 2.23+ sends CRC checksums by default, which many S3-compatible stores reject.
    value('AWS_REQUEST_CHECKSUM_CALCULATION', 'when_required'),
    value('AWS_RESPONSE_CHECKSUM_VALIDATION', 'when_required'),
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

/** A scratch emptyDir. */
export function emptyDir(name: string, sizeLimit: string): k8s.Volume {
  return { name, emptyDir: { sizeLimit: k8s.Quantity.fromString(sizeLimit) } };
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
  return {
    name: opts.name,
    image: opts.image,
    imagePullPolicy: defaultPullPolicy(opts.image),
    command: ['/bin/sh', '-c', opts.script],
    env: opts.env,
    resources: renderResources(opts.resources),
    securityContext: hardenedContainerSecurityContext(),
    volumeMounts: opts.mounts,
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

/** The egress rule to the engine's server, when it has one. */
export function engineEgress(e: Engine, namespace: string): k8s.NetworkPolicyEgressRule | undefined {
  const port = enginePort(e);
  if (port === undefined || e.type === 'files') return undefined;
  return destinationEgress(e.destination, port, namespace);
}

function destinationEgress(d: Destination, port: number, namespace: string): k8s.NetworkPolicyEgressRule {
  const to: k8s.NetworkPolicyPeer =
    'pods' in d ? renderPodPeer(d.pods, namespace) : { ipBlock: { cidr: d.cidr, ...(d.except.length > 0 ? { except: [...d.except] } : {}) } };
  return { to: [to], ports: renderPorts([{ port, protocol: 'TCP' }]) };
}

/** The egress rule to object storage. */
export function s3Egress(s3: S3Target, namespace: string): k8s.NetworkPolicyEgressRule {
  return renderEgressRule(s3.egress, namespace);
}

/**
 * The depends-on annotation (`<ns>/<app>:<port>`) for a database run by pods
 * labelled `app.kubernetes.io/name`, read by the network invariants.
 */
export function dependsOn(e: Engine, namespace: string): Record<string, string> {
  if (e.type === 'files' || !('pods' in e.destination)) return {};
  const app = e.destination.pods.podLabels['app.kubernetes.io/name'];
  return app ? { [ANNOTATIONS.dependsOn]: `${e.destination.pods.namespace ?? namespace}/${app}:${e.port}` } : {};
}
