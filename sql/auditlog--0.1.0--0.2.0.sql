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
