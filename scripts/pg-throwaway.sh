#!/bin/sh
# Throwaway PostgreSQL clusters: one for running the test suite on PostgreSQL (SORI_TEST_DATABASE_URL), or a
# primary with a streaming replica for the failover test and bench/multihost.py (deploy/README.md, "Several
# app hosts", describes the same on two servers).
#
#   scripts/pg-throwaway.sh start [DIR]                    start a cluster in DIR (default /tmp/sori-pg);
#                                                          prints its URL
#   scripts/pg-throwaway.sh start-replicated DIR [sync|async]
#                                                          a primary in DIR/primary and a replica made with
#                                                          pg_basebackup in DIR/replica; prints the libpq
#                                                          multi-host URL (target_session_attrs=read-write)
#   scripts/pg-throwaway.sh stop-primary DIR               stop the primary at once (-m immediate: a crash)
#   scripts/pg-throwaway.sh promote DIR                    make the replica the primary (pg_ctl promote)
#   scripts/pg-throwaway.sh stop [DIR]                     stop what runs in DIR and delete DIR
#
# PostgreSQL refuses to run as root, so as root the clusters run as the unprivileged user sori-pg (made if
# missing). They listen on 127.0.0.1 only, on free ports, with sockets in DIR; authentication is "trust",
# which is fine for clusters that live for one run and hold only test data. A single cluster runs with
# fsync off unless PG_FSYNC=on; the replicated pair with fsync on unless PG_FSYNC=off. With sync (the
# default) the primary's commits return only once the replica has them on disk, so a receipt shown before
# a crash of the primary is on the replica.
set -eu

action=${1:-}
dir=${2:-/tmp/sori-pg}
user=sori-pg

pg_bin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
if [ ! -x "$pg_bin/pg_ctl" ]; then
    echo "pg-throwaway: PostgreSQL server binaries not found (install postgresql or set PG_BIN)" >&2
    exit 1
fi

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        # runuser keeps no terminal and needs no password; -- separates its options from the command's.
        runuser -u "$user" -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

new_dir() {
    if [ "$(id -u)" -eq 0 ] && ! id "$user" >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
    fi
    if [ -e "$dir" ]; then
        echo "pg-throwaway: $dir exists; stop the old cluster first: $0 stop $dir" >&2
        exit 1
    fi
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown "$user" "$dir"
    return 0
}

init_cluster() {  # DATA
    as_owner "$pg_bin/initdb" -D "$1" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
}

start_server() {  # DATA PORT LOG [OPTIONS]
    as_owner "$pg_bin/pg_ctl" -D "$1" -l "$3" -w -s -o "-c listen_addresses=127.0.0.1 -p $2 -k $dir ${4:-}" start \
        || { cat "$3" >&2; exit 1; }
}

psql_at() {  # PORT SQL
    as_owner "$pg_bin/psql" -h 127.0.0.1 -p "$1" -U postgres -tAc "$2"
}

case "$action" in
start)
    new_dir
    port=$(free_port)
    init_cluster "$dir/data"
    # fsync off: the data is thrown away, and it makes the suite several times faster. Benchmarks that
    # measure what a commit costs set PG_FSYNC=on.
    fsync=${PG_FSYNC:-off}
    start_server "$dir/data" "$port" "$dir/server.log" "-c fsync=$fsync -c full_page_writes=$fsync"
    echo "$port" >"$dir/port"
    echo "postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
    ;;
start-replicated)
    mode=${3:-sync}
    new_dir
    primary_port=$(free_port)
    replica_port=$(free_port)
    init_cluster "$dir/primary"
    # initdb's pg_hba.conf already lets local replication connections in (trust); wal_level replica and
    # max_wal_senders are PostgreSQL's defaults. The replica's name is what synchronous_standby_names names.
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
    until [ "$(psql_at "$primary_port" "SELECT count(*) FROM pg_stat_replication WHERE $wanted")" = 1 ]; do
        tries=$((tries + 1))
        [ $tries -lt 600 ] || { echo "pg-throwaway: the replica does not stream" >&2; exit 1; }
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
    for data in "$dir/data" "$dir/primary" "$dir/replica"; do
        if [ -f "$data/postmaster.pid" ]; then
            as_owner "$pg_bin/pg_ctl" -D "$data" -w -s -m immediate stop || true
        fi
    done
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start|start-replicated|stop-primary|promote|stop [DIR]" >&2
    exit 2
    ;;
esac
