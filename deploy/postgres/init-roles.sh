#!/usr/bin/env bash
# One database, one schema per service, each owned by the service's own role and reachable by no
# other service's role. Runs once, when the data volume is first created.
set -euo pipefail
for service in applications assessment training matching notifications; do
  var="RTW_DB_PASSWORD_$(echo "$service" | tr '[:lower:]' '[:upper:]')"
  password="${!var:?set $var}"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE rtw_${service} LOGIN PASSWORD '${password}';
CREATE SCHEMA ${service} AUTHORIZATION rtw_${service};
REVOKE ALL ON SCHEMA ${service} FROM PUBLIC;
SQL
done
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -c "REVOKE CREATE ON SCHEMA public FROM PUBLIC;"
