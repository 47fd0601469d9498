-- auditlog.actor, auditlog.actor_id and auditlog.org_id set before the
-- library is loaded: PostgreSQL keeps them as placeholders and checks them
-- only when the library defines the settings. A value too long for an event
-- must not then fall back to the default (the session's role, no
-- organisation): the event would name the wrong person or organisation.
-- Each part runs in a session of its own, before anything loads the library.

-- Not defined yet: the library is not loaded in this session.
SELECT count(*) AS defined FROM pg_settings WHERE name = 'auditlog.org_id';
SELECT length(set_config('auditlog.org_id', repeat('o', 300), false)) AS org_id_length;
-- Loading the library keeps the value, and the event refuses it.
SELECT auditlog.log_event('settings.check');
SELECT count(*) AS defined, max(length(setting)) AS org_id_length
  FROM pg_settings WHERE name = 'auditlog.org_id';
SELECT auditlog.log_event('settings.check');
-- Once loaded, setting it is refused at once; a right value is used.
SELECT set_config('auditlog.org_id', repeat('o', 300), false);
SET auditlog.org_id = 'acme';
SELECT auditlog.log_event('settings.check') > 0 AS logged;

\c
SELECT length(set_config('auditlog.actor', repeat('a', 257), false)) AS actor_length;
SELECT auditlog.log_event('settings.check');
SELECT auditlog.log_event('settings.check', actor => 'Jane Roe') > 0 AS logged_with_argument;

\c
SELECT set_config('auditlog.actor', 'John Doe', false) AS actor,
       length(set_config('auditlog.actor_id', repeat('u', 257), false)) AS actor_id_length;
SELECT auditlog.log_event('settings.check');

-- What was written: only the events whose actor and organisation were right.
SELECT actor, actor_id, org_id FROM auditlog.events WHERE action = 'settings.check' ORDER BY id;

-- auditlog.retention: an interval reaching back before the first timestamp
-- (4714 BC) is refused when set, not left to fail every round of the
-- maintenance worker; one that fits is taken.
SET auditlog.retention = '6800 years';
SET auditlog.retention = '178000000 years';
SET auditlog.retention = '6000 years';
SHOW auditlog.retention;
RESET auditlog.retention;
