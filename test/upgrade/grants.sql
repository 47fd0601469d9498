-- test/upgrade/grants.sql — what a DBA grants a reader, in the 0.1.0 database
-- before the update and in the fresh install alike: the grants must survive
-- the update, and both databases must then show the same privileges.
GRANT SELECT ON auditlog.events TO auditlog_upgrade_reader;
GRANT EXECUTE ON FUNCTION auditlog.search(text, text, text, date, date, auditlog.outcome, text, text, integer, bigint)
    TO auditlog_upgrade_reader;
