-- test/tap/search_results.sql — auditlog.search() returns exactly the rows plain
-- SQL over auditlog.events returns, newest first by (occurred_at, id), with
-- total_count = the number of matching events = auditlog.event_count(), for
-- every filter set of test/tap/setup/search_data.sql; and the sets with
-- dates again in four more time zones: from and to are whole days of the
-- session's time zone, both included, 23- and 25-hour days too. (A set
-- without dates reads no time zone: in another zone it is the same call,
-- through the same code, so it runs in one.) The events are spread over
-- monthly partitions and the default one.
BEGIN;
\ir setup/common.sql
\set search_partitions 1
\ir setup/search_data.sql
SELECT count(*) AS n_sets, count(*) FILTER (WHERE from_date IS NOT NULL OR to_date IS NOT NULL) AS n_dated
  FROM search_combos \gset
SELECT plan(1 + 3 * :n_sets + 4 * 3 * :n_dated + 8);

SELECT is((SELECT count(*) FROM auditlog.events WHERE details ? 'n'), 4000::bigint,
          'the 4000 generated events are there');

---------------------------------------------------------------------------
-- For each filter set: the first page of 50 (every column), its
-- total_count and event_count, against the reference query.
---------------------------------------------------------------------------
CREATE FUNCTION pg_temp.check_zone(zone text, dated_only boolean) RETURNS SETOF text LANGUAGE plpgsql AS
$$
DECLARE
    c search_combos;
BEGIN
    PERFORM set_config('TimeZone', zone, true);
    FOR c IN SELECT * FROM search_combos
              WHERE NOT dated_only OR from_date IS NOT NULL OR to_date IS NOT NULL ORDER BY n LOOP
        RETURN NEXT results_eq(pg_temp.search_sql(c, 50), pg_temp.ref_sql(c, 50),
                               format('%s, filter set %s: the first page holds the newest 50 matching events', zone, c.n));
        RETURN NEXT is((SELECT array_agg(DISTINCT s.total_count)
                          FROM auditlog.search(c.actor, c.action, c.resource_type, c.from_date, c.to_date,
                                               c.outcome, c.resource_id, c.org_id, 50) s),
                       nullif(ARRAY[pg_temp.ref_count(c)], '{0}'),
                       format('%s, filter set %s: every row carries the number of matching events', zone, c.n));
        RETURN NEXT is(pg_temp.event_count(c), pg_temp.ref_count(c),
                       format('%s, filter set %s: event_count() is that number', zone, c.n));
    END LOOP;
END
$$;

SELECT pg_temp.check_zone('Europe/Paris', false);
SELECT pg_temp.check_zone('America/New_York', true);
SELECT pg_temp.check_zone('UTC', true);
SELECT pg_temp.check_zone('Asia/Kolkata', true);
SELECT pg_temp.check_zone('Australia/Lord_Howe', true);   -- a 30-minute DST shift

---------------------------------------------------------------------------
-- The edges of Paris' 23-hour and 25-hour days, event by event.
---------------------------------------------------------------------------
SET LOCAL TimeZone = 'Europe/Paris';
SELECT is('2025-03-31'::date::timestamptz - '2025-03-30'::date::timestamptz, interval '23 hours',
          'in Paris, 2025-03-30 lasts 23 hours');
SELECT is('2025-10-27'::date::timestamptz - '2025-10-26'::date::timestamptz, interval '25 hours',
          'and 2025-10-26 lasts 25 hours');
SELECT is(array(SELECT details->>'at'
                  FROM auditlog.search(actor => 'DST Sentinel', from_date => '2025-03-30', to_date => '2025-03-30')),
          ARRAY['2025-03-30 23:59:59.999999+02', '2025-03-30 03:00:00+02',
                '2025-03-30 01:59:59+01', '2025-03-30 00:00:00+01'],
          'the 23-hour day holds its first and last instants, across the change, and nothing of its neighbours');
SELECT is(array(SELECT details->>'at'
                  FROM auditlog.search(actor => 'DST Sentinel', from_date => '2025-10-26', to_date => '2025-10-26')),
          ARRAY['2025-10-26 23:59:59.999999+01', '2025-10-26 02:30:00+01',
                '2025-10-26 02:30:00+02', '2025-10-26 00:00:00+02'],
          'the 25-hour day holds both 02:30s and its edges, and nothing of its neighbours');
SELECT is(array(SELECT details->>'at'
                  FROM auditlog.search(actor => 'DST Sentinel', from_date => '2025-03-29', to_date => '2025-03-31')),
          ARRAY['2025-03-31 00:00:00+02', '2025-03-30 23:59:59.999999+02', '2025-03-30 03:00:00+02',
                '2025-03-30 01:59:59+01', '2025-03-30 00:00:00+01', '2025-03-29 23:59:59.999999+01'],
          'three days around the change: from the start of the first to the end of the last');

-- The same dates mean other instants in another time zone.
SET LOCAL TimeZone = 'UTC';
SELECT is(array(SELECT details->>'at'
                  FROM auditlog.search(actor => 'DST Sentinel', from_date => '2025-03-30', to_date => '2025-03-30')),
          ARRAY['2025-03-31 00:00:00+02', '2025-03-30 23:59:59.999999+02', '2025-03-30 03:00:00+02',
                '2025-03-30 01:59:59+01'],
          'in UTC, 2025-03-30 is the UTC day');
SELECT is(auditlog.event_count(actor => 'DST Sentinel', from_date => '2025-10-26', to_date => '2025-10-26'),
          4::bigint,
          'and 2025-10-26 the UTC day too: from 02:00+02 to 01:00+01 the next day, Paris time');
SET LOCAL TimeZone = 'America/New_York';
SELECT is(auditlog.event_count(actor => 'DST Sentinel', from_date => '2025-03-30', to_date => '2025-03-30'),
          2::bigint,
          'in New York, 2025-03-30 starts at 06:00 and ends at 06:00 the next day, Paris time');

SELECT * FROM finish();
ROLLBACK;
