-- dashboard/demo.sql — a realistic month of audit events for the dashboard.
--
-- Run as a superuser in a scratch database (psql -f): it recreates the
-- extension there. Two organisations (acme, globex), seven people, the
-- system's jobs, and the application's connection table:
--   * the 30 days before today come from another system, backfilled with
--     auditlog.import_event() (logins, failed logins, token refreshes
--     every six hours, nightly syncs, reports, invitations, denials);
--   * then the table is registered, and today's changes go through the
--     application as it would make them: SET LOCAL auditlog.actor, plain
--     INSERT/UPDATE/DELETE, log_event() for what no row change shows.
-- Times are relative to today (UTC), and the random choices are seeded, so
-- the shape is the same at every run.

\set ON_ERROR_STOP on
SET client_min_messages = warning;
DROP TABLE IF EXISTS public.connection;
SET auditlog.allow_drop = on;   -- starts again from an empty log, an earlier run's events too
DROP EXTENSION IF EXISTS auditlog CASCADE;
CREATE EXTENSION auditlog;
RESET client_min_messages;
SET TimeZone = 'UTC';

-- The application's OAuth connections, as they stood a month ago.
CREATE TABLE public.connection (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    provider text NOT NULL,
    org text NOT NULL,
    access_token text,
    status text NOT NULL DEFAULT 'active'
);
INSERT INTO public.connection (id, name, provider, org, access_token) VALUES
    ('eae3a753-7bdc-4b4c-9f3e-1d2c3b4a5f60', 'Sales CRM',      'salesforce', 'acme',   'tok-a1'),
    ('3f1c9d2e-8a47-4e0b-b5d1-6c2a9e7f4b13', 'Support Desk',   'zendesk',    'acme',   'tok-a2'),
    ('9b7e4c21-5d3a-4f86-a0c2-e18d7b6f3a95', 'Billing',        'stripe',     'acme',   'tok-a3'),
    ('c4d2a8f1-6e39-4b7a-9d05-2f8e1c7b3a64', 'Data Warehouse', 'snowflake',  'globex', 'tok-g1'),
    ('71e5b3c9-0a2d-4c68-8f4e-b93d6a1e2c07', 'Team Chat',      'slack',      'globex', 'tok-g2');

-- The history: one loop over the days, each person and job acting as they do.
DO $$
DECLARE
    people CONSTANT text[][] := ARRAY[
        ARRAY['John Doe',      'u-1', 'acme'],
        ARRAY['Jane Roe',      'u-2', 'acme'],
        ARRAY['Ana Silva',     'u-3', 'acme'],
        ARRAY['Marc Dubois',   'u-4', 'acme'],
        ARRAY['Kenji Ito',     'u-5', 'globex'],
        ARRAY['Priya Nair',    'u-6', 'globex'],
        ARRAY['Élodie Durand', 'u-7', 'globex']];
    work CONSTANT text[][] := ARRAY[
        -- action, resource type, resource id prefix
        ARRAY['report.export',     'report',     'rep-'],
        ARRAY['connection.test',   'connection', ''],
        ARRAY['project.update',    'project',    'prj-'],
        ARRAY['user.invite',       'user',       'usr-'],
        ARRAY['api_key.create',    'api_key',    'key-'],
        ARRAY['role.assign',       'role',       'role-'],
        ARRAY['webhook.update',    'webhook',    'wh-']];
    conn record;
    day date;
    t timestamptz;
    p int;
    k int;
    w int;
    outcome text;           -- compared as text: the type's operators live in schema auditlog
    rid text;
BEGIN
    PERFORM setseed(0.42);
    -- The connections were created a month ago by someone of their org.
    FOR conn IN SELECT * FROM public.connection ORDER BY name LOOP
        PERFORM auditlog.import_event(
            (current_date - 31) + time '09:12' + random() * interval '6 hours',
            'connection.create', 'connection', conn.id::text, 'success',
            jsonb_build_object('new', jsonb_build_object('id', conn.id, 'name', conn.name,
                                                         'provider', conn.provider, 'org', conn.org)),
            CASE conn.org WHEN 'acme' THEN 'John Doe' ELSE 'Kenji Ito' END,
            CASE conn.org WHEN 'acme' THEN 'u-1' ELSE 'u-5' END, conn.org);
    END LOOP;

    FOR day IN SELECT d::date FROM generate_series(current_date - 30, current_date - 1, interval '1 day') d LOOP
        -- system: every connection's token is refreshed at 00:00, 06:00,
        -- 12:00 and 18:00 UTC by one job (so these events share a time).
        FOR h IN 0..3 LOOP
            t := day + make_interval(hours => 6 * h);
            FOR conn IN SELECT * FROM public.connection ORDER BY id LOOP
                outcome := CASE WHEN random() < 0.04 THEN 'failure' ELSE 'success' END;
                PERFORM auditlog.import_event(t, 'credential.token_refresh', 'connection', conn.id::text, outcome::auditlog.outcome,
                    CASE WHEN outcome = 'failure'
                         THEN jsonb_build_object('error', (ARRAY['invalid_grant', 'timeout'])[1 + floor(random() * 2)::int]) END,
                    'system', NULL, conn.org);
            END LOOP;
        END LOOP;
        -- system: the nightly sync of each connection, and the digest report.
        FOR conn IN SELECT * FROM public.connection ORDER BY id LOOP
            outcome := CASE WHEN random() < 0.03 THEN 'failure' ELSE 'success' END;
            PERFORM auditlog.import_event(day + time '02:30' + random() * interval '40 minutes',
                'connection.sync', 'connection', conn.id::text, outcome::auditlog.outcome,
                jsonb_build_object('rows', (random() * 50000)::int), 'system', NULL, conn.org);
        END LOOP;
        PERFORM auditlog.import_event(day + time '23:45', 'schedule.run', 'schedule', 'nightly-digest', 'success',
            NULL, 'system', NULL, 'acme');

        -- people work on weekdays; Kenji also logs in late (UTC) at weekends.
        FOR p IN 1..array_length(people, 1) LOOP
            IF extract(isodow FROM day) >= 6 THEN
                IF people[p][1] = 'Kenji Ito' AND random() < 0.6 THEN
                    PERFORM auditlog.import_event(day + time '23:10' + random() * interval '45 minutes',
                        'auth.login', NULL, NULL, 'success', '{"method": "sso"}', people[p][1], people[p][2], people[p][3]);
                END IF;
                CONTINUE;
            END IF;
            IF random() > 0.85 THEN
                CONTINUE;
            END IF;
            t := day + time '07:30' + random() * interval '2 hours';
            IF random() < 0.08 THEN
                PERFORM auditlog.import_event(t - interval '2 minutes', 'auth.login', NULL, NULL, 'failure',
                    '{"error": "wrong_password"}', people[p][1], people[p][2], people[p][3]);
            END IF;
            PERFORM auditlog.import_event(t, 'auth.login', NULL, NULL, 'success',
                jsonb_build_object('method', CASE WHEN random() < 0.7 THEN 'password' ELSE 'sso' END),
                people[p][1], people[p][2], people[p][3]);
            FOR k IN 1..(2 + (random() * 4)::int) LOOP
                t := t + random() * interval '90 minutes';
                w := 1 + floor(random() * array_length(work, 1))::int;
                IF work[w][2] = 'connection' THEN
                    SELECT c.id::text INTO rid FROM public.connection c
                     WHERE c.org = people[p][3] ORDER BY random() LIMIT 1;
                ELSE
                    rid := work[w][3] || (1 + (random() * 40)::int);
                END IF;
                -- Only some may invite users, create keys or assign roles.
                outcome := CASE WHEN work[w][1] IN ('user.invite', 'api_key.create', 'role.assign')
                                     AND people[p][1] IN ('Ana Silva', 'Priya Nair') THEN 'denied'
                                WHEN work[w][1] = 'connection.test' AND random() < 0.1 THEN 'failure'
                                ELSE 'success' END;
                PERFORM auditlog.import_event(t, work[w][1], work[w][2], rid, outcome::auditlog.outcome,
                    CASE outcome WHEN 'denied' THEN '{"reason": "missing_permission"}'::jsonb
                                 WHEN 'failure' THEN '{"error": "unreachable"}'::jsonb END,
                    people[p][1], people[p][2], people[p][3]);
            END LOOP;
            PERFORM auditlog.import_event(day + time '16:30' + random() * interval '2 hours', 'auth.logout',
                NULL, NULL, 'success', NULL, people[p][1], people[p][2], people[p][3]);
        END LOOP;
    END LOOP;
END
$$;

-- From now on every change of a connection is an event, with no app code.
SELECT auditlog.register_table('public.connection', redact_columns => '{access_token}', org_column => 'org') \gset

-- Today, through the application.
BEGIN;
SET LOCAL auditlog.actor = 'John Doe';
SET LOCAL auditlog.actor_id = 'u-1';
SET LOCAL auditlog.org_id = 'acme';
SELECT auditlog.log_event('auth.login', details => '{"method": "sso"}') \gset
UPDATE public.connection SET name = 'Sales CRM (EU)' WHERE id = 'eae3a753-7bdc-4b4c-9f3e-1d2c3b4a5f60';
COMMIT;

-- The system's morning refresh: one statement updates three rows (three
-- events with the same time), and one refresh fails.
BEGIN;
SET LOCAL auditlog.actor = 'system';
SET LOCAL auditlog.org_id = 'acme';
UPDATE public.connection SET access_token = access_token || '-r' WHERE org = 'acme';
SELECT auditlog.log_event('credential.token_refresh', 'connection', 'c4d2a8f1-6e39-4b7a-9d05-2f8e1c7b3a64',
                          'failure', '{"error": "invalid_grant"}', org_id => 'globex') \gset
COMMIT;

-- Kenji adds two connections at once and removes the chat one.
BEGIN;
SET LOCAL auditlog.actor = 'Kenji Ito';
SET LOCAL auditlog.actor_id = 'u-5';
SET LOCAL auditlog.org_id = 'globex';
SELECT auditlog.log_event('auth.login', details => '{"method": "password"}') \gset
INSERT INTO public.connection (id, name, provider, org, access_token) VALUES
    ('5a0e8c3d-2b71-4f9a-8e64-d1c7b2a9f035', 'Analytics', 'bigquery', 'globex', 'tok-g3'),
    ('e81b4f6a-93c2-4d05-b7a8-0f2e6c1d9b47', 'Marketing CRM', 'hubspot', 'globex', 'tok-g4');
DELETE FROM public.connection WHERE id = '71e5b3c9-0a2d-4c68-8f4e-b93d6a1e2c07';
COMMIT;

-- Priya may not create API keys; Marc's account is locked after failures.
BEGIN;
SET LOCAL auditlog.actor = 'Priya Nair';
SET LOCAL auditlog.actor_id = 'u-6';
SET LOCAL auditlog.org_id = 'globex';
SELECT auditlog.log_event('api_key.create', 'api_key', 'key-77', 'denied', '{"reason": "missing_permission"}') \gset
COMMIT;
BEGIN;
SET LOCAL auditlog.actor = 'Marc Dubois';
SET LOCAL auditlog.actor_id = 'u-4';
SET LOCAL auditlog.org_id = 'acme';
SELECT auditlog.log_event('auth.login', outcome => 'failure', details => '{"error": "wrong_password"}') \gset
SELECT auditlog.log_event('auth.login', outcome => 'denied', details => '{"reason": "account_locked"}') \gset
COMMIT;

-- What a scheduled auditlog.summarize() would have done by now.
SELECT auditlog.summarize() \gset
SELECT auditlog.summarize() \gset
SELECT count(*) AS events FROM auditlog.events \gset
\echo demo data: :events events
