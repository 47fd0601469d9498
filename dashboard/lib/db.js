// dashboard/lib/db.js — everything the page asks the database, through auditlog's SQL API.
//
// Each request is one read-only transaction: the viewer's time zone is set
// for it alone (set_config(..., true) is SET LOCAL with a bound value), so
// that search()'s whole-day date filters and format_time() both follow it.
// Every value is a bound parameter; no SQL text is ever built from input.

import pg from 'pg';

// The arguments of search() and event_count() after the filters, in order.
const FILTER_SQL = `actor => $1, action => $2, resource_type => $3,
                    from_date => $4::date, to_date => $5::date, outcome => $6::auditlog.outcome`;

// The signature of auditlog.export() announced in DESIGN.md ("Export and feed").
const EXPORT_SIGNATURE = 'auditlog.export(text,text,text,date,date,auditlog.outcome,text,text,text,bigint)';

// The columns of auditlog.events, in their order: what an export holds.
export const EVENT_COLUMNS = ['id', 'occurred_at', 'actor', 'actor_id', 'action', 'resource_type',
    'resource_id', 'outcome', 'org_id', 'details', 'db_user', 'client_addr', 'application_name', 'txid'];

// A pool from the environment: DATABASE_URL when set, else the standard
// PG* variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, ...),
// which node-postgres reads itself.
// Time limits, so that a slow or locked database, or a client that stops
// reading an export, cannot hold the pool's connections for ever: a query
// over 30 s is cancelled, a transaction left idle for 60 s (an export
// nobody reads) is ended by the server, and a request that waits 10 s for
// a connection is answered 503.
export const POOL_LIMITS = {
    statement_timeout: 30000,
    idle_in_transaction_session_timeout: 60000,
    connectionTimeoutMillis: 10000,
};

export function poolFromEnv(env = process.env, extra = {}) {
    const config = { max: 4, application_name: 'auditlog-dashboard', ...POOL_LIMITS, ...extra };
    if (env.DATABASE_URL)
        config.connectionString = env.DATABASE_URL;
    return new pg.Pool(config);
}

function filterValues(args) {
    return [args.actor, args.action, args.resourceType, args.fromDate, args.toDate, args.outcome];
}

// The time zones the server knows, read once: a viewer's zone is applied only
// when it is one of them.
export class TimeZones {
    constructor(pool) {
        this.pool = pool;
        this.names = null;
    }

    async load() {
        if (!this.names) {
            const r = await this.pool.query('SELECT name FROM pg_catalog.pg_timezone_names');
            this.names = new Set(r.rows.map(row => row.name));
        }
        return this.names;
    }

    async isValid(name) {
        return typeof name === 'string' && (await this.load()).has(name);
    }
}

// Runs fn(client) inside one read-only transaction whose TimeZone is tz (or
// the session default when tz is null). Returns fn's result.
export async function inReadTransaction(pool, tz, fn, { repeatable = false } = {}) {
    const client = await pool.connect();
    let broken = false;
    try {
        await client.query(repeatable ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN READ ONLY');
        if (tz)
            await client.query("SELECT pg_catalog.set_config('TimeZone', $1, true)", [tz]);
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
    } catch (err) {
        try {
            await client.query('ROLLBACK');
        } catch {
            broken = true;
        }
        throw err;
    } finally {
        client.release(broken);
    }
}

// One page of events, newest first, with what the page shows of each row.
// Asks for one row more than it shows, to know whether an Older page exists.
export async function fetchPage(client, args, pageSize, beforeId) {
    const r = await client.query(
        `SELECT s.id, s.occurred_at::text AS occurred_at, auditlog.format_time(s.occurred_at) AS time_label,
                s.actor, auditlog.initials(s.actor) AS initials, s.action,
                s.resource_type, s.resource_id, s.outcome::text AS outcome,
                auditlog.outcome_label(s.outcome) AS outcome_label, s.total_count
           FROM auditlog.search(${FILTER_SQL}, page_size => $7, before_id => $8::bigint) s`,
        [...filterValues(args), pageSize + 1, beforeId]);
    const rows = r.rows.slice(0, pageSize);
    let total;
    if (r.rows.length > 0)
        total = BigInt(r.rows[0].total_count);
    else
        total = await countEvents(client, args);
    return { rows, total, hasOlder: r.rows.length > pageSize };
}

export async function countEvents(client, args) {
    const r = await client.query(`SELECT auditlog.event_count(${FILTER_SQL}) AS n`, filterValues(args));
    return BigInt(r.rows[0].n);
}

// The dropdowns' choices: { actor: [{value, label}], action: [...], resource_type: [...] }.
export async function filterOptions(client) {
    const r = await client.query('SELECT kind, value, label FROM auditlog.filter_options()');
    const options = { actor: [], action: [], resource_type: [] };
    for (const row of r.rows)
        (options[row.kind] ??= []).push({ value: row.value, label: row.label });
    return options;
}

// The session's time zone, as the page states it.
export async function currentTimeZone(client) {
    const r = await client.query("SELECT pg_catalog.current_setting('TimeZone') AS tz");
    return r.rows[0].tz;
}

// Whether auditlog.export() exists and this role may call it.
export async function hasExport(client) {
    const r = await client.query(
        `SELECT p IS NOT NULL AND pg_catalog.has_function_privilege(p, 'EXECUTE') AS ok
           FROM pg_catalog.to_regprocedure($1) AS p`, [EXPORT_SIGNATURE]);
    return r.rows[0].ok === true;
}

// Streams auditlog.export()'s lines through a cursor, batch by batch:
// calls onLines(lines) for each batch and awaits it (for back-pressure).
// Stops early when onLines returns false.
export async function streamExport(client, args, format, onLines, batch = 5000) {
    await client.query(
        `DECLARE auditlog_dashboard_export NO SCROLL CURSOR FOR
         SELECT line FROM auditlog.export($1, $2, $3, $4::date, $5::date, $6::auditlog.outcome,
                                          NULL, NULL, $7, NULL) AS line`,
        [...filterValues(args), format]);
    for (;;) {
        const r = await client.query(`FETCH FORWARD ${batch} FROM auditlog_dashboard_export`);
        if (r.rows.length === 0)
            break;
        if ((await onLines(r.rows.map(row => row.line))) === false)
            break;
        if (r.rows.length < batch)
            break;
    }
    await client.query('CLOSE auditlog_dashboard_export');
}

// Until export() exists: the events of the filters, newest first, page by
// page through search() with before_id. Calls onRows(rows) per page, each
// row with the columns of auditlog.events as text (details as JSON text)
// and json: the row as one JSON object in column order.
export async function streamSearch(client, args, onRows, pageSize = 5000) {
    let beforeId = null;
    for (;;) {
        const r = await client.query(
            `SELECT x.id::text AS id, x.occurred_at::text AS occurred_at, x.actor, x.actor_id, x.action,
                    x.resource_type, x.resource_id, x.outcome::text AS outcome, x.org_id,
                    x.details::text AS details, x.db_user, x.client_addr,
                    x.application_name, x.txid::text AS txid, pg_catalog.row_to_json(x)::text AS json
               FROM (SELECT s.id, s.occurred_at, s.actor, s.actor_id, s.action, s.resource_type,
                            s.resource_id, s.outcome, s.org_id, s.details, s.db_user, s.client_addr,
                            s.application_name, s.txid
                       FROM auditlog.search(${FILTER_SQL}, page_size => $7, before_id => $8::bigint) s) x`,
            [...filterValues(args), pageSize, beforeId]);
        if (r.rows.length === 0)
            break;
        if ((await onRows(r.rows)) === false)
            break;
        if (r.rows.length < pageSize)
            break;
        beforeId = r.rows[r.rows.length - 1].id;
    }
}
