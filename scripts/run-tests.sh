#!/usr/bin/env bash
# The whole suite, each tier once where it belongs (tests/conftest.py assigns the tiers):
#   unit   - no database:            once, in the SQLite run;
#   db     - uses the database:      on SQLite (the embedded default) and on PostgreSQL;
#   system - browser, faults, smoke, evaluation, schemathesis: once, on PostgreSQL (production's).
# `scripts/run-tests.sh fast` runs unit + db on SQLite only: the edit-test loop (`make test-fast`).
# Extra arguments go to every pytest run. `--durations=25` shows the next slow test in every run.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/quietroom}
JOBS=${QUIETROOM_TEST_JOBS:-2}  # one pytest-xdist worker per core; each has its own database and data folder
fast=0
if [ "${1:-}" = "fast" ]; then fast=1; shift; fi
PYTEST=("$BIN/python" -m pytest -p no:cacheprovider --durations=25)
# Both passes and all their workers share each distinct recording's de-identification
# (tests/conftest.py, _DeidOncePerRun), sealed under a key held only in this environment, in a
# folder removed when the run ends, is interrupted or is told to stop.
QUIETROOM_TEST_DEID_SHARE=$(mktemp -d "${TMPDIR:-/tmp}/quietroom-test-deid-XXXXXX")
trap 'rm -rf "$QUIETROOM_TEST_DEID_SHARE"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
QUIETROOM_TEST_DEID_SHARE_KEY=$("$BIN/python" -c "import secrets; print(secrets.token_hex(32))")
export QUIETROOM_TEST_DEID_SHARE QUIETROOM_TEST_DEID_SHARE_KEY
status=0

run() {  # run NAME ARGS...: one pytest run; "no tests selected" (exit 5) is a failure here too
  local name=$1; shift
  echo "== $name =="
  local started=$SECONDS
  "$@"
  local code=$?
  echo "== $name: exit $code in $((SECONDS - started)) s =="
  [ "$code" -eq 0 ] || status=1
}

run "unit + db on SQLite" env -u DATABASE_URL "${PYTEST[@]}" -m "unit or db" -n "$JOBS" --dist loadfile "$@"
if [ "$fast" -eq 0 ]; then
  # One run for both tiers, so a worker busy with a long system test (a fault test waiting for
  # a server, a browser flow) leaves the other to get through the db tests. Every system test
  # starts its own servers on free loopback ports and its own data folder, so two can run at once.
  run "db + system on PostgreSQL" env DATABASE_URL="$PG_URL" "${PYTEST[@]}" -m "db or system" -n "$JOBS" --dist loadfile "$@"
fi
exit $status
