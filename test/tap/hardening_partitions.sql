-- test/tap/hardening_partitions.sql -- partitions of a registered table, made
-- by its owner who is no superuser, and foreign tables, which cannot be
-- audited and so are kept out of registered tables.
BEGIN;
SELECT plan(12);

\ir setup/common.sql
\ir setup/roles.sql

CREATE ROLE auditlog_tap_part_owner;     -- owns its tables, may register them, no superuser
SELECT pg_temp.grant_admin('auditlog_tap_part_owner');
GRANT CREATE ON SCHEMA public TO auditlog_tap_part_owner;

---------------------------------------------------------------------------
-- The owner of a registered partitioned table adds partitions to it:
-- PostgreSQL clones the row trigger as that role.
---------------------------------------------------------------------------
SET LOCAL ROLE auditlog_tap_part_owner;
CREATE TABLE tap_hp_order (id int, region text, total int, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE tap_hp_order_eu PARTITION OF tap_hp_order FOR VALUES IN ('eu');
SELECT auditlog.register_table('tap_hp_order');
SELECT lives_ok($$CREATE TABLE tap_hp_order_us PARTITION OF tap_hp_order FOR VALUES IN ('us')$$,
                'the owner (no superuser) creates a partition of its registered table');
CREATE TABLE tap_hp_order_asia (id int NOT NULL, region text NOT NULL, total int);
SELECT lives_ok($$ALTER TABLE tap_hp_order ATTACH PARTITION tap_hp_order_asia FOR VALUES IN ('asia')$$,
                'and attaches one');
INSERT INTO tap_hp_order VALUES (1, 'us', 10), (2, 'asia', 20);
TRUNCATE tap_hp_order_asia;
RESET ROLE;
SELECT results_eq(
    $$SELECT action, resource_id FROM tap_events WHERE resource_type = 'tap_hp_order' ORDER BY id$$,
    $$VALUES ('tap_hp_order.create'::text, '["1", "us"]'::text), ('tap_hp_order.create', '["2", "asia"]'),
             ('tap_hp_order.truncate', NULL)$$,
    'rows of both partitions are events, and so is TRUNCATE of the attached one');
SELECT bag_eq($$SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = 'auditlog_row'
                 AND tgrelid::regclass::text LIKE 'tap_hp_order%'$$,
              $$VALUES ('tap_hp_order'), ('tap_hp_order_eu'), ('tap_hp_order_us'), ('tap_hp_order_asia')$$,
              'every partition carries the row trigger');
SELECT ok((SELECT active FROM auditlog.registered_tables WHERE table_name = 'tap_hp_order'::regclass),
          'and the table is active');

---------------------------------------------------------------------------
-- Foreign tables: their rows live on another server, where TRUNCATE fires
-- no trigger of ours. Refused as partitions of an audited table, whether
-- they come first or later.
---------------------------------------------------------------------------
CREATE EXTENSION file_fdw;
CREATE SERVER tap_hp_files FOREIGN DATA WRAPPER file_fdw;
-- (a foreign partition rules out unique indexes: the id is a plain column)
CREATE TABLE tap_hp_log (id int, year int) PARTITION BY LIST (year);
CREATE FOREIGN TABLE tap_hp_log_2020 PARTITION OF tap_hp_log FOR VALUES IN (2020)
    SERVER tap_hp_files OPTIONS (filename '/dev/null');
SELECT is(pg_temp.error_of($$SELECT auditlog.register_table('tap_hp_log', id_column => 'id')$$),
          jsonb_build_object(
              'sqlstate', '42809',
              'message', 'foreign table "tap_hp_log_2020" cannot be a partition of audited table public.tap_hp_log',
              'detail', 'Its rows live on another server, where TRUNCATE of them fires no trigger of this database.',
              'hint', 'Keep foreign tables out of registered partitioned tables; audit their rows on the server that holds them.'),
          'a partitioned table with a foreign partition cannot be registered');
SELECT is((SELECT count(*)::int FROM auditlog.registered_tables WHERE table_name = 'tap_hp_log'::regclass), 0,
          'and is not');
DROP FOREIGN TABLE tap_hp_log_2020;
SELECT auditlog.register_table('tap_hp_log', id_column => 'id');
SELECT throws_ok($$CREATE FOREIGN TABLE tap_hp_log_2021 PARTITION OF tap_hp_log FOR VALUES IN (2021)
                   SERVER tap_hp_files OPTIONS (filename '/dev/null')$$,
                 '42809', 'foreign table "tap_hp_log_2021" cannot be a partition of audited table public.tap_hp_log',
                 'CREATE FOREIGN TABLE ... PARTITION OF an audited table is refused');
CREATE FOREIGN TABLE tap_hp_log_2022 (id int NOT NULL, year int NOT NULL)
    SERVER tap_hp_files OPTIONS (filename '/dev/null');
SELECT throws_ok($$ALTER TABLE tap_hp_log ATTACH PARTITION tap_hp_log_2022 FOR VALUES IN (2022)$$,
                 '42809', 'foreign table "tap_hp_log_2022" cannot be a partition of audited table public.tap_hp_log',
                 'and so is attaching a foreign table');
SELECT is((SELECT count(*)::int FROM pg_inherits WHERE inhparent = 'tap_hp_log'::regclass), 0,
          'the refused statements left no partition behind');

-- Below a partition of an audited table, too.
CREATE TABLE tap_hp_log_2023 PARTITION OF tap_hp_log FOR VALUES IN (2023) PARTITION BY LIST (id);
SELECT throws_ok($$CREATE FOREIGN TABLE tap_hp_log_2023_1 PARTITION OF tap_hp_log_2023 FOR VALUES IN (1)
                   SERVER tap_hp_files OPTIONS (filename '/dev/null')$$,
                 '42809', NULL,
                 'a foreign table is refused at any depth below an audited table');
-- An unregistered partitioned table may have foreign partitions as before.
CREATE TABLE tap_hp_free (id int, year int) PARTITION BY LIST (year);
SELECT lives_ok($$CREATE FOREIGN TABLE tap_hp_free_2020 PARTITION OF tap_hp_free FOR VALUES IN (2020)
                  SERVER tap_hp_files OPTIONS (filename '/dev/null')$$,
                'a table that is not audited keeps its foreign partitions');

SELECT * FROM finish();
ROLLBACK;
