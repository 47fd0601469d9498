/* sql/auditlog--0.1.0.sql — install script of the auditlog extension */

\echo Use "CREATE EXTENSION auditlog" to load this file. \quit

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

CREATE OPERATOR auditlog.= (
    LEFTARG = auditlog.outcome, RIGHTARG = auditlog.outcome,
    FUNCTION = auditlog.outcome_eq,
    COMMUTATOR = OPERATOR(auditlog.=), NEGATOR = OPERATOR(auditlog.<>),
    RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES
);
CREATE OPERATOR auditlog.<> (
    LEFTARG = auditlog.outcome, RIGHTARG = auditlog.outcome,
    FUNCTION = auditlog.outcome_ne,
    COMMUTATOR = OPERATOR(auditlog.<>), NEGATOR = OPERATOR(auditlog.=),
    RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR auditlog.< (
    LEFTARG = auditlog.outcome, RIGHTARG = auditlog.outcome,
    FUNCTION = auditlog.outcome_lt,
    COMMUTATOR = OPERATOR(auditlog.>), NEGATOR = OPERATOR(auditlog.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR auditlog.<= (
    LEFTARG = auditlog.outcome, RIGHTARG = auditlog.outcome,
    FUNCTION = auditlog.outcome_le,
    COMMUTATOR = OPERATOR(auditlog.>=), NEGATOR = OPERATOR(auditlog.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR auditlog.> (
    LEFTARG = auditlog.outcome, RIGHTARG = auditlog.outcome,
    FUNCTION = auditlog.outcome_gt,
    COMMUTATOR = OPERATOR(auditlog.<), NEGATOR = OPERATOR(auditlog.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
CREATE OPERATOR auditlog.>= (
    LEFTARG = auditlog.outcome, RIGHTARG = auditlog.outcome,
    FUNCTION = auditlog.outcome_ge,
    COMMUTATOR = OPERATOR(auditlog.<=), NEGATOR = OPERATOR(auditlog.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel
);

CREATE OPERATOR CLASS auditlog.outcome_ops
    DEFAULT FOR TYPE auditlog.outcome USING btree AS
        OPERATOR 1 auditlog.<,
        OPERATOR 2 auditlog.<=,
        OPERATOR 3 auditlog.=,
        OPERATOR 4 auditlog.>=,
        OPERATOR 5 auditlog.>,
        FUNCTION 1 auditlog.outcome_cmp(auditlog.outcome, auditlog.outcome),
        FUNCTION 4 (auditlog.outcome, auditlog.outcome) btequalimage(oid);

CREATE OPERATOR CLASS auditlog.outcome_hash_ops
    DEFAULT FOR TYPE auditlog.outcome USING hash AS
        OPERATOR 1 auditlog.=,
        FUNCTION 1 auditlog.outcome_hash(auditlog.outcome),
        FUNCTION 2 auditlog.outcome_hash_extended(auditlog.outcome, bigint);

CREATE CAST (auditlog.outcome AS text) WITH INOUT AS ASSIGNMENT;
CREATE CAST (text AS auditlog.outcome) WITH INOUT;

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
-- dictionaries above; auditlog.events shows them as text.
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
    details jsonb,
    CONSTRAINT event_store_pkey PRIMARY KEY (id)
);
COMMENT ON TABLE auditlog.event_store IS
    'Storage of the events, append-only; read auditlog.events';

CREATE SEQUENCE auditlog.event_store_id_seq OWNED BY auditlog.event_store.id;

CREATE INDEX event_store_occurred_at_idx ON auditlog.event_store USING brin (occurred_at);

CREATE VIEW auditlog.events AS
SELECT e.id,
       e.occurred_at,
       ac.label AS actor,
       ai.label AS actor_id,
       t.action,
       rt.label AS resource_type,
       e.resource_id,
       e.outcome,
       og.label AS org_id,
       e.details,
       du.label AS db_user,
       e.client_addr,
       an.label AS application_name,
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

-- pg_dump keeps the events, the dictionaries and the sequences' positions.
SELECT pg_catalog.pg_extension_config_dump('auditlog.event_store', '');
SELECT pg_catalog.pg_extension_config_dump('auditlog.event_store_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('auditlog.labels', '');
SELECT pg_catalog.pg_extension_config_dump('auditlog.labels_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('auditlog.action_types', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('auditlog.action_types_id_seq', '');

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
