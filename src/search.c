/* src/search.c — the dashboard query: search() and event_count() over the event store */
#include "auditlog.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

/*
 * A search runs in two steps. The filter strings are first resolved to the
 * ids the event store holds (auditlog.labels by kind, auditlog.action_types
 * by name or by category), so that a filter naming nothing known answers at
 * once, without touching the events. Then the page and the count run over
 * auditlog.event_store with those ids, and only the page's rows are joined
 * back to their labels.
 *
 * Where the page comes from and how the count is made are each behind one
 * function (PageEvents, CountEvents) so that they can change (summaries,
 * other indexes) without the rest noticing.
 *
 * search() and event_count() run as the extension's owner with a pinned
 * search_path; even so every name in the SQL below is schema-qualified and
 * every operator spelt OPERATOR(schema.op), so that nothing in it depends on
 * the path.
 */

/* Largest page a caller may ask for. */
#define SEARCH_MAX_PAGE_SIZE	10000

/* Arguments shared by search() and event_count(), in order. */
enum
{
	ARG_ACTOR = 0,
	ARG_ACTION,
	ARG_RESOURCE_TYPE,
	ARG_FROM_DATE,
	ARG_TO_DATE,
	ARG_OUTCOME,
	ARG_RESOURCE_ID,
	ARG_ORG_ID,
	ARG_NFILTERS,
	/* search() only */
	ARG_PAGE_SIZE = ARG_NFILTERS,
	ARG_BEFORE_ID
};

/* Columns of auditlog.search_row, the last one being total_count. */
#define SEARCH_ROW_NATTS	15

/*
 * The filters of a search, resolved to what auditlog.event_store holds. A
 * flag says whether each one applies; 'nothing' says that some filter names
 * a value no event has, so that no event can match.
 */
typedef struct SearchFilters
{
	bool		nothing;
	bool		has_actor;
	int32		actor_ref;
	bool		has_action;
	int			n_action_refs;	/* one for an exact action, any for a category */
	int32	   *action_refs;
	bool		has_resource_type;
	int32		resource_type_ref;
	bool		has_org;
	int32		org_ref;
	bool		has_outcome;
	AuditOutcome outcome;
	char	   *resource_id;	/* NULL: any */
	bool		has_from;
	TimestampTz from;			/* occurred_at >= from */
	bool		has_to;
	TimestampTz to;				/* occurred_at < to */
} SearchFilters;

/* A position in the order of a search: the page holds the rows after it. */
typedef struct SearchCursor
{
	TimestampTz occurred_at;
	int64		id;
} SearchCursor;

/* Parameters of one SPI query, numbered $1, $2, ... as they are added. */
#define MAX_QUERY_ARGS 16
typedef struct QueryArgs
{
	int			n;
	Oid			types[MAX_QUERY_ARGS];
	Datum		values[MAX_QUERY_ARGS];
	char		nulls[MAX_QUERY_ARGS];
} QueryArgs;

/* ------------------------------------------------------------------------
 * internal
 * ------------------------------------------------------------------------
 */

/* Adds a parameter and returns its number. */
static int
AddArg(QueryArgs *args, Oid type, Datum value)
{
	if (args->n >= MAX_QUERY_ARGS)
		elog(ERROR, "auditlog: too many query parameters");
	args->types[args->n] = type;
	args->values[args->n] = value;
	args->nulls[args->n] = ' ';
	return ++args->n;
}

/* Runs a read-only query and returns the number of rows; errors on failure. */
static uint64
RunQuery(const char *sql, QueryArgs *args, long limit)
{
	int			ret;

	ret = SPI_execute_with_args(sql, args->n, args->types, args->values, args->nulls,
								true, limit);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "auditlog: search query failed: %s", SPI_result_code_string(ret));
	return SPI_processed;
}

/* The first column of the first row of the last query, as an int32; 0 if none. */
static int32
FirstInt32(void)
{
	bool		isnull;
	Datum		d;

	if (SPI_processed == 0)
		return 0;
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetInt32(d);
}

/* Id of a label of the given kind, or 0 when no event ever named it. */
static int32
FindLabel(char kind, const char *label)
{
	QueryArgs	args = {0};

	AddArg(&args, CHAROID, CharGetDatum(kind));
	AddArg(&args, TEXTOID, CStringGetTextDatum(label));
	RunQuery("SELECT l.id FROM auditlog.labels l"
			 " WHERE l.kind OPERATOR(pg_catalog.=) $1"
			 "   AND l.label OPERATOR(pg_catalog.=) $2",
			 &args, 1);
	return FirstInt32();
}

/*
 * Checks an action filter: an action ("auth.login"), or a category, one or
 * more words followed by ".*" ("credential.*", "a.b.*"). Returns the
 * category's prefix without ".*", or NULL for an exact action.
 */
static char *
CheckActionFilter(const char *action)
{
	size_t		len = strlen(action);

	if (len > 2 && len <= AUDIT_MAX_LABEL && strcmp(action + len - 2, ".*") == 0)
	{
		char	   *prefix = pnstrdup(action, len - 2);

		if (AuditWordIsValid(prefix) || AuditActionIsValid(prefix))
			return prefix;
	}
	else if (AuditActionIsValid(action))
		return NULL;

	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid action filter \"%s\"", action),
			 errdetail("An action filter is an action such as \"auth.login\", or a category "
					   "such as \"credential.*\" for every action under it."),
			 AuditWordIsValid(action) ?
			 errhint("For every action of category \"%s\", pass \"%s.*\".", action, action) :
			 errhint("Pass an action listed by auditlog.filter_options(), a category, or NULL for every action.")));
	pg_unreachable();
}

/* Resolves the action filter to the ids of the actions it covers. */
static void
ResolveActions(SearchFilters *f, const char *action)
{
	char	   *prefix = CheckActionFilter(action);
	QueryArgs	args = {0};
	uint64		n;

	if (prefix == NULL)
	{
		AddArg(&args, TEXTOID, CStringGetTextDatum(action));
		n = RunQuery("SELECT t.id FROM auditlog.action_types t"
					 " WHERE t.action OPERATOR(pg_catalog.=) $1",
					 &args, 1);
	}
	else
	{
		/*
		 * Every action starting with "<prefix>.": in the C collation of the
		 * column these are the strings from "<prefix>." up to, not
		 * including, "<prefix>/" ('/' follows '.'), a range the unique
		 * index on the name can scan.
		 */
		AddArg(&args, TEXTOID, CStringGetTextDatum(psprintf("%s.", prefix)));
		AddArg(&args, TEXTOID, CStringGetTextDatum(psprintf("%s/", prefix)));
		n = RunQuery("SELECT t.id FROM auditlog.action_types t"
					 " WHERE t.action OPERATOR(pg_catalog.>=) $1"
					 "   AND t.action OPERATOR(pg_catalog.<) $2",
					 &args, 0);
	}

	f->has_action = true;
	f->n_action_refs = (int) n;
	f->action_refs = palloc(sizeof(int32) * Max(n, 1));
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;

		f->action_refs[i] = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i],
														SPI_tuptable->tupdesc, 1, &isnull));
	}
	if (n == 0)
		f->nothing = true;
}

/* Resolves a label filter; a label no event has matches nothing. */
static void
ResolveLabel(SearchFilters *f, char kind, const char *label, bool *has, int32 *ref)
{
	*has = true;
	*ref = FindLabel(kind, label);
	if (*ref == 0)
		f->nothing = true;
}

/* Oid of type auditlog.outcome. */
static Oid
OutcomeTypeOid(void)
{
	Oid			typid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
										CStringGetDatum("outcome"),
										ObjectIdGetDatum(AuditSchemaOid()));

	if (!OidIsValid(typid))
		elog(ERROR, "auditlog: type auditlog.outcome is missing");
	return typid;
}

/*
 * Checks the filter arguments that need no lookup (the dates and the
 * action's syntax), and turns the dates into the half-open range of times
 * they cover in the session's time zone: occurred_at >= from_date and
 * occurred_at < to_date + 1, as the SQL casts date -> timestamptz would.
 * Infinite dates are no bound; a bound beyond the range of timestamptz
 * either is no bound or excludes everything.
 */
static void
ReadFilterArgs(FunctionCallInfo fcinfo, SearchFilters *f)
{
	memset(f, 0, sizeof(*f));

	if (!PG_ARGISNULL(ARG_ACTION))
		(void) CheckActionFilter(text_to_cstring(PG_GETARG_TEXT_PP(ARG_ACTION)));

	if (!PG_ARGISNULL(ARG_FROM_DATE) && !PG_ARGISNULL(ARG_TO_DATE) &&
		PG_GETARG_DATEADT(ARG_FROM_DATE) > PG_GETARG_DATEADT(ARG_TO_DATE))
	{
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("from_date %s is after to_date %s",
						DatumGetCString(DirectFunctionCall1(date_out, PG_GETARG_DATUM(ARG_FROM_DATE))),
						DatumGetCString(DirectFunctionCall1(date_out, PG_GETARG_DATUM(ARG_TO_DATE)))),
				 errdetail("Both dates are included: from_date = to_date is the events of one day."),
				 errhint("Swap the two dates.")));
	}

	if (!PG_ARGISNULL(ARG_FROM_DATE))
	{
		DateADT		d = PG_GETARG_DATEADT(ARG_FROM_DATE);
		int			overflow = 0;

		if (!DATE_IS_NOBEGIN(d))
		{
			f->from = date2timestamptz_opt_overflow(d, &overflow);
			if (overflow > 0)
				f->nothing = true;
			else if (overflow == 0)
				f->has_from = true;
		}
	}
	if (!PG_ARGISNULL(ARG_TO_DATE))
	{
		DateADT		d = PG_GETARG_DATEADT(ARG_TO_DATE);
		int			overflow = 0;

		if (!DATE_NOT_FINITE(d))
		{
			f->to = date2timestamptz_opt_overflow(d + 1, &overflow);
			if (overflow < 0)
				f->nothing = true;
			else if (overflow == 0)
				f->has_to = true;
		}
		else if (DATE_IS_NOBEGIN(d))
			f->nothing = true;
	}

	if (!PG_ARGISNULL(ARG_OUTCOME))
	{
		f->has_outcome = true;
		f->outcome = PG_GETARG_AUDIT_OUTCOME(ARG_OUTCOME);
		(void) AuditOutcomeName(f->outcome);
	}
	if (!PG_ARGISNULL(ARG_RESOURCE_ID))
		f->resource_id = text_to_cstring(PG_GETARG_TEXT_PP(ARG_RESOURCE_ID));
}

/*
 * Resolves the filter strings to dictionary ids (inside SPI). Stops at the
 * first one that names nothing known: no event can match then.
 */
static void
ResolveFilters(FunctionCallInfo fcinfo, SearchFilters *f)
{
	if (!f->nothing && !PG_ARGISNULL(ARG_ACTOR))
		ResolveLabel(f, LABEL_ACTOR, text_to_cstring(PG_GETARG_TEXT_PP(ARG_ACTOR)),
					 &f->has_actor, &f->actor_ref);
	if (!f->nothing && !PG_ARGISNULL(ARG_RESOURCE_TYPE))
		ResolveLabel(f, LABEL_RESOURCE_TYPE, text_to_cstring(PG_GETARG_TEXT_PP(ARG_RESOURCE_TYPE)),
					 &f->has_resource_type, &f->resource_type_ref);
	if (!f->nothing && !PG_ARGISNULL(ARG_ORG_ID))
		ResolveLabel(f, LABEL_ORG, text_to_cstring(PG_GETARG_TEXT_PP(ARG_ORG_ID)),
					 &f->has_org, &f->org_ref);
	if (!f->nothing && !PG_ARGISNULL(ARG_ACTION))
		ResolveActions(f, text_to_cstring(PG_GETARG_TEXT_PP(ARG_ACTION)));
}

/* Appends " WHERE " before the first condition and " AND " before the others. */
static void
AppendCondition(StringInfo sql, bool *first, const char *fmt, int argno)
{
	appendStringInfoString(sql, *first ? " WHERE " : " AND ");
	appendStringInfo(sql, fmt, argno);
	*first = false;
}

/* Appends the WHERE clause of the filters over event_store aliased 'e'. */
static bool
AppendFilters(StringInfo sql, QueryArgs *args, const SearchFilters *f)
{
	bool		first = true;

	if (f->has_actor)
		AppendCondition(sql, &first, "e.actor_ref OPERATOR(pg_catalog.=) $%d",
						AddArg(args, INT4OID, Int32GetDatum(f->actor_ref)));
	if (f->has_action && f->n_action_refs == 1)
		AppendCondition(sql, &first, "e.action_ref OPERATOR(pg_catalog.=) $%d",
						AddArg(args, INT4OID, Int32GetDatum(f->action_refs[0])));
	else if (f->has_action)
	{
		Datum	   *elems = palloc(sizeof(Datum) * f->n_action_refs);
		ArrayType  *arr;

		for (int i = 0; i < f->n_action_refs; i++)
			elems[i] = Int32GetDatum(f->action_refs[i]);
		arr = construct_array(elems, f->n_action_refs, INT4OID, sizeof(int32), true, TYPALIGN_INT);
		AppendCondition(sql, &first, "e.action_ref OPERATOR(pg_catalog.=) ANY ($%d)",
						AddArg(args, INT4ARRAYOID, PointerGetDatum(arr)));
	}
	if (f->has_resource_type)
		AppendCondition(sql, &first, "e.resource_type_ref OPERATOR(pg_catalog.=) $%d",
						AddArg(args, INT4OID, Int32GetDatum(f->resource_type_ref)));
	if (f->resource_id)
		AppendCondition(sql, &first, "e.resource_id OPERATOR(pg_catalog.=) $%d",
						AddArg(args, TEXTOID, CStringGetTextDatum(f->resource_id)));
	if (f->has_org)
		AppendCondition(sql, &first, "e.org_ref OPERATOR(pg_catalog.=) $%d",
						AddArg(args, INT4OID, Int32GetDatum(f->org_ref)));
	if (f->has_outcome)
		AppendCondition(sql, &first, "e.outcome OPERATOR(auditlog.=) $%d",
						AddArg(args, OutcomeTypeOid(), AuditOutcomeGetDatum(f->outcome)));
	if (f->has_from)
		AppendCondition(sql, &first, "e.occurred_at OPERATOR(pg_catalog.>=) $%d",
						AddArg(args, TIMESTAMPTZOID, TimestampTzGetDatum(f->from)));
	if (f->has_to)
		AppendCondition(sql, &first, "e.occurred_at OPERATOR(pg_catalog.<) $%d",
						AddArg(args, TIMESTAMPTZOID, TimestampTzGetDatum(f->to)));
	return first;
}

/*
 * Where a page starts: the time of event 'before_id'. Errors when there is
 * no such event, since the caller then holds a cursor from elsewhere.
 */
static void
LocateCursor(int64 before_id, SearchCursor *cursor)
{
	QueryArgs	args = {0};
	bool		isnull;

	AddArg(&args, INT8OID, Int64GetDatum(before_id));
	if (RunQuery("SELECT e.occurred_at FROM auditlog.event_store e"
				 " WHERE e.id OPERATOR(pg_catalog.=) $1",
				 &args, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no event with id " INT64_FORMAT, before_id),
				 errhint("Pass as before_id the id of the last row of the previous page, or NULL for the first page.")));
	cursor->occurred_at = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0],
															SPI_tuptable->tupdesc, 1, &isnull));
	cursor->id = before_id;
}

/*
 * The number of events matching the filters.
 *
 * An exact count(*) over event_store for now; precomputed summaries will
 * take its place, and nothing else needs to know.
 */
static int64
CountEvents(const SearchFilters *f)
{
	StringInfoData sql;
	QueryArgs	args = {0};
	bool		isnull;

	if (f->nothing)
		return 0;
	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT pg_catalog.count(*) FROM auditlog.event_store e");
	AppendFilters(&sql, &args, f);
	RunQuery(sql.data, &args, 1);
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * Leaves in SPI_tuptable the page of events matching the filters: newest
 * first by (occurred_at, id), after 'cursor' in that order when it is
 * given, at most 'limit' of them, with the columns of auditlog.search_row
 * but total_count. Returns the number of rows.
 */
static uint64
PageEvents(const SearchFilters *f, const SearchCursor *cursor, int64 limit)
{
	StringInfoData sql;
	QueryArgs	args = {0};
	bool		first;

	initStringInfo(&sql);
	appendStringInfoString(&sql,
						   "WITH page AS ("
						   "SELECT e.id, e.occurred_at, e.actor_ref, e.actor_id_ref, e.action_ref,"
						   " e.resource_type_ref, e.resource_id, e.outcome, e.org_ref, e.details,"
						   " e.db_user_ref, e.client_addr, e.application_ref, e.txid"
						   " FROM auditlog.event_store e");
	first = AppendFilters(&sql, &args, f);
	if (cursor)
	{
		int			t = AddArg(&args, TIMESTAMPTZOID, TimestampTzGetDatum(cursor->occurred_at));
		int			i = AddArg(&args, INT8OID, Int64GetDatum(cursor->id));

		appendStringInfo(&sql, "%s ROW(e.occurred_at, e.id) OPERATOR(pg_catalog.<) ROW($%d, $%d)",
						 first ? " WHERE" : " AND", t, i);
	}
	appendStringInfo(&sql,
					 " ORDER BY e.occurred_at DESC, e.id DESC LIMIT $%d)"
					 " SELECT p.id, p.occurred_at, ac.label, ai.label, t.action, rt.label,"
					 " p.resource_id, p.outcome, og.label, p.details, du.label, p.client_addr,"
					 " an.label, p.txid"
					 " FROM page p"
					 " LEFT JOIN auditlog.action_types t ON t.id OPERATOR(pg_catalog.=) p.action_ref"
					 " LEFT JOIN auditlog.labels ac ON ac.id OPERATOR(pg_catalog.=) p.actor_ref"
					 " LEFT JOIN auditlog.labels ai ON ai.id OPERATOR(pg_catalog.=) p.actor_id_ref"
					 " LEFT JOIN auditlog.labels rt ON rt.id OPERATOR(pg_catalog.=) p.resource_type_ref"
					 " LEFT JOIN auditlog.labels og ON og.id OPERATOR(pg_catalog.=) p.org_ref"
					 " LEFT JOIN auditlog.labels du ON du.id OPERATOR(pg_catalog.=) p.db_user_ref"
					 " LEFT JOIN auditlog.labels an ON an.id OPERATOR(pg_catalog.=) p.application_ref"
					 " ORDER BY p.occurred_at DESC, p.id DESC",
					 AddArg(&args, INT8OID, Int64GetDatum(limit)));
	return RunQuery(sql.data, &args, 0);
}

/* Sets up materialized set-returning output in the shape of the declared result. */
static Tuplestorestate *
BeginMaterializedResult(FunctionCallInfo fcinfo, TupleDesc *tupdesc)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old;
	Tuplestorestate *store;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	if (!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("materialize mode required, but it is not allowed in this context")));

	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	if (get_call_result_type(fcinfo, NULL, tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "auditlog: return type must be a row type");
	*tupdesc = CreateTupleDescCopy(*tupdesc);
	if ((*tupdesc)->natts != SEARCH_ROW_NATTS)
		elog(ERROR, "auditlog: auditlog.search_row has %d columns, expected %d",
			 (*tupdesc)->natts, SEARCH_ROW_NATTS);
	store = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = store;
	rsinfo->setDesc = *tupdesc;
	MemoryContextSwitchTo(old);
	return store;
}

/* ------------------------------------------------------------------------
 * SQL-callable functions
 * ------------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(auditlog_search);
/*
 * auditlog.search(actor, action, resource_type, from_date, to_date, outcome,
 * resource_id, org_id, page_size, before_id) RETURNS SETOF
 * auditlog.search_row: one page of the matching events, newest first, each
 * row carrying the number of events matching the filters.
 */
Datum
auditlog_search(PG_FUNCTION_ARGS)
{
	SearchFilters f;
	SearchCursor cursor;
	bool		have_cursor = !PG_ARGISNULL(ARG_BEFORE_ID);
	int32		page_size;
	TupleDesc	tupdesc;
	Tuplestorestate *store;
	uint64		n;
	int64		total;

	if (PG_ARGISNULL(ARG_PAGE_SIZE))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("page_size must not be null"),
				 errhint("Pass a page size between 1 and %d, or omit it for pages of 100.",
						 SEARCH_MAX_PAGE_SIZE)));
	page_size = PG_GETARG_INT32(ARG_PAGE_SIZE);
	if (page_size < 1 || page_size > SEARCH_MAX_PAGE_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("page_size %d is out of range", page_size),
				 errdetail("A page holds between 1 and %d events.", SEARCH_MAX_PAGE_SIZE),
				 errhint("Page through more events with before_id.")));
	ReadFilterArgs(fcinfo, &f);

	store = BeginMaterializedResult(fcinfo, &tupdesc);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "auditlog: SPI_connect failed");
	if (have_cursor)
		LocateCursor(PG_GETARG_INT64(ARG_BEFORE_ID), &cursor);
	ResolveFilters(fcinfo, &f);
	if (f.nothing)
	{
		SPI_finish();
		return (Datum) 0;
	}

	n = PageEvents(&f, have_cursor ? &cursor : NULL, page_size);

	if (n > 0)
	{
		SPITupleTable *page = SPI_tuptable;
		Datum		values[SEARCH_ROW_NATTS];
		bool		nulls[SEARCH_ROW_NATTS];

		if (page->tupdesc->natts != SEARCH_ROW_NATTS - 1)
			elog(ERROR, "auditlog: the page query returned %d columns", page->tupdesc->natts);
		/* a first page that is not full holds every matching event */
		if (!have_cursor && n < (uint64) page_size)
			total = (int64) n;
		else
			total = CountEvents(&f);

		for (uint64 i = 0; i < n; i++)
		{
			heap_deform_tuple(page->vals[i], page->tupdesc, values, nulls);
			values[SEARCH_ROW_NATTS - 1] = Int64GetDatum(total);
			nulls[SEARCH_ROW_NATTS - 1] = false;
			tuplestore_putvalues(store, tupdesc, values, nulls);
		}
		SPI_freetuptable(page);
	}
	SPI_finish();
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(auditlog_event_count);
/*
 * auditlog.event_count(actor, action, resource_type, from_date, to_date,
 * outcome, resource_id, org_id) RETURNS bigint: the number of events
 * matching the filters, as search() reports it in total_count.
 */
Datum
auditlog_event_count(PG_FUNCTION_ARGS)
{
	SearchFilters f;
	int64		total;

	ReadFilterArgs(fcinfo, &f);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "auditlog: SPI_connect failed");
	ResolveFilters(fcinfo, &f);
	total = CountEvents(&f);
	SPI_finish();
	PG_RETURN_INT64(total);
}
