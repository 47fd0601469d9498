-- test/tap/catalogue.sql — auditlog.action_types lists every action that exists:
-- the seeded ones, and each new action from its first event on. New actions
-- and labels are committed on their own (by the auditlog writer), so a
-- rolled-back event's new action or label stays while the event is gone. Each
-- label (actor, actor id, resource type, organisation, ...) is stored once,
-- however many events use it.

-- Before the test, in a transaction of its own that rolls back: an action and
-- an actor that nothing else uses (the test shows they left nothing behind).
BEGIN;
SELECT auditlog.log_event('tap_catalogue.rolled_back', actor => 'Tap Rolled Back') AS rolled_back_id \gset
ROLLBACK;

BEGIN;
SELECT plan(26);
\ir setup/common.sql
\ir setup/roles.sql

-- did(action): the events of an action as action/actor/resource_type/org_id,
-- oldest first, so that a broken reference (a NULL) shows.
CREATE FUNCTION pg_temp.did(act text) RETURNS text[]
    LANGUAGE sql VOLATILE AS
$$
    SELECT array_agg(concat_ws('/', coalesce(action, '?'), coalesce(actor, '?'),
                               coalesce(resource_type, '-'), coalesce(org_id, '-')) ORDER BY id)
      FROM auditlog.event_store e
      LEFT JOIN auditlog.events v USING (id)
     WHERE e.action_ref = (SELECT id FROM auditlog.action_types WHERE action = act)
$$;

---------------------------------------------------------------------------
-- The catalogue comes seeded with the actions of the product page.
---------------------------------------------------------------------------
SELECT set_eq($$SELECT action, description FROM auditlog.action_types WHERE builtin$$,
              $$VALUES ('auth.login', 'User logged into the platform'),
                       ('credential.token_refresh', 'System refreshed an OAuth token for a connection')$$,
              'auth.login and credential.token_refresh are seeded with their descriptions');

---------------------------------------------------------------------------
-- The first event of a new action adds it, without a description; later
-- events of it add nothing.
---------------------------------------------------------------------------
SELECT is_empty($$SELECT 1 FROM auditlog.action_types WHERE action = 'tap_catalogue.first'$$,
                'a new action is not in the catalogue before its first event');
SELECT count(*) AS actions_before FROM auditlog.action_types \gset
-- the first event of a new action is logged
SELECT auditlog.log_event('tap_catalogue.first') AS logged \gset
SELECT set_eq($$SELECT action, description, builtin FROM auditlog.action_types
                 WHERE action = 'tap_catalogue.first'$$,
              $$VALUES ('tap_catalogue.first', NULL::text, false)$$,
              'the first event of a new action adds it, with no description, not built in');
SELECT is((SELECT count(*) FROM auditlog.action_types), (:actions_before + 1)::bigint,
          'one row was added to the catalogue');
-- a second event of that action is logged
SELECT auditlog.log_event('tap_catalogue.first', outcome => 'failure') AS logged \gset
SELECT is((SELECT count(*) FROM auditlog.action_types), (:actions_before + 1)::bigint,
          'a second event of that action adds no row');
SELECT is(pg_temp.did('tap_catalogue.first'),
          ARRAY['tap_catalogue.first/' || session_user || '/-/-', 'tap_catalogue.first/' || session_user || '/-/-'],
          'both events point at the one catalogue row');

-- An action of three words, and a seeded action: the same.
-- an action of three words is logged
SELECT auditlog.log_event('tap_catalogue.sub.deep') AS logged \gset
SELECT is((SELECT count(*) FROM auditlog.action_types WHERE action = 'tap_catalogue.sub.deep'), 1::bigint,
          'an action of three words is added as it is');
-- an event of a seeded action is logged
SELECT auditlog.log_event('auth.login', actor => 'John Doe') AS logged \gset
SELECT is((SELECT description FROM auditlog.action_types WHERE action = 'auth.login'),
          'User logged into the platform', 'an event of a seeded action leaves its description as it is');
SELECT is((SELECT count(*) FROM auditlog.action_types), (:actions_before + 2)::bigint,
          'two new actions, two new rows');

-- A malformed action adds nothing.
SELECT throws_ok($$SELECT auditlog.log_event('Tap_Catalogue.Bad')$$, '22023',
                 'invalid action "Tap_Catalogue.Bad"', 'a malformed action is refused');
SELECT is((SELECT count(*) FROM auditlog.action_types), (:actions_before + 2)::bigint,
          'and is not added');

---------------------------------------------------------------------------
-- A new action or label is committed on its own, by the auditlog writer,
-- so that no other writer ever waits on this transaction's rows: one used
-- only in a rolled-back transaction or savepoint stays in the dictionary,
-- once, while its event is gone; logged again, it reads back whole.
---------------------------------------------------------------------------
SELECT is_empty($$SELECT 1 FROM auditlog.event_store WHERE id = $$ || :rolled_back_id,
                'an event of a rolled-back transaction is gone');
SELECT is((SELECT count(*) FROM auditlog.action_types WHERE action = 'tap_catalogue.rolled_back'), 1::bigint,
          'its new action stayed in the catalogue, once: it was committed on its own');
SELECT is((SELECT count(*) FROM auditlog.labels WHERE label = 'Tap Rolled Back'), 1::bigint,
          'and so did its new actor, once');
-- the same action and actor are logged again
SELECT auditlog.log_event('tap_catalogue.rolled_back', actor => 'Tap Rolled Back') AS logged \gset
SELECT is(pg_temp.did('tap_catalogue.rolled_back'), ARRAY['tap_catalogue.rolled_back/Tap Rolled Back/-/-'],
          'logged again, the same action and actor read back whole');

SAVEPOINT tap_sp;
SELECT auditlog.log_event('tap_catalogue.ghost', 'ghost_thing', 'g-1', actor => 'Tap Ghost',
                          actor_id => 'tap-ghost-id', org_id => 'tap-ghost-org') AS ghost_id \gset
ROLLBACK TO SAVEPOINT tap_sp;
SELECT is_empty($$SELECT 1 FROM auditlog.event_store WHERE id = $$ || :ghost_id,
                'an event of a rolled-back savepoint is gone');
SELECT is((SELECT count(*) FROM auditlog.labels
            WHERE label IN ('Tap Ghost', 'tap-ghost-id', 'ghost_thing', 'tap-ghost-org')), 4::bigint,
          'its new actor, actor id, resource type and organisation are labels, once each');
-- the same event is logged again after the savepoint
SELECT auditlog.log_event('tap_catalogue.ghost', 'ghost_thing', 'g-1', actor => 'Tap Ghost',
                          actor_id => 'tap-ghost-id', org_id => 'tap-ghost-org') AS logged \gset
SELECT is(pg_temp.did('tap_catalogue.ghost'), ARRAY['tap_catalogue.ghost/Tap Ghost/ghost_thing/tap-ghost-org'],
          'logged again after the savepoint, the event reads back whole');

-- A savepoint released into one that rolls back goes with it.
SAVEPOINT tap_outer;
SAVEPOINT tap_inner;
SELECT auditlog.log_event('tap_catalogue.nested', actor => 'Tap Nested') AS nested_id \gset
RELEASE SAVEPOINT tap_inner;
ROLLBACK TO SAVEPOINT tap_outer;
SELECT is_empty($$SELECT 1 FROM auditlog.event_store WHERE id = $$ || :nested_id,
                'an event of a released savepoint inside a rolled-back one is gone');
-- the same action is logged again
SELECT auditlog.log_event('tap_catalogue.nested', actor => 'Tap Nested') AS logged \gset
SELECT is(pg_temp.did('tap_catalogue.nested'), ARRAY['tap_catalogue.nested/Tap Nested/-/-'],
          'logged again, the same action reads back whole');

-- A released savepoint keeps what it added.
SAVEPOINT tap_kept;
SELECT auditlog.log_event('tap_catalogue.kept', actor => 'Tap Kept') AS kept_id \gset
RELEASE SAVEPOINT tap_kept;
SELECT is(pg_temp.did('tap_catalogue.kept'), ARRAY['tap_catalogue.kept/Tap Kept/-/-'],
          'an action of a released savepoint is kept');

-- The database role is a label too: one first seen in a rolled-back
-- savepoint is added again when it logs after it.
CREATE ROLE auditlog_tap_catalogue_user;
SELECT pg_temp.grant_writer('auditlog_tap_catalogue_user');
SAVEPOINT tap_role;
SET LOCAL SESSION AUTHORIZATION auditlog_tap_catalogue_user;
SELECT auditlog.log_event('tap_catalogue.role_gone') AS role_gone_id \gset
ROLLBACK TO SAVEPOINT tap_role;
SET LOCAL SESSION AUTHORIZATION auditlog_tap_catalogue_user;
-- a new session role logs again after its first event was rolled back
SELECT auditlog.log_event('tap_catalogue.role_back') AS logged \gset
RESET SESSION AUTHORIZATION;
SELECT is((SELECT db_user FROM auditlog.events WHERE action = 'tap_catalogue.role_back'),
          'auditlog_tap_catalogue_user', 'a new session role logs again after its first event was rolled back, named as db_user');

---------------------------------------------------------------------------
-- Each label is stored once, however many events use it.
---------------------------------------------------------------------------
-- a first event names an actor, actor id, resource type and organisation
SELECT auditlog.log_event('tap_catalogue.label', 'widget', 'w-1', actor => 'Tap Label Person',
                          actor_id => 'tlp-1', org_id => 'tap-label-org') AS logged \gset
-- a second event names the same
SELECT auditlog.log_event('tap_catalogue.label', 'widget', 'w-2', actor => 'Tap Label Person',
                          actor_id => 'tlp-1', org_id => 'tap-label-org') AS logged \gset
SET LOCAL auditlog.actor = 'Tap Label Person';
SET LOCAL auditlog.actor_id = 'tlp-1';
SET LOCAL auditlog.org_id = 'tap-label-org';
-- a third one names them through the settings
SELECT auditlog.log_event('tap_catalogue.label', 'widget', 'w-3') AS logged \gset
SELECT set_eq($$SELECT kind::text, label, count(*) FROM auditlog.labels
                 WHERE label IN ('Tap Label Person', 'tlp-1', 'widget', 'tap-label-org')
                 GROUP BY kind, label$$,
              $$VALUES ('a', 'Tap Label Person', 1::bigint), ('i', 'tlp-1', 1), ('r', 'widget', 1),
                       ('o', 'tap-label-org', 1)$$,
              'each label is stored once');
SELECT is((SELECT count(DISTINCT (actor_ref, actor_id_ref, resource_type_ref, org_ref))
             FROM auditlog.event_store
            WHERE action_ref = (SELECT id FROM auditlog.action_types WHERE action = 'tap_catalogue.label')),
          1::bigint, 'and the three events point at the same labels');
SELECT is((SELECT count(*) FROM auditlog.events WHERE action = 'tap_catalogue.label' AND actor = 'Tap Label Person'
              AND actor_id = 'tlp-1' AND resource_type = 'widget' AND org_id = 'tap-label-org'),
          3::bigint, 'which read back as the three events');

-- The same string in two roles is two labels; labels are case-sensitive.
-- an event whose actor and organisation are the same string
SELECT auditlog.log_event('tap_catalogue.label', actor => 'tap-label-org', org_id => 'tap-label-org') AS logged \gset
-- an event whose actor differs only in case
SELECT auditlog.log_event('tap_catalogue.label', actor => 'TAP LABEL PERSON') AS logged \gset
SELECT set_eq($$SELECT kind::text, label FROM auditlog.labels
                 WHERE label IN ('tap-label-org', 'Tap Label Person', 'TAP LABEL PERSON')$$,
              $$VALUES ('a', 'tap-label-org'), ('o', 'tap-label-org'),
                       ('a', 'Tap Label Person'), ('a', 'TAP LABEL PERSON')$$,
              'a label is kept apart by its kind and its case');

SELECT * FROM finish();
ROLLBACK;
