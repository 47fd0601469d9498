-- test/tap/verify.sql — auditlog.verify(from_seal, to_seal): one row per
-- seal, recomputed from the events as they are now; ok with no problem
-- while nothing changed; a range of seals on request; clear errors for
-- ranges that name no seal; granted to no one; works read-only. (What it
-- says of a changed log: test/tamper/tamper.sh, where a superuser changes
-- it behind every trigger.)
BEGIN;
SELECT plan(19);
\ir setup/common.sql
\ir setup/seals.sql

---------------------------------------------------------------------------
-- Before anything is sealed
---------------------------------------------------------------------------
SELECT is_empty($$SELECT * FROM auditlog.verify()$$, 'with no seal, verify() returns no row');
SELECT is(pg_temp.error_of($$SELECT * FROM auditlog.verify(1)$$),
          jsonb_build_object('sqlstate', '22023', 'message', 'from_seal 1 names no seal',
                             'detail', 'Nothing has been sealed yet.',
                             'hint', 'The seals are the rows of auditlog.seals; pass NULL to verify up to the newest.'),
          'asking for a seal before any exists is an error that says so');

---------------------------------------------------------------------------
-- Four seals, nothing changed
---------------------------------------------------------------------------
DO $$
BEGIN
    FOR i IN 1..4 LOOP
        PERFORM auditlog.log_event('auth.login', actor => 'Verify ' || i) FROM generate_series(1, i);
        PERFORM pg_temp.seal_all();
    END LOOP;
END
$$;
SELECT is((SELECT count(*) FROM auditlog.seals), 4::bigint, 'four rounds of sealing make four seals');
SELECT results_eq($$SELECT seal_id, first_id, last_id, events, ok, problem FROM auditlog.verify()$$,
                  $$SELECT id, first_id, last_id, events, true, NULL::text FROM auditlog.seals ORDER BY id$$,
                  'verify() gives one row per seal, in order, with its range and events: ok, no problem');
SELECT results_eq($$SELECT seal_id FROM auditlog.verify(2, 3)$$, $$VALUES (2::bigint), (3::bigint)$$,
                  'verify(2, 3) checks seals 2 and 3');
SELECT results_eq($$SELECT seal_id FROM auditlog.verify(from_seal => 3)$$, $$VALUES (3::bigint), (4::bigint)$$,
                  'from_seal alone: up to the newest seal');
SELECT results_eq($$SELECT seal_id FROM auditlog.verify(to_seal => 1)$$, $$VALUES (1::bigint)$$,
                  'to_seal alone: from seal 1');
SELECT results_eq($$SELECT seal_id FROM auditlog.verify(4, 4)$$, $$VALUES (4::bigint)$$,
                  'and a single seal');

---------------------------------------------------------------------------
-- Ranges that name no seal are refused, saying why
---------------------------------------------------------------------------
SELECT is(pg_temp.error_of($$SELECT * FROM auditlog.verify(3, 2)$$),
          jsonb_build_object('sqlstate', '22023', 'message', 'from_seal 3 is after to_seal 2',
                             'detail', NULL, 'hint', 'Pass from_seal <= to_seal, or NULL for an open end.'),
          'from_seal after to_seal');
SELECT is(pg_temp.error_of($$SELECT * FROM auditlog.verify(0)$$),
          jsonb_build_object('sqlstate', '22023', 'message', 'from_seal must be a seal id, 1 or more, not 0',
                             'detail', NULL, 'hint', 'Seals are numbered from 1; pass NULL for an open end.'),
          'from_seal 0');
SELECT is(pg_temp.error_of($$SELECT * FROM auditlog.verify(NULL, -5)$$)->>'message',
          'to_seal must be a seal id, 1 or more, not -5', 'a negative to_seal');
SELECT is(pg_temp.error_of($$SELECT * FROM auditlog.verify(5)$$),
          jsonb_build_object('sqlstate', '22023', 'message', 'from_seal 5 names no seal',
                             'detail', 'The newest seal is 4.',
                             'hint', 'The seals are the rows of auditlog.seals; pass NULL to verify up to the newest.'),
          'a from_seal past the newest seal');
SELECT is(pg_temp.error_of($$SELECT * FROM auditlog.verify(1, 99)$$)->>'message',
          'to_seal 99 names no seal', 'a to_seal past the newest seal');
SELECT is(pg_temp.error_of($$SELECT auditlog.verify()$$)->>'sqlstate', NULL,
          'called in the select list it works too');

---------------------------------------------------------------------------
-- The unsealed tail is not verify()'s: new events are not in it yet
---------------------------------------------------------------------------
SELECT auditlog.log_event('auth.login', actor => 'Verify Unsealed');
SELECT is((SELECT count(*) FROM auditlog.verify()), 4::bigint,
          'events logged after the last seal are in no row until sealed');

---------------------------------------------------------------------------
-- Granted to no one
---------------------------------------------------------------------------
CREATE ROLE auditlog_tap_nobody;
CREATE ROLE auditlog_tap_auditor;
GRANT EXECUTE ON FUNCTION auditlog.verify(bigint, bigint) TO auditlog_tap_auditor;
SELECT ok(NOT has_function_privilege('auditlog_tap_nobody', 'auditlog.verify(bigint, bigint)', 'EXECUTE'),
          'PUBLIC cannot call verify()');
SET LOCAL ROLE auditlog_tap_nobody;
SELECT throws_ok($$SELECT * FROM auditlog.verify()$$, '42501', NULL, 'a role without EXECUTE cannot verify');
RESET ROLE;
SET LOCAL ROLE auditlog_tap_auditor;
SELECT is((SELECT count(*) FILTER (WHERE ok) FROM auditlog.verify()), 4::bigint,
          'a role granted EXECUTE verifies every seal, with no privilege on the tables');
RESET ROLE;

---------------------------------------------------------------------------
-- Read-only: verify() never writes (it works on a hot standby too)
---------------------------------------------------------------------------
SET LOCAL transaction_read_only = on;
SELECT is((SELECT count(*) FILTER (WHERE ok) FROM auditlog.verify()), 4::bigint,
          'verify() works in a read-only transaction');

SELECT * FROM finish();
ROLLBACK;
