#!/bin/sh
# Make an encrypted backup of Sori (database + envelope files), keep the newest N, and delete those older
# than the longest retention period.
#
#   deploy/backup.sh [TARGET_DIR]
#
# For cron or a systemd timer, as the sori user (it reads the data folder and the database), e.g.
#   15 3 * * *  sori  /srv/sori/deploy/backup.sh /var/backups/sori
# The backup is one envelope sealed to the organization's backup public key(s): only the holder of the
# backup identity (kept offline) can open it, with `sori backup restore` (deploy/restore.sh) or
# `sori decrypt`. Copy the files off the server (rsync, restic...): they are safe to store anywhere.
#
# Settings (environment variables; the defaults suit deploy/README.md's layout):
#   SORI_ENV_FILE     Sori's settings, loaded first               default /etc/sori/sori.env
#   SORI_BACKUP_KEYS  backup public key(s), sori-pk1-... or files  default /etc/sori/backup.pub
#                     holding one, separated by spaces
#   SORI_BACKUP_DIR   where backups go (TARGET_DIR overrides it)  default /var/backups/sori
#   SORI_BACKUP_KEEP  how many backups to keep at most             default 14
#   SORI_BIN          the sori command                             default /srv/sori/.venv/bin/sori
# Backups older than the longest retention period (`sori retention longest-days`; 0: no policy deletes
# anything, and only SORI_BACKUP_KEEP applies) are deleted as well: a submission deleted by a policy or by
# two reviewers survives in backups no longer than that (docs/retention.md, "Backups"). Copies you keep
# elsewhere must age out the same way.
# Exit status: non-zero when the backup failed (nothing is left half-written: sori writes to a
# temporary name and links the file into place only when it is complete).
set -eu
umask 077

env_file=${SORI_ENV_FILE:-/etc/sori/sori.env}
keys=${SORI_BACKUP_KEYS:-/etc/sori/backup.pub}
target=${1:-${SORI_BACKUP_DIR:-/var/backups/sori}}
keep=${SORI_BACKUP_KEEP:-14}
sori=${SORI_BIN:-/srv/sori/.venv/bin/sori}

case $keep in '' | *[!0-9]*) echo "backup.sh: SORI_BACKUP_KEEP must be a number" >&2; exit 2 ;; esac
[ "$keep" -ge 1 ] || { echo "backup.sh: SORI_BACKUP_KEEP must be at least 1" >&2; exit 2; }

# KEY=VALUE lines, as systemd's EnvironmentFile= reads them; exported for sori.
case $env_file in */*) ;; *) env_file=./$env_file ;; esac  # `.` would search $PATH for a bare name
if [ -f "$env_file" ]; then
    set -a
    . "$env_file"
    set +a
fi

mkdir -p "$target"
set --
for key in $keys; do
    set -- "$@" -r "$key"
done
[ $# -gt 0 ] || { echo "backup.sh: no backup key (set SORI_BACKUP_KEYS)" >&2; exit 2; }

# UTC time in the name, so that names sort by age; the process id keeps two runs in one second apart.
file="$target/sori-$(date -u +%Y%m%dT%H%M%SZ)-$$.backup"
"$sori" backup create "$@" -o "$file"

backups() {
    ls -1 "$target" | grep -E '^sori-[0-9]{8}T[0-9]{6}Z-[0-9]+\.backup$' || true
}

# Keep the newest $keep backups (names sort by time); never touch other files in the folder.
backups | sort -r | tail -n +"$((keep + 1))" |
    while read -r old; do
        rm -f -- "$target/$old"
        echo "removed old backup $target/$old"
    done

# Delete those made before the longest retention period (names hold their UTC time, so they compare).
longest=$("$sori" retention longest-days)
case $longest in '' | *[!0-9]*) echo "backup.sh: sori retention longest-days said '$longest'" >&2; exit 2 ;; esac
if [ "$longest" -gt 0 ]; then
    cutoff="sori-$(date -u -d "@$(($(date -u +%s) - longest * 86400))" +%Y%m%dT%H%M%SZ)"
    backups | awk -v cutoff="$cutoff" '$0 < cutoff' |
        while read -r old; do
            rm -f -- "$target/$old"
            echo "removed backup older than the longest retention period ($longest days) $target/$old"
        done
fi
