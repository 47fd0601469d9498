-- tools/demo.sql — the demo run by tools/demo.sh (any database works).
\pset footer off
\set QUIET on
SET client_min_messages = warning;
SET auditlog.allow_drop = on;   -- starts again from an empty log, an earlier run's events too
DROP EXTENSION IF EXISTS auditlog CASCADE;
DROP TABLE IF EXISTS connection;
CREATE EXTENSION auditlog;

-- What the setup statements return is not the point of the demo.
\o /dev/null

-- The application's table of OAuth connections, registered once.
CREATE TABLE connection (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    provider text NOT NULL,
    access_token text,
    status text NOT NULL DEFAULT 'active'
);
SELECT auditlog.register_table('connection', redact_columns => '{access_token}');

-- John Doe logs in and creates a connection.
BEGIN;
SELECT auditlog.set_actor('John Doe', 'u-1');
SELECT auditlog.log_event('auth.login');
INSERT INTO connection (id, name, provider, access_token)
VALUES ('eae3a753-7bdc-4b4c-9f3e-1d2c3b4a5f60', 'Sales CRM', 'salesforce', 'tok-1');
COMMIT;

-- The system refreshes its token: once it fails, then it succeeds.
BEGIN;
SET LOCAL auditlog.actor = 'system';
SELECT auditlog.log_event('credential.token_refresh', 'connection',
                          'eae3a753-7bdc-4b4c-9f3e-1d2c3b4a5f60', 'failure',
                          '{"error": "invalid_grant"}');
UPDATE connection SET access_token = 'tok-2' WHERE name = 'Sales CRM';
SELECT auditlog.log_event('credential.token_refresh', 'connection',
                          'eae3a753-7bdc-4b4c-9f3e-1d2c3b4a5f60');
COMMIT;

-- Jane Roe may not delete it: the application records the denied attempt.
SELECT auditlog.log_event('connection.delete', 'connection',
                          'eae3a753-7bdc-4b4c-9f3e-1d2c3b4a5f60', 'denied',
                          actor => 'Jane Roe', actor_id => 'u-2');

-- John renames it.
BEGIN;
SELECT auditlog.set_actor('John Doe', 'u-1');
UPDATE connection SET name = 'Sales CRM (EU)';
COMMIT;

\o
\echo
\echo 'Settings > Audit Log'
\echo
SELECT auditlog.format_time(occurred_at) AS "TIMESTAMP",
       auditlog.initials(actor) || '  ' || actor AS "USER",
       action AS "ACTION",
       coalesce(left(resource_id, 13) || '... (' || resource_type || ')', '') AS "RESOURCE",
       auditlog.outcome_label(outcome) AS "OUTCOME"
  FROM auditlog.search(page_size => 50);
SELECT auditlog.event_count() || ' events' AS " ";

\echo 'Only John Doe, only connection events:'
SELECT auditlog.format_time(occurred_at) AS "TIMESTAMP", action AS "ACTION", details AS "DETAILS"
  FROM auditlog.search(actor => 'John Doe', action => 'connection.*');
SELECT auditlog.event_count(actor => 'John Doe', action => 'connection.*') || ' events' AS " ";
