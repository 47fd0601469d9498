/*-------------------------------------------------------------------------
 *
 * src/writer.c
 *	  The autonomous writer: events and labels committed on their own.
 *
 * Some writes must not depend on the caller's transaction: an event that
 * records a denied attempt survives the ROLLBACK that follows it
 * (log_event_autonomous), and a string new to the dictionaries is
 * committed at once, so that no other writer ever waits on an
 * uncommitted dictionary row of a long or prepared transaction. Both are
 * done by one background worker per database, the writer, which serves
 * every session of that database:
 *
 * - It owns a dynamic shared memory segment of request slots. A session
 *   claims a free slot, fills it, marks it requested and sets the writer's
 *   latch; the writer takes every requested slot, handles each in a
 *   subtransaction of one transaction (so that many callers share a
 *   commit), records the result in the slot, commits, marks the slots
 *   done and sets each caller's latch.
 * - Sessions find the segment through a small file in the data directory,
 *   auditlog_writer.<database oid>, written by the writer once it holds
 *   the database's writer lock (a session-level advisory lock of a key
 *   space no SQL function makes). This needs no shared_preload_libraries.
 *   A session that finds no live writer starts one, and waits for it.
 * - An event's slot records its id as soon as it is written, before the
 *   commit. If the writer stops before the caller got its answer (it was
 *   terminated, the server shuts down), its transaction has ended by the
 *   time the caller notices (the writer flags its end after rolling back),
 *   and the caller looks that id up: found, the event was committed and
 *   the call succeeds; not found, it was not, and the call fails with an
 *   error that says so. An event is never lost silently nor written twice.
 * - A caller cancelled while it waits withdraws a request the writer has
 *   not taken yet; one being handled is finished, and the caller's own
 *   error is what it sees.
 * - The writer leaves after a few idle minutes, giving its worker slot
 *   back; the next request starts another one.
 *
 * What cannot be had (no free worker slot, a writer that does not answer)
 * is an ERROR for log_event_autonomous; for a new label, the caller falls
 * back to writing it in its own transaction, which may then wait as it
 * did before, and says so once per session in a WARNING.
 *
 * This file is the writer's side; the sessions' side (finding or starting
 * the writer, a request and its answer, what a request holds) is
 * writer_client.c, and the slots both use are in writer_shm.h.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>
#include <unistd.h>

#include "access/xact.h"
#include "access/xlog.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "port/atomics.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/dsm.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "catalog.h"
#include "labels.h"
#include "worker.h"
#include "writer.h"
#include "writer_shm.h"

/* The writer lock's key: "audi", "tlog", and 'wr' as the fourth field. */
#define WRITER_LOCK_KEY1	0x61756469
#define WRITER_LOCK_KEY2	0x746c6f67
#define WRITER_LOCK_KEY4	0x7772
/* A writer with nothing to do for this long leaves. */
#define WRITER_IDLE_EXIT_MS	(5 * 60 * 1000)

/* How often an idle writer looks whether its database still has the extension. */
#define WRITER_EXTENSION_CHECK_MS	(5 * 1000)

/* the writer's own state */
static WriterShared *my_ws = NULL;
static bool am_writer = false;

static void WriteWriterFile(dsm_handle handle);
static void RemoveWriterFile(void);
static void SetSlotError(WriterSlot *slot, ErrorData *edata);
static void HandleSlot(WriterSlot *slot);
static int	TakeRequests(WriterSlot **taken);
static void HandleBatch(WriterSlot **taken, int n, MemoryContext cxt);
static void WriterShutdown(int code, Datum arg);

/* ------------------------------------------------------------------------
 * internal: the writer file
 * ------------------------------------------------------------------------
 */

/* The writer names its segment, atomically (a temporary file renamed). */
static void
WriteWriterFile(dsm_handle handle)
{
	char		path[MAXPGPATH];
	char		tmp[MAXPGPATH];
	FILE	   *f;

	WriterFilePath(path, MyDatabaseId);
	snprintf(tmp, MAXPGPATH, "%s.tmp", path);
	f = AllocateFile(tmp, "w");
	if (f == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create file \"%s\": %m", tmp)));
	fprintf(f, "%u %d\n", (unsigned int) handle, (int) MyProcPid);
	if (FreeFile(f) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not write file \"%s\": %m", tmp)));
	durable_rename(tmp, path, ERROR);
}

/* The writer removes its file when it leaves, unless another writer wrote it since. */
static void
RemoveWriterFile(void)
{
	char		path[MAXPGPATH];
	dsm_handle	handle;
	pid_t		pid;

	WriterFilePath(path, MyDatabaseId);
	if (ReadWriterFile(&handle, &pid) && pid == MyProcPid)
		(void) unlink(path);
}

/* ------------------------------------------------------------------------
 * internal: the writer's side
 * ------------------------------------------------------------------------
 */

/*
 * An error's text cut to a quarter of a slot, between characters: the
 * four parts of an error then fit in a slot whole (a constraint's detail
 * can quote a row of any size).
 */
static const char *
ClipErrorText(const char *text)
{
	int			max = AUDIT_WRITER_MAX_REQUEST / 4 - 16;
	int			len;

	if (text == NULL || (len = strlen(text)) <= max)
		return text;
	return pnstrdup(text, pg_mbcliplen(text, len, max));
}

/* Records an error in a slot: its sqlstate, message, detail and hint. */
static void
SetSlotError(WriterSlot *slot, ErrorData *edata)
{
	StringInfoData buf;

	initStringInfo(&buf);
	WriterPutString(&buf, unpack_sql_state(edata->sqlerrcode));
	WriterPutString(&buf, ClipErrorText(edata->message ? edata->message : "unknown error"));
	WriterPutString(&buf, ClipErrorText(edata->detail));
	WriterPutString(&buf, ClipErrorText(edata->hint));
	Assert(buf.len <= AUDIT_WRITER_MAX_REQUEST);
	slot->len = buf.len;
	memcpy(slot->data, buf.data, slot->len);
	slot->failed = true;
}

/* Handles one request, in the current (sub)transaction. */
static void
HandleSlot(WriterSlot *slot)
{
	StringInfoData buf;

	buf.data = slot->data;
	buf.len = slot->len;
	buf.maxlen = slot->len;
	buf.cursor = 0;
	if (slot->kind == REQ_EVENT)
	{
		AuditEvent	ev;

		WriterDeserializeEvent(&buf, &ev);
		slot->result = AuditWriteEvent(&ev);
		slot->written_id = slot->result;
	}
	else
	{
		char		kind = (char) pq_getmsgbyte(&buf);
		char	   *label = WriterGetString(&buf);

		slot->result = (kind == LABEL_ACTION) ? AuditActionId(label) : AuditLabelId(kind, label);
	}
}

/* Takes every requested slot; returns how many. */
static int
TakeRequests(WriterSlot **taken)
{
	int			n = 0;

	for (int i = 0; i < WRITER_SLOTS; i++)
	{
		WriterSlot *slot = &my_ws->slots[i];
		uint32		expected = SLOT_REQUESTED;

		if (pg_atomic_compare_exchange_u32(&slot->state, &expected, SLOT_WORKING))
		{
			slot->failed = false;
			slot->written_id = 0;
			taken[n++] = slot;
		}
	}
	return n;
}

/*
 * Handles the taken requests, each in a subtransaction of one transaction,
 * commits, and answers every caller.
 */
static void
HandleBatch(WriterSlot **taken, int n, MemoryContext cxt)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	for (int i = 0; i < n; i++)
	{
		MemoryContext old = CurrentMemoryContext;
		ResourceOwner owner = CurrentResourceOwner;

		BeginInternalSubTransaction(NULL);
		PG_TRY();
		{
			HandleSlot(taken[i]);
			ReleaseCurrentSubTransaction();
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			MemoryContextSwitchTo(cxt);
			edata = CopyErrorData();
			FlushErrorState();
			RollbackAndReleaseCurrentSubTransaction();
			SetSlotError(taken[i], edata);
			taken[i]->written_id = 0;
			FreeErrorData(edata);
		}
		PG_END_TRY();
		MemoryContextSwitchTo(old);
		CurrentResourceOwner = owner;
	}
	PopActiveSnapshot();
	CommitTransactionCommand();

	for (int i = 0; i < n; i++)
	{
		uint32		expected = SLOT_WORKING;
		int			client = taken[i]->client;

		/* a caller who left meanwhile gets nothing: the slot is free again */
		if (!pg_atomic_compare_exchange_u32(&taken[i]->state, &expected, SLOT_DONE))
			pg_atomic_write_u32(&taken[i]->state, SLOT_FREE);
		SetLatch(&GetPGProcByNumber(client)->procLatch);
	}
}

/*
 * before_shmem_exit callback, registered before the connection: it runs
 * after the writer's transaction was rolled back, so that a caller who
 * sees the flag can trust what it then finds in the event store.
 */
static void
WriterShutdown(int code, Datum arg)
{
	if (my_ws == NULL)
		return;
	RemoveWriterFile();
	/* what the slots say (written_id, their states) is seen before the flag */
	pg_memory_barrier();
	pg_atomic_write_u32(&my_ws->closed, 1);
	for (int i = 0; i < WRITER_SLOTS; i++)
	{
		uint32		state = pg_atomic_read_u32(&my_ws->slots[i].state);

		if (state == SLOT_REQUESTED || state == SLOT_WORKING)
			SetLatch(&GetPGProcByNumber(my_ws->slots[i].client)->procLatch);
	}
}

/* ------------------------------------------------------------------------
 * exported
 * ------------------------------------------------------------------------
 */


/* True in the writer itself, which adds its labels in its own transaction. */
bool
AuditIsWriter(void)
{
	return am_writer;
}

/* ------------------------------------------------------------------------
 * the writer's entry point
 * ------------------------------------------------------------------------
 */

/* Background worker auditlog writer: answers the requests of its database's sessions. */
void
auditlog_writer_main(Datum arg)
{
	Oid			dboid = DatumGetObjectId(arg);
	LOCKTAG		tag;
	dsm_segment *seg;
	MemoryContext cxt;
	TimestampTz last_request;
	TimestampTz last_check;
	WriterSlot *taken[WRITER_SLOTS];

	am_writer = true;
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	/* before the connection, so that it runs after the transaction's rollback */
	before_shmem_exit(WriterShutdown, (Datum) 0);
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	SetConfigOption("application_name", AUDIT_WRITER_TYPE, PGC_USERSET, PGC_S_SESSION);
	SetConfigOption("default_transaction_isolation", "read committed", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("default_transaction_read_only", "off", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("statement_timeout", "0", PGC_SUSET, PGC_S_OVERRIDE);
	/* a caller holding a lock the writer needs gets an error, not a hang */
	SetConfigOption("lock_timeout", "10s", PGC_SUSET, PGC_S_OVERRIDE);
	if (RecoveryInProgress())
		proc_exit(0);

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, WRITER_LOCK_KEY1, WRITER_LOCK_KEY2, WRITER_LOCK_KEY4);
	if (LockAcquire(&tag, ExclusiveLock, true, true) == LOCKACQUIRE_NOT_AVAIL)
		proc_exit(0);			/* another writer serves this database */

	seg = dsm_create(sizeof(WriterShared), 0);
	dsm_pin_mapping(seg);
	my_ws = (WriterShared *) dsm_segment_address(seg);
	memset(my_ws, 0, sizeof(WriterShared));
	my_ws->magic = WRITER_MAGIC;
	my_ws->dboid = MyDatabaseId;
	my_ws->pid = MyProcPid;
	my_ws->procno = MyProc->pgprocno;
	pg_atomic_init_u32(&my_ws->closed, 0);
	for (int i = 0; i < WRITER_SLOTS; i++)
		pg_atomic_init_u32(&my_ws->slots[i].state, SLOT_FREE);
	WriteWriterFile(dsm_segment_handle(seg));
	cxt = AllocSetContextCreate(TopMemoryContext, "auditlog writer", ALLOCSET_DEFAULT_SIZES);

	last_request = GetCurrentTimestamp();
	last_check = last_request;
	for (;;)
	{
		int			n;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		n = TakeRequests(taken);
		if (n > 0)
		{
			MemoryContextReset(cxt);
			pgstat_report_activity(STATE_RUNNING, "auditlog writer: writing");
			HandleBatch(taken, n, cxt);
			pgstat_report_activity(STATE_IDLE, NULL);
			pgstat_report_stat(false);
			last_request = GetCurrentTimestamp();
			continue;
		}
		/* idle for long, or its database wanted by DROP DATABASE and the like */
		if (TimestampDifferenceExceeds(last_request, GetCurrentTimestamp(), WRITER_IDLE_EXIT_MS) ||
			AuditDatabaseBusy())
			proc_exit(0);
		/* or the extension dropped: no one will ask, and a new one is other objects */
		if (TimestampDifferenceExceeds(last_check, GetCurrentTimestamp(), WRITER_EXTENSION_CHECK_MS))
		{
			if (!AuditExtensionPresentNow())
				proc_exit(0);
			last_check = GetCurrentTimestamp();
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1000,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
