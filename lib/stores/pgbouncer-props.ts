import { z } from 'zod';
import { checkImageForProfile, imageReference } from '../core/image.js';
import { defaultImage } from '../core/images.js';
import { profileSchema, type Profile } from '../core/profile.js';
import { cidr, dnsLabel, dnsSubdomain, portNumber } from '../core/schemas.js';
import { problem } from '../internal/props.js';
import type { SchemaAgrees } from '../internal/schema-agrees.js';
import { podPeerSchema, type PodPeer } from '../network/peers.js';
import type { StoreSecretKey } from './postgres-store-props.js';
import { clientsSchema, storeLabelsSchema, storeMonitoringSchema, type StoreMonitoring } from './common.js';

/** The PgBouncer image (pgbouncer on PATH, a POSIX sh). */
export const PGBOUNCER_IMAGE = defaultImage('pgbouncer');
/** The pgbouncer_exporter image. */
export const PGBOUNCER_EXPORTER_IMAGE = defaultImage('pgbouncerExporter');

/** The PostgreSQL server PgBouncer pools connections to (`PostgresStore.pgBouncerServer()` gives it for a store). */
export interface PgBouncerServer {
  /** Host of the server (a Service DNS name). */
  readonly host: string;
  /** Port. @default 5432 */
  readonly port?: number;
  /** Database clients connect to (the same name on PgBouncer). */
  readonly database: string;
  /** Role PgBouncer logs in as, and clients log in as. */
  readonly user: string;
  /** The role's password, from a Secret. */
  readonly passwordSecret: StoreSecretKey;
  /** Where the server runs, for the egress rule: its pods, or a CIDR block. */
  readonly destination: PgBouncerPodsDestination | PgBouncerCidrDestination;
}

/** A server in the cluster, for PgBouncer's egress rule. */
export interface PgBouncerPodsDestination {
  /** The server's pods. */
  readonly pods: PodPeer;
}

/** A server outside the cluster, for PgBouncer's egress rule. */
export interface PgBouncerCidrDestination {
  /** CIDR block of the server. */
  readonly cidr: string;
}

/** Props of {@link PgBouncer}. @see https://www.pgbouncer.org/config.html */
export interface PgBouncerProps {
  /** Name of the Deployment, Service, ConfigMap and NetworkPolicy. */
  readonly name: string;
  /** Namespace. */
  readonly namespace: string;
  /** Deployment profile. @default 'production' */
  readonly profile?: Profile;
  /** The PostgreSQL server. */
  readonly server: PgBouncerServer;
  /**
   * How PgBouncer checks client passwords: `authFile` writes the user and its
   * password (from the Secret) to `auth_file` at start; `authQuery` asks the
   * server for any role's SCRAM secret with `auth_query` as `server.user`
   * (which must be able to read `pg_shadow`).
   * @default 'authFile'
   */
  readonly auth?: 'authFile' | 'authQuery';
  /** `transaction` returns the server connection after each transaction; `session` after the client leaves. @default 'transaction' */
  readonly poolMode?: 'transaction' | 'session';
  /** Client connections accepted (`max_client_conn`). @default 1000 */
  readonly maxClientConn?: number;
  /** Server connections per database and user (`default_pool_size`). @default 25 */
  readonly defaultPoolSize?: number;
  /** Extra server connections when clients wait longer than 5 s (`reserve_pool_size`). @default 5 */
  readonly reservePoolSize?: number;
  /** Server connections per database at most, pools together; clients beyond wait (`max_db_connections`). @default 100 */
  readonly maxDbConnections?: number;
  /** PgBouncer pods. @default - 2 (1 in dev) */
  readonly replicas?: number;
  /** Image. @default {@link PGBOUNCER_IMAGE} */
  readonly image?: string;
  /** Pods that may connect. @default [] */
  readonly clients?: readonly PodPeer[];
  /** pgbouncer_exporter and its ServiceMonitor, or false. @default {} */
  readonly monitoring?: StoreMonitoring | false;
  /** `app.kubernetes.io/part-of`. @default - none */
  readonly partOf?: string;
  /** Extra labels. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
}

const count = (fix: string) => z.number().int().min(1, { error: problem('must be at least 1', fix) });

/** The runtime check of {@link PgBouncerProps}. */
export const PgBouncerPropsSchema = z
  .strictObject({
    name: dnsLabel.max(47),
    namespace: dnsLabel,
    profile: profileSchema.default('production'),
    server: z.strictObject({
      host: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, { error: problem('is not a host name', "give a Service name like 'db-rw.sark.svc.cluster.local'") }),
      port: portNumber.default(5432),
      database: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: problem('is not a plain PostgreSQL name', "use lowercase letters, digits and '_'") }),
      user: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: problem('is not a plain PostgreSQL name', "use lowercase letters, digits and '_'") }),
      passwordSecret: z.strictObject({ name: dnsSubdomain, key: z.string().regex(/^[-._a-zA-Z0-9]+$/) }),
      destination: z.union([z.strictObject({ pods: podPeerSchema }), z.strictObject({ cidr })]),
    }),
    auth: z.enum(['authFile', 'authQuery']).default('authFile'),
    poolMode: z.enum(['transaction', 'session']).default('transaction'),
    maxClientConn: count('accept at least one client').default(1000),
    defaultPoolSize: count('give a positive pool size').default(25),
    reservePoolSize: z.number().int().min(0).default(5),
    maxDbConnections: count('allow at least one server connection').default(100),
    replicas: count('run at least one pod').optional(),
    image: imageReference.default(PGBOUNCER_IMAGE),
    clients: clientsSchema,
    monitoring: z.union([storeMonitoringSchema(PGBOUNCER_EXPORTER_IMAGE), z.literal(false)]).prefault({}),
    partOf: z.string().min(1).optional(),
    labels: storeLabelsSchema,
  })
  .superRefine((p, ctx) => {
    if (p.defaultPoolSize > p.maxDbConnections) {
      ctx.addIssue({
        code: 'custom',
        path: ['defaultPoolSize'],
        params: { value: p.defaultPoolSize },
        message: problem(`is above maxDbConnections ${p.maxDbConnections}, which caps every pool`, `use at most ${p.maxDbConnections}, or raise maxDbConnections`),
      });
    }
    checkImageForProfile(ctx, p.image, p.profile, ['image']);
    if (p.monitoring !== false) checkImageForProfile(ctx, p.monitoring.image, p.profile, ['monitoring', 'image']);
    if (p.profile !== 'dev' && p.replicas === 1) {
      ctx.addIssue({ code: 'custom', path: ['replicas'], params: { value: 1 }, message: problem(`is a single pooler in the ${p.profile} profile, so every restart drops every client`, 'run 2 or more') });
    }
  });

/** Parsed {@link PgBouncerProps}. */
export type PgBouncerConfig = z.output<typeof PgBouncerPropsSchema>;

true satisfies SchemaAgrees<typeof PgBouncerPropsSchema, PgBouncerProps>;
