#!/usr/bin/env bash
# The whole suite, once on SQLite (the embedded default) and once on PostgreSQL.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/quietroom}
status=0
echo "== SQLite =="
# Infrastructure fault tests (killed workers, broker and database outages) exercise servers,
# not the SQL dialect: they run once, in the PostgreSQL pass that mirrors production.
env -u DATABASE_URL "$BIN/python" -m pytest -m "not infrastructure" "$@" || status=1
echo "== PostgreSQL ($PG_URL) =="
DATABASE_URL="$PG_URL" "$BIN/python" -m pytest "$@" || status=1
exit $status
