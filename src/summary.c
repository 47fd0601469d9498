/*-------------------------------------------------------------------------
 *
 * src/summary.c
 *	  Per-day and per-month event counts, kept exact behind a watermark.
 *
 * auditlog.event_counts holds how many events there are per UTC month, and
 * in the same row per UTC day of it (column days), for every combination of
 * action, resource type, organisation and outcome, over all actors
 * (GRAIN_MONTH); per actor and UTC month (GRAIN_ACTOR_MONTH; per actor and
 * day would cost nearly a row per event); for all time, over all actors
 * (GRAIN_ALL) and per actor (GRAIN_ACTOR_ALL); and per actor, and over
 * all actors (actor 0), per month and day with the outcome alone
 * (GRAIN_ACTOR_OUTCOME), for the common "this user, these days" and "these
 * days": a few rows a month. A row a month, not a day, keeps them a small part of
 * the store. They cover exactly the events whose id is at most
 * auditlog.summary_state.summarized_upto; a count adds the events above
 * that watermark by scanning them, so counts are exact whatever the
 * summaries' lag. Every write of event_counts is in this file, every read
 * for a count in summary_count.c.
 *
 * The watermark may only pass id v once no transaction can still commit an
 * event with an id <= v (horizon.c). Each run therefore records a horizon
 * (the sequence's last value and, after it, the next transaction id to be
 * assigned); a later run may move the watermark to that value once the
 * oldest running transaction is no older than that transaction id.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "event.h"
#include "horizon.h"
#include "owner.h"
#include "spi_util.h"
#include "seal.h"
#include "summary.h"
#include "worker.h"

/*
 * The start of the UTC day of a timestamptz column: date_bin() is plain
 * arithmetic, three times as fast as date_trunc() in a time zone (which
 * stays for times before 2000, where older releases' date_bin() could be a
 * day off on exact midnights).
 */
#define UTC_DAY_OF(col) \
	"CASE WHEN " col " OPERATOR(pg_catalog.>=) '2000-01-01 00:00+00'::pg_catalog.timestamptz" \
	" THEN pg_catalog.date_bin('1 day', " col ", '2000-01-01 00:00+00'::pg_catalog.timestamptz)" \
	" ELSE pg_catalog.date_trunc('day', " col ", 'UTC') END"

/* auditlog.summary_state's one row. */
typedef struct SummaryState
{
	int64		summarized_upto;
	int64		pending_upto;
	int64		pending_xmax;
} SummaryState;

static bool TakeSummaryLock(void);
static void ReadSummaryState(SummaryState *s);
static char *CountsSql(const char *source, int sign);
static int64 AddToCounts(int64 upto, int64 target);
static bool RecordHorizon(int64 pending_upto);
static int64 SummarizedUpto(void);
static int64 LastEventId(void);

/* ------------------------------------------------------------------------
 * internal: moving the summaries forward
 * ------------------------------------------------------------------------
 */

/* One summarizer at a time: false when another one holds the lock. */
static bool
TakeSummaryLock(void)
{
	SpiExec("SELECT pg_catalog.pg_try_advisory_xact_lock("
			"'auditlog.event_counts'::pg_catalog.regclass::pg_catalog.oid::pg_catalog.int8)",
			NULL, SPI_OK_SELECT);
	return SpiFirstBool(false);
}

/* Reads auditlog.summary_state. */
static void
ReadSummaryState(SummaryState *s)
{
	bool		isnull;

	if (SpiExec("SELECT summarized_upto, pending_upto, pending_xmax FROM auditlog.summary_state",
				NULL, SPI_OK_SELECT) != 1)
		elog(ERROR, "auditlog: auditlog.summary_state must hold one row");
	s->summarized_upto = DatumGetInt64(SpiGetDatum(0, Anum_summary_state_summarized_upto, &isnull));
	s->pending_upto = DatumGetInt64(SpiGetDatum(0, Anum_summary_state_pending_upto, &isnull));
	s->pending_xmax = DatumGetInt64(SpiGetDatum(0, Anum_summary_state_pending_xmax, &isnull));
}

/*
 * The statement that adds to the counts (sign 1) or takes from them (sign
 * -1) the events "FROM ... e WHERE ..." of 'source' selects, and returns
 * how many there were. The events are counted per UTC day and
 * combination first (agg), then each grain is an aggregate of those rows
 * of its own (a hash each, not one sort of every row times every grain).
 * The rows go in in key order: the rows a count reads together are
 * written together, and the key's index is filled in order.
 */
static char *
CountsSql(const char *source, int sign)
{
	return psprintf("WITH agg AS MATERIALIZED ("
					" SELECT " UTC_DAY_OF("e.occurred_at") " AS day,"
					" e.actor_ref, e.action_ref,"
					" COALESCE(e.resource_type_ref, 0) AS rt, COALESCE(e.org_ref, 0) AS org,"
					" e.outcome, %d OPERATOR(pg_catalog.*) pg_catalog.count(*) AS n"
					" %s"
					" GROUP BY 1, 2, 3, 4, 5, 6),"
					" mon AS MATERIALIZED (SELECT a.*, pg_catalog.date_trunc('month', a.day, 'UTC') AS month"
					" FROM agg a),"
					" r AS ("
					"SELECT '%c'::\"char\" AS grain, 0 AS actor_ref, m.month AS bucket, m.action_ref, m.rt, m.org,"
					" m.outcome, pg_catalog.sum(m.n) AS n, auditlog.day_counts(m.day, m.n) AS days"
					" FROM mon m GROUP BY m.month, m.action_ref, m.rt, m.org, m.outcome"
					" UNION ALL SELECT '%c', m.actor_ref, m.month, m.action_ref, m.rt, m.org, m.outcome,"
					" pg_catalog.sum(m.n), NULL"
					" FROM mon m GROUP BY m.actor_ref, m.month, m.action_ref, m.rt, m.org, m.outcome"
					" UNION ALL SELECT '%c', m.actor_ref, m.month, 0, 0, 0, m.outcome,"
					" pg_catalog.sum(m.n), auditlog.day_counts(m.day, m.n)"
					" FROM mon m GROUP BY m.actor_ref, m.month, m.outcome"
					" UNION ALL SELECT '%c', 0, m.month, 0, 0, 0, m.outcome,"
					" pg_catalog.sum(m.n), auditlog.day_counts(m.day, m.n)"
					" FROM mon m GROUP BY m.month, m.outcome"
					" UNION ALL SELECT '%c', 0, '-infinity', m.action_ref, m.rt, m.org, m.outcome,"
					" pg_catalog.sum(m.n), NULL"
					" FROM mon m GROUP BY m.action_ref, m.rt, m.org, m.outcome"
					" UNION ALL SELECT '%c', m.actor_ref, '-infinity', m.action_ref, m.rt, m.org, m.outcome,"
					" pg_catalog.sum(m.n), NULL"
					" FROM mon m GROUP BY m.actor_ref, m.action_ref, m.rt, m.org, m.outcome),"
					" ins AS (INSERT INTO auditlog.event_counts AS c"
					" (grain, actor_ref, bucket, action_ref, resource_type_ref, org_ref, outcome, n, days)"
					" SELECT * FROM r ORDER BY 1, 2, 3, 4, 5, 6, 7"
					" ON CONFLICT (grain, actor_ref, bucket, action_ref, resource_type_ref, org_ref, outcome)"
					" DO UPDATE SET n = c.n OPERATOR(pg_catalog.+) EXCLUDED.n,"
					" days = auditlog.day_counts_add(c.days, EXCLUDED.days)"
					" RETURNING 1)"
					" SELECT COALESCE(pg_catalog.sum(a.n), 0)::pg_catalog.int8 OPERATOR(pg_catalog.*) %d FROM agg a",
					sign, source,
					GRAIN_MONTH, GRAIN_ACTOR_MONTH, GRAIN_ACTOR_OUTCOME, GRAIN_ACTOR_OUTCOME, GRAIN_ALL,
					GRAIN_ACTOR_ALL, sign);
}

/*
 * Adds the events with ids in (upto, target] to the counts and moves the
 * watermark to target. Returns how many events were added.
 */
static int64
AddToCounts(int64 upto, int64 target)
{
	SpiArgs		args = {0};
	int64		added;

	SpiArg(&args, INT8OID, Int64GetDatum(upto));
	SpiArg(&args, INT8OID, Int64GetDatum(target));
	SpiExec(CountsSql("FROM auditlog.event_store e"
					  " WHERE e.id OPERATOR(pg_catalog.>) $1 AND e.id OPERATOR(pg_catalog.<=) $2", 1),
			&args, SPI_OK_SELECT);
	added = SpiFirstInt64(0);

	args.n = 0;
	SpiArg(&args, INT8OID, Int64GetDatum(target));
	SpiExec("UPDATE auditlog.summary_state SET summarized_upto = $1, maintained_at = pg_catalog.now()",
			&args, SPI_OK_UPDATE);
	return added;
}

/*
 * Records the next horizon: the last id the sequence handed out and, read
 * after it, the next transaction id (AuditTakeHorizon); every xid that
 * took an id <= last is older. Returns false when the sequence has not
 * moved past the last horizon.
 */
static bool
RecordHorizon(int64 pending_upto)
{
	SpiArgs		args = {0};
	AuditHorizon h;

	AuditTakeHorizon(&h);
	if (h.upto <= pending_upto)
		return false;
	SpiArg(&args, INT8OID, Int64GetDatum(h.upto));
	SpiArg(&args, INT8OID, Int64GetDatum((int64) h.xmax));
	SpiExec("UPDATE auditlog.summary_state SET pending_upto = $1, pending_xmax = $2,"
			" maintained_at = pg_catalog.now()", &args, SPI_OK_UPDATE);
	return true;
}

/* ------------------------------------------------------------------------
 * internal: counting with the summaries
 * ------------------------------------------------------------------------
 */

/* The watermark: every event with an id up to it is in the summaries. */
static int64
SummarizedUpto(void)
{
	SpiArgs		args = {0};

	if (SpiQuery("SELECT s.summarized_upto FROM auditlog.summary_state s", &args, 1) != 1)
		elog(ERROR, "auditlog: auditlog.summary_state must hold one row");
	return SpiFirstInt64(0);
}

/*
 * The last event id handed out, whether or not its transaction committed.
 * A sequence not yet called hands out last_value next: the ids below it
 * may be taken (a restore sets it so, after the rows it brought).
 */
static int64
LastEventId(void)
{
	SpiArgs		args = {0};

	SpiQuery("SELECT CASE WHEN s.is_called THEN s.last_value ELSE s.last_value OPERATOR(pg_catalog.-) 1 END"
			 " FROM auditlog.event_store_id_seq s", &args, 1);
	return SpiFirstInt64(0);
}

/* ------------------------------------------------------------------------
 * exported
 * ------------------------------------------------------------------------
 */

/*
 * Moves the summaries forward by at most max_events events. Returns how
 * many events were added to them; *more says whether it changed anything
 * (added events, or recorded a new horizon), so that another call right
 * away may do more.
 */
int64
AuditSummarize(int64 max_events, bool *more)
{
	AuditOwnerState st;
	SummaryState s;
	int64		done = 0;

	*more = false;
	AuditRequireFreshSnapshots("auditlog.summarize()");
	if (!AuditSummariesReadable())
		return 0;

	AuditConnectAsOwner(&st);
	if (TakeSummaryLock())
	{
		ReadSummaryState(&s);
		if (AuditOldestRunningXid(false) >= (uint64) s.pending_xmax)
		{
			if (s.pending_upto > s.summarized_upto)
			{
				int64		target = s.pending_upto;

				if (max_events > 0 && target - s.summarized_upto > max_events)
					target = s.summarized_upto + max_events;
				done = AddToCounts(s.summarized_upto, target);
				s.summarized_upto = target;
				*more = true;
			}
			/* caught up with the last horizon: record the next one */
			if (s.summarized_upto >= s.pending_upto && RecordHorizon(s.pending_upto))
				*more = true;
		}
	}
	AuditFinishAsOwner(&st);
	return done;
}

/* The last event id handed out, whether or not its transaction committed. */
int64
AuditLastEventId(void)
{
	return LastEventId();
}

/*
 * Whether the summaries are this library's: false on a 0.1.0 database not
 * updated yet, whose summaries have a row per day (the update makes them a
 * row per month). Those are left as they are until the update, which
 * converts them: summarize() adds nothing there, and counts come from the
 * events alone. The update adds summary_state.maintained_at too, which is
 * quicker to look up.
 */
bool
AuditSummariesReadable(void)
{
	return get_attnum(AuditRelid(AREL_SUMMARY_STATE), "maintained_at") != InvalidAttrNumber;
}

/* The summaries' watermark: they cover exactly the events with ids up to it. */
int64
AuditSummarizedUpto(void)
{
	return SummarizedUpto();
}

/*
 * The safe point for a reader: the highest event id such that every event
 * with an id up to it that will ever commit is visible to the reader's
 * snapshot -- 'snapshot', or, when NULL, one it takes after this call. A
 * consumer that resumes after the last id it read, up to each safe point,
 * misses no event that commits late.
 *
 * The watermark rule of summarize(): the watermark is safe; so is a horizon
 * (the sequence's last value, then the next transaction id) once no older
 * transaction runs in this database (a snapshot taken after that sees them
 * all), or once the reader's given snapshot treats every older transaction
 * as finished (its xmin is no older: on a standby, or in a REPEATABLE READ
 * transaction). Besides the recorded horizon, one read now passes at once
 * when no older transaction is running.
 */
int64
AuditReaderSafePoint(Snapshot snapshot)
{
	SpiArgs		args = {0};
	bool		isnull;
	int64		upto;
	int64		pending_upto;
	uint64		pending_xmax;
	uint64		passed;

	if (SpiQuery("SELECT s.summarized_upto, s.pending_upto, s.pending_xmax"
				 " FROM auditlog.summary_state s", &args, 1) != 1)
		elog(ERROR, "auditlog: auditlog.summary_state must hold one row");
	upto = DatumGetInt64(SpiGetDatum(0, Anum_summary_state_summarized_upto, &isnull));
	pending_upto = DatumGetInt64(SpiGetDatum(0, Anum_summary_state_pending_upto, &isnull));
	pending_xmax = (uint64) DatumGetInt64(SpiGetDatum(0, Anum_summary_state_pending_xmax, &isnull));

	if (snapshot == NULL)
	{
		int64		last = LastEventId();
		uint64		next = U64FromFullTransactionId(ReadNextFullTransactionId());

		passed = AuditOldestRunningXid(false);
		if (passed >= next)
			return Max(upto, last);
	}
	else
		passed = AuditFullXid(snapshot->xmin);
	if (passed >= pending_xmax)
		upto = Max(upto, pending_upto);
	return upto;
}

/*
 * For auditlog.purge(): waits for a summarizer that is running, keeps any
 * other out until the transaction ends, and returns the watermark as it is
 * then.
 */
int64
AuditLockSummaries(void)
{
	SpiExec("SELECT pg_catalog.pg_advisory_xact_lock("
			"'auditlog.event_counts'::pg_catalog.regclass::pg_catalog.oid::pg_catalog.int8)",
			NULL, SPI_OK_SELECT);
	/* a snapshot taken after the lock: a summarizer that just committed is seen */
	if (SpiExec("SELECT s.summarized_upto FROM auditlog.summary_state s", NULL, SPI_OK_SELECT) != 1)
		elog(ERROR, "auditlog: auditlog.summary_state must hold one row");
	return SpiFirstInt64(0);
}

/*
 * Takes out of the counts the events that 'source' ("FROM ... e WHERE
 * ...", with args) selects, every one of them at most the watermark.
 * Returns how many.
 */
int64
AuditUncountRows(const char *source, SpiArgs *args)
{
	SpiExec(CountsSql(source, -1), args, SPI_OK_SELECT);
	return SpiFirstInt64(0);
}

/*
 * Takes out of the counts every event of [lower, upper), both UTC month
 * starts, from the counts alone: the all-time totals lose the months'
 * totals, and the months' rows go.
 */
void
AuditUncountMonths(TimestampTz lower, TimestampTz upper)
{
	SpiArgs		args = {0};
	char		from[2] = {GRAIN_MONTH, GRAIN_ACTOR_MONTH};
	char		to[2] = {GRAIN_ALL, GRAIN_ACTOR_ALL};

	SpiArg(&args, TIMESTAMPTZOID, TimestampTzGetDatum(lower));
	SpiArg(&args, TIMESTAMPTZOID, TimestampTzGetDatum(upper));
	for (int i = 0; i < 2; i++)
		SpiExec(psprintf("WITH m AS (SELECT c.actor_ref, c.action_ref, c.resource_type_ref, c.org_ref,"
						 " c.outcome, pg_catalog.sum(c.n) AS n FROM auditlog.event_counts c"
						 " WHERE c.grain OPERATOR(pg_catalog.=) '%c'"
						 " AND c.bucket OPERATOR(pg_catalog.>=) $1 AND c.bucket OPERATOR(pg_catalog.<) $2"
						 " GROUP BY 1, 2, 3, 4, 5)"
						 " UPDATE auditlog.event_counts c SET n = c.n OPERATOR(pg_catalog.-) m.n FROM m"
						 " WHERE c.grain OPERATOR(pg_catalog.=) '%c' AND c.bucket OPERATOR(pg_catalog.=) '-infinity'"
						 " AND c.actor_ref OPERATOR(pg_catalog.=) m.actor_ref"
						 " AND c.action_ref OPERATOR(pg_catalog.=) m.action_ref"
						 " AND c.resource_type_ref OPERATOR(pg_catalog.=) m.resource_type_ref"
						 " AND c.org_ref OPERATOR(pg_catalog.=) m.org_ref"
						 " AND c.outcome %s m.outcome",
						 from[i], to[i], AuditOutcomeEqOperator()),
				&args, SPI_OK_UPDATE);
	SpiExec(psprintf("DELETE FROM auditlog.event_counts c WHERE c.grain IN ('%c', '%c', '%c')"
					 " AND c.bucket OPERATOR(pg_catalog.>=) $1 AND c.bucket OPERATOR(pg_catalog.<) $2",
					 GRAIN_MONTH, GRAIN_ACTOR_MONTH, GRAIN_ACTOR_OUTCOME),
			&args, SPI_OK_DELETE);
}

/*
 * After AuditUncountRows() and AuditUncountMonths(): the counts that came
 * to zero go. A count below zero means the summaries did not hold events
 * they should have: an error, so that the purge is undone and the counts
 * stay exact.
 */
void
AuditTidyCounts(void)
{
	SpiExec("WITH d AS (DELETE FROM auditlog.event_counts c WHERE c.n OPERATOR(pg_catalog.<=) 0"
			" RETURNING c.n) SELECT COALESCE(pg_catalog.min(d.n), 0)::pg_catalog.int8 FROM d",
			NULL, SPI_OK_SELECT);
	if (SpiFirstInt64(0) < 0)
		AuditCountsBelowZero();
}

/*
 * Taking events off the counts brought one below zero: the summaries did
 * not hold events they should have. An error, so that the change is undone
 * and the counts stay exact.
 */
void
AuditCountsBelowZero(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("auditlog: the summaries do not hold the events being removed"),
			 errhint("Rebuild them: TRUNCATE auditlog.event_counts, reset auditlog.summary_state to zeros,"
					 " then run auditlog.summarize().")));
}

/* ------------------------------------------------------------------------
 * SQL-callable functions
 * ------------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(auditlog_summarize);
/*
 * auditlog.summarize(max_events bigint DEFAULT 1000000) RETURNS bigint:
 * brings the precomputed counts up to date by at most max_events events and
 * returns how many it added. search() and event_count() are exact without
 * it, and faster the less they have to count by hand.
 */
Datum
auditlog_summarize(PG_FUNCTION_ARGS)
{
	int64		max_events;
	bool		more;

	if (PG_ARGISNULL(0) || PG_GETARG_INT64(0) < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_events must be a positive number"),
				 errhint("Pass how many events one call may add to the counts, such as 1000000.")));
	max_events = PG_GETARG_INT64(0);
	AuditFlushEvents();
	PG_RETURN_INT64(AuditSummarize(max_events, &more));
}
