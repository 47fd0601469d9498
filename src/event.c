/* src/event.c — writing one event: validation, context, the row and its index entries */
#include "auditlog.h"

#include "access/heapam.h"
#include "access/genam.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/execnodes.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/syscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

/* Columns of auditlog.event_store, in order; checked against the table. */
enum
{
	EV_ID = 0,
	EV_OCCURRED_AT,
	EV_TXID,
	EV_ACTION,
	EV_ACTOR,
	EV_ACTOR_ID,
	EV_RESOURCE_TYPE,
	EV_ORG,
	EV_DB_USER,
	EV_APPLICATION,
	EV_OUTCOME,
	EV_CLIENT_ADDR,
	EV_RESOURCE_ID,
	EV_DETAILS,
	EV_NATTS
};

/* What the write path keeps between events: index descriptions, context. */
typedef struct IndexSlot
{
	Oid			indexoid;
	IndexInfo  *info;
	bool		simple;			/* plain columns, no predicate */
} IndexSlot;

static MemoryContext event_cxt = NULL;

/*
 * Slots for the multi-row insert, kept until the next reset over a copy of
 * event_store's descriptor that is not reference-counted: per-flush slots on
 * the relcache's descriptor would cost a resource-owner entry each.
 */
static TupleTableSlot **flush_slots = NULL;
static int	n_flush_slots = 0;
static IndexSlot *index_slots = NULL;
static int	n_index_slots = -1;	/* -1: not loaded */
static bool write_cache_stale = false;
static bool reset_registered = false;

/* client address of this backend's connection, looked up once */
static bool client_addr_known = false;
static bool client_addr_null = true;
static Datum client_addr = (Datum) 0;

/* last session user seen, and its name (forgotten when any role changes) */
static Oid	db_user_oid = InvalidOid;
static char db_user_name[NAMEDATALEN];
static bool role_callback_registered = false;

/* A role was renamed or dropped: look the session user's name up again. */
static void
RoleCallback(Datum arg, int cacheid, uint32 hashvalue)
{
	db_user_oid = InvalidOid;
}

/* Forgets the index descriptions (the table or its indexes changed). */
void
AuditEventReset(void)
{
	/*
	 * Called from invalidation callbacks, which can run in the middle of a
	 * flush (any lock or catalog access processes them): only mark the
	 * cache stale; EnsureWriteCache() frees and rebuilds it at a safe point.
	 */
	write_cache_stale = true;
	db_user_oid = InvalidOid;
}

/* The session user's name, looked up again only when the role changes. */
static const char *
SessionUserName(void)
{
	Oid			session_user = GetSessionUserId();

	if (session_user != db_user_oid)
	{
		if (!role_callback_registered)
		{
			CacheRegisterSyscacheCallback(AUTHOID, RoleCallback, (Datum) 0);
			role_callback_registered = true;
		}
		strlcpy(db_user_name, GetUserNameFromId(session_user, false), NAMEDATALEN);
		db_user_oid = session_user;
	}
	return db_user_name;
}

/* ------------------------------------------------------------------------
 * validation
 * ------------------------------------------------------------------------
 */

/* A word of an action: [a-z][a-z0-9_]* over [start, end). */
static bool
WordIsValid(const char *start, const char *end)
{
	if (start >= end || !(*start >= 'a' && *start <= 'z'))
		return false;
	for (const char *p = start + 1; p < end; p++)
	{
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	}
	return true;
}

/* True for one lower-case word, as resource types and action parts are. */
bool
AuditWordIsValid(const char *word)
{
	return word && WordIsValid(word, word + strlen(word));
}

/* True for ^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$ within the length limit. */
bool
AuditActionIsValid(const char *action)
{
	const char *start = action;
	int			words = 0;
	size_t		len = strlen(action);

	if (len > AUDIT_MAX_LABEL)
		return false;
	for (;;)
	{
		const char *dot = strchr(start, '.');
		const char *end = dot ? dot : action + len;

		if (!WordIsValid(start, end))
			return false;
		words++;
		if (!dot)
			break;
		start = dot + 1;
	}
	return words >= 2;
}

/* Errors unless the action is well formed. */
void
AuditCheckAction(const char *action)
{
	if (!AuditActionIsValid(action))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid action \"%s\"", action),
				 errdetail("An action is two or more lower-case words joined by dots, at most %d bytes.",
						   AUDIT_MAX_LABEL),
				 errhint("Name it like \"auth.login\" or \"credential.token_refresh\".")));
}

/* Errors when an optional label is empty or too long. */
static void
CheckLabel(const char *what, const char *value)
{
	if (value == NULL)
		return;
	if (value[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", what),
				 errhint("Pass NULL instead of an empty string.")));
	if (strlen(value) > AUDIT_MAX_LABEL)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("%s is longer than %d bytes", what, AUDIT_MAX_LABEL)));
}

/*
 * Who acts: the caller's arguments, else auditlog.actor / auditlog.actor_id,
 * else the session's database role. The organisation: the argument, else
 * auditlog.org_id.
 */
void
AuditResolveActor(AuditEvent *ev)
{
	bool		actor_given = (ev->actor != NULL);

	if (!actor_given)
	{
		if (auditlog_actor && auditlog_actor[0] != '\0')
			ev->actor = auditlog_actor;
		else
			ev->actor = SessionUserName();
	}
	if (ev->actor_id == NULL && !actor_given &&
		auditlog_actor_id && auditlog_actor_id[0] != '\0')
		ev->actor_id = auditlog_actor_id;
	if (ev->org_id == NULL && auditlog_org_id && auditlog_org_id[0] != '\0')
		ev->org_id = auditlog_org_id;
}

/* ------------------------------------------------------------------------
 * the row
 * ------------------------------------------------------------------------
 */

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

	if (!reset_registered)
	{
		AuditOnReset(AuditEventReset);
		reset_registered = true;
	}
	if (write_cache_stale && event_cxt)
	{
		MemoryContextReset(event_cxt);
		n_index_slots = -1;
		index_slots = NULL;
		flush_slots = NULL;
		n_flush_slots = 0;
	}
	write_cache_stale = false;
	if (n_index_slots >= 0)
		return;
	if (event_cxt == NULL)
		event_cxt = AllocSetContextCreate(CacheMemoryContext, "auditlog events",
										  ALLOCSET_SMALL_SIZES);
	if (RelationGetDescr(rel)->natts != EV_NATTS)
		elog(ERROR, "auditlog: auditlog.event_store has %d columns, expected %d",
			 RelationGetDescr(rel)->natts, EV_NATTS);

	oids = RelationGetIndexList(rel);
	old = MemoryContextSwitchTo(event_cxt);
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

/*
 * Inserts the index entries of n new event_store rows, stored in slots[]
 * (their values also in values[i]/nulls[i]). Each index is opened once.
 */
static void
InsertIndexEntries(Relation rel, TupleTableSlot **slots, int n,
				   Datum (*values)[EV_NATTS], bool (*nulls)[EV_NATTS], size_t stride)
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
			Datum	   *v = (Datum *) ((char *) values + t * stride);
			bool	   *nl = (bool *) ((char *) nulls + t * stride);
			Datum		ivalues[INDEX_MAX_KEYS];
			bool		inulls[INDEX_MAX_KEYS];

			if (s->simple)
			{
				for (int k = 0; k < ii->ii_NumIndexAttrs; k++)
				{
					int			attno = ii->ii_IndexAttrNumbers[k];

					ivalues[k] = v[attno - 1];
					inulls[k] = nl[attno - 1];
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

/* The client's address, or null over a unix socket; constant per backend. */
static void
LoadClientAddr(void)
{
	LOCAL_FCINFO(fcinfo, 0);
	Datum		d;

	InitFunctionCallInfoData(*fcinfo, NULL, 0, InvalidOid, NULL, NULL);
	d = inet_client_addr(fcinfo);
	client_addr_null = fcinfo->isnull;
	if (!client_addr_null)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		client_addr = datumCopy(d, false, -1);
		MemoryContextSwitchTo(old);
	}
	client_addr_known = true;
}

/*
 * Fills the row of an event, all but its id: resolves the actor and the
 * dictionary ids, and adds the context the application cannot forge.
 */
static void
FormEvent(AuditEvent *ev, Datum *values, bool *nulls)
{
	FullTransactionId fxid;

	AuditResolveActor(ev);
	CheckLabel("actor", ev->actor);
	CheckLabel("actor_id", ev->actor_id);
	CheckLabel("org_id", ev->org_id);
	CheckLabel("resource_type", ev->resource_type);
	if (ev->resource_id && strlen(ev->resource_id) > AUDIT_MAX_RESOURCE_ID)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("resource_id is longer than %d bytes", AUDIT_MAX_RESOURCE_ID)));

	memset(nulls, 0, sizeof(bool) * EV_NATTS);
	values[EV_ID] = (Datum) 0;

	/* the dictionaries first: they may run SQL of their own */
	values[EV_ACTION] = Int32GetDatum(AuditActionId(ev->action, NULL));
	values[EV_ACTOR] = Int32GetDatum(AuditLabelId(LABEL_ACTOR, ev->actor));
	if (ev->actor_id)
		values[EV_ACTOR_ID] = Int32GetDatum(AuditLabelId(LABEL_ACTOR_ID, ev->actor_id));
	else
		nulls[EV_ACTOR_ID] = true;
	if (ev->resource_type)
		values[EV_RESOURCE_TYPE] = Int32GetDatum(AuditLabelId(LABEL_RESOURCE_TYPE, ev->resource_type));
	else
		nulls[EV_RESOURCE_TYPE] = true;
	if (ev->org_id)
		values[EV_ORG] = Int32GetDatum(AuditLabelId(LABEL_ORG, ev->org_id));
	else
		nulls[EV_ORG] = true;
	values[EV_DB_USER] = Int32GetDatum(AuditLabelId(LABEL_DB_USER, SessionUserName()));
	if (application_name && application_name[0] != '\0')
		values[EV_APPLICATION] = Int32GetDatum(AuditLabelId(LABEL_APPLICATION, application_name));
	else
		nulls[EV_APPLICATION] = true;

	if (!client_addr_known)
		LoadClientAddr();
	values[EV_CLIENT_ADDR] = client_addr;
	nulls[EV_CLIENT_ADDR] = client_addr_null;

	values[EV_OUTCOME] = AuditOutcomeGetDatum(ev->outcome);
	if (ev->resource_id)
		values[EV_RESOURCE_ID] = CStringGetTextDatum(ev->resource_id);
	else
		nulls[EV_RESOURCE_ID] = true;
	if (ev->details)
		values[EV_DETAILS] = JsonbPGetDatum(ev->details);
	else
		nulls[EV_DETAILS] = true;
	values[EV_OCCURRED_AT] = TimestampTzGetDatum(ev->occurred_at != 0 ? ev->occurred_at :
												 GetCurrentStatementStartTimestamp());

	/*
	 * The transaction id is taken before the event id, so that whoever reads
	 * the sequence can wait for every transaction that may still commit an
	 * event with a smaller id.
	 */
	fxid = GetTopFullTransactionId();
	values[EV_TXID] = Int64GetDatum((int64) U64FromFullTransactionId(fxid));
}

/* ------------------------------------------------------------------------
 * the queue of trigger events
 * ------------------------------------------------------------------------
 */

/*
 * Row triggers queue their events, and the queue is written with one
 * multi-row insert: when the statement ends (the executor hooks in
 * auditlog.c), whenever it holds QUEUE_MAX events, before log_event writes,
 * and before the transaction commits or prepares, whatever happened. Events
 * of an aborted (sub)transaction leave the queue with it.
 */
#define QUEUE_MAX 1000

typedef struct QueuedEvent
{
	Datum		values[EV_NATTS];
	bool		nulls[EV_NATTS];
	SubTransactionId subid;
} QueuedEvent;

static QueuedEvent *queue = NULL;
static int	queue_len = 0;
static int	queue_cap = 0;
static bool queueing = false;	/* an event is being formed into the queue */
static MemoryContext queue_cxt = NULL;
static bool queue_callbacks = false;

/* Forgets the queued events of subtransactions >= subid (all when Invalid). */
static void
ForgetQueued(SubTransactionId subid)
{
	int			kept = 0;

	if (subid != InvalidSubTransactionId)
	{
		for (int i = 0; i < queue_len; i++)
		{
			if (queue[i].subid < subid)
				queue[kept++] = queue[i];
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
		if (queue[i].subid < here)
			return false;
	}
	return true;
}

/* Writes every queued event, in queue order, with fresh ids. */
void
AuditFlushEvents(void)
{
	Relation	rel;
	Oid			seq;
	int			n = queue_len;
	MemoryContext flush_cxt;
	MemoryContext old;

	/*
	 * Not while an event is being queued: the SQL that adds a new label runs
	 * through the executor, whose hook calls us.
	 */
	if (n == 0 || queueing || !QueueWritableHere())
		return;
	rel = table_open(AuditRelid("event_store"), RowExclusiveLock);
	EnsureWriteCache(rel);
	if (n_flush_slots < n)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(event_cxt);
		TupleDesc	desc = n_flush_slots > 0 ? flush_slots[0]->tts_tupleDescriptor :
			CreateTupleDescCopy(RelationGetDescr(rel));
		int			want = Max(n, QUEUE_MAX);

		flush_slots = n_flush_slots > 0 ?
			repalloc(flush_slots, sizeof(TupleTableSlot *) * want) :
			palloc(sizeof(TupleTableSlot *) * want);
		for (int i = n_flush_slots; i < want; i++)
			flush_slots[i] = MakeSingleTupleTableSlot(desc, &TTSOpsVirtual);
		n_flush_slots = want;
		MemoryContextSwitchTo(oldcxt);
	}
	flush_cxt = AllocSetContextCreate(CurrentMemoryContext, "auditlog flush",
									  ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(flush_cxt);
	seq = AuditRelid("event_store_id_seq");
	for (int i = 0; i < n; i++)
	{
		QueuedEvent *q = &queue[i];
		TupleTableSlot *slot = flush_slots[i];

		q->values[EV_ID] = Int64GetDatum(nextval_internal(seq, false));
		ExecClearTuple(slot);
		memcpy(slot->tts_values, q->values, sizeof(Datum) * EV_NATTS);
		memcpy(slot->tts_isnull, q->nulls, sizeof(bool) * EV_NATTS);
		ExecStoreVirtualTuple(slot);
	}
	heap_multi_insert(rel, flush_slots, n, GetCurrentCommandId(true), 0, NULL);
	InsertIndexEntries(rel, flush_slots, n, &queue[0].values, &queue[0].nulls,
					   sizeof(QueuedEvent));
	for (int i = 0; i < n; i++)
		ExecClearTuple(flush_slots[i]);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(flush_cxt);
	table_close(rel, NoLock);
	ForgetQueued(InvalidSubTransactionId);
}

/* Queues one event of a row trigger; it is written by AuditFlushEvents. */
void
AuditQueueEvent(AuditEvent *ev)
{
	QueuedEvent *q;
	MemoryContext old;

	if (!queue_callbacks)
	{
		RegisterXactCallback(QueueXactCallback, NULL);
		RegisterSubXactCallback(QueueSubXactCallback, NULL);
		queue_callbacks = true;
	}
	if (queue == NULL)
	{
		queue = MemoryContextAlloc(TopMemoryContext, sizeof(QueuedEvent) * QUEUE_MAX);
		queue_cap = QUEUE_MAX;
		queue_cxt = AllocSetContextCreate(TopMemoryContext, "auditlog queue",
										  ALLOCSET_DEFAULT_SIZES);
	}
	if (queue_len >= QUEUE_MAX)
		AuditFlushEvents();
	/* still full: the events cannot be written from this subtransaction */
	if (queue_len >= queue_cap)
	{
		queue_cap *= 2;
		queue = repalloc(queue, sizeof(QueuedEvent) * queue_cap);
	}

	q = &queue[queue_len];
	queueing = true;
	PG_TRY();
	{
		FormEvent(ev, q->values, q->nulls);
	}
	PG_FINALLY();
	{
		queueing = false;
	}
	PG_END_TRY();
	old = MemoryContextSwitchTo(queue_cxt);
	if (!q->nulls[EV_RESOURCE_ID])
		q->values[EV_RESOURCE_ID] = datumCopy(q->values[EV_RESOURCE_ID], false, -1);
	if (!q->nulls[EV_DETAILS])
		q->values[EV_DETAILS] = datumCopy(q->values[EV_DETAILS], false, -1);
	if (!q->nulls[EV_CLIENT_ADDR])
		q->values[EV_CLIENT_ADDR] = datumCopy(q->values[EV_CLIENT_ADDR], false, -1);
	MemoryContextSwitchTo(old);
	q->subid = GetCurrentSubTransactionId();
	queue_len++;
}

/*
 * Writes one event now and returns its id; queued trigger events are
 * written first, so that ids follow the order in which things happened.
 */
int64
AuditWriteEvent(AuditEvent *ev)
{
	Relation	rel;
	Datum		values[EV_NATTS];
	bool		nulls[EV_NATTS];
	TupleTableSlot *slot;
	int64		id;

	AuditFlushEvents();
	FormEvent(ev, values, nulls);
	rel = table_open(AuditRelid("event_store"), RowExclusiveLock);
	EnsureWriteCache(rel);
	id = nextval_internal(AuditRelid("event_store_id_seq"), false);
	values[EV_ID] = Int64GetDatum(id);

	slot = MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsHeapTuple);
	ExecStoreHeapTuple(heap_form_tuple(RelationGetDescr(rel), values, nulls), slot, true);
	heap_insert(rel, ExecFetchSlotHeapTuple(slot, false, NULL), GetCurrentCommandId(true), 0, NULL);
	slot->tts_tid = ExecFetchSlotHeapTuple(slot, false, NULL)->t_self;
	InsertIndexEntries(rel, &slot, 1, (Datum (*)[EV_NATTS]) values,
					   (bool (*)[EV_NATTS]) nulls, 0);
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, NoLock);
	return id;
}

/* ------------------------------------------------------------------------
 * SQL-callable functions
 * ------------------------------------------------------------------------
 */

/* A text argument as a C string, or NULL. */
static char *
OptionalText(FunctionCallInfo fcinfo, int n)
{
	return PG_ARGISNULL(n) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(n));
}

/* Errors when a required argument is NULL. */
static void
RequireArg(FunctionCallInfo fcinfo, int n, const char *name)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
}

/*
 * Reads the arguments shared by log_event and import_event, starting at
 * argument 'first' (action, resource_type, resource_id, outcome, details,
 * actor, actor_id, org_id), and validates them.
 */
static void
ReadEventArgs(FunctionCallInfo fcinfo, int first, AuditEvent *ev)
{
	memset(ev, 0, sizeof(*ev));
	RequireArg(fcinfo, first, "action");
	ev->action = OptionalText(fcinfo, first);
	AuditCheckAction(ev->action);
	ev->resource_type = OptionalText(fcinfo, first + 1);
	ev->resource_id = OptionalText(fcinfo, first + 2);
	if (ev->resource_id && !ev->resource_type)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("resource_id \"%s\" given without a resource_type", ev->resource_id),
				 errhint("A resource is a type and an id, such as ('connection', 'eae3a753').")));
	RequireArg(fcinfo, first + 3, "outcome");
	ev->outcome = PG_GETARG_AUDIT_OUTCOME(first + 3);
	(void) AuditOutcomeName(ev->outcome);
	if (!PG_ARGISNULL(first + 4))
	{
		ev->details = PG_GETARG_JSONB_P(first + 4);
		if (!JB_ROOT_IS_OBJECT(ev->details) || JB_ROOT_IS_SCALAR(ev->details))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("details must be a JSON object"),
					 errhint("Wrap the value in an object, such as '{\"reason\": \"...\"}'.")));
	}
	ev->actor = OptionalText(fcinfo, first + 5);
	ev->actor_id = OptionalText(fcinfo, first + 6);
	ev->org_id = OptionalText(fcinfo, first + 7);
}

PG_FUNCTION_INFO_V1(auditlog_log_event);
/*
 * auditlog.log_event(action, resource_type, resource_id, outcome, details,
 * actor, actor_id, org_id) RETURNS bigint: records what the application did.
 */
Datum
auditlog_log_event(PG_FUNCTION_ARGS)
{
	AuditEvent	ev;

	PreventCommandIfReadOnly("auditlog.log_event()");
	ReadEventArgs(fcinfo, 0, &ev);
	PG_RETURN_INT64(AuditWriteEvent(&ev));
}

PG_FUNCTION_INFO_V1(auditlog_refuse_change);
/* Trigger that keeps the audit tables append-only, for every role. */
Datum
auditlog_refuse_change(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	const char *what;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("auditlog_refuse_change() must be called as a trigger")));
	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		what = "UPDATE";
	else if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		what = "DELETE";
	else if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
		what = "TRUNCATE";
	else
		what = "this change";
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("%s of auditlog.%s is not allowed", what,
					RelationGetRelationName(trigdata->tg_relation)),
			 errdetail("The audit log is append-only, for every role including its owner."),
			 errhint("Events are only ever added, with auditlog.log_event() or by the triggers of registered tables.")));
	PG_RETURN_NULL();
}

PG_FUNCTION_INFO_V1(auditlog_import_event);
/*
 * auditlog.import_event(occurred_at, action, resource_type, resource_id,
 * outcome, details, actor, actor_id, org_id) RETURNS bigint: backfills an
 * event from another system with its original time. Its details carry
 * "imported": true, so an imported event is never mistaken for a live one.
 */
Datum
auditlog_import_event(PG_FUNCTION_ARGS)
{
	AuditEvent	ev;
	TimestampTz occurred_at;
	Datum		mark;

	PreventCommandIfReadOnly("auditlog.import_event()");
	RequireArg(fcinfo, 0, "occurred_at");
	occurred_at = PG_GETARG_TIMESTAMPTZ(0);
	if (TIMESTAMP_NOT_FINITE(occurred_at))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("occurred_at must be a finite time"),
				 errhint("Pass the time at which the event happened in the other system.")));
	if (occurred_at > GetCurrentTimestamp())
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("occurred_at %s is in the future", timestamptz_to_str(occurred_at)),
				 errdetail("The server's clock reads %s.", timestamptz_to_str(GetCurrentTimestamp())),
				 errhint("Imported events happened in the past; check the time zone of the value.")));
	ReadEventArgs(fcinfo, 1, &ev);
	ev.occurred_at = occurred_at;

	mark = DirectFunctionCall1(jsonb_in, CStringGetDatum("{\"imported\": true}"));
	if (ev.details)
		ev.details = DatumGetJsonbP(DirectFunctionCall2(jsonb_concat,
														JsonbPGetDatum(ev.details), mark));
	else
		ev.details = DatumGetJsonbP(mark);
	PG_RETURN_INT64(AuditWriteEvent(&ev));
}
