-- test/tap/actor.sql — who an event names. The actor of log_event is taken from
-- its arguments first, else from the settings auditlog.actor /
-- auditlog.actor_id / auditlog.org_id, else it is the session's database
-- role. The context the application cannot forge (db_user, txid,
-- client_addr, application_name) comes from the server.
BEGIN;
SELECT plan(29);

-- who(id): the actor, actor id and organisation of an event, as one value.
CREATE FUNCTION pg_temp.who(event_id bigint) RETURNS jsonb
    LANGUAGE sql VOLATILE AS
$$
    SELECT jsonb_build_object('actor', actor, 'actor_id', actor_id, 'org_id', org_id)
      FROM auditlog.events WHERE id = event_id
$$;

-- Start from no settings at all, whatever the session had.
\ir setup/common.sql
\ir setup/roles.sql

---------------------------------------------------------------------------
-- Without arguments or settings, the actor is the session's role.
---------------------------------------------------------------------------
SELECT is(pg_temp.who(auditlog.log_event('tap_actor.check')),
          jsonb_build_object('actor', session_user, 'actor_id', NULL, 'org_id', NULL),
          'with nothing set, the actor is session_user, with no actor id or organisation');

---------------------------------------------------------------------------
-- The settings name the actor, the actor id and the organisation.
---------------------------------------------------------------------------
SET LOCAL auditlog.actor = 'John Doe';
SELECT is(pg_temp.who(auditlog.log_event('tap_actor.check')),
          '{"actor": "John Doe", "actor_id": null, "org_id": null}'::jsonb,
          'auditlog.actor names the actor');
SET LOCAL auditlog.actor_id = 'u-1';
SET LOCAL auditlog.org_id = 'acme';
SELECT is(pg_temp.who(auditlog.log_event('tap_actor.check')),
          '{"actor": "John Doe", "actor_id": "u-1", "org_id": "acme"}'::jsonb,
          'auditlog.actor_id and auditlog.org_id add the actor id and organisation');

---------------------------------------------------------------------------
-- Arguments come first.
---------------------------------------------------------------------------
SELECT is(pg_temp.who(auditlog.log_event('tap_actor.check', actor => 'Jane Roe', actor_id => 'u-2',
                                         org_id => 'globex')),
          '{"actor": "Jane Roe", "actor_id": "u-2", "org_id": "globex"}'::jsonb,
          'actor, actor_id and org_id arguments beat the settings');
SELECT is(pg_temp.who(auditlog.log_event('tap_actor.check', actor => 'Grace Hopper')),
          '{"actor": "Grace Hopper", "actor_id": null, "org_id": "acme"}'::jsonb,
          'an explicit actor does not inherit the actor id of the settings');
SELECT is(pg_temp.who(auditlog.log_event('tap_actor.check', actor_id => 'u-9')),
          '{"actor": "John Doe", "actor_id": "u-9", "org_id": "acme"}'::jsonb,
          'an actor_id argument alone replaces only the actor id');
SELECT is(pg_temp.who(auditlog.log_event('tap_actor.check', org_id => 'initech')),
          '{"actor": "John Doe", "actor_id": "u-1", "org_id": "initech"}'::jsonb,
          'the org_id argument beats auditlog.org_id');
SELECT is(pg_temp.who(auditlog.log_event('tap_actor.check', actor => 'system')),
          '{"actor": "system", "actor_id": null, "org_id": "acme"}'::jsonb,
          'automated work names the actor system');

-- An empty setting counts as unset.
SET LOCAL auditlog.actor = '';
SET LOCAL auditlog.actor_id = '';
SET LOCAL auditlog.org_id = '';
SELECT is(pg_temp.who(auditlog.log_event('tap_actor.check')),
          jsonb_build_object('actor', session_user, 'actor_id', NULL, 'org_id', NULL),
          'with the settings emptied, the actor is session_user again');

---------------------------------------------------------------------------
-- set_actor(actor, actor_id) sets both settings for the transaction.
---------------------------------------------------------------------------
SELECT auditlog.set_actor('Ada Lovelace', 'u-7');
SELECT is(current_setting('auditlog.actor'), 'Ada Lovelace', 'set_actor sets auditlog.actor');
SELECT is(current_setting('auditlog.actor_id'), 'u-7', 'and auditlog.actor_id');
SELECT is(pg_temp.who(auditlog.log_event('tap_actor.check')),
          '{"actor": "Ada Lovelace", "actor_id": "u-7", "org_id": null}'::jsonb,
          'events name the actor set by set_actor');

SET LOCAL auditlog.actor_id = 'u-stale';
SELECT auditlog.set_actor('system');
SELECT is(current_setting('auditlog.actor_id'), '',
          'set_actor without an actor id clears the actor id of the previous actor');
SELECT is(pg_temp.who(auditlog.log_event('tap_actor.check')),
          '{"actor": "system", "actor_id": null, "org_id": null}'::jsonb,
          'so that events do not pin the old actor id on the new actor');

-- Like SET LOCAL, it is undone with the (sub)transaction that made it.
SAVEPOINT tap_actor_sp;
SELECT auditlog.set_actor('Temporary Person', 'u-tmp') IS NULL AS set_in_savepoint \gset
ROLLBACK TO SAVEPOINT tap_actor_sp;
SELECT is(current_setting('auditlog.actor') || '/' || current_setting('auditlog.actor_id'), 'system/',
          'set_actor in a rolled-back savepoint is undone');

SELECT throws_ok($$SELECT auditlog.set_actor(NULL)$$, '22004', 'actor must not be null',
                 'set_actor refuses a NULL actor');
SELECT throws_ok($$SELECT auditlog.set_actor('')$$, '22023', 'actor must not be empty',
                 'set_actor refuses an empty actor');

---------------------------------------------------------------------------
-- db_user is the session's role, whatever role runs the code; the actor is
-- still resolved as above.
---------------------------------------------------------------------------
SET LOCAL auditlog.actor TO DEFAULT;
SET LOCAL auditlog.actor_id TO DEFAULT;
SET LOCAL auditlog.org_id TO DEFAULT;

-- A SECURITY DEFINER function owned by another role, which may log.
CREATE ROLE auditlog_tap_definer;
SELECT pg_temp.grant_writer('auditlog_tap_definer');
CREATE FUNCTION pg_temp.log_as_definer(action text) RETURNS bigint
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS
$$
    SELECT auditlog.log_event(action, details => jsonb_build_object('current_user', current_user))
$$;
ALTER FUNCTION pg_temp.log_as_definer(text) OWNER TO auditlog_tap_definer;

SELECT pg_temp.log_as_definer('tap_actor.definer') AS definer_event \gset
SELECT is((SELECT details->>'current_user' FROM auditlog.events WHERE action = 'tap_actor.definer'),
          'auditlog_tap_definer', 'a SECURITY DEFINER function owned by another role logs, as its owner');
SELECT is((SELECT db_user FROM auditlog.events WHERE action = 'tap_actor.definer'),
          session_user::text, 'but db_user is session_user');
SELECT is((SELECT actor FROM auditlog.events WHERE action = 'tap_actor.definer'),
          session_user::text, 'and, with nothing set, so is the actor');

SET LOCAL auditlog.actor = 'John Doe';
SELECT pg_temp.log_as_definer('tap_actor.definer_named') AS definer_named_event \gset
SELECT is((SELECT actor || ' / ' || db_user FROM auditlog.events WHERE action = 'tap_actor.definer_named'),
          'John Doe / ' || session_user,
          'with auditlog.actor set, the SECURITY DEFINER function''s event names it as actor, and session_user as db_user');
SET LOCAL auditlog.actor TO DEFAULT;

-- After SET ROLE to a role that may log.
CREATE ROLE auditlog_tap_writer;
SELECT pg_temp.grant_writer('auditlog_tap_writer');
SET LOCAL ROLE auditlog_tap_writer;
SELECT auditlog.log_event('tap_actor.set_role', details => jsonb_build_object('current_user', current_user))
    AS set_role_event \gset
RESET ROLE;
SELECT is((SELECT details->>'current_user' FROM auditlog.events WHERE action = 'tap_actor.set_role'),
          'auditlog_tap_writer', 'after SET ROLE, the new role logs, as itself');
SELECT is((SELECT db_user FROM auditlog.events WHERE action = 'tap_actor.set_role'),
          session_user::text, 'but db_user is session_user');
SELECT is((SELECT actor FROM auditlog.events WHERE action = 'tap_actor.set_role'),
          session_user::text, 'and, with nothing set, so is the actor');

---------------------------------------------------------------------------
-- The transaction id, the client's address and the application name.
---------------------------------------------------------------------------
SELECT cmp_ok((SELECT count(*) FROM auditlog.events WHERE action LIKE 'tap\_actor.%'), '>=', 10::bigint,
              'this transaction logged its events');
SELECT is_empty($$
    SELECT id FROM auditlog.events
     WHERE action LIKE 'tap\_actor.%' AND txid IS DISTINCT FROM pg_current_xact_id()::text::bigint
$$, 'every event carries the id of the transaction that logged it');
SELECT is_empty($$
    SELECT id FROM auditlog.events
     WHERE action LIKE 'tap\_actor.%' AND client_addr IS DISTINCT FROM inet_client_addr()
$$, 'every event carries the client''s address (NULL over a Unix socket)');

SET LOCAL application_name = 'x';
SELECT auditlog.log_event('tap_actor.app_x') AS app_x_event \gset
SELECT is((SELECT application_name FROM auditlog.events WHERE action = 'tap_actor.app_x'), 'x',
          'an event records the application_name');
SET LOCAL application_name = 'tap billing job';
SELECT auditlog.log_event('tap_actor.app_billing') AS app_billing_event \gset
SELECT is((SELECT application_name FROM auditlog.events WHERE action = 'tap_actor.app_billing'), 'tap billing job',
          'the application_name of the moment');

SELECT * FROM finish();
ROLLBACK;
