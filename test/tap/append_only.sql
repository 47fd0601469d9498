-- test/tap/append_only.sql — the audit log is append-only for every role, its
-- owner (here a superuser) included, even in replication mode: no event and
-- no label is ever updated or deleted with SQL; an action's name never
-- changes, only its description.
BEGIN;
SELECT plan(31);
\ir setup/common.sql

-- Appending is what the log is for: some events, so that the row triggers
-- below have rows to fire on (the owner appends one, and another of a new
-- action; that they are there is checked below).
SELECT auditlog.log_event('auth.login', actor => 'Append Only', actor_id => 'ao-1', org_id => 'ao-org') AS first_event,
       auditlog.log_event('tap_append.check', 'widget', 'w-1', 'denied', '{"n": 1}', actor => 'Append Only')
           AS second_event \gset

-- What the tables hold now, to show afterwards that nothing changed.
CREATE TEMP TABLE tap_events_before AS SELECT * FROM auditlog.event_store;
CREATE TEMP TABLE tap_labels_before AS SELECT * FROM auditlog.labels;
CREATE TEMP TABLE tap_actions_before AS SELECT * FROM auditlog.action_types;

---------------------------------------------------------------------------
-- Events cannot be updated, deleted or truncated, not even by their owner.
---------------------------------------------------------------------------
SELECT throws_ok($$UPDATE auditlog.event_store SET outcome = 'success'$$,
                 '42501', 'UPDATE of auditlog.event_store is not allowed',
                 'the owner cannot UPDATE events');
SELECT throws_ok($$UPDATE auditlog.event_store SET details = NULL
                    WHERE id = (SELECT max(id) FROM auditlog.event_store)$$,
                 '42501', 'UPDATE of auditlog.event_store is not allowed',
                 'the owner cannot UPDATE a single event');
SELECT throws_ok($$DELETE FROM auditlog.event_store$$,
                 '42501', 'DELETE of auditlog.event_store is not allowed',
                 'the owner cannot DELETE events');
SELECT throws_ok($$DELETE FROM auditlog.event_store WHERE id = (SELECT max(id) FROM auditlog.event_store)$$,
                 '42501', 'DELETE of auditlog.event_store is not allowed',
                 'the owner cannot DELETE a single event');
SELECT throws_ok($$TRUNCATE auditlog.event_store$$,
                 '42501', 'TRUNCATE of auditlog.event_store is not allowed',
                 'the owner cannot TRUNCATE the events');

-- Nor the labels the events point at.
SELECT throws_ok($$UPDATE auditlog.labels SET label = label || ' (edited)'$$,
                 '42501', 'UPDATE of auditlog.labels is not allowed',
                 'the owner cannot UPDATE labels');
SELECT throws_ok($$DELETE FROM auditlog.labels$$,
                 '42501', 'DELETE of auditlog.labels is not allowed',
                 'the owner cannot DELETE labels');
SELECT throws_ok($$TRUNCATE auditlog.labels$$,
                 '42501', 'TRUNCATE of auditlog.labels is not allowed',
                 'the owner cannot TRUNCATE labels');

-- Actions are never deleted; an action's name and id never change.
SELECT throws_ok($$DELETE FROM auditlog.action_types WHERE action = 'tap_append.check'$$,
                 '42501', 'DELETE of auditlog.action_types is not allowed',
                 'the owner cannot DELETE an action');
SELECT throws_ok($$TRUNCATE auditlog.action_types$$,
                 '42501', 'TRUNCATE of auditlog.action_types is not allowed',
                 'the owner cannot TRUNCATE the actions');
SELECT throws_ok($$UPDATE auditlog.action_types SET action = 'auth.signin' WHERE action = 'auth.login'$$,
                 '42501', 'the name and id of action "auth.login" cannot change',
                 'the owner cannot rename an action');
SELECT throws_ok($$UPDATE auditlog.action_types SET id = -id WHERE action = 'auth.login'$$,
                 '42501', 'the name and id of action "auth.login" cannot change',
                 'the owner cannot change an action''s id');

---------------------------------------------------------------------------
-- The same holds in replication mode, which skips ordinary triggers.
---------------------------------------------------------------------------
SET LOCAL session_replication_role = replica;
SELECT throws_ok($$UPDATE auditlog.event_store SET outcome = 'success'$$,
                 '42501', 'UPDATE of auditlog.event_store is not allowed',
                 'in replica mode the owner cannot UPDATE events');
SELECT throws_ok($$DELETE FROM auditlog.event_store$$,
                 '42501', 'DELETE of auditlog.event_store is not allowed',
                 'in replica mode the owner cannot DELETE events');
SELECT throws_ok($$TRUNCATE auditlog.event_store$$,
                 '42501', 'TRUNCATE of auditlog.event_store is not allowed',
                 'in replica mode the owner cannot TRUNCATE the events');
SELECT throws_ok($$UPDATE auditlog.labels SET label = label || ' (edited)'$$,
                 '42501', 'UPDATE of auditlog.labels is not allowed',
                 'in replica mode the owner cannot UPDATE labels');
SELECT throws_ok($$DELETE FROM auditlog.labels$$,
                 '42501', 'DELETE of auditlog.labels is not allowed',
                 'in replica mode the owner cannot DELETE labels');
SELECT throws_ok($$TRUNCATE auditlog.labels$$,
                 '42501', 'TRUNCATE of auditlog.labels is not allowed',
                 'in replica mode the owner cannot TRUNCATE labels');
SELECT throws_ok($$DELETE FROM auditlog.action_types$$,
                 '42501', 'DELETE of auditlog.action_types is not allowed',
                 'in replica mode the owner cannot DELETE actions');
SELECT throws_ok($$TRUNCATE auditlog.action_types$$,
                 '42501', 'TRUNCATE of auditlog.action_types is not allowed',
                 'in replica mode the owner cannot TRUNCATE the actions');
SELECT throws_ok($$UPDATE auditlog.action_types SET action = 'auth.signin' WHERE action = 'auth.login'$$,
                 '42501', 'the name and id of action "auth.login" cannot change',
                 'in replica mode the owner cannot rename an action');
SET LOCAL session_replication_role = origin;

-- The refusals come with the reason and the way to add events.
SELECT is(pg_temp.error_of($$DELETE FROM auditlog.event_store$$),
          jsonb_build_object('sqlstate', '42501', 'message', 'DELETE of auditlog.event_store is not allowed',
                             'detail', 'The audit log is append-only, for every role including its owner.',
                             'hint', 'Events are only ever added, with auditlog.log_event() or by the triggers of registered tables.'),
          'a refusal names what was refused, says the log is append-only for every role, and how events are added');
SELECT is(pg_temp.error_of($$UPDATE auditlog.action_types SET action = 'auth.signin' WHERE action = 'auth.login'$$),
          jsonb_build_object('sqlstate', '42501', 'message', 'the name and id of action "auth.login" cannot change',
                             'detail', NULL, 'hint', 'Only the description of an action can be updated.'),
          'renaming an action is refused with the hint that only its description may change');

---------------------------------------------------------------------------
-- Nothing changed.
---------------------------------------------------------------------------
SELECT bag_eq('TABLE auditlog.event_store', 'TABLE tap_events_before',
              'every event is as it was');
SELECT bag_eq('TABLE auditlog.labels', 'TABLE tap_labels_before',
              'every label is as it was');
SELECT bag_eq('TABLE auditlog.action_types', 'TABLE tap_actions_before',
              'every action is as it was');
SELECT is((SELECT count(*) FROM auditlog.event_store WHERE id IN (:first_event, :second_event)), 2::bigint,
          'and the two events logged above are among them');

---------------------------------------------------------------------------
-- An action's description may change, in either mode; adding events and
-- actions goes on as before.
---------------------------------------------------------------------------
UPDATE auditlog.action_types SET description = 'Checked by the append-only test'
 WHERE action = 'tap_append.check';
SELECT is((SELECT description FROM auditlog.action_types WHERE action = 'tap_append.check'),
          'Checked by the append-only test', 'the owner may describe an action: the description is stored');
SET LOCAL session_replication_role = replica;
UPDATE auditlog.action_types SET description = 'User signed in' WHERE action = 'auth.login';
SET LOCAL session_replication_role = origin;
SELECT is((SELECT description FROM auditlog.action_types WHERE action = 'auth.login'),
          'User signed in', 'in replica mode the owner may redescribe an action: the new description is stored');
SELECT bag_eq($$SELECT id, action, builtin FROM auditlog.action_types$$,
              $$SELECT id, action, builtin FROM tap_actions_before$$,
              'describing actions changed no name, id or flag');
SELECT auditlog.log_event('tap_append.check') AS last_event \gset
SELECT is((SELECT action FROM auditlog.events WHERE id = :last_event), 'tap_append.check',
          'events are still appended');

SELECT * FROM finish();
ROLLBACK;
