-- test/tap/seal.sql — auditlog.seal(): the committed events after the last
-- seal are sealed in id ranges that follow each other from id 1, each seal
-- chained to the one before; ids with no event are recorded as gaps; the
-- seals are append-only, dumped, and sealing is granted to no one.
BEGIN;
SELECT plan(32);
\ir setup/common.sql
\ir setup/roles.sql
\ir setup/seals.sql

---------------------------------------------------------------------------
-- Nothing to seal: no seal.
---------------------------------------------------------------------------
SELECT is(pg_temp.seal_all(), 0::bigint, 'with no event after the last seal, seal() seals nothing');
SELECT is((SELECT count(*) FROM auditlog.seals), 0::bigint, 'and makes no seal');

---------------------------------------------------------------------------
-- The first seal covers every id from 1.
---------------------------------------------------------------------------
SELECT auditlog.log_event('auth.login', actor => 'Seal One') AS e1,
       auditlog.log_event('auth.logout', actor => 'Seal One') AS e2,
       auditlog.import_event('2020-02-29 12:00:00+00', 'auth.login', actor => 'Seal Imported') AS e3 \gset
SELECT is(pg_temp.seal_all(), 3::bigint, 'seal() returns how many events it sealed, imported ones included');
SELECT results_eq($$SELECT id, first_id, prev_hash IS NULL FROM auditlog.seals$$,
                  $$VALUES (1::bigint, 1::bigint, true)$$,
                  'the first seal is seal 1, starts at id 1 and has no prev_hash');
SELECT ok((SELECT sum(events) = 3 AND max(last_id) >= :e3 FROM auditlog.seals),
          'the seals cover the three events');
SELECT is((SELECT gaps FROM auditlog.seals WHERE :e1 BETWEEN first_id AND last_id),
          (SELECT CASE WHEN :e1 > first_id THEN ARRAY[[first_id, :e1 - 1]] ELSE '{}'::bigint[] END
             FROM auditlog.seals WHERE :e1 BETWEEN first_id AND last_id),
          'the ids before them, taken by transactions that rolled back, are gaps');
SELECT is((SELECT length(hash) FROM auditlog.seals WHERE id = 1), 32, 'its hash is a SHA-256');
SELECT ok((SELECT sealed_at BETWEEN now() AND clock_timestamp() FROM auditlog.seals WHERE id = 1),
          'sealed_at is when it was made');
SELECT is(auditlog.seal(), 0::bigint, 'sealing again right away seals nothing');

---------------------------------------------------------------------------
-- The next seal follows on: its range after the last one, chained to it.
---------------------------------------------------------------------------
SELECT max(id) AS before FROM auditlog.seals \gset
SELECT auditlog.log_event('auth.login', actor => 'Seal Two') AS e4 \gset
SAVEPOINT rolled_back;
SELECT auditlog.log_event('auth.login', actor => 'Seal Rolled Back') AS e5 \gset
ROLLBACK TO SAVEPOINT rolled_back;
SELECT auditlog.log_event('auth.logout', actor => 'Seal Two') AS e6 \gset
SELECT is(pg_temp.seal_all(), 2::bigint, 'the next call seals the two new events');
SELECT results_eq(format($$SELECT s.id, s.first_id, s.prev_hash = p.hash FROM auditlog.seals s
                            JOIN auditlog.seals p ON p.id = s.id - 1 WHERE s.id = %s$$, :before + 1),
                  format($$SELECT %s::bigint, last_id + 1, true FROM auditlog.seals WHERE id = %s$$,
                         :before + 1, :before),
                  'the next seal starts after the last one''s last id, and its prev_hash is that one''s hash');
SELECT is((SELECT gaps FROM auditlog.seals WHERE id = :before + 1),
          ARRAY[[:e5::bigint, :e5]],
          'the id of the rolled-back event is a gap');
SELECT is((SELECT events FROM auditlog.seals WHERE id = :before + 1), 2::bigint, 'and it holds the two events');

---------------------------------------------------------------------------
-- A seal's events lie within 100000 ids; no seal is empty.
---------------------------------------------------------------------------
SELECT max(id) AS before, max(last_id) + 1 AS lo FROM auditlog.seals \gset
SELECT auditlog.log_event('auth.login', actor => 'Seal Far') AS e7 \gset
SELECT setval('auditlog.event_store_id_seq', :e7 + 150000);
SELECT auditlog.log_event('auth.login', actor => 'Seal Far') AS e8 \gset
SELECT is(pg_temp.seal_all(), 2::bigint, 'two events 150000 ids apart are sealed');
SELECT results_eq(format('SELECT first_id, last_id, events FROM auditlog.seals WHERE id > %s ORDER BY id', :before),
                  format('VALUES (%s::bigint, %s::bigint, 1::bigint), (%s, %s, 1)', :lo, :lo + 99999, :lo + 100000, :e8),
                  'in two seals: the first ends 100000 ids after its start, the second takes up from there');
SELECT max(id) AS before, max(last_id) + 1 AS lo FROM auditlog.seals \gset
SELECT setval('auditlog.event_store_id_seq', :e8 + 250000);
SELECT auditlog.log_event('auth.login', actor => 'Seal Farther') AS e9 \gset
SELECT is(pg_temp.seal_all(), 1::bigint, 'an event after a run of 250000 ids with no event is sealed');
SELECT results_eq(format('SELECT first_id, last_id, events, gaps FROM auditlog.seals WHERE id > %s', :before),
                  format('VALUES (%s::bigint, %s::bigint, 1::bigint, ARRAY[[%s::bigint, %s]])', :lo, :e9, :lo, :e9 - 1),
                  'in one seal: the ids with no event before it join it, as a gap');
SELECT is_empty($$SELECT id FROM auditlog.seals WHERE events = 0$$, 'no seal is empty');
SELECT is_empty($$SELECT s.id FROM auditlog.seals s JOIN auditlog.seals p ON p.id = s.id - 1
                   WHERE s.first_id <> p.last_id + 1 OR s.prev_hash <> p.hash$$,
                'every seal starts right after the one before, and is chained to it');
SELECT is((SELECT max(id) FROM auditlog.seals), (SELECT count(*) FROM auditlog.seals),
          'seal ids run from 1 without a gap');
SELECT is((SELECT sum(events)::bigint FROM auditlog.seals),
          (SELECT count(*) FROM auditlog.event_store WHERE id <= (SELECT max(last_id) FROM auditlog.seals)),
          'every event up to the last sealed id is counted by exactly one seal');

---------------------------------------------------------------------------
-- Seals are append-only, like the events, for every role and in replica mode.
---------------------------------------------------------------------------
SELECT throws_ok($$UPDATE auditlog.seals SET events = events + 1$$, '42501',
                 'UPDATE of auditlog.seals is not allowed', 'a seal cannot be updated');
SELECT throws_ok($$DELETE FROM auditlog.seals$$, '42501',
                 'DELETE of auditlog.seals is not allowed', 'nor deleted');
SELECT throws_ok($$TRUNCATE auditlog.seals$$, '42501',
                 'TRUNCATE of auditlog.seals is not allowed', 'nor truncated');
SET LOCAL session_replication_role = replica;
SELECT throws_ok($$DELETE FROM auditlog.seals$$, '42501',
                 'DELETE of auditlog.seals is not allowed', 'not even in replica mode');
SET LOCAL session_replication_role = origin;

---------------------------------------------------------------------------
-- The seals are dumped with the events; their horizon is not.
---------------------------------------------------------------------------
SELECT ok((SELECT 'auditlog.seals'::regclass = ANY (extconfig) AND NOT 'auditlog.seal_state'::regclass = ANY (extconfig)
             FROM pg_extension WHERE extname = 'auditlog'),
          'pg_dump keeps auditlog.seals, not auditlog.seal_state');

---------------------------------------------------------------------------
-- Granted to no one: sealing needs EXECUTE, and nothing on the tables.
---------------------------------------------------------------------------
CREATE ROLE auditlog_tap_sealer;
CREATE ROLE auditlog_tap_nobody;
GRANT EXECUTE ON FUNCTION auditlog.seal() TO auditlog_tap_sealer;
SELECT ok(NOT has_function_privilege('auditlog_tap_nobody', 'auditlog.seal()', 'EXECUTE'),
          'PUBLIC cannot call seal()');
SELECT ok(NOT has_table_privilege('auditlog_tap_nobody', 'auditlog.seals', 'SELECT, INSERT, UPDATE, DELETE')
          AND NOT has_table_privilege('auditlog_tap_nobody', 'auditlog.seal_state', 'SELECT, INSERT, UPDATE, DELETE'),
          'nor read or write the seals and their state');
SELECT auditlog.log_event('auth.login', actor => 'Seal Three') AS e8 \gset
SET LOCAL ROLE auditlog_tap_nobody;
SELECT throws_ok($$SELECT auditlog.seal()$$, '42501', NULL, 'a role without EXECUTE cannot seal');
RESET ROLE;
SET LOCAL ROLE auditlog_tap_sealer;
SELECT is(auditlog.seal(), 1::bigint, 'a role granted EXECUTE on seal() seals, with no privilege on the tables');
RESET ROLE;
SELECT is((SELECT events FROM auditlog.seals ORDER BY id DESC LIMIT 1), 1::bigint,
          'and its seal is there');

---------------------------------------------------------------------------
-- The chain head, as a monitoring system would read and keep it.
---------------------------------------------------------------------------
CREATE ROLE auditlog_tap_monitor;
GRANT SELECT ON auditlog.seals TO auditlog_tap_monitor;
SET LOCAL ROLE auditlog_tap_monitor;
SELECT is((SELECT id FROM (SELECT id, hash FROM auditlog.seals ORDER BY id DESC LIMIT 1) head),
          (SELECT max(id) FROM auditlog.seals),
          'a role granted SELECT on auditlog.seals reads the newest seal''s id and hash');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
