import { REDIS } from '../core/redis.js';
import { REDIS_TIERS, type RedisStoreConfig, type ResolvedRedis } from './redis-store-props.js';

/**
 * The files of a Redis store's ConfigMap: `redis.conf` and `sentinel.conf`
 * with `@NAME@` placeholders for what differs per pod (its announced
 * address and ports, the primary's address, the data directory), and the
 * POSIX sh scripts that fill them in at start-up and probe the servers.
 * The scripts run under busybox ash (the alpine images) and dash; the
 * passwords are read from the mounted Secret files into the rendered
 * configuration on an emptyDir, never put in the manifest or on a command
 * line.
 */

/** File names in the ConfigMap. */
export const REDIS_FILES = {
  redisConf: 'redis.conf',
  sentinelConf: 'sentinel.conf',
  startRedis: 'start-redis.sh',
  startSentinel: 'start-sentinel.sh',
  probe: 'probe.sh',
} as const;

/** File names of the mounted Secret keys. */
export const REDIS_SECRET_FILES = { password: 'password', sentinelPassword: 'sentinel-password' } as const;

/** File names in the TLS directory (`TLS_DIR`): the certificate, its key, and the CA bundle. */
export const REDIS_TLS_FILES = { cert: 'tls.crt', key: 'tls.key', ca: 'ca.crt' } as const;

/** The TLS lines of redis.conf and sentinel.conf: the plaintext port closed, TLS on `portPlaceholder`, replication over TLS. */
function tlsLines(p: RedisStoreConfig, portPlaceholder: string): string[] {
  if (!p.tls) return [`port ${portPlaceholder}`];
  return [
    '# TLS only: the plaintext port is closed; replication and Sentinel connect over TLS too',
    'port 0',
    `tls-port ${portPlaceholder}`,
    `tls-cert-file @TLS_DIR@/${REDIS_TLS_FILES.cert}`,
    `tls-key-file @TLS_DIR@/${REDIS_TLS_FILES.key}`,
    `tls-ca-cert-file @TLS_DIR@/${REDIS_TLS_FILES.ca}`,
    `tls-auth-clients ${p.tls.authClients ? 'yes' : 'no'}`,
    'tls-replication yes',
  ];
}

/**
 * The CLI's TLS arguments, for the scripts (unquoted: TLS_DIR is checked to
 * be a plain path): check the server against the CA, and with
 * `authClients` present the store's own certificate.
 */
function cliTls(p: RedisStoreConfig): string {
  if (!p.tls) return '';
  const d = '$TLS_DIR';
  const client = p.tls.authClients ? ` --cert ${d}/${REDIS_TLS_FILES.cert} --key ${d}/${REDIS_TLS_FILES.key}` : '';
  return `--tls --cacert ${d}/${REDIS_TLS_FILES.ca}${client}`;
}

/** `redis.conf`: role preset, memory, tier, and per-pod placeholders. */
export function renderRedisConf(p: RedisStoreConfig, r: ResolvedRedis): string {
  const tier = REDIS_TIERS[p.tier];
  const persistence =
    p.role === 'store'
      ? ['# store: every write in the AOF, fsynced every second, plus RDB snapshots', 'appendonly yes', 'appendfsync everysec', 'save 3600 1 300 100 60 10000']
      : ['# cache: nothing on disk', 'appendonly no', 'save ""'];
  return [
    '# Rendered by cdk8s-agent-platform; start-redis.sh fills in the @NAME@ placeholders and the passwords.',
    'bind * -::*',
    ...tlsLines(p, '@REDIS_PORT@'),
    'dir @DATA_DIR@',
    'daemonize no',
    'logfile ""',
    'shutdown-timeout 10',
    `maxmemory ${r.maxmemoryBytes}`,
    `maxmemory-policy ${r.maxmemoryPolicy}`,
    `io-threads ${tier.ioThreads}`,
    `tcp-backlog ${tier.tcpBacklog}`,
    ...persistence,
    'replica-announce-ip @ANNOUNCE_HOST@',
    'replica-announce-port @REDIS_PORT@',
    'replica-read-only yes',
    'replica-serve-stale-data yes',
    '',
  ].join('\n');
}

/** `sentinel.conf`: the primary to monitor (filled in at start-up) and the failover timing. */
export function renderSentinelConf(p: RedisStoreConfig, r: ResolvedRedis): string {
  const s = p.sentinel ?? { downAfterMilliseconds: 5000, failoverTimeoutMilliseconds: 60000, parallelSyncs: 1 };
  const m = r.masterName;
  return [
    '# Rendered by cdk8s-agent-platform; start-sentinel.sh fills in the @NAME@ placeholders and the passwords.',
    ...tlsLines(p, '@SENTINEL_PORT@'),
    'daemonize no',
    'logfile ""',
    'sentinel resolve-hostnames yes',
    'sentinel announce-hostnames yes',
    'sentinel announce-ip @ANNOUNCE_HOST@',
    'sentinel announce-port @SENTINEL_PORT@',
    `sentinel monitor ${m} @PRIMARY_HOST@ @PRIMARY_PORT@ ${r.quorum}`,
    `sentinel down-after-milliseconds ${m} ${s.downAfterMilliseconds}`,
    `sentinel failover-timeout ${m} ${s.failoverTimeoutMilliseconds}`,
    `sentinel parallel-syncs ${m} ${s.parallelSyncs}`,
    '',
  ].join('\n');
}

/** Shell functions both start scripts share: checks, quoting, secrets, placeholders, asking Sentinel for the primary. */
function prelude(p: RedisStoreConfig, cli: string, masterName: string): string {
  const tlsDir = p.tls ? ' -e "s|@TLS_DIR@|$TLS_DIR|g"' : '';
  return `set -eu
CLI=${cli}
MASTER=${masterName}
fail() { printf '%s: %s\\n' "$0" "$*" >&2; exit 1; }
# A host name, address or port: nothing a sed replacement or the config could misread.
check() { case "$2" in '' | *[!A-Za-z0-9.:_-]*) fail "$1 is not a host name, address or port: '$2'" ;; esac; }
checkpath() { case "$2" in '' | *[!A-Za-z0-9._/-]*) fail "$1 is not a plain path: '$2'" ;; esac; }
# A password as a double-quoted config string.
quote() { printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\\\/\\\\\\\\/g' -e 's/"/\\\\"/g')"; }
# A password from the mounted Secret: one line, not empty.
secret() {
  [ -r "$SECRET_DIR/$1" ] || fail "cannot read $SECRET_DIR/$1 (the Secret key is missing?)"
  v=$(cat "$SECRET_DIR/$1")
  [ -n "$v" ] || fail "$SECRET_DIR/$1 is empty"
  case "$v" in *'
'*) fail "$SECRET_DIR/$1 holds more than one line" ;; esac
  printf '%s' "$v"
}
fill() {
  sed -e "s|@ANNOUNCE_HOST@|$ANNOUNCE_HOST|g" -e "s|@REDIS_PORT@|$REDIS_PORT|g" -e "s|@SENTINEL_PORT@|$SENTINEL_PORT|g" \\
    -e "s|@PRIMARY_HOST@|$PRIMARY_HOST|g" -e "s|@PRIMARY_PORT@|$PRIMARY_PORT|g" -e "s|@DATA_DIR@|$DATA_DIR|g"${tlsDir} "$1"
}
# The primary as the first Sentinel that knows it reports it; the configured first member otherwise.
ask_sentinels() {
  for s in $SENTINELS; do
    h=\${s%:*}; p=\${s##*:}
    out=$(REDISCLI_AUTH="$SENTINEL_PASSWORD" timeout 3 "$CLI"${p.tls ? ' $TLS' : ''} -h "$h" -p "$p" --raw SENTINEL get-master-addr-by-name "$MASTER" 2>/dev/null) || continue
    ph=$(printf '%s\\n' "$out" | sed -n 1p); pp=$(printf '%s\\n' "$out" | sed -n 2p)
    case "$ph$pp" in '' | *[!A-Za-z0-9.:_-]*) continue ;; esac
    [ -n "$ph" ] && [ -n "$pp" ] || continue
    PRIMARY_HOST=$ph; PRIMARY_PORT=$pp
    return 0
  done
  return 1
}
check ANNOUNCE_HOST "\${ANNOUNCE_HOST:-}"; check REDIS_PORT "\${REDIS_PORT:-}"; check SENTINEL_PORT "\${SENTINEL_PORT:-}"
check PRIMARY_HOST "\${PRIMARY_HOST:-}"; check PRIMARY_PORT "\${PRIMARY_PORT:-}"
checkpath CONFIG_DIR "\${CONFIG_DIR:-}"; checkpath RUN_DIR "\${RUN_DIR:-}"; checkpath DATA_DIR "\${DATA_DIR:-}"; checkpath SECRET_DIR "\${SECRET_DIR:-}"
${p.tls ? `checkpath TLS_DIR "\${TLS_DIR:-}"\nTLS="${cliTls(p)}"\n` : ''}SENTINELS=\${SENTINELS:-}
for s in $SENTINELS; do check SENTINELS "$s"; done
PASSWORD=$(secret ${REDIS_SECRET_FILES.password})
SENTINEL_PASSWORD=$(secret ${REDIS_SECRET_FILES.sentinelPassword})
umask 077
`;
}

/** The server's start script: find the primary, render redis.conf, exec the server. */
export function startRedisScript(p: RedisStoreConfig, r: ResolvedRedis): string {
  const f = REDIS.flavors[p.flavor];
  return `#!/bin/sh
# Starts ${f.server} with the configuration of this pod: the template from the
# ConfigMap with this pod's address, the passwords from the Secret files, and,
# unless this pod is the primary, the primary to replicate from (asked of
# Sentinel; the first member when no Sentinel knows one yet).
${prelude(p, f.cli, r.masterName)}
ask_sentinels || true
{
  fill "$CONFIG_DIR/${REDIS_FILES.redisConf}"
  printf 'requirepass %s\\n' "$(quote "$PASSWORD")"
  printf 'masterauth %s\\n' "$(quote "$PASSWORD")"
  if [ "$PRIMARY_HOST:$PRIMARY_PORT" != "$ANNOUNCE_HOST:$REDIS_PORT" ] && [ -n "$SENTINELS" ]; then
    printf 'replicaof %s %s\\n' "$PRIMARY_HOST" "$PRIMARY_PORT"
  fi
} > "$RUN_DIR/${REDIS_FILES.redisConf}.tmp"
mv "$RUN_DIR/${REDIS_FILES.redisConf}.tmp" "$RUN_DIR/${REDIS_FILES.redisConf}"
exec ${f.server} "$RUN_DIR/${REDIS_FILES.redisConf}"
`;
}

/** Sentinel's start script: find the primary, render sentinel.conf (Sentinel rewrites it), exec Sentinel. */
export function startSentinelScript(p: RedisStoreConfig, r: ResolvedRedis): string {
  const f = REDIS.flavors[p.flavor];
  return `#!/bin/sh
# Starts ${f.sentinel} monitoring the current primary (asked of the other
# Sentinels; the first member when none knows one yet), announcing this
# pod's address, with the passwords from the Secret files.
${prelude(p, f.cli, r.masterName)}
ask_sentinels || true
{
  fill "$CONFIG_DIR/${REDIS_FILES.sentinelConf}"
  printf 'sentinel auth-pass %s %s\\n' "$MASTER" "$(quote "$PASSWORD")"
  printf 'requirepass %s\\n' "$(quote "$SENTINEL_PASSWORD")"
  printf 'sentinel sentinel-pass %s\\n' "$(quote "$SENTINEL_PASSWORD")"
} > "$RUN_DIR/${REDIS_FILES.sentinelConf}.tmp"
mv "$RUN_DIR/${REDIS_FILES.sentinelConf}.tmp" "$RUN_DIR/${REDIS_FILES.sentinelConf}"
exec ${f.sentinel} "$RUN_DIR/${REDIS_FILES.sentinelConf}"
`;
}

/**
 * The probe script. `live`: the server answers PING (or is loading its
 * data). `ready`: it answers PONG and, as a replica, its link to the primary
 * is up and the first sync is done. `sentinel-live`: Sentinel answers PING.
 * `sentinel-ready`: Sentinel knows the primary's address.
 */
export function probeScript(p: RedisStoreConfig, r: ResolvedRedis): string {
  const cli = REDIS.flavors[p.flavor].cli;
  return `#!/bin/sh
set -eu
CLI=${cli}
fail() { printf 'probe %s: %s\\n' "$MODE" "$*" >&2; exit 1; }
MODE=\${1:-}
${p.tls ? `case "\${TLS_DIR:-}" in '' | *[!A-Za-z0-9._/-]*) fail "TLS_DIR is not a plain path: '\${TLS_DIR:-}'" ;; esac\nTLS="${cliTls(p)}"\n` : ''}redis() { REDISCLI_AUTH="$(cat "$SECRET_DIR/${REDIS_SECRET_FILES.password}")" timeout 3 "$CLI"${p.tls ? ' $TLS' : ''} -h 127.0.0.1 -p "$REDIS_PORT" --raw "$@" 2>&1; }
sentinel() { REDISCLI_AUTH="$(cat "$SECRET_DIR/${REDIS_SECRET_FILES.sentinelPassword}")" timeout 3 "$CLI"${p.tls ? ' $TLS' : ''} -h 127.0.0.1 -p "$SENTINEL_PORT" --raw "$@" 2>&1; }
case "$MODE" in
  live)
    out=$(redis PING) || fail "no answer: $out"
    case "$out" in PONG | LOADING*) exit 0 ;; esac
    fail "$out" ;;
  ready)
    out=$(redis PING) || fail "no answer: $out"
    [ "$out" = PONG ] || fail "$out"
    info=$(redis INFO replication | tr -d '\\r')
    case "$info" in *role:master*) exit 0 ;; esac
    case "$info" in *master_link_status:up*) ;; *) fail "replica not linked to its primary" ;; esac
    case "$info" in *master_sync_in_progress:0*) exit 0 ;; esac
    fail "replica still syncing" ;;
  sentinel-live)
    out=$(sentinel PING) || fail "no answer: $out"
    [ "$out" = PONG ] || fail "$out" ;;
  sentinel-ready)
    out=$(sentinel SENTINEL get-master-addr-by-name ${r.masterName}) || fail "no answer: $out"
    [ "$(printf '%s\\n' "$out" | grep -c .)" = 2 ] || fail "no primary known: $out" ;;
  *) fail "usage: probe.sh live|ready|sentinel-live|sentinel-ready" ;;
esac
`;
}
