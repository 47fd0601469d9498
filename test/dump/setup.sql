-- test/dump/setup.sql — data for the pg_dump round trip (see tools/dump_roundtrip.sh).
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
