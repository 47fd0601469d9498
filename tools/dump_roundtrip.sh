#!/usr/bin/env bash
# tools/dump_roundtrip.sh — pg_dump a database that uses auditlog, restore the
# plain dump into a new one with psql, and check with pgTAP (test/dump/check.sql)
# that the events, the catalogue, the registry of audited tables (a plain one
# and a partitioned one, with excluded, redacted and org columns) and their
# triggers survived, that the summaries are rebuilt exactly, and that changes
# made after the restore are audited as before. Runs against the server of the
# PG* variables.
set -euo pipefail
cd "$(dirname "$0")/.."
src=auditlog_dump_src
dst=auditlog_dump_dst
for db in $src $dst; do
    psql -qX -c "DROP DATABASE IF EXISTS $db" >/dev/null
    createdb $db
done
psql -qX -v ON_ERROR_STOP=1 -d $src -c 'CREATE EXTENSION auditlog' -f test/dump/setup.sql >/dev/null
pg_dump -d $src -f dump.tmp
psql -qX -v ON_ERROR_STOP=1 -d $dst -f dump.tmp >/dev/null
rm -f dump.tmp
psql -qX -v ON_ERROR_STOP=1 -d $dst -c 'CREATE EXTENSION pgtap' >/dev/null
pg_prove -d $dst --failures test/dump/check.sql
