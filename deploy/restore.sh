#!/bin/sh
# Restore a backup made by deploy/backup.sh into this server's EMPTY database and data folder, then
# check the result.
#
#   deploy/restore.sh BACKUP_FILE IDENTITY_FILE [PASSPHRASE_FILE]
#
# Run it as the sori user on a freshly installed server: the database made by deploy/postgres-setup.sh
# (or no SQLite file yet) and an empty data folder; do NOT run `sori init` first (a restore refuses a
# database holding any row, and a blob store holding any file). IDENTITY_FILE is the backup identity
# (its passphrase from PASSPHRASE_FILE's first line, else $SORI_PASSPHRASE, else a prompt). Bring it to
# the server for the restore only, and remove it afterwards.
#
# The restore migrates the database to the backup's schema, inserts every table in foreign-key order,
# writes the envelope files, and commits only when every part matches the manifest's SHA-256 and counts,
# `sori check` passes and the audit chain verifies; on failure nothing is kept and it says why.
# Afterwards: `sori init` (brings the schema to this version's newest), then start the service.
#
# Settings: SORI_ENV_FILE (default /etc/sori/sori.env) and SORI_BIN (default /srv/sori/.venv/bin/sori),
# as in backup.sh.
set -eu
umask 077

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    echo "usage: $0 BACKUP_FILE IDENTITY_FILE [PASSPHRASE_FILE]" >&2
    exit 2
fi
env_file=${SORI_ENV_FILE:-/etc/sori/sori.env}
sori=${SORI_BIN:-/srv/sori/.venv/bin/sori}

case $env_file in */*) ;; *) env_file=./$env_file ;; esac  # `.` would search $PATH for a bare name
if [ -f "$env_file" ]; then
    set -a
    . "$env_file"
    set +a
fi

if [ $# -eq 3 ]; then
    "$sori" backup restore -i "$2" --passphrase-file "$3" "$1"
else
    "$sori" backup restore -i "$2" "$1"
fi
"$sori" init
"$sori" check
