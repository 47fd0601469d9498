-- auditlog.search(): the dashboard's query. One call gives a page of the
-- matching events, newest first, each row carrying the number of events
-- that match the filters; event_count() gives that number alone, and
-- filter_options() the choices of the dropdowns.
--
-- It runs in a database of its own, so that the events shown are exactly
-- the ones written below (names sorted bytewise, whatever the locale).
SELECT current_database() AS regress_db \gset
SET client_min_messages = warning;
DROP DATABASE IF EXISTS auditlog_regress_search;
DROP ROLE IF EXISTS regress_auditlog_dashboard;
CREATE DATABASE auditlog_regress_search TEMPLATE template0 LC_COLLATE 'C';
\c auditlog_regress_search
SET client_min_messages = warning;
CREATE EXTENSION auditlog;
SET TimeZone = 'Europe/Paris';
SET DateStyle = 'ISO, YMD';

-- A few days of an organisation's log, with their original times.
SELECT count(auditlog.import_event(at, action, rt, rid, outcome::auditlog.outcome, NULL, actor, NULL, org)) AS imported
  FROM (VALUES
    ('2025-05-05 09:12:00+02'::timestamptz, 'auth.login', NULL, NULL, 'success', 'John Doe', 'acme'),
    ('2025-05-05 09:30:00+02', 'connection.create', 'connection', 'eae3a753', 'success', 'John Doe', 'acme'),
    ('2025-05-05 10:00:00+02', 'credential.token_refresh', 'connection', 'eae3a753', 'success', 'system', 'acme'),
    ('2025-05-06 02:00:00+02', 'credential.token_refresh', 'connection', 'eae3a753', 'failure', 'system', 'acme'),
    ('2025-05-06 08:45:00+02', 'auth.login', NULL, NULL, 'denied', 'Jane Roe', 'acme'),
    ('2025-05-06 08:46:00+02', 'auth.login', NULL, NULL, 'success', 'Jane Roe', 'acme'),
    ('2025-05-06 11:20:00+02', 'connection.update', 'connection', 'eae3a753', 'success', 'Jane Roe', 'acme'),
    ('2025-05-07 22:39:19+02', 'credential.token_refresh', 'connection', 'eae3a753', 'success', 'system', 'acme'),
    ('2025-05-07 22:39:19+02', 'credential.create', 'credential', 'k-17', 'success', 'system', 'acme'),
    ('2025-05-07 23:59:59+02', 'connection.delete', 'connection', 'b81c0e22', 'denied', 'élodie durand', 'globex'),
    ('2025-05-08 00:00:00+02', 'auth.logout', NULL, NULL, 'success', 'élodie durand', 'globex')
  ) AS v(at, action, rt, rid, outcome, actor, org);

-- Everything, newest first; two events at the same instant are ordered by id.
SELECT id, occurred_at, actor, action, resource_type, resource_id, outcome, org_id, total_count
  FROM auditlog.search();

-- Each filter, and any combination of them.
SELECT id, actor, action, total_count FROM auditlog.search(actor => 'system');
SELECT id, actor, action, total_count FROM auditlog.search(action => 'auth.login');
SELECT id, actor, action, total_count FROM auditlog.search(action => 'credential.*');
SELECT id, action, resource_type, resource_id, total_count
  FROM auditlog.search(resource_type => 'connection', resource_id => 'eae3a753', outcome => 'success');
SELECT id, actor, action, outcome, total_count FROM auditlog.search(outcome => 'denied');
SELECT id, actor, action, org_id, total_count FROM auditlog.search(org_id => 'globex');
SELECT id, actor, action, total_count FROM auditlog.search(actor => 'Jane Roe', action => 'auth.*', outcome => 'success');

-- Dates are whole days of the session's time zone, both included.
SELECT id, occurred_at, action, total_count FROM auditlog.search(from_date => '2025-05-07', to_date => '2025-05-07');
SELECT id, occurred_at, action, total_count FROM auditlog.search(from_date => '2025-05-06');
SELECT id, occurred_at, action, total_count FROM auditlog.search(to_date => '2025-05-05');
-- The same day in New York starts six hours later.
SET TimeZone = 'America/New_York';
SELECT id, occurred_at, action, total_count FROM auditlog.search(from_date => '2025-05-07', to_date => '2025-05-07');
SET TimeZone = 'Europe/Paris';

-- Unknown values match nothing, without an error.
SELECT count(*) FROM auditlog.search(actor => 'Nobody');
SELECT count(*) FROM auditlog.search(action => 'report.export');
SELECT count(*) FROM auditlog.search(resource_type => 'invoice');
SELECT count(*) FROM auditlog.search(from_date => '2024-01-01', to_date => '2024-12-31');

-- Pages: pass the last row's id as before_id for the next page, until a
-- page comes back empty. total_count stays the number of all matches.
SELECT id, occurred_at, action, total_count FROM auditlog.search(page_size => 4);
SELECT id AS last_id FROM auditlog.search(page_size => 4) ORDER BY occurred_at, id LIMIT 1 \gset
SELECT id, occurred_at, action, total_count FROM auditlog.search(page_size => 4, before_id => :last_id);
SELECT id AS last_id FROM auditlog.search(page_size => 4, before_id => :last_id) ORDER BY occurred_at, id LIMIT 1 \gset
SELECT id, occurred_at, action, total_count FROM auditlog.search(page_size => 4, before_id => :last_id);
SELECT id AS last_id FROM auditlog.search(page_size => 4, before_id => :last_id) ORDER BY occurred_at, id LIMIT 1 \gset
SELECT id, occurred_at, action, total_count FROM auditlog.search(page_size => 4, before_id => :last_id);

-- The count alone, for the same filters.
SELECT auditlog.event_count() AS all_events,
       auditlog.event_count(actor => 'system') AS system,
       auditlog.event_count(action => 'credential.*', from_date => '2025-05-06', to_date => '2025-05-07') AS credentials,
       auditlog.event_count(org_id => 'nowhere') AS nowhere;

-- The dropdowns: actors (system first), actions with their description,
-- resource types. kind names the search() argument the value goes to.
SELECT * FROM auditlog.filter_options();

-- Bad filters are errors that name the value.
SELECT * FROM auditlog.search(from_date => '2025-05-07', to_date => '2025-05-06');
SELECT * FROM auditlog.search(page_size => 0);
SELECT * FROM auditlog.search(page_size => 20000);
SELECT * FROM auditlog.search(page_size => NULL);
SELECT * FROM auditlog.search(before_id => 424242);
SELECT * FROM auditlog.search(action => 'credential');
SELECT * FROM auditlog.search(action => 'Auth.Login');
SELECT auditlog.event_count(action => 'auth.*.*');
SELECT * FROM auditlog.search(outcome => 'maybe');

-- Reading the log is granted, not open: a dashboard role needs EXECUTE on
-- the three functions, and nothing on the tables behind them.
CREATE ROLE regress_auditlog_dashboard;
SET ROLE regress_auditlog_dashboard;
SELECT count(*) FROM auditlog.search();
RESET ROLE;
GRANT EXECUTE ON FUNCTION
    auditlog.search(text, text, text, date, date, auditlog.outcome, text, text, integer, bigint),
    auditlog.event_count(text, text, text, date, date, auditlog.outcome, text, text),
    auditlog.filter_options()
  TO regress_auditlog_dashboard;
SET ROLE regress_auditlog_dashboard;
SELECT id, actor, action, total_count FROM auditlog.search(actor => 'system', page_size => 2);
SELECT auditlog.event_count(org_id => 'acme');
SELECT count(*) FROM auditlog.filter_options();
SELECT count(*) FROM auditlog.events;
RESET ROLE;

-- At scale: 3,000 generated events over 2025, compared with plain SQL over
-- auditlog.events for many filter sets and three time zones (including
-- the 23- and 25-hour days of Paris): first page, total_count, event_count,
-- and every page of 50. Only disagreements would be listed.
SELECT count(auditlog.import_event(
           timestamptz '2025-01-01 00:00 Europe/Paris' + ((i * 7919) % 1500) * interval '5 hours 47 minutes 13 seconds',
           (ARRAY['auth.login', 'auth.logout', 'credential.token_refresh', 'connection.create',
                  'connection.delete', 'report.export.csv', 'report.export.pdf'])[1 + (i * 3) % 7],
           outcome => CASE WHEN i % 11 = 0 THEN 'failure' WHEN i % 13 = 0 THEN 'denied' ELSE 'success' END::auditlog.outcome,
           actor => (ARRAY['system', 'John Doe', 'Jane Roe', 'élodie durand', 'bob'])[1 + i % 5],
           org_id => CASE WHEN i % 4 > 0 THEN 'org-' || (i % 3) END)) AS generated
  FROM generate_series(1, 3000) AS i;

CREATE TEMP TABLE filter_sets (n int, actor text, action text, from_date date, to_date date,
                               outcome auditlog.outcome, org_id text);
INSERT INTO filter_sets VALUES
    (1, NULL, NULL, NULL, NULL, NULL, NULL),
    (2, 'system', NULL, NULL, NULL, NULL, NULL),
    (3, NULL, 'auth.login', NULL, NULL, NULL, NULL),
    (4, NULL, 'report.export.*', NULL, NULL, NULL, NULL),
    (5, NULL, 'credential.*', NULL, NULL, 'failure', NULL),
    (6, 'élodie durand', 'connection.*', NULL, NULL, NULL, 'org-1'),
    (7, NULL, NULL, '2025-03-30', '2025-03-30', NULL, NULL),
    (8, NULL, NULL, '2025-10-26', '2025-10-26', NULL, NULL),
    (9, NULL, NULL, '2025-02-01', '2025-02-28', 'denied', NULL),
    (10, 'bob', NULL, '2025-06-01', NULL, NULL, 'org-2'),
    (11, NULL, 'auth.*', NULL, '2025-01-31', NULL, NULL),
    (12, 'Nobody', NULL, NULL, NULL, NULL, NULL);

-- The reference: plain SQL, as the filters are defined.
CREATE FUNCTION pg_temp.plain(f filter_sets) RETURNS SETOF auditlog.events LANGUAGE sql STABLE AS $$
    SELECT e.* FROM auditlog.events e
     WHERE (f.actor IS NULL OR e.actor = f.actor)
       AND (f.action IS NULL OR e.action = f.action
            OR (f.action LIKE '%.*' AND starts_with(e.action, rtrim(f.action, '*'))))
       AND (f.from_date IS NULL OR e.occurred_at >= f.from_date::timestamptz)
       AND (f.to_date IS NULL OR e.occurred_at < (f.to_date + 1)::timestamptz)
       AND (f.outcome IS NULL OR e.outcome::text = f.outcome::text)
       AND (f.org_id IS NULL OR e.org_id = f.org_id)
$$;
-- Every page of 50, one after the other; the ids in order and the totals seen.
CREATE FUNCTION pg_temp.all_pages(f filter_sets, OUT ids bigint[], OUT totals bigint[])
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    page bigint[];
BEGIN
    ids := '{}';
    totals := '{}';
    LOOP
        SELECT coalesce(array_agg(s.id ORDER BY s.ordinality), '{}'),
               totals || coalesce(array_agg(DISTINCT s.total_count), '{}')
          INTO page, totals
          FROM auditlog.search(f.actor, f.action, NULL, f.from_date, f.to_date, f.outcome, NULL, f.org_id,
                               50, ids[cardinality(ids)]) WITH ORDINALITY AS s;
        EXIT WHEN cardinality(page) = 0;
        ids := ids || page;
    END LOOP;
END
$$;
CREATE FUNCTION pg_temp.disagreements(in_zone text) RETURNS TABLE (zone text, n int, what text)
    LANGUAGE plpgsql AS $$
DECLARE
    f filter_sets;
    want bigint[];
    got record;
BEGIN
    PERFORM set_config('TimeZone', in_zone, true);
    FOR f IN SELECT * FROM filter_sets ORDER BY 1 LOOP
        want := array(SELECT p.id FROM pg_temp.plain(f) p ORDER BY p.occurred_at DESC, p.id DESC);
        n := f.n;
        zone := in_zone;
        IF array(SELECT s.id FROM auditlog.search(f.actor, f.action, NULL, f.from_date, f.to_date,
                                                  f.outcome, NULL, f.org_id, 100) s)
           IS DISTINCT FROM want[1:100] THEN
            what := 'first page';
            RETURN NEXT;
        END IF;
        IF (SELECT array_agg(DISTINCT s.total_count)
              FROM auditlog.search(f.actor, f.action, NULL, f.from_date, f.to_date,
                                   f.outcome, NULL, f.org_id, 100) s)
           IS DISTINCT FROM nullif(ARRAY[cardinality(want)::bigint], '{0}') THEN
            what := 'total_count';
            RETURN NEXT;
        END IF;
        IF auditlog.event_count(f.actor, f.action, NULL, f.from_date, f.to_date, f.outcome, NULL, f.org_id)
           <> cardinality(want) THEN
            what := 'event_count';
            RETURN NEXT;
        END IF;
        SELECT * INTO got FROM pg_temp.all_pages(f);
        IF got.ids IS DISTINCT FROM want THEN
            what := 'pages';
            RETURN NEXT;
        END IF;
        IF cardinality(want) > 0 AND got.totals IS DISTINCT FROM
           array_fill(cardinality(want)::bigint, ARRAY[(cardinality(want) + 49) / 50]) THEN
            what := 'total_count of the pages';
            RETURN NEXT;
        END IF;
    END LOOP;
END
$$;

-- How many events each filter set matches, in Paris.
SELECT f.n, f.actor, f.action, f.from_date, f.to_date, f.outcome, f.org_id,
       auditlog.event_count(f.actor, f.action, NULL, f.from_date, f.to_date, f.outcome, NULL, f.org_id) AS events
  FROM filter_sets f ORDER BY f.n;

SELECT * FROM pg_temp.disagreements('Europe/Paris');
SELECT * FROM pg_temp.disagreements('America/New_York');
SELECT * FROM pg_temp.disagreements('Asia/Kolkata');

-- The read functions are PARALLEL SAFE: run in a parallel worker (the whole
-- query in one, with force_parallel_mode), they read the dictionaries with
-- the worker's snapshot and agree with the leader.
SELECT f.actor AS par_actor, f.action AS par_action,
       (SELECT count(*) FROM auditlog.search(actor => f.actor, action => f.action, page_size => 50)) AS par_page,
       auditlog.event_count(actor => f.actor, action => f.action) AS par_events,
       (SELECT count(*) FROM auditlog.filter_options()) AS par_options
  FROM filter_sets f WHERE f.actor IS NOT NULL AND f.action IS NOT NULL ORDER BY f.n LIMIT 1 \gset
SET force_parallel_mode = on;
SELECT count(*) = :par_page AS same_page_in_parallel
  FROM auditlog.search(actor => :'par_actor', action => :'par_action', page_size => 50);
SELECT auditlog.event_count(actor => :'par_actor', action => :'par_action') = :par_events AS same_count_in_parallel;
SELECT count(*) = :par_options AS same_options_in_parallel FROM auditlog.filter_options();
SELECT count(*) AS newest_page_in_parallel FROM auditlog.search(page_size => 50);
RESET force_parallel_mode;

\c :regress_db
SET client_min_messages = warning;
DROP DATABASE auditlog_regress_search;
DROP ROLE regress_auditlog_dashboard;
