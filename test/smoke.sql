BEGIN;
SELECT plan(1);
SELECT has_function('auditlog', 'log_event', 'log_event exists');
SELECT * FROM finish();
ROLLBACK;
