-- bench/read/sets_table.sql — the (empty) table of filter sets; the generator's
-- sets.sql fills it, read/run.sql times every row of it. One row per filter
-- set a dashboard user clicks: the filters as search() takes them.

\set ON_ERROR_STOP on

SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_read.sets CASCADE;
RESET client_min_messages;
CREATE TABLE bench_read.sets (
    no int PRIMARY KEY,
    name text NOT NULL,
    actor text,
    action text,
    resource_type text,
    from_date date,
    to_date date,
    outcome auditlog.outcome,
    resource_id text,
    org_id text
);
