#!/usr/bin/env bash
# tools/suite.sh — the suite itself, against the server of the PG* variables;
# tools/test.sh runs it inside a throwaway cluster (tools/tmpcluster.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
failed=0

echo "== pg_regress and isolation"
if ! make -s installcheck; then
    [ -f test/regression.diffs ] && cat test/regression.diffs
    for f in test/output_iso/regression.diffs; do [ -f "$f" ] && cat "$f"; done
    failed=1
fi

echo "== pgTAP"
make -s taptest || failed=1

echo "== upgrade from 0.1.0"
bash test/upgrade/run.sh || failed=1

echo "== tamper evidence and the DROP guard"
bash test/tamper/run.sh || failed=1

echo "== pg_dump round trip"
bash tools/dump_roundtrip.sh || failed=1

echo "== restores and the schema (test/restore)"
for t in test/restore/*.sh; do
    [ "$t" = test/restore/lib.sh ] && continue
    echo "-- $t"
    bash "$t" || failed=1
done

echo "== dashboard (node --test, headless Chromium)"
(cd dashboard && node --test --test-reporter=spec test/*.test.js) || failed=1

if [ $failed -ne 0 ]; then
    echo "shared-cluster tests: FAILED"
    exit 1
fi
echo "shared-cluster tests: passed"
