-- test/tap/status.sql — auditlog.status(): the state of the log for monitoring,
-- against independent counts over the event store; closed to PUBLIC.
BEGIN;
SELECT plan(9);

SELECT has_function('auditlog', 'status', '{}'::name[], 'auditlog.status() exists');
SELECT ok(NOT has_function_privilege('public', 'auditlog.status()', 'EXECUTE'),
          'PUBLIC cannot execute status()');

SELECT auditlog.import_event(now() - interval '400 days', 'tap_status.old', actor => 'Tap Status');
SELECT auditlog.log_event('tap_status.new', actor => 'Tap Status');

SELECT is((SELECT events FROM auditlog.status()), (SELECT count(*) FROM auditlog.event_store),
          'events: every event');
SELECT is((SELECT unsummarized FROM auditlog.status()),
          (SELECT count(*) FROM auditlog.event_store
            WHERE id > (SELECT summarized_upto FROM auditlog.summary_state)),
          'unsummarized: the events above the summaries'' watermark');
SELECT cmp_ok((SELECT unsummarized FROM auditlog.status()), '>=', 2::bigint,
              'which include the two events of this transaction');
SELECT is((SELECT oldest_event FROM auditlog.status()), (SELECT min(occurred_at) FROM auditlog.event_store),
          'oldest_event: the time of the oldest event');
SELECT cmp_ok((SELECT unsealed FROM auditlog.status()), '<=', (SELECT events FROM auditlog.status()),
              'unsealed: no more than all events');
SELECT is((SELECT count(*) FROM auditlog.status()), 1::bigint, 'one row');
SELECT ok((SELECT last_maintenance IS NULL OR last_maintenance <= clock_timestamp() FROM auditlog.status()),
          'last_maintenance is never in the future');

SELECT * FROM finish();
ROLLBACK;
