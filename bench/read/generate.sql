-- bench/read/generate.sql — synthetic audit events for the read-path benchmark.
--
-- Run by bench/read.sh with psql variables n (events) and chunk (events per
-- statement). It recreates the auditlog extension in the current database (the
-- event store is append-only: starting afresh is the only way to refill it),
-- then loads n events through auditlog.import_event(), as a backfill would,
-- spread over the 365 days before today (session time zone), in time order so
-- that ids grow with occurred_at as they do in a live log.
--
-- The data is deterministic for a given n and chunk (setseed per chunk):
--   actors       ~40% 'system', the rest 300 named users ("First Last",
--                actor_id 'u-<n>'), Zipf-like: user 1 alone makes ~7% of all events
--   actions      37 actions over 10 resource types (plus auth.* on no resource);
--                system mostly refreshes tokens and runs scheduled jobs
--   resources    uuid-like ids drawn, skewed, from a pool per resource type
--   outcomes     90% success, 7% failure, 3% denied
--   orgs         org-1 .. org-5 (40/25/15/12/8%); a user belongs to one org
--   details      small objects on failures, logins and some updates (every
--                imported event also carries {"imported": true})

\set ON_ERROR_STOP on

SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench_plain CASCADE;
DROP SCHEMA IF EXISTS bench_read CASCADE;
SET auditlog.allow_drop = on;   -- starts again from an empty log, an earlier run's events too
DROP EXTENSION IF EXISTS auditlog CASCADE;
CREATE EXTENSION auditlog;
RESET client_min_messages;
CREATE SCHEMA bench_read;

CREATE TABLE bench_read.meta (
    n bigint NOT NULL,
    chunk int NOT NULL,
    anchor date NOT NULL,          -- events fall in [anchor - 365 days, anchor)
    started_at timestamptz NOT NULL,
    generate_s numeric,            -- import_event calls
    plain_s numeric,               -- filling and indexing bench_plain.events
    analyze_s numeric
);

-- Resource types and the size of their id pools.
CREATE TABLE bench_read.resource_types (rtype text PRIMARY KEY, pool int NOT NULL);
INSERT INTO bench_read.resource_types VALUES
    ('connection', 3000), ('credential', 3000), ('user', 1200), ('team', 80),
    ('role', 25), ('project', 800), ('api_key', 1500), ('webhook', 400),
    ('schedule', 600), ('report', 2000);

-- The action mix: weight per mille among system events and among user events.
CREATE TABLE bench_read.actions (
    idx int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    action text NOT NULL UNIQUE,
    rtype text REFERENCES bench_read.resource_types,
    w_system int NOT NULL,
    w_user int NOT NULL
);
INSERT INTO bench_read.actions (action, rtype, w_system, w_user) VALUES
    ('auth.login',               NULL,           0, 220),
    ('auth.logout',              NULL,           0,  90),
    ('auth.mfa_verify',          NULL,           0,  50),
    ('connection.create',        'connection',   0,  25),
    ('connection.update',        'connection',   0,  60),
    ('connection.delete',        'connection',   0,  10),
    ('connection.test',          'connection',   0,  50),
    ('connection.sync',          'connection', 120,  20),
    -- "System refreshed an OAuth token for a connection": the resource is the connection
    ('credential.token_refresh', 'connection', 600,  10),
    ('credential.create',        'credential',   0,  20),
    ('credential.delete',        'credential',   0,   5),
    ('credential.rotate',        'credential',  20,  10),
    ('user.invite',              'user',         0,  15),
    ('user.update',              'user',         0,  25),
    ('user.delete',              'user',         0,   4),
    ('user.deactivate',          'user',        10,   4),
    ('team.create',              'team',         0,   5),
    ('team.update',              'team',         0,  12),
    ('team.delete',              'team',         0,   2),
    ('team.member_add',          'team',         0,  15),
    ('role.create',              'role',         0,   2),
    ('role.update',              'role',         0,   5),
    ('role.assign',              'role',         0,  12),
    ('project.create',           'project',      0,  15),
    ('project.update',           'project',      0,  80),
    ('project.delete',           'project',      0,   5),
    ('project.archive',          'project',      0,   8),
    ('api_key.create',           'api_key',      0,  10),
    ('api_key.revoke',           'api_key',      0,   5),
    ('webhook.create',           'webhook',      0,   8),
    ('webhook.update',           'webhook',      0,  12),
    ('webhook.delete',           'webhook',      0,   3),
    ('webhook.deliver',          'webhook',     60,   0),
    ('schedule.create',          'schedule',     0,  10),
    ('schedule.update',          'schedule',     0,  18),
    ('schedule.run',             'schedule',   180,   0),
    ('report.export',            'report',      10,  60);

-- 300 named users, unique names; user n belongs to one org.
CREATE TABLE bench_read.users (n int PRIMARY KEY, name text NOT NULL, actor_id text NOT NULL, org int NOT NULL);
WITH f(a) AS (SELECT ARRAY['Alice','Bruno','Chloe','Daniel','Emma','Farid','Grace','Hugo',
                           'Ines','Jonas','Karin','Liam','Maya','Nora','Oscar','Paula',
                           'Quentin','Rosa','Samir','Tara','Umar','Vera','Wendy','Xavier',
                           'Yara','Zoe','Milan','Lena','Omar','Ruth']),
     l(a) AS (SELECT ARRAY['Anders','Becker','Costa','Dubois','Evans','Fischer','Garcia',
                           'Horvat','Ito','Jansen','Kowalski','Lindqvist','Moreau','Nakamura',
                           'Okafor','Petrov','Quinn','Rossi','Silva','Tanaka']),
     o(a) AS (SELECT array_agg(CASE WHEN b < 40 THEN 1 WHEN b < 65 THEN 2 WHEN b < 80 THEN 3
                                    WHEN b < 92 THEN 4 ELSE 5 END ORDER BY b)
                FROM generate_series(0, 99) b)
INSERT INTO bench_read.users
SELECT g,
       CASE WHEN g = 1 THEN 'John Doe'
            ELSE f.a[1 + (g - 1) % 30] || ' ' || l.a[1 + (2 * ((g - 1) / 30) + (g - 1) % 30) % 20] END,
       'u-' || g,
       o.a[1 + (g * 37) % 100]
  FROM generate_series(1, 300) g, f, l, o;

-- The k-th id of a resource type's pool, shaped like a uuid.
CREATE FUNCTION bench_read.rid(rtype text, k int) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$
    SELECT substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-4' || substr(h, 14, 3) || '-a'
           || substr(h, 18, 3) || '-' || substr(h, 21, 12)
      FROM md5(rtype || ':' || k) h
$$;

CREATE PROCEDURE bench_read.generate(p_n bigint, p_chunk int)
    LANGUAGE plpgsql AS
$$
DECLARE
    v_anchor date := current_date;
    v_epoch0 double precision := extract(epoch FROM (current_date - 365)::timestamptz);
    v_step double precision := 365 * 86400.0 / p_n;     -- seconds between events
    v_act text[];
    v_typ text[];
    v_pool int[];
    v_sys int[];        -- lookup: uniform bucket -> action idx, system events
    v_usr int[];        -- same, user events
    v_uname text[];
    v_uorg int[];
    v_orgb int[];       -- lookup: bucket of 100 -> org, by weight
    v_outc auditlog.outcome[] := ARRAY['success', 'failure', 'denied']::auditlog.outcome[];
    v_errs text[] := ARRAY['timeout', 'invalid_grant', 'rate_limited', 'permission_denied'];
    v_lo bigint := 0;
    v_hi bigint;
    v_k int := 0;
    v_t0 timestamptz := clock_timestamp();
    v_done bigint;
BEGIN
    SELECT array_agg(a.action ORDER BY a.idx), array_agg(a.rtype ORDER BY a.idx),
           array_agg(coalesce(t.pool, 0) ORDER BY a.idx)
      INTO v_act, v_typ, v_pool
      FROM bench_read.actions a LEFT JOIN bench_read.resource_types t USING (rtype);
    SELECT array_agg(a.idx ORDER BY a.idx, g) INTO v_sys
      FROM bench_read.actions a, generate_series(1, a.w_system) g;
    SELECT array_agg(a.idx ORDER BY a.idx, g) INTO v_usr
      FROM bench_read.actions a, generate_series(1, a.w_user) g;
    SELECT array_agg(name ORDER BY n), array_agg(org ORDER BY n) INTO v_uname, v_uorg
      FROM bench_read.users;
    SELECT array_agg(CASE WHEN b < 40 THEN 1 WHEN b < 65 THEN 2 WHEN b < 80 THEN 3
                          WHEN b < 92 THEN 4 ELSE 5 END ORDER BY b)
      INTO v_orgb FROM generate_series(0, 99) b;

    INSERT INTO bench_read.meta (n, chunk, anchor, started_at) VALUES (p_n, p_chunk, v_anchor, v_t0);
    COMMIT;

    WHILE v_lo < p_n LOOP
        v_hi := least(v_lo + p_chunk, p_n);
        PERFORM setseed(((v_k * 7919) % 19997) / 10000.0 - 0.9998);
        -- Event i happens at a random moment of its own slot of the year, so
        -- occurred_at grows with i (and with the id import_event assigns).
        PERFORM count(auditlog.import_event(
                    to_timestamp(v_epoch0 + (e.i + e.rt) * v_step),
                    v_act[e.a],
                    v_typ[e.a],
                    CASE WHEN v_typ[e.a] IS NOT NULL
                         THEN bench_read.rid(v_typ[e.a], 1 + floor(v_pool[e.a] * e.rr * e.rr)::int) END,
                    v_outc[e.o],
                    CASE WHEN e.o = 3 THEN jsonb_build_object('error', 'permission_denied')
                         WHEN e.o = 2 THEN jsonb_build_object('error', v_errs[1 + floor(e.rd * 3)::int])
                         WHEN e.a = 1 THEN jsonb_build_object(
                                 'method', CASE WHEN e.rd < 0.7 THEN 'password' ELSE 'sso' END,
                                 'ip', '10.' || (e.u % 7) || '.' || (e.u % 251) || '.' || (1 + floor(e.rd * 250)::int))
                         WHEN v_act[e.a] LIKE '%.update' AND e.rd < 0.6
                              THEN jsonb_build_object('changed', jsonb_build_array(
                                       (ARRAY['name', 'settings', 'owner', 'schedule'])[1 + floor(e.rd * 6.66)::int]))
                    END,
                    CASE WHEN e.u = 0 THEN 'system' ELSE v_uname[e.u] END,
                    CASE WHEN e.u = 0 THEN NULL ELSE 'u-' || e.u END,
                    'org-' || CASE WHEN e.u = 0 THEN v_orgb[1 + floor(e.rg * 100)::int] ELSE v_uorg[e.u] END))
          FROM (SELECT r.i, r.rt, r.rr, r.rd, r.rg,
                       CASE WHEN r.rs < 0.40 THEN v_sys[1 + floor(r.ra * cardinality(v_sys))::int]
                            ELSE v_usr[1 + floor(r.ra * cardinality(v_usr))::int] END AS a,
                       CASE WHEN r.rs < 0.40 THEN 0
                            ELSE least(300, floor(exp(r.ru * ln(301.0)))::int) END AS u,
                       CASE WHEN r.ro < 0.90 THEN 1 WHEN r.ro < 0.97 THEN 2 ELSE 3 END AS o
                  FROM (SELECT i, random() AS rs, random() AS ru, random() AS ra, random() AS rr,
                               random() AS ro, random() AS rd, random() AS rg, random() AS rt
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

CALL bench_read.generate(:n, :chunk);

-- Bring the precomputed counts up to date, as a scheduled
-- auditlog.summarize() would have done while the events arrived. Two calls:
-- the first records the horizon, the second (a new transaction) moves the
-- watermark to it.
\set QUIET on
SELECT auditlog.summarize(100000000) AS summarized \gset
SELECT auditlog.summarize(100000000) AS summarized \gset
\echo summarized :summarized events
-- what autovacuum would do soon after: sums over the counts read only their index
VACUUM ANALYZE auditlog.event_counts;
