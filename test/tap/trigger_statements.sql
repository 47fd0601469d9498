-- test/tap/trigger_statements.sql — every way of changing rows is audited, one
-- event per row: multi-row INSERT, COPY, INSERT ... ON CONFLICT, MERGE,
-- writable CTEs, cascading foreign keys; the events follow the transaction
-- (a rolled-back savepoint or a failed statement leaves none) and are
-- visible to the next statement; big statements lose none.
BEGIN;
SELECT plan(24);

\ir setup/common.sql

CREATE TABLE tap_stmt_item (id int PRIMARY KEY, qty int, note text);
CREATE TABLE tap_stmt_tag (id int PRIMARY KEY, item int REFERENCES tap_stmt_item ON DELETE CASCADE, label text);
SELECT auditlog.register_table('tap_stmt_item');
SELECT auditlog.register_table('tap_stmt_tag');

---------------------------------------------------------------------------
-- Multi-row INSERT and COPY FROM: one event per row.
---------------------------------------------------------------------------
INSERT INTO tap_stmt_item VALUES (1, 1, 'a'), (2, 2, 'b'), (3, 3, 'c');
SELECT results_eq(
    $$SELECT resource_id, details FROM tap_events WHERE action = 'tap_stmt_item.create' ORDER BY id$$,
    $$VALUES ('1'::text, '{"new": {"id": 1, "qty": 1, "note": "a"}}'::jsonb),
             ('2', '{"new": {"id": 2, "qty": 2, "note": "b"}}'),
             ('3', '{"new": {"id": 3, "qty": 3, "note": "c"}}')$$,
    'a multi-row INSERT writes one create event per row, in row order');

COPY tap_stmt_item FROM stdin;
10	10	copied one
11	11	copied two
12	\N	copied three
\.
SELECT results_eq(
    $$SELECT resource_id, details FROM tap_events WHERE action = 'tap_stmt_item.create' AND CASE WHEN resource_id ~ '^[0-9]+$' THEN resource_id::int END >= 10 ORDER BY id$$,
    $$VALUES ('10'::text, '{"new": {"id": 10, "qty": 10, "note": "copied one"}}'::jsonb),
             ('11', '{"new": {"id": 11, "qty": 11, "note": "copied two"}}'),
             ('12', '{"new": {"id": 12, "qty": null, "note": "copied three"}}')$$,
    'COPY FROM writes one create event per row');

---------------------------------------------------------------------------
-- INSERT ... ON CONFLICT: create for new rows, update for conflicting ones
-- (only when something changed), nothing for DO NOTHING.
---------------------------------------------------------------------------
INSERT INTO tap_stmt_item VALUES (2, 20, 'ignored'), (4, 4, 'd')
    ON CONFLICT (id) DO UPDATE SET qty = EXCLUDED.qty;
SELECT results_eq(
    $$SELECT action, resource_id, details FROM tap_events
       WHERE resource_type = 'tap_stmt_item' AND resource_id IN ('2', '4') ORDER BY id$$,
    $$VALUES ('tap_stmt_item.create'::text, '2'::text, '{"new": {"id": 2, "qty": 2, "note": "b"}}'::jsonb),
             ('tap_stmt_item.update', '2', '{"old": {"qty": 2}, "new": {"qty": 20}}'),
             ('tap_stmt_item.create', '4', '{"new": {"id": 4, "qty": 4, "note": "d"}}')$$,
    'ON CONFLICT DO UPDATE: an update event for the conflicting row, a create event for the new one');
INSERT INTO tap_stmt_item VALUES (1, 1, 'a') ON CONFLICT (id) DO UPDATE SET qty = tap_stmt_item.qty;
SELECT is((SELECT count(*)::int FROM tap_events WHERE action = 'tap_stmt_item.update' AND resource_id = '1'), 0,
          'ON CONFLICT DO UPDATE that changes nothing writes no event');
INSERT INTO tap_stmt_item VALUES (1, 100, 'x'), (5, 5, 'e') ON CONFLICT DO NOTHING;
SELECT results_eq(
    $$SELECT action, resource_id FROM tap_events WHERE resource_type = 'tap_stmt_item' AND resource_id IN ('1', '5')
       ORDER BY id$$,
    $$VALUES ('tap_stmt_item.create'::text, '1'::text), ('tap_stmt_item.create', '5')$$,
    'ON CONFLICT DO NOTHING: the skipped row writes nothing, the new one its create event');

---------------------------------------------------------------------------
-- A writable CTE changing two registered tables: the events of both.
---------------------------------------------------------------------------
WITH changed AS (UPDATE tap_stmt_item SET note = 'tagged' WHERE id IN (1, 2) RETURNING id)
INSERT INTO tap_stmt_tag SELECT 100 + id, id, 'from cte' FROM changed;
SELECT results_eq(
    $$SELECT action, resource_id FROM tap_events
       WHERE (action = 'tap_stmt_item.update' AND details->'new'->>'note' = 'tagged') OR action = 'tap_stmt_tag.create'
       ORDER BY action, resource_id$$,
    $$VALUES ('tap_stmt_item.update'::text, '1'::text), ('tap_stmt_item.update', '2'),
             ('tap_stmt_tag.create', '101'), ('tap_stmt_tag.create', '102')$$,
    'a writable CTE over two registered tables writes the events of both');

---------------------------------------------------------------------------
-- MERGE: each action taken is its event.
---------------------------------------------------------------------------
MERGE INTO tap_stmt_item t
USING (VALUES (3, 300), (4, NULL), (6, 6)) AS s(id, qty) ON t.id = s.id
 WHEN MATCHED AND s.qty IS NULL THEN DELETE
 WHEN MATCHED THEN UPDATE SET qty = s.qty
 WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.qty, 'merged');
SELECT results_eq(
    $$SELECT action, resource_id FROM tap_events WHERE resource_type = 'tap_stmt_item' AND resource_id IN ('3', '4', '6')
       AND id > (SELECT max(id) FROM tap_events WHERE action = 'tap_stmt_tag.create') ORDER BY resource_id$$,
    $$VALUES ('tap_stmt_item.update'::text, '3'::text), ('tap_stmt_item.delete', '4'), ('tap_stmt_item.create', '6')$$,
    'MERGE writes an update, a delete and a create event');

---------------------------------------------------------------------------
-- A cascading foreign key: the cascaded deletes are events, visible at once.
---------------------------------------------------------------------------
DELETE FROM tap_stmt_item WHERE id = 1;
SELECT results_eq(
    $$SELECT action, resource_id FROM tap_events
       WHERE action IN ('tap_stmt_item.delete', 'tap_stmt_tag.delete') AND resource_id IN ('1', '101') ORDER BY action$$,
    $$VALUES ('tap_stmt_item.delete'::text, '1'::text), ('tap_stmt_tag.delete', '101')$$,
    'ON DELETE CASCADE: the cascaded delete is an event too');

---------------------------------------------------------------------------
-- Events are visible to the next statement of the same transaction, and
-- to later statements of a function.
---------------------------------------------------------------------------
CREATE FUNCTION pg_temp.insert_and_count(i int) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tap_stmt_item VALUES (i, i, 'in function');
    RETURN (SELECT count(*) FROM auditlog.events WHERE resource_type = 'tap_stmt_item' AND resource_id = i::text);
END
$$;
SELECT is(pg_temp.insert_and_count(20), 1, 'inside a function, the next statement sees the event');
UPDATE tap_stmt_item SET qty = 21 WHERE id = 20;
SELECT is((SELECT count(*)::int FROM tap_events WHERE action = 'tap_stmt_item.update' AND resource_id = '20'), 1,
          'the next statement of the transaction sees the event');

---------------------------------------------------------------------------
-- Savepoints: the events of a rolled-back part vanish with it; those of a
-- released one stay.
---------------------------------------------------------------------------
INSERT INTO tap_stmt_item VALUES (30, 1, 'kept before');
SAVEPOINT sp;
INSERT INTO tap_stmt_item VALUES (31, 1, 'rolled back');
UPDATE tap_stmt_item SET qty = 99 WHERE id = 30;
TRUNCATE tap_stmt_tag;
ROLLBACK TO SAVEPOINT sp;
SAVEPOINT sp2;
INSERT INTO tap_stmt_item VALUES (32, 1, 'released');
RELEASE SAVEPOINT sp2;
INSERT INTO tap_stmt_item VALUES (33, 1, 'kept after');
SELECT results_eq(
    $$SELECT action, resource_id FROM tap_events
       WHERE (resource_type = 'tap_stmt_item' AND resource_id IN ('30', '31', '32', '33'))
          OR action = 'tap_stmt_tag.truncate' ORDER BY id$$,
    $$VALUES ('tap_stmt_item.create'::text, '30'::text), ('tap_stmt_item.create', '32'), ('tap_stmt_item.create', '33')$$,
    'ROLLBACK TO SAVEPOINT removes the events (row and TRUNCATE) of the rolled-back part');

-- An exception caught in PL/pgSQL rolls back the events of its block.
DO $$
BEGIN
    BEGIN
        INSERT INTO tap_stmt_item VALUES (40, 1, 'caught');
        RAISE EXCEPTION 'undo';
    EXCEPTION WHEN raise_exception THEN
        NULL;
    END;
    INSERT INTO tap_stmt_item VALUES (41, 1, 'after the block');
END
$$;
SELECT results_eq(
    $$SELECT resource_id FROM tap_events WHERE resource_type = 'tap_stmt_item' AND resource_id IN ('40', '41')$$,
    $$VALUES ('41'::text)$$,
    'an exception block that catches an error drops the events of its block only');

-- A statement that fails writes no event, not even for the rows it had
-- already changed.
SELECT throws_ok($$INSERT INTO tap_stmt_item VALUES (50, 1, 'ok row'), (2, 1, 'duplicate key')$$,
                 '23505', NULL, 'a multi-row INSERT failing on its second row');
SELECT is((SELECT count(*)::int FROM tap_events WHERE resource_type = 'tap_stmt_item' AND resource_id = '50'), 0,
          'the failed statement left no event of its first row');
-- An UPDATE has no row order: which rows it changes before a failing one
-- depends on where they lie in the heap. This one fails on the second row it
-- changes, whichever that is, so that exactly one row was changed (and its
-- event queued) when it fails.
CREATE FUNCTION pg_temp.fail_second_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('tap.rows_seen', true) = '1' THEN
        RAISE EXCEPTION 'the second row fails' USING ERRCODE = 'check_violation';
    END IF;
    PERFORM set_config('tap.rows_seen', '1', true);
    RETURN NEW;
END
$$;
CREATE TRIGGER tap_fail_second BEFORE UPDATE ON tap_stmt_item
    FOR EACH ROW WHEN (NEW.note = 'fails part-way') EXECUTE FUNCTION pg_temp.fail_second_row();
SELECT throws_ok($$UPDATE tap_stmt_item SET note = 'fails part-way' WHERE id IN (2, 3, 5)$$,
                 '23514', 'the second row fails', 'an UPDATE failing on its second row');
DROP TRIGGER tap_fail_second ON tap_stmt_item;
SELECT is((SELECT count(*)::int FROM tap_events
            WHERE action = 'tap_stmt_item.update' AND details->'new'->>'note' = 'fails part-way'), 0,
          'the failed UPDATE left no event, not even of the row it had changed');

---------------------------------------------------------------------------
-- A statement of 5000 rows: every event is there (they are written in
-- batches of 1000), and seen by the next statement.
---------------------------------------------------------------------------
INSERT INTO tap_stmt_item SELECT g, g, 'bulk' FROM generate_series(1000, 5999) g;
SELECT results_eq(
    $$SELECT count(*)::int, count(DISTINCT resource_id)::int, min(resource_id::int), max(resource_id::int)
        FROM tap_events WHERE action = 'tap_stmt_item.create' AND details->'new'->>'note' = 'bulk'$$,
    $$VALUES (5000, 5000, 1000, 5999)$$,
    'a 5000-row INSERT writes 5000 create events, one per row');
UPDATE tap_stmt_item SET qty = -qty WHERE note = 'bulk';
DELETE FROM tap_stmt_item WHERE note = 'bulk';
SELECT results_eq(
    $$SELECT action, count(*)::int FROM tap_events
       WHERE resource_type = 'tap_stmt_item' AND resource_id ~ '^\d{4}$' GROUP BY action ORDER BY action$$,
    $$VALUES ('tap_stmt_item.create'::text, 5000), ('tap_stmt_item.delete', 5000), ('tap_stmt_item.update', 5000)$$,
    'and 5000 update and 5000 delete events');
SELECT ok((SELECT bool_and((details->'old'->>'qty')::int = -(details->'new'->>'qty')::int)
             FROM tap_events WHERE action = 'tap_stmt_item.update' AND resource_id ~ '^\d{4}$'),
          'each of the 5000 update events holds its own row''s change');

-- A big statement rolled back to a savepoint leaves none of its events,
-- even those already written in batches.
SAVEPOINT big;
INSERT INTO tap_stmt_item SELECT g, g, 'bulk rolled back' FROM generate_series(10000, 12499) g;
ROLLBACK TO SAVEPOINT big;
SELECT is((SELECT count(*)::int FROM tap_events WHERE resource_type = 'tap_stmt_item' AND resource_id ~ '^1\d{4}$'), 0,
          'a rolled-back 2500-row INSERT leaves no event');

---------------------------------------------------------------------------
-- session_replication_role = replica (what logical replication appliers and
-- some restore tools set) skips ordinary triggers, auditlog's included:
-- changes made in that mode are NOT audited. Only superusers can set it.
---------------------------------------------------------------------------
SET LOCAL session_replication_role = replica;
INSERT INTO tap_stmt_item VALUES (70, 1, 'replica');
UPDATE tap_stmt_item SET qty = 2 WHERE id = 70;
DELETE FROM tap_stmt_item WHERE id = 70;
TRUNCATE tap_stmt_tag;
SET LOCAL session_replication_role = origin;
SELECT is((SELECT count(*)::int FROM tap_events
            WHERE (resource_type = 'tap_stmt_item' AND resource_id = '70') OR action = 'tap_stmt_tag.truncate'), 0,
          'under session_replication_role = replica no event is written');
INSERT INTO tap_stmt_item VALUES (71, 1, 'origin');
SELECT is((SELECT count(*)::int FROM tap_events WHERE resource_type = 'tap_stmt_item' AND resource_id = '71'), 1,
          'back to origin, changes are audited again');

---------------------------------------------------------------------------
-- TRUNCATE of several tables (and CASCADE): one event per table.
---------------------------------------------------------------------------
TRUNCATE tap_stmt_item CASCADE;
SELECT results_eq(
    $$SELECT action, details FROM tap_events WHERE action LIKE 'tap\_stmt\_%.truncate' ORDER BY action$$,
    $$VALUES ('tap_stmt_item.truncate'::text, '{"table": "public.tap_stmt_item"}'::jsonb),
             ('tap_stmt_tag.truncate', '{"table": "public.tap_stmt_tag"}')$$,
    'TRUNCATE ... CASCADE writes an event for each table it empties');

-- In all, each statement above is accounted for; no event is duplicated.
SELECT is((SELECT count(*)::int FROM (SELECT action, resource_id, details FROM tap_events
                                        WHERE resource_type IN ('tap_stmt_item', 'tap_stmt_tag')
                                       GROUP BY 1, 2, 3 HAVING count(*) > 1
                                          AND action NOT LIKE '%.truncate') d), 0,
          'no event is written twice');

SELECT * FROM finish();
ROLLBACK;
