#!/usr/bin/env bash
# Sets Sori up and starts it on its embedded defaults (SQLite and ./sori-data) with demo reviewers ready.
# Safe to run again: the database, keys and demo content made before are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
host=${SORI_HOST:-127.0.0.1}
port=${SORI_PORT:-5000}
# Links printed and sent out (demo logins, invitations) point where this server listens.
export SORI_BASE_URL=${SORI_BASE_URL:-http://$host:$port}
.venv/bin/sori init
.venv/bin/sori demo
exec .venv/bin/sori serve --host "$host" --port "$port"
