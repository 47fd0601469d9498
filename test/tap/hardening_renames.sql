-- test/tap/hardening_renames.sql -- a redacted or excluded column stays so
-- whichever way it is renamed: through an inheritance parent, through the
-- composite type of a typed table, with ALTER VIEW ... RENAME COLUMN on a
-- table. And should a rename ever go unfollowed, the write fails rather
-- than log the value in clear.
BEGIN;
SELECT plan(10);

\ir setup/common.sql

---------------------------------------------------------------------------
-- Through an inheritance parent: ALTER TABLE parent RENAME COLUMN renames
-- the column in the children too, and their registrations follow.
---------------------------------------------------------------------------
CREATE TABLE tap_ren_child (id int PRIMARY KEY, secret text, note text);
SELECT auditlog.register_table('tap_ren_child', redact_columns => '{secret}', exclude_columns => '{note}');
CREATE TABLE tap_ren_parent (id int, secret text, note text);
ALTER TABLE tap_ren_child INHERIT tap_ren_parent;
ALTER TABLE tap_ren_parent RENAME COLUMN secret TO secret2;
ALTER TABLE tap_ren_parent RENAME COLUMN note TO remark;
SELECT results_eq(
    $$SELECT redact_columns, exclude_columns FROM auditlog.registered_tables
       WHERE table_name = 'tap_ren_child'::regclass$$,
    $$VALUES ('{secret2}'::name[], '{remark}'::name[])$$,
    'a column renamed through an unregistered inheritance parent is renamed in the child''s registration');
INSERT INTO tap_ren_child VALUES (1, 'TOP SECRET', 'private');
SELECT is((SELECT details FROM tap_events WHERE action = 'tap_ren_child.create'),
          '{"new": {"id": 1}, "redacted": ["secret2"]}'::jsonb,
          'and its values are still redacted and excluded');

-- A registered parent, whose children are registered too.
SELECT auditlog.register_table('tap_ren_parent', id_column => 'id', redact_columns => '{secret2}');
ALTER TABLE tap_ren_parent RENAME COLUMN secret2 TO secret3;
SELECT results_eq(
    $$SELECT table_name::text, redact_columns FROM auditlog.registered_tables
       WHERE table_name IN ('tap_ren_parent'::regclass, 'tap_ren_child'::regclass) ORDER BY 1$$,
    $$VALUES ('tap_ren_child'::text, '{secret3}'::name[]), ('tap_ren_parent', '{secret3}')$$,
    'renaming through a registered parent renames the column in both registrations');
UPDATE tap_ren_parent SET secret3 = 'STILL SECRET';
SELECT is((SELECT details FROM tap_events WHERE action = 'tap_ren_child.update'),
          '{"old": {}, "new": {}, "redacted": ["secret3"]}'::jsonb,
          'an update made through the parent to the child''s row shows the column redacted');

---------------------------------------------------------------------------
-- Through the type of a typed table: ALTER TYPE ... RENAME ATTRIBUTE ...
-- CASCADE renames the column of every table of that type.
---------------------------------------------------------------------------
CREATE TYPE tap_ren_account AS (id int, token text, memo text);
CREATE TABLE tap_ren_typed OF tap_ren_account (PRIMARY KEY (id));
SELECT auditlog.register_table('tap_ren_typed', redact_columns => '{token}', exclude_columns => '{memo}');
ALTER TYPE tap_ren_account RENAME ATTRIBUTE token TO api_token CASCADE;
ALTER TYPE tap_ren_account RENAME ATTRIBUTE memo TO remark CASCADE;
SELECT results_eq(
    $$SELECT redact_columns, exclude_columns FROM auditlog.registered_tables
       WHERE table_name = 'tap_ren_typed'::regclass$$,
    $$VALUES ('{api_token}'::name[], '{remark}'::name[])$$,
    'a typed table''s registration follows ALTER TYPE ... RENAME ATTRIBUTE ... CASCADE');
INSERT INTO tap_ren_typed VALUES (1, 'tok-secret', 'private');
SELECT is((SELECT details FROM tap_events WHERE action = 'tap_ren_typed.create'),
          '{"new": {"id": 1}, "redacted": ["api_token"]}'::jsonb,
          'and the renamed columns stay redacted and excluded');

---------------------------------------------------------------------------
-- ALTER VIEW (or MATERIALIZED VIEW, FOREIGN TABLE) ... RENAME COLUMN works
-- on a table too; it is followed the same way.
---------------------------------------------------------------------------
CREATE TABLE tap_ren_view_path (id int PRIMARY KEY, secret text);
SELECT auditlog.register_table('tap_ren_view_path', redact_columns => '{secret}');
ALTER VIEW tap_ren_view_path RENAME COLUMN secret TO hidden;
SELECT is((SELECT redact_columns FROM auditlog.registered_tables WHERE table_name = 'tap_ren_view_path'::regclass),
          '{hidden}'::name[], 'ALTER VIEW ... RENAME COLUMN on a registered table is followed');

---------------------------------------------------------------------------
-- A rename that was not followed (here: the event trigger switched off by a
-- superuser) makes writes fail instead of logging the value in clear.
---------------------------------------------------------------------------
CREATE TABLE tap_ren_missed (id int PRIMARY KEY, secret text);
SELECT auditlog.register_table('tap_ren_missed', redact_columns => '{secret}');
ALTER EVENT TRIGGER auditlog_follow_alter DISABLE;
ALTER TABLE tap_ren_missed RENAME COLUMN secret TO secret_renamed;
ALTER EVENT TRIGGER auditlog_follow_alter ENABLE ALWAYS;
SELECT is(pg_temp.error_of($$INSERT INTO tap_ren_missed VALUES (1, 'TOP SECRET')$$),
          jsonb_build_object(
              'sqlstate', '42703',
              'message', 'the registration of table "tap_ren_missed" names column "secret" (in redact_columns), which the table does not have',
              'detail', 'A rename or drop of that column was not followed; its values could be logged in clear.',
              'hint', 'Register the table again with the column''s present name, with auditlog.register_table().'),
          'a registration naming a column the table lacks refuses the write, with a hint');
SELECT is((SELECT count(*)::int FROM tap_events WHERE resource_type = 'tap_ren_missed'), 0,
          'and nothing was logged in clear');
SELECT auditlog.register_table('tap_ren_missed', redact_columns => '{secret_renamed}');
INSERT INTO tap_ren_missed VALUES (1, 'TOP SECRET');
SELECT is((SELECT details FROM tap_events WHERE action = 'tap_ren_missed.create'),
          '{"new": {"id": 1}, "redacted": ["secret_renamed"]}'::jsonb,
          'registering again with the present name audits it again');

SELECT * FROM finish();
ROLLBACK;
