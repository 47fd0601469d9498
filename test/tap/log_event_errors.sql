-- test/tap/log_event_errors.sql — what log_event() refuses in the strings that
-- name who and what: resource_type, resource_id, actor, actor_id and org_id
-- may be NULL but not empty (pass NULL), and no longer than the log stores
-- (256 bytes; 1024 for a resource_id), counted in bytes, not characters.
-- Each refusal is an ERROR with its SQLSTATE and a message naming the
-- argument; a value at the limit is stored whole, never truncated; a
-- refused call writes nothing.
BEGIN;
SELECT plan(28);
\ir setup/common.sql

SELECT count(*) AS events_before FROM auditlog.event_store \gset
SELECT count(*) AS labels_before FROM auditlog.labels \gset

---------------------------------------------------------------------------
-- Empty strings: 22023, with the hint to pass NULL.
---------------------------------------------------------------------------
SELECT throws_ok($$SELECT auditlog.log_event('tap_lim.check', resource_type => '')$$,
                 '22023', 'resource_type must not be empty', 'an empty resource_type is refused');
SELECT throws_ok($$SELECT auditlog.log_event('tap_lim.check', actor => '')$$,
                 '22023', 'actor must not be empty', 'an empty actor is refused');
SELECT throws_ok($$SELECT auditlog.log_event('tap_lim.check', actor_id => '')$$,
                 '22023', 'actor_id must not be empty', 'an empty actor_id is refused');
SELECT throws_ok($$SELECT auditlog.log_event('tap_lim.check', org_id => '')$$,
                 '22023', 'org_id must not be empty', 'an empty org_id is refused');
SELECT is(array(SELECT DISTINCT pg_temp.hint_of(format('SELECT auditlog.log_event(''tap_lim.check'', %s => '''')', a))
                  FROM unnest(ARRAY['resource_type', 'actor', 'actor_id', 'org_id']) a),
          ARRAY['Pass NULL instead of an empty string.'],
          'each with the hint to pass NULL instead');

---------------------------------------------------------------------------
-- Too long: 22001 (string_data_right_truncation), naming the limit.
---------------------------------------------------------------------------
SELECT throws_ok($$SELECT auditlog.log_event('tap_lim.check', resource_type => repeat('r', 257))$$,
                 '22001', 'resource_type is longer than 256 bytes', 'a resource_type of 257 bytes is refused');
SELECT throws_ok($$SELECT auditlog.log_event('tap_lim.check', 'tap_lim', repeat('i', 1025))$$,
                 '22001', 'resource_id is longer than 1024 bytes', 'a resource_id of 1025 bytes is refused');
SELECT throws_ok($$SELECT auditlog.log_event('tap_lim.check', actor => repeat('a', 257))$$,
                 '22001', 'actor is longer than 256 bytes', 'an actor of 257 bytes is refused');
SELECT throws_ok($$SELECT auditlog.log_event('tap_lim.check', actor_id => repeat('u', 257))$$,
                 '22001', 'actor_id is longer than 256 bytes', 'an actor_id of 257 bytes is refused');
SELECT throws_ok($$SELECT auditlog.log_event('tap_lim.check', org_id => repeat('o', 257))$$,
                 '22001', 'org_id is longer than 256 bytes', 'an org_id of 257 bytes is refused');
-- Bytes, not characters: 129 two-byte letters are 258 bytes.
SELECT throws_ok($$SELECT auditlog.log_event('tap_lim.check', org_id => repeat('é', 129))$$,
                 '22001', 'org_id is longer than 256 bytes', 'an org_id of 129 two-byte characters is refused');
SELECT throws_ok($$SELECT auditlog.log_event('tap_lim.check', 'tap_lim', repeat('é', 513))$$,
                 '22001', 'resource_id is longer than 1024 bytes', 'a resource_id of 513 two-byte characters is refused');
-- A refused value is shown clipped: a megabyte of it would go into the error and the log.
SELECT throws_ok($$SELECT auditlog.log_event('a.' || repeat('b', 1000000))$$,
                 '22023', 'invalid action "a.' || repeat('b', 62) || '..."', 'a 1 MB action is refused, and shown clipped');
SELECT throws_ok($$SELECT * FROM auditlog.search(action => 'a.b' || repeat('é', 500000))$$,
                 '22023', 'invalid action filter "a.b' || repeat('é', 30) || '..."',
                 'so is an action filter, cut between two characters');
-- The settings hold the same strings: refused when they are set.
SELECT throws_like($$SET LOCAL auditlog.org_id = '$$ || repeat('o', 257) || $$'$$,
                   'invalid value for parameter "auditlog.org_id"%',
                   'an auditlog.org_id setting of 257 bytes is refused when set');
SELECT throws_like($$SET LOCAL auditlog.actor = '$$ || repeat('a', 257) || $$'$$,
                   'invalid value for parameter "auditlog.actor"%',
                   'so is an auditlog.actor setting of 257 bytes');

-- A refused call writes nothing: no event, no label.
SELECT is((SELECT count(*) FROM auditlog.event_store), :events_before::bigint, 'no refused call wrote an event');
SELECT is((SELECT count(*) FROM auditlog.labels), :labels_before::bigint, 'nor a label');

---------------------------------------------------------------------------
-- At the limit: stored whole.
---------------------------------------------------------------------------
SELECT auditlog.log_event('tap_lim.check', repeat('r', 256), repeat('i', 1024), actor => repeat('a', 256),
                          actor_id => repeat('u', 256), org_id => repeat('é', 128)) AS at_limit \gset
SELECT is((SELECT length(resource_type) FROM auditlog.events WHERE id = :at_limit), 256,
          'a resource_type of 256 bytes is stored whole');
SELECT is((SELECT resource_id FROM auditlog.events WHERE id = :at_limit), repeat('i', 1024),
          'a resource_id of 1024 bytes is stored whole');
SELECT is((SELECT length(actor) FROM auditlog.events WHERE id = :at_limit), 256,
          'an actor of 256 bytes is stored whole');
SELECT is((SELECT length(actor_id) FROM auditlog.events WHERE id = :at_limit), 256,
          'an actor_id of 256 bytes is stored whole');
SELECT is((SELECT org_id FROM auditlog.events WHERE id = :at_limit), repeat('é', 128),
          'an org_id of 128 two-byte characters (256 bytes) is stored whole');
SELECT auditlog.log_event('tap_lim.check', 'tap_lim', repeat('é', 512)) AS long_id \gset
SELECT is((SELECT resource_id FROM auditlog.events WHERE id = :long_id), repeat('é', 512),
          'a resource_id of 512 two-byte characters (1024 bytes) is stored whole');
-- Two ids that differ only past the 256th byte stay two resources.
SELECT auditlog.log_event('tap_lim.check', 'tap_lim', repeat('x', 300) || '1') AS id_1,
       auditlog.log_event('tap_lim.check', 'tap_lim', repeat('x', 300) || '2') AS id_2 \gset
SELECT is((SELECT count(DISTINCT resource_id)::int FROM auditlog.events WHERE id IN (:id_1, :id_2)), 2,
          'resource ids that differ only in their last byte are kept apart');
SELECT is(auditlog.event_count(resource_type => 'tap_lim', resource_id => repeat('x', 300) || '2'), 1::bigint,
          'and each is found by its own id');

---------------------------------------------------------------------------
-- NULL is how a string is left out, and a setting emptied counts as unset.
---------------------------------------------------------------------------
SELECT auditlog.log_event('tap_lim.check', NULL, NULL, actor => NULL, actor_id => NULL, org_id => NULL) AS all_null \gset
SELECT results_eq(format('SELECT resource_type, resource_id, actor, actor_id, org_id FROM tap_events WHERE id = %s', :all_null),
                  $$VALUES (NULL::text, NULL::text, session_user::text COLLATE "default", NULL::text, NULL::text)$$,
                  'NULL arguments leave the strings out (the actor is then the session''s role)');

---------------------------------------------------------------------------
-- The README: "empty strings are refused (pass NULL)" -- resource_id too.
---------------------------------------------------------------------------
SELECT throws_ok($$SELECT auditlog.log_event('tap_lim.check', 'tap_lim', '')$$,
                 '22023', 'resource_id must not be empty', 'an empty resource_id is refused');

SELECT * FROM finish();
ROLLBACK;
