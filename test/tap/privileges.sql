-- test/tap/privileges.sql — auditlog is closed by default. PUBLIC may name the
-- schema and the outcome type and call the harmless helpers; writing events,
-- reading them and importing them are granted explicitly, and writing needs
-- no privilege on the tables behind the log.
BEGIN;
SELECT plan(48);
\ir setup/common.sql
\ir setup/roles.sql

-- The roles of this test (CREATE ROLE is transactional: they roll back).
CREATE ROLE auditlog_tap_nobody;    -- holds only what PUBLIC holds
CREATE ROLE auditlog_tap_writer;    -- may call log_event, nothing more
CREATE ROLE auditlog_tap_reader;    -- may read the tables behind the log, nothing more
SELECT pg_temp.grant_writer('auditlog_tap_writer');
GRANT SELECT ON auditlog.events, auditlog.event_store, auditlog.labels, auditlog.action_types
    TO auditlog_tap_reader;

---------------------------------------------------------------------------
-- What PUBLIC holds: the schema and the type may be named, nothing created.
---------------------------------------------------------------------------
SELECT ok(has_schema_privilege('auditlog_tap_nobody', 'auditlog', 'USAGE'),
          'PUBLIC may use schema auditlog');
SELECT ok(NOT has_schema_privilege('auditlog_tap_nobody', 'auditlog', 'CREATE'),
          'PUBLIC may not create objects in schema auditlog');
SELECT ok(has_type_privilege('auditlog_tap_nobody', 'auditlog.outcome', 'USAGE'),
          'PUBLIC may use type auditlog.outcome');

-- No table, view or sequence of the schema grants PUBLIC anything, not even
-- on a single column.
SELECT is_empty($$
    SELECT c.oid::regclass::text
      FROM pg_class c
     WHERE c.relnamespace = 'auditlog'::regnamespace
       AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
       AND CASE WHEN c.relkind IN ('r', 'p', 'v', 'm', 'f')
                THEN has_table_privilege('auditlog_tap_nobody', c.oid,
                                         'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
                  OR has_any_column_privilege('auditlog_tap_nobody', c.oid,
                                              'SELECT, INSERT, UPDATE, REFERENCES')
           END
$$, 'PUBLIC holds no privilege on any table or view of auditlog');
SELECT is_empty($$
    SELECT c.oid::regclass::text
      FROM pg_class c
     WHERE c.relnamespace = 'auditlog'::regnamespace
       AND CASE WHEN c.relkind = 'S'   -- guarded: it errors on other relations
                THEN has_sequence_privilege('auditlog_tap_nobody', c.oid, 'USAGE, SELECT, UPDATE')
           END
$$, 'PUBLIC holds no privilege on any sequence of auditlog');

-- The same, named one by one, so that the checks above cannot pass on an
-- empty schema.
SELECT ok(NOT has_table_privilege('auditlog_tap_nobody', 'auditlog.event_store',
                                  'SELECT, INSERT, UPDATE, DELETE, TRUNCATE'),
          'PUBLIC cannot read or write auditlog.event_store');
SELECT ok(NOT has_table_privilege('auditlog_tap_nobody', 'auditlog.labels',
                                  'SELECT, INSERT, UPDATE, DELETE, TRUNCATE'),
          'PUBLIC cannot read or write auditlog.labels');
SELECT ok(NOT has_table_privilege('auditlog_tap_nobody', 'auditlog.action_types',
                                  'SELECT, INSERT, UPDATE, DELETE, TRUNCATE'),
          'PUBLIC cannot read or write auditlog.action_types');
SELECT ok(NOT has_table_privilege('auditlog_tap_nobody', 'auditlog.events', 'SELECT'),
          'PUBLIC cannot read auditlog.events');
SELECT ok(NOT has_sequence_privilege('auditlog_tap_nobody', 'auditlog.event_store_id_seq',
                                     'USAGE, SELECT, UPDATE'),
          'PUBLIC cannot use the event id sequence');

-- PUBLIC may execute exactly the harmless functions of the extension,
-- wherever they live (min and max are in pg_catalog): those of the outcome
-- type, outcome_label, set_actor, tenant_visible (which tells a caller
-- only what it may read itself) and export_lines (which checks the grant
-- on export()). Anything that reads, writes or imports
-- events, and the append-only triggers, are closed.
SELECT set_eq($$
    SELECT p.oid::regprocedure::text
      FROM pg_proc p
     WHERE p.oid IN (SELECT d.objid FROM pg_depend d
                      WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
                        AND d.refclassid = 'pg_extension'::regclass
                        AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'auditlog'))
       AND has_function_privilege('auditlog_tap_nobody', p.oid, 'EXECUTE')
$$, ARRAY[
    'auditlog.outcome_in(cstring)',
    'auditlog.outcome_out(auditlog.outcome)',
    'auditlog.outcome_recv(internal)',
    'auditlog.outcome_send(auditlog.outcome)',
    'auditlog.outcome_eq(auditlog.outcome,auditlog.outcome)',
    'auditlog.outcome_ne(auditlog.outcome,auditlog.outcome)',
    'auditlog.outcome_lt(auditlog.outcome,auditlog.outcome)',
    'auditlog.outcome_le(auditlog.outcome,auditlog.outcome)',
    'auditlog.outcome_gt(auditlog.outcome,auditlog.outcome)',
    'auditlog.outcome_ge(auditlog.outcome,auditlog.outcome)',
    'auditlog.outcome_cmp(auditlog.outcome,auditlog.outcome)',
    'auditlog.outcome_hash(auditlog.outcome)',
    'auditlog.outcome_hash_extended(auditlog.outcome,bigint)',
    'auditlog.outcome_smaller(auditlog.outcome,auditlog.outcome)',
    'auditlog.outcome_larger(auditlog.outcome,auditlog.outcome)',
    'min(auditlog.outcome)',
    'max(auditlog.outcome)',
    'auditlog.outcome_label(auditlog.outcome)',
    'auditlog.initials(text)',
    'auditlog.format_time(timestamp with time zone)',
    'auditlog.set_actor(text,text)',
    'auditlog.auditing_problem(regclass)',
    'auditlog.row_trigger()',
    'auditlog.tenant_visible(integer)',
    'auditlog.export_lines(text,text,text,date,date,auditlog.outcome,text,text,text,bigint)'
], 'PUBLIC may execute only the outcome functions, the display helpers, set_actor, auditing_problem, '
   'the row trigger function (which runs only as the trigger register_table makes), '
   'tenant_visible (auditlog.events calls it for whoever reads the view) and export_lines '
   '(the inlined body of export(), which checks the grant on export() itself)');

-- import_event is granted to no one: its ACL is set (a NULL ACL would mean
-- PUBLIC may execute it) and names nobody but the owner.
SELECT isnt((SELECT proacl FROM pg_proc
              WHERE oid = 'auditlog.import_event(timestamptz, text, text, text, auditlog.outcome, jsonb, text, text, text)'::regprocedure),
            NULL, 'import_event has an explicit ACL');
SELECT is_empty($$
    SELECT a.grantee::regrole::text
      FROM pg_proc p, aclexplode(p.proacl) a
     WHERE p.oid = 'auditlog.import_event(timestamptz, text, text, text, auditlog.outcome, jsonb, text, text, text)'::regprocedure
       AND a.grantee <> p.proowner
$$, 'import_event is granted to no role but its owner');

---------------------------------------------------------------------------
-- A role without EXECUTE on log_event cannot log, and writes nothing; the
-- harmless helpers work for it.
---------------------------------------------------------------------------
SET LOCAL ROLE auditlog_tap_nobody;
SELECT throws_ok($$SELECT auditlog.log_event('tap_privileges.refused')$$,
                 '42501', 'permission denied for function log_event',
                 'a role without EXECUTE on log_event cannot log');
SELECT throws_ok($$SELECT auditlog.import_event(now() - interval '1 day', 'tap_privileges.refused')$$,
                 '42501', 'permission denied for function import_event',
                 'nor import an event');
SELECT lives_ok($$SELECT auditlog.set_actor('Nobody')$$,
                'it may call set_actor');
SELECT is(auditlog.outcome_label('denied'), 'Denied',
          'it may call outcome_label');
SELECT is('Failure'::auditlog.outcome::text, 'failure',
          'it may use the outcome type');
RESET ROLE;

SELECT is((SELECT count(*) FROM auditlog.events WHERE action = 'tap_privileges.refused'), 0::bigint,
          'the refused calls wrote no event');
SELECT is((SELECT count(*) FROM auditlog.action_types WHERE action = 'tap_privileges.refused'), 0::bigint,
          'nor added their action to the catalogue');

---------------------------------------------------------------------------
-- A role granted only EXECUTE on log_event logs events, new action and new
-- labels included, with no privilege on the tables behind them...
---------------------------------------------------------------------------
SET LOCAL ROLE auditlog_tap_writer;
SELECT auditlog.log_event('tap_privileges.write', 'widget', 'w-1', 'failure',
                          '{"reason": "test"}', actor => 'Tap Writer', actor_id => 'tw-1',
                          org_id => 'tap-org') AS written \gset
RESET ROLE;

SELECT bag_eq($$
    SELECT actor, actor_id, action, resource_type, resource_id, outcome::text, org_id, details,
           db_user = session_user
      FROM auditlog.events WHERE action = 'tap_privileges.write'
$$, $$
    VALUES ('Tap Writer', 'tw-1', 'tap_privileges.write', 'widget', 'w-1', 'failure', 'tap-org',
            '{"reason": "test"}'::jsonb, true)
$$, 'a role granted only EXECUTE on log_event logs an event, stored whole');
SELECT is((SELECT count(*) FROM auditlog.action_types WHERE action = 'tap_privileges.write'), 1::bigint,
          'and its new action is in the catalogue');

-- ...but it cannot touch those tables, nor the view, nor the id sequence.
SET LOCAL ROLE auditlog_tap_writer;
SELECT throws_ok($$SELECT * FROM auditlog.event_store$$,
                 '42501', 'permission denied for table event_store',
                 'the writer cannot SELECT from event_store');
SELECT throws_ok($$INSERT INTO auditlog.event_store (id, occurred_at, txid, action_ref, actor_ref, db_user_ref, outcome)
                   VALUES (-1, now(), 1, 1, 1, 1, 'success')$$,
                 '42501', 'permission denied for table event_store',
                 'the writer cannot INSERT a forged row into event_store');
SELECT throws_ok($$UPDATE auditlog.event_store SET outcome = 'success'$$,
                 '42501', 'permission denied for table event_store',
                 'the writer cannot UPDATE event_store');
SELECT throws_ok($$DELETE FROM auditlog.event_store$$,
                 '42501', 'permission denied for table event_store',
                 'the writer cannot DELETE from event_store');
SELECT throws_ok($$SELECT * FROM auditlog.labels$$,
                 '42501', 'permission denied for table labels',
                 'the writer cannot SELECT from labels');
SELECT throws_ok($$INSERT INTO auditlog.labels (kind, label) VALUES ('a', 'Forged')$$,
                 '42501', 'permission denied for table labels',
                 'the writer cannot INSERT into labels');
SELECT throws_ok($$UPDATE auditlog.labels SET label = 'Forged'$$,
                 '42501', 'permission denied for table labels',
                 'the writer cannot UPDATE labels');
SELECT throws_ok($$DELETE FROM auditlog.labels$$,
                 '42501', 'permission denied for table labels',
                 'the writer cannot DELETE from labels');
SELECT throws_ok($$SELECT * FROM auditlog.action_types$$,
                 '42501', 'permission denied for table action_types',
                 'the writer cannot SELECT from action_types');
SELECT throws_ok($$INSERT INTO auditlog.action_types (action) VALUES ('forged.action')$$,
                 '42501', 'permission denied for table action_types',
                 'the writer cannot INSERT into action_types');
SELECT throws_ok($$UPDATE auditlog.action_types SET description = 'Forged'$$,
                 '42501', 'permission denied for table action_types',
                 'the writer cannot UPDATE action_types');
SELECT throws_ok($$DELETE FROM auditlog.action_types$$,
                 '42501', 'permission denied for table action_types',
                 'the writer cannot DELETE from action_types');
SELECT throws_ok($$SELECT * FROM auditlog.events$$,
                 '42501', 'permission denied for view events',
                 'the writer cannot read auditlog.events');
SELECT throws_ok($$SELECT nextval('auditlog.event_store_id_seq')$$,
                 '42501', 'permission denied for sequence event_store_id_seq',
                 'the writer cannot draw event ids');
SELECT throws_ok($$SELECT setval('auditlog.event_store_id_seq', 1)$$,
                 '42501', 'permission denied for sequence event_store_id_seq',
                 'the writer cannot move the event id sequence');
SELECT throws_ok($$SELECT auditlog.import_event(now() - interval '1 day', 'tap_privileges.import')$$,
                 '42501', 'permission denied for function import_event',
                 'the writer cannot import events');
RESET ROLE;

---------------------------------------------------------------------------
-- A reader granted SELECT on auditlog.events and the tables behind it reads
-- the log, and can do nothing else with it.
---------------------------------------------------------------------------
SET LOCAL ROLE auditlog_tap_reader;
SELECT bag_eq($$
    SELECT actor, action, resource_type, resource_id, outcome::text
      FROM auditlog.events WHERE action = 'tap_privileges.write'
$$, $$
    VALUES ('Tap Writer', 'tap_privileges.write', 'widget', 'w-1', 'failure')
$$, 'the reader reads events through auditlog.events');
SELECT bag_eq($$
    SELECT description FROM auditlog.action_types WHERE action = 'auth.login'
$$, $$
    VALUES ('User logged into the platform')
$$, 'the reader reads the catalogue of actions');
SELECT throws_ok($$SELECT auditlog.log_event('tap_privileges.read')$$,
                 '42501', 'permission denied for function log_event',
                 'the reader cannot log');
SELECT throws_ok($$INSERT INTO auditlog.event_store (id, occurred_at, txid, action_ref, actor_ref, db_user_ref, outcome)
                   VALUES (-1, now(), 1, 1, 1, 1, 'success')$$,
                 '42501', 'permission denied for table event_store',
                 'the reader cannot INSERT into event_store');
SELECT throws_ok($$UPDATE auditlog.event_store SET outcome = 'success'$$,
                 '42501', 'permission denied for table event_store',
                 'the reader cannot UPDATE event_store');
SELECT throws_ok($$DELETE FROM auditlog.event_store$$,
                 '42501', 'permission denied for table event_store',
                 'the reader cannot DELETE from event_store');
SELECT throws_ok($$UPDATE auditlog.labels SET label = 'Forged'$$,
                 '42501', 'permission denied for table labels',
                 'the reader cannot UPDATE labels');
SELECT throws_ok($$INSERT INTO auditlog.action_types (action) VALUES ('forged.action')$$,
                 '42501', 'permission denied for table action_types',
                 'the reader cannot INSERT into action_types');
SELECT throws_ok($$SELECT nextval('auditlog.event_store_id_seq')$$,
                 '42501', 'permission denied for sequence event_store_id_seq',
                 'the reader cannot draw event ids');
RESET ROLE;

-- Nothing the refused statements tried is in the log.
SELECT is_empty($$
    SELECT 1 FROM auditlog.event_store WHERE id = -1
    UNION ALL SELECT 1 FROM auditlog.labels WHERE label = 'Forged'
    UNION ALL SELECT 1 FROM auditlog.action_types
               WHERE action IN ('forged.action', 'tap_privileges.read', 'tap_privileges.import')
       OR description = 'Forged'
$$, 'no forged row, label or action was written');

SELECT * FROM finish();
ROLLBACK;
