#!/bin/sh
# The portal's two database roles, made once when the database volume is first created (the
# postgres image runs /docker-entrypoint-initdb.d/* only on an empty data directory).
#   portal_owner  owns the database and its tables; only migrations connect as it.
#   portal_app    the web server, workers and beat; `manage.py grant_runtime_role portal_app`,
#                 run by the migrate service after every migrate, gives it its rights.
# Neither is a superuser. Passwords come from the environment (.env), never from this file.
set -eu

psql --set ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set owner_password="$PORTAL_DB_OWNER_PASSWORD" \
    --set app_password="$PORTAL_DB_APP_PASSWORD" <<'SQL'
CREATE ROLE portal_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE portal_app LOGIN PASSWORD :'app_password';
ALTER DATABASE :"DBNAME" OWNER TO portal_owner;
-- Only the two roles (and administrators) may connect; grant_runtime_role grants CONNECT.
REVOKE ALL ON DATABASE :"DBNAME" FROM PUBLIC;
-- PostgreSQL 15 already keeps other roles from creating objects in the public schema.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
