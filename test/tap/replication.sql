-- test/tap/replication.sql — auditlog beside logical replication: with a
-- publication FOR ALL TABLES (common in CDC setups), every table auditlog
-- updates has a replica identity, so nothing it does fails for want of one.
BEGIN;
SELECT plan(7);

SET LOCAL client_min_messages = error;   -- wal_level may be below logical here
CREATE PUBLICATION tap_all_tables FOR ALL TABLES;
RESET client_min_messages;

-- The event store only ever gets inserts, which need no replica identity.
SELECT is_empty($$
    SELECT c.oid::regclass::text
      FROM pg_class c
     WHERE c.relnamespace = 'auditlog'::regnamespace AND c.relkind IN ('r', 'p')
       AND c.oid <> 'auditlog.event_store'::regclass
       AND (c.relreplident = 'n'
            OR (c.relreplident = 'd'
                AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)))
$$, 'every table auditlog updates has a replica identity: a primary key, or FULL');

SELECT lives_ok($$SELECT auditlog.log_event('tap_replication.write', actor => 'Tap Replicated')$$,
                'log_event works under the publication');
SELECT lives_ok($$SELECT auditlog.summarize()$$,
                'summarize() updates its watermark under the publication');
CREATE TABLE tap_replicated (id int PRIMARY KEY, v text);
SELECT lives_ok($$SELECT auditlog.register_table('tap_replicated')$$, 'register_table works');
SELECT lives_ok($$SELECT auditlog.register_table('tap_replicated', redact_columns => '{v}')$$,
                'and registering again updates the registry');
SELECT lives_ok($$UPDATE auditlog.action_types SET description = 'Replicated write'
                   WHERE action = 'tap_replication.write'$$,
                'an action''s description can be edited');
SELECT lives_ok($$SELECT auditlog.unregister_table('tap_replicated')$$, 'unregister_table works');

SELECT * FROM finish();
ROLLBACK;
