-- bench/write/schema.sql — the write-path benchmark's tables and the plpgsql audit trigger.
-- Run by bench/write.sh in a fresh database; the auditlog registration is done by the script.

-- The workload: one table shape an application could have, in three identical copies.
CREATE TABLE bare_connection (
    id         bigint PRIMARY KEY,
    name       text NOT NULL,
    owner      text NOT NULL,
    status     text NOT NULL,
    config     jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE audited_connection (LIKE bare_connection INCLUDING ALL);
CREATE TABLE plpgsql_connection (LIKE bare_connection INCLUDING ALL);

-- The comparison: a plain audit table with the same columns auditlog records, as text,
-- indexed for the dashboard's filters.
CREATE TABLE plpgsql_audit_log (
    id               bigserial PRIMARY KEY,
    occurred_at      timestamptz NOT NULL DEFAULT now(),
    actor            text NOT NULL,
    action           text NOT NULL,
    resource_type    text,
    resource_id      text,
    outcome          text NOT NULL,
    details          jsonb,
    db_user          text NOT NULL,
    client_addr      inet,
    application_name text,
    txid             bigint NOT NULL
);
CREATE INDEX plpgsql_audit_log_occurred_at_idx ON plpgsql_audit_log (occurred_at);
CREATE INDEX plpgsql_audit_log_actor_idx ON plpgsql_audit_log (actor);
CREATE INDEX plpgsql_audit_log_action_idx ON plpgsql_audit_log (action);
CREATE INDEX plpgsql_audit_log_resource_idx ON plpgsql_audit_log (resource_type, resource_id);

-- A typical hand-written audit trigger recording what auditlog records:
-- create = the new row, delete = the old row, update = only the changed keys (old and new),
-- nothing for an update that changes nothing, and one event per TRUNCATE.
-- Arguments: resource type, name of the key column.
CREATE FUNCTION plpgsql_audit() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    old_row     jsonb;
    new_row     jsonb;
    old_changed jsonb;
    new_changed jsonb;
    verb        text;
    rid         text;
    info        jsonb;
BEGIN
    IF TG_OP = 'INSERT' THEN
        new_row := to_jsonb(NEW);
        verb := 'create';
        rid := new_row ->> TG_ARGV[1];
        info := jsonb_build_object('new', new_row);
    ELSIF TG_OP = 'DELETE' THEN
        old_row := to_jsonb(OLD);
        verb := 'delete';
        rid := old_row ->> TG_ARGV[1];
        info := jsonb_build_object('old', old_row);
    ELSIF TG_OP = 'UPDATE' THEN
        old_row := to_jsonb(OLD);
        new_row := to_jsonb(NEW);
        SELECT jsonb_object_agg(o.key, o.value), jsonb_object_agg(o.key, n.value)
          INTO old_changed, new_changed
          FROM jsonb_each(old_row) AS o
          JOIN jsonb_each(new_row) AS n ON n.key = o.key
         WHERE o.value IS DISTINCT FROM n.value;
        IF old_changed IS NULL THEN
            RETURN NULL;
        END IF;
        verb := 'update';
        rid := new_row ->> TG_ARGV[1];
        info := jsonb_build_object('old', old_changed, 'new', new_changed);
    ELSE
        verb := 'truncate';
    END IF;

    INSERT INTO plpgsql_audit_log
        (actor, action, resource_type, resource_id, outcome, details,
         db_user, client_addr, application_name, txid)
    VALUES
        (coalesce(nullif(current_setting('auditlog.actor', true), ''), session_user),
         TG_ARGV[0] || '.' || verb, TG_ARGV[0], rid, 'success', info,
         session_user, inet_client_addr(), nullif(current_setting('application_name'), ''),
         txid_current());
    RETURN NULL;
END
$$;

CREATE TRIGGER plpgsql_audit_row
    AFTER INSERT OR UPDATE OR DELETE ON plpgsql_connection
    FOR EACH ROW EXECUTE FUNCTION plpgsql_audit('connection', 'id');
CREATE TRIGGER plpgsql_audit_truncate
    AFTER TRUNCATE ON plpgsql_connection
    FOR EACH STATEMENT EXECUTE FUNCTION plpgsql_audit('connection', 'id');

-- The script vacuums and analyzes at fixed points; autovacuum would only add noise.
ALTER TABLE bare_connection SET (autovacuum_enabled = false);
ALTER TABLE audited_connection SET (autovacuum_enabled = false);
ALTER TABLE plpgsql_connection SET (autovacuum_enabled = false);
ALTER TABLE plpgsql_audit_log SET (autovacuum_enabled = false);
