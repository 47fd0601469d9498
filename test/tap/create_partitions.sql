-- test/tap/create_partitions.sql — create_partitions(from_date, to_date) makes
-- the monthly partitions of a stretch of the past (or the future) before an
-- import, so that imported events land in their month's partition rather
-- than the default one. A month the default partition already holds events
-- of keeps them there; a month with a partition is left as it is.
BEGIN;
SELECT plan(30);
\ir setup/common.sql
SET LOCAL TimeZone = 'UTC';

-- The partitions of the store in a stretch of time, by name, with bounds.
CREATE FUNCTION pg_temp.parts(lo text, hi text) RETURNS SETOF text
    LANGUAGE sql STABLE AS
$$
    SELECT c.relname || ' ' || pg_get_expr(c.relpartbound, c.oid)
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'auditlog.event_store'::regclass
       AND c.relname >= 'event_store_' || lo AND c.relname < 'event_store_' || hi
     ORDER BY c.relname
$$;
-- A partition's indexes, with the table's name taken out.
CREATE FUNCTION pg_temp.indexes(rel regclass) RETURNS SETOF text
    LANGUAGE sql STABLE AS
$$
    SELECT regexp_replace(pg_get_indexdef(x.indexrelid), 'event_store_[a-z0-9]+', 'P', 'g')
      FROM pg_index x WHERE x.indrelid = rel
$$;

---------------------------------------------------------------------------
-- Bad arguments.
---------------------------------------------------------------------------
SELECT throws_ok($$SELECT auditlog.create_partitions(NULL, '1990-01-01')$$,
                 '22004', 'from_date must not be null', 'from_date may not be null');
SELECT throws_ok($$SELECT auditlog.create_partitions('1990-01-01', NULL)$$,
                 '22004', 'to_date must not be null', 'to_date may not be null');
SELECT throws_ok($$SELECT auditlog.create_partitions('-infinity', '1990-01-01')$$,
                 '22008', 'from_date must be a time of the years 1 to 9999 (UTC)',
                 'from_date must be finite');
SELECT throws_ok($$SELECT auditlog.create_partitions('1990-01-01', 'infinity')$$,
                 '22008', 'to_date must be a time of the years 1 to 9999 (UTC)',
                 'to_date must be finite');
SELECT throws_ok($$SELECT auditlog.create_partitions('1990-01-01', '-infinity')$$,
                 '22008', 'to_date must be a time of the years 1 to 9999 (UTC)',
                 'to_date minus infinity is refused, not wrapped around');
SELECT throws_ok($$SELECT auditlog.create_partitions('0044-03-15 BC', '1990-01-01')$$,
                 '22008', 'from_date must be a time of the years 1 to 9999 (UTC)',
                 'a time before the year 1 is refused');
SELECT throws_ok($$SELECT auditlog.create_partitions('1990-03-01', '1990-03-01')$$,
                 '22023', 'from_date must be before to_date', 'an empty range is refused');
SELECT throws_ok($$SELECT auditlog.create_partitions('1990-03-01', '1990-01-01')$$,
                 '22023', 'from_date must be before to_date', 'a reversed range is refused');
SELECT throws_ok($$SELECT auditlog.create_partitions('1980-01-01', '1990-02-01')$$,
                 '22023', 'from_date to to_date covers 121 months, more than 120',
                 'at most 120 months per call');
SELECT is_empty($$SELECT * FROM pg_temp.parts('1980', '1991')$$, 'the refused calls made nothing');

---------------------------------------------------------------------------
-- Months with no events yet: a partition each, like the worker's.
---------------------------------------------------------------------------
SELECT is(auditlog.create_partitions('1990-01-15 12:00', '1990-04-01'), 3,
          'the months from_date and to_date touch, to_date excluded');
SELECT results_eq($$SELECT * FROM pg_temp.parts('1990', '1991')$$, ARRAY[
    'event_store_199001 FOR VALUES FROM (''1990-01-01 00:00:00+00'') TO (''1990-02-01 00:00:00+00'')',
    'event_store_199002 FOR VALUES FROM (''1990-02-01 00:00:00+00'') TO (''1990-03-01 00:00:00+00'')',
    'event_store_199003 FOR VALUES FROM (''1990-03-01 00:00:00+00'') TO (''1990-04-01 00:00:00+00'')'],
    'one partition per UTC month, named and bounded as the worker names and bounds them');
SELECT set_eq($$SELECT * FROM pg_temp.indexes('auditlog.event_store_199002')$$,
              $$SELECT * FROM pg_temp.indexes('auditlog.event_store_default')$$,
              'a partition has the indexes of the default partition');
SELECT set_eq($$SELECT tgname::text || ' ' || tgenabled::text FROM pg_trigger
                 WHERE tgrelid = 'auditlog.event_store_199002'::regclass$$,
              $$SELECT tgname::text || ' ' || tgenabled::text FROM pg_trigger
                 WHERE tgrelid = 'auditlog.event_store_default'::regclass$$,
              'and its guards, enabled as they are there');
SELECT is((SELECT relowner = (SELECT extowner FROM pg_extension WHERE extname = 'auditlog')
                  AND relreplident = 'f'
             FROM pg_class WHERE oid = 'auditlog.event_store_199002'::regclass), true,
          'owned by the extension''s owner, with replica identity full');
SELECT is(auditlog.create_partitions('1990-01-01', '1990-04-01'), 0,
          'called again, it makes nothing');

-- Imported events land in their month's partition and are read as any other.
SELECT auditlog.import_event('1990-02-10 08:00+00', 'auth.login', actor => 'tap_cp_user',
                             org_id => 'tap_cp_org') AS cp_id \gset
SELECT is((SELECT tableoid::regclass::text FROM auditlog.event_store WHERE id = :cp_id),
          'auditlog.event_store_199002', 'an imported event goes to its month''s partition');
SELECT is((SELECT count(*) FROM auditlog.search(actor => 'tap_cp_user', from_date => '1990-02-01',
                                                to_date => '1990-02-28')), 1::bigint,
          'search finds it');
SELECT is(auditlog.event_count(actor => 'tap_cp_user', from_date => '1990-02-01',
                               to_date => '1990-02-28'), 1::bigint, 'and counts it');

---------------------------------------------------------------------------
-- A month the default partition holds events of keeps them; the others of
-- the range get their partitions, and no constraint is left behind.
---------------------------------------------------------------------------
SELECT auditlog.import_event('1991-03-05 10:00+00', 'auth.login', actor => 'tap_cp_user') AS cp_early \gset
SELECT is(auditlog.create_partitions('1991-01-01', '1991-06-01'), 4,
          'with events of March in the default partition, the four other months');
SELECT results_eq($$SELECT split_part(p, ' ', 1) FROM pg_temp.parts('1991', '1992') p$$,
                  ARRAY['event_store_199101', 'event_store_199102', 'event_store_199104',
                        'event_store_199105'], 'March has none');
SELECT is((SELECT tableoid::regclass::text FROM auditlog.event_store WHERE id = :cp_early),
          'auditlog.event_store_default', 'its event stays in the default partition');
SELECT is_empty($$SELECT conname FROM pg_constraint
                   WHERE conrelid = 'auditlog.event_store_default'::regclass AND contype = 'c'$$,
                'the constraints that made the attaches instant are gone');
SELECT is(auditlog.import_event('1991-04-30 23:59:59.999999+00', 'auth.login', actor => 'tap_cp_user') > 0,
          true, 'an event of the last instant of April is written');
SELECT is((SELECT tableoid::regclass::text FROM auditlog.event_store
            WHERE occurred_at = '1991-04-30 23:59:59.999999+00'),
          'auditlog.event_store_199104', 'into April''s partition');

-- The months are UTC months, whatever the session's time zone.
SET LOCAL TimeZone = 'Pacific/Auckland';
SELECT is(auditlog.create_partitions('1994-01-01 00:00+00', '1994-02-01 00:00+00'), 1,
          'one UTC month, in a session far from UTC');
SET LOCAL TimeZone = 'UTC';
SELECT results_eq($$SELECT * FROM pg_temp.parts('1994', '1995')$$, ARRAY[
    'event_store_199401 FOR VALUES FROM (''1994-01-01 00:00:00+00'') TO (''1994-02-01 00:00:00+00'')'],
    'bounded at UTC midnights');

---------------------------------------------------------------------------
-- A table of the partition's name that is not a partition is not taken over.
---------------------------------------------------------------------------
SET LOCAL client_min_messages = error;  -- the warning of a table made in auditlog's schema
CREATE TABLE auditlog.event_store_199207 (x int);
RESET client_min_messages;
SELECT throws_ok($$SELECT auditlog.create_partitions('1992-06-01', '1992-09-01')$$, '42P07',
                 'relation "auditlog.event_store_199207" already exists and is not a partition of auditlog.event_store',
                 'a table of the name is refused, and nothing made');
SELECT is_empty($$SELECT * FROM pg_temp.parts('1992', '1993')$$, 'not even the months before it');

---------------------------------------------------------------------------
-- Only for whom it is granted (to no one by default).
---------------------------------------------------------------------------
CREATE ROLE tap_cp_nobody;
SET LOCAL ROLE tap_cp_nobody;
SELECT throws_ok($$SELECT auditlog.create_partitions('1993-01-01', '1993-02-01')$$, '42501', NULL,
                 'a role it was not granted to cannot call it');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
