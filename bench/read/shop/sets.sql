-- bench/read/shop/sets.sql — the filter sets timed on generator "shop": the
-- same kinds of set as "saas", with this data set's values. Values come from
-- the generated data (meta.anchor, the users and orgs tables; the one resource
-- is the newest order event 100 days before the anchor), so they do not drift
-- with today's date or with n.

\set ON_ERROR_STOP on

WITH m AS (SELECT anchor,
                  anchor - 45 AS day,
                  date_trunc('month', anchor - 75)::date AS month_from,
                  (date_trunc('month', anchor - 75) + interval '1 month' - interval '1 day')::date AS month_to,
                  (SELECT e.resource_id FROM bench_plain.events e
                    WHERE e.resource_type = 'order' AND e.occurred_at < (anchor - 100)::timestamptz
                    ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1) AS order_id
             FROM bench_read.meta),
     u1 AS (SELECT name FROM bench_read.users WHERE n = 1),
     u100 AS (SELECT name FROM bench_read.users WHERE n = 100)
INSERT INTO bench_read.sets
SELECT v.* FROM m, u1, u100, LATERAL (VALUES
    ( 1, 'no filter',                         NULL,      NULL,            NULL,      NULL::date,   NULL::date, NULL::auditlog.outcome, NULL, NULL),
    ( 2, 'actor = system',                    'system',  NULL,            NULL,      NULL,         NULL,       NULL,      NULL, NULL),
    ( 3, 'actor = busiest user',              u1.name,   NULL,            NULL,      NULL,         NULL,       NULL,      NULL, NULL),
    ( 4, 'actor = typical user',              u100.name, NULL,            NULL,      NULL,         NULL,       NULL,      NULL, NULL),
    ( 5, 'action = order.create',             NULL,      'order.create',  NULL,      NULL,         NULL,       NULL,      NULL, NULL),
    ( 6, 'action = payment.*',                NULL,      'payment.*',     NULL,      NULL,         NULL,       NULL,      NULL, NULL),
    ( 7, 'action = customer.merge (rare)',    NULL,      'customer.merge', NULL,     NULL,         NULL,       NULL,      NULL, NULL),
    ( 8, 'type = order',                      NULL,      NULL,            'order',   NULL,         NULL,       NULL,      NULL, NULL),
    ( 9, 'outcome = denied (rare)',           NULL,      NULL,            NULL,      NULL,         NULL,       'denied',  NULL, NULL),
    (10, 'one day',                           NULL,      NULL,            NULL,      m.day,        m.day,      NULL,      NULL, NULL),
    (11, 'one month',                         NULL,      NULL,            NULL,      m.month_from, m.month_to, NULL,      NULL, NULL),
    (12, 'one resource (an order)',           NULL,      NULL,            'order',   NULL,         NULL,       NULL,      m.order_id, NULL),
    (13, 'busiest user + one month',          u1.name,   NULL,            NULL,      m.month_from, m.month_to, NULL,      NULL, NULL),
    (14, 'auth.login + failure',              NULL,      'auth.login',    NULL,      NULL,         NULL,       'failure', NULL, NULL),
    (15, 'system + track_update + one day',   'system',  'shipment.track_update', NULL, m.day,     m.day,      NULL,      NULL, NULL),
    (16, 'payment.* + denied + month',        NULL,      'payment.*',     NULL,      m.month_from, m.month_to, 'denied',  NULL, NULL),
    (17, 'type = refund + failure + month',   NULL,      NULL,            'refund',  m.month_from, m.month_to, 'failure', NULL, NULL),
    (18, 'typical user + denied, 5 months',   u100.name, NULL,            NULL,      m.anchor - 180, m.anchor - 30, 'denied', NULL, NULL),
    (19, 'org = petshop-fr',                  NULL,      NULL,            NULL,      NULL,         NULL,       NULL,      NULL, 'petshop-fr'),
    (20, 'typical user, up to a date',        u100.name, NULL,            NULL,      NULL,         m.anchor - 100, NULL,  NULL, NULL)
) AS v;
