-- test/tap/tenants_api.sql - set_tenant(), unset_tenant() and auditlog.tenants:
-- what they store, every refusal with its SQLSTATE and hint, who may call
-- them (no tenant ever, whatever it was granted or however it calls), and
-- that each change of a tenant is itself an event.
BEGIN;
SELECT plan(46);
\ir setup/common.sql

CREATE ROLE auditlog_tap_ten_admin;          -- granted set_tenant and unset_tenant
CREATE ROLE auditlog_tap_ten_acme;           -- a tenant
CREATE ROLE auditlog_tap_ten_viewer IN ROLE auditlog_tap_ten_acme;   -- a member of it
CREATE ROLE auditlog_tap_ten_plain;          -- no tenant
CREATE ROLE auditlog_tap_ten_super SUPERUSER;
GRANT EXECUTE ON FUNCTION auditlog.set_tenant(regrole, text[]), auditlog.unset_tenant(regrole)
    TO auditlog_tap_ten_admin;

---------------------------------------------------------------------------
-- The objects.
---------------------------------------------------------------------------
SELECT has_function('auditlog', 'set_tenant', ARRAY['regrole', 'text[]'], 'set_tenant(regrole, text[]) exists');
SELECT has_function('auditlog', 'unset_tenant', ARRAY['regrole'], 'unset_tenant(regrole) exists');
SELECT results_eq($$SELECT a.attname::text COLLATE "default", format_type(a.atttypid, a.atttypmod)
                      FROM pg_attribute a WHERE a.attrelid = 'auditlog.tenants'::regclass AND a.attnum > 0
                     ORDER BY a.attnum$$,
                  $$VALUES ('role', 'regrole'), ('orgs', 'text[]')$$,
                  'the view auditlog.tenants has the columns role regrole, orgs text[]');
SELECT is(array(SELECT p.proname::text FROM pg_proc p
                 WHERE p.pronamespace = 'auditlog'::regnamespace
                   AND p.proname IN ('set_tenant', 'unset_tenant')
                   AND (has_function_privilege('public', p.oid, 'EXECUTE')
                        OR has_function_privilege('auditlog_tap_ten_plain', p.oid, 'EXECUTE'))),
          '{}'::text[], 'set_tenant and unset_tenant are granted to no one by default');
SELECT ok(NOT has_table_privilege('auditlog_tap_ten_plain', 'auditlog.tenants', 'SELECT')
          AND NOT has_table_privilege('auditlog_tap_ten_plain', 'auditlog.tenant_roles', 'SELECT'),
          'nor is the list of tenants readable');
SELECT ok((SELECT 'auditlog.tenant_roles'::regclass = ANY (extconfig) FROM pg_extension WHERE extname = 'auditlog'),
          'pg_dump keeps the tenants (pg_extension_config_dump)');

---------------------------------------------------------------------------
-- What set_tenant stores.
---------------------------------------------------------------------------
SELECT lives_ok($$SELECT auditlog.set_tenant('auditlog_tap_ten_acme', ARRAY['globex', 'acme', 'acme'])$$,
                'a superuser makes a role a tenant');
SELECT results_eq($$SELECT role::text, orgs FROM auditlog.tenants$$,
                  $$VALUES ('auditlog_tap_ten_acme', ARRAY['acme', 'globex'])$$,
                  'its organisations are stored sorted, each once');
SELECT lives_ok($$SELECT auditlog.set_tenant('auditlog_tap_ten_acme', ARRAY['acme'])$$, 'setting it again');
SELECT results_eq($$SELECT role::text, orgs FROM auditlog.tenants$$,
                  $$VALUES ('auditlog_tap_ten_acme', ARRAY['acme'])$$,
                  'replaces the list');
SELECT is((SELECT details FROM tap_events WHERE action = 'auditlog.set_tenant' ORDER BY id DESC LIMIT 1),
          '{"role": "auditlog_tap_ten_acme", "orgs": ["acme"]}'::jsonb,
          'each change is an event auditlog.set_tenant, with the role and its organisations');
SELECT is((SELECT resource_type || ' ' || resource_id FROM tap_events WHERE action = 'auditlog.set_tenant'
            ORDER BY id DESC LIMIT 1),
          'tenant auditlog_tap_ten_acme', 'on resource tenant, the role');
ALTER ROLE auditlog_tap_ten_acme RENAME TO auditlog_tap_ten_acme2;
SELECT is((SELECT role::text FROM auditlog.tenants), 'auditlog_tap_ten_acme2',
          'a renamed role stays a tenant (the role is kept by oid, shown by name)');
ALTER ROLE auditlog_tap_ten_acme2 RENAME TO auditlog_tap_ten_acme;
SELECT lives_ok($$SELECT auditlog.set_tenant('auditlog_tap_ten_plain', '{}')$$, 'an empty list is a tenant too');
SELECT is((SELECT orgs FROM auditlog.tenants WHERE role = 'auditlog_tap_ten_plain'::regrole), '{}'::text[],
          'with no organisations');
SELECT lives_ok($$SELECT auditlog.unset_tenant('auditlog_tap_ten_plain')$$, 'unset_tenant lifts it');
SELECT is((SELECT count(*) FROM auditlog.tenants WHERE role = 'auditlog_tap_ten_plain'::regrole), 0::bigint,
          'the role is no tenant any more');
SELECT is((SELECT details FROM tap_events WHERE action = 'auditlog.unset_tenant' ORDER BY id DESC LIMIT 1),
          '{"role": "auditlog_tap_ten_plain", "orgs": null}'::jsonb, 'which is an event auditlog.unset_tenant');

---------------------------------------------------------------------------
-- Bad input: an SQLSTATE, a message naming the value, a hint.
---------------------------------------------------------------------------
SELECT is(pg_temp.error_of($$SELECT auditlog.set_tenant(NULL, '{acme}')$$) - 'detail',
          jsonb_build_object('sqlstate', '22004', 'message', 'role must not be null', 'hint',
                             'Pass the role that is to read only some organisations'' events, such as ''acme_dashboard''.'),
          'set_tenant: a NULL role');
SELECT is(pg_temp.error_of($$SELECT auditlog.set_tenant('auditlog_tap_ten_plain', NULL)$$) - 'detail',
          jsonb_build_object('sqlstate', '22004', 'message', 'orgs must not be null', 'hint',
                             'Pass the organisations the role may read, such as ARRAY[''acme''], or ''{}'' for none.'),
          'set_tenant: NULL orgs');
SELECT is(pg_temp.error_of($$SELECT auditlog.set_tenant('auditlog_tap_ten_plain', ARRAY['acme', NULL])$$)->>'message',
          'orgs must not contain null', 'set_tenant: a NULL organisation');
SELECT is(pg_temp.error_of($$SELECT auditlog.set_tenant('auditlog_tap_ten_plain', ARRAY['acme', ''])$$)->>'sqlstate',
          '22023', 'set_tenant: an empty organisation (22023)');
SELECT is(pg_temp.error_of($$SELECT auditlog.set_tenant('auditlog_tap_ten_plain', ARRAY[repeat('o', 300)])$$)->>'sqlstate',
          '22001', 'set_tenant: an organisation too long to be an org_id (22001)');
SELECT is(pg_temp.error_of($$SELECT auditlog.set_tenant('auditlog_tap_ten_plain', ARRAY[['a'], ['b']])$$)->>'message',
          'orgs must be a one-dimensional array', 'set_tenant: a two-dimensional array');
SELECT throws_ok($$SELECT auditlog.set_tenant('auditlog_tap_ten_nobody', '{acme}')$$, '42704',
                 'role "auditlog_tap_ten_nobody" does not exist', 'set_tenant: an unknown role name');
SELECT is(pg_temp.error_of($$SELECT auditlog.set_tenant(4294967000::oid::regrole, '{acme}')$$) - 'detail',
          jsonb_build_object('sqlstate', '42704', 'message', 'role with OID 4294967000 does not exist',
                             'hint', 'Pass the name of an existing role.'),
          'set_tenant: an unknown role oid');
SELECT is(pg_temp.error_of($$SELECT auditlog.set_tenant('-', '{acme}')$$)->>'message', 'PUBLIC cannot be a tenant',
          'set_tenant: PUBLIC');
SELECT is(pg_temp.error_of($$SELECT auditlog.set_tenant('auditlog_tap_ten_super', '{acme}')$$) - 'detail',
          jsonb_build_object('sqlstate', '22023', 'message', 'superuser "auditlog_tap_ten_super" cannot be a tenant',
                             'hint', 'Make a role without SUPERUSER the tenant.'),
          'set_tenant: a superuser');
SELECT is(pg_temp.error_of($$SELECT auditlog.unset_tenant(NULL)$$) - 'detail',
          jsonb_build_object('sqlstate', '22004', 'message', 'role must not be null',
                             'hint', 'Pass a role listed by auditlog.tenants.'),
          'unset_tenant: a NULL role');
SELECT is(pg_temp.error_of($$SELECT auditlog.unset_tenant('auditlog_tap_ten_plain')$$) - 'detail',
          jsonb_build_object('sqlstate', '42704', 'message', 'role "auditlog_tap_ten_plain" is not a tenant',
                             'hint', 'auditlog.tenants lists the tenants.'),
          'unset_tenant: a role that is no tenant');
SELECT is(pg_temp.error_of($$SELECT auditlog.unset_tenant('-')$$)->>'message', 'PUBLIC is not a tenant',
          'unset_tenant: PUBLIC, named as such');
SAVEPOINT ro;
SET TRANSACTION READ ONLY;
SELECT throws_ok($$SELECT auditlog.set_tenant('auditlog_tap_ten_plain', '{acme}')$$, '25006', NULL,
                 'set_tenant: refused in a read-only transaction');
ROLLBACK TO SAVEPOINT ro;

---------------------------------------------------------------------------
-- Who may call them: an administrator granted them, never a tenant.
---------------------------------------------------------------------------
SET LOCAL ROLE auditlog_tap_ten_plain;
SELECT throws_ok($$SELECT auditlog.set_tenant('auditlog_tap_ten_plain', '{acme}')$$, '42501',
                 'permission denied for function set_tenant', 'a role without the grant cannot call set_tenant');
RESET ROLE;
SET LOCAL ROLE auditlog_tap_ten_admin;
SELECT lives_ok($$SELECT auditlog.set_tenant('auditlog_tap_ten_plain', '{globex}')$$,
                'an administrator granted EXECUTE makes a role a tenant');
SELECT lives_ok($$SELECT auditlog.unset_tenant('auditlog_tap_ten_plain')$$, 'and lifts it');
RESET ROLE;

-- A tenant granted EXECUTE itself, directly or through a role.
GRANT EXECUTE ON FUNCTION auditlog.set_tenant(regrole, text[]), auditlog.unset_tenant(regrole)
    TO auditlog_tap_ten_acme;
GRANT auditlog_tap_ten_admin TO auditlog_tap_ten_viewer;
SET LOCAL ROLE auditlog_tap_ten_acme;
SELECT is(pg_temp.error_of($$SELECT auditlog.set_tenant('auditlog_tap_ten_acme', '{acme,globex}')$$) - 'detail',
          jsonb_build_object('sqlstate', '42501', 'message', 'permission denied for function set_tenant', 'hint',
                             'Tenants cannot change tenants, whatever they were granted; ask an administrator who is not one.'),
          'a tenant granted EXECUTE still cannot widen itself (42501)');
SELECT throws_ok($$SELECT auditlog.unset_tenant('auditlog_tap_ten_acme')$$, '42501',
                 'permission denied for function unset_tenant', 'nor lift its restriction');
SELECT throws_ok($$SELECT auditlog.set_tenant('auditlog_tap_ten_plain', '{acme}')$$, '42501',
                 'permission denied for function set_tenant', 'nor make another role a tenant');
RESET ROLE;
SET SESSION AUTHORIZATION auditlog_tap_ten_viewer;
SELECT throws_ok($$SELECT auditlog.unset_tenant('auditlog_tap_ten_acme')$$, '42501',
                 'permission denied for function unset_tenant',
                 'a member of a tenant, granted the administrator''s role, cannot either');
SET ROLE auditlog_tap_ten_admin;
SELECT throws_ok($$SELECT auditlog.unset_tenant('auditlog_tap_ten_acme')$$, '42501',
                 'permission denied for function unset_tenant',
                 'nor after SET ROLE to that administrator role (the session is still the tenant''s)');
RESET ROLE;
RESET SESSION AUTHORIZATION;

-- Through SECURITY DEFINER functions, in either direction.
CREATE FUNCTION pg_temp.admin_unset(r regrole) RETURNS void LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$ SELECT auditlog.unset_tenant(r) $$;
ALTER FUNCTION pg_temp.admin_unset(regrole) OWNER TO auditlog_tap_ten_admin;
SET SESSION AUTHORIZATION auditlog_tap_ten_acme;
SELECT throws_ok($$SELECT pg_temp.admin_unset('auditlog_tap_ten_acme')$$, '42501',
                 'permission denied for function unset_tenant',
                 'a tenant''s session calling an administrator''s SECURITY DEFINER function is refused');
RESET SESSION AUTHORIZATION;
CREATE FUNCTION pg_temp.tenant_widen() RETURNS void LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $$ SELECT auditlog.set_tenant('auditlog_tap_ten_acme', '{acme,globex}') $$;
ALTER FUNCTION pg_temp.tenant_widen() OWNER TO auditlog_tap_ten_acme;
SELECT throws_ok($$SELECT pg_temp.tenant_widen()$$, '42501', 'permission denied for function set_tenant',
                 'a tenant''s SECURITY DEFINER function called by a superuser is refused too');
SELECT is((SELECT orgs FROM auditlog.tenants WHERE role = 'auditlog_tap_ten_acme'::regrole), ARRAY['acme'],
          'and the tenant is unchanged');

-- Making a tenant of a role one is a member of would restrict oneself.
SET LOCAL ROLE auditlog_tap_ten_admin;
SELECT is(pg_temp.error_of($$SELECT auditlog.set_tenant('auditlog_tap_ten_admin', '{acme}')$$)->>'message',
          'cannot make role "auditlog_tap_ten_admin" a tenant: it would restrict you',
          'an administrator cannot make a tenant of a role it is a member of');
RESET ROLE;

---------------------------------------------------------------------------
-- A dropped role.
---------------------------------------------------------------------------
CREATE ROLE auditlog_tap_ten_gone;
SELECT auditlog.set_tenant('auditlog_tap_ten_gone', '{acme}');
SELECT 'auditlog_tap_ten_gone'::regrole::oid AS gone_oid \gset
DROP ROLE auditlog_tap_ten_gone;
SELECT is((SELECT role::text FROM auditlog.tenants WHERE role::oid = :gone_oid), :'gone_oid',
          'a dropped tenant role stays listed, by its oid');
SELECT lives_ok(format('SELECT auditlog.unset_tenant(%s::oid::regrole)', :gone_oid),
                'and unset_tenant removes it by that oid');

SELECT * FROM finish();
ROLLBACK;
