-- test/tap/summary_counts.sql — search() and event_count() stay exact with the
-- summaries (auditlog.event_counts) in play: before any summarize(), with
-- part of the events summarized, with all of them, with events added after
-- (logged now, and imported into months already summarized), and with
-- events of rolled-back transactions and savepoints; every filter set of
-- test/tap/setup/search_data.sql and more date ranges (whole months, ranges
-- across months, single days, open ends, actor + range, all time) in UTC,
-- Europe/Paris (DST days), Asia/Kolkata (half-hour offset) and
-- America/New_York (the sets without dates in one zone per stage: they read
-- no time zone), against plain SQL over auditlog.events; and the summaries
-- themselves equal the counts recomputed from the events.
--
-- Why this test does not run in one transaction, like the others: the
-- watermark only passes an event id once no transaction that was running
-- when the horizon was recorded is still running, and the test's own
-- transaction would always be one of them, so inside one transaction the
-- summaries could never cover the test's events and nothing would be
-- tested. Events cannot be deleted either (append-only), so committing
-- them into the suite's shared database would change what the other tests
-- see. So this test makes a database of its own, named after the one it is
-- given (<db>_summary), connects to it (\c), loads the shared data there in
-- a committed transaction, runs every statement in autocommit (pgTAP keeps
-- its state in session temp tables, which survive commits), calls
-- summarize() in separate transactions through a procedure that COMMITs
-- between calls, and at the end connects back and drops that database.
-- It needs the right to create databases (the suite runs as superuser).

SET client_min_messages = warning;
SELECT current_database() AS summary_home, current_database() || '_summary' AS summary_db \gset
DROP DATABASE IF EXISTS :"summary_db" WITH (FORCE);
CREATE DATABASE :"summary_db";
\c :summary_db
SET client_min_messages = warning;
CREATE EXTENSION pgtap;
CREATE EXTENSION auditlog;

-- the shared events, filter sets and reference queries, committed
BEGIN;
\ir setup/common.sql
\set search_partitions 1
\ir setup/search_data.sql
COMMIT;

-- More date ranges, and filters aimed at the events added further down.
INSERT INTO search_combos VALUES
    (101, NULL, NULL, NULL, '2025-07-01', '2025-07-31', NULL, NULL, NULL),     -- whole months
    (102, NULL, NULL, NULL, '2025-03-01', '2025-03-31', NULL, NULL, NULL),
    (103, NULL, NULL, NULL, '2025-03-15', '2025-05-10', NULL, NULL, NULL),     -- across months
    (104, NULL, NULL, NULL, '2025-10-20', '2025-11-05', NULL, NULL, NULL),
    (105, NULL, NULL, NULL, '2025-01-01', '2025-12-31', NULL, NULL, NULL),     -- the year
    (106, NULL, NULL, NULL, '2025-06-15', '2025-06-15', NULL, NULL, NULL),     -- single days
    (107, NULL, NULL, NULL, '2025-01-01', '2025-01-01', NULL, NULL, NULL),
    (108, NULL, NULL, NULL, '2025-12-31', '2025-12-31', NULL, NULL, NULL),
    (109, NULL, NULL, NULL, '2025-04-30', '2025-05-01', NULL, NULL, NULL),
    (110, NULL, NULL, NULL, '2025-03-31', NULL, NULL, NULL, NULL),             -- open ends
    (111, NULL, NULL, NULL, NULL, '2025-10-26', NULL, NULL, NULL),
    (112, 'system', NULL, NULL, '2025-04-01', '2025-04-30', NULL, NULL, NULL), -- actor + range
    (113, 'John Doe', NULL, NULL, '2025-03-15', '2025-05-10', NULL, NULL, NULL),
    (114, 'élodie durand', NULL, NULL, '2025-03-30', '2025-03-30', NULL, NULL, NULL),
    (115, 'bob', NULL, NULL, '2025-06-01', NULL, NULL, NULL, NULL),
    (116, 'Jane Roe', NULL, NULL, NULL, '2025-02-15', NULL, NULL, NULL),
    (117, 'system', 'credential.*', NULL, NULL, NULL, NULL, NULL, NULL),       -- all time
    (118, NULL, 'report.*', NULL, '-infinity', 'infinity', 'failure', NULL, NULL),
    (119, NULL, NULL, 'connection', '2025-02-10', '2025-08-20', NULL, NULL, 'org-2'),
    (120, NULL, NULL, 'credential', '2025-03-01', '2025-03-31', NULL, 'credential-5', NULL),
    (121, NULL, NULL, NULL, current_date - 400, current_date + 1, NULL, NULL, NULL),
    (122, NULL, NULL, NULL, '2024-01-01', '2024-11-30', NULL, NULL, NULL),
    (123, 'Late Importer', NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (124, 'Late Importer', NULL, NULL, '2025-03-01', '2025-03-31', NULL, NULL, NULL),
    (125, 'Late Logger', NULL, NULL, current_date - 1, current_date + 1, NULL, NULL, NULL),
    (126, NULL, 'credential.token_refresh', NULL, '2025-03-30', '2025-03-30', 'failure', NULL, NULL),
    (127, NULL, NULL, NULL, '2025-09-01', '2025-09-30', NULL, NULL, 'org-1'),
    (128, 'Rolled Back', NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (129, NULL, 'rollback.*', NULL, NULL, NULL, NULL, NULL, NULL),
    (130, 'Rolled Back', NULL, NULL, '2025-03-01', '2025-03-31', NULL, NULL, NULL),
    -- a month whose matches are in more summary rows than search() adds up
    -- itself (one organisation each, further down)
    (131, NULL, 'bulk.*', NULL, NULL, NULL, NULL, NULL, NULL),
    (132, NULL, NULL, 'bulk', '2025-04-01', '2025-06-30', 'success', NULL, NULL),
    (133, NULL, 'bulk.*', NULL, '2025-05-10', NULL, 'failure', NULL, NULL);

\ir setup/summaries.sql

SELECT count(*) AS n_combos, count(*) FILTER (WHERE from_date IS NOT NULL OR to_date IS NOT NULL) AS n_dated
  FROM search_combos \gset

SELECT plan(
      1                         -- the data
    + 2 + 10 + :n_combos * 2 + :n_dated * 2   -- part of the events summarized
    + 1 + 10 + :n_combos * 3 + 3 * :n_dated * 3 -- all of them
    + 2 * :n_combos             -- paging through
    + 2 + :n_combos * 3         -- late events, before summarize()
    + 1 + 10 + :n_combos * 3 + :n_dated * 2   -- and after
    + 8 + 10 + 1 + 2 * :n_combos * 2 -- rolled back
    + 4 * 3 + 2                 -- a read-only transaction
    + 9                         -- summarize() refusing
    + 7 + 7 + 4 + 1 + 3 + 2 + 2 + 7 -- the per-day counts
);

SELECT is((SELECT count(*) FROM auditlog.events WHERE details ? 'n'), 4000::bigint,
          'the 4000 generated events are there, committed');

---------------------------------------------------------------------------
-- Part of the events summarized: the summaries and the events above the
-- watermark add up.
---------------------------------------------------------------------------
SELECT is((SELECT summarized_upto FROM auditlog.summary_state), 0::bigint,
          'nothing is summarized yet');
CALL pg_temp.summarize_all(1500, 1500);
SELECT is((SELECT summarized_upto FROM auditlog.summary_state), 1500::bigint,
          'summarize(1500) summarizes 1500 events at a time: the watermark is at 1500');
SELECT pg_temp.summaries_exact('watermark at 1500');
SELECT pg_temp.check_zone('watermark at 1500', 'Europe/Paris', false);
SELECT pg_temp.check_zone('watermark at 1500', 'Asia/Kolkata', false, true);

---------------------------------------------------------------------------
-- Everything summarized.
---------------------------------------------------------------------------
CALL pg_temp.summarize_all();
SELECT pg_temp.caught_up('all summarized');
SELECT pg_temp.summaries_exact('all summarized');
SELECT pg_temp.check_zone('all summarized', 'UTC', true);
SELECT pg_temp.check_zone('all summarized', 'Europe/Paris', true, true);
SELECT pg_temp.check_zone('all summarized', 'Asia/Kolkata', true, true);
SELECT pg_temp.check_zone('all summarized', 'America/New_York', true, true);

-- Keyset paging uses the count to know when to stop: every filter set,
-- pages of 97, through to the end.
SET TimeZone = 'Asia/Kolkata';
CREATE TEMP TABLE paged AS
SELECT c.n, p.*, array(SELECT r.id FROM pg_temp.ref_events(c) r ORDER BY r.occurred_at DESC, r.id DESC) AS want
  FROM search_combos c, pg_temp.page_through(c, 97) p;
SELECT is(p.ids, p.want, format('all summarized, Asia/Kolkata, filter set %s: the pages of 97 are every matching event, in order', p.n))
  FROM paged p ORDER BY p.n;
SELECT ok(p.same_total AND p.full_pages AND p.total IS NOT DISTINCT FROM nullif(cardinality(p.want), 0)::bigint,
          format('all summarized, Asia/Kolkata, filter set %s: full pages, each row with the number of matching events', p.n))
  FROM paged p ORDER BY p.n;
RESET TimeZone;

---------------------------------------------------------------------------
-- Events added after: logged now, and imported into months, days and a
-- DST edge that are already summarized, and into a month before them all.
---------------------------------------------------------------------------
SELECT max(id) AS before_late FROM auditlog.events \gset
SELECT auditlog.log_event('auth.login', actor => 'Late Logger', org_id => 'org-1') AS late_1,
       auditlog.log_event('credential.token_refresh', 'credential', 'credential-5', 'failure',
                          actor => 'John Doe') AS late_2,
       auditlog.log_event('report.print', 'report', 'report-7', actor => 'Late Logger') AS late_3 \gset
SELECT auditlog.import_event('2025-03-30 01:59:59+01', 'credential.token_refresh', 'credential',
                             'credential-5', 'failure', actor => 'Late Importer') AS imp_1,
       auditlog.import_event('2025-03-01 00:00:00+00', 'auth.login', actor => 'Late Importer',
                             org_id => 'org-2') AS imp_2,
       auditlog.import_event('2025-03-31 23:59:59.999999+00', 'connection.update', 'connection',
                             'connection-5', 'denied', actor => 'Late Importer') AS imp_3,
       auditlog.import_event('2025-06-15 12:00+00', 'report.export.pdf', 'report', 'report-3',
                             'denied', actor => 'system', org_id => 'org-0') AS imp_4,
       auditlog.import_event('2025-09-10 08:00+00', 'connection.create', 'connection', 'connection-1',
                             actor => 'bob', org_id => 'org-1') AS imp_5,
       auditlog.import_event('2024-06-15 12:00+00', 'auth.logout', actor => 'Jane Roe') AS imp_6 \gset

SELECT is((SELECT count(*) FROM auditlog.events WHERE id > :before_late), 9::bigint,
          'nine events were added after everything was summarized');
SELECT cmp_ok((SELECT summarized_upto FROM auditlog.summary_state), '<', :imp_1::bigint,
              'they are above the watermark');
-- and 300 more in May 2025, each of its own organisation: a summary row each
SELECT count(auditlog.import_event(
           timestamptz '2025-05-01 00:00+00' + i * interval '2 hours 20 minutes',
           CASE WHEN i % 2 = 0 THEN 'bulk.import' ELSE 'bulk.check' END, 'bulk', 'bulk-' || i,
           CASE WHEN i % 7 = 0 THEN 'failure' ELSE 'success' END::auditlog.outcome,
           actor => 'Bulk Importer', org_id => 'bulk-org-' || i))
  FROM generate_series(1, 300) i \gset
SELECT pg_temp.check_zone('late events, not summarized', 'America/New_York', true);

CALL pg_temp.summarize_all();
SELECT pg_temp.caught_up('late events summarized');
SELECT pg_temp.summaries_exact('late events summarized');
SELECT pg_temp.check_zone('late events summarized', 'Europe/Paris', true);
SELECT pg_temp.check_zone('late events summarized', 'Asia/Kolkata', false, true);

---------------------------------------------------------------------------
-- Rolled back: a whole transaction, and a savepoint. Their ids are taken
-- and lost; their events never count, summarized or not.
---------------------------------------------------------------------------
BEGIN;
SELECT auditlog.log_event('rollback.whole', actor => 'Rolled Back') AS rb_1,
       auditlog.import_event('2025-03-15 12:00+00', 'rollback.whole', actor => 'Rolled Back') AS rb_2 \gset
ROLLBACK;
BEGIN;
SELECT auditlog.log_event('rollback.kept', actor => 'Rolled Back') AS kept \gset
SAVEPOINT s;
SELECT auditlog.log_event('rollback.savepoint', actor => 'Rolled Back') AS sp_1,
       auditlog.import_event('2025-03-20 12:00+00', 'auth.login', actor => 'Rolled Back') AS sp_2 \gset
ROLLBACK TO SAVEPOINT s;
SELECT auditlog.import_event('2025-03-21 12:00+00', 'auth.login', actor => 'Rolled Back') AS kept_2 \gset
COMMIT;

SELECT is((SELECT count(*) FROM auditlog.events WHERE id IN (:rb_1, :rb_2, :sp_1, :sp_2)), 0::bigint,
          'the events rolled back are not in the log');
SELECT is(array(SELECT id FROM auditlog.events WHERE actor = 'Rolled Back' ORDER BY id),
          ARRAY[:kept, :kept_2]::bigint[], 'the two kept are');
SELECT is(auditlog.event_count(actor => 'Rolled Back'), 2::bigint,
          'not summarized yet: event_count() counts only the kept events');
SELECT is(auditlog.event_count(actor => 'Rolled Back', from_date => '2025-03-01', to_date => '2025-03-31'), 1::bigint,
          'not summarized yet: in March 2025, only the kept import');
SELECT pg_temp.check_zone('rolled back, not summarized', 'UTC', false);

CALL pg_temp.summarize_all();
SELECT cmp_ok((SELECT summarized_upto FROM auditlog.summary_state), '>=', :kept_2::bigint,
              'the watermark has passed the ids rolled back');
SELECT is(auditlog.event_count(actor => 'Rolled Back'), 2::bigint,
          'summarized: event_count() counts only the kept events');
SELECT is(auditlog.event_count(actor => 'Rolled Back', from_date => '2025-03-01', to_date => '2025-03-31'), 1::bigint,
          'summarized: in March 2025, only the kept import');
SELECT is(auditlog.event_count(), (SELECT count(*) FROM auditlog.events),
          'summarized: all time, every event once');
SELECT pg_temp.summaries_exact('rolled back, summarized');
SELECT pg_temp.caught_up('rolled back, summarized');
SELECT pg_temp.check_zone('rolled back, summarized', 'America/New_York', false);

---------------------------------------------------------------------------
-- A dashboard reads in a READ ONLY transaction (or on a hot standby):
-- search(), event_count() and filter_options() work there, over summaries
-- and events alike; log_event() is refused.
---------------------------------------------------------------------------
SELECT auditlog.log_event('auth.login', actor => 'Late Logger', org_id => 'org-1') AS before_read_only \gset
BEGIN READ ONLY;
-- every filter, several filters, a DST day, a range over summarized months
SELECT pg_temp.check_zone('read-only transaction', 'Europe/Paris', true, false, ARRAY[1, 25, 34, 125]);
-- (set_eq would create a temporary table, which a read-only transaction cannot)
SELECT is(array(SELECT o.kind || ': ' || o.value FROM auditlog.filter_options() o ORDER BY 1),
          array(SELECT DISTINCT x FROM (SELECT 'actor: ' || actor COLLATE "default" AS x FROM auditlog.events
                                        UNION SELECT 'action: ' || action COLLATE "default" FROM auditlog.action_types
                                         WHERE description IS NOT NULL OR action IN (SELECT action FROM auditlog.events)
                                        UNION SELECT 'resource_type: ' || resource_type COLLATE "default" FROM auditlog.events
                                         WHERE resource_type IS NOT NULL) u ORDER BY 1),
          'read-only transaction: filter_options() lists the actors, actions and resource types of the log');
SELECT throws_ok($$SELECT auditlog.log_event('auth.login')$$, '25006',
                 'cannot execute auditlog.log_event() in a read-only transaction',
                 'read-only transaction: log_event() is refused');
COMMIT;

---------------------------------------------------------------------------
-- summarize() refuses what it cannot do, and changes nothing then.
---------------------------------------------------------------------------
CREATE TEMP TABLE state_before AS SELECT * FROM auditlog.summary_state;
SELECT auditlog.log_event('auth.login', actor => 'After Errors') AS after_errors \gset

BEGIN READ ONLY;
SELECT throws_ok('SELECT auditlog.summarize()', '25006',
                 'cannot execute auditlog.summarize() in a read-only transaction',
                 'summarize() in a read-only transaction is an error');
COMMIT;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT throws_ok('SELECT auditlog.summarize()', '25001',
                 'auditlog.summarize() must run in a READ COMMITTED transaction',
                 'summarize() in a REPEATABLE READ transaction is an error');
COMMIT;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT throws_ok('SELECT auditlog.summarize(10)', '25001',
                 'auditlog.summarize() must run in a READ COMMITTED transaction',
                 'so is summarize() in a SERIALIZABLE transaction');
COMMIT;
SELECT throws_ok('SELECT auditlog.summarize(0)', '22023', 'max_events must be a positive number',
                 'summarize(0) is an error');
SELECT throws_ok('SELECT auditlog.summarize(NULL)', '22023', 'max_events must be a positive number',
                 'summarize(NULL) is an error');
SELECT throws_ok('SELECT auditlog.summarize(-1)', '22023', 'max_events must be a positive number',
                 'summarize(-1) is an error');
SELECT results_eq('TABLE auditlog.summary_state', 'TABLE state_before',
                  'none of them moved the watermark or recorded a horizon');
SELECT is(auditlog.event_count(actor => 'After Errors'), 1::bigint,
          'the event logged meanwhile counts, from the events');
CALL pg_temp.summarize_all();
SELECT is(auditlog.event_count(), (SELECT count(*) FROM auditlog.events),
          'and once summarized, all time still counts every event once');

---------------------------------------------------------------------------
-- The per-day counts of the month rows: what they compute, and what they
-- refuse.
---------------------------------------------------------------------------
SET TimeZone = 'America/New_York';
CREATE TEMP TABLE feb AS
SELECT (SELECT auditlog.day_counts(t, n)
          FROM (VALUES ('2026-02-01 00:00+00'::timestamptz, 2::bigint), ('2026-02-01 23:59+00', 1),
                       ('2026-02-28 12:00+00', 5), ('2026-01-31 23:00-05', 7)) AS v(t, n)) AS days,
       (SELECT array_agg(CASE i WHEN 1 THEN 10 WHEN 28 THEN 5 ELSE 0 END::bigint ORDER BY i)
          FROM generate_series(1, 31) i) AS want;
SELECT is(auditlog.day_counts_array(days), want,
          'day_counts() adds each count to the UTC day of its time, whatever the session''s zone')
  FROM feb;
SELECT is(octet_length(days), 6,
          'two days with events take 6 bytes: the days that hold events, then a byte a small count')
  FROM feb;
SELECT is(auditlog.day_counts_array(auditlog.day_counts_add(days, days)), (SELECT array_agg(x * 2) FROM unnest(want) x),
          'day_counts_add() adds two per-day counts day by day') FROM feb;
SELECT is(ARRAY[auditlog.day_counts_sum(days, 1, 2), auditlog.day_counts_sum(days, 1, 32),
                auditlog.day_counts_sum(days, 2, 28), auditlog.day_counts_sum(days, 28, 29),
                auditlog.day_counts_sum(days, 5, 5)], '{10, 15, 0, 5, 0}'::bigint[],
          'day_counts_sum() sums the days [from_day, to_day)') FROM feb;
SELECT is(ARRAY[auditlog.day_counts_last(days, 32), auditlog.day_counts_last(days, 28),
                auditlog.day_counts_last(days, 2), auditlog.day_counts_last(days, 1)], '{28, 1, 1, NULL}'::int[],
          'day_counts_last() is the last day with events before a day, NULL when none is') FROM feb;
SELECT is(auditlog.day_counts_array(auditlog.day_counts(t, n))::text,
          '{-3,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1}',
          'a count taken off (a purge) is kept with its sign')
  FROM (VALUES ('2026-01-01 10:00+00'::timestamptz, -3::bigint), ('2026-01-31 10:00+00', 1)) AS v(t, n);
SELECT is(auditlog.day_counts_array(auditlog.day_counts(t, n))::text,
          '{9223372036854775807,-9223372036854775808,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0}',
          'and so are the largest and the smallest bigint')
  FROM (VALUES ('2026-01-01 10:00+00'::timestamptz, 9223372036854775807::bigint),
               ('2026-01-02 10:00+00', -9223372036854775808)) AS v(t, n);
CREATE TEMP TABLE bad AS SELECT * FROM (VALUES ('\x010000', 'shorter than 4 bytes', 'of 3 bytes'),
               ('\x00000080', 'a day after the 31st', 'with a 32nd day'),
               ('\x01000000', 'a count is cut short', 'without the count of a day'),
               ('\x0100000000', 'a day marked as holding events holds none', 'with a count of zero'),
               ('\x010000008100', 'a count is longer than it needs to be', 'with a count in two bytes where one does'),
               ('\x000000000a', 'bytes after the last count', 'with a byte after the last count'),
               ('\x01000000ffffffffffffffffff02', 'a count past the range of bigint', 'with a count past bigint'))
       AS v(a, why, label);
SELECT is(pg_temp.error_of(format('SELECT auditlog.day_counts_sum(%L::bytea, 1, 2)', a)),
          jsonb_build_object('sqlstate', '22023',
                             'message', 'invalid per-day counts: ' || why,
                             'detail', NULL,
                             'hint', 'Pass the days column of auditlog.event_counts, or a value of auditlog.day_counts().'),
          format('per-day counts %s are refused', label))
  FROM bad;
-- The other functions that read per-day counts refuse the same values with
-- the same error, in either argument of day_counts_add().
SELECT is(array_agg(pg_temp.error_of(format(c, a))->>'message' ORDER BY a),
          (SELECT array_agg('invalid per-day counts: ' || why ORDER BY a) FROM bad),
          format('%s refuses every malformed value of the days', v.fn))
  FROM (VALUES ('SELECT auditlog.day_counts_array(%L::bytea)', 'day_counts_array()'),
               ('SELECT auditlog.day_counts_last(%L::bytea, 5)', 'day_counts_last()'),
               ('SELECT auditlog.day_counts_add(%L::bytea, ''\x0100000001''::bytea)', 'day_counts_add(bad, good)'),
               ('SELECT auditlog.day_counts_add(''\x0100000001''::bytea, %L::bytea)', 'day_counts_add(good, bad)'))
       AS v(c, fn), bad
 GROUP BY v.fn;
SELECT is(ARRAY[auditlog.day_counts_array(NULL) IS NULL, auditlog.day_counts_add(NULL, days) IS NULL,
                auditlog.day_counts_add(days, NULL) IS NULL, auditlog.day_counts_sum(NULL, 1, 2) IS NULL,
                auditlog.day_counts_last(NULL, 5) IS NULL], '{t,t,t,t,t}',
          'a NULL per-day count gives NULL')
  FROM feb;
SELECT is(pg_temp.error_of(format('SELECT auditlog.day_counts_sum(%L::bytea, %s, %s)', f.days, b[1], b[2]))->>'sqlstate',
          '22023', format('day_counts_sum() refuses days %s to %s', b[1], b[2]))
  FROM feb f, (VALUES ('{0,5}'::int[]), ('{5,33}'), ('{6,5}')) AS v(b);
SELECT is(pg_temp.error_of(format('SELECT auditlog.day_counts_last(%L::bytea, %s)', f.days, b)),
          jsonb_build_object('sqlstate', '22023', 'message', format('days 1 to %s are not a range of days of a month', b),
                             'detail', NULL, 'hint', 'Pass a first day from 1 and an end day after it, at most 32.'),
          format('day_counts_last() refuses day %s', b))
  FROM feb f, (VALUES (0), (33)) AS v(b);
SELECT is(pg_temp.error_of(format('SELECT auditlog.day_counts_add(%L::bytea, %L::bytea)', f.days,
                                  (SELECT auditlog.day_counts(t, -11)
                                     FROM (VALUES ('2026-02-01 05:00+00'::timestamptz)) AS v(t))))->>'message',
          'auditlog: the summaries do not hold the events being removed',
          'day_counts_add() refuses to take a day below zero') FROM feb f;
SELECT is(pg_temp.error_of(format('SELECT auditlog.day_counts_add(%L::bytea, %L::bytea)', f.days,
                                  (SELECT auditlog.day_counts(t, 9223372036854775807)
                                     FROM (VALUES ('2026-02-01 05:00+00'::timestamptz)) AS v(t)))) - 'detail',
          jsonb_build_object('sqlstate', '22003', 'message', 'a per-day count is out of the range of bigint',
                             'hint', 'A day''s count must stay within -9223372036854775808 to 9223372036854775807.'),
          'day_counts_add() refuses a day past the range of bigint') FROM feb f;
SELECT is(pg_temp.error_of('SELECT auditlog.day_counts_step(NULL, now(), 1)')->>'sqlstate', '0A000',
          'day_counts_step() called outside its aggregate is an error');
SELECT is(pg_temp.error_of($$SELECT auditlog.day_counts(t, 1) OVER (ORDER BY t) FROM (VALUES (now())) v(t)$$)->>'sqlstate',
          '0A000', 'so is day_counts() as a window function');
SELECT is(pg_temp.error_of($$SELECT auditlog.day_counts(t, 1)
                               FROM (VALUES ('2024-01-05 00:00+00'::timestamptz), ('2024-02-05 00:00+00')) v(t)$$),
          jsonb_build_object('sqlstate', '22023',
                             'message', 'auditlog.day_counts() counts the days of one month, and the times are of several',
                             'detail', NULL, 'hint', 'Group by the UTC month of the times.'),
          'day_counts() refuses times of two months, whose days it would add together');
SELECT is(pg_temp.error_of($$SELECT auditlog.day_counts_final('{1,2,3}')$$)->>'sqlstate', '22023',
          'day_counts_final() refuses what is not the aggregate''s state');
SELECT is(pg_temp.error_of($$SELECT auditlog.day_counts(t, 1) FROM (VALUES ('infinity'::timestamptz)) v(t)$$)->>'sqlstate',
          '22008', 'day_counts() of an infinite time is an error');
SELECT is(pg_temp.error_of($$SELECT auditlog.day_counts(t, NULL) FROM (VALUES (now())) v(t)$$)->>'sqlstate',
          '22004', 'day_counts() of a NULL count is an error');
SELECT ok(NOT bool_or(has_function_privilege('public', p.oid, 'EXECUTE')),
          'PUBLIC may not call the per-day count functions')
  FROM pg_proc p WHERE p.pronamespace = 'auditlog'::regnamespace AND p.proname LIKE 'day\_counts%';

SELECT * FROM finish();

\c :summary_home
SET client_min_messages = warning;
DROP DATABASE :"summary_db" WITH (FORCE);
