-- bench/read/run.sql — the latency run of the read-path benchmark.
--
-- For each filter set of bench_read.sets it times, server-side, in this one
-- session (so both sides see the same TimeZone),
--   search: SELECT * FROM auditlog.search(<filters>, page_size => 50)
--   plain:  the page, SELECT * ... ORDER BY occurred_at DESC, id DESC LIMIT 50,
--           plus SELECT count(*), hand-written over bench_plain.events
-- as the best of :rounds runs after one warm-up, checks that both return the
-- same page of ids and the same count, and judges the figures against the
-- targets it is given:
--   psql variables  rounds, explain (true/false), t_set_min, t_median,
--                   t_worst, t_storage (bench/targets.sh), t_scale (the scale
--                   whose targets apply, e.g. "1M")
-- It leaves bench_read.results (one row per set) and bench_read.verdicts (one
-- row per target) for bench/read.sh.

\set ON_ERROR_STOP on
\pset footer off
-- The operators of auditlog.outcome live in schema auditlog: hand-written
-- "outcome = 'denied'" only resolves with that schema on the search_path.
SET search_path = public, auditlog;

-- The search() call of a filter set (named arguments, as a dashboard passes them).
CREATE OR REPLACE FUNCTION bench_read.search_call(s bench_read.sets) RETURNS text
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
-- session time zone (a date literal cast to timestamptz is midnight there),
-- to_date inclusive, a category as a LIKE prefix.
CREATE OR REPLACE FUNCTION bench_read.plain_where(s bench_read.sets) RETURNS text
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

-- Runs every set and keeps the figures in bench_read.results.
CREATE OR REPLACE FUNCTION bench_read.run(rounds int) RETURNS void
    LANGUAGE plpgsql AS
$$
DECLARE
    s bench_read.sets;
    page_sql text;
    count_sql text;
    search_sql text;
    p_ids bigint[];
    p_count bigint;
    s_ids bigint[];
    s_count bigint;
    s_ms double precision;
    s_settled double precision;
    p_ms double precision;
BEGIN
    SET LOCAL client_min_messages = warning;
    DROP TABLE IF EXISTS bench_read.results;
    RESET client_min_messages;
    CREATE TABLE bench_read.results (
        no int PRIMARY KEY, name text, matches bigint,
        search_ms double precision, plain_ms double precision, ratio double precision,
        check_result text, search_sql text, page_sql text, count_sql text,
        search_settled_ms double precision);
    FOR s IN SELECT * FROM bench_read.sets ORDER BY no LOOP
        page_sql := 'SELECT * FROM bench_plain.events' || bench_read.plain_where(s)
                    || ' ORDER BY occurred_at DESC, id DESC LIMIT 50';
        count_sql := 'SELECT count(*) FROM bench_plain.events' || bench_read.plain_where(s);
        search_sql := 'SELECT * FROM ' || bench_read.search_call(s);
        EXECUTE format('SELECT array(SELECT p.id FROM (%s) p)', page_sql) INTO p_ids;
        EXECUTE count_sql INTO p_count;
        EXECUTE format('SELECT coalesce(array_agg(s.id ORDER BY s.ordinality), ''{}''), max(s.total_count)'
                       ' FROM %s WITH ORDINALITY s', bench_read.search_call(s))
            INTO s_ids, s_count;
        s_ms := bench_read.best_ms(ARRAY[search_sql], rounds);
        -- the same once the session's plans have settled: PostgreSQL plans a
        -- cached query with its values for its first five runs, then decides
        PERFORM bench_read.best_ms(ARRAY[search_sql], 9);
        s_settled := bench_read.best_ms(ARRAY[search_sql], rounds);
        p_ms := bench_read.best_ms(ARRAY[page_sql, count_sql], rounds);
        INSERT INTO bench_read.results VALUES (
            s.no, s.name, p_count, s_ms, p_ms, p_ms / s_ms,
            CASE WHEN p_ids = s_ids AND coalesce(s_count, 0) = p_count THEN 'ok'
                 WHEN p_ids = s_ids THEN format('COUNT MISMATCH: search %s, plain %s', s_count, p_count)
                 ELSE format('PAGE MISMATCH: search %s ids, plain %s, first difference at row %s (count: search %s, plain %s)',
                             cardinality(s_ids), cardinality(p_ids),
                             (SELECT min(i) FROM generate_series(1, greatest(cardinality(s_ids), cardinality(p_ids))) i
                               WHERE s_ids[i] IS DISTINCT FROM p_ids[i]),
                             coalesce(s_count, 0), p_count) END,
            search_sql, page_sql, count_sql, s_settled);
    END LOOP;
END
$$;

\echo
SELECT format('auditlog read path, generator %s: %s events from %s to %s, time zone %s (both sides), best of %s after a warm-up',
              m.gen, m.n, m.anchor - 365, m.anchor - 1, current_setting('TimeZone'), :rounds)
  FROM bench_read.meta m \gset
\echo :format
SELECT format('server %s, shared_buffers %s, work_mem %s, jit %s, parallel workers/gather %s, collation %s; summaries: %s',
              current_setting('server_version'), current_setting('shared_buffers'), current_setting('work_mem'),
              current_setting('jit'), current_setting('max_parallel_workers_per_gather'), datcollate,
              CASE WHEN m.summarize_s IS NULL THEN 'summarize() never called'
                   ELSE format('summarize() added %s events in %s s', m.summarized, m.summarize_s) END)
  FROM pg_database, bench_read.meta m WHERE datname = current_database() \gset
\echo :format

SELECT bench_read.run(:rounds) AS run_done \gset

\echo
\echo 'Per filter set: search ms = auditlog.search(..., page_size => 50); plain ms = its page + count(*) on'
\echo 'the plain table; ratio = plain ms / search ms of the same set (target: no set below' :t_set_min'x).'
\echo 'search ms is timed in its first runs in the session, the verdicts use it; settled ms after 10 more'
\echo '(PostgreSQL plans the internal queries with their values for their first five runs), for comparison.'
SELECT no AS "#", name AS "filter set",
       to_char(matches, 'FM999,999,999') AS "events",
       to_char(search_ms, 'FM999,990.00') AS "search ms",
       to_char(plain_ms, 'FM999,990.00') AS "plain ms",
       to_char(ratio, 'FM999,990.0') || 'x' AS "plain/search",
       CASE WHEN ratio >= :t_set_min THEN 'met' ELSE 'BELOW TARGET' END AS "verdict",
       check_result AS "same page and count",
       to_char(search_settled_ms, 'FM999,990.00') AS "settled ms",
       to_char(plain_ms / search_settled_ms, 'FM999,990.0') || 'x' AS "plain/settled"
  FROM bench_read.results ORDER BY no;

-- The verdicts: each names what it compares.
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_read.verdicts;
RESET client_min_messages;
CREATE TABLE bench_read.verdicts (k int PRIMARY KEY, what text, value text, target text, verdict text);

INSERT INTO bench_read.verdicts
WITH r AS (SELECT * FROM bench_read.results),
     agg AS (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ratio) AS med, count(*) AS sets,
                    count(*) FILTER (WHERE ratio < :t_set_min) AS below,
                    string_agg('#' || no, ', ' ORDER BY no) FILTER (WHERE ratio < :t_set_min) AS below_list
               FROM r),
     lo AS (SELECT * FROM r ORDER BY ratio, no LIMIT 1),
     ws AS (SELECT * FROM r ORDER BY search_ms DESC, no LIMIT 1),
     wp AS (SELECT * FROM r ORDER BY plain_ms DESC, no LIMIT 1)
SELECT v.* FROM agg, lo, ws, wp, LATERAL (VALUES
    (1, format('median of the %s per-set ratios (plain / search, same set)', agg.sets),
        to_char(agg.med, 'FM999,990.0') || 'x', format('>= %sx at %s', :'t_median', :'t_scale'),
        CASE WHEN agg.med >= :t_median THEN 'met' ELSE 'BELOW TARGET' END),
    (2, format('smallest per-set ratio: #%s %s (search %s ms, plain %s ms); %s of %s sets below %sx%s',
               lo.no, lo.name, round(lo.search_ms::numeric, 2), round(lo.plain_ms::numeric, 2),
               agg.below, agg.sets, :'t_set_min', coalesce(' (' || agg.below_list || ')', '')),
        to_char(lo.ratio, 'FM999,990.0') || 'x', format('>= %sx', :'t_set_min'),
        CASE WHEN lo.ratio >= :t_set_min THEN 'met' ELSE 'BELOW TARGET' END),
    (3, format('slowest plain / slowest search, maybe different sets: plain #%s %s %s ms, search #%s %s %s ms',
               wp.no, wp.name, round(wp.plain_ms::numeric, 2), ws.no, ws.name, round(ws.search_ms::numeric, 2)),
        to_char(wp.plain_ms / ws.search_ms, 'FM999,990.0') || 'x', format('>= %sx at %s', :'t_worst', :'t_scale'),
        CASE WHEN wp.plain_ms / ws.search_ms >= :t_worst THEN 'met' ELSE 'BELOW TARGET' END)
) AS v;

-- Storage: every table of the extension (heap, TOAST, indexes: events,
-- dictionaries, summaries), partitions included wherever they live, against
-- the plain table.
CREATE OR REPLACE VIEW bench_read.storage AS
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
)
SELECT side, rel, pg_table_size(oid) AS tbl, pg_indexes_size(oid) AS idx, pg_total_relation_size(oid) AS total
  FROM rels;

INSERT INTO bench_read.verdicts
SELECT 4, format('storage per event, auditlog (tables+indexes+summaries) / plain table: %s / %s bytes',
                 round(a.b / m.n, 1), round(p.b / m.n, 1)),
       to_char(a.b / p.b, 'FM990.000'), format('<= %s', :'t_storage'),
       CASE WHEN a.b / p.b <= :t_storage THEN 'met' ELSE 'OVER TARGET' END
  FROM (SELECT sum(total)::numeric AS b FROM bench_read.storage WHERE side = 'auditlog') a,
       (SELECT sum(total)::numeric AS b FROM bench_read.storage WHERE side = 'plain') p,
       bench_read.meta m;

\echo
\echo 'Storage (heap + TOAST, indexes, total; after VACUUM):'
SELECT side, rel AS "relation",
       pg_size_pretty(tbl) AS "table+toast", pg_size_pretty(idx) AS "indexes", pg_size_pretty(total) AS "total",
       round(total::numeric / m.n, 1) AS "bytes/event"
  FROM bench_read.storage, bench_read.meta m
 ORDER BY side, total DESC;

\echo
SELECT format('Verdicts, generator %s at %s events (targets: bench/targets.sh, at %s):', gen, n, :'t_scale')
  FROM bench_read.meta \gset
\echo :format
\pset format unaligned
\pset tuples_only on
SELECT format('  %-12s %8s  %-13s %s', verdict, value, '(' || target || ')', what) FROM bench_read.verdicts ORDER BY k;
\pset format aligned
\pset tuples_only off

SELECT count(*) FILTER (WHERE check_result <> 'ok') > 0 AS has_mismatch,
       format('CORRECTNESS FAILED: %s of %s filter sets returned a different page or count from search() '
              'than from the plain table (see the last column above)', count(*) FILTER (WHERE check_result <> 'ok'), count(*)) AS mismatch_msg
  FROM bench_read.results \gset
\if :has_mismatch
\echo :mismatch_msg
\else
\echo 'Correctness: every filter set returned the same page of ids and the same count on both sides.'
\endif

\if :explain
\echo
\echo 'plans of the plain side (EXPLAIN ANALYZE, one run each):'
\set ECHO queries
SELECT format('EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON) %s', q)
  FROM bench_read.results, LATERAL (VALUES (1, page_sql), (2, count_sql)) AS v(k, q)
 ORDER BY no, k
\gexec
\endif
