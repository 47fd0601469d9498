#!/usr/bin/env bash
# bench/write.sh — write-path benchmark of auditlog (see bench/README.md).
#
# Times the same workload on three identical tables: bare (no trigger), audited
# (auditlog.register_table) and plpgsql (a plain plpgsql audit trigger writing the same
# information into an indexed table), interleaved, best of ROUNDS, warm (the session fired
# the triggers once before the timed statement) and cold (the timed statement is the first
# of its session: auditlog's library loads during it; the two modes take turns to go first,
# round by round), plus single-row transactions under
# pgbench at 1 and 4 clients. Prints the ratios to bare next to the targets of
# bench/targets.sh, then checks that every audit table holds exactly the events the run
# must have written.
#
#   bash bench/write.sh                     # throwaway cluster of $PG_CONFIG's server
#   BENCH_USE_ENV=1 bash bench/write.sh     # use the server PGHOST/PGPORT/PGUSER point to
#
# Environment: N (rows, 100000), ROUNDS (5), PGBENCH_SECONDS (10), PGBENCH_CLIENTS
# (space-separated client counts, "1 4"), PGBENCH_MODE (pgbench -M: prepared), BENCH_DB
# (auditlog_bench; dropped and recreated), BENCH_PG_OPTS (extra tmpcluster.sh options, e.g.
# "-o shared_buffers=1GB"), BENCH_STRICT (1: exit 3 when a target is missed).
#
# Exit status: 0 when every correctness check passed (targets may still be OVER TARGET),
# 1 when one failed (events lost or doubled, a pgbench error), 2 on bad settings,
# 3 under BENCH_STRICT=1 when all checks passed but a target was missed.
set -euo pipefail
shopt -s inherit_errexit

N=${N:-100000}
ROUNDS=${ROUNDS:-5}
PGBENCH_SECONDS=${PGBENCH_SECONDS:-10}
PGBENCH_CLIENTS=${PGBENCH_CLIENTS:-1 4}
PGBENCH_MODE=${PGBENCH_MODE:-prepared}
BENCH_DB=${BENCH_DB:-auditlog_bench}
BENCH_STRICT=${BENCH_STRICT:-0}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SQL="$HERE/write"
# shellcheck source=bench/targets.sh
. "$HERE/targets.sh"

for v in N ROUNDS PGBENCH_SECONDS; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "write.sh: $v must be a positive integer, not '${!v}'" >&2; exit 2; }
done
read -r -a CLIENTS <<<"$PGBENCH_CLIENTS"
[[ ${#CLIENTS[@]} -gt 0 ]] || { echo "write.sh: PGBENCH_CLIENTS is empty" >&2; exit 2; }
for c in "${CLIENTS[@]}"; do
    [[ $c =~ ^[1-9][0-9]*$ ]] || { echo "write.sh: PGBENCH_CLIENTS must list positive integers, not '$c'" >&2; exit 2; }
done
[[ $BENCH_DB =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "write.sh: BENCH_DB must be a plain lower-case name" >&2; exit 2; }

# Without BENCH_USE_ENV=1, run ourselves again inside a throwaway cluster of $PG_CONFIG's
# server (tools/tmpcluster.sh: fsync off, its own directory and port). No checkpoint of its
# own during the run; autovacuum off: the script vacuums itself.
if [[ ${BENCH_USE_ENV:-0} != 1 ]]; then
    # shellcheck disable=SC2086
    exec bash "$HERE/../tools/tmpcluster.sh" \
        -o shared_buffers=512MB -o max_wal_size=8GB -o checkpoint_timeout=30min \
        -o autovacuum=off ${BENCH_PG_OPTS:-} \
        -- env BENCH_USE_ENV=1 bash "${BASH_SOURCE[0]}" "$@"
fi
# psql and pgbench of the server under test, when we know it
if [[ -n ${TMPCLUSTER_BINDIR:-} ]]; then
    PATH=$TMPCLUSTER_BINDIR:$PATH
elif [[ -n ${PG_CONFIG:-} ]]; then
    PATH=$("$PG_CONFIG" --bindir):$PATH
fi

TMP=$(mktemp -d -t auditlog-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

psqlq() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
psqla() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
# The machine's load, start and end: other work during the run shows up in the ratios.
loadavg() { if [[ -r /proc/loadavg ]]; then echo "load average (1, 5, 15 min): $(cut -d " " -f 1-3 /proc/loadavg)"; fi; }
fail() { echo "write.sh: FAILED: $*" >&2; exit 1; }

# --- database -------------------------------------------------------------------------
psqlq -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" -c "CREATE DATABASE $BENCH_DB"
export PGDATABASE=$BENCH_DB
psqlq -f "$SQL/schema.sql"
err=$(psqlq -c 'CREATE EXTENSION auditlog' 2>&1) ||
    { echo "write.sh: CREATE EXTENSION auditlog failed: $err" >&2; exit 2; }
psqlq -c "SELECT auditlog.register_table('audited_connection'::regclass, resource_type => 'connection')" >/dev/null

VARIANTS=(bare auditlog plpgsql)
declare -A TABLE=([bare]=bare_connection [auditlog]=audited_connection [plpgsql]=plpgsql_connection)
for v in "${VARIANTS[@]}"; do
    sed "s/@TABLE@/${TABLE[$v]}/g" "$SQL/txn.sql" > "$TMP/txn_$v.sql"
done

# --- header ---------------------------------------------------------------------------
echo "auditlog write-path benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
psqla -F ' ' -c "SELECT 'server:', split_part(version(), ' (', 1),
                        '| fsync', current_setting('fsync'),
                        '| synchronous_commit', current_setting('synchronous_commit'),
                        '| shared_buffers', current_setting('shared_buffers'),
                        '| shared_preload_libraries', coalesce(nullif(current_setting('shared_preload_libraries'), ''), '(none)')"
psqla -F ' ' -c "SELECT 'auditlog:', extversion FROM pg_extension WHERE extname = 'auditlog'"
echo "N=$N rows, ROUNDS=$ROUNDS (best of), pgbench -c/-j ${CLIENTS[*]} -T $PGBENCH_SECONDS -M $PGBENCH_MODE, $(nproc) CPUs"
echo "variants, in this order each time: ${VARIANTS[*]}"
loadavg
echo

# --- one timed statement ----------------------------------------------------------------
# A checkpoint from a session of its own, then a fresh session runs "BEGIN; statement;
# COMMIT" as one query string under \timing. warm: that session first fires the table's
# triggers once, rolled back (library loaded, plpgsql compiled, caches filled); cold: the
# timed query string is the first its session sends. Prints milliseconds.
timed() { # mode file table
    local mode=$1 file=$2 tbl=$3 out
    psqlq -c CHECKPOINT
    if [[ $mode == warm ]]; then
        out=$(psqlq -v tbl="$tbl" -v n="$N" -f "$SQL/warmup.sql" -c '\timing on' -f "$file")
    else
        out=$(psqlq -v tbl="$tbl" -v n="$N" -c '\timing on' -f "$file")
    fi
    awk '/^Time: / { t = $2 } END { if (t == "") exit 1; print t }' <<<"$out"
}

# One pgbench run; prints "tps transactions". A failed transaction fails the benchmark.
pgbench_run() { # clients variant
    local c=$1 v=$2 out tps n
    psqlq -c CHECKPOINT
    out=$(pgbench -n -M "$PGBENCH_MODE" -c "$c" -j "$c" \
                  -T "$PGBENCH_SECONDS" -f "$TMP/txn_$v.sql" 2>&1) || { echo "$out" >&2; fail "pgbench ($v, $c clients) failed"; }
    tps=$(awk '/^tps = / { print $3; exit }' <<<"$out")
    n=$(awk -F': ' '/^number of transactions actually processed/ { print $2; exit }' <<<"$out")
    [[ -n $tps && -n $n ]] || { echo "$out" >&2; fail "pgbench ($v, $c clients): no tps in its output"; }
    if grep -q '^number of failed transactions: [1-9]' <<<"$out"; then
        echo "$out" >&2; fail "pgbench ($v, $c clients): failed transactions"
    fi
    echo "$tps ${n%%/*}"
}

MODES=(warm cold)
WORKLOADS=(insert update delete)
declare -A LABEL=([insert]=INSERT [update]=UPDATE [delete]=DELETE)
declare -A RES=() BEST=() TXNS=() ROWS=()
for v in "${VARIANTS[@]}"; do TXNS[$v]=0; ROWS[$v]=0; done
TRUNCATES=0
tables_csv=$(for v in "${VARIANTS[@]}"; do printf '%s, ' "${TABLE[$v]}"; done)
tables_csv=${tables_csv%, }
truncate_all() { psqlq -c "TRUNCATE $tables_csv"; TRUNCATES=$((TRUNCATES + 1)); }

start=$(date +%s)
for ((r = 1; r <= ROUNDS; r++)); do
    # The audit tables grow all run long, and a bigger event store makes audited writes
    # slower: the modes take turns to go first, so that neither always meets the bigger one.
    order=("${MODES[@]}")
    if ((r % 2 == 0)); then order=("${MODES[1]}" "${MODES[0]}"); fi
    for m in "${order[@]}"; do
        # Reset: empty workload tables (the audit tables keep growing), fresh statistics.
        truncate_all
        psqlq -c 'VACUUM ANALYZE'
        for w in "${WORKLOADS[@]}"; do
            line=$(printf 'round %d/%d  %-5s %-7s' "$r" "$ROUNDS" "$m" "${LABEL[$w]}")
            for v in "${VARIANTS[@]}"; do
                ms=$(timed "$m" "$SQL/$w.sql" "${TABLE[$v]}")
                RES[$m,$w,$v]+="$ms "
                line+=$(printf '  %s %10.1f ms' "$v" "$ms")
            done
            echo "$line"
            if [[ $w != delete ]]; then
                # Same starting point for the next statement: dead rows gone, hint bits set.
                psqlq -c "VACUUM ANALYZE $tables_csv"
            fi
        done
    done
    for c in "${CLIENTS[@]}"; do
        # Empty tables for pgbench. TRUNCATE, not VACUUM: statistics saying "0 rows" would
        # make the prepared UPDATE's generic plan a sequential scan of a growing table.
        truncate_all
        line=$(printf 'round %d/%d  pgbench %2d client(s)' "$r" "$ROUNDS" "$c")
        for v in "${VARIANTS[@]}"; do
            out=$(pgbench_run "$c" "$v")
            read -r tps n <<<"$out"
            RES[txn$c,$v]+="$(printf '%.0f' "$tps") "
            TXNS[$v]=$((TXNS[$v] + n))
            # Rows the run inserted (a random key that collides inserts nothing, but its
            # UPDATE still writes an event): the creates to expect.
            rows=$(psqla -c "SELECT count(*) FROM ${TABLE[$v]}")
            ROWS[$v]=$((ROWS[$v] + rows))
            line+=$(printf '  %s %8.0f tps' "$v" "$tps")
        done
        echo "$line"
    done
done
elapsed=$(( $(date +%s) - start ))

# Best of the rounds: least time, most tps.
best() { tr ' ' '\n' <<<"$1" | grep . | sort -g | "$2" -1; }
for v in "${VARIANTS[@]}"; do
    for m in "${MODES[@]}"; do
        for w in "${WORKLOADS[@]}"; do BEST[$m,$w,$v]=$(best "${RES[$m,$w,$v]}" head); done
    done
    for c in "${CLIENTS[@]}"; do BEST[txn$c,$v]=$(best "${RES[txn$c,$v]}" tail); done
done

# --- results --------------------------------------------------------------------------
MISSED=0
declare -A TARGET=([insert]=$TARGET_WRITE_INSERT [update]=$TARGET_WRITE_UPDATE [delete]=$TARGET_WRITE_DELETE
                   [txn1]=$TARGET_WRITE_TXN_C1 [txn4]=$TARGET_WRITE_TXN_C4)
judge() { # value target: sets VD to met / OVER TARGET (the value must be at most the target)
    if awk "BEGIN { exit !($1 <= $2) }"; then VD=met; else VD="OVER TARGET"; MISSED=$((MISSED + 1)); fi
}
ratio() { calc '%.2f' "$1 / $2"; }

echo
echo "Best of $ROUNDS rounds ($elapsed s). Ratios are costs relative to bare, in the same mode:"
echo "time / bare time; for pgbench bare tps / tps (time per transaction / bare's). Targets: bench/targets.sh."
for m in "${MODES[@]}"; do
    echo
    if [[ $m == warm ]]; then
        echo "Warm: the timed statement's session first fired the table's triggers once (rolled back)."
    else
        echo "Cold: the timed statement is the first of its session (auditlog's library loads during it)."
    fi
    printf '%-20s %12s %12s %12s %14s %13s %9s  %s\n' \
        "$m workload" bare auditlog plpgsql auditlog/bare plpgsql/bare target "verdict (auditlog/bare)"
    for w in "${WORKLOADS[@]}"; do
        ar=$(ratio "${BEST[$m,$w,auditlog]}" "${BEST[$m,$w,bare]}")
        judge "$ar" "${TARGET[$w]}"
        printf '%-20s %9.1f ms %9.1f ms %9.1f ms %14s %13s %9s  %s\n' "${LABEL[$w]} $N rows" \
            "${BEST[$m,$w,bare]}" "${BEST[$m,$w,auditlog]}" "${BEST[$m,$w,plpgsql]}" "$ar" \
            "$(ratio "${BEST[$m,$w,plpgsql]}" "${BEST[$m,$w,bare]}")" "<= ${TARGET[$w]}" "$VD"
    done
done

echo
echo "Cold against warm: (cold auditlog/bare) / (warm auditlog/bare), target <= $TARGET_WRITE_COLD"
echo "(the plpgsql column is the same quotient for the plpgsql trigger, for reference)."
printf '%-20s %12s %12s %12s %13s %9s  %s\n' workload "warm ratio" "cold ratio" cold/warm "plpgsql c/w" target verdict
for w in "${WORKLOADS[@]}"; do
    wr=$(calc '%.4f' "${BEST[warm,$w,auditlog]} / ${BEST[warm,$w,bare]}")
    cr=$(calc '%.4f' "${BEST[cold,$w,auditlog]} / ${BEST[cold,$w,bare]}")
    cw=$(ratio "$cr" "$wr")
    judge "$cw" "$TARGET_WRITE_COLD"
    pcw=$(calc '%.2f' "(${BEST[cold,$w,plpgsql]} / ${BEST[cold,$w,bare]}) / (${BEST[warm,$w,plpgsql]} / ${BEST[warm,$w,bare]})")
    printf '%-20s %12.2f %12.2f %12s %13s %9s  %s\n' "${LABEL[$w]} $N rows" "$wr" "$cr" "$cw" "$pcw" \
        "<= $TARGET_WRITE_COLD" "$VD"
done

# Per round: auditlog/bare of the same round and mode (the two statements ran seconds apart,
# so the machine's mood of the moment divides out); prints "median (lowest-highest)".
paired() { # auditlog times, bare times
    awk -v a="$1" -v b="$2" 'BEGIN {
        n = split(a, x, " "); split(b, y, " ")
        for (i = 1; i <= n; i++) r[i] = x[i] / y[i]
        for (i = 2; i <= n; i++) for (j = i; j > 1 && r[j - 1] > r[j]; j--) { t = r[j]; r[j] = r[j - 1]; r[j - 1] = t }
        m = n % 2 ? r[(n + 1) / 2] : (r[n / 2] + r[n / 2 + 1]) / 2
        printf "%.2f (%.2f-%.2f)", m, r[1], r[n] }'
}
echo
echo "Per round, for the noise: auditlog/bare of the same round and mode, median (lowest-highest)"
echo "of the $ROUNDS rounds. The verdicts above use the best times; these show how far one round's"
echo "luck moves them."
printf '%-20s %20s %20s %12s\n' workload warm cold cold/warm
for w in "${WORKLOADS[@]}"; do
    pw=$(paired "${RES[warm,$w,auditlog]}" "${RES[warm,$w,bare]}")
    pc=$(paired "${RES[cold,$w,auditlog]}" "${RES[cold,$w,bare]}")
    printf '%-20s %20s %20s %12s\n' "${LABEL[$w]} $N rows" "$pw" "$pc" "$(ratio "${pc%% *}" "${pw%% *}")"
done

echo
echo "Single-row transactions (pgbench: BEGIN; INSERT one row; UPDATE it; COMMIT), best tps of $ROUNDS runs:"
printf '%-20s %12s %12s %12s %14s %13s %9s  %s\n' clients bare auditlog plpgsql auditlog/bare plpgsql/bare target "verdict (auditlog/bare)"
for c in "${CLIENTS[@]}"; do
    ar=$(ratio "${BEST[txn$c,bare]}" "${BEST[txn$c,auditlog]}")
    t=${TARGET[txn$c]:-}
    if [[ -n $t ]]; then judge "$ar" "$t"; else VD="(no target at $c clients)"; fi
    printf '%-20s %8.0f tps %8.0f tps %8.0f tps %14s %13s %9s  %s\n' "$c client(s)" \
        "${BEST[txn$c,bare]}" "${BEST[txn$c,auditlog]}" "${BEST[txn$c,plpgsql]}" "$ar" \
        "$(ratio "${BEST[txn$c,bare]}" "${BEST[txn$c,plpgsql]}")" "${t:+<= $t}" "$VD"
done

echo
echo "All rounds (ms; tps for pgbench):"
for m in "${MODES[@]}"; do
    for w in "${WORKLOADS[@]}"; do
        for v in "${VARIANTS[@]}"; do printf '  %-5s %-7s %-9s %s\n' "$m" "${LABEL[$w]}" "$v" "${RES[$m,$w,$v]}"; done
    done
done
for c in "${CLIENTS[@]}"; do
    for v in "${VARIANTS[@]}"; do printf '  %-13s %-9s %s\n' "pgbench -c $c" "$v" "${RES[txn$c,$v]}"; done
done

# --- correctness: events written, and their size ----------------------------------------
# Expected per variant: each round and mode N creates, N updates, N deletes; one truncate
# per TRUNCATE statement; per pgbench run one create per row it inserted and one update
# per transaction.
psqlq -c 'VACUUM ANALYZE' >/dev/null
echo
echo "Events written, each audit table against what the run must have written"
echo "($ROUNDS rounds x ${#MODES[@]} modes x $N creates, updates and deletes; $TRUNCATES truncates;"
echo " pgbench: one create per inserted row, one update per transaction):"
printf '  %-20s %12s %12s %12s %12s  %s\n' action auditlog expected plpgsql expected check
# shellcheck disable=SC2034  # into is a nameref: it fills the caller's array
counts() { # associative array name, query giving "action|count" rows
    local -n into=$1
    while IFS='|' read -r act cnt; do into["$act"]=$cnt; done < <(psqla -c "$2")
}
declare -A AC=() PC=()
counts AC "SELECT t.action, count(*) FROM auditlog.event_store e
             JOIN auditlog.action_types t ON t.id = e.action_ref GROUP BY 1"
counts PC "SELECT action, count(*) FROM plpgsql_audit_log GROUP BY 1"
bulk=$((ROUNDS * ${#MODES[@]} * N))
expect() { # action variant
    case $1 in
        connection.create) echo $((bulk + ROWS[$2])) ;;
        connection.update) echo $((bulk + TXNS[$2])) ;;
        connection.delete) echo "$bulk" ;;
        connection.truncate) echo "$TRUNCATES" ;;
        *) echo 0 ;;
    esac
}
BAD=()
ta=0; tp=0
mapfile -t actions < <(printf '%s\n' connection.create connection.update connection.delete connection.truncate \
                           "${!AC[@]}" "${!PC[@]}" | awk '!seen[$0]++')
for act in "${actions[@]}"; do
    a=${AC[$act]:-0}; p=${PC[$act]:-0}
    ea=$(expect "$act" auditlog); ep=$(expect "$act" plpgsql)
    ta=$((ta + a)); tp=$((tp + p))
    wrong=()
    if [[ $a != "$ea" ]]; then wrong+=(auditlog); BAD+=("auditlog $act: $a events, expected $ea"); fi
    if [[ $p != "$ep" ]]; then wrong+=(plpgsql); BAD+=("plpgsql $act: $p events, expected $ep"); fi
    if [[ ${#wrong[@]} -eq 0 ]]; then check=ok; else check="MISMATCH (${wrong[*]})"; fi
    printf '  %-20s %12s %12s %12s %12s  %s\n' "$act" "$a" "$ea" "$p" "$ep" "$check"
done
printf '  %-20s %12s %12s %12s %12s\n' total "$ta" "" "$tp" ""

echo
echo "Storage (table + indexes + TOAST, after VACUUM):"
size_line() { # label relation-list rows
    local bytes per
    # a partitioned table (the event store) counts as the sum of its partitions; for
    # a plain table pg_partition_tree() returns no row, so it counts as itself
    bytes=$(psqla -c "SELECT sum(coalesce((SELECT sum(pg_total_relation_size(t.relid))
                                             FROM pg_partition_tree(c) AS t),
                                          pg_total_relation_size(c)))
                        FROM unnest($2::regclass[]) AS c")
    if [[ $3 -gt 0 ]]; then per=$(calc '%.0f' "$bytes / $3"); else per=-; fi
    printf '  %-46s %12s bytes %12s events %8s bytes/event\n' "$1" "$bytes" "$3" "$per"
}
size_line "auditlog.event_store" "ARRAY['auditlog.event_store']" "$ta"
size_line "auditlog.event_store + labels + action_types" \
    "ARRAY['auditlog.event_store', 'auditlog.labels', 'auditlog.action_types']" "$ta"
size_line "plpgsql_audit_log" "ARRAY['plpgsql_audit_log']" "$tp"
echo
echo "Sample update event, each store:"
psqla -c "SELECT '  auditlog: ' || jsonb_build_object('actor', actor, 'action', action,
            'resource', resource_type || '/' || resource_id, 'outcome', outcome::text,
            'details', details, 'db_user', db_user, 'application_name', application_name)::text
            FROM auditlog.events WHERE action = 'connection.update' ORDER BY id DESC LIMIT 1"
psqla -c "SELECT '  plpgsql:  ' || jsonb_build_object('actor', actor, 'action', action,
            'resource', resource_type || '/' || resource_id, 'outcome', outcome,
            'details', details, 'db_user', db_user, 'application_name', application_name)::text
            FROM plpgsql_audit_log WHERE action = 'connection.update' ORDER BY id DESC LIMIT 1"

loadavg
echo
if [[ ${#BAD[@]} -gt 0 ]]; then
    printf '  %s\n' "${BAD[@]}" >&2
    fail "events written do not match what the run wrote (${#BAD[@]} mismatches above): events were lost or doubled"
fi
echo "Correctness: events written match what the run wrote, for every action and both audit tables."
if [[ $MISSED -gt 0 ]]; then
    echo "Performance: $MISSED verdicts OVER TARGET (see above)."
    [[ $BENCH_STRICT == 1 ]] && exit 3
else
    echo "Performance: every target met."
fi
exit 0
