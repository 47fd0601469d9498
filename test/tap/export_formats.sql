-- test/tap/export_formats.sql - the lines of export(): NDJSON objects that read
-- back as the rows of auditlog.events; CSV (RFC 4180) that COPY ... FROM
-- reads back as those rows, quotes, commas, line breaks, backslashes and
-- NULLs included; OCSF objects per the README's mapping; and the function's
-- declaration, privileges and refusals.
BEGIN;
SELECT plan(41);
\ir setup/common.sql
\ir setup/roles.sql

-- The lines of EXPLAIN of a statement.
CREATE FUNCTION pg_temp.plan_of(stmt text) RETURNS TABLE (line text) LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE 'EXPLAIN ' || stmt;
END
$$;

SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS start_id FROM auditlog.event_store_id_seq \gset

-- Events with every kind of value a format must carry.
SET LOCAL application_name = 'app, "quoted"';
SELECT auditlog.log_event('auth.login', actor => 'Jane, "The" Roe', actor_id => 'u-1', org_id => 'acme',
                          details => '{"method": "password", "q": "a\"b\\c\nd", "u": "Zo\u00eb \u2713"}');
SELECT auditlog.log_event('auth.logout', actor => 'Jane, "The" Roe', actor_id => 'u-1', org_id => 'acme');
SELECT auditlog.log_event('auth.mfa_verify', outcome => 'failure', actor => E'two\nlines', org_id => 'acme');
SELECT auditlog.log_event('connection.create', 'connection', E'c\\1\r\n2', details => '{"new": {"id": 1}}',
                          actor => 'system', org_id => 'globex');
SELECT auditlog.log_event('connection.read', 'connection', 'c,2', actor => 'system');
SELECT auditlog.log_event('connection.update', 'connection', 'c"3', 'denied', actor => 'bob');
SELECT auditlog.log_event('connection.delete', 'connection', 'c 4 ', 'failure', actor => 'bob', org_id => 'acme');
SELECT auditlog.log_event('connection.truncate', 'connection', actor => 'bob');
SELECT auditlog.log_event('report.export.csv', 'report', 'r-1', actor => U&'Zo\00EB \00C5ngstr\00F6m', org_id => 'globex');
SELECT auditlog.import_event('1999-12-31 23:59:59.5+00', 'legacy.import', actor => 'old', org_id => 'acme');
SELECT auditlog.import_event('2025-05-07 22:39:19+00', 'legacy.import', actor => 'old');
RESET application_name;

CREATE TEMP VIEW fmt_events AS SELECT * FROM auditlog.events WHERE id > :start_id;
CREATE TEMP TABLE fmt_lines AS
    SELECT f.format, x.line, x.ord
      FROM unnest(ARRAY['ndjson', 'csv', 'ocsf']) AS f(format),
           LATERAL auditlog.export(format => f.format) WITH ORDINALITY AS x(line, ord);
CREATE TEMP VIEW ndjson AS SELECT line, line::jsonb AS j, ord FROM fmt_lines
 WHERE format = 'ndjson' AND (line::jsonb->>'id')::bigint > :start_id;
CREATE TEMP VIEW ocsf AS SELECT line, line::jsonb AS j, ord FROM fmt_lines
 WHERE format = 'ocsf' AND (line::jsonb->'metadata'->>'uid')::bigint > :start_id;

---------------------------------------------------------------------------
-- How it is declared, who may call it.
---------------------------------------------------------------------------
SELECT has_function('auditlog', 'export',
                    ARRAY['text', 'text', 'text', 'date', 'date', 'auditlog.outcome', 'text', 'text', 'text', 'bigint'],
                    'export() takes the filters of search(), format and after_id');
SELECT is((SELECT pg_get_function_result(p.oid) || ' ' || l.lanname || ' ' || p.provolatile::text || ' '
                  || p.prosecdef || ' ' || coalesce(array_to_string(p.proconfig, ','), '-')
             FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
            WHERE p.oid = 'auditlog.export(text, text, text, date, date, auditlog.outcome, text, text, text, bigint)'::regprocedure),
          'SETOF text sql s false -',
          'it returns SETOF text, a SQL function, STABLE, SECURITY INVOKER, with no SET clause: one PostgreSQL inlines');
SELECT is((SELECT count(*) FROM (SELECT * FROM pg_temp.plan_of('SELECT * FROM auditlog.export(format => ''csv'')')) p
            WHERE line ~ 'Function Scan|ProjectSet'),
          1::bigint, 'called in FROM, it is inlined: its lines stream (ProjectSet), no Function Scan collects them');
SELECT ok((SELECT bool_or(line ~ 'ProjectSet') FROM pg_temp.plan_of('SELECT * FROM auditlog.export(format => ''csv'')')),
          'that one line is the ProjectSet');
SELECT is((SELECT array_agg(a ORDER BY n) FROM unnest((SELECT proargnames FROM pg_proc
           WHERE oid = 'auditlog.export(text, text, text, date, date, auditlog.outcome, text, text, text, bigint)'::regprocedure))
           WITH ORDINALITY AS u(a, n)),
          ARRAY['actor', 'action', 'resource_type', 'from_date', 'to_date', 'outcome', 'resource_id', 'org_id',
                'format', 'after_id'], 'its arguments are named as in DESIGN.md');
SELECT is(pg_get_expr(p.proargdefaults, 0), 'NULL::text, NULL::text, NULL::text, NULL::date, NULL::date, '
          'NULL::auditlog.outcome, NULL::text, NULL::text, ''ndjson''::text, NULL::bigint',
          'every argument has a default: no filter, ndjson, no after_id')
  FROM pg_proc p WHERE p.oid = 'auditlog.export(text, text, text, date, date, auditlog.outcome, text, text, text, bigint)'::regprocedure;
CREATE ROLE auditlog_tap_exp_nobody;
CREATE ROLE auditlog_tap_exp_reader;
SELECT pg_temp.grant_reader('auditlog_tap_exp_reader');
SELECT ok(NOT has_function_privilege('public', 'auditlog.export(text, text, text, date, date, auditlog.outcome, text, text, text, bigint)', 'EXECUTE'),
          'PUBLIC may not export');
SET LOCAL ROLE auditlog_tap_exp_nobody;
SELECT throws_ok('SELECT * FROM auditlog.export()', '42501', 'permission denied for function export',
                 'a role without the grant cannot export');
SELECT throws_ok('SELECT * FROM auditlog.export_lines(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, ''ndjson'', NULL)',
                 '42501', 'permission denied for function export',
                 'nor call export_lines(), the body of export(), directly');
RESET ROLE;
SET LOCAL ROLE auditlog_tap_exp_reader;
CREATE TEMP TABLE reader_lines AS SELECT count(*) AS n FROM auditlog.export();
RESET ROLE;
SELECT is((SELECT n FROM reader_lines), (SELECT count(*) FROM auditlog.events),
          'a reader with the documented grants exports, with no privilege on the tables');

---------------------------------------------------------------------------
-- NDJSON
---------------------------------------------------------------------------
SELECT is((SELECT count(*) FROM ndjson), 11::bigint, 'ndjson: one line per event');
SELECT results_eq($$SELECT (jsonb_populate_record(NULL::auditlog.events, j)).* FROM ndjson ORDER BY ord$$,
                  $$SELECT * FROM fmt_events ORDER BY id$$,
                  'ndjson: each line reads back (jsonb_populate_record) as the event''s row, in id order');
SELECT is((SELECT array_agg(DISTINCT k.keys) FROM (SELECT array_agg(k ORDER BY n) AS keys FROM ndjson,
                   LATERAL json_object_keys(line::json) WITH ORDINALITY AS x(k, n) GROUP BY ord) k),
          ARRAY[ARRAY['id', 'occurred_at', 'actor', 'actor_id', 'action', 'resource_type', 'resource_id', 'outcome',
                      'org_id', 'details', 'db_user', 'client_addr', 'application_name', 'txid']],
          'ndjson: every object has the columns of auditlog.events, in their order, nulls included');
SELECT is((SELECT line FROM ndjson WHERE j->>'action' = 'legacy.import' AND j->>'org_id' IS NULL) ~
           '^\{"id":\d+,"occurred_at":"2025-05-07T22:39:19\+00:00","actor":"old","actor_id":null,"action":"legacy.import",'
           '"resource_type":null,"resource_id":null,"outcome":"success","org_id":null,"details":\{"imported": true\},'
           '"db_user":"[^"]+","client_addr":("[^"]+"|null),"application_name":(".*"|null),"txid":\d+\}$',
          true, 'ndjson: a line as it is written: times in UTC, ISO 8601, numbers as numbers');
SELECT is((SELECT j->>'occurred_at' FROM ndjson WHERE j->>'actor' = 'old' AND j->>'org_id' = 'acme'),
          '1999-12-31T23:59:59.5+00:00', 'ndjson: fractions of a second without trailing zeros, before 2000 too');
SELECT is((SELECT j->'details' FROM ndjson WHERE j->>'action' = 'auth.login'),
          '{"method": "password", "q": "a\"b\\c\nd", "u": "Zo\u00eb \u2713"}'::jsonb, 'ndjson: details is the JSON object itself');
SELECT is((SELECT count(*) FROM ndjson WHERE line ~ '[\r\n]'), 0::bigint, 'ndjson: no line holds a line break');

---------------------------------------------------------------------------
-- CSV, written to a file and read back with COPY ... FROM
---------------------------------------------------------------------------
SELECT is((SELECT line FROM fmt_lines WHERE format = 'csv' AND ord = 1),
          'id,occurred_at,actor,actor_id,action,resource_type,resource_id,outcome,org_id,details,db_user,'
          'client_addr,application_name,txid', 'csv: the first line names the columns of auditlog.events');
SELECT current_setting('data_directory') || '/auditlog_tap_export.csv' AS csv_path \gset
SELECT lo_from_bytea(0, convert_to(string_agg(line || E'\n', '' ORDER BY ord), 'UTF8')) AS csv_lo
  FROM fmt_lines WHERE format = 'csv' \gset
SELECT lo_export(:csv_lo, :'csv_path'), lo_unlink(:csv_lo);
CREATE TEMP TABLE csv_back AS SELECT * FROM auditlog.events WITH NO DATA;
SELECT format('COPY csv_back FROM PROGRAM %L WITH (FORMAT csv, HEADER)',
              format('cat %s && rm -f %s', :'csv_path', :'csv_path')) AS copy_back \gset
SELECT lives_ok(:'copy_back', 'csv: COPY ... FROM (FORMAT csv, HEADER) reads the export');
SELECT results_eq($$SELECT * FROM csv_back WHERE id > $$ || :start_id || $$ ORDER BY id$$,
                  $$SELECT * FROM fmt_events ORDER BY id$$,
                  'csv: and gets back every row of auditlog.events, quotes, commas, line breaks, backslashes and NULLs included');
SELECT is((SELECT count(*) FROM csv_back), (SELECT count(*) FROM auditlog.events), 'csv: one record per event');
SELECT is((SELECT line FROM fmt_lines WHERE format = 'csv' AND line LIKE '%connection.update%'),
          (SELECT format('%s,%s,bob,,connection.update,connection,"c""3",denied,,,%s,%s,"app, ""quoted""",%s',
                         e.id, n.j->>'occurred_at', e.db_user, host(e.client_addr), e.txid)
             FROM fmt_events e JOIN ndjson n ON (n.j->>'id')::bigint = e.id
            WHERE e.action = 'connection.update'),
          'csv: quotes doubled inside quoted fields, NULL as nothing between commas');
SELECT ok((SELECT strpos(line, E',"c\\1\r\n2",') > 0 FROM fmt_lines WHERE format = 'csv' AND line LIKE '%connection.create%'),
          'csv: a field with a line break is quoted, the break kept as it is');

---------------------------------------------------------------------------
-- OCSF
---------------------------------------------------------------------------
SELECT results_eq($$SELECT (j->>'class_uid')::int, (j->>'category_uid')::int, (j->>'activity_id')::int,
                           (j->>'type_uid')::int
                      FROM ocsf ORDER BY ord$$,
                  $$VALUES (3002, 3, 1, 300201), (3002, 3, 2, 300202), (3002, 3, 99, 300299),
                           (6003, 6, 1, 600301), (6003, 6, 2, 600302), (6003, 6, 3, 600303),
                           (6003, 6, 4, 600304), (6003, 6, 4, 600304),
                           (6003, 6, 99, 600399), (6003, 6, 99, 600399), (6003, 6, 99, 600399)$$,
                  'ocsf: class, category and activity per the mapping; type_uid = class_uid * 100 + activity_id');
SELECT results_eq($$SELECT (o.j->>'status_id')::int, o.j->>'status_detail', (o.j->>'severity_id')::int
                      FROM ocsf o ORDER BY o.ord$$,
                  $$SELECT CASE WHEN outcome = 'success' THEN 1 ELSE 2 END, outcome::text,
                           CASE outcome::text WHEN 'success' THEN 1 WHEN 'failure' THEN 2 ELSE 3 END
                      FROM fmt_events ORDER BY id$$,
                  'ocsf: status_id 1 for success and 2 for failure or denied, the outcome in status_detail, severity by outcome');
SELECT results_eq($$SELECT (o.j->>'time')::bigint, o.j->'metadata'->>'tenant_uid', o.j->'metadata'->>'uid',
                           o.j->'metadata'->>'correlation_uid', o.j->'metadata'->>'version',
                           o.j->'metadata'->'product'->>'name'
                      FROM ocsf o ORDER BY o.ord$$,
                  $$SELECT floor(extract(epoch FROM e.occurred_at) * 1000)::bigint, e.org_id, e.id::text, e.txid::text,
                           '1.1.0', 'auditlog'
                      FROM fmt_events e ORDER BY e.id$$,
                  'ocsf: time in milliseconds since the epoch; org in metadata.tenant_uid; the event and transaction ids');
SELECT results_eq($$SELECT coalesce(o.j->'actor'->'user'->>'name', o.j->'user'->>'name'),
                           coalesce(o.j->'actor'->'user'->>'uid', o.j->'user'->>'uid'), o.j->'actor'->>'app_name',
                           o.j->'src_endpoint'->>'ip', o.j->'unmapped'->>'db_user', o.j->'unmapped'->'details'
                      FROM ocsf o ORDER BY o.ord$$,
                  $$SELECT actor, actor_id, application_name, host(client_addr), db_user, details FROM fmt_events ORDER BY id$$,
                  'ocsf: the actor (the user, for an authentication), the application, the client, the database role and the details');
SELECT results_eq($$SELECT o.j->'user'->>'name', o.j->'actor' ? 'user', o.j->'api'->>'operation',
                           o.j->'api'->'service'->>'name', o.j->'resources'->0->>'type', o.j->'resources'->0->>'uid'
                      FROM ocsf o ORDER BY o.ord$$,
                  $$SELECT CASE WHEN action LIKE 'auth.%' THEN actor END, action NOT LIKE 'auth.%',
                           CASE WHEN action NOT LIKE 'auth.%' THEN action END,
                           CASE WHEN action NOT LIKE 'auth.%' THEN resource_type END, resource_type, resource_id
                      FROM fmt_events ORDER BY id$$,
                  'ocsf: the user of an authentication; the actor, operation, service and resource of an API activity');
SELECT is((SELECT count(*) FROM ocsf WHERE line ~ '[\r\n]'), 0::bigint, 'ocsf: no line holds a line break');
SELECT is((SELECT count(*) FROM ocsf WHERE j ?| ARRAY['class_name', 'activity_name', 'type_name', 'status', 'severity']),
          0::bigint, 'ocsf: the ids without their captions');

---------------------------------------------------------------------------
-- Formats by name, and what it refuses.
---------------------------------------------------------------------------
SELECT is((SELECT count(*) FROM auditlog.export(format => 'CSV')), (SELECT count(*) + 1 FROM auditlog.events),
          'the format''s name is read in any case');
SELECT is(array(SELECT auditlog.export(format => 'ndjson') ORDER BY 1), array(SELECT line FROM fmt_lines WHERE format = 'ndjson' ORDER BY 1),
          'called in the select list, it gives the same lines');
SELECT is(pg_temp.error_of($$SELECT * FROM auditlog.export(format => 'xml')$$) - 'detail',
          jsonb_build_object('sqlstate', '22023', 'message', 'unknown export format "xml"',
                             'hint', 'The formats are ndjson (the default), csv and ocsf.'),
          'an unknown format is refused, with the formats in the hint');
SELECT is(pg_temp.error_of(format('SELECT * FROM auditlog.export(format => %L)', E'csv\x01' || repeat('x', 100000)))->>'message',
          'unknown export format "csv?' || repeat('x', 60) || '..."',
          'the message shows the first 64 bytes of a long format, control characters as ?');
SELECT is(pg_temp.error_of($$SELECT * FROM auditlog.export(format => NULL)$$)->>'sqlstate', '22004',
          'a NULL format is refused');
SELECT is(pg_temp.error_of($$SELECT * FROM auditlog.export(after_id => -1)$$) - 'detail',
          jsonb_build_object('sqlstate', '22023', 'message', 'after_id -1 is negative',
                             'hint', 'Pass the id of the last event received, or 0 to start from the first event.'),
          'a negative after_id is refused');
SELECT is(pg_temp.error_of($$SELECT * FROM auditlog.export(from_date => '2025-02-01', to_date => '2025-01-01')$$)->>'message',
          'from_date 2025-02-01 is after to_date 2025-01-01', 'bad filters are refused as by search()');
SELECT is(pg_temp.error_of($$SELECT * FROM auditlog.export(action => 'Auth Login')$$)->>'sqlstate', '22023',
          'a malformed action too');
SELECT is((SELECT count(*) FROM auditlog.export(actor => 'Nobody At All', format => 'csv')), 1::bigint,
          'a filter nothing matches: a CSV header and nothing else');
SELECT is((SELECT count(*) FROM auditlog.export(actor => 'Nobody At All')), 0::bigint, 'and no NDJSON line');

-- an auth.* action with a verb of API Activity is one, as every <type>.create is
SELECT auditlog.log_event('auth.create', 'user', 'u-9', actor => 'admin');
SELECT is((SELECT (line::jsonb ->> 'class_uid') || '/' || (line::jsonb ->> 'activity_id')
             FROM auditlog.export(action => 'auth.create', format => 'ocsf') AS line),
          '6003/1', 'ocsf: auth.create is an API Activity Create (6003, 1), not an Authentication');

SELECT * FROM finish();
ROLLBACK;
