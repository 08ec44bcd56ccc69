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
  run "db on PostgreSQL" env DATABASE_URL="$PG_URL" "${PYTEST[@]}" -m db -n "$JOBS" --dist loadfile "$@"
  # Serial: the fault tests stop and restart servers and time recoveries; a second worker
  # competing for the two cores would make their deadlines flaky, not the code.
  run "system on PostgreSQL" env DATABASE_URL="$PG_URL" "${PYTEST[@]}" -m system "$@"
fi
exit $status
