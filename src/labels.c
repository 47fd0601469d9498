/*-------------------------------------------------------------------------
 *
 * src/labels.c
 *	  The dictionaries behind events: labels and actions, cached per backend.
 *
 * Events store each repeating string (actor, organisation, resource type,
 * database role, application, and the action) as the int4 id of a row in
 * auditlog.labels or auditlog.action_types. Known strings are resolved in a
 * backend-local hash table, so the write path touches these tables only for
 * a string never seen before: that keeps events small and makes the first
 * occurrence of an action what adds it to the catalogue.
 *
 * Entries learned inside a transaction are tagged with the subtransaction
 * that learned them and dropped if it aborts, since the row behind them may
 * vanish with it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "catalog.h"
#include "labels.h"
#include "owner.h"
#include "spi_util.h"
#include "validate.h"
#include "writer.h"

/* kind used in the cache for actions, which live in auditlog.action_types */
#define KIND_ACTION LABEL_ACTION

typedef struct LabelKey
{
	char		kind;
	const char *str;
} LabelKey;

typedef struct LabelEntry
{
	LabelKey	key;			/* must be first */
	int32		id;
	SubTransactionId subid;		/* learned by this open subxact, or Invalid */
} LabelEntry;

static HTAB *label_cache = NULL;

/*
 * At most this many strings are copied into the cache per backend between
 * resets, the keys of entries forgotten at a rollback included (they stay
 * allocated until the next reset): a session that logs ever-new actors or
 * resource types (one per request id, say), or rolls back again and again,
 * would otherwise grow it without end. Past the bound the cache starts
 * over; an id it no longer holds costs one index lookup.
 */
#define LABEL_CACHE_MAX 8192

/*
 * The last string resolved per kind, checked before the hash table: the
 * events of one statement nearly always repeat their actor, action, ...
 */
typedef struct LabelMemo
{
	char		str[AUDIT_MAX_LABEL + 1];
	int32		id;					/* 0: empty */
} LabelMemo;
static LabelMemo memo[128];
static MemoryContext label_cxt = NULL;
static bool have_pending = false;
/* keys copied into label_cxt since its last reset, forgotten entries' included */
static int	keys_copied = 0;

/*
 * The other way round, for reading events back: the text of an id. Rows of
 * the dictionaries never change and ids are never reused (a rolled-back
 * row's id stays unused), so an entry is good until the extension is
 * dropped or restored. Bounded like the cache above.
 */
typedef struct LabelText
{
	int64		key;			/* the id, plus TEXT_ACTION for an action's */
	char	   *text;
} LabelText;
#define TEXT_ACTION		(INT64CONST(1) << 32)
static HTAB *text_cache = NULL;
static MemoryContext text_cxt = NULL;

static uint32 LabelHash(const void *key, Size keysize);
static int	LabelMatch(const void *key1, const void *key2, Size keysize);
static void *LabelKeyCopy(void *dest, const void *src, Size keysize);
static void ForgetPending(SubTransactionId subid, bool all);
static void KeepPending(void);
static void LabelXactCallback(XactEvent event, void *arg);
static void LabelSubXactCallback(SubXactEvent event, SubTransactionId mySubid,
								 SubTransactionId parentSubid, void *arg);
static void LabelsReset(void);
static void EnsureCache(void);
static int32 LookupRow(char kind, const char *str);
static int32 InsertRow(char kind, const char *str);
static int32 Resolve(char kind, const char *str);
static char *FetchText(bool action, int32 id);

/* ------------------------------------------------------------------------
 * internal
 * ------------------------------------------------------------------------
 */

static uint32
LabelHash(const void *key, Size keysize)
{
	const LabelKey *k = (const LabelKey *) key;

	return hash_bytes((const unsigned char *) k->str, strlen(k->str)) ^ (uint32) k->kind;
}

static int
LabelMatch(const void *key1, const void *key2, Size keysize)
{
	const LabelKey *a = (const LabelKey *) key1;
	const LabelKey *b = (const LabelKey *) key2;

	if (a->kind != b->kind)
		return 1;
	return strcmp(a->str, b->str);
}

static void *
LabelKeyCopy(void *dest, const void *src, Size keysize)
{
	LabelKey   *d = (LabelKey *) dest;
	const LabelKey *s = (const LabelKey *) src;

	d->kind = s->kind;
	d->str = MemoryContextStrdup(label_cxt, s->str);
	keys_copied++;
	return dest;
}

/* Drops the entries learned by subtransactions at or below 'subid'. */
static void
ForgetPending(SubTransactionId subid, bool all)
{
	HASH_SEQ_STATUS status;
	LabelEntry *e;

	if (!have_pending || label_cache == NULL)
		return;
	for (int k = 0; k < (int) lengthof(memo); k++)
		memo[k].id = 0;
	hash_seq_init(&status, label_cache);
	while ((e = (LabelEntry *) hash_seq_search(&status)) != NULL)
	{
		if (e->subid == InvalidSubTransactionId)
			continue;
		if (all || e->subid >= subid)
		{
			/* the key string stays in label_cxt until the next reset */
			hash_search(label_cache, &e->key, HASH_REMOVE, NULL);
		}
	}
	if (all)
		have_pending = false;
}

/* Makes the entries of a committed transaction permanent. */
static void
KeepPending(void)
{
	HASH_SEQ_STATUS status;
	LabelEntry *e;

	if (!have_pending || label_cache == NULL)
		return;
	hash_seq_init(&status, label_cache);
	while ((e = (LabelEntry *) hash_seq_search(&status)) != NULL)
		e->subid = InvalidSubTransactionId;
	have_pending = false;
}

static void
LabelXactCallback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			KeepPending();
			break;
		case XACT_EVENT_PREPARE:
			/* a prepared transaction may yet be rolled back: forget its rows */
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			ForgetPending(InvalidSubTransactionId, true);
			break;
		default:
			break;
	}
}

static void
LabelSubXactCallback(SubXactEvent event, SubTransactionId mySubid,
					 SubTransactionId parentSubid, void *arg)
{
	/*
	 * Subtransactions started after mySubid while it was open are all its
	 * descendants, so everything tagged >= mySubid goes with it.
	 */
	if (event == SUBXACT_EVENT_ABORT_SUB)
		ForgetPending(mySubid, false);
}

/* Forgets every cached id (the extension was dropped or restored). */
static void
LabelsReset(void)
{
	label_cache = NULL;
	have_pending = false;
	for (int k = 0; k < (int) lengthof(memo); k++)
		memo[k].id = 0;
	if (label_cxt)
		MemoryContextReset(label_cxt);
	keys_copied = 0;
	text_cache = NULL;
	if (text_cxt)
		MemoryContextReset(text_cxt);
}

static void
EnsureCache(void)
{
	HASHCTL		ctl;

	if (label_cache)
		return;
	if (label_cxt == NULL)
		label_cxt = AllocSetContextCreate(CacheMemoryContext, "auditlog labels",
										  ALLOCSET_DEFAULT_SIZES);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(LabelKey);
	ctl.entrysize = sizeof(LabelEntry);
	ctl.hash = LabelHash;
	ctl.match = LabelMatch;
	ctl.keycopy = LabelKeyCopy;
	ctl.hcxt = label_cxt;
	label_cache = hash_create("auditlog labels", 256, &ctl,
							  HASH_ELEM | HASH_FUNCTION | HASH_COMPARE |
							  HASH_KEYCOPY | HASH_CONTEXT);
}

/*
 * The snapshot a dictionary is read with: the latest one, so that a row
 * committed by anyone, or written by us, is found (a writer must not add a
 * string twice). A parallel query may not take one (PostgreSQL refuses
 * during a parallel operation); it only reads, and needs no row its
 * snapshot does not see: the events it can see have their strings in it.
 */
static Snapshot
DictionarySnapshot(void)
{
	return RegisterSnapshot(IsInParallelMode() ? GetActiveSnapshot() : GetLatestSnapshot());
}

/*
 * Looks a string up in its table through the unique index, with the latest
 * snapshot (DictionarySnapshot). Returns 0 when absent (ids start at 1).
 */
static int32
LookupRow(char kind, const char *str)
{
	bool		is_action = (kind == KIND_ACTION);
	Relation	rel;
	Relation	idx;
	ScanKeyData keys[2];
	int			nkeys = 0;
	SysScanDesc scan;
	HeapTuple	tup;
	int32		id = 0;
	Snapshot	snap;

	rel = table_open(AuditRelid(is_action ? AREL_ACTION_TYPES : AREL_LABELS), AccessShareLock);
	idx = index_open(AuditRelid(is_action ? AREL_ACTION_TYPES_ACTION_KEY : AREL_LABELS_KIND_LABEL_KEY),
					 AccessShareLock);
	if (!is_action)
		ScanKeyInit(&keys[nkeys++], Anum_labels_kind, BTEqualStrategyNumber, F_CHAREQ,
					CharGetDatum(kind));
	ScanKeyInit(&keys[nkeys], is_action ? Anum_action_types_action : Anum_labels_label,
				BTEqualStrategyNumber, F_TEXTEQ, CStringGetTextDatum(str));
	keys[nkeys].sk_collation = C_COLLATION_OID;
	nkeys++;

	snap = DictionarySnapshot();
	scan = systable_beginscan_ordered(rel, idx, snap, nkeys, keys);
	tup = systable_getnext_ordered(scan, ForwardScanDirection);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		/* the id is the first column of both tables */
		Datum		d = heap_getattr(tup, Anum_labels_id, RelationGetDescr(rel), &isnull);

		if (!isnull)
			id = DatumGetInt32(d);
	}
	systable_endscan_ordered(scan);
	UnregisterSnapshot(snap);
	index_close(idx, AccessShareLock);
	table_close(rel, AccessShareLock);
	return id;
}

/*
 * Adds a string to its table, as the extension's owner (writers have no
 * privilege on it). Returns 0 when a concurrent transaction added it first.
 */
static int32
InsertRow(char kind, const char *str)
{
	AuditOwnerState st;
	SpiArgs		args = {0};
	int32		id;

	if (kind == KIND_ACTION)
		SpiArg(&args, TEXTOID, CStringGetTextDatum(str));
	else
	{
		SpiArg(&args, CHAROID, CharGetDatum(kind));
		SpiArg(&args, TEXTOID, CStringGetTextDatum(str));
	}
	AuditConnectAsOwner(&st);
	if (kind == KIND_ACTION)
		SpiExec("INSERT INTO auditlog.action_types (action) VALUES ($1) "
				"ON CONFLICT DO NOTHING RETURNING id", &args, SPI_OK_INSERT_RETURNING);
	else
		SpiExec("INSERT INTO auditlog.labels (kind, label) VALUES ($1, $2) "
				"ON CONFLICT DO NOTHING RETURNING id", &args, SPI_OK_INSERT_RETURNING);
	id = SpiFirstInt32(0);
	AuditFinishAsOwner(&st);
	return id;
}

/*
 * Reads the text of an id from its table through the primary key, with
 * DictionarySnapshot(); NULL when there is no such row. Allocated in text_cxt.
 */
static char *
FetchText(bool action, int32 id)
{
	Relation	rel;
	Relation	idx;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Snapshot	snap;
	char	   *str = NULL;

	rel = table_open(AuditRelid(action ? AREL_ACTION_TYPES : AREL_LABELS), AccessShareLock);
	idx = index_open(AuditRelid(action ? AREL_ACTION_TYPES_PKEY : AREL_LABELS_PKEY), AccessShareLock);
	/* the id is the first column of both tables and of both keys */
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(id));
	snap = DictionarySnapshot();
	scan = systable_beginscan_ordered(rel, idx, snap, 1, &key);
	tup = systable_getnext_ordered(scan, ForwardScanDirection);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, action ? Anum_action_types_action : Anum_labels_label,
									 RelationGetDescr(rel), &isnull);

		if (!isnull)
			str = MemoryContextStrdup(text_cxt, TextDatumGetCString(d));
	}
	systable_endscan_ordered(scan);
	UnregisterSnapshot(snap);
	index_close(idx, AccessShareLock);
	table_close(rel, AccessShareLock);
	return str;
}

/* The id of a string in its dictionary, added there when new. */
static int32
Resolve(char kind, const char *str)
{
	LabelKey	key;
	LabelEntry *e;
	bool		found;
	bool		committed = false;
	int32		id;

	LabelMemo  *m = &memo[(unsigned char) kind & 127];

	if (m->id != 0 && strcmp(m->str, str) == 0)
		return m->id;
	EnsureCache();
	key.kind = kind;
	key.str = str;
	e = (LabelEntry *) hash_search(label_cache, &key, HASH_FIND, NULL);
	if (e)
	{
		if (AuditLabelFits(str))
		{
			strcpy(m->str, str);
			m->id = e->id;
		}
		return e->id;
	}

	/*
	 * A new string is added by the writer, which commits it at once: no
	 * one then waits on a row of this transaction. Without a writer, it is
	 * added here, in this (sub)transaction.
	 */
	id = LookupRow(kind, str);
	if (id == 0)
		id = AuditResolveAutonomous(kind, str, &committed);
	for (int attempt = 0; id == 0 && attempt < 3; attempt++)
	{
		id = InsertRow(kind, str);
		if (id == 0)
			id = LookupRow(kind, str);
	}
	if (id == 0)
		elog(ERROR, "auditlog: could not resolve \"%s\" in its dictionary", str);

	/* the lookups may have reset the cache through an invalidation */
	EnsureCache();
	if (keys_copied >= LABEL_CACHE_MAX)
	{
		/*
		 * Forgetting entries is always safe, pending ones included: what is
		 * not cached is looked up again, and what is forgotten needs no
		 * forgetting at rollback.
		 */
		LabelsReset();
		EnsureCache();
	}
	e = (LabelEntry *) hash_search(label_cache, &key, HASH_ENTER, &found);
	e->id = id;
	e->subid = committed ? InvalidSubTransactionId : GetCurrentSubTransactionId();
	if (!committed)
		have_pending = true;
	return id;
}

/* Id of a label of the given kind in auditlog.labels. */
int32
AuditLabelId(char kind, const char *label)
{
	return Resolve(kind, label);
}

/* Id of an action in auditlog.action_types; a new action is added with no description. */
int32
AuditActionId(const char *action)
{
	return Resolve(KIND_ACTION, action);
}

/*
 * Adds an action to the catalogue with a description, unless it has one
 * (register_table's actions, auditlog's own): the row is added as any new
 * action is, committed at once by the writer, and only the description in
 * this transaction, by an update that no lookup of the action waits for.
 * (Inserted here, the row made every writer of the action wait for this
 * transaction to end, and the writer with them: 10 s, then an error.)
 * Runs in an SPI connection of the extension's owner.
 */
void
AuditDescribeAction(const char *action, const char *description)
{
	SpiArgs		args = {0};

	(void) AuditActionId(action);
	SpiArg(&args, TEXTOID, CStringGetTextDatum(action));
	SpiArg(&args, TEXTOID, CStringGetTextDatum(description));
	SpiExec("UPDATE auditlog.action_types t SET description = $2"
			" WHERE t.action OPERATOR(pg_catalog.=) $1 AND t.description IS NULL",
			&args, SPI_OK_UPDATE);
}

/*
 * The text of a label (of an action, when 'action') by its id, or NULL when
 * there is no such row: what a LEFT JOIN on the dictionary would give. The
 * string is valid until the next call (or a reset of the caches, which
 * reading the catalogs may bring): copy it at once.
 */
const char *
AuditLabelText(bool action, int32 id)
{
	int64		key = (int64) (uint32) id + (action ? TEXT_ACTION : 0);
	LabelText  *e;
	bool		found;
	char	   *str;

	if (text_cache && hash_get_num_entries(text_cache) >= LABEL_CACHE_MAX)
	{
		text_cache = NULL;
		MemoryContextReset(text_cxt);
	}
	if (text_cache == NULL)
	{
		HASHCTL		ctl;

		if (text_cxt == NULL)
			text_cxt = AllocSetContextCreate(CacheMemoryContext, "auditlog label texts",
											 ALLOCSET_DEFAULT_SIZES);
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(int64);
		ctl.entrysize = sizeof(LabelText);
		ctl.hcxt = text_cxt;
		text_cache = hash_create("auditlog label texts", 256, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	e = (LabelText *) hash_search(text_cache, &key, HASH_FIND, NULL);
	if (e)
		return e->text;
	str = FetchText(action, id);
	if (str == NULL)
		return NULL;			/* not cached: it may yet commit */
	/* reading the table may have reset the cache through an invalidation */
	if (text_cache == NULL)
		return str;
	e = (LabelText *) hash_search(text_cache, &key, HASH_ENTER, &found);
	e->text = str;
	return e->text;
}

/* Module start-up: the cache follows transactions and our objects. */
void
LabelsInit(void)
{
	RegisterXactCallback(LabelXactCallback, NULL);
	RegisterSubXactCallback(LabelSubXactCallback, NULL);
	AuditOnReset(LabelsReset);
}
