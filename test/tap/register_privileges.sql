-- test/tap/register_privileges.sql — who may register tables, and what writing
-- to a registered table needs: a role that may change the table gets its
-- changes logged with no privilege on auditlog's objects, and can neither
-- register tables nor forge, edit or delete events.
BEGIN;
SELECT plan(25);

\ir setup/common.sql
\ir setup/roles.sql

-- The roles of this test (CREATE ROLE is transactional: they roll back).
CREATE ROLE auditlog_tap_reg_writer;      -- may write the audited table, nothing else
CREATE ROLE auditlog_tap_reg_registrar;   -- may call register_table, has no TRIGGER privilege
CREATE ROLE auditlog_tap_reg_trigger;     -- may call register_table and holds TRIGGER on the table
CREATE ROLE auditlog_tap_reg_owner;       -- may call register_table and owns its own table

CREATE TABLE tap_priv_doc (id int PRIMARY KEY, title text, secret text);
SELECT auditlog.register_table('tap_priv_doc', redact_columns => '{secret}');
GRANT SELECT, INSERT, UPDATE, DELETE ON tap_priv_doc TO auditlog_tap_reg_writer;
GRANT SELECT, INSERT, UPDATE, DELETE ON tap_priv_doc TO auditlog_tap_reg_registrar;
GRANT TRIGGER ON tap_priv_doc TO auditlog_tap_reg_trigger;
SELECT pg_temp.grant_admin(r)
  FROM unnest('{auditlog_tap_reg_registrar,auditlog_tap_reg_trigger,auditlog_tap_reg_owner}'::name[]) r;
CREATE TABLE tap_priv_own (id int PRIMARY KEY, v text);
ALTER TABLE tap_priv_own OWNER TO auditlog_tap_reg_owner;

---------------------------------------------------------------------------
-- Registering and unregistering are closed to PUBLIC.
---------------------------------------------------------------------------
SELECT ok(NOT has_function_privilege('auditlog_tap_reg_writer',
              'auditlog.register_table(regclass, text, name, name[], name[], name)', 'EXECUTE'),
          'PUBLIC may not call register_table');
SELECT ok(NOT has_function_privilege('auditlog_tap_reg_writer', 'auditlog.unregister_table(regclass)', 'EXECUTE'),
          'PUBLIC may not call unregister_table');
SELECT ok(has_function_privilege('auditlog_tap_reg_writer', 'auditlog.row_trigger()', 'EXECUTE')
          AND NOT has_function_privilege('auditlog_tap_reg_writer', 'auditlog.statement_trigger()', 'EXECUTE'),
          'PUBLIC may not use the statement trigger function; the row trigger function it may (PostgreSQL '
          'checks that, as the owner, when it clones the trigger onto a new partition)');
SELECT ok(NOT has_table_privilege('auditlog_tap_reg_writer', 'auditlog.registry',
                                  'SELECT, INSERT, UPDATE, DELETE, TRUNCATE'),
          'PUBLIC holds nothing on auditlog.registry');

---------------------------------------------------------------------------
-- A writer holding only INSERT/UPDATE/DELETE on the table, and nothing on
-- auditlog's tables and functions, gets every change logged.
---------------------------------------------------------------------------
SELECT ok(NOT has_table_privilege('auditlog_tap_reg_writer', 'auditlog.event_store', 'INSERT')
          AND NOT has_table_privilege('auditlog_tap_reg_writer', 'auditlog.labels', 'INSERT')
          AND NOT has_table_privilege('auditlog_tap_reg_writer', 'auditlog.action_types', 'INSERT')
          AND NOT has_function_privilege('auditlog_tap_reg_writer',
                  'auditlog.log_event(text, text, text, auditlog.outcome, jsonb, text, text, text)', 'EXECUTE'),
          'the writer may not write auditlog''s tables nor call log_event');

SET LOCAL ROLE auditlog_tap_reg_writer;
SET LOCAL auditlog.actor = 'Tap Priv Writer';   -- a new actor: its label is created on the way
INSERT INTO tap_priv_doc VALUES (1, 'Draft', 's3cret');
UPDATE tap_priv_doc SET title = 'Final', secret = 'other' WHERE id = 1;
DELETE FROM tap_priv_doc WHERE id = 1;
RESET ROLE;

SELECT results_eq(
    $$SELECT action COLLATE "default", actor COLLATE "default", resource_id COLLATE "default", details
        FROM auditlog.events WHERE resource_type = 'tap_priv_doc' ORDER BY id$$,
    $$VALUES ('tap_priv_doc.create'::text, 'Tap Priv Writer'::text, '1'::text,
              '{"new": {"id": 1, "title": "Draft"}, "redacted": ["secret"]}'::jsonb),
             ('tap_priv_doc.update', 'Tap Priv Writer', '1',
              '{"old": {"title": "Draft"}, "new": {"title": "Final"}, "redacted": ["secret"]}'),
             ('tap_priv_doc.delete', 'Tap Priv Writer', '1',
              '{"old": {"id": 1, "title": "Final"}, "redacted": ["secret"]}')$$,
    'the writer inserts, updates and deletes, and every change is an event, with the actor it set');

---------------------------------------------------------------------------
-- The writer cannot register tables, nor forge, edit or delete events.
---------------------------------------------------------------------------
SET LOCAL ROLE auditlog_tap_reg_writer;
SELECT throws_ok($$SELECT auditlog.register_table('tap_priv_doc')$$,
                 '42501', 'permission denied for function register_table',
                 'the writer cannot call register_table');
SELECT throws_ok($$SELECT auditlog.unregister_table('tap_priv_doc')$$,
                 '42501', 'permission denied for function unregister_table',
                 'nor unregister_table');
SELECT throws_ok($$INSERT INTO auditlog.event_store (id, occurred_at, txid, action_ref, actor_ref, db_user_ref, outcome)
                   VALUES (-1, now(), 1, 1, 1, 1, 'success')$$,
                 '42501', 'permission denied for table event_store',
                 'the writer cannot INSERT a forged event');
SELECT throws_ok($$UPDATE auditlog.event_store SET details = '{}'$$,
                 '42501', 'permission denied for table event_store',
                 'the writer cannot UPDATE events');
SELECT throws_ok($$DELETE FROM auditlog.event_store$$,
                 '42501', 'permission denied for table event_store',
                 'the writer cannot DELETE events');
SELECT throws_ok($$DELETE FROM auditlog.registry$$,
                 '42501', 'permission denied for table registry',
                 'the writer cannot edit the registry to stop the auditing');
SELECT throws_ok($$SELECT auditlog.row_trigger()$$,
                 '39P01', 'auditlog.row_trigger() must be called as a trigger',
                 'the writer cannot call the row trigger function');
SELECT throws_ok($$SELECT auditlog.statement_trigger()$$,
                 '42501', 'permission denied for function statement_trigger',
                 'the writer cannot call the statement trigger function');
RESET ROLE;

-- A table owner cannot hang the trigger function on an unregistered table
-- of its own to write events of its choosing: it refuses to run under
-- another name, and on a table that is not registered.
SET LOCAL ROLE auditlog_tap_reg_owner;
CREATE TRIGGER forge AFTER INSERT ON tap_priv_own FOR EACH ROW EXECUTE FUNCTION auditlog.row_trigger();
SELECT throws_ok($$INSERT INTO tap_priv_own VALUES (1, 'forged')$$,
                 '39P01', 'auditlog.row_trigger() runs only as trigger auditlog_row, not as trigger "forge"',
                 'the row trigger function refuses to run as a trigger of another name');
DROP TRIGGER forge ON tap_priv_own;
CREATE TRIGGER auditlog_row AFTER INSERT ON tap_priv_own FOR EACH ROW EXECUTE FUNCTION auditlog.row_trigger();
SELECT throws_ok($$INSERT INTO tap_priv_own VALUES (1, 'forged')$$,
                 '55000', 'table public.tap_priv_own has auditlog''s trigger but is not registered',
                 'and on a table that is not registered, under its own name');
DROP TRIGGER auditlog_row ON tap_priv_own;
RESET ROLE;

-- Nothing of the above reached the log.
SELECT is((SELECT count(*)::int FROM auditlog.events WHERE resource_type = 'tap_priv_doc'), 3,
          'the refused statements wrote no event');

---------------------------------------------------------------------------
-- EXECUTE on register_table is not enough: registering needs the TRIGGER
-- privilege on the table (which its owner holds).
---------------------------------------------------------------------------
SET LOCAL ROLE auditlog_tap_reg_registrar;
SELECT throws_ok($$SELECT auditlog.register_table('tap_priv_doc', exclude_columns => '{secret}')$$,
                 '42501', 'permission denied to audit table tap_priv_doc',
                 'without TRIGGER privilege or ownership, registering is refused');
SELECT throws_ok($$SELECT auditlog.unregister_table('tap_priv_doc')$$,
                 '42501', 'permission denied to audit table tap_priv_doc',
                 'and so is unregistering');
RESET ROLE;
SELECT is((SELECT redact_columns FROM auditlog.registered_tables WHERE table_name = 'tap_priv_doc'::regclass),
          '{secret}'::name[], 'the refused registration changed nothing');

SET LOCAL ROLE auditlog_tap_reg_trigger;
SELECT auditlog.register_table('tap_priv_doc', redact_columns => '{secret,title}');
RESET ROLE;
SELECT results_eq(
    $$SELECT redact_columns, registered_by FROM auditlog.registered_tables
       WHERE table_name = 'tap_priv_doc'::regclass$$,
    $$VALUES ('{secret,title}'::name[], session_user::name)$$,
    'with the TRIGGER privilege, a role registers a table it does not own: options stored, registered_by the session user');

SET LOCAL ROLE auditlog_tap_reg_owner;
SELECT auditlog.register_table('tap_priv_own');
INSERT INTO tap_priv_own VALUES (1, 'x');
SELECT lives_ok($$SELECT auditlog.unregister_table('tap_priv_own')$$,
                'the owner of a table, having registered it and written to it, unregisters it');
SELECT throws_ok($$SELECT auditlog.register_table('tap_priv_doc')$$,
                 '42501', 'permission denied to audit table tap_priv_doc',
                 'but may not register a table of someone else');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM auditlog.events WHERE resource_type = 'tap_priv_own'), 1,
          'the owner of a table registers it: its change while registered is an event');

---------------------------------------------------------------------------
-- Registering writes the catalogue: not in a read-only transaction.
---------------------------------------------------------------------------
-- (throws_ok runs its statements in a subtransaction: the setting ends with it)
SELECT throws_ok($$SET LOCAL transaction_read_only = on; SELECT auditlog.register_table('tap_priv_own')$$,
                 '25006', 'cannot execute auditlog.register_table() in a read-only transaction',
                 'register_table is refused in a read-only transaction');

SELECT * FROM finish();
ROLLBACK;
