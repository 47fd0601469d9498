#!/usr/bin/env bash
# bench/read.sh — read-path benchmark: auditlog.search() against hand-written SQL
# over a plain indexed table holding the same events, on two independently shaped
# generators (see bench/README.md).
#
#   bash bench/read.sh                      # 1M events of each generator, throwaway cluster
#   N="1000000 10000000" bash bench/read.sh # both scales in one run, with the 10M/1M lines
#   GEN=shop N=20000 ROUNDS=2 bash bench/read.sh   # one generator, small, for development
#
# Environment:
#   N          events per data set; a space-separated list runs each scale (default 1000000)
#   GEN        saas, shop, or both (default both): which generators to run
#   ROUNDS     timed runs per query, the best is kept, after one warm-up (default 5)
#   SUMMARIZE  1 (default): call auditlog.summarize() after the import, as a scheduled job
#              would have; 0: never call it, and no maintenance worker either (search()
#              then counts every event by hand); worker: call nothing, wait for the
#              maintenance worker to catch up (target: within TARGET_WORKER_CATCHUP s of
#              the import's end; add BENCH_PG_OPTS="-o shared_preload_libraries=auditlog"
#              for the launcher's worker instead of the one the writers start)
#   PARTITIONS 1 (default): make the monthly partitions of the generated year with
#              auditlog.create_partitions() before the import, as an importer of history
#              would; 0: import into the default partition alone, as without that step
#   REUSE=1    keep a database's generated data when it already holds the same data set
#   CHUNK      events per import statement, committed in between (default 100000)
#   EXPLAIN=1  also print EXPLAIN ANALYZE of every plain query
#   BENCH_DB   prefix of the databases, one per generator and scale: <prefix>_<gen>_<n>
#              (default auditlog_read); their auditlog extension is DROPPED and recreated
#   BENCH_USE_ENV=1  use the server of the exported PG* variables (a superuser) instead
#              of a throwaway cluster of $PG_CONFIG's server (tools/tmpcluster.sh)
#   BENCH_PG_OPTS    extra tmpcluster.sh options, e.g. "-o shared_buffers=2GB"
#   BENCH_STRICT=1   exit 3 when every check passed but a target was missed
#
# Date filters are whole days of the session time zone, UTC unless PGTZ says otherwise;
# both sides run in one session, so they see the same one.
#
# Exit status: 0 when every correctness check passed (targets may still be missed: see the
# verdicts), 1 when a filter set returned a different page or count from search() than
# from the plain table, 2 on bad settings, 3 under BENCH_STRICT=1 when a target was missed.
set -euo pipefail
shopt -s inherit_errexit
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench/targets.sh
. "$here/targets.sh"
: "${N:=1000000}" "${GEN:=both}" "${ROUNDS:=5}" "${SUMMARIZE:=1}" "${REUSE:=0}" "${CHUNK:=100000}"
: "${EXPLAIN:=0}" "${BENCH_DB:=auditlog_read}" "${BENCH_STRICT:=0}" "${PARTITIONS:=1}"
export PGTZ="${PGTZ:-UTC}"

usage() { echo "read.sh: $*" >&2; exit 2; }
read -r -a scales <<<"$N"
[ "${#scales[@]}" -gt 0 ] || usage "N is empty"
for n in "${scales[@]}"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || usage "N must list positive integers, got '$n'"
done
case "$GEN" in
    both) gens=(saas shop) ;;
    saas|shop) gens=("$GEN") ;;
    *) usage "GEN must be saas, shop or both, got '$GEN'" ;;
esac
for v in ROUNDS CHUNK; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || usage "$v must be a positive integer, got '${!v}'"
done
[[ $SUMMARIZE =~ ^([01]|worker)$ ]] || usage "SUMMARIZE must be 0, 1 or worker"
[[ $PARTITIONS =~ ^[01]$ ]] || usage "PARTITIONS must be 0 or 1"
[[ $BENCH_DB =~ ^[a-z_][a-z0-9_]*$ ]] || usage "BENCH_DB must be a plain lower-case name"

if [ "${BENCH_USE_ENV:-0}" != 1 ]; then
    # the maintenance worker summarizes only when it is what is measured
    worker=off
    [ "$SUMMARIZE" = worker ] && worker=on
    # shellcheck disable=SC2086
    exec bash "$here/../tools/tmpcluster.sh" -o max_wal_size=8GB -o checkpoint_timeout=30min \
        -o auditlog.maintenance_worker=$worker ${BENCH_PG_OPTS:-} -- env BENCH_USE_ENV=1 bash "${BASH_SOURCE[0]}" "$@"
fi
if [ -n "${TMPCLUSTER_BINDIR:-}" ]; then
    PATH=$TMPCLUSTER_BINDIR:$PATH
elif [ -n "${PG_CONFIG:-}" ]; then
    PATH=$("$PG_CONFIG" --bindir):$PATH
fi

TMP=$(mktemp -d -t auditlog-read.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
psql_() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
# The machine's load, start and end: other work during the run shows up in the ratios.
loadavg() { if [[ -r /proc/loadavg ]]; then echo "load average (1, 5, 15 min): $(cut -d " " -f 1-3 /proc/loadavg)"; fi; }

# The targets of a scale: those set at 10M from 10M events on, those set at 1M below.
scale_targets() { # n -> sets T_MEDIAN T_WORST T_SCALE T_NOTE
    T_NOTE=""
    if [ "$1" -ge 10000000 ]; then
        T_MEDIAN=$TARGET_READ_MEDIAN_10M; T_WORST=$TARGET_READ_WORST_10M; T_SCALE=10M
    else
        T_MEDIAN=$TARGET_READ_MEDIAN_1M; T_WORST=$TARGET_READ_WORST_1M; T_SCALE=1M
    fi
    if [ "$1" -ne 1000000 ] && [ "$1" -ne 10000000 ]; then
        T_NOTE="(the targets are set at 1M and 10M events; $1 events is judged by those at $T_SCALE)"
    fi
}

loadavg
MISMATCH=0
MISSED=0
: >"$TMP/verdicts"
for gen in "${gens[@]}"; do
    for n in "${scales[@]}"; do
        db="${BENCH_DB}_${gen}_${n}"
        echo "== generator $gen, $n events, database $db"
        if [ -z "$(psql_ -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
            psql_ -d postgres -c "CREATE DATABASE \"$db\""
        fi

        have=""
        if [ "$REUSE" = 1 ]; then
            have=$(psql_ -d "$db" -Atc "SELECT gen || ' ' || n || ' ' || (summarize_s IS NOT NULL)::int
                                               || ' ' || partitions::int
                                          FROM bench_read.meta WHERE ready" 2>/dev/null || true)
        fi
        if [ "$have" = "$gen $n $SUMMARIZE $PARTITIONS" ]; then
            echo "reusing the $n events of generator $gen already in $db"
        else
            t0=$(date +%s.%N)
            psql_ -d "$db" -v gen="$gen" -v n="$n" -v chunk="$CHUNK" -v partitions="$PARTITIONS" \
                -f "$here/read/setup.sql"
            psql_ -d "$db" -f "$here/read/$gen/generate.sql"
            if [ "$SUMMARIZE" = 1 ]; then
                psql_ -d "$db" -f "$here/read/summarize.sql"
            elif [ "$SUMMARIZE" = worker ]; then
                # nobody calls summarize(): the maintenance worker has to catch up by itself
                w0=$(date +%s.%N)
                until [ "$(psql_ -d "$db" -Atc "SELECT unsummarized = 0 FROM auditlog.status()")" = t ]; do
                    if [ "$(calc '%.0f' "$(date +%s.%N) - $w0")" -gt $((TARGET_WORKER_CATCHUP * 4)) ]; then
                        break
                    fi
                    sleep 0.5
                done
                caught=$(calc '%.1f' "$(date +%s.%N) - $w0")
                verdict=$(awk -v c="$caught" -v t="$TARGET_WORKER_CATCHUP" 'BEGIN { print (c <= t) ? "met" : "OVER TARGET" }')
                echo "maintenance worker: the summaries covered every event ${caught} s after the import ended (target <= ${TARGET_WORKER_CATCHUP} s): $verdict"
                echo "$gen|$n|maintenance worker: seconds from the import's end to no unsummarized event|$caught|<= $TARGET_WORKER_CATCHUP|$verdict" \
                    >>"$TMP/verdicts"
            fi
            psql_ -d "$db" -v indexes="$here/read/$gen/indexes.sql" -f "$here/read/plain.sql"
            t1=$(date +%s.%N)
            psql_ -d "$db" -At -F ' ' -c "SELECT n, generate_s, coalesce(summarize_s, -1), coalesce(summarized, 0),
                                                 plain_s, analyze_s FROM bench_read.meta" |
                awk -v w="$(calc '%.1f' "$t1 - $t0")" '{
                    printf "generated %d events in %s s: import_event %.1f s (%.0f events/s)", $1, w, $2, ($2 > 0 ? $1 / $2 : 0)
                    if ($3 >= 0) printf ", summarize() %.1f s for %d events (%.0f events/s)", $3, $4, ($3 > 0 ? $4 / $3 : 0)
                    else printf ", summarize() not called"
                    printf ", plain table + indexes %.1f s, vacuum analyze %.1f s\n", $5, $6 }'
        fi

        scale_targets "$n"
        [ -z "$T_NOTE" ] || echo "$T_NOTE"
        psql_ -d "$db" -v rounds="$ROUNDS" -v explain="$([ "$EXPLAIN" = 1 ] && echo true || echo false)" \
            -v t_set_min="$TARGET_READ_SET_MIN" -v t_median="$T_MEDIAN" -v t_worst="$T_WORST" \
            -v t_storage="$TARGET_STORAGE" -v t_scale="$T_SCALE" \
            -f "$here/read/sets_table.sql" -f "$here/read/$gen/sets.sql" -f "$here/read/run.sql"

        psql_ -d "$db" -At -F '|' -c "SELECT no, name, search_ms, plain_ms FROM bench_read.results ORDER BY no" \
            >"$TMP/results_${gen}_$n"
        psql_ -d "$db" -At -F '|' -c "SELECT '$gen', $n, what, value, target, verdict FROM bench_read.verdicts ORDER BY k" \
            >>"$TMP/verdicts"
        bad=$(psql_ -d "$db" -Atc "SELECT count(*) FROM bench_read.results WHERE check_result <> 'ok'")
        MISMATCH=$((MISMATCH + bad))
        echo "$gen|$n|correctness: same page of ids and same count on both sides, every filter set|$bad sets differ|none differ|$([ "$bad" = 0 ] && echo ok || echo MISMATCH)" \
            >>"$TMP/verdicts"
        echo
    done

    # 10M against 1M: the same filter sets at two scales, search latency only (plain for reference).
    for ((i = 1; i < ${#scales[@]}; i++)); do
        a=${scales[i-1]}; b=${scales[i]}
        x=$(calc '%.4g' "$b / $a")
        note=""
        [ "$x" = 10 ] || note=" (the target is set for 10x the events; here ${x}x)"
        echo "== generator $gen, $b events against $a: search time at $b / at $a, target <= $TARGET_READ_SCALING$note"
        join -t '|' -j 1 <(sort -t '|' -k1,1 "$TMP/results_${gen}_$a") <(sort -t '|' -k1,1 "$TMP/results_${gen}_$b") |
            sort -t '|' -k1,1n |
            awk -F '|' -v a="$a" -v b="$b" -v t="$TARGET_READ_SCALING" -v gen="$gen" -v out="$TMP/verdicts" '
                function median(v, k,   m, j, s, tmp) {
                    for (m = 1; m <= k; m++) s[m] = v[m]
                    for (m = 2; m <= k; m++) for (j = m; j > 1 && s[j-1] > s[j]; j--) { tmp = s[j]; s[j] = s[j-1]; s[j-1] = tmp }
                    return k % 2 ? s[(k+1)/2] : (s[k/2] + s[k/2+1]) / 2
                }
                function verdict(r) { return r <= t ? "met" : "OVER TARGET" }
                BEGIN { printf "%4s  %-36s %12s %12s %8s %12s %12s %8s\n", "#", "filter set", "search@" a, "search@" b, "ratio", "plain@" a, "plain@" b, "ratio" }
                {
                    k++; sa[k] = $3; sb[k] = $6; pa[k] = $4; pb[k] = $7
                    r = $6 / $3
                    printf "%4s  %-36s %9.2f ms %9.2f ms %7.2fx %9.2f ms %9.2f ms %7.2fx\n", $1, $2, $3, $6, r, $4, $7, $7 / $4
                    if (k == 1 || r > worst) { worst = r; wname = "#" $1 " " $2 }
                    if (k == 1 || $3 > maxa) maxa = $3
                    if (k == 1 || $6 > maxb) maxb = $6
                }
                END {
                    ma = median(sa, k); mb = median(sb, k)
                    printf "median search latency: %.2f ms at %s, %.2f ms at %s: %.2fx, target <= %s: %s\n", ma, a, mb, b, mb / ma, t, verdict(mb / ma)
                    printf "slowest search: %.2f ms at %s, %.2f ms at %s: %.2fx, target <= %s: %s\n", maxa, a, maxb, b, maxb / maxa, t, verdict(maxb / maxa)
                    printf "largest per-set search ratio: %.2fx (%s), target <= %s: %s\n", worst, wname, t, verdict(worst)
                    printf "%s|%s/%s|scaling: median search latency, %.2f ms / %.2f ms|%.2fx|<= %s|%s\n", gen, b, a, mb, ma, mb / ma, t, verdict(mb / ma) >> out
                    printf "%s|%s/%s|scaling: slowest search, %.2f ms / %.2f ms|%.2fx|<= %s|%s\n", gen, b, a, maxb, maxa, maxb / maxa, t, verdict(maxb / maxa) >> out
                    printf "%s|%s/%s|scaling: largest per-set search ratio, %s|%.2fx|<= %s|%s\n", gen, b, a, wname, worst, t, verdict(worst) >> out
                }'
        echo
    done
done

loadavg
echo "== all verdicts (targets: bench/targets.sh)"
awk -F '|' '{ printf "  %-4s %-17s %-12s %8s  %-13s %s\n", $1, $2, $6, $4, "(" $5 ")", $3 }' "$TMP/verdicts"
MISSED=$(awk -F '|' '$6 == "BELOW TARGET" || $6 == "OVER TARGET"' "$TMP/verdicts" | wc -l)
echo
if [ "$MISMATCH" -gt 0 ]; then
    echo "read.sh: FAILED: $MISMATCH filter sets returned a different page or count from search() than from the plain table" >&2
    exit 1
fi
echo "Correctness: every filter set of every data set returned the same page of ids and the same count on both sides."
if [ "$MISSED" -gt 0 ]; then
    echo "Performance: $MISSED verdicts missed their target (BELOW TARGET / OVER TARGET above)."
    [ "$BENCH_STRICT" = 1 ] && exit 3
else
    echo "Performance: every target met."
fi
exit 0
