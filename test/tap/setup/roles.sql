-- test/tap/setup/roles.sql — the grants the README's "Privileges" section
-- documents, one function per job, so that every pgTAP file that needs a
-- writer, a dashboard reader or an admin grants exactly those and nothing
-- more. Included with \ir by the files that create roles; no test itself.
-- The roles are created by the including file, inside its transaction
-- (CREATE ROLE is transactional: they roll back with it).

-- A writer: the application's role logging its own events.
CREATE FUNCTION pg_temp.grant_writer(r name) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('GRANT EXECUTE ON FUNCTION auditlog.log_event(text, text, text, auditlog.outcome, jsonb, text, text, text) TO %I', r);
END
$$;

-- A reader: a dashboard, through search(), event_count(), filter_options()
-- and export().
CREATE FUNCTION pg_temp.grant_reader(r name) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('GRANT EXECUTE ON FUNCTION
                        auditlog.search(text, text, text, date, date, auditlog.outcome, text, text, integer, bigint),
                        auditlog.event_count(text, text, text, date, date, auditlog.outcome, text, text),
                        auditlog.filter_options(),
                        auditlog.export(text, text, text, date, date, auditlog.outcome, text, text, text, bigint)
                      TO %I', r);
END
$$;

-- An admin: registers tables (and needs the TRIGGER privilege on them).
CREATE FUNCTION pg_temp.grant_admin(r name) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('GRANT EXECUTE ON FUNCTION auditlog.register_table(regclass, text, name, name[], name[], name),
                                              auditlog.unregister_table(regclass),
                                              auditlog.summarize(bigint) TO %I', r);
    EXECUTE format('GRANT SELECT ON auditlog.registered_tables TO %I', r);
END
$$;
