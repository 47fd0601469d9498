#!/usr/bin/env bash
# bench/write.sh — write-path benchmark of auditlog (see bench/README.md).
#
# Times the same workload on three identical tables: bare (no trigger), audited
# (auditlog.register_table) and plpgsql (a plain plpgsql audit trigger writing the same
# information into an indexed table), interleaved, best of ROUNDS, and prints the times
# and the ratios to bare next to the targets of DESIGN.md.
#
#   bash bench/write.sh                     # throwaway cluster via pg_virtualenv -v 15
#   BENCH_USE_ENV=1 bash bench/write.sh     # use the cluster PGHOST/PGPORT/PGUSER point to
#
# Environment: N (rows, 100000), ROUNDS (5), PGBENCH_SECONDS (10), PGBENCH_CLIENTS (2),
# PGBENCH_MODE (pgbench -M: prepared), BENCH_DB (auditlog_bench; dropped and recreated),
# BENCH_PG_OPTS (extra pg_virtualenv options, e.g. "-o shared_buffers=1GB").
set -euo pipefail
shopt -s inherit_errexit

N=${N:-100000}
ROUNDS=${ROUNDS:-5}
PGBENCH_SECONDS=${PGBENCH_SECONDS:-10}
PGBENCH_CLIENTS=${PGBENCH_CLIENTS:-2}
PGBENCH_MODE=${PGBENCH_MODE:-prepared}
BENCH_DB=${BENCH_DB:-auditlog_bench}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SQL="$HERE/write"

for v in N ROUNDS PGBENCH_SECONDS PGBENCH_CLIENTS; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "write.sh: $v must be a positive integer, not '${!v}'" >&2; exit 2; }
done
[[ $BENCH_DB =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "write.sh: BENCH_DB must be a plain lower-case name" >&2; exit 2; }

# Without BENCH_USE_ENV=1, run ourselves again inside a throwaway PostgreSQL 15 cluster.
# -t keeps it in a temporary directory, so it cannot collide with another pg_virtualenv
# (such as the test suite's) running at the same time. fsync is off in such clusters.
# An exported PGPORT would become the new cluster's port: unset the PG* variables.
# No checkpoint of its own during the run; autovacuum off: the script vacuums itself.
if [[ ${BENCH_USE_ENV:-0} != 1 ]]; then
    command -v pg_virtualenv >/dev/null || { echo "write.sh: pg_virtualenv not found (apt-get install postgresql-common)" >&2; exit 2; }
    # shellcheck disable=SC2086
    exec env -u PGPORT -u PGHOST -u PGHOSTADDR -u PGDATABASE -u PGSERVICE -u PGUSER \
        pg_virtualenv -t -v 15 \
        -o shared_buffers=512MB -o max_wal_size=8GB -o checkpoint_timeout=30min \
        -o autovacuum=off ${BENCH_PG_OPTS:-} \
        env BENCH_USE_ENV=1 BENCH_VIRTUALENV=1 bash "${BASH_SOURCE[0]}" "$@"
fi

TMP=$(mktemp -d -t auditlog-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

psqlq() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
psqla() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

# --- database -------------------------------------------------------------------------
psqlq -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" -c "CREATE DATABASE $BENCH_DB"
export PGDATABASE=$BENCH_DB
psqlq -f "$SQL/schema.sql"

VARIANTS=(bare)
declare -A TABLE=([bare]=bare_connection [auditlog]=audited_connection [plpgsql]=plpgsql_connection)
AUDITLOG_NOTE=""
if ! err=$(psqlq -c 'CREATE EXTENSION auditlog' 2>&1); then
    AUDITLOG_NOTE="auditlog: extension not installed, skipped ($(head -1 <<<"$err"))"
elif [[ $(psqla -c "SELECT count(*) FROM pg_proc WHERE proname = 'register_table'
                        AND pronamespace = 'auditlog'::regnamespace") == 0 ]]; then
    AUDITLOG_NOTE="auditlog: register_table missing, skipped"
else
    psqlq -c "SELECT auditlog.register_table('audited_connection'::regclass, resource_type => 'connection')" >/dev/null
    VARIANTS+=(auditlog)
fi
VARIANTS+=(plpgsql)
[[ -n $AUDITLOG_NOTE ]] && echo "$AUDITLOG_NOTE"
has_auditlog() { [[ -z $AUDITLOG_NOTE ]]; }

for v in "${VARIANTS[@]}"; do
    sed "s/@TABLE@/${TABLE[$v]}/g" "$SQL/txn.sql" > "$TMP/txn_$v.sql"
done

# --- header ---------------------------------------------------------------------------
echo "auditlog write-path benchmark"
psqla -F ' ' -c "SELECT 'server:', split_part(version(), ' (', 1),
                        '| fsync', current_setting('fsync'),
                        '| synchronous_commit', current_setting('synchronous_commit'),
                        '| shared_buffers', current_setting('shared_buffers')"
if has_auditlog; then
    psqla -F ' ' -c "SELECT 'auditlog:', extversion FROM pg_extension WHERE extname = 'auditlog'"
fi
echo "N=$N rows, ROUNDS=$ROUNDS (best of), pgbench -c $PGBENCH_CLIENTS -j $PGBENCH_CLIENTS -T $PGBENCH_SECONDS -M $PGBENCH_MODE, $(nproc) CPUs"
echo "variants, in this order each time: ${VARIANTS[*]}"
echo

# --- one timed statement ----------------------------------------------------------------
# A fresh session warms the table's triggers up (rolled back), checkpoints, then runs
# "BEGIN; statement; COMMIT" as one query string under \timing. Prints milliseconds.
timed() {
    local file=$1 tbl=$2 out
    out=$(psqlq -v tbl="$tbl" -v n="$N" -f "$SQL/warmup.sql" -c CHECKPOINT -c '\timing on' -f "$file")
    awk '/^Time: / { t = $2 } END { if (t == "") exit 1; print t }' <<<"$out"
}

# One pgbench run; prints "tps transactions".
pgbench_run() {
    local v=$1 out tps n
    psqlq -c CHECKPOINT
    out=$(pgbench -n -M "$PGBENCH_MODE" -c "$PGBENCH_CLIENTS" -j "$PGBENCH_CLIENTS" \
                  -T "$PGBENCH_SECONDS" -f "$TMP/txn_$v.sql" 2>&1) || { echo "$out" >&2; return 1; }
    tps=$(awk '/^tps = / { print $3; exit }' <<<"$out")
    n=$(awk -F': ' '/^number of transactions actually processed/ { print $2; exit }' <<<"$out")
    [[ -n $tps && -n $n ]] || { echo "$out" >&2; return 1; }
    if grep -q '^number of failed transactions: [1-9]' <<<"$out"; then
        echo "$out" >&2; return 1
    fi
    echo "$tps ${n%%/*}"
}

WORKLOADS=(insert update delete)
declare -A LABEL=([insert]=INSERT [update]=UPDATE [delete]=DELETE [txn]="1-row txns")
declare -A RES=() BEST=() TXNS=()
for v in "${VARIANTS[@]}"; do TXNS[$v]=0; done
TRUNCATES=0
tables_csv=$(for v in "${VARIANTS[@]}"; do printf '%s, ' "${TABLE[$v]}"; done)
tables_csv=${tables_csv%, }

start=$(date +%s)
for ((r = 1; r <= ROUNDS; r++)); do
    # Reset: empty workload tables (the audit tables keep growing), fresh statistics.
    psqlq -c "TRUNCATE $tables_csv" -c 'VACUUM ANALYZE'
    TRUNCATES=$((TRUNCATES + 1))
    for w in "${WORKLOADS[@]}"; do
        line=$(printf 'round %d/%d  %-10s' "$r" "$ROUNDS" "${LABEL[$w]}")
        for v in "${VARIANTS[@]}"; do
            ms=$(timed "$SQL/$w.sql" "${TABLE[$v]}")
            RES[$w,$v]+="$ms "
            line+=$(printf '  %s %10.1f ms' "$v" "$ms")
        done
        echo "$line"
        if [[ $w != delete ]]; then
            # Same starting point for the next statement: dead rows gone, hint bits set.
            psqlq -c "VACUUM ANALYZE $tables_csv"
        fi
    done
    # Empty tables for pgbench. TRUNCATE, not VACUUM: statistics saying "0 rows" would
    # make the prepared UPDATE's generic plan a sequential scan of a growing table.
    psqlq -c "TRUNCATE $tables_csv"
    TRUNCATES=$((TRUNCATES + 1))
    line=$(printf 'round %d/%d  %-10s' "$r" "$ROUNDS" "${LABEL[txn]}")
    for v in "${VARIANTS[@]}"; do
        out=$(pgbench_run "$v")
        read -r tps n <<<"$out"
        RES[txn,$v]+="$tps "
        TXNS[$v]=$((TXNS[$v] + n))
        line+=$(printf '  %s %8.0f tps' "$v" "$tps")
    done
    echo "$line"
done
elapsed=$(( $(date +%s) - start ))

# Best of the rounds: least time, most tps.
for w in "${WORKLOADS[@]}" txn; do
    for v in "${VARIANTS[@]}"; do
        if [[ $w == txn ]]; then
            BEST[$w,$v]=$(tr ' ' '\n' <<<"${RES[$w,$v]}" | grep . | sort -g | tail -1)
        else
            BEST[$w,$v]=$(tr ' ' '\n' <<<"${RES[$w,$v]}" | grep . | sort -g | head -1)
        fi
    done
done

# --- results --------------------------------------------------------------------------
declare -A TARGET=([insert]=2.0 [update]=2.5 [delete]=6 [txn]=1.15)
ratio() { # workload variant -> variant cost / bare cost
    if [[ $1 == txn ]]; then calc '%.2f' "${BEST[$1,bare]} / ${BEST[$1,$2]}"
    else calc '%.2f' "${BEST[$1,$2]} / ${BEST[$1,bare]}"; fi
}
fmt() { # workload variant -> best figure with unit
    if [[ $1 == txn ]]; then calc '%.0f tps' "${BEST[$1,$2]}"; else calc '%.1f ms' "${BEST[$1,$2]}"; fi
}

echo
echo "Best of $ROUNDS rounds ($elapsed s). Ratios are cost relative to bare: time / bare time,"
echo "and for the single-row transactions bare tps / tps (= time per transaction / bare's)."
echo
printf '%-24s %12s %12s %12s %14s %13s %9s  %s\n' \
    workload bare auditlog plpgsql auditlog/bare plpgsql/bare target verdict
for w in "${WORKLOADS[@]}" txn; do
    if [[ $w == txn ]]; then name="pgbench INSERT+UPDATE"; else name="${LABEL[$w]} $N rows"; fi
    if has_auditlog; then
        a=$(fmt "$w" auditlog); ar=$(ratio "$w" auditlog)
        verdict=$(awk "BEGIN { print ($ar <= ${TARGET[$w]}) ? \"ok\" : \"OVER TARGET\" }")
    else
        a=skipped; ar=-; verdict=-
    fi
    printf '%-24s %12s %12s %12s %14s %13s %9s  %s\n' "$name" "$(fmt "$w" bare)" "$a" \
        "$(fmt "$w" plpgsql)" "$ar" "$(ratio "$w" plpgsql)" "<= ${TARGET[$w]}" "$verdict"
done

echo
echo "All rounds (ms; tps for pgbench):"
for w in "${WORKLOADS[@]}" txn; do
    for v in "${VARIANTS[@]}"; do
        printf '  %-10s %-9s %s\n' "${LABEL[$w]}" "$v" "${RES[$w,$v]}"
    done
done

# --- sanity: events written, and their size ---------------------------------------------
# Expected per variant: each round N creates, N updates, N deletes and two truncates;
# each pgbench transaction one create and one update.
psqlq -c 'VACUUM ANALYZE' >/dev/null
echo
echo "Events written (expected: per round $N create + $N update + $N delete + $((TRUNCATES / ROUNDS)) truncates;"
echo "1 create + 1 update per pgbench transaction):"
printf '  %-20s %12s %12s %12s %12s\n' action auditlog expected plpgsql expected
# shellcheck disable=SC2034  # into is a nameref: it fills the caller's array
counts() { # associative array name, query giving "action|count" rows
    local -n into=$1
    while IFS='|' read -r act cnt; do into["$act"]=$cnt; done < <(psqla -c "$2")
}
declare -A AC=() PC=()
if has_auditlog; then
    counts AC "SELECT t.action, count(*) FROM auditlog.event_store e
                 JOIN auditlog.action_types t ON t.id = e.action_ref GROUP BY 1"
fi
counts PC "SELECT action, count(*) FROM plpgsql_audit_log GROUP BY 1"
expect() { # action variant
    case $1 in
        connection.create|connection.update) echo $((ROUNDS * N + TXNS[$2])) ;;
        connection.delete) echo $((ROUNDS * N)) ;;
        connection.truncate) echo "$TRUNCATES" ;;
    esac
}
ta=0; tp=0; tea=0; tep=0
for act in connection.create connection.update connection.delete connection.truncate; do
    if has_auditlog; then a=${AC[$act]:-0}; ea=$(expect $act auditlog); else a=-; ea=-; fi
    p=${PC[$act]:-0}; ep=$(expect $act plpgsql)
    printf '  %-20s %12s %12s %12s %12s\n' "$act" "$a" "$ea" "$p" "$ep"
    if has_auditlog; then ta=$((ta + a)); tea=$((tea + ea)); fi
    tp=$((tp + p)); tep=$((tep + ep))
done
if has_auditlog; then
    other=$(psqla -c "SELECT count(*) FROM auditlog.event_store e JOIN auditlog.action_types t
                        ON t.id = e.action_ref WHERE t.action NOT LIKE 'connection.%'")
    ta=$((ta + other))
    printf '  %-20s %12s %12s %12s %12s\n' "(other actions)" "$other" 0 - -
    printf '  %-20s %12s %12s %12s %12s\n' total "$ta" "$tea" "$tp" "$tep"
else
    printf '  %-20s %12s %12s %12s %12s\n' total - - "$tp" "$tep"
fi

echo
echo "Storage (table + indexes + TOAST, after VACUUM):"
size_line() { # label relation-list rows
    psqla -F '|' -c "SELECT sum(pg_total_relation_size(c)) FROM unnest($2::regclass[]) AS c" |
    while read -r bytes; do
        if [[ $3 -gt 0 ]]; then per=$(calc '%.0f' "$bytes / $3"); else per=-; fi
        printf '  %-46s %12s bytes %12s events %8s bytes/event\n' "$1" "$bytes" "$3" "$per"
    done
}
if has_auditlog; then
    size_line "auditlog.event_store" "ARRAY['auditlog.event_store']" "$ta"
    size_line "auditlog.event_store + labels + action_types" \
        "ARRAY['auditlog.event_store', 'auditlog.labels', 'auditlog.action_types']" "$ta"
fi
size_line "plpgsql_audit_log" "ARRAY['plpgsql_audit_log']" "$tp"
if has_auditlog; then
    echo
    echo "Sample update event, each store:"
    psqla -c "SELECT '  auditlog: ' || jsonb_build_object('actor', actor, 'action', action,
                'resource', resource_type || '/' || resource_id, 'outcome', outcome::text,
                'details', details, 'db_user', db_user, 'application_name', application_name)::text
                FROM auditlog.events WHERE action = 'connection.update' ORDER BY id DESC LIMIT 1"
fi
psqla -c "SELECT '  plpgsql:  ' || jsonb_build_object('actor', actor, 'action', action,
            'resource', resource_type || '/' || resource_id, 'outcome', outcome,
            'details', details, 'db_user', db_user, 'application_name', application_name)::text
            FROM plpgsql_audit_log WHERE action = 'connection.update' ORDER BY id DESC LIMIT 1"
