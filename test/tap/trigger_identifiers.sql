-- test/tap/trigger_identifiers.sql — weird names work: schemas, tables and
-- columns with quotes, spaces, unicode and mixed case register (with an
-- explicit resource_type), appear under their exact names in events, and
-- are named quoted where SQL needs quotes.
BEGIN;
SELECT plan(14);

\ir setup/common.sql

CREATE SCHEMA "My Schema";
CREATE TABLE "My Schema"."Odd ""Table""" (
    "Ünïcode Col" int PRIMARY KEY,
    "Secret Col" text,
    "Hidden ""Col""" text,
    "MixedCase" text,
    "sp ace" text,
    "Org Ünit" text,
    "a;b--" text
);

---------------------------------------------------------------------------
-- Registering: the name is no action word, so a resource_type is given;
-- the options take the exact column names.
---------------------------------------------------------------------------
SELECT throws_ok($$SELECT auditlog.register_table('"My Schema"."Odd ""Table"""')$$,
                 '22023', 'table name "Odd "Table"" cannot name actions',
                 'without resource_type such a table is refused, its name in the message');
SELECT auditlog.register_table('"My Schema"."Odd ""Table"""', 'odd_thing',
                               exclude_columns => ARRAY['Hidden "Col"']::name[],
                               redact_columns => ARRAY['Secret Col', 'a;b--']::name[],
                               org_column => 'Org Ünit');
SELECT results_eq(
    $$SELECT table_name::text, resource_type, id_columns, exclude_columns, redact_columns, org_column
        FROM auditlog.registered_tables WHERE resource_type = 'odd_thing'$$,
    $$VALUES ('"My Schema"."Odd ""Table"""'::text, 'odd_thing'::text, ARRAY['Ünïcode Col']::name[],
              ARRAY['Hidden "Col"']::name[], ARRAY['Secret Col', 'a;b--']::name[], 'Org Ünit'::name)$$,
    'with a resource_type and options naming weird columns it registers: the table quoted, the columns by their exact names');
SELECT is((SELECT description FROM auditlog.action_types WHERE action = 'odd_thing.create'),
          'Created an odd_thing (row of table "My Schema"."Odd ""Table""")',
          'the action''s description names the table quoted as SQL needs');
SELECT bag_eq(
    $$SELECT tgname::text FROM pg_trigger WHERE tgrelid = '"My Schema"."Odd ""Table"""'::regclass$$,
    $$VALUES ('auditlog_row'), ('auditlog_stmt')$$,
    'the triggers are on the table');

---------------------------------------------------------------------------
-- Events: keys are the exact column names; exclude and redact work on them.
---------------------------------------------------------------------------
INSERT INTO "My Schema"."Odd ""Table""" VALUES (1, 'secret', 'hidden', 'Mixed', 'space', 'Ünit 7', 'semi');
SELECT results_eq(
    $$SELECT action, resource_type, resource_id, org_id, details FROM tap_events WHERE action = 'odd_thing.create'$$,
    $$VALUES ('odd_thing.create'::text, 'odd_thing'::text, '1'::text, 'Ünit 7'::text,
              '{"new": {"Ünïcode Col": 1, "MixedCase": "Mixed", "sp ace": "space", "Org Ünit": "Ünit 7"},
                "redacted": ["Secret Col", "a;b--"]}'::jsonb)$$,
    'create: exact column names as keys, excluded "Hidden ""Col""" absent, redacted ones named');

UPDATE "My Schema"."Odd ""Table""" SET "Secret Col" = 's2', "MixedCase" = 'mixed', "Hidden ""Col""" = 'h2';
SELECT is((SELECT details FROM tap_events WHERE action = 'odd_thing.update'),
          '{"old": {"MixedCase": "Mixed"}, "new": {"MixedCase": "mixed"}, "redacted": ["Secret Col"]}'::jsonb,
          'update: the changed columns under their exact names');
UPDATE "My Schema"."Odd ""Table""" SET "Hidden ""Col""" = 'h3';
SELECT is((SELECT count(*)::int FROM tap_events WHERE action = 'odd_thing.update'), 1,
          'a change of only the excluded weird column writes no event');

-- Renaming a weird redacted column: still redacted under its new weird name.
ALTER TABLE "My Schema"."Odd ""Table""" RENAME COLUMN "Secret Col" TO "Sécret ""Çol""";
SELECT is((SELECT redact_columns FROM auditlog.registered_tables WHERE resource_type = 'odd_thing'),
          ARRAY['Sécret "Çol"', 'a;b--']::name[], 'the registry follows the rename of a weird column');
UPDATE "My Schema"."Odd ""Table""" SET "Sécret ""Çol""" = 's3';
SELECT is((SELECT details FROM tap_events WHERE action = 'odd_thing.update' ORDER BY id DESC LIMIT 1),
          '{"old": {}, "new": {}, "redacted": ["Sécret \"Çol\""]}'::jsonb,
          'and the event names it redacted under its new name');

DELETE FROM "My Schema"."Odd ""Table""";
SELECT is((SELECT details FROM tap_events WHERE action = 'odd_thing.delete'),
          '{"old": {"Ünïcode Col": 1, "MixedCase": "mixed", "sp ace": "space", "Org Ünit": "Ünit 7"},
            "redacted": ["Sécret \"Çol\"", "a;b--"]}'::jsonb,
          'delete: the old row under the exact names');

---------------------------------------------------------------------------
-- TRUNCATE names the table as quote_ident would.
---------------------------------------------------------------------------
TRUNCATE "My Schema"."Odd ""Table""";
SELECT is((SELECT details->>'table' FROM tap_events WHERE action = 'odd_thing.truncate'),
          '"My Schema"."Odd ""Table"""', 'truncate details name the table as quote_ident() does: "My Schema"."Odd ""Table"""');

---------------------------------------------------------------------------
-- A weird composite key, and a key that is a reserved word.
---------------------------------------------------------------------------
CREATE TABLE "My Schema"."select" ("Key ""A""" text, "user" int, v text, PRIMARY KEY ("Key ""A""", "user"));
SELECT auditlog.register_table('"My Schema"."select"');
INSERT INTO "My Schema"."select" VALUES ('a"b', 7, 'x');
SELECT results_eq(
    $$SELECT action, resource_id, details FROM tap_events WHERE resource_type = 'select'$$,
    $$VALUES ('select.create'::text, '["a\"b", "7"]'::text, '{"new": {"Key \"A\"": "a\"b", "user": 7, "v": "x"}}'::jsonb)$$,
    'a table named like a keyword: resource type "select"; a quote inside a key value stays valid JSON');
TRUNCATE "My Schema"."select";
SELECT is((SELECT details->>'table' FROM tap_events WHERE action = 'select.truncate'),
          '"My Schema"."select"', 'a keyword table name is quoted in the truncate details');

-- A table whose name is a valid action word in another schema, with the
-- same name as a table of public: each is its own registration.
CREATE TABLE public.odd_same (id int PRIMARY KEY);
CREATE TABLE "My Schema".odd_same (id int PRIMARY KEY);
SELECT auditlog.register_table('public.odd_same', 'odd_public');
SELECT auditlog.register_table('"My Schema".odd_same', 'odd_private');
INSERT INTO public.odd_same VALUES (1);
INSERT INTO "My Schema".odd_same VALUES (2);
SELECT results_eq(
    $$SELECT action, resource_id FROM tap_events WHERE resource_type IN ('odd_public', 'odd_private') ORDER BY id$$,
    $$VALUES ('odd_public.create'::text, '1'::text), ('odd_private.create', '2')$$,
    'same-named tables of two schemas are registered and audited apart');

SELECT * FROM finish();
ROLLBACK;
