#!/bin/bash
# Runs once, when the ClickHouse container starts on an empty data directory (docker-entrypoint-initdb.d).
# Creates the analysts' login: read-only, SELECT on every table of the database except the sealed
# dead-letter payload (dead_letters_v2.payload_sealed), so rejected input stays unreadable to analysts,
# the dead letters kept in clear before they were sealed (dead_letters_v1) and the operators' audit trail
# (operator_actions_v1: client addresses, credential ids). The embedded endpoint denies the same tables
# (DENIED_TABLES in services/monitor/src/analysts/read-only-policy.ts).
# On an existing server, run the same statements once as an administrator (docs/analysts.md).
set -euo pipefail
if [[ -z "${ANALYSTS_PASSWORD:-}" ]]; then
  echo "ANALYSTS_PASSWORD is unset: no analyst user created"
  exit 0
fi
# Only the hash enters the statement: a password is never quoted into SQL.
hash=$(printf '%s' "$ANALYSTS_PASSWORD" | sha256sum | cut -d' ' -f1)
clickhouse client --user "${CLICKHOUSE_USER:-default}" --password "${CLICKHOUSE_PASSWORD:-}" --multiquery <<SQL
CREATE USER IF NOT EXISTS analyst IDENTIFIED WITH sha256_hash BY '${hash}' SETTINGS readonly = 1;
GRANT SELECT ON default.* TO analyst;
REVOKE SELECT(payload_sealed) ON default.dead_letters_v2 FROM analyst;
REVOKE SELECT ON default.dead_letters_v1 FROM analyst;
REVOKE SELECT ON default.operator_actions_v1 FROM analyst;
SQL
