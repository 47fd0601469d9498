-- test/tap/hardening_dates.sql -- the ends of the date range are bounds, not
-- errors: search() and event_count() with from_date or to_date at the
-- first or last day PostgreSQL knows (or beyond the timestamp range), in
-- time zones on both sides of UTC, count what they cover and nothing else.
BEGIN;
SELECT plan(4);

\ir setup/common.sql

SELECT auditlog.import_event('4714-12-01 00:00:00+00 BC', 'tap_dates.first');
SELECT auditlog.import_event('4000-06-15 12:00:00+00 BC', 'tap_dates.ancient');
SELECT auditlog.log_event('tap_dates.now');

-- Per date and zone: what search() and event_count() say, against count(*)
-- over the events by their day in that zone (the cast to date, which never
-- leaves the range).
CREATE TEMP TABLE tap_dates_cases AS
SELECT d::date AS day, z AS zone
  FROM unnest(ARRAY['4714-11-24 BC', '4714-11-25 BC', '4714-12-31 BC', '4713-01-01 BC', '2000-01-01',
                    '294276-11-30', '294276-12-31', '294277-01-01', '5874897-12-31']) d,
       unnest(ARRAY['UTC', 'Pacific/Kiritimati', 'America/Adak']) z;

CREATE FUNCTION pg_temp.tap_dates_check(from_side boolean) RETURNS TABLE (day date, zone text, ok boolean)
LANGUAGE plpgsql AS $$
DECLARE
    c record;
    expected bigint;
    counted bigint;
    searched bigint;
BEGIN
    FOR c IN SELECT * FROM tap_dates_cases LOOP
        PERFORM set_config('TimeZone', c.zone, true);
        IF from_side THEN
            SELECT count(*) INTO expected FROM tap_events e
             WHERE e.action LIKE 'tap_dates.%' AND e.occurred_at::date >= c.day;
            counted := auditlog.event_count(action => 'tap_dates.*', from_date => c.day);
            SELECT count(*) INTO searched FROM auditlog.search(action => 'tap_dates.*', from_date => c.day);
        ELSE
            SELECT count(*) INTO expected FROM tap_events e
             WHERE e.action LIKE 'tap_dates.%' AND e.occurred_at::date <= c.day;
            counted := auditlog.event_count(action => 'tap_dates.*', to_date => c.day);
            SELECT count(*) INTO searched FROM auditlog.search(action => 'tap_dates.*', to_date => c.day);
        END IF;
        day := c.day;
        zone := c.zone;
        ok := (counted = expected AND searched = expected);
        RETURN NEXT;
    END LOOP;
END
$$;

SELECT is((SELECT count(*)::int FROM pg_temp.tap_dates_check(true) WHERE NOT ok), 0,
          'from_date at every end of the range, in three zones: search and event_count count what it covers');
SELECT is((SELECT count(*)::int FROM pg_temp.tap_dates_check(false) WHERE NOT ok), 0,
          'and so does to_date');
SELECT is(auditlog.event_count(action => 'tap_dates.*', from_date => '4714-11-24 BC', to_date => '5874897-12-31'), 3::bigint,
          'the whole date range holds every event');
SELECT is((SELECT count(*) FROM auditlog.search(action => 'tap_dates.*', from_date => '5874897-12-31',
                                                to_date => '5874897-12-31')), 0::bigint,
          'the last day of the range holds none');

SELECT * FROM finish();
ROLLBACK;
