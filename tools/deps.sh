#!/usr/bin/env bash
# tools/deps.sh — installs what auditlog builds and tests with, when missing:
# the Debian packages (the dashboard's tests add Node.js and Chromium), then
# the dashboard's npm packages, from dashboard/package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(make gcc postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap
          libtap-parser-sourcehandler-pgtap-perl chromium)
# Node.js may come from elsewhere than Debian (with its own npm): only when
# there is no node or npm at all are Debian's packages the ones to install.
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing packages: ${missing[*]} (run as root to install them)" >&2
        exit 1
    fi
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The dashboard's packages, again only when node_modules is not already
# what the lock file says (npm ci starts from scratch each time).
lock=dashboard/package-lock.json
stamp=dashboard/node_modules/.installed-from-lock
sum=$(sha256sum "$lock" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
    echo "installing the dashboard's npm packages"
    # playwright-core never downloads a browser; the tests drive Debian's chromium.
    (cd dashboard && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    echo "$sum" > "$stamp"
fi
