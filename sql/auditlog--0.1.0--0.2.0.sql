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
