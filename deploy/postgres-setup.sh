#!/usr/bin/env bash
# Creates Sori's PostgreSQL role and database on this machine: run as root, after `apt-get install
# postgresql` and after the `sori` system user exists (deploy/README.md). Safe to run again: it creates
# only what is missing.
#
# Authentication is "peer" over the unix socket (Debian's default for local connections): the operating
# system user `sori` logs in as the role `sori`, so there is no password in any file. The matching URL
# for /etc/sori/sori.env is  SORI_DATABASE_URL=postgresql+psycopg://sori@/sori
# The role may log in and own its database, nothing more (no superuser, no role or database creation).
# Tables are made afterwards by `sori init` (Alembic migrations), run as the sori user.
#
# What to change: nothing normally; SORI_DB_ROLE and SORI_DB_NAME in the environment pick other names.
set -euo pipefail

role=${SORI_DB_ROLE:-sori}
database=${SORI_DB_NAME:-sori}

[[ $(id -u) -eq 0 ]] || { echo "postgres-setup.sh: run this as root" >&2; exit 1; }
[[ $role =~ ^[a-z_][a-z0-9_]*$ && $database =~ ^[a-z_][a-z0-9_]*$ ]] \
    || { echo "postgres-setup.sh: role and database names must be lowercase identifiers" >&2; exit 1; }
command -v psql >/dev/null || { echo "postgres-setup.sh: install postgresql first" >&2; exit 1; }
id "$role" >/dev/null 2>&1 \
    || echo "postgres-setup.sh: warning: no system user '$role' yet; peer login needs one (see deploy/README.md)" >&2

# psql as the postgres superuser, over the local socket; stops at the first error.
as_postgres() { runuser -u postgres -- psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 "$@"; }

if [[ $(as_postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$role'") == 1 ]]; then
    echo "role $role exists"
else
    as_postgres -c "CREATE ROLE \"$role\" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION"
    echo "role $role created"
fi

if [[ $(as_postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$database'") == 1 ]]; then
    echo "database $database exists"
else
    as_postgres -c "CREATE DATABASE \"$database\" OWNER \"$role\" ENCODING 'UTF8' TEMPLATE template0"
    echo "database $database created"
fi

# Only the owner may connect (other local roles have no business here); repeated, it changes nothing.
as_postgres -c "REVOKE ALL ON DATABASE \"$database\" FROM PUBLIC"
as_postgres -c "ALTER DATABASE \"$database\" OWNER TO \"$role\""

echo "done: set SORI_DATABASE_URL=postgresql+psycopg://$role@/$database in /etc/sori/sori.env, then run sori init"
