-- test/tap/export_feed.sql - the resumable feed: export(after_id => n) gives
-- the events after n, in id order, up to the safe point, so that a
-- consumer storing its last id and calling again gets every event once. The
-- safe point leaves out events that may still commit: here those of the
-- caller's own open transaction, and in REPEATABLE READ those its snapshot
-- cannot vouch for (test/specs/export_feed.spec has other sessions holding
-- ids open).
--
-- Like summary_counts.sql (which says why), it makes a database of its own
-- and runs in autocommit: a feed only passes committed events.
SET client_min_messages = warning;
SELECT current_database() AS feed_home, current_database() || '_feed' AS feed_db \gset
DROP DATABASE IF EXISTS :"feed_db" WITH (FORCE);
CREATE DATABASE :"feed_db";
\c :feed_db
SET client_min_messages = warning;
CREATE EXTENSION pgtap;
CREATE EXTENSION auditlog;
SELECT plan(15);

-- The ids the feed gives after 'after', called again (a moment later)
-- while it stops short of 'expect': a transaction of another session, such
-- as autovacuum's, may hold the safe point back for a moment.
CREATE FUNCTION pg_temp.feed(after bigint, expect bigint, org text DEFAULT NULL) RETURNS bigint[]
    LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
BEGIN
    FOR i IN 1..200 LOOP
        ids := array(SELECT (l::jsonb->>'id')::bigint
                       FROM auditlog.export(org_id => org, after_id => after) WITH ORDINALITY AS x(l, o) ORDER BY o);
        EXIT WHEN coalesce(ids[cardinality(ids)], after) >= expect;
        PERFORM pg_sleep(0.05);
    END LOOP;
    RETURN ids;
END
$$;
CREATE FUNCTION pg_temp.ids(lo bigint, hi bigint, org text DEFAULT NULL) RETURNS bigint[] LANGUAGE sql AS $$
    SELECT array(SELECT id FROM auditlog.events WHERE id > lo AND id <= hi AND (org IS NULL OR org_id = org) ORDER BY id)
$$;
CREATE FUNCTION pg_temp.last_id() RETURNS bigint LANGUAGE sql AS $$
    SELECT last_value FROM auditlog.event_store_id_seq
$$;

SELECT auditlog.log_event('feed.test', actor => 'A', org_id => CASE WHEN g % 2 = 0 THEN 'acme' ELSE 'globex' END)
  FROM generate_series(1, 6) AS g;
SELECT pg_temp.last_id() AS six \gset

SELECT is(pg_temp.feed(0, :six), pg_temp.ids(0, :six), 'after_id => 0: every committed event, in id order');
SELECT is(pg_temp.feed(2, :six), pg_temp.ids(2, :six), 'after_id => 2: the events after event 2');
SELECT is(pg_temp.feed(:six, :six), '{}'::bigint[], 'after the last event: nothing yet');
SELECT auditlog.log_event('feed.test', actor => 'B', org_id => 'acme') FROM generate_series(1, 3);
SELECT is(pg_temp.feed(:six, pg_temp.last_id()), pg_temp.ids(:six, pg_temp.last_id()),
          'called again after its last id, the events logged since, each once');
SELECT is(pg_temp.feed(0, pg_temp.last_id(), 'acme'), pg_temp.ids(0, pg_temp.last_id(), 'acme'),
          'with filters, the matching events only');
SELECT is((SELECT count(*) FROM auditlog.export(format => 'csv', after_id => 0)), pg_temp.last_id() + 1,
          'as CSV, each call a header and its events');

---------------------------------------------------------------------------
-- The caller's own open transaction: its events may yet roll back.
---------------------------------------------------------------------------
SELECT pg_temp.last_id() AS before_own \gset
BEGIN;
SELECT auditlog.log_event('feed.own', actor => 'C');
SELECT is(array(SELECT (l::jsonb->>'id')::bigint FROM auditlog.export(after_id => :before_own) l), '{}'::bigint[],
          'in a transaction that logged an event, the feed does not give that event');
SELECT is((SELECT count(*) FROM auditlog.export(action => 'feed.own')), 1::bigint,
          'while an export without after_id shows what the transaction sees, its own event included');
ROLLBACK;
SELECT is(pg_temp.feed(:before_own, :before_own), '{}'::bigint[], 'and once it rolled back, the feed never gives it');

---------------------------------------------------------------------------
-- REPEATABLE READ: the snapshot taken before the call decides; the feed
-- goes as far as the summaries' horizon.
---------------------------------------------------------------------------
CREATE PROCEDURE pg_temp.summarize_twice() LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..400 LOOP
        PERFORM auditlog.summarize();
        COMMIT;
        EXIT WHEN (SELECT summarized_upto FROM auditlog.summary_state) = pg_temp.last_id();
        PERFORM pg_sleep(0.05);
    END LOOP;
END
$$;
SELECT auditlog.log_event('feed.test', actor => 'D') FROM generate_series(1, 2);
CALL pg_temp.summarize_twice();
SELECT is((SELECT summarized_upto FROM auditlog.summary_state), pg_temp.last_id(), 'the summaries cover every event');
SELECT pg_temp.last_id() AS summarized \gset
SELECT auditlog.log_event('feed.test', actor => 'E');
SELECT pg_temp.last_id() AS after_summaries \gset
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT is(array(SELECT (l::jsonb->>'id')::bigint FROM auditlog.export(after_id => 0) l), pg_temp.ids(0, :summarized),
          'in REPEATABLE READ, the feed goes up to the summaries (the newer event waits)');
COMMIT;
SELECT is(pg_temp.feed(:summarized, :after_summaries), pg_temp.ids(:summarized, :after_summaries),
          'in READ COMMITTED, with no older transaction running, the newer event is there at once');

---------------------------------------------------------------------------
-- A tenant's feed.
---------------------------------------------------------------------------
DROP ROLE IF EXISTS auditlog_tap_feed_acme;
CREATE ROLE auditlog_tap_feed_acme;
GRANT EXECUTE ON FUNCTION auditlog.export(text, text, text, date, date, auditlog.outcome, text, text, text, bigint)
    TO auditlog_tap_feed_acme;
SELECT auditlog.set_tenant('auditlog_tap_feed_acme', '{acme}');
SELECT max(id) AS acme_last, pg_temp.ids(0, max(id), 'acme') AS want_acme FROM auditlog.events WHERE org_id = 'acme' \gset
SET ROLE auditlog_tap_feed_acme;
CREATE TEMP TABLE got_tenant_feed AS SELECT pg_temp.feed(0, :acme_last) AS ids;
RESET ROLE;
SELECT is((SELECT ids FROM got_tenant_feed), :'want_acme'::bigint[],
          'a tenant''s feed gives its organisation''s events only');
SELECT ok(cardinality(:'want_acme'::bigint[]) > 0, 'of which there are some');
SELECT auditlog.unset_tenant('auditlog_tap_feed_acme');

SELECT is(pg_temp.feed(pg_temp.last_id(), pg_temp.last_id()), '{}'::bigint[], 'a consumer that is caught up gets nothing');

SELECT * FROM finish();

\c :feed_home
DROP DATABASE :"feed_db" WITH (FORCE);
DROP ROLE IF EXISTS auditlog_tap_feed_acme;
