-- test/tap/trigger_types.sql — how column values appear in the row images of
-- events: exactly as to_jsonb(row) shows them, less the excluded and
-- redacted columns, for every kind of column type.
BEGIN;
SELECT plan(28);

\ir setup/common.sql
SET LOCAL timezone = 'Europe/Paris';   -- timestamptz values are shown in the session's zone, like to_jsonb

CREATE TYPE tap_typ_mood AS ENUM ('sad', 'happy');
CREATE DOMAIN tap_typ_posint AS int CHECK (VALUE > 0);
CREATE DOMAIN tap_typ_code AS varchar(10);
CREATE DOMAIN tap_typ_ints AS int[];
CREATE TYPE tap_typ_pair AS (a int, b text, at timestamptz);

CREATE TABLE tap_typ (
    id bigint PRIMARY KEY,
    i2 int2, i4 int4, i8 int8,
    num numeric, num_nan numeric, num_inf numeric, num_scaled numeric(10, 3),
    f4 real, f8 float8, f8_inf float8, f8_nan float8,
    b bool, t text, vc varchar(20), ch char(5), nm name, "char" "char",
    u uuid, jb jsonb, jb_scalar jsonb, js json,
    d date, d_inf date, ts timestamp, tstz timestamptz, tstz_inf timestamptz, tm time, tmtz timetz, iv interval,
    ia int[], ta text[], da date[], na numeric[],
    e tap_typ_mood, dm tap_typ_posint, dv tap_typ_code, dai tap_typ_ints, cp tap_typ_pair,
    by bytea, ip inet, cidr_ cidr, mac macaddr, mny money, bits bit(4), pt point, rng int4range, xm xml,
    oid_ oid, tsv tsvector,
    nul_text text, nul_int int, nul_json jsonb, nul_arr int[],
    ex_secret text, rd_secret text
);
SELECT auditlog.register_table('tap_typ', exclude_columns => '{ex_secret}', redact_columns => '{rd_secret}');

INSERT INTO tap_typ VALUES (
    1,
    -32768, 2147483647, 9223372036854775807,
    12345678901234567890.123456789, 'NaN', 'Infinity', 1.5,
    1.5, 0.1, '-Infinity', 'NaN',
    true, E'a "quoted"\n\\ tab\t é ü 😀', 'varchar', 'ab', 'a name', 'c',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"k": [1, 2.50, null, {"x": "y"}]}', '"scalar"', '{"k":  [1, 2.50], "k2": true}',
    '2024-02-29', 'infinity', '2024-02-29 13:14:15.123456', '2024-02-29 13:14:15.5+01', '-infinity', '12:34:56', '12:34:56+02',
    '1 year 2 mons 3 days 04:05:06.7',
    '{1,2,NULL}', '{"a b",c,NULL}', '{2024-01-01,NULL}', '{1.10,NaN}',
    'happy', 5, 'short', '{7,8}', ROW(1, 'x', '2024-01-01 00:00+00'),
    '\xdeadbeef', '192.168.1.1/24', '10.0.0.0/8', '08:00:2b:01:02:03', 12.34, B'1010', '(1,2)', '[1,5)', '<a>x</a>',
    42, 'a fat cat',
    NULL, NULL, NULL, NULL,
    'ex-value-123', 'rd-value-456'
);
INSERT INTO tap_typ (id) VALUES (2);

-- The mismatching keys between an event's image and to_jsonb of the row:
-- empty when they agree.
CREATE TEMP VIEW tap_typ_created AS
SELECT e.resource_id, e.details->'new' AS image, to_jsonb(r) - 'ex_secret' - 'rd_secret' AS expected
  FROM auditlog.events e
  JOIN tap_typ r ON e.resource_id = r.id::text
 WHERE e.action = 'tap_typ.create';

---------------------------------------------------------------------------
-- The whole "new" image of a create is to_jsonb(row) - excluded - redacted.
---------------------------------------------------------------------------
SELECT is((SELECT count(*)::int FROM tap_typ_created), 2, 'two rows, two create events');
SELECT is_empty(
    $$SELECT c.resource_id, k, c.image->k, c.expected->k
        FROM tap_typ_created c, jsonb_object_keys(c.expected || c.image) k
       WHERE c.image->k IS DISTINCT FROM c.expected->k$$,
    'the "new" image is to_jsonb(row) - excluded - redacted: no key of either differs');
SELECT is((SELECT details->'redacted' FROM auditlog.events WHERE action = 'tap_typ.create' AND resource_id = '1'),
          '["rd_secret"]'::jsonb, 'the redacted column is named, without its value');
SELECT ok(NOT (SELECT details::text ~ 'ex-value|rd-value|ex_secret'
                 FROM auditlog.events WHERE action = 'tap_typ.create' AND resource_id = '1'),
          'neither the excluded nor the redacted value appears anywhere in the event');

-- What some of them look like (JSON numbers, strings, nested JSON).
SELECT results_eq(
    $$SELECT jsonb_typeof(image->'i8'), jsonb_typeof(image->'num'), jsonb_typeof(image->'f8'),
             jsonb_typeof(image->'b'), jsonb_typeof(image->'jb'), jsonb_typeof(image->'ia'),
             jsonb_typeof(image->'cp'), jsonb_typeof(image->'nul_text'), jsonb_typeof(image->'dm')
        FROM tap_typ_created WHERE resource_id = '1'$$,
    $$VALUES ('number', 'number', 'number', 'boolean', 'object', 'array', 'object', 'null', 'number')$$,
    'integers, numerics, floats and domains over them are JSON numbers; bool a boolean; jsonb, arrays and composites nested; NULL null');
SELECT is((SELECT image->'i8' FROM tap_typ_created WHERE resource_id = '1'), '9223372036854775807'::jsonb,
          'int8 keeps every digit');
SELECT is((SELECT image->'num' FROM tap_typ_created WHERE resource_id = '1'),
          '12345678901234567890.123456789'::jsonb, 'numeric keeps every digit');
SELECT is((SELECT image->>'num_scaled' FROM tap_typ_created WHERE resource_id = '1'), '1.500',
          'numeric(10,3) keeps its scale');
SELECT results_eq(
    $$SELECT image->'num_nan', image->'num_inf', image->'f8_inf', image->'f8_nan' FROM tap_typ_created WHERE resource_id = '1'$$,
    $$VALUES ('"NaN"'::jsonb, '"Infinity"'::jsonb, '"-Infinity"'::jsonb, '"NaN"'::jsonb)$$,
    'NaN and infinities, which JSON numbers cannot hold, are strings');
SELECT is((SELECT image->>'t' FROM tap_typ_created WHERE resource_id = '1'), E'a "quoted"\n\\ tab\t é ü 😀',
          'text comes back exactly: quotes, backslashes, control characters, unicode');
SELECT is((SELECT image->>'ch' FROM tap_typ_created WHERE resource_id = '1'), 'ab   ',
          'char(n) keeps its padding');
SELECT is((SELECT image->'jb_scalar' FROM tap_typ_created WHERE resource_id = '1'), '"scalar"'::jsonb,
          'a scalar jsonb value stays a scalar');
SELECT is((SELECT image->'js' FROM tap_typ_created WHERE resource_id = '1'), '{"k": [1, 2.50], "k2": true}'::jsonb,
          'json becomes nested JSON');
SELECT results_eq(
    $$SELECT image->>'d', image->>'ts', image->>'tstz', image->>'d_inf', image->>'tstz_inf'
        FROM tap_typ_created WHERE resource_id = '1'$$,
    $$VALUES ('2024-02-29', '2024-02-29T13:14:15.123456', '2024-02-29T13:14:15.5+01:00', 'infinity', '-infinity')$$,
    'dates and timestamps in ISO 8601, timestamptz in the session time zone');
SELECT results_eq(
    $$SELECT image->>'iv', image->>'u', image->>'by', image->>'ip', image->>'e' FROM tap_typ_created WHERE resource_id = '1'$$,
    $$VALUES ('1 year 2 mons 3 days 04:05:06.7', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\xdeadbeef',
              '192.168.1.1/24', 'happy')$$,
    'interval, uuid, bytea, inet and enums as their text');
SELECT results_eq(
    $$SELECT image->'ia', image->'ta', image->'na', image->'dai', image->'cp' FROM tap_typ_created WHERE resource_id = '1'$$,
    $$VALUES ('[1, 2, null]'::jsonb, '["a b", "c", null]'::jsonb, '[1.10, "NaN"]'::jsonb, '[7, 8]'::jsonb,
              '{"a": 1, "b": "x", "at": "2024-01-01T01:00:00+01:00"}'::jsonb)$$,
    'arrays (NULL elements too), domains over arrays and composites as nested JSON');
SELECT is((SELECT image FROM tap_typ_created WHERE resource_id = '2'),
          (SELECT jsonb_object_agg(k, NULL::jsonb ORDER BY k) || '{"id": 2}'
             FROM jsonb_object_keys((SELECT expected FROM tap_typ_created WHERE resource_id = '2')) k),
          'a row of NULLs: every audited column present, as null');

---------------------------------------------------------------------------
-- Updates: old and new hold the changed columns, each as to_jsonb shows it.
---------------------------------------------------------------------------
CREATE TEMP TABLE tap_typ_before AS SELECT to_jsonb(r) AS j FROM tap_typ r WHERE id = 1;
UPDATE tap_typ SET
    i4 = -1, num = 'NaN', num_nan = 2.5, f8 = 'Infinity', b = false, t = 'new text', ch = 'z',
    jb = '[1, {"a": null}]', js = '"json string"', tstz = '2025-06-01 08:00+00', iv = '-1 day',
    ia = '{}', e = 'sad', cp = ROW(2, NULL, NULL), by = '\x00', nul_text = 'now set', xm = '<b/>',
    rd_secret = 'redacted 2', ex_secret = 'excluded 2'
 WHERE id = 1;
CREATE TEMP VIEW tap_typ_updated AS
SELECT e.details, (SELECT j FROM tap_typ_before) AS before, to_jsonb(r) AS after
  FROM auditlog.events e JOIN tap_typ r ON r.id = 1
 WHERE e.action = 'tap_typ.update';
SELECT bag_eq(
    $$SELECT jsonb_object_keys(details->'new') FROM tap_typ_updated$$,
    $$VALUES ('i4'), ('num'), ('num_nan'), ('f8'), ('b'), ('t'), ('ch'), ('jb'), ('js'), ('tstz'), ('iv'),
             ('ia'), ('e'), ('cp'), ('by'), ('nul_text'), ('xm')$$,
    'the update names exactly the changed audited columns');
SELECT is_empty(
    $$SELECT k FROM tap_typ_updated u, jsonb_object_keys(u.details->'new') k
       WHERE u.details->'new'->k IS DISTINCT FROM u.after->k
          OR u.details->'old'->k IS DISTINCT FROM u.before->k$$,
    'each changed column: "old" as to_jsonb showed it before, "new" as it shows it after');
SELECT is((SELECT details->'redacted' FROM tap_typ_updated), '["rd_secret"]'::jsonb,
          'the changed redacted column is named');
SELECT results_eq(
    $$SELECT details->'old'->'nul_text', details->'new'->'nul_text', details->'new'->'jb', details->'new'->'ia'
        FROM tap_typ_updated$$,
    $$VALUES ('null'::jsonb, '"now set"'::jsonb, '[1, {"a": null}]'::jsonb, '[]'::jsonb)$$,
    'from NULL to a value; nested JSON and empty arrays');

-- Values equal in content are unchanged, whatever their storage.
UPDATE tap_typ SET t = t || '', jb = jb::text::jsonb, num = num + 0, ia = ia || '{}'::int[], tstz = tstz
 WHERE id = 1;
SELECT is((SELECT count(*)::int FROM auditlog.events WHERE action = 'tap_typ.update'), 1,
          'recomputed but equal values are no change');

-- Large (TOASTed) values: equal is equal, a change is a change.
CREATE TABLE tap_typ_big (id int PRIMARY KEY, body text, doc jsonb);
SELECT auditlog.register_table('tap_typ_big');
INSERT INTO tap_typ_big VALUES (1, repeat('0123456789abcdef', 20000),
                                (SELECT jsonb_object_agg('k' || g, repeat('v', 100)) FROM generate_series(1, 3000) g));
CREATE TEMP TABLE tap_typ_big_v1 AS SELECT to_jsonb(r) AS j FROM tap_typ_big r;
UPDATE tap_typ_big SET body = repeat('0123456789abcdef', 20000), doc = doc || '{}';
SELECT is((SELECT count(*)::int FROM auditlog.events WHERE action = 'tap_typ_big.update'), 0,
          'a large value rewritten unchanged is no change');
UPDATE tap_typ_big SET body = body || '!';
SELECT results_eq(
    $$SELECT length(details->'old'->>'body'), length(details->'new'->>'body'), details->'new' ? 'doc'
        FROM auditlog.events WHERE action = 'tap_typ_big.update'$$,
    $$VALUES (320000, 320001, false)$$,
    'a changed large value is shown whole, old and new; the untouched one is not');
SELECT is((SELECT md5((details->'new')::text) FROM auditlog.events WHERE action = 'tap_typ_big.create'),
          (SELECT md5(j::text) FROM tap_typ_big_v1), 'large values are shown whole on create');

---------------------------------------------------------------------------
-- Deletes: "old" is to_jsonb of the deleted row, less excluded and redacted.
---------------------------------------------------------------------------
CREATE TEMP TABLE tap_typ_gone AS SELECT to_jsonb(r) - 'ex_secret' - 'rd_secret' AS j FROM tap_typ r WHERE id = 1;
DELETE FROM tap_typ WHERE id = 1;
SELECT is((SELECT details->'old' FROM auditlog.events WHERE action = 'tap_typ.delete'),
          (SELECT j FROM tap_typ_gone), 'the "old" image of a delete is to_jsonb(row) - excluded - redacted');
SELECT is((SELECT details->'redacted' FROM auditlog.events WHERE action = 'tap_typ.delete'),
          '["rd_secret"]'::jsonb, 'and names the redacted column');

---------------------------------------------------------------------------
-- timestamptz follows the session's time zone, as to_jsonb does: an
-- application that needs one zone sets it.
---------------------------------------------------------------------------
SET LOCAL timezone = 'UTC';
INSERT INTO tap_typ (id, tstz) VALUES (3, '2024-02-29 13:14:15.5+01');
SELECT is((SELECT details->'new'->>'tstz' FROM auditlog.events WHERE action = 'tap_typ.create' AND resource_id = '3'),
          '2024-02-29T12:14:15.5+00:00', 'in UTC, the same instant shows as +00:00');

SELECT * FROM finish();
ROLLBACK;
