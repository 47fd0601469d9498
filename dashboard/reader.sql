-- dashboard/reader.sql — the dashboard's read-only database role.
--
--   psql -v role=dashboard -v password=... -f dashboard/reader.sql
--
-- Run as a superuser (or the extension's owner) in the audit log's database.
-- The role gets the reader grants of the README ("Privileges") and nothing
-- else: EXECUTE on search(), event_count(), filter_options() and export(),
-- which run their queries with the extension owner's rights, so it needs no
-- privilege on any table.
-- Its transactions are read-only by default as well.

\set ON_ERROR_STOP on
SELECT format('CREATE ROLE %I LOGIN', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD :'password';
ALTER ROLE :"role" SET default_transaction_read_only = on;

GRANT EXECUTE ON FUNCTION
    auditlog.search(text, text, text, date, date, auditlog.outcome, text, text, integer, bigint),
    auditlog.event_count(text, text, text, date, date, auditlog.outcome, text, text),
    auditlog.filter_options()
  TO :"role";

-- auditlog.export() is one of the reader grants too (README, "Privileges");
-- an extension older than 0.2.0 has none, and then it is left out.
SELECT format('GRANT EXECUTE ON FUNCTION %s TO %I', p, :'role')
  FROM pg_catalog.to_regprocedure('auditlog.export(text,text,text,date,date,auditlog.outcome,text,text,text,bigint)') AS p
 WHERE p IS NOT NULL \gexec
