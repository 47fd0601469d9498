/*-------------------------------------------------------------------------
 *
 * src/maintenance.c
 *	  The maintenance worker of one database, and auditlog.status().
 *
 * A worker (started by worker.c) connects to its database as the bootstrap
 * superuser, takes the database's maintenance lock and, every
 * auditlog.maintenance_naptime, runs a round: it brings the summaries up
 * to date, then seals the events, in steps of a bounded size, then makes
 * the partitions of the months ahead (partition.c) and, once a day, purges
 * what auditlog.retention no longer keeps (retention.c), each step in a
 * transaction of its own, so
 * that a burst of writes is summarized within a few naptimes and no step
 * holds anything for long. Between steps and while it naps it checks
 * whether someone wants the database to themselves (DROP DATABASE and the
 * like wait only a few seconds for other sessions to leave), whether the
 * extension is still there, and whether it was asked to stop; in each case
 * it exits cleanly and nothing restarts it until it is wanted again.
 *
 * An error in a round is reported, its transaction rolled back, and the
 * round tried again after the next nap: the worker outlives its errors. It
 * never runs on a standby (it is only started once recovery has finished,
 * and checks again), and the only events it writes are its retention
 * purges' (auditlog.purge).
 *
 * What the worker is doing shows in pg_stat_activity (backend_type
 * "auditlog maintenance", application_name the same, the query column
 * naming the current step); auditlog.status() reads the start of its last
 * round from there.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "partition.h"
#include "purge.h"
#include "spi_util.h"
#include "seal.h"
#include "summary.h"
#include "worker.h"

/* Most events one summarizing step adds: a transaction of a few hundred ms at most. */
#define SUMMARY_STEP_EVENTS		200000

/* Columns of auditlog.status(). */
#define Natts_status	5

/* this worker's database, read in its first transaction */
static char dbname[NAMEDATALEN];
/* whether a round found the extension: its disappearance is then worth a LOG line */
static bool seen_extension = false;

static void SetWorkerSettings(void);
static bool ExtensionPresent(void);
static bool SummarizeStep(void);
static bool SealStep(void);
static bool InTransaction(bool (*step) (void));
static bool RunRound(void);
static bool Nap(void);

/* ------------------------------------------------------------------------
 * internal: the worker
 * ------------------------------------------------------------------------
 */

/* Settings of the worker's own session, whatever postgresql.conf says. */
static void
SetWorkerSettings(void)
{
	SetConfigOption("application_name", AUDIT_MAINTENANCE_TYPE, PGC_USERSET, PGC_S_SESSION);
	SetConfigOption("default_transaction_isolation", "read committed", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("default_transaction_read_only", "off", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("statement_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("idle_in_transaction_session_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);
}

/* True when the database still has the extension; notes the database's name the first time. */
static bool
ExtensionPresent(void)
{
	if (dbname[0] == '\0')
	{
		StartTransactionCommand();
		strlcpy(dbname, get_database_name(MyDatabaseId), NAMEDATALEN);
		CommitTransactionCommand();
	}
	return AuditExtensionPresentNow();
}

/* One summarizing step; true when another one may do more. */
static bool
SummarizeStep(void)
{
	bool		more;

	(void) AuditSummarize(SUMMARY_STEP_EVENTS, &more);
	return more;
}

/* One sealing step; true when another one may do more. */
static bool
SealStep(void)
{
	return AuditSeal(SUMMARY_STEP_EVENTS) > 0;
}

/*
 * A step in a transaction of its own; false (no more to do) when the
 * extension is gone. Each step first takes the maintenance step lock,
 * which DROP EXTENSION takes exclusively before it drops anything: a drop
 * waits for the step under way, and a step holding no table lock yet
 * waits for the drop, then finds the extension gone. (Without it, a drop
 * that had locked one of auditlog's tables while a step held another, and
 * each wanted the other's, ended in a deadlock: 8 drops in 25 with a busy
 * worker.)
 */
static bool
InTransaction(bool (*step) (void))
{
	bool		more = false;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	AuditLockMaintenanceStep(false);
	AcceptInvalidationMessages();
	if (AuditExtensionPresent())
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		more = step();
		PopActiveSnapshot();
	}
	CommitTransactionCommand();
	return more;
}

/*
 * A round, with its errors caught: reported, rolled back, and tried again
 * after the next nap. Returns false when the extension is gone.
 */
static bool
RunRound(void)
{
	MemoryContext cxt = CurrentMemoryContext;
	volatile bool present = true;

	PG_TRY();
	{
		present = AuditMaintenanceRound();
	}
	PG_CATCH();
	{
		HOLD_INTERRUPTS();
		EmitErrorReport();
		AbortOutOfAnyTransaction();
		FlushErrorState();
		RESUME_INTERRUPTS();
		MemoryContextSwitchTo(cxt);
		pgstat_report_activity(STATE_IDLE, NULL);
		ereport(LOG,
				(errmsg("auditlog maintenance: the round failed; it is tried again in %d ms",
						auditlog_maintenance_naptime)));
	}
	PG_END_TRY();
	return present;
}

/*
 * Whether the worker should stop what it is doing: someone wants the
 * database to themselves, or auditlog.maintenance_worker was turned off (a
 * reload is read here, so that turning it off takes effect between two
 * steps of a long round, not at its end).
 */
static bool
MustLeave(void)
{
	if (ConfigReloadPending)
	{
		ConfigReloadPending = false;
		ProcessConfigFile(PGC_SIGHUP);
	}
	return !auditlog_maintenance_worker || AuditDatabaseBusy();
}

/*
 * Waits a naptime, waking every second to see whether it must leave.
 * Returns false when the worker should stop.
 */
static bool
Nap(void)
{
	TimestampTz start = GetCurrentTimestamp();

	for (;;)
	{
		long		left = auditlog_maintenance_naptime -
			(long) ((GetCurrentTimestamp() - start) / 1000);

		CHECK_FOR_INTERRUPTS();
		if (MustLeave())
			return false;
		if (left <= 0)
			return true;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Min(left, 1000L), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* ------------------------------------------------------------------------
 * exported
 * ------------------------------------------------------------------------
 */

/*
 * One round of maintenance, each step in a transaction of its own: the
 * summaries up to date, then the seals, the partitions of the months
 * ahead, and once a day the retention purge. Returns false when the
 * extension is gone.
 */
bool
AuditMaintenanceRound(void)
{
	if (!ExtensionPresent())
		return false;
	seen_extension = true;
	SetCurrentStatementStartTimestamp();
	pgstat_report_activity(STATE_RUNNING, "auditlog maintenance: summaries");
	while (InTransaction(SummarizeStep))
	{
		CHECK_FOR_INTERRUPTS();
		if (MustLeave())
			return true;
	}
	pgstat_report_activity(STATE_RUNNING, "auditlog maintenance: seals");
	while (InTransaction(SealStep))
	{
		CHECK_FOR_INTERRUPTS();
		if (MustLeave())
			return true;
	}
	pgstat_report_activity(STATE_RUNNING, "auditlog maintenance: partitions");
	while (InTransaction(AuditPartitionStep))
	{
		CHECK_FOR_INTERRUPTS();
		if (MustLeave())
			return true;
	}
	pgstat_report_activity(STATE_RUNNING, "auditlog maintenance: retention");
	(void) InTransaction(AuditRetentionStep);
	pgstat_report_activity(STATE_IDLE, NULL);
	pgstat_report_stat(false);
	return true;
}

/* Background worker auditlog maintenance: rounds every naptime until told to stop. */
void
auditlog_maintenance_main(Datum arg)
{
	Oid			dboid = DatumGetObjectId(arg);

	dbname[0] = '\0';
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	SetWorkerSettings();

	if (RecoveryInProgress() || !auditlog_maintenance_worker)
		proc_exit(0);
	if (!AuditTakeMaintenanceLock())
		proc_exit(0);			/* another worker serves this database */

	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (AuditDatabaseBusy())
		{
			ereport(LOG,
					(errmsg("auditlog maintenance: leaving database \"%s\", which is being dropped, renamed or copied",
							dbname)));
			proc_exit(0);
		}
		if (!RunRound())
		{
			/* the launcher probes every database: only a vanished extension is news */
			AuditNoteNoExtension();
			ereport(seen_extension ? LOG : DEBUG1,
					(errmsg("auditlog maintenance: stopping: extension auditlog is not installed in database \"%s\"",
							dbname)));
			proc_exit(0);
		}
		if (!Nap())
			proc_exit(0);
	}
}

/* ------------------------------------------------------------------------
 * SQL-callable functions
 * ------------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(auditlog_status);
/*
 * auditlog.status() RETURNS TABLE(events, unsummarized, unsealed,
 * oldest_event, last_maintenance): the state of the log, for monitoring.
 * last_maintenance is the latest of the last change of the summaries and
 * the start of the running worker's last round; NULL when neither ever
 * happened.
 */
Datum
auditlog_status(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[Natts_status];
	bool		nulls[Natts_status] = {false};
	AuditLogState state;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "auditlog: return type must be a row type");
	if (tupdesc->natts != Natts_status)
		elog(ERROR, "auditlog: auditlog.status() returns %d columns, expected %d",
			 tupdesc->natts, Natts_status);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "auditlog: SPI_connect failed");
	AuditReadLogState(&state);
	SPI_finish();

	values[0] = Int64GetDatum(state.events);
	values[1] = Int64GetDatum(state.unsummarized);
	values[2] = Int64GetDatum(state.unsealed);
	values[3] = TimestampTzGetDatum(state.oldest_event);
	nulls[3] = TIMESTAMP_NOT_FINITE(state.oldest_event);
	values[4] = TimestampTzGetDatum(state.last_maintenance);
	nulls[4] = TIMESTAMP_NOT_FINITE(state.last_maintenance);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}
