-- test/tap/trigger_events.sql — the events the triggers of a registered table
-- write: one per inserted, updated or deleted row and one per TRUNCATE,
-- each with its action, resource, organisation, actor, context and details.
BEGIN;
SELECT plan(36);

\ir setup/common.sql

CREATE TABLE tap_trg_connection (
    id int PRIMARY KEY,
    name text,
    secret text,
    token text,
    org text,
    updated_at timestamptz
);
SELECT auditlog.register_table('tap_trg_connection', 'tap_connection',
                               exclude_columns => '{updated_at}',
                               redact_columns => '{secret,token}',
                               org_column => 'org');

---------------------------------------------------------------------------
-- INSERT: <rt>.create with the new row, less excluded and redacted
-- columns; the redacted ones are named under "redacted".
---------------------------------------------------------------------------
INSERT INTO tap_trg_connection VALUES (1, 'Salesforce', 'pw', 'tk', 'acme', now());
SELECT results_eq(
    $$SELECT action, resource_type, resource_id, org_id, outcome, details
        FROM tap_events WHERE resource_type = 'tap_connection' ORDER BY id$$,
    $$VALUES ('tap_connection.create'::text, 'tap_connection'::text, '1'::text, 'acme'::text, 'success'::text,
              '{"new": {"id": 1, "name": "Salesforce", "org": "acme"}, "redacted": ["secret", "token"]}'::jsonb)$$,
    'INSERT writes <rt>.create: new row without excluded and redacted columns, redacted names listed');

-- The context the application cannot forge.
SELECT results_eq(
    $$SELECT actor, actor_id, db_user, txid FROM tap_events WHERE action = 'tap_connection.create'$$,
    $$VALUES (session_user::text COLLATE "default", NULL::text, session_user::text COLLATE "default", pg_current_xact_id()::text::bigint)$$,
    'without auditlog.actor the actor is the session user; db_user too; txid is the transaction''s');

---------------------------------------------------------------------------
-- UPDATE: only the changed columns, old and new; changed redacted columns
-- are named without values; "old" and "new" are always there.
---------------------------------------------------------------------------
UPDATE tap_trg_connection SET name = 'Salesforce EU', secret = 'pw2', updated_at = now() + interval '1 hour';
SELECT is((SELECT details FROM tap_events WHERE action = 'tap_connection.update' ORDER BY id DESC LIMIT 1),
          '{"old": {"name": "Salesforce"}, "new": {"name": "Salesforce EU"}, "redacted": ["secret"]}'::jsonb,
          'UPDATE writes the changed audited columns (old and new) and the changed redacted ones by name');

UPDATE tap_trg_connection SET token = 'tk2';
SELECT is((SELECT details FROM tap_events WHERE action = 'tap_connection.update' ORDER BY id DESC LIMIT 1),
          '{"old": {}, "new": {}, "redacted": ["token"]}'::jsonb,
          'an UPDATE of only redacted columns still is an event: empty old/new, the columns named');

UPDATE tap_trg_connection SET name = 'Salesforce' ;
SELECT is((SELECT details FROM tap_events WHERE action = 'tap_connection.update' ORDER BY id DESC LIMIT 1),
          '{"old": {"name": "Salesforce EU"}, "new": {"name": "Salesforce"}}'::jsonb,
          'without a changed redacted column there is no "redacted" key');

UPDATE tap_trg_connection SET org = NULL;
SELECT results_eq(
    $$SELECT org_id, details FROM tap_events WHERE action = 'tap_connection.update' ORDER BY id DESC LIMIT 1$$,
    $$VALUES (NULL::text, '{"old": {"org": "acme"}, "new": {"org": null}}'::jsonb)$$,
    'a change to NULL shows null; the event''s org_id is the row''s (now NULL)');
UPDATE tap_trg_connection SET org = 'acme';

-- No event when nothing audited changed.
SELECT is((SELECT count(*)::int FROM tap_events WHERE action = 'tap_connection.update'), 5,
          'five updates so far');
UPDATE tap_trg_connection SET updated_at = now() + interval '2 hours';
SELECT is((SELECT count(*)::int FROM tap_events WHERE action = 'tap_connection.update'), 5,
          'an UPDATE changing only excluded columns writes no event');
UPDATE tap_trg_connection SET name = name, secret = secret, org = org;
SELECT is((SELECT count(*)::int FROM tap_events WHERE action = 'tap_connection.update'), 5,
          'an UPDATE that changes nothing (SET x = x) writes no event');
UPDATE tap_trg_connection SET name = 'Salesforce' WHERE name = 'Salesforce';
SELECT is((SELECT count(*)::int FROM tap_events WHERE action = 'tap_connection.update'), 5,
          'setting a column to the value it has writes no event');
UPDATE tap_trg_connection SET id = id WHERE false;
SELECT is((SELECT count(*)::int FROM tap_events WHERE action = 'tap_connection.update'), 5,
          'an UPDATE of no row writes no event');

-- A changed primary key: the event names the resource by its new id.
UPDATE tap_trg_connection SET id = 2;
SELECT results_eq(
    $$SELECT resource_id, details FROM tap_events WHERE action = 'tap_connection.update' ORDER BY id DESC LIMIT 1$$,
    $$VALUES ('2'::text, '{"old": {"id": 1}, "new": {"id": 2}}'::jsonb)$$,
    'an UPDATE of the key names the resource by its new id');

---------------------------------------------------------------------------
-- DELETE: <rt>.delete with the old row, like create.
---------------------------------------------------------------------------
DELETE FROM tap_trg_connection;
SELECT results_eq(
    $$SELECT action, resource_id, org_id, details FROM tap_events
       WHERE action = 'tap_connection.delete'$$,
    $$VALUES ('tap_connection.delete'::text, '2'::text, 'acme'::text,
              '{"old": {"id": 2, "name": "Salesforce", "org": "acme"}, "redacted": ["secret", "token"]}'::jsonb)$$,
    'DELETE writes <rt>.delete with the old row');

-- Redacted columns are listed on create and delete whatever their value, NULL included.
INSERT INTO tap_trg_connection (id, name) VALUES (3, 'HubSpot');
SELECT is((SELECT details FROM tap_events WHERE action = 'tap_connection.create' ORDER BY id DESC LIMIT 1),
          '{"new": {"id": 3, "name": "HubSpot", "org": null}, "redacted": ["secret", "token"]}'::jsonb,
          'NULL columns appear as null; redacted ones are listed even when NULL');

---------------------------------------------------------------------------
-- TRUNCATE: one <rt>.truncate event, no resource id, the table named.
---------------------------------------------------------------------------
TRUNCATE tap_trg_connection;
SELECT results_eq(
    $$SELECT action, resource_type, resource_id, outcome, details FROM tap_events
       WHERE action = 'tap_connection.truncate'$$,
    $$VALUES ('tap_connection.truncate'::text, 'tap_connection'::text, NULL::text, 'success'::text,
              '{"table": "public.tap_trg_connection"}'::jsonb)$$,
    'TRUNCATE writes <rt>.truncate with resource_id NULL and the qualified table name');
TRUNCATE tap_trg_connection;
SELECT is((SELECT count(*)::int FROM tap_events WHERE action = 'tap_connection.truncate'), 2,
          'each TRUNCATE is an event, even of an empty table');

-- In all, one event per row changed and one per TRUNCATE.
SELECT results_eq(
    $$SELECT action, count(*)::int FROM tap_events WHERE resource_type = 'tap_connection' GROUP BY 1 ORDER BY 1$$,
    $$VALUES ('tap_connection.create'::text, 2), ('tap_connection.delete', 1),
             ('tap_connection.truncate', 2), ('tap_connection.update', 6)$$,
    'the events of this table, counted by action');

---------------------------------------------------------------------------
-- The actor and the organisation: auditlog.actor / actor_id / org_id as
-- for log_event; the org_column wins over auditlog.org_id.
---------------------------------------------------------------------------
SELECT auditlog.set_actor('Jane Roe', 'u-42');
SET LOCAL auditlog.org_id = 'org-from-setting';
INSERT INTO tap_trg_connection (id, name, org) VALUES (10, 'with org', 'acme'), (11, 'without org', NULL);
SELECT results_eq(
    $$SELECT resource_id, actor, actor_id, org_id FROM tap_events
       WHERE action = 'tap_connection.create' AND resource_id IN ('10', '11') ORDER BY resource_id$$,
    $$VALUES ('10'::text, 'Jane Roe'::text, 'u-42'::text, 'acme'::text),
             ('11', 'Jane Roe', 'u-42', 'org-from-setting')$$,
    'actor from set_actor; org_id from the org_column, else (NULL there) from auditlog.org_id');

CREATE TABLE tap_trg_noorg (id int PRIMARY KEY);
SELECT auditlog.register_table('tap_trg_noorg');
INSERT INTO tap_trg_noorg VALUES (1);
SELECT is((SELECT org_id FROM tap_events WHERE action = 'tap_trg_noorg.create'), 'org-from-setting',
          'without an org_column the org_id is auditlog.org_id');
SET LOCAL auditlog.actor = 'system';
SET LOCAL auditlog.actor_id = '';
SET LOCAL auditlog.org_id = '';
INSERT INTO tap_trg_noorg VALUES (2);
SELECT results_eq(
    $$SELECT actor, actor_id, org_id FROM tap_events WHERE action = 'tap_trg_noorg.create' AND resource_id = '2'$$,
    $$VALUES ('system'::text, NULL::text, NULL::text)$$,
    'auditlog.actor = system, with empty settings for the rest');
RESET auditlog.actor;
RESET auditlog.actor_id;
RESET auditlog.org_id;

---------------------------------------------------------------------------
-- The resource id: the id_column's or the single key column's text, or a
-- JSON array of the key values as text for a composite key.
---------------------------------------------------------------------------
CREATE TABLE tap_trg_region (id int, region text, v int, PRIMARY KEY (id, region));
SELECT auditlog.register_table('tap_trg_region');
INSERT INTO tap_trg_region VALUES (1, 'eu', 1);
UPDATE tap_trg_region SET v = 2;
DELETE FROM tap_trg_region;
SELECT results_eq(
    $$SELECT action, resource_id FROM tap_events WHERE resource_type = 'tap_trg_region' ORDER BY id$$,
    $$VALUES ('tap_trg_region.create'::text, '["1", "eu"]'::text),
             ('tap_trg_region.update', '["1", "eu"]'),
             ('tap_trg_region.delete', '["1", "eu"]')$$,
    'a composite key: a JSON array of the key values as text, like ["1", "eu"]');

CREATE TABLE tap_trg_keyorder (region text, seq int, PRIMARY KEY (seq, region));
SELECT auditlog.register_table('tap_trg_keyorder');
INSERT INTO tap_trg_keyorder VALUES ('us', 7);
SELECT is((SELECT resource_id FROM tap_events WHERE action = 'tap_trg_keyorder.create'), '["7", "us"]',
          'the array follows the key''s column order, not the table''s');
SELECT is((SELECT (resource_id::jsonb)->>1 FROM tap_events WHERE action = 'tap_trg_keyorder.create'), 'us',
          'the composite resource id is valid JSON');

CREATE TABLE tap_trg_uuid (id uuid PRIMARY KEY, slug text UNIQUE, n numeric);
SELECT auditlog.register_table('tap_trg_uuid');
INSERT INTO tap_trg_uuid VALUES ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'first', 1);
SELECT is((SELECT resource_id FROM tap_events WHERE action = 'tap_trg_uuid.create'),
          'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'a uuid key: its text');
SELECT auditlog.register_table('tap_trg_uuid', id_column => 'slug');
INSERT INTO tap_trg_uuid VALUES ('b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'second', 2);
SELECT is((SELECT resource_id FROM tap_events WHERE action = 'tap_trg_uuid.create' ORDER BY id DESC LIMIT 1),
          'second', 'with an id_column: that column''s text');

-- A primary key that INCLUDEs columns names the resource by its key columns only.
CREATE TABLE tap_trg_include (id int, name text, PRIMARY KEY (id) INCLUDE (name));
SELECT auditlog.register_table('tap_trg_include');
INSERT INTO tap_trg_include VALUES (5, 'five');
SELECT is((SELECT resource_id FROM tap_events WHERE action = 'tap_trg_include.create'), '5',
          'INCLUDE columns are no part of the resource id');

-- An excluded key column still names the resource.
CREATE TABLE tap_trg_hidden_key (id int PRIMARY KEY, v text);
SELECT auditlog.register_table('tap_trg_hidden_key', exclude_columns => '{id}');
INSERT INTO tap_trg_hidden_key VALUES (9, 'x');
SELECT results_eq(
    $$SELECT resource_id, details FROM tap_events WHERE action = 'tap_trg_hidden_key.create'$$,
    $$VALUES ('9'::text, '{"new": {"v": "x"}}'::jsonb)$$,
    'an excluded key column is left out of the details but still is the resource id');

-- A nullable id_column that is NULL: no resource id.
CREATE TABLE tap_trg_nullable (code text UNIQUE, v int);
SELECT auditlog.register_table('tap_trg_nullable', id_column => 'code');
INSERT INTO tap_trg_nullable VALUES (NULL, 1);
SELECT is((SELECT resource_id FROM tap_events WHERE action = 'tap_trg_nullable.create'), NULL,
          'an id_column holding NULL gives a NULL resource id');

---------------------------------------------------------------------------
-- Registering again takes effect at once; unregistering stops the events.
---------------------------------------------------------------------------
CREATE TABLE tap_trg_opts (id int PRIMARY KEY, a text, b text);
SELECT auditlog.register_table('tap_trg_opts');
INSERT INTO tap_trg_opts VALUES (1, 'a', 'b');
SELECT auditlog.register_table('tap_trg_opts', exclude_columns => '{a}', redact_columns => '{b}');
INSERT INTO tap_trg_opts VALUES (2, 'a', 'b');
SELECT auditlog.register_table('tap_trg_opts', 'tap_opts');
INSERT INTO tap_trg_opts VALUES (3, 'a', 'b');
SELECT results_eq(
    $$SELECT action, details FROM tap_events WHERE resource_type IN ('tap_trg_opts', 'tap_opts') ORDER BY id$$,
    $$VALUES ('tap_trg_opts.create'::text, '{"new": {"id": 1, "a": "a", "b": "b"}}'::jsonb),
             ('tap_trg_opts.create', '{"new": {"id": 2}, "redacted": ["b"]}'),
             ('tap_opts.create', '{"new": {"id": 3, "a": "a", "b": "b"}}')$$,
    'new options, and a new resource type, apply to the next statement of the same transaction');
SELECT auditlog.unregister_table('tap_trg_opts');
INSERT INTO tap_trg_opts VALUES (4, 'a', 'b');
UPDATE tap_trg_opts SET a = 'z';
TRUNCATE tap_trg_opts;
SELECT is((SELECT count(*)::int FROM tap_events WHERE resource_type IN ('tap_trg_opts', 'tap_opts')), 3,
          'after unregister_table, no INSERT, UPDATE or TRUNCATE of the table is an event');

---------------------------------------------------------------------------
-- Columns named like the keys of the details do not confuse them.
---------------------------------------------------------------------------
CREATE TABLE tap_trg_keys (id int PRIMARY KEY, old text, new text, redacted text, "table" text);
SELECT auditlog.register_table('tap_trg_keys', redact_columns => '{redacted}');
INSERT INTO tap_trg_keys VALUES (1, 'o', 'n', 'r', 't');
UPDATE tap_trg_keys SET old = 'o2', redacted = 'r2';
SELECT results_eq(
    $$SELECT details FROM tap_events WHERE resource_type = 'tap_trg_keys' ORDER BY id$$,
    $$VALUES ('{"new": {"id": 1, "old": "o", "new": "n", "table": "t"}, "redacted": ["redacted"]}'::jsonb),
             ('{"old": {"old": "o"}, "new": {"old": "o2"}, "redacted": ["redacted"]}')$$,
    'columns named old, new, redacted or table stay inside the row images');

---------------------------------------------------------------------------
-- Each row is its own event, with its own id; the events of a statement
-- share its transaction and its time.
---------------------------------------------------------------------------
CREATE TABLE tap_trg_many (id int PRIMARY KEY, v int);
SELECT auditlog.register_table('tap_trg_many');
INSERT INTO tap_trg_many SELECT g, g FROM generate_series(1, 10) g;
UPDATE tap_trg_many SET v = v * 10 WHERE id <= 5;
DELETE FROM tap_trg_many WHERE id > 8;
SELECT results_eq(
    $$SELECT action, count(*)::int, count(DISTINCT resource_id)::int FROM tap_events
       WHERE resource_type = 'tap_trg_many' GROUP BY 1 ORDER BY 1$$,
    $$VALUES ('tap_trg_many.create'::text, 10, 10), ('tap_trg_many.delete', 2, 2), ('tap_trg_many.update', 5, 5)$$,
    'one event per row: 10 created, 5 updated, 2 deleted');
SELECT is((SELECT count(DISTINCT id)::int FROM tap_events WHERE resource_type = 'tap_trg_many'), 17,
          'every event has its own id');
SELECT is((SELECT count(DISTINCT occurred_at)::int FROM auditlog.events
            WHERE resource_type = 'tap_trg_many' AND action = 'tap_trg_many.create'), 1,
          'the events of one statement share its time');
SELECT results_eq(
    $$SELECT resource_id FROM tap_events WHERE action = 'tap_trg_many.create' ORDER BY id$$,
    $$SELECT g::text FROM generate_series(1, 10) g$$,
    'ids follow the order in which the rows were written');
SELECT is((SELECT details FROM tap_events WHERE action = 'tap_trg_many.update' AND resource_id = '3'),
          '{"old": {"v": 3}, "new": {"v": 30}}'::jsonb, 'each update event holds its own row''s change');

SELECT * FROM finish();
ROLLBACK;
