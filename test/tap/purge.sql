-- test/tap/purge.sql — auditlog.purge(before), hold(), release() and
-- auditlog.holds: a purge removes exactly the events before its time but
-- those of organisations on hold, drops the partitions that go whole
-- (month-aligned ones from the summaries alone, others by counting), deletes
-- rows elsewhere (default partition, a partition the time cuts), and events
-- not summarized or sealed yet; after every purge the summaries equal the
-- counts recomputed from the events, search() and event_count() match plain
-- SQL for every filter set of setup/search_data.sql, and verify() passes
-- (seals partly and wholly purged); each purge is an auditlog.purge event
-- with its details. Bad arguments, read-only and REPEATABLE READ
-- transactions, and roles without grants are refused with clear errors.
--
-- Like summary_counts.sql, it runs in a database of its own, in autocommit:
-- the summaries only cover committed events of finished transactions.

SET client_min_messages = warning;
SELECT current_database() AS purge_home, current_database() || '_purge' AS purge_db \gset
DROP DATABASE IF EXISTS :"purge_db" WITH (FORCE);
CREATE DATABASE :"purge_db";
\c :purge_db
SET client_min_messages = warning;
CREATE EXTENSION pgtap;
CREATE EXTENSION auditlog;

-- February to April 2025 have partitions of their own; the first half of
-- May one that is not a whole month; the other months are in the default
-- partition. Then the shared events, committed.
BEGIN;
DO $$
DECLARE
    p record;
BEGIN
    FOR p IN SELECT * FROM (VALUES ('event_store_202502', '2025-02-01', '2025-03-01'),
                                   ('event_store_202503', '2025-03-01', '2025-04-01'),
                                   ('event_store_202504', '2025-04-01', '2025-05-01'),
                                   ('event_store_early_may', '2025-05-01', '2025-05-16'))
                      AS v(name, lo, hi) LOOP
        EXECUTE format('CREATE TABLE auditlog.%I (LIKE auditlog.event_store INCLUDING DEFAULTS)', p.name);
        EXECUTE format('ALTER TABLE auditlog.event_store ATTACH PARTITION auditlog.%I'
                       ' FOR VALUES FROM (%L) TO (%L)', p.name, p.lo || ' 00:00+00', p.hi || ' 00:00+00');
    END LOOP;
END
$$;
\ir setup/common.sql
\ir setup/search_data.sql
COMMIT;
\ir setup/summaries.sql
\ir setup/seals.sql
CREATE ROLE purge_nobody;

-- The events a purge before 't' should remove, with 'held' on hold.
CREATE FUNCTION pg_temp.doomed(t timestamptz, held text[] DEFAULT '{}') RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM auditlog.events e
     WHERE e.occurred_at < t AND (e.org_id IS NULL OR e.org_id <> ALL (held))
$$;

-- After a purge: the summaries, every filter set, and the seals.
CREATE FUNCTION pg_temp.after_purge(stage text, full_check boolean DEFAULT false) RETURNS SETOF text
    LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY SELECT * FROM pg_temp.summaries_exact(stage);
    RETURN QUERY SELECT * FROM pg_temp.check_zone(stage, 'UTC', full_check);
    RETURN NEXT is((SELECT count(*) FILTER (WHERE NOT ok) FROM auditlog.verify()), 0::bigint,
                   stage || ': verify() finds every seal ok');
END
$$;

SELECT count(*) AS n_combos FROM search_combos \gset

SELECT plan(
      14                        -- refusals
    + 4                         -- holds
    + 6 + 10 + :n_combos * 3 + 1 -- a purge with a hold
    + 5 + 10 + :n_combos * 2 + 1 -- whole months dropped
    + 4 + 10 + :n_combos * 2 + 1 -- a partition not a whole month
    + 4 + 10 + :n_combos * 2 + 1 -- events not summarized nor sealed
    + 6                         -- everything
    + 3                         -- the guards are back
);

---------------------------------------------------------------------------
-- Refusals
---------------------------------------------------------------------------
SELECT is(pg_temp.error_of($$SELECT auditlog.purge(NULL)$$),
          jsonb_build_object('sqlstate', '22004', 'message', 'before must not be null', 'detail', NULL,
                             'hint', 'Pass the time before which events go, such as now() - interval ''13 months''.'),
          'purge(NULL) is an error with a hint');
SELECT is(pg_temp.error_of(format('SELECT auditlog.purge(%L)', t)),
          jsonb_build_object('sqlstate', '22008', 'message', 'before must be a finite time, not ' || t, 'detail', NULL,
                             'hint', 'Pass the time before which events go, such as now() - interval ''13 months''.'),
          format('purge(%L) is an error: it would remove every event, the purges'' own too', t))
  FROM (VALUES ('infinity'), ('-infinity')) AS v(t);
BEGIN READ ONLY;
SELECT is(pg_temp.error_of($$SELECT auditlog.purge(now())$$)->>'sqlstate', '25006',
          'purge() in a read-only transaction is refused');
ROLLBACK;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT is(pg_temp.error_of($$SELECT auditlog.purge(now())$$)->>'message',
          'auditlog.purge() must run in a READ COMMITTED transaction',
          'purge() in a REPEATABLE READ transaction is refused: it needs a fresh snapshot for every step');
ROLLBACK;
SELECT is(pg_temp.error_of($$SELECT auditlog.hold(NULL, 'x')$$)->>'sqlstate', '22004', 'hold(NULL, ...) is refused');
SELECT is(pg_temp.error_of($$SELECT auditlog.hold('', 'x')$$)->>'message', 'org_id must not be empty',
          'hold('''', ...) is refused');
SELECT is(pg_temp.error_of($$SELECT auditlog.hold('org-1', NULL)$$)->>'sqlstate', '22004',
          'a hold without a reason is refused');
SELECT is(pg_temp.error_of($$SELECT auditlog.hold('org-1', '')$$)->>'message', 'reason must not be empty',
          'a hold with an empty reason is refused');
SELECT is(pg_temp.error_of($$SELECT auditlog.release('org-9')$$),
          jsonb_build_object('sqlstate', '42704', 'message', 'organisation "org-9" is not on hold', 'detail', NULL,
                             'hint', 'auditlog.holds lists the organisations on hold.'),
          'releasing an organisation not on hold is an error that says where the holds are');
SET ROLE purge_nobody;
SELECT is(pg_temp.error_of($$SELECT auditlog.purge(now())$$)->>'sqlstate', '42501',
          'purge() is granted to no one');
SELECT is(pg_temp.error_of($$SELECT auditlog.hold('org-1', 'x')$$)->>'sqlstate', '42501',
          'hold() is granted to no one');
SELECT is(pg_temp.error_of($$SELECT * FROM auditlog.holds$$)->>'sqlstate', '42501',
          'nor is auditlog.holds');
RESET ROLE;
SELECT is(pg_temp.error_of($$SELECT auditlog.log_event('auditlog.purge')$$)->>'sqlstate', '42501',
          'log_event() refuses an action named auditlog.*: a purge cannot be forged');

---------------------------------------------------------------------------
-- Holds
---------------------------------------------------------------------------
SELECT auditlog.hold('org-1', 'case 1');
SELECT auditlog.hold('org-1', 'case 2');
SELECT results_eq($$SELECT org_id, reason, held_by FROM auditlog.holds$$,
                  $$VALUES ('org-1'::text, 'case 2'::text, current_user::text COLLATE "default")$$,
                  'holding an organisation again changes the reason; held_by is the session''s role');
SELECT ok((SELECT held_at <= now() FROM auditlog.holds), 'held_at is when it was first held');
SELECT results_eq($$SELECT action, org_id, details FROM auditlog.events WHERE action = 'auditlog.hold' ORDER BY id$$,
                  $$VALUES ('auditlog.hold'::text, 'org-1'::text, '{"reason": "case 1"}'::jsonb),
                           ('auditlog.hold', 'org-1', '{"reason": "case 2"}')$$,
                  'each hold is an event of its organisation, with the reason');
SELECT is(pg_temp.doomed('2025-02-15 00:00+00', '{org-1}') > 0, true, 'there are events to purge');

---------------------------------------------------------------------------
-- A purge with a hold: rows go from the default partition and from the
-- partition the time cuts; the held organisation's stay.
---------------------------------------------------------------------------
CALL pg_temp.summarize_all();
SELECT pg_temp.seal_all() > 0 AS sealed \gset
SELECT pg_temp.doomed('2025-02-15 00:00+00', '{org-1}') AS expect,
       (SELECT count(*) FROM auditlog.events WHERE occurred_at < '2025-02-15 00:00+00' AND org_id = 'org-1') AS kept \gset
SET auditlog.org_id = 'org-2';
SELECT is(auditlog.purge('2025-02-15 00:00+00'), :expect::bigint,
          'purge() returns how many events it removed');
RESET auditlog.org_id;
SELECT is((SELECT count(*) FROM auditlog.events WHERE occurred_at < '2025-02-15 00:00+00'), :kept::bigint,
          'only the held organisation''s events before that time are left');
SELECT results_eq($$SELECT org_id, details FROM auditlog.events WHERE action = 'auditlog.purge'$$,
                  format($$VALUES (NULL::text, jsonb_build_object('before', '2025-02-15 00:00+00'::timestamptz,
                                                                  'removed', %s, 'kept_on_hold', %s))$$,
                         :expect, :kept),
                  'the purge is an event of no organisation (whatever auditlog.org_id says), with before, removed and kept_on_hold');
SELECT ok((SELECT count(*) > 0 AND bool_and(removed IS NOT NULL AND length(removed) = 40 * events)
             FROM auditlog.seal_purges),
          'what it took from each seal is recorded, with 40 bytes of digests per event');
SELECT is((SELECT count(*) FROM auditlog.seal_purges p JOIN auditlog.events e ON e.id = p.purge_id
            WHERE e.action = 'auditlog.purge'), (SELECT count(*) FROM auditlog.seal_purges),
          'under the id of its auditlog.purge event');
SELECT ok(to_regclass('auditlog.event_store_202502') IS NOT NULL, 'the partition the time cuts stays');
SELECT * FROM pg_temp.after_purge('after a purge with a hold', true);

---------------------------------------------------------------------------
-- Released: February and March go whole, with their partitions.
---------------------------------------------------------------------------
SELECT auditlog.release('org-1');
SELECT is((SELECT count(*) FROM auditlog.holds), 0::bigint, 'release() ends the hold');
CALL pg_temp.summarize_all();
SELECT pg_temp.doomed('2025-04-01 00:00+00') AS expect \gset
SELECT is(auditlog.purge('2025-04-01 00:00+00'), :expect::bigint,
          'with no hold, the purge removes every event before its time');
SELECT ok(to_regclass('auditlog.event_store_202502') IS NULL AND to_regclass('auditlog.event_store_202503') IS NULL,
          'the partitions wholly before it are dropped');
SELECT is((SELECT count(*) FROM auditlog.events WHERE occurred_at < '2025-04-01 00:00+00'), 0::bigint,
          'no event before that time is left');
SELECT is((SELECT count(*) FROM auditlog.events WHERE action = 'auditlog.release'), 1::bigint,
          'the release is an event too');
SELECT * FROM pg_temp.after_purge('after whole months were dropped');

---------------------------------------------------------------------------
-- April goes whole; the partition of early May is not a whole month.
---------------------------------------------------------------------------
SELECT pg_temp.seal_all() >= 0 AS sealed \gset
CALL pg_temp.summarize_all();
SELECT pg_temp.doomed('2025-05-16 00:00+00') AS expect \gset
SELECT is(auditlog.purge('2025-05-16 00:00+00'), :expect::bigint,
          'a purge up to the end of a partition that is not a whole month');
SELECT ok(to_regclass('auditlog.event_store_202504') IS NULL AND to_regclass('auditlog.event_store_early_may') IS NULL,
          'drops it too (its events counted out of the summaries one by one)');
SELECT is((SELECT count(*) FROM auditlog.events WHERE occurred_at < '2025-05-16 00:00+00'), 0::bigint,
          'no event before that time is left');
SELECT is((SELECT count(*) FROM auditlog.events WHERE action = 'auditlog.purge'), 3::bigint,
          'three purges, three events');
SELECT * FROM pg_temp.after_purge('after a partition that is not a whole month was dropped');

---------------------------------------------------------------------------
-- Events neither summarized nor sealed yet go too.
---------------------------------------------------------------------------
SELECT count(auditlog.import_event(('2025-06-0' || i || ' 12:00+00')::timestamptz, 'auth.login', actor => 'Late Purged'))
  FROM generate_series(1, 9) i;
SELECT pg_temp.doomed('2025-06-05 00:00+00') AS expect \gset
SELECT ok((SELECT count(*) FROM auditlog.events e WHERE e.actor = 'Late Purged'
             AND e.id > (SELECT summarized_upto FROM auditlog.summary_state)
             AND e.id > (SELECT max(last_id) FROM auditlog.seals)) = 9,
          'nine events after the watermark and the last seal');
SELECT is(auditlog.purge('2025-06-05 00:00+00'), :expect::bigint, 'are purged with the others');
SELECT is((SELECT count(*) FROM auditlog.events WHERE actor = 'Late Purged'), 5::bigint,
          'those before the time go, the others stay');
SELECT pg_temp.seal_all() >= 0 AS sealed \gset
CALL pg_temp.summarize_all();
SELECT is((SELECT count(*) FROM auditlog.events WHERE actor = 'Late Purged'
            AND id <= (SELECT max(last_id) FROM auditlog.seals)), 5::bigint,
          'and the seals and summaries made after them leave out what went');
SELECT * FROM pg_temp.after_purge('after unsummarized and unsealed events were purged');

---------------------------------------------------------------------------
-- Everything: every seal's events go.
---------------------------------------------------------------------------
SELECT pg_temp.seal_all() >= 0 AS sealed \gset
SELECT count(*) AS expect FROM auditlog.events \gset
SELECT is(auditlog.purge(now() + interval '1 day'), :expect::bigint, 'a purge after now removes every event');
SELECT is((SELECT array_agg(action) FROM auditlog.events), '{auditlog.purge}',
          'but its own, written after');
SELECT ok((SELECT bool_and(removed IS NULL) FROM auditlog.seal_purges
            WHERE purge_id = (SELECT max(id) FROM auditlog.events)),
          'a seal whose last events go is recorded without digests');
SELECT results_eq($$SELECT p.events, p.removed IS NULL FROM auditlog.seal_purges p
                     JOIN auditlog.seals s ON s.id = p.seal_id ORDER BY p.seal_id$$,
                  $$SELECT s.events, true FROM auditlog.seals s
                     WHERE s.id IN (SELECT seal_id FROM auditlog.seal_purges) ORDER BY s.id$$,
                  'in one record per seal, counting all its events: the earlier records are replaced');
SELECT is((SELECT count(*) FILTER (WHERE NOT ok) FROM auditlog.verify()), 0::bigint,
          'verify() still finds every seal ok');
SELECT is(auditlog.event_count(), 1::bigint, 'event_count() counts the one event left');

---------------------------------------------------------------------------
-- Outside a purge, the guards are back.
---------------------------------------------------------------------------
SELECT is(pg_temp.error_of($$DELETE FROM auditlog.event_store$$)->>'sqlstate', '42501',
          'DELETE on the event store is refused again, even to a superuser');
SELECT is(pg_temp.error_of($$DELETE FROM auditlog.seal_purges$$)->>'sqlstate', '42501',
          'the purge records are append-only');
SELECT is(pg_temp.error_of($$UPDATE auditlog.seal_purges SET events = 1$$)->>'sqlstate', '42501',
          'and cannot be edited');

SELECT * FROM finish();

\c :purge_home
SET client_min_messages = warning;
DROP DATABASE :"purge_db" WITH (FORCE);
