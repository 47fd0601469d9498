#!/usr/bin/env bash
# tools/suite.sh — the suite itself; run inside pg_virtualenv by tools/test.sh.
set -uo pipefail
cd "$(dirname "$0")/.."
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
failed=0

echo "== pg_regress"
if ! make -s installcheck; then
    [ -f regression.diffs ] && cat regression.diffs
    failed=1
fi

echo "== pgTAP"
psql -qX -v ON_ERROR_STOP=1 -c 'DROP DATABASE IF EXISTS auditlog_tap' -c 'CREATE DATABASE auditlog_tap' >/dev/null
psql -qX -v ON_ERROR_STOP=1 -d auditlog_tap -c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION auditlog' >/dev/null
pg_prove -d auditlog_tap --failures test/*.sql || failed=1

echo "== pg_dump round trip"
bash tools/dump_roundtrip.sh || failed=1

if [ $failed -ne 0 ]; then
    echo "auditlog suite: FAILED"
    exit 1
fi
echo "auditlog suite: passed"
