#!/usr/bin/env bash
# tools/dashboard.sh — the reference dashboard on a demo month, at
# http://127.0.0.1:8080/ until interrupted (Ctrl-C).
#
# Installs what is missing (tools/deps.sh), builds and installs auditlog
# (tools/build.sh), starts a throwaway cluster (tools/tmpcluster.sh), loads
# dashboard/demo.sql as superuser, creates the read-only role of
# dashboard/reader.sql, and serves dashboard/server.js connected as that role.
# Environment: PORT (default 8080), PG_CONFIG (as tools/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${DASHBOARD_INSIDE_CLUSTER:-}" ]; then
    bash tools/deps.sh
    bash tools/build.sh
    # The server runs as postgres and must be able to read the tree.
    chmod -R a+rX . 2>/dev/null || true
    exec env DASHBOARD_INSIDE_CLUSTER=1 bash tools/tmpcluster.sh bash tools/dashboard.sh
fi

# Inside the throwaway cluster, as its superuser.
db=auditlog_demo
role=auditlog_dashboard
password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $db"
psql -X -q -d "$db" -f dashboard/demo.sql
psql -X -q -d "$db" -v role="$role" -v password="$password" -f dashboard/reader.sql
echo "connected as $role, a role with the reader grants only; Ctrl-C stops the dashboard and removes the cluster"
PGDATABASE=$db PGUSER=$role PGPASSWORD=$password PORT=${PORT:-8080} node dashboard/server.js
