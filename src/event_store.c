/*-------------------------------------------------------------------------
 *
 * src/event_store.c
 *	  Rows into auditlog.event_store: heap and index entries, no SQL.
 *
 * Events are written straight into the heap with heap_multi_insert and
 * their index entries added here, with no executor, permission check or
 * plan: the writers have no privilege on the table, and the write path
 * must cost as little as possible. What that needs between writes (the
 * indexes' descriptions, the slots of a multi-row insert) is kept per
 * backend and rebuilt when event_store or one of our relations changes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "commands/sequence.h"
#include "executor/executor.h"
#include "nodes/execnodes.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "event.h"
#include "worker.h"

/* What the write path keeps of one index of event_store. */
typedef struct IndexSlot
{
	Oid			indexoid;
	IndexInfo  *info;
	bool		simple;			/* plain columns, no predicate */
} IndexSlot;

static MemoryContext store_cxt = NULL;

/*
 * Slots for the multi-row insert, kept until the next reset over a copy of
 * event_store's descriptor that is not reference-counted: per-write slots
 * on the relcache's descriptor would cost a resource-owner entry each.
 */
static TupleTableSlot **slots = NULL;
static int	n_slots = 0;
static IndexSlot *index_slots = NULL;
static int	n_index_slots = -1;	/* -1: not loaded */
static bool cache_stale = false;

static void StoreReset(void);
static void EnsureWriteCache(Relation rel);
static void EnsureSlots(Relation rel, int n);
static void InsertIndexEntries(Relation rel, AuditRow *rows, int n);

/* Forgets the index descriptions (the table or its indexes changed). */
static void
StoreReset(void)
{
	/*
	 * Called from invalidation callbacks, which can run in the middle of a
	 * write (any lock or catalog access processes them): only mark the
	 * cache stale; EnsureWriteCache() frees and rebuilds it at a safe point.
	 */
	cache_stale = true;
}

/*
 * Makes sure the descriptions of event_store's indexes are loaded and
 * current. Called with event_store open, at the start of a write, never in
 * its middle: a stale cache is freed and rebuilt here only.
 */
static void
EnsureWriteCache(Relation rel)
{
	List	   *oids;
	ListCell   *lc;
	MemoryContext old;
	int			i = 0;

	if (cache_stale && store_cxt)
	{
		MemoryContextReset(store_cxt);
		n_index_slots = -1;
		index_slots = NULL;
		slots = NULL;
		n_slots = 0;
	}
	cache_stale = false;
	if (n_index_slots >= 0)
		return;
	if (store_cxt == NULL)
		store_cxt = AllocSetContextCreate(CacheMemoryContext, "auditlog events",
										  ALLOCSET_SMALL_SIZES);
	AuditCheckNatts(rel, Natts_event_store);

	oids = RelationGetIndexList(rel);
	old = MemoryContextSwitchTo(store_cxt);
	index_slots = palloc0(sizeof(IndexSlot) * Max(list_length(oids), 1));
	foreach(lc, oids)
	{
		Oid			ioid = lfirst_oid(lc);
		Relation	idx = index_open(ioid, RowExclusiveLock);
		IndexInfo  *ii = BuildIndexInfo(idx);

		index_slots[i].indexoid = ioid;
		index_slots[i].info = ii;
		index_slots[i].simple = (ii->ii_Expressions == NIL && ii->ii_Predicate == NIL);
		index_close(idx, NoLock);
		i++;
	}
	MemoryContextSwitchTo(old);
	n_index_slots = i;
	list_free(oids);
}

/* Makes sure there are slots for n rows, and for a full queue at least. */
static void
EnsureSlots(Relation rel, int n)
{
	MemoryContext old;
	TupleDesc	desc;
	int			want;

	if (n_slots >= n)
		return;
	old = MemoryContextSwitchTo(store_cxt);
	desc = n_slots > 0 ? slots[0]->tts_tupleDescriptor :
		CreateTupleDescCopy(RelationGetDescr(rel));
	want = Max(n, AUDIT_QUEUE_MAX);
	slots = n_slots > 0 ?
		repalloc(slots, sizeof(TupleTableSlot *) * want) :
		palloc(sizeof(TupleTableSlot *) * want);
	for (int i = n_slots; i < want; i++)
		slots[i] = MakeSingleTupleTableSlot(desc, &TTSOpsVirtual);
	n_slots = want;
	MemoryContextSwitchTo(old);
}

/*
 * Inserts the index entries of n new event_store rows, stored in slots[]
 * (their values also in rows[]). Each index is opened once.
 */
static void
InsertIndexEntries(Relation rel, AuditRow *rows, int n)
{
	for (int i = 0; i < n_index_slots; i++)
	{
		IndexSlot  *s = &index_slots[i];
		IndexInfo  *ii = s->info;
		Relation	idx = index_open(s->indexoid, RowExclusiveLock);
		IndexUniqueCheck check = idx->rd_index->indisunique ? UNIQUE_CHECK_YES : UNIQUE_CHECK_NO;
		EState	   *estate = NULL;
		ExprState  *pred = NULL;

		/*
		 * An access method may cache data about the index in the IndexInfo
		 * (BRIN does); it must not outlive this call, since only the table's
		 * invalidation, not the index's, reaches our cache.
		 */
		ii->ii_AmCache = NULL;
		ii->ii_Context = CurrentMemoryContext;

		if (!s->simple)
		{
			/* an index someone added by hand: let the executor compute it */
			estate = CreateExecutorState();
			if (ii->ii_Predicate != NIL)
				pred = ExecPrepareQual(ii->ii_Predicate, estate);
		}
		for (int t = 0; t < n; t++)
		{
			Datum		ivalues[INDEX_MAX_KEYS];
			bool		inulls[INDEX_MAX_KEYS];

			if (s->simple)
			{
				for (int k = 0; k < ii->ii_NumIndexAttrs; k++)
				{
					int			attno = ii->ii_IndexAttrNumbers[k];

					ivalues[k] = rows[t].values[attno - 1];
					inulls[k] = rows[t].nulls[attno - 1];
				}
			}
			else
			{
				ExprContext *econtext = GetPerTupleExprContext(estate);

				ResetExprContext(econtext);
				econtext->ecxt_scantuple = slots[t];
				if (pred && !ExecQual(pred, econtext))
					continue;
				FormIndexDatum(ii, slots[t], estate, ivalues, inulls);
			}
			index_insert(idx, ivalues, inulls, &slots[t]->tts_tid, rel, check,
#if PG_VERSION_NUM >= 140000
						 false,
#endif
						 ii);
		}
		if (estate)
		{
			ii->ii_ExpressionsState = NIL;
			ii->ii_PredicateState = NULL;
			FreeExecutorState(estate);
		}
		ii->ii_AmCache = NULL;
		index_close(idx, NoLock);
	}
}

/*
 * Writes n rows, in order, each with a fresh id from the sequence, and
 * returns the id of the last one.
 */
int64
AuditStoreRows(AuditRow *rows, int n)
{
	Relation	rel;
	Oid			seq;
	MemoryContext write_cxt;
	MemoryContext old;
	int64		id = 0;

	Assert(n > 0);
	rel = table_open(AuditRelid(AREL_EVENT_STORE), RowExclusiveLock);
	EnsureWriteCache(rel);
	EnsureSlots(rel, n);
	write_cxt = AllocSetContextCreate(CurrentMemoryContext, "auditlog write",
									  ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(write_cxt);
	seq = AuditRelid(AREL_EVENT_STORE_ID_SEQ);
	for (int i = 0; i < n; i++)
	{
		TupleTableSlot *slot = slots[i];

		id = nextval_internal(seq, false);
		rows[i].values[Anum_event_store_id - 1] = Int64GetDatum(id);
		ExecClearTuple(slot);
		memcpy(slot->tts_values, rows[i].values, sizeof(rows[i].values));
		memcpy(slot->tts_isnull, rows[i].nulls, sizeof(rows[i].nulls));
		ExecStoreVirtualTuple(slot);
	}
	heap_multi_insert(rel, slots, n, GetCurrentCommandId(true), 0, NULL);
	InsertIndexEntries(rel, rows, n);
	for (int i = 0; i < n; i++)
		ExecClearTuple(slots[i]);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(write_cxt);
	table_close(rel, NoLock);
	/* the new events need summarizing: make sure a worker is on it */
	AuditWakeMaintenance();
	return id;
}

/* Module start-up. */
void
EventStoreInit(void)
{
	AuditOnReset(StoreReset);
}
