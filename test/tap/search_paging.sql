-- test/tap/search_paging.sql — keyset pagination: passing the last row's id as
-- before_id gives the next page, and paging until a page comes back empty
-- yields every matching event exactly once, in order, whatever the page
-- size, ties on occurred_at and events arriving meanwhile; over events spread
-- across monthly partitions and the default one.
BEGIN;
\ir setup/common.sql
\set search_partitions 1
\ir setup/search_data.sql
SELECT count(*) AS n_sets FROM search_combos \gset
SELECT plan(3 * :n_sets + 5 * 2 + 9);

---------------------------------------------------------------------------
-- Every filter set, pages of 97, through to the end.
---------------------------------------------------------------------------
CREATE TEMP TABLE paged AS
SELECT c.n, p.*, array(SELECT r.id FROM pg_temp.ref_events(c) r ORDER BY r.occurred_at DESC, r.id DESC) AS want
  FROM search_combos c, pg_temp.page_through(c, 97) p;

SELECT is(p.ids, p.want, format('filter set %s: the pages of 97 together are every matching event, in order', p.n))
  FROM paged p ORDER BY p.n;
-- (With the ids in order, pages of exactly 97 but the last also mean that no
-- event is on two pages and that there are ceil(n / 97) pages.)
SELECT ok(p.full_pages, format('filter set %s: every page but the last holds exactly 97 events, the last at most 97', p.n))
  FROM paged p ORDER BY p.n;
SELECT ok(p.same_total AND p.total IS NOT DISTINCT FROM nullif(cardinality(p.want), 0)::bigint,
          format('filter set %s: every row of every page carries the same total_count, the number of matching events', p.n))
  FROM paged p ORDER BY p.n;

---------------------------------------------------------------------------
-- Other page sizes: one event per page, odd sizes, the largest.
---------------------------------------------------------------------------
CREATE TEMP TABLE paged_sizes AS
SELECT c.n, s.size, p.*, array(SELECT r.id FROM pg_temp.ref_events(c) r ORDER BY r.occurred_at DESC, r.id DESC) AS want
  FROM search_combos c
  JOIN (VALUES (33, 1), (34, 1), (18, 7), (2, 10000)) AS s(n, size) ON s.n = c.n
 CROSS JOIN LATERAL pg_temp.page_through(c, s.size) p;
SET LOCAL TimeZone = 'America/New_York';
INSERT INTO paged_sizes
SELECT c.n, 13, p.*, array(SELECT r.id FROM pg_temp.ref_events(c) r ORDER BY r.occurred_at DESC, r.id DESC)
  FROM search_combos c, pg_temp.page_through(c, 13) p
 WHERE c.n = 20;
SET LOCAL TimeZone = 'Europe/Paris';

SELECT is(p.ids, p.want, format('filter set %s, pages of %s: every matching event, in order', p.n, p.size))
  FROM paged_sizes p ORDER BY p.n;
SELECT ok(p.full_pages AND p.same_total,
          format('filter set %s, pages of %s: every page but the last holds exactly %s, one total_count', p.n, p.size, p.size))
  FROM paged_sizes p ORDER BY p.n;

---------------------------------------------------------------------------
-- The cursor itself.
---------------------------------------------------------------------------

-- Two events at the same instant are told apart by id, and a page boundary
-- between them loses neither.
CREATE TEMP TABLE tie AS
SELECT occurred_at, min(id) AS older, max(id) AS newer
  FROM auditlog.events GROUP BY occurred_at HAVING count(*) = 2 ORDER BY occurred_at LIMIT 1;
SELECT is(array(SELECT s.id FROM auditlog.search(page_size => 2, before_id => (SELECT newer FROM tie)) s
                 WHERE s.occurred_at = (SELECT occurred_at FROM tie)),
          array(SELECT older FROM tie),
          'after the newer of two simultaneous events comes the older one');
SELECT is((SELECT s.id FROM auditlog.search(page_size => 1, before_id => (SELECT older FROM tie)) s),
          (SELECT r.id FROM auditlog.events r
            WHERE (r.occurred_at, r.id) < (SELECT occurred_at, older FROM tie)
            ORDER BY r.occurred_at DESC, r.id DESC LIMIT 1),
          'and after the older one, the next instant');

-- before_id may name an event the filters leave out: the page starts where
-- that event would be.
SELECT results_eq(
    format($$SELECT id FROM auditlog.search(actor => 'system', page_size => 20, before_id => %s)$$,
           (SELECT id FROM auditlog.events WHERE actor = 'bob' AND details->>'n' = '704')),
    $$SELECT r.id FROM auditlog.events r, auditlog.events b
       WHERE r.actor = 'system' AND b.actor = 'bob' AND b.details->>'n' = '704'
         AND (r.occurred_at, r.id) < (b.occurred_at, b.id)
       ORDER BY r.occurred_at DESC, r.id DESC LIMIT 20$$,
    'before_id of an event the filters exclude: the matching events older than it');

-- After the oldest event there is nothing.
SELECT is_empty(format('SELECT * FROM auditlog.search(before_id => %s)',
                       (SELECT id FROM auditlog.events ORDER BY occurred_at, id LIMIT 1)),
                'after the oldest event, an empty page');

-- Events logged while a reader pages do not move the pages still to come.
CREATE TEMP TABLE page1 AS SELECT * FROM auditlog.search(action => 'report.*', page_size => 30);
CREATE TEMP TABLE page2_before AS
    SELECT id FROM auditlog.search(action => 'report.*', page_size => 30,
                                   before_id => (SELECT id FROM page1 ORDER BY occurred_at, id LIMIT 1));
-- a new matching event arrives
SELECT auditlog.log_event('report.print', 'report', 'r-new') AS new_event \gset
SELECT results_eq(
    $$SELECT id FROM auditlog.search(action => 'report.*', page_size => 30,
                                     before_id => (SELECT id FROM page1 ORDER BY occurred_at, id LIMIT 1))$$,
    'SELECT id FROM page2_before',
    'the second page is the same as before it arrived');
SELECT is((SELECT DISTINCT total_count FROM auditlog.search(action => 'report.*', page_size => 30,
                                     before_id => (SELECT id FROM page1 ORDER BY occurred_at, id LIMIT 1))),
          (SELECT DISTINCT total_count FROM page1) + 1,
          'while its total_count counts the new event');
SELECT is((SELECT id FROM auditlog.search(action => 'report.*', page_size => 1)), :new_event::bigint,
          'which is first on a new first page');

-- A short first page counts itself; a later page still gets the full count.
SELECT is((SELECT array_agg(DISTINCT total_count) FROM auditlog.search(action => 'dst.edge', page_size => 100)),
          ARRAY[12::bigint], 'a first page holding every match carries their number');
SELECT is((SELECT array_agg(DISTINCT total_count)
             FROM auditlog.search(action => 'dst.edge', page_size => 100,
                                  before_id => (SELECT id FROM auditlog.search(action => 'dst.edge', page_size => 5)
                                                 ORDER BY occurred_at, id LIMIT 1))),
          ARRAY[12::bigint], 'so does the last, short page');

SELECT * FROM finish();
ROLLBACK;
