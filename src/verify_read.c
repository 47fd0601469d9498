/*-------------------------------------------------------------------------
 *
 * src/verify_read.c
 *	  What verify() reads: seal rows, and what purges removed from seals.
 *
 * A seal row is read into a VSeal and checked against itself at once: a
 * field no seal() writes (a NULL, a hash that is not one, gaps that do
 * not read as pairs of ids) makes it malformed, and else its hash is
 * recomputed from its fields (seal_format.c), which says whether the row
 * was edited. What a seal says beyond itself (its link to the previous
 * one, its events) is for verify.c to check.
 *
 * The rows of auditlog.seal_purges of a run of seals are read into one
 * SealPurge per seal that lost events: how many every purge removed from
 * it, and the digests they recorded, in id order; or, once the seal's last
 * events went, only that (the digests of the partial purges before are of
 * no use then). A row no purge writes (one that removes no event, digests
 * that are not those of its count, or not in id order) makes the entry
 * malformed: verify() reports the purge record as edited.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "utils/timestamp.h"

#include "seal_format.h"
#include "spi_util.h"
#include "verify_read.h"

static bool CopyHash(HeapTuple tup, TupleDesc desc, int col, uint8 *out);
static void ReadPurgeRow(SealPurge *sp, int64 events, bytea *removed);
static int	CompareDigestIds(const void *a, const void *b);

/* ------------------------------------------------------------------------
 * seal rows
 * ------------------------------------------------------------------------
 */

/* Copies a hash column; false when it is NULL or not a hash. */
static bool
CopyHash(HeapTuple tup, TupleDesc desc, int col, uint8 *out)
{
	bool		isnull;
	Datum		d = heap_getattr(tup, col, desc, &isnull);
	bytea	   *b;

	if (isnull)
		return false;
	b = DatumGetByteaPP(d);
	if (VARSIZE_ANY_EXHDR(b) != SEAL_HASH_LEN)
		return false;
	memcpy(out, VARDATA_ANY(b), SEAL_HASH_LEN);
	return true;
}

/* A seal row (of the seals query's columns), checked against itself. */
VSeal *
ParseSeal(SealReader *reader, HeapTuple tup, TupleDesc desc)
{
	VSeal	   *s = palloc0(sizeof(VSeal));
	bool		isnull;
	int64	   *nums[4];
	Datum		d;

	nums[0] = &s->f.id;
	nums[1] = &s->f.first_id;
	nums[2] = &s->f.last_id;
	nums[3] = &s->f.events;
	for (int i = 0; i < 4; i++)
	{
		d = heap_getattr(tup, Anum_seals_id + i, desc, &isnull);
		*nums[i] = isnull ? 0 : DatumGetInt64(d);
		if (isnull)
			s->malformed = "a NULL field";
	}
	d = heap_getattr(tup, Anum_seals_sealed_at, desc, &isnull);
	s->f.sealed_at = isnull ? 0 : DatumGetTimestampTz(d);
	(void) heap_getattr(tup, Anum_seals_prev_hash, desc, &isnull);
	s->f.has_prev = !isnull;
	if (s->f.has_prev && !CopyHash(tup, desc, Anum_seals_prev_hash, s->f.prev_hash))
		s->malformed = "prev_hash";
	if (!CopyHash(tup, desc, Anum_seals_hash, s->hash))
		s->malformed = "hash";
	if (!CopyHash(tup, desc, Anum_seals_events_hash, s->f.events_hash))
		s->malformed = "events_hash";
	if (!CopyHash(tup, desc, Anum_seals_rows_hash, s->f.rows_hash))
		s->malformed = "rows_hash";
	d = heap_getattr(tup, Anum_seals_gaps, desc, &isnull);
	if (isnull)
		s->f.ngaps = -1;
	else
		SealGapsFromArray(d, &s->f);
	if (s->f.ngaps < 0)
		s->malformed = "gaps";
	else
	{
		SealReaderHash(reader, &s->f, s->computed);
		s->self_ok = s->malformed == NULL && memcmp(s->computed, s->hash, SEAL_HASH_LEN) == 0;
	}
	s->lo = s->f.first_id;
	s->hi = s->f.last_id;
	return s;
}

/* Frees a seal read by ParseSeal. */
void
FreeSeal(VSeal *s)
{
	if (s == NULL)
		return;
	if (s->f.gaps)
		pfree(s->f.gaps);
	pfree(s);
}

/* ------------------------------------------------------------------------
 * purge records
 * ------------------------------------------------------------------------
 */

/* Adds one row of auditlog.seal_purges to what purges removed from its seal. */
static void
ReadPurgeRow(SealPurge *sp, int64 events, bytea *removed)
{
	int64		len;
	const uint8 *data;
	int64		k;

	if (events < 1)
		sp->malformed = "it removes no event";
	/* a forged count must not wrap the sum around to a plausible one */
	if (pg_add_s64_overflow(sp->events, events, &sp->events))
	{
		sp->malformed = "it removes more events than a seal can hold";
		sp->events = PG_INT64_MAX;
		return;
	}
	if (removed == NULL)
	{
		sp->whole = true;
		return;
	}
	len = VARSIZE_ANY_EXHDR(removed);
	data = (const uint8 *) VARDATA_ANY(removed);
	if (len % SEAL_PURGED_LEN != 0 || len / SEAL_PURGED_LEN != events)
	{
		sp->malformed = "its digests are not those of the events it removed";
		return;
	}
	sp->removed = sp->removed ?
		repalloc(sp->removed, sizeof(SealDigest) * (sp->n_removed + events)) :
		palloc(sizeof(SealDigest) * events);
	for (k = 0; k < events; k++)
	{
		SealDigest *d = &sp->removed[sp->n_removed + k];

		SealUnpackDigest(data + k * SEAL_PURGED_LEN, d);
		if (k > 0 && d->id <= d[-1].id)
			sp->malformed = "its digests are not in id order";
	}
	sp->n_removed += events;
}

/*
 * What purges removed from the seals lo to hi, by seal id, one entry per
 * seal that lost events (the caller is connected to SPI).
 */
SealPurge *
LoadPurges(int64 lo, int64 hi, int *n)
{
	SpiArgs		args = {0};
	SealPurge  *out;
	uint64		rows;
	int			k = -1;

	SpiArg(&args, INT8OID, Int64GetDatum(lo));
	SpiArg(&args, INT8OID, Int64GetDatum(hi));
	rows = SpiExec("SELECT p.seal_id, p.events, p.removed FROM auditlog.seal_purges p"
				   " WHERE p.seal_id OPERATOR(pg_catalog.>=) $1 AND p.seal_id OPERATOR(pg_catalog.<=) $2"
				   " ORDER BY p.seal_id, p.purge_id", &args, SPI_OK_SELECT);
	out = palloc0(sizeof(SealPurge) * Max(rows, 1));
	for (uint64 i = 0; i < rows; i++)
	{
		bool		isnull;
		int64		seal_id = DatumGetInt64(SpiGetDatum(i, 1, &isnull));
		int64		events = DatumGetInt64(SpiGetDatum(i, 2, &isnull));
		Datum		removed = SpiGetDatum(i, 3, &isnull);

		if (k < 0 || out[k].seal_id != seal_id)
			out[++k].seal_id = seal_id;
		ReadPurgeRow(&out[k], events, isnull ? NULL : DatumGetByteaPP(removed));
	}
	/* the digests of partial purges before the last one: of no use any more */
	for (int i = 0; i <= k; i++)
	{
		if (out[i].whole && out[i].removed)
		{
			pfree(out[i].removed);
			out[i].removed = NULL;
			out[i].n_removed = 0;
		}
		else if (out[i].n_removed > 1 && !out[i].malformed)
			qsort(out[i].removed, out[i].n_removed, sizeof(SealDigest), CompareDigestIds);
	}
	*n = k + 1;
	return out;
}

/* By id. */
static int
CompareDigestIds(const void *a, const void *b)
{
	int64		ia = ((const SealDigest *) a)->id;
	int64		ib = ((const SealDigest *) b)->id;

	return ia < ib ? -1 : ia > ib;
}

/* Frees what LoadPurges returned. */
void
FreePurges(SealPurge *purges, int n)
{
	for (int i = 0; i < n; i++)
	{
		if (purges[i].removed)
			pfree(purges[i].removed);
	}
	pfree(purges);
}

/* The purges of one seal, or NULL when none removed any of its events. */
const SealPurge *
FindPurge(const SealPurge *purges, int n, int64 seal_id)
{
	int			lo = 0,
				hi = n - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (purges[mid].seal_id == seal_id)
			return &purges[mid];
		if (purges[mid].seal_id < seal_id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}
