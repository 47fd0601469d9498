-- auditlog.log_event(): the application records what no table change shows.

-- The two actions of the product page, and a denied attempt.
SELECT auditlog.log_event('auth.login', actor => 'John Doe', actor_id => 'u-1') > 0 AS logged;
SELECT auditlog.log_event('credential.token_refresh', 'connection', 'eae3a753-7bdc-4b4c-9f3e-1d2c3b4a5f60',
                          'failure', '{"error": "invalid_grant"}', actor => 'system') > 0 AS logged;
SELECT auditlog.log_event('connection.delete', 'connection', 'c-42', outcome => 'denied',
                          actor => 'Jane Roe', org_id => 'acme') > 0 AS logged;

SELECT actor, actor_id, action, resource_type, resource_id, outcome, org_id, details
  FROM auditlog.events ORDER BY id;

-- The ids increase; the context is filled in by the server.
SELECT count(DISTINCT id) = count(*) AS unique_ids, min(id) < max(id) AS increasing,
       bool_and(db_user = session_user) AS db_user,
       bool_and(txid > 0) AS txid,
       bool_and(occurred_at <= now() + interval '1 second') AS occurred_at
  FROM auditlog.events;

-- Every event of one transaction carries that transaction's id.
BEGIN;
SELECT auditlog.log_event('report.export') IS NOT NULL AS a, auditlog.log_event('report.print') IS NOT NULL AS b;
SELECT count(DISTINCT txid) AS txids, bool_and(txid = pg_current_xact_id()::text::bigint) AS this_xact
  FROM auditlog.events WHERE action LIKE 'report.%';
COMMIT;

-- The actor: argument, else the settings, else the session's role.
BEGIN;
SET LOCAL auditlog.actor = 'Ada Lovelace';
SET LOCAL auditlog.actor_id = 'u-7';
SET LOCAL auditlog.org_id = 'org-9';
SELECT auditlog.log_event('auth.logout') > 0 AS logged;
SELECT auditlog.log_event('auth.logout', actor => 'Grace Hopper') > 0 AS logged;
COMMIT;
SELECT auditlog.log_event('auth.logout') > 0 AS logged;
SELECT actor = session_user AS is_role, actor, actor_id, org_id
  FROM auditlog.events WHERE action = 'auth.logout' ORDER BY id;

-- set_actor() lasts for the transaction.
BEGIN;
SELECT auditlog.set_actor('system');
SELECT current_setting('auditlog.actor'), auditlog.log_event('job.run') > 0 AS logged;
COMMIT;
SELECT current_setting('auditlog.actor') AS after_commit;
SELECT actor FROM auditlog.events WHERE action = 'job.run';

-- Outside a transaction block it would last for its own statement only:
-- it warns, and changes nothing for the statements after it.
SELECT auditlog.set_actor('Nobody Lasting', 'u-lost');
SELECT current_setting('auditlog.actor') = '' AS actor_unset,
       current_setting('auditlog.actor_id') = '' AS actor_id_unset;
SELECT auditlog.log_event('job.after_warning') > 0 AS logged;
SELECT actor = session_user AS actor_is_session_role, actor_id
  FROM auditlog.events WHERE action = 'job.after_warning';

-- Bad input: a clear error, and nothing written.
SELECT count(*) AS before FROM auditlog.event_store \gset
SELECT auditlog.log_event(NULL);
SELECT auditlog.log_event('login');
SELECT auditlog.log_event('Auth.Login');
SELECT auditlog.log_event('auth..login');
SELECT auditlog.log_event('auth.login.');
SELECT auditlog.log_event('auth.1login');
SELECT auditlog.log_event('auth.log-in');
SELECT auditlog.log_event('auth.' || repeat('x', 300));
SELECT auditlog.log_event('auth.login', outcome => NULL);
SELECT auditlog.log_event('auth.login', outcome => 'ok');
SELECT auditlog.log_event('auth.login', resource_id => 'r-1');
SELECT auditlog.log_event('auth.login', details => '[1, 2]');
SELECT auditlog.log_event('auth.login', details => '"text"');
SELECT auditlog.log_event('auth.login', actor => '');
SELECT auditlog.log_event('auth.login', actor => repeat('x', 300));
SELECT auditlog.log_event('auth.login', 'connection', repeat('x', 2000));
SELECT auditlog.set_actor(NULL);
SELECT auditlog.set_actor('');
BEGIN READ ONLY;
SELECT auditlog.log_event('auth.login');
ROLLBACK;
SELECT count(*) = :before AS nothing_written FROM auditlog.event_store;

-- An event written in a rolled-back transaction or savepoint is gone. A new
-- action or actor it mentioned stays in the dictionaries: they are committed
-- on their own (by the auditlog writer), so that no other writer waits on
-- this transaction's rows.
BEGIN;
SELECT auditlog.log_event('ghost.appear', actor => 'Ghost') > 0 AS logged;
ROLLBACK;
BEGIN;
SAVEPOINT s;
SELECT auditlog.log_event('ghost.appear', actor => 'Ghost') > 0 AS logged;
ROLLBACK TO SAVEPOINT s;
SELECT auditlog.log_event('ghost.vanish', actor => 'Ghost') > 0 AS logged;
COMMIT;
SELECT action, actor FROM auditlog.events WHERE actor = 'Ghost';
SELECT action FROM auditlog.action_types WHERE action LIKE 'ghost.%' ORDER BY action;
SELECT label FROM auditlog.labels WHERE label = 'Ghost';
-- the same names work again after the rollbacks (the cache forgot them)
SELECT auditlog.log_event('ghost.appear', actor => 'Ghost') > 0 AS logged;
SELECT action, actor FROM auditlog.events WHERE actor = 'Ghost' ORDER BY id;

-- The events table is append-only, for its owner too.
UPDATE auditlog.event_store SET outcome = 'success';
DELETE FROM auditlog.event_store;
TRUNCATE auditlog.event_store;
UPDATE auditlog.labels SET label = 'Someone Else';
DELETE FROM auditlog.events;
