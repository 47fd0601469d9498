/*-------------------------------------------------------------------------
 *
 * src/horizon.c
 *	  The safe point: the event ids no running transaction can still add to.
 *
 * Event ids come from a sequence, outside any transaction, so a transaction
 * may commit an event with a smaller id than one already committed. What
 * is derived from the events in id order (the summaries' counts, the
 * seals) may therefore only cover an id once no transaction that could
 * still commit an event with that id or a smaller one is running.
 *
 * Writers take their transaction id before each event id (event_form.c).
 * So when the sequence's last value is read, and then the next transaction
 * id to be assigned, every event with an id up to that value belongs to a
 * transaction older than that transaction id: a horizon (horizon.h). Once
 * the oldest transaction still running in the database (prepared ones
 * included) is no older, every id up to the horizon is final.
 *
 * A horizon taken now has passed at once when nothing older is running;
 * under a steady stream of writers it has not, and an earlier horizon,
 * recorded by the caller, is what moves the safe point: AuditSafePoint
 * tries both.
 *
 * Every function here runs SQL: the caller is connected to SPI, as the
 * extension's owner (owner.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "tcop/utility.h"

#include "horizon.h"
#include "spi_util.h"


/* Full (epoch-qualified) form of a recent 32-bit transaction id. */
uint64
AuditFullXid(TransactionId xid)
{
	FullTransactionId next = ReadNextFullTransactionId();
	uint32		epoch = EpochFromFullTransactionId(next);

	if (xid > XidFromFullTransactionId(next))
		epoch--;
	return ((uint64) epoch << 32) | xid;
}

/*
 * Takes a horizon now: the last id the sequence handed out, then the next
 * transaction id; every transaction that took an id up to that value is
 * older. A sequence not yet called hands out last_value next: the ids below
 * it may be taken (a restore leaves it so, after the rows it brought).
 */
void
AuditTakeHorizon(AuditHorizon *h)
{
	SpiExec("SELECT CASE WHEN is_called THEN last_value ELSE last_value OPERATOR(pg_catalog.-) 1 END"
			" FROM auditlog.event_store_id_seq", NULL, SPI_OK_SELECT);
	h->upto = SpiFirstInt64(0);
	h->xmax = U64FromFullTransactionId(ReadNextFullTransactionId());
}

/*
 * The oldest transaction of this database still running, as of now (only
 * this database's backends write its events; prepared transactions count
 * too), as a full transaction id. With ignore_own, the caller's own
 * transaction does not count: what it writes commits or aborts together
 * with whatever it derives from the events.
 */
uint64
AuditOldestRunningXid(bool ignore_own)
{
	uint64		oldest = U64FromFullTransactionId(ReadNextFullTransactionId());
	TransactionId own = ignore_own ? GetTopTransactionIdIfAny() : InvalidTransactionId;

	/*
	 * The activity list is otherwise taken once per transaction, and kept.
	 * Autovacuum never writes an event: its ANALYZE, which has an xid, need
	 * not hold the safe point back.
	 */
	pgstat_clear_snapshot();
	SpiExec("SELECT a.backend_xid FROM pg_catalog.pg_stat_get_activity(NULL) a"
			" WHERE a.datid OPERATOR(pg_catalog.=) (SELECT d.oid FROM pg_catalog.pg_database d"
			" WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database())"
			" AND a.backend_xid IS NOT NULL"
			" AND a.backend_type OPERATOR(pg_catalog.<>) 'autovacuum worker'"
			" UNION ALL SELECT p.transaction FROM pg_catalog.pg_prepared_xacts p"
			" WHERE p.database OPERATOR(pg_catalog.=) pg_catalog.current_database()",
			NULL, SPI_OK_SELECT);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		d = SpiGetDatum(i, 1, &isnull);
		TransactionId xid = isnull ? InvalidTransactionId : DatumGetTransactionId(d);

		if (TransactionIdIsNormal(xid) && !TransactionIdEquals(xid, own))
			oldest = Min(oldest, AuditFullXid(xid));
	}
	return oldest;
}

/*
 * The safe point: the highest event id known to be final, or 0 when none
 * is known beyond what the caller already covers. *pending is the horizon
 * the caller recorded at its last call (zeros the first time); on return
 * it is the horizon to record for the next call.
 */
int64
AuditSafePoint(AuditHorizon *pending, bool ignore_own)
{
	AuditHorizon now;
	uint64		oldest;
	int64		safe;

	AuditTakeHorizon(&now);
	oldest = AuditOldestRunningXid(ignore_own);
	if (oldest >= now.xmax)
	{
		/* nothing older than this very moment runs: all of it is final */
		*pending = now;
		return now.upto;
	}
	if (oldest < pending->xmax)
		return 0;				/* the recorded horizon has not passed yet */
	safe = pending->upto;
	*pending = now;
	return safe;
}

/*
 * Errors unless the transaction can write and takes a fresh snapshot at
 * every statement, as what moves past the safe point must: what commits
 * between two steps has to be seen by the second. 'what' names the caller.
 */
void
AuditRequireFreshSnapshots(const char *what)
{
	if (!XactReadOnly && !RecoveryInProgress() && !IsolationUsesXactSnapshot())
		return;
	PreventCommandIfReadOnly(what);
	ereport(ERROR,
			(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
			 errmsg("%s must run in a READ COMMITTED transaction", what),
			 errhint("It needs a fresh snapshot for every step; run it on its own.")));
}
