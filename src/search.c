/*-------------------------------------------------------------------------
 *
 * src/search.c
 *	  The dashboard query: search() and event_count() over the event store.
 *
 * A search runs in three steps: the filters are resolved to dictionary ids
 * (search_filters.c); the count is made, mostly from the summaries
 * (summary.c), which also tells where the newest match is; then the page is
 * found in the event store, and only the page's rows get their labels back
 * (from a backend cache of the dictionaries, labels.c).
 *
 * The events carry no ordered index on time alone (their block-range
 * indexes cost next to nothing to write), so the page is found by time
 * windows going back from the newest possible time, the first sized from
 * the count, each next one twice as long as the one before: the newest
 * events of a common filter are found in the first window, those of a
 * rare one after a few doublings, and each window reads only the blocks
 * its time range covers, or the btree of a filter with one (planned once
 * for a filter that is one actor, one action or one resource alone,
 * OneIndexPage).
 *
 * Both functions are SECURITY INVOKER and switch to the extension's owner
 * themselves, once they have recorded who calls: a tenant reader
 * (tenant.c) is told by its session user, SET ROLE and current_user, and a
 * SECURITY DEFINER function would hide the last.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "catalog.h"
#include "labels.h"
#include "owner.h"
#include "registry.h"
#include "search_filters.h"
#include "spi_util.h"
#include "summary.h"

/* Largest page a caller may ask for. */
#define SEARCH_MAX_PAGE_SIZE	10000

/* Past four years of windows, one last window takes all the rest. */
#define SEARCH_MAX_WINDOW		(4 * 366 * USECS_PER_DAY)

/* Where search() puts its page. */
typedef struct PageSink
{
	Tuplestorestate *store;
	TupleDesc	tupdesc;
	int64		total;			/* every row's total_count */
} PageSink;

/* A position in the order of a search: the page holds the rows after it. */
typedef struct SearchCursor
{
	TimestampTz occurred_at;
	int64		id;
} SearchCursor;

static void LocateCursor(const SearchFilters *f, int64 before_id, SearchCursor *cursor);
static int64 FirstWindow(const SearchFilters *f, int64 want, int64 total);
static uint64 WindowRows(const SearchFilters *f, const SearchCursor *cursor, TimestampTz w_lo,
						 TimestampTz w_hi, int64 want, bool generic, SPITupleTable **rows);
static void AddPageRows(SPITupleTable *rows, uint64 n, PageSink *sink);
static int64 CollectWindow(const SearchFilters *f, const SearchCursor *cursor,
						   TimestampTz w_lo, TimestampTz w_hi, int64 want, bool generic,
						   PageSink *sink);
static void ResourcePage(const SearchFilters *f, int64 limit, PageSink *sink);
static bool OneIndexPage(const SearchFilters *f);
static void LabelPageRow(Datum *values, bool *nulls);
static void PageEvents(const SearchFilters *f, const SearchCursor *cursor, int64 limit,
					   int64 known, const AuditPageStart *start, PageSink *sink);
static int32 ReadPageSize(FunctionCallInfo fcinfo);

/*
 * Where a page starts: the time of event 'before_id'. Errors when there is
 * no such event (or none the tenant reader may see), since the caller then
 * holds a cursor from elsewhere.
 */
static void
LocateCursor(const SearchFilters *f, int64 before_id, SearchCursor *cursor)
{
	SpiArgs		args = {0};
	bool		isnull;
	const char *sql = "SELECT e.occurred_at FROM auditlog.event_store e"
		" WHERE e.id OPERATOR(pg_catalog.=) $1";

	SpiArg(&args, INT8OID, Int64GetDatum(before_id));
	if (f->tenant)
	{
		sql = "SELECT e.occurred_at FROM auditlog.event_store e"
			" WHERE e.id OPERATOR(pg_catalog.=) $1"
			"   AND e.org_ref OPERATOR(pg_catalog.=) ANY ($2)";
		SpiArg(&args, INT4ARRAYOID, SearchTenantRefsArray(f));
	}
	if (SpiQuery(sql, &args, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no event with id " INT64_FORMAT, before_id),
				 errhint("Pass as before_id the id of the last row of the previous page, or NULL for the first page.")));
	cursor->occurred_at = DatumGetTimestampTz(SpiGetDatum(0, 1, &isnull));
	cursor->id = before_id;
}

/*
 * The length of the first window, sized from the filters' density over the
 * range, so that a rare filter is not looked for a minute at a time: twice
 * the time that 'want' events take on average, a minute at least (an hour
 * of a busy day's evening held ten times a page of 50, all of them read
 * and sorted); the whole range when the page is to hold every match (one
 * scan, not a series of doubling windows that each find nothing).
 */
static int64
FirstWindow(const SearchFilters *f, int64 want, int64 total)
{
	TimestampTz lo = f->has_from ? f->from : DT_NOBEGIN;
	TimestampTz hi = f->has_to ? f->to : DT_NOEND;
	int64		step = USECS_PER_MINUTE;
	double		span;

	if (total <= 0)
		return step;
	if (total <= want)
		return SEARCH_MAX_WINDOW + 1;
	if (TIMESTAMP_IS_NOBEGIN(lo))
		lo = AuditOldestBucket();
	span = (double) ((TIMESTAMP_IS_NOEND(hi) ? GetCurrentTransactionStartTimestamp() : hi) -
					 (TIMESTAMP_IS_NOBEGIN(lo) ? 0 : lo));
	if (span > 0 && total > want)
		step = Max(step, (int64) Min(2.0 * span * want / total, (double) SEARCH_MAX_WINDOW));
	return step;
}

/*
 * Runs the query of at most 'want' events matching the filters in
 * [w_lo, w_hi), newest first, after the cursor; returns how many, their
 * rows in *rows (labels still ids). 'generic': the query is planned once
 * for all values (OneIndexPage).
 */
static uint64
WindowRows(const SearchFilters *f, const SearchCursor *cursor, TimestampTz w_lo,
		   TimestampTz w_hi, int64 want, bool generic, SPITupleTable **rows)
{
	StringInfoData sql;
	SpiArgs		args = {0};
	uint64		n;

	args.plan = generic ? PLAN_GENERIC : PLAN_AUTO;
	initStringInfo(&sql);
	appendStringInfoString(&sql,
						   "SELECT e.id, e.occurred_at, e.actor_ref, e.actor_id_ref, e.action_ref,"
						   " e.resource_type_ref, e.resource_id, e.outcome, e.org_ref, e.details,"
						   " e.db_user_ref, e.client_addr, e.application_ref, e.txid"
						   " FROM auditlog.event_store e");
	if (SearchAppendFilters(&sql, &args, f))
		appendStringInfoString(&sql, " WHERE true");
	SearchAppendTimeRange(&sql, &args, w_lo, w_hi);
	if (cursor)
		appendStringInfo(&sql, " AND ROW(e.occurred_at, e.id) OPERATOR(pg_catalog.<) ROW($%d, $%d)",
						 SpiArg(&args, TIMESTAMPTZOID, TimestampTzGetDatum(cursor->occurred_at)),
						 SpiArg(&args, INT8OID, Int64GetDatum(cursor->id)));
	appendStringInfo(&sql, " ORDER BY e.occurred_at DESC, e.id DESC LIMIT $%d",
					 SpiArg(&args, INT8OID, Int64GetDatum(want)));
	n = SpiQuery(sql.data, &args, 0);
	*rows = SPI_tuptable;
	if (n > 0 && (*rows)->tupdesc->natts != Natts_search_row - 1)
		elog(ERROR, "auditlog: the page query returned %d columns", (*rows)->tupdesc->natts);
	return n;
}

/* Adds n rows of WindowRows to the page, with their labels, and frees them. */
static void
AddPageRows(SPITupleTable *rows, uint64 n, PageSink *sink)
{
	Datum		values[Natts_search_row];
	bool		nulls[Natts_search_row];

	for (uint64 i = 0; i < n; i++)
	{
		heap_deform_tuple(rows->vals[i], rows->tupdesc, values, nulls);
		LabelPageRow(values, nulls);
		values[Natts_search_row - 1] = Int64GetDatum(sink->total);
		nulls[Natts_search_row - 1] = false;
		tuplestore_putvalues(sink->store, sink->tupdesc, values, nulls);
	}
	SPI_freetuptable(rows);
}

/*
 * Adds to the page at most 'want' events matching the filters in
 * [w_lo, w_hi), newest first, after the cursor; returns how many. The
 * windows go back in time, so the rows of each come after those of the
 * ones before it in the page's order: they go straight to the page.
 */
static int64
CollectWindow(const SearchFilters *f, const SearchCursor *cursor,
			  TimestampTz w_lo, TimestampTz w_hi, int64 want, bool generic, PageSink *sink)
{
	SPITupleTable *rows;
	uint64		n = WindowRows(f, cursor, w_lo, w_hi, want, generic, &rows);

	AddPageRows(rows, n, sink);
	return (int64) n;
}

/*
 * The first page of one resource (id and type): its newest events from its
 * btree, all time or the dates, in one query planned once; and its count,
 * which is an index-only scan of every event of the resource, only when
 * the page is full (else the page is every match: a one-event resource's
 * search probes each partition once, not twice).
 */
static void
ResourcePage(const SearchFilters *f, int64 limit, PageSink *sink)
{
	TimestampTz lo = f->has_from ? f->from : DT_NOBEGIN;
	TimestampTz hi = f->has_to ? f->to : DT_NOEND;
	SPITupleTable *rows;
	uint64		n = (lo < hi) ? WindowRows(f, NULL, lo, hi, limit, true, &rows) : 0;

	sink->total = ((int64) n < limit) ? (int64) n : AuditCountEvents(f, NULL);
	if (n > 0)
		AddPageRows(rows, n, sink);
}

/*
 * Turns a page row's dictionary ids into their texts, in place: the
 * columns of auditlog.search_row that hold a label or an action come from
 * CollectWindow as ids (a join with the dictionaries cost more to plan
 * than the page took to find), and are read from labels.c's cache.
 */
static void
LabelPageRow(Datum *values, bool *nulls)
{
	static const struct
	{
		int			col;		/* 1-based, in search_row */
		bool		action;
	}			refs[] = {
		{3, false},				/* actor */
		{4, false},				/* actor_id */
		{5, true},				/* action */
		{6, false},				/* resource_type */
		{9, false},				/* org_id */
		{11, false},			/* db_user */
		{13, false},			/* application_name */
	};

	for (int i = 0; i < (int) lengthof(refs); i++)
	{
		int			c = refs[i].col - 1;
		const char *text;

		if (nulls[c])
			continue;
		text = AuditLabelText(refs[i].action, DatumGetInt32(values[c]));
		if (text)
			values[c] = CStringGetTextDatum(text);
		else
			nulls[c] = true;
	}
}

/*
 * Whether the page's windows can be planned once for all values: the
 * filters are an actor, one action, or a resource (id and type), and maybe
 * a time range, nothing else. Each partition's (actor, time), (action,
 * time) or (resource, type, time) btree then yields a window's matches in
 * time order whatever the values, and the plan, made once, leaves out the
 * partitions outside the window when it runs: planning them for the values
 * cost more than reading the page (a rare action's window, 1.0-1.3 ms
 * planned each time against 0.2 ms). Nor do such filters look up the
 * newest day with a match (for an action a scan of every action's summary
 * rows back to it): their windows start from now. (One query over all time
 * instead, the partitions' scans merged, starts a scan in every partition:
 * as fast with 14 partitions, 2-3 times slower with 134.)
 */
static bool
OneIndexPage(const SearchFilters *f)
{
	int			keys = 0;

	if (f->has_outcome || f->has_org || f->has_org_set)
		return false;
	if (f->has_actor)
		keys++;
	if (f->has_action)
		keys += (f->n_action_refs == 1) ? 1 : 2;
	if (f->resource_id)
		keys += f->has_resource_type ? 1 : 2;
	else if (f->has_resource_type)
		keys += 2;
	return keys == 1;
}

/*
 * Puts into the sink the page of events matching the filters: newest
 * first by (occurred_at, id), after 'cursor' in that order when it is
 * given, at most 'limit' of them. 'known' is how many events there are to
 * find (the count, for a first page), or -1; the sink's total is the
 * count; 'start' (maybe NULL) where the summaries say the page is.
 */
static void
PageEvents(const SearchFilters *f, const SearchCursor *cursor, int64 limit, int64 known,
		   const AuditPageStart *start, PageSink *sink)
{
	TimestampTz lo = f->has_from ? f->from : DT_NOBEGIN;
	TimestampTz hi = f->has_to ? f->to : DT_NOEND;
	TimestampTz w_hi;
	int64		found = 0;
	int64		want = (known >= 0 && known < limit) ? known : limit;
	bool		one_index = OneIndexPage(f);
	int64		step;

	if (cursor && cursor->occurred_at < hi)
		hi = cursor->occurred_at + 1;	/* the row condition does the rest */
	step = FirstWindow(f, want, sink->total);
	if (start && !TIMESTAMP_IS_NOBEGIN(start->newest))
	{
		/* no match is newer than the end of the newest day that has one */
		if (start->newest + USECS_PER_DAY < hi)
			hi = start->newest + USECS_PER_DAY;
		/*
		 * and a page's worth are after the cover day's start: for a filter
		 * that only block ranges can find, whose window's cost is its
		 * length, the first window goes no further back. (With an actor
		 * or an action the planner may read their btrees instead, whose
		 * cost is the matches': a shorter window made it choose block
		 * ranges, credential.* + denied over 3 days instead of 4.4, and
		 * take twice the time.)
		 */
		if (!f->has_action && !f->has_actor && !TIMESTAMP_IS_NOBEGIN(start->cover) &&
			start->cover < hi && hi - start->cover < step)
			step = hi - start->cover;
	}

	/*
	 * No visible event is newer than now: log_event takes its statement's
	 * start, import_event refuses the future. The margin covers a clock
	 * set back since.
	 */
	w_hi = hi;
	if (TIMESTAMP_IS_NOEND(w_hi))
		w_hi = GetCurrentTimestamp() + 2 * USECS_PER_MINUTE;
	/* each window must reach further back than the last, or the loop never ends */
	if (step <= 0)
		elog(ERROR, "auditlog: a search window of " INT64_FORMAT " microseconds", step);

	for (bool first_window = true; found < want && w_hi > lo; first_window = false)
	{
		TimestampTz w_lo = (step > SEARCH_MAX_WINDOW) ? lo : Max(lo, w_hi - step);

		/* the first window reaches up to the range's end, open or not */
		found += CollectWindow(f, cursor, w_lo, first_window ? hi : w_hi, want - found,
							   one_index, sink);
		if (w_lo <= lo)
			break;
		w_hi = w_lo;
		step *= 2;
	}
}

/* search()'s page_size, checked. */
static int32
ReadPageSize(FunctionCallInfo fcinfo)
{
	int32		page_size;

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
	return page_size;
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
	AuditOwnerState st;
	SearchCursor cursor;
	bool		have_cursor = !PG_ARGISNULL(ARG_BEFORE_ID);
	int32		page_size = ReadPageSize(fcinfo);
	TupleDesc	tupdesc;
	Tuplestorestate *store;
	PageSink	sink;
	AuditPageStart start = {.want = page_size, .newest = DT_NOBEGIN, .cover = DT_NOBEGIN};

	SearchReadFilterArgs(fcinfo, &f);
	store = SpiMaterializeResult(fcinfo, Natts_search_row, &tupdesc);

	AuditConnectAsOwner(&st);
	SearchResolveFilters(fcinfo, &f);
	if (have_cursor)
		LocateCursor(&f, PG_GETARG_INT64(ARG_BEFORE_ID), &cursor);
	if (f.nothing)
	{
		AuditFinishAsOwner(&st);
		return (Datum) 0;
	}

	sink.store = store;
	sink.tupdesc = tupdesc;
	if (f.resource_id && !have_cursor && OneIndexPage(&f))
	{
		ResourcePage(&f, page_size, &sink);
		AuditFinishAsOwner(&st);
		return (Datum) 0;
	}
	/* the count first: it tells the page search where to start and when to stop */
	sink.total = AuditCountEvents(&f, (OneIndexPage(&f) || have_cursor) ? NULL : &start);
	if (sink.total > 0)
		PageEvents(&f, have_cursor ? &cursor : NULL, page_size, have_cursor ? -1 : sink.total,
				   have_cursor ? NULL : &start, &sink);
	AuditFinishAsOwner(&st);
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
	AuditOwnerState st;
	int64		total;

	SearchReadFilterArgs(fcinfo, &f);
	AuditConnectAsOwner(&st);
	SearchResolveFilters(fcinfo, &f);
	total = AuditCountEvents(&f, NULL);
	AuditFinishAsOwner(&st);
	PG_RETURN_INT64(total);
}
