-- test/tap/setup/search_data.sql — the events, filter sets and reference queries
-- shared by the search tests (test/tap/search_*.sql and summary_counts.sql
-- include it with \ir after setup/common.sql; it is no test itself, and runs
-- inside the including test's transaction).
--
-- About 4,000 events over 2025, deterministic: times out of id order, pairs
-- of events at the same instant, dense runs of events around the daylight
-- saving changes of Paris and New York, and sentinels on the exact edges of
-- the 23-hour and 25-hour days of Paris.

SET LOCAL TimeZone = 'Europe/Paris';

-- With psql variable search_partitions set, the months January to July 2025
-- get their partitions first, so that the events are spread over seven
-- monthly partitions and the default one (August to December), as after
-- create_partitions() and an import of history.
\if :{?search_partitions}
SELECT auditlog.create_partitions('2025-01-01 00:00+00', '2025-08-01 00:00+00') AS made_partitions \gset
\endif

DO $$
DECLARE
    actors text[] := ARRAY['system', 'John Doe', 'Jane Roe', 'élodie durand', 'Zoë Ångström',
                           'bob', 'O''Brien "Ops"'];
    actions text[] := ARRAY['auth.login', 'auth.logout', 'credential.token_refresh',
                            'credential.create', 'connection.create', 'connection.update',
                            'connection.delete', 'report.export.csv', 'report.export.pdf',
                            'report.print'];
    i int;
    t timestamptz;
    a text;
    who int;
    rt text;
BEGIN
    FOR i IN 1..4000 LOOP
        IF i <= 3000 THEN
            -- spread over the year, out of id order; i and i + 1500 share a time
            t := timestamptz '2025-01-01 00:00 Europe/Paris'
                 + ((i * 7919) % 1500) * interval '5 hours 47 minutes 13 seconds';
        ELSIF i <= 3250 THEN
            t := timestamptz '2025-03-29 00:00 Europe/Paris' + (i - 3000) * interval '17 minutes';
        ELSIF i <= 3500 THEN
            t := timestamptz '2025-10-25 00:00 Europe/Paris' + (i - 3250) * interval '19 minutes';
        ELSIF i <= 3750 THEN
            t := timestamptz '2025-03-08 00:00 America/New_York' + (i - 3500) * interval '17 minutes';
        ELSE
            t := timestamptz '2025-11-01 00:00 America/New_York' + (i - 3750) * interval '19 minutes';
        END IF;
        a := actions[1 + (i * 7) % 10];
        rt := nullif(split_part(a, '.', 1), 'auth');
        who := (i * 3) % 7;
        PERFORM auditlog.import_event(
            t, a, rt,
            CASE WHEN rt IS NOT NULL THEN rt || '-' || (i % 23) END,
            CASE WHEN i % 11 = 0 THEN 'failure' WHEN i % 13 = 0 THEN 'denied' ELSE 'success' END::auditlog.outcome,
            jsonb_build_object('n', i),
            actor => actors[1 + who],
            actor_id => CASE WHEN who > 0 THEN 'u-' || who END,
            org_id => CASE WHEN i % 4 > 0 THEN 'org-' || (i % 3) END);
    END LOOP;

    -- the edges of Paris' 23-hour day (2025-03-30) and 25-hour day (2025-10-26)
    PERFORM auditlog.import_event(v.at::timestamptz, 'dst.edge', actor => 'DST Sentinel',
                                  details => jsonb_build_object('at', v.at))
       FROM (VALUES ('2025-03-29 23:59:59.999999+01'), ('2025-03-30 00:00:00+01'),
                    ('2025-03-30 01:59:59+01'), ('2025-03-30 03:00:00+02'),
                    ('2025-03-30 23:59:59.999999+02'), ('2025-03-31 00:00:00+02'),
                    ('2025-10-25 23:59:59.999999+02'), ('2025-10-26 00:00:00+02'),
                    ('2025-10-26 02:30:00+02'), ('2025-10-26 02:30:00+01'),
                    ('2025-10-26 23:59:59.999999+01'), ('2025-10-27 00:00:00+01')) AS v(at);
END
$$;

-- The filter sets every test runs through: each filter alone, in
-- combination, values no event has, and the days around the DST changes.
CREATE TEMP TABLE search_combos (
    n int PRIMARY KEY,
    actor text,
    action text,
    resource_type text,
    from_date date,
    to_date date,
    outcome auditlog.outcome,
    resource_id text,
    org_id text
);
INSERT INTO search_combos VALUES
    (1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (2, 'system', NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (3, 'élodie durand', NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (4, 'Nobody At All', NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (5, NULL, 'auth.login', NULL, NULL, NULL, NULL, NULL, NULL),
    (6, NULL, 'credential.*', NULL, NULL, NULL, NULL, NULL, NULL),
    (7, NULL, 'report.export.*', NULL, NULL, NULL, NULL, NULL, NULL),
    (8, NULL, 'report.*', NULL, NULL, NULL, NULL, NULL, NULL),
    (9, NULL, 'never.happened', NULL, NULL, NULL, NULL, NULL, NULL),
    (10, 'John Doe', 'auth.*', NULL, NULL, NULL, NULL, NULL, NULL),
    (11, NULL, NULL, 'connection', NULL, NULL, NULL, NULL, NULL),
    (12, NULL, NULL, 'connection', NULL, NULL, NULL, 'connection-5', NULL),
    (13, NULL, NULL, NULL, NULL, NULL, NULL, 'report-7', NULL),
    (14, NULL, NULL, NULL, NULL, NULL, 'failure', NULL, NULL),
    (15, NULL, 'connection.*', NULL, NULL, NULL, 'denied', NULL, NULL),
    (16, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'org-1'),
    (17, 'Jane Roe', NULL, NULL, NULL, NULL, 'success', NULL, 'org-2'),
    (18, NULL, NULL, NULL, '2025-03-30', '2025-03-30', NULL, NULL, NULL),
    (19, NULL, NULL, NULL, '2025-10-26', '2025-10-26', NULL, NULL, NULL),
    (20, NULL, NULL, NULL, '2025-03-09', '2025-03-09', NULL, NULL, NULL),
    (21, NULL, NULL, NULL, '2025-11-02', '2025-11-02', NULL, NULL, NULL),
    (22, NULL, NULL, NULL, '2025-02-01', '2025-02-28', NULL, NULL, NULL),
    (23, NULL, NULL, NULL, '2025-06-01', NULL, NULL, NULL, NULL),
    (24, NULL, NULL, NULL, NULL, '2025-01-31', NULL, NULL, NULL),
    (25, NULL, 'credential.*', NULL, '2025-04-01', '2025-06-30', 'success', NULL, NULL),
    (26, 'bob', 'connection.*', 'connection', '2025-01-01', '2025-12-31', 'success', NULL, 'org-1'),
    (27, NULL, NULL, NULL, '2024-12-31', '2024-12-31', NULL, NULL, NULL),
    (28, NULL, NULL, NULL, '-infinity', 'infinity', NULL, NULL, NULL),
    (29, NULL, NULL, 'nothing', NULL, NULL, NULL, NULL, NULL),
    (30, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'no-such-org'),
    (31, 'O''Brien "Ops"', NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (32, 'Zoë Ångström', NULL, NULL, '2025-10-01', '2025-12-31', NULL, NULL, NULL),
    (33, 'system', 'credential.token_refresh', 'credential', '2025-03-29', '2025-03-31', 'failure', NULL, NULL),
    (34, NULL, 'dst.*', NULL, '2025-03-30', '2025-03-30', NULL, NULL, NULL),
    (35, NULL, 'dst.edge', NULL, '2025-10-26', '2025-10-26', NULL, NULL, NULL),
    (36, NULL, NULL, 'report', NULL, NULL, 'denied', 'report-3', 'org-0');

-- The reference: plain SQL over auditlog.events, filters as DESIGN.md says.
CREATE FUNCTION pg_temp.ref_events(c search_combos) RETURNS SETOF auditlog.events
    LANGUAGE sql STABLE AS
$$
    SELECT e.*
      FROM auditlog.events e
     WHERE (c.actor IS NULL OR e.actor = c.actor)
       AND (c.action IS NULL OR e.action = c.action
            OR (c.action LIKE '%.*' AND starts_with(e.action, rtrim(c.action, '*'))))
       AND (c.resource_type IS NULL OR e.resource_type = c.resource_type)
       AND (c.from_date IS NULL OR e.occurred_at >= c.from_date::timestamptz)
       AND (c.to_date IS NULL OR e.occurred_at < (c.to_date + 1)::timestamptz)
       AND (c.outcome IS NULL OR e.outcome = c.outcome)
       AND (c.resource_id IS NULL OR e.resource_id = c.resource_id)
       AND (c.org_id IS NULL OR e.org_id = c.org_id)
$$;

-- The columns compared, in order. auditlog.events shows the labels in the
-- C collation of the dictionaries, search_row in the database's default
-- collation; comparing rows needs the same collation on both sides.
CREATE FUNCTION pg_temp.cols() RETURNS text LANGUAGE sql IMMUTABLE AS
$$
    SELECT 'id, occurred_at, actor, actor_id, action, resource_type, resource_id, outcome, '
           'org_id, details, db_user, client_addr, application_name, txid'
$$;
CREATE FUNCTION pg_temp.ref_cols() RETURNS text LANGUAGE sql IMMUTABLE AS
$$
    SELECT 'id, occurred_at, actor COLLATE "default", actor_id COLLATE "default", '
           'action COLLATE "default", resource_type COLLATE "default", '
           'resource_id COLLATE "default", outcome, org_id COLLATE "default", details, '
           'db_user COLLATE "default", client_addr, application_name COLLATE "default", txid'
$$;

-- SQL of a search() call with the filters of a set, and of its reference.
CREATE FUNCTION pg_temp.search_sql(c search_combos, page_size int, before_id bigint DEFAULT NULL,
                                   cols text DEFAULT pg_temp.cols())
    RETURNS text LANGUAGE sql STABLE AS
$$
    SELECT format('SELECT %s FROM auditlog.search(%L, %L, %L, %L::date, %L::date, %L::auditlog.outcome, %L, %L, %s, %L)',
                  cols, c.actor, c.action, c.resource_type, c.from_date, c.to_date, c.outcome,
                  c.resource_id, c.org_id, page_size, before_id)
$$;
CREATE FUNCTION pg_temp.ref_sql(c search_combos, page_size int) RETURNS text
    LANGUAGE sql STABLE AS
$$
    SELECT format('SELECT %s FROM pg_temp.ref_events((SELECT s FROM search_combos s WHERE s.n = %s)) '
                  'ORDER BY occurred_at DESC, id DESC LIMIT %s',
                  pg_temp.ref_cols(), c.n, page_size)
$$;
CREATE FUNCTION pg_temp.event_count(c search_combos) RETURNS bigint LANGUAGE sql STABLE AS
$$
    SELECT auditlog.event_count(c.actor, c.action, c.resource_type, c.from_date, c.to_date,
                                c.outcome, c.resource_id, c.org_id)
$$;
CREATE FUNCTION pg_temp.ref_count(c search_combos) RETURNS bigint LANGUAGE sql STABLE AS
$$
    SELECT count(*) FROM pg_temp.ref_events(c)
$$;

-- Pages through a search with before_id until a page comes back empty.
-- Returns the ids in the order seen, the number of pages, whether every
-- row carried the same total_count (and which), and whether every page
-- but the last held exactly page_size rows (and the last no more).
CREATE FUNCTION pg_temp.page_through(c search_combos, page_size int,
    OUT ids bigint[], OUT pages int, OUT total bigint, OUT same_total boolean, OUT full_pages boolean)
    LANGUAGE plpgsql STABLE AS
$$
DECLARE
    page bigint[];
    totals bigint[];
    cursor_id bigint;
    short_seen boolean := false;
BEGIN
    ids := '{}';
    pages := 0;
    same_total := true;
    full_pages := true;
    LOOP
        SELECT coalesce(array_agg(s.id ORDER BY s.ord), '{}'), coalesce(array_agg(DISTINCT s.total_count), '{}')
          INTO page, totals
          FROM auditlog.search(c.actor, c.action, c.resource_type, c.from_date, c.to_date, c.outcome,
                               c.resource_id, c.org_id, page_size, cursor_id) WITH ORDINALITY AS s(
                   id, occurred_at, actor, actor_id, action, resource_type, resource_id, outcome,
                   org_id, details, db_user, client_addr, application_name, txid, total_count, ord);
        EXIT WHEN cardinality(page) = 0;
        IF short_seen OR cardinality(page) > page_size THEN
            full_pages := false;    -- only the last page may be short, none long
        END IF;
        short_seen := cardinality(page) < page_size;
        pages := pages + 1;
        IF cardinality(totals) <> 1 OR (total IS NOT NULL AND total <> totals[1]) THEN
            same_total := false;
        END IF;
        total := totals[1];
        ids := ids || page;
        cursor_id := page[cardinality(page)];
        IF pages > 100000 THEN
            RAISE EXCEPTION 'paging does not end';
        END IF;
    END LOOP;
END
$$;
