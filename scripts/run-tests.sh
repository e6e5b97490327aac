#!/usr/bin/env bash
# `make test`: every test, in two parts. The parallel part spreads test files over
# U22A8_TEST_WORKERS processes (default: the number of cores; most live tests spend their time
# waiting on a server); the serial part (tests marked `serial`: they restart PostgreSQL and share
# the broker) runs alone afterwards. Extra arguments go to both parts, e.g. a path or `-k`.
# Each part lists its slowest tests: CI time is budgeted (20 minutes), so it shows where it goes.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
WORKERS=${U22A8_TEST_WORKERS:-$(nproc)}

status=0
"$PY" -m pytest -q -n "$WORKERS" --dist loadfile -m "not serial" --durations=20 "$@"
rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 5 ] || status=$rc   # 5: the arguments selected no such test
"$PY" -m pytest -q -m serial --durations=10 "$@"
rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 5 ] || status=$rc
exit "$status"
