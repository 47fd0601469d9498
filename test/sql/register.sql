-- auditlog.register_table(): from now on every INSERT, UPDATE, DELETE and
-- TRUNCATE of a table is an event. auditlog.registered_tables lists the
-- registered tables; auditlog.unregister_table() ends a registration.
SET timezone = 'UTC';

CREATE TABLE connection (
    id int PRIMARY KEY,
    name text NOT NULL,
    client_secret text,
    refresh_token text,
    org text,
    updated_at timestamptz
);

-- With the defaults: the resource type is the table's name, the resource id
-- its primary key, every column is shown.
SELECT auditlog.register_table('connection');
SELECT table_name, resource_type, id_columns, exclude_columns, redact_columns, org_column,
       registered_by = session_user AS by_me
  FROM auditlog.registered_tables;

-- The table's four actions join the catalogue of actions, described.
SELECT action, description FROM auditlog.action_types WHERE action LIKE 'connection.%' ORDER BY action;

-- Registering again replaces the options: here, leave updated_at out of
-- events, show that the secrets changed but never their values, and take
-- each event's organisation from the org column.
SELECT auditlog.register_table('connection',
                               exclude_columns => '{updated_at}',
                               redact_columns => '{client_secret,refresh_token}',
                               org_column => 'org');
SELECT table_name, resource_type, id_columns, exclude_columns, redact_columns, org_column
  FROM auditlog.registered_tables;

-- A description already there is kept when registering again.
UPDATE auditlog.action_types SET description = 'Connected a new data source'
 WHERE action = 'connection.create';
SELECT auditlog.register_table('connection',
                               exclude_columns => '{updated_at}',
                               redact_columns => '{client_secret,refresh_token}',
                               org_column => 'org');
SELECT action, description FROM auditlog.action_types WHERE action LIKE 'connection.%' ORDER BY action;

-- A table without primary key names the column that identifies its rows.
CREATE TABLE api_key (token_hash text NOT NULL UNIQUE, label text, owner_id int);
SELECT auditlog.register_table('api_key', id_column => 'token_hash');

-- A composite primary key: the resource id is a JSON array of its values.
CREATE TABLE membership (user_id int, team text, role text, PRIMARY KEY (user_id, team));
SELECT auditlog.register_table('membership');

-- Columns a primary key only INCLUDEs are no part of the resource id.
CREATE TABLE invoice (id int, number text, PRIMARY KEY (id) INCLUDE (number));
SELECT auditlog.register_table('invoice');

-- A table whose name is no action word registers with a resource_type.
CREATE TABLE "Billing Accounts" (id int PRIMARY KEY, plan text);
SELECT auditlog.register_table('"Billing Accounts"', resource_type => 'billing_account');

SELECT table_name, resource_type, id_columns FROM auditlog.registered_tables ORDER BY resource_type;

-- Unregistering stops the auditing; the actions and past events stay.
SELECT auditlog.unregister_table('api_key');
SELECT table_name FROM auditlog.registered_tables ORDER BY resource_type;
SELECT count(*) AS api_key_actions FROM auditlog.action_types WHERE action LIKE 'api_key.%';

-- Dropping a registered table ends its registration, silently.
DROP TABLE membership;
SELECT table_name FROM auditlog.registered_tables ORDER BY resource_type;

-- Bad registrations: each is an error naming what is wrong, with a hint
-- where one helps; none registers anything.
CREATE VIEW connection_names AS SELECT id, name FROM connection;
CREATE MATERIALIZED VIEW connection_count AS SELECT count(*) FROM connection;
CREATE SEQUENCE ticket_seq;
CREATE TEMP TABLE scratch (id int PRIMARY KEY);
CREATE TABLE event_log (id int, region text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE event_log_eu PARTITION OF event_log FOR VALUES IN ('eu');
CREATE TABLE no_key (a int, b text);

SELECT auditlog.register_table(NULL);
SELECT auditlog.register_table('connection_names');
SELECT auditlog.register_table('connection_count');
SELECT auditlog.register_table('ticket_seq');
SELECT auditlog.register_table('scratch');
SELECT auditlog.register_table('event_log_eu');
SELECT auditlog.register_table('no_key');
SELECT auditlog.register_table('connection', exclude_columns => '{password}');
SELECT auditlog.register_table('connection', redact_columns => '{Name}');
SELECT auditlog.register_table('connection', id_column => 'uuid');
SELECT auditlog.register_table('connection', org_column => 'organisation');
SELECT auditlog.register_table('connection', exclude_columns => '{client_secret}', redact_columns => '{client_secret}');
SELECT auditlog.register_table('connection', exclude_columns => NULL);
SELECT auditlog.register_table('connection', redact_columns => '{name,NULL}');
SELECT auditlog.register_table('"Billing Accounts"');
SELECT auditlog.register_table('connection', 'Bad-Type');
SELECT auditlog.register_table('auditlog.event_store');
SELECT auditlog.unregister_table('no_key');

-- The refused calls changed nothing.
SELECT table_name, resource_type, exclude_columns, redact_columns, org_column
  FROM auditlog.registered_tables ORDER BY resource_type;

-- Registering is not open to PUBLIC: a role needs EXECUTE on the function,
-- and the TRIGGER privilege on the table (which its owner holds).
CREATE ROLE regress_auditlog_registrar;
GRANT EXECUTE ON FUNCTION auditlog.register_table(regclass, text, name, name[], name[], name)
   TO regress_auditlog_registrar;
CREATE ROLE regress_auditlog_nobody;
SET ROLE regress_auditlog_nobody;
SELECT auditlog.register_table('no_key', id_column => 'a');
SET ROLE regress_auditlog_registrar;
SELECT auditlog.register_table('no_key', id_column => 'a');
RESET ROLE;
GRANT TRIGGER ON no_key TO regress_auditlog_registrar;
SET ROLE regress_auditlog_registrar;
SELECT auditlog.register_table('no_key', id_column => 'a');
RESET ROLE;
SELECT table_name, id_columns FROM auditlog.registered_tables WHERE table_name = 'no_key'::regclass;

-- An id_column that does not name one row is accepted, with a warning: a
-- column without a unique index of its own, or one that allows NULL.
ALTER TABLE no_key ADD CONSTRAINT no_key_a_unique UNIQUE (a);
SELECT auditlog.register_table('no_key', id_column => 'a') AS registered;
ALTER TABLE no_key ALTER a SET NOT NULL;
SELECT auditlog.register_table('no_key', id_column => 'a') AS registered;
-- On a partitioned table, the hint says what a unique index of one column
-- needs there.
SELECT auditlog.register_table('event_log', id_column => 'id') AS registered;
SELECT auditlog.unregister_table('event_log') AS unregistered;

-- Two tables (not of one inheritance family) under one resource type: a
-- warning, since a row of each with one id would be one resource.
CREATE TABLE thing_a (id int PRIMARY KEY);
CREATE TABLE thing_b (id int PRIMARY KEY);
SELECT auditlog.register_table('thing_a', resource_type => 'thing') AS registered;
SELECT auditlog.register_table('thing_b', resource_type => 'thing') AS registered;
SELECT auditlog.register_table('thing_a', resource_type => 'thing') AS registered_again;

-- Clean up.
DROP VIEW connection_names;
DROP MATERIALIZED VIEW connection_count;
DROP TABLE connection, api_key, "Billing Accounts", invoice, event_log, no_key, thing_a, thing_b;
DROP SEQUENCE ticket_seq;
REVOKE EXECUTE ON FUNCTION auditlog.register_table(regclass, text, name, name[], name[], name)
  FROM regress_auditlog_registrar;
DROP ROLE regress_auditlog_registrar, regress_auditlog_nobody;
SELECT count(*) AS still_registered FROM auditlog.registered_tables;
RESET timezone;
