#!/usr/bin/env bash
# test/tamper/tamper.sh — a superuser who first disables every trigger and
# event trigger changes the log behind them: edits an event, deletes one,
# inserts one where none was and one with an id that exists, edits a label
# and an action, edits a seal's count and another's range, deletes one,
# rewrites a link. verify() says what changed, on exactly the seals it
# breaks, and every other seal stays ok. Against the server of the PG*
# variables; TAP output.
source "$(dirname "$0")/lib.sh"
db=auditlog_tamper
fresh_db $db

# Twelve seals of five events each. Seal k holds the events of 'Actor k';
# seal 4 also has a gap (an event rolled back), seal 8 the only events of
# action tamper.eight.
for k in $(seq 1 12); do
    action=auth.login
    [ "$k" = 8 ] && action=tamper.eight
    q -d $db -c "SELECT count(auditlog.log_event('$action', actor => 'Actor $k', details => jsonb_build_object('n', i)))
                   FROM generate_series(1, 5) i" >/dev/null
    if [ "$k" = 4 ]; then
        q -d $db -c "BEGIN" -c "SELECT auditlog.log_event('auth.login', actor => 'Actor 4')" -c "ROLLBACK" >/dev/null
        q -d $db -c "SELECT auditlog.log_event('auth.logout', actor => 'Actor 4')" >/dev/null
    fi
    seal_all $db
done
check "twelve seals are made" 12 "$(q -d $db -c "SELECT count(*) FROM auditlog.seals")"
check "seal 4 has one gap" "1" "$(q -d $db -c "SELECT array_length(gaps, 1) FROM auditlog.seals WHERE id = 4")"
check "before any change, verify() finds every seal ok" "12|12" \
      "$(q -d $db -c "SELECT count(*), count(*) FILTER (WHERE ok AND problem IS NULL) FROM auditlog.verify()")"

# The ids the changes below use.
id_in() { q -d $db -c "SELECT min(e.id) + ${2:-0} FROM auditlog.event_store e JOIN auditlog.seals s ON s.id = $1
                        WHERE e.id BETWEEN s.first_id AND s.last_id"; }
edited=$(id_in 2 1)
deleted=$(id_in 3 2)
gap=$(q -d $db -c "SELECT gaps[1][1] FROM auditlog.seals WHERE id = 4")
dup=$(id_in 9 3)
range7=$(q -d $db -c "SELECT first_id || ' to ' || last_id FROM auditlog.seals WHERE id = 7")

# Behind every trigger and event trigger, as a superuser can.
q -d $db >/dev/null <<SQL
DO \$\$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT evtname FROM pg_event_trigger LOOP
        EXECUTE format('ALTER EVENT TRIGGER %I DISABLE', t.evtname);
    END LOOP;
    FOR t IN SELECT c.oid::regclass AS rel FROM pg_class c
              WHERE c.relnamespace = 'auditlog'::regnamespace AND c.relkind = 'r' LOOP
        EXECUTE format('ALTER TABLE %s DISABLE TRIGGER ALL', t.rel);
    END LOOP;
END
\$\$;
-- seal 2: an event's details
UPDATE auditlog.event_store SET details = '{"n": 99}' WHERE id = $edited;
-- seal 3: an event removed
DELETE FROM auditlog.event_store WHERE id = $deleted;
-- seal 4: an event added where the rolled-back one was
INSERT INTO auditlog.event_store
SELECT $gap, occurred_at, txid, action_ref, actor_ref, actor_id_ref, resource_type_ref, org_ref,
       db_user_ref, application_ref, outcome, client_addr, resource_id, details
  FROM auditlog.event_store WHERE id = $edited - 1;
-- seal 5: the label of its actor
UPDATE auditlog.labels SET label = 'Actor Five' WHERE label = 'Actor 5';
-- seal 6: its own count
UPDATE auditlog.seals SET events = events - 1 WHERE id = 6;
-- seal 7: removed
DELETE FROM auditlog.seals WHERE id = 7;
-- seal 8: the name of its action
UPDATE auditlog.action_types SET action = 'tamper.eighth' WHERE action = 'tamper.eight';
-- seal 9: a second event with an id that has one
INSERT INTO auditlog.event_store SELECT * FROM auditlog.event_store WHERE id = $dup;
-- seal 10: chained to another seal
UPDATE auditlog.seals SET prev_hash = (SELECT hash FROM auditlog.seals WHERE id = 8) WHERE id = 10;
-- seal 11: its range, into seal 12's
UPDATE auditlog.seals SET last_id = last_id + 2 WHERE id = 11;
-- no seal: an action's description, which no event shows
UPDATE auditlog.action_types SET description = 'Edited' WHERE action = 'auth.login';
SQL

check "verify() names exactly the broken seals, and what broke each" \
"1|t|
2|f|event changed: the content of its events is not the one sealed
3|f|event $deleted removed
4|f|event $gap added
5|f|dictionary string changed: a label or action its events show is not the one sealed
6|f|seal edited: its hash is not the hash of its fields
7|f|seal 7 missing: no seal covers the 5 events of ids $range7
8|f|dictionary string changed: a label or action its events show is not the one sealed
9|f|event $dup added
10|f|seal edited: its hash is not the hash of its fields; chain broken: prev_hash is not the hash of seal 9
11|f|seal edited: its hash is not the hash of its fields
12|t|" \
"$(q -d $db -c "SELECT seal_id, ok, problem FROM auditlog.verify() ORDER BY seal_id")"

check "a range of seals is checked on its own: seals 8 and 9" \
"8|f
9|f" "$(q -d $db -c "SELECT seal_id, ok FROM auditlog.verify(8, 9)")"
check "from a removed seal on: its row first" "7|f|5" \
      "$(q -d $db -c "SELECT seal_id, ok, events FROM auditlog.verify(7, 7)")"
check "the seal after a removed one is not blamed for it" "0" \
      "$(q -d $db -c "SELECT count(*) FROM auditlog.verify(8) WHERE problem LIKE '%seal 7%'")"

# Seals go on after a change, and the new ones are sound: the chain head is
# what they chain to, whatever happened below it.
q -d $db -c "SELECT auditlog.log_event('auth.login', actor => 'After')" >/dev/null
seal_all $db
check "a seal made after the changes is ok" "t" \
      "$(q -d $db -c "SELECT ok FROM auditlog.verify() ORDER BY seal_id DESC LIMIT 1")"

# sealed_db DB: a new database with three events, sealed
sealed_db() {
    fresh_db "$1"
    q -d "$1" -c "SELECT count(auditlog.log_event('auth.login')) FROM generate_series(1, 3)" >/dev/null
    seal_all "$1"
}
# behind_guards DB < SQL: the SQL with the event triggers (the DDL guard
# would put the restore triggers back at once) and event_store's triggers off
behind_guards() {
    { cat <<'SQL'
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT evtname FROM pg_event_trigger LOOP
        EXECUTE format('ALTER EVENT TRIGGER %I DISABLE', t.evtname);
    END LOOP;
END
$$;
ALTER TABLE auditlog.event_store DISABLE TRIGGER ALL;
SQL
      cat; } | q -d "$1" >/dev/null
}

# An event forged below the first seal's first id breaks seal 1.
sealed_db ${db}_first
behind_guards ${db}_first <<'SQL'
INSERT INTO auditlog.event_store SELECT 0, occurred_at, txid, action_ref, actor_ref, actor_id_ref,
       resource_type_ref, org_ref, db_user_ref, application_ref, outcome, client_addr, resource_id, details
  FROM auditlog.event_store WHERE id = 1;
SQL
check "an event with an id below every seal is seen by seal 1" "1|f|event 0 added" \
      "$(q -d ${db}_first -c "SELECT seal_id, ok, problem FROM auditlog.verify()")"

# The newest seal's hash set to NULL (its NOT NULL dropped first): the next
# seal() is the error that says so, not a crash.
q -d ${db}_first -c "SELECT auditlog.log_event('auth.logout')" >/dev/null
q -d ${db}_first >/dev/null 2>&1 <<'SQL'
ALTER TABLE auditlog.seals DISABLE TRIGGER ALL;
ALTER TABLE auditlog.seals ALTER hash DROP NOT NULL;
UPDATE auditlog.seals SET hash = NULL WHERE id = (SELECT max(id) FROM auditlog.seals);
SQL
check "seal() after the newest seal's hash was set to NULL: an error, not a crash" \
      "the newest seal, 1, has no valid hash" "$(error_of -d ${db}_first -c "SELECT auditlog.seal()")"

# An event's outcome (NOT NULL dropped first) set to NULL breaks its seal:
# a NULL is hashed as NULL, not as the first outcome.
sealed_db ${db}_null
behind_guards ${db}_null <<'SQL'
ALTER TABLE auditlog.event_store ALTER outcome DROP NOT NULL;
UPDATE auditlog.event_store SET outcome = NULL WHERE id = (SELECT min(id) FROM auditlog.event_store);
SQL
check "an outcome set to NULL breaks its seal" \
      "1|f|event changed: the content of its events is not the one sealed" \
      "$(q -d ${db}_null -c "SELECT seal_id, ok, problem FROM auditlog.verify()")"

# The event sequence set far ahead (not tampering: setval is its owner's
# right): seal() goes over the run of ids without events at once, and the
# seal verifies; ids up to the end of the bigint range too.
fresh_db ${db}_gap
q -d ${db}_gap -c "SELECT auditlog.log_event('auth.login')" \
      -c "SELECT setval('auditlog.event_store_id_seq', 4000000000000000000)" \
      -c "SELECT count(auditlog.log_event('auth.login')) FROM generate_series(1, 2)" >/dev/null
check "seal() over 4e18 ids without events: at once, one seal of three events" "3" \
      "$(timeout 60 psql -X -q -At -d ${db}_gap -c "SELECT auditlog.seal()")"
q -d ${db}_gap -c "SELECT setval('auditlog.event_store_id_seq', 9223372036854775805)" \
      -c "SELECT auditlog.log_event('auth.logout')" >/dev/null
q -d ${db}_gap -c "BEGIN" -c "SELECT auditlog.log_event('auth.logout')" -c "ROLLBACK" >/dev/null
check "and up to the last bigint, with a rolled-back id at the end as its gap" "4|true" \
      "$(timeout 60 psql -X -q -At -d ${db}_gap -c "SELECT auditlog.seal()" \
           -c "SELECT (SELECT sum(events) FROM auditlog.seals) || '|' || bool_and(ok) FROM auditlog.verify()" | tail -1)"

psql -X -q -d postgres -c "DROP DATABASE $db" -c "DROP DATABASE ${db}_first" -c "DROP DATABASE ${db}_null" \
     -c "DROP DATABASE ${db}_gap" >/dev/null
finish
