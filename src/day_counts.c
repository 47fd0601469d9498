/*-------------------------------------------------------------------------
 *
 * src/day_counts.c
 *	  The per-day counts of a month's summary row, in a few bytes.
 *
 * The month rows of auditlog.event_counts (grains 'm' and 'U') carry, next
 * to their total n, the count of each UTC day of their month. One row per
 * month instead of one per day keeps the summaries a small fraction of the
 * events, and a range of days is still one row per combination of the
 * filters. These functions build, add up and read such counts for
 * summary.c and summary_count.c; they check their input, being callable
 * from SQL by the extension's owner.
 *
 * The counts are a bytea, because most days of most combinations hold no
 * event or a few (as a bigint[31] they were 272 bytes a row, in the table
 * and again in the key's INCLUDE, most of the summaries' size): four bytes,
 * little-endian, whose bit d - 1 says that day d holds a count other than
 * zero, then those counts in day order, each zigzag-encoded (sign in the
 * lowest bit) as a base-128 varint, low groups first. One encoding per
 * value: no zero count, no varint longer than it needs, nothing after the
 * last one. auditlog.day_counts_array() shows them as a bigint[31].
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/int.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "summary.h"

static void BadDays(const char *why) pg_attribute_noreturn();
static int64 *CheckState(ArrayType *state);
static void DecodeDays(bytea *days, int64 *slots);
static bytea *EncodeDays(const int64 *slots);
static int64 MonthKey(TimestampTz ts, int *day);
static void CheckDayBounds(int32 from_day, int32 to_day);
static void AddCount(int64 *sum, int64 n);

/* ------------------------------------------------------------------------
 * internal
 * ------------------------------------------------------------------------
 */

/* The refusal of a value that is not per-day counts. */
static void
BadDays(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid per-day counts: %s", why),
			 errhint("Pass the days column of auditlog.event_counts, or a value of auditlog.day_counts().")));
}

/*
 * The state of the aggregate day_counts(): one dimension of
 * DAYS_PER_MONTH_MAX + 1 bigints from 1, no NULL, the days then their
 * month. Returns its slots (without NULLs, the data follows the header).
 */
static int64 *
CheckState(ArrayType *state)
{
	if (ARR_ELEMTYPE(state) != INT8OID || ARR_NDIM(state) != 1 ||
		ARR_DIMS(state)[0] != DAYS_PER_MONTH_MAX + 1 || ARR_LBOUND(state)[0] != 1 ||
		ARR_HASNULL(state))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the state of auditlog.day_counts() must be a bigint array of %d elements from 1, without NULLs",
						DAYS_PER_MONTH_MAX + 1),
				 errhint("Call the aggregate auditlog.day_counts(time, n).")));
	return (int64 *) ((char *) state + ARR_OVERHEAD_NONULLS(1));
}

/* slots[DAYS_PER_MONTH_MAX] from per-day counts, checked. */
static void
DecodeDays(bytea *days, int64 *slots)
{
	const uint8 *p = (const uint8 *) VARDATA_ANY(days);
	const uint8 *end = p + VARSIZE_ANY_EXHDR(days);
	uint32		present;

	if (end - p < 4)
		BadDays("shorter than 4 bytes");
	present = (uint32) p[0] | ((uint32) p[1] << 8) | ((uint32) p[2] << 16) | ((uint32) p[3] << 24);
	p += 4;
	if (present >> DAYS_PER_MONTH_MAX)
		BadDays("a day after the 31st");
	for (int d = 0; d < DAYS_PER_MONTH_MAX; d++)
	{
		uint64		z = 0;
		int			shift = 0;

		slots[d] = 0;
		if (!(present & ((uint32) 1 << d)))
			continue;
		for (;;)
		{
			uint8		b;

			if (p == end)
				BadDays("a count is cut short");
			b = *p++;
			if (shift == 63 && b > 1)
				BadDays("a count past the range of bigint");
			z |= (uint64) (b & 0x7f) << shift;
			if (!(b & 0x80))
			{
				if (b == 0 && shift > 0)
					BadDays("a count is longer than it needs to be");
				break;
			}
			shift += 7;
		}
		if (z == 0)
			BadDays("a day marked as holding events holds none");
		/* zigzag: 0, -1, 1, -2, 2, ... */
		slots[d] = (int64) (z >> 1) ^ -(int64) (z & 1);
	}
	if (p != end)
		BadDays("bytes after the last count");
}

/* The per-day counts of slots[DAYS_PER_MONTH_MAX], in the caller's memory context. */
static bytea *
EncodeDays(const int64 *slots)
{
	/* 4 bytes of days, at most 10 a count */
	uint8		buf[4 + 10 * DAYS_PER_MONTH_MAX];
	uint8	   *p = buf + 4;
	uint32		present = 0;
	bytea	   *out;

	for (int d = 0; d < DAYS_PER_MONTH_MAX; d++)
	{
		uint64		z;

		if (slots[d] == 0)
			continue;
		present |= (uint32) 1 << d;
		z = ((uint64) slots[d] << 1) ^ (uint64) (slots[d] >> 63);
		while (z >= 0x80)
		{
			*p++ = (uint8) (z | 0x80);
			z >>= 7;
		}
		*p++ = (uint8) z;
	}
	buf[0] = (uint8) present;
	buf[1] = (uint8) (present >> 8);
	buf[2] = (uint8) (present >> 16);
	buf[3] = (uint8) (present >> 24);
	out = (bytea *) palloc(VARHDRSZ + (p - buf));
	SET_VARSIZE(out, VARHDRSZ + (p - buf));
	memcpy(VARDATA(out), buf, p - buf);
	return out;
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
	int64		slots[DAYS_PER_MONTH_MAX];

	DecodeDays(DatumGetByteaPP(days), slots);
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
	slots = CheckState(state);
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
 * auditlog.day_counts_final(bigint[]) RETURNS bytea: the final function
 * of auditlog.day_counts(): the days of its state, without the month.
 */
Datum
auditlog_day_counts_final(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(EncodeDays(CheckState(PG_GETARG_ARRAYTYPE_P(0))));
}

PG_FUNCTION_INFO_V1(auditlog_day_counts_add);
/*
 * auditlog.day_counts_add(bytea, bytea) RETURNS bytea: the two per-day
 * counts added day by day. A day below zero means that events were taken
 * off that the summaries never held: an error, so that the statement is
 * undone and the counts stay exact.
 */
Datum
auditlog_day_counts_add(PG_FUNCTION_ARGS)
{
	int64		sum[DAYS_PER_MONTH_MAX];
	int64		add[DAYS_PER_MONTH_MAX];

	DecodeDays(PG_GETARG_BYTEA_PP(0), sum);
	DecodeDays(PG_GETARG_BYTEA_PP(1), add);
	for (int i = 0; i < DAYS_PER_MONTH_MAX; i++)
	{
		AddCount(&sum[i], add[i]);
		if (sum[i] < 0)
			AuditCountsBelowZero();
	}
	PG_RETURN_BYTEA_P(EncodeDays(sum));
}

PG_FUNCTION_INFO_V1(auditlog_day_counts_sum);
/*
 * auditlog.day_counts_sum(days bytea, from_day integer, to_day integer)
 * RETURNS bigint: the events of days [from_day, to_day) of the month.
 */
Datum
auditlog_day_counts_sum(PG_FUNCTION_ARGS)
{
	int32		from_day = PG_GETARG_INT32(1);
	int32		to_day = PG_GETARG_INT32(2);
	int64		slots[DAYS_PER_MONTH_MAX];
	int64		total = 0;

	DecodeDays(PG_GETARG_BYTEA_PP(0), slots);
	CheckDayBounds(from_day, to_day);
	for (int d = from_day; d < to_day; d++)
		AddCount(&total, slots[d - 1]);
	PG_RETURN_INT64(total);
}

PG_FUNCTION_INFO_V1(auditlog_day_counts_last);
/*
 * auditlog.day_counts_last(days bytea, before_day integer) RETURNS
 * integer: the last day before before_day (1 to 32) that holds events, or
 * NULL when none does.
 */
Datum
auditlog_day_counts_last(PG_FUNCTION_ARGS)
{
	int32		before_day = PG_GETARG_INT32(1);
	int64		slots[DAYS_PER_MONTH_MAX];
	int			d;

	DecodeDays(PG_GETARG_BYTEA_PP(0), slots);
	CheckDayBounds(1, before_day);
	d = AuditLastDayWithEvents(slots, before_day);
	if (d == 0)
		PG_RETURN_NULL();
	PG_RETURN_INT32(d);
}

PG_FUNCTION_INFO_V1(auditlog_day_counts_array);
/*
 * auditlog.day_counts_array(days bytea) RETURNS bigint[]: the per-day
 * counts as 31 bigints, element d the count of day d.
 */
Datum
auditlog_day_counts_array(PG_FUNCTION_ARGS)
{
	int64		slots[DAYS_PER_MONTH_MAX];
	Datum		elems[DAYS_PER_MONTH_MAX];

	DecodeDays(PG_GETARG_BYTEA_PP(0), slots);
	for (int i = 0; i < DAYS_PER_MONTH_MAX; i++)
		elems[i] = Int64GetDatum(slots[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, DAYS_PER_MONTH_MAX, INT8OID, sizeof(int64),
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
