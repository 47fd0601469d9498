-- test/tap/trigger_security.sql — who an event says acted, when the change is
-- made through a SECURITY DEFINER function or under SET ROLE: the actor is
-- the application's (auditlog.actor) or else the session's role, and
-- db_user is always the session's role, which no function or SET ROLE
-- changes.
BEGIN;
SELECT plan(10);

\ir setup/common.sql

CREATE ROLE auditlog_tap_sec_app LOGIN;      -- the application's login role
CREATE ROLE auditlog_tap_sec_definer;        -- owns the SECURITY DEFINER functions and the table
CREATE ROLE auditlog_tap_sec_other;          -- a role the app may SET ROLE to
GRANT auditlog_tap_sec_other TO auditlog_tap_sec_app;

CREATE TABLE tap_sec_doc (id int PRIMARY KEY, title text, status text);
SELECT auditlog.register_table('tap_sec_doc');
ALTER TABLE tap_sec_doc OWNER TO auditlog_tap_sec_definer;
GRANT INSERT, SELECT ON tap_sec_doc TO auditlog_tap_sec_app;
GRANT INSERT, SELECT ON tap_sec_doc TO auditlog_tap_sec_other;

-- The app may not update or delete documents itself, only through these
-- functions, which run as their owner (who holds nothing on auditlog).
CREATE FUNCTION public.tap_sec_publish(doc int) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ UPDATE tap_sec_doc SET status = 'published' WHERE id = doc $$;
CREATE FUNCTION public.tap_sec_purge(doc int) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ DELETE FROM tap_sec_doc WHERE id = doc $$;
ALTER FUNCTION public.tap_sec_publish(int) OWNER TO auditlog_tap_sec_definer;
ALTER FUNCTION public.tap_sec_purge(int) OWNER TO auditlog_tap_sec_definer;
REVOKE ALL ON FUNCTION public.tap_sec_publish(int), public.tap_sec_purge(int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.tap_sec_publish(int), public.tap_sec_purge(int) TO auditlog_tap_sec_app;

SELECT ok(NOT has_table_privilege('auditlog_tap_sec_definer', 'auditlog.event_store', 'INSERT')
          AND NOT has_table_privilege('auditlog_tap_sec_app', 'auditlog.event_store', 'INSERT'),
          'neither the application nor the function owner may write auditlog.event_store');

---------------------------------------------------------------------------
-- The application logs in as its role (SET SESSION AUTHORIZATION stands in
-- for the login here) and says who acts.
---------------------------------------------------------------------------
SET LOCAL SESSION AUTHORIZATION auditlog_tap_sec_app;
SET LOCAL auditlog.actor = 'John Doe';
SET LOCAL auditlog.actor_id = 'u-1';
INSERT INTO tap_sec_doc VALUES (1, 'Plan', 'draft');
SELECT public.tap_sec_publish(1);
SELECT public.tap_sec_purge(1);
RESET SESSION AUTHORIZATION;
RESET auditlog.actor;
RESET auditlog.actor_id;

SELECT results_eq(
    $$SELECT action, actor, actor_id, db_user FROM tap_events WHERE resource_id = '1' AND action LIKE 'tap\_sec\_doc.%' ORDER BY id$$,
    $$VALUES ('tap_sec_doc.create'::text, 'John Doe'::text, 'u-1'::text, 'auditlog_tap_sec_app'::text),
             ('tap_sec_doc.update', 'John Doe', 'u-1', 'auditlog_tap_sec_app'),
             ('tap_sec_doc.delete', 'John Doe', 'u-1', 'auditlog_tap_sec_app')$$,
    'changes inside SECURITY DEFINER functions: actor from auditlog.actor, db_user the session user');
SELECT is((SELECT details FROM tap_events WHERE action = 'tap_sec_doc.update' AND resource_id = '1'),
          '{"old": {"status": "draft"}, "new": {"status": "published"}}'::jsonb,
          'the change made by the function is recorded like any other');

---------------------------------------------------------------------------
-- Without auditlog.actor the actor is the session's role, not the
-- function's owner.
---------------------------------------------------------------------------
SET LOCAL SESSION AUTHORIZATION auditlog_tap_sec_app;
INSERT INTO tap_sec_doc VALUES (2, 'Memo', 'draft');
SELECT public.tap_sec_publish(2);
RESET SESSION AUTHORIZATION;
SELECT results_eq(
    $$SELECT action, actor, actor_id, db_user FROM tap_events WHERE resource_id = '2' AND action LIKE 'tap\_sec\_doc.%' ORDER BY id$$,
    $$VALUES ('tap_sec_doc.create'::text, 'auditlog_tap_sec_app'::text, NULL::text, 'auditlog_tap_sec_app'::text),
             ('tap_sec_doc.update', 'auditlog_tap_sec_app', NULL, 'auditlog_tap_sec_app')$$,
    'without auditlog.actor: the session user is the actor, even inside a SECURITY DEFINER function');
SELECT is((SELECT count(*)::int FROM tap_events WHERE actor = 'auditlog_tap_sec_definer' OR db_user = 'auditlog_tap_sec_definer'), 0,
          'the function''s owner appears nowhere');

---------------------------------------------------------------------------
-- SET ROLE changes the current user, not the session user: db_user (and
-- the default actor) stay the login role.
---------------------------------------------------------------------------
SET LOCAL SESSION AUTHORIZATION auditlog_tap_sec_app;
SET LOCAL ROLE auditlog_tap_sec_other;
INSERT INTO tap_sec_doc VALUES (3, 'Note', 'draft');
RESET ROLE;
RESET SESSION AUTHORIZATION;
SELECT results_eq(
    $$SELECT actor, db_user FROM tap_events WHERE action = 'tap_sec_doc.create' AND resource_id = '3'$$,
    $$VALUES ('auditlog_tap_sec_app'::text, 'auditlog_tap_sec_app'::text)$$,
    'under SET ROLE, db_user and the default actor are the session user');

---------------------------------------------------------------------------
-- A function may set the actor for what it does (SET clause), e.g. to
-- system for automated work.
---------------------------------------------------------------------------
CREATE FUNCTION public.tap_sec_archive(doc int) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp SET auditlog.actor = 'system'
    AS $$ UPDATE tap_sec_doc SET status = 'archived' WHERE id = doc $$;
ALTER FUNCTION public.tap_sec_archive(int) OWNER TO auditlog_tap_sec_definer;
GRANT EXECUTE ON FUNCTION public.tap_sec_archive(int) TO auditlog_tap_sec_app;
SET LOCAL SESSION AUTHORIZATION auditlog_tap_sec_app;
SET LOCAL auditlog.actor = 'John Doe';
SELECT public.tap_sec_archive(3);
INSERT INTO tap_sec_doc VALUES (4, 'After', 'draft');
RESET SESSION AUTHORIZATION;
RESET auditlog.actor;
SELECT results_eq(
    $$SELECT action, resource_id, actor, db_user FROM tap_events
       WHERE resource_id IN ('3', '4') AND action IN ('tap_sec_doc.update', 'tap_sec_doc.create') ORDER BY id$$,
    $$VALUES ('tap_sec_doc.create'::text, '3'::text, 'auditlog_tap_sec_app'::text, 'auditlog_tap_sec_app'::text),
             ('tap_sec_doc.update', '3', 'system', 'auditlog_tap_sec_app'),
             ('tap_sec_doc.create', '4', 'John Doe', 'auditlog_tap_sec_app')$$,
    'a function''s SET auditlog.actor applies to its own changes only');

---------------------------------------------------------------------------
-- The application cannot pose as another database role: db_user is not a
-- setting, and a forged auditlog.actor is only ever the actor.
---------------------------------------------------------------------------
SET LOCAL SESSION AUTHORIZATION auditlog_tap_sec_app;
SET LOCAL auditlog.actor = 'postgres';
INSERT INTO tap_sec_doc VALUES (5, 'Forged', 'draft');
RESET SESSION AUTHORIZATION;
SELECT results_eq(
    $$SELECT actor, db_user FROM tap_events WHERE action = 'tap_sec_doc.create' AND resource_id = '5'$$,
    $$VALUES ('postgres'::text, 'auditlog_tap_sec_app'::text)$$,
    'whatever actor the application claims, db_user shows the role it logged in as');
SELECT throws_ok($$SET auditlog.db_user = 'postgres'$$, NULL, NULL,
                 'there is no setting for db_user');
SELECT is((SELECT count(*)::int FROM tap_events WHERE action LIKE 'tap\_sec\_doc.%' AND db_user <> 'auditlog_tap_sec_app'), 0,
          'every event of this test names the login role as db_user');

SELECT * FROM finish();
ROLLBACK;
