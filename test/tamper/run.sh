#!/usr/bin/env bash
# test/tamper/run.sh — the shell tests of tamper evidence and the DROP guard
# (tools/suite.sh runs them), against a server started by tools/tmpcluster.sh:
# tamper.sh (a superuser changes the log behind every trigger; verify()
# names the broken seals), witness.sh (the server log lines of the seals),
# drop.sh (the DROP guard in fresh sessions, pg_restore --clean, an updated
# 0.1.0 database), purge.sh (a purge keeps a broken seal's events; edited
# purge records break their seals).
cd "$(dirname "$0")"
failed=0
for t in tamper.sh witness.sh drop.sh purge.sh; do
    echo "# $t"
    bash "$t" || { echo "# $t: FAILED"; failed=1; }
done
exit $failed
