-- test/tap/drop_guard.sql — DROP EXTENSION auditlog, and every other command
-- that would drop it with the events (DROP SCHEMA auditlog, DROP OWNED BY
-- its owner), is refused while the log holds events, for every role and in
-- replica mode, unless the session set auditlog.allow_drop = on, which
-- only a superuser may. Other drops are not concerned. (A session that
-- never loaded the library, the empty log and pg_restore --clean:
-- test/tamper/drop.sh.)
BEGIN;
SELECT plan(17);
\ir setup/common.sql

SELECT auditlog.log_event('auth.login', actor => 'Drop Guard');

---------------------------------------------------------------------------
-- The setting and the trigger behind the guard
---------------------------------------------------------------------------
SELECT is((SELECT format('%s, %s, %s, default %s', setting, context, vartype, boot_val)
             FROM pg_settings WHERE name = 'auditlog.allow_drop'),
          'off, superuser, bool, default off',
          'auditlog.allow_drop is a boolean, off by default, set by superusers only');
SELECT is((SELECT format('%s, %s, %s', evtevent, evtenabled, evttags)
             FROM pg_event_trigger WHERE evtname = 'auditlog_guard_drop'),
          'ddl_command_start, A, {"DROP EXTENSION","DROP SCHEMA","DROP OWNED"}',
          'the guard is an event trigger before DROP EXTENSION, DROP SCHEMA and DROP OWNED, enabled always');

---------------------------------------------------------------------------
-- Refused while the log holds events
---------------------------------------------------------------------------
SELECT is(pg_temp.error_of($$DROP EXTENSION auditlog$$),
          jsonb_build_object('sqlstate', '55000',
                             'message', 'cannot drop extension auditlog while its audit log holds events',
                             'detail', 'DROP EXTENSION auditlog would drop every event with the extension.',
                             'hint', 'Keep a copy of the events first (pg_dump); then SET auditlog.allow_drop = on '
                                     'in the session that drops it. pg_restore --clean runs with '
                                     'PGOPTIONS=''-c auditlog.allow_drop=on''.'),
          'DROP EXTENSION auditlog is refused: the error says why, and how to drop it on purpose');
SELECT throws_ok($$DROP EXTENSION auditlog CASCADE$$, '55000', NULL, 'with CASCADE too');
SELECT throws_ok($$DROP EXTENSION IF EXISTS pg_temp_nothing, auditlog$$, '55000', NULL,
                 'and among other extensions, with IF EXISTS');
SELECT is(pg_temp.error_of($$DROP SCHEMA auditlog CASCADE$$)->>'detail',
          'DROP SCHEMA auditlog would drop every event with the extension.',
          'DROP SCHEMA auditlog CASCADE is refused');
SELECT is(pg_temp.error_of(format('DROP OWNED BY %I', (SELECT extowner::regrole FROM pg_extension
                                                        WHERE extname = 'auditlog')))->>'sqlstate',
          '55000', 'DROP OWNED BY the extension''s owner is refused');
SET LOCAL session_replication_role = replica;
SELECT throws_ok($$DROP EXTENSION auditlog$$, '55000', NULL, 'in replica mode too');
SET LOCAL session_replication_role = origin;
SELECT is((SELECT count(*) FROM pg_extension WHERE extname = 'auditlog'), 1::bigint, 'the extension is still there');

---------------------------------------------------------------------------
-- Other drops go on as before
---------------------------------------------------------------------------
CREATE SCHEMA tap_drop_other;
CREATE ROLE auditlog_tap_dropper;
CREATE TABLE tap_drop_other.t (id int);
ALTER TABLE tap_drop_other.t OWNER TO auditlog_tap_dropper;
SELECT lives_ok($$DROP OWNED BY auditlog_tap_dropper$$, 'DROP OWNED BY another role works');
SELECT lives_ok($$DROP SCHEMA tap_drop_other CASCADE$$, 'dropping another schema works');
SELECT lives_ok($$DROP EXTENSION IF EXISTS pg_temp_nothing$$, 'dropping another extension works');

---------------------------------------------------------------------------
-- Only a superuser lifts the guard
---------------------------------------------------------------------------
CREATE ROLE auditlog_tap_nobody;
SET LOCAL ROLE auditlog_tap_nobody;
SELECT throws_ok($$SET auditlog.allow_drop = on$$, '42501', 'permission denied to set parameter "auditlog.allow_drop"',
                 'a role that is not a superuser cannot set auditlog.allow_drop');
RESET ROLE;

---------------------------------------------------------------------------
-- With auditlog.allow_drop = on the extension goes, events and all
---------------------------------------------------------------------------
SET LOCAL auditlog.allow_drop = on;
SELECT lives_ok($$DROP SCHEMA auditlog CASCADE$$, 'with auditlog.allow_drop on, DROP SCHEMA auditlog CASCADE works');
SELECT is((SELECT count(*) FROM pg_extension WHERE extname = 'auditlog'), 0::bigint,
          'and took the extension with it');
SELECT lives_ok($$CREATE EXTENSION auditlog$$, 'it can be created again');
SELECT lives_ok($$DROP EXTENSION auditlog$$, 'and an empty log is dropped at once');

SELECT * FROM finish();
ROLLBACK;
