-- test/tap/log_event_queue.sql — log_event and import_event queue their
-- events and write them in batches; nothing a caller can see may differ
-- from an event written at once.
--
-- The id is the caller's as soon as the call returns, the next query of the
-- transaction (plpgsql's included) sees the event, ids follow the order of
-- the calls and of the row events around them, and a rolled-back savepoint
-- or EXCEPTION block takes its events with it.
BEGIN;
SELECT plan(25);
\ir setup/common.sql

-- plpgsql: an event logged by a simple expression, then read by the next statement
CREATE FUNCTION tap_q_log_then_read() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    i bigint;
    n bigint;
BEGIN
    i := auditlog.log_event('tapq.first', resource_type => 'tapq', resource_id => 'r1');
    SELECT count(*) INTO n FROM auditlog.events WHERE id = i AND action = 'tapq.first';
    RETURN n;
END
$$;
SELECT is(tap_q_log_then_read(), 1::bigint,
          'a plpgsql function reads the event it has just logged');

CREATE FUNCTION tap_q_perform_then_count() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    PERFORM auditlog.log_event('tapq.perform');
    PERFORM auditlog.import_event(now() - interval '40 days', 'tapq.perform');
    RETURN (SELECT count(*) FROM auditlog.events WHERE action = 'tapq.perform');
END
$$;
SELECT is(tap_q_perform_then_count(), 2::bigint,
          'and so after PERFORM, for log_event and import_event alike');

-- the returned id is the event's
SELECT auditlog.log_event('tapq.returned', resource_type => 'tapq', resource_id => 'ret-1') AS ret_id \gset
SELECT is((SELECT resource_id FROM auditlog.events WHERE id = :ret_id), 'ret-1',
          'the id log_event returns is the id of its event');

-- ids follow the order of things, row events included
CREATE TABLE tap_q_rows (id int PRIMARY KEY);
SELECT auditlog.register_table('tap_q_rows');
CREATE FUNCTION tap_q_interleave() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tap_q_rows VALUES (1);
    PERFORM auditlog.log_event('tapq.between');
    INSERT INTO tap_q_rows VALUES (2);
    PERFORM auditlog.log_event('tapq.after');
END
$$;
SELECT tap_q_interleave();
SELECT is(array(SELECT action || coalesce(':' || resource_id, '') FROM auditlog.events
                 WHERE action LIKE 'tap_q_rows.%' OR action IN ('tapq.between', 'tapq.after')
                 ORDER BY id),
          ARRAY['tap_q_rows.create:1', 'tapq.between', 'tap_q_rows.create:2', 'tapq.after'],
          'ids follow the order of row events and log_event calls');

-- savepoints
SAVEPOINT s1;
SELECT auditlog.log_event('tapq.rolled_back');
ROLLBACK TO SAVEPOINT s1;
SAVEPOINT s2;
SELECT auditlog.log_event('tapq.released');
RELEASE SAVEPOINT s2;
SELECT is((SELECT count(*) FROM auditlog.events WHERE action = 'tapq.rolled_back'), 0::bigint,
          'an event of a rolled-back savepoint is gone');
SELECT is((SELECT count(*) FROM auditlog.events WHERE action = 'tapq.released'), 1::bigint,
          'an event of a released savepoint stays');

-- EXCEPTION blocks
CREATE FUNCTION tap_q_blocks() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        PERFORM auditlog.log_event('tapq.block_failed');
        RAISE EXCEPTION 'refused';
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
    BEGIN
        PERFORM auditlog.log_event('tapq.block_ok');
    EXCEPTION WHEN others THEN
        NULL;
    END;
END
$$;
SELECT tap_q_blocks();
SELECT is((SELECT count(*) FROM auditlog.events WHERE action = 'tapq.block_failed'), 0::bigint,
          'an event of an EXCEPTION block that failed is gone');
SELECT is((SELECT count(*) FROM auditlog.events WHERE action = 'tapq.block_ok'), 1::bigint,
          'an event of a block that ended well stays');

-- an EXCEPTION block entered after the call: its queries see the event too,
-- and a block that fails does not take it away
CREATE FUNCTION tap_q_read_in_block(fail boolean) RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE
    i bigint;
    inside bigint;
    after bigint;
BEGIN
    i := auditlog.log_event('tapq.before_block');
    BEGIN
        SELECT count(*) INTO inside FROM auditlog.events WHERE id = i;
        IF fail THEN
            RAISE EXCEPTION 'refused';
        END IF;
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
    SELECT count(*) INTO after FROM auditlog.events WHERE id = i;
    RETURN ARRAY[inside, after];
END
$$;
SELECT is(tap_q_read_in_block(false), ARRAY[1, 1]::bigint[],
          'a block entered after log_event reads its event, and so does what follows');
SELECT is(tap_q_read_in_block(true), ARRAY[1, 1]::bigint[],
          'a block that fails after reading it does not take the event away');
SELECT is((SELECT count(*) FROM auditlog.events WHERE action = 'tapq.before_block'), 2::bigint,
          'one event per call');
SELECT is((SELECT count(DISTINCT id) FROM auditlog.events WHERE action = 'tapq.before_block'), 2::bigint,
          'none written twice');

-- a statement that fails after logging
SAVEPOINT s3;
SELECT throws_ok($$SELECT auditlog.log_event('tapq.failed_statement'), 1 / 0$$, '22012', NULL,
                 'a statement that fails after log_event fails');
ROLLBACK TO SAVEPOINT s3;
SELECT is((SELECT count(*) FROM auditlog.events WHERE action = 'tapq.failed_statement'), 0::bigint,
          'and leaves no event');

-- more events than one batch, in one statement
CREATE TEMP TABLE tap_q_ids AS
SELECT g, auditlog.log_event('tapq.bulk', resource_type => 'tapq', resource_id => 'b' || g) AS id
  FROM generate_series(1, 2500) AS g;
SELECT is((SELECT count(*) FROM auditlog.events WHERE action = 'tapq.bulk'), 2500::bigint,
          'every event of a statement of 2500 calls is written');
SELECT is((SELECT count(*) FROM tap_q_ids q JOIN auditlog.events e ON e.id = q.id
            WHERE e.resource_id = 'b' || q.g), 2500::bigint,
          'each under the id its call returned');
SELECT is((SELECT count(*) FROM tap_q_ids a JOIN tap_q_ids b ON b.g = a.g + 1 WHERE b.id <= a.id), 0::bigint,
          'ids increase with the calls');

-- import_event across months, in one statement
SELECT is((SELECT count(auditlog.import_event(now() - make_interval(days => 35 * g), 'tapq.import',
                                              resource_type => 'tapq', resource_id => 'i' || g))
             FROM generate_series(1, 12) AS g), 12::bigint, 'twelve imports into twelve months');
SELECT is((SELECT count(*) FROM auditlog.events
            WHERE action = 'tapq.import'
              AND occurred_at = now() - make_interval(days => 35 * substr(resource_id, 2)::int)),
          12::bigint, 'each at its own time');
SELECT is((SELECT count(*) FROM auditlog.events WHERE action = 'tapq.import' AND (details ->> 'imported')::boolean),
          12::bigint, 'each marked imported');
-- with and without details of their own, alternating in one statement: the
-- mark merged into one event's details is not changed by it for the next
SELECT is((SELECT count(auditlog.import_event(now() - make_interval(days => g), 'tapq.import_mix',
                                              details => CASE WHEN g % 2 = 0 THEN jsonb_build_object('n', g) END))
             FROM generate_series(1, 6) AS g), 6::bigint, 'six imports, every other one with details');
SELECT is((SELECT array_agg(details::text ORDER BY id) FROM auditlog.events WHERE action = 'tapq.import_mix'),
          ARRAY['{"imported": true}', '{"n": 2, "imported": true}', '{"imported": true}',
                '{"n": 4, "imported": true}', '{"imported": true}', '{"n": 6, "imported": true}'],
          'each keeps its own details, marked imported, and nothing of the others');

-- an event queued outside an EXCEPTION block is written inside it, and stays
-- queued until the block ends; the many events logged in the block meanwhile
-- leave the queue, and so does the memory that held their values
CREATE FUNCTION tap_q_block_loop(n int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    bytes bigint;
BEGIN
    BEGIN
        FOR i IN 1..n LOOP
            PERFORM auditlog.log_event('tapq.block_loop', resource_type => 'tapq', resource_id => 'l' || i,
                                       details => jsonb_build_object('i', i, 'pad', repeat('x', 2000)));
        END LOOP;
        SELECT sum(total_bytes) INTO bytes FROM pg_backend_memory_contexts WHERE name = 'auditlog queue';
    EXCEPTION WHEN division_by_zero THEN
        RETURN -1;
    END;
    RETURN bytes;
END
$$;
SELECT cmp_ok(q.bytes, '<', (16 * 1024 * 1024)::bigint,
              'the queue holds no more memory than the events still queued need (20000 events of 2 kB in an EXCEPTION block)')
  FROM (SELECT auditlog.log_event('tapq.block_outside') AS id, tap_q_block_loop(20000) AS bytes) AS q;
SELECT is((SELECT count(*) FROM auditlog.events WHERE action = 'tapq.block_loop'
              AND details ->> 'i' = substr(resource_id, 2) AND length(details ->> 'pad') = 2000),
          20000::bigint, 'every event of the block is written, with its own details');
SELECT is((SELECT count(*) FROM auditlog.events WHERE action = 'tapq.block_outside'), 1::bigint,
          'the event queued before the block is written once');

SELECT * FROM finish();
ROLLBACK;
