-- test/tap/export_filters.sql - export() takes search()'s filters and gives
-- exactly the matching events, each once, in id order: every filter set of
-- test/tap/setup/search_data.sql against plain SQL over auditlog.events,
-- in two time zones; and over many windows of ids (the export reads the
-- store a window at a time), dense and sparse, across gaps in the ids.
BEGIN;
SELECT plan(7);
\ir setup/common.sql
\ir setup/search_data.sql

-- The filter sets whose export differs from the reference: ids in id
-- order, one line each.
CREATE FUNCTION pg_temp.export_mismatches() RETURNS int[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg(c.n ORDER BY c.n), '{}')
      FROM search_combos c
     WHERE array(SELECT (l::jsonb->>'id')::bigint
                   FROM auditlog.export(c.actor, c.action, c.resource_type, c.from_date, c.to_date, c.outcome,
                                        c.resource_id, c.org_id) WITH ORDINALITY AS x(l, o) ORDER BY o)
           IS DISTINCT FROM array(SELECT r.id FROM pg_temp.ref_events(c) r ORDER BY r.id)
$$;
SELECT is(pg_temp.export_mismatches(), '{}'::int[],
          'Europe/Paris: every filter set exports exactly its events, in id order');
SET LOCAL TimeZone = 'America/New_York';
SELECT is(pg_temp.export_mismatches(), '{}'::int[], 'America/New_York: the dates are whole days of the session too');
SET LOCAL TimeZone = 'Europe/Paris';
SELECT is((SELECT count(*) FROM search_combos c
            WHERE (SELECT count(*) FROM auditlog.export(c.actor, c.action, c.resource_type, c.from_date, c.to_date,
                                                        c.outcome, c.resource_id, c.org_id, 'csv'))
                  <> pg_temp.event_count(c) + 1),
          0::bigint, 'as CSV, a header and a line per event that event_count() counts');

-- Many windows: 100000 more events, with gaps in the ids (rolled back),
-- every 997th of another actor.
DO $$
BEGIN
    FOR i IN 1..10 LOOP
        BEGIN
            PERFORM auditlog.import_event('2025-06-01 12:00+00', 'window.gap', actor => 'gap')
               FROM generate_series(1, 500);
            RAISE EXCEPTION 'roll back';
        EXCEPTION WHEN raise_exception THEN
            NULL;
        END;
        PERFORM auditlog.import_event('2025-06-01 12:00+00'::timestamptz + g * interval '1 second', 'window.test',
                                      actor => CASE WHEN g % 997 = 0 THEN 'rare' ELSE 'many' END)
           FROM generate_series(1, 10000) AS g;
    END LOOP;
END
$$;
SELECT is((SELECT count(*) FROM auditlog.events WHERE action = 'window.gap'), 0::bigint,
          'the rolled-back events left gaps in the ids');
CREATE TEMP TABLE exported AS
    SELECT (l::jsonb->>'id')::bigint AS id, o FROM auditlog.export(action => 'window.*') WITH ORDINALITY AS x(l, o);
SELECT ok((SELECT count(*) = (SELECT count(*) FROM auditlog.events WHERE action = 'window.test')
                  AND count(DISTINCT id) = count(*)
                  AND bool_and(id > prev)
             FROM (SELECT id, lag(id, 1, 0::bigint) OVER (ORDER BY o) AS prev FROM exported) x),
          'over many windows, every event once, in id order');
SELECT set_eq('SELECT id FROM exported', $$SELECT id FROM auditlog.events WHERE action = 'window.test'$$,
              'and exactly those events');
SELECT is(array(SELECT (l::jsonb->>'id')::bigint FROM auditlog.export(actor => 'rare') l),
          array(SELECT id FROM auditlog.events WHERE actor = 'rare' ORDER BY id),
          'a rare filter, a few events in many windows, too');

SELECT * FROM finish();
ROLLBACK;
