-- bench/throughput/schema.sql — inputs and the plain anchor of bench/throughput.sh.
--
-- Run once in a fresh database with psql variable n. Creates
--   bench_tp.inputs    n events to write, in the spirit of read.sh's "shop":
--                      60 actions (12 areas x 5 verbs, uniform; the 5 auth.*
--                      on no resource), 200 staff plus system (60%), every
--                      resource id distinct, outcomes 90/7/3, 8 stores drawn
--                      uniformly and independently of the actor, small details
--                      on a third of them, and a time in the past year, in
--                      order (for import_event)
--   bench_tp.events    the anchor: a plain table with the columns of
--                      auditlog.events, a primary key and the four indexes a
--                      developer usually writes (as read/shop/indexes.sql)
--   bench_tp.log_event(...), bench_tp.import_event(...)
--                      plpgsql functions with auditlog's signatures doing the
--                      equivalent insert: the same context (actor from the
--                      argument or the setting, database role, client
--                      address, application, transaction id), one row per call
--   bench_tp.rollup()  the anchor of summarize(): the new rows' counts per UTC
--                      day, actor, action, resource type, org and outcome,
--                      added into a plain table by one INSERT ... ON CONFLICT
--   bench_tp.summarize_all()
--                      auditlog.summarize() once per transaction until a call
--                      adds nothing (the first call after the writers ended
--                      only records the horizon)
-- and bench_tp.last, where the two procedures leave what they did.

\set ON_ERROR_STOP on

CREATE EXTENSION auditlog;
CREATE SCHEMA bench_tp;

CREATE TABLE bench_tp.inputs (
    i int PRIMARY KEY,
    occurred_at timestamptz NOT NULL,
    action text NOT NULL,
    resource_type text,
    resource_id text,
    outcome auditlog.outcome NOT NULL,
    details jsonb,
    actor text NOT NULL,
    actor_id text,
    org_id text
);

SELECT setseed(0.4242) AS seeded \gset
INSERT INTO bench_tp.inputs
SELECT g.i,
       now() - interval '365 days' + (interval '365 days' - interval '1 hour') * (g.i::double precision / :n),
       t.types[1 + x.ty] || '.' || t.verbs[1 + x.vb],
       CASE WHEN x.ty < 11 THEN t.types[1 + x.ty] END,
       CASE WHEN x.ty < 11 THEN left(t.types[1 + x.ty], 3) || '_' || lpad(to_hex((g.i * 2654435761::bigint) % 4294967296), 8, '0') END,
       CASE WHEN x.ro < 0.90 THEN 'success' WHEN x.ro < 0.97 THEN 'failure' ELSE 'denied' END::auditlog.outcome,
       CASE WHEN x.rd < 0.33 THEN jsonb_build_object('total', round((5 + x.rd * 1500)::numeric, 2), 'currency', 'EUR') END,
       CASE WHEN x.u = 0 THEN 'system' ELSE 'Staff Member ' || x.u END,
       CASE WHEN x.u = 0 THEN NULL ELSE 'emp-' || x.u END,
       t.orgs[1 + x.og]
  FROM generate_series(1, :n) AS g(i),
       LATERAL (SELECT floor(random() * 12)::int AS ty, floor(random() * 5)::int AS vb, random() AS ro, random() AS rd,
                       CASE WHEN random() < 0.6 THEN 0 ELSE least(200, 1 + floor(200 * random() ^ 2)::int) END AS u,
                       floor(random() * 8)::int AS og
                 WHERE g.i IS NOT NULL) AS x,
       (SELECT ARRAY['order', 'payment', 'refund', 'shipment', 'product', 'inventory', 'customer',
                     'cart', 'coupon', 'invoice', 'review', 'auth'] AS types,
               ARRAY['create', 'update', 'delete', 'sync', 'export'] AS verbs,
               ARRAY['acme-eu', 'acme-us', 'nordic-home', 'petshop-fr', 'bikes-de', 'books-uk',
                     'tea-jp', 'vinyl-nl'] AS orgs) AS t;
VACUUM ANALYZE bench_tp.inputs;

CREATE TABLE bench_tp.events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL,
    actor text NOT NULL,
    actor_id text,
    action text NOT NULL,
    resource_type text,
    resource_id text,
    outcome auditlog.outcome NOT NULL,
    org_id text,
    details jsonb,
    db_user text NOT NULL,
    client_addr inet,
    application_name text,
    txid bigint NOT NULL
);
CREATE INDEX ON bench_tp.events (occurred_at);
CREATE INDEX ON bench_tp.events (actor, occurred_at);
CREATE INDEX ON bench_tp.events (action text_pattern_ops, occurred_at);
CREATE INDEX ON bench_tp.events (resource_type, resource_id);
ALTER TABLE bench_tp.events SET (autovacuum_enabled = false);

CREATE FUNCTION bench_tp.log_event(
    action text, resource_type text DEFAULT NULL, resource_id text DEFAULT NULL,
    outcome auditlog.outcome DEFAULT 'success', details jsonb DEFAULT NULL,
    actor text DEFAULT NULL, actor_id text DEFAULT NULL, org_id text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql AS
$$
#variable_conflict use_variable
DECLARE
    v_id bigint;
BEGIN
    INSERT INTO bench_tp.events (occurred_at, actor, actor_id, action, resource_type, resource_id,
                                 outcome, org_id, details, db_user, client_addr, application_name, txid)
    VALUES (now(),
            coalesce(actor, nullif(current_setting('auditlog.actor', true), ''), session_user),
            coalesce(actor_id, nullif(current_setting('auditlog.actor_id', true), '')),
            action, resource_type, resource_id, outcome,
            coalesce(org_id, nullif(current_setting('auditlog.org_id', true), '')),
            details, session_user, inet_client_addr(), nullif(current_setting('application_name'), ''),
            txid_current())
    RETURNING id INTO v_id;
    RETURN v_id;
END
$$;

CREATE FUNCTION bench_tp.import_event(
    occurred_at timestamptz, action text, resource_type text DEFAULT NULL, resource_id text DEFAULT NULL,
    outcome auditlog.outcome DEFAULT 'success', details jsonb DEFAULT NULL,
    actor text DEFAULT NULL, actor_id text DEFAULT NULL, org_id text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql AS
$$
#variable_conflict use_variable
DECLARE
    v_id bigint;
BEGIN
    IF occurred_at > now() THEN
        RAISE EXCEPTION 'occurred_at % is in the future', occurred_at;
    END IF;
    INSERT INTO bench_tp.events (occurred_at, actor, actor_id, action, resource_type, resource_id,
                                 outcome, org_id, details, db_user, client_addr, application_name, txid)
    VALUES (occurred_at,
            coalesce(actor, nullif(current_setting('auditlog.actor', true), ''), session_user),
            coalesce(actor_id, nullif(current_setting('auditlog.actor_id', true), '')),
            action, resource_type, resource_id, outcome,
            coalesce(org_id, nullif(current_setting('auditlog.org_id', true), '')),
            coalesce(details, '{}') || '{"imported": true}', session_user, inet_client_addr(),
            nullif(current_setting('application_name'), ''), txid_current())
    RETURNING id INTO v_id;
    RETURN v_id;
END
$$;

CREATE TABLE bench_tp.last (what text PRIMARY KEY, events bigint NOT NULL, calls int NOT NULL);

CREATE TABLE bench_tp.counts (
    day timestamptz NOT NULL,
    actor text NOT NULL,
    action text NOT NULL,
    resource_type text NOT NULL,     -- '' for none
    org_id text NOT NULL,            -- '' for none
    outcome auditlog.outcome NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (day, actor, action, resource_type, org_id, outcome)
);
CREATE TABLE bench_tp.rollup_state (upto bigint NOT NULL);
INSERT INTO bench_tp.rollup_state VALUES (0);

CREATE PROCEDURE bench_tp.rollup()
LANGUAGE plpgsql AS
$$
DECLARE
    v_from bigint := (SELECT upto FROM bench_tp.rollup_state);
    v_to bigint := (SELECT coalesce(max(id), 0) FROM bench_tp.events);
    v_n bigint;
BEGIN
    WITH agg AS (
        SELECT date_trunc('day', occurred_at, 'UTC') AS day, actor, action,
               coalesce(resource_type, '') AS resource_type, coalesce(org_id, '') AS org_id,
               outcome, count(*) AS n
          FROM bench_tp.events
         WHERE id > v_from AND id <= v_to
         GROUP BY 1, 2, 3, 4, 5, 6),
    ins AS (
        INSERT INTO bench_tp.counts AS c SELECT * FROM agg
        ON CONFLICT (day, actor, action, resource_type, org_id, outcome) DO UPDATE SET n = c.n + excluded.n)
    SELECT coalesce(sum(n), 0) INTO v_n FROM agg;
    UPDATE bench_tp.rollup_state SET upto = v_to;
    INSERT INTO bench_tp.last VALUES ('rollup', v_n, 1)
        ON CONFLICT (what) DO UPDATE SET events = excluded.events, calls = excluded.calls;
    COMMIT;
END
$$;

CREATE PROCEDURE bench_tp.summarize_all()
LANGUAGE plpgsql AS
$$
DECLARE
    v_total bigint := 0;
    v_added bigint;
    v_calls int := 0;
BEGIN
    LOOP
        v_added := auditlog.summarize();
        v_calls := v_calls + 1;
        v_total := v_total + v_added;
        COMMIT;
        EXIT WHEN v_added = 0 AND v_calls > 1;
    END LOOP;
    INSERT INTO bench_tp.last VALUES ('summarize', v_total, v_calls)
        ON CONFLICT (what) DO UPDATE SET events = excluded.events, calls = excluded.calls;
    COMMIT;
END
$$;
