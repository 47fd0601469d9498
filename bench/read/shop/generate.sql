-- bench/read/shop/generate.sql — generator "shop": the back office of an online
-- shop, shaped independently of "saas" for the read-path benchmark.
--
-- Run by bench/read.sh after read/setup.sql, in the same database. It loads
-- bench_read.meta's n events through auditlog.import_event(), chunk events
-- per statement, over the 365 days before meta.anchor (session time zone), in
-- time order so that ids grow with occurred_at.
--
-- Where "saas" is even in time, Zipf-skewed in users and reuses resources from
-- small pools, this one differs on every axis a search might depend on:
--   time         the rate triples over the year (linear growth) and follows a
--                daily cycle: 9 times more events at noon (UTC) than at midnight
--   actors       ~60% 'system' (the storefront, payment and carrier hooks); the
--                rest 200 staff ("First Last", actor_id 'emp-<n>'), user k making
--                sqrt(k/200) - sqrt((k-1)/200) of the staff events: user 1 ~2.8% of all
--                events, user 100 ~0.14%, user 200 ~0.10%
--   actions      60 actions over 18 resource types (auth.* on no resource),
--                from order.create (~7.6%) down to customer.merge (~0.06%)
--   resources    every event on a resource has an id of its own: no id repeats
--   outcomes     90% success, 7% failure, 3% denied
--   orgs         8 stores (30/20/15/10/10/8/5/2%); a staff member works for one
--   details      small objects on orders, payments, logins and failures
-- Deterministic for a given n and chunk (setseed per chunk).

\set ON_ERROR_STOP on

-- The action mix: relative weight among system events and among staff events.
CREATE TABLE bench_read.actions (
    idx int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    action text NOT NULL UNIQUE,
    rtype text,                 -- NULL: an action on no resource
    w_system int NOT NULL,
    w_user int NOT NULL
);
INSERT INTO bench_read.actions (action, rtype, w_system, w_user) VALUES
    ('auth.login',                NULL,         0, 120),
    ('auth.logout',               NULL,         0,  60),
    ('auth.password_reset',       NULL,         0,   6),
    ('auth.mfa_challenge',        NULL,         0,  25),
    ('auth.token_issue',          NULL,        20,   0),
    ('order.create',              'order',    150,  10),
    ('order.update',              'order',     40,  60),
    ('order.cancel',              'order',     10,  15),
    ('order.fulfill',             'order',     60,  20),
    ('order.note_add',            'order',      0,  30),
    ('order.archive',             'order',     25,   5),
    ('payment.authorize',         'payment',  120,   0),
    ('payment.capture',           'payment',  100,   5),
    ('payment.void',              'payment',    5,   3),
    ('payment.chargeback',        'payment',    2,   0),
    ('refund.create',             'refund',     3,  20),
    ('refund.approve',            'refund',     0,  12),
    ('refund.reject',             'refund',     0,   3),
    ('shipment.create',           'shipment',  60,  10),
    ('shipment.label_print',      'shipment',   0,  30),
    ('shipment.track_update',     'shipment', 110,   0),
    ('shipment.deliver',          'shipment',  40,   0),
    ('return.request',            'return',     8,   0),
    ('return.receive',            'return',     0,   8),
    ('return.close',              'return',     2,   5),
    ('product.create',            'product',    0,  18),
    ('product.update',            'product',    5,  55),
    ('product.delete',            'product',    0,   3),
    ('product.publish',           'product',    0,  12),
    ('product.price_change',      'product',   10,  20),
    ('inventory.adjust',          'inventory',  0,  25),
    ('inventory.sync',            'inventory', 90,   0),
    ('inventory.low_stock_alert', 'inventory', 15,   0),
    ('inventory.transfer',        'inventory',  0,   6),
    ('customer.create',           'customer',  60,   3),
    ('customer.update',           'customer',  20,  25),
    ('customer.delete',           'customer',   1,   2),
    ('customer.merge',            'customer',   0,   1),
    ('customer.export',           'customer',   0,   2),
    ('cart.abandon',              'cart',      45,   0),
    ('cart.recover_email',        'cart',      20,   0),
    ('coupon.create',             'coupon',     0,   6),
    ('coupon.update',             'coupon',     0,   4),
    ('coupon.expire',             'coupon',     6,   0),
    ('coupon.redeem',             'coupon',    30,   0),
    ('invoice.generate',          'invoice',   70,   2),
    ('invoice.send',              'invoice',   50,   3),
    ('invoice.void',              'invoice',    0,   2),
    ('review.submit',             'review',    25,   0),
    ('review.approve',            'review',     0,  15),
    ('review.reject',             'review',     0,   4),
    ('supplier.create',           'supplier',   0,   1),
    ('supplier.update',           'supplier',   0,   3),
    ('warehouse.update',          'warehouse',  0,   1),
    ('staff.invite',              'staff',      0,   2),
    ('staff.role_change',         'staff',      0,   2),
    ('staff.deactivate',          'staff',      0,   1),
    ('settings.update',           'settings',   0,   5),
    ('report.export',             'report',     4,  20),
    ('webhook.deliver',           'webhook',   80,   0);

-- The stores, by share of the events.
CREATE TABLE bench_read.orgs (k int PRIMARY KEY, org_id text NOT NULL UNIQUE, pct int NOT NULL);
INSERT INTO bench_read.orgs VALUES
    (1, 'acme-eu', 30), (2, 'acme-us', 20), (3, 'nordic-home', 15), (4, 'petshop-fr', 10),
    (5, 'bikes-de', 10), (6, 'books-uk', 8), (7, 'tea-jp', 5), (8, 'vinyl-nl', 2);

-- 200 staff members, unique names; staff member n works for one store.
CREATE TABLE bench_read.users (n int PRIMARY KEY, name text NOT NULL, actor_id text NOT NULL, org int NOT NULL);
WITH f(a) AS (SELECT ARRAY['Adele','Boris','Carmen','Dmitri','Elif','Felix','Greta','Henrik',
                           'Ingrid','Jamal','Kenji','Lucia','Marek','Nadia','Otto','Priya',
                           'Rafael','Sofia','Tomas','Ulla']),
     l(a) AS (SELECT ARRAY['Albers','Brennan','Castillo','Dahl','Eriksen','Ferreira','Gruber',
                           'Haddad','Iversen','Jovanovic']),
     o(a) AS (SELECT array_agg(k ORDER BY k, g) FROM bench_read.orgs, generate_series(1, pct) g)
INSERT INTO bench_read.users
SELECT g, f.a[1 + (g - 1) % 20] || ' ' || l.a[1 + (g - 1) / 20], 'emp-' || g, o.a[1 + (g * 37) % 100]
  FROM generate_series(1, 200) g, f, l, o;

CREATE PROCEDURE bench_read.generate()
    LANGUAGE plpgsql AS
$$
DECLARE
    p_n bigint := (SELECT n FROM bench_read.meta);
    p_chunk int := (SELECT chunk FROM bench_read.meta);
    v_anchor date := (SELECT anchor FROM bench_read.meta);
    v_epoch0 double precision := extract(epoch FROM (v_anchor - 365)::timestamptz);
    v_act text[];
    v_typ text[];
    v_sys int[];        -- lookup: uniform bucket -> action idx, system events
    v_usr int[];        -- same, staff events
    v_uname text[];
    v_uorg int[];
    v_orgs text[];
    v_orgb int[];       -- lookup: bucket of 100 -> store, by share
    v_outc auditlog.outcome[] := ARRAY['success', 'failure', 'denied']::auditlog.outcome[];
    v_errs text[] := ARRAY['card_declined', 'gateway_timeout', 'out_of_stock', 'address_invalid'];
    v_lo bigint := 0;
    v_hi bigint;
    v_k int := 0;
    v_t0 timestamptz := clock_timestamp();
BEGIN
    SELECT array_agg(action ORDER BY idx), array_agg(rtype ORDER BY idx) INTO v_act, v_typ
      FROM bench_read.actions;
    SELECT array_agg(a.idx ORDER BY a.idx, g) INTO v_sys
      FROM bench_read.actions a, generate_series(1, a.w_system) g;
    SELECT array_agg(a.idx ORDER BY a.idx, g) INTO v_usr
      FROM bench_read.actions a, generate_series(1, a.w_user) g;
    SELECT array_agg(name ORDER BY n), array_agg(org ORDER BY n) INTO v_uname, v_uorg
      FROM bench_read.users;
    SELECT array_agg(org_id ORDER BY k) INTO v_orgs FROM bench_read.orgs;
    SELECT array_agg(k ORDER BY k, g) INTO v_orgb FROM bench_read.orgs, generate_series(1, pct) g;

    WHILE v_lo < p_n LOOP
        v_hi := least(v_lo + p_chunk, p_n);
        PERFORM setseed(((v_k * 6151) % 19993) / 10000.0 - 0.9996);
        -- Event i sits at quantile p = (i + jitter) / n of the year's event
        -- density 1 + 2x (x: fraction of the year), inverted in closed form,
        -- then its day's fraction is bent by the daily cycle f - 0.8 sin(2 pi f) / (2 pi),
        -- which is monotonic: occurred_at grows with i, as the ids do.
        PERFORM count(auditlog.import_event(
                    to_timestamp(v_epoch0 + 86400 * (floor(e.d) + (e.d - floor(e.d))
                                 - 0.8 * sin(2 * pi() * (e.d - floor(e.d))) / (2 * pi()))),
                    v_act[e.a],
                    v_typ[e.a],
                    -- odd multiplier modulo 2^32: a bijection, so no two events share an id
                    CASE WHEN v_typ[e.a] IS NOT NULL
                         THEN left(v_typ[e.a], 3) || '_' || lpad(to_hex(((e.i + 1) * 2654435761) % 4294967296), 8, '0') END,
                    v_outc[e.o],
                    CASE WHEN e.o = 3 THEN jsonb_build_object('reason', 'forbidden')
                         WHEN e.o = 2 THEN jsonb_build_object('error', v_errs[1 + floor(e.rd * 4)::int])
                         WHEN v_typ[e.a] IN ('order', 'payment', 'refund')
                              THEN jsonb_build_object('total', round((5 + e.rd * 495)::numeric, 2), 'currency', 'EUR')
                         WHEN e.a = 1 THEN jsonb_build_object('ip', '192.168.' || (e.u % 16) || '.' || (1 + floor(e.rd * 250)::int))
                    END,
                    CASE WHEN e.u = 0 THEN 'system' ELSE v_uname[e.u] END,
                    CASE WHEN e.u = 0 THEN NULL ELSE 'emp-' || e.u END,
                    v_orgs[CASE WHEN e.u = 0 THEN v_orgb[1 + floor(e.rg * 100)::int] ELSE v_uorg[e.u] END]))
          FROM (SELECT r.i, r.rd, r.rg,
                       least(365 * (sqrt(1 + 8 * (r.i + r.rt) / p_n) - 1) / 2, 365 - 1e-6) AS d,
                       CASE WHEN r.rs < 0.60 THEN v_sys[1 + floor(r.ra * cardinality(v_sys))::int]
                            ELSE v_usr[1 + floor(r.ra * cardinality(v_usr))::int] END AS a,
                       CASE WHEN r.rs < 0.60 THEN 0 ELSE least(200, 1 + floor(200 * r.ru * r.ru)::int) END AS u,
                       CASE WHEN r.ro < 0.90 THEN 1 WHEN r.ro < 0.97 THEN 2 ELSE 3 END AS o
                  FROM (SELECT i, random() AS rs, random() AS ru, random() AS ra, random() AS ro,
                               random() AS rd, random() AS rg, random() AS rt
                          FROM generate_series(v_lo, v_hi - 1) i
                        OFFSET 0) r
                OFFSET 0) e;
        COMMIT;
        v_lo := v_hi;
        v_k := v_k + 1;
        IF v_lo % 1000000 = 0 OR v_lo = p_n THEN
            RAISE NOTICE 'generated % of % events (% s)', v_lo, p_n,
                round(extract(epoch FROM clock_timestamp() - v_t0)::numeric, 1);
        END IF;
    END LOOP;

    UPDATE bench_read.meta SET generate_s = round(extract(epoch FROM clock_timestamp() - v_t0)::numeric, 1);
    COMMIT;
END
$$;

CALL bench_read.generate();
