-- test/tap/search_privileges.sql — who may read the log through search(),
-- event_count() and filter_options(): nobody by default; a reader granted
-- EXECUTE on the three (README, "Privileges") and nothing else reads it, and
-- no search_path or temporary object of the caller changes what they return.
-- The display helpers are open to PUBLIC.
BEGIN;
SELECT plan(24);

\ir setup/common.sql
\ir setup/search_data.sql
\ir setup/roles.sql

CREATE ROLE auditlog_tap_search_nobody;
CREATE ROLE auditlog_tap_search_reader;
-- Exactly the documented grant.
SELECT pg_temp.grant_reader('auditlog_tap_search_reader');

---------------------------------------------------------------------------
-- How the functions are declared.
---------------------------------------------------------------------------
SELECT is(array(SELECT p.oid::regprocedure::text
                  FROM pg_proc p
                 WHERE p.pronamespace = 'auditlog'::regnamespace
                   AND p.proname IN ('search', 'event_count', 'filter_options')
                   AND has_function_privilege('public', p.oid, 'EXECUTE')),
          '{}'::text[],
          'PUBLIC may not execute search, event_count or filter_options');
SELECT ok(has_function_privilege('public', 'auditlog.initials(text)', 'EXECUTE')
          AND has_function_privilege('public', 'auditlog.format_time(timestamptz)', 'EXECUTE'),
          'PUBLIC may execute the display helpers');
SELECT is(array(SELECT p.proname::text || ' ' || p.prosecdef || ' ' || p.provolatile::text || ' '
                       || array_to_string(p.proconfig, ',')
                  FROM pg_proc p
                 WHERE p.pronamespace = 'auditlog'::regnamespace
                   AND p.proname IN ('search', 'event_count', 'filter_options')
                 ORDER BY p.proname),
          ARRAY['event_count false s search_path=pg_catalog, pg_temp',
                'filter_options false s search_path=pg_catalog, pg_temp',
                'search false s search_path=pg_catalog, pg_temp'],
          'the readers are SECURITY INVOKER (they switch to the owner themselves, once they know '
          'who calls), STABLE, with search_path pinned to pg_catalog, pg_temp');

---------------------------------------------------------------------------
-- A role without the grant reads nothing.
---------------------------------------------------------------------------
SET LOCAL ROLE auditlog_tap_search_nobody;
SELECT throws_ok($$SELECT * FROM auditlog.search()$$, '42501', 'permission denied for function search',
                 'without the grant, search() is refused');
SELECT throws_ok($$SELECT auditlog.event_count()$$, '42501', 'permission denied for function event_count',
                 'event_count() too');
SELECT throws_ok($$SELECT * FROM auditlog.filter_options()$$, '42501', 'permission denied for function filter_options',
                 'filter_options() too');
SELECT is(auditlog.initials('John Doe'), 'JD', 'the display helpers work for it');
RESET ROLE;

---------------------------------------------------------------------------
-- A reader with exactly the documented grant.
---------------------------------------------------------------------------
-- What it should see, computed with full rights.
CREATE TEMP TABLE want_page AS
    SELECT id, occurred_at, actor COLLATE "default" AS actor, action COLLATE "default" AS action,
           outcome, org_id COLLATE "default" AS org_id
      FROM auditlog.events
     WHERE action LIKE 'credential.%' AND occurred_at >= '2025-04-01' AND occurred_at < '2025-07-01'
     ORDER BY occurred_at DESC, id DESC LIMIT 25;
CREATE TEMP TABLE want_counts AS
    SELECT (SELECT count(*) FROM auditlog.events) AS all_events,
           (SELECT count(*) FROM auditlog.events
             WHERE action LIKE 'credential.%' AND occurred_at >= '2025-04-01' AND occurred_at < '2025-07-01') AS matching,
           (SELECT count(*) FROM auditlog.events WHERE actor = 'system') AS system_events;
-- The dropdowns as the README defines them, from the events and the
-- catalogue (not from filter_options() itself): the actors, system first,
-- then by name; every action of an event or with a description by name,
-- shown by its description; the resource types by name.
CREATE TEMP TABLE want_options AS
SELECT o.kind, o.value, o.label,
       row_number() OVER (ORDER BY o.k, o.kind = 'actor' AND o.value <> 'system', o.value) AS ord
  FROM (SELECT 1 AS k, 'actor'::text AS kind, a.actor AS value, a.actor AS label
          FROM (SELECT DISTINCT actor COLLATE "default" AS actor FROM auditlog.events) a
        UNION ALL
        SELECT 2, 'action', t.action COLLATE "default", coalesce(t.description, t.action) COLLATE "default"
          FROM auditlog.action_types t
         WHERE t.description IS NOT NULL OR t.action IN (SELECT action FROM auditlog.events)
        UNION ALL
        SELECT 3, 'resource_type', r.resource_type, r.resource_type
          FROM (SELECT DISTINCT resource_type COLLATE "default" AS resource_type FROM auditlog.events
                 WHERE resource_type IS NOT NULL) r) o;
GRANT SELECT ON want_page, want_counts, want_options TO auditlog_tap_search_reader;

SET LOCAL ROLE auditlog_tap_search_reader;
SELECT results_eq(
    $$SELECT id, occurred_at, actor, action, outcome, org_id
        FROM auditlog.search(action => 'credential.*', from_date => '2025-04-01', to_date => '2025-06-30', page_size => 25)$$,
    'SELECT * FROM want_page',
    'the reader gets its page from search()');
SELECT is((SELECT DISTINCT total_count FROM auditlog.search(action => 'credential.*', from_date => '2025-04-01',
                                                            to_date => '2025-06-30', page_size => 25)),
          (SELECT matching FROM want_counts), 'with the total count');
SELECT is(auditlog.event_count(), (SELECT all_events FROM want_counts), 'the reader counts events');
SELECT results_eq('SELECT kind, value, label FROM auditlog.filter_options()',
                  'SELECT kind, value, label FROM want_options ORDER BY ord',
                  'the reader gets the filter options: the actors, actions and resource types of the log');
SELECT throws_ok($$SELECT * FROM auditlog.events$$, '42501', 'permission denied for view events',
                 'but cannot read auditlog.events');
SELECT throws_ok($$SELECT * FROM auditlog.event_store$$, '42501', 'permission denied for table event_store',
                 'nor auditlog.event_store');
SELECT throws_ok($$SELECT * FROM auditlog.labels$$, '42501', 'permission denied for table labels',
                 'nor auditlog.labels');
SELECT throws_ok($$SELECT * FROM auditlog.action_types$$, '42501', 'permission denied for table action_types',
                 'nor auditlog.action_types');
SELECT throws_ok($$SELECT auditlog.log_event('tap.search')$$, '42501', 'permission denied for function log_event',
                 'nor log events');
SELECT throws_ok($$SELECT auditlog.import_event(now(), 'tap.search')$$, '42501',
                 'permission denied for function import_event', 'nor import them');
SELECT is(auditlog.format_time('2025-05-07 20:39:19+00'), 'May 7, 10:39:19 PM', 'and formats times');
RESET ROLE;

---------------------------------------------------------------------------
-- The caller's search_path and temporary objects change nothing.
---------------------------------------------------------------------------
-- An operator that makes every integer equal, a count() that lies, and
-- tables named like auditlog's, all earlier in the path than pg_catalog.
CREATE SCHEMA tap_search_evil;
CREATE FUNCTION tap_search_evil.always(integer, integer) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE OPERATOR tap_search_evil.= (LEFTARG = integer, RIGHTARG = integer, FUNCTION = tap_search_evil.always);
CREATE FUNCTION tap_search_evil.always(bigint, bigint) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE OPERATOR tap_search_evil.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = tap_search_evil.always);
CREATE OPERATOR tap_search_evil.< (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = tap_search_evil.always);
CREATE FUNCTION tap_search_evil.always(text, text) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE OPERATOR tap_search_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = tap_search_evil.always);
CREATE OPERATOR tap_search_evil.>= (LEFTARG = text, RIGHTARG = text, FUNCTION = tap_search_evil.always);
CREATE FUNCTION tap_search_evil.count() RETURNS bigint LANGUAGE sql AS 'SELECT 42::bigint';
CREATE TABLE tap_search_evil.labels (id int, kind "char", label text);
CREATE TABLE tap_search_evil.event_store (id bigint);
GRANT USAGE ON SCHEMA tap_search_evil TO auditlog_tap_search_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA tap_search_evil TO auditlog_tap_search_reader;

-- The calls run under the hostile path, their results are kept, and the
-- checks run after it is reset (pgTAP itself would believe the lying '=').
SET LOCAL ROLE auditlog_tap_search_reader;
CREATE TEMP TABLE labels (id int, kind "char", label text);
CREATE TEMP TABLE action_types (id int, action text);
SET LOCAL search_path = tap_search_evil, pg_temp, pg_catalog;
CREATE TABLE pg_temp.got_page AS
    SELECT id, occurred_at, actor, action, outcome, org_id, total_count
      FROM auditlog.search(action => 'credential.*', from_date => '2025-04-01', to_date => '2025-06-30', page_size => 25);
CREATE TABLE pg_temp.got_counts AS
    SELECT auditlog.event_count() AS all_events,
           auditlog.event_count(action => 'credential.*', from_date => '2025-04-01', to_date => '2025-06-30') AS matching,
           auditlog.event_count(actor => 'system') AS system_events,
           auditlog.event_count(actor => 'Nobody At All') AS nobody;
CREATE TABLE pg_temp.got_options AS SELECT * FROM auditlog.filter_options() WITH ORDINALITY AS o(kind, value, label, ord);
RESET search_path;
RESET ROLE;

SELECT results_eq('SELECT id, occurred_at, actor, action, outcome, org_id FROM got_page',
                  'SELECT * FROM want_page',
                  'a hostile search_path and temporary tables do not change the page');
SELECT is((SELECT array_agg(DISTINCT total_count) FROM got_page), ARRAY[(SELECT matching FROM want_counts)],
          'nor its total count');
SELECT is((SELECT (all_events, matching, system_events) FROM got_counts),
          (SELECT (all_events, matching, system_events) FROM want_counts),
          'nor event_count()');
SELECT is((SELECT nobody FROM got_counts), 0::bigint, 'an unknown actor still matches nothing');
SELECT results_eq('SELECT kind, value, label FROM got_options ORDER BY ord',
                  'SELECT kind, value, label FROM want_options ORDER BY ord',
                  'nor the filter options');

---------------------------------------------------------------------------
-- The same for a superuser, for whom SECURITY DEFINER changes nothing: the
-- SQL inside names every table, function and operator by its schema.
---------------------------------------------------------------------------
SET LOCAL search_path = tap_search_evil, pg_catalog;
CREATE TABLE pg_temp.got_super AS
    SELECT auditlog.event_count(action => 'credential.*', from_date => '2025-04-01', to_date => '2025-06-30') AS matching,
           (SELECT pg_catalog.count(*) FROM auditlog.search(actor => 'system', page_size => 10000)) AS system_rows;
RESET search_path;
SELECT is((SELECT (matching, system_rows) FROM got_super),
          (SELECT (matching, system_events) FROM want_counts),
          'a superuser with a hostile path counts and pages right');

SELECT * FROM finish();
ROLLBACK;
