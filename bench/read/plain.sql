-- bench/read/plain.sql — the comparison table: the same events as auditlog.events
-- in a plain table, with the indexes of the generator's indexes.sql (psql
-- variable indexes: its path), then VACUUM ANALYZE of both sides.
--
-- Deliberately favourable to the plain side: the indexes are built after the
-- load (compact, no page splits), the vacuum sets the visibility map (so
-- count(*) can use index-only scans), and outcome uses the 1-byte
-- auditlog.outcome rather than text or an enum.

\set ON_ERROR_STOP on

SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench_plain CASCADE;
RESET client_min_messages;
CREATE SCHEMA bench_plain;

CREATE TABLE bench_plain.events (
    id bigint NOT NULL,
    occurred_at timestamptz NOT NULL,
    actor text NOT NULL,
    actor_id text,
    action text NOT NULL,
    resource_type text,
    resource_id text,
    outcome auditlog.outcome NOT NULL,
    org_id text,
    details jsonb,
    db_user text NOT NULL,
    client_addr inet,
    application_name text,
    txid bigint NOT NULL
);

SELECT clock_timestamp() AS plain_t0 \gset

INSERT INTO bench_plain.events
SELECT id, occurred_at, actor, actor_id, action, resource_type, resource_id, outcome,
       org_id, details, db_user, client_addr, application_name, txid
  FROM auditlog.events
 ORDER BY id;

ALTER TABLE bench_plain.events ADD PRIMARY KEY (id);
\i :indexes

UPDATE bench_read.meta SET plain_s = round(extract(epoch FROM clock_timestamp() - :'plain_t0'::timestamptz)::numeric, 1);

SELECT clock_timestamp() AS analyze_t0 \gset
VACUUM (ANALYZE) bench_plain.events;
-- Every table of the extension, whatever the lead adds to the schema.
SELECT format('VACUUM (ANALYZE) %s', string_agg(c.oid::regclass::text, ', '))
  FROM pg_class c
 WHERE c.relnamespace = 'auditlog'::regnamespace AND c.relkind IN ('r', 'p', 'm')
\gexec
UPDATE bench_read.meta SET analyze_s = round(extract(epoch FROM clock_timestamp() - :'analyze_t0'::timestamptz)::numeric, 1),
                           ready = true;
