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
