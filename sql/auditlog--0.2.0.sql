/* sql/auditlog--0.2.0.sql — install script of the auditlog extension, version 0.2.0 */

\echo Use "CREATE EXTENSION auditlog" to load this file. \quit

---------------------------------------------------------------------------
-- Hardening: the schema must be the extension's alone
---------------------------------------------------------------------------

-- A schema auditlog that existed before CREATE EXTENSION must be empty and
-- owned by a superuser, with CREATE granted to no one else: its owner could
-- drop it (and the log with it), and whoever may create objects in it could
-- plant look-alikes. A restore from pg_dump creates it empty, owned by the
-- restoring superuser, just before CREATE EXTENSION, and passes. This runs
-- first, before anything is created in the schema.
DO $$
DECLARE
    nsp pg_catalog.oid := '@extschema@'::pg_catalog.regnamespace;
    owner_name pg_catalog.text;
    owner_super boolean;
    objects pg_catalog.int8;
    one_object pg_catalog.text;
    creator pg_catalog.text;
BEGIN
    SELECT r.rolname, r.rolsuper INTO owner_name, owner_super
      FROM pg_catalog.pg_namespace n
      JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) n.nspowner
     WHERE n.oid OPERATOR(pg_catalog.=) nsp;
    IF NOT owner_super THEN
        RAISE EXCEPTION 'schema "%" is owned by role "%", which is not a superuser', '@extschema@', owner_name
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'The owner of the schema could drop the audit log with it.',
                  HINT = pg_catalog.format('Drop the schema, or give it to a superuser (ALTER SCHEMA %s OWNER TO postgres), then CREATE EXTENSION auditlog again.', '@extschema@');
    END IF;
    SELECT pg_catalog.count(*), pg_catalog.min(pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid))
      INTO objects, one_object
      FROM pg_catalog.pg_depend d
     WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass
       AND d.refobjid OPERATOR(pg_catalog.=) nsp
       AND NOT (d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass
                AND d.objid OPERATOR(pg_catalog.=) (SELECT e.oid FROM pg_catalog.pg_extension e
                                                     WHERE e.extname OPERATOR(pg_catalog.=) 'auditlog'));
    IF objects OPERATOR(pg_catalog.>) 0 THEN
        RAISE EXCEPTION 'schema "%" is not empty: % is in it', '@extschema@', one_object
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('It holds %s object(s); the extension needs a schema of its own.', objects),
                  HINT = 'Move or drop those objects (or the schema), then CREATE EXTENSION auditlog again.';
    END IF;
    SELECT pg_catalog.min(CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC' ELSE r.rolname::pg_catalog.text END)
      INTO creator
      FROM pg_catalog.pg_namespace n
     CROSS JOIN LATERAL pg_catalog.aclexplode(n.nspacl) a
      LEFT JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) a.grantee
     WHERE n.oid OPERATOR(pg_catalog.=) nsp
       AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'
       AND a.grantee OPERATOR(pg_catalog.<>) n.nspowner
       AND (a.grantee OPERATOR(pg_catalog.=) 0 OR NOT r.rolsuper);
    IF creator IS NOT NULL THEN
        RAISE EXCEPTION 'role "%" may create objects in schema "%"', creator, '@extschema@'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'Whoever may create objects in the schema could put look-alikes of the extension''s objects there.',
                  HINT = pg_catalog.format('REVOKE CREATE ON SCHEMA %s FROM %s, then CREATE EXTENSION auditlog again.',
                                           '@extschema@',
                                           CASE WHEN creator OPERATOR(pg_catalog.=) 'PUBLIC' THEN creator
                                                ELSE pg_catalog.quote_ident(creator) END);
    END IF;
END
$$;

-- Schema usage is public so that anyone can name the outcome type and the
-- display helpers; every table and every function that reads or writes
-- events is closed to PUBLIC and granted explicitly (see README).
GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;

---------------------------------------------------------------------------
-- The outcome type
---------------------------------------------------------------------------

CREATE TYPE auditlog.outcome;

CREATE FUNCTION auditlog.outcome_in(cstring) RETURNS auditlog.outcome
    AS 'MODULE_PATHNAME', 'auditlog_outcome_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION auditlog.outcome_out(auditlog.outcome) RETURNS cstring
    AS 'MODULE_PATHNAME', 'auditlog_outcome_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION auditlog.outcome_recv(internal) RETURNS auditlog.outcome
    AS 'MODULE_PATHNAME', 'auditlog_outcome_recv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION auditlog.outcome_send(auditlog.outcome) RETURNS bytea
    AS 'MODULE_PATHNAME', 'auditlog_outcome_send'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE auditlog.outcome (
    INPUT = auditlog.outcome_in,
    OUTPUT = auditlog.outcome_out,
    RECEIVE = auditlog.outcome_recv,
    SEND = auditlog.outcome_send,
    INTERNALLENGTH = 1,
    PASSEDBYVALUE,
    ALIGNMENT = char,
    STORAGE = plain,
    CATEGORY = 'E'
);
COMMENT ON TYPE auditlog.outcome IS
    'Result of an audited action: success < failure < denied (one byte)';

CREATE FUNCTION auditlog.outcome_eq(auditlog.outcome, auditlog.outcome) RETURNS boolean
    AS 'MODULE_PATHNAME', 'auditlog_outcome_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION auditlog.outcome_ne(auditlog.outcome, auditlog.outcome) RETURNS boolean
    AS 'MODULE_PATHNAME', 'auditlog_outcome_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION auditlog.outcome_lt(auditlog.outcome, auditlog.outcome) RETURNS boolean
    AS 'MODULE_PATHNAME', 'auditlog_outcome_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION auditlog.outcome_le(auditlog.outcome, auditlog.outcome) RETURNS boolean
    AS 'MODULE_PATHNAME', 'auditlog_outcome_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION auditlog.outcome_gt(auditlog.outcome, auditlog.outcome) RETURNS boolean
    AS 'MODULE_PATHNAME', 'auditlog_outcome_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION auditlog.outcome_ge(auditlog.outcome, auditlog.outcome) RETURNS boolean
    AS 'MODULE_PATHNAME', 'auditlog_outcome_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION auditlog.outcome_cmp(auditlog.outcome, auditlog.outcome) RETURNS integer
    AS 'MODULE_PATHNAME', 'auditlog_outcome_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION auditlog.outcome_hash(auditlog.outcome) RETURNS integer
    AS 'MODULE_PATHNAME', 'auditlog_outcome_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION auditlog.outcome_hash_extended(auditlog.outcome, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'auditlog_outcome_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

-- The operators live in pg_catalog, which every session searches whatever
-- its search_path, so that ad-hoc SQL (WHERE outcome = 'denied', IN,
-- BETWEEN, CASE outcome WHEN ...) works from sessions whose path is
-- "$user", public or pg_catalog alone, as it would with a SQL enum. They
-- take only auditlog.outcome, so they cannot capture anything else.
CREATE OPERATOR pg_catalog.= (
    LEFTARG = auditlog.outcome, RIGHTARG = auditlog.outcome,
    FUNCTION = auditlog.outcome_eq,
    COMMUTATOR = OPERATOR(pg_catalog.=), NEGATOR = OPERATOR(pg_catalog.<>),
    RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES
);
CREATE OPERATOR pg_catalog.<> (
    LEFTARG = auditlog.outcome, RIGHTARG = auditlog.outcome,
    FUNCTION = auditlog.outcome_ne,
    COMMUTATOR = OPERATOR(pg_catalog.<>), NEGATOR = OPERATOR(pg_catalog.=),
    RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR pg_catalog.< (
    LEFTARG = auditlog.outcome, RIGHTARG = auditlog.outcome,
    FUNCTION = auditlog.outcome_lt,
    COMMUTATOR = OPERATOR(pg_catalog.>), NEGATOR = OPERATOR(pg_catalog.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR pg_catalog.<= (
    LEFTARG = auditlog.outcome, RIGHTARG = auditlog.outcome,
    FUNCTION = auditlog.outcome_le,
    COMMUTATOR = OPERATOR(pg_catalog.>=), NEGATOR = OPERATOR(pg_catalog.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR pg_catalog.> (
    LEFTARG = auditlog.outcome, RIGHTARG = auditlog.outcome,
    FUNCTION = auditlog.outcome_gt,
    COMMUTATOR = OPERATOR(pg_catalog.<), NEGATOR = OPERATOR(pg_catalog.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
CREATE OPERATOR pg_catalog.>= (
    LEFTARG = auditlog.outcome, RIGHTARG = auditlog.outcome,
    FUNCTION = auditlog.outcome_ge,
    COMMUTATOR = OPERATOR(pg_catalog.<=), NEGATOR = OPERATOR(pg_catalog.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel
);

CREATE OPERATOR CLASS auditlog.outcome_ops
    DEFAULT FOR TYPE auditlog.outcome USING btree AS
        OPERATOR 1 pg_catalog.<,
        OPERATOR 2 pg_catalog.<=,
        OPERATOR 3 pg_catalog.=,
        OPERATOR 4 pg_catalog.>=,
        OPERATOR 5 pg_catalog.>,
        FUNCTION 1 auditlog.outcome_cmp(auditlog.outcome, auditlog.outcome),
        FUNCTION 4 (auditlog.outcome, auditlog.outcome) btequalimage(oid);

CREATE OPERATOR CLASS auditlog.outcome_hash_ops
    DEFAULT FOR TYPE auditlog.outcome USING hash AS
        OPERATOR 1 pg_catalog.=,
        FUNCTION 1 auditlog.outcome_hash(auditlog.outcome),
        FUNCTION 2 auditlog.outcome_hash_extended(auditlog.outcome, bigint);

CREATE CAST (auditlog.outcome AS text) WITH INOUT AS ASSIGNMENT;
CREATE CAST (text AS auditlog.outcome) WITH INOUT;

-- What an ordered type is expected to have: min() and max(), found from
-- any search_path like the operators.
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
-- Dictionaries: each repeating string is stored once
---------------------------------------------------------------------------

CREATE TABLE auditlog.labels (
    id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    kind "char" NOT NULL CHECK (kind IN ('a', 'i', 'r', 'o', 'u', 'n')),
    label text COLLATE "C" NOT NULL,
    CONSTRAINT labels_kind_label_key UNIQUE (kind, label)
);
COMMENT ON TABLE auditlog.labels IS
    'Each actor, actor id, resource type, organisation, database role and application name '
    'that events mention, stored once (kind a, i, r, o, u, n)';

CREATE TABLE auditlog.action_types (
    id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    action text COLLATE "C" NOT NULL,
    description text,
    builtin boolean NOT NULL DEFAULT false,
    CONSTRAINT action_types_action_key UNIQUE (action),
    CONSTRAINT action_types_action_check
        CHECK (action ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$')
);
COMMENT ON TABLE auditlog.action_types IS
    'Catalogue of every known action: seeded, added by register_table, and by the first event of a new action';

INSERT INTO auditlog.action_types (action, description, builtin) VALUES
    ('auth.login', 'User logged into the platform', true),
    ('credential.token_refresh', 'System refreshed an OAuth token for a connection', true);

---------------------------------------------------------------------------
-- The event store
---------------------------------------------------------------------------

-- One row per event, compact: the repeating strings are ids into the
-- dictionaries above; auditlog.events shows them as text. Partitioned by
-- month of occurred_at, so that retention drops whole months: the
-- maintenance worker creates the partitions ahead (auditlog.event_store_<YYYYMM>),
-- and the default partition holds the events of months that have none.
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
CREATE TABLE auditlog.event_store_default PARTITION OF auditlog.event_store DEFAULT;
COMMENT ON TABLE auditlog.event_store_default IS
    'The events of months that have no partition of their own';
-- A purge deletes rows here (organisations on hold, months without a
-- partition): a publication of it needs a replica identity for that.
ALTER TABLE auditlog.event_store_default REPLICA IDENTITY FULL;

CREATE SEQUENCE auditlog.event_store_id_seq OWNED BY auditlog.event_store.id;

-- Events arrive in id and (nearly) time order, so block-range indexes find
-- them at a tiny fraction of a btree's size and write cost; 16 pages (about
-- 800 events) a range, so that a day or an hour reads little more than its
-- own blocks. Ids are unique by construction: only the sequence makes them
-- and no row ever changes.
-- "What happened to this connection?": a resource's events, found and
-- counted (type and id, from the index alone) without reading the others,
-- and its newest first in time order: a busy resource's page is then the
-- end of its range, not a scan of all its events (bench/read.sh, issue 11;
-- the time costs the deduplication a resource's repeated key allowed).
-- A user's or an action's newest events, in time order, without reading
-- everyone else's: what a dashboard filter on a person or a rare action
-- needs (bench/read.sh, issue 11).
-- Each partition has these five indexes of its own (the maintenance worker
-- gives a new partition the same ones, src/partition.c), and the parent
-- none: an index on the parent would make every restored partition's index
-- twice.
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
CREATE INDEX event_store_default_resource_idx ON auditlog.event_store_default
    (resource_id, resource_type_ref, occurred_at) WHERE resource_id IS NOT NULL;
CREATE INDEX event_store_default_actor_idx ON auditlog.event_store_default (actor_ref, occurred_at);
CREATE INDEX event_store_default_action_idx ON auditlog.event_store_default (action_ref, occurred_at);

-- auditlog.events, the readable view over the store, is made in
-- "Tenants", at the end of this file: it filters by tenant_visible().

-- pg_dump keeps the events (the monthly partitions are tables of their own,
-- not of the extension: pg_dump dumps them, rows included, like any table)
-- and the dictionaries, the built-in actions too (their descriptions may
-- have been edited; a restore merges them into the ones CREATE EXTENSION
-- made). The id sequences are not dumped: a restore moves them past the
-- rows it brings (see "Restores" below), where pg_dump would set them only
-- after all the data, under events written meanwhile.
SELECT pg_catalog.pg_extension_config_dump('auditlog.event_store_default', '');
SELECT pg_catalog.pg_extension_config_dump('auditlog.labels', '');
SELECT pg_catalog.pg_extension_config_dump('auditlog.action_types', '');

---------------------------------------------------------------------------
-- Append-only
---------------------------------------------------------------------------

CREATE FUNCTION auditlog.refuse_change() RETURNS trigger
    AS 'MODULE_PATHNAME', 'auditlog_refuse_change' LANGUAGE C;
COMMENT ON FUNCTION auditlog.refuse_change() IS
    'Trigger keeping the audit tables append-only';

CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON auditlog.event_store
    FOR EACH ROW EXECUTE FUNCTION auditlog.refuse_change();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON auditlog.event_store
    FOR EACH STATEMENT EXECUTE FUNCTION auditlog.refuse_change();
-- (row triggers reach the partitions by themselves, a TRUNCATE trigger does
-- not: each partition gets its own)
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON auditlog.event_store_default
    FOR EACH STATEMENT EXECUTE FUNCTION auditlog.refuse_change();
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON auditlog.labels
    FOR EACH ROW EXECUTE FUNCTION auditlog.refuse_change();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON auditlog.labels
    FOR EACH STATEMENT EXECUTE FUNCTION auditlog.refuse_change();
CREATE TRIGGER append_only BEFORE DELETE ON auditlog.action_types
    FOR EACH ROW EXECUTE FUNCTION auditlog.refuse_change();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON auditlog.action_types
    FOR EACH STATEMENT EXECUTE FUNCTION auditlog.refuse_change();

-- An action's name is what events point at: only its description may change.
CREATE FUNCTION auditlog.keep_action_name() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    IF NEW.id IS DISTINCT FROM OLD.id OR NEW.action IS DISTINCT FROM OLD.action THEN
        RAISE EXCEPTION 'the name and id of action "%" cannot change', OLD.action
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Only the description of an action can be updated.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION auditlog.keep_action_name() IS
    'Trigger letting only the description of an action change';
CREATE TRIGGER keep_action_name BEFORE UPDATE ON auditlog.action_types
    FOR EACH ROW EXECUTE FUNCTION auditlog.keep_action_name();

-- Fired even under session_replication_role = replica, so that not even a
-- superuser's replication-mode session edits events with plain SQL.
ALTER TABLE auditlog.event_store ENABLE ALWAYS TRIGGER append_only;
ALTER TABLE auditlog.event_store ENABLE ALWAYS TRIGGER append_only_truncate;
ALTER TABLE auditlog.event_store_default ENABLE ALWAYS TRIGGER append_only_truncate;
ALTER TABLE auditlog.labels ENABLE ALWAYS TRIGGER append_only;
ALTER TABLE auditlog.labels ENABLE ALWAYS TRIGGER append_only_truncate;
ALTER TABLE auditlog.action_types ENABLE ALWAYS TRIGGER append_only;
ALTER TABLE auditlog.action_types ENABLE ALWAYS TRIGGER append_only_truncate;
ALTER TABLE auditlog.action_types ENABLE ALWAYS TRIGGER keep_action_name;

---------------------------------------------------------------------------
-- Writing events
---------------------------------------------------------------------------

CREATE FUNCTION auditlog.log_event(
    action text,
    resource_type text DEFAULT NULL,
    resource_id text DEFAULT NULL,
    outcome auditlog.outcome DEFAULT 'success',
    details jsonb DEFAULT NULL,
    actor text DEFAULT NULL,
    actor_id text DEFAULT NULL,
    org_id text DEFAULT NULL)
RETURNS bigint
    AS 'MODULE_PATHNAME', 'auditlog_log_event'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION auditlog.log_event(text, text, text, auditlog.outcome, jsonb, text, text, text) IS
    'Records one event of the application and returns its id';

CREATE FUNCTION auditlog.set_actor(actor text, actor_id text DEFAULT NULL)
RETURNS void
    AS 'MODULE_PATHNAME', 'auditlog_set_actor'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION auditlog.set_actor(text, text) IS
    'Sets auditlog.actor and auditlog.actor_id for the current transaction';

CREATE FUNCTION auditlog.outcome_label(auditlog.outcome) RETURNS text
    AS 'MODULE_PATHNAME', 'auditlog_outcome_label'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION auditlog.outcome_label(auditlog.outcome) IS
    'Display label of an outcome: Success, Failure, Denied';

---------------------------------------------------------------------------
-- Privileges: closed by default, granted explicitly (README, "Privileges")
---------------------------------------------------------------------------

REVOKE ALL ON ALL TABLES IN SCHEMA auditlog FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA auditlog FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION auditlog.log_event(text, text, text, auditlog.outcome, jsonb, text, text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION auditlog.refuse_change() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION auditlog.keep_action_name() FROM PUBLIC;

CREATE FUNCTION auditlog.import_event(
    occurred_at timestamptz,
    action text,
    resource_type text DEFAULT NULL,
    resource_id text DEFAULT NULL,
    outcome auditlog.outcome DEFAULT 'success',
    details jsonb DEFAULT NULL,
    actor text DEFAULT NULL,
    actor_id text DEFAULT NULL,
    org_id text DEFAULT NULL)
RETURNS bigint
    AS 'MODULE_PATHNAME', 'auditlog_import_event'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION auditlog.import_event(timestamptz, text, text, text, auditlog.outcome, jsonb, text, text, text) IS
    'Backfills one event with its original time; its details say it was imported. Granted to no one by default';
REVOKE EXECUTE ON FUNCTION auditlog.import_event(timestamptz, text, text, text, auditlog.outcome, jsonb, text, text, text) FROM PUBLIC;

---------------------------------------------------------------------------
-- Registered tables: row changes become events
---------------------------------------------------------------------------

CREATE TABLE auditlog.registry (
    tbl regclass PRIMARY KEY,
    resource_type text NOT NULL CHECK (resource_type ~ '^[a-z][a-z0-9_]*$'),
    id_column name,
    exclude_columns name[] NOT NULL DEFAULT '{}',
    redact_columns name[] NOT NULL DEFAULT '{}',
    org_column name,
    registered_at timestamptz NOT NULL DEFAULT now(),
    registered_by name NOT NULL DEFAULT session_user
);
COMMENT ON TABLE auditlog.registry IS
    'Options of each registered table; written by register_table and unregister_table only';
SELECT pg_catalog.pg_extension_config_dump('auditlog.registry', '');

-- (auditlog.registered_tables, the view over it, is made below, after
-- auditing_problem(), which it calls.)

CREATE FUNCTION auditlog.row_trigger() RETURNS trigger
    AS 'MODULE_PATHNAME', 'auditlog_row_trigger' LANGUAGE C;
COMMENT ON FUNCTION auditlog.row_trigger() IS
    'AFTER ROW trigger of registered tables: one event per inserted, updated or deleted row';
CREATE FUNCTION auditlog.statement_trigger() RETURNS trigger
    AS 'MODULE_PATHNAME', 'auditlog_statement_trigger' LANGUAGE C;
COMMENT ON FUNCTION auditlog.statement_trigger() IS
    'AFTER TRUNCATE trigger of registered tables and their partitions: one event per emptied table';

CREATE FUNCTION auditlog.register_table(
    tbl regclass,
    resource_type text DEFAULT NULL,
    id_column name DEFAULT NULL,
    exclude_columns name[] DEFAULT '{}',
    redact_columns name[] DEFAULT '{}',
    org_column name DEFAULT NULL)
RETURNS void
    AS 'MODULE_PATHNAME', 'auditlog_register_table'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION auditlog.register_table(regclass, text, name, name[], name[], name) IS
    'Audits every INSERT, UPDATE, DELETE and TRUNCATE of a table; registering again updates the options';

CREATE FUNCTION auditlog.unregister_table(tbl regclass)
RETURNS void
    AS 'MODULE_PATHNAME', 'auditlog_unregister_table'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION auditlog.unregister_table(regclass) IS
    'Stops auditing a table; its past events stay';

-- The registry follows the audited tables: renamed and dropped columns,
-- dropped tables. The same event triggers guard auditlog's own objects and
-- watch DDL that would switch auditing of a registered table off (README,
-- "What the guards cover"); the tags are every command that can change
-- either.
CREATE FUNCTION auditlog.follow_ddl() RETURNS event_trigger
    AS 'MODULE_PATHNAME', 'auditlog_follow_ddl' LANGUAGE C;
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
CREATE EVENT TRIGGER auditlog_follow_drop ON sql_drop
    EXECUTE FUNCTION auditlog.follow_ddl();
-- Also under session_replication_role = replica: a column renamed there must
-- stay redacted under its new name.
ALTER EVENT TRIGGER auditlog_follow_alter ENABLE ALWAYS;
ALTER EVENT TRIGGER auditlog_check_attach ENABLE ALWAYS;
ALTER EVENT TRIGGER auditlog_follow_drop ENABLE ALWAYS;

REVOKE ALL ON auditlog.registry FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION auditlog.row_trigger() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION auditlog.statement_trigger() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION auditlog.follow_ddl() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION auditlog.register_table(regclass, text, name, name[], name[], name) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION auditlog.unregister_table(regclass) FROM PUBLIC;

---------------------------------------------------------------------------
-- Reading events: search, counts, filter options, display helpers
---------------------------------------------------------------------------

-- search(), event_count() and filter_options() switch to the extension's
-- owner themselves, with a pinned search_path, so that a reader needs
-- EXECUTE on them and no privilege on the tables behind the log (README,
-- "Privileges"):
--   GRANT EXECUTE ON FUNCTION
--       auditlog.search(text, text, text, date, date, auditlog.outcome, text, text, integer, bigint),
--       auditlog.event_count(text, text, text, date, date, auditlog.outcome, text, text),
--       auditlog.filter_options()
--     TO dashboard;
-- The display helpers know nothing of the log and are open to PUBLIC.

CREATE TYPE auditlog.search_row AS (
    id bigint,
    occurred_at timestamptz,
    actor text,
    actor_id text,
    action text,
    resource_type text,
    resource_id text,
    outcome auditlog.outcome,
    org_id text,
    details jsonb,
    db_user text,
    client_addr inet,
    application_name text,
    txid bigint,
    total_count bigint
);
COMMENT ON TYPE auditlog.search_row IS
    'A row of auditlog.search(): an event as auditlog.events shows it, and total_count, '
    'the number of events matching the filters';

-- Who is a tenant is told by the session user, the role of SET ROLE and
-- current_user (README, "Tenants"). A SECURITY DEFINER function would hide
-- the caller's current_user, so the readers are SECURITY INVOKER and switch
-- to the extension's owner themselves (with search_path pinned), once they
-- know who calls.
CREATE FUNCTION auditlog.search(
    actor text DEFAULT NULL,
    action text DEFAULT NULL,
    resource_type text DEFAULT NULL,
    from_date date DEFAULT NULL,
    to_date date DEFAULT NULL,
    outcome auditlog.outcome DEFAULT NULL,
    resource_id text DEFAULT NULL,
    org_id text DEFAULT NULL,
    page_size integer DEFAULT 100,
    before_id bigint DEFAULT NULL)
RETURNS SETOF auditlog.search_row
    AS 'MODULE_PATHNAME', 'auditlog_search'
    LANGUAGE C STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    ROWS 100;
COMMENT ON FUNCTION auditlog.search(text, text, text, date, date, auditlog.outcome, text, text, integer, bigint) IS
    'One page of the events matching the filters, newest first by (occurred_at, id), each row '
    'with the total count; before_id: the page after that event. Dates are whole days of the '
    'session time zone, both included; action is exact or a category such as ''credential.*''';

CREATE FUNCTION auditlog.event_count(
    actor text DEFAULT NULL,
    action text DEFAULT NULL,
    resource_type text DEFAULT NULL,
    from_date date DEFAULT NULL,
    to_date date DEFAULT NULL,
    outcome auditlog.outcome DEFAULT NULL,
    resource_id text DEFAULT NULL,
    org_id text DEFAULT NULL)
RETURNS bigint
    AS 'MODULE_PATHNAME', 'auditlog_event_count'
    LANGUAGE C STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auditlog.event_count(text, text, text, date, date, auditlog.outcome, text, text) IS
    'The number of events matching the filters of auditlog.search(), its total_count';

-- The values that committed events use, from the summaries (per actor, all
-- time) and the events above their watermark, so that it stays fast at any
-- size; and every action with a description (seeded, registered, or
-- described by hand) even before its first event. A string a rolled-back
-- event left in the dictionaries is no option.
CREATE FUNCTION auditlog.filter_options()
RETURNS TABLE (kind text, value text, label text)
    AS 'MODULE_PATHNAME', 'auditlog_filter_options'
    LANGUAGE C STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION auditlog.filter_options() IS
    'The choices of the dashboard''s filters, in display order: kind (the search() argument: '
    'actor, action, resource_type), value (what to pass), label (what to show); system is the first actor. '
    'A tenant gets only the values its organisations'' events use';

CREATE FUNCTION auditlog.initials(text) RETURNS text
    AS 'MODULE_PATHNAME', 'auditlog_initials'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION auditlog.initials(text) IS
    'Avatar letters of a name: initials of its first and last words, upper-cased (JD for John Doe, S for system)';

CREATE FUNCTION auditlog.format_time(timestamptz) RETURNS text
    AS 'MODULE_PATHNAME', 'auditlog_format_time'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION auditlog.format_time(timestamptz) IS
    'A time as the audit log shows it, in the session time zone: May 7, 10:39:19 PM';

REVOKE EXECUTE ON FUNCTION auditlog.search(text, text, text, date, date, auditlog.outcome, text, text, integer, bigint) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION auditlog.event_count(text, text, text, date, date, auditlog.outcome, text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION auditlog.filter_options() FROM PUBLIC;

---------------------------------------------------------------------------
-- Counting at scale: per-day and per-month counts behind a watermark
---------------------------------------------------------------------------

-- How many events there are per UTC month, and in the same row per UTC day
-- of it (days, auditlog.day_counts_array shows them), for every combination of action,
-- resource type (0: none), organisation (0: none) and outcome, over all
-- actors (grain 'm'; actor_ref 0); per actor and month ('M', no days); per
-- actor, and over all actors (actor_ref 0), month and day with the outcome
-- alone ('U'; action, type and org 0); and all-time totals (bucket -infinity), over all actors ('a') and per
-- actor ('A'). A row a month keeps them a small part of the store. The key
-- carries n and days, so that sums are index-only scans. Covers
-- exactly the events with id <= summary_state.summarized_upto. Derived
-- data: not dumped, rebuilt by auditlog.summarize() after a restore.
CREATE TABLE auditlog.event_counts (
    grain "char" NOT NULL CHECK (grain IN ('m', 'M', 'U', 'a', 'A')),
    actor_ref integer NOT NULL,
    bucket timestamptz NOT NULL,
    action_ref integer NOT NULL,
    resource_type_ref integer NOT NULL,
    org_ref integer NOT NULL,
    outcome auditlog.outcome NOT NULL,
    n bigint NOT NULL,
    days bytea,
    CONSTRAINT event_counts_pkey
        PRIMARY KEY (grain, actor_ref, bucket, action_ref, resource_type_ref, org_ref, outcome)
        INCLUDE (n, days),
    CONSTRAINT event_counts_days_check
        CHECK (CASE WHEN grain IN ('m', 'U')
               THEN COALESCE(pg_catalog.octet_length(days) OPERATOR(pg_catalog.>=) 4, false)
               ELSE days IS NULL END)
);
COMMENT ON TABLE auditlog.event_counts IS
    'Precomputed event counts per UTC month and day, over all actors and per actor (derived; see auditlog.summarize)';

CREATE TABLE auditlog.summary_state (
    summarized_upto bigint NOT NULL,
    pending_upto bigint NOT NULL,
    pending_xmax bigint NOT NULL,
    maintained_at timestamptz
);
COMMENT ON TABLE auditlog.summary_state IS
    'Watermark of auditlog.event_counts, and the next horizon it may move to';
INSERT INTO auditlog.summary_state VALUES (0, 0, 0);
-- Updated by every summarize(): a publication FOR ALL TABLES needs a
-- replica identity to publish that (the one-row table has no key).
ALTER TABLE auditlog.summary_state REPLICA IDENTITY FULL;

CREATE FUNCTION auditlog.summarize(max_events bigint DEFAULT 1000000)
RETURNS bigint
    AS 'MODULE_PATHNAME', 'auditlog_summarize'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION auditlog.summarize(bigint) IS
    'Brings the precomputed counts up to date by at most max_events events; returns how many it added';
REVOKE ALL ON auditlog.event_counts, auditlog.summary_state FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION auditlog.summarize(bigint) FROM PUBLIC;

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

---------------------------------------------------------------------------
-- Maintenance: the summaries kept current by a background worker
---------------------------------------------------------------------------

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

-- Hardening: restores
---------------------------------------------------------------------------

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

CREATE VIEW auditlog.registered_tables AS
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
-- The text columns are stored in the C collation (fast, and the same on
-- every server); the view shows them in the database's default collation,
-- as a plain table would have them (ORDER BY actor, comparisons with
-- ordinary text).
CREATE VIEW auditlog.events WITH (security_barrier) AS
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
-- no one reads it but whom the DBA grants SELECT (made after the REVOKE of
-- every table above, so said here: the same privileges as an updated 0.1.0
-- database's view)
REVOKE ALL ON auditlog.events FROM PUBLIC;

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
