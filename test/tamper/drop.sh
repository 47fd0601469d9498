#!/usr/bin/env bash
# test/tamper/drop.sh — the DROP guard where pgTAP cannot look: in sessions
# that never loaded the library, with auditlog.allow_drop given as
# PGOPTIONS, on an empty log, through pg_restore --clean; and on a 0.1.0
# database brought to 0.2.0, whose old events seal and verify. Against a
# server started by tools/tmpcluster.sh; TAP output.
source "$(dirname "$0")/lib.sh"
db=auditlog_drop
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# A session's first statement: the library is not loaded in it yet.
fresh_db $db
q -d $db -c "SELECT count(auditlog.log_event('auth.login', actor => 'Drop ' || i)) FROM generate_series(1, 3) i" >/dev/null
check "DROP EXTENSION auditlog, first statement of a session, is refused while there are events" \
      "cannot drop extension auditlog while its audit log holds events" \
      "$(error_of -d $db -c "DROP EXTENSION auditlog")"
check "DROP SCHEMA auditlog CASCADE too" \
      "cannot drop extension auditlog while its audit log holds events" \
      "$(error_of -d $db -c "DROP SCHEMA auditlog CASCADE")"
check "the events are still there" 3 "$(q -d $db -c "SELECT count(*) FROM auditlog.events")"

# pg_restore --clean drops the extension to create it again.
seal_all $db
pg_dump -Fc -d $db -f "$out/dump"
check "pg_restore --clean without auditlog.allow_drop stops at the refused drop" \
      "cannot drop extension auditlog while its audit log holds events" \
      "$(pg_restore --clean --if-exists --exit-on-error -d $db "$out/dump" 2>&1 | sed -n 's/^.*ERROR:  //p' | head -1)"
check "leaving the log as it was" "3|t" \
      "$(q -d $db -c "SELECT (SELECT count(*) FROM auditlog.events), bool_and(ok) FROM auditlog.verify()")"
q -d $db -c "SELECT * FROM auditlog.events ORDER BY id" > "$out/events_before"
q -d $db -c "SELECT * FROM auditlog.seals ORDER BY id" > "$out/seals_before"
PGOPTIONS='-c auditlog.allow_drop=on' pg_restore --clean --if-exists --exit-on-error -d $db "$out/dump" \
    && restored=yes || restored=no
check "with PGOPTIONS='-c auditlog.allow_drop=on', pg_restore --clean restores the database" yes "$restored"
check "every event comes back as it was" "$(cat "$out/events_before")" \
      "$(q -d $db -c "SELECT * FROM auditlog.events ORDER BY id")"
check "and every seal" "$(cat "$out/seals_before")" "$(q -d $db -c "SELECT * FROM auditlog.seals ORDER BY id")"
check "and they still verify" "t" "$(q -d $db -c "SELECT bool_and(ok) FROM auditlog.verify()")"
q -d $db -c "SELECT auditlog.log_event('auth.logout')" >/dev/null
seal_all $db
check "after the restore, new seals continue the chain" "t|2" \
      "$(q -d $db -c "SELECT bool_and(ok), count(*) FROM auditlog.verify()")"
check "the drop with auditlog.allow_drop on is in the server log" "1" \
      "$(log_count "auditlog: DROP EXTENSION auditlog in database \"$db\" by role \"$PGUSER\" drops the audit log and its events")"

# As the first statement of a session, allow_drop given on connection.
PGOPTIONS='-c auditlog.allow_drop=on' q -d $db -c "DROP EXTENSION auditlog" && dropped=yes || dropped=no
check "PGOPTIONS='-c auditlog.allow_drop=on' lets a session that never loaded the library drop it" yes "$dropped"

# An empty log goes at once.
q -d $db -c "CREATE EXTENSION auditlog" >/dev/null
q -d $db -c "DROP EXTENSION auditlog" && dropped=yes || dropped=no
check "an extension whose log holds no event is dropped without auditlog.allow_drop" yes "$dropped"

# A drop that waits for a transaction writing the first event sees that
# event once it commits, and is refused.
q -d $db -c "CREATE EXTENSION auditlog" >/dev/null
q -d $db -c "BEGIN" -c "SELECT auditlog.log_event('auth.login', actor => 'Late Writer')" \
    -c "SELECT pg_sleep(2)" -c "COMMIT" >/dev/null &
writer=$!
sleep 0.5
check "a drop that waited for the first event's transaction is refused once that commits" \
      "cannot drop extension auditlog while its audit log holds events" \
      "$(error_of -d $db -c "DROP EXTENSION auditlog")"
wait $writer
check "and the event is there" 1 "$(q -d $db -c "SELECT count(*) FROM auditlog.events WHERE actor = 'Late Writer'")"

# A 0.1.0 database, updated: guarded, and its old events seal.
psql -X -q -d postgres -c "DROP DATABASE $db" -c "CREATE DATABASE $db" >/dev/null
q -d $db -c "CREATE EXTENSION auditlog VERSION '0.1.0'" \
    -c "SELECT count(auditlog.log_event('auth.login', actor => 'Old ' || i)) FROM generate_series(1, 5) i" >/dev/null
q -d $db -c "ALTER EXTENSION auditlog UPDATE" >/dev/null
seal_all $db
check "after ALTER EXTENSION UPDATE, the 0.1.0 events are sealed and verify" "5|t" \
      "$(q -d $db -c "SELECT sum(events), bool_and(ok) FROM auditlog.verify()")"
check "and the log is guarded" "cannot drop extension auditlog while its audit log holds events" \
      "$(error_of -d $db -c "DROP EXTENSION auditlog")"

psql -X -q -d postgres -c "DROP DATABASE $db" >/dev/null
finish
