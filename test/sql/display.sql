-- The display helpers: what every dashboard would otherwise compute itself.
-- They know nothing of the log and are open to every role.

-- initials(name): the avatar badge, the first letters of the first and the
-- last word, upper-cased.
SELECT n AS name, auditlog.initials(n) AS initials
  FROM (VALUES ('John Doe'), ('system'), ('élodie durand'), ('Jean-Pierre de la Fontaine'),
               ('Madonna'), ('  ada   lovelace '), ('Zoë Ångström'), ('"Jo" (Admin)'),
               (''), ('   ')) AS t(n);
SELECT auditlog.initials(NULL) IS NULL AS strict;

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
