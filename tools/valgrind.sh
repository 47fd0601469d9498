#!/usr/bin/env bash
# tools/valgrind.sh — runs the auditlog test suite against a PostgreSQL 15 server
# running under valgrind memcheck, then reports every memory error whose stack
# (or origin stack) involves auditlog.
#
# Run as root from anywhere:   bash tools/valgrind.sh
#
# Expects auditlog to be built and installed already (make && make install).
# Creates a throw-away cluster owned by postgres in a temporary directory, with
# its unix socket in that directory only and no TCP listener, and removes it at
# the end, also on failure. The valgrind logs are kept (path printed at the end).
# Takes about an hour on two cores (test/tap/summary_counts.sql alone ~30 minutes,
# test/tap/search_results.sql ~15); use VG_TAP for a subset.
#
# Environment:
#   VG_PORT       port number of the socket (default 5499)
#   VG_LOG_DIR    where to keep the valgrind logs (default: a new /tmp directory)
#   VG_REGRESS    "no" to skip pg_regress (default: run it)
#   VG_TAP        the pgTAP files to run (default: test/tap/*.sql), "" to skip pgTAP
#   VG_SHELL      shell tests to run against the server too (default: none),
#                 such as "test/restore/*.sh" (test/restore/lib.sh is skipped)
#   PG_CONFIG     the installation to run (default: Debian's PostgreSQL 15)
#   VG_SUPP       suppression file (default tools/valgrind.supp), "none" for none
#   VG_SERVER_OPTS  extra server options (default "-c auditlog.maintenance_worker=off",
#                 as the suite's shared cluster; e.g. "-c shared_preload_libraries=auditlog"
#                 to run the launcher, maintenance workers and writer under valgrind)
#   PG_CONFIG     the PostgreSQL installation (default Debian's PostgreSQL 15)
#
# An error block counts as auditlog's when auditlog.so or one of its source
# files (src/*.c, built with -g) appears anywhere in it: in the stack, in the
# allocation stack or in the origin stack of an uninitialised value.
#
# Exit status: 0 if no valgrind error involves auditlog and the tests passed,
# 1 if a valgrind error involves auditlog, 2 if the run itself failed, 3 if
# only some tests failed.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PGBIN=$("$PG_CONFIG" --bindir)
PORT=${VG_PORT:-5499}
SUPP=${VG_SUPP:-$REPO/tools/valgrind.supp}

if [ "$(id -u)" -ne 0 ]; then
    echo "tools/valgrind.sh: run as root (the server runs as user postgres)" >&2
    exit 2
fi
for p in 5432 5433 5440; do
    if [ "$PORT" = "$p" ]; then echo "tools/valgrind.sh: port $p is reserved for others" >&2; exit 2; fi
done
command -v valgrind >/dev/null || { echo "tools/valgrind.sh: valgrind is not installed" >&2; exit 2; }

# (no "auditlog" in these paths: the report looks for that word)
WORK=$(mktemp -d /tmp/pgvg.XXXXXX)
LOGS=${VG_LOG_DIR:-$(mktemp -d /tmp/pgvg-logs.XXXXXX)}
mkdir -p "$LOGS"
if ls "$LOGS"/valgrind.*.log >/dev/null 2>&1; then
    echo "tools/valgrind.sh: $LOGS already holds valgrind logs" >&2
    rm -rf "$WORK"
    exit 2
fi
DATA=$WORK/data
SOCK=$WORK/sock
mkdir -p "$SOCK" "$WORK/regress"
chmod 755 "$WORK"
chown postgres:postgres "$WORK" "$SOCK" "$LOGS"
# valgrind runs as postgres: give it its own copy of the suppressions.
VGSUPP=()
if [ "$SUPP" != none ]; then
    cp "$SUPP" "$WORK/valgrind.supp"
    chmod 644 "$WORK/valgrind.supp"
    VGSUPP=(--suppressions="$WORK/valgrind.supp")
fi

as_postgres() { runuser -u postgres -- "$@"; }

postmaster_pid() {
    # The first line of postmaster.pid, if that process is still alive.
    local pid
    [ -f "$DATA/postmaster.pid" ] || return 1
    pid=$(head -n 1 "$DATA/postmaster.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    if pid=$(postmaster_pid); then
        echo "== stopping the server (cleanup)"
        as_postgres "$PGBIN/pg_ctl" stop -D "$DATA" -m immediate -w -t 120 >/dev/null 2>&1 || true
        if pid=$(postmaster_pid); then
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    if [ -n "${SERVER_PID:-}" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    [ -f "$WORK/server.log" ] && cp "$WORK/server.log" "$LOGS/server.log" 2>/dev/null || true
    [ -f "$WORK/regress/regression.diffs" ] && cp "$WORK/regress/regression.diffs" "$LOGS/" 2>/dev/null || true
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 2' INT TERM

SO=$($PG_CONFIG --pkglibdir)/auditlog.so
[ -f "$SO" ] || { echo "tools/valgrind.sh: $SO is not installed" >&2; exit 2; }
SO_SUM=$(md5sum <"$SO")
echo "== auditlog.so: $SO ($(stat -c %y "$SO"), md5 ${SO_SUM%% *})"

echo "== initdb in $DATA"
as_postgres "$PGBIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$WORK/initdb.log" 2>&1 \
    || { cat "$WORK/initdb.log"; exit 2; }

echo "== starting postgres under valgrind (logs in $LOGS)"
START=$(date +%s)
as_postgres valgrind \
    --trace-children=yes --leak-check=no --track-origins=yes \
    --read-inline-info=yes --read-var-info=yes --num-callers=30 --fullpath-after= \
    --show-error-list=yes \
    "${VGSUPP[@]}" \
    --log-file="$LOGS/valgrind.%p.log" \
    "$PGBIN/postgres" -D "$DATA" \
    -c port="$PORT" -c listen_addresses='' -c unix_socket_directories="$SOCK" \
    -c jit=off -c huge_pages=off -c fsync=off \
    -c max_prepared_transactions=5 \
    -c authentication_timeout=600 -c logging_collector=off \
    ${VG_SERVER_OPTS--c auditlog.maintenance_worker=off} \
    >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

export PGHOST=$SOCK PGPORT=$PORT PGUSER=postgres
unset PGDATABASE PGSERVICE PGPASSWORD
export PGCONNECT_TIMEOUT=600
for _ in $(seq 1 600); do
    "$PGBIN/pg_isready" -q && break
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "postgres exited:"; cat "$WORK/server.log"; exit 2; }
    sleep 1
done
"$PGBIN/pg_isready" -q || { echo "postgres did not start:"; cat "$WORK/server.log"; exit 2; }
echo "   up after $(( $(date +%s) - START ))s"

tests_failed=0
if [ "${VG_REGRESS:-yes}" != no ]; then
    echo "== pg_regress (make installcheck)"
    T=$(date +%s)
    if ! make -s installcheck; then
        tests_failed=1
        [ -f test/regression.diffs ] && cat test/regression.diffs
    fi
    echo "   pg_regress took $(( $(date +%s) - T ))s"
fi

TAP=${VG_TAP-test/tap/*.sql}
if [ -n "$TAP" ]; then
    echo "== pgTAP: $TAP"
    T=$(date +%s)
    "$PGBIN/psql" -qX -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE auditlog_tap' >/dev/null
    "$PGBIN/psql" -qX -v ON_ERROR_STOP=1 -d auditlog_tap \
        -c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION auditlog' >/dev/null
    # shellcheck disable=SC2086
    pg_prove --timer --failures --psql-bin "$PGBIN/psql" -d auditlog_tap $TAP || tests_failed=1
    echo "   pgTAP took $(( $(date +%s) - T ))s"
fi

SHELL_TESTS=${VG_SHELL-}
if [ -n "$SHELL_TESTS" ]; then
    echo "== shell tests: $SHELL_TESTS"
    T=$(date +%s)
    # shellcheck disable=SC2086
    for t in $SHELL_TESTS; do
        [ "$(basename "$t")" = lib.sh ] && continue
        echo "-- $t"
        PATH="$PGBIN:$PATH" bash "$t" || tests_failed=1
    done
    echo "   shell tests took $(( $(date +%s) - T ))s"
fi

echo "== stopping the server"
as_postgres "$PGBIN/pg_ctl" stop -D "$DATA" -m fast -w -t 600 >/dev/null
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=
echo "   total $(( $(date +%s) - START ))s under valgrind"
if [ "$(md5sum <"$SO")" != "$SO_SUM" ]; then
    echo "WARNING: $SO was replaced during the run; backends started after that loaded the new one"
fi

echo "== valgrind errors"
# One block per error: from a "==PID== <message>" line to the next "==PID== " blank
# line. Only memcheck error kinds count (not headers, summaries, or a process
# killed by a signal). A block involves auditlog when it names auditlog.so or an
# auditlog source file (src/<name>.c, built with debug info) in any stack,
# including the origin stack of an uninitialised value.
ALL=$WORK/errors.txt
REL=$WORK/related.txt
for f in "$LOGS"/valgrind.*.log; do
    awk -v file="$f" '
        function flush() {
            if (blk != "" && blk ~ /\n==[0-9]+== +(at|by) 0x/ && \
                first ~ /^(Invalid |Conditional jump|Use of uninitialised|Syscall param|Mismatched free|Source and destination overlap|Argument .* of function|.*fishy|Jump to the invalid|Illegal memory pool|Attempt to)/)
                print blk "\n@@end@@"
            blk = ""; first = ""
        }
        /^--[0-9]+--/ { next }                 # valgrind warnings, not errors
        /^==[0-9]+== ?$/ { flush(); next }
        {
            if (blk == "") { first = $0; sub(/^==[0-9]+== /, "", first); blk = "[" file "]\n" $0 }
            else blk = blk "\n" $0
        }
        END { flush() }
    ' "$f"
done >"$ALL"
awk -v rel="$REL" '
    BEGIN { n = 0 }
    /^@@end@@$/ {
        body = blk; sub(/^[^\n]*\n/, "", body)    # not the [log file] line
        if (body ~ /auditlog|[ (\/]src\/(auditlog|outcome|labels|event|registry|trigger|summary|search|display)\.[ch]:[0-9]+/) {
            n++; printf "---- auditlog-related error %d\n%s\n", n, blk > rel
        }
        blk = ""; next
    }
    { blk = (blk == "" ? $0 : blk "\n" $0) }
' "$ALL"
total=$(grep -c '^@@end@@$' "$ALL" || true)
related=$(grep -c '^---- auditlog-related error' "$REL" 2>/dev/null || true)
related=${related:-0}
[ -f "$REL" ] && cat "$REL"

# The last ERROR SUMMARY of each log (with --show-error-list it is printed twice).
for f in "$LOGS"/valgrind.*.log; do grep 'ERROR SUMMARY' "$f" | tail -n 1; done >"$WORK/summaries.txt"
reported=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$WORK/summaries.txt" | awk '{s += $1} END {print s + 0}')
suppressed=$(sed -n 's/.*(suppressed: \([0-9]*\) from.*/\1/p' "$WORK/summaries.txt" | awk '{s += $1} END {print s + 0}')
nlogs=$(ls "$LOGS"/valgrind.*.log | wc -l)
cp "$ALL" "$LOGS/errors.txt"; [ -f "$REL" ] && cp "$REL" "$LOGS/auditlog-errors.txt"
echo "== summary"
echo "valgrind logs: $nlogs process logs in $LOGS"
echo "error blocks shown: $total (auditlog-related: $related, other: $((total - related)))"
echo "errors counted by valgrind (all occurrences): $reported reported, $suppressed suppressed"
if [ "$suppressed" -gt 0 ]; then
    echo "suppressions used (occurrences, name):"
    grep -h 'used_suppression:' "$LOGS"/valgrind.*.log |
        awk '{n[$4] += $3} END {for (k in n) printf "  %6d %s\n", n[k], k}' | sort -k2
fi
[ "$tests_failed" -eq 0 ] && echo "tests: passed" || echo "tests: SOME FAILED (see above)"
if [ "$related" -gt 0 ]; then
    echo "auditlog under valgrind: $related error(s) involving auditlog"
    exit 1
fi
echo "auditlog under valgrind: no error involves auditlog"
[ "$tests_failed" -eq 0 ] || exit 3
