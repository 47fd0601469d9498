/*-------------------------------------------------------------------------
 *
 * src/seal_format.c
 *	  What a seal hashes: the events of a range, and the seal itself.
 *
 * Format version 1, which anyone can recompute from auditlog.events and
 * auditlog.seals alone (test/tap/seal_format.sql does, in SQL):
 *
 * An event is serialized as the 14 columns of auditlog.events in the
 * view's order (id, occurred_at, actor, actor_id, action, resource_type,
 * resource_id, outcome, org_id, details, db_user, client_addr,
 * application_name, txid), each one as
 *		0x00									when NULL, or
 *		0x01, length (4 bytes, big-endian), text	otherwise,
 * where the text is the column's output as the view shows it with
 * TimeZone = 'UTC' and DateStyle = 'ISO' (2026-05-07 22:39:19.5+00), in
 * the database's encoding: dictionary strings resolved, not their ids. Its
 * digest is the SHA-256 of that. A seal's events_hash is the SHA-256 of the
 * digests of its events, concatenated in id order.
 *
 * The same is done with the stored rows, auditlog.event_store's 14 columns
 * in the table's order with the dictionary ids as decimal numbers, for the
 * seal's rows_hash. It is diagnostic only: when the events no longer give
 * events_hash but the rows still give rows_hash, the rows are untouched and
 * a dictionary string (auditlog.labels, auditlog.action_types) changed.
 *
 * A seal's hash is the SHA-256 of
 *		"auditlog seal v1" (16 bytes of ASCII),
 *		prev_hash (32 zero bytes for seal 1, whose prev_hash is NULL),
 *		id, first_id, last_id, events, and sealed_at as microseconds since
 *		1970-01-01 00:00 UTC (8 bytes each, big-endian, two's complement),
 *		events_hash, rows_hash,
 *		the number of gaps (4 bytes) and each gap's first and last id
 *		(8 bytes each),
 * so that the hash covers every field of its row, and through prev_hash
 * every seal before it. The gaps are the ids in [first_id, last_id] that
 * had no event when sealed (ids taken by transactions that rolled back).
 *
 * Reading is one query per range (a block-range index scan), digesting
 * each row as it comes, with the dictionaries held in memory; the digests
 * are then sorted by id, since the heap holds the events only nearly in
 * id order.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "outcome.h"
#include "seal_format.h"
#include "sha256.h"
#include "spi_util.h"

#define SEAL_MAGIC			"auditlog seal v1"
#define FETCH_ROWS			1000	/* rows per batch of per-row memory */

/* auditlog.event_store's columns in its order (Anum_event_store_*), in a range of ids */
#define EVENTS_QUERY \
	"SELECT " SEAL_EVENT_COLUMNS " FROM auditlog.event_store e" \
	" WHERE e.id OPERATOR(pg_catalog.>=) $1 AND e.id OPERATOR(pg_catalog.<=) $2"
#define COMBINE_BATCH		256

/* One dictionary (labels, or actions) held in memory, by id. */
typedef struct SealDict
{
	int			n;
	int32	   *ids;			/* ascending */
	char	  **strs;
	int		   *lens;
	int32		dense_max;		/* with 'slot': index by id, when ids are dense */
	int		   *slot;
} SealDict;

struct SealReader
{
	MemoryContext cxt;			/* the reader's: buffers */
	MemoryContext dict_cxt;		/* the dictionaries, read again on a miss */
	MemoryContext batch_cxt;	/* one fetched batch of rows */
	AuditSha   *sha;
	pg_tz	   *utc;
	bool		loaded;
	bool		reloaded;		/* dictionaries read again during this scan */
	SealDict	labels;
	SealDict	actions;
	StringInfoData content;
	StringInfoData row;
};

#if PG_VERSION_NUM >= 140000
/* Where the executor sends the event rows. */
typedef struct DigestReceiver
{
	DestReceiver pub;
	SealReader *r;
	SealDigests *out;
	bool		rows;
	int			in_batch;		/* rows since batch_cxt was reset */
} DigestReceiver;

static void DigestStartup(DestReceiver *self, int operation, TupleDesc typeinfo);
static bool DigestSlot(TupleTableSlot *slot, DestReceiver *self);
static void DigestShutdown(DestReceiver *self);
static void DigestDestroy(DestReceiver *self);
#endif

static void Sha256(SealReader *r, const void *data, size_t len, uint8 *out);
static void LoadDict(SealReader *r, SealDict *d, const char *sql);
static void LoadDicts(SealReader *r);
static bool DictFind(const SealDict *d, int32 id, const char **str, int *len);
static void PutField(StringInfo buf, const char *s, int len);
static void PutNumber(StringInfo buf, const Datum *values, const bool *nulls, int anum, bool wide);
static void PutInt(StringInfo buf, int64 v);
static void PutResolved(SealReader *r, SealDict *d, const Datum *values, const bool *nulls,
						int anum);
static int	PutDetails(StringInfo buf, const Datum *values, const bool *nulls, int *len);
static int	TimestampText(SealReader *r, TimestampTz ts, char *buf);
static void DigestRow(SealReader *r, const Datum *values, const bool *nulls, bool rows,
					  SealDigest *d);
static SealDigest *NextDigest(SealDigests *out);
static int	CompareDigests(const void *a, const void *b);
static void PutBigEndian(uint8 *p, uint64 v, int bytes);

/* ------------------------------------------------------------------------
 * internal
 * ------------------------------------------------------------------------
 */

/* SHA-256 of one buffer. */
static void
Sha256(SealReader *r, const void *data, size_t len, uint8 *out)
{
	AuditShaBegin(r->sha);
	AuditShaAdd(r->sha, data, len);
	AuditShaEnd(r->sha, out);
}

/* Reads one dictionary (SQL giving id and string, by id) into memory. */
static void
LoadDict(SealReader *r, SealDict *d, const char *sql)
{
	MemoryContext old;
	SPITupleTable *tt;
	uint64		n;

	SpiExec(sql, NULL, SPI_OK_SELECT);
	tt = SPI_tuptable;
	n = SPI_processed;
	old = MemoryContextSwitchTo(r->dict_cxt);
	d->n = (int) n;
	d->ids = palloc(sizeof(int32) * (n + 1));
	d->strs = palloc(sizeof(char *) * (n + 1));
	d->lens = palloc(sizeof(int) * (n + 1));
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;
		text	   *t;

		d->ids[i] = DatumGetInt32(SPI_getbinval(tt->vals[i], tt->tupdesc, 1, &isnull));
		t = DatumGetTextPP(SPI_getbinval(tt->vals[i], tt->tupdesc, 2, &isnull));
		d->lens[i] = VARSIZE_ANY_EXHDR(t);
		d->strs[i] = palloc(d->lens[i] + 1);
		memcpy(d->strs[i], VARDATA_ANY(t), d->lens[i]);
		d->strs[i][d->lens[i]] = '\0';
	}
	/* identity columns make the ids dense: look them up by index then */
	d->dense_max = -1;
	d->slot = NULL;
	if (n > 0 && d->ids[0] >= 0 && d->ids[n - 1] <= 4 * (int64) n + 1024)
	{
		d->dense_max = d->ids[n - 1];
		d->slot = palloc(sizeof(int) * (d->dense_max + 1));
		for (int32 id = 0; id <= d->dense_max; id++)
			d->slot[id] = -1;
		for (uint64 i = 0; i < n; i++)
			d->slot[d->ids[i]] = (int) i;
	}
	MemoryContextSwitchTo(old);
	SPI_freetuptable(tt);
}

/*
 * Reads both dictionaries afresh (never from the write path's cache), in an
 * SPI connection of its own: it may be called while the events' query runs.
 */
static void
LoadDicts(SealReader *r)
{
	MemoryContextReset(r->dict_cxt);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "auditlog: SPI_connect failed");
	/* by id: the lookups rely on it */
	LoadDict(r, &r->labels, "SELECT l.id, l.label FROM auditlog.labels l ORDER BY l.id");
	LoadDict(r, &r->actions, "SELECT t.id, t.action FROM auditlog.action_types t ORDER BY t.id");
	SPI_finish();
	r->loaded = true;
}

/* The string of a dictionary id; false when there is none. */
static bool
DictFind(const SealDict *d, int32 id, const char **str, int *len)
{
	int			lo = 0,
				hi = d->n - 1;

	if (d->slot)
	{
		int			i = (id >= 0 && id <= d->dense_max) ? d->slot[id] : -1;

		if (i < 0)
			return false;
		*str = d->strs[i];
		*len = d->lens[i];
		return true;
	}
	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (d->ids[mid] == id)
		{
			*str = d->strs[mid];
			*len = d->lens[mid];
			return true;
		}
		if (d->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return false;
}

/* One column: 0x00 for NULL, else 0x01, the length (4 bytes, big-endian), the text. */
static void
PutField(StringInfo buf, const char *s, int len)
{
	uint8		head[5];

	if (s == NULL)
	{
		appendStringInfoCharMacro(buf, '\0');
		return;
	}
	head[0] = 1;
	PutBigEndian(head + 1, (uint32) len, 4);
	appendBinaryStringInfo(buf, (const char *) head, 5);
	appendBinaryStringInfo(buf, s, len);
}

/* A number column, as decimal text. */
static void
PutInt(StringInfo buf, int64 v)
{
	char		digits[MAXINT8LEN + 1];
	int			len = pg_lltoa(v, digits);

	PutField(buf, digits, len);
}

/* A number column (bigint, or int4 when !wide: a dictionary id as stored), or NULL. */
static void
PutNumber(StringInfo buf, const Datum *values, const bool *nulls, int anum, bool wide)
{
	if (nulls[anum - 1])
		PutField(buf, NULL, 0);
	else
		PutInt(buf, wide ? DatumGetInt64(values[anum - 1]) : DatumGetInt32(values[anum - 1]));
}

/*
 * A dictionary id's string, as the view shows it: NULL when the column is
 * or when no such dictionary row exists (the view's outer join). A string
 * missing from what was read may be younger than it: read once more per scan.
 */
static void
PutResolved(SealReader *r, SealDict *d, const Datum *values, const bool *nulls, int anum)
{
	const char *s = NULL;
	int			len = 0;

	if (!nulls[anum - 1])
	{
		int32		id = DatumGetInt32(values[anum - 1]);

		if (!DictFind(d, id, &s, &len) && !r->reloaded)
		{
			r->reloaded = true;
			LoadDicts(r);
			if (!DictFind(d, id, &s, &len))
				s = NULL;
		}
	}
	PutField(&r->content, s, len);
}

/*
 * The details column, its text written where it goes (the largest column:
 * no copy); returns where that text starts in buf, -1 for NULL.
 */
static int
PutDetails(StringInfo buf, const Datum *values, const bool *nulls, int *len)
{
	Jsonb	   *jb;
	int			head = buf->len;
	int			at;

	if (nulls[Anum_event_store_details - 1])
	{
		PutField(buf, NULL, 0);
		return -1;
	}
	jb = DatumGetJsonbP(values[Anum_event_store_details - 1]);
	appendBinaryStringInfo(buf, "\1\0\0\0\0", 5);
	at = buf->len;
	(void) JsonbToCString(buf, &jb->root, VARSIZE(jb));
	*len = buf->len - at;
	PutBigEndian((uint8 *) buf->data + head + 1, (uint32) *len, 4);
	return at;
}

/* The text of a timestamptz as the view shows it with TimeZone UTC, DateStyle ISO. */
static int
TimestampText(SealReader *r, TimestampTz ts, char *buf)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;
	const char *tzn;

	if (TIMESTAMP_NOT_FINITE(ts))
		EncodeSpecialTimestamp(ts, buf);
	else if (timestamp2tm(ts, &tz, &tm, &fsec, &tzn, r->utc) == 0)
		EncodeDateTime(&tm, fsec, true, tz, tzn, USE_ISO_DATES, buf);
	else
		strcpy(buf, "timestamp out of range");
	return strlen(buf);
}

/* Big-endian bytes of an integer. */
static void
PutBigEndian(uint8 *p, uint64 v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--)
	{
		p[i] = (uint8) (v & 0xff);
		v >>= 8;
	}
}

/*
 * Digests one row of auditlog.event_store (values and nulls by Anum): as
 * the view shows it, and with 'rows' also as stored.
 */
static void
DigestRow(SealReader *r, const Datum *values, const bool *nulls, bool rows, SealDigest *d)
{
#define COL(anum)	(values[(anum) - 1])
#define NUL(anum)	(nulls[(anum) - 1])
	char		ts[MAXDATELEN + 1];

	/*
	 * occurred_at, outcome and txid are NOT NULL; one made NULL by hand is
	 * hashed as NULL (0x00), so that verify() sees the change, not a 0.
	 */
	const char *when = NUL(Anum_event_store_occurred_at) ? NULL : ts;
	int			ts_len = when ? TimestampText(r, DatumGetTimestampTz(COL(Anum_event_store_occurred_at)), ts) : 0;
	AuditOutcome o = DatumGetAuditOutcome(COL(Anum_event_store_outcome));
	const char *outcome = NUL(Anum_event_store_outcome) ? NULL :
		o < AUDIT_OUTCOME_COUNT ? AuditOutcomeName(o) : "(not an outcome)";
	int			outcome_len = outcome ? strlen(outcome) : 0;
	text	   *rid = NUL(Anum_event_store_resource_id) ? NULL :
		DatumGetTextPP(COL(Anum_event_store_resource_id));
	char	   *addr = NUL(Anum_event_store_client_addr) ? NULL :
		DatumGetCString(DirectFunctionCall1(inet_out, COL(Anum_event_store_client_addr)));
	int			json_at;		/* where the details' text is in r->content */
	int			json_len = 0;
	StringInfo	c = &r->content;
	StringInfo	w = &r->row;

	d->id = DatumGetInt64(COL(Anum_event_store_id));

	/* the view's columns, in its order */
	resetStringInfo(c);
	PutInt(c, d->id);
	PutField(c, when, ts_len);
	PutResolved(r, &r->labels, values, nulls, Anum_event_store_actor_ref);
	PutResolved(r, &r->labels, values, nulls, Anum_event_store_actor_id_ref);
	PutResolved(r, &r->actions, values, nulls, Anum_event_store_action_ref);
	PutResolved(r, &r->labels, values, nulls, Anum_event_store_resource_type_ref);
	PutField(c, rid ? VARDATA_ANY(rid) : NULL, rid ? VARSIZE_ANY_EXHDR(rid) : 0);
	PutField(c, outcome, outcome_len);
	PutResolved(r, &r->labels, values, nulls, Anum_event_store_org_ref);
	json_at = PutDetails(c, values, nulls, &json_len);
	PutResolved(r, &r->labels, values, nulls, Anum_event_store_db_user_ref);
	PutField(c, addr, addr ? strlen(addr) : 0);
	PutResolved(r, &r->labels, values, nulls, Anum_event_store_application_ref);
	PutNumber(c, values, nulls, Anum_event_store_txid, true);
	Sha256(r, c->data, c->len, d->content);
	if (!rows)
		return;

	/* the stored columns, in the table's order */
	resetStringInfo(w);
	PutInt(w, d->id);
	PutField(w, when, ts_len);
	PutNumber(w, values, nulls, Anum_event_store_txid, true);
	for (int anum = Anum_event_store_action_ref; anum <= Anum_event_store_application_ref; anum++)
		PutNumber(w, values, nulls, anum, false);
	PutField(w, outcome, outcome_len);
	PutField(w, addr, addr ? strlen(addr) : 0);
	PutField(w, rid ? VARDATA_ANY(rid) : NULL, rid ? VARSIZE_ANY_EXHDR(rid) : 0);
	PutField(w, json_at >= 0 ? c->data + json_at : NULL, json_len);
	Sha256(r, w->data, w->len, d->row);
#undef COL
#undef NUL
}

/* Room for one more digest at the end of the list. */
static SealDigest *
NextDigest(SealDigests *out)
{
	if (out->n >= out->cap)
	{
		int64		cap = out->cap > 0 ? out->cap * 2 : 4096;

		if (out->items == NULL)
			out->items = MemoryContextAllocHuge(out->cxt, cap * sizeof(SealDigest));
		else
			out->items = repalloc_huge(out->items, cap * sizeof(SealDigest));
		out->cap = cap;
	}
	return &out->items[out->n++];
}

/* Id order; the same id twice (only ever forged) by digest, for a stable order. */
static int
CompareDigests(const void *a, const void *b)
{
	const SealDigest *x = (const SealDigest *) a;
	const SealDigest *y = (const SealDigest *) b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return memcmp(x->content, y->content, SEAL_HASH_LEN);
}

#if PG_VERSION_NUM >= 140000
/* The executor's receiver: starts reading the dictionaries, after the events' snapshot. */
static void
DigestStartup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	DigestReceiver *dr = (DigestReceiver *) self;

	if (typeinfo->natts != Natts_event_store)
		elog(ERROR, "auditlog: the event query returned %d columns", typeinfo->natts);
	if (!dr->r->loaded)
		LoadDicts(dr->r);
}

/* One event row, as the executor hands it over. */
static bool
DigestSlot(TupleTableSlot *slot, DestReceiver *self)
{
	DigestReceiver *dr = (DigestReceiver *) self;
	SealDigest *d = NextDigest(dr->out);
	MemoryContext old;

	slot_getallattrs(slot);
	old = MemoryContextSwitchTo(dr->r->batch_cxt);
	DigestRow(dr->r, slot->tts_values, slot->tts_isnull, dr->rows, d);
	MemoryContextSwitchTo(old);
	if (++dr->in_batch == FETCH_ROWS)
	{
		MemoryContextReset(dr->r->batch_cxt);
		dr->in_batch = 0;
		CHECK_FOR_INTERRUPTS();
	}
	return true;
}

static void
DigestShutdown(DestReceiver *self)
{
}

static void
DigestDestroy(DestReceiver *self)
{
}
#endif

/* ------------------------------------------------------------------------
 * exported
 * ------------------------------------------------------------------------
 */

/* A reader, in the current memory context; the caller is connected to SPI. */
SealReader *
SealReaderCreate(void)
{
	SealReader *r = palloc0(sizeof(SealReader));

	r->cxt = AllocSetContextCreate(CurrentMemoryContext, "auditlog seal reader",
								   ALLOCSET_DEFAULT_SIZES);
	r->dict_cxt = AllocSetContextCreate(r->cxt, "auditlog seal dictionaries",
										ALLOCSET_DEFAULT_SIZES);
	r->batch_cxt = AllocSetContextCreate(r->cxt, "auditlog seal rows",
										 ALLOCSET_DEFAULT_SIZES);
	r->sha = AuditShaCreate(r->cxt);
	r->utc = pg_tzset("UTC");
	if (r->utc == NULL)
		elog(ERROR, "auditlog: time zone UTC is unknown");
	{
		MemoryContext old = MemoryContextSwitchTo(r->cxt);

		initStringInfo(&r->content);
		initStringInfo(&r->row);
		MemoryContextSwitchTo(old);
	}
	return r;
}

/*
 * The digests of the events with lo <= id <= hi that a snapshot taken now
 * sees, sorted by id, into *out (emptied first; its memory is the
 * caller's); their row digests too with 'rows' (else those are zeros).
 */
void
SealReaderDigest(SealReader *r, int64 lo, int64 hi, bool rows, SealDigests *out)
{
	Oid			types[2] = {INT8OID, INT8OID};
	Datum		args[2] = {Int64GetDatum(lo), Int64GetDatum(hi)};

	SealReaderDigestQuery(r, EVENTS_QUERY, 2, types, args, rows, out);
}

/*
 * The same for the rows that 'sql' returns, which has the columns of
 * auditlog.event_store in their order, and parameters $1 to $nargs.
 */
void
SealReaderDigestQuery(SealReader *r, const char *sql, int nargs, Oid *types, Datum *args,
					  bool rows, SealDigests *out)
{
	r->reloaded = false;
	out->n = 0;
	if (out->items == NULL)
		out->cxt = CurrentMemoryContext;
#if PG_VERSION_NUM >= 140000
	{
		/* rows go straight from the executor to DigestSlot, never copied */
		DigestReceiver dr = {{DigestSlot, DigestStartup, DigestShutdown, DigestDestroy, DestNone},
		r, out, rows, 0};
		SPIExecuteOptions options = {0};

		options.params = makeParamList(nargs);
		options.params->numParams = nargs;
		for (int i = 0; i < nargs; i++)
		{
			options.params->params[i].value = args[i];
			options.params->params[i].isnull = false;
			options.params->params[i].pflags = PARAM_FLAG_CONST;
			options.params->params[i].ptype = types[i];
		}
		options.read_only = false;	/* a snapshot of its own, taken now */
		options.dest = (DestReceiver *) &dr;
		/* (SPI_OK_UTILITY: a receiver of type DestNone is not SPI's) */
		if (SPI_execute_extended(sql, &options) < 0)
			elog(ERROR, "auditlog: the events could not be read");
		MemoryContextReset(r->batch_cxt);
	}
#else
	{
		Portal		portal = SPI_cursor_open_with_args(NULL, sql, nargs, types, args, NULL,
													   false, 0);

		if (!r->loaded)
			LoadDicts(r);
		for (;;)
		{
			SPITupleTable *tt;
			Datum		values[Natts_event_store];
			bool		nulls[Natts_event_store];

			SPI_cursor_fetch(portal, true, FETCH_ROWS);
			tt = SPI_tuptable;
			if (SPI_processed == 0)
				break;
			for (uint64 i = 0; i < SPI_processed; i++)
			{
				SealDigest *d = NextDigest(out);
				MemoryContext old = MemoryContextSwitchTo(r->batch_cxt);

				heap_deform_tuple(tt->vals[i], tt->tupdesc, values, nulls);
				DigestRow(r, values, nulls, rows, d);
				MemoryContextSwitchTo(old);
			}
			MemoryContextReset(r->batch_cxt);
			SPI_freetuptable(tt);
			CHECK_FOR_INTERRUPTS();
		}
		SPI_cursor_close(portal);
	}
#endif
	if (out->n > 1)
		qsort(out->items, out->n, sizeof(SealDigest), CompareDigests);
}

/* An event's digest as a purge record keeps it: its id and content digest. */
void
SealPackDigest(const SealDigest *d, uint8 *out)
{
	PutBigEndian(out, (uint64) d->id, 8);
	memcpy(out + 8, d->content, SEAL_HASH_LEN);
}

/* The reverse of SealPackDigest. */
void
SealUnpackDigest(const uint8 *in, SealDigest *d)
{
	uint64		id = 0;

	for (int i = 0; i < 8; i++)
		id = (id << 8) | in[i];
	d->id = (int64) id;
	memcpy(d->content, in + 8, SEAL_HASH_LEN);
	memset(d->row, 0, SEAL_HASH_LEN);
}

/* SHA-256 of the content (or, with 'rows', the row) digests of n events, in order. */
void
SealReaderCombine(SealReader *r, const SealDigest *items, int64 n, bool rows, uint8 *out)
{
	uint8		buf[COMBINE_BATCH * SEAL_HASH_LEN];
	int			k = 0;

	AuditShaBegin(r->sha);
	for (int64 i = 0; i < n; i++)
	{
		memcpy(buf + k * SEAL_HASH_LEN, rows ? items[i].row : items[i].content, SEAL_HASH_LEN);
		if (++k == COMBINE_BATCH || i == n - 1)
		{
			AuditShaAdd(r->sha, buf, k * SEAL_HASH_LEN);
			k = 0;
		}
	}
	AuditShaEnd(r->sha, out);
}

/* A seal's hash, from its fields (format in the file header). */
void
SealReaderHash(SealReader *r, const SealFields *f, uint8 *out)
{
	StringInfoData m;
	uint8		num[8];
	int64		fields[5] = {f->id, f->first_id, f->last_id, f->events,
		f->sealed_at + (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY};
	static const uint8 zeros[SEAL_HASH_LEN] = {0};

	Assert(f->ngaps >= 0);
	initStringInfo(&m);
	appendBinaryStringInfo(&m, SEAL_MAGIC, strlen(SEAL_MAGIC));
	appendBinaryStringInfo(&m, (const char *) (f->has_prev ? f->prev_hash : zeros), SEAL_HASH_LEN);
	for (int i = 0; i < 5; i++)
	{
		PutBigEndian(num, (uint64) fields[i], 8);
		appendBinaryStringInfo(&m, (const char *) num, 8);
	}
	appendBinaryStringInfo(&m, (const char *) f->events_hash, SEAL_HASH_LEN);
	appendBinaryStringInfo(&m, (const char *) f->rows_hash, SEAL_HASH_LEN);
	PutBigEndian(num, (uint32) f->ngaps, 4);
	appendBinaryStringInfo(&m, (const char *) num, 4);
	for (int i = 0; i < 2 * f->ngaps; i++)
	{
		PutBigEndian(num, (uint64) f->gaps[i], 8);
		appendBinaryStringInfo(&m, (const char *) num, 8);
	}
	Sha256(r, m.data, m.len, out);
	pfree(m.data);
}

/* Frees the reader and everything it holds. */
void
SealReaderFree(SealReader *r)
{
	MemoryContextDelete(r->cxt);
	pfree(r);
}

/* A hash as 64 lower-case hex digits (palloc'd). */
char *
SealHex(const uint8 *hash)
{
	static const char digits[] = "0123456789abcdef";
	char	   *s = palloc(2 * SEAL_HASH_LEN + 1);

	for (int i = 0; i < SEAL_HASH_LEN; i++)
	{
		s[2 * i] = digits[hash[i] >> 4];
		s[2 * i + 1] = digits[hash[i] & 0xf];
	}
	s[2 * SEAL_HASH_LEN] = '\0';
	return s;
}

/*
 * Reads a seal's gaps (bigint[][2]: {{first, last}, ...}, or '{}') into
 * f->gaps; f->ngaps is -1 when the array has any other shape.
 */
void
SealGapsFromArray(Datum array, SealFields *f)
{
	ArrayType  *a = DatumGetArrayTypeP(array);
	Datum	   *elems;
	bool	   *elem_nulls;
	int			n;

	f->ngaps = 0;
	f->gaps = NULL;
	if (ARR_NDIM(a) == 0)
		return;
	if (ARR_NDIM(a) != 2 || ARR_DIMS(a)[1] != 2 || ARR_ELEMTYPE(a) != INT8OID)
	{
		f->ngaps = -1;
		return;
	}
	deconstruct_array(a, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &elem_nulls, &n);
	f->gaps = palloc(sizeof(int64) * n);
	for (int i = 0; i < n; i++)
	{
		if (elem_nulls[i])
		{
			f->ngaps = -1;
			return;
		}
		f->gaps[i] = DatumGetInt64(elems[i]);
	}
	f->ngaps = n / 2;
}

/* A seal's gaps as the bigint[][2] stored in auditlog.seals. */
Datum
SealGapsToArray(const SealFields *f)
{
	Datum	   *elems;
	int			dims[2] = {f->ngaps, 2};
	int			lbs[2] = {1, 1};

	if (f->ngaps == 0)
		return PointerGetDatum(construct_empty_array(INT8OID));
	elems = palloc(sizeof(Datum) * 2 * f->ngaps);
	for (int i = 0; i < 2 * f->ngaps; i++)
		elems[i] = Int64GetDatum(f->gaps[i]);
	return PointerGetDatum(construct_md_array(elems, NULL, 2, dims, lbs, INT8OID, 8,
											  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
