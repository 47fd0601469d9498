# test/restore/lib.sh -- what the restore tests share: sourced, not run. They
# run against the server of the PG* variables with the client programs of
# $PG_CONFIG, in databases of their own (auditlog_rt_*), and report as TAP
# ("ok N - what", "not ok N - what") so that a failure names the step.
BINDIR=$("${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}" --bindir)
PSQL="$BINDIR/psql"
PG_DUMP="$BINDIR/pg_dump"
PG_RESTORE="$BINDIR/pg_restore"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
n=0
failures=0

# psql_ db args...: psql quietly, stopping at the first error.
psql_() { local db=$1; shift; "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }
# value db sql: one value, unaligned.
value() { "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
# fresh db: an empty database of that name.
fresh() {
    "$PSQL" -X -q -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" 2>/dev/null
}
# check what command...: a TAP line for the command's success.
check() {
    local what=$1; shift
    n=$((n + 1))
    if "$@" >"$TMP/out" 2>&1; then
        echo "ok $n - $what"
    else
        echo "not ok $n - $what"
        sed 's/^/# /' "$TMP/out"
        failures=$((failures + 1))
    fi
}
# same what file1 file2: a TAP line for two files being equal.
same() { check "$1" diff -u "$2" "$3"; }
# contains what file text: a TAP line for a file holding a line with that text.
contains() { check "$1" grep -qF -- "$3" "$2"; }
# finish: the plan, and the exit status.
finish() {
    echo "1..$n"
    [ "$failures" -eq 0 ] || { echo "# $failures of $n failed"; exit 1; }
}
# allow_drop_options db: PGOPTIONS that let DROP EXTENSION auditlog through
# where the extension guards it (auditlog.allow_drop), nothing where not.
allow_drop_options() {
    if [ "$(value "$1" "SELECT auditlog.initials('x') IS NOT NULL AND EXISTS (SELECT 1 FROM pg_settings WHERE name = 'auditlog.allow_drop')")" = t ]; then
        echo "-c auditlog.allow_drop=on"
    fi
}
# events db: every event as the view shows it, in id order, one line each.
events() {
    value "$1" "SELECT concat_ws('|', id, occurred_at, actor, actor_id, action, resource_type, resource_id,
                                outcome, org_id, details, db_user, client_addr, application_name, txid)
                  FROM auditlog.events ORDER BY id"
}
