-- test/tap/tenants_search.sql - a tenant's search(), event_count() and
-- filter_options(): exactly its organisations' events, values and counts,
-- for every filter set of test/tap/setup/search_data.sql, whichever way the
-- tenant reads: as the tenant role, as a member of it (inheriting or not,
-- directly or through another role), after SET ROLE in either direction,
-- through a SECURITY DEFINER function in either direction, under several
-- tenant roles at once, with a hostile search_path or its own
-- auditlog.org_id; with the summaries not yet, partly and wholly covering
-- the events, and with events after them. Roles that are no tenant read
-- everything, as before.
--
-- Like summary_counts.sql (which says why), it makes a database of its own,
-- commits the shared events there and runs in autocommit, so that the
-- summaries can cover the events; its roles are dropped at the end.
SET client_min_messages = warning;
SELECT current_database() AS tenant_home, current_database() || '_tenants' AS tenant_db \gset
DROP DATABASE IF EXISTS :"tenant_db" WITH (FORCE);
CREATE DATABASE :"tenant_db";
\c :tenant_db
SET client_min_messages = warning;
CREATE EXTENSION pgtap;
CREATE EXTENSION auditlog;

BEGIN;
\ir setup/common.sql
\ir setup/search_data.sql
\ir setup/roles.sql
COMMIT;
GRANT SELECT ON search_combos TO PUBLIC;

-- The roles (cluster-wide: made here, dropped at the end).
\set tsr_roles '{auditlog_tap_tsr_one,auditlog_tap_tsr_two,auditlog_tap_tsr_wide,auditlog_tap_tsr_none,auditlog_tap_tsr_ghost,auditlog_tap_tsr_member,auditlog_tap_tsr_nested,auditlog_tap_tsr_noinherit,auditlog_tap_tsr_both,auditlog_tap_tsr_plain}'
SELECT format('DROP ROLE IF EXISTS %I', r), format('CREATE ROLE %I', r) FROM unnest(:'tsr_roles'::text[]) AS r \gexec
GRANT auditlog_tap_tsr_one TO auditlog_tap_tsr_member;          -- inherits its privileges
GRANT auditlog_tap_tsr_member TO auditlog_tap_tsr_nested;       -- a member of a member
ALTER ROLE auditlog_tap_tsr_noinherit NOINHERIT;
GRANT auditlog_tap_tsr_one TO auditlog_tap_tsr_noinherit;       -- a member that inherits nothing
GRANT auditlog_tap_tsr_wide, auditlog_tap_tsr_two TO auditlog_tap_tsr_both;
GRANT auditlog_tap_tsr_plain TO auditlog_tap_tsr_two;           -- a tenant may SET ROLE to a plain role
SELECT pg_temp.grant_reader(r)
  FROM unnest(ARRAY['auditlog_tap_tsr_one', 'auditlog_tap_tsr_two', 'auditlog_tap_tsr_wide', 'auditlog_tap_tsr_none',
                    'auditlog_tap_tsr_ghost', 'auditlog_tap_tsr_noinherit', 'auditlog_tap_tsr_both',
                    'auditlog_tap_tsr_plain']) AS r;
SELECT auditlog.set_tenant('auditlog_tap_tsr_one', '{org-1}'),
       auditlog.set_tenant('auditlog_tap_tsr_two', '{org-0,org-2}'),
       auditlog.set_tenant('auditlog_tap_tsr_wide', '{org-1,org-2}'),
       auditlog.set_tenant('auditlog_tap_tsr_none', '{}'),
       auditlog.set_tenant('auditlog_tap_tsr_ghost', '{no-such-org}');

-- What one read of every filter set gives: the count, the first page's
-- ids, the totals on the page; and the dropdowns.
CREATE TYPE pg_temp.reading AS (n int, total bigint, page bigint[], totals bigint[]);

-- The reference for a reader of the organisations 'orgs' (NULL: all), from
-- the events with full rights.
CREATE FUNCTION pg_temp.want(orgs text[]) RETURNS SETOF pg_temp.reading LANGUAGE sql STABLE AS $$
    SELECT c.n, count(e.id),
           coalesce((array_agg(e.id ORDER BY e.occurred_at DESC, e.id DESC) FILTER (WHERE e.id IS NOT NULL))[1:20], '{}'),
           CASE WHEN count(e.id) > 0 THEN ARRAY[count(e.id)] ELSE '{}' END
      FROM search_combos c
      LEFT JOIN LATERAL (SELECT r.id, r.occurred_at FROM pg_temp.ref_events(c) r
                          WHERE orgs IS NULL OR r.org_id = ANY (orgs)) e ON true
     GROUP BY c.n
$$;
CREATE FUNCTION pg_temp.want_options(orgs text[]) RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT array_agg(o.kind || ':' || o.value || ':' || o.label
                     ORDER BY o.k, o.kind = 'actor' AND o.value <> 'system', o.value COLLATE "default", o.value)
      FROM (SELECT DISTINCT 1 AS k, 'actor' AS kind, e.actor AS value, e.actor AS label
              FROM auditlog.events e WHERE e.org_id = ANY (orgs)
            UNION
            SELECT DISTINCT 2, 'action', e.action, coalesce(t.description, e.action)
              FROM auditlog.events e JOIN auditlog.action_types t ON t.action = e.action
             WHERE e.org_id = ANY (orgs)
            UNION
            SELECT DISTINCT 3, 'resource_type', e.resource_type, e.resource_type
              FROM auditlog.events e WHERE e.org_id = ANY (orgs) AND e.resource_type IS NOT NULL) o
$$;

-- The same read as whoever calls it.
CREATE FUNCTION pg_temp.read_all() RETURNS SETOF pg_temp.reading LANGUAGE sql STABLE AS $$
    SELECT c.n, pg_temp.event_count(c),
           ARRAY(SELECT s.id FROM auditlog.search(c.actor, c.action, c.resource_type, c.from_date, c.to_date,
                                                  c.outcome, c.resource_id, c.org_id, 20) WITH ORDINALITY s
                  ORDER BY s.ordinality),
           ARRAY(SELECT DISTINCT s.total_count
                   FROM auditlog.search(c.actor, c.action, c.resource_type, c.from_date, c.to_date,
                                        c.outcome, c.resource_id, c.org_id, 20) s)
      FROM search_combos c
$$;
CREATE FUNCTION pg_temp.read_options() RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT array_agg(o.kind || ':' || o.value || ':' || o.label ORDER BY o.ord)
      FROM auditlog.filter_options() WITH ORDINALITY AS o(kind, value, label, ord)
$$;

-- The same read after the statements of 'how' (SET ROLE, SET SESSION
-- AUTHORIZATION, SET ...), back as the superuser at the end; with
-- 'definer', through a SECURITY DEFINER function owned by that role.
CREATE TABLE pg_temp.got (n int, total bigint, page bigint[], totals bigint[]);
CREATE TABLE pg_temp.got_options (options text[]);
GRANT ALL ON pg_temp.got, pg_temp.got_options TO PUBLIC;
CREATE FUNCTION pg_temp.read_as(how text[], definer name DEFAULT NULL) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    stmt text;
BEGIN
    TRUNCATE pg_temp.got, pg_temp.got_options;
    IF definer IS NOT NULL THEN
        EXECUTE format('ALTER FUNCTION pg_temp.definer_read() OWNER TO %I', definer);
    END IF;
    FOREACH stmt IN ARRAY how LOOP
        EXECUTE stmt;
    END LOOP;
    IF definer IS NOT NULL THEN
        PERFORM pg_temp.definer_read();
    ELSE
        INSERT INTO pg_temp.got SELECT * FROM pg_temp.read_all();
        INSERT INTO pg_temp.got_options SELECT pg_temp.read_options();
    END IF;
    RESET ROLE;
    RESET SESSION AUTHORIZATION;
    RESET auditlog.org_id;
    RESET search_path;
END
$$;
CREATE FUNCTION pg_temp.definer_read() RETURNS void LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO pg_temp.got SELECT * FROM pg_temp.read_all();
    INSERT INTO pg_temp.got_options SELECT pg_temp.read_options();
END
$$;

-- One check of a way of reading against the reference for 'orgs': the
-- filter sets whose count, first page or totals differ (none), and the
-- dropdowns.
CREATE FUNCTION pg_temp.check_reader(stage text, label text, how text[], orgs text[], definer name DEFAULT NULL)
    RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_temp.read_as(how, definer);
    RETURN NEXT is(array(SELECT w.n FROM pg_temp.want(orgs) w LEFT JOIN pg_temp.got g USING (n)
                          WHERE (g.total, g.page, g.totals) IS DISTINCT FROM (w.total, w.page, w.totals)
                          ORDER BY w.n),
                   '{}'::int[],
                   format('%s, %s: counts, first pages and totals of every filter set are %s', stage, label,
                          CASE WHEN orgs IS NULL THEN 'those of all events'
                               ELSE 'those of the events of ' || coalesce(nullif(array_to_string(orgs, ', '), ''), 'no organisation') END));
    RETURN NEXT is((SELECT options FROM pg_temp.got_options),
                   CASE WHEN orgs IS NULL THEN (SELECT pg_temp.read_options()) ELSE pg_temp.want_options(orgs) END,
                   format('%s, %s: filter_options() lists %s', stage, label,
                          CASE WHEN orgs IS NULL THEN 'what it lists for a superuser'
                               ELSE 'only the values those events use' END));
END
$$;

-- The ways of reading, and what each may read.
CREATE TEMP TABLE readers (ord int, label text, how text[], orgs text[], definer name, everywhere boolean);
INSERT INTO readers VALUES
    (1, 'the tenant role (SET ROLE)', '{SET ROLE auditlog_tap_tsr_one}', '{org-1}', NULL, true),
    (2, 'a tenant of two organisations', '{SET ROLE auditlog_tap_tsr_two}', '{org-0,org-2}', NULL, true),
    (3, 'an inheriting member', '{SET ROLE auditlog_tap_tsr_member}', '{org-1}', NULL, true),
    (4, 'a member of a member', '{SET ROLE auditlog_tap_tsr_nested}', '{org-1}', NULL, false),
    (5, 'a NOINHERIT member logged in', '{SET SESSION AUTHORIZATION auditlog_tap_tsr_noinherit}', '{org-1}', NULL, false),
    (6, 'a tenant logged in, after SET ROLE to a role that is none',
        '{SET SESSION AUTHORIZATION auditlog_tap_tsr_two, SET ROLE auditlog_tap_tsr_plain}', '{org-0,org-2}', NULL, false),
    (7, 'a member of two tenant roles (what both allow)', '{SET ROLE auditlog_tap_tsr_both}', '{org-2}', NULL, false),
    (8, 'a tenant of no organisation', '{SET ROLE auditlog_tap_tsr_none}', '{}', NULL, false),
    (9, 'a tenant of an organisation without events', '{SET ROLE auditlog_tap_tsr_ghost}', '{}', NULL, false),
    (10, 'a tenant''s session through a SECURITY DEFINER function of a role that is none',
         '{SET SESSION AUTHORIZATION auditlog_tap_tsr_one}', '{org-1}', 'auditlog_tap_tsr_plain', false),
    (11, 'a superuser through a tenant''s SECURITY DEFINER function', '{}', '{org-0,org-2}', 'auditlog_tap_tsr_two', false),
    (12, 'a tenant with its own auditlog.org_id and a hostile search_path',
         '{SET ROLE auditlog_tap_tsr_one, SET auditlog.org_id = ''org-2'', SET search_path = tap_tenant_evil\, pg_catalog}',
         '{org-1}', NULL, false),
    (13, 'a role that is no tenant', '{SET ROLE auditlog_tap_tsr_plain}', NULL, NULL, true);

-- The hostile path: "=" true for any two integers or integer arrays, and a
-- tenant_visible() of its own.
CREATE SCHEMA tap_tenant_evil;
CREATE FUNCTION tap_tenant_evil.yes(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE OPERATOR tap_tenant_evil.= (LEFTARG = integer, RIGHTARG = integer, FUNCTION = tap_tenant_evil.yes);
CREATE FUNCTION tap_tenant_evil.yes(integer, integer[]) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE OPERATOR tap_tenant_evil.= (LEFTARG = integer, RIGHTARG = integer[], FUNCTION = tap_tenant_evil.yes);
CREATE FUNCTION tap_tenant_evil.tenant_visible(integer) RETURNS boolean LANGUAGE sql AS 'SELECT true';
GRANT USAGE ON SCHEMA tap_tenant_evil TO PUBLIC;

SELECT count(*) AS n_all, count(*) FILTER (WHERE everywhere) AS n_everywhere FROM readers \gset
SELECT plan(
      3                           -- the data
    + 2 * :n_everywhere * 2       -- nothing summarized, part of it
    + 1 + 2 * :n_all              -- all of it
    + 4                           -- paging, a cursor from elsewhere
    + 1 + 2 * :n_everywhere       -- events after the summaries
);

SELECT is((SELECT count(*) FROM auditlog.events WHERE details ? 'n'), 4000::bigint,
          'the 4000 generated events are there, committed');
SELECT ok((SELECT total > 0 AND total < (SELECT total FROM pg_temp.want(NULL) WHERE n = 1)
             FROM pg_temp.want('{org-1}') WHERE n = 1),
          'org-1 has some of the events, not all: the checks below are not vacuous');
SELECT ok((SELECT count(*) FROM pg_temp.want('{org-0,org-2}') WHERE total > 0) > 10,
          'and the filter sets find events of org-0 and org-2 too');

CREATE PROCEDURE pg_temp.summarize_upto(upto bigint DEFAULT NULL) LANGUAGE plpgsql AS $$
DECLARE
    calls int := 0;
BEGIN
    LOOP
        PERFORM auditlog.summarize(CASE WHEN upto IS NULL THEN 1000000
                                        ELSE greatest(upto - (SELECT summarized_upto FROM auditlog.summary_state), 1) END);
        COMMIT;
        EXIT WHEN (SELECT summarized_upto FROM auditlog.summary_state)
                  >= coalesce(upto, (SELECT last_value FROM auditlog.event_store_id_seq));
        PERFORM pg_sleep(0.05);
        calls := calls + 1;
        IF calls > 600 THEN
            RAISE EXCEPTION 'summarize() does not catch up';
        END IF;
    END LOOP;
END
$$;

---------------------------------------------------------------------------
-- Nothing summarized yet, then part of the events.
---------------------------------------------------------------------------
SELECT pg_temp.check_reader('nothing summarized', r.label, r.how, r.orgs, r.definer)
  FROM readers r WHERE r.everywhere ORDER BY r.ord;
CALL pg_temp.summarize_upto(1500);
SELECT pg_temp.check_reader('watermark at 1500', r.label, r.how, r.orgs, r.definer)
  FROM readers r WHERE r.everywhere ORDER BY r.ord;

---------------------------------------------------------------------------
-- Everything summarized: every way of reading.
---------------------------------------------------------------------------
CALL pg_temp.summarize_upto();
SELECT is((SELECT summarized_upto FROM auditlog.summary_state), (SELECT last_value FROM auditlog.event_store_id_seq),
          'all summarized: the watermark is at the last event id');
SELECT pg_temp.check_reader('all summarized', r.label, r.how, r.orgs, r.definer)
  FROM readers r ORDER BY r.ord;

-- Paging with before_id reaches each of the tenant's events once; a cursor
-- from another organisation's event is no cursor for it.
CREATE TABLE pg_temp.got_paging AS SELECT NULL::bigint[] AS ids, NULL::int AS pages LIMIT 0;
GRANT ALL ON pg_temp.got_paging TO PUBLIC;
SET ROLE auditlog_tap_tsr_two;
INSERT INTO pg_temp.got_paging SELECT p.ids, p.pages FROM pg_temp.page_through((SELECT c FROM search_combos c WHERE n = 1), 700) p;
RESET ROLE;
SELECT is((SELECT ids FROM pg_temp.got_paging),
          array(SELECT id FROM auditlog.events WHERE org_id IN ('org-0', 'org-2') ORDER BY occurred_at DESC, id DESC),
          'a tenant paging through with before_id gets each of its events once, newest first');
SELECT cmp_ok((SELECT pages FROM pg_temp.got_paging), '>', 1, 'over several pages');
SELECT (SELECT id FROM auditlog.events WHERE org_id = 'org-1' LIMIT 1) AS other_id,
       (SELECT id FROM auditlog.events WHERE org_id = 'org-2' LIMIT 1) AS own_id \gset
SET ROLE auditlog_tap_tsr_two;
SELECT throws_ok(format('SELECT * FROM auditlog.search(before_id => %s)', :other_id), '22023',
                 format('no event with id %s', :other_id),
                 'before_id of another organisation''s event: no event with that id, for the tenant');
SELECT lives_ok(format('SELECT * FROM auditlog.search(before_id => %s)', :own_id),
                'before_id of one of its own events works');
RESET ROLE;

---------------------------------------------------------------------------
-- Events after the summaries: counted from the events above the watermark.
---------------------------------------------------------------------------
SELECT count(auditlog.import_event('2025-05-05 12:00+00', 'tenant.late', 'report', 'report-3', o::auditlog.outcome,
                                   actor => 'Late Comer', org_id => g))
  FROM unnest(ARRAY['org-1', 'org-2', NULL, 'org-0']) AS g, unnest(ARRAY['success', 'denied']) AS o;
SELECT cmp_ok((SELECT summarized_upto FROM auditlog.summary_state), '<',
              (SELECT last_value FROM auditlog.event_store_id_seq), 'events after the watermark');
SELECT pg_temp.check_reader('events after the summaries', r.label, r.how, r.orgs, r.definer)
  FROM readers r WHERE r.everywhere ORDER BY r.ord;

SELECT * FROM finish();

\c :tenant_home
DROP DATABASE :"tenant_db" WITH (FORCE);
SELECT format('DROP ROLE IF EXISTS %I', r) FROM unnest(:'tsr_roles'::text[]) AS r \gexec
