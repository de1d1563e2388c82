import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { ANNOTATIONS } from '../internal/labels.js';
import type { WorkloadIdentity } from '../kit/index.js';
import { formatCpu, parseQuantity } from '../core/quantity.js';
import { maxConnections, postgresResources, postgresSettings, POSTGRES_TIERS, type PostgresStoreConfig } from './postgres-store-props.js';

/**
 * The CloudNativePG objects of the `cloudNativePg` mode, written against
 * the operator's v1.30.0 CRDs (`lib/crds/cloudnative-pg`), whose schemas the
 * verification checks every object of these kinds against at synth.
 * @see https://cloudnative-pg.io/documentation/current/cloudnative-pg.v1/
 */

/** The instances of a Cluster, by profile when not given. */
export function cnpgInstances(p: PostgresStoreConfig): number {
  return p.cloudNativePg?.instances ?? (p.profile === 'production' ? 3 : p.profile === 'staging' ? 2 : 1);
}

/** The settings CloudNativePG lets a Cluster set (it manages listen_addresses and the preload of its own extensions). */
function clusterParameters(p: PostgresStoreConfig): Record<string, string> {
  const { listen_addresses: _listen, shared_preload_libraries: _preload, ...rest } = postgresSettings(p);
  return rest;
}

/** Resources in the API's form. */
function apiResources(p: PostgresStoreConfig) {
  const r = postgresResources(p);
  const set = (s: typeof r.requests) => ({ cpu: formatCpu(parseQuantity(s.cpu) ?? 0), memory: s.memory, 'ephemeral-storage': s.ephemeralStorage });
  return { requests: set(r.requests), limits: set(r.limits) };
}

/** The Cluster: instances, storage, the owner bootstrapped from its Secret, the tier's parameters, pg_stat_statements, backups. */
export function createCnpgCluster(scope: Construct, id: string, w: WorkloadIdentity, p: PostgresStoreConfig): ApiObject {
  const c = p.cloudNativePg!;
  const backup = c.backup;
  return new ApiObject(scope, id, {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    // The instances (and the Pooler's pods) exist only once the operator runs: declared for the verification's network checks.
    metadata: w.meta('Cluster', undefined, {
      [ANNOTATIONS.externalRefs]: [`Pod/${p.name}`, ...(c.pooler ? [`Pod/${p.name}-pooler-rw`] : [])].join(','),
      // What clients may use of max_connections, for the connection budget check.
      [ANNOTATIONS.connectionLimit]: String(maxConnections(p) - p.reservedConnections),
    }),
    spec: {
      instances: cnpgInstances(p),
      ...(c.imageName ? { imageName: c.imageName } : {}),
      // The pods carry the store's labels, so its NetworkPolicy and clients select them.
      inheritedMetadata: { labels: { ...w.labels } },
      storage: { size: p.storage?.size ?? POSTGRES_TIERS[p.tier].storage, ...(p.storage?.storageClassName ? { storageClass: p.storage.storageClassName } : {}) },
      resources: apiResources(p),
      bootstrap: { initdb: { database: p.database, owner: p.owner, secret: { name: p.auth.secretName }, postInitSQL: ['CREATE EXTENSION IF NOT EXISTS pg_stat_statements'] } },
      postgresql: { parameters: clusterParameters(p) },
      // Spread over nodes (required) and zones.
      affinity: { enablePodAntiAffinity: true, podAntiAffinityType: 'required', topologyKey: 'kubernetes.io/hostname' },
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { 'cnpg.io/cluster': p.name } } }],
      ...(backup
        ? {
            backup: {
              retentionPolicy: backup.retentionPolicy,
              barmanObjectStore: {
                destinationPath: backup.destinationPath,
                ...(backup.endpointUrl ? { endpointURL: backup.endpointUrl } : {}),
                s3Credentials: {
                  accessKeyId: { name: backup.credentialsSecret, key: 'ACCESS_KEY_ID' },
                  secretAccessKey: { name: backup.credentialsSecret, key: 'ACCESS_SECRET_KEY' },
                },
                wal: { compression: 'gzip' },
              },
            },
          }
        : {}),
    },
  });
}

/** The ScheduledBackup of the Cluster's base backups. */
export function createCnpgScheduledBackup(scope: Construct, id: string, w: WorkloadIdentity, p: PostgresStoreConfig): ApiObject {
  return new ApiObject(scope, id, {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'ScheduledBackup',
    metadata: w.meta('ScheduledBackup', `${p.name}-daily`),
    spec: { schedule: p.cloudNativePg!.backup!.schedule, cluster: { name: p.name }, method: 'barmanObjectStore', backupOwnerReference: 'self', immediate: true },
  });
}

/** The Pooler: PgBouncer in transaction mode in front of the primary. */
export function createCnpgPooler(scope: Construct, id: string, pw: WorkloadIdentity, p: PostgresStoreConfig): ApiObject {
  const pooler = p.cloudNativePg!.pooler!;
  return new ApiObject(scope, id, {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Pooler',
    metadata: pw.meta('Pooler'),
    spec: {
      cluster: { name: p.name },
      instances: pooler.instances,
      type: 'rw',
      template: { metadata: { labels: { ...pw.labels } }, spec: { containers: [] } },
      pgbouncer: {
        poolMode: 'transaction',
        parameters: { max_client_conn: String(pooler.maxClientConn), default_pool_size: String(pooler.defaultPoolSize) },
      },
    },
  });
}

/** A PodMonitor scraping the instances' metrics port (the operator's own exporter, port 9187). */
export function createCnpgPodMonitor(scope: Construct, id: string, w: WorkloadIdentity, p: PostgresStoreConfig, release: string | false): ApiObject {
  const meta = w.meta('PodMonitor');
  return new ApiObject(scope, id, {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PodMonitor',
    metadata: { ...meta, labels: { ...meta.labels, ...(release !== false ? { release } : {}) } },
    spec: { selector: { matchLabels: { 'cnpg.io/cluster': p.name } }, podMetricsEndpoints: [{ port: 'metrics' }] },
  });
}
