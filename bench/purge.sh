#!/usr/bin/env bash
# bench/purge.sh — auditlog.purge() of a month of N events, sealed and
# summarized, against plain anchors over the same rows in the same run:
#
#   whole month   no hold: the month's partition goes whole (its counts from
#                 the summaries alone, its seals checked and recorded), against
#                 DROP TABLE of a plain partition of the same rows (bare) and a
#                 plain DELETE of them from an indexed table (anchor)
#   with a hold   one organisation in ten on hold: the partition stays and only
#                 the other rows go (deleted, counted out of the summaries, their
#                 digests recorded), against the same plain DELETE
#
# Each purge runs once (what it removes is gone); every run checks that it
# removed what it should, that verify() passes and that the counts are exact,
# and exits 1 otherwise.
#
#   bash bench/purge.sh             # 1M events, in a throwaway cluster (tools/tmpcluster.sh)
#   N=200000 bash bench/purge.sh
#
# Environment:
#   N        events in the purged month (default 1000000), and N/10 in the next one
#   CHUNK    events per import statement, committed in between (default 100000)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${N:=1000000}" "${CHUNK:=100000}"
export N CHUNK

if [ -z "${BENCH_PURGE_INSIDE:-}" ]; then
    exec env BENCH_PURGE_INSIDE=1 bash "$here/../tools/tmpcluster.sh" \
        -o shared_buffers=256MB -o max_wal_size=4GB -o checkpoint_timeout=30min \
        -o auditlog.maintenance_worker=off bash "$here/purge.sh"
fi

q() { psql -X -q -v ON_ERROR_STOP=1 -At -d "$db" "$@"; }
time_of() {
    printf '\\timing on\n%s\n' "$1" | q | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1 |
        awk '{ printf "%.3f", $1 / 1000 }'
}
fail() { echo "purge.sh: $*" >&2; exit 1; }
report() {   # name seconds events
    awk -v name="$1" -v s="$2" -v n="$3" 'BEGIN { printf "%-52s %8.3f s %12.0f events/s\n", name, s, n / s }'
}
ratio() { awk -v a="$2" -v b="$3" -v name="$1" 'BEGIN { printf "%-52s %8.2f\n", name, a / b }'; }

# setup DB: January 2025 (N events) and February (N/10) with partitions of
# their own, made as the maintenance worker makes them; summarized, sealed;
# plain copies of January: a table with an index on occurred_at, and a
# plain partitioned table.
setup() {
    db=$1
    psql -X -q -d postgres -c "CREATE DATABASE $db"
    q -c "CREATE EXTENSION auditlog"
    for m in 01 02; do
        local next=$((10#$m + 1))
        q -c "CREATE TABLE auditlog.event_store_2025$m (LIKE auditlog.event_store INCLUDING DEFAULTS)" \
          -c "CREATE INDEX ON auditlog.event_store_2025$m USING brin (id) WITH (pages_per_range = 16)" \
          -c "CREATE INDEX ON auditlog.event_store_2025$m USING brin (occurred_at timestamptz_minmax_multi_ops (values_per_range = 8)) WITH (pages_per_range = 16)" \
          -c "CREATE INDEX ON auditlog.event_store_2025$m (resource_id, resource_type_ref, occurred_at) WHERE resource_id IS NOT NULL" \
          -c "CREATE INDEX ON auditlog.event_store_2025$m (actor_ref, occurred_at)" \
          -c "CREATE INDEX ON auditlog.event_store_2025$m (action_ref, occurred_at)" \
          -c "ALTER TABLE auditlog.event_store ATTACH PARTITION auditlog.event_store_2025$m
                FOR VALUES FROM ('2025-$m-01 00:00+00') TO ('2025-$(printf %02d $next)-01 00:00+00')"
    done
    import 1 "$N" "timestamptz '2025-01-01 00:00+00'" 2678400
    import $((N + 1)) $((N + N / 10)) "timestamptz '2025-02-01 00:00+00'" 2419200
    for _ in $(seq 1 200); do
        q -c "SELECT auditlog.summarize(10000000)" >/dev/null
        [ "$(q -c "SELECT unsummarized FROM auditlog.status()")" = 0 ] && break
    done
    for _ in $(seq 1 200); do
        q -c "SELECT auditlog.seal()" >/dev/null
        [ "$(q -c "SELECT unsealed FROM auditlog.status()")" = 0 ] && break
    done
    [ "$(q -c "SELECT unsummarized = 0 AND unsealed = 0 FROM auditlog.status()")" = t ] ||
        fail "$db: not summarized and sealed"
    q -c "CREATE TABLE plain AS SELECT * FROM auditlog.events WHERE occurred_at < '2025-02-01 00:00+00'" \
      -c "CREATE INDEX ON plain (occurred_at)" \
      -c "CREATE TABLE plain_parts (LIKE plain) PARTITION BY RANGE (occurred_at)" \
      -c "CREATE TABLE plain_202501 PARTITION OF plain_parts FOR VALUES FROM ('2025-01-01 00:00+00') TO ('2025-02-01 00:00+00')" \
      -c "INSERT INTO plain_parts SELECT * FROM plain" \
      -c "VACUUM ANALYZE" -c "CHECKPOINT"
}

# import FIRST LAST START SECONDS: events FIRST..LAST spread over SECONDS from START
import() {
    for ((lo = $1; lo <= $2; lo += CHUNK)); do
        local hi=$((lo + CHUNK - 1 < $2 ? lo + CHUNK - 1 : $2))
        q -c "SELECT count(auditlog.import_event(
                  $3 + ((i::bigint * 7919) % $4) * interval '1 second',
                  (ARRAY['auth.login', 'auth.logout', 'credential.token_refresh', 'report.export.csv',
                         'connection.sync'])[1 + i % 5],
                  CASE WHEN i % 3 > 0 THEN 'connection' END,
                  CASE WHEN i % 3 > 0 THEN 'c-' || (i % 5000) END,
                  (ARRAY['success', 'success', 'success', 'failure', 'denied'])[1 + i % 5]::auditlog.outcome,
                  jsonb_build_object('n', i), 'User ' || (i % 1000), 'u-' || (i % 1000), 'org-' || (i % 10)))
                FROM generate_series($lo, $hi) i" >/dev/null
    done
}

# after DB REMOVED_EXPECTED: the checks every run ends with
after() {
    [ "$(q -c "SELECT count(*) FILTER (WHERE NOT ok) FROM auditlog.verify()")" = 0 ] || fail "$1: verify() failed"
    [ "$(q -c "SELECT auditlog.event_count() = count(*) FROM auditlog.events")" = t ] || fail "$1: counts not exact"
    [ "$(q -c "SELECT (details->>'removed')::bigint FROM auditlog.events WHERE action = 'auditlog.purge'")" = "$2" ] ||
        fail "$1: the purge did not remove $2 events"
}

echo "== whole month: $N events, sealed and summarized"
setup auditlog_bench_purge1
purge_s=$(time_of "SELECT auditlog.purge('2025-02-01 00:00+00');")
after auditlog_bench_purge1 "$N"
[ "$(q -c "SELECT to_regclass('auditlog.event_store_202501') IS NULL")" = t ] || fail "the partition was not dropped"
drop_s=$(time_of "DROP TABLE plain_202501;")
delete_s=$(time_of "DELETE FROM plain WHERE occurred_at < '2025-02-01 00:00+00';")
report "auditlog.purge(): the month's partition dropped" "$purge_s" "$N"
report "bare: DROP TABLE of a plain partition" "$drop_s" "$N"
report "anchor: DELETE from a plain indexed table" "$delete_s" "$N"
ratio "ratio purge / DELETE (lower is better)" "$purge_s" "$delete_s"
ratio "ratio purge / DROP TABLE" "$purge_s" "$drop_s"
psql -X -q -d postgres -c "DROP DATABASE auditlog_bench_purge1"

echo "== with a hold: one organisation in ten kept"
setup auditlog_bench_purge2
q -c "SELECT auditlog.hold('org-0', 'bench')" >/dev/null
expect=$(q -c "SELECT count(*) FROM auditlog.events WHERE occurred_at < '2025-02-01 00:00+00' AND org_id <> 'org-0'")
purge_s=$(time_of "SELECT auditlog.purge('2025-02-01 00:00+00');")
after auditlog_bench_purge2 "$expect"
delete_s=$(time_of "DELETE FROM plain WHERE occurred_at < '2025-02-01 00:00+00' AND org_id <> 'org-0';")
report "auditlog.purge(): the unheld rows deleted" "$purge_s" "$expect"
report "anchor: the same DELETE from a plain indexed table" "$delete_s" "$expect"
ratio "ratio purge / DELETE (lower is better)" "$purge_s" "$delete_s"
echo "seal_purges: $(q -c "SELECT pg_size_pretty(pg_total_relation_size('auditlog.seal_purges'))") for $expect removed events"
psql -X -q -d postgres -c "DROP DATABASE auditlog_bench_purge2"
