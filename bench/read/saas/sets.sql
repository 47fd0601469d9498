-- bench/read/saas/sets.sql — the filter sets timed on generator "saas".
-- Values come from the generated data (meta.anchor, the users table, the
-- resource pools), so they do not drift with today's date or with n.

\set ON_ERROR_STOP on

WITH m AS (SELECT anchor,
                  anchor - 45 AS day,
                  date_trunc('month', anchor - 75)::date AS month_from,
                  (date_trunc('month', anchor - 75) + interval '1 month' - interval '1 day')::date AS month_to
             FROM bench_read.meta),
     u1 AS (SELECT name FROM bench_read.users WHERE n = 1),
     u40 AS (SELECT name FROM bench_read.users WHERE n = 40)
INSERT INTO bench_read.sets
SELECT v.* FROM m, u1, u40, LATERAL (VALUES
    ( 1, 'no filter',                         NULL,      NULL,         NULL,         NULL::date,   NULL::date, NULL::auditlog.outcome, NULL, NULL),
    ( 2, 'actor = system',                    'system',  NULL,         NULL,         NULL,         NULL,       NULL,      NULL, NULL),
    ( 3, 'actor = busiest user',              u1.name,   NULL,         NULL,         NULL,         NULL,       NULL,      NULL, NULL),
    ( 4, 'actor = typical user',              u40.name,  NULL,         NULL,         NULL,         NULL,       NULL,      NULL, NULL),
    ( 5, 'action = auth.login',               NULL,      'auth.login', NULL,         NULL,         NULL,       NULL,      NULL, NULL),
    ( 6, 'action = credential.*',             NULL,      'credential.*', NULL,       NULL,         NULL,       NULL,      NULL, NULL),
    ( 7, 'action = role.create (rare)',       NULL,      'role.create', NULL,        NULL,         NULL,       NULL,      NULL, NULL),
    ( 8, 'type = connection',                 NULL,      NULL,         'connection', NULL,         NULL,       NULL,      NULL, NULL),
    ( 9, 'outcome = denied (rare)',           NULL,      NULL,         NULL,         NULL,         NULL,       'denied',  NULL, NULL),
    (10, 'one day',                           NULL,      NULL,         NULL,         m.day,        m.day,      NULL,      NULL, NULL),
    (11, 'one month',                         NULL,      NULL,         NULL,         m.month_from, m.month_to, NULL,      NULL, NULL),
    (12, 'one resource (busiest connection)', NULL,      NULL,         'connection', NULL,         NULL,       NULL,
         bench_read.rid('connection', 1), NULL),
    (13, 'busiest user + one month',          u1.name,   NULL,         NULL,         m.month_from, m.month_to, NULL,      NULL, NULL),
    (14, 'auth.login + failure',              NULL,      'auth.login', NULL,         NULL,         NULL,       'failure', NULL, NULL),
    (15, 'system + token_refresh + one day',  'system',  'credential.token_refresh', NULL, m.day,  m.day,      NULL,      NULL, NULL),
    (16, 'credential.* + denied + month',     NULL,      'credential.*', NULL,       m.month_from, m.month_to, 'denied',  NULL, NULL),
    (17, 'type = webhook + failure + month',  NULL,      NULL,         'webhook',    m.month_from, m.month_to, 'failure', NULL, NULL),
    (18, 'typical user + denied, 5 months',   u40.name,  NULL,         NULL,         m.anchor - 180, m.anchor - 30, 'denied', NULL, NULL),
    (19, 'org = org-3',                       NULL,      NULL,         NULL,         NULL,         NULL,       NULL,      NULL, 'org-3'),
    (20, 'typical user, up to a date',        u40.name,  NULL,         NULL,         NULL,         m.anchor - 100, NULL,  NULL, NULL)
) AS v;
