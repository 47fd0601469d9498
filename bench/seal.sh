#!/usr/bin/env bash
# bench/seal.sh — seal() and verify() over N imported events, against plain
# anchors over the same rows: a hand-written verify in SQL (sha256 over
# string_agg of each seal's events as text, grouped by seal), and the read of
# the event table that pg_dump does (COPY ... TO '/dev/null'). Prints seconds,
# events/s and MB/s (of auditlog.event_store's heap) for each.
#
#   bash bench/seal.sh              # 1M events, in a throwaway cluster (tools/tmpcluster.sh)
#   N=200000 ROUNDS=5 bash bench/seal.sh
#
# Environment:
#   N        events to import with auditlog.import_event (default 1000000)
#   ROUNDS   timed runs of verify() and of each anchor, interleaved, the best of each
#            is kept (default 3); seal() runs once (what it seals is sealed)
#   CHUNK    events per import statement, committed in between (default 100000)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${N:=1000000}" "${ROUNDS:=3}" "${CHUNK:=100000}"
export N ROUNDS CHUNK

if [ -z "${BENCH_SEAL_INSIDE:-}" ]; then
    exec env BENCH_SEAL_INSIDE=1 bash "$here/../tools/tmpcluster.sh" \
        -o shared_buffers=256MB -o max_wal_size=4GB -o checkpoint_timeout=30min \
        bash "$here/seal.sh"
fi

db=auditlog_bench_seal
q() { psql -X -q -v ON_ERROR_STOP=1 -At -d $db "$@"; }
# Seconds one statement takes, by psql's \timing.
time_of() {
    printf '\\timing on\n%s\n' "$1" | q | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1 |
        awk '{ printf "%.3f", $1 / 1000 }'
}
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a < b) ? a : b }'; }
report() {   # name seconds
    awk -v name="$1" -v s="$2" -v n="$N" -v mb="$heap_mb" \
        'BEGIN { printf "%-44s %8.3f s %12.0f events/s %8.1f MB/s\n", name, s, n / s, mb / s }'
}

psql -X -q -d postgres -c "CREATE DATABASE $db"
q -c "CREATE EXTENSION auditlog"

echo "== importing $N events"
start=$(date +%s.%N)
for ((lo = 1; lo <= N; lo += CHUNK)); do
    hi=$((lo + CHUNK - 1 < N ? lo + CHUNK - 1 : N))
    q -c "SELECT count(auditlog.import_event(
              timestamptz '2025-01-01 00:00:00+00' + (i % 31536000) * interval '1 second',
              (ARRAY['auth.login', 'auth.logout', 'credential.token_refresh', 'report.export.csv',
                     'connection.sync'])[1 + i % 5],
              CASE WHEN i % 3 > 0 THEN 'connection' END,
              CASE WHEN i % 3 > 0 THEN 'c-' || (i % 5000) END,
              (ARRAY['success', 'success', 'success', 'failure', 'denied'])[1 + i % 5]::auditlog.outcome,
              jsonb_build_object('ip', '10.0.' || (i % 250) || '.' || (i % 200), 'n', i,
                                 'agent', 'Mozilla/5.0 (X11; Linux x86_64)'),
              'User ' || (i % 1000), 'u-' || (i % 1000), 'org-' || (i % 20)))
            FROM generate_series($lo, $hi) i" >/dev/null
done
end=$(date +%s.%N)
q -c "VACUUM ANALYZE auditlog.event_store" -c "CHECKPOINT"
# the store is partitioned: its heap is its partitions' heaps
heap_mb=$(q -c "SELECT round(sum(pg_relation_size(relid)) / 1048576.0, 1)
                  FROM pg_partition_tree('auditlog.event_store')")
awk -v n="$N" -v s="$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" -v mb="$heap_mb" \
    'BEGIN { printf "imported in %.1f s (%.0f events/s); event_store heap %.1f MB, %.0f bytes/event\n",
             s, n / s, mb, mb * 1048576 / n }'

echo "== timings (seal once; verify and the anchors: best of $ROUNDS, interleaved)"
seal_s=$(time_of "SELECT auditlog.seal();")
sealed=$(q -c "SELECT coalesce(sum(events), 0) FROM auditlog.seals")
[ "$sealed" = "$N" ] || { echo "seal.sh: sealed $sealed events, expected $N" >&2; exit 1; }
[ "$(q -c "SELECT count(*) FILTER (WHERE NOT ok) FROM auditlog.verify()")" = 0 ] ||
    { echo "seal.sh: verify() found a broken seal" >&2; exit 1; }
verify_s="" sql_s="" copy_s=""
for _ in $(seq 1 "$ROUNDS"); do
    verify_s=$(min "$(time_of "SELECT count(*), bool_and(ok) FROM auditlog.verify();")" "$verify_s")
    # (the hashes are summed: an unused aggregate would be planned away)
    sql_s=$(min "$(time_of "SELECT sum(length(h)) FROM (
          SELECT s.id, sha256(string_agg(convert_to(e::text, 'UTF8'), ''::bytea ORDER BY e.id)) AS h
            FROM auditlog.seals s JOIN auditlog.events e ON e.id BETWEEN s.first_id AND s.last_id
           GROUP BY s.id) per_seal;")" "$sql_s")
    # (COPY refuses a partitioned table by name; its query form reads every partition)
    copy_s=$(min "$(time_of "COPY (SELECT * FROM auditlog.event_store) TO '/dev/null';")" "$copy_s")
done
report "auditlog.seal()" "$seal_s"
report "auditlog.verify()" "$verify_s"
report "anchor: sha256(string_agg(row text)) per seal" "$sql_s"
report "anchor: COPY (SELECT * FROM event_store) TO /dev/null" "$copy_s"
awk -v v="$verify_s" -v s="$sql_s" -v c="$copy_s" \
    'BEGIN { printf "verify() takes %.2fx the time of the SQL anchor and %.2fx that of the COPY read\n", v / s, v / c }'
seals=$(q -c "SELECT count(*) FROM auditlog.seals")
echo "($seals seals of at most 100000 ids; $(nproc) cores; $(psql -X -At -d postgres -c 'SHOW server_version'))"
