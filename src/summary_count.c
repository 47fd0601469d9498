/*-------------------------------------------------------------------------
 *
 * src/summary_count.c
 *	  Counting with the summaries: the count of search() and event_count().
 *
 * A count over a time range sums the buckets of auditlog.event_counts
 * (summary.c keeps them) that fit the range and the filters: whole months
 * from their totals, the days of a month cut by the range from the month
 * row's per-day counts. It counts by hand, in the event store, what the
 * buckets do not cover: the edges of the range, and the events above the
 * summaries' watermark. At each edge the
 * bucket boundary before or after it is taken, whichever leaves less to
 * count by hand; a bucket that reaches past the range is summed whole and
 * the part outside taken off again.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "search_filters.h"
#include "seal.h"
#include "spi_util.h"
#include "summary.h"
#include "worker.h"

/*
 * The most rows of one month NewestDay reads to add their days up itself:
 * a sparse filter's (a month of a few hundred events has no more rows);
 * a common one's are summed by the server.
 */
#define DAY_ROWS_MAX		256

static TimestampTz UtcBoundary(TimestampTz ts, bool month, bool ceil);
static double Span(TimestampTz a, TimestampTz b);
static void SummaryEdges(TimestampTz lo, TimestampTz hi, bool month, TimestampTz *s1,
						 TimestampTz *s2);
static int64 EdgeCounts(const SearchFilters *f, TimestampTz lo, TimestampTz hi,
						TimestampTz s1, TimestampTz s2, int64 upto);
static void AppendCountFilters(StringInfo sql, SpiArgs *args, const SearchFilters *f);
static bool RunCountsQuery(StringInfo sql, SpiArgs *args, const SearchFilters *f, Datum *d);
static int64 RunCountsSum(StringInfo sql, SpiArgs *args, const SearchFilters *f);
static int64 SumRange(const SearchFilters *f, char grain, TimestampTz b1, TimestampTz b2);
static void StartCountsQuery(StringInfo sql, SpiArgs *args, const char *what, char grain,
							 const SearchFilters *f);
static int	DayOfMonth(TimestampTz ts);
static int64 SumDaysOfMonth(const SearchFilters *f, char grain, TimestampTz month, int from_day,
							int to_day);
static int64 SumDays(const SearchFilters *f, char grain, TimestampTz s1, TimestampTz s2);
static TimestampTz NewestDay(const SearchFilters *f, char grain, TimestampTz hi, int64 want,
							 TimestampTz *cover);

/* ------------------------------------------------------------------------
 * internal
 * ------------------------------------------------------------------------
 */

/*
 * Start of the UTC day (or month) holding ts, or of the next one when
 * 'ceil' and ts is not already a start. At the ends of the timestamp range
 * a boundary that cannot be represented is -infinity (below it) or
 * infinity (above it): the ends of the date range are bounds, not errors.
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
		return ts < 0 ? DT_NOBEGIN : DT_NOEND;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	if (month)
		tm.tm_mday = 1;
	if (tm2timestamp(&tm, 0, NULL, &start) != 0 || !IS_VALID_TIMESTAMP(start))
	{
		/* the start of the first month of the range is before the range */
		if (!ceil)
			return DT_NOBEGIN;
		start = DT_NOBEGIN;
	}
	if (ceil && start < ts)
	{
		if (month)
		{
			if (++tm.tm_mon > MONTHS_PER_YEAR)
			{
				tm.tm_mon = 1;
				tm.tm_year++;
			}
			if (tm2timestamp(&tm, 0, NULL, &start) != 0 || !IS_VALID_TIMESTAMP(start))
				return DT_NOEND;
		}
		else if (!IS_VALID_TIMESTAMP(start + USECS_PER_DAY))
			return DT_NOEND;
		else
			start += USECS_PER_DAY;
	}
	return start;
}

/* Appends the conditions on auditlog.event_counts aliased 'c' for the filters. */
static void
AppendCountFilters(StringInfo sql, SpiArgs *args, const SearchFilters *f)
{
	/*
	 * One action as a scalar: a generic plan, once PostgreSQL keeps one,
	 * then still positions the index scan on it (with "= ANY ($n)" it only
	 * filters, and read every all-time row of a rare action's count).
	 */
	if (f->has_action && f->n_action_refs == 1)
		appendStringInfo(sql, " AND c.action_ref OPERATOR(pg_catalog.=) $%d",
						 SpiArg(args, INT4OID, Int32GetDatum(f->action_refs[0])));
	else if (f->has_action)
		appendStringInfo(sql, " AND c.action_ref OPERATOR(pg_catalog.=) ANY ($%d)",
						 SpiArg(args, INT4ARRAYOID, SearchActionRefsArray(f)));
	if (f->has_resource_type)
		appendStringInfo(sql, " AND c.resource_type_ref OPERATOR(pg_catalog.=) $%d",
						 SpiArg(args, INT4OID, Int32GetDatum(f->resource_type_ref)));
	if (f->has_org)
		appendStringInfo(sql, " AND c.org_ref OPERATOR(pg_catalog.=) $%d",
						 SpiArg(args, INT4OID, Int32GetDatum(f->org_ref)));
	else if (f->has_org_set)
		appendStringInfo(sql, " AND c.org_ref OPERATOR(pg_catalog.=) ANY ($%d)",
						 SpiArg(args, INT4ARRAYOID, SearchTenantRefsArray(f)));
	if (f->has_outcome)
		appendStringInfo(sql, " AND c.outcome %s $%d", AuditOutcomeEqOperator(),
						 SpiArg(args, AuditOutcomeTypeOid(), AuditOutcomeGetDatum(f->outcome)));
}

/*
 * Starts a query over auditlog.event_counts aliased 'c': SELECT <what>, the
 * rows of one grain for the filter's actor (0: all actors); the caller
 * adds the buckets, then AppendCountFilters the other filters.
 */
static void
StartCountsQuery(StringInfo sql, SpiArgs *args, const char *what, char grain,
				 const SearchFilters *f)
{
	initStringInfo(sql);
	appendStringInfo(sql,
					 "SELECT %s FROM auditlog.event_counts c"
					 " WHERE c.grain OPERATOR(pg_catalog.=) $%d AND c.actor_ref OPERATOR(pg_catalog.=) $%d",
					 what,
					 SpiArg(args, CHAROID, CharGetDatum(grain)),
					 SpiArg(args, INT4OID, Int32GetDatum(f->has_actor ? f->actor_ref : 0)));
}

/*
 * Has a query of StartCountsQuery that reads one bucket planned once, for
 * all values, when its filters are scalars: every key column up to the
 * bucket's is then fixed, and so is the index scan, whatever the values,
 * which PostgreSQL would otherwise plan for each of a session's first five
 * runs (about 0.1 ms each, more than the query takes); and NewestDay's
 * newest bucket before a time, a backward scan to the first match. Not
 * "= ANY" (a generic plan filters by it, bench/README.md).
 */
static void
PlanOneBucketOnce(SpiArgs *args, const SearchFilters *f)
{
	if (!(f->has_action && f->n_action_refs != 1) && !f->has_org_set)
		args->plan = PLAN_GENERIC;
}

/*
 * Ends a query of StartCountsQuery with the filters and runs it: true, with
 * *d, when its one value is not NULL.
 */
static bool
RunCountsQuery(StringInfo sql, SpiArgs *args, const SearchFilters *f, Datum *d)
{
	AppendCountFilters(sql, args, f);
	SpiQuery(sql->data, args, 1);
	return SpiFirstDatum(d);
}

/* RunCountsQuery of a sum (a numeric, NULL over no rows), as a count. */
static int64
RunCountsSum(StringInfo sql, SpiArgs *args, const SearchFilters *f)
{
	Datum		d;

	return RunCountsQuery(sql, args, f, &d) ? DatumGetInt64(DirectFunctionCall1(numeric_int8, d)) : 0;
}

/* Sum of the summary rows of one grain over the buckets in [b1, b2). */
static int64
SumRange(const SearchFilters *f, char grain, TimestampTz b1, TimestampTz b2)
{
	StringInfoData sql;
	SpiArgs		args = {0};

	if (b1 >= b2)
		return 0;
	StartCountsQuery(&sql, &args, "pg_catalog.sum(c.n)", grain, f);
	if (grain == GRAIN_ALL || grain == GRAIN_ACTOR_ALL)
	{
		/* the all-time rows have the one bucket -infinity */
		if (!TIMESTAMP_IS_NOBEGIN(b1))
			return 0;
		appendStringInfo(&sql, " AND c.bucket OPERATOR(pg_catalog.=) $%d",
						 SpiArg(&args, TIMESTAMPTZOID, TimestampTzGetDatum(DT_NOBEGIN)));
		PlanOneBucketOnce(&args, f);
	}
	else
		/* one range per query: a plain index range, read from the index alone */
		appendStringInfo(&sql, " AND c.bucket OPERATOR(pg_catalog.>=) $%d AND c.bucket OPERATOR(pg_catalog.<) $%d",
						 SpiArg(&args, TIMESTAMPTZOID, TimestampTzGetDatum(b1)),
						 SpiArg(&args, TIMESTAMPTZOID, TimestampTzGetDatum(b2)));
	return RunCountsSum(&sql, &args, f);
}

/* The UTC day of the month of a finite ts, 1 to 31. */
static int
DayOfMonth(TimestampTz ts)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	return tm.tm_mday;
}

/*
 * Sum of the days [from_day, to_day) of one month (its start) in the rows
 * of a grain with per-day counts.
 */
static int64
SumDaysOfMonth(const SearchFilters *f, char grain, TimestampTz month, int from_day, int to_day)
{
	StringInfoData sql;
	SpiArgs		args = {0};

	if (from_day >= to_day)
		return 0;
	StartCountsQuery(&sql, &args, "pg_catalog.sum(auditlog.day_counts_sum(c.days, $3, $4))", grain, f);
	SpiArg(&args, INT4OID, Int32GetDatum(from_day));
	SpiArg(&args, INT4OID, Int32GetDatum(to_day));
	appendStringInfo(&sql, " AND c.bucket OPERATOR(pg_catalog.=) $%d",
					 SpiArg(&args, TIMESTAMPTZOID, TimestampTzGetDatum(month)));
	PlanOneBucketOnce(&args, f);
	return RunCountsSum(&sql, &args, f);
}

/*
 * Sum of the UTC days [s1, s2) (day starts, or infinite) in the rows of a
 * grain with per-day counts: the whole months from the rows' totals, the
 * days of the months at the ends from their per-day counts.
 */
static int64
SumDays(const SearchFilters *f, char grain, TimestampTz s1, TimestampTz s2)
{
	TimestampTz m1,
				m2;
	int64		total = 0;

	if (s1 >= s2)
		return 0;
	m1 = UtcBoundary(s1, true, true);
	m2 = UtcBoundary(s2, true, false);
	if (m1 > m2)
		/* both ends in one month, m2's */
		return SumDaysOfMonth(f, grain, m2, DayOfMonth(s1), DayOfMonth(s2));
	total = SumRange(f, grain, m1, m2);
	if (s1 < m1)
		total += SumDaysOfMonth(f, grain, UtcBoundary(s1, true, false), DayOfMonth(s1),
								DAYS_PER_MONTH_MAX + 1);
	if (s2 > m2)
		total += SumDaysOfMonth(f, grain, m2, 1, DayOfMonth(s2));
	return total;
}

/*
 * Start of the newest UTC day before hi holding events that match the
 * filters, from a grain with per-day counts (-infinity: none): the newest
 * month with a match, then its last day with one. The month's rows are
 * read and their days added up here when they are few (a sparse filter,
 * DAY_ROWS_MAX at most), which also gives *cover: the start of the newest
 * day from which on, in that month, 'want' events match (-infinity: the
 * month holds fewer, or its rows were too many to read).
 */
static TimestampTz
NewestDay(const SearchFilters *f, char grain, TimestampTz hi, int64 want, TimestampTz *cover)
{
	*cover = DT_NOBEGIN;
	while (true)
	{
		StringInfoData sql;
		SpiArgs		args = {0};
		Datum		d;
		TimestampTz month;
		int			before_day = DAYS_PER_MONTH_MAX + 1;
		int64		sum[DAYS_PER_MONTH_MAX] = {0};
		uint64		n;

		StartCountsQuery(&sql, &args, "c.bucket", grain, f);
		appendStringInfo(&sql, " AND c.bucket OPERATOR(pg_catalog.<) $%d",
						 SpiArg(&args, TIMESTAMPTZOID, TimestampTzGetDatum(hi)));
		AppendCountFilters(&sql, &args, f);
		appendStringInfoString(&sql, " ORDER BY c.bucket DESC LIMIT 1");
		/*
		 * The index read backward to the newest match (0.1 ms for
		 * auth.login + failure at shop 1M), planned once with scalar
		 * filters: as max(c.bucket), the generic plan PostgreSQL switched
		 * to from a session's sixth run aggregated every bucket below hi
		 * (10 ms there, 4-9 ms at 10M), and planning it for its values
		 * each time cost more than it took to run. With "= ANY" a generic
		 * plan could only filter: planned for the values.
		 */
		args.plan = PLAN_CUSTOM;
		PlanOneBucketOnce(&args, f);
		SpiQuery(sql.data, &args, 1);
		if (!SpiFirstDatum(&d))
			return DT_NOBEGIN;
		month = DatumGetTimestampTz(d);

		/* hi within that month: the days that start before hi */
		if (!TIMESTAMP_IS_NOEND(hi) && UtcBoundary(month + 1, true, true) > hi)
			before_day = (int) ((hi - month + USECS_PER_DAY - 1) / USECS_PER_DAY) + 1;

		args.n = 0;
		args.plan = PLAN_AUTO;
		StartCountsQuery(&sql, &args, "c.days", grain, f);
		appendStringInfo(&sql, " AND c.bucket OPERATOR(pg_catalog.=) $%d",
						 SpiArg(&args, TIMESTAMPTZOID, TimestampTzGetDatum(month)));
		AppendCountFilters(&sql, &args, f);
		PlanOneBucketOnce(&args, f);
		appendStringInfo(&sql, " LIMIT %d", DAY_ROWS_MAX + 1);
		n = SpiQuery(sql.data, &args, 0);
		if (n <= DAY_ROWS_MAX)
		{
			int			day,
						from;

			for (uint64 i = 0; i < n; i++)
			{
				bool		isnull;
				Datum		days = SpiGetDatum(i, 1, &isnull);

				if (!isnull)
					AuditAddDayCounts(sum, days);
			}
			day = AuditLastDayWithEvents(sum, before_day);
			if (day > 0)
			{
				from = AuditCoverDay(sum, day, want);
				if (from > 0)
					*cover = month + (int64) (from - 1) * USECS_PER_DAY;
				return month + (int64) (day - 1) * USECS_PER_DAY;
			}
		}
		else
		{
			args.n = 0;
			StartCountsQuery(&sql, &args, "pg_catalog.max(auditlog.day_counts_last(c.days, $3))", grain, f);
			SpiArg(&args, INT4OID, Int32GetDatum(before_day));
			appendStringInfo(&sql, " AND c.bucket OPERATOR(pg_catalog.=) $%d",
							 SpiArg(&args, TIMESTAMPTZOID, TimestampTzGetDatum(month)));
			PlanOneBucketOnce(&args, f);
			if (RunCountsQuery(&sql, &args, f, &d))
				return month + (int64) (DatumGetInt32(d) - 1) * USECS_PER_DAY;
		}
		/* every match of that month is at hi or after: look before it */
		hi = month;
	}
}

/* b - a, as a double: the ends may be infinite. */
static double
Span(TimestampTz a, TimestampTz b)
{
	if (a == b)
		return 0;
	return (double) b - (double) a;
}

/*
 * Where the summaries of a grain (UTC days, or months) take over from
 * counting by hand at each end of [lo, hi): the boundary, before or after
 * the end, that leaves less time to count by hand. A bucket that reaches
 * past the range is summed whole and its part outside the range counted by
 * hand and taken off (counts add up, so they subtract too): a 30-day range
 * in another time zone is then one month of summaries and a few hours by
 * hand, not 30 days by hand. s1 == s2 == hi: all of it by hand.
 */
static void
SummaryEdges(TimestampTz lo, TimestampTz hi, bool month, TimestampTz *s1, TimestampTz *s2)
{
	TimestampTz lo_down = UtcBoundary(lo, month, false);
	TimestampTz lo_up = UtcBoundary(lo, month, true);
	TimestampTz hi_down = UtcBoundary(hi, month, false);
	TimestampTz hi_up = UtcBoundary(hi, month, true);

	*s1 = Span(lo_down, lo) < Span(lo, lo_up) ? lo_down : lo_up;
	*s2 = Span(hi, hi_up) < Span(hi_down, hi) ? hi_up : hi_down;
	if (*s1 >= *s2)
		*s1 = *s2 = hi;
}

/*
 * What counting by hand adds to the summaries over [s1, s2) to give the
 * count over [lo, hi), events up to 'upto' only: the parts of the range
 * outside [s1, s2), less the parts of [s1, s2) outside the range.
 */
static int64
EdgeCounts(const SearchFilters *f, TimestampTz lo, TimestampTz hi, TimestampTz s1,
		   TimestampTz s2, int64 upto)
{
	return SearchCountEvents(f, lo, s1, s2, hi, upto, false) -
		SearchCountEvents(f, s1, lo, hi, s2, upto, false);
}

/*
 * The time of the oldest event: the oldest summarized day holding events
 * (summaries give the month and its days, a scan of that day's blocks the
 * time), and the events above the watermark, whose blocks the id index
 * finds.
 */
static TimestampTz
OldestEvent(int64 upto)
{
	StringInfoData sql;
	SpiArgs		args = {0};
	SearchFilters all = {0};
	TimestampTz oldest = DT_NOEND;
	Datum		d;

	StartCountsQuery(&sql, &args, "pg_catalog.min(c.bucket)", GRAIN_ACTOR_OUTCOME, &all);
	appendStringInfoString(&sql, " AND c.n OPERATOR(pg_catalog.>) 0");
	SpiQuery(sql.data, &args, 1);
	if (SpiFirstDatum(&d))
	{
		TimestampTz month = DatumGetTimestampTz(d);
		TimestampTz day;

		args.n = 0;
		SpiArg(&args, TIMESTAMPTZOID, d);
		SpiQuery(psprintf("SELECT pg_catalog.min(u.i) FROM auditlog.event_counts c,"
						  " pg_catalog.unnest(auditlog.day_counts_array(c.days)) WITH ORDINALITY AS u(n, i)"
						  " WHERE c.grain OPERATOR(pg_catalog.=) '%c' AND c.actor_ref OPERATOR(pg_catalog.=) 0"
						  " AND c.bucket OPERATOR(pg_catalog.=) $1 AND u.n OPERATOR(pg_catalog.>) 0",
						  GRAIN_ACTOR_OUTCOME), &args, 1);
		day = month + (SpiFirstDatum(&d) ? DatumGetInt64(d) - 1 : 0) * USECS_PER_DAY;
		args.n = 0;
		SpiArg(&args, TIMESTAMPTZOID, TimestampTzGetDatum(day));
		SpiArg(&args, TIMESTAMPTZOID, TimestampTzGetDatum(day + USECS_PER_DAY));
		SpiArg(&args, INT8OID, Int64GetDatum(upto));
		SpiQuery("SELECT pg_catalog.min(e.occurred_at) FROM auditlog.event_store e"
				 " WHERE e.occurred_at OPERATOR(pg_catalog.>=) $1 AND e.occurred_at OPERATOR(pg_catalog.<) $2"
				 " AND e.id OPERATOR(pg_catalog.<=) $3", &args, 1);
		if (SpiFirstDatum(&d))
			oldest = DatumGetTimestampTz(d);
	}
	args.n = 0;
	SpiArg(&args, INT8OID, Int64GetDatum(upto));
	SpiQuery("SELECT pg_catalog.min(e.occurred_at) FROM auditlog.event_store e"
			 " WHERE e.id OPERATOR(pg_catalog.>) $1", &args, 1);
	if (SpiFirstDatum(&d))
		oldest = Min(oldest, DatumGetTimestampTz(d));
	return TIMESTAMP_IS_NOEND(oldest) ? DT_NOBEGIN : oldest;
}

/* ------------------------------------------------------------------------
 * exported
 * ------------------------------------------------------------------------
 */

/* Start of the oldest summarized month, or -infinity when nothing is summarized. */
TimestampTz
AuditOldestBucket(void)
{
	StringInfoData sql;
	SpiArgs		args = {0};
	SearchFilters all_actors = {0};
	Datum		d;

	StartCountsQuery(&sql, &args, "pg_catalog.min(c.bucket)", GRAIN_MONTH, &all_actors);
	/* the first entry of the grain's rows for all actors, whatever the values */
	args.plan = PLAN_GENERIC;
	SpiQuery(sql.data, &args, 1);
	return SpiFirstDatum(&d) ? DatumGetTimestampTz(d) : DT_NOBEGIN;
}

/*
 * The dictionary ids of the actors, actions and resource types that the
 * events of some organisations (org_refs, an int4[]; NULL: of every
 * organisation and none) use, as three int4[]: from the all-time per-actor
 * counts, and the events above the watermark.
 */
void
AuditUsedRefs(Datum org_refs, bool all_orgs, Datum *actors, Datum *actions, Datum *types)
{
	SpiArgs		args = {0};
	bool		isnull;
	char	   *sql;

	if (all_orgs)
		SpiArgNull(&args, INT4ARRAYOID);
	else
		SpiArg(&args, INT4ARRAYOID, org_refs);
	SpiArg(&args, INT8OID, Int64GetDatum(AuditSummarizedUpto()));
	sql = psprintf("SELECT COALESCE(pg_catalog.array_agg(DISTINCT u.actor_ref), '{}'),"
				   " COALESCE(pg_catalog.array_agg(DISTINCT u.action_ref), '{}'),"
				   " COALESCE(pg_catalog.array_agg(DISTINCT u.rt)"
				   " FILTER (WHERE u.rt OPERATOR(pg_catalog.<>) 0), '{}')"
				   " FROM (SELECT c.actor_ref, c.action_ref, c.resource_type_ref AS rt"
				   " FROM auditlog.event_counts c"
				   " WHERE c.grain OPERATOR(pg_catalog.=) '%c'"
				   " AND ($1 IS NULL OR c.org_ref OPERATOR(pg_catalog.=) ANY ($1))"
				   " AND c.n OPERATOR(pg_catalog.>) 0"
				   " UNION ALL"
				   " SELECT e.actor_ref, e.action_ref, COALESCE(e.resource_type_ref, 0)"
				   " FROM auditlog.event_store e"
				   " WHERE e.id OPERATOR(pg_catalog.>) $2"
				   " AND ($1 IS NULL OR e.org_ref OPERATOR(pg_catalog.=) ANY ($1))) u",
				   GRAIN_ACTOR_ALL);
	SpiQuery(sql, &args, 1);
	*actors = SpiGetDatum(0, 1, &isnull);
	*actions = SpiGetDatum(0, 2, &isnull);
	*types = SpiGetDatum(0, 3, &isnull);
}

/*
 * The number of events matching the filters, exact.
 *
 * The events up to the summaries' watermark are counted from
 * auditlog.event_counts where whole buckets fit in the range: UTC months,
 * then UTC days (per actor with other filters, months only); what remains at the
 * edges of the range (the parts of days the session's time zone cuts, or of
 * months for an actor) is counted from the events. The events above the
 * watermark are counted from the events too. A resource id is not in the
 * summaries: its count always comes from the events (and so does every
 * count on a 0.1.0 database not updated yet, AuditSummariesReadable).
 *
 * Also fills *start (when not NULL) when nothing matches above the
 * watermark and the range is more than two days (else its times are
 * -infinity): the start of the newest summarized day holding a match, where
 * the page search starts, and maybe the day from which on a page of
 * start->want is sure to be found. (Per actor with other filters only
 * months exist: too coarse a start.)
 */
int64
AuditCountEvents(const SearchFilters *f, AuditPageStart *start)
{
	TimestampTz lo = f->has_from ? f->from : DT_NOBEGIN;
	TimestampTz hi = f->has_to ? f->to : DT_NOEND;
	TimestampTz s1,
				s2;
	int64		upto;
	int64		total;
	int64		tail = 0;
	bool		outcome_only = !f->has_action && !f->has_resource_type && !f->has_org &&
		!f->has_org_set;	/* and maybe an actor */

	if (start)
		start->newest = start->cover = DT_NOBEGIN;
	if (f->nothing || lo >= hi)
		return 0;
	/*
	 * No condition on the id, so that a resource alone is an index-only
	 * count; and every event by hand where the summaries are of 0.1.0.
	 */
	if (f->resource_id || !AuditSummariesReadable())
		return SearchCountEvents(f, lo, hi, hi, hi, -1, false);

	upto = AuditSummarizedUpto();

	if (outcome_only)
	{
		/*
		 * No filter but maybe an actor and an outcome: per actor (or all)
		 * and day, a few rows a month
		 */
		SummaryEdges(lo, hi, false, &s1, &s2);
		total = SumDays(f, GRAIN_ACTOR_OUTCOME, s1, s2);
		total += EdgeCounts(f, lo, hi, s1, s2, upto);
	}
	else if (TIMESTAMP_IS_NOBEGIN(lo) && TIMESTAMP_IS_NOEND(hi))
	{
		/* all time: one bucket per combination */
		total = SumRange(f, f->has_actor ? GRAIN_ACTOR_ALL : GRAIN_ALL, lo, hi);
	}
	else if (f->has_actor)
	{
		/* an actor with other filters: per month; the edges by hand */
		SummaryEdges(lo, hi, true, &s1, &s2);
		total = SumRange(f, GRAIN_ACTOR_MONTH, s1, s2);
		total += EdgeCounts(f, lo, hi, s1, s2, upto);
	}
	else
	{
		/* days [s1, s2): whole UTC months, and the days of the others */
		SummaryEdges(lo, hi, false, &s1, &s2);
		total = SumDays(f, GRAIN_MONTH, s1, s2);
		total += EdgeCounts(f, lo, hi, s1, s2, upto);
	}
	/* the events above the watermark, if the sequence went past it */
	if (AuditLastEventId() > upto)
		tail = SearchCountEvents(f, lo, hi, hi, hi, upto, true);
	total += tail;

	/*
	 * Where the page should start looking: the newest summarized day with a
	 * match, when no newer event waits above the watermark, and the range
	 * is longer than a couple of days (a shorter one is searched from its
	 * end at once).
	 */
	if (start && tail == 0 && total > 0 && (outcome_only || !f->has_actor) &&
		Span(lo, hi) > 2.0 * USECS_PER_DAY)
		start->newest = NewestDay(f, outcome_only ? GRAIN_ACTOR_OUTCOME : GRAIN_MONTH, hi,
								  start->want, &start->cover);
	return total;
}

/*
 * What auditlog.status() reports (inside SPI). last_maintenance: the last
 * change of the summaries, or the start of the running maintenance
 * worker's last round, whichever is later.
 */
void
AuditReadLogState(AuditLogState *state)
{
	SearchFilters all = {0};
	SpiArgs		args = {0};
	Datum		d;
	int64		upto = AuditSummarizedUpto();

	state->events = AuditCountEvents(&all, NULL);
	SpiArg(&args, INT8OID, Int64GetDatum(upto));
	SpiQuery("SELECT pg_catalog.count(*) FROM auditlog.event_store e WHERE e.id OPERATOR(pg_catalog.>) $1",
			 &args, 1);
	state->unsummarized = SpiFirstInt64(0);
	args.n = 0;
	SpiArg(&args, INT8OID, Int64GetDatum(AuditSealedUpto()));
	SpiQuery("SELECT pg_catalog.count(*) FROM auditlog.event_store e WHERE e.id OPERATOR(pg_catalog.>) $1",
			 &args, 1);
	state->unsealed = SpiFirstInt64(0);
	state->oldest_event = OldestEvent(upto);

	args.n = 0;
	SpiArg(&args, TEXTOID, CStringGetTextDatum(AUDIT_MAINTENANCE_TYPE));
	SpiArg(&args, OIDOID, ObjectIdGetDatum(MyDatabaseId));
	SpiQuery("SELECT pg_catalog.max(t) FROM ("
			 " SELECT s.maintained_at FROM auditlog.summary_state s"
			 " UNION ALL SELECT a.query_start FROM pg_catalog.pg_stat_get_activity(NULL) a"
			 " WHERE a.backend_type OPERATOR(pg_catalog.=) $1 AND a.datid OPERATOR(pg_catalog.=) $2) AS x(t)",
			 &args, 1);	/* status() exists from 0.2.0 on, and so does maintained_at */
	state->last_maintenance = SpiFirstDatum(&d) ? DatumGetTimestampTz(d) : DT_NOBEGIN;
}
