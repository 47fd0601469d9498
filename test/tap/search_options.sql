-- test/tap/search_options.sql — auditlog.filter_options(): the choices of the
-- dashboard's three dropdowns, the values of committed events. kind names the
-- search() argument the value goes to (actor, action, resource_type); label
-- is what to show. Actors come first, system leading, then the actions with
-- their descriptions, then the resource types. Only values of committed
-- events (and registered actions) appear.
BEGIN;
SELECT plan(12);

\ir setup/common.sql
\ir setup/search_data.sql

CREATE TEMP TABLE opts AS SELECT * FROM auditlog.filter_options() WITH ORDINALITY AS o(kind, value, label, ord);

SELECT set_eq('SELECT DISTINCT kind FROM opts', ARRAY['actor', 'action', 'resource_type'],
              'three kinds of option, named after the arguments of search()');
SELECT is(array(SELECT kind FROM opts GROUP BY kind ORDER BY min(ord)), ARRAY['actor', 'action', 'resource_type'],
          'actors first, then actions, then resource types');
SELECT ok((SELECT bool_and(k.ok) FROM (
              SELECT max(ord) OVER (PARTITION BY kind) - min(ord) OVER (PARTITION BY kind) + 1
                     = count(*) OVER (PARTITION BY kind) AS ok FROM opts) k),
          'each kind in one block');

-- Actors: every actor of an event, system first, then by name.
SELECT set_eq('SELECT value FROM opts WHERE kind = ''actor''',
              'SELECT DISTINCT actor COLLATE "default" FROM auditlog.events',
              'the actors are those of the events');
SELECT is((SELECT value FROM opts WHERE kind = 'actor' ORDER BY ord LIMIT 1), 'system', 'system comes first');
SELECT is(array(SELECT value FROM opts WHERE kind = 'actor' AND value <> 'system' ORDER BY ord),
          array(SELECT DISTINCT actor COLLATE "default" FROM auditlog.events WHERE actor <> 'system'
                 ORDER BY 1),
          'then the others by name');
SELECT ok((SELECT bool_and(value = label) FROM opts WHERE kind = 'actor'), 'an actor is shown by its name');

-- Actions: those of the events and every described one (seeded, registered),
-- by name, shown by description when there is one.
SELECT results_eq('SELECT value, label FROM opts WHERE kind = ''action'' ORDER BY ord',
                  'SELECT action COLLATE "default", coalesce(description, action) COLLATE "default"
                     FROM auditlog.action_types
                    WHERE description IS NOT NULL OR action IN (SELECT action FROM auditlog.events)
                    ORDER BY action',
                  'the actions are those of the events and the described ones, by name, labelled with their description');
SELECT is((SELECT label FROM opts WHERE kind = 'action' AND value = 'auth.login'), 'User logged into the platform',
          'auth.login reads "User logged into the platform"');

-- Resource types: those of the events.
SELECT results_eq('SELECT value FROM opts WHERE kind = ''resource_type'' ORDER BY ord',
                  'SELECT DISTINCT resource_type COLLATE "default" FROM auditlog.events
                    WHERE resource_type IS NOT NULL ORDER BY 1',
                  'the resource types are those of the events, by name');

-- An event that rolls back leaves no option behind.
SAVEPOINT ghost;
SELECT auditlog.log_event('ghost.appear', 'phantom', 'p-1', actor => 'Ghost Writer') IS NOT NULL AS logged \gset
ROLLBACK TO SAVEPOINT ghost;
SELECT is_empty($$SELECT * FROM auditlog.filter_options()
                   WHERE value IN ('Ghost Writer', 'ghost.appear', 'phantom')$$,
                'the values of a rolled-back event are no options');

-- An actor appears with their first event.
SELECT auditlog.log_event('auth.login', actor => 'Newcomer') IS NOT NULL AS logged \gset
SELECT is((SELECT count(*) FROM auditlog.filter_options() WHERE kind = 'actor' AND value = 'Newcomer'), 1::bigint,
          'a new actor is an option as soon as their first event is written');

SELECT * FROM finish();
ROLLBACK;
