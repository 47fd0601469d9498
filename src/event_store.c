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
#include "storage/lmgr.h"
#include "utils/memutils.h"
#include "utils/inval.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "event.h"
#include "partition.h"
#include "worker.h"

/* What the write path keeps of one index of a partition. */
typedef struct IndexSlot
{
	Oid			indexoid;
	IndexInfo  *info;
	bool		simple;			/* plain columns, and no predicate but maybe... */
	AttrNumber	not_null;		/* ... "WHERE column IS NOT NULL" (0: none) */
} IndexSlot;

/*
 * A partition of event_store: the months it takes, and its indexes. (A
 * 0.1.0 database not updated yet has a plain table: one "partition", the
 * table itself, that takes everything.)
 */
typedef struct PartSlot
{
	Oid			relid;
	TimestampTz lower;			/* [lower, upper) */
	TimestampTz upper;
	IndexSlot  *index_slots;
	int			n_index_slots;	/* -1: not loaded yet */
} PartSlot;

static MemoryContext store_cxt = NULL;

/*
 * The partitions by lower bound (the default partition apart: partition.c), and slots
 * for the multi-row insert, kept until the next reset over a copy of
 * event_store's descriptor that is not reference-counted: per-write slots
 * on the relcache's descriptor would cost a resource-owner entry each.
 */
static PartSlot *parts = NULL;
static int	n_parts = -1;		/* -1: not loaded */
static PartSlot *default_part = NULL;
static TupleTableSlot **slots = NULL;
static int	n_slots = 0;
static bool cache_stale = false;

static void StoreReset(void);
static void StoreRelcacheCallback(Datum arg, Oid relid);
static void LoadPartitions(Relation parent);
static void EnsureWriteCache(Relation parent);
static PartSlot *PartitionFor(TimestampTz t);
static void EnsureIndexes(PartSlot *p, Relation rel);
static void EnsureSlots(Relation rel, int n);
static AttrNumber NotNullPredicate(const IndexInfo *ii);
static void InsertIndexEntries(PartSlot *p, Relation rel, AuditRow **rows, int n);
static void StorePartRows(PartSlot *p, AuditRow **rows, int n);

/* Forgets the partitions and index descriptions (event_store changed). */
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

/* An invalidation of one of the partitions (an index added, say). */
static void
StoreRelcacheCallback(Datum arg, Oid relid)
{
	if (!OidIsValid(relid))
	{
		cache_stale = true;
		return;
	}
	for (int i = 0; i < n_parts; i++)
	{
		if (parts[i].relid == relid)
			cache_stale = true;
	}
	if (default_part && default_part->relid == relid)
		cache_stale = true;
}

/* The partitions of event_store, sorted by lower bound; the default apart. */
static void
LoadPartitions(Relation parent)
{
	MemoryContext old = MemoryContextSwitchTo(store_cxt);
	AuditPartition *list;
	int			n;
	int			k = 0;

	list = AuditListPartitions(parent, &n);
	default_part = NULL;
	/* one more, so that the default partition has a home outside the sorted ones */
	parts = palloc0(sizeof(PartSlot) * (n + 1));
	for (int i = 0; i < n; i++)
	{
		PartSlot   *p = list[i].is_default ? &parts[n] : &parts[k++];

		p->relid = list[i].relid;
		p->lower = list[i].lower;
		p->upper = list[i].upper;
		p->n_index_slots = -1;
		if (list[i].is_default)
			default_part = p;
	}
	pfree(list);
	n_parts = k;
	MemoryContextSwitchTo(old);
}

/*
 * Makes sure the partitions are loaded and current. Called with event_store
 * open, at the start of a write, never in its middle: a stale cache is
 * freed and rebuilt here only.
 */
static void
EnsureWriteCache(Relation parent)
{
	if (cache_stale && store_cxt)
	{
		MemoryContextReset(store_cxt);
		parts = NULL;
		n_parts = -1;
		default_part = NULL;
		slots = NULL;
		n_slots = 0;
	}
	cache_stale = false;
	if (n_parts >= 0)
		return;
	if (store_cxt == NULL)
		store_cxt = AllocSetContextCreate(CacheMemoryContext, "auditlog events",
										  ALLOCSET_SMALL_SIZES);
	AuditCheckNatts(parent, Natts_event_store);
	LoadPartitions(parent);
}

/* The partition a row of that time goes to (the default when no range takes it). */
static PartSlot *
PartitionFor(TimestampTz t)
{
	int			lo = 0;
	int			hi = n_parts - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (t < parts[mid].lower)
			hi = mid - 1;
		else if (t >= parts[mid].upper)
			lo = mid + 1;
		else
			return &parts[mid];
	}
	if (default_part == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("no partition of auditlog.event_store takes events of %s",
						timestamptz_to_str(t)),
				 errhint("The default partition auditlog.event_store_default is missing: reinstall the extension.")));
	return default_part;
}

/*
 * The column of a predicate "WHERE column IS NOT NULL" alone (the resource
 * index's), else 0: such an index takes the plain values of the rows whose
 * column is set, with no executor state per write.
 */
static AttrNumber
NotNullPredicate(const IndexInfo *ii)
{
	NullTest   *nt;

	if (list_length(ii->ii_Predicate) != 1 || !IsA(linitial(ii->ii_Predicate), NullTest))
		return 0;
	nt = linitial_node(NullTest, ii->ii_Predicate);
	if (nt->nulltesttype != IS_NOT_NULL || nt->argisrow || !IsA(nt->arg, Var) ||
		((Var *) nt->arg)->varattno <= 0 || ((Var *) nt->arg)->varattno > Natts_event_store)
		return 0;
	return ((Var *) nt->arg)->varattno;
}

/* Loads the descriptions of a partition's indexes, once. */
static void
EnsureIndexes(PartSlot *p, Relation rel)
{
	List	   *oids;
	ListCell   *lc;
	MemoryContext old;
	int			i = 0;

	if (p->n_index_slots >= 0)
		return;
	AuditCheckNatts(rel, Natts_event_store);
	oids = RelationGetIndexList(rel);
	old = MemoryContextSwitchTo(store_cxt);
	p->index_slots = palloc0(sizeof(IndexSlot) * Max(list_length(oids), 1));
	foreach(lc, oids)
	{
		Oid			ioid = lfirst_oid(lc);
		Relation	idx = index_open(ioid, RowExclusiveLock);
		IndexInfo  *ii = BuildIndexInfo(idx);

		p->index_slots[i].indexoid = ioid;
		p->index_slots[i].info = ii;
		p->index_slots[i].not_null = NotNullPredicate(ii);
		p->index_slots[i].simple = (ii->ii_Expressions == NIL &&
									(ii->ii_Predicate == NIL || p->index_slots[i].not_null != 0));
		index_close(idx, NoLock);
		i++;
	}
	MemoryContextSwitchTo(old);
	p->n_index_slots = i;
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
 * Inserts the index entries of n new rows of a partition, stored in
 * slots[] (their values also in rows[]). Each index is opened once.
 */
static void
InsertIndexEntries(PartSlot *p, Relation rel, AuditRow **rows, int n)
{
	for (int i = 0; i < p->n_index_slots; i++)
	{
		IndexSlot  *s = &p->index_slots[i];
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
			/* an expression or a predicate: let the executor compute it */
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
				if (s->not_null != 0 && rows[t]->nulls[s->not_null - 1])
					continue;
				for (int k = 0; k < ii->ii_NumIndexAttrs; k++)
				{
					int			attno = ii->ii_IndexAttrNumbers[k];

					ivalues[k] = rows[t]->values[attno - 1];
					inulls[k] = rows[t]->nulls[attno - 1];
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

/* Writes n rows, ids given, into one partition: heap and index entries. */
static void
StorePartRows(PartSlot *p, AuditRow **rows, int n)
{
	Relation	rel = table_open(p->relid, RowExclusiveLock);

	EnsureIndexes(p, rel);
	EnsureSlots(rel, n);
	for (int i = 0; i < n; i++)
	{
		TupleTableSlot *slot = slots[i];

		ExecClearTuple(slot);
		memcpy(slot->tts_values, rows[i]->values, sizeof(rows[i]->values));
		memcpy(slot->tts_isnull, rows[i]->nulls, sizeof(rows[i]->nulls));
		ExecStoreVirtualTuple(slot);
	}
	/* each run of rows of one command as of that command (nearly always one run) */
	for (int i = 0, run; i < n; i += run)
	{
		for (run = 1; i + run < n && rows[i + run]->cid == rows[i]->cid; run++)
			;
		heap_multi_insert(rel, &slots[i], run, rows[i]->cid, 0, NULL);
	}
	InsertIndexEntries(p, rel, rows, n);
	for (int i = 0; i < n; i++)
		ExecClearTuple(slots[i]);
	table_close(rel, NoLock);
}

/* A fresh event id, from event_store's sequence. */
int64
AuditNextEventId(void)
{
	return nextval_internal(AuditRelid(AREL_EVENT_STORE_ID_SEQ), false);
}

/*
 * Writes n rows, their ids and commands given (AuditNextEventId,
 * GetCurrentCommandId), in order, each into the partition its time belongs
 * to.
 */
void
AuditStoreRows(AuditRow *rows, int n)
{
	Relation	parent;
	MemoryContext write_cxt;
	MemoryContext old;
	PartSlot  **target;
	AuditRow  **group;

	Assert(n > 0);
	/* the lock keeps the partitions as they are until the transaction ends */
	parent = table_open(AuditRelid(AREL_EVENT_STORE), RowExclusiveLock);
	write_cxt = AllocSetContextCreate(CurrentMemoryContext, "auditlog write",
									  ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(write_cxt);
	target = palloc(sizeof(PartSlot *) * n);
	group = palloc(sizeof(AuditRow *) * n);

	/*
	 * Each row's partition, with the partitions locked before anything is
	 * written. ATTACH PARTITION runs beside writers (its lock on event_store
	 * is weaker than theirs), so a partition attached since this
	 * transaction locked event_store is not in the cache yet: it shows as
	 * an invalidation taken in with the lock on a target (the default
	 * partition, which the attach changed), and the rows are routed again.
	 * (Routed by the old list, an event went into the default partition
	 * although its month had one, where no search of the month finds it.)
	 */
	for (;;)
	{
		PartSlot   *locked = NULL;

		EnsureWriteCache(parent);
		for (int i = 0; i < n; i++)
			target[i] = PartitionFor(DatumGetTimestampTz(rows[i].values[Anum_event_store_occurred_at - 1]));
		for (int i = 0; i < n; i++)
		{
			if (target[i] != locked)
				LockRelationOid(target[i]->relid, RowExclusiveLock);
			locked = target[i];
		}
		if (!cache_stale)
			break;
	}
	/* the rows of each partition together, in their order (nearly always one) */
	for (int i = 0; i < n; i++)
	{
		int			g = 0;

		if (target[i] == NULL)
			continue;
		for (int j = i; j < n; j++)
		{
			if (target[j] == target[i] && j != i)
			{
				group[g++] = &rows[j];
				target[j] = NULL;
			}
			else if (j == i)
				group[g++] = &rows[i];
		}
		StorePartRows(target[i], group, g);
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(write_cxt);
	table_close(parent, NoLock);
	/* the new events need summarizing: make sure a worker is on it */
	AuditWakeMaintenance();
}

/* Module start-up. */
void
EventStoreInit(void)
{
	AuditOnReset(StoreReset);
	CacheRegisterRelcacheCallback(StoreRelcacheCallback, (Datum) 0);
}
