#!/usr/bin/env bash
# tools/test.sh — installs what is missing, builds, installs, and runs the whole
# suite (pg_regress and isolation, pgTAP through pg_prove, a pg_dump round
# trip, the dashboard's browser tests) against a throwaway PostgreSQL
# cluster. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
bash tools/build.sh
# The server runs as postgres and must be able to read the tree.
chmod -R a+rX . 2>/dev/null || true
bash tools/tmpcluster.sh -o max_prepared_transactions=5 bash tools/suite.sh
