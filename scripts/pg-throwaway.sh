#!/bin/sh
# A throwaway PostgreSQL cluster for running the test suite on PostgreSQL (SORI_TEST_DATABASE_URL).
#
#   scripts/pg-throwaway.sh start [DIR]   start a cluster in DIR (default /tmp/sori-pg); prints its URL
#   scripts/pg-throwaway.sh stop [DIR]    stop it and delete DIR
#
# PostgreSQL refuses to run as root, so as root the cluster runs as the unprivileged user sori-pg (made if
# missing). It listens on 127.0.0.1 only, on a free port, with a socket in DIR; authentication is "trust",
# which is fine for a cluster that lives for one test run and holds only test data.
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

case "$action" in
start)
    if [ "$(id -u)" -eq 0 ] && ! id "$user" >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
    fi
    if [ -e "$dir" ]; then
        echo "pg-throwaway: $dir exists; stop the old cluster first: $0 stop $dir" >&2
        exit 1
    fi
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown "$user" "$dir"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$pg_bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # fsync off: the data is thrown away, and it makes the suite several times faster. Benchmarks that
    # measure what a commit costs set PG_FSYNC=on.
    fsync=${PG_FSYNC:-off}
    as_owner "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -s \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=$fsync -c full_page_writes=$fsync" start \
        || { cat "$dir/server.log" >&2; exit 1; }
    echo "$port" >"$dir/port"
    echo "postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
    ;;
stop)
    if [ -d "$dir/data" ]; then
        as_owner "$pg_bin/pg_ctl" -D "$dir/data" -w -s -m immediate stop || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start|stop [DIR]" >&2
    exit 2
    ;;
esac
