import { z } from 'zod';
import { checkImageForProfile, imageReference, parseImage } from '../core/image.js';
import { defaultImage } from '../core/images.js';
import { profileSchema, type Profile } from '../core/profile.js';
import { formatBytes } from '../core/quantity.js';
import { bytesQuantity, dnsLabel, dnsSubdomain } from '../core/schemas.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import { problem } from '../internal/props.js';
import type { PodPeer } from '../network/peers.js';
import {
  bytesOf,
  clientsSchema,
  storeLabelsSchema,
  storeMonitoringSchema,
  storeResourcesSchema,
  storeStorageSchema,
  type StoreMonitoring,
  type StoreResources,
  type StoreStorage,
} from './common.js';
import { REDIS } from '../core/redis.js';

/** The redis_exporter image the store runs by default. */
export const REDIS_EXPORTER_IMAGE = defaultImage('redisExporter');

/**
 * Tiers after the SARK guide's Redis sizes: requests and limits, `io-threads`
 * (1, 2, 4) and `tcp-backlog` (the kernel's `net.core.somaxconn` caps it),
 * and the claim size of a `store`.
 */
export const REDIS_TIERS = {
  small: {
    resources: { requests: { cpu: '250m', memory: '512Mi', ephemeralStorage: '256Mi' }, limits: { cpu: '500m', memory: '1Gi', ephemeralStorage: '1Gi' } },
    ioThreads: 1,
    tcpBacklog: 511,
    storage: '5Gi',
  },
  medium: {
    resources: { requests: { cpu: '500m', memory: '1Gi', ephemeralStorage: '256Mi' }, limits: { cpu: '1', memory: '2Gi', ephemeralStorage: '2Gi' } },
    ioThreads: 2,
    tcpBacklog: 1024,
    storage: '10Gi',
  },
  large: {
    resources: { requests: { cpu: '1', memory: '2Gi', ephemeralStorage: '512Mi' }, limits: { cpu: '2', memory: '4Gi', ephemeralStorage: '4Gi' } },
    ioThreads: 4,
    tcpBacklog: 2048,
    storage: '20Gi',
  },
} as const;

/** A tier of {@link REDIS_TIERS}. */
export type RedisTier = keyof typeof REDIS_TIERS;

/** Eviction policies Redis and Valkey accept. @see https://redis.io/docs/latest/develop/reference/eviction/ */
export const MAXMEMORY_POLICIES = ['noeviction', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl'] as const;

/** Where the passwords come from: keys of one Secret, mounted as files and read by the startup script. */
export interface RedisAuth {
  /** Name of the Secret (an ExternalSecret's target, for instance). */
  readonly secretName: string;
  /** Key of the server password (`requirepass`, and `masterauth` of the replicas). @default 'password' */
  readonly key?: string;
  /** Key of the Sentinel password (Sentinel's `requirepass` and `sentinel-pass`). @default - the server password's key */
  readonly sentinelKey?: string;
}

/** Sentinel settings of the `replicated` topology. @see https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/ */
export interface RedisSentinelOptions {
  /** Name clients ask Sentinel for (`SENTINEL get-master-addr-by-name <masterName>`). @default - the store's name */
  readonly masterName?: string;
  /**
   * Sentinels that must agree the primary is down before a failover. At
   * least a majority of the Sentinels and fewer than all of them: every pod
   * runs one, and the failed primary's Sentinel cannot vote.
   * @default - a majority: floor(sentinels / 2) + 1
   */
  readonly quorum?: number;
  /** Milliseconds without an answer after which a Sentinel thinks the primary is down. @default 5000 */
  readonly downAfterMilliseconds?: number;
  /** Milliseconds a failover may take before another Sentinel retries it. @default 60000 */
  readonly failoverTimeoutMilliseconds?: number;
  /** Replicas that resynchronise with a new primary at the same time. @default 1 */
  readonly parallelSyncs?: number;
}

/**
 * TLS on every port of the store: clients, replication between the
 * members, Sentinel. The plaintext ports are closed (`port 0`), so the
 * server and Sentinel ports (6379, 26379) speak TLS only; replication and
 * Sentinel's connections use TLS too (`tls-replication yes`).
 *
 * The certificate must name what clients and members connect to:
 * `<name>.<namespace>.svc.cluster.local` (the client Service),
 * `*.<name>-headless.<namespace>.svc.cluster.local` (the members, which
 * Sentinel hands out) and `localhost` (the exporter sidecar checks the name
 * it connects to); {@link RedisStore.tlsDnsNames} lists them for a
 * cert-manager Certificate.
 * @see https://redis.io/docs/latest/operate/oss_and_stack/management/security/encryption/
 * @see https://kubernetes.io/docs/concepts/configuration/secret/#tls-secrets
 */
export interface RedisTls {
  /**
   * Name of a `kubernetes.io/tls` Secret with the server certificate and
   * key (`tls.crt`, `tls.key`), as cert-manager writes it; mounted
   * read-only, never copied into the manifest.
   */
  readonly secretName: string;
  /** Secret holding the CA bundle the certificates are checked against. @default - `secretName` (cert-manager writes the issuer's CA as `ca.crt` beside the certificate) */
  readonly caSecretName?: string;
  /** Key of the CA bundle in that Secret. @default 'ca.crt' */
  readonly caKey?: string;
  /**
   * Require a client certificate signed by the CA (`tls-auth-clients yes`)
   * besides the password. The members, probes and exporter present the
   * store's own certificate, which then needs the `client auth` usage too;
   * your clients need certificates of their own.
   * @default false - clients prove themselves with the password only
   */
  readonly authClients?: boolean;
}

/** Alerts on the store (redis_exporter and kube-state-metrics series). */
export interface RedisAlerting {
  /** Prefix of the alert names. @default - the store's name in PascalCase */
  readonly alertPrefix?: string;
  /**
   * A PrometheusRule of the store's own, `<name>-alerts`. Without it, hand
   * the alerts to an ObservabilityStack or AlertRules with `addAlertsTo`.
   * @default - none
   */
  readonly prometheusRule?: {
    /** Base URL of the runbooks; each alert links to `<runbookBaseUrl>/<AlertName>`. */
    readonly runbookBaseUrl: string;
    /** The `release` label kube-prometheus-stack selects rules on, or false. @default 'kube-prometheus-stack' */
    readonly release?: string | false;
  };
}

/** Props of {@link RedisStore}. */
export interface RedisStoreProps {
  /** Name of the StatefulSet, its Services, ConfigMap and NetworkPolicy; pods are `<name>-0`, `<name>-1`, …. At most 47 characters. */
  readonly name: string;
  /** Namespace (an {@link AgentNamespace}'s `name`). */
  readonly namespace: string;
  /** Deployment profile: outside `dev`, images must be pinned and a single instance needs a recorded reason. @default 'production' */
  readonly profile?: Profile;
  /**
   * `cache`: evicts the least recently used keys (`allkeys-lru`) and keeps
   * nothing on disk (no claims). `store`: never evicts (`noeviction`),
   * appends every write to an AOF fsynced every second plus RDB snapshots,
   * on a claim per pod.
   */
  readonly role: 'cache' | 'store';
  /** `redis` (Redis 7) or `valkey` (Valkey 8): the same protocol and configuration. @default 'redis' */
  readonly flavor?: 'redis' | 'valkey';
  /** Server image. @default - `redis` or `valkey` of DEFAULT_IMAGES, by flavor */
  readonly image?: string;
  /**
   * `standalone`: one pod. `replicated`: a primary and `replicas` replicas,
   * each pod with a Sentinel that promotes a replica when the primary fails.
   * @default - `standalone` in profile dev, `replicated` otherwise
   */
  readonly topology?: 'standalone' | 'replicated';
  /**
   * Why a single instance is acceptable outside the dev profile (one pod is
   * an outage on every restart); recorded on the StatefulSet as a waiver.
   * @default - none: `standalone` outside dev is rejected
   */
  readonly standaloneReason?: string;
  /** Replicas besides the primary (`replicated`); pods and Sentinels are `replicas + 1`. @default 2 */
  readonly replicas?: number;
  /** Size: requests and limits, io-threads, tcp-backlog and claim size from {@link REDIS_TIERS}. @default 'small' */
  readonly tier?: RedisTier;
  /** Requests and limits of the server container instead of the tier's. @default - the tier's */
  readonly resources?: StoreResources;
  /**
   * `maxmemory`: the memory Redis may use for data, at most the container's
   * memory limit. Leave room for buffers and the fork of a snapshot.
   * @default - 75% of the memory limit
   * @see https://redis.io/docs/latest/operate/oss_and_stack/management/config-file/
   */
  readonly maxmemory?: string;
  /** Eviction policy. @default - `allkeys-lru` for a cache, `noeviction` for a store */
  readonly maxmemoryPolicy?: (typeof MAXMEMORY_POLICIES)[number];
  /** The passwords, from a Secret; never inline. */
  readonly auth: RedisAuth;
  /** Sentinel settings (`replicated` only). @default {} */
  readonly sentinel?: RedisSentinelOptions;
  /** TLS on every port, plaintext off. @default - none: plaintext inside the cluster, behind the NetworkPolicy */
  readonly tls?: RedisTls;
  /** Claims of a `store` (a cache has none). @default - the tier's size in the default StorageClass */
  readonly storage?: StoreStorage;
  /** Pods that may connect (server and Sentinel ports); more with `allowFrom`. @default [] */
  readonly clients?: readonly PodPeer[];
  /** The redis_exporter sidecar and its ServiceMonitor, or false. @default {} */
  readonly monitoring?: StoreMonitoring | false;
  /** Alerts: Redis down or not scraped, cache hit ratio (a cache), memory and readiness; or false. @default {} (they must be wired: `prometheusRule` or `addAlertsTo`) */
  readonly alerting?: RedisAlerting | false;
  /** `app.kubernetes.io/part-of`. @default - none */
  readonly partOf?: string;
  /** Extra labels of every object; they never replace the recommended ones. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
}

const secretKey = z.string().regex(/^[-._a-zA-Z0-9]+$/, { error: problem('is not a valid Secret key', "use letters, digits, '-', '_' and '.'") });

const positiveInt = (what: string) => z.number().int().min(1, { error: problem('must be at least 1', `give ${what} as a positive integer`) });

/** The runtime check of {@link RedisStoreProps}. */
export const RedisStorePropsSchema = z
  .strictObject({
    name: dnsLabel.max(47, { error: problem('is longer than 47 characters', 'shorten it: pod, claim and Service names are built from it') }),
    namespace: dnsLabel,
    profile: profileSchema.default('production'),
    role: z.enum(['cache', 'store'], { error: problem('is not a role', "use 'cache' (evicts, no disk) or 'store' (persists, never evicts)") }),
    flavor: z.enum(['redis', 'valkey']).default('redis'),
    image: imageReference.optional(),
    topology: z.enum(['standalone', 'replicated']).optional(),
    standaloneReason: z.string().min(1).optional(),
    replicas: z
      .number()
      .int()
      .min(1, { error: problem('must be at least 1', "a replicated store needs a replica to promote; use topology: 'standalone' for one pod") })
      .default(2),
    tier: z.enum(['small', 'medium', 'large'], { error: problem('is not a tier', "use 'small', 'medium' or 'large'") }).default('small'),
    resources: storeResourcesSchema.optional(),
    maxmemory: bytesQuantity.optional(),
    maxmemoryPolicy: z.enum(MAXMEMORY_POLICIES).optional(),
    auth: z.strictObject({ secretName: dnsSubdomain, key: secretKey.default('password'), sentinelKey: secretKey.optional() }),
    sentinel: z
      .strictObject({
        masterName: z.string().regex(/^[A-Za-z0-9._-]+$/, { error: problem('is not a master name', "use letters, digits, '.', '_' and '-'") }).optional(),
        quorum: positiveInt('the quorum').optional(),
        downAfterMilliseconds: z.number().int().min(100, { error: problem('must be at least 100', 'give milliseconds, like 5000') }).default(5000),
        failoverTimeoutMilliseconds: z.number().int().min(1000, { error: problem('must be at least 1000', 'give milliseconds, like 60000') }).default(60000),
        parallelSyncs: positiveInt('parallel syncs').default(1),
      })
      .optional(),
    tls: z
      .strictObject({
        secretName: dnsSubdomain,
        caSecretName: dnsSubdomain.optional(),
        caKey: secretKey.default('ca.crt'),
        authClients: z.boolean().default(false),
      })
      .optional(),
    storage: storeStorageSchema.optional(),
    clients: clientsSchema,
    monitoring: z.union([storeMonitoringSchema(REDIS_EXPORTER_IMAGE), z.literal(false)]).prefault({}),
    alerting: z
      .union([
        z.strictObject({
          alertPrefix: z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, { error: problem('is not an alert name prefix', 'use letters and digits, starting with a letter') }).optional(),
          prometheusRule: z
            .strictObject({
              runbookBaseUrl: z.url({ error: problem('is not a URL', "give an absolute URL like 'https://runbooks.example.com/redis'") }),
              release: z.union([z.string().min(1), z.literal(false)]).default('kube-prometheus-stack'),
            })
            .optional(),
        }),
        z.literal(false),
      ])
      .prefault({}),
    partOf: z.string().min(1).optional(),
    labels: storeLabelsSchema,
  })
  .superRefine((p, ctx) => checkRedisProps(p, ctx));

/** Parsed {@link RedisStoreProps}. */
export type RedisStoreConfig = z.output<typeof RedisStorePropsSchema>;

// Compile-time: the documented interface and the schema describe the same props.
true satisfies SchemaAgrees<typeof RedisStorePropsSchema, RedisStoreProps>;

/** What the props resolve to: topology, members, Sentinel quorum, resources and memory. */
export interface ResolvedRedis {
  readonly topology: 'standalone' | 'replicated';
  /** Pods of the StatefulSet (and Sentinels, when replicated). */
  readonly pods: number;
  readonly quorum: number;
  readonly masterName: string;
  readonly resources: StoreResources;
  readonly maxmemoryBytes: number;
  readonly maxmemoryPolicy: (typeof MAXMEMORY_POLICIES)[number];
  readonly image: string;
  readonly storage?: StoreStorage;
}

/** Resolves the defaults that depend on other props. */
export function resolveRedis(p: RedisStoreConfig): ResolvedRedis {
  const topology = p.topology ?? (p.profile === 'dev' ? 'standalone' : 'replicated');
  const pods = topology === 'replicated' ? p.replicas + 1 : 1;
  const resources = p.resources ?? REDIS_TIERS[p.tier].resources;
  const limit = bytesOf(resources.limits.memory);
  return {
    topology,
    pods,
    quorum: p.sentinel?.quorum ?? Math.floor(pods / 2) + 1,
    masterName: p.sentinel?.masterName ?? p.name,
    resources,
    maxmemoryBytes: p.maxmemory !== undefined ? Math.floor(bytesOf(p.maxmemory)) : Math.floor(0.75 * limit),
    maxmemoryPolicy: p.maxmemoryPolicy ?? (p.role === 'cache' ? 'allkeys-lru' : 'noeviction'),
    image: p.image ?? REDIS.flavors[p.flavor].image,
    storage: p.role === 'store' ? (p.storage ?? { size: REDIS_TIERS[p.tier].storage }) : undefined,
  };
}

function issue(ctx: z.RefinementCtx, path: (string | number)[], value: unknown, what: string, fix: string): void {
  ctx.addIssue({ code: 'custom', path, params: { value }, message: problem(what, fix) });
}

function checkRedisProps(p: RedisStoreConfig, ctx: z.RefinementCtx): void {
  const r = resolveRedis(p);
  if (r.topology === 'standalone' && p.profile !== 'dev' && p.standaloneReason === undefined) {
    issue(ctx, ['topology'], r.topology, `runs a single pod in the ${p.profile} profile, so every restart is an outage`, "use topology: 'replicated', or give standaloneReason to record why one pod is enough");
  }
  if (r.topology === 'standalone' && p.sentinel !== undefined) {
    issue(ctx, ['sentinel'], p.sentinel, 'applies to the replicated topology only', "remove sentinel, or set topology: 'replicated'");
  }
  if (r.topology === 'replicated') checkSentinels(p, r, ctx);
  if (p.role === 'cache' && p.storage !== undefined) {
    issue(ctx, ['storage'], p.storage, 'is given for a cache, which keeps nothing on disk', "remove storage, or use role: 'store'");
  }
  const limit = r.resources.limits.memory;
  if (p.maxmemory !== undefined && bytesOf(p.maxmemory) > bytesOf(limit)) {
    issue(
      ctx,
      ['maxmemory'],
      p.maxmemory,
      `is above the container memory limit ${limit} (resources.limits.memory${p.resources ? '' : ` of tier '${p.tier}'`}), so the kernel kills Redis before it evicts`,
      `use at most ${limit}; 75% of it (${formatBytes(Math.floor(0.75 * bytesOf(limit)))}) leaves room for buffers and snapshots`,
    );
  }
  if (p.image) checkImageForProfile(ctx, p.image, p.profile, ['image']);
  if (p.tls && p.image) checkTlsImage(p.image, p.flavor, ctx);
  if (p.monitoring !== false) checkImageForProfile(ctx, p.monitoring.image, p.profile, ['monitoring', 'image']);
  if (p.alerting !== false && p.monitoring === false) {
    issue(ctx, ['alerting'], p.alerting, 'needs the exporter, and monitoring is false', 'turn monitoring on, or set alerting: false');
  }
}

function checkSentinels(p: RedisStoreConfig, r: ResolvedRedis, ctx: z.RefinementCtx): void {
  if (p.replicas < 1) return;
  const n = r.pods;
  const majority = Math.floor(n / 2) + 1;
  if (p.profile === 'production' && n < 3) {
    issue(ctx, ['replicas'], p.replicas, `gives ${n} Sentinels in the production profile, and fewer than 3 cannot lose one and still elect a leader`, 'use replicas: 2 or more (3 Sentinels)');
  }
  const q = p.sentinel?.quorum;
  if (q === undefined) return;
  const path = ['sentinel', 'quorum'];
  const range = majority >= n - 1 ? `use a quorum of ${majority}` : `use a quorum from ${majority} to ${n - 1}`;
  if (q > n) issue(ctx, path, q, `is above the Sentinel count ${n} (one per pod: replicas + 1)`, range);
  else if (q === n && n > 1) issue(ctx, path, q, `equals the Sentinel count ${n}, and the failed primary's own Sentinel cannot vote, so no failover would ever start`, range);
  else if (q < majority) issue(ctx, path, q, `is below a majority of the ${n} Sentinels, so a partitioned minority could start a failover`, range);
}

/** The major version in an image tag like `6.2.14-alpine` or `7`, when the tag starts with one. */
function tagMajor(image: string): number | undefined {
  const m = /^(\d+)(?:[.-]|$)/.exec(parseImage(image)?.tag ?? '');
  return m ? Number(m[1]) : undefined;
}

/** TLS came with Redis 6 (every Valkey has it): an older Redis image cannot serve it. */
function checkTlsImage(image: string, flavor: RedisStoreConfig['flavor'], ctx: z.RefinementCtx): void {
  const major = tagMajor(image);
  if (flavor === 'redis' && major !== undefined && major < 6) {
    issue(ctx, ['image'], image, `is Redis ${major}, and tls needs Redis 6 or later`, "use a Redis 6+ image like 'redis:7.2-alpine', or remove tls");
  }
}
