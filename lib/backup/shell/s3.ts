import { sh } from './prelude.js';

/**
 * `aws` with the endpoint of an S3-compatible store, and path-style
 * addressing when asked for. `$endpoint` is one word (the endpoint is a URL
 * without spaces), left unquoted so that it disappears when empty.
 */
export const AWS_PRELUDE = sh`export HOME="$SCRATCH_DIR"
endpoint=
[ -z "\${S3_ENDPOINT:-}" ] || endpoint="--endpoint-url=$S3_ENDPOINT"
s3() {
  aws $endpoint s3 "$@"
}
if [ "\${S3_FORCE_PATH_STYLE:-false}" = true ]; then
  mkdir -p "$HOME/.aws"
  printf '[default]\ns3 =\n    addressing_style = path\n' > "$HOME/.aws/config"
fi
url="s3://$S3_BUCKET/\${S3_PREFIX:-}"
# The keys of the listing in $1, one per line between newlines, into keys.
list_keys() {
  keys='
'
  while read -r _day _time _size key; do
    [ -n "\${key:-}" ] && keys="$keys$key
"
  done <<EOF
$1
EOF
}
`;

/**
 * Uploads the backup the backup container just wrote, reads it back (the
 * download and the checksum joined by a FIFO, each one's status checked) and
 * compares checksums, uploads the checksum last (an object without one is
 * never counted as good), then applies retention to the bucket with the
 * same rule as on the volume.
 */
export const UPLOAD = sh`name=$(cat "$SCRATCH_DIR/backup-name") || fail "the backup container handed over no backup"
file="$BACKUP_DIR/$name"
verify_checksum "$file" || fail "$name does not match its checksum before the upload"
expected=$(cat "$file.sha256")
log "uploading $name to $url"
aws $endpoint s3 cp --only-show-errors "$file" "$url$name" &
waitbg || fail "the upload of $name failed"
new_fifo || fail "cannot create a FIFO in $work"
aws $endpoint s3 cp --only-show-errors "$url$name" - > "$fifo" &
download=$!
track "$download"
sha256sum < "$fifo" > "$work/remote.sha256" &
waitbg || fail "cannot checksum $url$name"
reap "$download" || fail "cannot read $url$name back"
remote=$(cat "$work/remote.sha256")
[ "\${remote%% *}" = "\${expected%% *}" ] || fail "$url$name differs from the local backup after the upload"
s3 cp --only-show-errors "$file.sha256" "$url$name.sha256" || fail "the upload of $name.sha256 failed"
log "uploaded and read back $name"

now=$(date -u +%s)
cutoff=$(date -u -d "@$((now - RETENTION_DAYS * 86400))" +%Y%m%d%H%M%S)
listing=$(s3 ls "$url") || fail "cannot list $url"
list_keys "$listing"
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
`;

/**
 * Downloads the named backup (or the newest one with a checksum) and its
 * checksum into `BACKUP_DIR`.
 */
export const FETCH = sh`name=$RESTORE_BACKUP
if [ "$name" = latest ]; then
  listing=$(s3 ls "$url") || fail "cannot list $url"
  list_keys "$listing"
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
aws $endpoint s3 cp --only-show-errors "$url$name" "$BACKUP_DIR/$name" &
waitbg || fail "cannot download $url$name"
verify_checksum "$BACKUP_DIR/$name" || fail "$name does not match its checksum after the download"
printf '%s\n' "$name" > "$SCRATCH_DIR/backup-name"
log "downloaded $name"
`;
