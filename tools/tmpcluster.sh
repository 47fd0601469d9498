#!/usr/bin/env bash
# tools/tmpcluster.sh — runs a command against a throwaway PostgreSQL cluster.
#
#   bash tools/tmpcluster.sh [-o name=value]... [--] command [args...]
#
# The cluster is made with the server of $PG_CONFIG (default: Debian's
# PostgreSQL 15), in a new temporary directory owned by postgres, listens
# on 127.0.0.1 (a free port, password auth) and on a unix socket in that
# directory (trust: only root and postgres can reach it), and is stopped
# and removed when the command ends, also on failure or interrupt. The
# command runs with PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE set
# for it, and with TMPCLUSTER_DATA (the data directory) and
# TMPCLUSTER_SOCKET (the socket directory) for tests that restart the
# server or read its log ($TMPCLUSTER_DATA/log/postgresql.log).
# PostgreSQL refuses to run as root: as root the server runs as postgres.
#
# Like pg_virtualenv -t, with two differences the suite needs: any
# PostgreSQL installation (PG_CONFIG), so that the extension can be tested
# on several versions or side by side, and the server's own settings on the
# command line (-o shared_preload_libraries=auditlog).
# Exit status: the command's.
set -euo pipefail

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
BINDIR=$("$PG_CONFIG" --bindir)
opts=()
while [ $# -gt 0 ]; do
    case "$1" in
        -o) opts+=("$2"); shift 2 ;;
        --) shift; break ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || { echo "usage: tmpcluster.sh [-o name=value]... command [args...]" >&2; exit 2; }

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

WORK=$(mktemp -d /tmp/pgtmp.XXXXXX)
chmod 700 "$WORK"
[ "$(id -u)" -eq 0 ] && chown postgres: "$WORK"
DATA=$WORK/data
cleanup() {
    as_owner "$BINDIR/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PASSWORD=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$PASSWORD" > "$WORK/pw"
[ "$(id -u)" -eq 0 ] && chown postgres: "$WORK/pw"
as_owner "$BINDIR/initdb" -D "$DATA" -U postgres --pwfile="$WORK/pw" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >"$WORK/initdb.log" 2>&1 ||
    { cat "$WORK/initdb.log" >&2; exit 1; }
rm -f "$WORK/pw"

{
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '$WORK'"
    echo "fsync = off"
    echo "logging_collector = on"
    echo "log_directory = 'log'"
    echo "log_filename = 'postgresql.log'"
    echo "lc_messages = 'C'"
    for o in "${opts[@]}"; do echo "$o"; done
} >> "$DATA/postgresql.conf"

# A free port: try a few at random, as the server is what finds out for sure.
started=0
for _ in 1 2 3 4 5 6 7 8; do
    PORT=$(( 20000 + RANDOM % 30000 ))
    if as_owner "$BINDIR/pg_ctl" -D "$DATA" -o "-p $PORT" -l "$WORK/start.log" -w -t 60 start >/dev/null 2>&1; then
        started=1
        break
    fi
done
if [ $started -ne 1 ]; then
    cat "$WORK/start.log" "$DATA"/log/*.log >&2 2>/dev/null || true
    echo "tmpcluster.sh: the server did not start" >&2
    exit 1
fi
echo "port = $PORT" >> "$DATA/postgresql.conf"

export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres PGPASSWORD=$PASSWORD PGDATABASE=postgres
export TMPCLUSTER_DATA=$DATA TMPCLUSTER_SOCKET=$WORK TMPCLUSTER_BINDIR=$BINDIR
unset PGSERVICE PGHOSTADDR
set +e
"$@"
rc=$?
set -e
exit $rc
