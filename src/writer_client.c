/*-------------------------------------------------------------------------
 *
 * src/writer_client.c
 *	  The sessions' side of the autonomous writer: finding it, requests.
 *
 * A session finds its database's writer through the writer file, attaches
 * to the segment the file names while that writer lives, and otherwise
 * starts one and waits a bounded time for it to publish itself. A request
 * is a slot claimed, filled and marked requested, and the writer's latch
 * set; the caller then waits for the answer in the slot. A cancel
 * withdraws a request the writer has not taken yet; when the writer
 * stopped before it answered, the event id recorded in the slot says
 * whether the event committed. What a request holds, and how an error
 * comes back in a slot, is encoded here for both sides.
 *
 * The protocol as a whole, and the writer's side, are in writer.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "port/atomics.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/fd.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "utils/snapmgr.h"

#include "owner.h"
#include "spi_util.h"
#include "worker.h"
#include "writer.h"
#include "writer_shm.h"

/* How long a caller waits for a free slot, or for a writer to start. */
#define CALLER_WAIT_MS		(10 * 1000)

/* How many writers an autonomous event is offered to when each leaves before taking it. */
#define WRITER_ATTEMPTS		3

/* the caller's view of its database's writer */
static dsm_segment *client_seg = NULL;
static WriterShared *client_ws = NULL;
static bool fallback_warned = false;

static bool WriterAlive(WriterShared *ws);
static void ClientDetach(void);
static bool ClientAttach(void);
static bool StartWriter(void);
static bool EnsureWriter(bool start);
static WriterSlot *ClaimSlot(void);
static void OfferRequest(WriterSlot *slot, uint32 kind, const StringInfoData *buf);
static bool WaitDone(WriterSlot *slot);
static bool EventWasWritten(int64 id);
static void RaiseSlotError(WriterSlot *slot);
static void SerializeEvent(StringInfo buf, AuditEvent *ev);

/* ------------------------------------------------------------------------
 * finding the writer
 * ------------------------------------------------------------------------
 */

/* The file naming the writer of a database, relative to the data directory. */
void
WriterFilePath(char *path, Oid dboid)
{
	snprintf(path, MAXPGPATH, "auditlog_writer.%u", dboid);
}

/* Reads the writer file of this database: the segment's handle and the writer's pid. */
bool
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

	AuditWorkerDefinition(&w, "auditlog_writer_main", AUDIT_WRITER_TYPE);
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

/* Puts a request in a claimed slot and wakes the writer. */
static void
OfferRequest(WriterSlot *slot, uint32 kind, const StringInfoData *buf)
{
	slot->client = MyProc->pgprocno;
	slot->kind = kind;
	slot->len = buf->len;
	slot->written_id = 0;
	memcpy(slot->data, buf->data, buf->len);
	pg_write_barrier();
	pg_atomic_write_u32(&slot->state, SLOT_REQUESTED);
	SetLatch(&GetPGProcByNumber(client_ws->procno)->procLatch);
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
	/* the answer, or the writer's last word (written_id), was written before the flags */
	pg_read_barrier();
	return pg_atomic_read_u32(&slot->state) == SLOT_DONE;
}

/* Whether the event of that id committed, seen with a fresh snapshot. */
static bool
EventWasWritten(int64 id)
{
	bool		found;
	SpiArgs		args = {0};
	AuditOwnerState st;

	if (id <= 0)
		return false;
	/* as the owner: the caller needs no privilege on the event store */
	AuditConnectAsOwner(&st);
	SpiArg(&args, INT8OID, Int64GetDatum(id));
	/*
	 * Read-only, so that SPI reads with the snapshot pushed here: a query
	 * that may write takes the transaction's own, which under REPEATABLE
	 * READ or SERIALIZABLE predates the writer's commit (the event would be
	 * called lost, and a caller who tried again would log it twice).
	 */
	PushActiveSnapshot(GetLatestSnapshot());
	found = SpiQuery("SELECT 1 FROM auditlog.event_store e WHERE e.id OPERATOR(pg_catalog.=) $1",
					 &args, 1) > 0;
	PopActiveSnapshot();
	AuditFinishAsOwner(&st);
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
	sqlstate = WriterGetString(&buf);
	message = WriterGetString(&buf);
	detail = WriterGetString(&buf);
	hint = WriterGetString(&buf);
	ereport(ERROR,
			(errcode(MAKE_SQLSTATE(sqlstate[0], sqlstate[1], sqlstate[2], sqlstate[3], sqlstate[4])),
			 errmsg_internal("%s", message),
			 detail ? errdetail_internal("%s", detail) : 0,
			 hint ? errhint("%s", hint) : 0));
}

/* ------------------------------------------------------------------------
 * what a request holds, for both sides
 * ------------------------------------------------------------------------
 */

/* A string, or NULL, as its length (-1 for NULL) and its bytes. */
void
WriterPutString(StringInfo buf, const char *s)
{
	int32		len = s ? (int32) strlen(s) : -1;

	pq_sendint32(buf, len);
	if (len > 0)
		pq_sendbytes(buf, s, len);
}

char *
WriterGetString(StringInfo buf)
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
	WriterPutString(buf, ev->action);
	WriterPutString(buf, ev->actor);
	WriterPutString(buf, ev->actor_id);
	WriterPutString(buf, ev->resource_type);
	WriterPutString(buf, ev->resource_id);
	WriterPutString(buf, ev->org_id);
	WriterPutString(buf, ev->db_user);
	WriterPutString(buf, ev->application_name);
	WriterPutString(buf, ev->client_addr);
	pq_sendint32(buf, ev->details ? VARSIZE(ev->details) : 0);
	if (ev->details)
		pq_sendbytes(buf, (char *) ev->details, VARSIZE(ev->details));
}

void
WriterDeserializeEvent(StringInfo buf, AuditEvent *ev)
{
	int32		len;

	memset(ev, 0, sizeof(*ev));
	ev->occurred_at = pq_getmsgint64(buf);
	ev->outcome = (AuditOutcome) pq_getmsgbyte(buf);
	ev->action = WriterGetString(buf);
	ev->actor = WriterGetString(buf);
	ev->actor_id = WriterGetString(buf);
	ev->resource_type = WriterGetString(buf);
	ev->resource_id = WriterGetString(buf);
	ev->org_id = WriterGetString(buf);
	ev->db_user = WriterGetString(buf);
	ev->application_name = WriterGetString(buf);
	ev->client_addr = WriterGetString(buf);
	ev->context_given = true;
	len = pq_getmsgint(buf, 4);
	if (len > 0)
	{
		ev->details = (Jsonb *) palloc(len);
		memcpy(ev->details, pq_getmsgbytes(buf, len), len);
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
	/*
	 * A writer may leave (idle for long, its database wanted by DROP
	 * DATABASE) between this session finding it and its taking the request:
	 * a request it never took was not written, and goes to the next writer.
	 */
	for (int attempt = 1;; attempt++)
	{
		uint32		expected = SLOT_REQUESTED;
		int64		written;

		if (!EnsureWriter(true))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
					 errmsg("could not start the auditlog writer: no background worker slot is free"),
					 errdetail("The event was not written."),
					 errhint("Raise max_worker_processes (now %d), or log the event with auditlog.log_event().",
							 max_worker_processes)));
		slot = ClaimSlot();
		if (slot == NULL && !WriterAlive(client_ws) && attempt < WRITER_ATTEMPTS)
			continue;
		if (slot == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
					 errmsg("the auditlog writer's queue is full"),
					 errdetail("The event was not written: every one of its %d slots stayed busy for %d s.",
							   WRITER_SLOTS, CALLER_WAIT_MS / 1000),
					 errhint("Call again, or log the event with auditlog.log_event().")));
		OfferRequest(slot, REQ_EVENT, &buf);
		if (WaitDone(slot))
			break;
		/* the writer stopped: had it taken the request? */
		if (pg_atomic_compare_exchange_u32(&slot->state, &expected, SLOT_FREE) &&
			attempt < WRITER_ATTEMPTS)
		{
			ClientDetach();
			continue;
		}
		written = slot->written_id;
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
	if (AuditIsWriter() || !IsUnderPostmaster || RecoveryInProgress())
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
	WriterPutString(&buf, label);
	OfferRequest(slot, REQ_LABEL, &buf);
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
