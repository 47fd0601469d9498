// dashboard/test/helpers.js — what the browser tests share: a database with
// the demo month, the read-only role, the app on a free port, and Chromium.
//
// The PG* variables must reach a superuser (tools/suite.sh runs the tests
// inside tools/tmpcluster.sh); the tests make a database of their own.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { chromium } from 'playwright-core';
import { createHandler } from '../lib/app.js';

export const DASHBOARD_DIR = fileURLToPath(new URL('..', import.meta.url));
export const TEST_DB = process.env.DASHBOARD_TEST_DB || 'auditlog_dashboard_test';
export const READER = 'auditlog_dashboard_test_reader';
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function psql(args, db = TEST_DB) {
    return execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db, ...args],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function password() {
    return randomBytes(12).toString('hex');
}

// A fresh test database with the demo month and the reader role.
export function setupDatabase() {
    psql(['-c', `DROP DATABASE IF EXISTS ${TEST_DB}`, '-c', `CREATE DATABASE ${TEST_DB}`], 'postgres');
    psql(['-f', `${DASHBOARD_DIR}/demo.sql`]);
    const pw = password();
    createReader(READER, pw);
    return { user: READER, password: pw };
}

export function createReader(role, pw) {
    psql(['-v', `role=${role}`, '-v', `password=${pw}`, '-f', `${DASHBOARD_DIR}/reader.sql`]);
}

export function dropDatabase() {
    psql(['-c', `DROP DATABASE IF EXISTS ${TEST_DB}`], 'postgres');
}

// The superuser's view, for what the page should show.
export async function adminClient() {
    const c = new pg.Client({ database: TEST_DB });
    await c.connect();
    return c;
}

// The app on a free port of 127.0.0.1, connected as `user`.
export async function startApp({ user, password: pw, pageSize = 50, defaultTimeZone = 'UTC', exportMode } = {}) {
    const pool = new pg.Pool({ database: TEST_DB, user, password: pw, max: 3, application_name: 'auditlog-dashboard-test' });
    const errors = [];
    const server = http.createServer(createHandler({ pool, pageSize, defaultTimeZone, exportMode,
        log: msg => errors.push(msg) }));
    await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${server.address().port}`;
    return {
        url,
        errors,
        async close() {
            server.closeAllConnections();
            await new Promise(resolve => server.close(resolve));
            await pool.end();
        },
    };
}

export async function launchBrowser() {
    return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

// A page in a context of its own zone; waits until the script has handed
// that zone to the server and the page shows it.
export async function openPage(browser, url, { timezoneId = 'UTC', javaScriptEnabled = true, viewport } = {}) {
    const context = await browser.newContext({ timezoneId, javaScriptEnabled, locale: 'en-GB',
        viewport: viewport ?? { width: 1280, height: 900 } });
    const page = await context.newPage();
    const response = await page.goto(url);
    if (javaScriptEnabled)
        await page.waitForSelector(`body[data-time-zone="${timezoneId}"]`);
    return { context, page, response };
}

// What the page shows: the count, and each row's cells.
export async function readPage(page) {
    return page.evaluate(() => {
        const count = document.getElementById('event-count');
        const rows = [...document.querySelectorAll('#events tbody tr')].map(tr => ({
            id: tr.dataset.id,
            time: tr.querySelector('.time').textContent.trim(),
            datetime: tr.querySelector('time').getAttribute('datetime'),
            avatar: tr.querySelector('.avatar').textContent.trim(),
            system: tr.querySelector('.avatar').classList.contains('avatar-system'),
            user: tr.querySelector('.user-name').textContent.trim(),
            action: tr.querySelector('.action').textContent.trim(),
            resourceId: tr.querySelector('.resource-id')?.getAttribute('title') ?? null,
            resourceType: tr.querySelector('.resource-type')?.textContent.trim().replace(/^\(|\)$/g, '') ?? null,
            outcome: tr.querySelector('.badge').textContent.trim(),
        }));
        return {
            count: count ? Number(count.dataset.count) : null,
            countText: count ? count.textContent.trim() : null,
            rows,
            older: document.getElementById('older')?.getAttribute('href') ?? null,
            error: document.getElementById('error')?.textContent.trim() ?? null,
            zone: document.body.dataset.timeZone,
        };
    });
}

// event_count() as the superuser sees it, in a given zone.
export async function expectedCount(admin, filters, timeZone = 'UTC') {
    await admin.query('BEGIN');
    try {
        await admin.query("SELECT set_config('TimeZone', $1, true)", [timeZone]);
        const r = await admin.query(
            `SELECT auditlog.event_count(actor => $1, action => $2, resource_type => $3, from_date => $4::date,
                                         to_date => $5::date, outcome => $6::auditlog.outcome, org_id => $7) AS n`,
            [filters.actor ?? null, filters.action ?? null, filters.type ?? null, isoDate(filters.from),
                isoDate(filters.to), filters.outcome ?? null, filters.org ?? null]);
        return Number(r.rows[0].n);
    } finally {
        await admin.query('COMMIT');
    }
}

// dd/mm/yyyy -> yyyy-mm-dd (test input is always well-formed).
export function isoDate(d) {
    if (!d)
        return null;
    const [day, month, year] = d.split('/');
    return `${year}-${month}-${day}`;
}

// A UTC day n days before today, as dd/mm/yyyy.
export function daysAgo(n) {
    const d = new Date(Date.now() - n * 86400000);
    return `${String(d.getUTCDate()).padStart(2, '0')}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${d.getUTCFullYear()}`;
}

// Parses RFC 4180 CSV into arrays of fields (quoted fields may hold
// commas, quotes and line breaks).
export function parseCsv(text) {
    const records = [];
    let field = '', record = [], i = 0, quoted = false;
    while (i < text.length) {
        const c = text[i];
        if (quoted) {
            if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
            if (c === '"') { quoted = false; i++; continue; }
            field += c; i++; continue;
        }
        if (c === '"' && field === '') { quoted = true; i++; continue; }
        if (c === ',') { record.push(field); field = ''; i++; continue; }
        if (c === '\r' && text[i + 1] === '\n') { record.push(field); records.push(record); field = ''; record = []; i += 2; continue; }
        if (c === '\n') throw new Error(`bare LF at offset ${i}: not RFC 4180`);
        field += c; i++;
    }
    if (field !== '' || record.length)
        throw new Error('the last record does not end with CRLF');
    return records;
}

// A GET to 127.0.0.1:port with a raw target and headers fetch() refuses to
// send (Host); resolves to { status, body }.
export function rawGet(port, target, headers) {
    return new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path: target, method: 'GET', headers,
            setHost: !('Host' in headers) }, res => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', chunk => { body += chunk; });
            res.on('end', () => resolve({ status: res.statusCode, body }));
        });
        req.on('error', reject);
        req.end();
    });
}
