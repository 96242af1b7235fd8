#!/bin/sh
# The application's database role (docs/operations.md "Database roles"): it logs in
# and owns nothing; the tables belong to POSTGRES_USER, which only migrations use.
# Runs once, when the data volume is first initialised.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v db="$POSTGRES_DB" -v app_user="${POSTGRES_APP_USER:-pension_app}" \
  -v app_password="${POSTGRES_APP_PASSWORD:?set POSTGRES_APP_PASSWORD}" <<'SQL'
CREATE ROLE :"app_user" LOGIN PASSWORD :'app_password';
GRANT CONNECT ON DATABASE :"db" TO :"app_user";
SQL
