import type { Engine } from './engines.js';

/**
 * The shell scripts the backup, upload and restore containers run with
 * `/bin/sh -c`. They are POSIX sh plus `set -o pipefail`, which busybox ash
 * (the alpine images), dash and bash all support, and use only tools that
 * busybox provides (`date -d @N`, `sha256sum`, `gzip`, `tar`, `mv`).
 *
 * Everything a script touches comes from environment variables set in the
 * manifest, so the same text runs in the pod and in the tests (which point
 * the variables at temporary directories and servers on loopback):
 *
 * | variable | meaning |
 * |---|---|
 * | `BACKUP_DIR` | directory of the finished backups |
 * | `BACKUP_PREFIX`, `BACKUP_EXT` | backups are `<prefix>-<YYYYMMDDTHHMMSSZ>.<ext>` (UTC) |
 * | `SCRATCH_DIR` | writable scratch space (also `HOME`) |
 * | `RETENTION_DAYS`, `RETENTION_MIN_KEEP` | delete backups older than this, but always keep the newest N good ones |
 * | `BACKUP_DEADLINE_SECONDS` | a `.partial` file older than this is left over from a killed run |
 * | `PGHOST` ... `PGPASSWORD` | libpq's own variables; `PGPASSFILE_SOURCE` is a mounted `.pgpass` |
 * | `REDIS_HOST`, `REDIS_PORT`, `REDIS_USER`, `REDISCLI_AUTH` | Redis connection |
 * | `SOURCE_DIR` | directory archived by the files engine |
 * | `S3_BUCKET`, `S3_PREFIX`, `S3_ENDPOINT`, `S3_FORCE_PATH_STYLE`, `AWS_*` | object storage |
 * | `RESTORE_BACKUP` | file name of the backup to restore, or `latest` |
 *
 * A backup is good when it has a `<name>.sha256` file beside it (written
 * only after the dump passed its engine's check) and its content matches.
 * Ages come from the UTC time in the name, not from file times, which
 * copies and volume restores do not keep.
 */

/**
 * A template tag for shell text: like `String.raw`, so backslashes reach the
 * shell as written, with `\${` turned into the shell's `${` (a bare `${...}`
 * is a TypeScript interpolation).
 */
function sh(strings: TemplateStringsArray, ...values: readonly unknown[]): string {
  return String.raw({ raw: strings.raw.map((s) => s.replace(/\\\$\{/g, '${')) }, ...values);
}

/** Helpers every script starts with. */
const PRELUDE = sh`set -euo pipefail
umask 027
log() { printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
fail() { log "FAILED: $*" >&2; exit 1; }
# <prefix>-YYYYMMDDTHHMMSSZ.<ext>, nothing else (not .partial, .sha256 or .corrupt files).
is_backup_name() {
  case $1 in
    "$BACKUP_PREFIX"-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z."$BACKUP_EXT") return 0 ;;
  esac
  return 1
}
# The UTC time in a backup name as one number, YYYYMMDDHHMMSS.
stamp_number() {
  s=$1
  s=\${s#*"$BACKUP_PREFIX"-}
  s=\${s%%.*}
  d=\${s%T*}
  t=\${s#*T}
  printf '%s%s' "$d" "\${t%Z}"
}
# Whether a backup file matches the checksum written beside it.
verify_checksum() {
  [ -s "$1" ] && [ -s "$1.sha256" ] || return 1
  actual=$(sha256sum < "$1") || return 1
  expected=$(cat "$1.sha256") || return 1
  [ "\${actual%% *}" = "\${expected%% *}" ]
}
`;

/** The dump and check of each engine, as shell functions `dump FILE` and `check_dump FILE`. */
function engineFunctions(e: Engine): string {
  switch (e.type) {
    case 'postgres': {
      const passFile = e.passFile
        ? sh`# libpq ignores a password file its group can read, which a mounted Secret is.
cp "$PGPASSFILE_SOURCE" "$SCRATCH_DIR/.pgpass"
chmod 600 "$SCRATCH_DIR/.pgpass"
export PGPASSFILE="$SCRATCH_DIR/.pgpass"
`
        : '';
      if (e.format === 'custom') {
        return (
          passFile +
          sh`dump() {
  pg_dump --no-password --format=custom --file="$1" || return 1
}
# The TOC, then every data block: a truncated or damaged archive fails here.
check_dump() {
  pg_restore --list "$1" > /dev/null || return 1
  pg_restore --file=/dev/null "$1" || return 1
}
`
        );
      }
      return (
        passFile +
        sh`dump() {
  pg_dump --no-password --format=plain | gzip -c > "$1" || return 1
}
# The gzip stream, then the marker pg_dump writes only after the last object.
check_dump() {
  gzip -t "$1" || return 1
  last=$(gzip -dc "$1" | tail -n 5) || return 1
  case $last in
    *'-- PostgreSQL database dump complete'*) return 0 ;;
  esac
  log "the dump does not end with pg_dump's completion marker" >&2
  return 1
}
`
      );
    }
    case 'redis': {
      const cli = e.flavor === 'valkey' ? 'valkey-cli' : 'redis-cli';
      const check = e.flavor === 'valkey' ? 'valkey-check-rdb' : 'redis-check-rdb';
      const user = e.user ? ' --user "$REDIS_USER"' : '';
      const tls = e.tls ? ' --tls' : '';
      return sh`# The password comes from REDISCLI_AUTH, never from the command line.
redis() {
  ${cli} -h "$REDIS_HOST" -p "$REDIS_PORT"${user}${tls} "$@"
}
dump() {
  redis --rdb "$1" || return 1
}
# The RDB magic, then every record and the CRC64 checksum at the end.
check_dump() {
  magic=$(head -c 5 "$1") || return 1
  [ "$magic" = REDIS ] || { log "not an RDB file" >&2; return 1; }
  ${check} "$1" > "$SCRATCH_DIR/check-rdb.log" 2>&1 || { cat "$SCRATCH_DIR/check-rdb.log" >&2; return 1; }
}
`;
    }
    case 'files':
      return sh`dump() {
  tar -c -z -f "$1" -C "$SOURCE_DIR" . || return 1
}
# The gzip stream, then the tar index.
check_dump() {
  gzip -t "$1" || return 1
  tar -t -z -f "$1" > /dev/null || return 1
}
`;
  }
}

/** Deletes leftovers of killed runs, then dumps, checks and renames into place, then applies retention. */
const BACKUP_MAIN = sh`[ -d "$BACKUP_DIR" ] || fail "backup directory $BACKUP_DIR does not exist"
now=$(date -u +%s)
stamp=$(date -u -d "@$now" +%Y%m%dT%H%M%SZ)
name="$BACKUP_PREFIX-$stamp.$BACKUP_EXT"
final="$BACKUP_DIR/$name"
partial="$BACKUP_DIR/.$name.partial"

# A .partial file older than the Job's deadline belongs to a run that was killed.
stale=$(date -u -d "@$((now - BACKUP_DEADLINE_SECONDS))" +%Y%m%d%H%M%S)
for f in "$BACKUP_DIR"/."$BACKUP_PREFIX"-*.partial "$BACKUP_DIR"/."$BACKUP_PREFIX"-*.partial.sha256; do
  [ -f "$f" ] || continue
  old=\${f##*/}
  old=\${old#.}
  if [ "$(stamp_number "$old")" -lt "$stale" ]; then
    rm -f "$f"
    log "removed $f, left over from a killed run"
  fi
done

[ ! -e "$final" ] || fail "$name already exists"
trap 'rm -f "$partial" "$partial.sha256"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
touch "$partial" || fail "cannot create a file in $BACKUP_DIR"

log "dumping to $partial"
dump "$partial" || fail "the dump failed; no backup was written and retention did not run"
[ -s "$partial" ] || fail "the dump is empty; no backup was written and retention did not run"
log "checking $partial"
check_dump "$partial" || fail "the dump failed its check; no backup was written and retention did not run"
sum=$(sha256sum < "$partial") || fail "cannot checksum $partial"
printf '%s  %s\n' "\${sum%% *}" "$name" > "$partial.sha256" || fail "cannot write the checksum"
sync "$partial" "$partial.sha256" || fail "cannot flush $partial to disk"
# The checksum first: a backup without one is never counted as good.
mv "$partial.sha256" "$final.sha256"
mv "$partial" "$final"
size=$(wc -c < "$final")
log "wrote $name ($size bytes, sha256 \${sum%% *})"
printf '%s\n' "$name" > "$SCRATCH_DIR/backup-name"

# Retention runs only after a good backup. Every existing backup is checked
# first; a damaged one is renamed to .corrupt (so it no longer looks good),
# the run fails, and nothing is deleted.
cutoff=$(date -u -d "@$((now - RETENTION_DAYS * 86400))" +%Y%m%d%H%M%S)
good=0
bad=0
for f in "$BACKUP_DIR"/*; do
  b=\${f##*/}
  [ -f "$f" ] && is_backup_name "$b" || continue
  if verify_checksum "$f"; then
    good=$((good + 1))
  else
    mv -f "$f" "$f.corrupt"
    [ ! -f "$f.sha256" ] || mv -f "$f.sha256" "$f.sha256.corrupt"
    log "$b does not match its checksum; renamed to $b.corrupt" >&2
    bad=$((bad + 1))
  fi
done
[ "$bad" -eq 0 ] || fail "$bad existing backup(s) failed verification and were renamed to .corrupt; retention deleted nothing"
kept=$good
deleted=0
# Oldest first (the glob sorts by name, so by time); the newest
# RETENTION_MIN_KEEP good backups are never deleted, whatever their age.
for f in "$BACKUP_DIR"/*; do
  b=\${f##*/}
  [ -f "$f" ] && is_backup_name "$b" || continue
  [ "$kept" -gt "$RETENTION_MIN_KEEP" ] || break
  [ "$(stamp_number "$b")" -lt "$cutoff" ] || break
  rm -f "$f" "$f.sha256"
  kept=$((kept - 1))
  deleted=$((deleted + 1))
  log "deleted $b (older than $RETENTION_DAYS days)"
done
log "retention: $kept good backups kept, $deleted deleted"
`;

/** The script of the backup container. */
export function backupScript(e: Engine): string {
  return `${PRELUDE}${engineFunctions(e)}${BACKUP_MAIN}`;
}

/** `aws` with the endpoint of an S3-compatible store, and path-style addressing when asked for. */
const AWS_PRELUDE = sh`export HOME="$SCRATCH_DIR"
s3() {
  if [ -n "\${S3_ENDPOINT:-}" ]; then aws --endpoint-url "$S3_ENDPOINT" s3 "$@"; else aws s3 "$@"; fi
}
if [ "\${S3_FORCE_PATH_STYLE:-false}" = true ]; then
  mkdir -p "$HOME/.aws"
  printf '[default]\ns3 =\n    addressing_style = path\n' > "$HOME/.aws/config"
fi
url="s3://$S3_BUCKET/\${S3_PREFIX:-}"
`;

/**
 * The script of the upload container: uploads the backup the backup
 * container just wrote, reads it back and compares checksums, uploads the
 * checksum last (an object without one is never counted as good), then
 * applies retention to the bucket with the same rule as on the volume.
 */
export function uploadScript(): string {
  return `${PRELUDE}${AWS_PRELUDE}${sh`name=$(cat "$SCRATCH_DIR/backup-name") || fail "the backup container handed over no backup"
file="$BACKUP_DIR/$name"
verify_checksum "$file" || fail "$name does not match its checksum before the upload"
expected=$(cat "$file.sha256")
log "uploading $name to $url"
s3 cp --only-show-errors "$file" "$url$name" || fail "the upload of $name failed"
remote=$(s3 cp --only-show-errors "$url$name" - | sha256sum) || fail "cannot read $url$name back"
[ "\${remote%% *}" = "\${expected%% *}" ] || fail "$url$name differs from the local backup after the upload"
s3 cp --only-show-errors "$file.sha256" "$url$name.sha256" || fail "the upload of $name.sha256 failed"
log "uploaded and read back $name"

now=$(date -u +%s)
cutoff=$(date -u -d "@$((now - RETENTION_DAYS * 86400))" +%Y%m%d%H%M%S)
listing=$(s3 ls "$url") || fail "cannot list $url"
keys='
'
while read -r _day _time _size key; do
  [ -n "\${key:-}" ] && keys="$keys$key
"
done <<EOF
$listing
EOF
set -f
good=0
for key in $keys; do
  is_backup_name "$key" || continue
  case $keys in *"
$key.sha256
"*) good=$((good + 1)) ;; esac
done
kept=$good
deleted=0
for key in $keys; do
  is_backup_name "$key" || continue
  case $keys in *"
$key.sha256
"*) ;; *) continue ;; esac
  [ "$kept" -gt "$RETENTION_MIN_KEEP" ] || break
  [ "$(stamp_number "$key")" -lt "$cutoff" ] || break
  s3 rm --only-show-errors "$url$key" || fail "cannot delete $url$key"
  s3 rm --only-show-errors "$url$key.sha256" || fail "cannot delete $url$key.sha256"
  kept=$((kept - 1))
  deleted=$((deleted + 1))
  log "deleted $url$key (older than $RETENTION_DAYS days)"
done
set +f
log "bucket retention: $kept good backups kept, $deleted deleted"
`}`;
}

/**
 * The script of the fetch container of a restore from object storage:
 * downloads the named backup (or the newest one with a checksum) and its
 * checksum into `BACKUP_DIR`.
 */
export function fetchScript(): string {
  return `${PRELUDE}${AWS_PRELUDE}${sh`name=$RESTORE_BACKUP
if [ "$name" = latest ]; then
  listing=$(s3 ls "$url") || fail "cannot list $url"
  keys='
'
  while read -r _day _time _size key; do
    [ -n "\${key:-}" ] && keys="$keys$key
"
  done <<EOF
$listing
EOF
  name=
  set -f
  for key in $keys; do
    is_backup_name "$key" || continue
    case $keys in *"
$key.sha256
"*) name=$key ;; esac
  done
  set +f
  [ -n "$name" ] || fail "no backup with a checksum under $url"
fi
is_backup_name "$name" || fail "$name is not a backup name of the form $BACKUP_PREFIX-YYYYMMDDTHHMMSSZ.$BACKUP_EXT"
log "downloading $url$name"
s3 cp --only-show-errors "$url$name.sha256" "$BACKUP_DIR/$name.sha256" || fail "cannot download $url$name.sha256"
s3 cp --only-show-errors "$url$name" "$BACKUP_DIR/$name" || fail "cannot download $url$name"
verify_checksum "$BACKUP_DIR/$name" || fail "$name does not match its checksum after the download"
printf '%s\n' "$name" > "$SCRATCH_DIR/backup-name"
log "downloaded $name"
`}`;
}

/** Picks the backup named by RESTORE_BACKUP (or the newest good one), checks it, and sets `file`. */
const PICK_BACKUP = sh`name=$RESTORE_BACKUP
if [ -f "$SCRATCH_DIR/backup-name" ]; then
  name=$(cat "$SCRATCH_DIR/backup-name")
fi
if [ "$name" = latest ]; then
  name=
  for f in "$BACKUP_DIR"/*; do
    b=\${f##*/}
    [ -f "$f" ] && is_backup_name "$b" || continue
    if verify_checksum "$f"; then name=$b; else log "skipping $b: it does not match its checksum" >&2; fi
  done
  [ -n "$name" ] || fail "no good backup named $BACKUP_PREFIX-*.$BACKUP_EXT in $BACKUP_DIR"
fi
is_backup_name "$name" || fail "$name is not a backup name of the form $BACKUP_PREFIX-YYYYMMDDTHHMMSSZ.$BACKUP_EXT"
file="$BACKUP_DIR/$name"
[ -f "$file" ] || fail "$file does not exist"
verify_checksum "$file" || fail "$name does not match its checksum; restore another backup"
check_dump "$file" || fail "$name failed its check; restore another backup"
log "restoring $name"
`;

/** Options of the restore step of each engine. */
export interface RestoreOptions {
  /** PostgreSQL: create the target database first (fails when it exists). */
  readonly createDatabase: boolean;
  /** PostgreSQL custom format: drop objects before re-creating them. */
  readonly clean: boolean;
  /** PostgreSQL custom format: skip ownership and privileges (`--no-owner --no-privileges`). */
  readonly noOwner: boolean;
  /** Redis: refuse to run while the server answers. */
  readonly checkStopped: boolean;
}

function restoreStep(e: Engine, o: RestoreOptions): string {
  switch (e.type) {
    case 'postgres': {
      const create = o.createDatabase
        ? sh`log "creating database $PGDATABASE"
createdb --no-password --maintenance-db=postgres "$PGDATABASE" || fail "cannot create database $PGDATABASE (it must not exist yet)"
`
        : '';
      if (e.format === 'custom') {
        const flags = [
          '--no-password',
          '--exit-on-error',
          '--single-transaction',
          ...(o.noOwner ? ['--no-owner', '--no-privileges'] : []),
          ...(o.clean ? ['--clean', '--if-exists'] : []),
        ].join(' ');
        return `${create}pg_restore ${flags} --dbname="$PGDATABASE" "$file" || fail "pg_restore failed; the transaction was rolled back"
log "restored $name into database $PGDATABASE"
`;
      }
      return `${create}gzip -dc "$file" | psql --no-password --no-psqlrc --quiet --set=ON_ERROR_STOP=1 --single-transaction --dbname="$PGDATABASE" > /dev/null || fail "psql failed; the transaction was rolled back"
log "restored $name into database $PGDATABASE"
`;
    }
    case 'redis': {
      const stopped = o.checkStopped
        ? sh`# An RDB is read only at start-up; a running server would overwrite it at its next save.
answer=$(redis ping 2>&1) || true
case $answer in
  *PONG*|*NOAUTH*|*WRONGPASS*|*LOADING*|*MASTERDOWN*) fail "the server at $REDIS_HOST:$REDIS_PORT is running; stop it (scale it to 0) before restoring" ;;
esac
`
        : '';
      return `${stopped}${sh`[ -d "$REDIS_DATA_DIR" ] || fail "data directory $REDIS_DATA_DIR does not exist"
# With appendonly on, Redis loads the AOF and ignores dump.rdb: move it aside.
for old in appendonlydir appendonly.aof "$REDIS_RDB_FILENAME"; do
  if [ -e "$REDIS_DATA_DIR/$old" ]; then
    mv "$REDIS_DATA_DIR/$old" "$REDIS_DATA_DIR/$old.before-restore-$(date -u +%Y%m%dT%H%M%SZ)"
    log "moved $old aside"
  fi
done
cp "$file" "$REDIS_DATA_DIR/.restore.partial" || fail "cannot copy into $REDIS_DATA_DIR"
copied=$(sha256sum < "$REDIS_DATA_DIR/.restore.partial")
expected=$(cat "$file.sha256")
[ "\${copied%% *}" = "\${expected%% *}" ] || { rm -f "$REDIS_DATA_DIR/.restore.partial"; fail "the copy differs from $name"; }
mv "$REDIS_DATA_DIR/.restore.partial" "$REDIS_DATA_DIR/$REDIS_RDB_FILENAME"
log "restored $name as $REDIS_DATA_DIR/$REDIS_RDB_FILENAME; start the server with appendonly no, then CONFIG SET appendonly yes if it uses AOF"
`}`;
    }
    case 'files':
      return sh`[ -d "$TARGET_DIR" ] || fail "target directory $TARGET_DIR does not exist"
[ -z "$(ls -A "$TARGET_DIR")" ] || fail "target directory $TARGET_DIR is not empty; restore into an empty directory"
tar -x -z -f "$file" -C "$TARGET_DIR" || fail "extracting $name failed"
log "restored $name into $TARGET_DIR"
`;
  }
}

/** The script of the restore container. */
export function restoreScript(e: Engine, o: RestoreOptions): string {
  return `${PRELUDE}${engineFunctions(e)}${PICK_BACKUP}${restoreStep(e, o)}`;
}
