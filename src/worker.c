/*-------------------------------------------------------------------------
 *
 * src/worker.c
 *	  Starting the maintenance workers: on demand, and from a launcher.
 *
 * Each database with the extension gets one maintenance worker
 * (maintenance.c), a dynamic background worker connected to it. Two things
 * start one, and either suffices:
 *
 * - Any backend that writes events, at most once per naptime: when no
 *   worker holds the database's maintenance lock, it registers one. This
 *   needs no shared_preload_libraries: a dynamic worker loads the library
 *   itself.
 * - With shared_preload_libraries = 'auditlog', a launcher that connects
 *   to no database, lists the databases that accept connections, and
 *   starts a worker for each that has none, so that maintenance also runs
 *   where nothing has been written since the server started. A worker that
 *   finds no extension in its database says so in shared memory, and the
 *   launcher leaves that database alone for a while.
 *
 * The maintenance lock is a session-level advisory lock of a key space no
 * SQL function makes (its fourth field is neither 1 nor 2), held by the
 * worker for its whole life: whoever can take it knows no worker runs.
 * Probes take it in share mode and let go at once; a starting worker
 * retries for a moment before concluding that another one is running.
 *
 * Workers are never restarted by the postmaster (BGW_NEVER_RESTART): the
 * launcher and the writers bring them back, after a crash, a
 * pg_terminate_backend or an error that ended one. Nothing here ever
 * blocks a writer or fails its statement: a worker that cannot be started
 * (max_worker_processes reached) is a WARNING, repeated at most every
 * five minutes per backend.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_database.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "worker.h"

/* The maintenance lock's key: "audi", "tlog", and 'ma' as the fourth field. */
#define MAINTENANCE_LOCK_KEY1	0x61756469
#define MAINTENANCE_LOCK_KEY2	0x746c6f67
#define MAINTENANCE_LOCK_KEY4	0x6d61
#define MAINTENANCE_STEP_KEY4	0x6d73

/* How long a database without the extension is left alone by the launcher. */
#define NO_EXTENSION_RECHECK_MS	(60 * 1000)
/* At most one "cannot start a worker" warning per backend in this time. */
#define START_WARNING_INTERVAL_MS	(5 * 60 * 1000)
/* Databases remembered by the launcher as having no extension. */
#define MAX_KNOWN_DATABASES		64

int			auditlog_maintenance_naptime = 10000;
bool		auditlog_maintenance_worker = true;

/* Shared memory, with shared_preload_libraries only: what workers tell the launcher. */
typedef struct KnownDatabase
{
	Oid			dboid;
	TimestampTz no_extension_at;
} KnownDatabase;

typedef struct WorkerShared
{
	slock_t		mutex;
	KnownDatabase db[MAX_KNOWN_DATABASES];
} WorkerShared;

static WorkerShared *shared = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static void DefineWorkerSettings(void);
static void WorkerShmemRequest(void);
static void WorkerShmemStartup(void);
static void RegisterLauncher(void);
static void MaintenanceLockTag(LOCKTAG *tag, Oid dboid);
static bool WorkerRunning(Oid dboid);
static bool StartWorker(Oid dboid, const char *why);
static bool RecentlyWithoutExtension(Oid dboid, TimestampTz now);
static List *ConnectableDatabases(MemoryContext cxt);
static void LaunchWorkers(MemoryContext cxt);

/* ------------------------------------------------------------------------
 * internal
 * ------------------------------------------------------------------------
 */

/* auditlog.maintenance_worker and auditlog.maintenance_naptime. */
static void
DefineWorkerSettings(void)
{
	DefineCustomBoolVariable("auditlog.maintenance_worker",
							 "Whether a background worker keeps each database's summaries current.",
							 "Off: no maintenance worker starts, and running ones stop; "
							 "call auditlog.summarize() yourself.",
							 &auditlog_maintenance_worker, true, PGC_SIGHUP, 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("auditlog.maintenance_naptime",
							"Time between two rounds of the maintenance worker.",
							NULL,
							&auditlog_maintenance_naptime, 10000, 100, 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
}

static void
WorkerShmemRequest(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(WorkerShared)));
}

static void
WorkerShmemStartup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("auditlog workers", sizeof(WorkerShared), &found);
	if (!found)
	{
		memset(shared, 0, sizeof(WorkerShared));
		SpinLockInit(&shared->mutex);
	}
	LWLockRelease(AddinShmemInitLock);
}

/*
 * What every background worker of this library has: a database connection,
 * a start once recovery is over, no restart by the postmaster, and its
 * function and type. The caller sets what differs (its name, argument,
 * restart time, who to notify).
 */
void
AuditWorkerDefinition(BackgroundWorker *w, const char *function, const char *type)
{
	memset(w, 0, sizeof(*w));
	w->bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	w->bgw_start_time = BgWorkerStart_RecoveryFinished;
	w->bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(w->bgw_library_name, BGW_MAXLEN, "auditlog");
	snprintf(w->bgw_function_name, BGW_MAXLEN, "%s", function);
	snprintf(w->bgw_name, BGW_MAXLEN, "%s", type);
	snprintf(w->bgw_type, BGW_MAXLEN, "%s", type);
}

/* The launcher: one per server, restarted by the postmaster if it dies. */
static void
RegisterLauncher(void)
{
	BackgroundWorker w;

	AuditWorkerDefinition(&w, "auditlog_launcher_main", AUDIT_LAUNCHER_TYPE);
	w.bgw_restart_time = 10;
	RegisterBackgroundWorker(&w);
}

static void
MaintenanceLockTag(LOCKTAG *tag, Oid dboid)
{
	SET_LOCKTAG_ADVISORY(*tag, dboid, MAINTENANCE_LOCK_KEY1, MAINTENANCE_LOCK_KEY2,
						 MAINTENANCE_LOCK_KEY4);
}

/*
 * The maintenance step lock of this database, until the transaction ends:
 * shared by each step of a maintenance worker, exclusive for DROP
 * EXTENSION auditlog (see maintenance.c's InTransaction).
 */
void
AuditLockMaintenanceStep(bool exclusive)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, MAINTENANCE_LOCK_KEY1, MAINTENANCE_LOCK_KEY2,
						 MAINTENANCE_STEP_KEY4);
	(void) LockAcquire(&tag, exclusive ? ExclusiveLock : ShareLock, false, false);
}

/* True when a maintenance worker holds the database's lock. */
static bool
WorkerRunning(Oid dboid)
{
	LOCKTAG		tag;

	MaintenanceLockTag(&tag, dboid);
	if (LockAcquire(&tag, ShareLock, true, true) == LOCKACQUIRE_NOT_AVAIL)
		return true;
	LockRelease(&tag, ShareLock, true);
	return false;
}

/* Registers a maintenance worker for a database; false when no slot is free. */
static bool
StartWorker(Oid dboid, const char *why)
{
	BackgroundWorker w;

	AuditWorkerDefinition(&w, "auditlog_maintenance_main", AUDIT_MAINTENANCE_TYPE);
	snprintf(w.bgw_name, BGW_MAXLEN, "%s (%s)", AUDIT_MAINTENANCE_TYPE, why);
	w.bgw_main_arg = ObjectIdGetDatum(dboid);
	/* no handle: the launcher would keep one for its whole life per start */
	return RegisterDynamicBackgroundWorker(&w, NULL);
}

/* True when a worker found no extension in the database a short while ago. */
static bool
RecentlyWithoutExtension(Oid dboid, TimestampTz now)
{
	bool		recent = false;

	if (shared == NULL)
		return false;
	SpinLockAcquire(&shared->mutex);
	for (int i = 0; i < MAX_KNOWN_DATABASES; i++)
	{
		if (shared->db[i].dboid == dboid)
			recent = !TimestampDifferenceExceeds(shared->db[i].no_extension_at, now,
												 NO_EXTENSION_RECHECK_MS);
	}
	SpinLockRelease(&shared->mutex);
	return recent;
}

/* The databases a worker could connect to: not templates, accepting connections. */
static List *
ConnectableDatabases(MemoryContext cxt)
{
	List	   *dbs = NIL;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);
		MemoryContext old;

		if (!db->datallowconn || db->datistemplate || database_is_invalid_form(db))
			continue;
		old = MemoryContextSwitchTo(cxt);
		dbs = lappend_oid(dbs, db->oid);
		MemoryContextSwitchTo(old);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
	return dbs;
}

/* One round of the launcher: a worker for each database that has none. */
static void
LaunchWorkers(MemoryContext cxt)
{
	static TimestampTz last_warning = 0;
	TimestampTz now = GetCurrentTimestamp();
	ListCell   *lc;

	MemoryContextReset(cxt);
	foreach(lc, ConnectableDatabases(cxt))
	{
		Oid			dboid = lfirst_oid(lc);

		if (WorkerRunning(dboid) || RecentlyWithoutExtension(dboid, now))
			continue;
		if (!StartWorker(dboid, "started by the launcher") &&
			TimestampDifferenceExceeds(last_warning, now, START_WARNING_INTERVAL_MS))
		{
			last_warning = now;
			ereport(WARNING,
					(errmsg("auditlog: could not start a maintenance worker: no background worker slot is free"),
					 errhint("Raise max_worker_processes (now %d); until then summaries lag behind.",
							 max_worker_processes)));
		}
	}
}

/* ------------------------------------------------------------------------
 * exported
 * ------------------------------------------------------------------------
 */

/*
 * Called by writers: starts a maintenance worker for this database when
 * none runs, checking at most once per naptime. Never errors.
 */
void
AuditWakeMaintenance(void)
{
	static TimestampTz last_check = 0;
	static TimestampTz last_warning = 0;
	TimestampTz now;

	if (!auditlog_maintenance_worker || !IsUnderPostmaster)
		return;
	if (MyBgworkerEntry && strcmp(MyBgworkerEntry->bgw_type, AUDIT_MAINTENANCE_TYPE) == 0)
		return;					/* a worker does not start itself */
	now = GetCurrentTimestamp();
	if (!TimestampDifferenceExceeds(last_check, now, auditlog_maintenance_naptime))
		return;
	last_check = now;
	if (RecoveryInProgress() || WorkerRunning(MyDatabaseId))
		return;
	if (!StartWorker(MyDatabaseId, "started by a writer") &&
		TimestampDifferenceExceeds(last_warning, now, START_WARNING_INTERVAL_MS))
	{
		last_warning = now;
		ereport(WARNING,
				(errmsg("auditlog: could not start the maintenance worker of this database: no background worker slot is free"),
				 errdetail("The events are written; only their summaries lag behind."),
				 errhint("Raise max_worker_processes (now %d), or call auditlog.summarize() yourself.",
						 max_worker_processes)));
	}
}

/*
 * The worker side of the maintenance lock: takes it for the session, or
 * returns false when another worker holds it. Retries for a moment, since
 * probes take it briefly.
 */
bool
AuditTakeMaintenanceLock(void)
{
	LOCKTAG		tag;

	MaintenanceLockTag(&tag, MyDatabaseId);
	for (int attempt = 0; attempt < 20; attempt++)
	{
		if (LockAcquire(&tag, ExclusiveLock, true, true) != LOCKACQUIRE_NOT_AVAIL)
			return true;
		pg_usleep(50 * 1000L);
		CHECK_FOR_INTERRUPTS();
	}
	return false;
}

/* A worker found no extension in its database: the launcher skips it for a while. */
void
AuditNoteNoExtension(void)
{
	int			own = -1;
	int			free_slot = -1;
	int			oldest = -1;
	int			slot;
	TimestampTz now = GetCurrentTimestamp();

	if (shared == NULL)
		return;
	SpinLockAcquire(&shared->mutex);
	/* its own entry, else a free one, else the oldest (a database seen long ago, maybe dropped since) */
	for (int i = 0; i < MAX_KNOWN_DATABASES && own < 0; i++)
	{
		if (shared->db[i].dboid == MyDatabaseId)
			own = i;
		else if (!OidIsValid(shared->db[i].dboid))
		{
			if (free_slot < 0)
				free_slot = i;
		}
		else if (oldest < 0 || shared->db[i].no_extension_at < shared->db[oldest].no_extension_at)
			oldest = i;
	}
	slot = own >= 0 ? own : free_slot >= 0 ? free_slot : oldest;
	shared->db[slot].dboid = MyDatabaseId;
	shared->db[slot].no_extension_at = now;
	SpinLockRelease(&shared->mutex);
}

/*
 * True when someone wants this database to themselves: DROP DATABASE,
 * ALTER DATABASE RENAME or SET TABLESPACE, or CREATE DATABASE copying it,
 * all of which wait a few seconds for the other sessions to leave, then
 * fail. A worker that sees it leaves.
 */
bool
AuditDatabaseBusy(void)
{
	LOCKTAG		tag;

	SET_LOCKTAG_OBJECT(tag, InvalidOid, DatabaseRelationId, MyDatabaseId, 0);
	if (LockAcquire(&tag, RowExclusiveLock, true, true) == LOCKACQUIRE_NOT_AVAIL)
		return true;
	LockRelease(&tag, RowExclusiveLock, true);
	return false;
}

/* Module start-up: the settings; with shared_preload_libraries, the launcher. */
void
WorkerInit(void)
{
	DefineWorkerSettings();
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = WorkerShmemRequest;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = WorkerShmemStartup;
	RegisterLauncher();
}

/* ------------------------------------------------------------------------
 * the launcher's entry point
 * ------------------------------------------------------------------------
 */

/* Background worker auditlog launcher: a maintenance worker for every database. */
void
auditlog_launcher_main(Datum arg)
{
	MemoryContext cxt;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	cxt = AllocSetContextCreate(TopMemoryContext, "auditlog launcher", ALLOCSET_DEFAULT_SIZES);

	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		if (auditlog_maintenance_worker)
			LaunchWorkers(cxt);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 auditlog_maintenance_naptime, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
