#!/usr/bin/env bash
# test/tamper/purge.sh — purges and tampering: a purge keeps the evidence of
# a change made behind the triggers (it refuses to remove events of a seal
# that no longer verifies, and removes nothing); a purge record edited behind
# the triggers (a digest, a count, a record deleted) breaks exactly its seal
# in verify(); a purge is also a line in the server log. Against the server
# of the PG* variables; TAP output.
source "$(dirname "$0")/lib.sh"
db=auditlog_tamper_purge
fresh_db $db

# Three seals of 20 events each over January to March 2025; org-1 on hold.
for m in 1 2 3; do
    q -d $db -c "SELECT count(auditlog.import_event(('2025-0$m-01 00:00+00')::timestamptz + i * interval '1 hour',
                                                    'auth.login', actor => 'Actor $m',
                                                    org_id => 'org-' || (i % 2)))
                   FROM generate_series(1, 20) i" >/dev/null
    seal_all $db
done
check "three seals" 3 "$(q -d $db -c "SELECT count(*) FROM auditlog.seals")"

unguard() { # SQL...: run behind every trigger and event trigger, as a superuser can
    q -d $db >/dev/null <<SQL
DO \$\$
DECLARE t record;
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
$1
DO \$\$
DECLARE t record;
BEGIN
    -- every guard is ENABLE ALWAYS; the event store's row guard is the
    -- parent's, and enabling it there enables its partitions' clones too
    FOR t IN SELECT g.tgrelid::regclass AS rel, g.tgname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
              WHERE c.relnamespace = 'auditlog'::regnamespace AND NOT g.tgisinternal AND g.tgparentid = 0 LOOP
        EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', t.rel, t.tgname);
    END LOOP;
    FOR t IN SELECT evtname FROM pg_event_trigger LOOP
        EXECUTE format('ALTER EVENT TRIGGER %I ENABLE ALWAYS', t.evtname);
    END LOOP;
END
\$\$;
SQL
}

# An event of seal 1 edited: the purge that would remove it refuses.
edited=$(q -d $db -c "SELECT min(id) + 3 FROM auditlog.event_store e WHERE e.id BETWEEN 1 AND
                        (SELECT last_id FROM auditlog.seals WHERE id = 1)")
orig=$(q -d $db -c "SELECT details FROM auditlog.event_store WHERE id = $edited")
unguard "UPDATE auditlog.event_store SET details = '{\"forged\": true}' WHERE id = $edited;"
before=$(q -d $db -c "SELECT count(*) FROM auditlog.event_store")
err=$(error_of -d $db -c "SELECT auditlog.purge('2025-02-01 00:00+00')" || true)
check "a purge that would remove events of a broken seal refuses" \
      "auditlog.purge() keeps the events of seal 1: it does not verify" "$err"
check "and removes nothing" "$before" "$(q -d $db -c "SELECT count(*) FROM auditlog.event_store")"
check "it leaves no purge event" 0 "$(q -d $db -c "SELECT count(*) FROM auditlog.events WHERE action = 'auditlog.purge'")"
unguard "UPDATE auditlog.event_store SET details = '$orig' WHERE id = $edited;"
check "put back, the seal verifies again" "1|t" "$(q -d $db -c "SELECT seal_id, ok FROM auditlog.verify(1, 1)")"

# A purge with a hold: seal 2 loses part of its events, seal 1 too.
q -d $db -c "SELECT auditlog.hold('org-1', 'tamper test')" >/dev/null
removed=$(q -d $db -c "SELECT auditlog.purge('2025-03-01 00:00+00')")
check "the purge removes the unheld events of January and February" 20 "$removed"
check "verify() passes after it" "3|3" "$(q -d $db -c "SELECT count(*), count(*) FILTER (WHERE ok) FROM auditlog.verify()")"
# (the log of a tools/tmpcluster.sh server; tools/valgrind.sh keeps its own elsewhere)
server_log_file="${TMPCLUSTER_DATA:-/nonexistent}/log/postgresql.log"
if [ -r "$server_log_file" ]; then
    check "the purge is a line in the server log" 1 \
          "$(grep -c "auditlog: purge of the events before 2025-03-01 00:00:00+00 removed 20 events (20 kept on hold)" \
                 "$server_log_file" || true)"
else
    skip "the purge is a line in the server log" "no readable server log at $server_log_file"
fi

# Behind the triggers: one record's digest flipped, another's count changed.
unguard "UPDATE auditlog.seal_purges SET removed = set_byte(removed, 19, 255 - get_byte(removed, 19)) WHERE seal_id = 1;
         UPDATE auditlog.seal_purges SET events = events + 1 WHERE seal_id = 2;"
check "a flipped digest in a purge record breaks its seal" \
      "1|f|event changed: the content of its events is not the one sealed (or a dictionary string they show, or a purge record of it)" \
      "$(q -d $db -c "SELECT seal_id, ok, problem FROM auditlog.verify(1, 1)")"
check "a purge record's count changed breaks its seal" \
      "2|f|purge record edited: its digests are not those of the events it removed" \
      "$(q -d $db -c "SELECT seal_id, ok, problem FROM auditlog.verify(2, 2)")"
check "and no other seal" "3|t" "$(q -d $db -c "SELECT seal_id, ok FROM auditlog.verify(3, 3)")"

# A purge record deleted: its events count as removed by hand.
unguard "DELETE FROM auditlog.seal_purges WHERE seal_id = 1;"
check "a deleted purge record shows its events as removed" \
      "1|f|10 events removed:" \
      "$(q -d $db -c "SELECT seal_id, ok, split_part(problem, ' ', 1) || ' ' || split_part(problem, ' ', 2) || ' ' || split_part(problem, ' ', 3) FROM auditlog.verify(1, 1)")"

# Seal 3's events deleted, and purge records forged whose counts add up to
# its 20 only past the largest bigint: (2^63 - 1) * 2 + 22 wraps to 20.
unguard "DELETE FROM auditlog.event_store e
          WHERE e.id BETWEEN (SELECT first_id FROM auditlog.seals WHERE id = 3)
                         AND (SELECT last_id FROM auditlog.seals WHERE id = 3);
         INSERT INTO auditlog.seal_purges VALUES (3, -3, 9223372036854775807, NULL),
                                                 (3, -2, 9223372036854775807, NULL),
                                                 (3, -1, 22, NULL);"
check "forged purge counts that wrap around break their seal" \
      "3|f|purge record edited: it removes more events than a seal can hold" \
      "$(q -d $db -c "SELECT seal_id, ok, problem FROM auditlog.verify(3, 3)")"

q -d postgres -c "DROP DATABASE $db" >/dev/null
finish
