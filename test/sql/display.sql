-- The display helpers: what every dashboard would otherwise compute itself.
-- They know nothing of the log and are open to every role.

-- initials(name): the avatar badge, the first letters of the first and the
-- last word, upper-cased.
SELECT n AS name, auditlog.initials(n) AS initials
  FROM (VALUES ('John Doe'), ('system'), ('élodie durand'), ('Jean-Pierre de la Fontaine'),
               ('Madonna'), ('  ada   lovelace '), ('Zoë Ångström'), ('"Jo" (Admin)'),
               (''), ('   ')) AS t(n);
SELECT auditlog.initials(NULL) IS NULL AS strict;
-- A name typed decomposed (E and U+0301 for U+00C9) keeps the accent: an
-- initial takes the combining marks that follow its letter.
SELECT auditlog.initials(E'E\u0301mile Zola') = E'E\u0301Z' AS decomposed,
       auditlog.initials(E'e\u0301mile o\u0308zil') = E'E\u0301O\u0308' AS decomposed_lower,
       auditlog.initials(E'q\u0303 x') = E'Q\u0303X' AS no_precomposed_form,
       auditlog.initials(E'\u30AB\u3099\u30EF \u30BF\u3099\u30A4') = E'\u30AB\u3099\u30BF\u3099' AS japanese_decomposed,
       auditlog.initials(E'\u2764\uFE0F fan') = E'\u2764\uFE0FF' AS variation_selector;
-- In a SQL_ASCII database the server does not know the bytes' encoding: a
-- UTF-8 character is still taken whole, never cut to its first byte.
CREATE DATABASE regression_display_sqlascii ENCODING 'SQL_ASCII'
    LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
SELECT pg_catalog.current_database() AS regress_db \gset
\c regression_display_sqlascii
CREATE EXTENSION auditlog;
SELECT pg_catalog.encode(pg_catalog.convert_to(auditlog.initials(pg_catalog.convert_from(b, 'SQL_ASCII')),
                                               'SQL_ASCII'), 'hex') AS initials_hex
  FROM (VALUES ('\xc3a96c6f64696520647572616e64'::bytea),   -- 'élodie durand'
               ('\x45cc816d696c65205a6f6c61'),              -- 'E', U+0301, 'mile Zola'
               ('\xff6d696c65205a6f6c61')) AS t(b);         -- no UTF-8: byte by byte
\c :regress_db
DROP DATABASE regression_display_sqlascii;

-- format_time(timestamptz): as the audit log shows times, in the session's
-- time zone, to the second.
SET TimeZone = 'UTC';
SELECT t, auditlog.format_time(t)
  FROM (VALUES (timestamptz '2025-05-07 22:39:19.75+00'), ('2025-01-01 00:00:05+00'),
               ('2025-06-30 12:00:00+00'), ('2025-12-09 09:05:00+00'), ('infinity')) AS v(t);
SET TimeZone = 'Europe/Paris';
SELECT auditlog.format_time('2025-05-07 20:39:19+00') AS paris;
SET TimeZone = 'America/Los_Angeles';
SELECT auditlog.format_time('2025-05-07 20:39:19+00') AS los_angeles;
RESET TimeZone;

-- outcome_label(outcome): the badge text.
SELECT o AS outcome, auditlog.outcome_label(o) AS label
  FROM unnest('{success,failure,denied}'::auditlog.outcome[]) AS o;

-- Together, one row of the dashboard.
SET TimeZone = 'UTC';
SELECT auditlog.initials('John Doe') AS avatar, 'John Doe' AS "user",
       auditlog.format_time('2025-05-07 22:39:19+00') AS "timestamp",
       auditlog.outcome_label('success') AS outcome;
RESET TimeZone;
