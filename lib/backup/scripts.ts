import type { Engine } from './engines.js';
import { filesRestore, FILES_FUNCTIONS } from './shell/files.js';
import type { RestoreOptions } from './shell/options.js';
import { postgresFunctions, postgresRestore } from './shell/postgres.js';
import { PRELUDE, sh } from './shell/prelude.js';
import { redisFunctions, redisRestore } from './shell/redis.js';
import { AWS_PRELUDE, FETCH, UPLOAD } from './shell/s3.js';

export type { RestoreOptions } from './shell/options.js';
export { scratchDatabase } from './shell/postgres.js';

/**
 * The shell scripts the backup, upload, fetch and restore containers run
 * with `/bin/sh -c`. They are POSIX sh without pipelines, and run the same
 * under dash (Debian-based images), busybox ash (alpine) and bash (the
 * aws-cli image), with GNU or busybox tools (`date -d @N`, `sha256sum`,
 * `gzip`, `tar`, `mktemp`, `mkfifo`, `stat -c`, `flock`); see
 * `shell/prelude.ts` for how they do without `pipefail`.
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
 * | `REDIS_DATA_DIR`, `REDIS_RDB_FILENAME` | the stopped server's data directory and RDB file a restore writes |
 * | `SOURCE_DIR` | directory archived by the files engine |
 * | `TARGET_DIR` | empty directory a files restore extracts into |
 * | `S3_BUCKET`, `S3_PREFIX`, `S3_ENDPOINT`, `S3_FORCE_PATH_STYLE`, `AWS_*` | object storage |
 * | `RESTORE_BACKUP` | file name of the backup to restore, or `latest` |
 *
 * A backup is good when it has a `<name>.sha256` file beside it (written
 * only after the dump passed its engine's check) and its content matches.
 * Ages come from the UTC time in the name, not from file times, which
 * copies and volume restores do not keep.
 */

/** The dump and check of each engine, as shell functions `dump FILE` and `check_dump FILE`. */
function engineFunctions(e: Engine): string {
  switch (e.type) {
    case 'postgres':
      return postgresFunctions(e);
    case 'redis':
      return redisFunctions(e);
    case 'files':
      return FILES_FUNCTIONS;
  }
}

/**
 * Takes the lock of the backup directory (a second run of the same prefix
 * fails at once, having touched nothing), deletes leftovers of killed runs,
 * then dumps into a file of its own (`mktemp`), checks it and renames it
 * into place.
 */
const BACKUP_WRITE = sh`[ -d "$BACKUP_DIR" ] || fail "backup directory $BACKUP_DIR does not exist"
lock "$BACKUP_DIR/.$BACKUP_PREFIX.lock" "another backup run with prefix $BACKUP_PREFIX holds $BACKUP_DIR/.$BACKUP_PREFIX.lock; this run wrote and deleted nothing"
now=$(date -u +%s)
stamp=$(date -u -d "@$now" +%Y%m%dT%H%M%SZ)
name="$BACKUP_PREFIX-$stamp.$BACKUP_EXT"
final="$BACKUP_DIR/$name"

# A .partial file older than the Job's deadline belongs to a run that was killed.
stale=$(date -u -d "@$((now - BACKUP_DEADLINE_SECONDS))" +%Y%m%d%H%M%S)
for f in "$BACKUP_DIR"/."$BACKUP_PREFIX"-*.partial*; do
  [ -f "$f" ] || continue
  old=\${f##*/}
  old=\${old#.}
  if [ "$(stamp_number "$old")" -lt "$stale" ]; then
    rm -f "$f"
    log "removed $f, left over from a killed run"
  fi
done

[ ! -e "$final" ] || fail "$name already exists"
partial=$(mktemp "$BACKUP_DIR/.$name.partial.XXXXXX") || fail "cannot create a file in $BACKUP_DIR"
remove_partial() { rm -f "$partial" "$partial.sha256"; }
cleanups="$cleanups remove_partial"
chmod 640 "$partial"

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
`;

/**
 * Retention runs only after a good backup. Every existing backup is checked
 * first; a damaged one is renamed to .corrupt (so it no longer looks good),
 * the run fails, and nothing is deleted.
 */
const RETENTION = sh`# Retention runs only after a good backup. Every existing backup is checked
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
  return `${PRELUDE}${engineFunctions(e)}${BACKUP_WRITE}${RETENTION}`;
}

/** The script of the upload container. */
export function uploadScript(): string {
  return `${PRELUDE}${AWS_PRELUDE}${UPLOAD}`;
}

/** The script of the fetch container of a restore from object storage. */
export function fetchScript(): string {
  return `${PRELUDE}${AWS_PRELUDE}${FETCH}`;
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

function restoreStep(e: Engine, o: RestoreOptions): string {
  switch (e.type) {
    case 'postgres':
      return postgresRestore(e, o);
    case 'redis':
      return redisRestore(o);
    case 'files':
      return filesRestore();
  }
}

/**
 * The script of the restore container. A restore is all or nothing: the
 * target ends up fully restored or exactly as it was, and the last lines of
 * the log say which.
 */
export function restoreScript(e: Engine, o: RestoreOptions): string {
  return `${PRELUDE}${engineFunctions(e)}${PICK_BACKUP}${restoreStep(e, o)}`;
}
