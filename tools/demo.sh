#!/usr/bin/env bash
# tools/demo.sh — installs what is missing, builds and installs auditlog, and
# shows its main job on a throwaway PostgreSQL 15 cluster: a registered
# table, real events from the application and from row changes, and the
# dashboard query with its event count.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
bash tools/build.sh
chmod -R a+rX . 2>/dev/null || true
bash tools/tmpcluster.sh psql -X -q -v ON_ERROR_STOP=1 -f tools/demo.sql
