-- test/tap/trigger_first_statement.sql — the statement that loads auditlog.
--
-- Row events are queued and written by the executor hooks when a statement
-- ends; the statement during which the library is loaded started before
-- those hooks existed, so its triggers write their events at once. Either
-- way the next statement sees them. The setup is committed in one session,
-- the test runs in a fresh one whose first use of auditlog is a change to
-- a registered table, and the last session cleans up.
\set QUIET on
CREATE TABLE tap_first (id int PRIMARY KEY, v text);
SELECT auditlog.register_table('tap_first') \gset
\c
BEGIN;
INSERT INTO tap_first VALUES (1, 'a'), (2, 'b');
SELECT plan(3);
SELECT is((SELECT count(*) FROM auditlog.events WHERE action = 'tap_first.create'), 2::bigint,
          'the first statement of a session writes its events for the next one to see');
INSERT INTO tap_first VALUES (3, 'c');
SELECT is((SELECT count(*) FROM auditlog.events WHERE action = 'tap_first.create'), 3::bigint,
          'and so do the statements after it, through the hooks');
UPDATE tap_first SET v = 'z' WHERE id = 1;
SELECT is((SELECT details FROM auditlog.events WHERE action = 'tap_first.update'),
          '{"new": {"v": "z"}, "old": {"v": "a"}}'::jsonb,
          'an update in the same transaction too');
SELECT * FROM finish();
ROLLBACK;
\c
DROP TABLE tap_first;
