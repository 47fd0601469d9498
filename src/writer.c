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
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>
#include <unistd.h>

#include "access/xact.h"
#include "access/xlog.h"
#include "libpq/pqformat.h"
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
#include "storage/procarray.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "catalog.h"
#include "labels.h"
#include "spi_util.h"
#include "worker.h"
#include "writer.h"

#define WRITER_MAGIC		0x61756477	/* "audw" */
#define WRITER_SLOTS		16
/* The writer lock's key: "audi", "tlog", and 'wr' as the fourth field. */
#define WRITER_LOCK_KEY1	0x61756469
#define WRITER_LOCK_KEY2	0x746c6f67
#define WRITER_LOCK_KEY4	0x7772
/* A writer with nothing to do for this long leaves. */
#define WRITER_IDLE_EXIT_MS	(5 * 60 * 1000)
/* How long a caller waits for a free slot, or for a writer to start. */
#define CALLER_WAIT_MS		(10 * 1000)

/* Kinds of request. */
#define REQ_EVENT			1
#define REQ_LABEL			2

/* States of a slot. */
#define SLOT_FREE			0
#define SLOT_FILLING		1	/* claimed by a caller */
#define SLOT_REQUESTED		2
#define SLOT_WORKING		3	/* taken by the writer */
#define SLOT_DONE			4
#define SLOT_ABANDONED		5	/* its caller left while the writer worked */

typedef struct WriterSlot
{
	pg_atomic_uint32 state;
	int			client;			/* pgprocno of the caller, for its latch */
	uint32		kind;
	uint32		len;			/* bytes of the request in data */
	int64		written_id;		/* REQ_EVENT: the event's id once written */
	int64		result;
	bool		failed;			/* data then holds sqlstate, message, detail, hint */
	char		data[AUDIT_WRITER_MAX_REQUEST];
} WriterSlot;

typedef struct WriterShared
{
	uint32		magic;
	Oid			dboid;
	pid_t		pid;
	int			procno;			/* the writer's pgprocno, for its latch */
	pg_atomic_uint32 closed;	/* set once the writer's last transaction ended */
	WriterSlot	slots[WRITER_SLOTS];
} WriterShared;

/* the caller's view of its database's writer */
static dsm_segment *client_seg = NULL;
static WriterShared *client_ws = NULL;
static bool fallback_warned = false;

/* the writer's own state */
static WriterShared *my_ws = NULL;
static bool am_writer = false;

static void WriterFilePath(char *path, Oid dboid);
static bool ReadWriterFile(dsm_handle *handle, pid_t *pid);
static void WriteWriterFile(dsm_handle handle);
static void RemoveWriterFile(void);
static void ClientDetach(void);
static bool ClientAttach(void);
static bool StartWriter(void);
static bool EnsureWriter(bool start);
static bool WriterAlive(WriterShared *ws);
static WriterSlot *ClaimSlot(void);
static bool WaitDone(WriterSlot *slot);
static bool EventWasWritten(int64 id);
static void RaiseSlotError(WriterSlot *slot);
static void PutString(StringInfo buf, const char *s);
static char *GetString(StringInfo buf);
static void SerializeEvent(StringInfo buf, AuditEvent *ev);
static void DeserializeEvent(StringInfo buf, AuditEvent *ev);
static void SetSlotError(WriterSlot *slot, ErrorData *edata);
static void HandleSlot(WriterSlot *slot);
static int	TakeRequests(WriterSlot **taken);
static void HandleBatch(WriterSlot **taken, int n, MemoryContext cxt);
static void WriterShutdown(int code, Datum arg);

/* ------------------------------------------------------------------------
 * internal: finding the writer
 * ------------------------------------------------------------------------
 */

/* The file naming the writer of a database, relative to the data directory. */
static void
WriterFilePath(char *path, Oid dboid)
{
	snprintf(path, MAXPGPATH, "auditlog_writer.%u", dboid);
}

/* Reads the writer file of this database: the segment's handle and the writer's pid. */
static bool
ReadWriterFile(dsm_handle *handle, pid_t *pid)
{
	char		path[MAXPGPATH];
	FILE	   *f;
	unsigned int h;
	int			p;
	bool		ok;

	WriterFilePath(path, MyDatabaseId);
	f = AllocateFile(path, "r");
	if (f == NULL)
		return false;
	ok = (fscanf(f, "%u %d", &h, &p) == 2);
	FreeFile(f);
	*handle = (dsm_handle) h;
	*pid = (pid_t) p;
	return ok;
}

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

/* True while the writer behind a segment is there to answer. */
static bool
WriterAlive(WriterShared *ws)
{
	return ws != NULL && pg_atomic_read_u32(&ws->closed) == 0;
}

static void
ClientDetach(void)
{
	if (client_seg)
		dsm_detach(client_seg);
	client_seg = NULL;
	client_ws = NULL;
}

/* Attaches to the segment the writer file names, if its writer lives. */
static bool
ClientAttach(void)
{
	dsm_handle	handle;
	pid_t		pid;
	dsm_segment *seg;
	WriterShared *ws;

	if (!ReadWriterFile(&handle, &pid) || BackendPidGetProc(pid) == NULL)
		return false;
	seg = dsm_attach(handle);
	if (seg == NULL)
		return false;
	ws = (WriterShared *) dsm_segment_address(seg);
	if (ws->magic != WRITER_MAGIC || ws->dboid != MyDatabaseId || ws->pid != pid ||
		!WriterAlive(ws))
	{
		dsm_detach(seg);
		return false;
	}
	dsm_pin_mapping(seg);
	client_seg = seg;
	client_ws = ws;
	return true;
}

/* Registers a writer for this database and waits until a writer file names a live one. */
static bool
StartWriter(void)
{
	BackgroundWorker w;
	BackgroundWorkerHandle *handle;
	pid_t		pid;
	TimestampTz start = GetCurrentTimestamp();

	memset(&w, 0, sizeof(w));
	w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	w.bgw_start_time = BgWorkerStart_RecoveryFinished;
	w.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(w.bgw_library_name, BGW_MAXLEN, "auditlog");
	snprintf(w.bgw_function_name, BGW_MAXLEN, "auditlog_writer_main");
	snprintf(w.bgw_name, BGW_MAXLEN, AUDIT_WRITER_TYPE);
	snprintf(w.bgw_type, BGW_MAXLEN, AUDIT_WRITER_TYPE);
	w.bgw_main_arg = ObjectIdGetDatum(MyDatabaseId);
	w.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&w, &handle))
		return false;
	if (WaitForBackgroundWorkerStartup(handle, &pid) != BGWH_STARTED)
		return false;
	/* ours, or another session's started at the same time, publishes itself */
	while (!ClientAttach())
	{
		if (TimestampDifferenceExceeds(start, GetCurrentTimestamp(), CALLER_WAIT_MS))
			return false;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 20,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	return true;
}

/* Makes sure this session is attached to a live writer, starting one if allowed. */
static bool
EnsureWriter(bool start)
{
	if (WriterAlive(client_ws))
		return true;
	ClientDetach();
	if (ClientAttach())
		return true;
	return start && !RecoveryInProgress() && StartWriter();
}

/* ------------------------------------------------------------------------
 * internal: a request, from the caller's side
 * ------------------------------------------------------------------------
 */

/* Claims a free slot, waiting for one a bounded time; NULL when none came free. */
static WriterSlot *
ClaimSlot(void)
{
	TimestampTz start = GetCurrentTimestamp();

	for (;;)
	{
		for (int i = 0; i < WRITER_SLOTS; i++)
		{
			WriterSlot *slot = &client_ws->slots[i];
			uint32		expected = SLOT_FREE;

			if (pg_atomic_compare_exchange_u32(&slot->state, &expected, SLOT_FILLING))
				return slot;
		}
		if (!WriterAlive(client_ws) ||
			TimestampDifferenceExceeds(start, GetCurrentTimestamp(), CALLER_WAIT_MS))
			return NULL;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 5,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * Waits until the writer answered the request in the slot. Returns false
 * when the writer stopped first. An interrupt (a cancel) withdraws the
 * request if the writer has not taken it yet, and leaves it to the writer
 * otherwise.
 */
static bool
WaitDone(WriterSlot *slot)
{
	PG_TRY();
	{
		while (pg_atomic_read_u32(&slot->state) != SLOT_DONE)
		{
			/* the writer is gone, its last transaction over: no answer will come */
			if (!WriterAlive(client_ws) && pg_atomic_read_u32(&slot->state) != SLOT_DONE)
				break;
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 100,
							 PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
		}
	}
	PG_CATCH();
	{
		uint32		expected = SLOT_REQUESTED;

		if (!pg_atomic_compare_exchange_u32(&slot->state, &expected, SLOT_FREE))
		{
			expected = SLOT_WORKING;
			if (!pg_atomic_compare_exchange_u32(&slot->state, &expected, SLOT_ABANDONED))
				pg_atomic_write_u32(&slot->state, SLOT_FREE);	/* it was done */
		}
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (pg_atomic_read_u32(&slot->state) != SLOT_DONE)
		return false;
	pg_read_barrier();			/* the answer was written before the state */
	return true;
}

/* Whether the event of that id committed, seen with a fresh snapshot. */
static bool
EventWasWritten(int64 id)
{
	bool		found;
	SpiArgs		args = {0};

	if (id <= 0)
		return false;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "auditlog: SPI_connect failed");
	SpiArg(&args, INT8OID, Int64GetDatum(id));
	PushActiveSnapshot(GetLatestSnapshot());
	found = SpiExec("SELECT 1 FROM auditlog.event_store e WHERE e.id OPERATOR(pg_catalog.=) $1",
					&args, SPI_OK_SELECT) > 0;
	PopActiveSnapshot();
	SPI_finish();
	return found;
}

/* Raises, in the caller, the error the writer met for a request, and frees the slot. */
static void
RaiseSlotError(WriterSlot *slot)
{
	StringInfoData buf;
	char	   *sqlstate;
	char	   *message;
	char	   *detail;
	char	   *hint;

	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, slot->data, slot->len);
	pg_atomic_write_u32(&slot->state, SLOT_FREE);
	sqlstate = GetString(&buf);
	message = GetString(&buf);
	detail = GetString(&buf);
	hint = GetString(&buf);
	ereport(ERROR,
			(errcode(MAKE_SQLSTATE(sqlstate[0], sqlstate[1], sqlstate[2], sqlstate[3], sqlstate[4])),
			 errmsg_internal("%s", message),
			 detail ? errdetail_internal("%s", detail) : 0,
			 hint ? errhint("%s", hint) : 0));
}

/* ------------------------------------------------------------------------
 * internal: what a request holds
 * ------------------------------------------------------------------------
 */

/* A string, or NULL, as its length (-1 for NULL) and its bytes. */
static void
PutString(StringInfo buf, const char *s)
{
	int32		len = s ? (int32) strlen(s) : -1;

	pq_sendint32(buf, len);
	if (len > 0)
		pq_sendbytes(buf, s, len);
}

static char *
GetString(StringInfo buf)
{
	int32		len = pq_getmsgint(buf, 4);

	if (len < 0)
		return NULL;
	return pnstrdup(pq_getmsgbytes(buf, len), len);
}

/* An event and its caller's context, as a request. */
static void
SerializeEvent(StringInfo buf, AuditEvent *ev)
{
	pq_sendint64(buf, ev->occurred_at);
	pq_sendbyte(buf, ev->outcome);
	PutString(buf, ev->action);
	PutString(buf, ev->actor);
	PutString(buf, ev->actor_id);
	PutString(buf, ev->resource_type);
	PutString(buf, ev->resource_id);
	PutString(buf, ev->org_id);
	PutString(buf, ev->db_user);
	PutString(buf, ev->application_name);
	PutString(buf, ev->client_addr);
	pq_sendint32(buf, ev->details ? VARSIZE(ev->details) : 0);
	if (ev->details)
		pq_sendbytes(buf, (char *) ev->details, VARSIZE(ev->details));
}

static void
DeserializeEvent(StringInfo buf, AuditEvent *ev)
{
	int32		len;

	memset(ev, 0, sizeof(*ev));
	ev->occurred_at = pq_getmsgint64(buf);
	ev->outcome = (AuditOutcome) pq_getmsgbyte(buf);
	ev->action = GetString(buf);
	ev->actor = GetString(buf);
	ev->actor_id = GetString(buf);
	ev->resource_type = GetString(buf);
	ev->resource_id = GetString(buf);
	ev->org_id = GetString(buf);
	ev->db_user = GetString(buf);
	ev->application_name = GetString(buf);
	ev->client_addr = GetString(buf);
	ev->context_given = true;
	len = pq_getmsgint(buf, 4);
	if (len > 0)
	{
		ev->details = (Jsonb *) palloc(len);
		memcpy(ev->details, pq_getmsgbytes(buf, len), len);
	}
}

/* ------------------------------------------------------------------------
 * internal: the writer's side
 * ------------------------------------------------------------------------
 */

/* Records an error in a slot: its sqlstate, message, detail and hint. */
static void
SetSlotError(WriterSlot *slot, ErrorData *edata)
{
	StringInfoData buf;

	initStringInfo(&buf);
	PutString(&buf, unpack_sql_state(edata->sqlerrcode));
	PutString(&buf, edata->message ? edata->message : "unknown error");
	PutString(&buf, edata->detail);
	PutString(&buf, edata->hint);
	slot->len = Min(buf.len, AUDIT_WRITER_MAX_REQUEST);
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

		DeserializeEvent(&buf, &ev);
		slot->result = AuditWriteEvent(&ev);
		slot->written_id = slot->result;
	}
	else
	{
		char		kind = (char) pq_getmsgbyte(&buf);
		char	   *label = GetString(&buf);

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

/*
 * Writes an event through the writer and returns its id once committed.
 * The event's context (actor, organisation, role, application, client)
 * is this session's. Errors clearly when it cannot be done, and never
 * loses or doubles an event.
 */
int64
AuditWriteAutonomous(AuditEvent *ev)
{
	StringInfoData buf;
	WriterSlot *slot;
	int64		id;

	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot write events during recovery"),
				 errhint("Log the event on the primary server.")));
	if (ev->occurred_at == 0)
		ev->occurred_at = GetCurrentStatementStartTimestamp();
	AuditCaptureContext(ev);
	initStringInfo(&buf);
	SerializeEvent(&buf, ev);
	if (buf.len > AUDIT_WRITER_MAX_REQUEST)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("event of %d bytes is too large to be logged autonomously", buf.len),
				 errdetail("An autonomous event, details included, takes at most %d bytes.",
						   AUDIT_WRITER_MAX_REQUEST),
				 errhint("Keep the details short, or use auditlog.log_event().")));
	if (!EnsureWriter(true))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not start the auditlog writer: no background worker slot is free"),
				 errdetail("The event was not written."),
				 errhint("Raise max_worker_processes (now %d), or log the event with auditlog.log_event().",
						 max_worker_processes)));
	slot = ClaimSlot();
	if (slot == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("the auditlog writer's queue is full"),
				 errdetail("The event was not written: every one of its %d slots stayed busy for %d s.",
						   WRITER_SLOTS, CALLER_WAIT_MS / 1000),
				 errhint("Call again, or log the event with auditlog.log_event().")));
	slot->client = MyProc->pgprocno;
	slot->kind = REQ_EVENT;
	slot->len = buf.len;
	slot->written_id = 0;
	memcpy(slot->data, buf.data, buf.len);
	pg_write_barrier();
	pg_atomic_write_u32(&slot->state, SLOT_REQUESTED);
	SetLatch(&GetPGProcByNumber(client_ws->procno)->procLatch);

	if (!WaitDone(slot))
	{
		int64		written = slot->written_id;

		ClientDetach();
		if (EventWasWritten(written))
			return written;
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("the auditlog writer stopped before it wrote the event"),
				 errdetail("The event was not written."),
				 errhint("Call again: another writer starts.")));
	}
	if (slot->failed)
		RaiseSlotError(slot);
	id = slot->result;
	pg_atomic_write_u32(&slot->state, SLOT_FREE);
	return id;
}

/*
 * The id of a new label (kind '.' for an action), added and committed by
 * the writer so that no one waits on this transaction's rows. *done is
 * false when the writer cannot be had: the caller then adds it itself.
 */
int32
AuditResolveAutonomous(char kind, const char *label, bool *done)
{
	StringInfoData buf;
	WriterSlot *slot;
	int32		id;

	*done = false;
	if (am_writer || !IsUnderPostmaster || RecoveryInProgress())
		return 0;
	if (!EnsureWriter(true) || (slot = ClaimSlot()) == NULL)
	{
		if (!fallback_warned)
			ereport(WARNING,
					(errmsg("auditlog: new labels are added in your transaction: the auditlog writer cannot be started"),
					 errdetail("Until it can, a writer needing the same new label waits for this transaction to end."),
					 errhint("Raise max_worker_processes (now %d).", max_worker_processes)));
		fallback_warned = true;
		return 0;
	}
	initStringInfo(&buf);
	pq_sendbyte(&buf, kind);
	PutString(&buf, label);
	slot->client = MyProc->pgprocno;
	slot->kind = REQ_LABEL;
	slot->len = buf.len;
	memcpy(slot->data, buf.data, buf.len);
	pg_write_barrier();
	pg_atomic_write_u32(&slot->state, SLOT_REQUESTED);
	SetLatch(&GetPGProcByNumber(client_ws->procno)->procLatch);
	if (!WaitDone(slot))
	{
		ClientDetach();
		return 0;				/* the caller adds the label itself */
	}
	if (slot->failed)
		RaiseSlotError(slot);
	id = (int32) slot->result;
	pg_atomic_write_u32(&slot->state, SLOT_FREE);
	*done = true;
	return id;
}

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
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 1000,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
