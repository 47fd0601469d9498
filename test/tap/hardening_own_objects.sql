-- test/tap/hardening_own_objects.sql -- auditlog's own tables, sequences and
-- schema change only with the extension: DDL on them is refused to everyone
-- but a superuser (members of the owner's role included), a superuser's is
-- let through with a WARNING for the server log, and after ALTER TABLE the
-- guards are put back to ENABLE ALWAYS. Plain SQL that would change the
-- registry or insert events is refused to them too. The schema keeps its
-- name and a superuser owner, and nobody else may create objects in it.
-- Rows inserted with SQL into a live log are refused.
BEGIN;
SELECT plan(24);

\ir setup/common.sql

-- A role that is a member of the extension's owner but no superuser: it
-- owns auditlog's objects as far as PostgreSQL is concerned.
CREATE ROLE auditlog_tap_own_member;
SELECT format('GRANT %I TO auditlog_tap_own_member', pg_get_userbyid(extowner))
  FROM pg_extension WHERE extname = 'auditlog' \gexec

CREATE FUNCTION pg_temp.own_refusal(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    SET LOCAL ROLE auditlog_tap_own_member;
    BEGIN
        EXECUTE stmt;
    EXCEPTION WHEN OTHERS THEN
        RESET ROLE;
        RETURN SQLSTATE || ': ' || SQLERRM;
    END;
    RESET ROLE;
    RETURN 'no error';
END
$$;

---------------------------------------------------------------------------
-- Refused to a member of the owner's role.
---------------------------------------------------------------------------
SELECT is(pg_temp.own_refusal('ALTER TABLE auditlog.event_store DISABLE TRIGGER append_only'),
          '42501: permission denied for ALTER TABLE auditlog.event_store, in the schema of extension auditlog',
          'ALTER TABLE ... DISABLE TRIGGER on the event store is refused to a member of the owner''s role');
SELECT is(pg_temp.hint_of($$SET LOCAL ROLE auditlog_tap_own_member;
                            ALTER TABLE auditlog.labels ENABLE REPLICA TRIGGER append_only$$),
          'The extension changes its objects itself (ALTER EXTENSION auditlog UPDATE).',
          'with a hint');
SELECT is(pg_temp.own_refusal('DROP TRIGGER append_only ON auditlog.event_store'),
          '42501: permission denied for DROP TRIGGER append_only on auditlog.event_store, in the schema of extension auditlog',
          'DROP TRIGGER on one of its tables is refused');
SELECT is(pg_temp.own_refusal('CREATE RULE tap_own_r AS ON INSERT TO auditlog.labels DO INSTEAD NOTHING'),
          '42501: permission denied for CREATE RULE tap_own_r on auditlog.labels, in the schema of extension auditlog',
          'CREATE RULE on one of its tables is refused');
SELECT is(pg_temp.own_refusal($$CREATE INDEX tap_own_idx ON auditlog.event_store ((details->>'x'))$$),
          '42501: permission denied for CREATE INDEX auditlog.tap_own_idx, in the schema of extension auditlog',
          'CREATE INDEX on the event store is refused');
SELECT is(pg_temp.own_refusal('CREATE TRIGGER tap_own_t BEFORE INSERT ON auditlog.labels FOR EACH ROW EXECUTE FUNCTION auditlog.refuse_change()'),
          '42501: permission denied for CREATE TRIGGER tap_own_t on auditlog.labels, in the schema of extension auditlog',
          'CREATE TRIGGER on one of its tables is refused');
SELECT is(pg_temp.own_refusal('ALTER SEQUENCE auditlog.event_store_id_seq RESTART 1'),
          '42501: permission denied for ALTER SEQUENCE auditlog.event_store_id_seq, in the schema of extension auditlog',
          'ALTER SEQUENCE ... RESTART of the event ids is refused');
SELECT is(pg_temp.own_refusal('ALTER TABLE auditlog.registry ENABLE ROW LEVEL SECURITY'),
          '42501: permission denied for ALTER TABLE auditlog.registry, in the schema of extension auditlog',
          'row level security on the registry is refused');
SELECT is(pg_temp.own_refusal('CREATE VIEW auditlog.tap_own_view AS SELECT 1 AS x'),
          '42501: permission denied for CREATE VIEW auditlog.tap_own_view, in the schema of extension auditlog',
          'creating an object in the extension''s schema is refused');
SELECT is((SELECT string_agg(tgname || '=' || tgenabled::text, ',' ORDER BY tgname) FROM pg_trigger
            WHERE tgrelid = 'auditlog.event_store'::regclass),
          'append_only=A,append_only_truncate=A,restore_row=A,restore_statement=A',
          'the refused statements changed nothing');

-- Nor plain SQL on the registry and the event store, which the owner's
-- role holds every privilege on.
CREATE TABLE tap_own_doc (id int PRIMARY KEY, secret text);
SELECT auditlog.register_table('tap_own_doc', redact_columns => '{secret}');
SELECT is(pg_temp.own_refusal($$UPDATE auditlog.registry SET redact_columns = '{}'$$),
          '42501: auditlog.registry changes only through auditlog.register_table() and unregister_table()',
          'a member of the owner''s role cannot edit the registry''s options with UPDATE');
SELECT is(pg_temp.own_refusal('DELETE FROM auditlog.registry'),
          '42501: auditlog.registry changes only through auditlog.register_table() and unregister_table()',
          'nor DELETE them');
SELECT is(pg_temp.own_refusal($$INSERT INTO auditlog.event_store (id, occurred_at, txid, action_ref, actor_ref, db_user_ref, outcome)
                                 VALUES (-1, now(), 1, 1, 1, 1, 'success')$$),
          '42501: only a superuser may insert rows into auditlog.event_store',
          'nor INSERT an event, even into an empty log');
SELECT is((SELECT redact_columns FROM auditlog.registered_tables WHERE table_name = 'tap_own_doc'::regclass),
          '{secret}'::name[], 'the registration is as register_table made it');

---------------------------------------------------------------------------
-- A superuser may (the WARNING is hidden here); ENABLE TRIGGER ALL, as
-- pg_restore --disable-triggers ends, puts the guards back to ALWAYS, and
-- DISABLE TRIGGER ALL leaves the restore triggers on.
---------------------------------------------------------------------------
SET LOCAL client_min_messages = error;
ALTER TABLE auditlog.event_store DISABLE TRIGGER ALL;
SELECT is((SELECT string_agg(tgname || '=' || tgenabled::text, ',' ORDER BY tgname) FROM pg_trigger
            WHERE tgrelid = 'auditlog.event_store'::regclass),
          'append_only=D,append_only_truncate=D,restore_row=A,restore_statement=A',
          'a superuser''s DISABLE TRIGGER ALL disables the guards, not the restore triggers');
ALTER TABLE auditlog.event_store ENABLE TRIGGER ALL;
SELECT is((SELECT string_agg(tgname || '=' || tgenabled::text, ',' ORDER BY tgname) FROM pg_trigger
            WHERE tgrelid = 'auditlog.event_store'::regclass),
          'append_only=A,append_only_truncate=A,restore_row=A,restore_statement=A',
          'ENABLE TRIGGER ALL puts the guards back to ENABLE ALWAYS');
SELECT auditlog.log_event('tap.own_objects') AS guarded_event \gset
SET LOCAL session_replication_role = replica;
SELECT throws_ok(format('DELETE FROM auditlog.event_store WHERE id = %s', :guarded_event), '42501', NULL,
                 'so that not even a replication-mode session deletes events');
SET LOCAL session_replication_role = origin;
ALTER TABLE auditlog.labels ENABLE TRIGGER append_only;
SELECT is((SELECT tgenabled::text FROM pg_trigger WHERE tgrelid = 'auditlog.labels'::regclass AND tgname = 'append_only'),
          'A', 'and so does ENABLE TRIGGER of one guard');
SET LOCAL client_min_messages = warning;

---------------------------------------------------------------------------
-- The schema: its name and a superuser owner stay, whoever asks, and
-- nobody else may create objects in it.
---------------------------------------------------------------------------
SELECT throws_ok($$ALTER SCHEMA auditlog RENAME TO auditlog_moved$$, '0A000',
                 'the schema of extension auditlog cannot be renamed to "auditlog_moved"',
                 'the schema cannot be renamed, not even by a superuser');
SELECT throws_ok($$ALTER SCHEMA auditlog OWNER TO auditlog_tap_own_member$$, '42501',
                 'the schema of extension auditlog cannot be owned by role "auditlog_tap_own_member"',
                 'nor given to a role that is no superuser');
SELECT throws_ok($$GRANT CREATE ON SCHEMA auditlog TO auditlog_tap_own_member$$, '42501',
                 'auditlog_tap_own_member may not create objects in the schema of extension auditlog',
                 'CREATE on it is granted to nobody else');
SELECT throws_ok($$GRANT CREATE ON SCHEMA auditlog TO PUBLIC$$, '42501',
                 'PUBLIC may not create objects in the schema of extension auditlog',
                 'not even to PUBLIC');

---------------------------------------------------------------------------
-- Rows inserted with SQL (only a restore should): refused into a live log.
---------------------------------------------------------------------------
SELECT auditlog.log_event('tap.own_objects') AS live_event \gset
SELECT is(pg_temp.error_of(format($$INSERT INTO auditlog.event_store
                                      SELECT e.id + 1000000, e.occurred_at, e.txid, e.action_ref, e.actor_ref,
                                             e.actor_id_ref, e.resource_type_ref, e.org_ref, e.db_user_ref,
                                             e.application_ref, 'denied', e.client_addr, e.resource_id, e.details
                                        FROM auditlog.event_store e WHERE e.id = %s$$, :live_event))->>'message',
          'auditlog.event_store already holds rows written in this database',
          'a superuser''s INSERT of a forged event into a live log is refused');
SELECT throws_ok($$INSERT INTO auditlog.labels (id, kind, label) VALUES (-1, 'a', 'Forged Actor')$$, '55000', NULL,
                 'and so is one of a label');

SELECT * FROM finish();
ROLLBACK;
