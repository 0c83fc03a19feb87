#!/usr/bin/env bash
# One backup of the portal: the PostgreSQL database (pg_dump's custom format, which pg_restore
# reads) and the uploaded files (a tar of PORTAL_MEDIA_ROOT), in a folder named after the time
# it was taken, with a SHA256SUMS file beside them. Keeps the newest PORTAL_BACKUPS_KEEP folders
# and removes the older ones.
#
# The database connection comes from libpq's own variables: PGHOST, PGPORT, PGUSER, PGPASSWORD,
# PGDATABASE (an administrator or the tables' owner, who can read every table).
#   PORTAL_BACKUPS_DIR   where the dated folders go (default /backups)
#   PORTAL_MEDIA_ROOT    the uploaded files; left out of the backup when unset
#   PORTAL_BACKUPS_KEEP  how many backups to keep (default 14)
# Prints the new folder's path on its last line.
set -euo pipefail

backups_dir="${PORTAL_BACKUPS_DIR:-/backups}"
keep="${PORTAL_BACKUPS_KEEP:-14}"
media_root="${PORTAL_MEDIA_ROOT:-}"

case "$keep" in
    '' | *[!0-9]* | 0) echo "PORTAL_BACKUPS_KEEP must be a whole number of at least 1, not '$keep'" >&2; exit 2 ;;
esac

stamp="$(date -u +%Y-%m-%dT%H%M%SZ)"
target="$backups_dir/$stamp"
# Written under a name the pruning below never counts, and renamed only once complete, so a
# backup that failed half way is never mistaken for a good one.
partial="$backups_dir/.partial-$stamp"
mkdir -p "$backups_dir"
if [ -e "$target" ]; then
    echo "$target already exists: one backup a second at most" >&2
    exit 1
fi
trap 'rm -rf "$partial"' EXIT
mkdir "$partial"

pg_dump --format=custom --file="$partial/database.dump"

if [ -n "$media_root" ]; then
    tar --create --file="$partial/media.tar" --directory="$media_root" .
fi

(cd "$partial" && sha256sum -- * > SHA256SUMS)
mv "$partial" "$target"
trap - EXIT

# Dated names sort in time order: everything before the newest $keep goes.
mapfile -t folders < <(find "$backups_dir" -mindepth 1 -maxdepth 1 -type d \
    -name '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z' | sort)
surplus=$(( ${#folders[@]} - keep ))
for (( i = 0; i < surplus; i++ )); do
    rm -rf -- "${folders[$i]}"
done

echo "$target"
