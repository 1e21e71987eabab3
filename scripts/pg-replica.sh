#!/bin/sh
# A throwaway PostgreSQL primary with a streaming replica (pg_basebackup), for the failover test and
# bench/multihost.py. The same cluster as deploy/README.md "Several app hosts" describes, on one machine.
#
#   scripts/pg-replica.sh start DIR [sync|async]   primary in DIR/primary, replica in DIR/replica; prints the
#                                                  libpq multi-host URL (target_session_attrs=read-write)
#   scripts/pg-replica.sh stop-primary DIR         stop the primary at once (-m immediate: a crash)
#   scripts/pg-replica.sh promote DIR              make the replica the primary (pg_ctl promote)
#   scripts/pg-replica.sh stop DIR                 stop both and delete DIR
#
# sync (the default) sets synchronous_standby_names on the primary: a commit returns only once the replica
# has it on disk, so a receipt shown before a crash of the primary is on the replica. As root the clusters
# run as the unprivileged user sori-pg (made if missing), like scripts/pg-throwaway.sh; both listen on
# 127.0.0.1 only, with "trust" authentication: throwaway clusters holding test data only. PG_FSYNC=off
# makes them faster where durability across an operating-system crash does not matter.
set -eu

action=${1:-}
dir=${2:-}
mode=${3:-sync}
user=sori-pg
[ -n "$dir" ] || { echo "usage: $0 start|stop-primary|promote|stop DIR [sync|async]" >&2; exit 2; }

pg_bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
if [ ! -x "$pg_bin/pg_ctl" ]; then
    echo "pg-replica: PostgreSQL server binaries not found (install postgresql or set PG_BIN)" >&2
    exit 1
fi

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$user" -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_server() {  # DATA PORT LOG
    as_owner "$pg_bin/pg_ctl" -D "$1" -l "$3" -w -s -o "-c listen_addresses=127.0.0.1 -p $2 -k $dir" start \
        || { cat "$3" >&2; exit 1; }
}

case "$action" in
start)
    if [ "$(id -u)" -eq 0 ] && ! id "$user" >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
    fi
    if [ -e "$dir" ]; then
        echo "pg-replica: $dir exists; stop the old clusters first: $0 stop $dir" >&2
        exit 1
    fi
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown "$user" "$dir"
    primary_port=$(free_port)
    replica_port=$(free_port)
    as_owner "$pg_bin/initdb" -D "$dir/primary" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # initdb's pg_hba.conf already lets local replication connections in (trust). wal_level replica and
    # max_wal_senders are PostgreSQL's defaults; the standby's name is what synchronous_standby_names names.
    {
        echo "fsync = ${PG_FSYNC:-on}"
        echo "wal_keep_size = 256MB"
        if [ "$mode" = sync ]; then
            echo "synchronous_standby_names = 'replica'"
            echo "synchronous_commit = on"
        fi
    } | as_owner tee -a "$dir/primary/postgresql.conf" >/dev/null
    start_server "$dir/primary" "$primary_port" "$dir/primary.log"
    # -R writes standby.signal and primary_conninfo; application_name names it for synchronous replication.
    as_owner "$pg_bin/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$dir/replica" -R -X stream \
        -d "application_name=replica" >"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log" >&2; exit 1; }
    # The copy carries the primary's settings: once promoted, the replica must not wait for a standby of
    # its own, which it does not have, or every commit would hang (deploy/README.md, failover).
    echo "synchronous_standby_names = ''" | as_owner tee -a "$dir/replica/postgresql.conf" >/dev/null
    start_server "$dir/replica" "$replica_port" "$dir/replica.log"
    echo "$primary_port $replica_port" >"$dir/ports"
    # Wait until the replica streams (and, for sync, is the synchronous standby) before anyone commits.
    wanted="state = 'streaming'"
    [ "$mode" = sync ] && wanted="$wanted AND sync_state = 'sync'"
    tries=0
    until [ "$(as_owner "$pg_bin/psql" -h 127.0.0.1 -p "$primary_port" -U postgres -tAc \
        "SELECT count(*) FROM pg_stat_replication WHERE $wanted")" = 1 ]; do
        tries=$((tries + 1))
        [ $tries -lt 100 ] || { echo "pg-replica: the replica does not stream" >&2; exit 1; }
        sleep 0.1
    done
    echo "postgresql+psycopg://postgres@/postgres?host=127.0.0.1:$primary_port&host=127.0.0.1:$replica_port&target_session_attrs=read-write"
    ;;
stop-primary)
    as_owner "$pg_bin/pg_ctl" -D "$dir/primary" -w -s -m immediate stop
    ;;
promote)
    as_owner "$pg_bin/pg_ctl" -D "$dir/replica" -w -s promote
    ;;
stop)
    for data in "$dir/primary" "$dir/replica"; do
        if [ -f "$data/postmaster.pid" ]; then
            as_owner "$pg_bin/pg_ctl" -D "$data" -w -s -m immediate stop || true
        fi
    done
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start|stop-primary|promote|stop DIR [sync|async]" >&2
    exit 2
    ;;
esac
