#!/usr/bin/env bash
# test/tamper/witness.sh — every seal is also a line in the server log, the
# outside witness: its id, range, count and hash, written once its
# transaction commits and never for a seal that was rolled back; and the
# transactions seal() refuses (read-only, REPEATABLE READ, prepared).
# Against a server started by tools/tmpcluster.sh (it reads
# $TMPCLUSTER_DATA/log/postgresql.log); TAP output.
source "$(dirname "$0")/lib.sh"
db=auditlog_witness
fresh_db $db

# The witness lines of this database, as "id|first|last|events|hash".
witnessed() {
    server_log | sed -n "s/^.*LOG:  auditlog seal \([0-9]*\) in database \"$db\": ids \([0-9]*\) to \([0-9]*\), \([0-9]*\) events, hash \([0-9a-f]*\)\$/\1|\2|\3|\4|\5/p"
}
sealed() { q -d $db -c "SELECT id, first_id, last_id, events, encode(hash, 'hex') FROM auditlog.seals ORDER BY id"; }
# The witness lines, once the log collector has written as many as there are seals.
witnessed_all() {
    local n
    n=$(q -d $db -c "SELECT count(*) FROM auditlog.seals")
    for _ in $(seq 1 50); do
        [ "$(witnessed | wc -l)" -ge "$n" ] && break
        sleep 0.1
    done
    witnessed
}

q -d $db -c "SELECT count(auditlog.log_event('auth.login')) FROM generate_series(1, 4)" >/dev/null
seal_all $db
q -d $db -c "SELECT auditlog.log_event('auth.logout')" >/dev/null
seal_all $db
check "two seals are made" 2 "$(q -d $db -c "SELECT count(*) FROM auditlog.seals")"
check "each seal is a LOG line of the server log: id, range, events and hash as in auditlog.seals" \
      "$(sealed)" "$(witnessed_all)"

# Rolled back, in a transaction or a savepoint: no line.
q -d $db -c "SELECT auditlog.log_event('auth.login')" >/dev/null
q -d $db -c "BEGIN" -c "SELECT auditlog.seal()" -c "ROLLBACK" >/dev/null
q -d $db -c "BEGIN" -c "SAVEPOINT s" -c "SELECT auditlog.seal()" -c "ROLLBACK TO SAVEPOINT s" -c "COMMIT" >/dev/null
q -d $db -c "BEGIN" -c "SAVEPOINT s" -c "SELECT auditlog.seal()" -c "RELEASE SAVEPOINT s" -c "COMMIT" >/dev/null
check "a seal rolled back, with its transaction or its savepoint, is no line; one of a released savepoint is" \
      "$(sealed)" "$(witnessed_all)"

# What seal() refuses.
check "seal() refuses a read-only transaction" \
      "cannot execute auditlog.seal() in a read-only transaction" \
      "$(error_of -d $db -c "BEGIN READ ONLY" -c "SELECT auditlog.seal()")"
check "and REPEATABLE READ, whose one snapshot would hide what commits meanwhile" \
      "auditlog.seal() must run in a READ COMMITTED transaction" \
      "$(error_of -d $db -c "BEGIN ISOLATION LEVEL REPEATABLE READ" -c "SELECT auditlog.seal()")"
q -d $db -c "SELECT auditlog.log_event('auth.login')" >/dev/null
check "a transaction that sealed cannot be prepared (its witness line would have no commit to wait for)" \
      "cannot PREPARE a transaction that has sealed events" \
      "$(error_of -d $db -c "BEGIN" -c "SELECT auditlog.seal()" -c "PREPARE TRANSACTION 'auditlog_witness'")"
check "and nothing of it stays: no seal, no line" "3|3" \
      "$(q -d $db -c "SELECT count(*) FROM auditlog.seals")|$(witnessed | wc -l)"

psql -X -q -d postgres -c "DROP DATABASE $db" >/dev/null
finish
