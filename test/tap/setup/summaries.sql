-- test/tap/setup/summaries.sql — what the tests of exact counts share
-- (summary_counts.sql, purge.sql): summarizing until caught up, the
-- summaries recomputed from the events grain by grain, and every filter set
-- of setup/search_data.sql checked in one time zone. Included with \ir
-- after setup/search_data.sql, in a database of the test's own; no test
-- itself.

-- Calls summarize(chunk) in a transaction of its own each time, until it
-- has returned 0 twice in a row with the watermark at the sequence's last
-- value (or, given 'upto', until the watermark reaches it). A call that
-- finds a transaction of this database in the way returns 0 and changes
-- nothing: the next one is made a moment later.
CREATE PROCEDURE pg_temp.summarize_all(chunk bigint DEFAULT 1000000, upto bigint DEFAULT NULL)
    LANGUAGE plpgsql AS
$$
DECLARE
    n bigint;
    zeros int := 0;
    calls int := 0;
    mark bigint;
    last bigint;
BEGIN
    LOOP
        n := auditlog.summarize(chunk);
        COMMIT;
        calls := calls + 1;
        SELECT s.summarized_upto INTO mark FROM auditlog.summary_state s;
        SELECT CASE WHEN q.is_called THEN q.last_value ELSE 0 END INTO last
          FROM auditlog.event_store_id_seq q;
        EXIT WHEN upto IS NOT NULL AND mark >= upto;
        zeros := CASE WHEN n = 0 THEN zeros + 1 ELSE 0 END;
        EXIT WHEN upto IS NULL AND zeros >= 2 AND mark = last;
        IF n = 0 THEN
            PERFORM pg_sleep(0.05);
        END IF;
        IF calls > 600 THEN
            RAISE EXCEPTION 'summarize() does not catch up: watermark %, last event id %', mark, last;
        END IF;
    END LOOP;
END
$$;

-- The summaries, grain by grain, are the counts of the events up to the
-- watermark, recomputed from auditlog.event_store: the totals of every row,
-- and the per-day counts of the month rows ('m', 'U'), day by day.
CREATE FUNCTION pg_temp.summaries_exact(stage text) RETURNS SETOF text LANGUAGE plpgsql AS
$$
DECLARE
    g record;
BEGIN
    FOR g IN SELECT * FROM (VALUES
            ('m', '0', $q$date_trunc('month', e.occurred_at, 'UTC')$q$, 'per UTC month', false, false),
            ('m', '0', $q$date_trunc('day', e.occurred_at, 'UTC')$q$, 'per UTC day', false, true),
            ('M', 'e.actor_ref', $q$date_trunc('month', e.occurred_at, 'UTC')$q$, 'per actor and UTC month', false, false),
            ('U', 'e.actor_ref', $q$date_trunc('month', e.occurred_at, 'UTC')$q$, 'per actor, UTC month and outcome', true, false),
            ('U', 'e.actor_ref', $q$date_trunc('day', e.occurred_at, 'UTC')$q$, 'per actor, UTC day and outcome', true, true),
            ('U', '0', $q$date_trunc('month', e.occurred_at, 'UTC')$q$, 'per UTC month and outcome', true, false),
            ('U', '0', $q$date_trunc('day', e.occurred_at, 'UTC')$q$, 'per UTC day and outcome', true, true),
            ('a', '0', $q$'-infinity'::timestamptz$q$, 'of all time', false, false),
            ('A', 'e.actor_ref', $q$'-infinity'::timestamptz$q$, 'per actor, of all time', false, false))
            AS v(grain, actor, bucket, label, actor_day, by_day)
    LOOP
        RETURN NEXT set_eq(
            format($q$SELECT c.actor_ref, %s AS bucket, c.action_ref, c.resource_type_ref, c.org_ref,
                             c.outcome::text, %s AS n
                        FROM auditlog.event_counts c %s WHERE c.grain = %L %s %s$q$,
                   CASE WHEN g.by_day THEN $q$c.bucket + (u.i - 1) * interval '24 hours'$q$ ELSE 'c.bucket' END,
                   CASE WHEN g.by_day THEN 'u.n' ELSE 'c.n' END,
                   CASE WHEN g.by_day THEN ', unnest(auditlog.day_counts_array(c.days)) WITH ORDINALITY AS u(n, i)' ELSE '' END,
                   g.grain,
                   CASE WHEN g.by_day THEN 'AND u.n <> 0' ELSE '' END,
                   -- 'U': per actor, and over all actors as actor 0
                   CASE WHEN g.grain <> 'U' THEN '' WHEN g.actor = '0' THEN 'AND c.actor_ref = 0'
                        ELSE 'AND c.actor_ref <> 0' END),
            format($q$SELECT %s AS actor_ref, %s AS bucket, %s AS action_ref,
                             %s AS resource_type_ref,
                             %s AS org_ref, e.outcome::text, count(*) AS n
                        FROM auditlog.event_store e
                       WHERE e.id <= (SELECT summarized_upto FROM auditlog.summary_state)
                       GROUP BY 1, 2, 3, 4, 5, 6$q$, g.actor, g.bucket,
                   CASE WHEN g.actor_day THEN '0' ELSE 'e.action_ref' END,
                   CASE WHEN g.actor_day THEN '0' ELSE 'coalesce(e.resource_type_ref, 0)' END,
                   CASE WHEN g.actor_day THEN '0' ELSE 'coalesce(e.org_ref, 0)' END),
            format('%s: the counts %s are those of the events up to the watermark', stage, g.label));
    END LOOP;
    RETURN NEXT is((SELECT count(*) FROM auditlog.event_counts c
                     WHERE c.days IS NOT NULL AND c.n <> (SELECT sum(x) FROM unnest(auditlog.day_counts_array(c.days)) x)),
                   0::bigint, format('%s: every month row''s total is the sum of its days', stage));
END
$$;

-- Every filter set in one time zone: the first page of 50 (every column;
-- when 'full'), total_count and event_count(), against the reference. With
-- 'dated_only', only the sets with a from_date or a to_date: a set without
-- dates reads no time zone, so in a second zone of the same stage it would
-- be the same call through the same code again.
CREATE FUNCTION pg_temp.check_zone(stage text, zone text, full_check boolean, dated_only boolean DEFAULT false,
                                   only_sets int[] DEFAULT NULL)
    RETURNS SETOF text LANGUAGE plpgsql AS
$$
DECLARE
    c search_combos;
BEGIN
    PERFORM set_config('TimeZone', zone, true);
    FOR c IN SELECT * FROM search_combos
              WHERE (NOT dated_only OR from_date IS NOT NULL OR to_date IS NOT NULL)
                AND (only_sets IS NULL OR n = ANY (only_sets)) ORDER BY n LOOP
        IF full_check THEN
            RETURN NEXT results_eq(pg_temp.search_sql(c, 50), pg_temp.ref_sql(c, 50),
                                   format('%s, %s, filter set %s: the first page holds the newest 50 matching events',
                                          stage, zone, c.n));
        END IF;
        RETURN NEXT is((SELECT array_agg(DISTINCT s.total_count)
                          FROM auditlog.search(c.actor, c.action, c.resource_type, c.from_date, c.to_date,
                                               c.outcome, c.resource_id, c.org_id, 50) s),
                       nullif(ARRAY[pg_temp.ref_count(c)], '{0}'),
                       format('%s, %s, filter set %s: every row carries the number of matching events',
                              stage, zone, c.n));
        RETURN NEXT is(pg_temp.event_count(c), pg_temp.ref_count(c),
                       format('%s, %s, filter set %s: event_count() is that number', stage, zone, c.n));
    END LOOP;
END
$$;

-- The watermark is at the last event id given out: every event is summarized.
CREATE FUNCTION pg_temp.caught_up(stage text) RETURNS text LANGUAGE sql AS
$$
    SELECT is((SELECT summarized_upto FROM auditlog.summary_state),
              (SELECT last_value FROM auditlog.event_store_id_seq),
              stage || ': the watermark is at the last event id')
$$;

