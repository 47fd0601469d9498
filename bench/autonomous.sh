#!/usr/bin/env bash
# bench/autonomous.sh — what an event that survives its caller's rollback costs:
# auditlog.log_event_autonomous() against auditlog.log_event() and a plain INSERT
# into an indexed table, each a one-statement transaction under pgbench, at 1 and 4
# clients, and the autonomous call inside a transaction that rolls back (the case it
# exists for). Prints events/s and the mean latency per call, with ratios to
# log_event in the same run, and checks that every autonomous event committed
# exactly once (exit 1 if not).
#
#   bash bench/autonomous.sh                  # throwaway cluster of $PG_CONFIG's server
#   BENCH_USE_ENV=1 bash bench/autonomous.sh  # the server PGHOST/PGPORT/PGUSER point to
#
# Environment: SECONDS_EACH (pgbench -T, 10), ROUNDS (3, the best counts), BENCH_DB
# (auditlog_autonomous; dropped and recreated), BENCH_PG_OPTS (extra tmpcluster.sh
# options). The throwaway cluster runs with fsync off, like every benchmark here: the
# figures compare the work of the calls, not a disk's flush.
set -euo pipefail

SECONDS_EACH=${SECONDS_EACH:-10}
ROUNDS=${ROUNDS:-3}
BENCH_DB=${BENCH_DB:-auditlog_autonomous}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for v in SECONDS_EACH ROUNDS; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "autonomous.sh: $v must be a positive integer" >&2; exit 2; }
done
if [[ ${BENCH_USE_ENV:-0} != 1 ]]; then
    # shellcheck disable=SC2086
    exec bash "$HERE/../tools/tmpcluster.sh" -o shared_buffers=512MB -o max_wal_size=8GB \
        -o auditlog.maintenance_worker=off ${BENCH_PG_OPTS:-} \
        -- env BENCH_USE_ENV=1 bash "${BASH_SOURCE[0]}" "$@"
fi
[[ -n ${TMPCLUSTER_BINDIR:-} ]] && PATH=$TMPCLUSTER_BINDIR:$PATH
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
psqlq() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

psqlq -d postgres -c "DROP DATABASE IF EXISTS $BENCH_DB" -c "CREATE DATABASE $BENCH_DB" 2>/dev/null
export PGDATABASE=$BENCH_DB
psqlq -c "CREATE EXTENSION auditlog" -c "
    CREATE TABLE plain_log (id bigserial PRIMARY KEY, occurred_at timestamptz NOT NULL DEFAULT now(),
                            actor text, action text NOT NULL, outcome text NOT NULL, details jsonb);
    CREATE INDEX ON plain_log (occurred_at); CREATE INDEX ON plain_log (actor); CREATE INDEX ON plain_log (action);"
cat > "$TMP/plain.sql" <<'SQL'
INSERT INTO plain_log (actor, action, outcome, details) VALUES ('Bench User', 'bench.plain', 'denied', '{"reason": "bench"}');
SQL
cat > "$TMP/log_event.sql" <<'SQL'
SELECT auditlog.log_event('bench.log_event', outcome => 'denied', details => '{"reason": "bench"}', actor => 'Bench User');
SQL
cat > "$TMP/autonomous.sql" <<'SQL'
SELECT auditlog.log_event_autonomous('bench.autonomous', outcome => 'denied', details => '{"reason": "bench"}', actor => 'Bench User');
SQL
cat > "$TMP/rolled_back.sql" <<'SQL'
BEGIN;
SELECT auditlog.log_event_autonomous('bench.rolled_back', outcome => 'denied', details => '{"reason": "bench"}', actor => 'Bench User');
ROLLBACK;
SQL
# the writer and the caches warm, the actions known
psqlq -c "SELECT auditlog.log_event_autonomous('bench.warmup')" >/dev/null

declare -A BEST_TPS=() BEST_LAT=() TXNS=()
run() { # variant clients
    local out tps lat n
    out=$(pgbench -n -M prepared -c "$2" -j "$2" -T "$SECONDS_EACH" -f "$TMP/$1.sql" 2>&1) ||
        { echo "$out" >&2; exit 1; }
    tps=$(awk '/^tps = / { print $3; exit }' <<<"$out")
    lat=$(awk '/^latency average = / { print $4; exit }' <<<"$out")
    n=$(awk -F': ' '/^number of transactions actually processed/ { print $2; exit }' <<<"$out")
    grep -q '^number of failed transactions: [1-9]' <<<"$out" && { echo "$out" >&2; exit 1; }
    TXNS[$1]=$(( ${TXNS[$1]:-0} + ${n%%/*} ))
    if awk -v a="$tps" -v b="${BEST_TPS[$1,$2]:-0}" 'BEGIN { exit !(a > b) }'; then
        BEST_TPS[$1,$2]=$tps; BEST_LAT[$1,$2]=$lat
    fi
    printf '  %-12s %d client(s): %8.0f events/s, %7.3f ms per call\n' "$1" "$2" "$tps" "$lat"
}

echo "auditlog: log_event_autonomous against log_event and a plain INSERT ($(nproc) CPUs, best of $ROUNDS, ${SECONDS_EACH}s each)"
for ((r = 1; r <= ROUNDS; r++)); do
    echo "round $r/$ROUNDS"
    for c in 1 4; do
        for v in plain log_event autonomous rolled_back; do run "$v" "$c"; done
    done
done

echo
printf '%-12s %8s %14s %12s %14s %12s\n' variant clients events/s ms/call 'cost/log_event' 'tps/log_event'
for c in 1 4; do
    for v in plain log_event autonomous rolled_back; do
        printf '%-12s %8d %14.0f %12.3f %14.2f %12.2f\n' "$v" "$c" "${BEST_TPS[$v,$c]}" "${BEST_LAT[$v,$c]}" \
            "$(awk -v a="${BEST_LAT[$v,$c]}" -v b="${BEST_LAT[log_event,$c]}" 'BEGIN { print a / b }')" \
            "$(awk -v a="${BEST_TPS[$v,$c]}" -v b="${BEST_TPS[log_event,$c]}" 'BEGIN { print a / b }')"
    done
done

# Every autonomous call pgbench counted committed its event once, rolled back or not.
status=0
for v in autonomous rolled_back; do
    got=$(psql -X -At -c "SELECT count(*) FROM auditlog.events WHERE action = 'bench.$v'")
    if [[ $got != "${TXNS[$v]}" ]]; then
        echo "MISMATCH: $got events of bench.$v, pgbench counted ${TXNS[$v]} calls"; status=1
    else
        echo "check: $got events of bench.$v for ${TXNS[$v]} calls: ok"
    fi
done
exit $status
