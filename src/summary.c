/* src/summary.c — per-day and per-month event counts, kept exact behind a watermark */
#include "auditlog.h"

#include "access/table.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/rel.h"

/*
 * auditlog.event_counts holds how many events there are per UTC day and per
 * UTC month, for every combination of action, resource type, organisation
 * and outcome, over all actors (grains 'd', 'm'), and per actor and UTC
 * month ('M'; per actor and day would cost nearly a row per event); and
 * for all time, over all actors ('a') and per actor ('A'); and per actor,
 * day and outcome alone ('U'), for the common "this user, these days". It
 * covers exactly the events whose id is at most
 * auditlog.summary_state.summarized_upto; a count adds the events above
 * that watermark by scanning them, so counts are exact whatever the
 * summaries' lag.
 *
 * The watermark may only pass id v once no transaction can still commit an
 * event with an id <= v. Writers take their transaction id before each event
 * id (event.c), so a transaction holding an id <= v had its xid before v
 * was read from the sequence. Each run therefore records the sequence's
 * last value and, after it, the next transaction id to be assigned; a later
 * run may move the watermark to that value once the oldest running
 * transaction is no older than that transaction id.
 */

/* Full (epoch-qualified) form of a recent 32-bit transaction id. */
static uint64
FullXid(TransactionId xid)
{
	FullTransactionId next = ReadNextFullTransactionId();
	uint32		epoch = EpochFromFullTransactionId(next);

	if (xid > XidFromFullTransactionId(next))
		epoch--;
	return ((uint64) epoch << 32) | xid;
}

/* One int8 from the first row of the last SPI query. */
static int64
GetInt8(int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

/*
 * Moves the summaries forward by at most max_events events. Returns how
 * many events were added to them. When 'quiet', a transaction that cannot
 * summarize (read-only, or with a transaction-wide snapshot) just gets 0.
 */
int64
AuditSummarize(int64 max_events, bool quiet)
{
	Relation	rel;
	Oid			owner;
	AuditOwnerState st;
	int64		done = 0;
	bool		isnull;
	int64		upto,
				pending_upto,
				pending_xmax;
	uint64		oldest;

	if (XactReadOnly || RecoveryInProgress() || IsolationUsesXactSnapshot())
	{
		if (quiet)
			return 0;
		PreventCommandIfReadOnly("auditlog.summarize()");
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("auditlog.summarize() must run in a READ COMMITTED transaction"),
				 errhint("It needs a fresh snapshot for every step; run it on its own.")));
	}

	rel = table_open(AuditRelid("summary_state"), AccessShareLock);
	owner = rel->rd_rel->relowner;
	table_close(rel, AccessShareLock);
	AuditBecomeOwner(owner, &st);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "auditlog: SPI_connect failed");

	/* one summarizer at a time; the others leave it to that one */
	if (SPI_execute("SELECT pg_catalog.pg_try_advisory_xact_lock("
					"'auditlog.event_counts'::pg_catalog.regclass::pg_catalog.oid::pg_catalog.int8)",
					false, 1) != SPI_OK_SELECT)
		elog(ERROR, "auditlog: could not take the summary lock");
	if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
		goto out;

	if (SPI_execute("SELECT summarized_upto, pending_upto, pending_xmax FROM auditlog.summary_state",
					false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "auditlog: auditlog.summary_state must hold one row");
	upto = GetInt8(1);
	pending_upto = GetInt8(2);
	pending_xmax = GetInt8(3);

	/*
	 * The oldest transaction of this database still running, as of now
	 * (only this database's backends write its events; prepared
	 * transactions count too).
	 */
	oldest = U64FromFullTransactionId(ReadNextFullTransactionId());
	/* the activity list is otherwise taken once per transaction, and kept */
	pgstat_clear_snapshot();
	if (SPI_execute("SELECT a.backend_xid FROM pg_catalog.pg_stat_get_activity(NULL) a"
					" WHERE a.datid OPERATOR(pg_catalog.=) (SELECT d.oid FROM pg_catalog.pg_database d"
					" WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database())"
					" AND a.backend_xid IS NOT NULL"
					" UNION ALL SELECT p.transaction FROM pg_catalog.pg_prepared_xacts p"
					" WHERE p.database OPERATOR(pg_catalog.=) pg_catalog.current_database()",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "auditlog: could not list the running transactions");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull && TransactionIdIsNormal(DatumGetTransactionId(d)))
			oldest = Min(oldest, FullXid(DatumGetTransactionId(d)));
	}
	if (oldest < (uint64) pending_xmax)
		goto out;

	if (pending_upto > upto)
	{
		int64		target = pending_upto;
		int64		added;
		Oid			types[2] = {INT8OID, INT8OID};
		Datum		values[2];

		if (max_events > 0 && target - upto > max_events)
			target = upto + max_events;
		values[0] = Int64GetDatum(upto);
		values[1] = Int64GetDatum(target);
		if (SPI_execute_with_args(
								  "WITH agg AS ("
								  " SELECT pg_catalog.date_trunc('day', e.occurred_at, 'UTC') AS day,"
								  " e.actor_ref, e.action_ref,"
								  " COALESCE(e.resource_type_ref, 0) AS rt, COALESCE(e.org_ref, 0) AS org,"
								  " e.outcome, pg_catalog.count(*) AS n"
								  " FROM auditlog.event_store e"
								  " WHERE e.id OPERATOR(pg_catalog.>) $1 AND e.id OPERATOR(pg_catalog.<=) $2"
								  " GROUP BY 1, 2, 3, 4, 5, 6),"
								  " ins AS (INSERT INTO auditlog.event_counts AS c"
								  " (grain, bucket, actor_ref, action_ref, resource_type_ref, org_ref, outcome, n)"
								  " SELECT g.grain,"
								  " CASE g.grain WHEN 'd' THEN a.day WHEN 'U' THEN a.day"
								  " WHEN 'a' THEN '-infinity' WHEN 'A' THEN '-infinity'"
								  " ELSE pg_catalog.date_trunc('month', a.day, 'UTC') END,"
								  " CASE WHEN g.grain IN ('M', 'A', 'U') THEN a.actor_ref ELSE 0 END,"
								  " CASE WHEN g.grain OPERATOR(pg_catalog.=) 'U' THEN 0 ELSE a.action_ref END,"
								  " CASE WHEN g.grain OPERATOR(pg_catalog.=) 'U' THEN 0 ELSE a.rt END,"
								  " CASE WHEN g.grain OPERATOR(pg_catalog.=) 'U' THEN 0 ELSE a.org END,"
								  " a.outcome, pg_catalog.sum(a.n)"
								  " FROM agg a CROSS JOIN (VALUES ('d'::\"char\"), ('m'), ('M'), ('U'), ('a'), ('A')) AS g(grain)"
								  " GROUP BY 1, 2, 3, 4, 5, 6, 7"
								  " ON CONFLICT (grain, actor_ref, bucket, action_ref, resource_type_ref, org_ref, outcome)"
								  " DO UPDATE SET n = c.n OPERATOR(pg_catalog.+) EXCLUDED.n"
								  " RETURNING 1)"
								  " SELECT COALESCE(pg_catalog.sum(a.n), 0)::pg_catalog.int8 FROM agg a",
								  2, types, values, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "auditlog: could not update the event counts");
		added = GetInt8(1);
		values[0] = Int64GetDatum(target);
		if (SPI_execute_with_args("UPDATE auditlog.summary_state SET summarized_upto = $1",
								  1, types, values, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "auditlog: could not move the summary watermark");
		done = added;
		upto = target;
	}

	/* caught up with the last horizon: record the next one */
	if (upto >= pending_upto)
	{
		Oid			types[2] = {INT8OID, INT8OID};
		Datum		values[2];
		int64		last;

		if (SPI_execute("SELECT CASE WHEN is_called THEN last_value ELSE 0 END"
						" FROM auditlog.event_store_id_seq", false, 1) != SPI_OK_SELECT)
			elog(ERROR, "auditlog: could not read the event id sequence");
		last = GetInt8(1);
		/* read after the sequence: every xid that took an id <= last is older */
		values[0] = Int64GetDatum(last);
		values[1] = Int64GetDatum((int64) U64FromFullTransactionId(ReadNextFullTransactionId()));
		if (last > pending_upto &&
			SPI_execute_with_args("UPDATE auditlog.summary_state SET pending_upto = $1, pending_xmax = $2",
								  2, types, values, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "auditlog: could not record the summary horizon");
	}

out:
	SPI_finish();
	AuditResumeCaller(&st);
	return done;
}

/* The watermark: every event with an id up to it is in the summaries. */
int64
AuditSummarizedUpto(void)
{
	int64		upto;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "auditlog: SPI_connect failed");
	if (SPI_execute("SELECT summarized_upto FROM auditlog.summary_state", true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "auditlog: auditlog.summary_state must hold one row");
	upto = GetInt8(1);
	SPI_finish();
	return upto;
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
 * it, and faster the less they have to count by hand: run it every minute
 * or so (pg_cron), or after a bulk import, once per transaction.
 */
Datum
auditlog_summarize(PG_FUNCTION_ARGS)
{
	int64		max_events;

	if (PG_ARGISNULL(0) || PG_GETARG_INT64(0) < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_events must be a positive number"),
				 errhint("Pass how many events one call may add to the counts, such as 1000000.")));
	max_events = PG_GETARG_INT64(0);
	AuditFlushEvents();
	PG_RETURN_INT64(AuditSummarize(max_events, false));
}
