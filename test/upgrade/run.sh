#!/usr/bin/env bash
# test/upgrade/run.sh — the update from 0.1.0 to 0.2.0, against the server of
# the PG* variables (tools/suite.sh runs it): a 0.1.0 database with events
# of every kind is updated, then (1) its objects must equal those of a
# fresh 0.2.0 install (test/upgrade/fingerprint.sql, compared line by line)
# and (2) its events, registrations, counts and grants must have survived
# and work (test/upgrade/check.sql, pgTAP); and (3) 0.1.0 summaries that do
# not add up are not converted but made again from the events.
set -euo pipefail
cd "$(dirname "$0")/../.."
old=auditlog_upgrade_old
new=auditlog_upgrade_new
bad=auditlog_upgrade_bad
plain_old=auditlog_upgrade_plain_old
plain_new=auditlog_upgrade_plain_new
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
psql_() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

for db in $old $new $bad $plain_old $plain_new; do
    psql_ -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
done
psql_ -d postgres -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS auditlog_upgrade_reader" \
      -c "CREATE ROLE auditlog_upgrade_reader"
psql_ -d $old -c "CREATE EXTENSION auditlog VERSION '0.1.0'" -f test/upgrade/grants.sql >/dev/null
psql_ -d $old -f test/upgrade/setup.sql >/dev/null
psql_ -d $old -c "ALTER EXTENSION auditlog UPDATE" >/dev/null
psql_ -d $new -c "CREATE EXTENSION auditlog" -f test/upgrade/grants.sql >/dev/null

# same_objects FRESH UPDATED WHAT: the two databases' fingerprints are equal
same_objects() {
    psql_ -d "$1" -f test/upgrade/fingerprint.sql > "$out/$1.txt"
    psql_ -d "$2" -f test/upgrade/fingerprint.sql > "$out/$2.txt"
    if ! diff -u "$out/$1.txt" "$out/$2.txt"; then
        echo "upgrade: $3, the updated database's objects differ from a fresh install (- fresh, + updated)"
        exit 1
    fi
    echo "upgrade: $3, an updated 0.1.0 database has the objects of a fresh install ($(wc -l < "$out/$1.txt") lines compared)"
}
same_objects $new $old "with the DBA's grants"

# the same without any grant of the DBA's: the privileges stay the defaults on both sides
psql_ -d $plain_old -c "CREATE EXTENSION auditlog VERSION '0.1.0'" -c "ALTER EXTENSION auditlog UPDATE" >/dev/null
psql_ -d $plain_new -c "CREATE EXTENSION auditlog" >/dev/null
same_objects $plain_new $plain_old "without grants"

psql_ -d $old -c 'CREATE EXTENSION pgtap' >/dev/null
pg_prove -d $old --failures test/upgrade/check.sql

# (3) a per-day row that disagrees with its month: the update empties the
# summaries (with a WARNING) instead of converting them, and they come back
# from the events, exact
psql_ -d $bad -c "CREATE EXTENSION auditlog VERSION '0.1.0'" -f test/upgrade/grants.sql >/dev/null
psql_ -d $bad -f test/upgrade/setup.sql >/dev/null
psql_ -d $bad -c "UPDATE auditlog.event_counts SET n = n + 1
                   WHERE ctid = (SELECT ctid FROM auditlog.event_counts WHERE grain = 'd' LIMIT 1)"
# (and a table registered with the resource type auditlog, which 0.1.0
# allowed and 0.2.0 reserves: the update says so)
psql_ -d $bad -c "SET client_min_messages = error" \
      -c "UPDATE auditlog.registry SET resource_type = 'auditlog' WHERE tbl = (SELECT min(tbl::oid)::regclass FROM auditlog.registry)"
warning=$(psql_ -d $bad -c "ALTER EXTENSION auditlog UPDATE" 2>&1 >/dev/null)
state=$(psql_ -d $bad -At -c "SELECT (SELECT count(*) FROM auditlog.event_counts) || ' ' || summarized_upto
                                FROM auditlog.summary_state")
psql_ -d $bad -c "SELECT auditlog.summarize()" -c "SELECT auditlog.summarize()" >/dev/null
exact=$(psql_ -d $bad -At -c "SELECT auditlog.event_count() = (SELECT count(*) FROM auditlog.events)
                                 AND auditlog.event_count(outcome => 'denied') = 1
                                 AND (SELECT sum(n) FROM auditlog.event_counts WHERE grain = 'a')
                                     = (SELECT count(*) FROM auditlog.events)")
if [[ $warning != *"reserves for auditlog's own actions"* ]]; then
    echo "upgrade: a table registered with the resource type auditlog: no warning in '$warning'"
    exit 1
fi
echo "upgrade: a table registered with the resource type auditlog gets a WARNING"
if [[ $warning != *"did not add up"* || $state != "0 0" || $exact != t ]]; then
    echo "upgrade: 0.1.0 summaries that do not add up: warning '$warning', rows and watermark after '$state', exact after summarize() '$exact'"
    exit 1
fi
echo "upgrade: 0.1.0 summaries that do not add up are made again from the events (WARNING, then exact)"
