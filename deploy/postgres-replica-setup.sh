#!/usr/bin/env bash
# A PostgreSQL primary with one synchronous streaming replica for several Sori app hosts (deploy/README.md,
# "Several app hosts"). Run as root on each database server, after deploy/postgres-setup.sh on the primary:
#
#   deploy/postgres-replica-setup.sh primary STANDBY_ADDRESS APP_HOST_ADDRESS...   (on the primary, first)
#   deploy/postgres-replica-setup.sh standby PRIMARY_ADDRESS APP_HOST_ADDRESS...   (on the standby, then)
#
# primary: listens on every address, lets the standby in for replication and the app hosts in as role sori,
#   both over TLS with a password (peer login works on one machine only); every commit then waits until
#   the standby has it on disk (synchronous_standby_names), so that a receipt shown is never lost in a
#   failover. The first time it prints the two passwords it sets, once: the replication one is for the
#   standby step (which asks for it), the sori one goes in SORI_DATABASE_URL on the app hosts.
# standby: REPLACES this server's cluster with a copy of the primary's (pg_basebackup), streaming from it;
#   it answers reads only until it is promoted (README: failover).
#
# Debian's PostgreSQL keeps its settings in /etc/postgresql/VERSION/main, outside the data folder that
# pg_basebackup copies: both servers get the same listen and access settings from this script. Addresses
# are single hosts (an IPv4 or IPv6 address); the app hosts are the same list on both servers. Safe to run
# again on the primary (it changes only what differs); on the standby it copies the primary afresh.
set -euo pipefail

role=${1:-}
peer=${2:-}
shift 2 || { echo "usage: $0 primary|standby PEER_ADDRESS APP_HOST_ADDRESS..." >&2; exit 2; }
app_hosts=("$@")
database=${SORI_DB_NAME:-sori}
app_role=${SORI_DB_ROLE:-sori}
replication_role=sori_replica
standby_name=sori_standby

[[ $(id -u) -eq 0 ]] || { echo "postgres-replica-setup.sh: run this as root" >&2; exit 1; }
[[ $role == primary || $role == standby ]] || { echo "usage: $0 primary|standby PEER APP_HOST..." >&2; exit 2; }
[[ ${#app_hosts[@]} -gt 0 ]] || { echo "postgres-replica-setup.sh: name at least one app host" >&2; exit 2; }
read -r version cluster _ < <(pg_lsclusters --no-header | head -n 1)
conf=/etc/postgresql/$version/$cluster
data=/var/lib/postgresql/$version/$cluster

as_postgres() { runuser -u postgres -- psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 "$@"; }
cidr() { [[ $1 == *:* ]] && echo "$1/128" || echo "$1/32"; }

# Who may connect, from where: replication from the other database server, role sori from the app hosts.
# TLS and scram passwords only. With Debian's snakeoil certificate, sslmode=require encrypts but does not
# prove the server: keep the servers on the private network, or install certificates of your own CA and
# use sslmode=verify-full.
hba=$conf/pg_hba.conf
sed -i '/# sori-replica-setup$/d' "$hba"
{
    echo "hostssl replication $replication_role $(cidr "$peer") scram-sha-256 # sori-replica-setup"
    for host in "${app_hosts[@]}"; do
        echo "hostssl $database $app_role $(cidr "$host") scram-sha-256 # sori-replica-setup"
    done
} >>"$hba"
cat >"$conf/conf.d/sori-replica.conf" <<EOF
# Written by deploy/postgres-replica-setup.sh
listen_addresses = '*'
ssl = on
password_encryption = scram-sha-256
wal_keep_size = 1GB
EOF

if [[ $role == primary ]]; then
    cat >>"$conf/conf.d/sori-replica.conf" <<EOF
# A commit returns once the standby has flushed it: a receipt is shown only for what both servers hold.
# With one standby, commits WAIT while it is away (README: "when the standby is down").
synchronous_standby_names = '$standby_name'
synchronous_commit = on
EOF
    systemctl restart "postgresql@$version-$cluster"
    if [[ $(as_postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$replication_role'") != 1 ]]; then
        as_postgres -c "CREATE ROLE $replication_role LOGIN REPLICATION"
    fi
    # Passwords are set once: run again (after a failover, on the new primary) this changes none, so the
    # app hosts' URL and the standby's .pgpass stay valid.
    for each in "$replication_role" "$app_role"; do
        if [[ $(as_postgres -tAc "SELECT rolpassword IS NULL FROM pg_authid WHERE rolname = '$each'") == t ]]; then
            password=$(openssl rand -base64 30 | tr -d '/+=')
            as_postgres -c "ALTER ROLE \"$each\" PASSWORD '$password'"
            echo "password of $each, shown once: $password"
        fi
    done
    echo "app hosts: SORI_DATABASE_URL=postgresql+psycopg://$app_role:PASSWORD@/$database?host=PRIMARY:5432&host=STANDBY:5432&target_session_attrs=read-write&sslmode=require"
    exit 0
fi

# The standby: never waits for a standby of its own once promoted (it has none).
echo "synchronous_standby_names = ''" >>"$conf/conf.d/sori-replica.conf"
read -r -s -p "password of $replication_role printed on the primary: " replication_password
echo
pgpass=/var/lib/postgresql/.pgpass
echo "$peer:5432:replication:$replication_role:$replication_password" >"$pgpass"
chown postgres:postgres "$pgpass" && chmod 0600 "$pgpass"
systemctl stop "postgresql@$version-$cluster"
mv "$data" "$data.before-replica.$(date +%s)"
# -R writes standby.signal and primary_conninfo; application_name is the name the primary waits for.
runuser -u postgres -- pg_basebackup -h "$peer" -U "$replication_role" -D "$data" -R -X stream -P \
    -d "application_name=$standby_name sslmode=require"
systemctl start "postgresql@$version-$cluster"
echo "standby streaming from $peer; check on the primary: SELECT sync_state FROM pg_stat_replication; (sync)"
echo "the old data folder is kept beside it ($data.before-replica.*): delete it once you are sure"
