-- test/tap/trigger_subxact.sql — queued row events and subtransactions of
-- other triggers in the same statement.
--
-- A row trigger of the application that runs a plpgsql EXCEPTION block
-- (a subtransaction) may have auditlog's queued events written inside it
-- (its queries start by flushing the queue), but must not lose them when
-- the block rolls back while the rows stay, write them twice, or lose
-- events queued inside a block that commits.
BEGIN;
SELECT plan(4);
\ir setup/common.sql

CREATE TABLE tap_sx (id int PRIMARY KEY, v text);
CREATE TABLE tap_sx_side (id int);
SELECT auditlog.register_table('tap_sx');
CREATE FUNCTION tap_sx_side_effect() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        INSERT INTO tap_sx_side VALUES (NEW.id);   -- runs the executor: its hook fires
        IF NEW.v = 'bad' THEN
            RAISE EXCEPTION 'side effect refused';
        END IF;
    EXCEPTION WHEN others THEN
        NULL;                                      -- the block rolls back, the row stays
    END;
    RETURN NULL;
END
$$;
CREATE TRIGGER zz_side AFTER INSERT ON tap_sx FOR EACH ROW EXECUTE FUNCTION tap_sx_side_effect();

INSERT INTO tap_sx VALUES (1, 'ok'), (2, 'bad'), (3, 'ok'), (4, 'bad');

SELECT is((SELECT count(*) FROM tap_sx), 4::bigint, 'all four rows are in the table');
SELECT is((SELECT count(*) FROM tap_sx_side), 2::bigint, 'two side effects were rolled back');
SELECT set_eq($$SELECT resource_id FROM auditlog.events WHERE action = 'tap_sx.create'$$,
              ARRAY['1', '2', '3', '4'],
              'every row has its event, whichever blocks rolled back');
SELECT is((SELECT count(DISTINCT id) FROM auditlog.events WHERE action = 'tap_sx.create'), 4::bigint,
          'and no event is written twice');

SELECT * FROM finish();
ROLLBACK;
