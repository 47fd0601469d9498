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
 * whatever happened, by whichever subtransaction is current then. Events
 * of an aborted (sub)transaction leave the queue with it; an older event
 * that an aborted subtransaction wrote is written again (QueueEntry).
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

/*
 * The queue: events in the order they were queued, each with the
 * subtransaction that queued it. An event is written, as a rule, by the
 * subtransaction that queued it or a descendant that has since ended well,
 * and then leaves the queue. One written by a descendant still open (an
 * EXCEPTION block's first query, after a log_event outside it) stays, marked
 * written: if that subtransaction rolls back, taking the event's row with
 * it, the event is written again by the next flush; once it ends well, the
 * row is the queuing subtransaction's and the event leaves.
 */
typedef struct QueueEntry
{
	SubTransactionId queued;	/* the subtransaction that queued it */
	SubTransactionId written;	/* Invalid: waits to be written */
} QueueEntry;

static AuditRow *queue = NULL;
static QueueEntry *queue_entries = NULL;
static int	queue_len = 0;
static int	queue_waiting = 0;	/* of them not written */
static int	queue_cap = 0;
static bool queueing = false;	/* an event is being formed into the queue */
static MemoryContext queue_cxt = NULL;
static Size queue_kept_bytes = 0;	/* queue_cxt's size when last compacted */

/* queue_cxt is compacted when it grew by this much (and doubled) since */
#define QUEUE_COMPACT_BYTES		(1024 * 1024)

static void KeepEntries(bool (*keep) (QueueEntry *e, SubTransactionId a, SubTransactionId b),
						SubTransactionId a, SubTransactionId b);
static bool KeepBelow(QueueEntry *e, SubTransactionId subid, SubTransactionId unused);
static bool KeepAfterRelease(QueueEntry *e, SubTransactionId subid, SubTransactionId parent);
static bool KeepUnwritten(QueueEntry *e, SubTransactionId unused_a, SubTransactionId unused_b);
static void QueueXactCallback(XactEvent event, void *arg);
static void QueueSubXactCallback(SubXactEvent event, SubTransactionId mySubid,
								 SubTransactionId parentSubid, void *arg);
static void EnsureQueue(void);
static void KeepValue(AuditRow *row, int anum);
static void KeepRowValues(AuditRow *row);
static void CompactQueueMemory(void);
static int64 StampRow(AuditRow *row);

/*
 * Keeps the entries for which keep() says so (it may change them), in
 * their order; the queue's memory goes once it is empty.
 */
static void
KeepEntries(bool (*keep) (QueueEntry *e, SubTransactionId a, SubTransactionId b),
			SubTransactionId a, SubTransactionId b)
{
	int			kept = 0;

	queue_waiting = 0;
	for (int i = 0; i < queue_len; i++)
	{
		if (keep(&queue_entries[i], a, b))
		{
			queue[kept] = queue[i];
			queue_entries[kept] = queue_entries[i];
			if (queue_entries[kept].written == InvalidSubTransactionId)
				queue_waiting++;
			kept++;
		}
	}
	queue_len = kept;
	if (queue_len == 0 && queue_cxt)
	{
		MemoryContextReset(queue_cxt);
		queue_kept_bytes = 0;
	}
}

/*
 * Subtransaction subid and its children rolled back: their events go, and
 * an older event they wrote waits to be written again.
 */
static bool
KeepBelow(QueueEntry *e, SubTransactionId subid, SubTransactionId unused)
{
	if (e->queued >= subid)
		return false;
	if (e->written != InvalidSubTransactionId && e->written >= subid)
		e->written = InvalidSubTransactionId;
	return true;
}

/*
 * Subtransaction subid ended well: what it (or its children, ended before
 * it) wrote is its parent's now, and an event whose row is no longer in a
 * younger subtransaction than the one that queued it is done with.
 */
static bool
KeepAfterRelease(QueueEntry *e, SubTransactionId subid, SubTransactionId parent)
{
	if (e->written == InvalidSubTransactionId)
		return true;
	if (e->written >= subid)
		e->written = parent;
	return e->written > e->queued;
}

/* After a flush: what the flushing subtransaction wrote for itself is done. */
static bool
KeepUnwritten(QueueEntry *e, SubTransactionId unused_a, SubTransactionId unused_b)
{
	return e->written == InvalidSubTransactionId || e->written > e->queued;
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
			queue_len = 0;
			queue_waiting = 0;
			if (queue_cxt)
				MemoryContextReset(queue_cxt);
			queue_kept_bytes = 0;
			break;
		default:
			break;
	}
}

static void
QueueSubXactCallback(SubXactEvent event, SubTransactionId mySubid,
					 SubTransactionId parentSubid, void *arg)
{
	if (queue_len == 0)
		return;
	/* later subtransactions opened while mySubid was open are its children */
	if (event == SUBXACT_EVENT_ABORT_SUB)
		KeepEntries(KeepBelow, mySubid, InvalidSubTransactionId);
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
		KeepEntries(KeepAfterRelease, mySubid, parentSubid);
}

/* Allocates the queue on first use. */
static void
EnsureQueue(void)
{
	if (queue)
		return;
	queue = MemoryContextAllocZero(TopMemoryContext, sizeof(AuditRow) * AUDIT_QUEUE_MAX);
	queue_entries = MemoryContextAlloc(TopMemoryContext, sizeof(QueueEntry) * AUDIT_QUEUE_MAX);
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

/* Copies the by-reference values of a queued row into the current context. */
static void
KeepRowValues(AuditRow *row)
{
	KeepValue(row, Anum_event_store_resource_id);
	KeepValue(row, Anum_event_store_details);
	KeepValue(row, Anum_event_store_client_addr);
}

/*
 * The values of events that left the queue stay in queue_cxt as long as any
 * event is queued; an event that a subtransaction still open wrote stays
 * queued until that subtransaction ends (a loop of log_event calls in an
 * EXCEPTION block, after one event outside it). So once the context has
 * grown well past what the queued events hold, their values move to a new
 * one and the old goes: each move at least doubles what the queue holds,
 * so the copying costs a constant share of the queuing.
 */
static void
CompactQueueMemory(void)
{
	MemoryContext fresh;
	MemoryContext old;

	if (queue_len == 0 ||
		MemoryContextMemAllocated(queue_cxt, false) < 2 * queue_kept_bytes + QUEUE_COMPACT_BYTES)
		return;
	fresh = AllocSetContextCreate(TopMemoryContext, "auditlog queue", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(fresh);
	for (int i = 0; i < queue_len; i++)
		KeepRowValues(&queue[i]);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(queue_cxt);
	queue_cxt = fresh;
	queue_kept_bytes = MemoryContextMemAllocated(queue_cxt, false);
}

/*
 * Gives a formed row its id and command, now: the order ids follow, and the
 * command as of which the row is written. Returns the id.
 */
static int64
StampRow(AuditRow *row)
{
	int64		id = AuditNextEventId();

	row->values[Anum_event_store_id - 1] = Int64GetDatum(id);
	row->nulls[Anum_event_store_id - 1] = false;
	row->cid = GetCurrentCommandId(true);
	return id;
}

/*
 * Writes every event that waits, in queue order, as part of the current
 * subtransaction.
 */
void
AuditFlushEvents(void)
{
	SubTransactionId here;
	AuditRow   *rows;

	/*
	 * Not while an event is being queued: the SQL that adds a new label runs
	 * through the executor, whose hook calls us.
	 */
	if (queue_waiting == 0 || queueing)
		return;
	here = GetCurrentSubTransactionId();
	rows = queue;
	if (queue_waiting < queue_len)
	{
		int			n = 0;

		rows = palloc(sizeof(AuditRow) * queue_waiting);
		for (int i = 0; i < queue_len; i++)
			if (queue_entries[i].written == InvalidSubTransactionId)
				rows[n++] = queue[i];
	}
	AuditStoreRows(rows, queue_waiting);
	if (rows != queue)
		pfree(rows);
	for (int i = 0; i < queue_len; i++)
		if (queue_entries[i].written == InvalidSubTransactionId)
			queue_entries[i].written = here;
	KeepEntries(KeepUnwritten, InvalidSubTransactionId, InvalidSubTransactionId);
	CompactQueueMemory();
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
	if (queue_waiting >= AUDIT_QUEUE_MAX)
		AuditFlushEvents();
	/* still full: events written by a subtransaction still open stay until it ends */
	if (queue_len >= queue_cap)
	{
		queue_cap *= 2;
		queue = repalloc(queue, sizeof(AuditRow) * queue_cap);
		queue_entries = repalloc(queue_entries, sizeof(QueueEntry) * queue_cap);
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
	KeepRowValues(row);
	MemoryContextSwitchTo(old);
	id = StampRow(row);
	queue_entries[queue_len].queued = GetCurrentSubTransactionId();
	queue_entries[queue_len].written = InvalidSubTransactionId;
	queue_len++;
	queue_waiting++;
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
	id = StampRow(&row);
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
