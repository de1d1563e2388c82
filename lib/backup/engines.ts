import { z } from 'zod';
import { imageReference, parseImage } from '../core/image.js';
import { defaultImage, postgresClientImage } from '../core/images.js';
import { cidr, dnsSubdomain, labelMap } from '../core/schemas.js';
import { problem } from '../internal/props.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import { podPeerSchema, type PodPeer } from '../network/peers.js';
import { REDIS } from '../core/redis.js';

/**
 * The data stores a backup can read and a restore can write: PostgreSQL
 * (`pg_dump`), Redis or Valkey (an RDB snapshot over the replication
 * protocol), and the files of a volume (a tar archive). Shared by
 * {@link BackupCronJob} and {@link RestoreJob}.
 */

/**
 * A key of a Secret in the Job's namespace.
 * @see https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-environment-variables
 */
export interface SecretKeyRef {
  /** Secret name. */
  readonly name: string;
  /** Key inside the Secret: letters, digits, `-`, `_` and `.`. */
  readonly key: string;
}

/** The database pods, for the egress rule of the Job's pods. */
export interface PodsDestination {
  /** The database pods: their namespace and labels. */
  readonly pods: PodPeer;
}

/** A database outside the cluster, for the egress rule of the Job's pods. */
export interface CidrDestination {
  /** CIDR block of the database, e.g. a managed database's subnet. */
  readonly cidr: string;
  /** Blocks excluded from `cidr`. @default [] */
  readonly except?: readonly string[];
}

/**
 * Where the data store runs, for the NetworkPolicy egress rule of the Job's
 * pods: its pods, or a CIDR block.
 */
export type DestinationOptions = PodsDestination | CidrDestination;

/**
 * PostgreSQL, dumped with `pg_dump` and restored with `pg_restore` or `psql`.
 * @see https://www.postgresql.org/docs/current/app-pgdump.html
 */
export interface PostgresEngineOptions {
  /** Selects PostgreSQL. */
  readonly type: 'postgres';
  /** Host of the server (`PGHOST`): a Service name like `postgres.data.svc`, or an address. */
  readonly host: string;
  /** Port (`PGPORT`). @default 5432 */
  readonly port?: number;
  /** Database (`PGDATABASE`): the one dumped, or the one a restore writes into. */
  readonly database: string;
  /** Role (`PGUSER`). */
  readonly user: string;
  /**
   * The password as a Secret key, given to the client as `PGPASSWORD`
   * through a `secretKeyRef`. Give this or `passFile`.
   * @default - none; then `passFile` is required
   */
  readonly password?: SecretKeyRef;
  /**
   * A `.pgpass` file as a Secret key, mounted read-only and copied to the
   * scratch volume with mode 0600 before use: libpq ignores a password file
   * that its group can read, which a mounted Secret is under `fsGroup`.
   * @default - none; then `password` is required
   * @see https://www.postgresql.org/docs/current/libpq-pgpass.html
   */
  readonly passFile?: SecretKeyRef;
  /**
   * Major version of the server, 12 or more. `pg_dump` refuses to dump a
   * server of a newer major, so the client image must be at least this major.
   */
  readonly serverVersion: number;
  /**
   * `custom` (`pg_dump -Fc`, compressed, restored with `pg_restore`, which
   * can skip owners and privileges) or `plain` (SQL compressed with gzip,
   * restored with `psql`).
   * @default 'custom'
   */
  readonly format?: 'custom' | 'plain';
  /**
   * `PGSSLMODE`.
   * @default 'prefer'
   * @see https://www.postgresql.org/docs/current/libpq-ssl.html#LIBPQ-SSL-PROTECTION
   */
  readonly sslMode?: 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
  /**
   * Client image with `pg_dump`, `pg_restore`, `psql` and a POSIX shell.
   * @default - the `postgres<serverVersion>` row of DEFAULT_IMAGES, else `postgres:<serverVersion>-alpine` (busybox ash)
   */
  readonly image?: string;
  /** Where the server runs, for the egress rule. */
  readonly destination: DestinationOptions;
}

/**
 * Redis or Valkey, backed up as an RDB snapshot over the replication protocol.
 * @see https://redis.io/docs/latest/operate/oss_and_stack/management/persistence/
 */
export interface RedisEngineOptions {
  /** Selects Redis or Valkey. */
  readonly type: 'redis';
  /** Host of the server: a Service name or address. For a replicated setup, name the primary. */
  readonly host: string;
  /** Port. @default 6379 */
  readonly port?: number;
  /** The password as a Secret key, given to the CLI as `REDISCLI_AUTH` (never on the command line). @default - no authentication */
  readonly password?: SecretKeyRef;
  /** ACL user (`--user`); it needs the `SYNC` (or `PSYNC`) permission. @default - the default user */
  readonly user?: string;
  /** `redis` uses `redis-cli` and `redis-check-rdb`; `valkey` uses `valkey-cli` and `valkey-check-rdb`. @default 'redis' */
  readonly flavor?: 'redis' | 'valkey';
  /** Connect with TLS (`--tls`). @default false */
  readonly tls?: boolean;
  /** CA bundle the server's certificate is checked against (`--cacert`), mounted from a Secret key; needs `tls`. @default - the image's system CAs */
  readonly tlsCa?: SecretKeyRef;
  /**
   * Client image with the CLI, the RDB checker and a POSIX shell.
   * @default - `redis` or `valkey` of DEFAULT_IMAGES, by flavor (busybox ash)
   */
  readonly image?: string;
  /** Where the server runs, for the egress rule. */
  readonly destination: DestinationOptions;
}

/**
 * The files of a volume, archived with tar and gzip.
 *
 * A ReadWriteOnce volume can be attached to one node at a time. While the
 * application's pod has it mounted, the backup pod must run on that same
 * node: give `colocateWith` (the labels of that pod) and the pod gets a
 * required pod affinity on `kubernetes.io/hostname`. A ReadWriteOncePod
 * volume cannot be mounted by a second pod at all, so it is rejected: use a
 * ReadWriteMany volume, or back it up through CSI VolumeSnapshots.
 * @see https://kubernetes.io/docs/concepts/storage/persistent-volumes/#access-modes
 */
export interface FilesEngineOptions {
  /** Selects a files archive. */
  readonly type: 'files';
  /** The PersistentVolumeClaim holding the files (mounted read-only). */
  readonly claimName: string;
  /** The claim's access mode, which decides where the backup pod can run. */
  readonly accessMode: 'ReadWriteOnce' | 'ReadWriteOncePod' | 'ReadOnlyMany' | 'ReadWriteMany';
  /**
   * Labels of the pod that has a ReadWriteOnce claim mounted; the backup pod
   * is scheduled onto its node. Required for ReadWriteOnce.
   * @default - no affinity
   */
  readonly colocateWith?: { readonly [key: string]: string };
  /** Sub-directory of the volume to archive, relative and without `..`. @default - the whole volume */
  readonly subPath?: string;
  /** Image with busybox or GNU `tar`, `gzip` and a POSIX shell. @default - `alpine` of DEFAULT_IMAGES (README "Default images") */
  readonly image?: string;
}

/** The data store backed up or restored: PostgreSQL, Redis/Valkey, or the files of a volume. */
export type EngineOptions = PostgresEngineOptions | RedisEngineOptions | FilesEngineOptions;

/** A key of a Secret. */
export const secretKeyRefSchema = z.strictObject({
  /** Secret name. */
  name: dnsSubdomain,
  /** Key inside the Secret. */
  key: z.string().regex(/^[-._a-zA-Z0-9]+$/, { error: problem('is not a valid Secret key', "use letters, digits, '-', '_' and '.'") }),
});

true satisfies SchemaAgrees<typeof secretKeyRefSchema, SecretKeyRef>;

/** A host name or IPv4 address a pod connects to: a Service name (`postgres`, `postgres.data.svc`) or an address. */
export const serviceHost = z
  .string()
  .max(253, { error: problem('is longer than 253 characters', 'shorten it') })
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
    error: problem('is not a host name', "give a Service name like 'postgres' or 'postgres.data.svc.cluster.local', or an IPv4 address, without scheme or port"),
  });

/**
 * Where the database runs, for the NetworkPolicy egress rule of the Job's
 * pods: its pods (one ANDed namespace + pod peer), or a CIDR block for a
 * database outside the cluster.
 */
export const destinationSchema = z.union([
  z.strictObject({
    /** The database pods. */
    pods: podPeerSchema,
  }),
  z.strictObject({
    /** CIDR block of the database, e.g. a managed database's subnet. */
    cidr,
    /** Blocks excluded from `cidr`. @default [] */
    except: z.array(cidr).default([]),
  }),
]);

true satisfies SchemaAgrees<typeof destinationSchema, DestinationOptions>;

/** See {@link destinationSchema}. */
export type Destination = z.output<typeof destinationSchema>;

const postgresIdentifier = z
  .string()
  .min(1)
  .max(63, { error: problem('is longer than 63 characters', 'PostgreSQL truncates identifiers at 63 bytes; shorten it') })
  .regex(/^[^\s"'\\]+$/, { error: problem('is not a plain PostgreSQL name', 'use a name without spaces, quotes or backslashes') });

/** PostgreSQL connection and dump options. */
export const postgresEngineSchema = z.strictObject({
  type: z.literal('postgres'),
  /** Host of the server (`PGHOST`): a Service name or address. */
  host: serviceHost,
  /** Port (`PGPORT`). @default 5432 */
  port: z.number().int().min(1).max(65535).default(5432),
  /** Database (`PGDATABASE`): the one dumped, or the one a restore writes into. */
  database: postgresIdentifier,
  /** Role (`PGUSER`). */
  user: postgresIdentifier,
  /**
   * The password as a Secret key, given to the client as `PGPASSWORD`
   * through a `secretKeyRef`. Give this or `passFile`.
   * @default - none; then `passFile` is required
   */
  password: secretKeyRefSchema.optional(),
  /**
   * A `.pgpass` file as a Secret key, mounted read-only and copied to the
   * scratch volume with mode 0600 before use: libpq ignores a password file
   * that its group can read, which a mounted Secret is under `fsGroup`.
   * @default - none; then `password` is required
   * @see https://www.postgresql.org/docs/current/libpq-pgpass.html
   */
  passFile: secretKeyRefSchema.optional(),
  // D-SKR-03
  /**
   * Major version of the server. `pg_dump` refuses to dump a server of a
   * newer major, so the client image must be at least this major.
   */
  serverVersion: z.number().int().min(12).max(99),
  /**
   * `custom` (`pg_dump -Fc`, compressed, restored with `pg_restore`, which
   * can skip owners and privileges) or `plain` (SQL compressed with gzip,
   * restored with `psql`).
   * @default 'custom'
   */
  format: z.enum(['custom', 'plain']).default('custom'),
  /** `PGSSLMODE`. @default 'prefer' */
  sslMode: z.enum(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']).default('prefer'),
  /**
   * Client image with `pg_dump`, `pg_restore`, `psql` and a POSIX shell.
   * @default - the `postgres<serverVersion>` row of DEFAULT_IMAGES, else `postgres:<serverVersion>-alpine` (busybox ash)
   */
  image: imageReference.optional(),
  /** Where the server runs, for the egress rule. */
  destination: destinationSchema,
});

/** Redis or Valkey connection options. */
export const redisEngineSchema = z.strictObject({
  type: z.literal('redis'),
  /** Host of the server: a Service name or address. For a replicated setup, name the primary. */
  host: serviceHost,
  /** Port. @default 6379 */
  port: z.number().int().min(1).max(65535).default(6379),
  /** The password as a Secret key, given to the CLI as `REDISCLI_AUTH` (never on the command line). @default - no authentication */
  password: secretKeyRefSchema.optional(),
  /** ACL user (`--user`); it needs the `SYNC` (or `PSYNC`) permission. @default - the default user */
  user: z.string().regex(/^[^\s]+$/, { error: problem('contains whitespace', 'give the ACL user name') }).optional(),
  /** `redis` uses `redis-cli` and `redis-check-rdb`; `valkey` uses `valkey-cli` and `valkey-check-rdb`. @default 'redis' */
  flavor: z.enum(['redis', 'valkey']).default('redis'),
  /** Connect with TLS (`--tls`). @default false */
  tls: z.boolean().default(false),
  /** CA bundle the server's certificate is checked against (`--cacert`), mounted from a Secret key; needs `tls`. @default - the image's system CAs */
  tlsCa: secretKeyRefSchema.optional(),
  /**
   * Client image with the CLI, the RDB checker and a POSIX shell.
   * @default - `redis` or `valkey` of DEFAULT_IMAGES, by flavor (busybox ash)
   */
  image: imageReference.optional(),
  /** Where the server runs, for the egress rule. */
  destination: destinationSchema,
});

/**
 * The files of a volume, archived with tar and gzip.
 *
 * A ReadWriteOnce volume can be attached to one node at a time. While the
 * application's pod has it mounted, the backup pod must run on that same
 * node: give `colocateWith` (the labels of that pod) and the pod gets a
 * required pod affinity on `kubernetes.io/hostname`. A ReadWriteOncePod
 * volume cannot be mounted by a second pod at all, so it is rejected: use a
 * ReadWriteMany volume, or back it up through CSI VolumeSnapshots.
 */
export const filesEngineSchema = z.strictObject({
  type: z.literal('files'),
  /** The PersistentVolumeClaim holding the files (mounted read-only). */
  claimName: dnsSubdomain,
  /** The claim's access mode, which decides where the backup pod can run. */
  accessMode: z.enum(['ReadWriteOnce', 'ReadWriteOncePod', 'ReadOnlyMany', 'ReadWriteMany']),
  /**
   * Labels of the pod that has a ReadWriteOnce claim mounted; the backup pod
   * is scheduled onto its node. Required for ReadWriteOnce.
   * @default - no affinity
   */
  colocateWith: labelMap.optional(),
  /** Sub-directory of the volume to archive. @default - the whole volume */
  subPath: z
    .string()
    .regex(/^[^/].*$/, { error: problem('must be relative', "drop the leading '/'") })
    .refine((s) => !s.split('/').includes('..'), { error: problem("contains '..'", 'give a path inside the volume') })
    .optional(),
  /** Image with busybox or GNU `tar`, `gzip` and a POSIX shell. @default - `alpine` of DEFAULT_IMAGES (README "Default images") */
  image: imageReference.default(defaultImage('alpine')),
});

/** Any engine. */
export const engineSchema = z.discriminatedUnion('type', [postgresEngineSchema, redisEngineSchema, filesEngineSchema]);

true satisfies SchemaAgrees<typeof engineSchema, EngineOptions>;

/** See {@link engineSchema}. */
export type Engine = z.output<typeof engineSchema>;

/** File extension of a backup of the engine. */
export function backupExtension(e: Engine): string {
  switch (e.type) {
    case 'postgres':
      return e.format === 'custom' ? 'dump' : 'sql.gz';
    case 'redis':
      return 'rdb';
    case 'files':
      return 'tar.gz';
  }
}

/** The client image of the engine. */
export function engineImage(e: Engine): string {
  switch (e.type) {
    case 'postgres':
      return e.image ?? postgresClientImage(e.serverVersion);
    case 'redis':
      return e.image ?? REDIS.flavors[e.flavor].image;
    case 'files':
      return e.image;
  }
}

// SEC-02
/**
 * The default UID of the engine's pod: 10001 for the database clients,
 * which need no user of the image (their variables name the role, `HOME` is
 * the scratch volume), and `nobody` (65534) for a files archive, which reads
 * files the application left world-readable (set `runAsUser`/`runAsGroup` to
 * the application's when they are not). UIDs of 10000 and above match no
 * host user.
 */
export function engineUid(e: Engine): number {
  return e.type === 'files' ? 65534 : 10001;
}

/** The server port, when the engine talks to a server. */
export function enginePort(e: Engine): number | undefined {
  return e.type === 'files' ? undefined : e.port;
}

/** The major version in an image tag like `16`, `16.4-alpine` or `16-bookworm`; undefined when the tag has none. */
export function imageMajor(image: string): number | undefined {
  const tag = parseImage(image)?.tag;
  const m = tag ? /^(\d+)(?:[.-]|$)/.exec(tag) : null;
  return m ? Number(m[1]) : undefined;
}

/**
 * Cross-field rules of an engine, reported at `path`: exactly one
 * PostgreSQL credential, a client no older than the server, and (when the
 * pod mounts the source volume, `mountsSource`) a files volume that a second
 * pod can mount.
 */
export function checkEngine(e: Engine, ctx: z.RefinementCtx, path: (string | number)[], opts: { readonly mountsSource: boolean }): void {
  if (e.type === 'postgres') {
    if ((e.password === undefined) === (e.passFile === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'password'],
        message: problem(
          e.password ? 'is given together with passFile' : 'is missing, and so is passFile',
          'give exactly one credential: password (PGPASSWORD from a Secret key) or passFile (a .pgpass Secret key)',
        ),
        params: { value: e.password },
      });
    }
    const major = e.image ? imageMajor(e.image) : undefined;
    if (e.image && major !== undefined && /(^|\/)postgres$/.test(parseImage(e.image)?.repository ?? '') && major < e.serverVersion) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'image'],
        message: problem(
          `has pg_dump ${major}, older than serverVersion ${e.serverVersion}, which pg_dump refuses to dump (D-SKR-03)`,
          `use a client image of major ${e.serverVersion} or newer, like 'postgres:${e.serverVersion}-alpine'`,
        ),
      });
    }
  }
  if (e.type === 'redis' && e.tlsCa && !e.tls) {
    ctx.addIssue({ code: 'custom', path: [...path, 'tlsCa'], message: problem('is given without tls', 'set tls: true, or remove tlsCa'), params: { value: e.tlsCa } });
  }
  if (e.type === 'files' && opts.mountsSource) {
    if (e.accessMode === 'ReadWriteOncePod') {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'accessMode'],
        message: problem(
          'is ReadWriteOncePod, which no second pod can mount while the application runs',
          'use a ReadWriteMany volume, or back the volume up with CSI VolumeSnapshots instead of a file archive',
        ),
      });
    }
    if (e.accessMode === 'ReadWriteOnce' && e.colocateWith === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'colocateWith'],
        message: problem(
          'is missing for a ReadWriteOnce volume, which only pods on the node that has it attached can mount',
          'give the labels of the pod that mounts the volume, so the backup pod runs on its node, or use a ReadWriteMany volume',
        ),
        params: { value: undefined },
      });
    }
  }
}
