-- test/tap/log_event_autonomous.sql — auditlog.log_event_autonomous(): an
-- event that commits on its own, whatever the calling transaction then does,
-- with the same arguments, validation, context and privileges as log_event.
-- (A whole-transaction ROLLBACK and concurrent callers are in
-- test/specs/autonomous.spec; here the caller rolls back savepoints.)
--
-- Its events commit, whatever this file's transaction does, so it runs in a
-- database of its own (<db>_autonomous), which it drops at the end: the
-- other files share a database where nothing is ever committed.
SET client_min_messages = warning;
SELECT current_database() AS auto_home, current_database() || '_autonomous' AS auto_db \gset
DROP DATABASE IF EXISTS :"auto_db" WITH (FORCE);
CREATE DATABASE :"auto_db";
\c :auto_db
SET client_min_messages = warning;
CREATE EXTENSION pgtap;
CREATE EXTENSION auditlog;

BEGIN;
SELECT plan(28);

\ir setup/common.sql
\ir setup/roles.sql

-- (Here, since this file's database is new: before any event, the actors
-- offered by filter_options() are system alone, the actor of automated work.)
SELECT is(array(SELECT value FROM auditlog.filter_options() WHERE kind = 'actor'), ARRAY['system'],
          'a log without events offers system among the users (DESIGN: "users (with system)")');

---------------------------------------------------------------------------
-- It survives the rollback of the caller's work.
---------------------------------------------------------------------------
SAVEPOINT attempt;
SELECT auditlog.log_event_autonomous('tap_auto.denied', 'connection', 'c-77', 'denied',
                                     '{"reason": "not an owner"}', actor => 'Tap Auto') AS auto_id \gset
SELECT auditlog.log_event('tap_auto.transactional', actor => 'Tap Auto') AS plain_id \gset
ROLLBACK TO SAVEPOINT attempt;
SELECT is((SELECT count(*) FROM auditlog.event_store WHERE id = :auto_id), 1::bigint,
          'an autonomous event stays when its savepoint rolls back');
SELECT is((SELECT count(*) FROM auditlog.event_store WHERE id = :plain_id), 0::bigint,
          'where a log_event of the same savepoint is gone');
SELECT results_eq($$SELECT action, actor, resource_type, resource_id, outcome, details FROM tap_events
                     WHERE id = $$ || :auto_id,
                  $$VALUES ('tap_auto.denied'::text, 'Tap Auto'::text, 'connection'::text, 'c-77'::text,
                            'denied'::text, '{"reason": "not an owner"}'::jsonb)$$,
                  'it holds what was passed');
SELECT isnt((SELECT txid FROM tap_events WHERE id = :auto_id), txid_current(),
            'it was written by another transaction');

---------------------------------------------------------------------------
-- The caller's context: settings, session role, application, client.
---------------------------------------------------------------------------
CREATE ROLE auditlog_tap_auto_caller;
GRANT EXECUTE ON FUNCTION auditlog.log_event_autonomous(text, text, text, auditlog.outcome, jsonb, text, text, text)
    TO auditlog_tap_auto_caller;
SET LOCAL auditlog.actor = 'Tap Auto Setting';
SET LOCAL auditlog.actor_id = 'u-auto';
SET LOCAL auditlog.org_id = 'tap-auto-org';
SET LOCAL application_name = 'tap auto app';
SET LOCAL ROLE auditlog_tap_auto_caller;
SELECT auditlog.log_event_autonomous('tap_auto.context') AS ctx_id \gset
RESET ROLE;
SELECT results_eq($$SELECT actor, actor_id, org_id, db_user, application_name::text FROM auditlog.events
                     WHERE id = $$ || :ctx_id,
                  $$VALUES ('Tap Auto Setting'::text, 'u-auto'::text, 'tap-auto-org'::text,
                            session_user::text COLLATE "default", 'tap auto app'::text)$$,
                  'actor, actor id and organisation come from the caller''s settings, db_user is its session role');
SELECT is((SELECT client_addr FROM auditlog.events WHERE id = :ctx_id), inet_client_addr(),
          'client_addr is the caller''s');
SELECT cmp_ok((SELECT occurred_at FROM auditlog.events WHERE id = :ctx_id), '<=', clock_timestamp(),
              'occurred_at is the time of the caller''s statement');
RESET auditlog.actor;
RESET auditlog.actor_id;
RESET auditlog.org_id;
RESET application_name;

---------------------------------------------------------------------------
-- The same validation as log_event: the same errors.
---------------------------------------------------------------------------
SELECT is(pg_temp.error_of(format('SELECT auditlog.log_event_autonomous(%s)', a)),
          pg_temp.error_of(format('SELECT auditlog.log_event(%s)', a)),
          'the same error as log_event for ' || a)
  FROM unnest(ARRAY[
      $$NULL$$,
      $$'Auth.Login'$$,
      $$'auth'$$,
      $$'a.b', resource_id => 'r-1'$$,
      $$'a.b', outcome => NULL$$,
      $$'a.b', details => '[1, 2]'$$,
      $$'a.b', actor => ''$$,
      $$'a.b', org_id => repeat('o', 257)$$,
      $$'a.b', actor => repeat('a', 100000)$$,
      $$'a.b', 'type', repeat('r', 100000)$$,
      $$'a.b', resource_type => repeat('t', 100000)$$,
      $$'a.b', 'type', ''$$,
      $$'a.b', 'type', repeat('r', 1025)$$
  ]) AS a;
SELECT ok(pg_temp.error_of($$SELECT auditlog.log_event_autonomous('Auth.Login')$$) IS NOT NULL,
          'and they are errors');
SELECT is(pg_temp.error_of($$SELECT auditlog.log_event_autonomous('a.b', details => jsonb_build_object('x', repeat('x', 70000)))$$)->>'sqlstate',
          '54000', 'an event too large for the writer is refused (54000), not cut');

-- as log_event, no autonomous event passes for a change of a registered table
CREATE TABLE tap_auto_thing (id int PRIMARY KEY);
SELECT auditlog.register_table('tap_auto_thing');
SELECT throws_ok($$SELECT auditlog.log_event_autonomous('tap_auto_thing.delete', 'tap_auto_thing', '1')$$,
                 '42501', 'action "tap_auto_thing.delete" is written by the triggers of registered table public.tap_auto_thing',
                 'an autonomous event cannot pass for a registered table''s change (42501, as log_event)');
SELECT is_empty($$SELECT 1 FROM auditlog.events WHERE action = 'tap_auto_thing.delete'$$, 'and none is written');

---------------------------------------------------------------------------
-- Privileges: granted explicitly, like log_event.
---------------------------------------------------------------------------
SELECT ok(NOT has_function_privilege('public',
              'auditlog.log_event_autonomous(text, text, text, auditlog.outcome, jsonb, text, text, text)', 'EXECUTE'),
          'PUBLIC cannot execute log_event_autonomous');
CREATE ROLE auditlog_tap_auto_plain;
SELECT pg_temp.grant_writer('auditlog_tap_auto_plain');
SET LOCAL ROLE auditlog_tap_auto_plain;
SELECT throws_ok($$SELECT auditlog.log_event_autonomous('tap_auto.forbidden')$$, '42501',
                 'permission denied for function log_event_autonomous',
                 'a role granted log_event alone cannot log autonomously');
RESET ROLE;
SELECT is_empty($$SELECT 1 FROM auditlog.events WHERE action = 'tap_auto.forbidden'$$, 'and wrote nothing');

SELECT * FROM finish();
ROLLBACK;

\c :auto_home
SET client_min_messages = warning;
DROP DATABASE :"auto_db" WITH (FORCE);
