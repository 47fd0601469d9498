-- Row changes of registered tables become events: <resource_type>.create,
-- .update, .delete, .truncate, with the row images in details.
SET timezone = 'UTC';
SET intervalstyle = 'postgres';

-- pg_temp.new_events() shows the events written since its last call.
CREATE TEMP TABLE last_seen AS SELECT coalesce(max(id), 0) AS id FROM auditlog.event_store;
CREATE FUNCTION pg_temp.new_events()
RETURNS TABLE (action text, resource_type text, resource_id text, org_id text, details jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    since bigint := (SELECT id FROM last_seen);
BEGIN
    UPDATE last_seen SET id = coalesce((SELECT max(e.id) FROM auditlog.event_store e), since);
    RETURN QUERY SELECT e.action, e.resource_type, e.resource_id, e.org_id, e.details
                   FROM auditlog.events e WHERE e.id > since ORDER BY e.id;
END
$$;

CREATE TABLE connection (
    id int PRIMARY KEY,
    name text NOT NULL,
    client_secret text,
    refresh_token text,
    org text,
    updated_at timestamptz DEFAULT '2024-05-07 22:39:19+00'
);
SELECT auditlog.register_table('connection',
                               exclude_columns => '{updated_at}',
                               redact_columns => '{client_secret,refresh_token}',
                               org_column => 'org');

-- INSERT: the new row, without excluded and redacted columns; redacted
-- columns are named. The organisation comes from the org column.
INSERT INTO connection (id, name, client_secret, refresh_token, org)
VALUES (1, 'Salesforce', 's3cr3t', 'r-1', 'acme'),
       (2, 'HubSpot', NULL, NULL, NULL);
SELECT * FROM pg_temp.new_events();

-- UPDATE: only the changed columns, old and new; a changed redacted column
-- is named without its values.
UPDATE connection SET name = 'Salesforce EU', client_secret = 'n3w', updated_at = now() WHERE id = 1;
UPDATE connection SET refresh_token = 'r-2' WHERE id = 1;
SELECT * FROM pg_temp.new_events();

-- No event when no audited column changed: only excluded columns, or
-- nothing at all.
UPDATE connection SET updated_at = now();
UPDATE connection SET name = name;
SELECT count(*) AS no_events FROM pg_temp.new_events();

-- DELETE: the old row.
DELETE FROM connection WHERE id = 2;
SELECT * FROM pg_temp.new_events();

-- TRUNCATE: one event without resource id, naming the table.
TRUNCATE connection;
SELECT * FROM pg_temp.new_events();

-- Who acted: auditlog.actor (set_actor), else the session's role; db_user
-- is always the session's role; without an org column value, auditlog.org_id.
BEGIN;
SELECT auditlog.set_actor('John Doe', 'u-1');
SET LOCAL auditlog.org_id = 'org-default';
INSERT INTO connection (id, name, org) VALUES (3, 'Zendesk', 'globex'), (4, 'Slack', NULL);
COMMIT;
INSERT INTO connection (id, name) VALUES (5, 'Jira');
SELECT action, resource_id, CASE WHEN actor = session_user THEN '(session user)' ELSE actor END AS actor,
       actor_id, org_id, db_user = session_user AS db_user_is_session_user, outcome
  FROM auditlog.events WHERE id > (SELECT id FROM last_seen) ORDER BY id;
SELECT count(*) FROM pg_temp.new_events();

-- A composite primary key: the resource id is a JSON array of the key
-- values as text, in key order.
CREATE TABLE membership (team text, user_id int, role text, PRIMARY KEY (user_id, team));
SELECT auditlog.register_table('membership');
INSERT INTO membership VALUES ('eu', 1, 'admin');
UPDATE membership SET role = 'member';
SELECT * FROM pg_temp.new_events();

-- Values appear as to_jsonb(row) shows them, whatever their type.
CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE DOMAIN positive AS int CHECK (VALUE > 0);
CREATE TYPE money_pair AS (amount numeric, currency char(3));
CREATE TABLE typed (
    id bigint PRIMARY KEY, i2 int2, i4 int4, i8 int8, n numeric, n_nan numeric, f8 float8, f8_inf float8,
    b bool, t text, vc varchar(10), c char(5), u uuid, jb jsonb, js json, d date, ts timestamp,
    tstz timestamptz, iv interval, ia int[], ta text[], e mood, dom positive, comp money_pair,
    by bytea, ip inet, nothing text, hidden text, secret text
);
SELECT auditlog.register_table('typed', exclude_columns => '{hidden}', redact_columns => '{secret}');
INSERT INTO typed VALUES (
    1, 1, -2, 9007199254740993, 123.4500, 'NaN', 0.1, '-Infinity',
    true, E'line\n"quoted" \\ é', 'v', 'ab', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"b": [1, null], "a": 2.50}',
    '{"x": 1}', '2024-02-29', '2024-02-29 13:14:15.5', '2024-02-29 13:14:15+01', '1 day 2 hours',
    '{1,NULL,3}', '{"a b",c}', 'happy', 7, ROW(9.99, 'EUR'), '\x0102', '10.0.0.1/8', NULL, 'h', 's');
SELECT jsonb_pretty(details) FROM auditlog.events WHERE action = 'typed.create';
SELECT e.details->'new' = to_jsonb(r) - 'hidden' - 'secret' AS same_as_to_jsonb
  FROM auditlog.events e, typed r WHERE e.action = 'typed.create';
SELECT count(*) FROM pg_temp.new_events();

-- Schema changes: an added column is audited; a renamed excluded or
-- redacted column stays so under its new name; a dropped one leaves the
-- registry.
ALTER TABLE connection ADD COLUMN region text;
ALTER TABLE connection RENAME COLUMN client_secret TO api_secret;
ALTER TABLE connection RENAME COLUMN updated_at TO modified_at;
ALTER TABLE connection DROP COLUMN refresh_token;
SELECT exclude_columns, redact_columns FROM auditlog.registered_tables WHERE table_name = 'connection'::regclass;
UPDATE connection SET region = 'eu', api_secret = 'x', modified_at = now() WHERE id = 5;
SELECT * FROM pg_temp.new_events();

-- A column dropped by DROP TYPE ... CASCADE leaves the registry as well.
CREATE TYPE tier AS ENUM ('free', 'pro');
CREATE TABLE plan (id int PRIMARY KEY, tier tier, price int);
SELECT auditlog.register_table('plan', exclude_columns => '{tier}');
DROP TYPE tier CASCADE;
SELECT exclude_columns FROM auditlog.registered_tables WHERE table_name = 'plan'::regclass;

-- A renamed table is audited as before, under the same resource type.
ALTER TABLE connection RENAME TO data_connection;
INSERT INTO data_connection (id, name) VALUES (6, 'Stripe');
SELECT * FROM pg_temp.new_events();

-- COPY, INSERT ... ON CONFLICT and a writable CTE over two tables: one
-- event per row changed.
COPY data_connection (id, name, org) FROM stdin;
7	Notion	acme
8	Linear	\N
\.
INSERT INTO data_connection (id, name) VALUES (7, 'Notion v2'), (9, 'Asana')
    ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name;
INSERT INTO data_connection (id, name) VALUES (8, 'ignored') ON CONFLICT DO NOTHING;
WITH moved AS (DELETE FROM data_connection WHERE id = 9 RETURNING id)
INSERT INTO membership SELECT 'moved', id, 'guest' FROM moved;
SELECT * FROM pg_temp.new_events();

-- The events follow the transaction: a rolled-back savepoint takes its
-- events along; a failed statement leaves none.
BEGIN;
INSERT INTO data_connection (id, name) VALUES (10, 'kept');
SAVEPOINT s;
INSERT INTO data_connection (id, name) VALUES (11, 'rolled back');
TRUNCATE membership;
ROLLBACK TO SAVEPOINT s;
COMMIT;
INSERT INTO data_connection (id, name) VALUES (12, 'fails with the next row'), (10, 'duplicate');
SELECT * FROM pg_temp.new_events();

-- Events are visible to the next statement of the same transaction, all
-- of them for a big statement.
BEGIN;
INSERT INTO data_connection (id, name) SELECT g, 'bulk ' || g FROM generate_series(1000, 5999) g;
SELECT count(*) AS bulk_events, count(DISTINCT resource_id) AS rows_named
  FROM auditlog.events WHERE id > (SELECT id FROM last_seen) AND action = 'connection.create';
DELETE FROM data_connection WHERE name LIKE 'bulk %';
COMMIT;
SELECT action, count(*) FROM pg_temp.new_events() GROUP BY action ORDER BY action;

-- session_replication_role = replica skips ordinary triggers, auditlog's
-- too: changes made in that mode are not audited.
SET session_replication_role = replica;
INSERT INTO data_connection (id, name) VALUES (20, 'replica');
RESET session_replication_role;
SELECT count(*) AS replica_events FROM pg_temp.new_events();

-- Partitioned tables: register the parent; every partition, existing or
-- added later, is audited under its resource type. A detached partition
-- is a table of its own again.
CREATE TABLE measurement (id int, region text, value int, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE measurement_eu PARTITION OF measurement FOR VALUES IN ('eu');
SELECT auditlog.register_table('measurement', 'reading');
CREATE TABLE measurement_us PARTITION OF measurement FOR VALUES IN ('us');
CREATE TABLE measurement_asia (value int, region text NOT NULL, id int NOT NULL);
ALTER TABLE measurement ATTACH PARTITION measurement_asia FOR VALUES IN ('asia');
INSERT INTO measurement VALUES (1, 'eu', 10), (2, 'us', 20), (3, 'asia', 30);
INSERT INTO measurement_us VALUES (4, 'us', 40);
UPDATE measurement SET value = 11 WHERE id = 1;
TRUNCATE measurement;
SELECT * FROM pg_temp.new_events();
ALTER TABLE measurement DETACH PARTITION measurement_asia;
ALTER TABLE measurement DETACH PARTITION measurement_us CONCURRENTLY;
INSERT INTO measurement_asia VALUES (50, 'asia', 5);
INSERT INTO measurement_us VALUES (51, 'us', 5);
TRUNCATE measurement_asia, measurement_us;
SELECT count(*) AS detached_events FROM pg_temp.new_events();

-- A partition created inside CREATE SCHEMA is audited like any other.
CREATE SCHEMA archive CREATE TABLE measurement_old PARTITION OF public.measurement FOR VALUES IN ('old');
BEGIN;
INSERT INTO archive.measurement_old VALUES (60, 'old', 1);
SELECT count(*) AS visible_before_commit FROM auditlog.events WHERE id > (SELECT id FROM last_seen);
COMMIT;
TRUNCATE archive.measurement_old;
SELECT * FROM pg_temp.new_events();

-- A writer needs no privilege on auditlog: only on its table. Changes made
-- through a SECURITY DEFINER function are the session user's.
CREATE ROLE regress_auditlog_app;
CREATE ROLE regress_auditlog_owner;
GRANT INSERT, SELECT ON data_connection TO regress_auditlog_app;
CREATE FUNCTION rename_connection(cid int, new_name text) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ UPDATE data_connection SET name = new_name WHERE id = cid $$;
GRANT UPDATE, SELECT ON data_connection TO regress_auditlog_owner;
ALTER FUNCTION rename_connection(int, text) OWNER TO regress_auditlog_owner;
REVOKE ALL ON FUNCTION rename_connection(int, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION rename_connection(int, text) TO regress_auditlog_app;
SET SESSION AUTHORIZATION regress_auditlog_app;
INSERT INTO data_connection (id, name) VALUES (30, 'by the app');
SELECT rename_connection(30, 'renamed by the app');
INSERT INTO auditlog.event_store (id, occurred_at, txid, action_ref, actor_ref, db_user_ref, outcome)
VALUES (-1, now(), 1, 1, 1, 1, 'success');
SELECT auditlog.register_table('data_connection');
RESET SESSION AUTHORIZATION;
SELECT action, resource_id, actor, db_user, details
  FROM auditlog.events WHERE id > (SELECT id FROM last_seen) ORDER BY id;
SELECT count(*) FROM pg_temp.new_events();

-- Weird names: quotes, spaces, unicode, mixed case.
CREATE SCHEMA "My Schema";
CREATE TABLE "My Schema"."Odd ""Table""" ("Ünïcode Col" int PRIMARY KEY, "Secret Col" text, "Hidden ""Col""" text, "MixedCase" text);
SELECT auditlog.register_table('"My Schema"."Odd ""Table"""', 'odd_thing',
                               exclude_columns => ARRAY['Hidden "Col"']::name[],
                               redact_columns => '{"Secret Col"}');
INSERT INTO "My Schema"."Odd ""Table""" VALUES (1, 's', 'h', 'Mixed');
UPDATE "My Schema"."Odd ""Table""" SET "MixedCase" = 'mixed', "Secret Col" = 't';
TRUNCATE "My Schema"."Odd ""Table""";
SELECT * FROM pg_temp.new_events();

-- Dropping a registered table ends its registration.
DROP TABLE "My Schema"."Odd ""Table""";
SELECT table_name, resource_type FROM auditlog.registered_tables ORDER BY resource_type;

-- Clean up.
DROP FUNCTION rename_connection(int, text);
DROP TABLE data_connection, membership, typed, plan, measurement, measurement_asia, measurement_us;
DROP SCHEMA archive, "My Schema";
DROP TYPE mood, money_pair;
DROP DOMAIN positive;
DROP ROLE regress_auditlog_app, regress_auditlog_owner;
SELECT count(*) AS still_registered FROM auditlog.registered_tables;
RESET timezone;
RESET intervalstyle;
