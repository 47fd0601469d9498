/*-------------------------------------------------------------------------
 *
 * src/seal.c
 *	  Sealing the events: hash-chained seals over id ranges.
 *
 * A seal (a row of auditlog.seals) covers the events with ids in
 * [first_id, last_id]: how many there are, the SHA-256 of their content
 * (seal_format.c), the ids of the range that have no event, and its hash,
 * which covers all of that and the previous seal's hash. Ranges follow
 * each other without a gap from id 1, and seal ids from 1 without a gap,
 * so that a removed seal or a removed range shows. A seal's events lie
 * within SEAL_MAX_IDS ids; ids without an event before them join it, so
 * that no seal is empty.
 *
 * A range is sealed only up to the safe point (horizon.c): an id no running
 * transaction can still commit an event with. The pending horizon lives in
 * auditlog.seal_state, whose one row is also the sealers' lock: FOR UPDATE
 * SKIP LOCKED, so that a second sealer returns at once (0) instead of
 * waiting, and a lock that vacuum never conflicts with.
 *
 * Each seal also goes to the server log, as a witness outside the
 * database: a LOG line with its id, range and hash, written when the
 * transaction that made it commits (a transaction callback), so that the
 * log never names a seal that was rolled back.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "event.h"
#include "horizon.h"
#include "owner.h"
#include "seal.h"
#include "seal_format.h"
#include "spi_util.h"

/* The newest seal, which the next one chains to. */
typedef struct SealHead
{
	int64		id;				/* 0: no seal yet */
	int64		last_id;
	uint8		hash[SEAL_HASH_LEN];
} SealHead;

/* A LOG line waiting for its transaction to commit. */
typedef struct Witness
{
	SubTransactionId subid;
	char	   *line;
} Witness;

static List *witnesses = NIL;	/* in witness_cxt */
static MemoryContext witness_cxt = NULL;
static bool callbacks_registered = false;

static void WitnessXactCallback(XactEvent event, void *arg);
static void WitnessSubXactCallback(SubXactEvent event, SubTransactionId mySubid,
								   SubTransactionId parentSubid, void *arg);
static void ForgetWitnesses(SubTransactionId subid);
static void AddWitness(const SealFields *f, const uint8 *hash);
static bool LockSealState(AuditHorizon *pending);
static void RecordPending(const AuditHorizon *before, const AuditHorizon *after);
static void ReadHead(SealHead *head);
static Datum HashDatum(const uint8 *hash);
static void AddGap(SealFields *f, int *cap, int64 a, int64 b);
static void FindGaps(const SealDigests *digests, SealFields *f);
static void WriteSeal(SealReader *r, SealHead *head, int64 lo, int64 hi,
					  const SealDigests *digests);

/* ------------------------------------------------------------------------
 * internal: the witness lines
 * ------------------------------------------------------------------------
 */

/* Writes the lines of a committed transaction; forgets those of any other end. */
static void
WitnessXactCallback(XactEvent event, void *arg)
{
	ListCell   *lc;

	switch (event)
	{
		case XACT_EVENT_PRE_PREPARE:
			if (witnesses != NIL)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot PREPARE a transaction that has sealed events"),
						 errhint("Call auditlog.seal() in a transaction of its own.")));
			break;
		case XACT_EVENT_COMMIT:
			foreach(lc, witnesses)
				ereport(LOG,
						(errmsg_internal("%s", ((Witness *) lfirst(lc))->line),
						 errhidestmt(true), errhidecontext(true)));
			ForgetWitnesses(InvalidSubTransactionId);
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			ForgetWitnesses(InvalidSubTransactionId);
			break;
		default:
			break;
	}
}

/* A rolled-back subtransaction takes its seals, and so its lines, with it. */
static void
WitnessSubXactCallback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	/* later subtransactions opened while mySubid was open are its children */
	if (event == SUBXACT_EVENT_ABORT_SUB)
		ForgetWitnesses(mySubid);
}

/* Forgets the lines of subtransactions >= subid (all of them when Invalid). */
static void
ForgetWitnesses(SubTransactionId subid)
{
	List	   *kept = NIL;
	ListCell   *lc;

	if (witnesses == NIL)
		return;
	if (subid != InvalidSubTransactionId)
	{
		MemoryContext old = MemoryContextSwitchTo(witness_cxt);

		foreach(lc, witnesses)
		{
			if (((Witness *) lfirst(lc))->subid < subid)
				kept = lappend(kept, lfirst(lc));
		}
		MemoryContextSwitchTo(old);
	}
	if (kept == NIL)
	{
		witnesses = NIL;
		MemoryContextReset(witness_cxt);
	}
	else
		witnesses = kept;
}

/* Queues the LOG line of a seal just made. */
static void
AddWitness(const SealFields *f, const uint8 *hash)
{
	MemoryContext old;
	Witness    *w;

	if (!callbacks_registered)
	{
		witness_cxt = AllocSetContextCreate(TopMemoryContext, "auditlog seal witnesses",
											ALLOCSET_SMALL_SIZES);
		RegisterXactCallback(WitnessXactCallback, NULL);
		RegisterSubXactCallback(WitnessSubXactCallback, NULL);
		callbacks_registered = true;
	}
	old = MemoryContextSwitchTo(witness_cxt);
	w = palloc(sizeof(Witness));
	w->subid = GetCurrentSubTransactionId();
	w->line = psprintf("auditlog seal " INT64_FORMAT " in database \"%s\": ids " INT64_FORMAT
					   " to " INT64_FORMAT ", " INT64_FORMAT " events, hash %s",
					   f->id, get_database_name(MyDatabaseId), f->first_id, f->last_id,
					   f->events, SealHex(hash));
	witnesses = lappend(witnesses, w);
	MemoryContextSwitchTo(old);
}

/* ------------------------------------------------------------------------
 * internal: sealing
 * ------------------------------------------------------------------------
 */

/*
 * Takes the sealers' lock, the row of auditlog.seal_state, and reads the
 * pending horizon from it; false when another transaction holds it.
 */
static bool
LockSealState(AuditHorizon *pending)
{
	bool		isnull;

	if (SpiExec("SELECT s.pending_upto, s.pending_xmax FROM auditlog.seal_state s"
				" FOR UPDATE SKIP LOCKED", NULL, SPI_OK_SELECT) == 0)
	{
		SpiExec("SELECT pg_catalog.count(*) FROM auditlog.seal_state", NULL, SPI_OK_SELECT);
		if (SpiFirstInt64(0) != 1)
			elog(ERROR, "auditlog: auditlog.seal_state must hold one row");
		return false;
	}
	pending->upto = DatumGetInt64(SpiGetDatum(0, 1, &isnull));
	pending->xmax = (uint64) DatumGetInt64(SpiGetDatum(0, 2, &isnull));
	return true;
}

/* Stores the horizon for the next call, when it changed. */
static void
RecordPending(const AuditHorizon *before, const AuditHorizon *after)
{
	SpiArgs		args = {0};

	if (before->upto == after->upto && before->xmax == after->xmax)
		return;
	SpiArg(&args, INT8OID, Int64GetDatum(after->upto));
	SpiArg(&args, INT8OID, Int64GetDatum((int64) after->xmax));
	SpiExec("UPDATE auditlog.seal_state SET pending_upto = $1, pending_xmax = $2",
			&args, SPI_OK_UPDATE);
}

/* The newest seal: what the next one chains to. */
static void
ReadHead(SealHead *head)
{
	bool		isnull;
	Datum		d;
	bytea	   *hash;

	head->id = head->last_id = 0;
	memset(head->hash, 0, SEAL_HASH_LEN);
	if (SpiExec("SELECT s.id, s.last_id, s.hash FROM auditlog.seals s"
				" ORDER BY s.id DESC LIMIT 1", NULL, SPI_OK_SELECT) == 0)
		return;
	head->id = DatumGetInt64(SpiGetDatum(0, 1, &isnull));
	head->last_id = DatumGetInt64(SpiGetDatum(0, 2, &isnull));
	d = SpiGetDatum(0, 3, &isnull);
	/* (its own null flag: a NULL hash, NOT NULL dropped by hand, is that error, not a crash) */
	hash = isnull ? NULL : DatumGetByteaPP(d);
	if (hash == NULL || VARSIZE_ANY_EXHDR(hash) != SEAL_HASH_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("the newest seal, " INT64_FORMAT ", has no valid hash", head->id),
				 errhint("Someone changed auditlog.seals; SELECT * FROM auditlog.verify() shows what.")));
	memcpy(head->hash, VARDATA_ANY(hash), SEAL_HASH_LEN);
}

/* A hash as a bytea datum. */
static Datum
HashDatum(const uint8 *hash)
{
	bytea	   *b = palloc(VARHDRSZ + SEAL_HASH_LEN);

	SET_VARSIZE(b, VARHDRSZ + SEAL_HASH_LEN);
	memcpy(VARDATA(b), hash, SEAL_HASH_LEN);
	return PointerGetDatum(b);
}

/* Adds the run [a, b] to a seal's gaps (*cap: their room). */
static void
AddGap(SealFields *f, int *cap, int64 a, int64 b)
{
	if (f->ngaps == *cap)
	{
		*cap *= 2;
		f->gaps = repalloc(f->gaps, sizeof(int64) * 2 * *cap);
	}
	f->gaps[2 * f->ngaps] = a;
	f->gaps[2 * f->ngaps + 1] = b;
	f->ngaps++;
}

/* The ids of [f->first_id, f->last_id] that have no event, as runs. */
static void
FindGaps(const SealDigests *digests, SealFields *f)
{
	int			cap = 8;
	int64		next = f->first_id;	/* the first id not seen yet */
	bool		end_seen = false;	/* id PG_INT64_MAX seen: no id is after it */

	f->ngaps = 0;
	f->gaps = palloc(sizeof(int64) * 2 * cap);
	for (int64 i = 0; i < digests->n && !end_seen; i++)
	{
		int64		id = digests->items[i].id;

		if (id > next)
			AddGap(f, &cap, next, id - 1);
		if (id >= next)
		{
			end_seen = (id == PG_INT64_MAX);
			next = end_seen ? id : id + 1;
		}
	}
	/* the run after the last event (next never passes PG_INT64_MAX) */
	if (!end_seen && next <= f->last_id)
		AddGap(f, &cap, next, f->last_id);
}

/* Seals the events of [lo, hi] (their digests), chained to *head, which it becomes. */
static void
WriteSeal(SealReader *r, SealHead *head, int64 lo, int64 hi, const SealDigests *digests)
{
	SealFields	f = {0};
	SpiArgs		args = {0};
	uint8		hash[SEAL_HASH_LEN];

	f.id = head->id + 1;
	f.first_id = lo;
	f.last_id = hi;
	f.events = digests->n;
	f.has_prev = head->id > 0;
	memcpy(f.prev_hash, head->hash, SEAL_HASH_LEN);
	f.sealed_at = GetCurrentTimestamp();
	SealReaderCombine(r, digests->items, digests->n, false, f.events_hash);
	SealReaderCombine(r, digests->items, digests->n, true, f.rows_hash);
	FindGaps(digests, &f);
	SealReaderHash(r, &f, hash);

	SpiArg(&args, INT8OID, Int64GetDatum(f.id));
	SpiArg(&args, INT8OID, Int64GetDatum(f.first_id));
	SpiArg(&args, INT8OID, Int64GetDatum(f.last_id));
	SpiArg(&args, INT8OID, Int64GetDatum(f.events));
	if (f.has_prev)
		SpiArg(&args, BYTEAOID, HashDatum(f.prev_hash));
	else
		SpiArgNull(&args, BYTEAOID);
	SpiArg(&args, BYTEAOID, HashDatum(hash));
	SpiArg(&args, TIMESTAMPTZOID, TimestampTzGetDatum(f.sealed_at));
	SpiArg(&args, BYTEAOID, HashDatum(f.events_hash));
	SpiArg(&args, BYTEAOID, HashDatum(f.rows_hash));
	SpiArg(&args, INT8ARRAYOID, SealGapsToArray(&f));
	SpiExec("INSERT INTO auditlog.seals (id, first_id, last_id, events, prev_hash, hash,"
			" sealed_at, events_hash, rows_hash, gaps)"
			" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", &args, SPI_OK_INSERT);
	AddWitness(&f, hash);

	head->id = f.id;
	head->last_id = f.last_id;
	memcpy(head->hash, hash, SEAL_HASH_LEN);
}

/* The smallest event id in (after, upto], or 0 when there is none. */
static int64
NextEventId(int64 after, int64 upto)
{
	SpiArgs		args = {0};

	SpiArg(&args, INT8OID, Int64GetDatum(after));
	SpiArg(&args, INT8OID, Int64GetDatum(upto));
	SpiExec("SELECT pg_catalog.min(e.id) FROM auditlog.event_store e"
			" WHERE e.id OPERATOR(pg_catalog.>) $1 AND e.id OPERATOR(pg_catalog.<=) $2",
			&args, SPI_OK_SELECT);
	return SpiFirstInt64(0);
}

/* ------------------------------------------------------------------------
 * exported
 * ------------------------------------------------------------------------
 */

/* Seals up to the safe point; the contract is in seal.h. */
int64
AuditSeal(int64 max_events)
{
	AuditOwnerState st;
	AuditHorizon before,
				pending;
	int64		done = 0;

	AuditRequireFreshSnapshots("auditlog.seal()");
	AuditConnectAsOwner(&st);
	if (LockSealState(&pending))
	{
		SealHead	head;
		SealReader *r = SealReaderCreate();
		SealDigests digests = {0};
		int64		safe;
		int64		lo;

		before = pending;
		safe = AuditSafePoint(&pending, true);
		RecordPending(&before, &pending);
		ReadHead(&head);
		for (lo = head.last_id + 1; lo <= safe && (max_events <= 0 || done < max_events);)
		{
			int64		hi = lo - 1;

			/* ids with no event join the next seal that has one: no seal is empty */
			digests.n = 0;
			while (digests.n == 0 && hi < safe)
			{
				int64		chunk = hi + 1;

				hi = (safe - chunk >= SEAL_MAX_IDS) ? chunk + SEAL_MAX_IDS - 1 : safe;
				SealReaderDigest(r, chunk, hi, true, &digests);
				if (digests.n == 0 && hi < safe)
				{
					/*
					 * A long run of ids without events (the sequence set
					 * ahead): on to the next id that has one, not through
					 * the run a chunk at a time.
					 */
					int64		next = NextEventId(hi, safe);

					hi = (next > 0) ? next - 1 : safe;
				}
			}
			if (digests.n == 0)
				break;
			WriteSeal(r, &head, lo, hi, &digests);
			done += digests.n;
			lo = hi + 1;
		}
		SealReaderFree(r);
	}
	AuditFinishAsOwner(&st);
	return done;
}

/* The last event id a seal covers (0: none). */
int64
AuditSealedUpto(void)
{
	AuditOwnerState st;
	int64		upto;

	AuditConnectAsOwner(&st);
	SpiExec("SELECT s.last_id FROM auditlog.seals s ORDER BY s.id DESC LIMIT 1",
			NULL, SPI_OK_SELECT);
	upto = SpiFirstInt64(0);
	AuditFinishAsOwner(&st);
	return upto;
}

/* ------------------------------------------------------------------------
 * SQL-callable functions
 * ------------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(auditlog_seal);
/*
 * auditlog.seal() RETURNS bigint: seals the committed events after the last
 * seal up to the safe point, and returns how many it sealed.
 */
Datum
auditlog_seal(PG_FUNCTION_ARGS)
{
	AuditFlushEvents();
	PG_RETURN_INT64(AuditSeal(0));
}
