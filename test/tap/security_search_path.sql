-- test/tap/security_search_path.sql — the SQL auditlog runs with its owner's
-- rights never picks up objects from the caller's search_path.
--
-- A caller puts a schema of its own before pg_catalog, with "=" operators
-- for the types auditlog compares (text, "char", name[], oid, bigint) that
-- fail loudly if anything calls them. Every path that runs SQL as the
-- extension's owner must still work, and do what it does under a normal
-- path: each call is followed by a check of its result.
BEGIN;
SELECT plan(14);
\ir setup/common.sql

CREATE SCHEMA tap_evil;
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['text', '"char"', 'name[]', 'oid', 'bigint', 'name', 'integer'] LOOP
        EXECUTE format('CREATE FUNCTION tap_evil.trap(%1$s, %1$s) RETURNS boolean LANGUAGE plpgsql AS '
                       '$f$ BEGIN RAISE EXCEPTION ''hijacked operator ran as %%'', current_user; END $f$', t);
        EXECUTE format('CREATE OPERATOR tap_evil.= (LEFTARG = %1$s, RIGHTARG = %1$s, FUNCTION = tap_evil.trap)', t);
    END LOOP;
END
$$;
CREATE TABLE public.tap_sp (id int PRIMARY KEY, secret text, note text);

-- Runs a statement with the hostile search_path; returns the first column
-- of a SELECT's first row as text ('ok' for other statements, or NULL), or the
-- error it raised. (pgTAP's own functions compare text too, so they run
-- with the normal path, on what this returned or the statement left.)
CREATE FUNCTION pg_temp.as_hostile(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    saved text := current_setting('search_path');
    is_select boolean := stmt ~* '^\s*SELECT';
    result text;
BEGIN
    PERFORM set_config('search_path', 'tap_evil, pg_catalog, public', true);
    BEGIN
        IF is_select THEN
            EXECUTE stmt INTO result;
        ELSE
            EXECUTE stmt;
        END IF;
    EXCEPTION WHEN OTHERS THEN
        result := 'error: ' || SQLERRM;
    END;
    PERFORM set_config('search_path', saved, true);
    -- compared only now: this function's own "=" would be the trap too
    RETURN coalesce(nullif(result, ''), 'ok');   -- void reads as ''
END
$$;

SELECT is(pg_temp.as_hostile($$SELECT auditlog.register_table('public.tap_sp', redact_columns => '{secret}')$$),
          'ok', 'register_table ignores the caller''s operators');
SELECT results_eq($$SELECT resource_type, redact_columns FROM auditlog.registered_tables
                     WHERE table_name = 'public.tap_sp'::regclass$$,
                  $$VALUES ('tap_sp'::text, '{secret}'::name[])$$,
                  'and registers the table with its options');
SELECT bag_eq($$SELECT tgname::text FROM pg_trigger WHERE tgrelid = 'public.tap_sp'::regclass$$,
              $$VALUES ('auditlog_row'), ('auditlog_stmt')$$,
              'and puts its triggers on it');
SELECT is(pg_temp.as_hostile($$INSERT INTO public.tap_sp VALUES (1, 's', 'n')$$),
          'ok', 'a row change under the hostile path goes through');
SELECT results_eq($$SELECT action, resource_id, details FROM tap_events WHERE resource_type = 'tap_sp'$$,
                  $$VALUES ('tap_sp.create'::text, '1'::text, '{"new": {"id": 1, "note": "n"}, "redacted": ["secret"]}'::jsonb)$$,
                  'and is logged, with the redaction');
SELECT pg_temp.as_hostile($$SELECT auditlog.log_event('tap_sp.brand_new_action', actor => 'A Brand New Actor')$$)
    AS new_event \gset
SELECT results_eq(format('SELECT action, actor FROM tap_events WHERE id = %L::bigint', :'new_event'),
                  $$VALUES ('tap_sp.brand_new_action'::text, 'A Brand New Actor'::text)$$,
                  'log_event adds a new action and a new label: the event it returns the id of reads back');
SELECT is(pg_temp.as_hostile($$ALTER TABLE public.tap_sp RENAME COLUMN secret TO hidden$$),
          'ok', 'a renamed column is followed');
SELECT is(pg_temp.as_hostile($$ALTER TABLE public.tap_sp DROP COLUMN note$$),
          'ok', 'a dropped column is followed');
SELECT is((SELECT redact_columns FROM auditlog.registry WHERE tbl = 'public.tap_sp'::regclass),
          '{hidden}'::name[], 'and the registry was updated by the owner''s SQL');
UPDATE public.tap_sp SET hidden = 'h2';
SELECT is((SELECT details FROM tap_events WHERE action = 'tap_sp.update'),
          '{"old": {}, "new": {}, "redacted": ["hidden"]}'::jsonb,
          'the renamed column stays redacted, the dropped one is gone from events');
SELECT is(pg_temp.as_hostile($$SELECT auditlog.event_count(actor => 'A Brand New Actor')$$),
          '1', 'event_count counts right under the hostile path');
SELECT is(pg_temp.as_hostile($$SELECT count(*) FROM auditlog.search(resource_type => 'tap_sp')$$),
          '2', 'and so does search()');
SELECT is(pg_temp.as_hostile($$SELECT auditlog.unregister_table('public.tap_sp')$$),
          'ok', 'unregister_table runs');
SELECT is_empty($$SELECT 1 FROM auditlog.registry WHERE tbl = 'public.tap_sp'::regclass
                  UNION ALL SELECT 1 FROM pg_trigger WHERE tgrelid = 'public.tap_sp'::regclass$$,
                'and removes the registration and the triggers');

SELECT * FROM finish();
ROLLBACK;
