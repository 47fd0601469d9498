#!/usr/bin/env bash
# test/restore/clean_long_session.sh -- long-lived sessions keep working while,
# in another session, the extension is dropped and created again, and while
# pg_restore --clean restores a dump over the database: a dashboard's,
# which only ever reads (search(), event_count(), filter_options()), and an
# application's, which writes (log_event(), a registered table). Their
# cached plans, types and dictionary ids are forgotten and made again, so
# that they answer from the new objects, with no "cache lookup failed".
# Run by tools/suite.sh against the server of the PG* variables.
set -uo pipefail
cd "$(dirname "$0")/../.."
. test/restore/lib.sh

db=auditlog_rt_clean
fresh $db
psql_ $db -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION auditlog' >/dev/null
psql_ $db >/dev/null <<'SQL'
SELECT auditlog.log_event('auth.login', actor => 'John Doe', org_id => 'acme');
SELECT auditlog.log_event('report.export', 'report', 'r-1', 'denied', actor => 'Jane Roe');
CREATE TABLE connection (id int PRIMARY KEY, name text);
SELECT auditlog.register_table('connection');
INSERT INTO connection VALUES (1, 'CRM');
SELECT auditlog.summarize();
SQL
"$PG_DUMP" -Fc -d $db -f "$TMP/clean.dump"
opts=$(allow_drop_options $db)

# The long-lived sessions: psql reading statements from a fifo, their
# output in a file; ask session sql runs a batch and waits for its marker.
for who in dashboard app; do
    mkfifo "$TMP/$who.in"
    "$PSQL" -X -q -At -d $db <"$TMP/$who.in" >"$TMP/$who.out" 2>&1 &
done
exec 3>"$TMP/dashboard.in" 4>"$TMP/app.in"
batch=0
ask() {
    local who=$1 fd seen
    [ "$who" = dashboard ] && fd=3 || fd=4
    seen=$(wc -l <"$TMP/$who.out")
    batch=$((batch + 1))
    printf '%s\n\\echo @@done %s\n' "$2" "$batch" >&$fd
    for _ in $(seq 1 3000); do
        grep -q "^@@done $batch\$" "$TMP/$who.out" && break
        sleep 0.1
    done
    tail -n +"$((seen + 1))" "$TMP/$who.out" | grep -v '^@@done' >"$TMP/batch"
}
READS="SELECT 'search ' || count(*) FROM auditlog.search(outcome => 'denied', page_size => 10);
SELECT 'count ' || auditlog.event_count(actor => 'John Doe', outcome => 'success');
SELECT 'days ' || auditlog.event_count(outcome => 'denied', from_date => '2020-01-01');
SELECT 'options ' || count(*) FROM auditlog.filter_options();"
WRITES="SELECT 'logged ' || (auditlog.log_event('dashboard.view', actor => 'John Doe', org_id => 'acme') > 0);
INSERT INTO connection VALUES ((SELECT coalesce(max(id), 0) + 1 FROM connection), 'row');
SELECT 'row events ' || count(*) FROM auditlog.events WHERE action = 'connection.create';"

ask dashboard "$READS"
cp "$TMP/batch" "$TMP/first"
check 'the dashboard'"'"'s long-lived session answers before anything happens' grep -q '^search 1$' "$TMP/first"
ask app "$WRITES"
check 'and so does the application'"'"'s' grep -q '^logged true$' "$TMP/batch"

# DROP EXTENSION and CREATE EXTENSION in another session, then register again.
PGOPTIONS="$opts" psql_ $db -c 'SET client_min_messages = warning' -c 'DROP EXTENSION auditlog CASCADE' \
    -c 'CREATE EXTENSION auditlog' -c "SELECT auditlog.register_table('connection')" \
    -c "SELECT auditlog.log_event('report.export', 'report', 'r-2', 'denied', actor => 'Jane Roe')" >/dev/null
ask dashboard "$READS"
cp "$TMP/batch" "$TMP/recreated"
check 'after DROP/CREATE EXTENSION elsewhere: no error in the dashboard'"'"'s session' \
    bash -c "! grep -q 'ERROR' '$TMP/recreated'"
check 'search() sees the new log' grep -q '^search 1$' "$TMP/recreated"
check 'event_count() too (John Doe has no event in it yet)' grep -q '^count 0$' "$TMP/recreated"
check 'and event_count() by day' grep -q '^days 1$' "$TMP/recreated"
ask app "$WRITES"
cp "$TMP/batch" "$TMP/recreated_app"
check 'no error in the application'"'"'s session' bash -c "! grep -q 'ERROR' '$TMP/recreated_app'"
check 'log_event() writes into the new log' grep -q '^logged true$' "$TMP/recreated_app"
check 'and the row trigger writes into it' grep -q '^row events 1$' "$TMP/recreated_app"

# pg_restore --clean of the dump, over the database, in another session.
PGOPTIONS="$opts" "$PG_RESTORE" --clean --if-exists -d $db "$TMP/clean.dump" >"$TMP/restore" 2>&1
check 'pg_restore --clean --if-exists reports no error' bash -c "! grep -q 'error' '$TMP/restore'"
ask dashboard "$READS"
cp "$TMP/batch" "$TMP/restored"
check 'after pg_restore --clean elsewhere: no error in the dashboard'"'"'s session' \
    bash -c "! grep -q 'ERROR' '$TMP/restored'"
check 'search() sees the restored log' grep -q '^search 1$' "$TMP/restored"
check 'event_count() counts the restored events' grep -q '^count 1$' "$TMP/restored"
ask app "$WRITES"
cp "$TMP/batch" "$TMP/restored_app"
check 'no error in the application'"'"'s session' bash -c "! grep -q 'ERROR' '$TMP/restored_app'"
check 'the restored table is audited again, in the application'"'"'s session' grep -q '^row events 2$' "$TMP/restored_app"
check 'the restored log has no id twice' \
    test "$(value $db "SELECT count(*) = count(DISTINCT id) FROM auditlog.event_store")" = t

exec 3>&- 4>&-
wait
"$PSQL" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db"
finish
