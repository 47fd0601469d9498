-- test/tap/register_errors.sql — what register_table() and unregister_table()
-- refuse: each wrong call is an ERROR with its SQLSTATE, a message naming
-- the bad value and a hint where one helps; a refused call registers
-- nothing.
BEGIN;
SELECT plan(43);

\ir setup/common.sql

CREATE TABLE tap_err_ok (id int PRIMARY KEY, a int, b int);
CREATE TABLE tap_err_nopk (a int, b text);
CREATE VIEW tap_err_view AS SELECT 1 AS x;
CREATE MATERIALIZED VIEW tap_err_matview AS SELECT 1 AS x;
CREATE SEQUENCE tap_err_seq;
CREATE EXTENSION file_fdw;
CREATE SERVER tap_err_files FOREIGN DATA WRAPPER file_fdw;
CREATE FOREIGN TABLE tap_err_foreign (id int) SERVER tap_err_files OPTIONS (filename '/dev/null');
CREATE TEMP TABLE tap_err_temp (id int PRIMARY KEY);
CREATE TABLE tap_err_parent (id int, region text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE tap_err_part PARTITION OF tap_err_parent FOR VALUES IN ('eu');
CREATE TABLE "Tap Weird Table" (id int PRIMARY KEY);

---------------------------------------------------------------------------
-- The table: it must be given, be an ordinary or partitioned table, live
-- longer than a session, and not be a partition or part of auditlog.
---------------------------------------------------------------------------
SELECT throws_ok($$SELECT auditlog.register_table(NULL)$$,
                 '22004', 'tbl must not be null', 'a NULL table is refused');
SELECT throws_ok($$SELECT auditlog.register_table('tap_err_view')$$,
                 '42809', '"tap_err_view" is not a table', 'a view is refused');
SELECT is(pg_temp.hint_of($$SELECT auditlog.register_table('tap_err_view')$$),
          'Register the tables the view reads from.', 'the hint for a view: register its tables');
SELECT throws_ok($$SELECT auditlog.register_table('tap_err_matview')$$,
                 '42809', '"tap_err_matview" is not a table', 'a materialized view is refused');
SELECT throws_ok($$SELECT auditlog.register_table('tap_err_seq')$$,
                 '42809', '"tap_err_seq" is not a table', 'a sequence is refused');
SELECT throws_ok($$SELECT auditlog.register_table('tap_err_foreign')$$,
                 '42809', '"tap_err_foreign" is not a table', 'a foreign table is refused');
SELECT is(pg_temp.hint_of($$SELECT auditlog.register_table('tap_err_foreign')$$),
          'Register the table on the server that holds the rows.',
          'the hint for a foreign table: register it where its rows are');
SELECT throws_ok($$SELECT auditlog.register_table('tap_err_temp')$$,
                 '0A000', 'cannot audit temporary table "tap_err_temp"', 'a temporary table is refused');
SELECT throws_ok($$SELECT auditlog.register_table('tap_err_part')$$,
                 '42809', '"tap_err_part" is a partition', 'a partition is refused');
SELECT is(pg_temp.hint_of($$SELECT auditlog.register_table('tap_err_part')$$),
          'Register its partitioned table: every partition is audited under its resource type.',
          'the hint for a partition: register its partitioned table');
SELECT throws_ok($$SELECT auditlog.register_table('auditlog.event_store')$$,
                 '42809', 'cannot audit system table "event_store"', 'auditlog''s own event store is refused');
SELECT throws_ok($$SELECT auditlog.register_table('auditlog.registry')$$,
                 '42809', 'cannot audit system table "registry"', 'auditlog''s registry is refused');
SELECT throws_ok($$SELECT auditlog.register_table('auditlog.labels')$$,
                 '42809', 'cannot audit system table "labels"', 'auditlog''s labels are refused');
SELECT throws_ok($$SELECT auditlog.register_table('pg_catalog.pg_class')$$,
                 '42809', 'cannot audit system table "pg_class"', 'a system catalog is refused');

---------------------------------------------------------------------------
-- How rows are identified: a primary key, or an id_column.
---------------------------------------------------------------------------
SELECT throws_ok($$SELECT auditlog.register_table('tap_err_nopk')$$,
                 '55000', 'table "tap_err_nopk" has no primary key',
                 'a table with neither primary key nor id_column is refused');
SELECT is(pg_temp.hint_of($$SELECT auditlog.register_table('tap_err_nopk')$$),
          'Add a primary key, or pass id_column => ''a_unique_column''.',
          'the hint names id_column');

---------------------------------------------------------------------------
-- Every column named in the options must exist, by its exact name.
---------------------------------------------------------------------------
SELECT throws_ok($$SELECT auditlog.register_table('tap_err_ok', exclude_columns => '{a,nope}')$$,
                 '42703', 'column "nope" of relation "tap_err_ok" does not exist',
                 'an unknown column in exclude_columns is refused');
SELECT throws_ok($$SELECT auditlog.register_table('tap_err_ok', redact_columns => '{nope}')$$,
                 '42703', 'column "nope" of relation "tap_err_ok" does not exist',
                 'an unknown column in redact_columns is refused');
SELECT throws_ok($$SELECT auditlog.register_table('tap_err_ok', id_column => 'nope')$$,
                 '42703', 'column "nope" of relation "tap_err_ok" does not exist',
                 'an unknown id_column is refused');
SELECT throws_ok($$SELECT auditlog.register_table('tap_err_ok', org_column => 'nope')$$,
                 '42703', 'column "nope" of relation "tap_err_ok" does not exist',
                 'an unknown org_column is refused');
SELECT throws_ok($$SELECT auditlog.register_table('tap_err_ok', exclude_columns => '{A}')$$,
                 '42703', 'column "A" of relation "tap_err_ok" does not exist',
                 'names are exact: "A" is not column a');
SELECT throws_ok($$SELECT auditlog.register_table('tap_err_ok', id_column => 'ctid')$$,
                 '42P10', 'system column "ctid" cannot be used as id_column',
                 'a system column is no id_column');

-- The lists: not null, no null element, no column in both.
SELECT throws_ok($$SELECT auditlog.register_table('tap_err_ok', exclude_columns => '{a}', redact_columns => '{b,a}')$$,
                 '22023', 'column "a" is both excluded and redacted',
                 'a column both excluded and redacted is refused');
SELECT throws_ok($$SELECT auditlog.register_table('tap_err_ok', exclude_columns => '{{a},{b}}')$$,
                 '2202E', 'exclude_columns must be a one-dimensional array', 'a two-dimensional list is refused');
SELECT is(pg_temp.hint_of($$SELECT auditlog.register_table('tap_err_ok', redact_columns => '{{a},{b}}')$$),
          'List the column names in one dimension, such as ''{access_token, secret}''.',
          'with a hint');
SELECT throws_ok($$SELECT auditlog.register_table('tap_err_ok', exclude_columns => NULL)$$,
                 '22004', 'exclude_columns must not be null', 'a NULL exclude_columns is refused');
SELECT throws_ok($$SELECT auditlog.register_table('tap_err_ok', redact_columns => NULL)$$,
                 '22004', 'redact_columns must not be null', 'a NULL redact_columns is refused');
SELECT is(pg_temp.hint_of($$SELECT auditlog.register_table('tap_err_ok', exclude_columns => NULL)$$),
          'Pass ''{}'' for no columns.', 'the hint says how to pass no columns');
SELECT throws_ok($$SELECT auditlog.register_table('tap_err_ok', exclude_columns => '{a,NULL}')$$,
                 '22004', 'exclude_columns must not contain null', 'a NULL element in exclude_columns is refused');
SELECT throws_ok($$SELECT auditlog.register_table('tap_err_ok', redact_columns => ARRAY[NULL]::name[])$$,
                 '22004', 'redact_columns must not contain null', 'a NULL element in redact_columns is refused');

---------------------------------------------------------------------------
-- The resource type names the actions: one lower-case word.
---------------------------------------------------------------------------
SELECT throws_ok($$SELECT auditlog.register_table('"Tap Weird Table"')$$,
                 '22023', 'table name "Tap Weird Table" cannot name actions',
                 'a table name that is no action word needs a resource_type');
SELECT is(pg_temp.hint_of($$SELECT auditlog.register_table('"Tap Weird Table"')$$),
          'Pass resource_type => ''a_word'', such as resource_type => ''connection''.',
          'the hint says to pass resource_type');
SELECT lives_ok($$SELECT auditlog.register_table('"Tap Weird Table"', 'tap_weird')$$,
                'with a resource_type, the same table registers');
SELECT throws_ok($$SELECT auditlog.register_table('tap_err_ok', 'Bad-Type')$$,
                 '22023', 'invalid resource_type "Bad-Type"', 'an invalid resource_type is refused');
SELECT throws_ok($$SELECT auditlog.register_table('tap_err_ok', 'connection.sub')$$,
                 '22023', 'invalid resource_type "connection.sub"', 'a resource_type is one word, without dots');
SELECT throws_ok($$SELECT auditlog.register_table('tap_err_ok', '')$$,
                 '22023', 'invalid resource_type ""', 'an empty resource_type is refused');

---------------------------------------------------------------------------
-- unregister_table: only a registered table.
---------------------------------------------------------------------------
SELECT throws_ok($$SELECT auditlog.unregister_table('tap_err_ok')$$,
                 '42704', 'table "tap_err_ok" is not registered', 'unregistering a table not registered is refused');
SELECT throws_ok($$SELECT auditlog.unregister_table(NULL)$$,
                 '22004', 'tbl must not be null', 'unregister_table(NULL) is refused');

-- Every refusal above carries a hint (the README promises one with each).
SELECT is_empty($$
    SELECT s FROM unnest(ARRAY[
        'SELECT auditlog.register_table(NULL)',
        'SELECT auditlog.register_table(''tap_err_view'')',
        'SELECT auditlog.register_table(''tap_err_matview'')',
        'SELECT auditlog.register_table(''tap_err_seq'')',
        'SELECT auditlog.register_table(''tap_err_foreign'')',
        'SELECT auditlog.register_table(''tap_err_temp'')',
        'SELECT auditlog.register_table(''tap_err_part'')',
        'SELECT auditlog.register_table(''auditlog.event_store'')',
        'SELECT auditlog.register_table(''pg_catalog.pg_class'')',
        'SELECT auditlog.register_table(''tap_err_nopk'')',
        'SELECT auditlog.register_table(''tap_err_ok'', exclude_columns => ''{a,nope}'')',
        'SELECT auditlog.register_table(''tap_err_ok'', redact_columns => ''{nope}'')',
        'SELECT auditlog.register_table(''tap_err_ok'', id_column => ''nope'')',
        'SELECT auditlog.register_table(''tap_err_ok'', org_column => ''nope'')',
        'SELECT auditlog.register_table(''tap_err_ok'', id_column => ''ctid'')',
        'SELECT auditlog.register_table(''tap_err_ok'', exclude_columns => ''{a}'', redact_columns => ''{b,a}'')',
        'SELECT auditlog.register_table(''tap_err_ok'', exclude_columns => NULL)',
        'SELECT auditlog.register_table(''tap_err_ok'', exclude_columns => ''{a,NULL}'')',
        'SELECT auditlog.register_table(''tap_err_ok'', ''Bad-Type'')',
        'SELECT auditlog.register_table(''tap_err_ok'', '''')',
        'SELECT auditlog.unregister_table(''tap_err_ok'')',
        'SELECT auditlog.unregister_table(NULL)']) s
     WHERE pg_temp.hint_of(s) IS NULL
$$, 'every refusal of register_table and unregister_table above carries a hint');

---------------------------------------------------------------------------
-- Nothing is half-written: after all those refusals, only the one table
-- registered above is in the registry, and no trigger was left behind.
---------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT table_name::text FROM auditlog.registered_tables WHERE table_name::text ~* 'tap_err|tap weird'$$,
    $$VALUES ('"Tap Weird Table"'::text)$$,
    'refused registrations leave no registry row');
SELECT is_empty(
    $$SELECT tgrelid::regclass FROM pg_trigger
       WHERE tgname LIKE 'auditlog%' AND tgrelid::regclass::text LIKE 'tap_err%'$$,
    'refused registrations leave no trigger');

-- A refused registration of a registered table leaves its options as they were.
SELECT auditlog.register_table('tap_err_ok', 'tap_err', exclude_columns => '{a}');
SELECT throws_ok($$SELECT auditlog.register_table('tap_err_ok', 'tap_err', exclude_columns => '{b}', org_column => 'nope')$$,
                 '42703', NULL, 'registering again with a bad option is refused');
SELECT results_eq(
    $$SELECT resource_type, exclude_columns, org_column FROM auditlog.registered_tables
       WHERE table_name = 'tap_err_ok'::regclass$$,
    $$VALUES ('tap_err'::text, '{a}'::name[], NULL::name)$$,
    'and the options stay those of the last successful registration');

SELECT * FROM finish();
ROLLBACK;
