-- test/tap/hardening_switch_off.sql -- auditing of a registered table is never
-- switched off unnoticed: register_table takes over no trigger of someone
-- else's; disabling, dropping, renaming its triggers, rewriting its changes
-- with a rule or making a trigger depend on an extension is refused to its
-- owner, and, done by a superuser, is an event auditlog.auditing_off, shown
-- in registered_tables (and a WARNING); inheritance parents are registered
-- only with their children.
BEGIN;
SELECT plan(43);

\ir setup/common.sql
\ir setup/roles.sql

CREATE ROLE auditlog_tap_off_owner;      -- owns the tables, no superuser
SELECT pg_temp.grant_admin('auditlog_tap_off_owner');
GRANT CREATE ON SCHEMA public TO auditlog_tap_off_owner;

---------------------------------------------------------------------------
-- register_table does not take over a trigger of someone else's that has
-- auditlog's name.
---------------------------------------------------------------------------
CREATE FUNCTION pg_temp.tap_off_noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TABLE tap_off_squat (id int PRIMARY KEY);
CREATE TRIGGER auditlog_row AFTER INSERT ON tap_off_squat FOR EACH ROW EXECUTE FUNCTION pg_temp.tap_off_noop();
SELECT is(pg_temp.error_of($$SELECT auditlog.register_table('tap_off_squat')$$),
          jsonb_build_object(
              'sqlstate', '42710',
              'message', 'public.tap_off_squat already has a trigger named "auditlog_row" that is not auditlog''s',
              'detail', 'auditlog audits a table through its own triggers of that name.',
              'hint', 'Rename or drop that trigger first: ALTER TRIGGER auditlog_row ON public.tap_off_squat RENAME TO ...;'),
          'a pre-existing trigger named auditlog_row is refused, with a hint');
CREATE TABLE tap_off_squat_part (id int, r text, PRIMARY KEY (id, r)) PARTITION BY LIST (r);
CREATE TABLE tap_off_squat_part_a PARTITION OF tap_off_squat_part FOR VALUES IN ('a');
CREATE TRIGGER auditlog_stmt AFTER TRUNCATE ON tap_off_squat_part_a EXECUTE FUNCTION pg_temp.tap_off_noop();
SELECT throws_ok($$SELECT auditlog.register_table('tap_off_squat_part')$$, '42710',
                 'public.tap_off_squat_part_a already has a trigger named "auditlog_stmt" that is not auditlog''s',
                 'and so is one named auditlog_stmt on a partition');
SELECT is((SELECT count(*)::int FROM auditlog.registered_tables
            WHERE table_name IN ('tap_off_squat'::regclass, 'tap_off_squat_part'::regclass)), 0,
          'neither table is registered');

---------------------------------------------------------------------------
-- The owner of a registered table cannot switch its auditing off.
---------------------------------------------------------------------------
CREATE TABLE tap_off_doc (id int PRIMARY KEY, title text);
ALTER TABLE tap_off_doc OWNER TO auditlog_tap_off_owner;
SET LOCAL ROLE auditlog_tap_off_owner;
SELECT auditlog.register_table('tap_off_doc');
SELECT is(pg_temp.error_of($$ALTER TABLE tap_off_doc DISABLE TRIGGER auditlog_row$$),
          jsonb_build_object(
              'sqlstate', '42501',
              'message', 'permission denied to switch off auditing of table public.tap_off_doc',
              'detail', 'After this ALTER TABLE, trigger auditlog_row on public.tap_off_doc is disabled.',
              'hint', 'Only a superuser may do that; auditlog.unregister_table(''public.tap_off_doc'') stops auditing the table on purpose.'),
          'the owner cannot DISABLE TRIGGER auditlog_row');
SELECT throws_ok($$ALTER TABLE tap_off_doc DISABLE TRIGGER ALL$$, '42501', NULL, 'nor DISABLE TRIGGER ALL');
SELECT throws_ok($$ALTER TABLE tap_off_doc DISABLE TRIGGER USER$$, '42501', NULL, 'nor DISABLE TRIGGER USER');
SELECT throws_ok($$ALTER TABLE tap_off_doc ENABLE REPLICA TRIGGER auditlog_row$$, '42501',
                 'permission denied to switch off auditing of table public.tap_off_doc',
                 'nor make it fire only in replica sessions');
SELECT throws_ok($$DROP TRIGGER auditlog_stmt ON tap_off_doc$$, '42501', NULL, 'nor drop a trigger');
SELECT throws_ok($$ALTER TRIGGER auditlog_row ON tap_off_doc RENAME TO quiet$$, '42501', NULL, 'nor rename one');
SELECT throws_ok($$CREATE RULE tap_off_hide AS ON INSERT TO tap_off_doc DO INSTEAD NOTHING$$, '42501',
                 'permission denied to switch off auditing of table public.tap_off_doc',
                 'nor send its changes elsewhere with an INSTEAD rule');
SELECT lives_ok($$CREATE RULE tap_off_tell AS ON INSERT TO tap_off_doc DO ALSO NOTIFY tap_off_doc$$,
                'a DO ALSO rule changes nothing about auditing and is allowed');
SELECT lives_ok($$ALTER TABLE tap_off_doc ENABLE ALWAYS TRIGGER auditlog_row$$,
                'and so is ENABLE ALWAYS, which audits in replica sessions too');
ALTER TABLE tap_off_doc ENABLE TRIGGER auditlog_row;
INSERT INTO tap_off_doc VALUES (1, 'audited');
RESET ROLE;
SELECT results_eq(
    $$SELECT action, resource_id FROM tap_events WHERE resource_type = 'tap_off_doc' ORDER BY id$$,
    $$VALUES ('tap_off_doc.create'::text, '1'::text)$$,
    'the table is still audited, and nothing was logged as switched off');

---------------------------------------------------------------------------
-- A superuser may, on the record: an event auditlog.auditing_off (and a
-- WARNING, here hidden), registered_tables shows it; switching it back on
-- is auditlog.auditing_on.
---------------------------------------------------------------------------
SET LOCAL client_min_messages = error;
SELECT max(id) AS before_off FROM auditlog.events \gset
ALTER TABLE tap_off_doc DISABLE TRIGGER auditlog_row;
INSERT INTO tap_off_doc VALUES (2, 'not audited');
SELECT results_eq(
    format($$SELECT action, resource_type, details FROM tap_events WHERE id > %s ORDER BY id$$, :before_off),
    $$VALUES ('auditlog.auditing_off'::text, 'tap_off_doc'::text,
              '{"table": "public.tap_off_doc", "command": "ALTER TABLE",
                "problem": "trigger auditlog_row on public.tap_off_doc is disabled"}'::jsonb)$$,
    'a superuser''s DISABLE TRIGGER is an event auditlog.auditing_off, under the table''s resource type');
SELECT results_eq(
    $$SELECT active, problem FROM auditlog.registered_tables WHERE table_name = 'tap_off_doc'::regclass$$,
    $$VALUES (false, 'trigger auditlog_row on public.tap_off_doc is disabled'::text)$$,
    'registered_tables shows the table inactive, and why');
ALTER TABLE tap_off_doc ENABLE TRIGGER auditlog_row;
SELECT results_eq(
    format($$SELECT action, details FROM tap_events WHERE id > %s AND action LIKE 'auditlog.%%' ORDER BY id$$, :before_off),
    $$VALUES ('auditlog.auditing_off'::text,
              '{"table": "public.tap_off_doc", "command": "ALTER TABLE",
                "problem": "trigger auditlog_row on public.tap_off_doc is disabled"}'::jsonb),
             ('auditlog.auditing_on', '{"table": "public.tap_off_doc", "command": "ALTER TABLE"}')$$,
    'switching it back on is an event auditlog.auditing_on: the two events bound the gap');
ALTER TABLE tap_off_doc ENABLE TRIGGER auditlog_row;
SELECT is((SELECT count(*)::int FROM tap_events WHERE id > :before_off AND action = 'auditlog.auditing_on'), 1,
          'enabling a trigger that fires already is no event');

ALTER TABLE tap_off_doc ENABLE REPLICA TRIGGER auditlog_row;
DROP TRIGGER auditlog_stmt ON tap_off_doc;
SELECT is((SELECT problem FROM auditlog.registered_tables WHERE table_name = 'tap_off_doc'::regclass),
          'trigger auditlog_row on public.tap_off_doc fires only in replica sessions; public.tap_off_doc has no trigger auditlog_stmt',
          'a replica-only trigger and a dropped one both show');
SELECT is((SELECT count(*)::int FROM tap_events WHERE id > :before_off AND action = 'auditlog.auditing_off'), 3,
          'each of them was an event auditlog.auditing_off');
CREATE RULE tap_off_hide AS ON UPDATE TO tap_off_doc DO INSTEAD NOTHING;
SELECT matches((SELECT problem FROM auditlog.registered_tables WHERE table_name = 'tap_off_doc'::regclass),
               'rule tap_off_hide on public\.tap_off_doc replaces its changes',
               'an INSTEAD rule shows too');
DROP RULE tap_off_hide ON tap_off_doc;
SELECT auditlog.register_table('tap_off_doc');
SELECT results_eq(
    $$SELECT active, problem FROM auditlog.registered_tables WHERE table_name = 'tap_off_doc'::regclass$$,
    $$VALUES (true, NULL::text)$$,
    'registering the table again puts back and switches on its triggers');
SELECT results_eq(
    format($$SELECT details->>'command' FROM tap_events WHERE id > %s AND action = 'auditlog.auditing_on' ORDER BY id DESC LIMIT 1$$,
           :before_off),
    $$VALUES ('auditlog.register_table()'::text)$$,
    'and says so with an event auditlog.auditing_on');
UPDATE tap_off_doc SET title = 'audited again' WHERE id = 1;
SELECT is((SELECT count(*)::int FROM tap_events WHERE id > :before_off AND action = 'tap_off_doc.update'), 1,
          'its changes are events again');

-- A trigger made to depend on an extension goes when the extension does.
CREATE EXTENSION pgcrypto;
SET LOCAL ROLE auditlog_tap_off_owner;
SELECT throws_ok($$ALTER TRIGGER auditlog_row ON tap_off_doc DEPENDS ON EXTENSION pgcrypto$$, '42501',
                 'trigger auditlog_row of audited table public.tap_off_doc cannot depend on extension "pgcrypto"',
                 'the owner cannot make auditlog''s trigger depend on an extension');
RESET ROLE;
ALTER TRIGGER auditlog_row ON tap_off_doc DEPENDS ON EXTENSION pgcrypto;
DROP EXTENSION pgcrypto;
SELECT results_eq(
    format($$SELECT details FROM tap_events WHERE id > %s AND action = 'auditlog.auditing_off' ORDER BY id DESC LIMIT 1$$,
           :before_off),
    $$VALUES ('{"table": "public.tap_off_doc", "command": "DROP EXTENSION",
                "problem": "public.tap_off_doc has no trigger auditlog_row"}'::jsonb)$$,
    'a superuser''s DROP EXTENSION that takes the trigger along is an event auditlog.auditing_off');
SELECT auditlog.register_table('tap_off_doc');
SELECT ok((SELECT active FROM auditlog.registered_tables WHERE table_name = 'tap_off_doc'::regclass),
          'and registering again audits the table again');
SET LOCAL client_min_messages = warning;

---------------------------------------------------------------------------
-- The resource id: a table registered by its primary key keeps one, and
-- one registered with an id_column keeps that column. Without either
-- every row's events would be on no resource.
---------------------------------------------------------------------------
CREATE TABLE tap_off_key (id int PRIMARY KEY, v text);
CREATE TABLE tap_off_code (code text NOT NULL UNIQUE, v text);
ALTER TABLE tap_off_key OWNER TO auditlog_tap_off_owner;
ALTER TABLE tap_off_code OWNER TO auditlog_tap_off_owner;
SELECT auditlog.register_table('tap_off_key');
SELECT auditlog.register_table('tap_off_code', id_column => 'code');
SET LOCAL ROLE auditlog_tap_off_owner;
SELECT is(pg_temp.error_of($$ALTER TABLE tap_off_key DROP CONSTRAINT tap_off_key_pkey$$),
          jsonb_build_object(
              'sqlstate', '42501',
              'message', 'permission denied to switch off auditing of table public.tap_off_key',
              'detail', 'After this ALTER TABLE, public.tap_off_key has no primary key and no id_column: its rows have no resource id.',
              'hint', 'Only a superuser may do that; auditlog.unregister_table(''public.tap_off_key'') stops auditing the table on purpose.'),
          'the owner cannot drop the primary key that makes the resource ids');
SELECT throws_ok($$ALTER TABLE tap_off_code DROP COLUMN code$$, '42501',
                 'permission denied to switch off auditing of table public.tap_off_code',
                 'nor the id_column');
SELECT lives_ok($$ALTER TABLE tap_off_key DROP CONSTRAINT tap_off_key_pkey, ADD PRIMARY KEY (id, v)$$,
                'a primary key replaced in the same command is one');
RESET ROLE;
SET LOCAL client_min_messages = error;
ALTER TABLE tap_off_code DROP COLUMN code;
SELECT is((SELECT problem FROM auditlog.registered_tables WHERE table_name = 'tap_off_code'::regclass),
          'public.tap_off_code has no primary key and no id_column: its rows have no resource id',
          'done by a superuser, registered_tables says why it is inactive');
SELECT ok(EXISTS (SELECT FROM tap_events WHERE action = 'auditlog.auditing_off'
                     AND details->>'table' = 'public.tap_off_code'),
          'and it is an event auditlog.auditing_off');
SET LOCAL ROLE auditlog_tap_off_owner;
SELECT lives_ok($$ALTER TABLE tap_off_code RENAME TO tap_off_code2; ALTER TABLE tap_off_code2 RENAME TO tap_off_code$$,
                'the owner may still rename the table: a problem it had before is no new one');
CREATE DOMAIN tap_off_id AS int;
CREATE TABLE tap_off_dom (id tap_off_id PRIMARY KEY, v text);
RESET ROLE;
SELECT auditlog.register_table('tap_off_dom');
SET LOCAL ROLE auditlog_tap_off_owner;
SELECT throws_ok($$DROP DOMAIN tap_off_id CASCADE$$, '42501',
                 'permission denied to switch off auditing of table public.tap_off_dom',
                 'nor drop the key column along with its domain');
RESET ROLE;
ALTER TABLE tap_off_code ADD PRIMARY KEY (v);
SELECT auditlog.register_table('tap_off_code');
SELECT ok((SELECT active FROM auditlog.registered_tables WHERE table_name = 'tap_off_code'::regclass),
          'registered again by its new primary key, it is audited again');
SET LOCAL client_min_messages = warning;

---------------------------------------------------------------------------
-- Classic inheritance: changes made through a parent to a child's rows
-- fire the child's triggers only. A parent is registered only with its
-- children; a child of a registered parent must be registered itself.
---------------------------------------------------------------------------
CREATE TABLE tap_off_animal (id int PRIMARY KEY, name text);
CREATE TABLE tap_off_cat (id int PRIMARY KEY, name text, lives int);
ALTER TABLE tap_off_cat INHERIT tap_off_animal;
SELECT is(pg_temp.error_of($$SELECT auditlog.register_table('tap_off_animal')$$),
          jsonb_build_object(
              'sqlstate', '55000',
              'message', 'table "tap_off_animal" has inheritance child public.tap_off_cat, which is not registered',
              'detail', 'Changes made through "tap_off_animal" to the child''s rows would not be audited.',
              'hint', 'Register the child first: SELECT auditlog.register_table(''public.tap_off_cat'');'),
          'an inheritance parent is refused while a child is not registered');
SELECT auditlog.register_table('tap_off_cat');
SELECT lives_ok($$SELECT auditlog.register_table('tap_off_animal')$$, 'with its child registered, it is accepted');
UPDATE tap_off_animal SET name = 'Tom' WHERE id = 1;
INSERT INTO tap_off_cat VALUES (1, 'Felix', 9);
UPDATE tap_off_animal SET name = 'Tom';
DELETE FROM tap_off_animal;
SELECT results_eq(
    $$SELECT action FROM tap_events WHERE resource_type IN ('tap_off_cat', 'tap_off_animal') ORDER BY id$$,
    $$VALUES ('tap_off_cat.create'::text), ('tap_off_cat.update'), ('tap_off_cat.delete')$$,
    'UPDATE and DELETE through the parent are events of the child');
INSERT INTO tap_off_animal VALUES (2, 'Rex');
INSERT INTO tap_off_cat VALUES (3, 'Kitty', 7);
TRUNCATE tap_off_animal;
SELECT bag_eq(
    $$SELECT action, details->>'table' FROM tap_events WHERE action LIKE 'tap_off_%.truncate'$$,
    $$VALUES ('tap_off_animal.truncate'::text, 'public.tap_off_animal'::text),
             ('tap_off_cat.truncate', 'public.tap_off_cat')$$,
    'TRUNCATE of the parent is an event for the parent and one for the child it emptied');
SELECT throws_ok($$CREATE TABLE tap_off_dog (bark text) INHERITS (tap_off_animal)$$, '55000',
                 'cannot create table public.tap_off_dog as an inheritance child of audited table public.tap_off_animal',
                 'a new child of a registered parent is refused');
CREATE TABLE tap_off_dog (id int PRIMARY KEY, name text);
SELECT throws_ok($$ALTER TABLE tap_off_dog INHERIT tap_off_animal$$, '55000',
                 'table public.tap_off_dog must be registered before it inherits from audited table public.tap_off_animal',
                 'and so is making an unregistered table a child');
SELECT auditlog.register_table('tap_off_dog');
SELECT lives_ok($$ALTER TABLE tap_off_dog INHERIT tap_off_animal$$, 'a registered table may become a child');
SELECT throws_ok($$SELECT auditlog.unregister_table('tap_off_dog')$$, '55000',
                 'table "tap_off_dog" inherits from registered table public.tap_off_animal',
                 'a child cannot be unregistered while its parent is registered');
SELECT is((SELECT count(*)::int FROM auditlog.registered_tables
            WHERE table_name IN ('tap_off_animal'::regclass, 'tap_off_cat'::regclass, 'tap_off_dog'::regclass)
              AND active), 3,
          'parent and children are registered and active');

SELECT * FROM finish();
ROLLBACK;
