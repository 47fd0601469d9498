-- test/tap/trigger_partitions.sql — a partitioned table is registered as a
-- whole: every partition, present or future (PARTITION OF, ATTACH, several
-- levels deep), is audited under the parent's resource type; a detached
-- partition is a table of its own again, no longer audited.
BEGIN;
SELECT plan(28);

\ir setup/common.sql

CREATE TABLE tap_part_meas (id int, region text, v int, secret text, PRIMARY KEY (id, region))
    PARTITION BY LIST (region);
CREATE TABLE tap_part_meas_eu PARTITION OF tap_part_meas FOR VALUES IN ('eu');

---------------------------------------------------------------------------
-- Registering the parent audits the partitions it has.
---------------------------------------------------------------------------
SELECT auditlog.register_table('tap_part_meas', 'tap_measurement', redact_columns => '{secret}');
SELECT throws_ok($$SELECT auditlog.register_table('tap_part_meas_eu')$$, '42809', '"tap_part_meas_eu" is a partition',
                 'once the partitioned table is registered, its partitions cannot be registered on their own');

-- Partitions added later: PARTITION OF, ATTACH (columns in another order,
-- with a dropped column), and a partitioned partition with its own partitions.
CREATE TABLE tap_part_meas_us PARTITION OF tap_part_meas FOR VALUES IN ('us');
CREATE TABLE tap_part_meas_asia (secret text, gone int, v int, region text NOT NULL, id int NOT NULL);
ALTER TABLE tap_part_meas_asia DROP COLUMN gone;
ALTER TABLE tap_part_meas ATTACH PARTITION tap_part_meas_asia FOR VALUES IN ('asia');
CREATE TABLE tap_part_meas_other PARTITION OF tap_part_meas DEFAULT PARTITION BY RANGE (id);
CREATE TABLE tap_part_meas_other_low PARTITION OF tap_part_meas_other FOR VALUES FROM (MINVALUE) TO (1000);
CREATE TABLE tap_part_meas_other_high (id int NOT NULL, region text NOT NULL, v int, secret text);
ALTER TABLE tap_part_meas_other ATTACH PARTITION tap_part_meas_other_high FOR VALUES FROM (1000) TO (MAXVALUE);

SELECT is((SELECT count(*)::int FROM auditlog.registered_tables WHERE resource_type = 'tap_measurement'), 1,
          'a partitioned table registers: only the parent is listed in registered_tables');

---------------------------------------------------------------------------
-- Writes through the parent: every partition's rows are events of the
-- parent's resource type, with the key and redaction of the parent.
---------------------------------------------------------------------------
INSERT INTO tap_part_meas VALUES (1, 'eu', 1, 's'), (2, 'us', 1, 's'), (3, 'asia', 1, 's'),
                                 (4, 'af', 1, 's'), (2000, 'af', 1, 's');
SELECT results_eq(
    $$SELECT action, resource_type, resource_id, details FROM tap_events
       WHERE resource_type = 'tap_measurement' ORDER BY id$$,
    $$VALUES ('tap_measurement.create'::text, 'tap_measurement'::text, '["1", "eu"]'::text,
              '{"new": {"id": 1, "region": "eu", "v": 1}, "redacted": ["secret"]}'::jsonb),
             ('tap_measurement.create', 'tap_measurement', '["2", "us"]',
              '{"new": {"id": 2, "region": "us", "v": 1}, "redacted": ["secret"]}'),
             ('tap_measurement.create', 'tap_measurement', '["3", "asia"]',
              '{"new": {"id": 3, "region": "asia", "v": 1}, "redacted": ["secret"]}'),
             ('tap_measurement.create', 'tap_measurement', '["4", "af"]',
              '{"new": {"id": 4, "region": "af", "v": 1}, "redacted": ["secret"]}'),
             ('tap_measurement.create', 'tap_measurement', '["2000", "af"]',
              '{"new": {"id": 2000, "region": "af", "v": 1}, "redacted": ["secret"]}')$$,
    'rows of every partition (existing, PARTITION OF, attached, nested) are events of the parent''s type');

-- Writes straight into a partition are audited the same, and visible to
-- the next statement.
INSERT INTO tap_part_meas_eu VALUES (5, 'eu', 1, 's');
SELECT is((SELECT count(*)::int FROM tap_events WHERE resource_id = '["5", "eu"]'), 1,
          'an INSERT into an existing partition is an event');
INSERT INTO tap_part_meas_us VALUES (6, 'us', 1, 's');
SELECT is((SELECT count(*)::int FROM tap_events WHERE resource_id = '["6", "us"]'), 1,
          'an INSERT into a partition created later is an event');
INSERT INTO tap_part_meas_asia (id, region, v) VALUES (7, 'asia', 1);
SELECT is((SELECT count(*)::int FROM tap_events WHERE resource_id = '["7", "asia"]'), 1,
          'an INSERT into an attached partition is an event');
INSERT INTO tap_part_meas_other_high VALUES (3000, 'af', 1, 's');
SELECT is((SELECT count(*)::int FROM tap_events WHERE resource_id = '["3000", "af"]'), 1,
          'an INSERT into a partition two levels down is an event');

UPDATE tap_part_meas_asia SET v = 2, secret = 'x' WHERE id = 7;
SELECT is((SELECT details FROM tap_events WHERE action = 'tap_measurement.update' AND resource_id = '["7", "asia"]'),
          '{"old": {"v": 1}, "new": {"v": 2}, "redacted": ["secret"]}'::jsonb,
          'an attached partition with its columns in another order shows the same images');
DELETE FROM tap_part_meas WHERE id = 4;
SELECT is((SELECT details FROM tap_events WHERE action = 'tap_measurement.delete' AND resource_id = '["4", "af"]'),
          '{"old": {"id": 4, "region": "af", "v": 1}, "redacted": ["secret"]}'::jsonb,
          'a DELETE through the parent is an event');

-- An UPDATE that moves a row to another partition is a delete from the one
-- and a create in the other (that is how PostgreSQL fires row triggers).
UPDATE tap_part_meas SET region = 'us' WHERE id = 1;
SELECT results_eq(
    $$SELECT action, resource_id FROM tap_events
       WHERE resource_type = 'tap_measurement' AND resource_id IN ('["1", "eu"]', '["1", "us"]') ORDER BY id$$,
    $$VALUES ('tap_measurement.create'::text, '["1", "eu"]'::text),
             ('tap_measurement.delete', '["1", "eu"]'),
             ('tap_measurement.create', '["1", "us"]')$$,
    'moving a row across partitions: delete + create');

---------------------------------------------------------------------------
-- TRUNCATE: one event per emptied partition, each naming its partition.
---------------------------------------------------------------------------
TRUNCATE tap_part_meas;
SELECT results_eq(
    $$SELECT action, resource_id, details->>'table' FROM tap_events
       WHERE action = 'tap_measurement.truncate' ORDER BY details->>'table'$$,
    $$VALUES ('tap_measurement.truncate'::text, NULL::text, 'public.tap_part_meas_asia'::text),
             ('tap_measurement.truncate', NULL, 'public.tap_part_meas_eu'),
             ('tap_measurement.truncate', NULL, 'public.tap_part_meas_other_high'),
             ('tap_measurement.truncate', NULL, 'public.tap_part_meas_other_low'),
             ('tap_measurement.truncate', NULL, 'public.tap_part_meas_us')$$,
    'TRUNCATE of the parent: one event per leaf partition, under the parent''s resource type');
TRUNCATE tap_part_meas_eu;
SELECT is((SELECT count(*)::int FROM tap_events
            WHERE action = 'tap_measurement.truncate' AND details->>'table' = 'public.tap_part_meas_eu'), 2,
          'TRUNCATE of one partition: one more event for it');

---------------------------------------------------------------------------
-- Detaching: the partition is a table of its own, no longer audited, and
-- still writable.
---------------------------------------------------------------------------
ALTER TABLE tap_part_meas DETACH PARTITION tap_part_meas_asia;
SELECT lives_ok($$INSERT INTO tap_part_meas_asia VALUES ('s', 1, 'asia', 50)$$,
                'a detached partition is still writable');
SELECT lives_ok($$UPDATE tap_part_meas_asia SET v = 9$$, 'and updatable');
SELECT lives_ok($$TRUNCATE tap_part_meas_asia$$, 'and can be truncated');
SELECT is((SELECT count(*)::int FROM tap_events
            WHERE resource_id = '["50", "asia"]'
               OR (action = 'tap_measurement.truncate' AND details->>'table' = 'public.tap_part_meas_asia')), 1,
          'a detached partition writes no event (the one truncate event is from before)');
SELECT is_empty($$SELECT tgname FROM pg_trigger WHERE tgrelid = 'tap_part_meas_asia'::regclass$$,
                'a detached partition keeps no auditlog trigger');
ALTER TABLE tap_part_meas_other DETACH PARTITION tap_part_meas_other_high;
INSERT INTO tap_part_meas_other_high VALUES (4000, 'af', 1, 's');
SELECT is((SELECT count(*)::int FROM tap_events WHERE resource_id = '["4000", "af"]'), 0,
          'a partition detached two levels down is no longer audited either');

-- Attached again, it is audited again.
ALTER TABLE tap_part_meas ATTACH PARTITION tap_part_meas_asia FOR VALUES IN ('asia');
INSERT INTO tap_part_meas VALUES (51, 'asia', 1, 's');
SELECT is((SELECT count(*)::int FROM tap_events WHERE resource_id = '["51", "asia"]'), 1,
          'a partition attached again is audited again');

---------------------------------------------------------------------------
-- Unregistering the parent stops the auditing of every partition.
---------------------------------------------------------------------------
SELECT auditlog.unregister_table('tap_part_meas');
SELECT is_empty($$SELECT tgrelid::regclass FROM pg_trigger
                   WHERE tgname LIKE 'auditlog%' AND tgrelid::regclass::text LIKE 'tap_part_meas%'$$,
                'unregistering the parent removes the triggers of every partition');
INSERT INTO tap_part_meas VALUES (60, 'eu', 1, 's');
TRUNCATE tap_part_meas_us;
SELECT is((SELECT count(*)::int FROM tap_events WHERE resource_id = '["60", "eu"]' OR
           (action = 'tap_measurement.truncate' AND details->>'table' = 'public.tap_part_meas_us')), 1,
          'after unregistering, neither writes nor TRUNCATE of a partition are events');

---------------------------------------------------------------------------
-- A partition created by CREATE SCHEMA ... CREATE TABLE ... PARTITION OF
-- is as audited as any other.
---------------------------------------------------------------------------
CREATE TABLE tap_part_log (id int PRIMARY KEY, v text) PARTITION BY RANGE (id);
SELECT auditlog.register_table('tap_part_log');
CREATE SCHEMA tap_part_s CREATE TABLE tap_part_log_low PARTITION OF public.tap_part_log FOR VALUES FROM (0) TO (100);
INSERT INTO tap_part_s.tap_part_log_low VALUES (1, 'x');
SELECT is((SELECT count(*)::int FROM tap_events WHERE resource_type = 'tap_part_log'), 1,
          'its events are visible to the next statement');
TRUNCATE tap_part_s.tap_part_log_low;
SELECT is((SELECT count(*)::int FROM tap_events WHERE action = 'tap_part_log.truncate'), 1,
          'its TRUNCATE is an event');

---------------------------------------------------------------------------
-- A registered table that becomes a partition of an unregistered table,
-- and leaves it again, stays audited as itself.
---------------------------------------------------------------------------
CREATE TABLE tap_part_host (id int PRIMARY KEY, v text) PARTITION BY RANGE (id);
CREATE TABLE tap_part_guest (id int PRIMARY KEY, v text);
SELECT auditlog.register_table('tap_part_guest');
ALTER TABLE tap_part_host ATTACH PARTITION tap_part_guest FOR VALUES FROM (0) TO (100);
INSERT INTO tap_part_host VALUES (1, 'through the host');
SELECT is((SELECT count(*)::int FROM tap_events WHERE action = 'tap_part_guest.create' AND resource_id = '1'), 1,
          'rows written through the unregistered parent are events, visible to the next statement');
ALTER TABLE tap_part_host DETACH PARTITION tap_part_guest;
SELECT bag_eq($$SELECT tgname::text FROM pg_trigger WHERE tgrelid = 'tap_part_guest'::regclass$$,
              $$VALUES ('auditlog_row'), ('auditlog_stmt')$$,
              'once detached, the registered table keeps both its triggers');
TRUNCATE tap_part_guest;
SELECT is((SELECT count(*)::int FROM tap_events WHERE action = 'tap_part_guest.truncate'), 1,
          'and its TRUNCATE is an event');

-- A DROP of the partitioned table ends the registration.
SELECT lives_ok($$DROP TABLE tap_part_meas$$, 'a registered partitioned table can be dropped');
SELECT is_empty($$SELECT 1 FROM auditlog.registered_tables WHERE resource_type = 'tap_measurement'$$,
                'and leaves the registry');

SELECT * FROM finish();
ROLLBACK;
