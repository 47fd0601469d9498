-- test/tap/setup/seals.sql — what the pgTAP files about seals share: sealing
-- until the seals have caught up, and the seal format of README "Tamper
-- evidence" written out in SQL, from auditlog.events and auditlog.seals
-- alone, to recompute what the C code hashes. Included with \ir after
-- setup/common.sql; no test itself.

-- seal() until the seals cover the last event id given out: a single call
-- seals nothing while some other transaction that might still add an event
-- runs (whatever runs beside the test).
CREATE FUNCTION pg_temp.seal_all() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    total bigint := 0;
    last bigint;
BEGIN
    SELECT CASE WHEN is_called THEN last_value ELSE 0 END INTO last FROM auditlog.event_store_id_seq;
    FOR i IN 1..200 LOOP
        total := total + auditlog.seal();
        IF coalesce((SELECT max(s.last_id) FROM auditlog.seals s), 0) >= last
           OR NOT EXISTS (SELECT FROM auditlog.event_store e
                           WHERE e.id > coalesce((SELECT max(s.last_id) FROM auditlog.seals s), 0)) THEN
            RETURN total;
        END IF;
        PERFORM pg_sleep(0.05);
    END LOOP;
    RAISE EXCEPTION 'seal() does not catch up with event %', last;
END
$$;

-- One column: 0x00 for NULL, else 0x01, its length in bytes (4, big-endian)
-- and its text: the type's output, as the view shows it.
CREATE FUNCTION pg_temp.seal_field(v anyelement) RETURNS bytea LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN v IS NULL THEN '\x00'::bytea
                ELSE '\x01'::bytea || int4send(octet_length(format('%s', v)))
                     || convert_to(format('%s', v), current_setting('server_encoding')) END
$$;

-- An event's digest: its 14 columns, in the view's order, with TimeZone UTC
-- and DateStyle ISO.
CREATE FUNCTION pg_temp.event_digest(e auditlog.events) RETURNS bytea LANGUAGE sql STABLE
    SET TimeZone = 'UTC' SET DateStyle = 'ISO' AS $$
    SELECT sha256(pg_temp.seal_field(e.id) || pg_temp.seal_field(e.occurred_at)
                  || pg_temp.seal_field(e.actor) || pg_temp.seal_field(e.actor_id)
                  || pg_temp.seal_field(e.action) || pg_temp.seal_field(e.resource_type)
                  || pg_temp.seal_field(e.resource_id) || pg_temp.seal_field(e.outcome)
                  || pg_temp.seal_field(e.org_id) || pg_temp.seal_field(e.details)
                  || pg_temp.seal_field(e.db_user) || pg_temp.seal_field(e.client_addr)
                  || pg_temp.seal_field(e.application_name) || pg_temp.seal_field(e.txid))
$$;

-- A stored row's digest: auditlog.event_store's 14 columns, in its order.
CREATE FUNCTION pg_temp.row_digest(e auditlog.event_store) RETURNS bytea LANGUAGE sql STABLE
    SET TimeZone = 'UTC' SET DateStyle = 'ISO' AS $$
    SELECT sha256(pg_temp.seal_field(e.id) || pg_temp.seal_field(e.occurred_at)
                  || pg_temp.seal_field(e.txid) || pg_temp.seal_field(e.action_ref)
                  || pg_temp.seal_field(e.actor_ref) || pg_temp.seal_field(e.actor_id_ref)
                  || pg_temp.seal_field(e.resource_type_ref) || pg_temp.seal_field(e.org_ref)
                  || pg_temp.seal_field(e.db_user_ref) || pg_temp.seal_field(e.application_ref)
                  || pg_temp.seal_field(e.outcome) || pg_temp.seal_field(e.client_addr)
                  || pg_temp.seal_field(e.resource_id) || pg_temp.seal_field(e.details))
$$;

-- A seal's events_hash and rows_hash, recomputed from the events now in its range.
CREATE FUNCTION pg_temp.events_hash(s auditlog.seals) RETURNS bytea LANGUAGE sql STABLE AS $$
    SELECT sha256(coalesce(string_agg(pg_temp.event_digest(v), ''::bytea ORDER BY v.id), ''::bytea))
      FROM auditlog.events v WHERE v.id BETWEEN s.first_id AND s.last_id
$$;
CREATE FUNCTION pg_temp.rows_hash(s auditlog.seals) RETURNS bytea LANGUAGE sql STABLE AS $$
    SELECT sha256(coalesce(string_agg(pg_temp.row_digest(e), ''::bytea ORDER BY e.id), ''::bytea))
      FROM auditlog.event_store e WHERE e.id BETWEEN s.first_id AND s.last_id
$$;

-- A seal's hash, from its own fields.
CREATE FUNCTION pg_temp.seal_hash(s auditlog.seals) RETURNS bytea LANGUAGE sql STABLE AS $$
    SELECT sha256(convert_to('auditlog seal v1', 'UTF8')
                  || coalesce(s.prev_hash, decode(repeat('00', 32), 'hex'))
                  || int8send(s.id) || int8send(s.first_id) || int8send(s.last_id) || int8send(s.events)
                  || int8send((extract(epoch FROM s.sealed_at) * 1000000)::bigint)
                  || s.events_hash || s.rows_hash
                  || int4send(coalesce(array_length(s.gaps, 1), 0))
                  || coalesce((SELECT string_agg(int8send(g), ''::bytea ORDER BY o)
                                 FROM unnest(s.gaps) WITH ORDINALITY AS u(g, o)), ''::bytea))
$$;
