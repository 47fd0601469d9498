/*-------------------------------------------------------------------------
 *
 * src/event_queue.c
 *	  The queue of events, written in batches, and the write of one
 *	  event.
 *
 * Row triggers, log_event and import_event queue their events, and the
 * queue is written with one multi-row insert: when a statement ends or
 * starts (the executor hooks in auditlog.c), whenever it holds
 * AUDIT_QUEUE_MAX events, before an event is written at once
 * (AuditWriteEvent), and before the transaction commits or prepares,
 * whatever happened. Events of an aborted (sub)transaction leave the
 * queue with it.
 *
 * A queued event gets its id when it is queued (the caller of log_event
 * has it at once, and ids follow the order in which things happened), and
 * is written as of the command that queued it: the query that starts next
 * and flushes the queue sees it, as it would have seen an event written
 * at once (a plpgsql function that logs an event, then reads the log).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/datum.h"
#include "utils/memutils.h"

#include "event.h"

static AuditRow *queue = NULL;
static SubTransactionId *queue_subids = NULL;
static int	queue_len = 0;
static int	queue_cap = 0;
static bool queueing = false;	/* an event is being formed into the queue */
static MemoryContext queue_cxt = NULL;

static void ForgetQueued(SubTransactionId subid);
static void QueueXactCallback(XactEvent event, void *arg);
static void QueueSubXactCallback(SubXactEvent event, SubTransactionId mySubid,
								 SubTransactionId parentSubid, void *arg);
static bool QueueWritableHere(void);
static void EnsureQueue(void);
static void KeepValue(AuditRow *row, int anum);

/* Forgets the queued events of subtransactions >= subid (all when Invalid). */
static void
ForgetQueued(SubTransactionId subid)
{
	int			kept = 0;

	if (subid != InvalidSubTransactionId)
	{
		for (int i = 0; i < queue_len; i++)
		{
			if (queue_subids[i] < subid)
			{
				queue[kept] = queue[i];
				queue_subids[kept] = queue_subids[i];
				kept++;
			}
		}
	}
	queue_len = kept;
	if (queue_len == 0 && queue_cxt)
		MemoryContextReset(queue_cxt);
}

static void
QueueXactCallback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			AuditFlushEvents();
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PREPARE:
			ForgetQueued(InvalidSubTransactionId);
			break;
		default:
			break;
	}
}

static void
QueueSubXactCallback(SubXactEvent event, SubTransactionId mySubid,
					 SubTransactionId parentSubid, void *arg)
{
	/* later subtransactions opened while mySubid was open are its children */
	if (event == SUBXACT_EVENT_ABORT_SUB)
		ForgetQueued(mySubid);
}

/*
 * True when the queued events may be written now. Writing them inside a
 * subtransaction younger than any of them (a plpgsql EXCEPTION block run by
 * some other trigger of the same statement, say) would lose them if that
 * subtransaction rolled back while their rows stayed: they wait for the
 * statement's end, or the commit, in their own subtransaction.
 */
static bool
QueueWritableHere(void)
{
	SubTransactionId here = GetCurrentSubTransactionId();

	for (int i = 0; i < queue_len; i++)
	{
		if (queue_subids[i] < here)
			return false;
	}
	return true;
}

/* Allocates the queue on first use. */
static void
EnsureQueue(void)
{
	if (queue)
		return;
	queue = MemoryContextAllocZero(TopMemoryContext, sizeof(AuditRow) * AUDIT_QUEUE_MAX);
	queue_subids = MemoryContextAlloc(TopMemoryContext,
									  sizeof(SubTransactionId) * AUDIT_QUEUE_MAX);
	queue_cap = AUDIT_QUEUE_MAX;
	queue_cxt = AllocSetContextCreate(TopMemoryContext, "auditlog queue",
									  ALLOCSET_DEFAULT_SIZES);
}

/* Copies a by-reference value of a queued row into the current context. */
static void
KeepValue(AuditRow *row, int anum)
{
	if (!row->nulls[anum - 1])
		row->values[anum - 1] = datumCopy(row->values[anum - 1], false, -1);
}

/* Writes every queued event, in queue order. */
void
AuditFlushEvents(void)
{
	/*
	 * Not while an event is being queued: the SQL that adds a new label runs
	 * through the executor, whose hook calls us.
	 */
	if (queue_len == 0 || queueing || !QueueWritableHere())
		return;
	AuditStoreRows(queue, queue_len);
	ForgetQueued(InvalidSubTransactionId);
}

/*
 * Queues one event and returns its id, taken now so that ids follow the
 * order in which things happened; the event is written by AuditFlushEvents.
 */
int64
AuditQueueEvent(AuditEvent *ev)
{
	int64		id;

	AuditRow   *row;
	MemoryContext old;

	EnsureQueue();
	if (queue_len >= AUDIT_QUEUE_MAX)
		AuditFlushEvents();
	/* still full: the events cannot be written from this subtransaction */
	if (queue_len >= queue_cap)
	{
		queue_cap *= 2;
		queue = repalloc(queue, sizeof(AuditRow) * queue_cap);
		queue_subids = repalloc(queue_subids, sizeof(SubTransactionId) * queue_cap);
	}

	row = &queue[queue_len];
	queueing = true;
	PG_TRY();
	{
		AuditFormEvent(ev, row);
	}
	PG_FINALLY();
	{
		queueing = false;
	}
	PG_END_TRY();

	/* the row's by-reference values must live as long as the queue */
	old = MemoryContextSwitchTo(queue_cxt);
	KeepValue(row, Anum_event_store_resource_id);
	KeepValue(row, Anum_event_store_details);
	KeepValue(row, Anum_event_store_client_addr);
	MemoryContextSwitchTo(old);
	id = AuditNextEventId();
	row->values[Anum_event_store_id - 1] = Int64GetDatum(id);
	row->nulls[Anum_event_store_id - 1] = false;
	row->cid = GetCurrentCommandId(true);
	queue_subids[queue_len] = GetCurrentSubTransactionId();
	queue_len++;
	return id;
}

/*
 * Writes one event now and returns its id; queued events are written
 * first.
 */
int64
AuditWriteEvent(AuditEvent *ev)
{
	AuditRow	row;

	int64		id;

	AuditFlushEvents();
	AuditFormEvent(ev, &row);
	id = AuditNextEventId();
	row.values[Anum_event_store_id - 1] = Int64GetDatum(id);
	row.nulls[Anum_event_store_id - 1] = false;
	row.cid = GetCurrentCommandId(true);
	AuditStoreRows(&row, 1);
	return id;
}

/* Module start-up: the queue follows transactions. */
void
EventQueueInit(void)
{
	RegisterXactCallback(QueueXactCallback, NULL);
	RegisterSubXactCallback(QueueSubXactCallback, NULL);
}
