-- test/dump/setup.sql — data for the pg_dump round trip (see tools/dump_roundtrip.sh).
-- A month of the event store with a partition of its own, made as the
-- maintenance worker makes them (its indexes its own): pg_dump dumps it as
-- a table of the database, and the restore must not make its indexes twice.
CREATE TABLE auditlog.event_store_202507 (LIKE auditlog.event_store INCLUDING DEFAULTS);
CREATE INDEX event_store_202507_id_idx ON auditlog.event_store_202507 USING brin (id)
    WITH (pages_per_range = 16);
CREATE INDEX event_store_202507_occurred_at_idx ON auditlog.event_store_202507
    USING brin (occurred_at timestamptz_minmax_multi_ops (values_per_range = 8)) WITH (pages_per_range = 16);
CREATE INDEX event_store_202507_resource_idx ON auditlog.event_store_202507 (resource_id, resource_type_ref, occurred_at)
    WHERE resource_id IS NOT NULL;
CREATE INDEX event_store_202507_actor_idx ON auditlog.event_store_202507 (actor_ref, occurred_at);
CREATE INDEX event_store_202507_action_idx ON auditlog.event_store_202507 (action_ref, occurred_at);
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON auditlog.event_store_202507
    FOR EACH STATEMENT EXECUTE FUNCTION auditlog.refuse_change();
ALTER TABLE auditlog.event_store_202507 ENABLE ALWAYS TRIGGER append_only_truncate;
ALTER TABLE auditlog.event_store ATTACH PARTITION auditlog.event_store_202507
    FOR VALUES FROM ('2025-07-01 00:00+00') TO ('2025-08-01 00:00+00');
SELECT auditlog.log_event('auth.login', actor => 'John Doe', actor_id => 'u-1', org_id => 'acme');
SELECT auditlog.log_event('credential.token_refresh', 'connection', 'c-1', 'failure',
                          '{"error": "invalid_grant"}', actor => 'system');
SELECT auditlog.log_event('report.export', 'report', 'r-9', 'denied', actor => 'Jane Roe');
UPDATE auditlog.action_types SET description = 'Exported a report' WHERE action = 'report.export';
-- events over several months, for the summaries to have days and months
SELECT auditlog.import_event(t, a, rt, rid, o, actor => who, org_id => org)
  FROM (VALUES ('2025-01-15 10:00+00'::timestamptz, 'auth.login', NULL, NULL, 'success'::auditlog.outcome, 'John Doe', 'acme'),
               ('2025-01-31 23:30+00', 'credential.token_refresh', 'connection', 'c-1', 'failure', 'system', NULL),
               ('2025-02-01 00:30+00', 'credential.token_refresh', 'connection', 'c-1', 'success', 'system', NULL),
               ('2025-03-30 01:30+00', 'report.export', 'report', 'r-9', 'success', 'Jane Roe', 'acme'),
               ('2025-07-04 12:00+00', 'auth.login', NULL, NULL, 'denied', 'Jane Roe', 'globex'),
               ('2025-12-31 23:59:59+00', 'report.export', 'report', 'r-1', 'success', 'John Doe', 'acme'))
       AS v(t, a, rt, rid, o, who, org);
-- Registered tables: a plain one with an excluded, a redacted and an org
-- column, and a partitioned one (a partition made with it, one attached
-- later) with its own resource type, an excluded and a redacted column.
CREATE TABLE connection (id int PRIMARY KEY, name text, secret text, note text, org text);
SELECT auditlog.register_table('connection', exclude_columns => '{note}', redact_columns => '{secret}',
                               org_column => 'org');
CREATE TABLE reading (id int, region text, value int, secret text, internal text, PRIMARY KEY (id, region))
    PARTITION BY LIST (region);
CREATE TABLE reading_eu PARTITION OF reading FOR VALUES IN ('eu');
SELECT auditlog.register_table('reading', 'measurement', exclude_columns => '{internal}',
                               redact_columns => '{secret}');
CREATE TABLE reading_us (id int NOT NULL, region text NOT NULL, value int, secret text, internal text);
ALTER TABLE reading ATTACH PARTITION reading_us FOR VALUES IN ('us');
INSERT INTO connection VALUES (1, 'Salesforce', 's', 'n', 'acme'), (2, 'HubSpot', NULL, NULL, 'globex');
UPDATE connection SET name = 'Salesforce EU', secret = 's2' WHERE id = 1;
INSERT INTO reading VALUES (1, 'eu', 10, 's', 'i'), (2, 'us', 20, 's', 'i');
-- Sealed, then purged before February 2025 with acme on hold: the seals,
-- the hold and what the purge took from the seals are dumped, and the
-- restored log still verifies.
SELECT auditlog.seal();
SELECT auditlog.hold('acme', 'dump test');
SELECT auditlog.purge('2025-02-01 00:00+00');
-- the registry and the triggers as they are before the dump
CREATE TABLE dump_expect_registry AS
    SELECT table_name::text, resource_type, id_columns, exclude_columns, redact_columns, org_column,
           registered_at, registered_by
      FROM auditlog.registered_tables;
CREATE TABLE dump_expect_triggers AS
    SELECT tgrelid::regclass::text AS tbl, tgname::text, tgenabled::text, tgtype,
           tgfoid::regprocedure::text AS func, tgparentid <> 0 AS cloned
      FROM pg_trigger WHERE tgname LIKE 'auditlog%';
-- a tenant, kept by the role's oid and dumped by its name (the role itself
-- is global: the restore finds it by name)
DROP ROLE IF EXISTS auditlog_dump_tenant;
CREATE ROLE auditlog_dump_tenant;
GRANT EXECUTE ON FUNCTION auditlog.event_count(text, text, text, date, date, auditlog.outcome, text, text)
    TO auditlog_dump_tenant;
SELECT auditlog.set_tenant('auditlog_dump_tenant', '{acme}');
CREATE TABLE dump_expect AS
    SELECT id, occurred_at, actor, actor_id, action, resource_type, resource_id, outcome::text,
           org_id, details, db_user, client_addr, application_name, txid
      FROM auditlog.events;
CREATE TABLE dump_expect_actions AS SELECT action, description FROM auditlog.action_types;
-- The summaries exist in the source database (summarize() records a horizon,
-- then, in a later transaction, moves the watermark to it); they are
-- derived data and are not dumped: the restored database rebuilds them.
SELECT auditlog.summarize();
SELECT auditlog.summarize();
CREATE TABLE dump_expect_summary AS
    SELECT s.summarized_upto, (SELECT count(*) FROM auditlog.event_counts) AS summary_rows
      FROM auditlog.summary_state s;
