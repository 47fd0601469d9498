/*-------------------------------------------------------------------------
 *
 * src/export.c
 *	  export(): the events matching search()'s filters, in id order, one
 *	  line of text each, and the resumable feed (after_id).
 *
 * The event store has no ordered index on id, only a block-range one, and
 * sorting millions of events at once would spill to disk. The export walks
 * the ids instead, in windows: each window is one query reading only the
 * blocks its id range covers, and holds about EXPORT_WINDOW_ROWS events,
 * sorted here; the next window's width follows from how many events the
 * last one held. Dictionary ids become strings through a cache that lives
 * as long as the export, filled once per window for the ids it has not met.
 *
 * It returns a value per call, a window of lines at a time, so that the
 * lines stream out as they are made: it is export_lines(), the body of the
 * SQL function export(), which PostgreSQL inlines into the caller's query
 * (in FROM too: a C function there would have its lines collected in a
 * tuplestore first). Every window reads with the snapshot the first call
 * took, so the export is consistent.
 *
 * With after_id, the export stops at the safe point (summary.c), so that a
 * consumer that stores its last id and resumes after it misses no event
 * whose transaction commits late. In READ COMMITTED the snapshot is taken
 * after the safe point is known; in REPEATABLE READ, and on a standby, the
 * safe point is the one the transaction's snapshot allows.
 *
 * Like search(), export() is SECURITY INVOKER: it records who calls
 * (tenant.c), then runs each window as the extension's owner.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "export.h"
#include "owner.h"
#include "search_filters.h"
#include "spi_util.h"
#include "summary.h"

/* Events a window aims to hold, and the memory block of their values and lines. */
#define EXPORT_WINDOW_ROWS	20000
#define EXPORT_WINDOW_BLOCK	(32 * 1024 * 1024)

/* Arguments of export() after the filters of search(). */
#define ARG_FORMAT		ARG_NFILTERS
#define ARG_AFTER_ID	(ARG_NFILTERS + 1)

/* The columns the window query reads, in order. */
enum
{
	W_ID = 0, W_OCCURRED_AT, W_ACTOR, W_ACTOR_ID, W_ACTION, W_RESOURCE_TYPE, W_RESOURCE_ID,
	W_OUTCOME, W_ORG, W_DETAILS, W_DB_USER, W_CLIENT_ADDR, W_APPLICATION, W_TXID, W_NCOLS
};

/* Dictionary ids below this are cached in an array; the rare others in a hash table. */
#define LABEL_ARRAY_MAX		(1 << 20)

/* A dictionary id and its string (NULL: no such row), in the hash table. */
typedef struct LabelEntry
{
	int32		id;
	char	   *text;
} LabelEntry;

/* The strings of the dictionary ids an export has met. */
typedef struct LabelCache
{
	MemoryContext cxt;
	int32		size;			/* of text[] and known[] */
	char	  **text;
	bool	   *known;
	HTAB	   *large;			/* ids of LABEL_ARRAY_MAX and more */
} LabelCache;

/* What the query-long callback releases: the snapshot every window reads with. */
typedef struct ExportReadSnapshot
{
	Snapshot	snapshot;
	ResourceOwner owner;
} ExportReadSnapshot;

typedef struct ExportState
{
	SearchFilters f;
	ExportFormat format;
	ExportReadSnapshot *snap;
	int64		lo;				/* the ids left to export are in (lo, end] */
	int64		end;
	int64		span;			/* ids the next window covers */
	LabelCache	labels;
	LabelCache	actions;
	MemoryContext cxt;			/* the export's: as long as the query */
	MemoryContext window_cxt;	/* the current window's values and lines */
	MemoryContext event_cxt;	/* what making one line needs */
	Datum	   *lines;
	int			n_lines;
	int			next_line;
	int			rows;			/* events in the current window */
	int			capacity;		/* rows the arrays below hold, in cxt */
	Datum	   *values;			/* the window's events, W_NCOLS a row */
	bool	   *nulls;
	int		   *order;			/* their rows in id order */
	struct varlena *last_addr;	/* the client address met last, and its text */
	char	   *last_addr_text;
	StringInfoData buf;
} ExportState;

/* Receives the rows of a window query into its ExportState. */
typedef struct WindowReceiver
{
	DestReceiver pub;
	ExportState *state;
} WindowReceiver;

static void CheckExportPrivilege(void);
static void ReleaseSnapshot(Datum arg);
static void CopyFilterArrays(SearchFilters *f, MemoryContext cxt);
static void ReadExportArgs(FunctionCallInfo fcinfo, ExportState *s, bool *resume, int64 *after_id);
static void StartExport(FunctionCallInfo fcinfo, ExportState *s, bool resume, int64 after_id);
static char *WindowQuery(const SearchFilters *f, int64 lo, int64 hi, SpiArgs *args);
static int	CompareIds(const void *a, const void *b, void *arg);
static bool WindowInIdOrder(const ExportState *s);
static void InitLabelCache(LabelCache *cache, MemoryContext cxt);
static char **LabelSlot(LabelCache *cache, int32 id, bool *known);
static void RememberLabel(LabelCache *cache, int32 id, int32 *missing, int *n);
static void LearnLabels(LabelCache *cache, int32 *ids, int n, const char *sql);
static void WindowStartup(DestReceiver *self, int operation, TupleDesc typeinfo);
static bool WindowReceiveRow(TupleTableSlot *slot, DestReceiver *self);
static void WindowNoop(DestReceiver *self);
static void ResolveWindowLabels(ExportState *s, int rows);
static const char *LabelOf(LabelCache *cache, const Datum *values, const bool *nulls, int col);
static const char *ClientAddrText(ExportState *s, Datum addr);
static void FormatWindow(ExportState *s, int rows);
static void NextSpan(ExportState *s, uint64 rows);
static void FetchWindow(ExportState *s);

/* ------------------------------------------------------------------------
 * internal: starting
 * ------------------------------------------------------------------------
 */

/*
 * Errors unless the caller may execute auditlog.export(): export_lines(),
 * its body, is open to PUBLIC only so that the body can be inlined.
 */
static void
CheckExportPrivilege(void)
{
	Oid			argtypes[ARG_AFTER_ID + 1] = {TEXTOID, TEXTOID, TEXTOID, DATEOID, DATEOID,
		AuditOutcomeTypeOid(), TEXTOID, TEXTOID, TEXTOID, INT8OID};
	List	   *name = list_make2(makeString(get_namespace_name(AuditSchemaOid())), makeString("export"));
	Oid			export_oid = LookupFuncName(name, lengthof(argtypes), argtypes, true);
	AclResult	acl = ACLCHECK_NO_PRIV;

	if (OidIsValid(export_oid))
#if PG_VERSION_NUM >= 160000
		acl = object_aclcheck(ProcedureRelationId, export_oid, GetUserId(), ACL_EXECUTE);
#else
		acl = pg_proc_aclcheck(export_oid, GetUserId(), ACL_EXECUTE);
#endif
	if (acl != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_FUNCTION, "export");
}

/* Query-end callback: lets go of the snapshot, if the export did not end. */
static void
ReleaseSnapshot(Datum arg)
{
	ExportReadSnapshot *snap = (ExportReadSnapshot *) DatumGetPointer(arg);

	if (snap->snapshot)
		UnregisterSnapshotFromOwner(snap->snapshot, snap->owner);
	snap->snapshot = NULL;
}

/* Copies the resolved filters' arrays out of SPI's memory, into cxt. */
static void
CopyFilterArrays(SearchFilters *f, MemoryContext cxt)
{
	int32	   *copy;

	copy = MemoryContextAlloc(cxt, sizeof(int32) * Max(f->n_action_refs, 1));
	if (f->n_action_refs > 0)
		memcpy(copy, f->action_refs, sizeof(int32) * f->n_action_refs);
	f->action_refs = copy;
	copy = MemoryContextAlloc(cxt, sizeof(int32) * Max(f->n_tenant_refs, 1));
	if (f->n_tenant_refs > 0)
		memcpy(copy, f->tenant_refs, sizeof(int32) * f->n_tenant_refs);
	f->tenant_refs = copy;
}

/* Reads and checks export()'s arguments: the filters, format and after_id. */
static void
ReadExportArgs(FunctionCallInfo fcinfo, ExportState *s, bool *resume, int64 *after_id)
{
	SearchReadFilterArgs(fcinfo, &s->f);
	if (PG_ARGISNULL(ARG_FORMAT))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("format must not be null"),
				 errhint("The formats are ndjson (the default), csv and ocsf.")));
	s->format = ExportParseFormat(text_to_cstring(PG_GETARG_TEXT_PP(ARG_FORMAT)));
	*resume = !PG_ARGISNULL(ARG_AFTER_ID);
	*after_id = *resume ? PG_GETARG_INT64(ARG_AFTER_ID) : 0;
	if (*after_id < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("after_id " INT64_FORMAT " is negative", *after_id),
				 errhint("Pass the id of the last event received, or 0 to start from the first event.")));
}

/*
 * Resolves the filters, takes the snapshot and finds where the export ends:
 * at the safe point when resuming, else at the last id handed out once the
 * snapshot is taken (no event it sees has a greater one). Called in the
 * export's memory context.
 */
static void
StartExport(FunctionCallInfo fcinfo, ExportState *s, bool resume, int64 after_id)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext cxt = CurrentMemoryContext;
	AuditOwnerState st;
	bool		fresh = !IsolationUsesXactSnapshot() && !RecoveryInProgress();

	s->snap = MemoryContextAllocZero(rsinfo->econtext->ecxt_per_query_memory, sizeof(ExportReadSnapshot));
	RegisterExprContextCallback(rsinfo->econtext, ReleaseSnapshot, PointerGetDatum(s->snap));

	AuditConnectAsOwner(&st);
	SearchResolveFilters(fcinfo, &s->f);
	CopyFilterArrays(&s->f, cxt);
	s->lo = after_id;
	if (resume && fresh)
		s->end = AuditReaderSafePoint(NULL);
	s->snap->owner = CurrentResourceOwner;
	s->snap->snapshot = RegisterSnapshotOnOwner(GetTransactionSnapshot(), s->snap->owner);
	if (resume && !fresh)
		s->end = AuditReaderSafePoint(s->snap->snapshot);
	else if (!resume)
		s->end = AuditLastEventId();
	if (s->f.nothing || s->end < s->lo)
		s->end = s->lo;
	AuditFinishAsOwner(&st);
	MemoryContextSwitchTo(cxt);
}

/*
 * The window query, events matching the filters with ids in (lo, hi],
 * unordered, and its parameters in 'args'.
 */
static char *
WindowQuery(const SearchFilters *f, int64 lo, int64 hi, SpiArgs *args)
{
	StringInfoData sql;

	initStringInfo(&sql);
	appendStringInfoString(&sql,
						   "SELECT e.id, e.occurred_at, e.actor_ref, e.actor_id_ref, e.action_ref,"
						   " e.resource_type_ref, e.resource_id, e.outcome, e.org_ref, e.details,"
						   " e.db_user_ref, e.client_addr, e.application_ref, e.txid"
						   " FROM auditlog.event_store e");
	if (SearchAppendFilters(&sql, args, f))
		appendStringInfoString(&sql, " WHERE true");
	appendStringInfo(&sql, " AND e.id OPERATOR(pg_catalog.>) $%d AND e.id OPERATOR(pg_catalog.<=) $%d",
					 SpiArg(args, INT8OID, Int64GetDatum(lo)),
					 SpiArg(args, INT8OID, Int64GetDatum(hi)));
	SearchAppendTimeRange(&sql, args, f->has_from ? f->from : DT_NOBEGIN, f->has_to ? f->to : DT_NOEND);
	return sql.data;
}

/* ------------------------------------------------------------------------
 * internal: windows
 * ------------------------------------------------------------------------
 */

/* Orders a window's events (indexes into its values) by id. */
static int
CompareIds(const void *a, const void *b, void *arg)
{
	const Datum *values = (const Datum *) arg;
	int64		x = DatumGetInt64(values[*(const int *) a * W_NCOLS + W_ID]);
	int64		y = DatumGetInt64(values[*(const int *) b * W_NCOLS + W_ID]);

	return (x > y) - (x < y);
}

/* True when the window's events came in id order already (they mostly do). */
static bool
WindowInIdOrder(const ExportState *s)
{
	for (int i = 1; i < s->rows; i++)
	{
		if (DatumGetInt64(s->values[i * W_NCOLS + W_ID]) < DatumGetInt64(s->values[(i - 1) * W_NCOLS + W_ID]))
			return false;
	}
	return true;
}

/* An empty cache of dictionary strings, in cxt. */
static void
InitLabelCache(LabelCache *cache, MemoryContext cxt)
{
	HASHCTL		ctl;

	memset(cache, 0, sizeof(*cache));
	cache->cxt = cxt;
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(int32);
	ctl.entrysize = sizeof(LabelEntry);
	ctl.hcxt = cxt;
	cache->large = hash_create("auditlog export labels", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/*
 * Where the cache keeps the string of an id, made when new; *known says
 * whether the id had been met before.
 */
static char **
LabelSlot(LabelCache *cache, int32 id, bool *known)
{
	if (id >= 0 && id < LABEL_ARRAY_MAX)
	{
		if (id >= cache->size)
		{
			int32		size = Max(Min(LABEL_ARRAY_MAX, Max(cache->size * 2, 1024)), id + 1);

			cache->text = cache->text ? repalloc(cache->text, sizeof(char *) * size)
				: MemoryContextAlloc(cache->cxt, sizeof(char *) * size);
			cache->known = cache->known ? repalloc(cache->known, size)
				: MemoryContextAlloc(cache->cxt, size);
			memset(cache->known + cache->size, 0, size - cache->size);
			memset(cache->text + cache->size, 0, sizeof(char *) * (size - cache->size));
			cache->size = size;
		}
		*known = cache->known[id];
		cache->known[id] = true;
		return &cache->text[id];
	}
	else
	{
		LabelEntry *e = hash_search(cache->large, &id, HASH_ENTER, known);

		return &e->text;
	}
}

/* Adds an id the cache has never met to missing[], once. */
static void
RememberLabel(LabelCache *cache, int32 id, int32 *missing, int *n)
{
	bool		known;
	char	  **slot = LabelSlot(cache, id, &known);

	if (!known)
	{
		*slot = NULL;
		missing[(*n)++] = id;
	}
}

/* Reads the strings of ids[] into the cache: sql selects (id, text) for $1. */
static void
LearnLabels(LabelCache *cache, int32 *ids, int n, const char *sql)
{
	SpiArgs		args = {0};
	uint64		rows;

	SpiArg(&args, INT4ARRAYOID, SpiInt4Array(ids, n));
	rows = SpiQuery(sql, &args, 0);
	for (uint64 i = 0; i < rows; i++)
	{
		bool		isnull;
		bool		known;
		int32		id = DatumGetInt32(SpiGetDatum(i, 1, &isnull));
		Datum		label = SpiGetDatum(i, 2, &isnull);

		if (!isnull)
			*LabelSlot(cache, id, &known) = MemoryContextStrdup(cache->cxt, TextDatumGetCString(label));
	}
}

/* Makes sure the caches know every dictionary id of a window's events. */
static void
ResolveWindowLabels(ExportState *s, int rows)
{
	static const int label_cols[] = {W_ACTOR, W_ACTOR_ID, W_RESOURCE_TYPE, W_ORG, W_DB_USER, W_APPLICATION};
	int32	   *labels = palloc(sizeof(int32) * rows * lengthof(label_cols));
	int32	   *actions = palloc(sizeof(int32) * rows);
	int			n_labels = 0;
	int			n_actions = 0;

	for (int i = 0; i < rows; i++)
	{
		const Datum *v = s->values + i * W_NCOLS;
		const bool *isnull = s->nulls + i * W_NCOLS;

		for (int c = 0; c < (int) lengthof(label_cols); c++)
		{
			if (!isnull[label_cols[c]])
				RememberLabel(&s->labels, DatumGetInt32(v[label_cols[c]]), labels, &n_labels);
		}
		RememberLabel(&s->actions, DatumGetInt32(v[W_ACTION]), actions, &n_actions);
	}
	if (n_labels > 0)
		LearnLabels(&s->labels, labels, n_labels,
					"SELECT l.id, l.label FROM auditlog.labels l"
					" WHERE l.id OPERATOR(pg_catalog.=) ANY ($1)");
	if (n_actions > 0)
		LearnLabels(&s->actions, actions, n_actions,
					"SELECT t.id, t.action FROM auditlog.action_types t"
					" WHERE t.id OPERATOR(pg_catalog.=) ANY ($1)");
}

/* The string of one dictionary column of an event, or NULL. */
static const char *
LabelOf(LabelCache *cache, const Datum *values, const bool *nulls, int col)
{
	int32		id;
	LabelEntry *e;

	if (nulls[col])
		return NULL;
	id = DatumGetInt32(values[col]);
	if (id >= 0 && id < cache->size)
		return cache->text[id];
	e = hash_search(cache->large, &id, HASH_FIND, NULL);
	return e ? e->text : NULL;
}

/*
 * A client address as text. Events come from few clients, mostly the same
 * one after another: the text of the last one is kept.
 */
static const char *
ClientAddrText(ExportState *s, Datum addr)
{
	struct varlena *a = PG_DETOAST_DATUM_PACKED(addr);

	if (s->last_addr == NULL || VARSIZE_ANY(a) != VARSIZE_ANY(s->last_addr) ||
		memcmp(a, s->last_addr, VARSIZE_ANY(a)) != 0)
	{
		if (s->last_addr)
		{
			pfree(s->last_addr);
			pfree(s->last_addr_text);
		}
		s->last_addr = MemoryContextAlloc(s->cxt, VARSIZE_ANY(a));
		memcpy(s->last_addr, a, VARSIZE_ANY(a));
		s->last_addr_text = MemoryContextStrdup(s->cxt, DatumGetCString(DirectFunctionCall1(inet_out, addr)));
	}
	return s->last_addr_text;
}

/* Makes the lines of a window's events, in id order, into s->lines. */
static void
FormatWindow(ExportState *s, int rows)
{
	s->lines = MemoryContextAlloc(s->window_cxt, sizeof(Datum) * rows);
	for (int i = 0; i < rows; i++)
	{
		const Datum *v = s->values + s->order[i] * W_NCOLS;
		const bool *isnull = s->nulls + s->order[i] * W_NCOLS;
		ExportEvent ev;
		MemoryContext old;

		MemoryContextReset(s->event_cxt);
		old = MemoryContextSwitchTo(s->event_cxt);
		ev.id = DatumGetInt64(v[W_ID]);
		ev.occurred_at = DatumGetTimestampTz(v[W_OCCURRED_AT]);
		ev.actor = LabelOf(&s->labels, v, isnull, W_ACTOR);
		ev.actor_id = LabelOf(&s->labels, v, isnull, W_ACTOR_ID);
		ev.action = LabelOf(&s->actions, v, isnull, W_ACTION);
		ev.resource_type = LabelOf(&s->labels, v, isnull, W_RESOURCE_TYPE);
		ev.resource_id = isnull[W_RESOURCE_ID] ? NULL : TextDatumGetCString(v[W_RESOURCE_ID]);
		ev.outcome = DatumGetAuditOutcome(v[W_OUTCOME]);
		ev.org_id = LabelOf(&s->labels, v, isnull, W_ORG);
		ev.details = isnull[W_DETAILS] ? NULL : DatumGetJsonbP(v[W_DETAILS]);
		ev.db_user = LabelOf(&s->labels, v, isnull, W_DB_USER);
		ev.client_addr = isnull[W_CLIENT_ADDR] ? NULL : ClientAddrText(s, v[W_CLIENT_ADDR]);
		ev.application_name = LabelOf(&s->labels, v, isnull, W_APPLICATION);
		ev.txid = DatumGetInt64(v[W_TXID]);
		resetStringInfo(&s->buf);
		ExportAppendEvent(&s->buf, s->format, &ev);
		MemoryContextSwitchTo(s->window_cxt);
		s->lines[i] = PointerGetDatum(cstring_to_text_with_len(s->buf.data, s->buf.len));
		MemoryContextSwitchTo(old);
	}
	s->n_lines = rows;
}

/* Start of a window query: its rows must be those WindowQuery selects. */
static void
WindowStartup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	if (typeinfo->natts != W_NCOLS)
		elog(ERROR, "auditlog: the export query returns %d columns", typeinfo->natts);
}

/*
 * One event of a window, kept in the window's arrays: values passed by
 * reference (a resource id, details, a client address) are copied, since
 * the slot's point into a buffer page.
 */
static bool
WindowReceiveRow(TupleTableSlot *slot, DestReceiver *self)
{
	ExportState *s = ((WindowReceiver *) self)->state;
	TupleDesc	desc = slot->tts_tupleDescriptor;
	MemoryContext old;
	Datum	   *values;
	bool	   *nulls;

	if (s->rows == s->capacity)
	{
		s->capacity = Max(s->capacity * 2, 1024);
		s->values = repalloc_huge(s->values, sizeof(Datum) * W_NCOLS * s->capacity);
		s->nulls = repalloc_huge(s->nulls, sizeof(bool) * W_NCOLS * s->capacity);
		s->order = repalloc_huge(s->order, sizeof(int) * s->capacity);
	}
	slot_getallattrs(slot);
	values = s->values + s->rows * W_NCOLS;
	nulls = s->nulls + s->rows * W_NCOLS;
	old = MemoryContextSwitchTo(s->window_cxt);
	for (int c = 0; c < W_NCOLS; c++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, c);

		nulls[c] = slot->tts_isnull[c];
		values[c] = (nulls[c] || att->attbyval) ? slot->tts_values[c] :
			datumCopy(slot->tts_values[c], false, att->attlen);
	}
	MemoryContextSwitchTo(old);
	s->order[s->rows] = s->rows;
	s->rows++;
	return true;
}

/* The receiver's end and destruction: nothing to do. */
static void
WindowNoop(DestReceiver *self)
{
}

/*
 * The next window's width: what should hold about EXPORT_WINDOW_ROWS
 * events at the density of the last one, growing or shrinking at most
 * eightfold and fourfold.
 */
static void
NextSpan(ExportState *s, uint64 rows)
{
	double		span = (double) s->span;

	if (rows == 0)
		span *= 8;
	else
		span = Min(span * 8, Max(span / 4, span * EXPORT_WINDOW_ROWS / rows));
	s->span = (int64) Max(1.0, Min(span, (double) (PG_INT64_MAX / 4)));
}

/* Reads the next window of events and makes their lines. */
static void
FetchWindow(ExportState *s)
{
	AuditOwnerState st;
	SpiArgs		args = {0};
	int64		hi = (s->end - s->lo > s->span) ? s->lo + s->span : s->end;
	WindowReceiver receiver = {
		.pub = {.receiveSlot = WindowReceiveRow, .rStartup = WindowStartup,
				.rShutdown = WindowNoop, .rDestroy = WindowNoop, .mydest = DestNone},
		.state = s,
	};

	MemoryContextReset(s->window_cxt);
	s->rows = s->n_lines = s->next_line = 0;
	AuditConnectAsOwner(&st);
	PushActiveSnapshot(s->snap->snapshot);
	(void) SpiQueryToReceiver(WindowQuery(&s->f, s->lo, hi, &args), &args, &receiver.pub);
	if (s->rows > 0)
	{
		if (!WindowInIdOrder(s))
			qsort_arg(s->order, s->rows, sizeof(int), CompareIds, s->values);
		ResolveWindowLabels(s, s->rows);
		FormatWindow(s, s->rows);
	}
	PopActiveSnapshot();
	AuditFinishAsOwner(&st);
	NextSpan(s, s->rows);
	s->lo = hi;
}

/* ------------------------------------------------------------------------
 * SQL-callable functions
 * ------------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(auditlog_export);
/*
 * auditlog.export_lines(actor, action, resource_type, from_date, to_date,
 * outcome, resource_id, org_id, format, after_id) RETURNS SETOF text, the
 * body of auditlog.export(): the events matching the filters, in id order,
 * a line each; with after_id, those after it up to the safe point.
 */
Datum
auditlog_export(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	ExportState *s;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;
		bool		resume;
		int64		after_id;

		CheckExportPrivilege();
		funcctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		s = palloc0(sizeof(ExportState));
		ReadExportArgs(fcinfo, s, &resume, &after_id);
		s->cxt = funcctx->multi_call_memory_ctx;
		/* the first block stays across windows: they do not ask malloc again */
		s->window_cxt = AllocSetContextCreate(s->cxt, "auditlog export window", EXPORT_WINDOW_BLOCK,
											  EXPORT_WINDOW_BLOCK, EXPORT_WINDOW_BLOCK);
		s->values = palloc(sizeof(Datum) * W_NCOLS);
		s->nulls = palloc(sizeof(bool) * W_NCOLS);
		s->order = palloc(sizeof(int));
		s->event_cxt = AllocSetContextCreate(s->cxt, "auditlog export line", ALLOCSET_SMALL_SIZES);
		InitLabelCache(&s->labels, s->cxt);
		InitLabelCache(&s->actions, s->cxt);
		initStringInfo(&s->buf);
		s->span = EXPORT_WINDOW_ROWS;
		StartExport(fcinfo, s, resume, after_id);
		if (s->format == EXPORT_CSV)
		{
			s->lines = palloc(sizeof(Datum));
			s->lines[0] = CStringGetTextDatum(ExportCsvHeader());
			s->n_lines = 1;
		}
		funcctx->user_fctx = s;
		MemoryContextSwitchTo(old);
	}
	funcctx = SRF_PERCALL_SETUP();
	s = (ExportState *) funcctx->user_fctx;
	while (s->next_line >= s->n_lines)
	{
		if (s->lo >= s->end)
		{
			ReleaseSnapshot(PointerGetDatum(s->snap));
			SRF_RETURN_DONE(funcctx);
		}
		FetchWindow(s);
	}
	SRF_RETURN_NEXT(funcctx, s->lines[s->next_line++]);
}
