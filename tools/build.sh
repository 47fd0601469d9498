#!/usr/bin/env bash
# tools/build.sh — builds auditlog with the warnings CI insists on, and installs it.
set -euo pipefail
cd "$(dirname "$0")/.."
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
make -s clean
make -s WERROR=1
make -s install >/dev/null
