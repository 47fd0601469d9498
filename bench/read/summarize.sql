-- bench/read/summarize.sql — bring auditlog's precomputed counts up to date, as a
-- scheduled auditlog.summarize() would have done while the events arrived.
--
-- Run by bench/read.sh after the generator (unless SUMMARIZE=0: then search()
-- counts every event by hand). One call per transaction until a call adds
-- nothing: the first only records the horizon once the importing transactions
-- have ended, the next ones move the watermark to it.

\set ON_ERROR_STOP on

CREATE PROCEDURE bench_read.summarize_all()
    LANGUAGE plpgsql AS
$$
DECLARE
    v_t0 timestamptz := clock_timestamp();
    v_total bigint := 0;
    v_added bigint;
    v_calls int := 0;
BEGIN
    LOOP
        v_added := auditlog.summarize(100000000);
        v_calls := v_calls + 1;
        v_total := v_total + v_added;
        COMMIT;
        EXIT WHEN v_added = 0 AND v_calls > 1;
    END LOOP;
    UPDATE bench_read.meta
       SET summarize_s = round(extract(epoch FROM clock_timestamp() - v_t0)::numeric, 1),
           summarized = v_total;
    COMMIT;
END
$$;

CALL bench_read.summarize_all();
-- what autovacuum would do soon after: sums over the counts read only their index
VACUUM ANALYZE auditlog.event_counts;
