-- test/tap/security_search_path.sql — the SQL auditlog runs with its owner's
-- rights never picks up objects from the caller's search_path.
--
-- A caller puts a schema of its own before pg_catalog, with "=" operators
-- for the types auditlog compares (text, "char", name[], oid, bigint) that
-- fail loudly if anything calls them. Every path that runs SQL as the
-- extension's owner must still work.
BEGIN;
SELECT plan(8);
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

-- Runs a statement with the hostile search_path; returns 'ok' or the error.
-- (pgTAP's own functions compare text too, so they run with the normal path.)
CREATE FUNCTION pg_temp.as_hostile(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    saved text := current_setting('search_path');
    result text := 'ok';
BEGIN
    PERFORM set_config('search_path', 'tap_evil, pg_catalog, public', true);
    BEGIN
        EXECUTE stmt;
    EXCEPTION WHEN OTHERS THEN
        result := SQLERRM;
    END;
    PERFORM set_config('search_path', saved, true);
    RETURN result;
END
$$;

SELECT is(pg_temp.as_hostile($$SELECT auditlog.register_table('public.tap_sp', redact_columns => '{secret}')$$),
          'ok', 'register_table ignores the caller''s operators');
SELECT is(pg_temp.as_hostile($$INSERT INTO public.tap_sp VALUES (1, 's', 'n')$$),
          'ok', 'a row change is logged');
SELECT is(pg_temp.as_hostile($$SELECT auditlog.log_event('tap_sp.brand_new_action', actor => 'A Brand New Actor')$$),
          'ok', 'a new action and a new label are added');
SELECT is(pg_temp.as_hostile($$ALTER TABLE public.tap_sp RENAME COLUMN secret TO hidden$$),
          'ok', 'a renamed column is followed');
SELECT is(pg_temp.as_hostile($$ALTER TABLE public.tap_sp DROP COLUMN note$$),
          'ok', 'a dropped column is followed');
SELECT is((SELECT redact_columns FROM auditlog.registry WHERE tbl = 'public.tap_sp'::regclass),
          '{hidden}'::name[], 'and the registry was updated by the owner''s SQL');
SELECT is(pg_temp.as_hostile($$SELECT auditlog.event_count(actor => 'A Brand New Actor')$$),
          'ok', 'event_count runs');
SELECT is(pg_temp.as_hostile($$SELECT auditlog.unregister_table('public.tap_sp')$$),
          'ok', 'unregister_table runs');

SELECT * FROM finish();
ROLLBACK;
