/* src/search.c — the dashboard query: search() and event_count() over the event store */
#include "auditlog.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "common/hashfn.h"
#include "utils/array.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/numeric.h"
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

/*
 * Plans of the queries below, kept for the backend's life: a search runs a
 * dozen small queries, and planning them each time would cost more than
 * running them. Keyed by the SQL text, which fixes the parameter types.
 */
typedef struct PlanEntry
{
	char		sql[NAMEDATALEN];	/* hash of the text, see PlanKey */
	SPIPlanPtr	plan;
	char	   *text;
} PlanEntry;

static HTAB *plan_cache = NULL;
static bool plan_reset_registered = false;

/* Forgets the plans (the extension's relations changed); they are leaked. */
static void
ForgetPlans(void)
{
	plan_cache = NULL;
}

/* Runs a read-only query and returns the number of rows; errors on failure. */
static uint64
RunQuery(const char *sql, QueryArgs *args, long limit)
{
	int			ret;
	PlanEntry  *e;
	bool		found;
	char		key[NAMEDATALEN];
	uint32		h = hash_bytes((const unsigned char *) sql, strlen(sql));

	if (!plan_reset_registered)
	{
		AuditOnReset(ForgetPlans);
		plan_reset_registered = true;
	}
	if (plan_cache == NULL)
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = NAMEDATALEN;
		ctl.entrysize = sizeof(PlanEntry);
		ctl.hcxt = CacheMemoryContext;
		plan_cache = hash_create("auditlog search plans", 64, &ctl,
								 HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}
	memset(key, 0, sizeof(key));
	snprintf(key, sizeof(key), "%08x:%zu:%.40s", h, strlen(sql), sql + Min(strlen(sql), 60));
	e = (PlanEntry *) hash_search(plan_cache, key, HASH_ENTER, &found);
	if (found && strcmp(e->text, sql) != 0)
	{
		/* a collision of keys: run this one unprepared */
		ret = SPI_execute_with_args(sql, args->n, args->types, args->values, args->nulls,
									true, limit);
	}
	else
	{
		if (!found)
		{
			e->plan = NULL;
			e->text = MemoryContextStrdup(CacheMemoryContext, sql);
		}
		if (e->plan == NULL)
		{
			SPIPlanPtr	plan = SPI_prepare(sql, args->n, args->types);

			if (plan == NULL)
				elog(ERROR, "auditlog: could not prepare a search query: %s",
					 SPI_result_code_string(SPI_result));
			if (SPI_keepplan(plan) != 0)
				elog(ERROR, "auditlog: could not keep a search plan");
			e->plan = plan;
		}
		ret = SPI_execute_plan(e->plan, args->values, args->nulls, true, limit);
	}
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

/* The action filter's ids as an int4[] Datum. */
static Datum
ActionRefsArray(const SearchFilters *f)
{
	Datum	   *elems = palloc(sizeof(Datum) * f->n_action_refs);

	for (int i = 0; i < f->n_action_refs; i++)
		elems[i] = Int32GetDatum(f->action_refs[i]);
	return PointerGetDatum(construct_array(elems, f->n_action_refs, INT4OID, sizeof(int32),
										   true, TYPALIGN_INT));
}

/*
 * Appends the WHERE clause of the filters but the time range, over
 * event_store aliased 'e'; the callers bound time themselves. Returns true
 * when it appended nothing.
 */
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
		AppendCondition(sql, &first, "e.action_ref OPERATOR(pg_catalog.=) ANY ($%d)",
						AddArg(args, INT4ARRAYOID, ActionRefsArray(f)));
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
	return first;
}

/* Appends " AND <e.occurred_at in [lo, hi)>", leaving out infinite ends. */
static void
AppendTimeRange(StringInfo sql, QueryArgs *args, TimestampTz lo, TimestampTz hi)
{
	if (!TIMESTAMP_IS_NOBEGIN(lo))
		appendStringInfo(sql, " AND e.occurred_at OPERATOR(pg_catalog.>=) $%d",
						 AddArg(args, TIMESTAMPTZOID, TimestampTzGetDatum(lo)));
	if (!TIMESTAMP_IS_NOEND(hi))
		appendStringInfo(sql, " AND e.occurred_at OPERATOR(pg_catalog.<) $%d",
						 AddArg(args, TIMESTAMPTZOID, TimestampTzGetDatum(hi)));
}

/* ------------------------------------------------------------------------
 * counting with the summaries
 * ------------------------------------------------------------------------
 */

/* Start of the oldest summarized month, or -infinity when nothing is summarized. */
static TimestampTz
OldestBucket(void)
{
	QueryArgs	args = {0};
	bool		isnull;
	Datum		d;

	RunQuery("SELECT pg_catalog.min(c.bucket) FROM auditlog.event_counts c"
			 " WHERE c.grain OPERATOR(pg_catalog.=) 'm' AND c.actor_ref OPERATOR(pg_catalog.=) 0",
			 &args, 1);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? DT_NOBEGIN : DatumGetTimestampTz(d);
}

/*
 * Start of the UTC day (or month) holding ts, or of the next one when
 * 'ceil' and ts is not already a start.
 */
static TimestampTz
UtcBoundary(TimestampTz ts, bool month, bool ceil)
{
	struct pg_tm tm;
	fsec_t		fsec;
	Timestamp	start;

	if (TIMESTAMP_NOT_FINITE(ts))
		return ts;
	if (timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	if (month)
		tm.tm_mday = 1;
	if (tm2timestamp(&tm, 0, NULL, &start) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	if (ceil && start < ts)
	{
		if (month)
		{
			if (++tm.tm_mon > MONTHS_PER_YEAR)
			{
				tm.tm_mon = 1;
				tm.tm_year++;
			}
			if (tm2timestamp(&tm, 0, NULL, &start) != 0)
				return DT_NOEND;
		}
		else
			start += USECS_PER_DAY;
	}
	return start;
}

/* Appends the conditions on auditlog.event_counts aliased 'c' for the filters. */
static void
AppendCountFilters(StringInfo sql, QueryArgs *args, const SearchFilters *f)
{
	if (f->has_action)
		appendStringInfo(sql, " AND c.action_ref OPERATOR(pg_catalog.=) ANY ($%d)",
						 AddArg(args, INT4ARRAYOID, ActionRefsArray(f)));
	if (f->has_resource_type)
		appendStringInfo(sql, " AND c.resource_type_ref OPERATOR(pg_catalog.=) $%d",
						 AddArg(args, INT4OID, Int32GetDatum(f->resource_type_ref)));
	if (f->has_org)
		appendStringInfo(sql, " AND c.org_ref OPERATOR(pg_catalog.=) $%d",
						 AddArg(args, INT4OID, Int32GetDatum(f->org_ref)));
	if (f->has_outcome)
		appendStringInfo(sql, " AND c.outcome OPERATOR(auditlog.=) $%d",
						 AddArg(args, OutcomeTypeOid(), AuditOutcomeGetDatum(f->outcome)));
}

/* Sum of the summary rows of one grain over the buckets in [b1, b2). */
static int64
SumRange(const SearchFilters *f, char grain, TimestampTz b1, TimestampTz b2)
{
	StringInfoData sql;
	QueryArgs	args = {0};
	bool		isnull;
	Datum		d;

	if (b1 >= b2)
		return 0;
	initStringInfo(&sql);
	/* one range per query: a plain index range, read from the index alone */
	appendStringInfo(&sql,
					 "SELECT pg_catalog.sum(c.n) FROM auditlog.event_counts c"
					 " WHERE c.grain OPERATOR(pg_catalog.=) $%d AND c.actor_ref OPERATOR(pg_catalog.=) $%d"
					 " AND c.bucket OPERATOR(pg_catalog.>=) $%d AND c.bucket OPERATOR(pg_catalog.<) $%d",
					 AddArg(&args, CHAROID, CharGetDatum(grain)),
					 AddArg(&args, INT4OID, Int32GetDatum(f->has_actor ? f->actor_ref : 0)),
					 AddArg(&args, TIMESTAMPTZOID, TimestampTzGetDatum(b1)),
					 AddArg(&args, TIMESTAMPTZOID, TimestampTzGetDatum(b2)));
	AppendCountFilters(&sql, &args, f);
	RunQuery(sql.data, &args, 1);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetInt64(DirectFunctionCall1(numeric_int8, d));
}

/* Sum of the summary rows of one grain over buckets in [b1, b2) and [b3, b4). */
static int64
SumCounts(const SearchFilters *f, char grain, TimestampTz b1, TimestampTz b2,
		  TimestampTz b3, TimestampTz b4)
{
	return SumRange(f, grain, b1, b2) + SumRange(f, grain, b3, b4);
}

/*
 * count(*) of the events matching the filters (time bounds aside) with
 * occurred_at in [a, b) or [c, d), and with an id at most 'upto' (or above
 * it, when 'above'); a negative 'upto' puts no condition on the id.
 */
static int64
RawCount(const SearchFilters *f, TimestampTz a, TimestampTz b, TimestampTz c, TimestampTz d,
		 int64 upto, bool above)
{
	StringInfoData sql;
	QueryArgs	args = {0};
	bool		isnull;
	bool		first;

	if (a >= b && c >= d)
		return 0;
	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT pg_catalog.count(*) FROM auditlog.event_store e");
	first = AppendFilters(&sql, &args, f);
	if (upto >= 0)
		appendStringInfo(&sql, "%s e.id OPERATOR(pg_catalog.%s) $%d AND (true",
						 first ? " WHERE" : " AND", above ? ">" : "<=",
						 AddArg(&args, INT8OID, Int64GetDatum(upto)));
	else
		appendStringInfo(&sql, "%s (true", first ? " WHERE" : " AND");
	AppendTimeRange(&sql, &args, a, b);
	appendStringInfoString(&sql, " OR true");
	if (c < d)
		AppendTimeRange(&sql, &args, c, d);
	else
		appendStringInfoString(&sql, " AND false");
	appendStringInfoChar(&sql, ')');
	RunQuery(sql.data, &args, 1);
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
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

/* The last event id handed out, whether or not its transaction committed. */
static int64
LastEventId(void)
{
	QueryArgs	args = {0};
	bool		isnull;
	Datum		d;

	RunQuery("SELECT CASE WHEN s.is_called THEN s.last_value ELSE 0 END"
			 " FROM auditlog.event_store_id_seq s", &args, 1);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetInt64(d);
}

/* Start of the newest bucket of a grain with events matching the filters, before hi. */
static TimestampTz
NewestBucket(const SearchFilters *f, char grain, TimestampTz hi)
{
	StringInfoData sql;
	QueryArgs	args = {0};
	bool		isnull;
	Datum		d;

	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "SELECT pg_catalog.max(c.bucket) FROM auditlog.event_counts c"
					 " WHERE c.grain OPERATOR(pg_catalog.=) $%d AND c.actor_ref OPERATOR(pg_catalog.=) $%d"
					 " AND c.bucket OPERATOR(pg_catalog.<) $%d",
					 AddArg(&args, CHAROID, CharGetDatum(grain)),
					 AddArg(&args, INT4OID, Int32GetDatum(f->has_actor ? f->actor_ref : 0)),
					 AddArg(&args, TIMESTAMPTZOID, TimestampTzGetDatum(hi)));
	AppendCountFilters(&sql, &args, f);
	RunQuery(sql.data, &args, 1);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? DT_NOBEGIN : DatumGetTimestampTz(d);
}

/*
 * The number of events matching the filters, exact.
 *
 * The events up to the summaries' watermark are counted from
 * auditlog.event_counts where whole buckets fit in the range: UTC months,
 * then UTC days (per-actor counts exist per month only); what remains at the
 * edges of the range (the parts of days the session's time zone cuts, or of
 * months for an actor) is counted from the events. The events above the
 * watermark are counted from the events too. A resource id is not in the
 * summaries: its count always comes from the events.
 *
 * Also sets *newest to the start of the newest summarized day holding a
 * match when nothing matches above the watermark (else -infinity): the page
 * search starts there. (Per actor with other filters only months exist:
 * too coarse a start.)
 */
static int64
CountEvents(const SearchFilters *f, TimestampTz *newest)
{
	TimestampTz lo = f->has_from ? f->from : DT_NOBEGIN;
	TimestampTz hi = f->has_to ? f->to : DT_NOEND;
	TimestampTz d1,
				d2,
				m1,
				m2;
	int64		upto;
	int64		total;
	int64		tail = 0;
	bool		actor_only = f->has_actor && !f->has_action && !f->has_resource_type && !f->has_org;

	*newest = DT_NOBEGIN;
	if (f->nothing)
		return 0;
	if (lo >= hi)
		return 0;
	if (f->resource_id)
	{
		/* no condition on the id, so that a resource alone is an index-only count */
		return RawCount(f, lo, hi, hi, hi, -1, false);
	}

	upto = AuditSummarizedUpto();

	/* whole UTC days [d1, d2), and within them whole UTC months [m1, m2) */
	d1 = UtcBoundary(lo, false, true);
	d2 = UtcBoundary(hi, false, false);
	if (d1 >= d2)
		d1 = d2 = hi;
	m1 = UtcBoundary(d1, true, true);
	m2 = UtcBoundary(d2, true, false);
	if (m1 >= m2)
		m1 = m2 = d2;

	if (TIMESTAMP_IS_NOBEGIN(lo) && TIMESTAMP_IS_NOEND(hi))
	{
		/* all time: one bucket per combination */
		total = SumCounts(f, f->has_actor ? 'A' : 'a', lo, hi, hi, hi);
	}
	else if (actor_only)
	{
		/* an actor alone (and maybe an outcome): per actor and day */
		total = SumCounts(f, 'U', d1, d2, d2, d2);
		total += RawCount(f, lo, d1, d2, hi, upto, false);
	}
	else if (f->has_actor)
	{
		/* an actor with other filters: per month; the rest by hand */
		total = SumCounts(f, 'M', m1, m2, m2, m2);
		total += RawCount(f, lo, m1, m2, hi, upto, false);
	}
	else
	{
		total = SumCounts(f, 'm', m1, m2, m2, m2);
		total += SumCounts(f, 'd', d1, m1, m2, d2);
		total += RawCount(f, lo, d1, d2, hi, upto, false);
	}
	/* the events above the watermark, if the sequence went past it */
	if (LastEventId() > upto)
		tail = RawCount(f, lo, hi, hi, hi, upto, true);
	total += tail;

	/*
	 * Where the page should start looking: the newest summarized bucket with
	 * a match, when no newer event waits above the watermark.
	 */
	if (tail == 0 && total > 0 && (actor_only || !f->has_actor))
		*newest = NewestBucket(f, actor_only ? 'U' : 'd', hi);
	return total;
}

/*
 * Leaves in SPI_tuptable the page of events matching the filters: newest
 * first by (occurred_at, id), after 'cursor' in that order when it is
 * given, at most 'limit' of them, with the columns of auditlog.search_row
 * but total_count. Returns the number of rows. 'known' is how many events
 * there are to find (the count, for a first page), or -1.
 *
 * The events carry no ordered index (their block-range indexes cost next to
 * nothing to write), so the page is found by time windows going back from
 * the newest possible time, each twice as long as the one before: the
 * newest events of a common filter are found in the first hour, those of a
 * rare one after a few doublings, and each window reads only the blocks its
 * time range covers.
 */
static uint64
PageEvents(const SearchFilters *f, const SearchCursor *cursor, int64 limit, int64 known,
		   int64 total, TimestampTz newest)
{
	TimestampTz lo = f->has_from ? f->from : DT_NOBEGIN;
	TimestampTz hi = f->has_to ? f->to : DT_NOEND;
	TimestampTz w_hi;
	int64		step = USECS_PER_HOUR;
	int64		found = 0;
	int64		want = limit;
	Datum	   *ids = palloc(sizeof(Datum) * limit);	/* ctids of the page's rows */
	StringInfoData sql;
	QueryArgs	args = {0};

	if (known >= 0 && known < want)
		want = known;

	/*
	 * The first window is sized from the filters' density over the range,
	 * so that a rare filter is not looked for an hour at a time: twice the
	 * time that 'want' events take on average, an hour at least.
	 */
	if (total > 0)
	{
		TimestampTz first = lo;
		double		span;

		if (TIMESTAMP_IS_NOBEGIN(first))
			first = OldestBucket();
		span = (double) ((TIMESTAMP_IS_NOEND(hi) ? GetCurrentTransactionStartTimestamp() : hi) -
						 (TIMESTAMP_IS_NOBEGIN(first) ? 0 : first));
		if (span > 0 && total > want)
			step = Max(step, (int64) Min(2.0 * span * want / total, 4.0 * 366 * USECS_PER_DAY));
	}
	if (cursor && cursor->occurred_at < hi)
		hi = cursor->occurred_at + 1;	/* the row condition below does the rest */
	/* no match is newer than the end of the newest day that has one */
	if (!TIMESTAMP_IS_NOBEGIN(newest) && newest + USECS_PER_DAY < hi)
		hi = newest + USECS_PER_DAY;
	/*
	 * No visible event is newer than now: log_event takes its statement's
	 * start, import_event refuses the future. The margin covers a clock
	 * set back since.
	 */
	w_hi = hi;
	if (TIMESTAMP_IS_NOEND(w_hi))
		w_hi = GetCurrentTimestamp() + 2 * USECS_PER_MINUTE;

	for (bool first_window = true; found < want && w_hi > lo; first_window = false)
	{
		TimestampTz w_lo;
		uint64		n;

		/* past four years of windows, one last window takes all the rest */
		if (step > 4 * 366 * USECS_PER_DAY)
			w_lo = lo;
		else
			w_lo = Max(lo, w_hi - step);

		args.n = 0;
		initStringInfo(&sql);
		appendStringInfoString(&sql, "SELECT e.ctid FROM auditlog.event_store e");
		if (AppendFilters(&sql, &args, f))
			appendStringInfoString(&sql, " WHERE true");
		/* the first window reaches up to the range's end, open or not */
		AppendTimeRange(&sql, &args, w_lo, first_window ? hi : w_hi);
		if (cursor)
			appendStringInfo(&sql, " AND ROW(e.occurred_at, e.id) OPERATOR(pg_catalog.<) ROW($%d, $%d)",
							 AddArg(&args, TIMESTAMPTZOID, TimestampTzGetDatum(cursor->occurred_at)),
							 AddArg(&args, INT8OID, Int64GetDatum(cursor->id)));
		appendStringInfo(&sql, " ORDER BY e.occurred_at DESC, e.id DESC LIMIT $%d",
						 AddArg(&args, INT8OID, Int64GetDatum(want - found)));
		n = RunQuery(sql.data, &args, 0);
		for (uint64 i = 0; i < n; i++)
		{
			bool		isnull;
			ItemPointer tid = (ItemPointer) DatumGetPointer(SPI_getbinval(SPI_tuptable->vals[i],
																		 SPI_tuptable->tupdesc, 1, &isnull));
			ItemPointer copy = palloc(sizeof(ItemPointerData));

			ItemPointerCopy(tid, copy);
			ids[found++] = PointerGetDatum(copy);
		}
		SPI_freetuptable(SPI_tuptable);
		if (w_lo <= lo)
			break;
		w_hi = w_lo;
		step *= 2;
	}

	/* the page's rows, joined back to their labels */
	if (found == 0)
		return 0;
	args.n = 0;
	initStringInfo(&sql);
	appendStringInfo(&sql,
					 "SELECT e.id, e.occurred_at, ac.label, ai.label, t.action, rt.label,"
					 " e.resource_id, e.outcome, og.label, e.details, du.label, e.client_addr,"
					 " an.label, e.txid"
					 " FROM auditlog.event_store e"
					 " LEFT JOIN auditlog.action_types t ON t.id OPERATOR(pg_catalog.=) e.action_ref"
					 " LEFT JOIN auditlog.labels ac ON ac.id OPERATOR(pg_catalog.=) e.actor_ref"
					 " LEFT JOIN auditlog.labels ai ON ai.id OPERATOR(pg_catalog.=) e.actor_id_ref"
					 " LEFT JOIN auditlog.labels rt ON rt.id OPERATOR(pg_catalog.=) e.resource_type_ref"
					 " LEFT JOIN auditlog.labels og ON og.id OPERATOR(pg_catalog.=) e.org_ref"
					 " LEFT JOIN auditlog.labels du ON du.id OPERATOR(pg_catalog.=) e.db_user_ref"
					 " LEFT JOIN auditlog.labels an ON an.id OPERATOR(pg_catalog.=) e.application_ref"
					 /* the rows themselves, by their addresses: a page read each */
					 " WHERE e.ctid OPERATOR(pg_catalog.=) ANY ($%d)"
					 " ORDER BY e.occurred_at DESC, e.id DESC",
					 AddArg(&args, TIDARRAYOID,
							PointerGetDatum(construct_array(ids, (int) found, TIDOID,
															sizeof(ItemPointerData), false,
															TYPALIGN_SHORT))));
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
	TimestampTz newest;

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

	/* the count first: it tells the page search where to start and when to stop */
	total = CountEvents(&f, &newest);
	n = total == 0 ? 0 : PageEvents(&f, have_cursor ? &cursor : NULL, page_size,
									have_cursor ? -1 : total, total,
									have_cursor ? DT_NOBEGIN : newest);

	if (n > 0)
	{
		SPITupleTable *page = SPI_tuptable;
		Datum		values[SEARCH_ROW_NATTS];
		bool		nulls[SEARCH_ROW_NATTS];

		if (page->tupdesc->natts != SEARCH_ROW_NATTS - 1)
			elog(ERROR, "auditlog: the page query returned %d columns", page->tupdesc->natts);

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
	TimestampTz newest;

	ReadFilterArgs(fcinfo, &f);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "auditlog: SPI_connect failed");
	ResolveFilters(fcinfo, &f);
	total = CountEvents(&f, &newest);
	SPI_finish();
	PG_RETURN_INT64(total);
}
