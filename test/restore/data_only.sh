#!/usr/bin/env bash
# test/restore/data_only.sh -- pg_restore --schema-only, then --data-only, of a
# database with events and registered tables (one in a schema that sorts
# before auditlog, one partitioned): with and without --disable-triggers;
# what a write meets between the two steps; a --data-only restore into a
# database that already has events, or twice. Every event comes back with
# its id and labels, no id is used twice, the id sequences continue after
# the restored rows, the guards stay ENABLE ALWAYS, an edited description
# of a built-in action survives, and auditing goes on. Run by tools/suite.sh
# against the server of the PG* variables.
set -uo pipefail
cd "$(dirname "$0")/../.."
. test/restore/lib.sh

src=auditlog_rt_src
fresh $src
psql_ $src -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION auditlog' >/dev/null
psql_ $src >/dev/null <<'SQL'
SET client_min_messages = warning;
SELECT auditlog.log_event('auth.login', actor => 'John Doe', actor_id => 'u-1', org_id => 'acme');
SELECT auditlog.log_event('credential.token_refresh', 'connection', 'c-1', 'failure', actor => 'system');
UPDATE auditlog.action_types SET description = 'Signed in (our words)' WHERE action = 'auth.login';
CREATE SCHEMA app;
CREATE TABLE app.account (id int PRIMARY KEY, name text, secret text);
SELECT auditlog.register_table('app.account', redact_columns => '{secret}');
CREATE TABLE connection (id int PRIMARY KEY, name text, token text, org text);
SELECT auditlog.register_table('connection', redact_columns => '{token}', org_column => 'org');
CREATE TABLE reading (id int, region text, v int, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE reading_eu PARTITION OF reading FOR VALUES IN ('eu');
SELECT auditlog.register_table('reading', 'measurement');
INSERT INTO app.account VALUES (1, 'Ann', 's');
INSERT INTO connection VALUES (1, 'CRM', 't', 'acme'), (2, 'ERP', 't', 'globex');
UPDATE connection SET name = 'CRM EU' WHERE id = 1;
INSERT INTO reading VALUES (1, 'eu', 10);
SQL
"$PG_DUMP" -Fc -d $src -f "$TMP/src.dump"
events $src >"$TMP/src_events"
max_src=$(value $src "SELECT max(id) FROM auditlog.event_store")

# after_restore db: the checks every correct restore passes.
after_restore() {
    local db=$1 what=$2
    events "$db" | head -n "$(wc -l <"$TMP/src_events")" >"$TMP/events_$db"
    same "$what: the source's events come back first, with their ids, labels and details" "$TMP/src_events" "$TMP/events_$db"
    check "$what: search() and event_count() see every one of them at once" \
        test "$(value "$db" "SELECT auditlog.event_count() = count(*) AND (SELECT count(*) FROM auditlog.search(page_size => 10000)) = count(*) FROM auditlog.event_store")" = t
    check "$what: no event id is used twice" \
        test "$(value "$db" "SELECT count(*) = count(DISTINCT id) FROM auditlog.event_store")" = t
    check "$what: events written during the restore come after the restored ones" \
        test "$(value "$db" "SELECT coalesce(min(id), $max_src + 1) > $max_src FROM auditlog.events WHERE id NOT IN (SELECT id FROM auditlog.events ORDER BY id LIMIT $(wc -l <"$TMP/src_events"))")" = t
    local new_id
    new_id=$(value "$db" "SELECT auditlog.log_event('restore.check')")
    check "$what: a new event gets an id after every other" \
        test "$(value "$db" "SELECT max(id) < $new_id FROM auditlog.event_store WHERE id <> $new_id")" = t
    check "$what: a new label gets an id of its own" \
        test "$(value "$db" "SELECT auditlog.log_event('restore.check', actor => 'Someone New') > 0 AND (SELECT count(*) = count(DISTINCT id) FROM auditlog.labels)")" = t
    check "$what: the edited description of a built-in action survived" \
        test "$(value "$db" "SELECT description FROM auditlog.action_types WHERE action = 'auth.login'")" = 'Signed in (our words)'
    check "$what: the guards are ENABLE ALWAYS" \
        test "$(value "$db" "SELECT string_agg(DISTINCT tgenabled::text, '') FROM pg_trigger WHERE tgrelid::regclass::text LIKE 'auditlog.%'")" = A
    check "$what: under session_replication_role = replica, DELETE of events is still refused" \
        bash -c "! \"$PSQL\" -X -q -d $db -c 'SET session_replication_role = replica' -c 'DELETE FROM auditlog.event_store' 2>/dev/null"
    check "$what: every registered table is back and active" \
        test "$(value "$db" "SELECT string_agg(table_name::text || ':' || active, ',' ORDER BY table_name::text) FROM auditlog.registered_tables")" = 'app.account:true,connection:true,reading:true'
    check "$what: changes after the restore are events, redacted" \
        test "$(value "$db" "INSERT INTO connection VALUES (9, 'New', 'secret-token', 'acme') RETURNING (SELECT 1)" >/dev/null; \
                value "$db" "SELECT details FROM auditlog.events WHERE action = 'connection.create' AND resource_id = '9'")" \
             = '{"new": {"id": 9, "org": "acme", "name": "New"}, "redacted": ["token"]}'
}

# schema_only db: the schema of the dump alone.
schema_only() { fresh "$1"; "$PG_RESTORE" --schema-only -d "$1" "$TMP/src.dump"; }

# Between --schema-only and --data-only: the registry is data, so a write to
# a registered table fails, with a hint that names it right.
db=auditlog_rt_between
schema_only $db
"$PSQL" -X -q -d $db -c "INSERT INTO connection VALUES (5, 'x', 'y', 'z')" >"$TMP/between" 2>&1
contains 'between the steps: a write to a registered table fails, saying why' "$TMP/between" \
    'ERROR:  table public.connection has auditlog'"'"'s trigger but is not registered'
contains 'and the hint quotes the name to pass' "$TMP/between" \
    "SELECT auditlog.register_table('public.connection')"
"$PSQL" -X -q -d $db -c "INSERT INTO reading VALUES (5, 'eu', 1)" >"$TMP/between_part" 2>&1
contains 'for a partition, the message names its partitioned table, which is what may be registered' \
    "$TMP/between_part" "SELECT auditlog.register_table('public.reading')"

# --data-only after --schema-only, as the hint says: auditlog's data first.
db=auditlog_rt_two_steps
schema_only $db
check 'data-only, auditlog first: pg_restore --data-only --schema=auditlog succeeds' \
    "$PG_RESTORE" --data-only --schema=auditlog --exit-on-error -d $db "$TMP/src.dump"
check 'then pg_restore --data-only --exclude-schema=auditlog succeeds' \
    "$PG_RESTORE" --data-only --exclude-schema=auditlog --exit-on-error -d $db "$TMP/src.dump"
after_restore $db 'data-only in two steps'
check 'data-only in two steps: the restored rows of registered tables are events of the restore' \
    test "$(value $db "SELECT count(*) FROM auditlog.events WHERE id > $max_src AND application_name = 'pg_restore'")" = 4

# --data-only in one go: every table but the one whose schema sorts before
# auditlog (its rows arrive before the registry), which fails with the hint.
db=auditlog_rt_one_step
schema_only $db
"$PG_RESTORE" --data-only -d $db "$TMP/src.dump" >"$TMP/one_step" 2>&1
contains 'data-only in one step: the table restored before the registry fails, with the way out' "$TMP/one_step" \
    'HINT:  Restore auditlog'"'"'s data first (pg_restore --data-only --schema=auditlog)'
contains 'and it is the only error' "$TMP/one_step" 'errors ignored on restore: 1'
check 'the other tables and auditlog'"'"'s own are restored' \
    test "$(value $db "SELECT count(*) FROM connection") $(value $db "SELECT count(*) FROM auditlog.registry")" = '2 3'
"$PG_RESTORE" --data-only --table=account -d $db "$TMP/src.dump"
after_restore $db 'data-only in one step, then the missing table'

# --data-only --disable-triggers: no row events; the guards come back
# ENABLE ALWAYS; switching the registered tables' triggers off and on is on
# the record.
db=auditlog_rt_disable
schema_only $db
"$PG_RESTORE" --data-only --disable-triggers -d $db "$TMP/src.dump" >"$TMP/disable" 2>&1
check 'data-only --disable-triggers: pg_restore reports no error' bash -c "! grep -q 'pg_restore: error' '$TMP/disable'"
# (pg_restore does not show the server's warnings; the server log has them)
if [ -n "${TMPCLUSTER_DATA:-}" ] && [ -r "$TMPCLUSTER_DATA/log/postgresql.log" ]; then
    contains 'the server log has the superuser changing auditlog'"'"'s triggers' "$TMPCLUSTER_DATA/log/postgresql.log" \
        'WARNING:  ALTER TABLE auditlog.event_store, in the schema of extension auditlog, by superuser'
    contains 'and auditing switched off for the loading' "$TMPCLUSTER_DATA/log/postgresql.log" \
        'WARNING:  auditing of table public.connection is switched off'
fi
after_restore $db 'data-only --disable-triggers'
check 'data-only --disable-triggers: the restored rows are no events, the switches are' \
    test "$(value $db "SELECT string_agg(DISTINCT action, ',' ORDER BY action) FROM auditlog.events WHERE id > $max_src AND application_name = 'pg_restore'")" \
         = 'auditlog.auditing_off,auditlog.auditing_on'

# --data-only into a database whose log already has events: refused, and
# nothing of it is mixed in.
db=auditlog_rt_live
schema_only $db
value $db "SELECT auditlog.log_event('already.here')" >/dev/null
events $db >"$TMP/live_before"
"$PG_RESTORE" --data-only -d $db "$TMP/src.dump" >"$TMP/live" 2>&1
contains 'data-only into a log with events of its own: refused' "$TMP/live" \
    'already holds rows written in this database'
contains 'with the hint' "$TMP/live" "HINT:  Restore auditlog's data into a database whose log is empty"
events $db >"$TMP/live_after"
check 'and no event of the dump is in its log (only its own, and those of the rows pg_restore wrote)' \
    test "$(value $db "SELECT count(*) FROM auditlog.events WHERE application_name IS DISTINCT FROM 'pg_restore'")" = 1
check 'no id is used twice' test "$(value $db "SELECT count(*) = count(DISTINCT id) FROM auditlog.event_store")" = t

# The same data restored a second time: refused too.
db=auditlog_rt_twice
schema_only $db
"$PG_RESTORE" --data-only --schema=auditlog -d $db "$TMP/src.dump"
# (the events are the rows of the event store's partitions: here the default one)
"$PG_RESTORE" --data-only --schema=auditlog --table=event_store_default -d $db "$TMP/src.dump" >"$TMP/twice" 2>&1
contains 'the events restored a second time: refused' "$TMP/twice" 'is already in auditlog.event_store'
check 'and not duplicated' test "$(value $db "SELECT count(*) = count(DISTINCT id) FROM auditlog.event_store")" = t

for db in $src auditlog_rt_between auditlog_rt_two_steps auditlog_rt_one_step auditlog_rt_disable \
          auditlog_rt_live auditlog_rt_twice; do
    "$PSQL" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db"
done
finish
