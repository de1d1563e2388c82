import { sh } from './prelude.js';

/** The archive and check of a files backup, as shell functions `dump FILE` and `check_dump FILE`. */
export const FILES_FUNCTIONS = sh`dump() {
  tar -c -z -f "$1" -C "$SOURCE_DIR" . &
  waitbg
}
# The gzip stream, then the tar index.
check_dump() {
  gzip -t "$1" || return 1
  tar -t -z -f "$1" > /dev/null &
  waitbg
}
`;

/**
 * Directories need a second look after extraction. Under a volume root with
 * the set-group-ID bit (the kubelet sets it for the pod's fsGroup), every
 * new directory inherits that bit, and GNU tar keeps it; busybox tar also
 * sets a directory's mtime before it extracts the files inside (which change
 * it again). So every directory gets the exact mode of the archive's listing
 * (five octal digits: GNU chmod keeps a directory's set-group-ID bit for
 * four), and with busybox tar also its time (GNU tar has set those right,
 * and lists times to the minute only).
 */
const FIX_DIRECTORIES = sh`# The octal mode of a permission string like drwxrwsr-x, in dmode.
mode_of() {
  p=\${1#?}
  u=\${p%??????}
  g=\${p#???}
  g=\${g%???}
  o=\${p#??????}
  dmode=0
  case $u in r??) dmode=$((dmode + 400)) ;; esac
  case $u in ?w?) dmode=$((dmode + 200)) ;; esac
  case $u in ??[xs]) dmode=$((dmode + 100)) ;; esac
  case $u in ??[sS]) dmode=$((dmode + 4000)) ;; esac
  case $g in r??) dmode=$((dmode + 40)) ;; esac
  case $g in ?w?) dmode=$((dmode + 20)) ;; esac
  case $g in ??[xs]) dmode=$((dmode + 10)) ;; esac
  case $g in ??[sS]) dmode=$((dmode + 2000)) ;; esac
  case $o in r??) dmode=$((dmode + 4)) ;; esac
  case $o in ?w?) dmode=$((dmode + 2)) ;; esac
  case $o in ??[xt]) dmode=$((dmode + 1)) ;; esac
  case $o in ??[tT]) dmode=$((dmode + 1000)) ;; esac
  dmode=$(printf '0%04d' "$dmode")
}
# fix_directories ARCHIVE DIR GNU: modes (and, unless GNU is yes, times) of the directories under DIR.
fix_directories() {
  if [ "$3" = yes ]; then
    tar -t -v -z --quoting-style=literal -f "$1" > "$work/listing" &
  else
    tar -t -v -z -f "$1" > "$work/listing" &
  fi
  waitbg || return 1
  while read -r perms _owner _size day time path; do
    case $perms in d*) ;; *) continue ;; esac
    case $path in ./*/) ;; ./) ;; *) continue ;; esac
    dir="$2/\${path%/}"
    [ -d "$dir" ] || continue
    mode_of "$perms"
    chmod "$dmode" "$dir" || return 1
    [ "$3" = yes ] || touch -d "$day $time" "$dir" || return 1
  done < "$work/listing"
}
`;

/**
 * Extracts into a hidden directory inside the target (the same filesystem),
 * with the archive's exact modes (`umask 000` and `-p`, for busybox and GNU
 * tar alike) and, as root, its numeric owners. Only once everything is out
 * are the entries renamed into the target, which needs no space; if that
 * fails, they are moved back. Whatever fails, the target is left empty, as
 * it was, and the log says so.
 */
const EXTRACT = sh`target=$TARGET_DIR
[ -d "$target" ] || fail "target directory $target does not exist"
lock "$target/.restore.lock" "another restore into $target is running (it holds $target/.restore.lock); nothing was changed"
remove_lock() { rm -f "$target/.restore.lock"; }
cleanups="$cleanups remove_lock"
# Writable again first, so a partial extraction can be removed whatever modes it has.
remove_tree() { chmod -R u+rwx "$1" 2> /dev/null; rm -rf "$1"; }
for d in "$target"/.restore-partial.*; do
  [ -d "$d" ] || continue
  remove_tree "$d" || fail "cannot remove $d, left behind by an interrupted restore"
  log "removed $d, left behind by an interrupted restore"
done
for e in "$target"/* "$target"/.[!.]* "$target"/..?*; do
  [ -e "$e" ] || [ -L "$e" ] || continue
  [ "$e" = "$target/.restore.lock" ] || fail "target directory $target is not empty; restore into an empty directory"
done

staging=$(mktemp -d "$target/.restore-partial.XXXXXX") || fail "cannot create a directory in $target; nothing was changed"
moving=
undo_move_in() {
  [ -n "$moving" ] || return 0
  for e in "$target"/* "$target"/.[!.]* "$target"/..?*; do
    [ -e "$e" ] || [ -L "$e" ] || continue
    [ "$e" != "$target/.restore.lock" ] && [ "$e" != "$staging" ] || continue
    mv "$e" "$staging/"
  done
}
remove_staging() {
  [ -n "$staging" ] || return 0
  if remove_tree "$staging"; then
    log "removed the partial restore: $target is empty, as it was" >&2
  else
    log "could not remove $staging (the next restore removes it)" >&2
  fi
}
cleanups="$cleanups remove_staging undo_move_in"
log "extracting $name into $staging"
umask 000
tar -x -p --numeric-owner -z -f "$file" -C "$staging" &
umask 027
waitbg || fail "extracting $name failed"
gnu=no
tar_version=$(tar --version 2> /dev/null) || tar_version=
case $tar_version in *'GNU tar'*) gnu=yes ;; esac
fix_directories "$file" "$staging" "$gnu" || fail "cannot give the restored directories their modes and times"
root_mode=$(stat -c %a "$staging")
root_mtime=$(stat -c %Y "$staging")

moving=yes
for e in "$staging"/* "$staging"/.[!.]* "$staging"/..?*; do
  [ -e "$e" ] || [ -L "$e" ] || continue
  mv "$e" "$target/" || fail "cannot move \${e##*/} into $target"
done
rmdir "$staging" || fail "cannot remove $staging"
staging=
moving=
rm -f "$target/.restore.lock"
# The target itself gets the archive root's mode and time where this user may set them (its owner or root).
chmod "$root_mode" "$target" 2> /dev/null || log "kept the mode of $target itself ($(stat -c %a "$target")): only its owner may change it"
touch -d "@$root_mtime" "$target" 2> /dev/null || log "kept the modification time of $target itself: only its owner may change it"
log "restored $name into $target"
`;

/** The restore step of files. */
export function filesRestore(): string {
  return `${FIX_DIRECTORIES}${EXTRACT}`;
}
