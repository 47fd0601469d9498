// dashboard/server.js — serves the audit log page: node server.js
//
// The database comes from the environment: DATABASE_URL, or the standard
// PG* variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE). Connect
// with a read-only role that has the reader grants (README, "Privileges").
// Other settings:
//   DASHBOARD_HOST, PORT   where to listen (default 127.0.0.1, 8080)
//   DASHBOARD_PAGE_SIZE    rows per page (default 50)
//   DASHBOARD_TIMEZONE     the zone for viewers whose browser sends none
//                          (default: the database session's TimeZone)
//   DASHBOARD_ALLOWED_HOSTS  comma-separated host names the page answers to
//                          besides localhost, 127.0.0.1 and [::1] (behind a
//                          proxy, or bound to another address)

import http from 'node:http';
import { createHandler } from './lib/app.js';
import { poolFromEnv } from './lib/db.js';

const host = process.env.DASHBOARD_HOST || '127.0.0.1';
const port = Number(process.env.PORT || 8080);
const pool = poolFromEnv();
pool.on('error', err => console.error(`auditlog-dashboard: idle connection lost: ${err.message}`));

const server = http.createServer(createHandler({
    pool,
    pageSize: Number(process.env.DASHBOARD_PAGE_SIZE || 50),
    defaultTimeZone: process.env.DASHBOARD_TIMEZONE || null,
    allowedHosts: [host.includes(':') ? `[${host}]` : host,
        ...(process.env.DASHBOARD_ALLOWED_HOSTS || '').split(',').map(h => h.trim()).filter(Boolean)],
}));

server.listen(port, host, () => {
    const shown = host.includes(':') ? `[${host}]` : host;
    console.log(`auditlog dashboard: http://${shown}:${port}/`);
});

function stop() {
    server.close(() => pool.end().finally(() => process.exit(0)));
    server.closeAllConnections?.();
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
