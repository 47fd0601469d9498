-- test/tap/trigger_ddl.sql — a registered table keeps being audited through
-- schema changes: added, dropped, renamed and retyped columns, a renamed
-- table, a dropped one. The registry follows the columns by name: a renamed
-- excluded or redacted column stays so under its new name.
BEGIN;
SELECT plan(28);

\ir setup/common.sql

CREATE TABLE tap_ddl_account (
    id int PRIMARY KEY,
    name text,
    pw text,
    api_key text,
    note text,
    internal int,
    tenant text
);
SELECT auditlog.register_table('tap_ddl_account', 'tap_account',
                               exclude_columns => '{note,internal}',
                               redact_columns => '{pw,api_key}',
                               org_column => 'tenant');

---------------------------------------------------------------------------
-- ADD COLUMN: the new column is audited from the next statement on.
---------------------------------------------------------------------------
INSERT INTO tap_ddl_account VALUES (1, 'Ann', 'p', 'k', 'n', 1, 'acme');
ALTER TABLE tap_ddl_account ADD COLUMN email text DEFAULT 'ann@example.com';
INSERT INTO tap_ddl_account (id, name, tenant) VALUES (2, 'Bob', 'acme');
SELECT is((SELECT details FROM tap_events WHERE action = 'tap_account.create' AND resource_id = '2'),
          '{"new": {"id": 2, "name": "Bob", "tenant": "acme", "email": "ann@example.com"}, "redacted": ["pw", "api_key"]}'::jsonb,
          'an added column appears in the next event');
UPDATE tap_ddl_account SET email = 'ann@example.org' WHERE id = 1;
SELECT is((SELECT details FROM tap_events WHERE action = 'tap_account.update' ORDER BY id DESC LIMIT 1),
          '{"old": {"email": "ann@example.com"}, "new": {"email": "ann@example.org"}}'::jsonb,
          'a row written before the column existed shows its default as the old value');

---------------------------------------------------------------------------
-- RENAME COLUMN: excluded and redacted columns keep their role under their
-- new name; the registry shows the new names.
---------------------------------------------------------------------------
ALTER TABLE tap_ddl_account RENAME COLUMN pw TO password;
ALTER TABLE tap_ddl_account RENAME note TO remark;
ALTER TABLE tap_ddl_account RENAME COLUMN name TO full_name;
SELECT results_eq(
    $$SELECT exclude_columns, redact_columns, org_column FROM auditlog.registered_tables
       WHERE table_name = 'tap_ddl_account'::regclass$$,
    $$VALUES ('{remark,internal}'::name[], '{password,api_key}'::name[], 'tenant'::name)$$,
    'the registry shows renamed columns under their new names');
UPDATE tap_ddl_account SET password = 'p2', remark = 'n2', full_name = 'Anne' WHERE id = 1;
SELECT is((SELECT details FROM tap_events WHERE action = 'tap_account.update' ORDER BY id DESC LIMIT 1),
          '{"old": {"full_name": "Ann"}, "new": {"full_name": "Anne"}, "redacted": ["password"]}'::jsonb,
          'a renamed redacted column stays redacted, a renamed excluded one excluded, a renamed audited one audited');
UPDATE tap_ddl_account SET remark = 'n3' WHERE id = 1;
SELECT is((SELECT count(*)::int FROM tap_events WHERE action = 'tap_account.update'), 2,
          'a change of only the renamed excluded column writes no event');

-- Renaming the org column: org_id still comes from it.
ALTER TABLE tap_ddl_account RENAME COLUMN tenant TO org;
SELECT is((SELECT org_column FROM auditlog.registered_tables WHERE table_name = 'tap_ddl_account'::regclass),
          'org'::name, 'a renamed org_column is followed');
INSERT INTO tap_ddl_account (id, full_name, org) VALUES (3, 'Cid', 'globex');
SELECT is((SELECT org_id FROM tap_events WHERE action = 'tap_account.create' AND resource_id = '3'), 'globex',
          'and org_id still comes from it');

-- A new column that takes the old name of a renamed excluded column is not excluded.
ALTER TABLE tap_ddl_account ADD COLUMN note text;
INSERT INTO tap_ddl_account (id, full_name, note) VALUES (4, 'Dee', 'visible');
SELECT is((SELECT details->'new'->>'note' FROM tap_events WHERE action = 'tap_account.create' AND resource_id = '4'),
          'visible', 'a new column under the old name of an excluded column is audited');

-- Swapping two names through a third: each column keeps its own role.
ALTER TABLE tap_ddl_account RENAME COLUMN api_key TO tmp_swap;
ALTER TABLE tap_ddl_account RENAME COLUMN email TO api_key;
ALTER TABLE tap_ddl_account RENAME COLUMN tmp_swap TO email;
SELECT is((SELECT redact_columns FROM auditlog.registered_tables WHERE table_name = 'tap_ddl_account'::regclass),
          '{password,email}'::name[], 'swapped names: the redacted column is redacted under its new name');
UPDATE tap_ddl_account SET api_key = 'now-audited', email = 'now-redacted' WHERE id = 4;
SELECT is((SELECT details FROM tap_events WHERE action = 'tap_account.update' ORDER BY id DESC LIMIT 1),
          '{"old": {"api_key": "ann@example.com"}, "new": {"api_key": "now-audited"}, "redacted": ["email"]}'::jsonb,
          'swapped names: the events follow the columns, not the names');

---------------------------------------------------------------------------
-- DROP COLUMN: a dropped column leaves the lists; a dropped org_column or
-- id_column returns to the default.
---------------------------------------------------------------------------
ALTER TABLE tap_ddl_account DROP COLUMN internal;
ALTER TABLE tap_ddl_account DROP COLUMN password;
SELECT results_eq(
    $$SELECT exclude_columns, redact_columns FROM auditlog.registered_tables
       WHERE table_name = 'tap_ddl_account'::regclass$$,
    $$VALUES ('{remark}'::name[], '{email}'::name[])$$,
    'dropped columns disappear from exclude_columns and redact_columns');
INSERT INTO tap_ddl_account (id, full_name) VALUES (5, 'Eve');
SELECT is((SELECT details FROM tap_events WHERE action = 'tap_account.create' AND resource_id = '5'),
          '{"new": {"id": 5, "full_name": "Eve", "org": null, "api_key": "ann@example.com", "note": null}, "redacted": ["email"]}'::jsonb,
          'events after a DROP COLUMN no longer mention the column');
ALTER TABLE tap_ddl_account ADD COLUMN internal int;
INSERT INTO tap_ddl_account (id, full_name, internal) VALUES (6, 'Fay', 42);
SELECT is((SELECT details->'new'->'internal' FROM tap_events WHERE action = 'tap_account.create' AND resource_id = '6'),
          '42'::jsonb, 'a new column under the name of a dropped excluded column is audited');
ALTER TABLE tap_ddl_account DROP COLUMN org;
SELECT is((SELECT org_column FROM auditlog.registered_tables WHERE table_name = 'tap_ddl_account'::regclass),
          NULL::name, 'a dropped org_column is forgotten');
SET LOCAL auditlog.org_id = 'from-setting';
DELETE FROM tap_ddl_account WHERE id = 6;
SELECT is((SELECT org_id FROM tap_events WHERE action = 'tap_account.delete' AND resource_id = '6'), 'from-setting',
          'without it, org_id is auditlog.org_id again');
RESET auditlog.org_id;

CREATE TABLE tap_ddl_slugged (id int PRIMARY KEY, slug text UNIQUE);
SELECT auditlog.register_table('tap_ddl_slugged', id_column => 'slug');
ALTER TABLE tap_ddl_slugged RENAME slug TO handle;
SELECT is((SELECT id_columns FROM auditlog.registered_tables WHERE table_name = 'tap_ddl_slugged'::regclass),
          '{handle}'::name[], 'a renamed id_column is followed');
INSERT INTO tap_ddl_slugged VALUES (1, 'first');
ALTER TABLE tap_ddl_slugged DROP COLUMN handle;
INSERT INTO tap_ddl_slugged VALUES (2);
SELECT results_eq(
    $$SELECT resource_id FROM tap_events WHERE resource_type = 'tap_ddl_slugged' ORDER BY id$$,
    $$VALUES ('first'::text), ('2')$$,
    'a dropped id_column: the resource id is the primary key again');

-- A column dropped by DROP TYPE ... CASCADE leaves the lists too.
CREATE TYPE tap_ddl_kind AS ENUM ('a', 'b');
CREATE TABLE tap_ddl_typed (id int PRIMARY KEY, kind tap_ddl_kind, v int);
SELECT auditlog.register_table('tap_ddl_typed', exclude_columns => '{kind}');
DROP TYPE tap_ddl_kind CASCADE;
ALTER TABLE tap_ddl_typed ADD COLUMN kind text;
INSERT INTO tap_ddl_typed VALUES (1, 1, 'new kind');
SELECT is((SELECT exclude_columns FROM auditlog.registered_tables WHERE table_name = 'tap_ddl_typed'::regclass),
          '{}'::name[], 'a column dropped with its type leaves exclude_columns');
SELECT is((SELECT details->'new'->>'kind' FROM tap_events WHERE action = 'tap_ddl_typed.create'),
          'new kind', 'a new column under that name is audited');

-- A rename made under session_replication_role = replica (as restore and
-- replication tools run) is followed too: a redacted column never leaks.
CREATE TABLE tap_ddl_replica (id int PRIMARY KEY, pw text);
SELECT auditlog.register_table('tap_ddl_replica', redact_columns => '{pw}');
SET LOCAL session_replication_role = replica;
ALTER TABLE tap_ddl_replica RENAME COLUMN pw TO password;
SET LOCAL session_replication_role = origin;
INSERT INTO tap_ddl_replica VALUES (1, 'hunter2');
SELECT is((SELECT redact_columns FROM auditlog.registered_tables WHERE table_name = 'tap_ddl_replica'::regclass),
          '{password}'::name[], 'a column renamed in replica mode is renamed in the registry');
SELECT is((SELECT details FROM tap_events WHERE action = 'tap_ddl_replica.create'),
          '{"new": {"id": 1}, "redacted": ["password"]}'::jsonb,
          'and its values stay out of events');

---------------------------------------------------------------------------
-- ALTER COLUMN TYPE: values show in their new type from then on.
---------------------------------------------------------------------------
CREATE TABLE tap_ddl_retyped (id int PRIMARY KEY, amount int);
SELECT auditlog.register_table('tap_ddl_retyped');
INSERT INTO tap_ddl_retyped VALUES (1, 10);
ALTER TABLE tap_ddl_retyped ALTER COLUMN amount TYPE text USING amount::text || ' EUR';
UPDATE tap_ddl_retyped SET amount = '11 EUR';
SELECT results_eq(
    $$SELECT details FROM tap_events WHERE resource_type = 'tap_ddl_retyped' ORDER BY id$$,
    $$VALUES ('{"new": {"id": 1, "amount": 10}}'::jsonb),
             ('{"old": {"amount": "10 EUR"}, "new": {"amount": "11 EUR"}}')$$,
    'after ALTER COLUMN TYPE, values show in the new type');

---------------------------------------------------------------------------
-- RENAME TABLE, SET SCHEMA: still audited, same resource type.
---------------------------------------------------------------------------
ALTER TABLE tap_ddl_account RENAME TO tap_ddl_customer;
INSERT INTO tap_ddl_customer (id, full_name) VALUES (7, 'Gus');
SELECT results_eq(
    $$SELECT action, resource_type FROM tap_events WHERE resource_id = '7' AND resource_type = 'tap_account'$$,
    $$VALUES ('tap_account.create'::text, 'tap_account'::text)$$,
    'a renamed table is still audited under its resource type');
CREATE SCHEMA tap_ddl_archive;
ALTER TABLE tap_ddl_customer SET SCHEMA tap_ddl_archive;
TRUNCATE tap_ddl_archive.tap_ddl_customer;
SELECT is((SELECT details FROM tap_events WHERE action = 'tap_account.truncate'),
          '{"table": "tap_ddl_archive.tap_ddl_customer"}'::jsonb,
          'a table moved to another schema is still audited; TRUNCATE names it where it is now');
SELECT is((SELECT table_name::text FROM auditlog.registered_tables WHERE resource_type = 'tap_account'),
          'tap_ddl_archive.tap_ddl_customer', 'registered_tables shows the table''s current name');

---------------------------------------------------------------------------
-- DROP TABLE: the registration goes, without error; the events stay.
---------------------------------------------------------------------------
SELECT lives_ok($$DROP TABLE tap_ddl_archive.tap_ddl_customer$$, 'a registered table can be dropped');
SELECT is_empty($$SELECT 1 FROM auditlog.registered_tables WHERE resource_type = 'tap_account'$$,
                'its registration is gone');
SELECT ok((SELECT count(*) FROM tap_events WHERE resource_type = 'tap_account') > 0,
          'its events stay');

SELECT * FROM finish();
ROLLBACK;
