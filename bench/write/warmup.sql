-- bench/write/warmup.sql — run untimed in the session of each timed statement, first:
-- fires the table's triggers once and rolls back, so that loading a library, compiling
-- plpgsql and filling the session's caches are not part of the time.
BEGIN;
INSERT INTO :"tbl" (id, name, owner, status, config)
VALUES (-1, 'warm-up', 'nobody', 'active', '{}');
UPDATE :"tbl" SET status = 'paused', updated_at = clock_timestamp() WHERE id = -1;
DELETE FROM :"tbl" WHERE id = -1;
ROLLBACK;
