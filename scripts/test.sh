#!/usr/bin/env bash
# Sets everything up and runs the whole test suite: the JavaScript crypto under Node's test runner, then
# the Python suite (browser tests included) on SQLite and again on a throwaway PostgreSQL cluster (without the
# browser tests and those marked once, which do not depend on the database: tests/conftest.py).
# Extra arguments go to pytest, e.g. `scripts/test.sh -k envelope`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test

echo "== Static checks (ruff, bandit: no high-severity finding)"
.venv/bin/ruff check --quiet .
.venv/bin/ruff format --check --quiet .
.venv/bin/bandit --quiet --recursive crypto core intake reviewer sori --severity-level high

echo "== JavaScript (node --test)"
node --test tests/js/

echo "== Python suite on SQLite"
.venv/bin/python -m pytest -n 2 --dist loadgroup "$@"

echo "== Python suite on PostgreSQL"
pg_url=$(scripts/pg-throwaway.sh start)
trap 'scripts/pg-throwaway.sh stop' EXIT
SORI_TEST_DATABASE_URL="$pg_url" .venv/bin/python -m pytest -n 2 --dist loadgroup "$@"
