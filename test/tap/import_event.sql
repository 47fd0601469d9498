-- test/tap/import_event.sql — import_event(occurred_at, action, ...) backfills an
-- event from another system with its original time. The event says it was
-- imported; the time must be a real moment that has already happened; the
-- rest is checked exactly as log_event checks it.
BEGIN;
SELECT plan(34);

-- what(id): the event as one value, to compare whole; event(id): every
-- column of it, to pick from.
CREATE FUNCTION pg_temp.what(event_id bigint) RETURNS jsonb
    LANGUAGE sql VOLATILE AS
$$
    SELECT jsonb_build_object('occurred_at', occurred_at, 'action', action, 'actor', actor,
                              'actor_id', actor_id, 'resource_type', resource_type,
                              'resource_id', resource_id, 'outcome', outcome::text,
                              'org_id', org_id, 'details', details)
      FROM auditlog.events WHERE id = event_id
$$;
CREATE FUNCTION pg_temp.event(event_id bigint) RETURNS jsonb
    LANGUAGE sql VOLATILE AS
$$
    SELECT to_jsonb(e) FROM auditlog.events e WHERE id = event_id
$$;

\ir setup/common.sql
SET LOCAL TimeZone = 'UTC';

---------------------------------------------------------------------------
-- The event keeps the time it happened and says it was imported.
---------------------------------------------------------------------------
SELECT is(pg_temp.what(auditlog.import_event('2024-05-07 22:39:19.123456+00', 'auth.login',
                                             actor => 'John Doe', actor_id => 'u-1')),
          jsonb_build_object('occurred_at', '2024-05-07 22:39:19.123456+00'::timestamptz,
                             'action', 'auth.login', 'actor', 'John Doe', 'actor_id', 'u-1',
                             'resource_type', NULL, 'resource_id', NULL, 'outcome', 'success',
                             'org_id', NULL, 'details', '{"imported": true}'::jsonb),
          'an imported event keeps its occurred_at, to the microsecond, and details say "imported": true');

SELECT is(pg_temp.what(auditlog.import_event('2023-01-02 03:04:05+02', 'credential.token_refresh',
                                             'connection', 'eae3a753', 'failure',
                                             '{"error": "invalid_grant", "source": "legacy"}',
                                             'system', NULL, 'acme')),
          jsonb_build_object('occurred_at', '2023-01-02 01:04:05+00'::timestamptz,
                             'action', 'credential.token_refresh', 'actor', 'system', 'actor_id', NULL,
                             'resource_type', 'connection', 'resource_id', 'eae3a753', 'outcome', 'failure',
                             'org_id', 'acme',
                             'details', '{"error": "invalid_grant", "source": "legacy", "imported": true}'::jsonb),
          'every argument is stored as given, and "imported": true is merged into the details');

SELECT is(pg_temp.event(auditlog.import_event('2024-01-01', 'auth.login', details => '{"imported": false}'))->'details',
          '{"imported": true}'::jsonb,
          'details cannot pass an imported event off as a live one');

SELECT is(pg_temp.event(auditlog.import_event('2024-01-01', 'auth.login', details => '{}'))->'details',
          '{"imported": true}'::jsonb,
          'empty details become {"imported": true}');

SELECT is(pg_temp.event(auditlog.log_event('auth.login', details => '{"ip": "10.0.0.1"}'))->'details',
          '{"ip": "10.0.0.1"}'::jsonb,
          'an event logged live is not marked imported');

-- Long-past times are fine; so is the present.
SELECT is((pg_temp.event(auditlog.import_event('1999-12-31 23:59:59+00', 'auth.login'))->>'occurred_at')::timestamptz,
          '1999-12-31 23:59:59+00'::timestamptz, 'a time long past is kept');
SELECT is((pg_temp.event(auditlog.import_event(now(), 'auth.login'))->>'occurred_at')::timestamptz,
          now(), 'the transaction''s own start time is accepted');

-- The id still orders events by when they were written, not by occurred_at.
SELECT cmp_ok(auditlog.import_event('2001-01-01', 'auth.login'), '>',
              (SELECT max(id) FROM auditlog.events WHERE occurred_at > '2001-01-01'),
              'an imported event gets an id after the events written before it');

---------------------------------------------------------------------------
-- Who and where: as for log_event.
---------------------------------------------------------------------------
SET LOCAL auditlog.actor = 'Ada Lovelace';
SET LOCAL auditlog.actor_id = 'u-7';
SET LOCAL auditlog.org_id = 'org-9';
SELECT is(pg_temp.what(auditlog.import_event('2024-02-03', 'auth.login'))
             - 'occurred_at' - 'action' - 'resource_type' - 'resource_id' - 'outcome' - 'details',
          '{"actor": "Ada Lovelace", "actor_id": "u-7", "org_id": "org-9"}'::jsonb,
          'without actor arguments, the settings name the actor');
SELECT is(pg_temp.what(auditlog.import_event('2024-02-03', 'auth.login', actor => 'Grace Hopper', org_id => 'org-1'))
             - 'occurred_at' - 'action' - 'resource_type' - 'resource_id' - 'outcome' - 'details',
          '{"actor": "Grace Hopper", "actor_id": null, "org_id": "org-1"}'::jsonb,
          'arguments come first, and an explicit actor takes no actor id from the settings');
SET LOCAL auditlog.actor TO DEFAULT;
SET LOCAL auditlog.actor_id TO DEFAULT;
SET LOCAL auditlog.org_id TO DEFAULT;
SELECT is_empty($$
    SELECT id FROM auditlog.events
     WHERE details ? 'imported'
       AND (db_user IS DISTINCT FROM session_user::text
            OR txid IS DISTINCT FROM pg_current_xact_id()::text::bigint)
$$, 'imported events record the importing session''s role and transaction');

-- A new action comes into the catalogue with its first imported event.
SELECT auditlog.import_event('2020-06-01', 'tap_import.legacy_action') AS legacy_event \gset
SELECT set_eq($$SELECT action, description FROM auditlog.action_types WHERE action = 'tap_import.legacy_action'$$,
              $$VALUES ('tap_import.legacy_action', NULL::text)$$,
              'the first imported event of a new action adds the action to the catalogue');

---------------------------------------------------------------------------
-- occurred_at must be given, finite and not in the future.
---------------------------------------------------------------------------
SELECT count(*) AS events_before FROM auditlog.event_store \gset
SELECT throws_ok($$SELECT auditlog.import_event(NULL, 'auth.login')$$,
                 '22004', 'occurred_at must not be null',
                 'a NULL occurred_at is refused');
SELECT throws_ok($$SELECT auditlog.import_event('infinity', 'auth.login')$$,
                 '22008', 'occurred_at must be a finite time',
                 'an infinite occurred_at is refused');
SELECT throws_ok($$SELECT auditlog.import_event('-infinity', 'auth.login')$$,
                 '22008', 'occurred_at must be a finite time',
                 'a minus infinite occurred_at is refused');
SELECT throws_ok($$SELECT auditlog.import_event(now() + interval '1 day', 'auth.login')$$,
                 '22008', NULL,
                 'an occurred_at in the future is refused');
SELECT throws_like($$SELECT auditlog.import_event('2999-01-01 00:00:00+00', 'auth.login')$$,
                   'occurred_at 2999-01-01 00:00:00+00 is in the future',
                   'the refusal names the time');
-- The clock at the call is the limit, not the transaction's start: a second
-- ahead of it is the future, with what the clock read and a hint.
SELECT clock_timestamp() + interval '1 second' AS ahead \gset
SELECT pg_temp.error_of(format('SELECT auditlog.import_event(%L, ''auth.login'')', :'ahead')) AS ahead_error \gset
SELECT is(:'ahead_error'::jsonb || jsonb_build_object('detail', :'ahead_error'::jsonb->>'detail' LIKE 'The server''s clock reads %'),
          jsonb_build_object('sqlstate', '22008', 'message', format('occurred_at %s is in the future', :'ahead'),
                             'detail', true,
                             'hint', 'Imported events happened in the past; check the time zone of the value.'),
          'a second ahead of the server clock is the future too: refused, naming the time and what the clock reads');

---------------------------------------------------------------------------
-- The action and the other arguments are checked as log_event checks them.
---------------------------------------------------------------------------
SELECT throws_ok($$SELECT auditlog.import_event('2024-01-01', NULL)$$,
                 '22004', 'action must not be null',
                 'a NULL action is refused');
SELECT throws_ok($$SELECT auditlog.import_event('2024-01-01', 'login')$$,
                 '22023', 'invalid action "login"',
                 'an action of one word is refused');
SELECT throws_ok($$SELECT auditlog.import_event('2024-01-01', 'Auth.Login')$$,
                 '22023', 'invalid action "Auth.Login"',
                 'an action in upper case is refused');
SELECT throws_ok($$SELECT auditlog.import_event('2024-01-01', 'auth..login')$$,
                 '22023', 'invalid action "auth..login"',
                 'an action with an empty word is refused');
SELECT throws_ok($$SELECT auditlog.import_event('2024-01-01', 'auth.log-in')$$,
                 '22023', 'invalid action "auth.log-in"',
                 'an action with a dash is refused');
SELECT throws_ok($$SELECT auditlog.import_event('2024-01-01', 'auth.' || repeat('x', 300))$$,
                 '22023', NULL,
                 'an action longer than 256 bytes is refused');
SELECT throws_ok($$SELECT auditlog.import_event('2024-01-01', 'auth.login', outcome => NULL)$$,
                 '22004', 'outcome must not be null',
                 'a NULL outcome is refused');
SELECT throws_ok($$SELECT auditlog.import_event('2024-01-01', 'auth.login', outcome => 'ok')$$,
                 '22P02', NULL,
                 'an unknown outcome is refused');
SELECT throws_ok($$SELECT auditlog.import_event('2024-01-01', 'auth.login', resource_id => 'r-1')$$,
                 '22023', 'resource_id "r-1" given without a resource_type',
                 'a resource id without a resource type is refused');
SELECT throws_ok($$SELECT auditlog.import_event('2024-01-01', 'auth.login', details => '[1, 2]')$$,
                 '22023', 'details must be a JSON object',
                 'details that are not an object are refused');
SELECT throws_ok($$SELECT auditlog.import_event('2024-01-01', 'auth.login', actor => '')$$,
                 '22023', 'actor must not be empty',
                 'an empty actor is refused');

-- Refused imports write nothing.
SELECT is((SELECT count(*) FROM auditlog.event_store), :events_before::bigint,
          'no refused import wrote an event');
SELECT is_empty($$SELECT action FROM auditlog.action_types
                   WHERE action IN ('login', 'Auth.Login', 'auth..login', 'auth.log-in')$$,
                'nor added an action');
SELECT clock_timestamp() - interval '1 second' AS second_ago \gset
SELECT is((pg_temp.event(auditlog.import_event(:'second_ago', 'auth.login'))->>'occurred_at')::timestamptz,
          :'second_ago'::timestamptz, 'a second before the server clock is the past: imported with that time');
-- A moment after the transaction began but before the clock reads: the past
-- too (a check against the transaction's start would refuse it).
SELECT pg_sleep(0.05);
SELECT clock_timestamp() - interval '10 milliseconds' AS just_past \gset
SELECT is((pg_temp.event(auditlog.import_event(:'just_past', 'auth.login'))->>'occurred_at')::timestamptz
              || ' ' || (:'just_past'::timestamptz > now()),
          :'just_past'::timestamptz || ' true',
          'a time after the transaction''s start and before the clock is the past: imported with that time');

-- Like log_event, it needs a transaction that may write.
SET LOCAL transaction_read_only = on;
SELECT throws_ok($$SELECT auditlog.import_event('2024-01-01', 'auth.login')$$,
                 '25006', NULL,
                 'import_event is refused in a read-only transaction');

SELECT * FROM finish();
ROLLBACK;
