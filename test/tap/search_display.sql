-- test/tap/search_display.sql — the display helpers: initials(name) for the
-- avatar badge, format_time(timestamptz) as the audit log page shows it, in
-- the session's time zone, and outcome_label(outcome) for the badge text.
BEGIN;
SELECT plan(27);
\ir setup/common.sql

-- initials: first letters of the first and last words, upper-cased.
SELECT is(auditlog.initials(n), want, format('initials(%s) = %s', to_json(n), to_json(want)))
  FROM (VALUES ('John Doe', 'JD'),
               ('system', 'S'),
               ('élodie durand', 'ÉD'),
               ('Jean-Pierre de la Fontaine', 'JF'),
               ('  ada   lovelace  ', 'AL'),
               ('madonna', 'M'),
               ('Zoë Ångström', 'ZÅ'),
               ('Ωmega βeta', 'ΩΒ'),
               ('"Jo" (Admin)', 'JA'),
               ('John - Doe', 'JD'),
               (E'john\tdoe\n', 'JD'),
               (E'\u00a0john\u3000doe', 'JD'),
               ('', ''),
               ('   ', ''),
               ('---', '')) AS t(n, want);
SELECT is(auditlog.initials('élodie durand' COLLATE "C"), 'ÉD',
          'non-ASCII letters are upper-cased even in the C collation');
SELECT is(auditlog.initials(NULL), NULL, 'initials(NULL) is NULL');

-- format_time: "May 7, 10:39:19 PM", session time zone, no year.
SET LOCAL TimeZone = 'UTC';
SELECT is(auditlog.format_time('2025-05-07 22:39:19.9+00'), 'May 7, 10:39:19 PM', 'the seed''s example');
SELECT is(auditlog.format_time('2025-01-01 00:00:05+00'), 'Jan 1, 12:00:05 AM', 'midnight is 12 AM');
SELECT is(auditlog.format_time('2025-06-30 12:00:00+00'), 'Jun 30, 12:00:00 PM', 'noon is 12 PM');
SET LOCAL TimeZone = 'Europe/Paris';
SELECT is(auditlog.format_time('2025-05-07 20:39:19+00'), 'May 7, 10:39:19 PM', 'in the session''s time zone');
SELECT is(auditlog.format_time('2025-12-31 23:30:00+00'), 'Jan 1, 12:30:00 AM', 'across a new year');
SELECT is(auditlog.format_time('infinity'), 'infinity', 'infinity shows as infinity');
SELECT is(auditlog.format_time('-infinity'), '-infinity', '-infinity shows as -infinity');
SELECT is(auditlog.format_time(NULL), NULL, 'format_time(NULL) is NULL');

-- outcome_label
SELECT is(array(SELECT auditlog.outcome_label(o) FROM unnest('{success,failure,denied}'::auditlog.outcome[]) o),
          ARRAY['Success', 'Failure', 'Denied'], 'outcome labels');

-- How they are declared.
SELECT is((SELECT array_agg(p.proname::text || ' ' || p.provolatile::text || ' ' || p.proisstrict || ' '
                            || p.proparallel::text || ' ' || p.prosecdef ORDER BY p.proname)
             FROM pg_proc p
            WHERE p.pronamespace = 'auditlog'::regnamespace
              AND p.proname IN ('initials', 'format_time', 'outcome_label')),
          ARRAY['format_time s true s false', 'initials i true s false', 'outcome_label i true s false'],
          'format_time is STABLE, initials and outcome_label IMMUTABLE; all STRICT, PARALLEL SAFE, SECURITY INVOKER');

SELECT * FROM finish();
ROLLBACK;
