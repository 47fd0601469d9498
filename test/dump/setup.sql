-- test/dump/setup.sql — data for the pg_dump round trip (see tools/dump_roundtrip.sh).
SELECT auditlog.log_event('auth.login', actor => 'John Doe', actor_id => 'u-1', org_id => 'acme');
SELECT auditlog.log_event('credential.token_refresh', 'connection', 'c-1', 'failure',
                          '{"error": "invalid_grant"}', actor => 'system');
SELECT auditlog.log_event('report.export', 'report', 'r-9', 'denied', actor => 'Jane Roe');
UPDATE auditlog.action_types SET description = 'Exported a report' WHERE action = 'report.export';
CREATE TABLE dump_expect AS
    SELECT id, occurred_at, actor, actor_id, action, resource_type, resource_id, outcome::text,
           org_id, details, db_user, client_addr, application_name, txid
      FROM auditlog.events;
CREATE TABLE dump_expect_actions AS SELECT action, description FROM auditlog.action_types;
