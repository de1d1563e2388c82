import type { Engine } from '../engines.js';
import type { RestoreOptions } from './options.js';
import { sh } from './prelude.js';

type Redis = Extract<Engine, { type: 'redis' }>;

/** The dump and check of Redis or Valkey, as shell functions `dump FILE` and `check_dump FILE`. */
export function redisFunctions(e: Redis): string {
  const cli = e.flavor === 'valkey' ? 'valkey-cli' : 'redis-cli';
  const check = e.flavor === 'valkey' ? 'valkey-check-rdb' : 'redis-check-rdb';
  const user = e.user ? ' --user "$REDIS_USER"' : '';
  const tls = e.tls ? ` --tls${e.tlsCa ? ' --cacert "$REDIS_TLS_CA_FILE"' : ''}` : '';
  return sh`# The password comes from REDISCLI_AUTH, never from the command line.
redis() {
  ${cli} -h "$REDIS_HOST" -p "$REDIS_PORT"${user}${tls} "$@"
}
dump() {
  ${cli} -h "$REDIS_HOST" -p "$REDIS_PORT"${user}${tls} --rdb "$1" &
  waitbg
}
# The RDB magic, then every record and the CRC64 checksum at the end.
check_dump() {
  magic=$(head -c 5 "$1") || return 1
  [ "$magic" = REDIS ] || { log "not an RDB file" >&2; return 1; }
  ${check} "$1" > "$work/check-rdb.log" 2>&1 &
  waitbg || { cat "$work/check-rdb.log" >&2; return 1; }
}
`;
}

/** An RDB is read only at start-up; a running server would overwrite it at its next save. */
const CHECK_STOPPED = sh`answer=$(redis ping 2>&1) || true
running=
case $answer in
  *PONG*) running=yes ;;
  *NOAUTH*) running=yes ;;
  *WRONGPASS*) running=yes ;;
  *LOADING*) running=yes ;;
  *MASTERDOWN*) running=yes ;;
esac
[ -z "$running" ] || fail "the server at $REDIS_HOST:$REDIS_PORT is running; stop it (scale it to 0) before restoring; nothing was changed"
`;

/**
 * Copies the backup to a temporary file beside the live RDB (so a full
 * volume fails here, with nothing changed), checks the copy, gives it what
 * the server needs to read it, then swaps it in with one rename. The
 * replaced RDB stays as a hard link, and an AOF (which Redis would load
 * instead) is renamed aside; if either rename fails, both are undone.
 */
const SWAP_IN = sh`data=$REDIS_DATA_DIR
[ -d "$data" ] || fail "data directory $data does not exist"
live="$data/$REDIS_RDB_FILENAME"
lock "$data/.restore.lock" "another restore into $data is running (it holds $data/.restore.lock); nothing was changed"
remove_lock() { rm -f "$data/.restore.lock"; }
cleanups="$cleanups remove_lock"
for f in "$data/.$REDIS_RDB_FILENAME".restore.*; do
  [ -f "$f" ] || continue
  rm -f "$f"
  log "removed $f, left behind by an interrupted restore"
done

tmp=$(mktemp "$data/.$REDIS_RDB_FILENAME.restore.XXXXXX") || fail "cannot create a file in $data; nothing was changed"
remove_tmp() { [ -z "$tmp" ] || rm -f "$tmp"; }
cleanups="$cleanups remove_tmp"
log "copying $name into $data"
cp "$file" "$tmp" &
waitbg || fail "cannot copy $name into $data (is the volume full?); nothing in $data was changed"
sync "$tmp" || fail "cannot flush the copy of $name to disk; nothing in $data was changed"
copied=$(sha256sum < "$tmp") || fail "cannot read the copy of $name back; nothing in $data was changed"
expected=$(cat "$file.sha256")
[ "\${copied%% *}" = "\${expected%% *}" ] || fail "the copy differs from $name; nothing in $data was changed"

# The server reads the new RDB as it read the one it replaces: the new one
# gets that file's permission bits (without one, 0644, what Redis gives its
# own under the usual umask) and its group where this user may set it; only
# root can also give it that file's owner.
if [ -e "$live" ]; then
  perms=$(stat -c %a "$live") || fail "cannot read the mode of $live; nothing in $data was changed"
  mode=$((0$perms & 0666))
  [ $((mode & 0600)) -eq $((0600)) ] || mode=$((mode + 0600 - (mode & 0600)))
  mode=$(printf '%o' "$mode")
  owner=$(stat -c %u "$live")
  group=$(stat -c %g "$live")
  if [ "$(id -u)" = 0 ]; then
    chown "$owner:$group" "$tmp" || fail "cannot give the copy the owner of $live; nothing in $data was changed"
  else
    chgrp "$group" "$tmp" 2> /dev/null || log "group $group of $live is not one of this user's; the restored file keeps group $(stat -c %g "$tmp")"
  fi
  from="from the replaced file: mode $perms, owner $owner, group $group"
else
  mode=644
  owner=
  from="as Redis writes its own; there was no $REDIS_RDB_FILENAME"
fi
chmod "$mode" "$tmp" || fail "cannot set the mode of the copy; nothing in $data was changed"
now_owner=$(stat -c %u "$tmp")
now_group=$(stat -c %g "$tmp")
log "$REDIS_RDB_FILENAME will have mode $mode, owner $now_owner and group $now_group ($from)"
case $mode in
  *[4-7]) ;;
  *) [ -z "$owner" ] || [ "$owner" = "$now_owner" ] || log "a server running as user $owner reads it only as a member of group $now_group (its pod's fsGroup); otherwise run this Job as that user (runAsUser: $owner)" ;;
esac

stamp=$(date -u +%Y%m%dT%H%M%SZ)
kept=
renamed=
aside=
swapped=
undo_swap() {
  [ -z "$swapped" ] && [ -n "$kept" ] || return 0
  for old in $aside; do mv "$data/$old.before-restore-$stamp" "$data/$old" && log "moved $old back" >&2; done
  if [ "$kept" = none ]; then
    [ -z "$renamed" ] || rm -f "$live"
  elif [ -n "$renamed" ] || [ "$kept" = moved ]; then
    mv -f "$live.before-restore-$stamp" "$live"
  else
    rm -f "$live.before-restore-$stamp"
  fi
  log "$live is the one it was before: nothing in $data was changed" >&2
}
cleanups="$cleanups undo_swap"
if [ ! -e "$live" ]; then
  kept=none
elif ln "$live" "$live.before-restore-$stamp" 2> /dev/null; then
  kept=link
else
  mv "$live" "$live.before-restore-$stamp" || fail "cannot keep $live aside; nothing in $data was changed"
  kept=moved
fi
mv -f "$tmp" "$live" || fail "cannot rename the copy to $live"
tmp=
renamed=yes
# With appendonly on, Redis loads the AOF and ignores the RDB: move it aside.
for old in appendonlydir appendonly.aof; do
  [ -e "$data/$old" ] || continue
  mv "$data/$old" "$data/$old.before-restore-$stamp" || fail "cannot move $old aside"
  aside="$aside $old"
  log "moved $old aside, as $old.before-restore-$stamp"
done
swapped=yes
[ "$kept" = none ] || log "the replaced $REDIS_RDB_FILENAME is kept as $REDIS_RDB_FILENAME.before-restore-$stamp"
log "restored $name as $live; start the server with appendonly no, then CONFIG SET appendonly yes if it uses AOF"
`;

/** The restore step of Redis: stop check, then copy, check and swap. */
export function redisRestore(o: RestoreOptions): string {
  return `${o.checkStopped ? CHECK_STOPPED : ''}${SWAP_IN}`;
}
