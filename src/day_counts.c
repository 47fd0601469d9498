/*-------------------------------------------------------------------------
 *
 * src/day_counts.c
 *	  The per-day counts of a month's summary row: a bigint[31].
 *
 * The month rows of auditlog.event_counts (grains 'm' and 'U') carry, next
 * to their total n, the count of each UTC day of their month: slot i is
 * day i. One row per month instead of one per day keeps the summaries a
 * small fraction of the events, and a range of days is still one row per
 * combination of the filters. These functions build, add up and read such
 * arrays for summary.c and summary_count.c; they check their input, being
 * callable from SQL by the extension's owner.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/int.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "summary.h"

static int64 *CheckDays(ArrayType *days, int nslots);
static int64 MonthKey(TimestampTz ts, int *day);
static void CheckDayBounds(int32 from_day, int32 to_day);
static void AddCount(int64 *sum, int64 n);

/* ------------------------------------------------------------------------
 * internal
 * ------------------------------------------------------------------------
 */

/*
 * A per-day count array: one dimension of DAYS_PER_MONTH_MAX bigints from
 * 1, no NULL (nslots DAYS_PER_MONTH_MAX + 1: the aggregate's state, its
 * month after the days). Returns its slots (without NULLs, the data
 * follows the header: ARR_DATA_PTR's test for a NULL bitmap is not needed).
 */
static int64 *
CheckDays(ArrayType *days, int nslots)
{
	if (ARR_ELEMTYPE(days) != INT8OID || ARR_NDIM(days) != 1 ||
		ARR_DIMS(days)[0] != nslots || ARR_LBOUND(days)[0] != 1 ||
		ARR_HASNULL(days))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("per-day counts must be a bigint array of %d elements from 1, without NULLs",
						nslots),
				 errhint("Pass the days column of auditlog.event_counts.")));
	return (int64 *) ((char *) days + ARR_OVERHEAD_NONULLS(1));
}

/* The UTC month of ts as year * 12 + month, and *day its day, 1 to 31. */
static int64
MonthKey(TimestampTz ts, int *day)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (TIMESTAMP_NOT_FINITE(ts) || timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("a per-day count needs a finite time"),
				 errhint("Pass the time of an event.")));
	*day = tm.tm_mday;
	return (int64) tm.tm_year * MONTHS_PER_YEAR + tm.tm_mon;
}

/* [from_day, to_day): days of a month, 1 <= from_day <= to_day <= 32. */
static void
CheckDayBounds(int32 from_day, int32 to_day)
{
	if (from_day < 1 || to_day > DAYS_PER_MONTH_MAX + 1 || from_day > to_day)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("days %d to %d are not a range of days of a month", from_day, to_day),
				 errhint("Pass a first day from 1 and an end day after it, at most %d.",
						 DAYS_PER_MONTH_MAX + 1)));
}

/* *sum += n, or an error past the range of bigint. */
static void
AddCount(int64 *sum, int64 n)
{
	if (pg_add_s64_overflow(*sum, n, sum))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("a per-day count is out of the range of bigint"),
				 errhint("A day's count must stay within -9223372036854775808 to 9223372036854775807.")));
}

/* ------------------------------------------------------------------------
 * exported
 * ------------------------------------------------------------------------
 */

/*
 * Adds a month row's per-day counts (a value of column days) into
 * sum[DAYS_PER_MONTH_MAX], slot i - 1 for day i.
 */
void
AuditAddDayCounts(int64 *sum, Datum days)
{
	const int64 *slots = CheckDays(DatumGetArrayTypeP(days), DAYS_PER_MONTH_MAX);

	for (int i = 0; i < DAYS_PER_MONTH_MAX; i++)
		AddCount(&sum[i], slots[i]);
}

/*
 * The last day before before_day (1 to 32) whose slot holds events, or 0
 * when none does.
 */
int
AuditLastDayWithEvents(const int64 *slots, int before_day)
{
	for (int d = before_day - 1; d >= 1; d--)
		if (slots[d - 1] != 0)
			return d;
	return 0;
}

/*
 * The cover day of 'last' (a day, 1 to 31): the last day, at 'last' or
 * before it, from which on to 'last' the slots hold at least 'want' events;
 * 0 when all of them up to 'last' hold fewer.
 */
int
AuditCoverDay(const int64 *slots, int last, int64 want)
{
	int64		acc = 0;

	for (int d = last; d >= 1; d--)
	{
		acc += slots[d - 1];
		if (acc >= want)
			return d;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * SQL-callable functions
 * ------------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(auditlog_day_counts_step);
/*
 * auditlog.day_counts_step(bigint[], timestamptz, bigint) RETURNS bigint[]:
 * the transition of the aggregate auditlog.day_counts(time, n), which adds
 * n to the UTC day of time. The state is the aggregate's own, changed in
 * place: the days, then the month they are of, which every time must share.
 */
Datum
auditlog_day_counts_step(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	ArrayType  *state;
	int64	   *slots;
	int64		month;
	int			day;

	/*
	 * Only as a plain aggregate, which keeps the state to itself: as a
	 * window aggregate, the state changed in place would be a row's result
	 * too.
	 */
	if (AggCheckCallContext(fcinfo, &aggcontext) != AGG_CONTEXT_AGGREGATE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("auditlog.day_counts_step() is the transition of auditlog.day_counts()"),
				 errhint("Call the aggregate auditlog.day_counts(time, n), as a plain aggregate.")));
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("auditlog.day_counts() needs a time and a count"),
				 errhint("Pass the time of the events and how many there are.")));
	month = MonthKey(PG_GETARG_TIMESTAMPTZ(1), &day);

	if (PG_ARGISNULL(0))
	{
		MemoryContext old = MemoryContextSwitchTo(aggcontext);
		Datum		zeros[DAYS_PER_MONTH_MAX + 1];

		for (int i = 0; i < DAYS_PER_MONTH_MAX; i++)
			zeros[i] = Int64GetDatum(0);
		zeros[DAYS_PER_MONTH_MAX] = Int64GetDatum(month);
		state = construct_array(zeros, DAYS_PER_MONTH_MAX + 1, INT8OID, sizeof(int64),
								FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
		MemoryContextSwitchTo(old);
	}
	else
		state = PG_GETARG_ARRAYTYPE_P(0);
	slots = CheckDays(state, DAYS_PER_MONTH_MAX + 1);
	if (slots[DAYS_PER_MONTH_MAX] != month)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("auditlog.day_counts() counts the days of one month, and the times are of several"),
				 errhint("Group by the UTC month of the times.")));
	AddCount(&slots[day - 1], PG_GETARG_INT64(2));
	PG_RETURN_ARRAYTYPE_P(state);
}

PG_FUNCTION_INFO_V1(auditlog_day_counts_final);
/*
 * auditlog.day_counts_final(bigint[]) RETURNS bigint[]: the final function
 * of auditlog.day_counts(): the days of its state, without the month.
 */
Datum
auditlog_day_counts_final(PG_FUNCTION_ARGS)
{
	ArrayType  *state = PG_GETARG_ARRAYTYPE_P(0);
	int64	   *slots = CheckDays(state, DAYS_PER_MONTH_MAX + 1);
	Datum		days[DAYS_PER_MONTH_MAX];

	for (int i = 0; i < DAYS_PER_MONTH_MAX; i++)
		days[i] = Int64GetDatum(slots[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(days, DAYS_PER_MONTH_MAX, INT8OID, sizeof(int64),
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

PG_FUNCTION_INFO_V1(auditlog_day_counts_add);
/*
 * auditlog.day_counts_add(bigint[], bigint[]) RETURNS bigint[]: the two
 * per-day counts added day by day. A day below zero means that events
 * were taken off that the summaries never held: an error, so that the
 * statement is undone and the counts stay exact.
 */
Datum
auditlog_day_counts_add(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P_COPY(0);
	ArrayType  *b = PG_GETARG_ARRAYTYPE_P(1);
	int64	   *sum;
	const int64 *add;

	sum = CheckDays(a, DAYS_PER_MONTH_MAX);
	add = CheckDays(b, DAYS_PER_MONTH_MAX);
	for (int i = 0; i < DAYS_PER_MONTH_MAX; i++)
	{
		AddCount(&sum[i], add[i]);
		if (sum[i] < 0)
			AuditCountsBelowZero();
	}
	PG_RETURN_ARRAYTYPE_P(a);
}

PG_FUNCTION_INFO_V1(auditlog_day_counts_sum);
/*
 * auditlog.day_counts_sum(days bigint[], from_day integer, to_day integer)
 * RETURNS bigint: the events of days [from_day, to_day) of the month.
 */
Datum
auditlog_day_counts_sum(PG_FUNCTION_ARGS)
{
	ArrayType  *days = PG_GETARG_ARRAYTYPE_P(0);
	int32		from_day = PG_GETARG_INT32(1);
	int32		to_day = PG_GETARG_INT32(2);
	const int64 *slots;
	int64		total = 0;

	slots = CheckDays(days, DAYS_PER_MONTH_MAX);
	CheckDayBounds(from_day, to_day);
	for (int d = from_day; d < to_day; d++)
		AddCount(&total, slots[d - 1]);
	PG_RETURN_INT64(total);
}

PG_FUNCTION_INFO_V1(auditlog_day_counts_last);
/*
 * auditlog.day_counts_last(days bigint[], before_day integer) RETURNS
 * integer: the last day before before_day (1 to 32) that holds events, or
 * NULL when none does.
 */
Datum
auditlog_day_counts_last(PG_FUNCTION_ARGS)
{
	ArrayType  *days = PG_GETARG_ARRAYTYPE_P(0);
	int32		before_day = PG_GETARG_INT32(1);
	const int64 *slots;
	int			d;

	slots = CheckDays(days, DAYS_PER_MONTH_MAX);
	CheckDayBounds(1, before_day);
	d = AuditLastDayWithEvents(slots, before_day);
	if (d == 0)
		PG_RETURN_NULL();
	PG_RETURN_INT32(d);
}
