import { defaultImage } from './images.js';

/**
 * Redis and Valkey, described once: the ports, paths, images, programs and
 * exporter metrics that the backup and restore Jobs, the alert library and
 * the RedisStore construct share. Values only; each user renders
 * its own objects from them.
 */
export const REDIS = {
  /** The server port. */
  port: 6379,
  /** Sentinel's port. */
  sentinelPort: 26379,
  /** The data directory of the official images (`dir`), where the RDB and AOF live. */
  dataDir: '/data',
  /** The RDB file name (`dbfilename`) the servers default to. */
  rdbFileName: 'dump.rdb',
  /** Client images and program names of each flavor; the images have busybox ash as their shell. */
  flavors: {
    redis: { image: defaultImage('redis'), server: 'redis-server', sentinel: 'redis-sentinel', cli: 'redis-cli', checkRdb: 'redis-check-rdb' },
    valkey: { image: defaultImage('valkey'), server: 'valkey-server', sentinel: 'valkey-sentinel', cli: 'valkey-cli', checkRdb: 'valkey-check-rdb' },
  },
  /** redis_exporter: its port and the metrics the alert library reads. */
  exporter: {
    port: 9121,
    /** The `source` of these metrics in an alert's `requires`. */
    source: 'redis_exporter',
    metrics: {
      up: 'redis_up',
      keyspaceHits: 'redis_keyspace_hits_total',
      keyspaceMisses: 'redis_keyspace_misses_total',
    },
  },
} as const;

/** A Redis flavor: `redis` or `valkey`. */
export type RedisFlavor = keyof typeof REDIS.flavors;
