/*-------------------------------------------------------------------------
 *
 * src/purge.c
 *	  auditlog.purge(): old events removed, but those of organisations on hold.
 *
 * auditlog.purge(before) removes the events that occurred before 'before',
 * except those of organisations on hold (auditlog.holds). A partition of
 * the event store that lies wholly before it and holds no event of a held
 * organisation is dropped; elsewhere only the events that go are deleted.
 * One purge runs at a time, and while it does no summarizer or sealer does
 * (it waits for a running one to finish), so that in one transaction:
 *
 *	- every seal whose events it takes is checked first (a purge never
 *	  erases the evidence of tampering: a broken seal is an error), and what
 *	  it removes from each is recorded in auditlog.seal_purges, so that
 *	  verify() still passes (verify.c);
 *	- the events it removes are taken out of the summaries (the whole
 *	  months of a dropped partition from the summaries alone, other events
 *	  by counting them), so that counts stay exact;
 *	- the purge itself is an event, auditlog.purge, with details before,
 *	  removed and kept_on_hold, and a line in the server log.
 *
 * The events of a seal are stable (the seal covers committed events only),
 * and so are those below the summaries' watermark; events above both that
 * commit while the purge runs are removed or not, and counted in
 * 'removed' exactly when they are. A partition that is dropped is locked
 * against writes first.
 *
 * The holds (auditlog.hold(), auditlog.release()) and auditlog.retention,
 * which the maintenance worker applies once a day with a purge of what is
 * older than that interval, are retention.c's.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "event.h"
#include "horizon.h"
#include "owner.h"
#include "partition.h"
#include "purge.h"
#include "seal.h"
#include "seal_format.h"
#include "spi_util.h"
#include "summary.h"

/* The events of a partition that go: the purge's $1 is before, $2 the held organisations. */
#define UNHELD_COND \
	"e.occurred_at OPERATOR(pg_catalog.<) $1" \
	" AND (e.org_ref IS NULL OR e.org_ref OPERATOR(pg_catalog.<>) ALL ($2))"

/* One partition's share of a purge. */
typedef struct PurgeSource
{
	AuditPartition part;
	char	   *rel;			/* its name, qualified and quoted */
	bool		drop;			/* all its events go, and the partition with them */
	const char *cond;			/* of "e": its events that go */
	int64		count;			/* how many go (of a dropped one: exact) */
	int64		min_id;
	int64		max_id;
} PurgeSource;

/* What one seal loses. */
typedef struct PurgeRecord
{
	int64		seal_id;
	int64		events;
	bytea	   *removed;		/* NULL: the seal's last events */
	bool		replaces;		/* the seal's earlier records go: this one counts all */
} PurgeRecord;

typedef struct Purge
{
	TimestampTz before;
	Datum		held;			/* int4[]: the label ids of the held organisations */
	int			n_held;
	int64		watermark;		/* of the summaries */
	int64		sealed_upto;
	PurgeSource *src;
	int			n_src;
	PurgeRecord *records;
	int			n_records;
	int64		removed;
	int64		kept;
} Purge;

static void SetPurgeArgs(const Purge *pg, SpiArgs *args);
static void LockForPurge(Purge *pg);
static void ReadHolds(Purge *pg);
static bool AddSource(Purge *pg, const AuditPartition *part, PurgeSource *src);
static void FindSources(Purge *pg);
static char *UnionQuery(const Purge *pg, const char *what, bool in_range);
static int64 RemovedCount(const Purge *pg, int64 lo, int64 hi);
static void RemovedIds(const Purge *pg, int64 lo, int64 hi, int64 **ids, int64 *n);
static bytea *PackRemoved(const SealDigests *present, const int64 *ids, int64 n, int64 seal_id);
static int64 DeleteRows(const Purge *pg, const PurgeSource *src);
static void RecordSeal(Purge *pg, SealReader *r, int64 seal_id, int64 first_id, int64 last_id);
static void PurgeSeals(Purge *pg);
static void UncountSources(const Purge *pg);
static void RemoveSources(Purge *pg);
static void CountKept(Purge *pg);
static int64 WritePurgeEvent(const Purge *pg);
static void DropRecords(int64 seal_id);
static void WriteRecords(const Purge *pg, int64 purge_id);

/* ------------------------------------------------------------------------
 * internal: the steps of a purge
 * ------------------------------------------------------------------------
 */

/* $1 before, $2 the held organisations: every query of a purge starts so. */
static void
SetPurgeArgs(const Purge *pg, SpiArgs *args)
{
	args->n = 0;
	SpiArg(args, TIMESTAMPTZOID, TimestampTzGetDatum(pg->before));
	SpiArg(args, INT4ARRAYOID, pg->held);
}

/*
 * One purge at a time; the summarizers and sealers wait until it is over
 * (a running one is waited for). Reads the watermark and the last sealed
 * id after the locks.
 */
static void
LockForPurge(Purge *pg)
{
	SpiExec("SELECT pg_catalog.pg_advisory_xact_lock("
			"'auditlog.seal_purges'::pg_catalog.regclass::pg_catalog.oid::pg_catalog.int8)",
			NULL, SPI_OK_SELECT);
	pg->watermark = AuditLockSummaries();
	SpiExec("SELECT FROM auditlog.seal_state FOR UPDATE", NULL, SPI_OK_SELECT);
	pg->sealed_upto = AuditSealedUpto();
}

/* The organisations on hold, as label ids (one never named by an event has none). */
static void
ReadHolds(Purge *pg)
{
	Datum		d;

	/*
	 * hold() and release() write hold_store: SHARE waits for those under
	 * way and makes new ones wait for the purge, so that no hold committed
	 * while the purge runs is missed (a hold that returned, and its
	 * organisation's events purged after it).
	 */
	SpiExec("LOCK TABLE auditlog.hold_store IN SHARE MODE", NULL, SPI_OK_UTILITY);
	SpiExec("SELECT COALESCE(pg_catalog.array_agg(l.id), '{}'), pg_catalog.count(l.id)::pg_catalog.int4"
			" FROM auditlog.hold_store h JOIN auditlog.labels l"
			" ON l.kind OPERATOR(pg_catalog.=) 'o' AND l.label OPERATOR(pg_catalog.=) h.org_id",
			NULL, SPI_OK_SELECT);
	(void) SpiFirstDatum(&d);
	pg->held = d;
	{
		bool		isnull;

		pg->n_held = DatumGetInt32(SpiGetDatum(0, 2, &isnull));
	}
}

/*
 * What of one partition goes; false when nothing does. A partition wholly
 * before 'before' is locked against writes, and dropped when it holds no
 * event of a held organisation.
 */
static bool
AddSource(Purge *pg, const AuditPartition *part, PurgeSource *src)
{
	SpiArgs		args = {0};
	bool		isnull;

	if (part->lower >= pg->before || get_rel_relkind(part->relid) != RELKIND_RELATION)
		return false;
	memset(src, 0, sizeof(*src));
	src->part = *part;
	src->rel = quote_qualified_identifier(get_namespace_name(get_rel_namespace(part->relid)),
										  get_rel_name(part->relid));
	src->cond = UNHELD_COND;
	SetPurgeArgs(pg, &args);
	if (!part->is_default && part->upper <= pg->before)
	{
		SpiExec(psprintf("LOCK TABLE ONLY %s IN SHARE ROW EXCLUSIVE MODE", src->rel), NULL,
				SPI_OK_UTILITY);
		src->drop = true;
		if (pg->n_held > 0)
		{
			SpiExec(psprintf("SELECT EXISTS (SELECT FROM ONLY %s e"
							 " WHERE e.org_ref OPERATOR(pg_catalog.=) ANY ($2))", src->rel),
					&args, SPI_OK_SELECT);
			src->drop = !SpiFirstBool(false);
		}
		if (src->drop)
			src->cond = "true";
	}
	SpiExec(psprintf("SELECT pg_catalog.count(*), pg_catalog.min(e.id), pg_catalog.max(e.id)"
					 " FROM ONLY %s e WHERE %s", src->rel, src->cond), &args, SPI_OK_SELECT);
	src->count = DatumGetInt64(SpiGetDatum(0, 1, &isnull));
	src->min_id = isnull ? 0 : DatumGetInt64(SpiGetDatum(0, 2, &isnull));
	src->max_id = isnull ? 0 : DatumGetInt64(SpiGetDatum(0, 3, &isnull));
	/* an empty month before 'before' goes too */
	return src->count > 0 || src->drop;
}

/* The partitions the purge takes events from, and what it takes. */
static void
FindSources(Purge *pg)
{
	Relation	parent = table_open(AuditRelid(AREL_EVENT_STORE), AccessShareLock);
	AuditPartition *parts;
	int			n;

	parts = AuditListPartitions(parent, &n);
	table_close(parent, NoLock);
	pg->src = palloc0(sizeof(PurgeSource) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		if (AddSource(pg, &parts[i], &pg->src[pg->n_src]))
			pg->n_src++;
	}
}

/*
 * A query over the events that go, from every source: SELECT <what> ...
 * UNION ALL ...; with in_range, only those with ids from $3 to $4.
 */
static char *
UnionQuery(const Purge *pg, const char *what, bool in_range)
{
	StringInfoData sql;

	initStringInfo(&sql);
	for (int i = 0; i < pg->n_src; i++)
	{
		if (pg->src[i].count == 0)
			continue;
		appendStringInfo(&sql, "%sSELECT %s FROM ONLY %s e WHERE %s%s",
						 sql.len > 0 ? " UNION ALL " : "", what, pg->src[i].rel, pg->src[i].cond,
						 in_range ? " AND e.id OPERATOR(pg_catalog.>=) $3"
						 " AND e.id OPERATOR(pg_catalog.<=) $4" : "");
	}
	return sql.data;
}

/* How many of the events that go have ids from lo to hi. */
static int64
RemovedCount(const Purge *pg, int64 lo, int64 hi)
{
	SpiArgs		args = {0};

	SetPurgeArgs(pg, &args);
	SpiArg(&args, INT8OID, Int64GetDatum(lo));
	SpiArg(&args, INT8OID, Int64GetDatum(hi));
	SpiExec(psprintf("SELECT pg_catalog.count(*) FROM (%s) x", UnionQuery(pg, "e.id", true)),
			&args, SPI_OK_SELECT);
	return SpiFirstInt64(0);
}

/* The ids of the events that go from lo to hi, sorted. */
static void
RemovedIds(const Purge *pg, int64 lo, int64 hi, int64 **ids, int64 *n)
{
	SpiArgs		args = {0};
	bool		isnull;

	SetPurgeArgs(pg, &args);
	SpiArg(&args, INT8OID, Int64GetDatum(lo));
	SpiArg(&args, INT8OID, Int64GetDatum(hi));
	*n = (int64) SpiExec(psprintf("SELECT x.id FROM (%s) x ORDER BY 1", UnionQuery(pg, "e.id", true)),
						 &args, SPI_OK_SELECT);
	*ids = palloc(sizeof(int64) * Max(*n, 1));
	for (int64 i = 0; i < *n; i++)
		(*ids)[i] = DatumGetInt64(SpiGetDatum(i, 1, &isnull));
}

/* The digests of the events among 'present' whose ids are in ids[0..n), packed. */
static bytea *
PackRemoved(const SealDigests *present, const int64 *ids, int64 n, int64 seal_id)
{
	bytea	   *out = palloc(VARHDRSZ + n * SEAL_PURGED_LEN);
	int64		k = 0;

	SET_VARSIZE(out, VARHDRSZ + n * SEAL_PURGED_LEN);
	for (int64 i = 0; i < present->n && k < n; i++)
	{
		if (present->items[i].id == ids[k])
			SealPackDigest(&present->items[i], (uint8 *) VARDATA(out) + SEAL_PURGED_LEN * k++);
	}
	if (k != n)
		elog(ERROR, "auditlog: the events purged from seal " INT64_FORMAT " are not all there",
			 seal_id);
	return out;
}

/*
 * What one seal loses, once it is checked: nothing when none of its events
 * go; else the digests of those that go, or, when its last ones go, only
 * how many it had (what earlier purges recorded of it is then of no use,
 * and goes).
 */
static void
RecordSeal(Purge *pg, SealReader *r, int64 seal_id, int64 first_id, int64 last_id)
{
	int64		n = RemovedCount(pg, first_id, last_id);
	int64		sealed = 0;
	int64		remaining = 0;
	SealDigests present = {0};
	char	   *problem;
	PurgeRecord *rec;

	if (n == 0)
		return;
	problem = AuditCheckSeal(r, seal_id, &sealed, &remaining, &present);
	if (problem)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("auditlog.purge() keeps the events of seal " INT64_FORMAT ": it does not verify",
						seal_id),
				 errdetail("%s", problem),
				 errhint("auditlog.verify() shows what broke; the events of a broken seal are kept as evidence."
						 " Purge before an earlier time to keep them.")));
	rec = &pg->records[pg->n_records++];
	rec->seal_id = seal_id;
	rec->events = n;
	rec->removed = NULL;
	rec->replaces = false;
	if (n < remaining)
	{
		int64	   *ids;
		int64		k;

		RemovedIds(pg, first_id, last_id, &ids, &k);
		if (k != n)
			elog(ERROR, "auditlog: the events to purge from seal " INT64_FORMAT " changed", seal_id);
		rec->removed = PackRemoved(&present, ids, n, seal_id);
		pfree(ids);
	}
	else if (remaining < sealed)
	{
		rec->events = sealed;
		rec->replaces = true;
	}
	if (present.items)
		pfree(present.items);
}

/* Checks and records every seal the purge takes events from. */
static void
PurgeSeals(Purge *pg)
{
	SpiArgs		args = {0};
	int64		lo = PG_INT64_MAX;
	int64		hi = 0;
	uint64		n;
	int64	   *seals;
	SealReader *r;

	for (int i = 0; i < pg->n_src; i++)
	{
		if (pg->src[i].count == 0)
			continue;
		lo = Min(lo, pg->src[i].min_id);
		hi = Max(hi, pg->src[i].max_id);
	}
	hi = Min(hi, pg->sealed_upto);
	if (lo > hi)
		return;
	SpiArg(&args, INT8OID, Int64GetDatum(lo));
	SpiArg(&args, INT8OID, Int64GetDatum(hi));
	n = SpiExec("SELECT s.id, s.first_id, s.last_id FROM auditlog.seals s"
				" WHERE s.last_id OPERATOR(pg_catalog.>=) $1 AND s.first_id OPERATOR(pg_catalog.<=) $2"
				" ORDER BY s.id", &args, SPI_OK_SELECT);
	seals = palloc(sizeof(int64) * 3 * Max(n, 1));
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;

		for (int c = 0; c < 3; c++)
			seals[3 * i + c] = DatumGetInt64(SpiGetDatum(i, c + 1, &isnull));
	}
	pg->records = palloc(sizeof(PurgeRecord) * Max(n, 1));
	r = SealReaderCreate();
	for (uint64 i = 0; i < n; i++)
	{
		RecordSeal(pg, r, seals[3 * i], seals[3 * i + 1], seals[3 * i + 2]);
		CHECK_FOR_INTERRUPTS();
	}
	SealReaderFree(r);
	pfree(seals);
}

/*
 * Takes the events that go out of the summaries: whole months of a dropped
 * partition from the summaries alone, the others by counting them.
 */
static void
UncountSources(const Purge *pg)
{
	bool		any = false;

	for (int i = 0; i < pg->n_src; i++)
	{
		const PurgeSource *src = &pg->src[i];
		SpiArgs		args = {0};

		if (src->count == 0 || src->min_id > pg->watermark)
			continue;
		any = true;
		if (src->drop && AuditMonthAligned(src->part.lower, src->part.upper))
		{
			AuditUncountMonths(src->part.lower, src->part.upper);
			continue;
		}
		SetPurgeArgs(pg, &args);
		SpiArg(&args, INT8OID, Int64GetDatum(pg->watermark));
		(void) AuditUncountRows(psprintf("FROM ONLY %s e WHERE %s AND e.id OPERATOR(pg_catalog.<=) $3",
										 src->rel, src->cond), &args);
	}
	if (any)
		AuditTidyCounts();
}

/*
 * Deletes the events of a partition that go, straight from the heap (no
 * executor, no row trigger: the guard would refuse, and a BEFORE trigger
 * costs a tuple lock per row). Returns how many.
 */
static int64
DeleteRows(const Purge *pg, const PurgeSource *src)
{
	SpiArgs		args = {0};
	Relation	rel = table_open(src->part.relid, RowExclusiveLock);
	Portal		portal;
	int64		n = 0;

	SetPurgeArgs(pg, &args);
	portal = SPI_cursor_open_with_args(NULL, psprintf("SELECT e.ctid FROM ONLY %s e WHERE %s",
													  src->rel, src->cond),
									   args.n, args.types, args.values, args.nulls, false, 0);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, 10000);
		if (SPI_processed == 0)
			break;
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			bool		isnull;
			Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);

			simple_heap_delete(rel, (ItemPointer) DatumGetPointer(d));
		}
		n += SPI_processed;
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	table_close(rel, NoLock);
	CommandCounterIncrement();
	return n;
}

/* Deletes the events that go, and drops the partitions that go whole. */
static void
RemoveSources(Purge *pg)
{
	for (int i = 0; i < pg->n_src; i++)
	{
		PurgeSource *src = &pg->src[i];

		if (src->drop)
		{
			SpiExec(psprintf("DROP TABLE %s", src->rel), NULL, SPI_OK_UTILITY);
			pg->removed += src->count;
			ereport(LOG,
					(errmsg("auditlog: purge dropped partition %s with its " INT64_FORMAT " events",
							src->rel, src->count)));
		}
		else if (src->count > 0)
			pg->removed += DeleteRows(pg, src);
	}
}

/* How many events before 'before' stay because their organisation is on hold. */
static void
CountKept(Purge *pg)
{
	SpiArgs		args = {0};

	pg->kept = 0;
	if (pg->n_held == 0)
		return;
	SetPurgeArgs(pg, &args);
	SpiExec("SELECT pg_catalog.count(*) FROM auditlog.event_store e"
			" WHERE e.occurred_at OPERATOR(pg_catalog.<) $1 AND e.org_ref OPERATOR(pg_catalog.=) ANY ($2)",
			&args, SPI_OK_SELECT);
	pg->kept = SpiFirstInt64(0);
}

/* The event auditlog.purge; returns its id. */
static int64
WritePurgeEvent(const Purge *pg)
{
	SpiArgs		args = {0};
	AuditEvent	ev = {0};
	Datum		d;

	SpiArg(&args, TIMESTAMPTZOID, TimestampTzGetDatum(pg->before));
	SpiArg(&args, INT8OID, Int64GetDatum(pg->removed));
	SpiArg(&args, INT8OID, Int64GetDatum(pg->kept));
	SpiExec("SELECT pg_catalog.jsonb_build_object('before', $1, 'removed', $2, 'kept_on_hold', $3)",
			&args, SPI_OK_SELECT);
	(void) SpiFirstDatum(&d);
	ev.action = "auditlog.purge";
	ev.outcome = AUDIT_OUTCOME_SUCCESS;
	ev.details = DatumGetJsonbP(d);
	ev.system = true;
	return AuditWriteEvent(&ev);
}

/* The earlier records of a seal, which the one of its last events replaces. */
static void
DropRecords(int64 seal_id)
{
	SpiArgs		args = {0};

	SpiArg(&args, INT8OID, Int64GetDatum(seal_id));
	PG_TRY();
	{
		audit_purging = true;
		SpiExec("DELETE FROM auditlog.seal_purges p WHERE p.seal_id OPERATOR(pg_catalog.=) $1",
				&args, SPI_OK_DELETE);
	}
	PG_FINALLY();
	{
		audit_purging = false;
	}
	PG_END_TRY();
}

/* What each seal lost, under the purge event's id. */
static void
WriteRecords(const Purge *pg, int64 purge_id)
{
	for (int i = 0; i < pg->n_records; i++)
	{
		const PurgeRecord *rec = &pg->records[i];
		SpiArgs		args = {0};

		if (rec->replaces)
			DropRecords(rec->seal_id);
		SpiArg(&args, INT8OID, Int64GetDatum(rec->seal_id));
		SpiArg(&args, INT8OID, Int64GetDatum(purge_id));
		SpiArg(&args, INT8OID, Int64GetDatum(rec->events));
		if (rec->removed)
			SpiArg(&args, BYTEAOID, PointerGetDatum(rec->removed));
		else
			SpiArgNull(&args, BYTEAOID);
		SpiExec("INSERT INTO auditlog.seal_purges (seal_id, purge_id, events, removed)"
				" VALUES ($1, $2, $3, $4)", &args, SPI_OK_INSERT);
	}
}

/* ------------------------------------------------------------------------
 * exported
 * ------------------------------------------------------------------------
 */

int64
AuditPurge(TimestampTz before)
{
	AuditOwnerState st;
	Purge		pg = {0};
	int64		purge_id;
	char	   *when;

	PreventCommandDuringRecovery("auditlog.purge()");
	AuditRequireFreshSnapshots("auditlog.purge()");
	AuditFlushEvents();
	pg.before = before;
	AuditConnectAsOwner(&st);
	LockForPurge(&pg);
	ReadHolds(&pg);
	FindSources(&pg);
	PurgeSeals(&pg);
	UncountSources(&pg);
	RemoveSources(&pg);
	CountKept(&pg);
	purge_id = WritePurgeEvent(&pg);
	WriteRecords(&pg, purge_id);
	AuditFinishAsOwner(&st);
	when = pstrdup(timestamptz_to_str(before));
	ereport(LOG,
			(errmsg("auditlog: purge of the events before %s removed " INT64_FORMAT " events ("
					INT64_FORMAT " kept on hold), event " INT64_FORMAT,
					when, pg.removed, pg.kept, purge_id)));
	return pg.removed;
}

/* ------------------------------------------------------------------------
 * SQL-callable functions
 * ------------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(auditlog_purge);
/*
 * auditlog.purge(before timestamptz) RETURNS bigint: removes the events
 * that occurred before 'before', but those of organisations on hold, and
 * returns how many it removed.
 */
Datum
auditlog_purge(PG_FUNCTION_ARGS)
{
	TimestampTz before;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("before must not be null"),
				 errhint("Pass the time before which events go, such as now() - interval '13 months'.")));
	before = PG_GETARG_TIMESTAMPTZ(0);
	if (TIMESTAMP_NOT_FINITE(before))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("before must be a finite time, not %s", before > 0 ? "infinity" : "-infinity"),
				 errhint("Pass the time before which events go, such as now() - interval '13 months'.")));
	PreventCommandIfReadOnly("auditlog.purge()");
	PG_RETURN_INT64(AuditPurge(before));
}
