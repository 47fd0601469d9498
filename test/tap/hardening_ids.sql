-- test/tap/hardening_ids.sql -- what an event says about a row is never
-- clipped, merged or shown against the registration: a resource id or an
-- organisation too long to store makes the write fail; a redacted column
-- in the resource id, an excluded or redacted org_column are refused at
-- register_table; auditlog.actor_id goes with auditlog.actor only; events
-- are imported only where the summaries can count them.
BEGIN;
SELECT plan(19);

\ir setup/common.sql

---------------------------------------------------------------------------
-- Resource ids and organisations: refused when too long, never clipped.
---------------------------------------------------------------------------
CREATE TABLE tap_ids_doc (key text PRIMARY KEY, org text, body text);
SELECT auditlog.register_table('tap_ids_doc', org_column => 'org');
INSERT INTO tap_ids_doc VALUES (repeat('k', 1024), 'acme', 'fits');
SELECT is((SELECT length(resource_id) FROM tap_events WHERE action = 'tap_ids_doc.create'), 1024,
          'a resource id of 1024 bytes is stored whole');
SELECT is(pg_temp.error_of($$INSERT INTO tap_ids_doc VALUES (repeat('k', 1024) || 'a', 'acme', 'longer')$$),
          jsonb_build_object(
              'sqlstate', '22001',
              'message', 'the resource id of a row of table "tap_ids_doc" is 1025 bytes, more than the 1024 an event can hold',
              'detail', 'It starts with "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...".',
              'hint', 'Register the table with id_column => a shorter unique column.'),
          'a longer one makes the write fail instead of being clipped (two rows would share one id)');
SELECT throws_ok($$UPDATE tap_ids_doc SET key = repeat(chr(233), 600)$$, '22001', NULL,
                 'so does an update to a key of 1200 bytes of two-byte characters');
SELECT is((SELECT count(*)::int FROM tap_ids_doc), 1, 'the refused rows were not written either');
SELECT throws_ok($$INSERT INTO tap_ids_doc VALUES ('k2', repeat('o', 257), 'x')$$, '22001',
                 'the organisation of a row of table "tap_ids_doc" is 257 bytes, more than the 256 an event can hold',
                 'an organisation over 256 bytes makes the write fail instead of being clipped (two organisations would merge)');
INSERT INTO tap_ids_doc VALUES ('k3', repeat('o', 256), 'x');
SELECT is((SELECT length(org_id) FROM tap_events WHERE action = 'tap_ids_doc.create' AND resource_id = 'k3'), 256,
          'one of 256 bytes is stored whole');

---------------------------------------------------------------------------
-- Options that would show a hidden value are refused.
---------------------------------------------------------------------------
CREATE TABLE tap_ids_secret_key (token text PRIMARY KEY, owner text, tenant text, note text);
SELECT is(pg_temp.error_of($$SELECT auditlog.register_table('tap_ids_secret_key', redact_columns => '{token}')$$),
          jsonb_build_object(
              'sqlstate', '22023',
              'message', 'column "token" cannot be redacted: it is part of the resource id of table "tap_ids_secret_key"',
              'detail', 'Every event names its row by that id, so the value would show in resource_id.',
              'hint', 'Pass id_column => another unique column, or do not redact "token".'),
          'a redacted primary key column is refused');
SELECT throws_ok($$SELECT auditlog.register_table('tap_ids_secret_key', id_column => 'owner', redact_columns => '{owner}')$$,
                 '22023', 'column "owner" cannot be redacted: it is part of the resource id of table "tap_ids_secret_key"',
                 'and so is a redacted id_column');
SELECT lives_ok($$SELECT auditlog.register_table('tap_ids_secret_key', id_column => 'owner', redact_columns => '{token}')$$,
                'redacting the key is fine when another column is the resource id');
SELECT is(pg_temp.error_of($$SELECT auditlog.register_table('tap_ids_secret_key', id_column => 'owner',
                                                           exclude_columns => '{tenant}', org_column => 'tenant')$$),
          jsonb_build_object(
              'sqlstate', '22023',
              'message', 'org_column "tenant" cannot be excluded',
              'detail', 'Every event would show its value as org_id.',
              'hint', 'Leave "tenant" out of exclude_columns and redact_columns, or pass no org_column.'),
          'an excluded org_column is refused');
SELECT throws_ok($$SELECT auditlog.register_table('tap_ids_secret_key', id_column => 'owner',
                                                  redact_columns => '{tenant}', org_column => 'tenant')$$,
                 '22023', 'org_column "tenant" cannot be redacted', 'and so is a redacted one');
SELECT is((SELECT redact_columns FROM auditlog.registered_tables WHERE table_name = 'tap_ids_secret_key'::regclass),
          '{token}'::name[], 'the refused registrations changed nothing');
SELECT is(pg_temp.error_of($$SELECT auditlog.register_table('tap_ids_secret_key', resource_type => 'auditlog')$$),
          jsonb_build_object(
              'sqlstate', '42501',
              'message', 'resource type "auditlog" is auditlog''s own',
              'detail', 'Actions named auditlog.* record what auditlog does, such as a purge or a hold.',
              'hint', 'Pass resource_type => another word, such as resource_type => ''audit_entry''.'),
          'the resource type auditlog is refused: its table''s events would pass for auditlog''s own');
CREATE TABLE auditlog (id int PRIMARY KEY);
SELECT throws_ok($$SELECT auditlog.register_table('public.auditlog')$$, '42501',
                 'resource type "auditlog" is auditlog''s own', 'and so is a table named auditlog without one');
SELECT is(pg_temp.error_of($$SELECT auditlog.register_table('tap_ids_secret_key', resource_type => repeat('a', 247))$$),
          jsonb_build_object(
              'sqlstate', '22001',
              'message', 'resource_type is longer than 246 bytes',
              'detail', 'It names its actions (<resource_type>.create and so on), which are labels of at most 256 bytes.',
              'hint', 'Pass resource_type => a word of at most 246 bytes (it is 247).'),
          'a resource type too long for its actions is refused as too long');

---------------------------------------------------------------------------
-- auditlog.actor_id is the id of auditlog.actor, not of the session's role.
---------------------------------------------------------------------------
SET LOCAL auditlog.actor_id = 'u-stale';
SELECT auditlog.log_event('tap.ids_role') AS role_event \gset
SELECT is((SELECT jsonb_build_object('actor', actor, 'actor_id', actor_id) FROM tap_events WHERE id = :role_event),
          jsonb_build_object('actor', session_user, 'actor_id', NULL),
          'with no auditlog.actor, the actor is the role and auditlog.actor_id is not applied');
SET LOCAL auditlog.actor = 'John Doe';
SELECT auditlog.log_event('tap.ids_actor') AS actor_event \gset
SELECT is((SELECT jsonb_build_object('actor', actor, 'actor_id', actor_id) FROM tap_events WHERE id = :actor_event),
          '{"actor": "John Doe", "actor_id": "u-stale"}'::jsonb,
          'with auditlog.actor, auditlog.actor_id goes with it');
SET LOCAL auditlog.actor TO DEFAULT;
SET LOCAL auditlog.actor_id TO DEFAULT;

---------------------------------------------------------------------------
-- Imported events: at the very start of the timestamp range there is no
-- whole UTC month to count them in.
---------------------------------------------------------------------------
SELECT throws_ok($$SELECT auditlog.import_event('4714-11-30 23:59:59+00 BC', 'tap.ids_import')$$, '22008',
                 'occurred_at 4714-11-30 23:59:59+00 BC is before 4714-12-01 00:00:00+00 BC, the earliest time the audit log can count',
                 'an event before the first whole month of the timestamp range is refused');
SELECT lives_ok($$SELECT auditlog.import_event('4714-12-01 00:00:00+00 BC', 'tap.ids_import')$$,
                'one at its start is imported');

SELECT * FROM finish();
ROLLBACK;
