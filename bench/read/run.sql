-- bench/read/run.sql — the latency run of the read-path benchmark.
--
-- For each filter set of a fixed dashboard mix it times, server-side,
--   search: SELECT * FROM auditlog.search(<filters>, page_size => 50)
--   plain:  the page (ORDER BY occurred_at DESC, id DESC LIMIT 50) plus
--           SELECT count(*), hand-written over bench_plain.events
-- as the best of :rounds runs after one warm-up, and checks that both return
-- the same page and count. Needs psql variables rounds and explain (0/1).

\set ON_ERROR_STOP on
\pset footer off
-- The operators of auditlog.outcome live in schema auditlog: hand-written
-- "outcome = 'denied'" only resolves with that schema on the search_path.
SET search_path = public, auditlog;

-- The filter sets. Values are picked from the generated data (meta.anchor,
-- the users table, the resource pools), so they do not drift with today's date.
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_read.sets CASCADE;
RESET client_min_messages;
CREATE TABLE bench_read.sets (
    no int PRIMARY KEY,
    name text NOT NULL,
    actor text,
    action text,
    resource_type text,
    from_date date,
    to_date date,
    outcome auditlog.outcome,
    resource_id text,
    org_id text
);

WITH m AS (SELECT anchor,
                  anchor - 45 AS day,
                  date_trunc('month', anchor - 75)::date AS month_from,
                  (date_trunc('month', anchor - 75) + interval '1 month' - interval '1 day')::date AS month_to
             FROM bench_read.meta),
     u1 AS (SELECT name FROM bench_read.users WHERE n = 1),
     u40 AS (SELECT name FROM bench_read.users WHERE n = 40)
INSERT INTO bench_read.sets
SELECT v.* FROM m, u1, u40, LATERAL (VALUES
    ( 1, 'no filter',                        NULL,      NULL,         NULL,         NULL::date,   NULL::date, NULL::auditlog.outcome, NULL, NULL),
    ( 2, 'actor = system',                   'system',  NULL,         NULL,         NULL,         NULL,       NULL,      NULL, NULL),
    ( 3, 'actor = busiest user',             u1.name,   NULL,         NULL,         NULL,         NULL,       NULL,      NULL, NULL),
    ( 4, 'actor = typical user',             u40.name,  NULL,         NULL,         NULL,         NULL,       NULL,      NULL, NULL),
    ( 5, 'action = auth.login',              NULL,      'auth.login', NULL,         NULL,         NULL,       NULL,      NULL, NULL),
    ( 6, 'action = credential.*',            NULL,      'credential.*', NULL,       NULL,         NULL,       NULL,      NULL, NULL),
    ( 7, 'action = role.create (rare)',      NULL,      'role.create', NULL,        NULL,         NULL,       NULL,      NULL, NULL),
    ( 8, 'type = connection',                NULL,      NULL,         'connection', NULL,         NULL,       NULL,      NULL, NULL),
    ( 9, 'outcome = denied (rare)',          NULL,      NULL,         NULL,         NULL,         NULL,       'denied',  NULL, NULL),
    (10, 'one day',                          NULL,      NULL,         NULL,         m.day,        m.day,      NULL,      NULL, NULL),
    (11, 'one month',                        NULL,      NULL,         NULL,         m.month_from, m.month_to, NULL,      NULL, NULL),
    (12, 'one resource (busiest connection)', NULL,     NULL,         'connection', NULL,         NULL,       NULL,
         bench_read.rid('connection', 1), NULL),
    (13, 'busiest user + one month',         u1.name,   NULL,         NULL,         m.month_from, m.month_to, NULL,      NULL, NULL),
    (14, 'auth.login + failure',             NULL,      'auth.login', NULL,         NULL,         NULL,       'failure', NULL, NULL),
    (15, 'system + token_refresh + one day', 'system',  'credential.token_refresh', NULL, m.day,  m.day,      NULL,      NULL, NULL),
    (16, 'credential.* + denied + month',    NULL,      'credential.*', NULL,       m.month_from, m.month_to, 'denied',  NULL, NULL),
    (17, 'type = webhook + failure + month', NULL,      NULL,         'webhook',    m.month_from, m.month_to, 'failure', NULL, NULL)
) AS v;

-- The search() call of a filter set (named arguments, as a dashboard passes them).
CREATE FUNCTION bench_read.search_call(s bench_read.sets) RETURNS text
    LANGUAGE sql STABLE AS
$$
    SELECT 'auditlog.search(' || concat_ws(', ',
        'actor => ' || quote_literal(s.actor),
        'action => ' || quote_literal(s.action),
        'resource_type => ' || quote_literal(s.resource_type),
        'from_date => ' || quote_literal(s.from_date) || '::date',
        'to_date => ' || quote_literal(s.to_date) || '::date',
        'outcome => ' || quote_literal(s.outcome) || '::auditlog.outcome',
        'resource_id => ' || quote_literal(s.resource_id),
        'org_id => ' || quote_literal(s.org_id),
        'page_size => 50') || ')'
$$;

-- The WHERE clause a developer writes for the same filters: whole days in the
-- session time zone, to_date inclusive, a category as a LIKE prefix.
CREATE FUNCTION bench_read.plain_where(s bench_read.sets) RETURNS text
    LANGUAGE sql STABLE AS
$$
    SELECT coalesce(' WHERE ' || nullif(concat_ws(' AND ',
        'actor = ' || quote_literal(s.actor),
        CASE WHEN s.action LIKE '%.*' THEN 'action LIKE ' || quote_literal(left(s.action, -1) || '%')
             ELSE 'action = ' || quote_literal(s.action) END,
        'resource_type = ' || quote_literal(s.resource_type),
        'resource_id = ' || quote_literal(s.resource_id),
        'occurred_at >= ' || quote_literal(s.from_date) || '::timestamptz',
        'occurred_at < ' || quote_literal(s.to_date + 1) || '::timestamptz',
        'outcome = ' || quote_literal(s.outcome),
        'org_id = ' || quote_literal(s.org_id)), ''), '')
$$;

-- Best wall time in ms, over rounds runs after one warm-up, of running the
-- queries one after the other. Every row is fetched and every column turned
-- into text, so neither side can skip work the dashboard needs.
CREATE OR REPLACE FUNCTION bench_read.best_ms(queries text[], rounds int) RETURNS double precision
    LANGUAGE plpgsql AS
$$
DECLARE
    wrapped text[];
    q text;
    t0 timestamptz;
    best double precision := 'Infinity';
    c bigint;
    l bigint;
BEGIN
    SELECT array_agg(format('SELECT count(*), sum(length(s::text)) FROM (%s) s', x))
      INTO wrapped FROM unnest(queries) x;
    FOR r IN 0 .. rounds LOOP
        t0 := clock_timestamp();
        FOREACH q IN ARRAY wrapped LOOP
            EXECUTE q INTO c, l;
        END LOOP;
        IF r > 0 THEN
            best := least(best, extract(epoch FROM clock_timestamp() - t0) * 1000);
        END IF;
    END LOOP;
    RETURN best;
END
$$;

-- Runs the mix and keeps the figures in bench_read.results.
CREATE OR REPLACE FUNCTION bench_read.run(rounds int) RETURNS void
    LANGUAGE plpgsql AS
$$
DECLARE
    s bench_read.sets;
    have_search boolean := EXISTS (SELECT FROM pg_proc
                                    WHERE proname = 'search' AND pronamespace = 'auditlog'::regnamespace);
    page_sql text;
    count_sql text;
    search_sql text;
    p_ids bigint[];
    p_count bigint;
    s_ids bigint[];
    s_count bigint;
    s_ms double precision;
BEGIN
    SET LOCAL client_min_messages = warning;
    DROP TABLE IF EXISTS bench_read.results;
    RESET client_min_messages;
    CREATE TABLE bench_read.results (
        no int PRIMARY KEY, name text, search_ms double precision, plain_ms double precision,
        matches bigint, check_result text, search_sql text, page_sql text, count_sql text);
    FOR s IN SELECT * FROM bench_read.sets ORDER BY no LOOP
        page_sql := 'SELECT * FROM bench_plain.events' || bench_read.plain_where(s)
                    || ' ORDER BY occurred_at DESC, id DESC LIMIT 50';
        count_sql := 'SELECT count(*) FROM bench_plain.events' || bench_read.plain_where(s);
        search_sql := 'SELECT * FROM ' || bench_read.search_call(s);
        EXECUTE format('SELECT array(SELECT p.id FROM (%s) p)', page_sql) INTO p_ids;
        EXECUTE count_sql INTO p_count;
        s_ms := NULL;
        IF have_search THEN
            EXECUTE format('SELECT array_agg(s.id ORDER BY s.ordinality), max(s.total_count) FROM %s WITH ORDINALITY s',
                           bench_read.search_call(s))
                INTO s_ids, s_count;
            s_ms := bench_read.best_ms(ARRAY[search_sql], rounds);
        END IF;
        INSERT INTO bench_read.results VALUES (
            s.no, s.name, s_ms, bench_read.best_ms(ARRAY[page_sql, count_sql], rounds), p_count,
            CASE WHEN NOT have_search THEN 'search(): missing'
                 WHEN p_ids IS NOT DISTINCT FROM s_ids AND coalesce(s_count, 0) = p_count THEN 'ok'
                 WHEN p_ids IS NOT DISTINCT FROM s_ids THEN format('COUNT MISMATCH: %s, expected %s', s_count, p_count)
                 ELSE 'PAGE MISMATCH' END,
            search_sql, page_sql, count_sql);
    END LOOP;
END
$$;

\echo
SELECT format('auditlog read path, %s events from %s to %s (%s), best of %s after a warm-up',
              m.n, m.anchor - 365, m.anchor - 1, current_setting('TimeZone'), :rounds)
  FROM bench_read.meta m \gset
\echo :format
SELECT format('server %s, shared_buffers %s, work_mem %s, jit %s, parallel workers/gather %s, collation %s',
              current_setting('server_version'), current_setting('shared_buffers'), current_setting('work_mem'),
              current_setting('jit'), current_setting('max_parallel_workers_per_gather'), datcollate)
  FROM pg_database WHERE datname = current_database() \gset
\echo :format

SELECT EXISTS (SELECT FROM pg_proc WHERE proname = 'search' AND pronamespace = 'auditlog'::regnamespace) AS have_search \gset
\if :have_search
\else
\echo 'search(): missing -- timing the plain side only'
\endif

SELECT bench_read.run(:rounds) AS run_done \gset

\echo
SELECT no AS "#", name AS "filter set",
       to_char(matches, 'FM999,999,999') AS "events",
       to_char(search_ms, 'FM999,990.00') AS "search ms",
       to_char(plain_ms, 'FM999,990.00') AS "plain ms",
       coalesce(to_char(plain_ms / nullif(search_ms, 0), 'FM999,990.0') || 'x', '-') AS "speed-up",
       check_result AS "check"
  FROM bench_read.results ORDER BY no;

WITH r AS (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY search_ms) AS s_med, max(search_ms) AS s_max,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY plain_ms) AS p_med, max(plain_ms) AS p_max,
                  min(plain_ms / nullif(search_ms, 0)) AS min_speedup
             FROM bench_read.results)
SELECT k AS " ", to_char(s, 'FM999,990.00') AS "search ms", to_char(p, 'FM999,990.00') AS "plain ms",
       coalesce(to_char(p / nullif(s, 0), 'FM999,990.0') || 'x', '-') AS "plain/search",
       CASE WHEN s IS NULL THEN 'search(): missing'
            WHEN p / nullif(s, 0) >= 20 THEN 'target >= 20x: met'
            ELSE 'target >= 20x: NOT met' END AS "target"
  FROM r, LATERAL (VALUES ('median', r.s_med, r.p_med), ('worst', r.s_max, r.p_max)) AS v(k, s, p);

SELECT coalesce(to_char(min(plain_ms / nullif(search_ms, 0)), 'FM999,990.0') || 'x', '-') AS min_speedup
  FROM bench_read.results \gset
\echo 'smallest per-set speed-up:' :min_speedup

-- Storage: every table of the extension (heap, TOAST, indexes), partitions
-- included wherever they live, against the plain table.
\echo
WITH ext AS (
    SELECT t.relid AS oid
      FROM pg_class c, LATERAL pg_partition_tree(c.oid) t
     WHERE c.relnamespace = 'auditlog'::regnamespace AND c.relkind IN ('r', 'p', 'm')
    UNION
    SELECT c.oid FROM pg_class c
     WHERE c.relnamespace = 'auditlog'::regnamespace AND c.relkind IN ('r', 'm')
),
rels AS (
    SELECT 'auditlog' AS side, format('%I.%I', c.relnamespace::regnamespace, c.relname) AS rel, c.oid
      FROM ext JOIN pg_class c ON c.oid = ext.oid WHERE c.relkind IN ('r', 'm')
    UNION ALL
    SELECT 'plain', 'bench_plain.events', 'bench_plain.events'::regclass
),
sizes AS (
    SELECT side, rel, pg_table_size(oid) AS tbl, pg_indexes_size(oid) AS idx, pg_total_relation_size(oid) AS total
      FROM rels
)
SELECT side, rel AS "relation",
       pg_size_pretty(tbl) AS "table+toast", pg_size_pretty(idx) AS "indexes", pg_size_pretty(total) AS "total",
       round(total::numeric / m.n, 1) AS "bytes/event"
  FROM sizes, bench_read.meta m
 ORDER BY side, total DESC;

WITH ext AS (
    SELECT t.relid AS oid
      FROM pg_class c, LATERAL pg_partition_tree(c.oid) t
     WHERE c.relnamespace = 'auditlog'::regnamespace AND c.relkind IN ('r', 'p', 'm')
    UNION
    SELECT c.oid FROM pg_class c
     WHERE c.relnamespace = 'auditlog'::regnamespace AND c.relkind IN ('r', 'm')
),
a AS (SELECT sum(pg_total_relation_size(c.oid)) AS b FROM ext JOIN pg_class c ON c.oid = ext.oid
       WHERE c.relkind IN ('r', 'm')),
p AS (SELECT pg_total_relation_size('bench_plain.events') AS b)
SELECT round(a.b / m.n, 1) AS "auditlog bytes/event", round(p.b::numeric / m.n, 1) AS "plain bytes/event",
       round(a.b / p.b, 3) AS "ratio",
       CASE WHEN a.b / p.b <= 0.5 THEN 'target <= 0.5: met' ELSE 'target <= 0.5: NOT met' END AS "target"
  FROM a, p, bench_read.meta m;

\if :explain
\echo
\echo 'plans of the plain side (EXPLAIN ANALYZE, one run each):'
\set ECHO queries
SELECT format('EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON) %s', q)
  FROM bench_read.results, LATERAL (VALUES (1, page_sql), (2, count_sql)) AS v(k, q)
 ORDER BY no, k
\gexec
\endif
