// dashboard/lib/app.js — the HTTP side: routes, time zone, errors, exports.
//
// createHandler() returns a (req, res) function for node:http. Routes:
//   GET /                 the audit log page (filters in the query)
//   GET /export.csv       the current filter as CSV (RFC 4180)
//   GET /export.ndjson    the current filter as NDJSON
//   GET /static/...       the stylesheet and the script
// Bad input is a page with a message and status 400; a database that
// cannot be reached is 503; nothing ever shows a stack trace.

import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { parseQuery } from './filters.js';
import { renderPage, renderMessage } from './render.js';
import * as db from './db.js';

const STATIC = {
    '/static/dashboard.css': ['text/css; charset=utf-8', '../public/dashboard.css'],
    '/static/dashboard.js': ['text/javascript; charset=utf-8', '../public/dashboard.js'],
};

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

const SECURITY_HEADERS = {
    'Content-Security-Policy': "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
        + "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'same-origin',
};

// Input the database refused (SQLSTATE class 22, data exception): the
// user's to fix, so its message is shown as it is.
function isUserError(err) {
    return typeof err?.code === 'string' && err.code.startsWith('22');
}

// The database is not there, or will not let us in.
function isUnavailable(err) {
    const code = err?.code;
    // 57014: statement_timeout (db.POOL_LIMITS); no code: the pool's wait for a connection
    return ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', '3D000', '57P01', '57P03',
        '57014'].includes(code)
        || (typeof code === 'string' && (code.startsWith('08') || code.startsWith('28')))
        || (code === undefined && /timeout exceeded when trying to connect/.test(err?.message ?? ''));
}

function userMessage(err) {
    return err.hint ? `${err.message}. ${err.hint}` : `${err.message}.`;
}

function cookies(req) {
    const out = {};
    for (const part of (req.headers.cookie ?? '').split(';')) {
        const i = part.indexOf('=');
        if (i > 0) {
            try {
                out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
            } catch {
                // a cookie that is not ours, or mangled: ignore it
            }
        }
    }
    return out;
}

// options: pool (pg.Pool), pageSize (rows per page, default 50),
// defaultTimeZone (when the viewer sends none; default: the session's),
// exportMode ('auto': auditlog.export() when it exists, 'search': always
// page through search()), allowedHosts (host names besides the loopback
// ones that the Host header may give), log (function for server-side errors).
export function createHandler(options) {
    const pool = options.pool;
    const pageSize = options.pageSize ?? 50;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 9999)
        throw new RangeError('pageSize must be an integer between 1 and 9999');
    const exportMode = options.exportMode ?? 'auto';
    const allowedHosts = new Set((options.allowedHosts ?? []).map(h => h.toLowerCase()));
    const log = options.log ?? (msg => console.error(msg));
    const zones = new db.TimeZones(pool);
    const files = {};
    for (const [path, [type, file]] of Object.entries(STATIC))
        files[path] = { type, body: readFileSync(new URL(file, import.meta.url)) };

    function send(res, status, type, body, extra = {}) {
        res.writeHead(status, { 'Content-Type': type, ...SECURITY_HEADERS, ...extra });
        res.end(res.req.method === 'HEAD' ? undefined : body);
    }

    function failure(res, err, what) {
        if (isUnavailable(err)) {
            log(`auditlog-dashboard: database unavailable during ${what}: ${err.message}`);
            send(res, 503, 'text/html; charset=utf-8',
                renderMessage('Audit Log unavailable', 'The audit log database cannot be reached right now. Try again in a moment.'),
                { 'Retry-After': '10' });
        } else if (err?.code === '42501') {
            log(`auditlog-dashboard: permission denied during ${what}: ${err.message}`);
            send(res, 500, 'text/html; charset=utf-8',
                renderMessage('Audit Log misconfigured', "The dashboard's database role lacks a privilege it needs "
                    + '(see "Privileges" in the README for the reader grants).'));
        } else {
            log(`auditlog-dashboard: error during ${what}: ${err?.stack ?? err}`);
            send(res, 500, 'text/html; charset=utf-8',
                renderMessage('Audit Log error', 'Something went wrong while reading the audit log. The server log says more.'));
        }
    }

    // The zone to apply: the query's tz, else the tz cookie the page's script
    // sets, else the configured default; only names the server knows.
    async function resolveZone(req, tzParam, notices) {
        const cookieZone = cookies(req).tz || null;
        for (const [zone, from] of [[tzParam, 'asked for'], [cookieZone, 'of your browser']]) {
            if (!zone)
                continue;
            if (await zones.isValid(zone))
                return zone;
            notices.push(`The time zone ${from}, "${zone}", is unknown to the database; times are shown in the default zone.`);
        }
        if (options.defaultTimeZone && await zones.isValid(options.defaultTimeZone))
            return options.defaultTimeZone;
        return null;
    }

    async function page(req, res, url, started) {
        const q = parseQuery(url.searchParams);
        const notices = [];
        const tz = await resolveZone(req, q.tz, notices);
        const tzParam = q.tz && tz === q.tz ? q.tz : null;   // kept in links only when valid
        const errors = [...q.errors];
        let result = null;
        const dbStart = performance.now();
        const read = async (withPage) => db.inReadTransaction(pool, tz, async client => ({
            options: await db.filterOptions(client),
            page: withPage ? await db.fetchPage(client, q.args, pageSize, q.beforeId) : null,
            timeZone: await db.currentTimeZone(client),
        }));
        try {
            try {
                result = await read(errors.length === 0);
            } catch (err) {
                if (!isUserError(err))
                    throw err;
                errors.push(userMessage(err));
                result = await read(false);
            }
        } catch (err) {
            return failure(res, err, 'the page');
        }
        const dbMs = performance.now() - dbStart;
        const html = renderPage({ raw: q.raw, options: result.options, page: result.page, errors, notices,
            timeZone: result.timeZone, tzParam });
        const totalMs = performance.now() - started;
        send(res, errors.length ? 400 : 200, 'text/html; charset=utf-8', html, {
            'Cache-Control': 'no-store',
            'Server-Timing': `db;dur=${dbMs.toFixed(1)}, total;dur=${totalMs.toFixed(1)}`,
        });
    }

    async function exportEvents(req, res, url, format) {
        const q = parseQuery(url.searchParams);
        const errors = [...q.errors];
        if (errors.length)
            return send(res, 400, 'text/html; charset=utf-8', renderMessage('Export refused', errors.join(' ')));
        const tz = await resolveZone(req, q.tz, []);
        const day = new Date().toISOString().slice(0, 10);
        const type = format === 'csv' ? 'text/csv; charset=utf-8; header=present' : 'application/x-ndjson; charset=utf-8';
        const eol = format === 'csv' ? '\r\n' : '\n';
        let started = false;
        let closed = false;
        res.on('close', () => { closed = true; });

        // Writes text, starting the response on first use; false once the
        // client has gone, so that the reading stops.
        async function write(text) {
            if (closed)
                return false;
            if (!started) {
                res.writeHead(200, {
                    'Content-Type': type,
                    'Content-Disposition': `attachment; filename="audit-log-${day}.${format}"`,
                    'Cache-Control': 'no-store',
                    ...SECURITY_HEADERS,
                });
                started = true;
                if (req.method === 'HEAD') {
                    res.end();
                    return false;
                }
            }
            if (!res.write(text)) {
                // one wait for either event, whose listeners both go after it
                const stop = new AbortController();
                try {
                    await Promise.race([once(res, 'drain', { signal: stop.signal }),
                        once(res, 'close', { signal: stop.signal })]);
                } finally {
                    stop.abort();
                }
            }
            return !closed;
        }

        try {
            await db.inReadTransaction(pool, tz, async client => {
                if (exportMode !== 'search' && await db.hasExport(client)) {
                    await db.streamExport(client, q.args, format, lines => write(lines.map(l => l + eol).join('')));
                    return;
                }
                if (format === 'csv' && !await write(db.EVENT_COLUMNS.join(',') + eol))
                    return;
                await db.streamSearch(client, q.args, rows => write(rows.map(r => format === 'csv'
                    ? db.EVENT_COLUMNS.map(c => csvField(r[c])).join(',') + eol
                    : r.json + eol).join('')));
            }, { repeatable: true });
            if (!started)
                await write('');
            res.end();
        } catch (err) {
            if (!started) {
                if (isUserError(err))
                    return send(res, 400, 'text/html; charset=utf-8', renderMessage('Export refused', userMessage(err)));
                return failure(res, err, 'an export');
            }
            log(`auditlog-dashboard: export broken off: ${err?.message ?? err}`);
            res.destroy(err);
        }
    }

    // The Host header must name this server (a loopback name, or one of
    // options.allowedHosts): a page elsewhere whose name was made to point
    // at 127.0.0.1 (DNS rebinding) must not read the log from a browser.
    function hostAllowed(header) {
        if (typeof header !== 'string' || header === '')
            return false;
        const m = /^(\[[0-9a-fA-F:.]+\]|[^:]+)(?::\d+)?$/.exec(header);
        if (!m)
            return false;
        const name = m[1].toLowerCase();
        return LOOPBACK_NAMES.has(name) || allowedHosts.has(name);
    }

    // Ready when the database answers: 200 "ok", else 503.
    async function health(res) {
        try {
            await pool.query('SELECT 1');
        } catch (err) {
            log(`auditlog-dashboard: health check: ${err?.message ?? err}`);
            return send(res, 503, 'text/plain; charset=utf-8', 'database unavailable\n',
                { 'Cache-Control': 'no-store', 'Retry-After': '10' });
        }
        return send(res, 200, 'text/plain; charset=utf-8', 'ok\n', { 'Cache-Control': 'no-store' });
    }

    return async function handler(req, res) {
        const started = performance.now();
        try {
            let url;
            try {
                url = new URL(req.url, 'http://dashboard.invalid');
            } catch {
                return send(res, 400, 'text/html; charset=utf-8',
                    renderMessage('Bad request', 'The address asked for is not one this page can read.'));
            }
            if (!hostAllowed(req.headers.host))
                return send(res, 421, 'text/html; charset=utf-8',
                    renderMessage('Wrong host', 'This dashboard answers only to the names it serves '
                        + '(DASHBOARD_ALLOWED_HOSTS in the README).'));
            if (req.method !== 'GET' && req.method !== 'HEAD')
                return send(res, 405, 'text/html; charset=utf-8',
                    renderMessage('Method not allowed', 'This page only reads.'), { Allow: 'GET, HEAD' });
            if (url.pathname === '/')
                return await page(req, res, url, started);
            if (url.pathname === '/export.csv')
                return await exportEvents(req, res, url, 'csv');
            if (url.pathname === '/export.ndjson')
                return await exportEvents(req, res, url, 'ndjson');
            if (files[url.pathname]) {
                const f = files[url.pathname];
                return send(res, 200, f.type, f.body, { 'Cache-Control': 'max-age=300' });
            }
            if (url.pathname === '/healthz')
                return await health(res);
            return send(res, 404, 'text/html; charset=utf-8', renderMessage('Not found', 'There is no such page here.'));
        } catch (err) {
            if (!res.headersSent)
                return failure(res, err, req.url);
            log(`auditlog-dashboard: ${err?.stack ?? err}`);
            res.destroy();
        }
    };
}

// One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line
// break, quotes doubled; NULL is an empty field.
export function csvField(value) {
    if (value === null || value === undefined)
        return '';
    const s = String(value);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
