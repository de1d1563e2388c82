import { z } from 'zod';
import { parseQuantity } from '../core/quantity.js';
import { bytesQuantity, dnsSubdomain, labelMap } from '../core/schemas.js';
import { DEFAULT_MONITORING_SOURCE, podPeerSchema, type PodPeer } from '../network/peers.js';
import { explicitResourcesSchema, type ExplicitResources } from '../workload/container.js';

/** Requests and limits of a store's container: the library's {@link ExplicitResources}. */
export type StoreResources = ExplicitResources;

/** Explicit requests and limits, each request at most its limit. */
export const storeResourcesSchema = explicitResourcesSchema;

/**
 * Props pieces every data store shares: the container resources of a tier
 * or given explicitly, the declared clients, the exporter and its
 * ServiceMonitor, persistent storage.
 */

/** Persistent storage of a store: one claim per pod. */
export interface StoreStorage {
  /** Size of each pod's claim, like `10Gi`. @see https://kubernetes.io/docs/concepts/storage/persistent-volumes/#capacity */
  readonly size: string;
  /** StorageClass of the claims. @default - the cluster's default StorageClass */
  readonly storageClassName?: string;
}

/** See {@link StoreStorage}. */
export const storeStorageSchema = z.strictObject({ size: bytesQuantity, storageClassName: dnsSubdomain.optional() });

/** The Prometheus exporter sidecar of a store and the ServiceMonitor that scrapes it. */
export interface StoreMonitoring {
  /** Image of the exporter. @default - a pinned release of the store's usual exporter */
  readonly image?: string;
  /**
   * The `release` label kube-prometheus-stack selects ServiceMonitors on, or
   * `false` when your Prometheus selects on something else.
   * @default 'kube-prometheus-stack'
   */
  readonly release?: string | false;
  /** Prometheus pods that scrape the exporter; the NetworkPolicy admits them. @default - Prometheus pods in namespace `monitoring` */
  readonly scrapedBy?: PodPeer;
}

/** The exporter's schema, its default image given by the store. */
export function storeMonitoringSchema(defaultImage: string) {
  return z.strictObject({
    image: z.string().min(1).default(defaultImage),
    release: z.union([z.string().min(1), z.literal(false)]).default('kube-prometheus-stack'),
    scrapedBy: podPeerSchema.default(DEFAULT_MONITORING_SOURCE),
  });
}

/** Clients admitted from the start, besides those added with `allowFrom`. */
export const clientsSchema = z.array(podPeerSchema).default([]);

/** User labels of every object. */
export const storeLabelsSchema = labelMap.default({});

/**
 * The bytes of a memory quantity, or undefined when it is none; zod has
 * already checked the grammar where this is called.
 */
export function bytesOf(q: string): number {
  return parseQuantity(q) ?? Number.NaN;
}
