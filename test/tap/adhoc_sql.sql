-- test/tap/adhoc_sql.sql — ad-hoc SQL over auditlog.events works like on a plain
-- table, from the sessions dashboards have: search_path "$user", public
-- (Grafana, Metabase, PostgREST), public alone, pg_catalog alone. The outcome
-- type's operators and min/max resolve there as a SQL enum's would; the
-- view's text columns have the database's default collation.
BEGIN;
SELECT plan(26);

SELECT auditlog.log_event('tap_adhoc.check', actor => 'Tap Adhoc', outcome => o)
  FROM unnest('{success,success,failure,denied,denied,denied}'::auditlog.outcome[]) AS o;
CREATE TEMP TABLE adhoc_expect AS
    SELECT outcome::text AS outcome FROM auditlog.events WHERE actor = 'Tap Adhoc';

-- adhoc(path, where): how many Tap Adhoc events match, from that search_path
CREATE FUNCTION pg_temp.adhoc(path text, cond text) RETURNS bigint
    LANGUAGE plpgsql AS
$$
DECLARE
    n bigint;
BEGIN
    PERFORM set_config('search_path', path, true);
    EXECUTE 'SELECT count(*) FROM auditlog.events WHERE actor = ''Tap Adhoc'' AND ' || cond INTO n;
    PERFORM set_config('search_path', 'public, pg_temp', true);
    RETURN n;
END
$$;

SELECT is(pg_temp.adhoc(p, $$outcome = 'denied'$$), 3::bigint, '= from search_path ' || p)
  FROM unnest(ARRAY['"$user", public', 'public', 'pg_catalog']) AS p;
SELECT is(pg_temp.adhoc(p, $$outcome <> 'success'$$), 4::bigint, '<> from search_path ' || p)
  FROM unnest(ARRAY['public', 'pg_catalog']) AS p;
SELECT is(pg_temp.adhoc('public', $$outcome < 'denied'$$), 3::bigint, '< orders success < failure < denied');
SELECT is(pg_temp.adhoc('public', $$outcome <= 'failure'$$), 3::bigint, '<=');
SELECT is(pg_temp.adhoc('public', $$outcome > 'success'$$), 4::bigint, '>');
SELECT is(pg_temp.adhoc('public', $$outcome >= 'failure'$$), 4::bigint, '>=');
SELECT is(pg_temp.adhoc('public', $$outcome IN ('failure', 'denied')$$), 4::bigint, 'IN');
SELECT is(pg_temp.adhoc('public', $$outcome NOT IN ('failure', 'denied')$$), 2::bigint, 'NOT IN');
SELECT is(pg_temp.adhoc('public', $$outcome BETWEEN 'success' AND 'failure'$$), 3::bigint, 'BETWEEN');
SELECT is(pg_temp.adhoc('public', $$(CASE outcome WHEN 'denied' THEN true ELSE false END)$$), 3::bigint,
          'CASE outcome WHEN ...');
SELECT is(pg_temp.adhoc('pg_catalog', $$outcome = ANY ('{denied,failure}')$$), 4::bigint, '= ANY (array)');

SET LOCAL search_path = public;
SELECT results_eq($$SELECT e.outcome::text AS o, count(*) FROM auditlog.events e WHERE e.actor = 'Tap Adhoc'
                    GROUP BY e.outcome ORDER BY e.outcome$$,
                  $$VALUES ('success', 2::bigint), ('failure', 1), ('denied', 3)$$,
                  'GROUP BY and ORDER BY outcome, in the type''s order');
SELECT results_eq($$SELECT DISTINCT outcome::text FROM auditlog.events WHERE actor = 'Tap Adhoc' ORDER BY 1$$,
                  $$VALUES ('denied'), ('failure'), ('success')$$, 'DISTINCT');
SELECT is((SELECT min(outcome)::text FROM auditlog.events WHERE actor = 'Tap Adhoc'), 'success', 'min(outcome)');
SELECT is((SELECT max(outcome)::text FROM auditlog.events WHERE actor = 'Tap Adhoc'), 'denied', 'max(outcome)');
SELECT is((SELECT max(o)::text FROM unnest('{}'::auditlog.outcome[]) o), NULL, 'max over no rows is null');
SET LOCAL search_path = pg_catalog;
SELECT max(outcome)::text AS max_from_catalog FROM auditlog.events WHERE actor = 'Tap Adhoc' \gset
SET LOCAL search_path = public, pg_temp;
SELECT is(:'max_from_catalog'::text, 'denied', 'max(outcome) from search_path pg_catalog');

-- an index on an outcome column is used by a comparison written plainly
CREATE TABLE adhoc_attempt (id int, outcome auditlog.outcome);
INSERT INTO adhoc_attempt SELECT g, (ARRAY['success','failure','denied'])[1 + g % 3]::auditlog.outcome
  FROM generate_series(1, 3000) g;
CREATE INDEX ON adhoc_attempt (outcome);
ANALYZE adhoc_attempt;
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text
    LANGUAGE plpgsql AS
$$
DECLARE
    line text;
    plan text := '';
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
        plan := plan || line || E'\n';
    END LOOP;
    RETURN plan;
END
$$;
SET LOCAL enable_seqscan = off;
SELECT matches(pg_temp.plan_of($$SELECT * FROM adhoc_attempt WHERE outcome = 'denied'$$),
               'Index Cond: \(outcome = ''denied''::auditlog.outcome\)',
               'an index on an outcome column serves outcome = ''denied''');
RESET enable_seqscan;

-- the view's text columns have the database's default collation
SELECT is_empty($$
    SELECT a.attname FROM pg_attribute a
     WHERE a.attrelid = 'auditlog.events'::regclass AND a.attnum > 0
       AND a.atttypid = 'text'::regtype AND a.attcollation <> 'pg_catalog.default'::regcollation
$$, 'every text column of auditlog.events has the default collation');
SELECT is_empty($$
    SELECT a.attname FROM pg_attribute a
     WHERE a.attrelid = 'auditlog.search_row'::regclass AND a.attnum > 0
       AND a.atttypid = 'text'::regtype AND a.attcollation <> 'pg_catalog.default'::regcollation
$$, 'and so has every text column of auditlog.search_row');
SELECT results_eq($$SELECT actor, action FROM auditlog.events WHERE actor = 'Tap Adhoc' AND outcome = 'failure'$$,
                  $$VALUES ('Tap Adhoc'::text, 'tap_adhoc.check'::text)$$,
                  'rows of the view compare with plain text rows');
SELECT ok((SELECT ROW(actor, action) = ROW('Tap Adhoc'::text, 'tap_adhoc.check'::text)
             FROM auditlog.events WHERE actor = 'Tap Adhoc' LIMIT 1),
          'ROW(...) = ROW(...) with text needs no COLLATE');
SELECT is((SELECT string_agg(actor, ',' ORDER BY actor) FROM
             (SELECT DISTINCT actor FROM auditlog.events WHERE actor IN ('Tap Adhoc')) x),
          'Tap Adhoc', 'ORDER BY a view column needs no COLLATE');

SELECT * FROM finish();
ROLLBACK;
