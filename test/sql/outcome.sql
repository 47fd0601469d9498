-- auditlog.outcome: a one-byte base type for the result of an action.
-- Its operators live in pg_catalog: o = 'denied' works whatever the
-- search_path, here public alone.
SET search_path = public;

-- Input is case-insensitive, output lower case.
SELECT 'success'::auditlog.outcome, 'Failure'::auditlog.outcome, 'DENIED'::auditlog.outcome;
SELECT o::text FROM (VALUES ('Success'::auditlog.outcome)) v(o);
SELECT 'denied'::text::auditlog.outcome;

-- One byte, passed by value.
SELECT typlen, typbyval, typalign FROM pg_type WHERE oid = 'auditlog.outcome'::regtype;
SELECT pg_column_size('failure'::auditlog.outcome);

-- Anything else is refused, naming the value and listing the valid ones,
-- with SQLSTATE 22P02 (invalid_text_representation).
SELECT 'succes'::auditlog.outcome;
-- a long wrong value is shown clipped, not whole
SELECT repeat('x', 100000)::auditlog.outcome;
SELECT ''::auditlog.outcome;
SELECT ' success'::auditlog.outcome;
SELECT 'ok'::auditlog.outcome;
\echo :LAST_ERROR_SQLSTATE

-- Ordered success < failure < denied, with all six operators.
SELECT a, b, a < b AS lt, a <= b AS le, a = b AS eq, a <> b AS ne, a >= b AS ge, a > b AS gt
  FROM unnest('{success,failure,denied}'::auditlog.outcome[]) a,
       unnest('{success,failure,denied}'::auditlog.outcome[]) b
 ORDER BY a, b;
SELECT array_agg(o ORDER BY o) FROM unnest('{denied,success,failure,success}'::auditlog.outcome[]) o;
SELECT array_agg(o ORDER BY o DESC) FROM unnest('{denied,success,failure}'::auditlog.outcome[]) o;

-- Operators know their commutators and negators.
SELECT oprname, oprcom::regoperator, oprnegate::regoperator
  FROM pg_operator WHERE oprleft = 'auditlog.outcome'::regtype ORDER BY oprname;

-- Binary send/receive round-trips; receive refuses a byte that is no outcome.
SELECT auditlog.outcome_send(o) FROM unnest('{success,failure,denied}'::auditlog.outcome[]) o;
CREATE TABLE outcome_bin (o auditlog.outcome);
INSERT INTO outcome_bin VALUES ('success'), ('failure'), ('denied');
COPY outcome_bin TO '/tmp/auditlog_outcome.bin' WITH (FORMAT binary);
CREATE TABLE outcome_bin2 (o auditlog.outcome);
COPY outcome_bin2 FROM '/tmp/auditlog_outcome.bin' WITH (FORMAT binary);
SELECT * FROM outcome_bin2;
-- a binary row whose byte is 7: header, one tuple of one 1-byte field, trailer
COPY outcome_bin2 FROM PROGRAM
  'printf ''PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0\0\1\0\0\0\1\7\377\377'''
  WITH (FORMAT binary);
DROP TABLE outcome_bin, outcome_bin2;

-- DISTINCT, GROUP BY and hash joins use the hash opclass: without it the
-- planner could only sort, and would show no HashAggregate here.
SET enable_sort = off;
EXPLAIN (COSTS OFF)
SELECT o, count(*) FROM unnest('{denied,success,failure,success,denied,denied}'::auditlog.outcome[]) o GROUP BY o;
SELECT o, count(*) FROM unnest('{denied,success,failure,success,denied,denied}'::auditlog.outcome[]) o
 GROUP BY o ORDER BY o;
EXPLAIN (COSTS OFF)
SELECT DISTINCT o FROM unnest('{denied,success,failure,success}'::auditlog.outcome[]) o;
RESET enable_sort;
SELECT auditlog.outcome_hash('success') = auditlog.outcome_hash('Success');
-- with seed 0, the extended hash keeps the standard hash in its low 32 bits
SELECT bool_and((auditlog.outcome_hash_extended(o, 0) & 4294967295) = (auditlog.outcome_hash(o)::bigint & 4294967295))
  FROM unnest('{success,failure,denied}'::auditlog.outcome[]) o;
SELECT auditlog.outcome_hash_extended('denied', 1) <> auditlog.outcome_hash_extended('denied', 0) AS seeded;

-- A btree index: deduplicated, used for equality and ranges.
CREATE TABLE outcomes (id int, o auditlog.outcome);
INSERT INTO outcomes SELECT g, (ARRAY['success','success','success','failure','denied'])[1 + g % 5]::auditlog.outcome
  FROM generate_series(1, 5000) g;
CREATE INDEX outcomes_o_btree ON outcomes (o);
ANALYZE outcomes;
SELECT count(*) FROM outcomes WHERE o = 'denied';
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM outcomes WHERE o > 'success';
SELECT count(*) FROM outcomes WHERE o > 'success';
SELECT count(*) FROM outcomes WHERE o <= 'failure';
-- equalimage lets btree deduplicate: the index stays far smaller than one entry per row
SELECT pg_relation_size('outcomes_o_btree') < 5000 * 16 AS deduplicated;
DROP INDEX outcomes_o_btree;

-- A hash index.
CREATE INDEX outcomes_o_hash ON outcomes USING hash (o);
EXPLAIN (COSTS OFF) SELECT count(*) FROM outcomes WHERE o = 'failure';
SELECT count(*) FROM outcomes WHERE o = 'failure';
RESET enable_seqscan;

-- A hash join on outcomes (enable_mergejoin off: a merge join would be as right).
SET enable_mergejoin = off;
EXPLAIN (COSTS OFF) SELECT * FROM outcomes o1 JOIN outcomes o2 USING (o) WHERE o1.id < 3;
RESET enable_mergejoin;

-- Selectivity estimators give row estimates from the statistics: of the 5000
-- rows, 3000 are success, 1000 failure and 1000 denied, and the planner
-- expects exactly that (without estimators it would guess 0.5% for "=" and
-- a third for a range).
CREATE FUNCTION pg_temp.estimated_rows(q text) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO plan;
    RETURN (plan->0->'Plan'->>'Plan Rows')::numeric;
END
$$;
SELECT op, pg_temp.estimated_rows(format('SELECT * FROM outcomes WHERE o %s %L', op, v)) AS estimated,
       (SELECT count(*) FROM outcomes WHERE CASE op WHEN '=' THEN o = v::auditlog.outcome
                                                  WHEN '<>' THEN o <> v::auditlog.outcome
                                                  WHEN '<' THEN o < v::auditlog.outcome
                                                  WHEN '<=' THEN o <= v::auditlog.outcome
                                                  WHEN '>' THEN o > v::auditlog.outcome
                                                  WHEN '>=' THEN o >= v::auditlog.outcome END) AS actual
  FROM (VALUES ('=', 'denied'), ('<>', 'success'), ('<', 'denied'), ('<=', 'failure'),
               ('>', 'success'), ('>=', 'failure')) AS t(op, v);
-- A join: 2 rows of o1 (both success) meet the 3000 success rows of o2.
SELECT pg_temp.estimated_rows('SELECT * FROM outcomes o1 JOIN outcomes o2 USING (o) WHERE o1.id < 3')
           BETWEEN 3000 AND 12000 AS join_estimate_within_2x,
       (SELECT count(*) FROM outcomes o1 JOIN outcomes o2 USING (o) WHERE o1.id < 3) AS actual;
DROP TABLE outcomes;

-- Display label for dashboards.
SELECT auditlog.outcome_label(o) FROM unnest('{success,failure,denied}'::auditlog.outcome[]) o;
