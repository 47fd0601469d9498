# test/tamper/lib.sh — what the shell tests of test/tamper share: psql, TAP
# output, a fresh database, sealing until caught up. Sourced, not run.
set -euo pipefail
cd "$(dirname "$0")/../.."

tests=0
failures=0

# psql with errors fatal, tuples only, unaligned.
q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

# The error psql prints for a statement that must fail (its ERROR line).
error_of() { psql -X -q -At "$@" 2>&1 >/dev/null | sed -n 's/^.*ERROR:  //p' | head -1; }

# check DESCRIPTION EXPECTED ACTUAL: one TAP line.
check() {
    tests=$((tests + 1))
    if [ "$2" == "$3" ]; then
        echo "ok $tests - $1"
    else
        failures=$((failures + 1))
        echo "not ok $tests - $1"
        echo "#   expected: $(printf '%s' "$2" | sed '2,$s/^/#             /')"
        echo "#   got:      $(printf '%s' "$3" | sed '2,$s/^/#             /')"
    fi
}

# skip DESCRIPTION WHY: a TAP line for a check this server cannot take.
skip() {
    tests=$((tests + 1))
    echo "ok $tests - $1 # SKIP $2"
}

# The plan, last (TAP allows it at the end); non-zero exit on any failure.
finish() {
    echo "1..$tests"
    [ "$failures" -eq 0 ]
}

# fresh_db NAME: an empty database with the extension.
fresh_db() {
    psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $1" \
         -c "CREATE DATABASE $1" >/dev/null
    q -d "$1" -c "SET client_min_messages = warning" -c "CREATE EXTENSION auditlog" >/dev/null
}

# seal_all DB: seal() until no event is left above the last seal (another
# transaction running beside it may hold a call back).
seal_all() {
    for _ in $(seq 1 100); do
        q -d "$1" -c "SELECT auditlog.seal()" >/dev/null
        [ "$(q -d "$1" -c "SELECT count(*) FROM auditlog.event_store
                            WHERE id > coalesce((SELECT max(last_id) FROM auditlog.seals), 0)")" = 0 ] && return 0
        sleep 0.1
    done
    echo "seal() does not catch up in $1" >&2
    return 1
}

# The server log, where the witness lines go (tools/tmpcluster.sh sets it).
server_log() { cat "$TMPCLUSTER_DATA/log/postgresql.log"; }

# How many lines of the server log match PATTERN (grep -F), once at least
# one does or after 5 s: the log collector writes a moment later.
log_count() {
    for _ in $(seq 1 50); do
        server_log | grep -qF -- "$1" && break
        sleep 0.1
    done
    server_log | grep -cF -- "$1" || true
}
