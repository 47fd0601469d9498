-- bench/read/setup.sql — a fresh start for one generator's data set.
--
-- Run by bench/read.sh with psql variables gen (generator name), n (events),
-- chunk (events per import statement) and partitions (1: make the months'
-- partitions before the import). It recreates the auditlog
-- extension in the current database (the event store is append-only:
-- starting afresh is the only way to refill it) and the schema bench_read,
-- whose meta row every later step reads and fills in.

\set ON_ERROR_STOP on

SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench_plain CASCADE;
DROP SCHEMA IF EXISTS bench_read CASCADE;
SET auditlog.allow_drop = on;   -- starts again from an empty log, an earlier run's events too
DROP EXTENSION IF EXISTS auditlog CASCADE;
CREATE EXTENSION auditlog;
RESET client_min_messages;
CREATE SCHEMA bench_read;

CREATE TABLE bench_read.meta (
    gen text NOT NULL,             -- the generator: saas, shop
    n bigint NOT NULL,
    chunk int NOT NULL,
    anchor date NOT NULL,          -- events fall in [anchor - 365 days, anchor), session time zone
    partitions boolean NOT NULL,   -- the year's months have partitions (else: the default one)
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    generate_s numeric,            -- the import_event calls
    summarize_s numeric,           -- auditlog.summarize() until caught up (NULL: not called)
    summarized bigint,             -- events it added to the summaries
    plain_s numeric,               -- filling and indexing bench_plain.events
    analyze_s numeric,             -- VACUUM ANALYZE of both sides; set last: the data is ready
    ready boolean NOT NULL DEFAULT false
);
INSERT INTO bench_read.meta (gen, n, chunk, anchor, partitions)
    VALUES (:'gen', :n, :chunk, current_date, :partitions = 1);

-- As an importer of history would: the months of the year get their
-- partitions before their events arrive (the maintenance worker, off here,
-- makes only the current month's and the next two).
SELECT CASE WHEN partitions THEN auditlog.create_partitions(anchor - 365, anchor + 1) END
         AS partitions_made
  FROM bench_read.meta \gset
