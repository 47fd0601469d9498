#!/usr/bin/env bash
# test/restore/schema_takeover.sh -- the schema auditlog is the extension's
# alone: CREATE EXTENSION refuses one made beforehand by someone who is no
# superuser, one that is not empty, one where others may create objects;
# the restore of a pg_dump (which creates the schema empty, owned by the
# restoring superuser, just before CREATE EXTENSION) still works; an update
# of a 0.1.0 database whose schema was taken over is refused; and the C
# code writes only into the extension's own tables, not look-alikes. Run
# by tools/suite.sh against the server of the PG* variables.
set -uo pipefail
cd "$(dirname "$0")/../.."
. test/restore/lib.sh

"$PSQL" -X -q -d postgres -c 'SET client_min_messages = warning' \
    -c 'DROP ROLE IF EXISTS auditlog_rt_mallory' -c 'CREATE ROLE auditlog_rt_mallory'
db=auditlog_rt_schema
fresh $db
value $db "GRANT CREATE ON DATABASE $db TO auditlog_rt_mallory" >/dev/null

# try sql...: CREATE EXTENSION after the statements, its error in $TMP/try.
try() {
    "$PSQL" -X -q -d $db -c 'DROP EXTENSION IF EXISTS auditlog' -c 'DROP SCHEMA IF EXISTS auditlog CASCADE' \
        -c 'SET client_min_messages = warning' "$@" -c 'CREATE EXTENSION auditlog' >"$TMP/try" 2>&1
}

try -c 'SET ROLE auditlog_rt_mallory' -c 'CREATE SCHEMA auditlog' -c 'RESET ROLE'
contains 'CREATE EXTENSION refuses a schema auditlog owned by a role that is no superuser' "$TMP/try" \
    'ERROR:  schema "auditlog" is owned by role "auditlog_rt_mallory", which is not a superuser'
contains 'with a hint' "$TMP/try" 'HINT:  Drop the schema, or give it to a superuser (ALTER SCHEMA auditlog OWNER TO postgres)'
check 'and creates nothing' test "$(value $db "SELECT count(*) FROM pg_extension WHERE extname = 'auditlog'")" = 0

try -c 'CREATE SCHEMA auditlog' -c 'CREATE TABLE auditlog.labels (id int, kind "char", label text)'
contains 'it refuses a schema that is not empty, naming what is in it' "$TMP/try" \
    'ERROR:  schema "auditlog" is not empty: table'
try -c 'CREATE SCHEMA auditlog' -c 'ALTER DEFAULT PRIVILEGES IN SCHEMA auditlog GRANT SELECT ON TABLES TO auditlog_rt_mallory'
contains 'default privileges in it count as content' "$TMP/try" 'is not empty: default privileges on new relations'
try -c 'CREATE SCHEMA auditlog' -c 'GRANT CREATE ON SCHEMA auditlog TO auditlog_rt_mallory'
contains 'and it refuses a schema where another role may create objects' "$TMP/try" \
    'ERROR:  role "auditlog_rt_mallory" may create objects in schema "auditlog"'

try -c 'CREATE SCHEMA auditlog'
check 'an empty schema auditlog owned by a superuser is accepted' \
    test "$(value $db "SELECT count(*) FROM pg_extension WHERE extname = 'auditlog'")" = 1

# The restore path: pg_dump writes CREATE SCHEMA auditlog just before
# CREATE EXTENSION; the restore, owners kept or not, works.
psql_ $db -c "SELECT auditlog.log_event('auth.login', actor => 'John Doe')" >/dev/null
"$PG_DUMP" -d $db -f "$TMP/plain.sql"
contains 'the dump creates the schema itself, before the extension' "$TMP/plain.sql" 'CREATE SCHEMA auditlog;'
for opts in '' '--no-owner'; do
    fresh auditlog_rt_schema_dst
    check "a plain dump ${opts:-with owners} restores with psql" \
        psql_ auditlog_rt_schema_dst -f "$TMP/plain.sql"
    check "and its event is back" \
        test "$(value auditlog_rt_schema_dst "SELECT count(*) FROM auditlog.events WHERE actor = 'John Doe'")" = 1
done

# A 0.1.0 database whose schema was taken over: the update is refused.
fresh auditlog_rt_schema_old
value auditlog_rt_schema_old "GRANT CREATE ON DATABASE auditlog_rt_schema_old TO auditlog_rt_mallory" >/dev/null
"$PSQL" -X -q -d auditlog_rt_schema_old -c 'SET ROLE auditlog_rt_mallory' -c 'CREATE SCHEMA auditlog' \
    -c 'RESET ROLE' -c "CREATE EXTENSION auditlog VERSION '0.1.0'" >/dev/null 2>&1
"$PSQL" -X -q -d auditlog_rt_schema_old -c 'ALTER EXTENSION auditlog UPDATE' >"$TMP/update" 2>&1
contains 'ALTER EXTENSION UPDATE of a 0.1.0 database whose schema a non-superuser owns is refused' "$TMP/update" \
    'ERROR:  schema "auditlog" is owned by role "auditlog_rt_mallory", which is not a superuser'
check 'and it stays at 0.1.0' \
    test "$(value auditlog_rt_schema_old "SELECT extversion FROM pg_extension WHERE extname = 'auditlog'")" = 0.1.0
value auditlog_rt_schema_old 'ALTER SCHEMA auditlog OWNER TO CURRENT_USER' >/dev/null
check 'given to a superuser, the schema lets the update through' \
    psql_ auditlog_rt_schema_old -c 'ALTER EXTENSION auditlog UPDATE'

# Look-alikes: a superuser moves a table of the extension aside (warned)
# and puts another in its place; the C code writes into neither.
"$PSQL" -X -q -d $db -c 'ALTER TABLE auditlog.labels RENAME TO labels_aside' \
    -c 'CREATE TABLE auditlog.labels (id int, kind "char", label text)' >"$TMP/aside" 2>&1
contains 'moving a table of the extension aside is warned about, even for a superuser' "$TMP/aside" \
    'WARNING:  ALTER TABLE auditlog.labels_aside, in the schema of extension auditlog, by superuser'
"$PSQL" -X -q -d $db -c "SELECT auditlog.log_event('auth.login', actor => 'Someone New')" >"$TMP/lookalike" 2>&1
contains 'the C code refuses a relation of the right name that is not the extension'"'"'s' "$TMP/lookalike" \
    'ERROR:  relation "auditlog.labels" is not part of extension auditlog'
check 'and wrote nothing into it' test "$(value $db "SELECT count(*) FROM auditlog.labels")" = 0

for d in $db auditlog_rt_schema_dst auditlog_rt_schema_old; do
    "$PSQL" -X -q -d postgres -c "DROP DATABASE IF EXISTS $d"
done
"$PSQL" -X -q -d postgres -c 'DROP ROLE IF EXISTS auditlog_rt_mallory'
finish
