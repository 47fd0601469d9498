#!/usr/bin/env bash
# bench/throughput.sh — events per second from one session: auditlog.log_event,
# auditlog.import_event and auditlog.summarize(), each against a plain anchor doing the
# equivalent work on an indexed plain table (see bench/README.md).
#
#   bash bench/throughput.sh                # throwaway cluster of $PG_CONFIG's server
#   BENCH_USE_ENV=1 bash bench/throughput.sh  # use the server PGHOST/PGPORT/PGUSER point to
#
# The throwaway cluster runs without auditlog's maintenance worker: the worker would
# summarize what the timed summarize() calls are there to summarize, and compete with the
# timed writes (with BENCH_USE_ENV=1, set auditlog.maintenance_worker = off yourself).
#
# Each round, in this order, each timed statement in a fresh session that first makes one
# rolled-back call of the same function (library loaded, caches filled):
#   log_event     SELECT count(auditlog.log_event(...)) FROM bench_tp.inputs   (N calls)
#                 against the same with bench_tp.log_event (plpgsql, one INSERT per call)
#   (untimed: summaries and the anchor's rollup caught up)
#   import_event  the same with auditlog.import_event and bench_tp.import_event, the N
#                 events a year further back each round (fresh days for the summaries)
#   summarize()   CALL bench_tp.summarize_all(): summarize() once per transaction until it
#                 adds nothing, over the N events just imported (the first call records the
#                 horizon, the second adds the events, the third adds none), against CALL
#                 bench_tp.rollup(): one INSERT ... SELECT ... GROUP BY ... ON CONFLICT
#                 of the anchor's new rows into a plain per-day counts table
# Each statement runs as BEGIN; ...; COMMIT in one query string under psql's \timing
# (the commit included), the CALLs alone (their procedures commit); the best of ROUNDS counts.
#
# Environment: N (calls per measurement, 200000), ROUNDS (3), BENCH_DB (auditlog_throughput;
# dropped and recreated), BENCH_PG_OPTS (extra tmpcluster.sh options), BENCH_STRICT (1: exit 3
# when a target is missed).
#
# Exit status: 0 when every correctness check passed (targets may still be missed), 1 when
# one failed (events missing or doubled, a summary that does not cover the imported events),
# 2 on bad settings, 3 under BENCH_STRICT=1 when all checks passed but a target was missed.
set -euo pipefail
shopt -s inherit_errexit

N=${N:-200000}
ROUNDS=${ROUNDS:-3}
BENCH_DB=${BENCH_DB:-auditlog_throughput}
BENCH_STRICT=${BENCH_STRICT:-0}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/targets.sh
. "$HERE/targets.sh"

for v in N ROUNDS; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "throughput.sh: $v must be a positive integer, not '${!v}'" >&2; exit 2; }
done
[[ $BENCH_DB =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "throughput.sh: BENCH_DB must be a plain lower-case name" >&2; exit 2; }

if [[ ${BENCH_USE_ENV:-0} != 1 ]]; then
    # shellcheck disable=SC2086
    exec bash "$HERE/../tools/tmpcluster.sh" \
        -o shared_buffers=512MB -o max_wal_size=8GB -o checkpoint_timeout=30min \
        -o autovacuum=off -o auditlog.maintenance_worker=off ${BENCH_PG_OPTS:-} \
        -- env BENCH_USE_ENV=1 bash "${BASH_SOURCE[0]}" "$@"
fi
if [[ -n ${TMPCLUSTER_BINDIR:-} ]]; then
    PATH=$TMPCLUSTER_BINDIR:$PATH
elif [[ -n ${PG_CONFIG:-} ]]; then
    PATH=$("$PG_CONFIG" --bindir):$PATH
fi

psqlq() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
psqla() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
# The machine's load, start and end: other work during the run shows up in the ratios.
loadavg() { if [[ -r /proc/loadavg ]]; then echo "load average (1, 5, 15 min): $(cut -d " " -f 1-3 /proc/loadavg)"; fi; }
fail() { echo "throughput.sh: FAILED: $*" >&2; exit 1; }

psqlq -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" -c "CREATE DATABASE $BENCH_DB"
export PGDATABASE=$BENCH_DB
psqlq -v n="$N" -f "$HERE/throughput/schema.sql"

echo "auditlog throughput benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
psqla -F ' ' -c "SELECT 'server:', split_part(version(), ' (', 1), '| fsync', current_setting('fsync'),
                        '| synchronous_commit', current_setting('synchronous_commit'),
                        '| shared_buffers', current_setting('shared_buffers')"
psqla -F ' ' -c "SELECT 'auditlog:', extversion FROM pg_extension WHERE extname = 'auditlog'"
echo "N=$N events per measurement, ROUNDS=$ROUNDS (best of), $(nproc) CPUs"
loadavg
echo

ARGS="action, resource_type, resource_id, outcome, details, actor, actor_id, org_id"
WARM_ROW="(SELECT * FROM bench_tp.inputs ORDER BY i LIMIT 1) AS w"

# A checkpoint, then a fresh session: the warm-up query (rolled back), then
# "BEGIN; statement; COMMIT" under \timing. Prints milliseconds.
timed() { # warm-up select, timed statement
    local out
    psqlq -c CHECKPOINT
    out=$(psqlq -c "BEGIN" -c "$1" -c "ROLLBACK" -c '\timing on' -c "BEGIN; $2; COMMIT")
    awk '/^Time: / { t = $2 } END { if (t == "") exit 1; print t }' <<<"$out"
}
last() { psqla -c "SELECT events || ' ' || calls FROM bench_tp.last WHERE what = '$1'"; }

declare -A RES=()
SUMMARIZED=()
CALLS=()
start=$(date +%s)
for ((r = 1; r <= ROUNDS; r++)); do
    shift_sql="make_interval(years => $r)"
    line=$(printf 'round %d/%d' "$r" "$ROUNDS")

    ms=$(timed "SELECT auditlog.log_event($ARGS) FROM $WARM_ROW" \
               "SELECT count(auditlog.log_event($ARGS)) FROM bench_tp.inputs")
    RES[log,auditlog]+="$ms "
    ms2=$(timed "SELECT bench_tp.log_event($ARGS) FROM $WARM_ROW" \
                "SELECT count(bench_tp.log_event($ARGS)) FROM bench_tp.inputs")
    RES[log,anchor]+="$ms2 "
    line+=$(printf '  log_event %8.1f ms (anchor %8.1f)' "$ms" "$ms2")

    # Catch up, untimed: only the events imported next remain for the timed summaries.
    psqlq -c "CALL bench_tp.summarize_all()" -c "CALL bench_tp.rollup()"

    ms=$(timed "SELECT auditlog.import_event(occurred_at - $shift_sql, $ARGS) FROM $WARM_ROW" \
               "SELECT count(auditlog.import_event(occurred_at - $shift_sql, $ARGS)) FROM bench_tp.inputs")
    RES[import,auditlog]+="$ms "
    ms2=$(timed "SELECT bench_tp.import_event(occurred_at - $shift_sql, $ARGS) FROM $WARM_ROW" \
                "SELECT count(bench_tp.import_event(occurred_at - $shift_sql, $ARGS)) FROM bench_tp.inputs")
    RES[import,anchor]+="$ms2 "
    line+=$(printf '  import_event %8.1f ms (anchor %8.1f)' "$ms" "$ms2")

    # A procedure that commits cannot run inside BEGIN: time the CALL alone, after loading
    # the library (a call of auditlog.initials) in its session.
    psqlq -c CHECKPOINT
    out=$(psqlq -c "SELECT auditlog.initials('x')" -c '\timing on' -c "CALL bench_tp.summarize_all()")
    ms=$(awk '/^Time: / { t = $2 } END { if (t == "") exit 1; print t }' <<<"$out")
    read -r ev calls <<<"$(last summarize)"
    SUMMARIZED+=("$ev"); CALLS+=("$calls")
    RES[summarize,auditlog]+="$ms "
    psqlq -c CHECKPOINT
    out=$(psqlq -c '\timing on' -c "CALL bench_tp.rollup()")
    ms2=$(awk '/^Time: / { t = $2 } END { if (t == "") exit 1; print t }' <<<"$out")
    read -r aev _ <<<"$(last rollup)"
    [[ $aev == "$N" ]] || fail "round $r: the anchor's rollup counted $aev events, expected $N"
    RES[summarize,anchor]+="$ms2 "
    line+=$(printf '  summarize() %8.1f ms, %d events in %d calls (rollup %8.1f)' "$ms" "$ev" "$calls" "$ms2")
    echo "$line"
done
elapsed=$(( $(date +%s) - start ))

# --- correctness ------------------------------------------------------------------------
BAD=()
for ((r = 0; r < ROUNDS; r++)); do
    [[ ${SUMMARIZED[r]} == "$N" ]] ||
        BAD+=("round $((r + 1)): summarize() added ${SUMMARIZED[r]} events to the summaries, expected the $N just imported")
done
want=$((ROUNDS * 2 * N))
got=$(psqla -c "SELECT count(*) FROM auditlog.events")
[[ $got == "$want" ]] || BAD+=("auditlog.events holds $got events, expected $want")
got=$(psqla -c "SELECT count(*) FROM bench_tp.events")
[[ $got == "$want" ]] || BAD+=("the anchor table holds $got events, expected $want")
got=$(psqla -c "SELECT auditlog.event_count()")
[[ $got == "$want" ]] || BAD+=("auditlog.event_count() says $got events, expected $want")
got=$(psqla -c "SELECT count(*) FROM auditlog.events WHERE details @> '{\"imported\": true}'")
[[ $got == $((ROUNDS * N)) ]] || BAD+=("$got events say they were imported, expected $((ROUNDS * N))")

# --- results ------------------------------------------------------------------------------
best() { tr ' ' '\n' <<<"$1" | grep . | sort -g | head -1; }
MISSED=0
echo
echo "Best of $ROUNDS rounds ($elapsed s); events/s = N / best time, from one session, commit included."
echo "auditlog/anchor = auditlog events/s / anchor events/s (above 1: auditlog faster). Targets: bench/targets.sh."
printf '%-14s %12s %12s %12s %12s %15s %14s  %s\n' measure "auditlog ms" "events/s" "anchor ms" "events/s" "auditlog/anchor" target "verdict (auditlog events/s)"
declare -A TARGET=([log]=$TARGET_TP_LOG_EVENT [import]=$TARGET_TP_IMPORT_EVENT [summarize]=$TARGET_TP_SUMMARIZE)
declare -A NAME=([log]=log_event [import]=import_event [summarize]="summarize()")
for m in log import summarize; do
    a=$(best "${RES[$m,auditlog]}"); p=$(best "${RES[$m,anchor]}")
    ae=$(calc '%.0f' "$N * 1000 / $a"); pe=$(calc '%.0f' "$N * 1000 / $p")
    if [[ $ae -ge ${TARGET[$m]} ]]; then vd=met; else vd="BELOW TARGET"; MISSED=$((MISSED + 1)); fi
    printf '%-14s %12.1f %12s %12.1f %12s %15s %14s  %s\n' "${NAME[$m]}" "$a" "$ae" "$p" "$pe" \
        "$(calc '%.2f' "$ae / $pe")" ">= ${TARGET[$m]}" "$vd"
done
echo "(anchors: bench_tp.log_event / import_event, plpgsql, one INSERT per call into a table with a primary"
echo " key and four indexes; bench_tp.rollup(), one INSERT ... GROUP BY ... ON CONFLICT per day and dimensions)"
echo
echo "All rounds (ms):"
for m in log import summarize; do
    printf '  %-13s auditlog %s\n  %-13s anchor   %s\n' "${NAME[$m]}" "${RES[$m,auditlog]}" "" "${RES[$m,anchor]}"
done
echo "  summarize() calls per round: ${CALLS[*]}"

loadavg
echo
if [[ ${#BAD[@]} -gt 0 ]]; then
    printf '  %s\n' "${BAD[@]}" >&2
    fail "${#BAD[@]} correctness checks failed (above)"
fi
echo "Correctness: every event written and counted once on both sides; summarize() covered each round's imported events."
if [[ $MISSED -gt 0 ]]; then
    echo "Performance: $MISSED verdicts BELOW TARGET (see above)."
    [[ $BENCH_STRICT == 1 ]] && exit 3
else
    echo "Performance: every target met."
fi
exit 0
