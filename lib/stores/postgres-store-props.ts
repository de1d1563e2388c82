import { z } from 'zod';
import { checkImageForProfile, imageReference } from '../core/image.js';
import { defaultImage } from '../core/images.js';
import { profileSchema, type Profile } from '../core/profile.js';
import { cidr, dnsLabel, dnsSubdomain, portNumber } from '../core/schemas.js';
import { problem } from '../internal/props.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import type { PodPeer } from '../network/peers.js';
import { bytesOf, clientsSchema, storeLabelsSchema, storeMonitoringSchema, storeResourcesSchema, storeStorageSchema, type StoreMonitoring, type StoreResources, type StoreStorage } from './common.js';

/** The postgres_exporter image the `statefulSet` mode runs by default. */
export const POSTGRES_EXPORTER_IMAGE = defaultImage('postgresExporter');

/** The PostgreSQL image of the `statefulSet` mode. */
export const POSTGRES_IMAGE = defaultImage('postgres15');

/**
 * Tiers after the SARK guide's PostgreSQL sizes: requests and limits,
 * `max_connections`, `work_mem`, `maintenance_work_mem` and the claim size.
 * `shared_buffers` is 25% and `effective_cache_size` 75% of the memory limit.
 */
export const POSTGRES_TIERS = {
  small: {
    resources: { requests: { cpu: '500m', memory: '2Gi', ephemeralStorage: '512Mi' }, limits: { cpu: '1', memory: '4Gi', ephemeralStorage: '2Gi' } },
    maxConnections: 100,
    workMemMb: 8,
    maintenanceWorkMemMb: 256,
    storage: '20Gi',
  },
  medium: {
    resources: { requests: { cpu: '1', memory: '4Gi', ephemeralStorage: '512Mi' }, limits: { cpu: '2', memory: '8Gi', ephemeralStorage: '2Gi' } },
    maxConnections: 200,
    workMemMb: 16,
    maintenanceWorkMemMb: 512,
    storage: '50Gi',
  },
  large: {
    resources: { requests: { cpu: '2', memory: '8Gi', ephemeralStorage: '1Gi' }, limits: { cpu: '4', memory: '16Gi', ephemeralStorage: '4Gi' } },
    maxConnections: 300,
    workMemMb: 32,
    maintenanceWorkMemMb: 1024,
    storage: '100Gi',
  },
} as const;

/** A tier of {@link POSTGRES_TIERS}. */
export type PostgresTier = keyof typeof POSTGRES_TIERS;

/** A key of a Secret. */
export interface StoreSecretKey {
  /** Name of the Secret. */
  readonly name: string;
  /** Key inside it. */
  readonly key: string;
}

/** The database, its owner role and the owner's password. */
export interface PostgresAuth {
  /**
   * Secret holding the owner's password (key `passwordKey`). With
   * `cloudNativePg`, a `kubernetes.io/basic-auth` Secret with `username`
   * and `password`, as the operator requires.
   */
  readonly secretName: string;
  /** Key of the password in the Secret. @default 'password' */
  readonly passwordKey?: string;
}

/** Object-storage backups of the `cloudNativePg` mode (barman-cloud, S3-compatible), taken by a ScheduledBackup. @see https://cloudnative-pg.io/documentation/current/backup/ */
export interface PostgresCnpgBackup {
  /** Where base backups and WAL go, like `s3://backups/sark-db`. */
  readonly destinationPath: string;
  /** Endpoint of S3-compatible storage that is not AWS. @default - AWS S3 */
  readonly endpointUrl?: string;
  /** Secret with `ACCESS_KEY_ID` and `ACCESS_SECRET_KEY`. */
  readonly credentialsSecret: string;
  /** Six-field cron schedule of the base backups (seconds first), as CloudNativePG reads it. @default '0 0 2 * * *' */
  readonly schedule?: string;
  /** How long backups are kept, like `30d`. @default '30d' */
  readonly retentionPolicy?: string;
  /** CIDR blocks of the storage endpoint, for the NetworkPolicy (HTTPS). */
  readonly cidrs: readonly string[];
}

/** The `cloudNativePg` mode: a CloudNativePG Cluster, its backups and its Pooler. @see https://cloudnative-pg.io/documentation/current/ */
export interface PostgresCnpgOptions {
  /** Instances (one primary, the rest streaming replicas). @default - 3 in production, 2 in staging, 1 in dev */
  readonly instances?: number;
  /** Operand image. @default - the operator's default for its release */
  readonly imageName?: string;
  /** CIDR blocks of the Kubernetes API server, which the instance manager in every pod talks to (HTTPS). */
  readonly apiServerCidrs: readonly string[];
  /** Namespace of the operator, which reaches the instances' status port. @default 'cnpg-system' */
  readonly operatorNamespace?: string;
  /** Backups to object storage. @default - none */
  readonly backup?: PostgresCnpgBackup;
  /** A Pooler (PgBouncer run by the operator) in front of the primary, transaction pooling. @default - none */
  readonly pooler?: {
    /** PgBouncer pods. @default 2 */
    readonly instances?: number;
    /** Client connections PgBouncer accepts. @default 1000 */
    readonly maxClientConn?: number;
    /** Server connections per database and user. @default 25 */
    readonly defaultPoolSize?: number;
  };
}

/** The `external` mode: a managed database (RDS, Cloud SQL, Azure) outside the cluster. */
export interface PostgresExternalOptions {
  /** Secret key holding the whole DSN (with its password). @default - none; then `dsn` is required */
  readonly dsnSecret?: StoreSecretKey;
  /** A DSN without a password (`postgres://app@db.example.com:5432/app?sslmode=require`); the password comes from `auth`. @default - none; then `dsnSecret` is required */
  readonly dsn?: string;
  /** Host name of the database (its endpoint), which clients connect to. */
  readonly host: string;
  /** CIDR block of the database, for the clients' egress rule. */
  readonly cidr: string;
  /** Port. @default 5432 */
  readonly port?: number;
}

/** Props of {@link PostgresStore}. */
export interface PostgresStoreProps {
  /** Name of the StatefulSet or Cluster and its Services. At most 40 characters. */
  readonly name: string;
  /** Namespace (an {@link AgentNamespace}'s `name`). */
  readonly namespace: string;
  /** Deployment profile. @default 'production' */
  readonly profile?: Profile;
  /**
   * `cloudNativePg`: a CloudNativePG Cluster (the operator must be
   * installed). `statefulSet`: one PostgreSQL 15 pod with a claim, for dev,
   * staging or a single instance. `external`: a managed database; nothing
   * is deployed.
   * @default - `statefulSet` in dev, `cloudNativePg` otherwise
   */
  readonly mode?: 'cloudNativePg' | 'statefulSet' | 'external';
  /** Database name. */
  readonly database: string;
  /** Owner role of the database, which clients log in as. */
  readonly owner: string;
  /** The owner's password, from a Secret. */
  readonly auth: PostgresAuth;
  /** Size: resources, connections and memory settings from {@link POSTGRES_TIERS}. @default 'small' */
  readonly tier?: PostgresTier;
  /** Requests and limits instead of the tier's. @default - the tier's */
  readonly resources?: StoreResources;
  /** `max_connections` instead of the tier's. @default - the tier's */
  readonly maxConnections?: number;
  /** Connections kept for superusers (`superuser_reserved_connections`). @default 3 */
  readonly reservedConnections?: number;
  /** `statement_timeout` in seconds; 0 turns it off. @default 60 */
  readonly statementTimeoutSeconds?: number;
  /** Claims (`statefulSet`, `cloudNativePg`). @default - the tier's size in the default StorageClass */
  readonly storage?: StoreStorage;
  /** Image of the `statefulSet` mode. @default {@link POSTGRES_IMAGE} */
  readonly image?: string;
  /** Why one instance is acceptable outside dev (`statefulSet`); recorded as a waiver. @default - none: `statefulSet` outside dev is rejected */
  readonly singleInstanceReason?: string;
  /** Options of the `cloudNativePg` mode. @default - required in that mode */
  readonly cloudNativePg?: PostgresCnpgOptions;
  /** Options of the `external` mode. @default - required in that mode */
  readonly external?: PostgresExternalOptions;
  /** Pods that may connect; more with `allowFrom`. @default [] */
  readonly clients?: readonly PodPeer[];
  /** postgres_exporter and its ServiceMonitor (`statefulSet`), or the operator's metrics and a PodMonitor (`cloudNativePg`); or false. @default {} */
  readonly monitoring?: StoreMonitoring | false;
  /** `app.kubernetes.io/part-of`. @default - none */
  readonly partOf?: string;
  /** Extra labels of every object. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
}

const pgIdentifier = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: problem('is not a plain PostgreSQL name', "use lowercase letters, digits and '_', starting with a letter or '_', at most 63 characters") });
const secretKey = z.string().regex(/^[-._a-zA-Z0-9]+$/, { error: problem('is not a valid Secret key', "use letters, digits, '-', '_' and '.'") });
const count = (min: number, fix: string) => z.number().int().min(min, { error: problem(`must be at least ${min}`, fix) });

/** Whether a DSN carries a password: `user:password@` or a `password=` parameter. */
export function dsnHasPassword(dsn: string): boolean {
  return /^[a-z]+:\/\/[^/@]*:[^/@]*@/i.test(dsn) || /(^|[?&\s])password=/i.test(dsn);
}

const cnpgSchema = z.strictObject({
  instances: count(1, 'run at least one instance').optional(),
  imageName: imageReference.optional(),
  apiServerCidrs: z.array(cidr).min(1, { error: problem('is empty', 'give the API server addresses, like 10.0.0.1/32 (kubectl get endpoints kubernetes)') }),
  operatorNamespace: dnsLabel.default('cnpg-system'),
  backup: z
    .strictObject({
      destinationPath: z.string().regex(/^s3:\/\/[a-z0-9][-a-z0-9.]*[a-z0-9](\/.*)?$/, { error: problem('is not an s3:// path', "write it like 's3://backups/sark-db'") }),
      endpointUrl: z.url().optional(),
      credentialsSecret: dnsSubdomain,
      schedule: z.string().regex(/^(\S+\s+){5}\S+$/, { error: problem('is not a six-field cron schedule', "CloudNativePG reads seconds first: '0 0 2 * * *' is 02:00 daily") }).default('0 0 2 * * *'),
      retentionPolicy: z.string().regex(/^[1-9][0-9]*[dwm]$/, { error: problem('is not a retention policy', "write it like '30d', '4w' or '3m'") }).default('30d'),
      cidrs: z.array(cidr).min(1, { error: problem('is empty', 'give the storage endpoint addresses') }),
    })
    .optional(),
  pooler: z
    .strictObject({
      instances: count(1, 'run at least one PgBouncer').default(2),
      maxClientConn: count(1, 'give a positive number').default(1000),
      defaultPoolSize: count(1, 'give a positive number').default(25),
    })
    .optional(),
});

const externalSchema = z.strictObject({
  dsnSecret: z.strictObject({ name: dnsSubdomain, key: secretKey }).optional(),
  dsn: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { error: problem('is not a PostgreSQL URL', "write it like 'postgres://app@db.example.com:5432/app?sslmode=require'") })
    .refine((d) => !dsnHasPassword(d), { error: problem('carries a password', 'remove the password from the DSN and put it in the Secret of auth (or give the whole DSN as dsnSecret)') })
    .optional(),
  host: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, { error: problem('is not a host name', "give the endpoint without scheme or port, like 'sark.abc123.eu-west-1.rds.amazonaws.com'") }),
  cidr,
  port: portNumber.default(5432),
});

/** The runtime check of {@link PostgresStoreProps}. */
export const PostgresStorePropsSchema = z
  .strictObject({
    name: dnsLabel.max(40, { error: problem('is longer than 40 characters', 'shorten it: the operator and the StatefulSet add suffixes to it') }),
    namespace: dnsLabel,
    profile: profileSchema.default('production'),
    mode: z.enum(['cloudNativePg', 'statefulSet', 'external'], { error: problem('is not a mode', "use 'cloudNativePg', 'statefulSet' or 'external'") }).optional(),
    database: pgIdentifier,
    owner: pgIdentifier,
    auth: z.strictObject({ secretName: dnsSubdomain, passwordKey: secretKey.default('password') }),
    tier: z.enum(['small', 'medium', 'large'], { error: problem('is not a tier', "use 'small', 'medium' or 'large'") }).default('small'),
    resources: storeResourcesSchema.optional(),
    maxConnections: count(10, 'give at least 10 connections').optional(),
    reservedConnections: z.number().int().min(1).max(100).default(3),
    statementTimeoutSeconds: z.number().int().min(0).default(60),
    storage: storeStorageSchema.optional(),
    image: imageReference.optional(),
    singleInstanceReason: z.string().min(1).optional(),
    cloudNativePg: cnpgSchema.optional(),
    external: externalSchema.optional(),
    clients: clientsSchema,
    monitoring: z.union([storeMonitoringSchema(POSTGRES_EXPORTER_IMAGE), z.literal(false)]).prefault({}),
    partOf: z.string().min(1).optional(),
    labels: storeLabelsSchema,
  })
  .superRefine((p, ctx) => checkPostgresProps(p, ctx));

/** Parsed {@link PostgresStoreProps}. */
export type PostgresStoreConfig = z.output<typeof PostgresStorePropsSchema>;

true satisfies SchemaAgrees<typeof PostgresStorePropsSchema, PostgresStoreProps>;

/** The PostgreSQL settings a store writes, by name, in the units `SHOW` prints them in. */
export type PostgresSettings = Readonly<Record<string, string>>;

/** The mode of `p`, its default applied. */
export function postgresMode(p: PostgresStoreConfig): 'cloudNativePg' | 'statefulSet' | 'external' {
  return p.mode ?? (p.profile === 'dev' ? 'statefulSet' : 'cloudNativePg');
}

/** Requests and limits of the store's database container. */
export function postgresResources(p: PostgresStoreConfig): StoreResources {
  return p.resources ?? POSTGRES_TIERS[p.tier].resources;
}

/** `max_connections` of the store. */
export function maxConnections(p: PostgresStoreConfig): number {
  return p.maxConnections ?? POSTGRES_TIERS[p.tier].maxConnections;
}

/** A memory setting as PostgreSQL prints it: the largest unit (kB, MB, GB, TB) that divides it. */
export function pgMemory(bytes: number): string {
  const kb = Math.floor(bytes / 1024);
  for (const [unit, f] of [['TB', 2 ** 30], ['GB', 2 ** 20], ['MB', 2 ** 10]] as const) if (kb % f === 0) return `${kb / f}${unit}`;
  return `${kb}kB`;
}

/** A duration in milliseconds as PostgreSQL prints it (`1min`, `30s`, `0`). */
export function pgDuration(ms: number): string {
  if (ms === 0) return '0';
  for (const [unit, f] of [['d', 86_400_000], ['h', 3_600_000], ['min', 60_000], ['s', 1000]] as const) if (ms % f === 0) return `${ms / f}${unit}`;
  return `${ms}ms`;
}

/**
 * The settings of the tier: memory from the memory limit (shared_buffers
 * 25%, effective_cache_size 75%), connections, per-query memory, the
 * statement timeout and pg_stat_statements.
 */
export function postgresSettings(p: PostgresStoreConfig): PostgresSettings {
  const limit = bytesOf(postgresResources(p).limits.memory);
  const tier = POSTGRES_TIERS[p.tier];
  // shared_buffers is counted in 8 kB pages.
  const page = 8192;
  return {
    listen_addresses: '*',
    max_connections: String(maxConnections(p)),
    superuser_reserved_connections: String(p.reservedConnections),
    shared_buffers: pgMemory(Math.floor((0.25 * limit) / page) * page),
    effective_cache_size: pgMemory(Math.floor((0.75 * limit) / page) * page),
    work_mem: pgMemory(tier.workMemMb * 2 ** 20),
    maintenance_work_mem: pgMemory(tier.maintenanceWorkMemMb * 2 ** 20),
    statement_timeout: pgDuration(p.statementTimeoutSeconds * 1000),
    password_encryption: 'scram-sha-256',
    shared_preload_libraries: 'pg_stat_statements',
    'pg_stat_statements.track': 'all',
    log_min_duration_statement: pgDuration(1000),
  };
}

function issue(ctx: z.RefinementCtx, path: (string | number)[], value: unknown, what: string, fix: string): void {
  ctx.addIssue({ code: 'custom', path, params: { value }, message: problem(what, fix) });
}

function checkPostgresProps(p: PostgresStoreConfig, ctx: z.RefinementCtx): void {
  const mode = postgresMode(p);
  if (mode === 'statefulSet' && p.profile !== 'dev' && p.singleInstanceReason === undefined) {
    issue(ctx, ['mode'], mode, `runs one PostgreSQL pod in the ${p.profile} profile, with no standby to fail over to`, "use mode: 'cloudNativePg' (an operator-run cluster) or 'external' (a managed database), or give singleInstanceReason");
  }
  if (mode === 'cloudNativePg' && !p.cloudNativePg) issue(ctx, ['cloudNativePg'], undefined, 'is required in the cloudNativePg mode', 'give cloudNativePg.apiServerCidrs at least');
  if (mode !== 'cloudNativePg' && p.cloudNativePg) issue(ctx, ['cloudNativePg'], p.cloudNativePg, `is given in the ${mode} mode`, "remove it, or set mode: 'cloudNativePg'");
  if (mode === 'external') checkExternal(p, ctx);
  else if (p.external) issue(ctx, ['external'], p.external, `is given in the ${mode} mode`, "remove it, or set mode: 'external'");
  const max = maxConnections(p);
  if (p.reservedConnections >= max) {
    issue(ctx, ['reservedConnections'], p.reservedConnections, `leaves no connection of max_connections ${max} for clients`, `use fewer than ${max}`);
  }
  if (p.image) checkImageForProfile(ctx, p.image, p.profile, ['image']);
  if (p.cloudNativePg?.imageName) checkImageForProfile(ctx, p.cloudNativePg.imageName, p.profile, ['cloudNativePg', 'imageName']);
  if (p.monitoring !== false && mode === 'statefulSet') checkImageForProfile(ctx, p.monitoring.image, p.profile, ['monitoring', 'image']);
}

function checkExternal(p: PostgresStoreConfig, ctx: z.RefinementCtx): void {
  const e = p.external;
  if (!e) {
    issue(ctx, ['external'], undefined, 'is required in the external mode', 'give external.cidr and external.dsnSecret (or dsn)');
    return;
  }
  if ((e.dsnSecret === undefined) === (e.dsn === undefined)) {
    issue(ctx, ['external'], e, 'needs exactly one of dsnSecret and dsn', 'give the DSN as a Secret key (dsnSecret), or a DSN without password (dsn)');
  }
  for (const key of ['storage', 'image', 'singleInstanceReason', 'resources'] as const) {
    if (p[key] !== undefined) issue(ctx, [key], p[key], 'applies to deployed modes only, and external deploys nothing', 'remove it');
  }
}
