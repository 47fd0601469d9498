-- test/tap/seal_format.sql — what a seal hashes is the format README "Tamper
-- evidence" documents, recomputed here in plain SQL from auditlog.events and
-- auditlog.seals alone (setup/seals.sql): each event's 14 columns as the
-- view shows them with TimeZone UTC and DateStyle ISO, whatever the settings
-- of the session that sealed; NULLs, unicode, times before Christ, nested
-- JSON, row images of a registered table.
BEGIN;
SELECT plan(9);
\ir setup/common.sql
\ir setup/seals.sql

-- Events of every shape.
CREATE TABLE tap_sealed_widget (id int PRIMARY KEY, name text, price numeric, tags text[]);
SELECT auditlog.register_table('tap_sealed_widget');
INSERT INTO tap_sealed_widget VALUES (1, 'Grüße "quoted"', 12.50, '{a,b}'), (2, NULL, -0.0001, '{}');
UPDATE tap_sealed_widget SET price = 1e20 WHERE id = 1;
DELETE FROM tap_sealed_widget WHERE id = 2;
SELECT auditlog.log_event('auth.login', actor => 'Zoë Ångström', actor_id => 'ü-1', org_id => 'org "one"');
SELECT auditlog.log_event('credential.token_refresh', 'connection', 'eae3a753-7bdc-4b4c-9f3e-1d2c3b4a5f60',
                          'failure', '{"error": "invalid_grant", "nested": {"a": [1, 2.5, null, true], "b": ""}}',
                          actor => 'system');
SELECT auditlog.log_event('report.export.csv', outcome => 'denied', details => '{}');
SELECT auditlog.import_event('0044-03-15 12:00:00.123456 BC', 'auth.login', actor => 'Caesar');
SELECT auditlog.import_event('2024-02-29 23:59:59.999999+00', 'auth.logout', actor => 'Leap');
SET LOCAL application_name = 'tap sealer';
SELECT auditlog.log_event('auth.login', actor => 'With App');

-- Sealed from a session whose settings are far from UTC and ISO.
SET LOCAL TimeZone = 'Asia/Kathmandu';
SET LOCAL DateStyle = 'SQL, DMY';
SET LOCAL extra_float_digits = 3;
SELECT is(pg_temp.seal_all(), 10::bigint, 'the ten events are sealed');

SELECT ok(EXISTS (SELECT FROM auditlog.events WHERE actor_id IS NULL)
          AND EXISTS (SELECT FROM auditlog.events WHERE details IS NULL)
          AND EXISTS (SELECT FROM auditlog.events WHERE resource_type IS NOT NULL),
          'the sealed events have NULL and non-NULL columns alike');
SELECT is_empty($$SELECT s.id FROM auditlog.seals s WHERE s.events_hash <> pg_temp.events_hash(s)$$,
                'events_hash is the SHA-256 of the events'' digests in id order, each the SHA-256 of '
                'its columns as the view shows them, tagged and length-prefixed');
SELECT is_empty($$SELECT s.id FROM auditlog.seals s WHERE s.rows_hash <> pg_temp.rows_hash(s)$$,
                'rows_hash is the same over the stored rows, dictionary ids as numbers');
SELECT is_empty($$SELECT s.id FROM auditlog.seals s WHERE s.hash <> pg_temp.seal_hash(s)$$,
                'a seal''s hash covers its prev_hash and every other field of its row');
SELECT is_empty($$SELECT s.id FROM auditlog.seals s LEFT JOIN auditlog.seals p ON p.id = s.id - 1
                   WHERE s.prev_hash IS DISTINCT FROM p.hash$$,
                'each prev_hash is the hash of the seal before (NULL for seal 1)');
SELECT is((SELECT sum(events)::bigint FROM auditlog.seals),
          (SELECT count(*) FROM auditlog.events WHERE id <= (SELECT max(last_id) FROM auditlog.seals)),
          'every sealed event is counted');

-- The format is the text the view shows, and nothing of the session.
SELECT is((SELECT pg_temp.event_digest(e) FROM auditlog.events e WHERE actor = 'Caesar'),
          (SELECT sha256(string_agg(pg_temp.seal_field(v), ''::bytea ORDER BY n))
             FROM auditlog.events e,
                  LATERAL (VALUES (1, e.id::text), (2, '0044-03-15 12:00:00.123456+00 BC'), (3, 'Caesar'),
                                  (4, NULL), (5, 'auth.login'), (6, NULL), (7, NULL), (8, 'success'),
                                  (9, NULL), (10, '{"imported": true}'), (11, e.db_user),
                                  (12, host(e.client_addr)), (13, e.application_name), (14, e.txid::text)) AS x(n, v)
            WHERE e.actor = 'Caesar'),
          'an event''s time is UTC in ISO style, BC included; the other columns their output text');
SELECT isnt(pg_temp.seal_field(NULL::text), pg_temp.seal_field(''::text),
            'a NULL column is told from an empty string');

SELECT * FROM finish();
ROLLBACK;
