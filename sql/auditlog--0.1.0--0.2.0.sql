/* sql/auditlog--0.1.0--0.2.0.sql — update of the auditlog extension from 0.1.0 to 0.2.0 */

\echo Use "ALTER EXTENSION auditlog UPDATE TO '0.2.0'" to load this file. \quit

-- Everything here leaves an updated database with exactly the objects of a
-- fresh 0.2.0 install (sql/auditlog--0.2.0.sql), and every event, label,
-- registration and count it had. test/upgrade checks both.

---------------------------------------------------------------------------
-- The outcome type: operators found from any search_path; min() and max()
---------------------------------------------------------------------------

-- Moving them keeps their oids, so the operator classes, indexes and plans
-- that use them follow.
ALTER OPERATOR auditlog.= (auditlog.outcome, auditlog.outcome) SET SCHEMA pg_catalog;
ALTER OPERATOR auditlog.<> (auditlog.outcome, auditlog.outcome) SET SCHEMA pg_catalog;
ALTER OPERATOR auditlog.< (auditlog.outcome, auditlog.outcome) SET SCHEMA pg_catalog;
ALTER OPERATOR auditlog.<= (auditlog.outcome, auditlog.outcome) SET SCHEMA pg_catalog;
ALTER OPERATOR auditlog.> (auditlog.outcome, auditlog.outcome) SET SCHEMA pg_catalog;
ALTER OPERATOR auditlog.>= (auditlog.outcome, auditlog.outcome) SET SCHEMA pg_catalog;

CREATE FUNCTION auditlog.outcome_smaller(auditlog.outcome, auditlog.outcome) RETURNS auditlog.outcome
    AS 'MODULE_PATHNAME', 'auditlog_outcome_smaller' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION auditlog.outcome_larger(auditlog.outcome, auditlog.outcome) RETURNS auditlog.outcome
    AS 'MODULE_PATHNAME', 'auditlog_outcome_larger' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE AGGREGATE pg_catalog.min(auditlog.outcome) (
    SFUNC = auditlog.outcome_smaller, STYPE = auditlog.outcome,
    COMBINEFUNC = auditlog.outcome_smaller, SORTOP = OPERATOR(pg_catalog.<), PARALLEL = SAFE
);
CREATE AGGREGATE pg_catalog.max(auditlog.outcome) (
    SFUNC = auditlog.outcome_larger, STYPE = auditlog.outcome,
    COMBINEFUNC = auditlog.outcome_larger, SORTOP = OPERATOR(pg_catalog.>), PARALLEL = SAFE
);
COMMENT ON AGGREGATE pg_catalog.min(auditlog.outcome) IS 'The first outcome in the order success < failure < denied';
COMMENT ON AGGREGATE pg_catalog.max(auditlog.outcome) IS 'The last outcome in the order success < failure < denied: the worst one';

---------------------------------------------------------------------------
-- The event store, partitioned by month (for retention)
---------------------------------------------------------------------------

-- The 0.1.0 table, with every event, becomes the default partition: the
-- events of months without a partition of their own. Nothing is copied. Its
-- indexes stay its own (see the fresh install: the parent has none, so
-- that pg_dump restores the monthly partitions' indexes as they were); its
-- row trigger is replaced by the new table's, which every partition gets.
-- (auditlog.events is made again below, over the new table.)
ALTER TABLE auditlog.event_store RENAME TO event_store_default;
-- The block-range indexes are made again with smaller ranges, the
-- resource's with the time after its key, and the actor's and the
-- action's btrees are new (see the fresh install).
DROP INDEX auditlog.event_store_resource_idx;
CREATE INDEX event_store_default_resource_idx ON auditlog.event_store_default
    (resource_id, resource_type_ref, occurred_at) WHERE resource_id IS NOT NULL;
DROP INDEX auditlog.event_store_id_idx;
DROP INDEX auditlog.event_store_occurred_at_idx;
CREATE INDEX event_store_default_id_idx ON auditlog.event_store_default USING brin (id)
    WITH (pages_per_range = 16);
-- (On PostgreSQL 14 and later, as minmax-multi ranges: an event imported
-- late, or a clock set back, then widens its range no more than itself. Of
-- 8 values a range, not 32: a scan reads a third of the time, and a range
-- still keeps 7 such events apart.)
DO $$
BEGIN
    EXECUTE 'CREATE INDEX event_store_default_occurred_at_idx ON auditlog.event_store_default'
        || ' USING brin (occurred_at'
        || CASE WHEN current_setting('server_version_num')::int >= 140000
                THEN ' timestamptz_minmax_multi_ops (values_per_range = 8)' ELSE '' END
        || ') WITH (pages_per_range = 16)';
END
$$;
CREATE INDEX event_store_default_actor_idx ON auditlog.event_store_default (actor_ref, occurred_at);
CREATE INDEX event_store_default_action_idx ON auditlog.event_store_default (action_ref, occurred_at);
DROP TRIGGER append_only ON auditlog.event_store_default;
COMMENT ON TABLE auditlog.event_store_default IS
    'The events of months that have no partition of their own';
ALTER TABLE auditlog.event_store_default REPLICA IDENTITY FULL;

CREATE TABLE auditlog.event_store (
    id bigint NOT NULL,
    occurred_at timestamptz NOT NULL,
    txid bigint NOT NULL,
    action_ref integer NOT NULL,
    actor_ref integer NOT NULL,
    actor_id_ref integer,
    resource_type_ref integer,
    org_ref integer,
    db_user_ref integer NOT NULL,
    application_ref integer,
    outcome auditlog.outcome NOT NULL,
    client_addr inet,
    resource_id text COLLATE "C",
    details jsonb
) PARTITION BY RANGE (occurred_at);
COMMENT ON TABLE auditlog.event_store IS
    'Storage of the events, append-only, partitioned by month; read auditlog.events';
REVOKE ALL ON auditlog.event_store FROM PUBLIC;
ALTER TABLE auditlog.event_store ATTACH PARTITION auditlog.event_store_default DEFAULT;
ALTER SEQUENCE auditlog.event_store_id_seq OWNED BY auditlog.event_store.id;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON auditlog.event_store
    FOR EACH ROW EXECUTE FUNCTION auditlog.refuse_change();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON auditlog.event_store
    FOR EACH STATEMENT EXECUTE FUNCTION auditlog.refuse_change();
ALTER TABLE auditlog.event_store ENABLE ALWAYS TRIGGER append_only;
ALTER TABLE auditlog.event_store ENABLE ALWAYS TRIGGER append_only_truncate;

---------------------------------------------------------------------------
-- auditlog.events: text columns in the database's default collation
---------------------------------------------------------------------------

-- A view's column collation cannot change in place: the view is made again,
-- with the privileges granted on it. (A view of your own over
-- auditlog.events makes this step fail; drop it first, see README.)
DO $$
DECLARE
    saved pg_catalog.aclitem[];
    g record;
BEGIN
    SELECT c.relacl INTO saved FROM pg_catalog.pg_class c
     WHERE c.oid OPERATOR(pg_catalog.=) 'auditlog.events'::pg_catalog.regclass;
    DROP VIEW auditlog.events;
    CREATE VIEW auditlog.events AS
    SELECT e.id,
           e.occurred_at,
           ac.label COLLATE "default" AS actor,
           ai.label COLLATE "default" AS actor_id,
           t.action COLLATE "default" AS action,
           rt.label COLLATE "default" AS resource_type,
           e.resource_id COLLATE "default" AS resource_id,
           e.outcome,
           og.label COLLATE "default" AS org_id,
           e.details,
           du.label COLLATE "default" AS db_user,
           e.client_addr,
           an.label COLLATE "default" AS application_name,
           e.txid
      FROM auditlog.event_store e
      LEFT JOIN auditlog.action_types t ON t.id = e.action_ref
      LEFT JOIN auditlog.labels ac ON ac.id = e.actor_ref
      LEFT JOIN auditlog.labels ai ON ai.id = e.actor_id_ref
      LEFT JOIN auditlog.labels rt ON rt.id = e.resource_type_ref
      LEFT JOIN auditlog.labels og ON og.id = e.org_ref
      LEFT JOIN auditlog.labels du ON du.id = e.db_user_ref
      LEFT JOIN auditlog.labels an ON an.id = e.application_ref;
    COMMENT ON VIEW auditlog.events IS
        'Every event: when, who, what, on which resource, with what outcome, and its context';
    REVOKE ALL ON auditlog.events FROM PUBLIC;
    FOR g IN SELECT a.grantee, a.privilege_type, a.is_grantable
               FROM pg_catalog.aclexplode(saved) a
              WHERE a.grantee OPERATOR(pg_catalog.<>) a.grantor LOOP
        EXECUTE pg_catalog.format('GRANT %s ON auditlog.events TO %s%s', g.privilege_type,
                                  CASE WHEN g.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'
                                       ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(g.grantee)) END,
                                  CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
END
$$;

---------------------------------------------------------------------------
-- Logical replication: every table that is ever updated has a replica identity
---------------------------------------------------------------------------

ALTER TABLE auditlog.summary_state REPLICA IDENTITY FULL;

---------------------------------------------------------------------------
-- The summaries: a row per month, with the counts of its days
---------------------------------------------------------------------------

-- The per-day counts of a month row (days): built by the aggregate
-- day_counts(time, n) from times of one UTC month (its state holds the
-- month after the days), added up on conflict by day_counts_add (an error
-- if a day would fall below zero), read by day_counts_sum (days [from, to)
-- of the month) and day_counts_last (the last day before one that holds
-- events), shown as a bigint[31] by day_counts_array. Stored in a few bytes
-- (src/day_counts.c): most days of most combinations hold no event or a
-- few, and as a bigint[31] a row's days took 272 bytes, twice (the table
-- and the key's INCLUDE). For summarize() and the counts of search(), run
-- as the owner.
CREATE FUNCTION auditlog.day_counts_step(bigint[], timestamptz, bigint)
RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'auditlog_day_counts_step'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION auditlog.day_counts_final(bigint[])
RETURNS bytea
    AS 'MODULE_PATHNAME', 'auditlog_day_counts_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE AGGREGATE auditlog.day_counts(timestamptz, bigint) (
    SFUNC = auditlog.day_counts_step,
    STYPE = bigint[],
    FINALFUNC = auditlog.day_counts_final
);
CREATE FUNCTION auditlog.day_counts_add(bytea, bytea)
RETURNS bytea
    AS 'MODULE_PATHNAME', 'auditlog_day_counts_add'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION auditlog.day_counts_sum(days bytea, from_day integer, to_day integer)
RETURNS bigint
    AS 'MODULE_PATHNAME', 'auditlog_day_counts_sum'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION auditlog.day_counts_last(days bytea, before_day integer)
RETURNS integer
    AS 'MODULE_PATHNAME', 'auditlog_day_counts_last'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION auditlog.day_counts_array(days bytea)
RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'auditlog_day_counts_array'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON AGGREGATE auditlog.day_counts(timestamptz, bigint) IS
    'The per-day counts of a month row of auditlog.event_counts: n added to the UTC day of each time, all of one month';
COMMENT ON FUNCTION auditlog.day_counts_add(bytea, bytea) IS
    'Two per-day counts added day by day; an error if a day falls below zero';
COMMENT ON FUNCTION auditlog.day_counts_sum(bytea, integer, integer) IS
    'The events of days [from_day, to_day) of a per-day count';
COMMENT ON FUNCTION auditlog.day_counts_last(bytea, integer) IS
    'The last day before before_day that holds events in a per-day count, or NULL';
COMMENT ON FUNCTION auditlog.day_counts_array(bytea) IS
    'A per-day count as 31 bigints, element d the events of day d';
REVOKE EXECUTE ON FUNCTION auditlog.day_counts_step(bigint[], timestamptz, bigint),
    auditlog.day_counts_final(bigint[]),
    auditlog.day_counts(timestamptz, bigint),
    auditlog.day_counts_add(bytea, bytea),
    auditlog.day_counts_sum(bytea, integer, integer),
    auditlog.day_counts_last(bytea, integer),
    auditlog.day_counts_array(bytea) FROM PUBLIC;

-- The rows per day, over all actors ('d') and per actor with the outcome
-- alone ('U'), become the days of one row per month ('m', 'U'); the 0.1.0
-- month rows over all actors are the sums of those days, made again from
-- them; and the new rows per month and outcome alone over all actors ('U',
-- actor 0) are the sums of the days over all actors. The watermark stays:
-- the counts are the same.
ALTER TABLE auditlog.event_counts ADD COLUMN days bytea;
-- Derived data, converted only if it adds up: per day to per month over all
-- actors, per actor and day to per actor and month, months to all time. If not (edited by hand,
-- restored in part), the summaries are emptied and the maintenance worker
-- (or summarize()) makes them again from the events; counts stay exact
-- meanwhile, counted from the events.
DO $$
BEGIN
    IF EXISTS (
        SELECT FROM (SELECT pg_catalog.date_trunc('month', c.bucket, 'UTC') AS bucket, c.action_ref,
                            c.resource_type_ref, c.org_ref, c.outcome, pg_catalog.sum(c.n) AS n
                       FROM auditlog.event_counts c WHERE c.grain OPERATOR(pg_catalog.=) 'd'
                      GROUP BY 1, 2, 3, 4, 5) d
        FULL JOIN (SELECT c.bucket, c.action_ref, c.resource_type_ref, c.org_ref, c.outcome, c.n
                     FROM auditlog.event_counts c WHERE c.grain OPERATOR(pg_catalog.=) 'm') m
          USING (bucket, action_ref, resource_type_ref, org_ref, outcome)
        WHERE COALESCE(d.n, 0) OPERATOR(pg_catalog.<>) COALESCE(m.n, 0))
    OR EXISTS (
        SELECT FROM (SELECT c.actor_ref, pg_catalog.date_trunc('month', c.bucket, 'UTC') AS bucket, c.outcome,
                            pg_catalog.sum(c.n) AS n
                       FROM auditlog.event_counts c WHERE c.grain OPERATOR(pg_catalog.=) 'U'
                      GROUP BY 1, 2, 3) d
        FULL JOIN (SELECT c.actor_ref, c.bucket, c.outcome, pg_catalog.sum(c.n) AS n
                     FROM auditlog.event_counts c WHERE c.grain OPERATOR(pg_catalog.=) 'M'
                    GROUP BY 1, 2, 3) m
          USING (actor_ref, bucket, outcome)
        WHERE COALESCE(d.n, 0) OPERATOR(pg_catalog.<>) COALESCE(m.n, 0))
    OR EXISTS (
        SELECT FROM (SELECT c.grain, c.actor_ref, c.action_ref, c.resource_type_ref, c.org_ref, c.outcome,
                            pg_catalog.sum(c.n) AS n
                       FROM auditlog.event_counts c WHERE c.grain IN ('m', 'M')
                      GROUP BY 1, 2, 3, 4, 5, 6) m
        FULL JOIN (SELECT CASE WHEN c.grain OPERATOR(pg_catalog.=) 'a' THEN 'm' ELSE 'M' END::"char" AS grain,
                          c.actor_ref, c.action_ref, c.resource_type_ref, c.org_ref, c.outcome, c.n
                     FROM auditlog.event_counts c WHERE c.grain IN ('a', 'A')) a
          USING (grain, actor_ref, action_ref, resource_type_ref, org_ref, outcome)
        WHERE COALESCE(m.n, 0) OPERATOR(pg_catalog.<>) COALESCE(a.n, 0))
    OR EXISTS (SELECT FROM auditlog.event_counts c WHERE c.n OPERATOR(pg_catalog.<=) 0)
    THEN
        DELETE FROM auditlog.event_counts;
        UPDATE auditlog.summary_state SET summarized_upto = 0, pending_upto = 0, pending_xmax = 0;
        RAISE WARNING 'auditlog: the summaries of 0.1.0 did not add up, and are made again from the events';
    END IF;
END
$$;
WITH old AS (
    DELETE FROM auditlog.event_counts c WHERE c.grain IN ('d', 'm', 'U') RETURNING c.*)
INSERT INTO auditlog.event_counts
    (grain, actor_ref, bucket, action_ref, resource_type_ref, org_ref, outcome, n, days)
SELECT CASE WHEN o.grain = 'd' THEN 'm' ELSE 'U' END, o.actor_ref,
       pg_catalog.date_trunc('month', o.bucket, 'UTC'), o.action_ref, o.resource_type_ref,
       o.org_ref, o.outcome, pg_catalog.sum(o.n), auditlog.day_counts(o.bucket, o.n)
  FROM old o
 WHERE o.grain IN ('d', 'U')
 GROUP BY 1, 2, 3, 4, 5, 6, 7
UNION ALL
SELECT 'U', 0, pg_catalog.date_trunc('month', o.bucket, 'UTC'), 0, 0, 0, o.outcome,
       pg_catalog.sum(o.n), auditlog.day_counts(o.bucket, o.n)
  FROM old o
 WHERE o.grain = 'd'
 GROUP BY 3, 7;
ALTER TABLE auditlog.event_counts
    DROP CONSTRAINT event_counts_pkey,
    ADD CONSTRAINT event_counts_pkey
        PRIMARY KEY (grain, actor_ref, bucket, action_ref, resource_type_ref, org_ref, outcome)
        INCLUDE (n, days),
    DROP CONSTRAINT event_counts_grain_check,
    ADD CONSTRAINT event_counts_grain_check CHECK (grain IN ('m', 'M', 'U', 'a', 'A')),
    ADD CONSTRAINT event_counts_days_check
        CHECK (CASE WHEN grain IN ('m', 'U')
               THEN COALESCE(pg_catalog.octet_length(days) OPERATOR(pg_catalog.>=) 4, false)
               ELSE days IS NULL END);
COMMENT ON TABLE auditlog.event_counts IS
    'Precomputed event counts per UTC month and day, over all actors and per actor (derived; see auditlog.summarize)';

---------------------------------------------------------------------------
-- Maintenance: the summaries kept current by a background worker
---------------------------------------------------------------------------

ALTER TABLE auditlog.summary_state ADD COLUMN maintained_at timestamptz;
COMMENT ON COLUMN auditlog.summary_state.maintained_at IS
    'When summarize() (by the maintenance worker or by hand) last moved the summaries';

-- Runs as the extension's owner, so that a monitoring role needs EXECUTE on
-- it and nothing else (it reads the maintenance worker's row of
-- pg_stat_activity too).
CREATE FUNCTION auditlog.status()
RETURNS TABLE (events bigint, unsummarized bigint, unsealed bigint,
               oldest_event timestamptz, last_maintenance timestamptz)
    AS 'MODULE_PATHNAME', 'auditlog_status'
    LANGUAGE C STABLE PARALLEL SAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auditlog.status() IS
    'The state of the log, for monitoring: how many events, how many the summaries and seals '
    'do not cover yet, the oldest event, and when maintenance last ran';
REVOKE EXECUTE ON FUNCTION auditlog.status() FROM PUBLIC;

---------------------------------------------------------------------------
-- Events that survive the caller's rollback
---------------------------------------------------------------------------

-- Written and committed by the database's auditlog writer (a background
-- worker), with the caller's context; the caller waits for the commit.
CREATE FUNCTION auditlog.log_event_autonomous(
    action text,
    resource_type text DEFAULT NULL,
    resource_id text DEFAULT NULL,
    outcome auditlog.outcome DEFAULT 'success',
    details jsonb DEFAULT NULL,
    actor text DEFAULT NULL,
    actor_id text DEFAULT NULL,
    org_id text DEFAULT NULL)
RETURNS bigint
    AS 'MODULE_PATHNAME', 'auditlog_log_event_autonomous'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION auditlog.log_event_autonomous(text, text, text, auditlog.outcome, jsonb, text, text, text) IS
    'Records one event that commits on its own, whatever the calling transaction then does, and returns its id';
REVOKE EXECUTE ON FUNCTION auditlog.log_event_autonomous(text, text, text, auditlog.outcome, jsonb, text, text, text) FROM PUBLIC;

---------------------------------------------------------------------------
-- filter_options(): the values of committed events
---------------------------------------------------------------------------

-- New labels and actions are committed on their own (by the auditlog
-- writer, so that no writer waits on another's), so the dictionaries may
-- hold strings of rolled-back events: the options come from the events.
CREATE OR REPLACE FUNCTION auditlog.filter_options()
RETURNS TABLE (kind text, value text, label text)
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH used AS MATERIALIZED (
        -- what the summarized events use (per actor, all time) ...
        SELECT c.actor_ref, c.action_ref, c.resource_type_ref
          FROM auditlog.event_counts c
         WHERE c.grain OPERATOR(pg_catalog.=) 'A' AND c.n OPERATOR(pg_catalog.>) 0
        UNION
        -- ... and the events above the summaries' watermark
        SELECT e.actor_ref, e.action_ref, COALESCE(e.resource_type_ref, 0)
          FROM auditlog.event_store e
         WHERE e.id OPERATOR(pg_catalog.>) (SELECT s.summarized_upto FROM auditlog.summary_state s))
    SELECT o.kind, o.value, o.label
      FROM (SELECT 1 AS grp, 'actor' AS kind, l.label AS value, l.label AS label,
                   l.label OPERATOR(pg_catalog.<>) 'system' AS after_system
              FROM auditlog.labels l
             WHERE l.id IN (SELECT u.actor_ref FROM used u)
            UNION ALL
            SELECT 2, 'action', t.action, COALESCE(t.description, t.action), true
              FROM auditlog.action_types t
             WHERE t.description IS NOT NULL OR t.id IN (SELECT u.action_ref FROM used u)
            UNION ALL
            SELECT 3, 'resource_type', l.label, l.label, true
              FROM auditlog.labels l
             WHERE l.id IN (SELECT u.resource_type_ref FROM used u)) o
     ORDER BY o.grp, o.after_system, o.value COLLATE "default", o.value
$$;

-- Tamper evidence: hash-chained seals, verify(), and a guarded DROP
---------------------------------------------------------------------------

-- One row per seal: the events with ids first_id to last_id, hashed in id
-- order and chained to the previous seal (format: src/seal_format.c and
-- README, "Tamper evidence"). Written by auditlog.seal() only, never
-- changed; dumped, so that a restored log still verifies.
CREATE TABLE auditlog.seals (
    id bigint PRIMARY KEY,
    first_id bigint NOT NULL,
    last_id bigint NOT NULL,
    events bigint NOT NULL,
    prev_hash bytea,
    hash bytea NOT NULL,
    sealed_at timestamptz NOT NULL,
    events_hash bytea NOT NULL,
    rows_hash bytea NOT NULL,
    gaps bigint[] NOT NULL
);
COMMENT ON TABLE auditlog.seals IS
    'Hash-chained seals over the events, in id ranges; written by auditlog.seal(), checked by auditlog.verify()';
COMMENT ON COLUMN auditlog.seals.id IS 'Seal number: 1, 2, 3, ... without a gap';
COMMENT ON COLUMN auditlog.seals.first_id IS 'First event id of the range (the previous seal''s last_id + 1)';
COMMENT ON COLUMN auditlog.seals.last_id IS 'Last event id of the range';
COMMENT ON COLUMN auditlog.seals.events IS 'How many events the range held when sealed';
COMMENT ON COLUMN auditlog.seals.prev_hash IS 'The previous seal''s hash; NULL for seal 1';
COMMENT ON COLUMN auditlog.seals.hash IS 'SHA-256 over prev_hash and every other field of this row';
COMMENT ON COLUMN auditlog.seals.sealed_at IS 'When the seal was made';
COMMENT ON COLUMN auditlog.seals.events_hash IS 'SHA-256 over the digests of the range''s events as auditlog.events shows them, in id order';
COMMENT ON COLUMN auditlog.seals.rows_hash IS 'The same over the stored rows (dictionary ids): tells a changed dictionary string from a changed event';
COMMENT ON COLUMN auditlog.seals.gaps IS 'The ids of the range that had no event, as {{first, last}, ...}';
SELECT pg_catalog.pg_extension_config_dump('auditlog.seals', '');

CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON auditlog.seals
    FOR EACH ROW EXECUTE FUNCTION auditlog.refuse_change();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON auditlog.seals
    FOR EACH STATEMENT EXECUTE FUNCTION auditlog.refuse_change();
ALTER TABLE auditlog.seals ENABLE ALWAYS TRIGGER append_only;
ALTER TABLE auditlog.seals ENABLE ALWAYS TRIGGER append_only_truncate;

-- The horizon the next seal() may seal up to once it has passed (see
-- src/horizon.c); its one row is also the sealers' lock. Derived: not
-- dumped, a restored database starts again from (0, 0).
CREATE TABLE auditlog.seal_state (
    pending_upto bigint NOT NULL,
    pending_xmax bigint NOT NULL
);
COMMENT ON TABLE auditlog.seal_state IS
    'The horizon auditlog.seal() may seal up to next, and the lock of one sealer at a time';
INSERT INTO auditlog.seal_state VALUES (0, 0);
-- Updated by seal(): a publication FOR ALL TABLES needs a replica identity.
ALTER TABLE auditlog.seal_state REPLICA IDENTITY FULL;

CREATE FUNCTION auditlog.seal()
RETURNS bigint
    AS 'MODULE_PATHNAME', 'auditlog_seal'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION auditlog.seal() IS
    'Seals the committed events after the last seal, up to the safe point; returns how many it sealed';

CREATE FUNCTION auditlog.verify(from_seal bigint DEFAULT NULL, to_seal bigint DEFAULT NULL)
RETURNS TABLE (seal_id bigint, first_id bigint, last_id bigint, events bigint, ok boolean, problem text)
    AS 'MODULE_PATHNAME', 'auditlog_verify'
    LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1000;
COMMENT ON FUNCTION auditlog.verify(bigint, bigint) IS
    'One row per seal from from_seal to to_seal: recomputed from the events as they are now, ok or the problem found';

-- DROP EXTENSION auditlog (or DROP SCHEMA auditlog, DROP OWNED BY its
-- owner) is refused while the log holds events, unless the session set
-- auditlog.allow_drop = on (src/drop_guard.c).
CREATE FUNCTION auditlog.guard_drop() RETURNS event_trigger
    AS 'MODULE_PATHNAME', 'auditlog_guard_drop' LANGUAGE C;
COMMENT ON FUNCTION auditlog.guard_drop() IS
    'Event trigger refusing to drop the extension while the log holds events, unless auditlog.allow_drop is on';
CREATE EVENT TRIGGER auditlog_guard_drop ON ddl_command_start
    WHEN TAG IN ('DROP EXTENSION', 'DROP SCHEMA', 'DROP OWNED')
    EXECUTE FUNCTION auditlog.guard_drop();
ALTER EVENT TRIGGER auditlog_guard_drop ENABLE ALWAYS;
COMMENT ON EVENT TRIGGER auditlog_guard_drop IS
    'Refuses DROP EXTENSION auditlog while the log holds events (see auditlog.allow_drop)';

REVOKE ALL ON auditlog.seals, auditlog.seal_state FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION auditlog.seal() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION auditlog.verify(bigint, bigint) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION auditlog.guard_drop() FROM PUBLIC;

---------------------------------------------------------------------------
-- Retention: purges, legal holds
---------------------------------------------------------------------------

-- The organisations whose events no purge removes; read auditlog.holds.
-- Written by auditlog.hold() and auditlog.release() only; dumped.
CREATE TABLE auditlog.hold_store (
    org_id text COLLATE "C" PRIMARY KEY CHECK (org_id <> ''),
    reason text NOT NULL CHECK (reason <> ''),
    held_at timestamptz NOT NULL,
    held_by text NOT NULL
);
COMMENT ON TABLE auditlog.hold_store IS
    'Storage of the legal holds; read auditlog.holds';
SELECT pg_catalog.pg_extension_config_dump('auditlog.hold_store', '');

CREATE VIEW auditlog.holds AS
SELECT h.org_id COLLATE "default" AS org_id, h.reason, h.held_at, h.held_by
  FROM auditlog.hold_store h;
COMMENT ON VIEW auditlog.holds IS
    'The organisations on legal hold: auditlog.purge() keeps every event of theirs';

-- What each purge removed from each seal, so that auditlog.verify() still
-- checks the seal exactly: how many events, and their digests (id and
-- content digest, 40 bytes each), or NULL when they were the seal's last
-- (that record then replaces the seal's earlier ones). Written by
-- auditlog.purge() only, never changed; dumped. Digests do not compress:
-- stored out of line, uncompressed.
CREATE TABLE auditlog.seal_purges (
    seal_id bigint NOT NULL,
    purge_id bigint NOT NULL,
    events bigint NOT NULL,
    removed bytea,
    PRIMARY KEY (seal_id, purge_id)
);
ALTER TABLE auditlog.seal_purges ALTER COLUMN removed SET STORAGE EXTERNAL;
COMMENT ON TABLE auditlog.seal_purges IS
    'What each purge removed from each seal (events, and their digests unless they were the seal''s last), for auditlog.verify()';
COMMENT ON COLUMN auditlog.seal_purges.purge_id IS 'The id of the purge''s auditlog.purge event';
SELECT pg_catalog.pg_extension_config_dump('auditlog.seal_purges', '');
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON auditlog.seal_purges
    FOR EACH ROW EXECUTE FUNCTION auditlog.refuse_change();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON auditlog.seal_purges
    FOR EACH STATEMENT EXECUTE FUNCTION auditlog.refuse_change();
ALTER TABLE auditlog.seal_purges ENABLE ALWAYS TRIGGER append_only;
ALTER TABLE auditlog.seal_purges ENABLE ALWAYS TRIGGER append_only_truncate;

-- When the maintenance worker last applied auditlog.retention. Derived:
-- not dumped.
CREATE TABLE auditlog.retention_state (
    applied_at timestamptz
);
COMMENT ON TABLE auditlog.retention_state IS
    'When the maintenance worker last purged what auditlog.retention no longer keeps';
INSERT INTO auditlog.retention_state VALUES (NULL);
-- Updated by the worker: a publication FOR ALL TABLES needs a replica identity.
ALTER TABLE auditlog.retention_state REPLICA IDENTITY FULL;

CREATE FUNCTION auditlog.purge(before timestamptz)
RETURNS bigint
    AS 'MODULE_PATHNAME', 'auditlog_purge'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION auditlog.purge(timestamptz) IS
    'Removes the events that occurred before a time, but those of organisations on hold; returns how many it removed';

CREATE FUNCTION auditlog.hold(org_id text, reason text)
RETURNS void
    AS 'MODULE_PATHNAME', 'auditlog_hold'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION auditlog.hold(text, text) IS
    'Puts an organisation on legal hold: no purge removes its events until it is released';

CREATE FUNCTION auditlog.release(org_id text)
RETURNS void
    AS 'MODULE_PATHNAME', 'auditlog_release'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION auditlog.release(text) IS
    'Ends an organisation''s legal hold';

REVOKE ALL ON auditlog.hold_store, auditlog.holds, auditlog.seal_purges, auditlog.retention_state
    FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION auditlog.purge(timestamptz) FROM PUBLIC;

CREATE FUNCTION auditlog.create_partitions(from_date timestamptz, to_date timestamptz)
RETURNS integer
    AS 'MODULE_PATHNAME', 'auditlog_create_partitions'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION auditlog.create_partitions(timestamptz, timestamptz) IS
    'Makes the partitions of the UTC months from from_date up to to_date that have none, before an import; returns how many it made';
REVOKE EXECUTE ON FUNCTION auditlog.create_partitions(timestamptz, timestamptz) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION auditlog.hold(text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION auditlog.release(text) FROM PUBLIC;

-- Hardening: the schema
---------------------------------------------------------------------------

-- A 0.1.0 database whose schema auditlog was made (and is still owned) by
-- someone who is no superuser: that role could have dropped or changed the
-- log. The update refuses, so that a DBA looks before anything goes on.
DO $$
DECLARE
    owner_name pg_catalog.text;
    owner_super boolean;
    stranger pg_catalog.text;
BEGIN
    SELECT r.rolname, r.rolsuper INTO owner_name, owner_super
      FROM pg_catalog.pg_namespace n
      JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner
     WHERE n.oid OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace;
    IF NOT owner_super THEN
        RAISE EXCEPTION 'schema "%" is owned by role "%", which is not a superuser', '@extschema@', owner_name
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'Its owner could have dropped or changed the audit log.',
                  HINT = pg_catalog.format('Check the schema for objects that are not the extension''s, give it to a superuser (ALTER SCHEMA %s OWNER TO postgres), then update again.', '@extschema@');
    END IF;
    SELECT pg_catalog.min(pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid)) INTO stranger
      FROM pg_catalog.pg_depend d
     WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass
       AND d.refobjid OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
                        WHERE e.classid OPERATOR(pg_catalog.=) d.classid
                          AND e.objid OPERATOR(pg_catalog.=) d.objid
                          AND e.deptype OPERATOR(pg_catalog.=) 'e')
       AND d.classid OPERATOR(pg_catalog.<>) 'pg_catalog.pg_extension'::pg_catalog.regclass;
    IF stranger IS NOT NULL THEN
        RAISE WARNING 'schema "%" holds objects that are not part of extension auditlog, such as %', '@extschema@', stranger
            USING HINT = 'Move them out of the schema: only the extension''s objects belong there.';
    END IF;
END
$$;

-- 0.2.0 refuses the resource type auditlog (its actions, auditlog.create
-- and so on, would pass for auditlog's own); a table registered with it
-- under 0.1.0 keeps writing them: say so, and how to change it.
DO $$
DECLARE
    t pg_catalog.regclass;
BEGIN
    FOR t IN SELECT r.tbl FROM @extschema@.registry r
              WHERE r.resource_type OPERATOR(pg_catalog.=) 'auditlog' ORDER BY r.tbl LOOP
        RAISE WARNING 'table % is registered with resource type "auditlog", which 0.2.0 reserves for auditlog''s own actions', t
            USING HINT = pg_catalog.format('Register it again with a resource type of its own: SELECT auditlog.register_table(%L, resource_type => ''...'');', t::pg_catalog.text);
    END LOOP;
END
$$;


---------------------------------------------------------------------------
-- Hardening: DDL on auditlog's objects and on registered tables
---------------------------------------------------------------------------

-- The event triggers now also guard auditlog's objects and watch the
-- triggers of registered tables: more command tags.
DROP EVENT TRIGGER auditlog_follow_alter;
DROP EVENT TRIGGER auditlog_check_attach;
COMMENT ON FUNCTION auditlog.follow_ddl() IS
    'Event trigger keeping auditlog.registry in step with DDL, guarding auditlog''s objects and the triggers of registered tables';
CREATE EVENT TRIGGER auditlog_follow_alter ON ddl_command_end
    WHEN TAG IN ('ALTER AGGREGATE', 'ALTER DOMAIN', 'ALTER FOREIGN TABLE', 'ALTER FUNCTION',
                 'ALTER INDEX', 'ALTER MATERIALIZED VIEW', 'ALTER OPERATOR', 'ALTER OPERATOR CLASS',
                 'ALTER OPERATOR FAMILY', 'ALTER POLICY', 'ALTER PROCEDURE', 'ALTER ROUTINE',
                 'ALTER RULE', 'ALTER SCHEMA', 'ALTER SEQUENCE', 'ALTER STATISTICS', 'ALTER TABLE',
                 'ALTER TRIGGER', 'ALTER TYPE', 'ALTER VIEW', 'COMMENT', 'CREATE AGGREGATE',
                 'CREATE DOMAIN', 'CREATE FOREIGN TABLE', 'CREATE FUNCTION', 'CREATE INDEX',
                 'CREATE MATERIALIZED VIEW', 'CREATE OPERATOR', 'CREATE OPERATOR CLASS',
                 'CREATE OPERATOR FAMILY', 'CREATE POLICY', 'CREATE PROCEDURE', 'CREATE RULE',
                 'CREATE SCHEMA', 'CREATE SEQUENCE', 'CREATE STATISTICS', 'CREATE TABLE',
                 'CREATE TABLE AS', 'CREATE TRIGGER', 'CREATE TYPE', 'CREATE VIEW', 'DROP RULE',
                 'DROP TRIGGER', 'GRANT', 'SECURITY LABEL', 'SELECT INTO')
    EXECUTE FUNCTION auditlog.follow_ddl();
CREATE EVENT TRIGGER auditlog_check_attach ON ddl_command_start
    WHEN TAG IN ('ALTER TABLE', 'ALTER TRIGGER', 'CREATE RULE', 'CREATE TRIGGER', 'DROP RULE',
                 'DROP TRIGGER')
    EXECUTE FUNCTION auditlog.follow_ddl();
ALTER EVENT TRIGGER auditlog_follow_alter ENABLE ALWAYS;
ALTER EVENT TRIGGER auditlog_check_attach ENABLE ALWAYS;

---------------------------------------------------------------------------
-- Hardening: restores
---------------------------------------------------------------------------

-- The id sequences leave the dump (a restore moves them, see below); the
-- built-in actions join it.
ALTER EXTENSION auditlog DROP SEQUENCE auditlog.event_store_id_seq;
ALTER EXTENSION auditlog ADD SEQUENCE auditlog.event_store_id_seq;
ALTER EXTENSION auditlog DROP SEQUENCE auditlog.labels_id_seq;
ALTER EXTENSION auditlog ADD SEQUENCE auditlog.labels_id_seq;
ALTER EXTENSION auditlog DROP SEQUENCE auditlog.action_types_id_seq;
ALTER EXTENSION auditlog ADD SEQUENCE auditlog.action_types_id_seq;
SELECT pg_catalog.pg_extension_config_dump('auditlog.action_types', '');

-- Restores: only a restore (or a superuser by hand) inserts into these
-- tables with SQL; the extension itself writes events straight into the
-- heap and its labels and actions with auditlog.internal on. These
-- triggers refuse restored rows that would corrupt a live log, merge the
-- built-in actions, and move the id sequences past what was restored.
CREATE FUNCTION auditlog.restore_row() RETURNS trigger
    AS 'MODULE_PATHNAME', 'auditlog_restore_row' LANGUAGE C;
COMMENT ON FUNCTION auditlog.restore_row() IS
    'BEFORE INSERT trigger of the audit tables: refuses restored rows that would mix with rows written here';
CREATE FUNCTION auditlog.restore_statement() RETURNS trigger
    AS 'MODULE_PATHNAME', 'auditlog_restore_statement' LANGUAGE C;
COMMENT ON FUNCTION auditlog.restore_statement() IS
    'AFTER INSERT statement trigger of the audit tables: moves their id sequence past the restored rows';
CREATE TRIGGER restore_row BEFORE INSERT ON auditlog.event_store
    FOR EACH ROW EXECUTE FUNCTION auditlog.restore_row();
CREATE TRIGGER restore_statement AFTER INSERT ON auditlog.event_store
    FOR EACH STATEMENT EXECUTE FUNCTION auditlog.restore_statement();
CREATE TRIGGER restore_row BEFORE INSERT ON auditlog.labels
    FOR EACH ROW EXECUTE FUNCTION auditlog.restore_row();
CREATE TRIGGER restore_statement AFTER INSERT ON auditlog.labels
    FOR EACH STATEMENT EXECUTE FUNCTION auditlog.restore_statement();
CREATE TRIGGER restore_row BEFORE INSERT ON auditlog.action_types
    FOR EACH ROW EXECUTE FUNCTION auditlog.restore_row();
CREATE TRIGGER restore_statement AFTER INSERT ON auditlog.action_types
    FOR EACH STATEMENT EXECUTE FUNCTION auditlog.restore_statement();
-- (A statement trigger is the partition's own: pg_dump restores into the
-- partitions. The maintenance worker gives each new partition one too.)
CREATE TRIGGER restore_statement AFTER INSERT ON auditlog.event_store_default
    FOR EACH STATEMENT EXECUTE FUNCTION auditlog.restore_statement();
ALTER TABLE auditlog.event_store ENABLE ALWAYS TRIGGER restore_row;
ALTER TABLE auditlog.event_store ENABLE ALWAYS TRIGGER restore_statement;
ALTER TABLE auditlog.event_store_default ENABLE ALWAYS TRIGGER restore_statement;
ALTER TABLE auditlog.labels ENABLE ALWAYS TRIGGER restore_row;
ALTER TABLE auditlog.labels ENABLE ALWAYS TRIGGER restore_statement;
ALTER TABLE auditlog.action_types ENABLE ALWAYS TRIGGER restore_row;
ALTER TABLE auditlog.action_types ENABLE ALWAYS TRIGGER restore_statement;
REVOKE EXECUTE ON FUNCTION auditlog.restore_row() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION auditlog.restore_statement() FROM PUBLIC;


---------------------------------------------------------------------------
-- Hardening: whether a registered table is really audited
---------------------------------------------------------------------------

-- Whether a registered table is really audited: its triggers are there,
-- are auditlog's and fire, and no INSTEAD rule sends its changes elsewhere.
CREATE FUNCTION auditlog.auditing_problem(tbl regclass) RETURNS text
    AS 'MODULE_PATHNAME', 'auditlog_auditing_problem'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION auditlog.auditing_problem(regclass) IS
    'Why changes to a registered table would not all be events (a trigger missing, disabled, replaced; an INSTEAD rule), or NULL';

CREATE OR REPLACE VIEW auditlog.registered_tables AS
SELECT r.tbl AS table_name,
       r.resource_type,
       CASE WHEN r.id_column IS NOT NULL THEN ARRAY[r.id_column] ELSE
                (SELECT array_agg(a.attname ORDER BY k.ord)
                   FROM pg_catalog.pg_index i
                  CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                   JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                  WHERE i.indrelid = r.tbl AND i.indisprimary
                    AND k.ord <= i.indnkeyatts) END AS id_columns,
       r.exclude_columns,
       r.redact_columns,
       r.org_column,
       r.registered_at,
       r.registered_by,
       p.problem IS NULL AS active,
       p.problem
  FROM auditlog.registry r
 CROSS JOIN LATERAL (SELECT auditlog.auditing_problem(r.tbl) AS problem) p;
COMMENT ON VIEW auditlog.registered_tables IS
    'The tables whose INSERT, UPDATE, DELETE and TRUNCATE are events, with their options; '
    'active is false, and problem says why, when some of their changes would not be';


---------------------------------------------------------------------------
-- Hardening: partitions made by an owner who is no superuser
---------------------------------------------------------------------------

-- PostgreSQL checks EXECUTE on the row trigger's function, as the table's
-- owner, when it clones the trigger onto a new or attached partition. The
-- function only ever runs as the trigger auditlog_row of a registered
-- table (it refuses anything else), so anyone may hold it.
GRANT EXECUTE ON FUNCTION auditlog.row_trigger() TO PUBLIC;

---------------------------------------------------------------------------
-- Hardening: the registry changes only through register_table
---------------------------------------------------------------------------

-- Its options say which columns are redacted: a member of the owner's
-- role, who holds every privilege on it, must not edit them with plain
-- SQL. auditlog's own SQL and superusers (a restore) pass.
CREATE FUNCTION auditlog.guard_registry() RETURNS trigger
    AS 'MODULE_PATHNAME', 'auditlog_guard_registry' LANGUAGE C;
COMMENT ON FUNCTION auditlog.guard_registry() IS
    'Trigger letting only register_table, unregister_table (and superusers) change auditlog.registry';
CREATE TRIGGER guard_registry BEFORE INSERT OR UPDATE OR DELETE ON auditlog.registry
    FOR EACH ROW EXECUTE FUNCTION auditlog.guard_registry();
CREATE TRIGGER guard_registry_truncate BEFORE TRUNCATE ON auditlog.registry
    FOR EACH STATEMENT EXECUTE FUNCTION auditlog.guard_registry();
ALTER TABLE auditlog.registry ENABLE ALWAYS TRIGGER guard_registry;
ALTER TABLE auditlog.registry ENABLE ALWAYS TRIGGER guard_registry_truncate;
REVOKE EXECUTE ON FUNCTION auditlog.guard_registry() FROM PUBLIC;

-- Tenants: roles that read only some organisations' events
---------------------------------------------------------------------------

-- Who is a tenant is told by the session user, the role of SET ROLE and
-- current_user (README, "Tenants"). A SECURITY DEFINER function would hide
-- the caller's current_user, so the readers are SECURITY INVOKER and switch
-- to the extension's owner themselves (with search_path pinned), once they
-- know who calls. This replaces the definitions made above.
ALTER FUNCTION auditlog.search(text, text, text, date, date, auditlog.outcome, text, text, integer, bigint)
    SECURITY INVOKER;
ALTER FUNCTION auditlog.event_count(text, text, text, date, date, auditlog.outcome, text, text)
    SECURITY INVOKER;
CREATE OR REPLACE FUNCTION auditlog.filter_options()
RETURNS TABLE (kind text, value text, label text)
    AS 'MODULE_PATHNAME', 'auditlog_filter_options'
    LANGUAGE C STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auditlog.filter_options() IS
    'The choices of the dashboard''s filters, in display order: kind (the search() argument: '
    'actor, action, resource_type), value (what to pass), label (what to show); system is the first actor. '
    'A tenant gets only the values its organisations'' events use';

-- A role's oid, which pg_dump writes as its name: a renamed role stays a
-- tenant, and a restore where the roles exist keeps the tenants.
CREATE TABLE auditlog.tenant_roles (
    role regrole PRIMARY KEY,
    orgs text[] NOT NULL CHECK (pg_catalog.array_position(orgs, NULL) IS NULL)
);
COMMENT ON TABLE auditlog.tenant_roles IS
    'Roles that read only the events of some organisations (orgs, sorted, by org_id); '
    'written by set_tenant and unset_tenant only; read auditlog.tenants';
SELECT pg_catalog.pg_extension_config_dump('auditlog.tenant_roles', '');

CREATE VIEW auditlog.tenants AS
SELECT t.role, t.orgs FROM auditlog.tenant_roles t;
COMMENT ON VIEW auditlog.tenants IS
    'The tenants: each role, and every role that is a member of it, reads only the events of these organisations';

CREATE FUNCTION auditlog.set_tenant(role regrole, orgs text[])
RETURNS void
    AS 'MODULE_PATHNAME', 'auditlog_set_tenant'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION auditlog.set_tenant(regrole, text[]) IS
    'Restricts a role, and every role that is a member of it, to the events of these organisations '
    '(''{}'': none); setting it again replaces the list. Refused to tenants; granted to no one by default';

CREATE FUNCTION auditlog.unset_tenant(role regrole)
RETURNS void
    AS 'MODULE_PATHNAME', 'auditlog_unset_tenant'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION auditlog.unset_tenant(regrole) IS
    'Lifts the restriction of a tenant: the role reads again what its grants give it. '
    'Refused to tenants; granted to no one by default';

-- Called by auditlog.events for whoever reads it, so open to PUBLIC: it
-- tells its caller only whether the caller may read an organisation.
CREATE FUNCTION auditlog.tenant_visible(org_ref integer)
RETURNS boolean
    AS 'MODULE_PATHNAME', 'auditlog_tenant_visible'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION auditlog.tenant_visible(integer) IS
    'Whether the calling reader may read the events of an organisation (its dictionary id; NULL: of none): '
    'always for a role that is no tenant';

REVOKE ALL ON auditlog.tenant_roles, auditlog.tenants FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION auditlog.set_tenant(regrole, text[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION auditlog.unset_tenant(regrole) FROM PUBLIC;

-- auditlog.events shows a tenant its organisations' events only, also to
-- ad-hoc SQL. Row-level security on the store would not do: the view's
-- owner, a superuser, bypasses it. So the view filters itself, and is a
-- security_barrier, so that no function of the caller's sees a row before
-- that filter has passed it (leakproof conditions, such as on times, ids or
-- labels, still reach the indexes). tenant_visible() is a plain function
-- of the row rather than an InitPlan, which would keep the view's scans out
-- of parallel plans; it looks up who reads once per query.
CREATE OR REPLACE VIEW auditlog.events WITH (security_barrier) AS
SELECT e.id,
       e.occurred_at,
       ac.label COLLATE "default" AS actor,
       ai.label COLLATE "default" AS actor_id,
       t.action COLLATE "default" AS action,
       rt.label COLLATE "default" AS resource_type,
       e.resource_id COLLATE "default" AS resource_id,
       e.outcome,
       og.label COLLATE "default" AS org_id,
       e.details,
       du.label COLLATE "default" AS db_user,
       e.client_addr,
       an.label COLLATE "default" AS application_name,
       e.txid
  FROM auditlog.event_store e
  LEFT JOIN auditlog.action_types t ON t.id = e.action_ref
  LEFT JOIN auditlog.labels ac ON ac.id = e.actor_ref
  LEFT JOIN auditlog.labels ai ON ai.id = e.actor_id_ref
  LEFT JOIN auditlog.labels rt ON rt.id = e.resource_type_ref
  LEFT JOIN auditlog.labels og ON og.id = e.org_ref
  LEFT JOIN auditlog.labels du ON du.id = e.db_user_ref
  LEFT JOIN auditlog.labels an ON an.id = e.application_ref
 WHERE auditlog.tenant_visible(e.org_ref);
COMMENT ON VIEW auditlog.events IS
    'Every event: when, who, what, on which resource, with what outcome, and its context; '
    'a tenant sees its organisations'' events only';

---------------------------------------------------------------------------
-- Export and feed
---------------------------------------------------------------------------

-- export() is a SQL function so that PostgreSQL inlines it: called in FROM
-- (SELECT * FROM auditlog.export(...), COPY of that) as well as in a
-- select list, its lines then stream from export_lines() as they are made,
-- instead of being collected in a tuplestore first. export_lines() is the
-- C function that makes them: callable by PUBLIC, since the inlined call
-- runs as the caller, it refuses (42501) whoever may not execute export().
-- No SET search_path on either (it would stop the inlining, and be applied
-- again for every line): the body is schema-qualified, and the SQL the C
-- code runs is schema-qualified and runs as the extension's owner with a
-- pinned path, like search()'s.
CREATE FUNCTION auditlog.export_lines(
    actor text,
    action text,
    resource_type text,
    from_date date,
    to_date date,
    outcome auditlog.outcome,
    resource_id text,
    org_id text,
    format text,
    after_id bigint)
RETURNS SETOF text
    AS 'MODULE_PATHNAME', 'auditlog_export'
    LANGUAGE C VOLATILE PARALLEL UNSAFE
    ROWS 10000;
COMMENT ON FUNCTION auditlog.export_lines(text, text, text, date, date, auditlog.outcome, text, text, text, bigint) IS
    'The body of auditlog.export(): refused to whoever may not execute that';

CREATE FUNCTION auditlog.export(
    actor text DEFAULT NULL,
    action text DEFAULT NULL,
    resource_type text DEFAULT NULL,
    from_date date DEFAULT NULL,
    to_date date DEFAULT NULL,
    outcome auditlog.outcome DEFAULT NULL,
    resource_id text DEFAULT NULL,
    org_id text DEFAULT NULL,
    format text DEFAULT 'ndjson',
    after_id bigint DEFAULT NULL)
RETURNS SETOF text
    LANGUAGE sql STABLE PARALLEL UNSAFE
    ROWS 10000
AS $$
    SELECT auditlog.export_lines(actor, action, resource_type, from_date, to_date, outcome, resource_id,
                                 org_id, format, after_id)
$$;
COMMENT ON FUNCTION auditlog.export(text, text, text, date, date, auditlog.outcome, text, text, text, bigint) IS
    'The events matching the filters of search(), in id order, one line each: ndjson, csv (with a header line) '
    'or ocsf; with after_id, the events after it up to the safe point, for a consumer that resumes';
REVOKE EXECUTE ON FUNCTION auditlog.export(text, text, text, date, date, auditlog.outcome, text, text, text, bigint) FROM PUBLIC;
