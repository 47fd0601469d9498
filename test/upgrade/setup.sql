-- test/upgrade/setup.sql — a 0.1.0 database with events of every kind, run
-- before ALTER EXTENSION auditlog UPDATE; it keeps what must survive the
-- update in tables of its own (upgrade_*), which test/upgrade/check.sql
-- compares with afterwards.
SET client_min_messages = warning;

-- (test/upgrade/grants.sql has granted a reader what it needs: the grants
-- must survive the update)

-- events of the application
SELECT auditlog.log_event('auth.login', actor => 'John Doe', actor_id => 'u-1', org_id => 'acme');
SELECT auditlog.log_event('credential.token_refresh', 'connection', 'c-1', 'failure',
                          '{"error": "invalid_grant"}', actor => 'system');
SELECT auditlog.log_event('report.export', 'report', 'r-9', 'denied', actor => 'Jane Roe', org_id => 'globex');
SELECT auditlog.import_event('2025-03-30 01:30+00', 'report.export', 'report', 'r-1', 'success',
                             actor => 'Jane Roe', org_id => 'acme');
UPDATE auditlog.action_types SET description = 'Exported a report' WHERE action = 'report.export';

-- row changes of registered tables: a plain one with options, a partitioned one
CREATE TABLE connection (id int PRIMARY KEY, name text, secret text, notes text, org text);
SELECT auditlog.register_table('connection', exclude_columns => '{notes}',
                               redact_columns => '{secret}', org_column => 'org');
BEGIN;
SET LOCAL auditlog.actor = 'John Doe';
INSERT INTO connection VALUES (1, 'CRM', 's3cret', 'n', 'acme'), (2, 'ERP', 'x', 'n', 'globex');
UPDATE connection SET name = 'CRM (EU)', secret = 'new' WHERE id = 1;
DELETE FROM connection WHERE id = 2;
COMMIT;
CREATE TABLE ticket (region text, id int, subject text, PRIMARY KEY (region, id)) PARTITION BY LIST (region);
CREATE TABLE ticket_eu PARTITION OF ticket FOR VALUES IN ('eu');
SELECT auditlog.register_table('ticket');
INSERT INTO ticket VALUES ('eu', 1, 'Login fails');
TRUNCATE ticket;

-- the summaries: the 0.2.0 library leaves those of a 0.1.0 database as
-- they are until its update (they have a row per day, its have a row per
-- month): summarize() adds nothing ...
DO $$
BEGIN
    IF auditlog.summarize() <> 0 OR auditlog.summarize() <> 0
       OR (SELECT summarized_upto FROM auditlog.summary_state) <> 0 THEN
        RAISE EXCEPTION 'the 0.2.0 library summarized a 0.1.0 database';
    END IF;
END
$$;
-- ... so they are made here as the 0.1.0 library made them, every grain,
-- up to the last event (an event below is left above the watermark)
INSERT INTO auditlog.event_counts
SELECT g.grain,
       CASE WHEN g.grain IN ('M', 'U', 'A') THEN e.actor_ref ELSE 0 END,
       CASE WHEN g.grain IN ('d', 'U') THEN date_trunc('day', e.occurred_at, 'UTC')
            WHEN g.grain IN ('a', 'A') THEN '-infinity'
            ELSE date_trunc('month', e.occurred_at, 'UTC') END,
       CASE WHEN g.grain = 'U' THEN 0 ELSE e.action_ref END,
       CASE WHEN g.grain = 'U' THEN 0 ELSE coalesce(e.resource_type_ref, 0) END,
       CASE WHEN g.grain = 'U' THEN 0 ELSE coalesce(e.org_ref, 0) END,
       e.outcome, count(*)
  FROM auditlog.event_store e
 CROSS JOIN (VALUES ('d'::"char"), ('m'), ('M'), ('U'), ('a'), ('A')) AS g(grain)
 GROUP BY 1, 2, 3, 4, 5, 6, 7;
UPDATE auditlog.summary_state
   SET summarized_upto = (SELECT max(id) FROM auditlog.event_store),
       pending_upto = (SELECT max(id) FROM auditlog.event_store), pending_xmax = txid_current();
SELECT auditlog.log_event('auth.logout', actor => 'John Doe', org_id => 'acme');

-- the 0.2.0 library reads a 0.1.0 database before its update (the outcome
-- operators are still in schema auditlog then)
DO $$
BEGIN
    IF auditlog.event_count(outcome => 'denied') <> 1
       OR (SELECT count(*) FROM auditlog.search(outcome => 'failure')) <> 1 THEN
        RAISE EXCEPTION 'the 0.2.0 library miscounts a 0.1.0 database';
    END IF;
END
$$;

CREATE TABLE upgrade_events AS
    SELECT id, occurred_at, actor, actor_id, action, resource_type, resource_id, outcome::text AS outcome,
           org_id, details, db_user, client_addr, application_name, txid
      FROM auditlog.events;
CREATE TABLE upgrade_registry AS SELECT * FROM auditlog.registered_tables;
CREATE TABLE upgrade_actions AS SELECT action, description, builtin FROM auditlog.action_types;
CREATE TABLE upgrade_counts AS SELECT * FROM auditlog.event_counts;
CREATE TABLE upgrade_state AS SELECT * FROM auditlog.summary_state;
