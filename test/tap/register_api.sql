-- test/tap/register_api.sql — auditlog.register_table() and unregister_table():
-- what registering stores, what auditlog.registered_tables shows, the
-- actions a registration adds to the catalogue, registering again, and how
-- a registration ends (unregister, DROP TABLE).
BEGIN;
SELECT plan(32);

SET LOCAL timezone = 'UTC';
\ir setup/common.sql

---------------------------------------------------------------------------
-- The functions, as the design names them.
---------------------------------------------------------------------------
SELECT has_function('auditlog', 'register_table',
                    ARRAY['regclass', 'text', 'name', 'name[]', 'name[]', 'name'],
                    'register_table(tbl, resource_type, id_column, exclude_columns, redact_columns, org_column) exists');
SELECT function_returns('auditlog', 'register_table',
                        ARRAY['regclass', 'text', 'name', 'name[]', 'name[]', 'name'], 'void',
                        'register_table returns void');
SELECT has_function('auditlog', 'unregister_table', ARRAY['regclass'],
                    'unregister_table(tbl) exists');
SELECT has_view('auditlog', 'registered_tables', 'auditlog.registered_tables exists');
SELECT columns_are('auditlog', 'registered_tables',
                   ARRAY['table_name', 'resource_type', 'id_columns', 'exclude_columns',
                         'redact_columns', 'org_column', 'registered_at', 'registered_by',
                         'active', 'problem'],
                   'registered_tables has the documented columns');

---------------------------------------------------------------------------
-- Registering with the defaults: the table name is the resource type, the
-- primary key is the id, no column is left out.
---------------------------------------------------------------------------
CREATE TABLE tap_reg_connection (id int PRIMARY KEY, name text, secret text, token text,
                                 org text, updated_at timestamptz);
SELECT auditlog.register_table('tap_reg_connection');
SELECT results_eq(
    $$SELECT table_name, resource_type, id_columns, exclude_columns, redact_columns, org_column
        FROM auditlog.registered_tables WHERE table_name = 'tap_reg_connection'::regclass$$,
    $$VALUES ('tap_reg_connection'::regclass, 'tap_reg_connection'::text, '{id}'::name[],
              '{}'::name[], '{}'::name[], NULL::name)$$,
    'a table with a primary key registers with the defaults: resource type = table name, id = primary key, nothing excluded or redacted');
SELECT ok(registered_by = session_user AND registered_at = now(),
          'registered_by is the session user, registered_at the transaction time')
  FROM auditlog.registered_tables WHERE table_name = 'tap_reg_connection'::regclass;

-- The four actions of the table join the catalogue, each with a description.
SELECT results_eq(
    $$SELECT action COLLATE "default", description FROM auditlog.action_types
       WHERE action LIKE 'tap\_reg\_connection.%' ORDER BY id$$,
    $$VALUES ('tap_reg_connection.create'::text,
              'Created a tap_reg_connection (row of table public.tap_reg_connection)'::text),
             ('tap_reg_connection.update', 'Updated a tap_reg_connection (row of table public.tap_reg_connection)'),
             ('tap_reg_connection.delete', 'Deleted a tap_reg_connection (row of table public.tap_reg_connection)'),
             ('tap_reg_connection.truncate',
              'Emptied every tap_reg_connection: TRUNCATE of table public.tap_reg_connection')$$,
    'registering adds <rt>.create/.update/.delete/.truncate to action_types, described');

-- Two triggers do the work: one per row, one per statement.
SELECT bag_eq(
    $$SELECT tgname::text FROM pg_trigger WHERE tgrelid = 'tap_reg_connection'::regclass$$,
    $$VALUES ('auditlog_row'), ('auditlog_stmt')$$,
    'the table gets the triggers auditlog_row and auditlog_stmt');

---------------------------------------------------------------------------
-- Registering again replaces every option (those not passed return to
-- their defaults); an action's description, once there, is kept.
---------------------------------------------------------------------------
UPDATE auditlog.action_types SET description = 'A connection was created (our words)'
 WHERE action = 'tap_reg_connection.create';
SELECT auditlog.register_table('tap_reg_connection', 'tap_conn',
                               exclude_columns => '{updated_at}', redact_columns => '{secret,token}',
                               org_column => 'org');
SELECT results_eq(
    $$SELECT resource_type, id_columns, exclude_columns, redact_columns, org_column
        FROM auditlog.registered_tables WHERE table_name = 'tap_reg_connection'::regclass$$,
    $$VALUES ('tap_conn'::text, '{id}'::name[], '{updated_at}'::name[], '{secret,token}'::name[], 'org'::name)$$,
    'registering again with options updates the options');
SELECT is((SELECT count(*)::int FROM auditlog.registered_tables
            WHERE table_name = 'tap_reg_connection'::regclass), 1,
          'a table is registered once, however often register_table is called');
SELECT bag_eq(
    $$SELECT tgname::text FROM pg_trigger WHERE tgrelid = 'tap_reg_connection'::regclass$$,
    $$VALUES ('auditlog_row'), ('auditlog_stmt')$$,
    'registering again adds no second trigger');
SELECT is((SELECT count(*)::int FROM auditlog.action_types WHERE action LIKE 'tap\_conn.%'), 4,
          'a new resource type brings its four actions');

-- A description that exists is not overwritten, neither by registering the
-- same resource type again nor after it was edited.
SELECT auditlog.register_table('tap_reg_connection', 'tap_reg_connection');
SELECT is((SELECT description FROM auditlog.action_types WHERE action = 'tap_reg_connection.create'),
          'A connection was created (our words)',
          'registering keeps an existing description');

-- An action first seen in an event has no description; registering fills it in.
-- an event of an action nobody described
SELECT auditlog.log_event('tap_reg_later.create') AS undescribed \gset
CREATE TABLE tap_reg_later (id int PRIMARY KEY);
SELECT auditlog.register_table('tap_reg_later');
SELECT is((SELECT description FROM auditlog.action_types WHERE action = 'tap_reg_later.create'),
          'Created a tap_reg_later (row of table public.tap_reg_later)',
          'registering describes an action that had no description');

-- The options are stored once each, in the order given.
SELECT auditlog.register_table('tap_reg_connection', exclude_columns => '{updated_at,updated_at}',
                               redact_columns => '{token,secret,token}');
SELECT results_eq(
    $$SELECT exclude_columns, redact_columns FROM auditlog.registered_tables
       WHERE table_name = 'tap_reg_connection'::regclass$$,
    $$VALUES ('{updated_at}'::name[], '{token,secret}'::name[])$$,
    'a column named twice in a list is stored once');

---------------------------------------------------------------------------
-- How a row is identified: id_column, else the primary key (composite keys
-- in key order), else registration is refused (register_errors.sql).
---------------------------------------------------------------------------
CREATE TABLE tap_reg_nopk (code text NOT NULL UNIQUE, label text);
SELECT auditlog.register_table('tap_reg_nopk', id_column => 'code');
SELECT is((SELECT id_columns FROM auditlog.registered_tables WHERE table_name = 'tap_reg_nopk'::regclass),
          '{code}'::name[], 'a table without primary key registers with an id_column, which id_columns shows');

CREATE TABLE tap_reg_pk_and_id (id int PRIMARY KEY, slug text UNIQUE);
SELECT auditlog.register_table('tap_reg_pk_and_id', id_column => 'slug');
SELECT is((SELECT id_columns FROM auditlog.registered_tables WHERE table_name = 'tap_reg_pk_and_id'::regclass),
          '{slug}'::name[], 'an id_column wins over the primary key');

CREATE TABLE tap_reg_composite (region text, seq int, payload text, PRIMARY KEY (seq, region));
SELECT auditlog.register_table('tap_reg_composite');
SELECT is((SELECT id_columns FROM auditlog.registered_tables WHERE table_name = 'tap_reg_composite'::regclass),
          '{seq,region}'::name[], 'a composite primary key: its columns, in key order');

-- Columns a primary key only INCLUDEs are no part of the id: the triggers
-- name the resource by the key columns alone (trigger_events.sql).
CREATE TABLE tap_reg_include (id int, name text, PRIMARY KEY (id) INCLUDE (name));
SELECT auditlog.register_table('tap_reg_include');
SELECT is((SELECT id_columns FROM auditlog.registered_tables WHERE table_name = 'tap_reg_include'::regclass),
          '{id}'::name[], 'id_columns leaves out the columns a primary key INCLUDEs');

---------------------------------------------------------------------------
-- The options take column names exactly (they are names, not identifiers
-- to fold): "Name" is not name.
---------------------------------------------------------------------------
CREATE TABLE tap_reg_case (id int PRIMARY KEY, "Name" text, name text);
SELECT auditlog.register_table('tap_reg_case', exclude_columns => '{Name}');
SELECT is((SELECT exclude_columns FROM auditlog.registered_tables WHERE table_name = 'tap_reg_case'::regclass),
          '{Name}'::name[], 'exclude_columns holds the exact column name');

-- Registering works inside a schema, and registered_tables shows the
-- table as a regclass (qualified when outside the search_path).
CREATE SCHEMA tap_reg_app;
CREATE TABLE tap_reg_app.invoice (id bigint PRIMARY KEY, total numeric);
SELECT auditlog.register_table('tap_reg_app.invoice');
SELECT is((SELECT table_name::text FROM auditlog.registered_tables
            WHERE resource_type = 'invoice' AND table_name = 'tap_reg_app.invoice'::regclass),
          'tap_reg_app.invoice', 'a table of another schema registers; its name defaults the resource type');

---------------------------------------------------------------------------
-- A renamed table stays registered, with the same resource type.
---------------------------------------------------------------------------
ALTER TABLE tap_reg_later RENAME TO tap_reg_renamed;
SELECT results_eq(
    $$SELECT table_name::text, resource_type FROM auditlog.registered_tables
       WHERE table_name = 'tap_reg_renamed'::regclass$$,
    $$VALUES ('tap_reg_renamed'::text, 'tap_reg_later'::text)$$,
    'a renamed table stays registered under its resource type');

---------------------------------------------------------------------------
-- Unregistering: the registry row and the triggers go; the actions and the
-- past events stay.
---------------------------------------------------------------------------
INSERT INTO tap_reg_renamed VALUES (1);
SELECT auditlog.unregister_table('tap_reg_renamed');
SELECT is_empty($$SELECT 1 FROM auditlog.registered_tables WHERE table_name = 'tap_reg_renamed'::regclass$$,
                'unregister_table: the table is no longer listed');
SELECT is_empty($$SELECT 1 FROM pg_trigger WHERE tgrelid = 'tap_reg_renamed'::regclass AND tgname LIKE 'auditlog%'$$,
                'its triggers are gone');
INSERT INTO tap_reg_renamed VALUES (2);
SELECT results_eq(
    $$SELECT resource_id COLLATE "default" FROM auditlog.events WHERE resource_type = 'tap_reg_later' ORDER BY id$$,
    $$VALUES ('1'::text)$$,
    'events written while registered stay; changes after unregistering write none');
SELECT is((SELECT count(*)::int FROM auditlog.action_types WHERE action LIKE 'tap\_reg\_later.%'), 4,
          'the actions of an unregistered table stay in the catalogue');
SELECT auditlog.register_table('tap_reg_renamed', 'tap_reg_later');
SELECT is((SELECT count(*)::int FROM auditlog.registered_tables WHERE table_name = 'tap_reg_renamed'::regclass), 1,
          'an unregistered table can be registered again, and is listed again');

---------------------------------------------------------------------------
-- DROP TABLE ends the registration without an error.
---------------------------------------------------------------------------
SELECT lives_ok($$DROP TABLE tap_reg_nopk$$, 'a registered table can be dropped');
SELECT is_empty($$SELECT 1 FROM auditlog.registry r WHERE NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = r.tbl)$$,
                'the registry keeps no row for a dropped table');
SELECT lives_ok($$DROP SCHEMA tap_reg_app CASCADE$$, 'a schema holding a registered table can be dropped');
SELECT is_empty($$SELECT 1 FROM auditlog.registered_tables WHERE resource_type = 'invoice'$$,
                'the tables of a dropped schema leave the registry');

SELECT * FROM finish();
ROLLBACK;
