#!/usr/bin/env bash
# tools/test.sh — installs what is missing, builds, installs, and runs the whole
# suite against throwaway PostgreSQL clusters: tools/suite.sh in one shared
# cluster (pg_regress and isolation, pgTAP through pg_prove, the upgrade from
# 0.1.0, a pg_dump round trip, the dashboard in a browser), then the tests
# that need clusters of their own (the maintenance worker: preload, standby,
# worker slots). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
bash tools/build.sh
# The server runs as postgres and must be able to read the tree.
chmod -R a+rX . 2>/dev/null || true

status=0
# The shared cluster runs no maintenance worker: its tests place the
# summaries' watermark themselves. test/worker runs the worker.
bash tools/tmpcluster.sh -o max_prepared_transactions=5 -o auditlog.maintenance_worker=off \
    bash tools/suite.sh || status=1
echo "== maintenance worker (clusters of their own)"
bash test/worker/run.sh || status=1

if [ $status -ne 0 ]; then
    echo "auditlog suite: FAILED"
    exit 1
fi
echo "auditlog suite: passed"
