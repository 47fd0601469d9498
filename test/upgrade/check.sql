-- test/upgrade/check.sql — after ALTER EXTENSION auditlog UPDATE: every event,
-- registration, action and count of the 0.1.0 database is still there, the
-- grants on it too, and the updated extension works like a fresh one.
BEGIN;
SELECT plan(22);

SELECT is((SELECT extversion FROM pg_extension WHERE extname = 'auditlog'), '0.2.0',
          'the extension is at 0.2.0');

-- what survived
SELECT set_eq($$SELECT id, occurred_at, actor, actor_id, action, resource_type, resource_id, outcome::text,
                       org_id, details, db_user, client_addr, application_name, txid
                  FROM auditlog.events$$,
              $$SELECT * FROM upgrade_events$$,
              'every event is there, unchanged');
SELECT cmp_ok((SELECT count(*) FROM upgrade_events), '>=', 10::bigint, 'and there were events of every kind');
SELECT set_eq($$SELECT table_name, resource_type, id_columns, exclude_columns, redact_columns, org_column,
                       registered_at, registered_by FROM auditlog.registered_tables$$,
              $$SELECT * FROM upgrade_registry$$,
              'every registration is there, with its options');
SELECT set_eq($$SELECT action, description, builtin FROM auditlog.action_types$$,
              $$SELECT * FROM upgrade_actions$$,
              'the catalogue of actions is unchanged, edited descriptions included');
SELECT set_eq($$SELECT c.grain::text, c.actor_ref, c.bucket, c.action_ref, c.resource_type_ref, c.org_ref,
                       c.outcome::text, c.n
                  FROM auditlog.event_counts c WHERE c.grain IN ('m', 'M', 'a', 'A')
                 UNION ALL
                SELECT CASE WHEN c.grain = 'm' THEN 'd' ELSE 'U' END, c.actor_ref,
                       c.bucket + (u.i - 1) * interval '24 hours', c.action_ref, c.resource_type_ref,
                       c.org_ref, c.outcome::text, u.n
                  FROM auditlog.event_counts c, unnest(auditlog.day_counts_array(c.days)) WITH ORDINALITY AS u(n, i)
                 WHERE c.grain IN ('m', 'U') AND u.n <> 0 AND NOT (c.grain = 'U' AND c.actor_ref = 0)$$,
              $$SELECT grain::text, actor_ref, bucket, action_ref, resource_type_ref, org_ref, outcome::text, n
                  FROM upgrade_counts$$,
              'the summaries hold the same counts, the days of a month in its row');
SELECT set_eq($$SELECT c.bucket + (u.i - 1) * interval '24 hours', c.outcome::text, u.n
                  FROM auditlog.event_counts c, unnest(auditlog.day_counts_array(c.days)) WITH ORDINALITY AS u(n, i)
                 WHERE c.grain = 'U' AND c.actor_ref = 0 AND u.n <> 0$$,
              $$SELECT bucket, outcome::text, sum(n) FROM upgrade_counts WHERE grain = 'd' GROUP BY 1, 2$$,
              'and the new counts per day and outcome over all actors are those of the days');
SELECT set_eq($$SELECT summarized_upto, pending_upto, pending_xmax FROM auditlog.summary_state$$, $$SELECT * FROM upgrade_state$$,
              'and so is their watermark');
SELECT ok(has_table_privilege('auditlog_upgrade_reader', 'auditlog.events', 'SELECT'),
          'a grant on auditlog.events survived the view being made again');
SELECT ok(has_function_privilege('auditlog_upgrade_reader',
          'auditlog.search(text, text, text, date, date, auditlog.outcome, text, text, integer, bigint)', 'EXECUTE'),
          'and so did a grant on search()');

-- counts are still exact
SELECT is(auditlog.event_count(), (SELECT count(*) FROM auditlog.events), 'event_count() counts every event');
SELECT is(auditlog.event_count(outcome => 'denied'),
          (SELECT count(*) FROM auditlog.events WHERE outcome::text = 'denied'),
          'and the denied ones');

-- the updated extension works
INSERT INTO connection VALUES (3, 'Billing', 'tok', 'n', 'acme');
SELECT is((SELECT details FROM auditlog.events WHERE action = 'connection.create' AND resource_id = '3'),
          '{"new": {"id": 3, "org": "acme", "name": "Billing"}, "redacted": ["secret"]}'::jsonb,
          'a registered table is still audited with its options');
SELECT cmp_ok((SELECT max(id) FROM auditlog.events), '>', (SELECT max(id) FROM upgrade_events),
              'new events continue the sequence');
INSERT INTO ticket VALUES ('eu', 2, 'Export');
SELECT is((SELECT count(*) FROM auditlog.events WHERE action = 'ticket.create'), 2::bigint,
          'and so is a partitioned one');
SELECT cmp_ok(auditlog.log_event('auth.logout', actor => 'John Doe'), '>', 0::bigint, 'log_event works');
SELECT is((SELECT count(*) FROM auditlog.search(outcome => 'failure')), 1::bigint,
          'search() filters by outcome');

-- what 0.2.0 adds, on the updated database
SET LOCAL search_path = public;
SELECT is((SELECT count(*) FROM auditlog.events WHERE outcome = 'denied'), 1::bigint,
          'outcome = ''denied'' works with search_path = public');
SELECT is((SELECT max(outcome)::text FROM auditlog.events), 'denied', 'and max(outcome)');
SELECT is((SELECT min(actor COLLATE "default") FROM auditlog.events WHERE actor = 'Jane Roe'), 'Jane Roe',
          'the view''s text columns compare with plain text');

-- tenants and export, new in 0.2.0, on the updated database
RESET search_path;
CREATE ROLE auditlog_upgrade_tenant;
GRANT EXECUTE ON FUNCTION auditlog.event_count(text, text, text, date, date, auditlog.outcome, text, text)
    TO auditlog_upgrade_tenant;
SELECT auditlog.set_tenant('auditlog_upgrade_tenant', '{acme}');
SET LOCAL ROLE auditlog_upgrade_tenant;
CREATE TEMP TABLE upgrade_tenant_count AS SELECT auditlog.event_count() AS n;
RESET ROLE;
SELECT is((SELECT n FROM upgrade_tenant_count), (SELECT count(*) FROM auditlog.events WHERE org_id = 'acme'),
          'a tenant of the updated database counts its organisation''s events only');
SELECT is((SELECT count(*) FROM auditlog.export()), (SELECT count(*) FROM auditlog.events),
          'and export() exports every event');

SELECT * FROM finish();
ROLLBACK;
