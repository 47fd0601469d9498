-- test/dump/check.sql — after pg_dump and restore into a new database.
BEGIN;
SELECT plan(6);

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

-- the extension still works, and new ids follow the restored ones
SELECT cmp_ok(auditlog.log_event('auth.login', actor => 'John Doe'), '>',
              (SELECT max(id) FROM dump_expect), 'a new event gets a fresh id');
SELECT is((SELECT count(DISTINCT actor_ref) FROM auditlog.event_store
            WHERE actor_ref IN (SELECT id FROM auditlog.labels WHERE label = 'John Doe')), 1::bigint,
          'a known actor is not stored twice');
SELECT throws_ok('DELETE FROM auditlog.event_store', '42501', NULL,
                 'the restored log is still append-only');

SELECT * FROM finish();
ROLLBACK;
