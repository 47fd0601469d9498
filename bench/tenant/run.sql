-- bench/tenant/run.sql - a tenant's reads against the same reads with an
-- org filter, on bench/read's events (bench/tenant.sh runs it).
--
-- For a mix of dashboard filter sets, server-side, best of :rounds after a
-- warm-up: search() (a page of 50 and its total count) as a tenant of org-1,
-- against search(org_id => 'org-1') as a reader that is no tenant; a tenant
-- of two organisations alone (no org filter says the same); then
-- filter_options(), and ad-hoc SQL over auditlog.events (a
-- security_barrier view) against the same view without the barrier. The
-- two sides of a pair run in turns, in one session, so that both meet the
-- same cached plans. Any difference in rows or counts fails the run.

\set ON_ERROR_STOP on
\pset footer off
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench_tenant CASCADE;
CREATE SCHEMA bench_tenant;
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['bench_tenant_one', 'bench_tenant_two', 'bench_tenant_reader'] LOOP
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I', r);
        END IF;
        EXECUTE format('GRANT EXECUTE ON FUNCTION auditlog.search(text, text, text, date, date, auditlog.outcome, text, text, integer, bigint),'
                       ' auditlog.event_count(text, text, text, date, date, auditlog.outcome, text, text),'
                       ' auditlog.filter_options() TO %I', r);
        EXECUTE format('GRANT SELECT ON auditlog.events TO %I', r);
        EXECUTE format('GRANT USAGE ON SCHEMA bench_tenant TO %I', r);
    END LOOP;
END
$$;
SELECT auditlog.set_tenant('bench_tenant_one', '{org-1}'), auditlog.set_tenant('bench_tenant_two', '{org-1,org-2}');
RESET client_min_messages;

-- The view as it would be without the tenant filter and the barrier.
SELECT format('CREATE VIEW bench_tenant.events_plain AS %s',
              regexp_replace(pg_get_viewdef('auditlog.events'::regclass), '\s+WHERE .*$', ''))
\gexec
GRANT SELECT ON bench_tenant.events_plain TO bench_tenant_reader;

CREATE TABLE bench_tenant.sets (no int, name text, actor text, action text, resource_type text,
                                from_date date, to_date date, outcome auditlog.outcome);
INSERT INTO bench_tenant.sets
SELECT v.* FROM bench_read.meta m, LATERAL (VALUES
    (1, 'no filter', NULL, NULL, NULL, NULL::date, NULL::date, NULL::auditlog.outcome),
    (2, 'actor = system', 'system', NULL, NULL, NULL, NULL, NULL),
    (3, 'action = auth.login', NULL, 'auth.login', NULL, NULL, NULL, NULL),
    (4, 'action = credential.*', NULL, 'credential.*', NULL, NULL, NULL, NULL),
    (5, 'type = connection', NULL, NULL, 'connection', NULL, NULL, NULL),
    (6, 'outcome = denied', NULL, NULL, NULL, NULL, NULL, 'denied'),
    (7, 'one week', NULL, NULL, NULL, m.anchor - 14, m.anchor - 8, NULL),
    (8, 'system + one month + failure', 'system', NULL, NULL, m.anchor - 60, m.anchor - 31, 'failure')
) AS v;

-- search() of a set, with an org filter or not, as one text: the page's ids and the count.
CREATE FUNCTION bench_tenant.page(s bench_tenant.sets, org text) RETURNS text LANGUAGE sql AS $$
    SELECT format('SELECT array_agg(id ORDER BY ord)::text || '' '' || min(total_count) FROM auditlog.search('
                  '%L, %L, %L, %L::date, %L::date, %L::auditlog.outcome, NULL, %L, 50) WITH ORDINALITY AS x(id, occurred_at, actor,'
                  ' actor_id, action, resource_type, resource_id, outcome, org_id, details, db_user, client_addr,'
                  ' application_name, txid, total_count, ord)',
                  s.actor, s.action, s.resource_type, s.from_date, s.to_date, s.outcome, org)
$$;

-- One run of a statement as a role: its time in ms, and what it returned.
CREATE FUNCTION bench_tenant.run_as(role name, stmt text, OUT ms numeric, OUT result text) LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
BEGIN
    EXECUTE format('SET ROLE %I', role);
    t0 := clock_timestamp();
    EXECUTE stmt INTO result;
    ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
    RESET ROLE;
END
$$;

-- Two statements, each as its role, in turns: the best time of each in ms,
-- and whether they returned the same (stmt_b NULL: a alone).
CREATE FUNCTION bench_tenant.pair(role_a name, stmt_a text, role_b name, stmt_b text, rounds int,
                                  OUT a_ms numeric, OUT b_ms numeric, OUT same boolean, OUT result text)
    LANGUAGE plpgsql AS $$
DECLARE
    a record;
    b record;
BEGIN
    FOR i IN 0..rounds LOOP     -- round 0 warms up
        a := bench_tenant.run_as(role_a, stmt_a);
        a_ms := CASE WHEN i > 0 THEN least(coalesce(a_ms, a.ms), a.ms) END;
        IF stmt_b IS NOT NULL THEN
            b := bench_tenant.run_as(role_b, stmt_b);
            b_ms := CASE WHEN i > 0 THEN least(coalesce(b_ms, b.ms), b.ms) END;
        END IF;
    END LOOP;
    a_ms := round(a_ms, 2);
    b_ms := round(b_ms, 2);
    same := stmt_b IS NULL OR a.result = b.result;
    result := a.result;
END
$$;
GRANT SELECT ON ALL TABLES IN SCHEMA bench_tenant TO PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA bench_tenant TO PUBLIC;

-- The count of the events of org-1 and org-2 matching a set, with full rights.
CREATE FUNCTION bench_tenant.two_org_count(s bench_tenant.sets) RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM auditlog.events e
     WHERE e.org_id IN ('org-1', 'org-2')
       AND (s.actor IS NULL OR e.actor = s.actor)
       AND (s.action IS NULL OR e.action = s.action
            OR (s.action LIKE '%.*' AND starts_with(e.action, rtrim(s.action, '*'))))
       AND (s.resource_type IS NULL OR e.resource_type = s.resource_type)
       AND (s.from_date IS NULL OR e.occurred_at >= s.from_date::timestamptz)
       AND (s.to_date IS NULL OR e.occurred_at < (s.to_date + 1)::timestamptz)
       AND (s.outcome IS NULL OR e.outcome = s.outcome)
$$;

CREATE TABLE bench_tenant.results (no int, what text, tenant_ms numeric, other_ms numeric, same boolean);
INSERT INTO bench_tenant.results
SELECT s.no, 'search: ' || s.name, p.a_ms, p.b_ms, p.same
  FROM bench_tenant.sets s,
       LATERAL bench_tenant.pair('bench_tenant_one', bench_tenant.page(s, NULL),
                                 'bench_tenant_reader', bench_tenant.page(s, 'org-1'), :rounds) p;
INSERT INTO bench_tenant.results
SELECT s.no + 100, 'search, two orgs: ' || s.name, p.a_ms, NULL,
       split_part(p.result, ' ', 2)::bigint = bench_tenant.two_org_count(s)
  FROM bench_tenant.sets s,
       LATERAL bench_tenant.pair('bench_tenant_two', bench_tenant.page(s, NULL), NULL, NULL, :rounds) p;
INSERT INTO bench_tenant.results
SELECT v.no, v.what, p.a_ms, p.b_ms, v.no = 201 OR p.same
  FROM (VALUES
    (201, 'filter_options() (tenant | no tenant)', 'bench_tenant_one', 'SELECT count(*) FROM auditlog.filter_options()',
          'SELECT count(*) FROM auditlog.filter_options()'),
    (202, 'view: count(*) (tenant | plain view, WHERE org_id)', 'bench_tenant_one', 'SELECT count(*) FROM auditlog.events',
          $$SELECT count(*) FROM bench_tenant.events_plain WHERE org_id = 'org-1'$$),
    (203, 'view: denied, by actor', 'bench_tenant_one',
          $$SELECT count(*) FROM (SELECT actor, count(*) FROM auditlog.events WHERE outcome = 'denied' GROUP BY 1) x$$,
          $$SELECT count(*) FROM (SELECT actor, count(*) FROM bench_tenant.events_plain WHERE outcome = 'denied' AND org_id = 'org-1' GROUP BY 1) x$$),
    (204, 'view: the last 50 by id', 'bench_tenant_one',
          'SELECT max(id) FROM (SELECT id FROM auditlog.events ORDER BY id DESC LIMIT 50) x',
          $$SELECT max(id) FROM (SELECT id FROM bench_tenant.events_plain WHERE org_id = 'org-1' ORDER BY id DESC LIMIT 50) x$$),
    (301, 'no tenant, view: count(*) (barrier | plain view)', 'bench_tenant_reader',
          'SELECT count(*) FROM auditlog.events', 'SELECT count(*) FROM bench_tenant.events_plain'),
    (302, 'no tenant, view: actor = system (barrier | plain view)', 'bench_tenant_reader',
          $$SELECT count(*) FROM auditlog.events WHERE actor = 'system'$$,
          $$SELECT count(*) FROM bench_tenant.events_plain WHERE actor = 'system'$$)) AS v(no, what, role_a, stmt_a, stmt_b),
       LATERAL bench_tenant.pair(v.role_a, v.stmt_a, 'bench_tenant_reader', v.stmt_b, :rounds) p;

SELECT no, what, tenant_ms AS "ms", other_ms AS "against ms",
       CASE WHEN other_ms > 0 THEN round(tenant_ms / other_ms, 2) END AS ratio, same
  FROM bench_tenant.results ORDER BY no;
DO $$
BEGIN
    IF EXISTS (SELECT FROM bench_tenant.results WHERE NOT same) THEN
        RAISE EXCEPTION 'bench/tenant: a tenant read differs from its counterpart: %',
            (SELECT string_agg(what, '; ') FROM bench_tenant.results WHERE NOT same);
    END IF;
    RAISE NOTICE 'check: every tenant read equals its counterpart';
END
$$;
