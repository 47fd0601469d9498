-- test/tap/hardening_log_event.sql -- an event of the application cannot pass
-- for a change of a registered table: log_event refuses, with 42501, a
-- successful <type>.create, .update, .delete or .truncate of a resource
-- type some table is registered under. Failed and denied attempts of those
-- actions, other actions of the type, and types no table is registered
-- under stay the application's to log.
BEGIN;
SELECT plan(15);

\ir setup/common.sql
\ir setup/roles.sql

CREATE ROLE auditlog_tap_le_app;
SELECT pg_temp.grant_writer('auditlog_tap_le_app');
CREATE TABLE tap_le_conn (id int PRIMARY KEY, name text);
SELECT auditlog.register_table('tap_le_conn', 'tap_le_connection');
SET LOCAL ROLE auditlog_tap_le_app;

SELECT is(pg_temp.error_of($$SELECT auditlog.log_event('tap_le_connection.delete', 'tap_le_connection', '42',
                                                      details => '{"old": {"id": 42, "name": "CRM"}}')$$),
          jsonb_build_object(
              'sqlstate', '42501',
              'message', 'action "tap_le_connection.delete" is written by the triggers of registered table public.tap_le_conn',
              'detail', 'An event of the application cannot pass for a change of that table.',
              'hint', 'Record a failed or denied attempt with outcome => ''failure'' or ''denied'', or give the application''s action a name of its own.'),
          'a forged <type>.delete of a registered type is refused, naming the action and the table');
SELECT throws_ok($$SELECT auditlog.log_event('tap_le_connection.create')$$, '42501', NULL, 'so is <type>.create');
SELECT throws_ok($$SELECT auditlog.log_event('tap_le_connection.update', 'tap_le_connection', '1')$$, '42501', NULL,
                 'and <type>.update');
SELECT throws_ok($$SELECT auditlog.log_event('tap_le_connection.truncate', outcome => 'success')$$, '42501', NULL,
                 'and <type>.truncate');
SELECT throws_ok($$SELECT auditlog.log_event('tap_le_connection.delete', resource_type => 'other', resource_id => '1')$$,
                 '42501', NULL, 'whatever resource it names');

SELECT lives_ok($$SELECT auditlog.log_event('tap_le_connection.delete', 'tap_le_connection', '42', 'denied')$$,
                'a denied deletion of a registered type is the application''s to log');
SELECT lives_ok($$SELECT auditlog.log_event('tap_le_connection.create', 'tap_le_connection', NULL, 'failure')$$,
                'and so is a failed creation');
SELECT lives_ok($$SELECT auditlog.log_event('tap_le_connection.share', 'tap_le_connection', '42')$$,
                'and any other action of the type');
SELECT lives_ok($$SELECT auditlog.log_event('tap_le_connection.delete.requested', 'tap_le_connection', '42')$$,
                'an action of three words is another action');
SELECT lives_ok($$SELECT auditlog.log_event('tap_le_unregistered.delete', 'tap_le_unregistered', '1')$$,
                'a type no table is registered under logs any action');
RESET ROLE;

-- A table unregistered: its type is free again.
SELECT auditlog.unregister_table('tap_le_conn');
SET LOCAL ROLE auditlog_tap_le_app;
SELECT lives_ok($$SELECT auditlog.log_event('tap_le_connection.delete', 'tap_le_connection', '7')$$,
                'once the table is unregistered, the action is the application''s again');
RESET ROLE;
-- The answer follows registrations at once, though log_event keeps it
-- between them: a type it has let through, then registered, is refused;
-- a registration rolled back frees it again; a table registered under
-- another type frees the old one.
SELECT lives_ok($$SELECT auditlog.log_event('tap_le_later.create', 'tap_le_later', '1')$$,
                'a type no table is registered under, logged');
SAVEPOINT reg;
SELECT auditlog.register_table('tap_le_conn', 'tap_le_later');
SELECT throws_ok($$SELECT auditlog.log_event('tap_le_later.create', 'tap_le_later', '2')$$, '42501', NULL,
                 'is refused once a table is registered under it');
ROLLBACK TO SAVEPOINT reg;
SELECT auditlog.register_table('tap_le_conn', 'tap_le_other');
SELECT lives_ok($$SELECT auditlog.log_event('tap_le_later.create', 'tap_le_later', '3')
                  UNION ALL SELECT auditlog.log_event('tap_le_connection.create', 'tap_le_connection', '4')$$,
                'and free again when that registration is rolled back');
SELECT auditlog.unregister_table('tap_le_conn');
SELECT is((SELECT count(*)::int FROM tap_events WHERE resource_type = 'tap_le_connection'
             AND outcome = 'success' AND action = 'tap_le_connection.delete'), 1,
          'only that one successful tap_le_connection.delete was logged');

SELECT * FROM finish();
ROLLBACK;
