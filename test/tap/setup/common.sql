-- test/tap/setup/common.sql — the setup the pgTAP files of test/tap share,
-- included with \ir right after BEGIN and plan(); no test itself. Everything
-- it makes ends with the including file's transaction (settings) or
-- session (temporary objects), so every file stays runnable on its own.

-- Notices of the extension and of DDL are noise in TAP output.
SET LOCAL client_min_messages = warning;

-- Start from no actor, actor id or organisation, whatever the session had.
SET LOCAL auditlog.actor TO DEFAULT;
SET LOCAL auditlog.actor_id TO DEFAULT;
SET LOCAL auditlog.org_id TO DEFAULT;

-- auditlog.events with its text columns in the default collation, so that
-- they compare with plain literals (the log stores them with COLLATE "C"),
-- and the outcome as text, so that pgTAP can compare it.
CREATE TEMP VIEW tap_events AS
SELECT id, occurred_at,
       actor COLLATE "default" AS actor, actor_id COLLATE "default" AS actor_id,
       action COLLATE "default" AS action, resource_type COLLATE "default" AS resource_type,
       resource_id COLLATE "default" AS resource_id, outcome::text AS outcome,
       org_id COLLATE "default" AS org_id, details,
       db_user COLLATE "default" AS db_user, txid
  FROM auditlog.events;

-- The error a statement raises, as {"sqlstate", "message", "detail",
-- "hint"} (NULL when it raises none): throws_ok checks only the SQLSTATE
-- and the message, and the README promises a hint with every refusal.
CREATE FUNCTION pg_temp.error_of(stmt text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    st text;
    msg text;
    det text;
    hnt text;
BEGIN
    EXECUTE stmt;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                            det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
    RETURN jsonb_build_object('sqlstate', st, 'message', msg,
                              'detail', nullif(det, ''), 'hint', nullif(hnt, ''));
END
$$;

-- Just the hint of that error.
CREATE FUNCTION pg_temp.hint_of(stmt text) RETURNS text LANGUAGE sql AS $$
    SELECT pg_temp.error_of(stmt)->>'hint'
$$;
