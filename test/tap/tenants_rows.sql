-- test/tap/tenants_rows.sql - the row paths of a tenant: auditlog.events (for
-- ad-hoc SQL, where it was granted SELECT) and export(). A tenant sees its
-- organisations' rows only, whatever its query, functions of its own that
-- would see other rows first, settings or search_path; its counts over the
-- view equal event_count(); roles that are no tenant see every row.
BEGIN;
SELECT plan(20);
\ir setup/common.sql
\ir setup/search_data.sql
\ir setup/roles.sql

CREATE ROLE auditlog_tap_trw_acme;                                   -- tenant of org-1
CREATE ROLE auditlog_tap_trw_viewer IN ROLE auditlog_tap_trw_acme;   -- a member of it
CREATE ROLE auditlog_tap_trw_none;                                   -- tenant of nothing
CREATE ROLE auditlog_tap_trw_plain;                                  -- no tenant
GRANT SELECT ON auditlog.events TO auditlog_tap_trw_acme, auditlog_tap_trw_none, auditlog_tap_trw_plain;
SELECT pg_temp.grant_reader(r) FROM unnest(ARRAY['auditlog_tap_trw_acme', 'auditlog_tap_trw_none',
                                                 'auditlog_tap_trw_plain']) AS r;
SELECT auditlog.set_tenant('auditlog_tap_trw_acme', '{org-1}'), auditlog.set_tenant('auditlog_tap_trw_none', '{}');

CREATE TEMP TABLE want_ids AS SELECT id FROM auditlog.events WHERE org_id = 'org-1';
CREATE TEMP TABLE seen (id bigint);
GRANT SELECT ON want_ids TO PUBLIC;
GRANT ALL ON seen TO PUBLIC;
-- A function of the tenant's that notes every row it is shown: not
-- leakproof, and so cheap that the planner would run it before any other
-- condition, so it must only ever see the rows the tenant may see.
CREATE FUNCTION pg_temp.peek(event_id bigint) RETURNS boolean LANGUAGE plpgsql COST 0.0001 AS $$
BEGIN
    INSERT INTO seen VALUES (event_id);
    RETURN true;
END
$$;

SELECT ok((SELECT 'security_barrier=true' = ANY (reloptions) FROM pg_class WHERE oid = 'auditlog.events'::regclass),
          'auditlog.events is a security_barrier view');
SELECT cmp_ok((SELECT count(*) FROM want_ids), '>', 100::bigint, 'org-1 has events');

---------------------------------------------------------------------------
-- auditlog.events
---------------------------------------------------------------------------
SET LOCAL ROLE auditlog_tap_trw_acme;
CREATE TEMP TABLE got_view AS SELECT id FROM auditlog.events;
CREATE TEMP TABLE got_counts AS
    SELECT (SELECT count(*) FROM auditlog.events) AS rows,
           auditlog.event_count() AS counted,
           (SELECT count(*) FROM auditlog.events WHERE outcome = 'denied') AS denied_rows,
           auditlog.event_count(outcome => 'denied') AS denied_counted,
           (SELECT count(*) FROM auditlog.events WHERE org_id = 'org-2') AS other_org,
           (SELECT count(*) FROM auditlog.events WHERE org_id IS NULL) AS no_org,
           (SELECT count(*) FROM auditlog.events WHERE pg_temp.peek(id)) AS peeked;
RESET ROLE;
SELECT set_eq('SELECT id FROM got_view', 'SELECT id FROM want_ids',
              'a tenant granted SELECT on auditlog.events reads its organisation''s rows, and only those');
SELECT is((SELECT rows FROM got_counts), (SELECT counted FROM got_counts),
          'count(*) over the rows it may see equals its event_count()');
SELECT is((SELECT denied_rows FROM got_counts), (SELECT denied_counted FROM got_counts),
          'and so with a filter (outcome = ''denied'')');
SELECT is((SELECT (other_org, no_org) FROM got_counts), (0::bigint, 0::bigint),
          'another organisation''s rows, or rows of no organisation, are not there for it');
SELECT is((SELECT count(*) FROM seen WHERE id NOT IN (SELECT id FROM want_ids)), 0::bigint,
          'a function of its own in the WHERE clause is shown only its organisation''s rows');
SELECT is((SELECT peeked FROM got_counts), (SELECT count(*) FROM want_ids), 'each of them');

-- Settings and the search_path change nothing.
CREATE SCHEMA tap_rows_evil;
CREATE FUNCTION tap_rows_evil.yes(integer, integer[]) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE OPERATOR tap_rows_evil.= (LEFTARG = integer, RIGHTARG = integer[], FUNCTION = tap_rows_evil.yes);
CREATE FUNCTION tap_rows_evil.tenant_visible(integer) RETURNS boolean LANGUAGE sql AS 'SELECT true';
GRANT USAGE ON SCHEMA tap_rows_evil TO PUBLIC;
SET LOCAL ROLE auditlog_tap_trw_acme;
SET LOCAL auditlog.org_id = 'org-2';
SET LOCAL search_path = tap_rows_evil, pg_catalog, pg_temp;
CREATE TEMP TABLE got_hostile AS SELECT id FROM auditlog.events;
RESET search_path;
RESET auditlog.org_id;
RESET ROLE;
SELECT set_eq('SELECT id FROM got_hostile', 'SELECT id FROM want_ids',
              'its own auditlog.org_id and a hostile search_path change nothing');

-- A member, a SECURITY DEFINER function of a role that is no tenant.
GRANT SELECT ON auditlog.events TO auditlog_tap_trw_viewer;
SET LOCAL ROLE auditlog_tap_trw_viewer;
CREATE TEMP TABLE got_member AS SELECT id FROM auditlog.events;
RESET ROLE;
SELECT set_eq('SELECT id FROM got_member', 'SELECT id FROM want_ids', 'a member of the tenant reads the same rows');
CREATE FUNCTION pg_temp.plain_count() RETURNS bigint LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$ SELECT count(*) FROM auditlog.events $$;
ALTER FUNCTION pg_temp.plain_count() OWNER TO auditlog_tap_trw_plain;
SET LOCAL SESSION AUTHORIZATION auditlog_tap_trw_acme;
CREATE TEMP TABLE got_definer AS SELECT pg_temp.plain_count() AS n;
RESET SESSION AUTHORIZATION;
SELECT is((SELECT n FROM got_definer), (SELECT count(*) FROM want_ids),
          'a tenant''s session reading through a SECURITY DEFINER function of a role that is no tenant still reads its rows only');

SET LOCAL ROLE auditlog_tap_trw_none;
CREATE TEMP TABLE got_none AS SELECT (SELECT count(*) FROM auditlog.events) AS rows, auditlog.event_count() AS counted;
RESET ROLE;
SELECT is((SELECT (rows, counted) FROM got_none), (0::bigint, 0::bigint), 'a tenant of no organisation reads nothing');

SET LOCAL ROLE auditlog_tap_trw_plain;
CREATE TEMP TABLE got_plain AS SELECT count(*) AS rows FROM auditlog.events;
RESET ROLE;
SELECT is((SELECT rows FROM got_plain), (SELECT count(*) FROM auditlog.event_store),
          'a role that is no tenant reads every row');
SET LOCAL ROLE auditlog_tap_trw_acme;
SELECT throws_ok('SELECT count(*) FROM auditlog.event_store', '42501', 'permission denied for table event_store',
                 'the store behind the view stays closed to the tenant');
RESET ROLE;

---------------------------------------------------------------------------
-- export()
---------------------------------------------------------------------------
SET LOCAL ROLE auditlog_tap_trw_acme;
CREATE TEMP TABLE got_export AS
    SELECT (l::jsonb->>'id')::bigint AS id, (l::jsonb->>'org_id') AS org_id, o
      FROM auditlog.export() WITH ORDINALITY AS x(l, o);
CREATE TEMP TABLE got_csv AS SELECT count(*) AS lines FROM auditlog.export(format => 'csv');
CREATE TEMP TABLE got_ocsf AS
    SELECT array_agg(DISTINCT l::jsonb->'metadata'->>'tenant_uid') AS orgs FROM auditlog.export(format => 'ocsf') l;
CREATE TEMP TABLE got_other AS SELECT count(*) AS lines FROM auditlog.export(org_id => 'org-2');
RESET ROLE;
SELECT set_eq('SELECT id FROM got_export', 'SELECT id FROM want_ids', 'export() gives a tenant its organisation''s events');
SELECT is(array(SELECT id FROM got_export ORDER BY o), array(SELECT id FROM want_ids ORDER BY id), 'in id order');
SELECT is((SELECT lines FROM got_csv), (SELECT count(*) + 1 FROM want_ids), 'as CSV: a header and a line each');
SELECT is((SELECT orgs FROM got_ocsf), ARRAY['org-1'], 'as OCSF, every event''s tenant_uid is the tenant''s');
SELECT is((SELECT lines FROM got_other), 0::bigint, 'and an org_id filter for another organisation exports nothing');
SET LOCAL ROLE auditlog_tap_trw_none;
CREATE TEMP TABLE got_export_none AS SELECT count(*) AS lines FROM auditlog.export(format => 'csv');
RESET ROLE;
SELECT is((SELECT lines FROM got_export_none), 1::bigint,
          'a tenant of no organisation exports a CSV header and nothing else');

SELECT * FROM finish();
ROLLBACK;
