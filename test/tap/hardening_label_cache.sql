-- test/tap/hardening_label_cache.sql -- a session that names ever-new actors
-- (one per request, say) keeps a bounded cache of dictionary ids: past its
-- bound (8192 strings, src/labels.c) the cache starts over, so the
-- backend's memory does not grow with every new label, and every event
-- still names the strings it was given, also after a savepoint rolled back
-- labels the cache had learned.
BEGIN;
SELECT plan(8);

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

-- search() reads the texts back through a cache of its own, bounded too:
-- three pages of 10,000 events with 30,000 actors between them
SELECT is((SELECT count(*) FROM (
              SELECT s.id FROM auditlog.search(action => 'tap_lc.visit', page_size => 10000) s
                JOIN auditlog.events e ON e.id = s.id
               WHERE s.actor IS NOT DISTINCT FROM e.actor AND s.resource_type IS NOT DISTINCT FROM e.resource_type
                 AND s.action IS NOT DISTINCT FROM e.action AND s.db_user IS NOT DISTINCT FROM e.db_user
              UNION ALL
              SELECT s.id FROM auditlog.search(action => 'tap_lc.visit', page_size => 10000,
                                               before_id => (SELECT min(id) FROM (SELECT id FROM auditlog.events WHERE action = 'tap_lc.visit' ORDER BY id DESC LIMIT 10000) p)) s
                JOIN auditlog.events e ON e.id = s.id
               WHERE s.actor IS NOT DISTINCT FROM e.actor AND s.resource_type IS NOT DISTINCT FROM e.resource_type) rows),
          20000::bigint, 'two pages of search() name the same actors and resource types as auditlog.events');
SELECT cmp_ok((SELECT sum(total_bytes) FROM pg_backend_memory_contexts WHERE name = 'auditlog label texts'),
              '<', 2::numeric * 1024 * 1024, 'and the cache of label texts stays under 2 MB');

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

-- a label found in its table while a subtransaction is open is forgotten
-- when it rolls back; its key stays allocated until the cache starts over,
-- which the bound counts too: 40,000 rolled-back subtransactions, each
-- learning the same known actor again
DO $$
BEGIN
    FOR i IN 1 .. 40000 LOOP
        BEGIN
            PERFORM auditlog.log_event('tap_lc.retry', actor => 'lc-actor-' || (i % 3 + 1));
            RAISE EXCEPTION 'roll back';
        EXCEPTION WHEN raise_exception THEN
            NULL;
        END;
    END LOOP;
END
$$;
SELECT cmp_ok((SELECT sum(total_bytes) FROM pg_backend_memory_contexts WHERE name = 'auditlog labels'),
              '<', 1::numeric * 1024 * 1024,
              'after 40,000 rolled-back subtransactions the label cache is still under 1 MB');

SELECT * FROM finish();
ROLLBACK;
