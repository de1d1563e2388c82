/**
 * The start every backup, upload, fetch and restore script shares: strict
 * mode, logging, the EXIT trap that stops background commands and cleans
 * up, locking, and checksums.
 *
 * The scripts are POSIX sh and run the same under dash (the `/bin/sh` of
 * Debian-based images like `postgres:15` and `redis:7.2`), busybox ash (the
 * alpine images) and bash (the `aws-cli` image). dash has no `pipefail`, so
 * the scripts have no pipelines: where two commands stream into each other
 * they are joined by a FIFO, both run in the background, and the status of
 * each is checked.
 *
 * Long commands run in the background while the shell waits for them, so a
 * TERM (what the kubelet sends the shell at the Job's deadline) interrupts
 * the wait at once: the EXIT trap then stops the command and undoes what the
 * run had started, and the log says what was left.
 */

/**
 * A template tag for shell text: like `String.raw`, so backslashes reach the
 * shell as written, with `\${` turned into the shell's `${` (a bare `${...}`
 * is a TypeScript interpolation).
 */
export function sh(strings: TemplateStringsArray, ...values: readonly unknown[]): string {
  return String.raw({ raw: strings.raw.map((s) => s.replace(/\\\$\{/g, '${')) }, ...values);
}

/** Strict mode, logging and the EXIT trap. */
const STRICT = sh`set -eu
umask 027
log() { printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
fail() { log "FAILED: $*" >&2; exit 1; }

# Background commands still running, and cleanup functions, which the EXIT
# trap runs last registered first (each gets the exit status).
# stop_children may be redefined.
children=
cleanups=
stop_children() {
  for pid in $children; do kill "$pid" 2>/dev/null; done
  for pid in $children; do wait "$pid" 2>/dev/null; done
  children=
}
on_exit() {
  status=$?
  trap - EXIT
  trap '' TERM INT
  set +eu
  [ -z "$children" ] || stop_children
  last_first=
  for c in $cleanups; do last_first="$c $last_first"; done
  for c in $last_first; do "$c" "$status"; done
  exit "$status"
}
trap on_exit EXIT
trap 'log "TERM received (the Job was stopped or reached its deadline): stopping" >&2; exit 143' TERM
trap 'exit 130' INT

# Waits for the background command just started, which the EXIT trap stops
# if the run ends first. Returns its status.
waitbg() {
  bg=$!
  children="$children $bg"
  s=0
  wait "$bg" || s=$?
  reaped "$bg"
  return "$s"
}
# Starts tracking a background command by pid, for reap.
track() { children="$children $1"; }
# Waits for a tracked background command by pid; returns its status.
reap() {
  s=0
  wait "$1" || s=$?
  reaped "$1"
  return "$s"
}
reaped() {
  rest=
  for pid in $children; do [ "$pid" = "$1" ] || rest="$rest $pid"; done
  children=$rest
}

# A private directory for this run's FIFOs and notes.
[ -d "$SCRATCH_DIR" ] || fail "scratch directory $SCRATCH_DIR does not exist"
work=$(mktemp -d "$SCRATCH_DIR/.run.XXXXXX") || fail "cannot create a directory in $SCRATCH_DIR"
remove_work() { rm -rf "$work"; }
cleanups="$cleanups remove_work"
fifos=0
# A new FIFO in the work directory, in fifo.
new_fifo() {
  fifos=$((fifos + 1))
  fifo="$work/fifo$fifos"
  mkfifo "$fifo"
}

# Holds an exclusive lock on file $1 (descriptor 9) until the run ends, or
# fails with message $2: two overlapping runs never write into each other.
# The kernel releases the lock when the process dies, however it dies.
lock() {
  command -v flock > /dev/null 2>&1 || fail "flock is not installed in this image; use an image with util-linux or busybox flock"
  (umask 007 && touch "$1") 2> /dev/null || fail "cannot create a file in \${1%/*}"
  exec 9>> "$1"
  flock -n 9 || fail "$2"
}
`;

/** Names and checksums of backups. */
const BACKUPS = sh`# <prefix>-YYYYMMDDTHHMMSSZ.<ext>, nothing else (not .partial, .sha256 or .corrupt files).
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

/** Helpers every script starts with. */
export const PRELUDE = `${STRICT}${BACKUPS}`;
