-- test/tap/search_errors.sql — bad filters end in an ERROR with SQLSTATE 22023
-- and a message naming the value; filters that are merely unknown (an actor,
-- an organisation, a resource type or an action no event has) match nothing.
BEGIN;
SELECT plan(46);
\ir setup/common.sql

SET LOCAL DateStyle = 'ISO, YMD';
SET LOCAL TimeZone = 'UTC';
SELECT auditlog.import_event('2025-05-07 20:39:19+00', 'auth.login', actor => 'John Doe') IS NOT NULL AS imported \gset

---------------------------------------------------------------------------
-- Dates: from_date after to_date.
---------------------------------------------------------------------------
SELECT throws_ok($$SELECT * FROM auditlog.search(from_date => '2025-03-02', to_date => '2025-03-01')$$,
                 '22023', 'from_date 2025-03-02 is after to_date 2025-03-01',
                 'search: from_date after to_date');
SELECT throws_ok($$SELECT auditlog.event_count(from_date => '2025-03-02', to_date => '2025-03-01')$$,
                 '22023', 'from_date 2025-03-02 is after to_date 2025-03-01',
                 'event_count: from_date after to_date');
SELECT throws_ok($$SELECT * FROM auditlog.search(from_date => 'infinity', to_date => '2025-03-01')$$,
                 '22023', 'from_date infinity is after to_date 2025-03-01',
                 'an infinite from_date is after every to_date');
SELECT is((SELECT count(*) FROM auditlog.search(from_date => '2025-05-07', to_date => '2025-05-07')), 1::bigint,
          'from_date = to_date is one day: search() finds its event');
SELECT is(auditlog.event_count(from_date => '2025-05-07', to_date => '2025-05-07'), 1::bigint,
          'and event_count() counts it');
SELECT is(auditlog.event_count(from_date => '-infinity', to_date => 'infinity'),
          (SELECT count(*) FROM auditlog.events),
          'infinite dates are no bound');
SELECT is(auditlog.event_count(from_date => 'infinity', to_date => 'infinity'), 0::bigint,
          'nothing happens from infinity on');
SELECT is(auditlog.event_count(from_date => '-infinity', to_date => '-infinity'), 0::bigint,
          'nor up to -infinity');
SELECT is(auditlog.event_count(from_date => '4000-01-01 BC', to_date => '300000-12-31'),
          (SELECT count(*) FROM auditlog.events),
          'dates beyond the range of timestamptz are no error');
SELECT is(auditlog.event_count(from_date => '300000-01-01'), 0::bigint,
          'a from_date beyond the range of timestamptz matches nothing');

---------------------------------------------------------------------------
-- page_size: 1 to 10000.
---------------------------------------------------------------------------
SELECT throws_ok($$SELECT * FROM auditlog.search(page_size => NULL)$$,
                 '22023', 'page_size must not be null', 'page_size NULL');
SELECT throws_ok($$SELECT * FROM auditlog.search(page_size => 0)$$,
                 '22023', 'page_size 0 is out of range', 'page_size 0');
SELECT throws_ok($$SELECT * FROM auditlog.search(page_size => -5)$$,
                 '22023', 'page_size -5 is out of range', 'page_size -5');
SELECT throws_ok($$SELECT * FROM auditlog.search(page_size => 10001)$$,
                 '22023', 'page_size 10001 is out of range', 'page_size 10001');
SELECT lives_ok($$SELECT * FROM auditlog.search(page_size => 1)$$, 'page_size 1, the smallest, is accepted');
SELECT lives_ok($$SELECT * FROM auditlog.search(page_size => 10000)$$, 'page_size 10000, the largest, is accepted');

---------------------------------------------------------------------------
-- before_id: the id of an event.
---------------------------------------------------------------------------
SELECT throws_ok($$SELECT * FROM auditlog.search(before_id => 9223372036854775807)$$,
                 '22023', 'no event with id 9223372036854775807', 'before_id of no event');
SELECT throws_ok($$SELECT * FROM auditlog.search(before_id => -1)$$,
                 '22023', 'no event with id -1', 'a negative before_id');
SELECT throws_ok($$SELECT * FROM auditlog.search(actor => 'Nobody At All', before_id => -1)$$,
                 '22023', 'no event with id -1', 'checked even when the filters match nothing');

---------------------------------------------------------------------------
-- action: an action or a category; anything else is malformed.
---------------------------------------------------------------------------
SELECT throws_ok(format('SELECT * FROM auditlog.search(action => %L)', a),
                 '22023', format('invalid action filter "%s"', CASE WHEN octet_length(a) > 64 THEN left(a, 64) || '...' ELSE a END),
                 format('search: the action filter %L is malformed', left(a, 80)))
  FROM unnest(ARRAY['auth', 'Auth.Login', '*', '.*', 'auth.', 'auth.*.*', 'auth.*.login', '',
                    'auth..login', 'auth.login*', 'auth login', '1auth.login', 'auth.%',
                    'auth._', 'auth.**', '*.login', repeat('a', 300) || '.*']) AS a;
SELECT throws_ok($$SELECT auditlog.event_count(action => 'credential')$$,
                 '22023', 'invalid action filter "credential"',
                 'event_count: a malformed action filter');
SELECT is(auditlog.event_count(action => 'auth.login'), 1::bigint, 'an exact action');
SELECT is(auditlog.event_count(action => 'auth.*'), 1::bigint, 'a category');
SELECT is(auditlog.event_count(action => 'never.happened'), 0::bigint,
          'an action no event has is no error: it matches nothing');
SELECT is(auditlog.event_count(action => 'never.*'), 0::bigint, 'nor is an empty category');
SELECT is(auditlog.event_count(action => 'auth.login.*'), 0::bigint,
          'a category one level below an action holds nothing here');

---------------------------------------------------------------------------
-- Unknown labels match nothing; an unknown outcome is refused by its type.
---------------------------------------------------------------------------
SELECT is_empty($$SELECT * FROM auditlog.search(actor => 'Nobody At All')$$, 'an unknown actor: no rows');
SELECT is_empty($$SELECT * FROM auditlog.search(resource_type => 'nothing')$$, 'an unknown resource type: no rows');
SELECT is_empty($$SELECT * FROM auditlog.search(org_id => '')$$, 'an empty organisation: no rows');
SELECT throws_ok($$SELECT * FROM auditlog.search(outcome => 'maybe')$$,
                 '22P02', 'invalid input syntax for type auditlog.outcome: "maybe"',
                 'an unknown outcome');

SELECT * FROM finish();
ROLLBACK;
