#!/usr/bin/env bash
# bench/export.sh - export throughput: auditlog.export() through COPY, per format,
# against COPY of to_jsonb() over auditlog.events and over a plain table.
#
#   bash bench/export.sh                    # 1M events, throwaway cluster (tools/tmpcluster.sh)
#   N=200000 ROUNDS=1 bash bench/export.sh  # a quick look
#
# The events are bench/read's saas generator's (bench/read/saas/generate.sql,
# through import_event, spread over a year into the months' partitions;
# bench/read/plain.sql makes the plain indexed table
# bench_plain.events of the same rows). Each statement runs ROUNDS times as
# `COPY (...) TO STDOUT` from psql into a file; the best round counts, in
# events/s and MB/s of output. export() runs twice per format: in FROM
# (SELECT * FROM auditlog.export(...), which PostgreSQL inlines: the lines
# stream from export_lines()) and in the select list (SELECT
# auditlog.export(...), through the SQL function, streaming too).
#
# Before timing, the output is checked (a mismatch fails the run): NDJSON
# lines read back with jsonb_populate_record equal auditlog.events, in id
# order; a CSV file written as the README says (psql -At) and read back with
# COPY FROM equals it too; every OCSF line follows the mapping.
#
# Environment: N (default 1000000), ROUNDS (default 3), CHUNK (events per
# import statement, default 100000), PG_CONFIG (as tools/tmpcluster.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
: "${N:=1000000}" "${ROUNDS:=3}" "${CHUNK:=100000}"
export N ROUNDS CHUNK

if [ -z "${BENCH_EXPORT_INSIDE:-}" ]; then
    exec env BENCH_EXPORT_INSIDE=1 bash "$root/tools/tmpcluster.sh" \
        -o shared_buffers=512MB -o max_wal_size=8GB -o checkpoint_timeout=30min \
        -o autovacuum=off -o work_mem=16MB bash "$here/export.sh"
fi

db=auditlog_export_bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
psql_() { psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }
now() { date +%s.%N; }

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $db"
t0=$(now)
psql_ -v gen=saas -v n="$N" -v chunk="$CHUNK" -v partitions=1 -f "$here/read/setup.sql"
psql_ -f "$here/read/saas/generate.sql"
psql_ -v indexes="$here/read/saas/indexes.sql" -f "$here/read/plain.sql"
echo "generated $N events in $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s"

echo "== correctness"
psql_ -At <<'SQL'
\set ON_ERROR_STOP on
DO $$
DECLARE
    n bigint := (SELECT count(*) FROM auditlog.events);
    got bigint;
    bad bigint;
BEGIN
    -- NDJSON: each line is a row of auditlog.events, in id order
    SELECT count(*), count(*) FILTER (WHERE x.id <= x.prev)
      INTO got, bad
      FROM (SELECT (l::jsonb->>'id')::bigint AS id,
                   lag((l::jsonb->>'id')::bigint, 1, 0::bigint) OVER (ORDER BY o) AS prev
              FROM auditlog.export() WITH ORDINALITY AS t(l, o)) x;
    IF got <> n OR bad <> 0 THEN
        RAISE EXCEPTION 'ndjson: % lines for % events, % out of id order', got, n, bad;
    END IF;
    SELECT count(*) INTO bad
      FROM (SELECT (jsonb_populate_record(NULL::auditlog.events, l::jsonb)).* FROM auditlog.export() l
            EXCEPT ALL SELECT * FROM auditlog.events) d;
    IF bad <> 0 THEN
        RAISE EXCEPTION 'ndjson: % lines differ from auditlog.events', bad;
    END IF;
    -- OCSF: the mapping
    SELECT count(*) FILTER (WHERE (j->>'type_uid')::int <> (j->>'class_uid')::int * 100 + (j->>'activity_id')::int
                              OR (j->>'status_id')::int <> CASE WHEN j->>'status_detail' = 'success' THEN 1 ELSE 2 END
                              OR j->'metadata'->>'uid' IS NULL),
           count(*)
      INTO bad, got
      FROM (SELECT l::jsonb AS j FROM auditlog.export(format => 'ocsf') l) x;
    IF got <> n OR bad <> 0 THEN
        RAISE EXCEPTION 'ocsf: % lines for % events, % off the mapping', got, n, bad;
    END IF;
END
$$;
SQL
# CSV as the README writes it, read back with COPY FROM
psql -X -q -At -v ON_ERROR_STOP=1 -v FETCH_COUNT=10000 -d "$db" \
    -c "SELECT * FROM auditlog.export(format => 'csv')" > "$work/all.csv"
psql_ -At <<SQL
\set ON_ERROR_STOP on
CREATE TEMP TABLE csv_back AS SELECT * FROM auditlog.events WITH NO DATA;
\copy csv_back FROM '$work/all.csv' WITH (FORMAT csv, HEADER)
DO \$\$
DECLARE
    bad bigint;
BEGIN
    SELECT count(*) INTO bad
      FROM ((SELECT * FROM csv_back EXCEPT ALL SELECT * FROM auditlog.events)
            UNION ALL (SELECT * FROM auditlog.events EXCEPT ALL SELECT * FROM csv_back)) d;
    IF bad <> 0 THEN
        RAISE EXCEPTION 'csv: % rows differ from auditlog.events after COPY FROM', bad;
    END IF;
END
\$\$;
SQL
echo "ndjson, csv and ocsf match auditlog.events ($N events)"

echo "== COPY ... TO STDOUT, best of $ROUNDS"
printf '%-58s %10s %12s %10s\n' "statement" "seconds" "events/s" "MB/s"
measure() {
    local name=$1 sql=$2 best="" t1 t2 s bytes
    for _ in $(seq "$ROUNDS"); do
        t1=$(now)
        psql_ -c "COPY ($sql) TO STDOUT" > "$work/out"
        t2=$(now)
        s=$(awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }')
        if [ -z "$best" ] || awk -v s="$s" -v b="$best" 'BEGIN { exit !(s < b) }'; then best=$s; fi
    done
    bytes=$(stat -c %s "$work/out")
    awk -v name="$name" -v s="$best" -v n="$N" -v b="$bytes" \
        'BEGIN { printf "%-58s %10.2f %12.0f %10.1f\n", name, s, n / s, b / s / 1e6 }'
}
for f in ndjson csv ocsf; do
    measure "export $f, in FROM" "SELECT * FROM auditlog.export(format => '$f')"
    measure "export $f, in the select list" "SELECT auditlog.export(format => '$f')"
done
measure "anchor: to_jsonb(e) FROM auditlog.events ORDER BY id" \
    "SELECT to_jsonb(e) FROM auditlog.events e ORDER BY id"
measure "anchor: to_jsonb(p) FROM bench_plain.events ORDER BY id" \
    "SELECT to_jsonb(p) FROM bench_plain.events p ORDER BY id"
measure "anchor: bench_plain.events ORDER BY id (COPY text)" \
    "SELECT * FROM bench_plain.events ORDER BY id"
