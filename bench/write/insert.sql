-- bench/write/insert.sql — :n new rows in one statement into table :tbl.
-- BEGIN, the statement and COMMIT go as one query string (\;), so psql's \timing
-- reports the statement including its commit, in one round trip.
BEGIN \;
INSERT INTO :"tbl" (id, name, owner, status, config, created_at, updated_at)
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
  FROM generate_series(1, :n) AS g \;
COMMIT;
