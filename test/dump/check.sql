-- test/dump/check.sql — after pg_dump and restore into a new database: the
-- events, the catalogue, the registry and the triggers of the registered
-- tables (test/dump/setup.sql) are back, the summaries are rebuilt exactly,
-- and changes made after the restore are audited as before.
--
-- Runs in autocommit, not in one transaction: summarize() only moves the
-- watermark past transactions that have ended, the test's own included, so
-- the summaries can only be rebuilt here by calls in transactions of their
-- own. pgTAP keeps its state in session temp tables, which survive the
-- commits; the restored database is a throwaway (tools/dump_roundtrip.sh
-- makes it afresh each run).
SELECT plan(6 + 4 + 8 + 3 + 8 + 8 + 4 + 2);

SELECT set_eq(
    $$SELECT id, occurred_at, actor, actor_id, action, resource_type, resource_id, outcome::text,
             org_id, details, db_user, client_addr, application_name, txid FROM auditlog.events$$,
    $$SELECT * FROM dump_expect$$,
    'every event comes back with every column');
SELECT set_eq('SELECT action, description FROM auditlog.action_types',
              'SELECT * FROM dump_expect_actions',
              'the action catalogue comes back, edited descriptions included');
SELECT is((SELECT count(*) FROM auditlog.action_types WHERE builtin), 2::bigint,
          'the seeded actions are not duplicated');

-- the tenants come back, by role name, and still restrict
SELECT results_eq($$SELECT role::text, orgs FROM auditlog.tenants$$,
                  $$VALUES ('auditlog_dump_tenant', ARRAY['acme'])$$,
                  'the tenants come back (pg_extension_config_dump), the role found by its name');
SET ROLE auditlog_dump_tenant;
CREATE TEMP TABLE dump_tenant_count AS SELECT auditlog.event_count() AS n;
RESET ROLE;
SELECT is((SELECT n FROM dump_tenant_count), (SELECT count(*) FROM dump_expect WHERE org_id = 'acme'),
          'and the tenant still counts only its organisation''s events');

-- the extension still works, and new ids follow the restored ones
SELECT cmp_ok(auditlog.log_event('auth.login', actor => 'John Doe'), '>',
              (SELECT max(id) FROM dump_expect), 'a new event gets a fresh id');
SELECT is((SELECT count(DISTINCT actor_ref) FROM auditlog.event_store
            WHERE actor_ref IN (SELECT id FROM auditlog.labels WHERE label = 'John Doe')), 1::bigint,
          'a known actor is not stored twice');
SELECT throws_ok('DELETE FROM auditlog.event_store', '42501', NULL,
                 'the restored log is still append-only');

---------------------------------------------------------------------------
-- The summaries: derived data, not carried over, rebuilt from the events;
-- the counts are exact before and after.
---------------------------------------------------------------------------
SELECT ok((SELECT summarized_upto > 0 AND summary_rows > 0 FROM dump_expect_summary),
          'the source database had summaries');
SELECT is((SELECT count(*) FROM auditlog.event_counts), 0::bigint,
          'no summary row is carried over');
SELECT results_eq('SELECT summarized_upto, pending_upto, pending_xmax FROM auditlog.summary_state',
                  $$VALUES (0::bigint, 0::bigint, 0::bigint)$$,
                  'nor the watermark: the restored database starts from no summaries');
SELECT is((SELECT count(*) FROM auditlog.events), (SELECT count(*) + 1 FROM dump_expect),
          'the restored events and the new one are there');

-- event_count() for a few filters against count(*) over auditlog.events
CREATE FUNCTION pg_temp.counts_exact(stage text) RETURNS SETOF text LANGUAGE plpgsql AS
$$
BEGIN
    PERFORM set_config('TimeZone', 'Europe/Paris', true);
    RETURN NEXT is(auditlog.event_count(), (SELECT count(*) FROM auditlog.events),
                   stage || ': all events');
    RETURN NEXT is(auditlog.event_count(actor => 'John Doe'),
                   (SELECT count(*) FROM auditlog.events WHERE actor = 'John Doe'),
                   stage || ': by actor');
    RETURN NEXT is(auditlog.event_count(action => 'credential.*'),
                   (SELECT count(*) FROM auditlog.events WHERE action LIKE 'credential.%'),
                   stage || ': by action category');
    RETURN NEXT is(auditlog.event_count(from_date => '2025-01-01', to_date => '2025-01-31'),
                   (SELECT count(*) FROM auditlog.events
                     WHERE occurred_at >= '2025-01-01'::date::timestamptz
                       AND occurred_at < '2025-02-01'::date::timestamptz),
                   stage || ': a month of the session''s time zone');
    RETURN NEXT is(auditlog.event_count(actor => 'Jane Roe', from_date => '2025-03-01', to_date => '2025-12-31'),
                   (SELECT count(*) FROM auditlog.events
                     WHERE actor = 'Jane Roe' AND occurred_at >= '2025-03-01'::date::timestamptz
                       AND occurred_at < '2026-01-01'::date::timestamptz),
                   stage || ': actor and a range of months');
    RETURN NEXT is(auditlog.event_count(org_id => 'acme', outcome => 'success'),
                   (SELECT count(*) FROM auditlog.events WHERE org_id = 'acme' AND outcome::text = 'success'),
                   stage || ': organisation and outcome');
    RETURN NEXT is(auditlog.event_count(resource_type => 'connection', resource_id => 'c-1'),
                   (SELECT count(*) FROM auditlog.events WHERE resource_type = 'connection' AND resource_id = 'c-1'),
                   stage || ': a resource');
    RETURN NEXT is((SELECT DISTINCT total_count FROM auditlog.search(action => 'report.*', page_size => 2)),
                   (SELECT count(*) FROM auditlog.events WHERE action LIKE 'report.%'),
                   stage || ': total_count of search()');
END
$$;
SELECT pg_temp.counts_exact('restored, not summarized');

-- summarize() in transactions of their own: a horizon, then the watermark
SELECT auditlog.summarize() AS first_call \gset
SELECT auditlog.summarize() AS second_call \gset
SELECT is((SELECT summarized_upto FROM auditlog.summary_state),
          (SELECT last_value FROM auditlog.event_store_id_seq),
          'summarize() called twice rebuilds the summaries up to the last event');
SELECT is((SELECT sum(n) FROM auditlog.event_counts WHERE grain = 'a'),
          (SELECT count(*) FROM auditlog.events)::numeric,
          'the all-time summaries count every event once');
SELECT set_eq($$SELECT c.bucket + (u.i - 1) * interval '24 hours' AS bucket, c.action_ref,
                       c.resource_type_ref, c.org_ref, c.outcome::text, u.n
                  FROM auditlog.event_counts c, unnest(auditlog.day_counts_array(c.days)) WITH ORDINALITY AS u(n, i)
                 WHERE c.grain = 'm' AND u.n <> 0$$,
              $$SELECT date_trunc('day', occurred_at, 'UTC') AS bucket, action_ref,
                       coalesce(resource_type_ref, 0) AS resource_type_ref, coalesce(org_ref, 0) AS org_ref,
                       outcome::text, count(*) AS n
                  FROM auditlog.event_store GROUP BY 1, 2, 3, 4, 5$$,
              'the daily summaries are the counts of the restored events');
SELECT pg_temp.counts_exact('restored and summarized');

---------------------------------------------------------------------------
-- Registered tables: the registry and the triggers come back, and changes
-- made after the restore are audited as before, options included.
---------------------------------------------------------------------------
SELECT set_eq($$SELECT table_name::text, resource_type, id_columns, exclude_columns, redact_columns, org_column,
                       registered_at, registered_by FROM auditlog.registered_tables$$,
              'SELECT * FROM dump_expect_registry',
              'the registry comes back: both tables, their resource types, keys, options and who registered them when');
SELECT set_eq($$SELECT tgrelid::regclass::text, tgname::text, tgenabled::text, tgtype,
                       tgfoid::regprocedure::text, tgparentid <> 0
                  FROM pg_trigger WHERE tgname LIKE 'auditlog%'$$,
              'SELECT * FROM dump_expect_triggers',
              'the triggers are back on the restored tables and partitions, as they were');

SELECT max(id) AS before_changes FROM auditlog.events \gset
INSERT INTO connection VALUES (3, 'Zendesk', 'tok', 'memo', 'initech');
UPDATE connection SET name = 'HubSpot EU', secret = 'x', note = 'y' WHERE id = 2;
UPDATE connection SET note = 'only the excluded column' WHERE id = 3;
DELETE FROM connection WHERE id = 1;
SELECT results_eq(
    format($$SELECT action COLLATE "default", resource_id COLLATE "default", org_id COLLATE "default", details
              FROM auditlog.events WHERE id > %s AND resource_type = 'connection' ORDER BY id$$, :before_changes),
    $$VALUES ('connection.create'::text, '3'::text, 'initech'::text,
              '{"new": {"id": 3, "name": "Zendesk", "org": "initech"}, "redacted": ["secret"]}'::jsonb),
             ('connection.update', '2', 'globex',
              '{"old": {"name": "HubSpot"}, "new": {"name": "HubSpot EU"}, "redacted": ["secret"]}'),
             ('connection.delete', '1', 'acme',
              '{"old": {"id": 1, "name": "Salesforce EU", "org": "acme"}, "redacted": ["secret"]}')$$,
    'after the restore, the plain table''s changes are events: redacted, excluded, org_id from its column');
SELECT is((SELECT count(*) FROM auditlog.events WHERE id > :before_changes AND action = 'connection.update'
              AND resource_id = '3'), 0::bigint,
          'a change of only its excluded column still writes no event');

INSERT INTO reading VALUES (3, 'eu', 30, 's', 'i');
INSERT INTO reading_us VALUES (4, 'us', 40, 's', 'i');
UPDATE reading SET value = 11, internal = 'j' WHERE id = 1;
SELECT results_eq(
    format($$SELECT action COLLATE "default", resource_id COLLATE "default", details
              FROM auditlog.events WHERE id > %s AND resource_type = 'measurement' ORDER BY id$$, :before_changes),
    $$VALUES ('measurement.create'::text, '["3", "eu"]'::text,
              '{"new": {"id": 3, "region": "eu", "value": 30}, "redacted": ["secret"]}'::jsonb),
             ('measurement.create', '["4", "us"]',
              '{"new": {"id": 4, "region": "us", "value": 40}, "redacted": ["secret"]}'),
             ('measurement.update', '["1", "eu"]', '{"old": {"value": 10}, "new": {"value": 11}}')$$,
    'the partitioned table''s rows, through the parent or into a partition, are events of its resource type, redacted and excluded');
SELECT max(id) AS before_truncate FROM auditlog.events \gset
TRUNCATE reading_us;
SELECT results_eq(
    format($$SELECT action COLLATE "default", details FROM auditlog.events WHERE id > %s$$, :before_truncate),
    $$VALUES ('measurement.truncate'::text, '{"table": "public.reading_us"}'::jsonb)$$,
    'TRUNCATE of a restored partition is an event');

CREATE TABLE reading_asia PARTITION OF reading FOR VALUES IN ('asia');
INSERT INTO reading VALUES (5, 'asia', 50, 's', 'i');
SELECT bag_eq($$SELECT tgname::text FROM pg_trigger WHERE tgrelid = 'reading_asia'::regclass$$,
              $$VALUES ('auditlog_row'), ('auditlog_stmt')$$,
              'a partition created after the restore gets the triggers');
SELECT results_eq(
    $$SELECT action COLLATE "default", details FROM auditlog.events WHERE resource_id = '["5", "asia"]'$$,
    $$VALUES ('measurement.create'::text, '{"new": {"id": 5, "region": "asia", "value": 50}, "redacted": ["secret"]}'::jsonb)$$,
    'and its rows are events, with the options of the partitioned table');

-- retention and partitions
SELECT results_eq($$SELECT org_id, reason FROM auditlog.holds$$, $$VALUES ('acme'::text, 'dump test'::text)$$,
                  'the holds come back');
SELECT ok((SELECT count(*) > 0 FROM auditlog.seal_purges), 'so does what the purge took from the seals');
SELECT is((SELECT count(*) FILTER (WHERE NOT ok) FROM auditlog.verify()), 0::bigint,
          'and the restored, purged log verifies');
SELECT is((SELECT count(*) FROM pg_index WHERE indrelid = 'auditlog.event_store_202507'::regclass), 5::bigint,
          'a month''s partition comes back attached, with its five indexes once');
SELECT * FROM finish();
