#!/usr/bin/env bash
# test/worker/run.sh — the maintenance worker, each path in a throwaway
# cluster of its own (tools/tmpcluster.sh), as TAP lines:
#
#   ondemand  without shared_preload_libraries: a writer starts the worker,
#             the summaries catch up with no call by anyone; a killed worker
#             is replaced by the next writer; an error in a round is logged
#             and the round tried again; DROP EXTENSION stops it; DROP
#             DATABASE does not wait for it
#   preload   with shared_preload_libraries: the launcher starts a worker for
#             a database nobody writes to, none for a database without the
#             extension, and replaces a killed worker; turned off, workers
#             stop, between two steps of a long round
#   slots     max_worker_processes exhausted: writers get a WARNING, never an
#             error or a wait
#   standby   a hot standby of a preloading primary runs no worker
#   writer    the autonomous writer: started on demand, replaced when it is
#             terminated, an event it could not commit is an error and not in
#             the log, DROP DATABASE does not wait for it
#   dropbusy  DROP EXTENSION while the worker keeps busy (a round every
#             100 ms, new events each time): the drop waits for the step
#             under way, never a deadlock
#   retention the worker makes the partitions of this month and the next
#             two (also when the default partition holds events), and
#             applies auditlog.retention once a day: the old events go, the
#             purge is an event, verify() passes
#
#   bash test/worker/run.sh             all of them
#   bash test/worker/run.sh ondemand    one (inside a cluster it starts)
set -uo pipefail
cd "$(dirname "$0")/../.."

if [ -z "${WORKER_TEST_INSIDE:-}" ]; then
    scenarios=("$@")
    [ ${#scenarios[@]} -gt 0 ] || scenarios=(ondemand preload slots standby writer dropbusy retention)
    status=0
    for s in "${scenarios[@]}"; do
        case $s in
            ondemand) opts=(-o auditlog.maintenance_naptime=500) ;;
            preload) opts=(-o shared_preload_libraries=auditlog -o auditlog.maintenance_naptime=500) ;;
            slots) opts=(-o shared_preload_libraries=auditlog -o max_worker_processes=1) ;;
            standby) opts=(-o shared_preload_libraries=auditlog -o auditlog.maintenance_naptime=500) ;;
            writer) opts=(-o auditlog.maintenance_worker=off) ;;
            dropbusy) opts=(-o shared_preload_libraries=auditlog -o auditlog.maintenance_naptime=100) ;;
            retention) opts=(-o auditlog.maintenance_naptime=500) ;;
            *) echo "unknown scenario $s" >&2; exit 2 ;;
        esac
        echo "# worker: $s"
        WORKER_TEST_INSIDE=$s bash tools/tmpcluster.sh "${opts[@]}" bash "$0" || status=1
    done
    exit $status
fi

failed=0
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; failed=1; }
check() { if [ "$1" = t ]; then ok "$2"; else notok "$2 (got: $1)"; fi; }
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
log() { cat "$TMPCLUSTER_DATA"/log/postgresql.log; }
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
# until SECONDS DB SQL: true once SQL returns t, polling every 200 ms
until_true() {
    local end=$(( $(date +%s) + $1 ))
    while [ "$(date +%s)" -le $end ]; do
        [ "$(q -d "$2" -c "$3" 2>/dev/null)" = t ] && return 0
        sleep 0.2
    done
    return 1
}
workers() { # DB: pids of the maintenance workers connected to it
    q -d postgres -c "SELECT string_agg(pid::text, ',') FROM pg_stat_activity
                       WHERE backend_type = 'auditlog maintenance' AND datname = '$1'"
}
import() { # DB N: N events imported in one transaction, over the last days
    q -d "$1" -c "SELECT count(auditlog.import_event(now() - g * interval '1 minute', 'tap_worker.import',
                                                    actor => 'Worker Test', org_id => 'org-' || g % 3))
                    FROM generate_series(1, $2) g" >/dev/null
}

ondemand() {
    q -d postgres -c "CREATE DATABASE w1" -c "CREATE DATABASE w2"
    q -d w1 -c "CREATE EXTENSION auditlog"
    import w1 20000
    if until_true 30 w1 "SELECT unsummarized = 0 AND events = 20000 FROM auditlog.status()"; then
        ok "20000 imported events are summarized within 30 s, with no call by anyone"
    else
        notok "the summaries did not catch up: $(q -d w1 -c 'SELECT * FROM auditlog.status()')"
    fi
    if until_true 30 w1 "SELECT unsealed = 0 FROM auditlog.status()"; then
        ok "and sealed, with no call by anyone"
    else
        notok "the seals did not catch up: $(q -d w1 -c 'SELECT * FROM auditlog.status()')"
    fi
    check "$(q -d w1 -c "SELECT bool_and(ok) FROM auditlog.verify()")" "the worker's seals verify"
    check "$(q -d w1 -c "SELECT count(*) = 1 AND bool_and(application_name = 'auditlog maintenance')
                          FROM pg_stat_activity WHERE backend_type = 'auditlog maintenance'")" \
          "one worker, named in pg_stat_activity"
    check "$(q -d w1 -c "SELECT auditlog.event_count(org_id => 'org-1') = count(*) FILTER (WHERE org_id = 'org-1')
                          FROM auditlog.events")" "counts are exact"
    check "$(q -d w1 -c "SELECT last_maintenance > now() - interval '10 s' FROM auditlog.status()")" \
          "status() shows a recent maintenance"

    local pid
    pid=$(workers w1)
    q -d postgres -c "SELECT pg_terminate_backend($pid)" >/dev/null
    until_true 5 postgres "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $pid" ||
        notok "the terminated worker did not stop"
    sleep 0.6   # a writer checks at most once per naptime
    q -d w1 -c "SELECT auditlog.log_event('tap_worker.after_kill')" >/dev/null
    if until_true 10 postgres "SELECT count(*) = 1 FROM pg_stat_activity
                               WHERE backend_type = 'auditlog maintenance' AND datname = 'w1' AND pid <> $pid"; then
        ok "a terminated worker is replaced once someone writes"
    else
        notok "no new worker after the kill"
    fi

    q -d w1 -c "ALTER TABLE auditlog.summary_state RENAME TO summary_state_away"
    import w1 10
    if until_true 10 postgres "SELECT pg_read_file('$TMPCLUSTER_DATA/log/postgresql.log') LIKE '%auditlog maintenance: the round failed%'"; then
        ok "an error in a round is logged, and the worker goes on"
    else
        notok "no LOG line for the failed round"
    fi
    q -d w1 -c "ALTER TABLE auditlog.summary_state_away RENAME TO summary_state"
    if until_true 10 w1 "SELECT unsummarized = 0 FROM auditlog.status()"; then
        ok "the next round succeeds once the cause is gone"
    else
        notok "the worker did not recover: $(q -d w1 -c 'SELECT * FROM auditlog.status()')"
    fi
    [ -n "$(workers w1)" ] && ok "the same worker kept running" || notok "the worker died of the error"

    q -d w2 -c "CREATE EXTENSION auditlog" -c "SELECT auditlog.log_event('tap_worker.w2')" >/dev/null
    until_true 10 postgres "SELECT count(*) = 1 FROM pg_stat_activity
                            WHERE backend_type = 'auditlog maintenance' AND datname = 'w2'" ||
        notok "no worker in w2"
    if q -d postgres -c "DROP DATABASE w2" 2>/tmp/worker_drop.$$; then
        ok "DROP DATABASE succeeds while a worker was connected"
    else
        notok "DROP DATABASE failed: $(cat /tmp/worker_drop.$$)"
    fi
    rm -f /tmp/worker_drop.$$

    q -d w1 -c "SET auditlog.allow_drop = on" -c "DROP EXTENSION auditlog CASCADE" >/dev/null
    if until_true 10 postgres "SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'auditlog maintenance'"; then
        ok "DROP EXTENSION stops the worker"
    else
        notok "the worker outlived DROP EXTENSION"
    fi
    log | grep -q 'stopping: extension auditlog is not installed in database "w1"' &&
        ok "and it says so in the server log" || notok "no LOG line for the dropped extension"
}

preload() {
    check "$(q -d postgres -c "SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'auditlog launcher'")" \
          "the launcher runs"
    q -d postgres -c "CREATE DATABASE p1" -c "CREATE DATABASE p2"
    q -d p1 -c "CREATE EXTENSION auditlog" -c "ALTER SYSTEM SET auditlog.maintenance_worker = off" \
          -c "SELECT pg_reload_conf()" >/dev/null
    if until_true 20 postgres "SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'auditlog maintenance'"; then
        ok "workers stop with auditlog.maintenance_worker = off"
    else
        notok "workers did not stop with auditlog.maintenance_worker = off"
    fi
    import p1 5000
    q -d postgres -c "ALTER SYSTEM RESET auditlog.maintenance_worker" >/dev/null
    as_postgres "$TMPCLUSTER_BINDIR/pg_ctl" -D "$TMPCLUSTER_DATA" -w -m fast restart >/dev/null
    if until_true 15 p1 "SELECT unsummarized = 0 FROM auditlog.status()"; then
        ok "after a restart the launcher's worker summarizes a database nobody writes to"
    else
        notok "nothing summarized p1 after the restart: $(q -d p1 -c 'SELECT * FROM auditlog.status()')"
    fi
    sleep 2
    check "$(q -d postgres -c "SELECT count(*) = 0 FROM pg_stat_activity
                                WHERE backend_type = 'auditlog maintenance' AND datname IN ('p2', 'postgres')")" \
          "no worker stays in a database without the extension"
    local pid
    pid=$(workers p1)
    q -d postgres -c "SELECT pg_terminate_backend($pid)" >/dev/null
    if until_true 10 postgres "SELECT count(*) = 1 FROM pg_stat_activity
                               WHERE backend_type = 'auditlog maintenance' AND datname = 'p1' AND pid <> $pid"; then
        ok "the launcher replaces a terminated worker, with no writer"
    else
        notok "the launcher did not replace the worker"
    fi

    # A long catch-up (three summarizing steps, then three of seals) is
    # stopped between two steps when the worker is turned off, not at the
    # end of its round.
    import p1 600000
    if until_true 60 p1 "SELECT events > 600000 AND unsummarized < 600000 FROM auditlog.status()"; then
        q -d postgres -c "ALTER SYSTEM SET auditlog.maintenance_worker = off" -c "SELECT pg_reload_conf()" >/dev/null
        if until_true 10 postgres "SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'auditlog maintenance'"; then
            ok "turned off in a long round, the worker stops"
        else
            notok "the worker did not stop in its round"
        fi
        check "$(q -d p1 -c "SELECT unsummarized + unsealed > 0 FROM auditlog.status()")" \
              "between two steps, not at the end of the round"
        q -d postgres -c "ALTER SYSTEM RESET auditlog.maintenance_worker" -c "SELECT pg_reload_conf()" >/dev/null
    else
        notok "the worker did not start summarizing 600000 events: $(q -d p1 -c 'SELECT * FROM auditlog.status()')"
    fi
}

slots() {
    q -d postgres -c "CREATE DATABASE s1"
    q -d s1 -c "CREATE EXTENSION auditlog"
    local t0 t1 out
    t0=$(date +%s%N)
    out=$(psql -X -q -At -d s1 -c "SELECT auditlog.log_event('tap_worker.no_slot') > 0" 2>&1)
    t1=$(date +%s%N)
    case $out in
        *"could not start the maintenance worker"*t) ok "a writer that cannot start a worker gets a WARNING, and its event" ;;
        *) notok "unexpected output: $out" ;;
    esac
    [ $(( (t1 - t0) / 1000000 )) -lt 2000 ] && ok "and does not wait" || notok "the writer waited $(( (t1 - t0) / 1000000 )) ms"
    check "$(q -d s1 -c "SELECT count(*) = 1 FROM auditlog.events WHERE action = 'tap_worker.no_slot'")" \
          "the event is there"
    q -d s1 -c "SELECT auditlog.summarize()" -c "SELECT auditlog.summarize()" >/dev/null
    check "$(q -d s1 -c "SELECT unsummarized = 0 FROM auditlog.status()")" "summarize() by hand still works"

    out=$(psql -X -q -At -d s1 -c "SELECT auditlog.log_event_autonomous('tap_worker.auto')" 2>&1)
    case $out in
        *"could not start the auditlog writer: no background worker slot is free"*) ok "no writer to be had: log_event_autonomous is a clear ERROR" ;;
        *) notok "unexpected output: $out" ;;
    esac
    out=$(psql -X -q -At -d s1 -c "BEGIN" -c "SELECT auditlog.log_event('tap_worker.label', org_id => 'brand-new-org') > 0" \
               -c "ROLLBACK" 2>&1)
    case $out in
        *"new labels are added in your transaction"*t*) ok "without a writer, a new label is added in the caller's transaction, with a WARNING" ;;
        *) notok "unexpected output: $out" ;;
    esac
    check "$(q -d s1 -c "SELECT count(*) = 0 FROM auditlog.labels WHERE label = 'brand-new-org'")" \
          "and goes with its rollback"
}

writer() {
    local pid out
    q -d postgres -c "CREATE DATABASE a1"
    q -d a1 -c "CREATE EXTENSION auditlog"
    check "$(q -d a1 -c "SELECT auditlog.log_event_autonomous('tap_writer.first') > 0")" "a first autonomous event"
    pid=$(q -d postgres -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'auditlog writer'")
    [ -n "$pid" ] && ok "started the database's writer" || notok "no writer in pg_stat_activity"
    q -d postgres -c "SELECT pg_terminate_backend($pid)" >/dev/null
    until_true 5 postgres "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $pid" || notok "the writer did not stop"
    check "$(q -d a1 -c "SELECT auditlog.log_event_autonomous('tap_writer.second') > 0")" \
          "after the writer was terminated, the next call starts another"

    # the writer blocks inside its transaction; terminated there, its event is not written
    pid=$(q -d postgres -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'auditlog writer'")
    (psql -X -q -d a1 -c "BEGIN" -c "LOCK auditlog.event_store IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(3)" \
          -c "COMMIT" >/dev/null 2>&1 &)
    sleep 0.5
    (sleep 1; q -d postgres -c "SELECT pg_terminate_backend($pid)" >/dev/null) &
    out=$(psql -X -q -At -d a1 -c "SELECT auditlog.log_event_autonomous('tap_writer.lost')" 2>&1)
    wait
    case $out in
        *"the auditlog writer stopped before it wrote the event"*"was not written"*) ok "a writer terminated mid-request: the caller gets an ERROR saying the event was not written" ;;
        *) notok "unexpected output: $out" ;;
    esac
    sleep 2
    check "$(q -d a1 -c "SELECT count(*) = 0 FROM auditlog.events WHERE action = 'tap_writer.lost'")" \
          "and it is not in the log"
    check "$(q -d a1 -c "SELECT auditlog.log_event_autonomous('tap_writer.third') > 0")" "and the next call works"
    check "$(q -d a1 -c "SELECT count(*) = 3 FROM auditlog.events WHERE action LIKE 'tap_writer.%'")" \
          "every event that was confirmed is there, once"
    q -d a1 -c "SET auditlog.allow_drop = on" -c "DROP EXTENSION auditlog" >/dev/null
    if until_true 10 postgres "SELECT count(*) = 0 FROM pg_stat_activity
                                WHERE backend_type = 'auditlog writer' AND datname = 'a1'"; then
        ok "DROP EXTENSION stops the writer too, within seconds"
    else
        notok "the writer outlived DROP EXTENSION"
    fi
    if q -d postgres -c "DROP DATABASE a1" 2>/tmp/writer_drop.$$; then
        ok "DROP DATABASE succeeds while the writer was connected"
    else
        notok "DROP DATABASE failed: $(cat /tmp/writer_drop.$$)"
    fi
    rm -f /tmp/writer_drop.$$
}

dropbusy() {
    local i out errors=""
    q -d postgres -c "CREATE DATABASE d1"
    for i in 1 2 3 4 5 6 7 8; do
        q -d d1 -c "CREATE EXTENSION auditlog" \
              -c "SELECT count(auditlog.log_event('tap_drop.busy', actor => 'a' || g)) FROM generate_series(1, 10000) g" >/dev/null
        sleep "0.$((RANDOM % 5 + 1))"
        out=$(q -d d1 -c "SET auditlog.allow_drop = on" -c "DROP EXTENSION auditlog" 2>&1)
        if [ -n "$out" ]; then
            errors="$errors [$i: $out]"
            q -d d1 -c "SET auditlog.allow_drop = on" -c "DROP EXTENSION IF EXISTS auditlog" >/dev/null 2>&1
        fi
    done
    [ -z "$errors" ] && ok "eight drops while the worker summarizes: each succeeds, no deadlock" \
        || notok "drops failed:$errors"
    q -d postgres -c "DROP DATABASE d1"
}

retention() {
    local months m0 pid
    q -d postgres -c "CREATE DATABASE t1"
    q -d t1 -c "CREATE EXTENSION auditlog"
    # old events first: they are in the default partition
    q -d t1 -c "SELECT count(auditlog.import_event(now() - interval '90 days' - g * interval '1 hour',
                                                   'tap_worker.old', actor => 'Worker Test'))
                  FROM generate_series(1, 300) g" >/dev/null
    months=$(q -d t1 -c "SELECT string_agg(to_char(date_trunc('month', now() AT TIME ZONE 'UTC')
                                                   + k * interval '1 month', 'YYYYMM'), ' ' ORDER BY k)
                           FROM generate_series(0, 2) k")
    m0=${months%% *}
    if until_true 20 t1 "SELECT count(*) = 3 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                          WHERE i.inhparent = 'auditlog.event_store'::regclass
                            AND c.relname IN ($(printf "'event_store_%s'," $months | sed 's/,$//'))"; then
        ok "the worker makes the partitions of this month and the next two ($months)"
    else
        notok "the partitions were not made: $(q -d t1 -c "SELECT string_agg(inhrelid::regclass::text, ' ') FROM pg_inherits WHERE inhparent = 'auditlog.event_store'::regclass")"
    fi
    check "$(q -d t1 -c "SELECT array_agg(replace(pg_get_indexdef(indexrelid), 'event_store_$m0', 'P') ORDER BY 1)
                            = (SELECT array_agg(replace(pg_get_indexdef(indexrelid), 'event_store_default', 'P') ORDER BY 1)
                                 FROM pg_index WHERE indrelid = 'auditlog.event_store_default'::regclass)
                          FROM pg_index WHERE indrelid = 'auditlog.event_store_$m0'::regclass")" \
          "a new partition has the indexes of the default one, the same definitions"
    check "$(q -d t1 -c "SELECT tgenabled = 'A' FROM pg_trigger WHERE tgrelid = 'auditlog.event_store_$m0'::regclass
                          AND tgname = 'append_only_truncate'")" "and its TRUNCATE guard, ENABLE ALWAYS"
    check "$(q -d t1 -c "SELECT c.relowner = e.extowner FROM pg_class c, pg_extension e
                          WHERE c.oid = 'auditlog.event_store_$m0'::regclass AND e.extname = 'auditlog'")" \
          "and is owned by the extension's owner"
    q -d t1 -c "SELECT auditlog.log_event('tap_worker.now')" >/dev/null
    check "$(q -d t1 -c "SELECT tableoid = 'auditlog.event_store_$m0'::regclass FROM auditlog.event_store ORDER BY id DESC LIMIT 1")" \
          "an event of now goes into this month's partition"
    # a month missing while the default partition holds events: made in steps
    q -d t1 -c "DROP TABLE auditlog.event_store_${months##* }"
    if until_true 20 t1 "SELECT to_regclass('auditlog.event_store_${months##* }') IS NOT NULL"; then
        ok "a missing month is made again while the default partition holds events"
    else
        notok "the dropped month was not made again"
    fi
    check "$(q -d t1 -c "SELECT count(*) = 0 FROM pg_constraint WHERE conrelid = 'auditlog.event_store_default'::regclass
                          AND conname LIKE 'event_store_default_not_%'")" "and no constraint of those steps is left"
    check "$(log | grep -c 'made partition auditlog.event_store_' | awk '{print ($1 >= 4) ? "t" : "f"}')" \
          "each partition made is in the server log"

    # retention: set for the database, taken by the worker when it starts again
    check "$(q -d t1 -c "LOAD 'auditlog'" -c "SET auditlog.retention = 'banana'" 2>&1 | grep -c 'auditlog.retention is an interval' | sed 's/^1$/t/')" \
          "a retention that is not an interval is refused"
    q -d t1 -c "ALTER DATABASE t1 SET auditlog.retention = '30 days'"
    pid=$(workers t1)
    q -d postgres -c "SELECT pg_terminate_backend($pid)" >/dev/null
    sleep 1
    q -d t1 -c "SELECT auditlog.log_event('tap_worker.wake')" >/dev/null
    if until_true 20 t1 "SELECT count(*) = 1 FROM auditlog.events WHERE action = 'auditlog.purge'"; then
        ok "the worker applies auditlog.retention: one purge"
    else
        notok "no retention purge: $(q -d t1 -c "SELECT * FROM auditlog.retention_state")"
    fi
    check "$(q -d t1 -c "SELECT count(*) = 0 FROM auditlog.events WHERE action = 'tap_worker.old'")" \
          "the events older than the retention are gone"
    check "$(q -d t1 -c "SELECT details->>'removed' = '300' FROM auditlog.events WHERE action = 'auditlog.purge'")" \
          "the purge event says how many went"
    check "$(q -d t1 -c "SELECT applied_at IS NOT NULL FROM auditlog.retention_state")" "the worker records when it applied it"
    sleep 3
    check "$(q -d t1 -c "SELECT count(*) = 1 FROM auditlog.events WHERE action = 'auditlog.purge'")" \
          "and applies it once a day, not every round"
    until_true 20 t1 "SELECT unsealed = 0 FROM auditlog.status()" || notok "the worker did not seal"
    check "$(q -d t1 -c "SELECT count(*) > 0 AND bool_and(ok) FROM auditlog.verify()")" "verify() passes after the purge"
    check "$(q -d t1 -c "SELECT auditlog.event_count() = count(*) FROM auditlog.events")" "and the counts are exact"
}

standby() {
    local sdir ssock sport
    q -d postgres -c "CREATE DATABASE r1"
    q -d r1 -c "CREATE EXTENSION auditlog"
    import r1 1000
    until_true 15 r1 "SELECT unsummarized = 0 FROM auditlog.status()" || notok "the primary did not summarize"
    sdir=$(mktemp -d /tmp/pgstandby.XXXXXX)
    ssock=$sdir/sock
    mkdir -p "$ssock"
    [ "$(id -u)" -eq 0 ] && chown -R postgres: "$sdir"
    chmod 700 "$sdir"
    sport=$((PGPORT + 1))
    as_postgres "$TMPCLUSTER_BINDIR/pg_basebackup" -h "$TMPCLUSTER_SOCKET" -p "$PGPORT" -U postgres \
        -D "$sdir/data" -R -X stream -c fast >/dev/null 2>&1 || notok "pg_basebackup failed"
    {
        echo "port = $sport"
        echo "listen_addresses = ''"
        echo "unix_socket_directories = '$ssock'"
        echo "hot_standby = on"
    } >> "$sdir/data/postgresql.conf"
    as_postgres "$TMPCLUSTER_BINDIR/pg_ctl" -D "$sdir/data" -w start >/dev/null 2>&1 || notok "the standby did not start"
    import r1 500
    sleep 3
    check "$(q -h "$ssock" -p "$sport" -d r1 -c "SELECT pg_is_in_recovery()")" "the standby is in recovery"
    check "$(q -h "$ssock" -p "$sport" -d postgres -c "SELECT count(*) = 0 FROM pg_stat_activity
                                                        WHERE backend_type LIKE 'auditlog%'")" \
          "a standby runs no launcher and no maintenance worker"
    check "$(q -h "$ssock" -p "$sport" -d r1 -c "SELECT events = 1500 FROM auditlog.status()")" \
          "status() reads the replicated log on the standby"
    as_postgres "$TMPCLUSTER_BINDIR/pg_ctl" -D "$sdir/data" -w -m fast stop >/dev/null 2>&1
    rm -rf "$sdir"
}

"$WORKER_TEST_INSIDE"
if log | grep -q "terminated by signal"; then
    notok "no server process crashed: $(log | grep 'terminated by signal' | head -1)"
else
    ok "no server process crashed"
fi
echo "1..$n"
exit $failed
