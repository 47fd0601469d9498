#!/usr/bin/env bash
# bench/dashboard.sh — server time per request of the reference dashboard
# (issue 12) over N generated events.
#
#   bash bench/dashboard.sh                # 1M events, throwaway cluster
#   N=10000000 bash bench/dashboard.sh     # the scale of the read targets
#
# Generates the events with bench/read/saas/generate.sql (import_event, spread
# over the year before today), runs dashboard/server.js as a role with the
# reader grants only, and times a first page, filtered pages and Older
# pages for a viewer in Europe/Paris (the date filter then cuts the
# summaries' UTC days, the harder case). Each URL: one warm-up, then ROUNDS
# timed requests; prints the best and the median of the server's own time
# (its Server-Timing header: from the request's arrival to the page
# rendered), the median of the database's part of it (the request's one
# read-only transaction), and the best and median of the whole HTTP round
# trip on loopback.
#
# Environment: N (default 1000000), ROUNDS (default 5), CHUNK (events per
# import statement, default 100000), PG_CONFIG (as tools/tmpcluster.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${N:=1000000}" "${ROUNDS:=5}" "${CHUNK:=100000}"
export N ROUNDS CHUNK

if [ -z "${BENCH_DASHBOARD_INSIDE:-}" ]; then
    [[ "$N" =~ ^[1-9][0-9]*$ ]] || { echo "dashboard.sh: N must be a positive integer" >&2; exit 2; }
    [ -d dashboard/node_modules ] || bash tools/deps.sh
    chmod -R a+rX . 2>/dev/null || true
    exec env BENCH_DASHBOARD_INSIDE=1 bash tools/tmpcluster.sh \
        -o max_wal_size=8GB -o checkpoint_timeout=30min -o shared_buffers=1GB bash bench/dashboard.sh
fi

db=bench_dashboard
psql_() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
psql_ -d postgres -c "CREATE DATABASE $db"
echo "== generating $N events"
t0=$(date +%s)
psql_ -d "$db" -v gen=saas -v n="$N" -v chunk="$CHUNK" -v partitions=1 -f bench/read/setup.sql
psql_ -d "$db" -f bench/read/saas/generate.sql
psql_ -d "$db" -f bench/read/summarize.sql
echo "generated in $(( $(date +%s) - t0 )) s"
psql_ -d "$db" -c "VACUUM ANALYZE auditlog.event_store"

role=bench_dashboard_reader
password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
psql_ -d "$db" -v role="$role" -v password="$password" -f dashboard/reader.sql

port=$(( 20000 + RANDOM % 30000 ))
log=$(mktemp)
PGDATABASE=$db PGUSER=$role PGPASSWORD=$password PORT=$port node dashboard/server.js >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 50); do
    curl -fs -o /dev/null "http://127.0.0.1:$port/healthz" && break
    sleep 0.2
done
base="http://127.0.0.1:$port"
cookie='tz=Europe%2FParis'

# dd/mm/yyyy of n days ago, and the Older link of a page.
ago() { date -u -d "$1 days ago" +%d/%m/%Y; }
older() { curl -fs -b "$cookie" "$base$1" | grep -o 'id="older" rel="next" href="[^"]*"' | sed 's/.*href="//; s/"$//; s/&amp;/\&/g'; }

# Times one path: prints label, rows shown, count, and the timings.
measure() {
    local label=$1 path=$2 out server_ms db_ms total_ms
    curl -fs -o /dev/null -b "$cookie" "$base$path"           # warm-up
    local servers=() dbs=() totals=()
    for _ in $(seq "$ROUNDS"); do
        out=$(curl -s -D - -o /tmp/bench-dashboard-page.$$ -w 'time_total=%{time_total}\n' -b "$cookie" "$base$path")
        server_ms=$(printf '%s\n' "$out" | sed -n 's/.*total;dur=\([0-9.]*\).*/\1/p')
        db_ms=$(printf '%s\n' "$out" | sed -n 's/.*db;dur=\([0-9.]*\).*/\1/p')
        total_ms=$(printf '%s\n' "$out" | sed -n 's/^time_total=//p' | awk '{ printf "%.1f", $1 * 1000 }')
        servers+=("$server_ms"); dbs+=("$db_ms"); totals+=("$total_ms")
    done
    local rows count
    rows=$(grep -o '<tr data-id' /tmp/bench-dashboard-page.$$ | wc -l)
    count=$(grep -o 'data-count="[0-9]*"' /tmp/bench-dashboard-page.$$ | grep -o '[0-9]*' || echo '-')
    rm -f /tmp/bench-dashboard-page.$$
    printf '%s\n' "${servers[@]}" | sort -n | awk -v l="$label" -v r="$rows" -v c="$count" \
        -v t="$(printf '%s\n' "${totals[@]}" | sort -n | tr '\n' ' ')" \
        -v d="$(printf '%s\n' "${dbs[@]}" | sort -n | tr '\n' ' ')" '
        { v[NR] = $1 }
        END {
            split(t, tt, " "); split(d, dd, " "); m = int((NR + 1) / 2)
            printf "%-34s %5s %9s %9.1f %9.1f %9.1f %9.1f %9.1f\n", l, r, c, v[1], v[m], dd[m], tt[1], tt[m]
        }'
}

echo "== $N events, viewer in Europe/Paris, $ROUNDS rounds per page (ms)"
printf '%-34s %5s %9s %9s %9s %9s %9s %9s\n' page rows count "srv best" "srv med" "db med" "http best" "http med"
measure "first page" "/"
measure "filtered: system, credential.*" "/?actor=system&action=credential.*&type=connection"
measure "filtered: one user, 30 days" "/?actor=John%20Doe&from=$(ago 30)&to=$(ago 1)"
measure "filtered: denied, auth.login" "/?action=auth.login&outcome=denied"
measure "filtered: all six, a month" "/?actor=system&action=credential.*&type=connection&from=$(ago 60)&to=$(ago 30)&outcome=failure"
p2=$(older "/")
measure "Older (page 2)" "$p2"
p=$p2
for _ in $(seq 2 10); do p=$(older "$p"); done
measure "Older (page 11)" "$p"
f2=$(older "/?actor=system&action=credential.*&type=connection")
measure "Older of a filtered page (page 2)" "$f2"
if grep -q 'auditlog-dashboard:' "$log"; then
    echo "server errors:"; cat "$log"; exit 1
fi
