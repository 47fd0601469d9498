-- test/tap/hardening_label_cache.sql -- a session that names ever-new actors
-- (one per request, say) keeps a bounded cache of dictionary ids: past its
-- bound (8192 strings, src/labels.c) the cache starts over, so the
-- backend's memory does not grow with every new label, and every event
-- still names the strings it was given, also after a savepoint rolled back
-- labels the cache had learned.
BEGIN;
SELECT plan(5);

\ir setup/common.sql

SELECT is(count(auditlog.log_event('tap_lc.visit', actor => 'lc-actor-' || g,
                                   resource_type => 'tap_lc_type_' || (g % 5000))),
          30000::bigint, '30,000 events naming 30,000 new actors and 5,000 new resource types')
  FROM generate_series(1, 30000) g;

SELECT cmp_ok((SELECT sum(total_bytes) FROM pg_backend_memory_contexts WHERE name = 'auditlog labels'),
              '<', 2::numeric * 1024 * 1024,
              'the label cache stays under 2 MB (4 MB without its bound)');

SELECT is((SELECT count(*) FROM auditlog.events e
            WHERE e.action = 'tap_lc.visit'
              AND e.resource_type = 'tap_lc_type_' || (substr(e.actor, 10)::int % 5000)),
          30000::bigint, 'every event names its own actor and resource type');

-- labels learned inside a savepoint that rolls back, after the cache has
-- started over, are looked up again rather than reused
SAVEPOINT s;
DO $$ BEGIN PERFORM count(auditlog.log_event('tap_lc.visit', actor => 'lc-sp-' || g)) FROM generate_series(1, 9000) g; END $$;
ROLLBACK TO SAVEPOINT s;
SELECT is(count(auditlog.log_event('tap_lc.revisit', actor => 'lc-sp-' || g)), 9000::bigint,
          'the rolled-back actors are named again')
  FROM generate_series(1, 9000) g;
SELECT is((SELECT count(DISTINCT actor) FROM auditlog.events
            WHERE action = 'tap_lc.revisit' AND actor LIKE 'lc-sp-%'),
          9000::bigint, 'and each of those events names its actor, through a dictionary row that exists');

SELECT * FROM finish();
ROLLBACK;
