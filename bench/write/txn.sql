-- bench/write/txn.sql — pgbench script: one single-row INSERT+UPDATE transaction.
-- @TABLE@ is replaced by bench/write.sh; every variant runs this same text on its own table.
-- The row is built by the same expressions as the bulk INSERT. Keys are random, from a
-- range far above the bulk rows; a collision is practically impossible and harmless
-- (ON CONFLICT DO NOTHING).
\set id random(1000000000, 999999999999)
BEGIN;
INSERT INTO @TABLE@ (id, name, owner, status, config, created_at, updated_at)
SELECT g,
       'connection-' || g,
       'user' || (g % 97) || '@example.com',
       'active',
       jsonb_build_object('host', 'db-' || (g % 13) || '.internal.example.com',
                          'port', 5432,
                          'database', 'app_' || (g % 7),
                          'sslmode', 'require',
                          'pool_size', 10 + g % 20,
                          'tags', jsonb_build_array('prod', 'eu-west-1')),
       now(),
       now()
  FROM (SELECT CAST(:id AS bigint) AS g) AS k
ON CONFLICT (id) DO NOTHING;
UPDATE @TABLE@ SET status = 'paused', updated_at = clock_timestamp() WHERE id = CAST(:id AS bigint);
COMMIT;
