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
ALTER TABLE auditlog.event_store ENABLE ALWAYS TRIGGER restore_row;
ALTER TABLE auditlog.event_store ENABLE ALWAYS TRIGGER restore_statement;
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
