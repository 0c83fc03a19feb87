#!/usr/bin/env bash
# Brings a NEW database up from a backup made by backup.sh, puts the uploaded files back and
# checks the signature records.
#
#   restore.sh [--force] [--no-verify] BACKUP_FOLDER NEW_DATABASE
#
# 1. Checks the folder's SHA256SUMS.
# 2. Creates NEW_DATABASE owned by the tables' owner (PORTAL_DB_OWNER, default portal_owner).
#    An existing database without tables is dropped and made afresh; one with tables is
#    refused unless --force is given.
# 3. pg_restore as the owner (SET ROLE), so every table, trigger and function belongs to the
#    owner, whoever owned them where the dump was taken. The dump's grants are left out: the
#    running role's rights are given afresh in step 5.
# 4. Unpacks media.tar into PORTAL_MEDIA_ROOT (refused when that folder is not empty, unless
#    --force), when both are there.
# 5. As the owner: `manage.py grant_runtime_role PORTAL_DB_RUNTIME` (default portal_app), then
#    `manage.py verify_acknowledgements`; a broken chain or seal fails the restore.
#    PORTAL_MANAGE is how manage.py is run (default: python3 manage.py). With --no-verify these
#    two are printed instead of run, for a host without the portal's code (the backup service).
#
# The administrator's connection comes from libpq's variables (PGHOST, PGPORT, PGUSER,
# PGPASSWORD); it must be allowed to create databases and to act as the owner. The portal's
# commands connect as the owner, with PORTAL_DB_OWNER_PASSWORD when the server asks for one.
set -euo pipefail

usage() {
    echo "usage: $0 [--force] [--no-verify] BACKUP_FOLDER NEW_DATABASE" >&2
    exit 2
}

force=0
verify=1
while [ $# -gt 0 ]; do
    case "$1" in
        --force) force=1; shift ;;
        --no-verify) verify=0; shift ;;
        --) shift; break ;;
        -*) usage ;;
        *) break ;;
    esac
done
[ $# -eq 2 ] || usage
folder="$1"
database="$2"
owner="${PORTAL_DB_OWNER:-portal_owner}"
runtime="${PORTAL_DB_RUNTIME:-portal_app}"
media_root="${PORTAL_MEDIA_ROOT:-}"

admin_sql() {
    psql --no-psqlrc --quiet --tuples-only --no-align --set ON_ERROR_STOP=1 \
        --dbname="${PGADMIN_DATABASE:-postgres}" "$@"
}

check_sums() {
    [ -f "$folder/database.dump" ] || { echo "$folder has no database.dump" >&2; exit 1; }
    (cd "$folder" && sha256sum --check --quiet SHA256SUMS) \
        || { echo "$folder does not match its SHA256SUMS: not restoring from it" >&2; exit 1; }
}

prepare_database() {
    local exists tables
    exists=$(admin_sql --set name="$database" <<'SQL'
SELECT count(*) FROM pg_database WHERE datname = :'name';
SQL
)
    if [ "$exists" = 1 ]; then
        tables=$(psql --no-psqlrc --tuples-only --no-align --dbname="$database" --command \
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
        if [ "$tables" -gt 0 ] && [ "$force" -eq 0 ]; then
            echo "Database $database already has $tables tables: not overwriting it" \
                "(restore into a new name, or give --force to drop it first)" >&2
            exit 1
        fi
        admin_sql --set name="$database" <<'SQL'
DROP DATABASE :"name" WITH (FORCE);
SQL
    fi
    # As deploy/postgres/10-portal-roles.sh leaves the live database: only the two roles (and
    # administrators) may connect, and the owner owns the public schema through the database.
    admin_sql --set name="$database" --set owner="$owner" <<'SQL'
CREATE DATABASE :"name" OWNER :"owner";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
}

restore_files() {
    if [ ! -f "$folder/media.tar" ]; then
        echo "No uploaded files in this backup."
        return
    fi
    if [ -z "$media_root" ]; then
        echo "PORTAL_MEDIA_ROOT is not set: the uploaded files were not restored." >&2
        return
    fi
    mkdir -p "$media_root"
    if [ -n "$(ls -A "$media_root")" ] && [ "$force" -eq 0 ]; then
        echo "$media_root is not empty: not unpacking the files over it (give --force)" >&2
        exit 1
    fi
    tar --extract --file="$folder/media.tar" --directory="$media_root"
}

owner_url() {
    local password="${1-${PORTAL_DB_OWNER_PASSWORD:-}}" auth="$owner"
    if [ -n "$password" ]; then
        auth="$owner:$password"
    fi
    echo "postgres://$auth@${PGHOST:-127.0.0.1}:${PGPORT:-5432}/$database"
}

check_records() {
    local manage="${PORTAL_MANAGE:-python3 manage.py}"
    if [ "$verify" -eq 0 ]; then
        echo "Now run, where the portal's code is, with DATABASE_URL=$(owner_url "${PORTAL_DB_OWNER_PASSWORD:+PASSWORD}"):"
        echo "  $manage grant_runtime_role $runtime"
        echo "  $manage verify_acknowledgements"
        return
    fi
    # PORTAL_MANAGE is a command line of its own: split on spaces on purpose.
    # shellcheck disable=SC2086
    DATABASE_URL="$(owner_url)" $manage grant_runtime_role "$runtime"
    # shellcheck disable=SC2086
    DATABASE_URL="$(owner_url)" $manage verify_acknowledgements
}

check_sums
prepare_database
pg_restore --exit-on-error --no-owner --no-privileges --role="$owner" \
    --dbname="$database" "$folder/database.dump"
restore_files
check_records
echo "Restored $folder into database $database."
