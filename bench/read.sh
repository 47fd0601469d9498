#!/usr/bin/env bash
# bench/read.sh — read-path benchmark (issue 4): auditlog.search() against
# hand-written SQL over a plain indexed table holding the same events.
#
#   bash bench/read.sh                      # 1M events, throwaway PG 15 cluster
#   N=10000000 bash bench/read.sh           # the scale of the targets
#   N="1000000 10000000" bash bench/read.sh # both scales in one run, with the 10M/1M ratio
#
# Environment:
#   N          events to generate; a space-separated list runs each scale (default 1000000)
#   ROUNDS     timed runs per query, the best is kept, after one warm-up (default 5)
#   REUSE=1    keep the generated data when the database already holds N events
#   CHUNK      events per import statement, committed in between (default 100000)
#   EXPLAIN=1  also print EXPLAIN ANALYZE of every plain query
#   BENCH_USE_ENV=1  use the server of the exported PG* variables instead of a
#              throwaway cluster; the data goes to $PGDATABASE (to ${PGDATABASE}_<n>
#              when N lists several scales), where the auditlog extension is
#              DROPPED and recreated on generation
#   BENCH_PG_OPTS    extra pg_virtualenv options, e.g. "-o shared_buffers=2GB"
#
# Date filters are whole days of the session time zone, UTC unless PGTZ says otherwise.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${N:=1000000}" "${ROUNDS:=5}" "${REUSE:=0}" "${CHUNK:=100000}" "${EXPLAIN:=0}"
export N ROUNDS REUSE CHUNK EXPLAIN
export PGTZ="${PGTZ:-UTC}"

if [ "${BENCH_USE_ENV:-0}" != 1 ] && [ -z "${BENCH_READ_INSIDE:-}" ]; then
    # -t: a cluster of its own in a temporary directory, so that a concurrent
    # pg_virtualenv (tools/test.sh) cannot collide with it; an exported PGPORT
    # would be taken as the new cluster's port.
    # shellcheck disable=SC2086
    exec env -u PGPORT -u PGHOST -u PGHOSTADDR -u PGDATABASE -u PGSERVICE \
        pg_virtualenv -t -v 15 -o max_wal_size=8GB -o checkpoint_timeout=30min ${BENCH_PG_OPTS:-} \
        env BENCH_READ_INSIDE=1 bash "$here/read.sh"
fi

read -r -a scales <<<"$N"
[ "${#scales[@]}" -gt 0 ] || { echo "read.sh: N is empty" >&2; exit 2; }
for n in "${scales[@]}"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "read.sh: N must list positive integers, got '$n'" >&2; exit 2; }
done

dbname() {
    if [ -n "${BENCH_READ_INSIDE:-}" ]; then
        echo "auditlog_read_$1"
    elif [ "${#scales[@]}" -eq 1 ]; then
        echo "$PGDATABASE"
    else
        echo "${PGDATABASE}_$1"
    fi
}

if [ -z "${BENCH_READ_INSIDE:-}" ]; then
    case "${PGDATABASE:-}" in
        ""|postgres|template0|template1)
            echo "read.sh: with BENCH_USE_ENV=1 set PGDATABASE to a scratch database" \
                 "(its auditlog extension is dropped and recreated)" >&2
            exit 2 ;;
    esac
fi

psql_() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
now() { date +%s.%N; }

summary=()
for n in "${scales[@]}"; do
    db=$(dbname "$n")
    echo "== $n events, database $db"
    if [ -z "$(psql_ -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
        psql_ -d postgres -c "CREATE DATABASE \"$db\""
    fi

    have=""
    if [ "$REUSE" = 1 ]; then
        have=$(psql_ -d "$db" -Atc "SELECT n FROM bench_read.meta WHERE analyze_s IS NOT NULL" 2>/dev/null || true)
    fi
    if [ "$have" = "$n" ]; then
        echo "reusing the $n events already in $db"
    else
        t0=$(now)
        psql_ -d "$db" -v n="$n" -v chunk="$CHUNK" -f "$here/read/generate.sql"
        psql_ -d "$db" -f "$here/read/plain.sql"
        t1=$(now)
        psql_ -d "$db" -At -F ' ' -c "SELECT n, generate_s, plain_s, analyze_s FROM bench_read.meta" |
            awk -v w="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" '{
                printf "generated %d events in %.1f s: import_event %.1f s (%.2f us/event), plain table + indexes %.1f s, vacuum analyze %.1f s\n",
                       $1, w, $2, $2 * 1e6 / $1, $3, $4 }'
    fi

    psql_ -d "$db" -v rounds="$ROUNDS" -v explain="$([ "$EXPLAIN" = 1 ] && echo true || echo false)" \
        -f "$here/read/run.sql"
    summary+=("$n $(psql_ -d "$db" -At -F ' ' -c "
        SELECT coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY search_ms)::text, '-'),
               coalesce(max(search_ms)::text, '-'),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY plain_ms), max(plain_ms)
          FROM bench_read.results")")
    echo
done

if [ "${#summary[@]}" -gt 1 ]; then
    echo "== scaling (ms; ratio to the previous scale, target for search at 10x the events: <= 1.5)"
    printf '%s\n' "${summary[@]}" | awk '
        function r(a, b) { return (a == "-" || b == "-" || b == 0) ? "-" : sprintf("%.2f", a / b) }
        BEGIN { printf "%12s %12s %12s %12s %12s %10s %10s\n", "events", "search med", "search worst",
                       "plain med", "plain worst", "search x", "plain x" }
        {
            printf "%12d %12s %12s %12.2f %12.2f", $1, $2 == "-" ? "-" : sprintf("%.2f", $2),
                   $3 == "-" ? "-" : sprintf("%.2f", $3), $4, $5
            if (NR > 1)
                printf " %4s/%-5s %4s/%-5s", r($2, sm), r($3, sw), r($4, pm), r($5, pw)
            printf "\n"
            sm = $2; sw = $3; pm = $4; pw = $5
        }'
fi
