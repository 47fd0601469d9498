/*-------------------------------------------------------------------------
 *
 * src/verify.c
 *	  auditlog.verify(): recomputes the seals and says which ones broke.
 *
 * The seals are read in id order, in windows of consecutive seals spanning
 * about two seals' worth of ids; the events of a window are read with one
 * query and digested as they come (seal_format.c), then checked seal by
 * seal. Each seal is checked on its own, against what it can prove:
 *
 *	- itself: its hash must be the hash of its own fields, else the seal
 *	  row was edited;
 *	- its link: its prev_hash must be the previous seal's hash (or the hash
 *	  the previous seal's fields give, when that one was edited: the edit
 *	  is then that seal's problem, not this one's), and its range must
 *	  follow the previous one's;
 *	- its events: every id of its range that had an event must have one
 *	  (else removed), no other id may (else added), and their content must
 *	  give its events_hash (else changed; when the stored rows still give
 *	  rows_hash, what changed is a dictionary string they point at).
 *
 * Events are given to the seal whose range holds them; an edited seal's
 * range is taken as what its neighbours leave for it, so that an edited
 * range does not make the next seal look robbed. Seal ids run from 1
 * without a gap: a missing seal id is one row, "missing", with the ids no
 * seal covers any more.
 *
 * Purge (retention) is not tampering. A purge keeps every seal, and
 * records in auditlog.seal_purges, per seal it takes events from, how many
 * it removed and, unless they were the seal's last, their digests (id and
 * content digest: SEAL_PURGED_LEN bytes each), after checking that seal
 * (AuditCheckSeal). verify() merges those digests with the digests of the
 * events still there, so that a partly purged seal's events_hash checks
 * exactly as before (its rows_hash, which only tells a changed dictionary
 * string from a changed event, cannot be: the removed rows are gone); of a
 * seal whose events all went, it checks the seal itself, its link, that the
 * purges removed as many events as it had, and that no event is in its
 * range.
 *
 * Reading the seal rows (each parsed and hashed again as it comes) and
 * the purge records is verify_read.c's.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "catalog.h"
#include "owner.h"
#include "seal.h"
#include "seal_format.h"
#include "spi_util.h"
#include "verify_read.h"

#define WINDOW_IDS		(2 * SEAL_MAX_IDS)
#define WINDOW_SEALS	1024
#define FETCH_SEALS		256
#define IDS_NAMED		5		/* ids a problem names before "..." */
#define Natts_verify	6

/* Ids named by a problem: how many, and the first few. */
typedef struct IdList
{
	int64		count;
	int64		ids[IDS_NAMED];
} IdList;

typedef struct VerifyState
{
	SealReader *reader;
	SealPurge  *purges;			/* of the window's seals, by seal id */
	int			n_purges;
	Portal		seals;			/* auditlog.seals, by id */
	SPITupleTable *batch;		/* fetched seals not consumed yet */
	uint64		batch_pos;
	int64		from;
	int64		to;
	VSeal	   *prev;			/* the seal before the window */
	VSeal	   *peek;			/* the seal after it, read ahead */
	SealDigests digests;
	Tuplestorestate *store;
	TupleDesc	desc;
} VerifyState;

static void CheckArgs(FunctionCallInfo fcinfo, int64 *from, int64 *to);
static Tuplestorestate *BeginResult(FunctionCallInfo fcinfo, TupleDesc *desc);
static VSeal *ReadSeal(VerifyState *vs);
static void AddId(IdList *l, int64 id);
static void AddIds(IdList *l, int64 a, int64 b);
static void AppendIds(StringInfo p, const IdList *l, const char *what);
static void AppendProblem(StringInfo p, const char *fmt,...) pg_attribute_printf(2, 3);
static void CheckLink(StringInfo p, const VSeal *s, const VSeal *prev);
static bool CheckIds(StringInfo p, const VSeal *s, const SealDigest *d, int64 n);
static void CheckContent(SealReader *r, StringInfo p, const VSeal *s,
						 const SealDigest *d, int64 n, const SealPurge *purge);
static SealDigest *MergeDigests(const SealDigest *a, int64 na, const SealDigest *b, int64 nb);
static void CheckEvents(SealReader *r, StringInfo p, const VSeal *s, const SealPurge *purge,
						const SealDigest *d, int64 n);
static void EmitRow(VerifyState *vs, int64 seal_id, int64 first_id, int64 last_id,
					int64 events, StringInfo problem);
static void EmitMissing(VerifyState *vs, int64 first, int64 last, int64 lo, int64 hi,
						const SealDigest *d, int64 n);
static void SetRanges(VSeal **win, int nwin, const VSeal *prev, const VSeal *peek);
static void VerifyWindow(VerifyState *vs, VSeal **win, int nwin);
static bool InGap(const VSeal *s, int64 id, int *g);
static void AddMissing(const VSeal *s, int64 a, int64 b, int *g, IdList *l);
static void CheckSeal(VerifyState *vs, const VSeal *s, const VSeal *prev,
					  const SealDigest *d, int64 n);
static bool MissingBefore(const VerifyState *vs);

/* ------------------------------------------------------------------------
 * internal: arguments, result, reading seals
 * ------------------------------------------------------------------------
 */

/*
 * The range of seals asked for, checked against those that exist (the
 * caller is connected to SPI): to is at most the newest seal's id.
 */
static void
CheckArgs(FunctionCallInfo fcinfo, int64 *from, int64 *to)
{
	const char *names[2] = {"from_seal", "to_seal"};
	int64		newest;

	*from = PG_ARGISNULL(0) ? 1 : PG_GETARG_INT64(0);
	*to = PG_ARGISNULL(1) ? PG_INT64_MAX : PG_GETARG_INT64(1);
	for (int i = 0; i < 2; i++)
	{
		int64		v = i == 0 ? *from : *to;

		if (!PG_ARGISNULL(i) && v < 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must be a seal id, 1 or more, not " INT64_FORMAT, names[i], v),
					 errhint("Seals are numbered from 1; pass NULL for an open end.")));
	}
	if (*from > *to)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("from_seal " INT64_FORMAT " is after to_seal " INT64_FORMAT, *from, *to),
				 errhint("Pass from_seal <= to_seal, or NULL for an open end.")));
	SpiExec("SELECT COALESCE(pg_catalog.max(s.id), 0) FROM auditlog.seals s", NULL, SPI_OK_SELECT);
	newest = SpiFirstInt64(0);
	for (int i = 0; i < 2; i++)
	{
		int64		v = i == 0 ? *from : *to;

		if (!PG_ARGISNULL(i) && v > newest)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s " INT64_FORMAT " names no seal", names[i], v),
					 newest > 0 ? errdetail("The newest seal is " INT64_FORMAT ".", newest) :
					 errdetail("Nothing has been sealed yet."),
					 errhint("The seals are the rows of auditlog.seals; pass NULL to verify up to the newest.")));
	}
	*to = Min(*to, newest);
}

/* Sets up materialized set-returning output in the shape of the declared result. */
static Tuplestorestate *
BeginResult(FunctionCallInfo fcinfo, TupleDesc *desc)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old;
	Tuplestorestate *store;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("auditlog.verify() must be called where a set of rows is accepted"),
				 errhint("Call it in FROM: SELECT * FROM auditlog.verify().")));
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	if (get_call_result_type(fcinfo, NULL, desc) != TYPEFUNC_COMPOSITE ||
		(*desc)->natts != Natts_verify)
		elog(ERROR, "auditlog: auditlog.verify() must return %d columns", Natts_verify);
	*desc = CreateTupleDescCopy(*desc);
	store = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = store;
	rsinfo->setDesc = *desc;
	MemoryContextSwitchTo(old);
	return store;
}

/* The next seal, in id order, checked against itself; NULL after the last. */
static VSeal *
ReadSeal(VerifyState *vs)
{
	if (vs->batch == NULL || vs->batch_pos >= vs->batch->numvals)
	{
		if (vs->batch)
			SPI_freetuptable(vs->batch);
		SPI_cursor_fetch(vs->seals, true, FETCH_SEALS);
		vs->batch = SPI_tuptable;
		vs->batch_pos = 0;
		if (SPI_processed == 0)
			return NULL;
	}
	return ParseSeal(vs->reader, vs->batch->vals[vs->batch_pos++], vs->batch->tupdesc);
}

/* ------------------------------------------------------------------------
 * internal: the checks of one seal
 * ------------------------------------------------------------------------
 */

/* Adds one id to a list. */
static void
AddId(IdList *l, int64 id)
{
	if (l->count < IDS_NAMED)
		l->ids[l->count] = id;
	l->count++;
}

/* Adds the ids a to b to a list. */
static void
AddIds(IdList *l, int64 a, int64 b)
{
	uint64		span = (uint64) b - (uint64) a + 1;	/* a forged range may be huge */

	if (b < a)
		return;
	for (int64 id = a, i = l->count; i < IDS_NAMED; id++, i++)
	{
		l->ids[i] = id;
		if (id == b)
			break;
	}
	if (span == 0 || span > (uint64) (PG_INT64_MAX - l->count))
		l->count = PG_INT64_MAX;
	else
		l->count += (int64) span;
}

/* One problem more, after a "; " when there are others. */
static void
AppendProblem(StringInfo p, const char *fmt,...)
{
	va_list		args;
	int			needed;

	if (p->len > 0)
		appendStringInfoString(p, "; ");
	for (;;)
	{
		va_start(args, fmt);
		needed = appendStringInfoVA(p, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(p, needed);
	}
}

/* "event 57 removed", "3 events removed: 57, 58, 60", with "..." past the first few. */
static void
AppendIds(StringInfo p, const IdList *l, const char *what)
{
	if (l->count == 0)
		return;
	if (l->count == 1)
	{
		AppendProblem(p, "event " INT64_FORMAT " %s", l->ids[0], what);
		return;
	}
	AppendProblem(p, INT64_FORMAT " events %s:", l->count, what);
	for (int i = 0; i < Min(l->count, IDS_NAMED); i++)
		appendStringInfo(p, "%s " INT64_FORMAT, i > 0 ? "," : "", l->ids[i]);
	if (l->count > IDS_NAMED)
		appendStringInfoString(p, ", ...");
}

/* The seal's place in the chain: its prev_hash and its range, after the previous seal's. */
static void
CheckLink(StringInfo p, const VSeal *s, const VSeal *prev)
{
	if (s->f.id == 1)
	{
		if (s->f.has_prev)
			AppendProblem(p, "chain broken: seal 1 has a prev_hash");
		if (s->f.first_id != 1)
			AppendProblem(p, "range broken: seal 1 starts at id " INT64_FORMAT ", not 1",
						  s->f.first_id);
		return;
	}
	/* after a missing seal, the missing one's row says what broke */
	if (prev == NULL || prev->f.id != s->f.id - 1)
		return;
	if (!s->f.has_prev)
		AppendProblem(p, "chain broken: prev_hash is NULL");
	else if (memcmp(s->f.prev_hash, prev->hash, SEAL_HASH_LEN) != 0 &&
			 (prev->self_ok || prev->f.ngaps < 0 ||
			  memcmp(s->f.prev_hash, prev->computed, SEAL_HASH_LEN) != 0))
		AppendProblem(p, "chain broken: prev_hash is not the hash of seal " INT64_FORMAT,
					  prev->f.id);
	/* an edited previous seal's range is its own problem */
	if (prev->self_ok && s->f.first_id != prev->f.last_id + 1)
		AppendProblem(p, "range broken: first_id " INT64_FORMAT " does not follow last_id "
					  INT64_FORMAT " of seal " INT64_FORMAT,
					  s->f.first_id, prev->f.last_id, prev->f.id);
}

/* True when id is in one of the seal's gaps; *g moves forward with id. */
static bool
InGap(const VSeal *s, int64 id, int *g)
{
	while (*g < s->f.ngaps && s->f.gaps[2 * *g + 1] < id)
		(*g)++;
	return *g < s->f.ngaps && s->f.gaps[2 * *g] <= id;
}

/* Adds to l the ids a to b that are in no gap; *g moves forward with a. */
static void
AddMissing(const VSeal *s, int64 a, int64 b, int *g, IdList *l)
{
	while (a <= b)
	{
		int64		end;

		while (*g < s->f.ngaps && s->f.gaps[2 * *g + 1] < a)
			(*g)++;
		if (*g < s->f.ngaps && s->f.gaps[2 * *g] <= a)
		{
			if (s->f.gaps[2 * *g + 1] >= b)
				return;
			a = s->f.gaps[2 * *g + 1] + 1;
			continue;
		}
		end = (*g < s->f.ngaps && s->f.gaps[2 * *g] <= b) ? s->f.gaps[2 * *g] - 1 : b;
		AddIds(l, a, end);
		if (end >= b)
			return;
		a = end + 1;
	}
}

/*
 * The seal's events against its range and gaps: an id of the range with
 * no gap must have one event, no other id any. False when one does not.
 */
static bool
CheckIds(StringInfo p, const VSeal *s, const SealDigest *d, int64 n)
{
	IdList		added = {0};
	IdList		removed = {0};
	int			in_gap = 0;
	int			missing = 0;
	int64		next = s->f.first_id;	/* the first id of the range not walked */
	bool		walked_all = false;

	for (int64 i = 0; i < n; i++)
	{
		int64		id = d[i].id;

		if ((i > 0 && id == d[i - 1].id) || id < s->f.first_id || id > s->f.last_id ||
			InGap(s, id, &in_gap))
		{
			AddId(&added, id);
			continue;
		}
		AddMissing(s, next, id - 1, &missing, &removed);
		walked_all = (id == PG_INT64_MAX);
		next = walked_all ? id : id + 1;
	}
	if (!walked_all)
		AddMissing(s, next, s->f.last_id, &missing, &removed);
	AppendIds(p, &removed, "removed");
	AppendIds(p, &added, "added");
	return added.count == 0 && removed.count == 0;
}

/*
 * The seal's events (with what purges removed) against its hashes: what
 * changed, when something did. The row digests are read only then, for
 * this seal alone: a sound log never needs them. (A partly purged seal's
 * rows_hash cannot be recomputed: its removed rows are gone.)
 */
static void
CheckContent(SealReader *r, StringInfo p, const VSeal *s, const SealDigest *d, int64 n,
			 const SealPurge *purge)
{
	uint8		h[SEAL_HASH_LEN];
	SealDigests again = {0};

	SealReaderCombine(r, d, n, false, h);
	if (memcmp(h, s->f.events_hash, SEAL_HASH_LEN) == 0)
		return;
	if (purge && purge->n_removed > 0)
	{
		AppendProblem(p, "event changed: the content of its events is not the one sealed"
					  " (or a dictionary string they show, or a purge record of it)");
		return;
	}
	SealReaderDigest(r, s->lo, s->hi, true, &again);
	SealReaderCombine(r, again.items, again.n, true, h);
	if (again.items)
		pfree(again.items);
	if (memcmp(h, s->f.rows_hash, SEAL_HASH_LEN) == 0)
		AppendProblem(p, "dictionary string changed: a label or action its events show is not the one sealed");
	else
		AppendProblem(p, "event changed: the content of its events is not the one sealed");
}

/* Two digest lists sorted by id, merged into one (palloc'd). */
static SealDigest *
MergeDigests(const SealDigest *a, int64 na, const SealDigest *b, int64 nb)
{
	SealDigest *m = palloc(sizeof(SealDigest) * Max(na + nb, 1));
	int64		i = 0,
				j = 0,
				k = 0;

	while (i < na || j < nb)
	{
		if (j >= nb || (i < na && a[i].id <= b[j].id))
			m[k++] = a[i++];
		else
			m[k++] = b[j++];
	}
	return m;
}

/*
 * The seal's events against its range and hashes, with what purges
 * removed from it: the removed events count as there. Of a seal whose
 * events all went, nothing can be checked but that no event is there.
 */
static void
CheckEvents(SealReader *r, StringInfo p, const VSeal *s, const SealPurge *purge,
			const SealDigest *d, int64 n)
{
	SealDigest *all;

	if (purge == NULL)
	{
		if (CheckIds(p, s, d, n))
			CheckContent(r, p, s, d, n, NULL);
		return;
	}
	if (purge->malformed)
	{
		AppendProblem(p, "purge record edited: %s", purge->malformed);
		return;
	}
	if (purge->whole)
	{
		IdList		added = {0};

		if (purge->events != s->f.events)
			AppendProblem(p, "purge record edited: the purges removed " INT64_FORMAT
						  " of its " INT64_FORMAT " events", purge->events, s->f.events);
		for (int64 i = 0; i < n; i++)
			AddId(&added, d[i].id);
		AppendIds(p, &added, "added");
		return;
	}
	all = MergeDigests(d, n, purge->removed, purge->n_removed);
	if (CheckIds(p, s, all, n + purge->n_removed))
		CheckContent(r, p, s, all, n + purge->n_removed, purge);
	pfree(all);
}

/* One seal, every check, one row. */
static void
CheckSeal(VerifyState *vs, const VSeal *s, const VSeal *prev, const SealDigest *d, int64 n)
{
	StringInfoData p;

	initStringInfo(&p);
	if (s->malformed)
		AppendProblem(&p, "seal edited: its %s is not one seal() writes", s->malformed);
	else if (!s->self_ok)
		AppendProblem(&p, "seal edited: its hash is not the hash of its fields");
	CheckLink(&p, s, prev);
	/* an edited seal's fields prove nothing about its events */
	if (s->self_ok)
		CheckEvents(vs->reader, &p, s, FindPurge(vs->purges, vs->n_purges, s->f.id), d, n);
	EmitRow(vs, s->f.id, s->f.first_id, s->f.last_id, s->f.events, &p);
	pfree(p.data);
}

/* One row of the result; ok when there is no problem. */
static void
EmitRow(VerifyState *vs, int64 seal_id, int64 first_id, int64 last_id, int64 events,
		StringInfo problem)
{
	Datum		values[Natts_verify];
	bool		nulls[Natts_verify] = {0};

	values[0] = Int64GetDatum(seal_id);
	values[1] = Int64GetDatum(first_id);
	values[2] = Int64GetDatum(last_id);
	values[3] = Int64GetDatum(events);
	values[4] = BoolGetDatum(problem->len == 0);
	if (problem->len == 0)
		nulls[5] = true;
	else
		values[5] = CStringGetTextDatum(problem->data);
	tuplestore_putvalues(vs->store, vs->desc, values, nulls);
}

/*
 * The row of seals first to last, which are missing: the ids lo to hi are
 * covered by no seal any more, and d holds their events.
 */
static void
EmitMissing(VerifyState *vs, int64 first, int64 last, int64 lo, int64 hi,
			const SealDigest *d, int64 n)
{
	StringInfoData p;

	if (last < vs->from || first > vs->to)
		return;
	if (lo == PG_INT64_MIN)
		lo = (n > 0 && d[0].id < 1) ? d[0].id : 1;
	initStringInfo(&p);
	if (first == last)
		AppendProblem(&p, "seal " INT64_FORMAT " missing", first);
	else
		AppendProblem(&p, "seals " INT64_FORMAT " to " INT64_FORMAT " missing", first, last);
	if (n > 0)
		appendStringInfo(&p, ": no seal covers the " INT64_FORMAT " events of ids " INT64_FORMAT
						 " to " INT64_FORMAT, n, lo, hi);
	EmitRow(vs, Max(first, vs->from), lo, hi, n, &p);
	pfree(p.data);
}

/* ------------------------------------------------------------------------
 * internal: windows of seals
 * ------------------------------------------------------------------------
 */

/*
 * The ids whose events each seal of the window is given: from the end of
 * the previous seal's (id 1: from the very first id, so that an event
 * forged below it is seen), to its own last_id; for an edited seal, whose
 * last_id may be forged, to the start of the next seal when that one is
 * sound.
 */
static void
SetRanges(VSeal **win, int nwin, const VSeal *prev, const VSeal *peek)
{
	for (int i = 0; i < nwin; i++)
	{
		VSeal	   *s = win[i];
		const VSeal *p = i > 0 ? win[i - 1] : prev;
		const VSeal *n = i + 1 < nwin ? win[i + 1] : peek;

		if (p && p->f.id == s->f.id - 1 && p->hi < PG_INT64_MAX)
			s->lo = p->hi + 1;
		else if (s->f.id == 1)
			s->lo = PG_INT64_MIN;
		else
			s->lo = s->f.first_id;
		if (!s->self_ok && n && n->f.id == s->f.id + 1 && n->self_ok &&
			n->f.first_id > PG_INT64_MIN)
			s->hi = n->f.first_id - 1;
		else
			s->hi = s->f.last_id;
	}
}

/* Reads the events of a window of seals once, and checks each seal (and each missing one). */
static void
VerifyWindow(VerifyState *vs, VSeal **win, int nwin)
{
	const VSeal *first_prev = vs->prev;
	SealDigest *d;
	int64		n;
	int64		lo;
	int64		pos = 0;

	SetRanges(win, nwin, vs->prev, vs->peek);
	if (first_prev && first_prev->f.id < win[0]->f.id - 1 && first_prev->hi < PG_INT64_MAX)
		lo = first_prev->hi + 1;	/* a missing seal before: its ids too */
	else if (first_prev == NULL && win[0]->f.id > 1)
		lo = PG_INT64_MIN;
	else
		lo = win[0]->lo;
	vs->digests.n = 0;
	if (win[nwin - 1]->hi >= lo)
		SealReaderDigest(vs->reader, lo, win[nwin - 1]->hi, false, &vs->digests);
	d = vs->digests.items;
	n = vs->digests.n;
	vs->purges = LoadPurges(win[0]->f.id, win[nwin - 1]->f.id, &vs->n_purges);

	for (int i = 0; i < nwin; i++)
	{
		const VSeal *s = win[i];
		const VSeal *p = i > 0 ? win[i - 1] : first_prev;
		int64		k;

		if (p ? p->f.id < s->f.id - 1 : s->f.id > 1)
		{
			int64		mlo = (p && p->hi < PG_INT64_MAX) ? p->hi + 1 : PG_INT64_MIN;
			int64		mhi = s->lo > PG_INT64_MIN ? s->lo - 1 : s->lo;

			for (k = pos; k < n && d[k].id <= mhi; k++)
				;
			EmitMissing(vs, p ? p->f.id + 1 : 1, s->f.id - 1, mlo, mhi, d + pos, k - pos);
			pos = k;
		}
		while (pos < n && d[pos].id < s->lo)
			pos++;
		for (k = pos; k < n && d[k].id <= s->hi; k++)
			;
		if (s->f.id >= vs->from && s->f.id <= vs->to)
			CheckSeal(vs, s, p, d + pos, k - pos);
		pos = k;
	}
	FreePurges(vs->purges, vs->n_purges);
	vs->purges = NULL;
	vs->n_purges = 0;
}

/* True when seals between the previous one and the next one read are missing, and asked for. */
static bool
MissingBefore(const VerifyState *vs)
{
	int64		first = vs->prev ? vs->prev->f.id + 1 : 1;

	return Max(first, vs->from) <= Min(vs->peek->f.id - 1, vs->to);
}

/* ------------------------------------------------------------------------
 * exported
 * ------------------------------------------------------------------------
 */

/*
 * For auditlog.purge(), before it removes events of a seal: checks the
 * seal against itself and against its events as they are now, with what
 * earlier purges removed, and reads the content digests of the events
 * still there into *present. *sealed is how many events the seal has,
 * *remaining how many of them are left. Returns NULL when the seal is
 * sound, else what is wrong. (Its link to the previous seal is verify()'s
 * to check: a purge keeps every seal.) The caller is connected to SPI.
 */
char *
AuditCheckSeal(SealReader *r, int64 seal_id, int64 *sealed, int64 *remaining,
			   SealDigests *present)
{
	SpiArgs		args = {0};
	StringInfoData p;
	VSeal	   *s;
	SealPurge  *purges;
	int			n_purges;
	const SealPurge *purge;

	SpiArg(&args, INT8OID, Int64GetDatum(seal_id));
	if (SpiExec("SELECT s.id, s.first_id, s.last_id, s.events, s.prev_hash, s.hash,"
				" s.sealed_at, s.events_hash, s.rows_hash, s.gaps"
				" FROM auditlog.seals s WHERE s.id OPERATOR(pg_catalog.=) $1",
				&args, SPI_OK_SELECT) != 1)
		return psprintf("seal " INT64_FORMAT " missing", seal_id);
	s = ParseSeal(r, SPI_tuptable->vals[0], SPI_tuptable->tupdesc);
	initStringInfo(&p);
	present->n = 0;
	*sealed = s->f.events;
	*remaining = 0;
	if (s->malformed)
		AppendProblem(&p, "seal edited: its %s is not one seal() writes", s->malformed);
	else if (!s->self_ok)
		AppendProblem(&p, "seal edited: its hash is not the hash of its fields");
	else
	{
		purges = LoadPurges(seal_id, seal_id, &n_purges);
		purge = FindPurge(purges, n_purges, seal_id);
		SealReaderDigest(r, s->lo, s->hi, false, present);
		CheckEvents(r, &p, s, purge, present->items, present->n);
		*remaining = s->f.events - (purge ? purge->events : 0);
		FreePurges(purges, n_purges);
	}
	FreeSeal(s);
	return p.len > 0 ? p.data : NULL;
}

/* ------------------------------------------------------------------------
 * SQL-callable functions
 * ------------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(auditlog_verify);
/*
 * auditlog.verify(from_seal bigint DEFAULT NULL, to_seal bigint DEFAULT
 * NULL) RETURNS TABLE(seal_id, first_id, last_id, events, ok, problem):
 * one row per seal (and per run of missing seals), recomputed from the
 * events and the seals as they are now.
 */
Datum
auditlog_verify(PG_FUNCTION_ARGS)
{
	VerifyState vs = {0};
	AuditOwnerState st;
	SpiArgs		args = {0};
	VSeal	   *win[WINDOW_SEALS];
	int64		start;

	vs.store = BeginResult(fcinfo, &vs.desc);
	AuditConnectAsOwner(&st);
	CheckArgs(fcinfo, &vs.from, &vs.to);

	/*
	 * Not beside a purge: a window's events and its purge records are read
	 * by two queries, and a purge committing between them made a sound
	 * seal look tampered with ("events added"). purge() holds this lock
	 * exclusively; verify() waits for a purge under way, and a purge waits
	 * for it. (On a standby, replayed purges are not held off.)
	 */
	if (!RecoveryInProgress())
		SpiExec("SELECT pg_catalog.pg_advisory_xact_lock_shared("
				"'auditlog.seal_purges'::pg_catalog.regclass::pg_catalog.oid::pg_catalog.int8)",
				NULL, SPI_OK_SELECT);
	/* from the seal before from_seal: the first one's link is checked too */
	SpiArg(&args, INT8OID, Int64GetDatum(vs.from));
	SpiExec("SELECT pg_catalog.max(s.id) FROM auditlog.seals s WHERE s.id OPERATOR(pg_catalog.<) $1",
			&args, SPI_OK_SELECT);
	start = SpiFirstInt64(vs.from);
	SpiArg(&args, INT8OID, Int64GetDatum(vs.to < PG_INT64_MAX ? vs.to + 1 : vs.to));
	args.values[0] = Int64GetDatum(start);
	vs.seals = SPI_cursor_open_with_args(NULL,
										 "SELECT s.id, s.first_id, s.last_id, s.events, s.prev_hash, s.hash,"
										 " s.sealed_at, s.events_hash, s.rows_hash, s.gaps"
										 " FROM auditlog.seals s WHERE s.id OPERATOR(pg_catalog.>=) $1"
										 " AND s.id OPERATOR(pg_catalog.<=) $2 ORDER BY s.id",
										 args.n, args.types, args.values, NULL, false, 0);
	vs.reader = SealReaderCreate();
	vs.peek = ReadSeal(&vs);
	if (vs.peek && vs.peek->f.id < vs.from)
	{
		vs.prev = vs.peek;
		vs.prev->hi = vs.prev->f.last_id;
		vs.peek = ReadSeal(&vs);
	}
	/* a seal past to_seal is read too when seals before it, up to to_seal, are missing */
	while (vs.peek && (vs.peek->f.id <= vs.to || MissingBefore(&vs)))
	{
		int			nwin = 0;
		uint64		span = 0;

		while (vs.peek && (nwin == 0 || (vs.peek->f.id <= vs.to && nwin < WINDOW_SEALS &&
										 span < WINDOW_IDS)))
		{
			if (vs.peek->f.last_id >= vs.peek->f.first_id)
				span += (uint64) vs.peek->f.last_id - (uint64) vs.peek->f.first_id + 1;
			win[nwin++] = vs.peek;
			vs.peek = ReadSeal(&vs);
		}
		VerifyWindow(&vs, win, nwin);
		FreeSeal(vs.prev);
		for (int i = 0; i < nwin - 1; i++)
			FreeSeal(win[i]);
		vs.prev = win[nwin - 1];
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(vs.seals);
	SealReaderFree(vs.reader);
	AuditFinishAsOwner(&st);
	return (Datum) 0;
}
