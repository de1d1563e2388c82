/**
 * Every container image the library runs by default, in one table.
 *
 * A construct never writes an image literal: it takes its default from here
 * (`defaultImage('postgres15')`), and a test scans `lib/` for image
 * literals anywhere else. Each row names the repository, the tag, the
 * manifest-list digest (so every platform resolves to the same build) and
 * where the digest was read. A default is rendered `repository:tag@digest`:
 * the tag tells a reader the version, the digest is what the kubelet pulls,
 * and the pull policy becomes `IfNotPresent` (IMG-03) with no IMG-02 warning.
 *
 * A row without a digest is kept tag-only on purpose and says why in
 * `unpinned`: its digest could not be confirmed from two independent public
 * records, and a guessed digest is worse than none (it fails every pull).
 *
 * Refreshing a row: README "Default images".
 */

/** One default image. */
export interface DefaultImage {
  /** Registry and repository, e.g. `quay.io/prometheuscommunity/postgres-exporter`; Docker Hub official images without `library/`. */
  readonly repository: string;
  /** The version tag the digest belongs to; an exact patch version where the publisher has one. */
  readonly tag: string;
  /** `sha256:` digest of the tag's manifest list (image index). */
  readonly digest?: `sha256:${string}`;
  /** Where the digest was read (record, commit or date), or what was searched for an unpinned row. */
  readonly source: string;
  /** Why the row has no digest. Exactly the rows without `digest` have it. */
  readonly unpinned?: string;
}

const NOT_FOUND = 'no public record of the digest of this exact tag was found (2026-12-02), and the build machine has no registry access; pin it with a props override, or add the digest here once two independent records agree';

/** The table. Keys are the names constructs use. */
export const DEFAULT_IMAGES = {
  /** OtelCollector. */
  otelCollector: {
    repository: 'otel/opentelemetry-collector-contrib',
    tag: '0.120.0',
    digest: 'sha256:85ac41c2db88d0df9bd6145e608a3cb023f5d8443868adbfbbf66efb51087917',
    source: 'independent public records agree (read 2026-12-02): a release rehearsal\'s list of dependency digests, a collector test-fixture constant and a CLI\'s telemetry guide pin otel/opentelemetry-collector-contrib:0.120.0, and an OpenShift deployment guide pins the same digest on ghcr.io/open-telemetry/opentelemetry-collector-releases for 0.120.0 (none names the media type; one digest on both registries points to the index). No two records agree on a 0.115 to 0.119 tag, hence 0.120.0: the config targets 0.115 and later',
  },
  /** FluentBit. */
  fluentBit: {
    repository: 'cr.fluentbit.io/fluent/fluent-bit',
    tag: '3.2.10',
    digest: 'sha256:d6dec000c4929a439562525728c708f6e99800d7ddc82efd6aa4f45f3a20b562',
    source: 'independent public records agree (read 2026-12-02): a release document pins cr.fluentbit.io/fluent/fluent-bit:3.2.10, and another project\'s log-pilot runbook pins fluent/fluent-bit:3.2.10 at the same digest, naming it the manifest whose linux/amd64 child is sha256:41370c4e… (so an index). No record of a 3.2.2 digest, hence the newest patch of the same 3.2 line',
  },
  /** S3 backup target: the AWS CLI. */
  awsCli: {
    repository: 'amazon/aws-cli',
    tag: '2.17.0',
    digest: 'sha256:643507c10ada7964ca6157b3d799f030b90577643da9955d319a77399ed80d73',
    source: 'independent public records agree (read 2026-12-02): an agent runtime\'s installer manifests and a data platform\'s scripts pin amazon/aws-cli:2.17.0 at this digest, and a Nix image set that fetches it checks that it is the index whose linux/amd64 child is sha256:7b7edf78… (the digest a third project recorded for the tag). No record of a 2.9.19 digest, hence 2.17.0: the scripts use only `aws s3 cp/ls/rm`, `--endpoint-url` and path-style addressing, as with 2.9.19 (the CLI the tests run, from Debian), and 2.17.0 predates the CRC checksums of 2.23',
  },
  /** Files backup engine: busybox tar, gzip and ash. */
  alpine: {
    repository: 'alpine',
    tag: '3.24.2',
    digest: 'sha256:31b6477333eb8257db9e5d7c3a7264fd0467928756f0bbcc27d35bea5d28cdbd',
    source: 'docker-library/repo-info repos/alpine/remote/3.24.2.md at 1746b58749182f00f5d2c26a53fff697cfce2c81 (build of 2026-09-17)',
  },
  /** RedisStore server and the redis backup client (flavor `redis`). */
  redis: {
    repository: 'redis',
    tag: '7.2.16-alpine',
    digest: 'sha256:ccd6aa8d45ff3f033d6fa15b8cc1a50579f65c89f38cf9bb607a954c4f2128ed',
    source: 'docker-library/repo-info repos/redis/remote/7.2.16-alpine.md at 1742085aa3304e996a45e00271d6b8308029b6e3 (build of 2026-08-18)',
  },
  /** RedisStore server and the valkey backup client (flavor `valkey`). */
  valkey: {
    repository: 'valkey/valkey',
    tag: '8.1.3-alpine',
    digest: 'sha256:d827e7f7552cdee40cc7482dbae9da020f42bc47669af6f71182a4ef76a22773',
    source: 'not a Docker official image; independent public records agree (read 2026-12-02): a restore-drill script and the test fixtures of another project pin valkey/valkey:8.1.3-alpine, and a Terraform image list pins the same digest on ghcr.io/valkey-io/valkey (no two records agree on any 8.0 tag, hence 8.1)',
  },
  /** RedisStore monitoring sidecar. */
  redisExporter: {
    repository: 'oliver006/redis_exporter',
    tag: 'v1.66.0',
    digest: 'sha256:d98e6db8094f491b95791e9f776b0ba30a20aeacb90e18334935d5e51bf2e6a1',
    source: 'independent public records agree (read 2026-12-02): a Valkey operator\'s default exporter image (the multi-arch index, read with `docker buildx imagetools inspect`) and a platform\'s image-pin verification table (multi-architecture index) pin oliver006/redis_exporter:v1.66.0 at this digest, and a third project pins the same digest on quay.io. No record of a v1.62.0 digest, hence v1.66.0: REDIS_ADDR, REDIS_PASSWORD, the REDIS_EXPORTER_TLS_* variables and /health are unchanged in the v1 line',
  },
  /** PostgresStore `statefulSet` server and the PostgreSQL 15 backup client. */
  postgres15: {
    repository: 'postgres',
    tag: '15.19-alpine',
    digest: 'sha256:f7d23353e1b15400d22ebe31189f4d314b87a4c129cc400c8c2d8d4ca127bf81',
    source: 'docker-library/repo-info repos/postgres/remote/15.19-alpine.md at 2e447048e0f2c284c71fa7d23f2f81a5be00599d (build of 2026-09-17)',
  },
  /** PostgreSQL 16 backup client. */
  postgres16: {
    repository: 'postgres',
    tag: '16.15-alpine',
    digest: 'sha256:721873c34ceb9f8d8fc265984940dc982404c105f19ad51be9fdc5970a6080ea',
    source: 'docker-library/repo-info repos/postgres/remote/16.15-alpine.md at 14ad5cc17dd0e9a01079feefc7a59c24536f5291 (build of 2026-09-17)',
  },
  /** PostgreSQL 17 backup client. */
  postgres17: {
    repository: 'postgres',
    tag: '17.11-alpine',
    digest: 'sha256:b0f9560a2de083e2cc7382e75f808c7381a32852a7ec49117deedb300e552b24',
    source: 'docker-library/repo-info repos/postgres/remote/17.11-alpine.md at 14ad5cc17dd0e9a01079feefc7a59c24536f5291 (build of 2026-09-17)',
  },
  /** PostgresStore monitoring sidecar. */
  postgresExporter: {
    repository: 'quay.io/prometheuscommunity/postgres-exporter',
    tag: 'v0.15.0',
    digest: 'sha256:386b12d19eab2a37d7cd8ca8b4c7491cc7a830d9581f49af6c98a393da9605e6',
    source: 'three independent public records agree (read 2026-12-02): an operations rollback note pinning the quay.io image, and two projects pinning the same digest on Docker Hub (a Go provisioner constant and a docker-compose contract test)',
  },
  /** PgBouncer. */
  pgbouncer: {
    repository: 'edoburu/pgbouncer',
    tag: 'v1.23.1-p3',
    digest: 'sha256:377dec3c0e4a66a1077ec043e16a26ed5702a6d954011a7983a1457c2e070b1d',
    source: 'two independent public records agree (read 2026-12-02): an architecture decision record (digest read from the Registry v2 API on 2026-03-16, also pinned in its Terraform) and an n8n hosting Terraform module',
  },
  /** PgBouncer monitoring sidecar. */
  pgbouncerExporter: {
    repository: 'prometheuscommunity/pgbouncer-exporter',
    tag: 'v0.9.0',
    source: 'searched public manifests (2026-12-02) for digest pins of `pgbouncer-exporter` v0.8 to v0.13: tag-only references, and one project alone pinning quay.io v0.12.1',
    unpinned: NOT_FOUND,
  },
  /** OpaServer and its monitoring. */
  opa: {
    repository: 'openpolicyagent/opa',
    tag: '0.70.0-static',
    source: 'searched public manifests (2026-12-02) for `-static` pins of 0.60 to 0.70 (and plain 0.68 to 0.70): tag-only references, and one project alone pinning 0.68.0-static; 1.x pins exist, but 1.x parses policies as Rego v1 by default (a user\'s v0 policy stops loading) and changes other defaults, a move to test with an OPA binary first',
    unpinned: NOT_FOUND,
  },
} as const satisfies Record<string, DefaultImage>;

/** The name of a row of {@link DEFAULT_IMAGES}. */
export type DefaultImageName = keyof typeof DEFAULT_IMAGES;

/** Renders a row: `repository:tag@sha256:...`, or `repository:tag` for an unpinned row. */
export function renderImage(image: DefaultImage): string {
  return `${image.repository}:${image.tag}${image.digest ? `@${image.digest}` : ''}`;
}

/** The default image named `name`, rendered. */
export function defaultImage(name: DefaultImageName): string {
  return renderImage(DEFAULT_IMAGES[name]);
}

/** PostgreSQL majors with a pinned client image in the table. */
const POSTGRES_CLIENTS: Readonly<Record<number, DefaultImageName>> = { 15: 'postgres15', 16: 'postgres16', 17: 'postgres17' };

/**
 * The PostgreSQL client image (pg_dump, pg_restore, psql) for a server major:
 * the pinned row of that major, or `postgres:<major>-alpine` tag-only for a
 * major without one (a client of the server's major or newer is required).
 */
export function postgresClientImage(major: number): string {
  const name = POSTGRES_CLIENTS[major];
  return name ? defaultImage(name) : renderImage({ repository: DEFAULT_IMAGES.postgres15.repository, tag: `${major}-alpine`, source: 'derived' });
}
