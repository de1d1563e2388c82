import type { Engine } from '../engines.js';
import type { RestoreOptions } from './options.js';
import { sh } from './prelude.js';

type Postgres = Extract<Engine, { type: 'postgres' }>;

/** libpq ignores a password file its group can read, which a mounted Secret is. */
const PASSFILE = sh`cp "$PGPASSFILE_SOURCE" "$SCRATCH_DIR/.pgpass"
chmod 600 "$SCRATCH_DIR/.pgpass"
export PGPASSFILE="$SCRATCH_DIR/.pgpass"
`;

const CUSTOM = sh`dump() {
  pg_dump --no-password --format=custom --file="$1" &
  waitbg
}
# The TOC, then every data block: a truncated or damaged archive fails here.
check_dump() {
  pg_restore --list "$1" > /dev/null || return 1
  pg_restore --file=/dev/null "$1" &
  waitbg
}
`;

/**
 * Plain SQL, compressed by pg_dump itself (`--compress`, the same gzip
 * stream as `pg_dump | gzip`, without a pipe whose first failure would go
 * unseen). The check reads the whole stream once: gzip checks it end to
 * end, and awk notes whether it ends with pg_dump's completion marker and
 * whether it holds transaction control of its own (pg_dump wraps large
 * objects in BEGIN/COMMIT) into "$work/dump-facts".
 */
const PLAIN = sh`dump() {
  pg_dump --no-password --format=plain --compress=6 --file="$1" &
  waitbg
}
check_dump() {
  new_fifo || return 1
  gzip -dc "$1" > "$fifo" &
  gz=$!
  track "$gz"
  awk '
    { last[NR % 5] = $0 }
    $0 == "BEGIN;" { txn++ }
    $0 == "COMMIT;" { txn++ }
    END {
      complete = 0
      for (i in last) if (last[i] == "-- PostgreSQL database dump complete") complete = 1
      printf "complete=%d txn=%d\n", complete, txn
    }' < "$fifo" > "$work/dump-facts" &
  waitbg || { reap "$gz"; return 1; }
  reap "$gz" || { log "gzip cannot read $1 to its end" >&2; return 1; }
  read -r complete txn < "$work/dump-facts" || return 1
  [ "$complete" = complete=1 ] || { log "the dump does not end with pg_dump's completion marker" >&2; return 1; }
  dump_txn=\${txn#txn=}
}
`;

/** The dump and check of PostgreSQL, as shell functions `dump FILE` and `check_dump FILE`. */
export function postgresFunctions(e: Postgres): string {
  return `${e.passFile ? PASSFILE : ''}${e.format === 'custom' ? CUSTOM : PLAIN}`;
}

/**
 * What every PostgreSQL restore starts with: the `sql DB` helper for our own
 * statements, and the guard. One restore per target runs at a time, across
 * pods: a session of this run holds an advisory lock on the target's name
 * until the run ends. A killed run's session ends with its pod (an idle
 * session notices at once), and its lock with it, so a later run holding
 * the lock knows that any session still working for an earlier one is
 * orphaned.
 */
const RESTORE_COMMON = sh`target=$PGDATABASE
restore_pid=
producer_pid=
# Our sessions carry this application_name, so the restore's own session can be found and cancelled.
appname="restore.\${work##*.}.\${PGAPPNAME:-job}"
# psql on database $1 with the SQL on stdin; :"target", :"scratch" (identifiers)
# and :'target', :'scratch', :'marker', :'appname' (literals) are quoted by psql.
sql() {
  PGDATABASE=$1 PGAPPNAME="$appname.control" psql --no-password --no-psqlrc --quiet --tuples-only --no-align \
    --set=ON_ERROR_STOP=1 --set=target="$target" --set=scratch="\${scratch:-}" --set=marker="\${marker:-}" --set=appname="$appname"
}
take_guard() {
  new_fifo || return 1
  sql postgres < "$fifo" > "$work/guard.log" 2>&1 &
  exec 8> "$fifo"
  # If psql has already given up (no server), the write fails instead of killing the shell.
  trap '' PIPE
  printf '%s\n' "SELECT pg_try_advisory_lock(hashtext('RestoreJob'), hashtext(:'target')) \g $work/guard" >&8 || true
  trap - PIPE
  tries=0
  while [ ! -s "$work/guard" ]; do
    [ ! -s "$work/guard.log" ] || { cat "$work/guard.log" >&2; return 1; }
    tries=$((tries + 1))
    [ "$tries" -lt 600 ] || { log "no answer from the server within 60 s" >&2; return 1; }
    sleep 0.1
  done
  read -r locked < "$work/guard"
  [ "$locked" = t ] || fail "another restore of $target is running (it holds the server's advisory lock for $target); nothing was changed"
}
take_guard || fail "cannot connect to database postgres; nothing was changed"
`;

/**
 * `start_restore DB` starts the restore command in the background into
 * database DB; `finish_restore` waits for it and returns 0 only if every
 * stage succeeded, which means its transaction committed.
 */
function startRestore(e: Postgres, o: RestoreOptions): string {
  const finish = sh`finish_restore() {
  ok=0
  reap "$restore_pid" || ok=1
  if [ -n "$producer_pid" ]; then
    [ "$ok" = 0 ] || kill "$producer_pid" 2> /dev/null
    reap "$producer_pid" || ok=1
  fi
  return "$ok"
}
`;
  if (e.format === 'custom') {
    const flags = [
      '--no-password',
      '--exit-on-error',
      '--single-transaction',
      ...(o.noOwner ? ['--no-owner', '--no-privileges'] : []),
      ...(o.clean ? ['--clean', '--if-exists'] : []),
    ].join(' ');
    return sh`# Names cannot hold quotes or backslashes, so dbname='...' is a safe connection string.
start_restore() {
  PGAPPNAME=$appname pg_restore ${flags} --dbname="dbname='$1'" "$file" &
  restore_pid=$!
  track "$restore_pid"
}
${finish}`;
  }
  return sh`# psql gets BEGIN, the dump, and COMMIT only once gzip has read the whole
# file: a stream that breaks off ends without COMMIT, and PostgreSQL rolls
# the transaction back when psql reaches the end of its input.
start_restore() {
  new_fifo || return 1
  { printf 'BEGIN;\n' && gzip -dc "$file" && printf 'COMMIT;\n'; } > "$fifo" &
  producer_pid=$!
  track "$producer_pid"
  PGDATABASE=$1 PGAPPNAME=$appname psql --no-password --no-psqlrc --quiet --set=ON_ERROR_STOP=1 < "$fifo" > /dev/null &
  restore_pid=$!
  track "$restore_pid"
}
${finish}`;
}

/**
 * createDatabase: the backup is restored into a new database under a
 * temporary name, which is renamed to the target in one transaction once
 * everything is in. Whatever goes wrong before (an error, a TERM, even a
 * large-object section of a plain dump that commits on its own), the target
 * is never created; the temporary database is dropped, or by the next run if
 * this one was killed. The comment on it marks it as ours.
 */
function restoreIntoNew(scratch: string): string {
  return sh`scratch='${scratch}'
marker="restore of $target in progress (a RestoreJob's temporary database; the next restore drops it)"
exists=$(sql postgres <<'SQL'
SELECT count(*) FROM pg_database WHERE datname = :'target';
SQL
) || fail "cannot connect to database postgres to check whether $target exists; nothing was changed"
[ "$exists" = 0 ] || fail "database $target already exists; createDatabase restores only into a new database (drop or rename it, or restore under another name); nothing was changed"
leftover=$(sql postgres <<'SQL'
SELECT 'exists:' || coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database WHERE datname = :'scratch';
SQL
) || fail "cannot connect to database postgres; nothing was changed"
case $leftover in
  '') ;;
  "exists:$marker")
    # We hold the guard, so a session still on it belongs to a killed run (its statement can outlive its pod).
    sql postgres > /dev/null <<'SQL' || fail "cannot drop database $scratch, left behind by an interrupted restore; nothing was changed"
SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :'scratch';
DROP DATABASE :"scratch";
SQL
    log "dropped database $scratch, left behind by an interrupted restore" ;;
  *) fail "database $scratch exists and was not made by a restore; drop or rename it, then retry; nothing was changed" ;;
esac
createdb --no-password --maintenance-db=postgres "$scratch" || fail "cannot create database $scratch (the restoring role needs CREATEDB); $target was not created"
drop_scratch() {
  sql postgres > /dev/null 2>&1 <<'SQL'
SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :'scratch' AND pid <> pg_backend_pid();
SQL
  if sql postgres > /dev/null <<'SQL'; then
DROP DATABASE IF EXISTS :"scratch";
SQL
    log "dropped the temporary database $scratch; $target was not created" >&2
  else
    log "could not drop the temporary database $scratch (the next restore drops it); $target was not created" >&2
  fi
}
cleanups="$cleanups drop_scratch"
sql postgres > /dev/null <<'SQL' || fail "cannot mark database $scratch as a restore's"
COMMENT ON DATABASE :"scratch" IS :'marker';
SQL
log "restoring $name into the new database $scratch; it becomes $target only once everything is in"
start_restore "$scratch" || fail "cannot start the restore"
finish_restore || fail "the restore of $name failed"
stop_requested=
trap 'stop_requested=1' TERM
sql postgres > /dev/null <<'SQL' || fail "cannot rename $scratch to $target"
BEGIN;
ALTER DATABASE :"scratch" RENAME TO :"target";
COMMENT ON DATABASE :"target" IS NULL;
COMMIT;
SQL
cleanups=\${cleanups% drop_scratch}
log "restored $name into the new database $target"
[ -z "$stop_requested" ] || log "a TERM came after the restore had finished; it is complete"
`;
}

/**
 * Into an existing database: one transaction (`pg_restore
 * --single-transaction`, `psql --single-transaction`), so the target
 * changes only if it commits. A plain dump with transaction control of its
 * own (large objects) cannot be one transaction, so it is refused before
 * anything is touched. A TERM cancels the restore's statement from a second
 * session until it ends: then the exit status says whether it committed.
 */
const RESTORE_INTO_EXISTING = sh`if [ "\${dump_txn:-0}" != 0 ]; then
  fail "$name holds BEGIN/COMMIT of its own (pg_dump wraps large objects in a transaction), so psql cannot restore it into $target in one transaction; nothing was changed. Restore it with createDatabase (a new database, renamed into place when complete), or back up in the custom format"
fi
cancel_restore() {
  while :; do
    sql "$target" > /dev/null 2>&1 <<'SQL'
SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = :'appname' AND pid <> pg_backend_pid();
SQL
    sleep 1
  done
}
stop_children() {
  if [ -z "$restore_pid" ]; then
    for pid in $children; do kill "$pid" 2> /dev/null; wait "$pid" 2> /dev/null; done
    children=
    return 0
  fi
  log "asking PostgreSQL to cancel the restore" >&2
  cancel_restore &
  canceller=$!
  committed=yes
  finish_restore || committed=no
  # TERM is ignored from here on, and the canceller inherited that.
  kill -9 "$canceller" 2> /dev/null
  wait "$canceller" 2> /dev/null
  if [ "$committed" = yes ]; then
    log "the restore committed before it could be cancelled: $target holds $name" >&2
  else
    log "the restore was cancelled before it committed; PostgreSQL rolled its transaction back: $target is unchanged" >&2
  fi
}
log "restoring $name into the existing database $target in one transaction: $target changes only if it commits"
start_restore "$target" || fail "cannot start the restore; nothing was changed"
finish_restore || fail "the restore of $name failed; PostgreSQL rolled its transaction back: $target is unchanged"
log "restored $name into database $target (committed)"
`;

/** The longest database name PostgreSQL keeps (NAMEDATALEN - 1 bytes). */
const MAX_NAME_BYTES = 63;

/**
 * The temporary database a createDatabase restore builds:
 * `<database>_restoring`, the database part shortened (by whole characters)
 * so the name fits in 63 bytes and never equals the target.
 */
export function scratchDatabase(database: string): string {
  const bytes = (s: string) => new TextEncoder().encode(s).length;
  for (const suffix of ['_restoring', '_restore_tmp']) {
    let base = [...database];
    while (bytes(base.join('') + suffix) > MAX_NAME_BYTES) base = base.slice(0, -1);
    const name = base.join('') + suffix;
    if (name !== database) return name;
  }
  throw new Error(`no temporary database name for ${database}`);
}

/** The restore step of PostgreSQL. */
export function postgresRestore(e: Postgres, o: RestoreOptions): string {
  return `${RESTORE_COMMON}${startRestore(e, o)}${o.createDatabase ? restoreIntoNew(scratchDatabase(e.database)) : RESTORE_INTO_EXISTING}`;
}
