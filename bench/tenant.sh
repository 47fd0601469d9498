#!/usr/bin/env bash
# bench/tenant.sh - what a tenant's reads cost: search(), event_count(),
# filter_options() and auditlog.events as a tenant of one organisation,
# against the same reads with that org filter by a reader that is no
# tenant (bench/tenant/run.sql), on bench/read's events.
#
#   bash bench/tenant.sh                   # 1M events, throwaway cluster (tools/tmpcluster.sh)
#   N=200000 ROUNDS=3 bash bench/tenant.sh
#
# Environment: N (default 1000000), ROUNDS (default 5), CHUNK (default
# 100000), PG_CONFIG (as tools/tmpcluster.sh). A read whose rows or counts
# differ between tenant and org filter fails the run.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
: "${N:=1000000}" "${ROUNDS:=5}" "${CHUNK:=100000}"
export N ROUNDS CHUNK

if [ -z "${BENCH_TENANT_INSIDE:-}" ]; then
    exec env BENCH_TENANT_INSIDE=1 bash "$root/tools/tmpcluster.sh" \
        -o shared_buffers=512MB -o max_wal_size=8GB -o checkpoint_timeout=30min \
        bash "$here/tenant.sh"
fi

db=auditlog_tenant_bench
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -v n="$N" -v chunk="$CHUNK" -f "$here/read/generate.sql"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "VACUUM ANALYZE auditlog.event_store"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -v rounds="$ROUNDS" -f "$here/tenant/run.sql"
