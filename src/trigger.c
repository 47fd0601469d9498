/* src/trigger.c — the C triggers of registered tables: row changes to events */
#include "auditlog.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "nodes/makefuncs.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/typcache.h"
#include "mb/pg_wchar.h"

/*
 * Each registered table (or partition of one) gets a backend-local
 * description, built on its first change and dropped on any relcache
 * invalidation of the table or of its registered ancestor: what each column
 * becomes in an event (kept, redacted or left out, and how its value turns
 * into JSON), which columns make the resource id, and the action names.
 * The row trigger then needs no catalog access and no SQL at all.
 */

/* How a column's value becomes JSON; the same result as to_jsonb(). */
typedef enum JsonConv
{
	CONV_BOOL,
	CONV_INT,					/* int2, int4, int8 */
	CONV_NUMERIC,
	CONV_TEXT,					/* text, varchar: the string itself */
	CONV_JSONB,
	CONV_DATETIME,				/* date, timestamp, timestamptz: ISO 8601 */
	CONV_OUTPUT,				/* types to_jsonb shows as their text */
	CONV_TO_JSONB				/* anything else: to_jsonb() itself */
} JsonConv;

typedef enum ColumnMode
{
	COL_AUDITED,
	COL_REDACTED,
	COL_EXCLUDED
} ColumnMode;

typedef struct ColumnInfo
{
	char	   *name;
	int			namelen;
	ColumnMode	mode;
	JsonConv	conv;
	Oid			typid;			/* base type */
	int16		typlen;
	bool		typbyval;
	FmgrInfo	out;			/* output function (CONV_OUTPUT, keys, org) */
	FmgrInfo	to_jsonb;		/* CONV_TO_JSONB */
} ColumnInfo;

typedef struct TableInfo
{
	Oid			relid;			/* hash key: the table the trigger fired on */
	Oid			registered;		/* the registered table: itself or an ancestor */
	bool		valid;
	int			natts;
	ColumnInfo *cols;			/* natts entries; dropped columns excluded */
	int		   *key_order;		/* column numbers in jsonb key order */
	int			nkeys;
	int		   *keys;			/* 0-based column numbers of the resource id */
	int			org_col;		/* 0-based, or -1 */
	char	   *resource_type;
	char	   *actions[4];		/* create, update, delete, truncate */
	MemoryContext cxt;
} TableInfo;

enum
{
	ACT_CREATE, ACT_UPDATE, ACT_DELETE, ACT_TRUNCATE
};

static HTAB *table_cache = NULL;
static bool callbacks_registered = false;

/* ------------------------------------------------------------------------
 * internal: the per-table description
 * ------------------------------------------------------------------------
 */

/* Drops the descriptions of a table and of every partition audited through it. */
static void
TableCacheCallback(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS status;
	TableInfo  *t;

	if (table_cache == NULL)
		return;
	hash_seq_init(&status, table_cache);
	while ((t = (TableInfo *) hash_seq_search(&status)) != NULL)
	{
		if (!OidIsValid(relid) || t->relid == relid || t->registered == relid)
			t->valid = false;
	}
}

/* Drops every description (the extension was dropped or reinstalled). */
static void
TableCacheReset(void)
{
	TableCacheCallback((Datum) 0, InvalidOid);
}

/* True when 'name' is in the name[] array. */
static bool
InNameArray(ArrayType *arr, const char *name)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	deconstruct_array(arr, NAMEOID, NAMEDATALEN, false, TYPALIGN_CHAR, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		if (!nulls[i] && strcmp(NameStr(*DatumGetName(elems[i])), name) == 0)
			return true;
	}
	return false;
}

/* How to turn a value of the type into JSON. */
static JsonConv
ChooseConv(Oid basetype)
{
	switch (basetype)
	{
		case BOOLOID:
			return CONV_BOOL;
		case INT2OID:
		case INT4OID:
		case INT8OID:
			return CONV_INT;
		case NUMERICOID:
			return CONV_NUMERIC;
		case TEXTOID:
		case VARCHAROID:
			return CONV_TEXT;
		case JSONBOID:
			return CONV_JSONB;
		case DATEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return CONV_DATETIME;
		case BPCHAROID:
		case NAMEOID:
		case CHAROID:
		case UUIDOID:
		case INETOID:
		case CIDROID:
		case MACADDROID:
		case BYTEAOID:
		case OIDOID:
			return CONV_OUTPUT;
		default:
			if (type_is_enum(basetype))
				return CONV_OUTPUT;
			return CONV_TO_JSONB;
	}
}

/*
 * Finds the registry row for relid or its nearest registered ancestor.
 * Returns the registered table's oid, or InvalidOid; fills the options.
 */
static Oid
FindRegistration(Oid relid, HeapTuple *tuple_out, TupleDesc *desc_out, Relation *reg_out)
{
	List	   *candidates = list_make1_oid(relid);
	Relation	reg;
	Relation	idx;
	ListCell   *lc;
	Snapshot	snap;

	if (get_rel_relispartition(relid))
		candidates = list_concat(candidates, get_partition_ancestors(relid));

	reg = table_open(AuditRelid("registry"), AccessShareLock);
	idx = index_open(AuditRelid("registry_pkey"), AccessShareLock);
	snap = RegisterSnapshot(GetLatestSnapshot());
	foreach(lc, candidates)
	{
		Oid			cand = lfirst_oid(lc);
		ScanKeyData key;
		SysScanDesc scan;
		HeapTuple	tup;

		ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(cand));
		scan = systable_beginscan(reg, RelationGetRelid(idx), true, snap, 1, &key);
		tup = systable_getnext(scan);
		if (HeapTupleIsValid(tup))
		{
			*tuple_out = heap_copytuple(tup);
			systable_endscan(scan);
			UnregisterSnapshot(snap);
			index_close(idx, AccessShareLock);
			*desc_out = RelationGetDescr(reg);
			*reg_out = reg;
			return cand;
		}
		systable_endscan(scan);
	}
	UnregisterSnapshot(snap);
	index_close(idx, AccessShareLock);
	table_close(reg, AccessShareLock);
	return InvalidOid;
}

/* jsonb's order of object keys: by length, then bytewise; unnamed columns last. */
static int
CompareKeys(const void *a, const void *b, void *arg)
{
	ColumnInfo *cols = (ColumnInfo *) arg;
	ColumnInfo *ca = &cols[*(const int *) a];
	ColumnInfo *cb = &cols[*(const int *) b];

	if (ca->name == NULL || cb->name == NULL)
		return (ca->name == NULL) - (cb->name == NULL);
	if (ca->namelen != cb->namelen)
		return ca->namelen < cb->namelen ? -1 : 1;
	return memcmp(ca->name, cb->name, ca->namelen);
}

/*
 * Builds the description of a table from its registration and its columns.
 * Returns false when the table is not registered and missing_ok.
 */
static bool
BuildTableInfo(TableInfo *t, Relation rel, bool missing_ok)
{
	HeapTuple	regtup;
	TupleDesc	regdesc;
	Relation	reg;
	Datum		d;
	bool		isnull;
	TupleDesc	desc = RelationGetDescr(rel);
	ArrayType  *exclude;
	ArrayType  *redact;
	char	   *id_column = NULL;
	char	   *org_column = NULL;
	MemoryContext old;

	t->registered = FindRegistration(RelationGetRelid(rel), &regtup, &regdesc, &reg);
	if (!OidIsValid(t->registered) && missing_ok)
		return false;
	if (!OidIsValid(t->registered))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" has an auditlog trigger but is not registered",
						RelationGetRelationName(rel)),
				 errhint("Run auditlog.register_table('%s'::regclass), or drop the trigger auditlog_row.",
						 RelationGetRelationName(rel))));

	if (t->cxt)
		MemoryContextReset(t->cxt);
	else
		t->cxt = AllocSetContextCreate(CacheMemoryContext, "auditlog table",
									   ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(t->cxt);

	/* registry columns: tbl, resource_type, id_column, exclude, redact, org_column */
	d = heap_getattr(regtup, 2, regdesc, &isnull);
	t->resource_type = TextDatumGetCString(d);
	d = heap_getattr(regtup, 3, regdesc, &isnull);
	if (!isnull)
		id_column = pstrdup(NameStr(*DatumGetName(d)));
	exclude = DatumGetArrayTypePCopy(heap_getattr(regtup, 4, regdesc, &isnull));
	redact = DatumGetArrayTypePCopy(heap_getattr(regtup, 5, regdesc, &isnull));
	d = heap_getattr(regtup, 6, regdesc, &isnull);
	if (!isnull)
		org_column = pstrdup(NameStr(*DatumGetName(d)));
	table_close(reg, AccessShareLock);

	t->actions[ACT_CREATE] = psprintf("%s.create", t->resource_type);
	t->actions[ACT_UPDATE] = psprintf("%s.update", t->resource_type);
	t->actions[ACT_DELETE] = psprintf("%s.delete", t->resource_type);
	t->actions[ACT_TRUNCATE] = psprintf("%s.truncate", t->resource_type);

	t->natts = desc->natts;
	t->cols = palloc0(sizeof(ColumnInfo) * Max(desc->natts, 1));
	t->org_col = -1;
	t->nkeys = 0;
	t->keys = palloc0(sizeof(int) * Max(desc->natts, 1));
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		ColumnInfo *c = &t->cols[i];
		Oid			outfn;
		bool		varlena;

		if (att->attisdropped)
		{
			c->mode = COL_EXCLUDED;
			continue;
		}
		c->name = pstrdup(NameStr(att->attname));
		c->namelen = strlen(c->name);
		if (InNameArray(exclude, c->name))
			c->mode = COL_EXCLUDED;
		else if (InNameArray(redact, c->name))
			c->mode = COL_REDACTED;
		else
			c->mode = COL_AUDITED;
		c->typid = getBaseType(att->atttypid);
		c->typlen = att->attlen;
		c->typbyval = att->attbyval;
		c->conv = ChooseConv(c->typid);
		getTypeOutputInfo(att->atttypid, &outfn, &varlena);
		fmgr_info_cxt(outfn, &c->out, t->cxt);
		if (c->conv == CONV_TO_JSONB)
		{
			fmgr_info_cxt(F_TO_JSONB, &c->to_jsonb, t->cxt);
			c->to_jsonb.fn_expr = (Node *)
				makeFuncExpr(F_TO_JSONB, JSONBOID,
							 list_make1(makeNullConst(att->atttypid, att->atttypmod,
													  att->attcollation)),
							 InvalidOid, InvalidOid, COERCE_EXPLICIT_CALL);
		}
		if (org_column && strcmp(org_column, c->name) == 0)
			t->org_col = i;
		if (id_column && strcmp(id_column, c->name) == 0)
			t->keys[t->nkeys++] = i;
	}

	/*
	 * jsonb keeps an object's keys sorted (shorter first, then bytewise);
	 * pushing them in that order makes its sort a single check.
	 */
	t->key_order = palloc(sizeof(int) * Max(desc->natts, 1));
	for (int i = 0; i < desc->natts; i++)
		t->key_order[i] = i;
	qsort_arg(t->key_order, desc->natts, sizeof(int), CompareKeys, t->cols);

	/* no id column: the primary key, in its column order */
	if (!id_column)
	{
		Oid			pk = RelationGetPrimaryKeyIndex(rel);

		if (OidIsValid(pk))
		{
			Relation	idx = index_open(pk, AccessShareLock);

			for (int k = 0; k < idx->rd_index->indnkeyatts; k++)
			{
				int			attno = idx->rd_index->indkey.values[k];

				if (attno > 0)
					t->keys[t->nkeys++] = attno - 1;
			}
			index_close(idx, AccessShareLock);
		}
	}
	MemoryContextSwitchTo(old);
	t->valid = true;
	return true;
}

/*
 * The description of the table a trigger fired on, built when missing or
 * stale; NULL when the table is not registered and missing_ok.
 */
static TableInfo *
GetTableInfo(Relation rel, bool missing_ok)
{
	Oid			relid = RelationGetRelid(rel);
	TableInfo  *t;
	bool		found;

	if (!callbacks_registered)
	{
		CacheRegisterRelcacheCallback(TableCacheCallback, (Datum) 0);
		AuditOnReset(TableCacheReset);
		callbacks_registered = true;
	}
	if (table_cache == NULL)
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(TableInfo);
		ctl.hcxt = CacheMemoryContext;
		table_cache = hash_create("auditlog tables", 64, &ctl,
								  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	t = (TableInfo *) hash_search(table_cache, &relid, HASH_ENTER, &found);
	if (!found)
	{
		t->valid = false;
		t->cxt = NULL;
	}
	if (!t->valid || t->natts != RelationGetDescr(rel)->natts)
	{
		t->valid = false;
		if (!BuildTableInfo(t, rel, missing_ok))
			return NULL;
	}
	return t;
}

/* ------------------------------------------------------------------------
 * internal: row images as JSON
 * ------------------------------------------------------------------------
 */

/* Pushes a string key. */
static void
PushKey(JsonbParseState **st, const char *key, int len)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = len;
	pushJsonbValue(st, WJB_KEY, &k);
}

/* Pushes a string value. */
static void
PushString(JsonbParseState **st, JsonbIteratorToken tok, char *str)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = str;
	v.val.string.len = strlen(str);
	pushJsonbValue(st, tok, &v);
}

/* Pushes one column's value, as to_jsonb() would show it. */
static void
PushValue(JsonbParseState **st, ColumnInfo *c, Datum value, bool isnull)
{
	JsonbValue	v;

	if (isnull)
	{
		v.type = jbvNull;
		pushJsonbValue(st, WJB_VALUE, &v);
		return;
	}
	switch (c->conv)
	{
		case CONV_BOOL:
			v.type = jbvBool;
			v.val.boolean = DatumGetBool(value);
			break;
		case CONV_INT:
			v.type = jbvNumeric;
			v.val.numeric = int64_to_numeric(c->typid == INT8OID ? DatumGetInt64(value) :
											 c->typid == INT4OID ? (int64) DatumGetInt32(value) :
											 (int64) DatumGetInt16(value));
			break;
		case CONV_NUMERIC:
			{
				Numeric		n = DatumGetNumeric(value);

				if (numeric_is_nan(n) || numeric_is_inf(n))
				{
					PushString(st, WJB_VALUE, OutputFunctionCall(&c->out, value));
					return;
				}
				v.type = jbvNumeric;
				v.val.numeric = n;
				break;
			}
		case CONV_TEXT:
			{
				text	   *t = DatumGetTextPP(value);

				v.type = jbvString;
				v.val.string.val = VARDATA_ANY(t);
				v.val.string.len = VARSIZE_ANY_EXHDR(t);
				break;
			}
		case CONV_JSONB:
			{
				Jsonb	   *jb = DatumGetJsonbP(value);

				v.type = jbvBinary;
				v.val.binary.data = &jb->root;
				v.val.binary.len = VARSIZE(jb) - VARHDRSZ;
				break;
			}
		case CONV_DATETIME:
			PushString(st, WJB_VALUE, JsonEncodeDateTime(NULL, value, c->typid, NULL));
			return;
		case CONV_OUTPUT:
			PushString(st, WJB_VALUE, OutputFunctionCall(&c->out, value));
			return;
		case CONV_TO_JSONB:
		default:
			{
				Jsonb	   *jb = DatumGetJsonbP(FunctionCall1(&c->to_jsonb, value));

				if (JB_ROOT_IS_SCALAR(jb))
				{
					JsonbValue	scalar;

					if (!JsonbExtractScalar(&jb->root, &scalar))
						elog(ERROR, "auditlog: could not read a scalar jsonb");
					pushJsonbValue(st, WJB_VALUE, &scalar);
					return;
				}
				v.type = jbvBinary;
				v.val.binary.data = &jb->root;
				v.val.binary.len = VARSIZE(jb) - VARHDRSZ;
				break;
			}
	}
	pushJsonbValue(st, WJB_VALUE, &v);
}

/* Pushes {"col": value, ...} for the columns flagged in 'which'. */
static void
PushImage(JsonbParseState **st, TableInfo *t, Datum *values, bool *nulls, bool *which)
{
	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	for (int k = 0; k < t->natts; k++)
	{
		int			i = t->key_order[k];

		if (!which[i])
			continue;
		PushKey(st, t->cols[i].name, t->cols[i].namelen);
		PushValue(st, &t->cols[i], values[i], nulls[i]);
	}
	pushJsonbValue(st, WJB_END_OBJECT, NULL);
}

/* Pushes "redacted": [names] for the redacted columns flagged in 'which', if any. */
static void
PushRedacted(JsonbParseState **st, TableInfo *t, bool *which)
{
	bool		any = false;

	for (int i = 0; i < t->natts; i++)
	{
		if (!which[i])
			continue;
		if (!any)
		{
			PushKey(st, "redacted", 8);
			pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
			any = true;
		}
		PushString(st, WJB_ELEM, t->cols[i].name);
	}
	if (any)
		pushJsonbValue(st, WJB_END_ARRAY, NULL);
}

/* The resource id: the key column's text, or a JSON array of texts for several. */
static char *
ResourceId(TableInfo *t, Datum *values, bool *nulls)
{
	if (t->nkeys == 0)
		return NULL;
	if (t->nkeys == 1)
	{
		int			k = t->keys[0];

		return nulls[k] ? NULL : OutputFunctionCall(&t->cols[k].out, values[k]);
	}
	else
	{
		JsonbParseState *st = NULL;
		JsonbValue *res;

		pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
		for (int i = 0; i < t->nkeys; i++)
		{
			int			k = t->keys[i];

			if (nulls[k])
			{
				JsonbValue	v;

				v.type = jbvNull;
				pushJsonbValue(&st, WJB_ELEM, &v);
			}
			else
				PushString(&st, WJB_ELEM, OutputFunctionCall(&t->cols[k].out, values[k]));
		}
		res = pushJsonbValue(&st, WJB_END_ARRAY, NULL);
		return JsonbToCString(NULL, &JsonbValueToJsonb(res)->root, 0);
	}
}

/* ------------------------------------------------------------------------
 * SQL-callable functions
 * ------------------------------------------------------------------------
 */

/* Errors unless called by the trigger manager in the expected way. */
static TriggerData *
CheckTriggerCall(FunctionCallInfo fcinfo, const char *fname, bool row)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s must be called as a trigger", fname)));
	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		(row != (TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) != 0)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s must be fired AFTER, FOR EACH %s", fname, row ? "ROW" : "STATEMENT"),
				 errhint("Use auditlog.register_table() rather than creating the trigger by hand.")));
	return trigdata;
}

PG_FUNCTION_INFO_V1(auditlog_row_trigger);
/*
 * AFTER ROW trigger: writes <type>.create with the new row, <type>.update
 * with the changed columns only (old and new), <type>.delete with the old
 * row. Excluded columns never appear; redacted ones are named, valueless.
 * An UPDATE that changes no audited or redacted column writes nothing.
 */
Datum
auditlog_row_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = CheckTriggerCall(fcinfo, "auditlog.row_trigger()", true);
	Relation	rel = trigdata->tg_relation;
	TupleDesc	desc = RelationGetDescr(rel);
	TableInfo  *t = GetTableInfo(rel, false);
	int			natts = t->natts;
	Datum	   *values = palloc(sizeof(Datum) * natts);
	bool	   *nulls = palloc(sizeof(bool) * natts);
	bool	   *shown = palloc0(sizeof(bool) * natts);
	bool	   *hidden = palloc0(sizeof(bool) * natts);
	JsonbParseState *st = NULL;
	JsonbValue *res;
	AuditEvent	ev;
	HeapTuple	row;
	int			act;

	memset(&ev, 0, sizeof(ev));
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		act = ACT_CREATE;
		row = trigdata->tg_trigtuple;
	}
	else if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
	{
		act = ACT_DELETE;
		row = trigdata->tg_trigtuple;
	}
	else
	{
		act = ACT_UPDATE;
		row = trigdata->tg_newtuple;
	}
	heap_deform_tuple(row, desc, values, nulls);

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	if (act == ACT_UPDATE)
	{
		Datum	   *oldvalues = palloc(sizeof(Datum) * natts);
		bool	   *oldnulls = palloc(sizeof(bool) * natts);
		bool		changed = false;

		heap_deform_tuple(trigdata->tg_trigtuple, desc, oldvalues, oldnulls);
		for (int i = 0; i < natts; i++)
		{
			ColumnInfo *c = &t->cols[i];
			bool		differs;

			if (c->mode == COL_EXCLUDED)
				continue;
			if (nulls[i] || oldnulls[i])
				differs = (nulls[i] != oldnulls[i]);
			else
				differs = !datum_image_eq(values[i], oldvalues[i], c->typbyval, c->typlen);
			if (!differs)
				continue;
			changed = true;
			if (c->mode == COL_AUDITED)
				shown[i] = true;
			else
				hidden[i] = true;
		}
		if (!changed)
			return PointerGetDatum(NULL);
		PushKey(&st, "old", 3);
		PushImage(&st, t, oldvalues, oldnulls, shown);
		PushKey(&st, "new", 3);
		PushImage(&st, t, values, nulls, shown);
	}
	else
	{
		for (int i = 0; i < natts; i++)
		{
			shown[i] = (t->cols[i].mode == COL_AUDITED);
			hidden[i] = (t->cols[i].mode == COL_REDACTED);
		}
		PushKey(&st, act == ACT_CREATE ? "new" : "old", 3);
		PushImage(&st, t, values, nulls, shown);
	}
	PushRedacted(&st, t, hidden);
	res = pushJsonbValue(&st, WJB_END_OBJECT, NULL);

	ev.action = t->actions[act];
	ev.resource_type = t->resource_type;
	ev.resource_id = ResourceId(t, values, nulls);
	if (ev.resource_id && strlen(ev.resource_id) > AUDIT_MAX_RESOURCE_ID)
	{
		/* an index entry has a size limit; the user's write must not fail on it */
		char	   *rid = (char *) ev.resource_id;

		rid[pg_mbcliplen(rid, strlen(rid), AUDIT_MAX_RESOURCE_ID)] = '\0';
	}
	ev.outcome = AUDIT_OUTCOME_SUCCESS;
	ev.details = JsonbValueToJsonb(res);
	if (t->org_col >= 0 && !nulls[t->org_col])
	{
		/* a table's data must never make its own write fail: clip, or skip an empty org */
		char	   *org = OutputFunctionCall(&t->cols[t->org_col].out, values[t->org_col]);
		int			len = strlen(org);

		if (len > AUDIT_MAX_LABEL)
			org[pg_mbcliplen(org, len, AUDIT_MAX_LABEL)] = '\0';
		ev.org_id = org[0] != '\0' ? org : NULL;
	}
	if (AuditStatementEndHooked())
		AuditQueueEvent(&ev);
	else
		(void) AuditWriteEvent(&ev);

	return PointerGetDatum(NULL);
}

PG_FUNCTION_INFO_V1(auditlog_statement_trigger);
/*
 * AFTER TRUNCATE trigger of registered tables and of their partitions: one
 * <type>.truncate event per emptied table (partitions each have their own;
 * a partitioned table holds no rows of its own). Row events need no
 * statement trigger: the executor hooks write them when the statement ends.
 */
Datum
auditlog_statement_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = CheckTriggerCall(fcinfo, "auditlog.statement_trigger()", false);
	Relation	rel = trigdata->tg_relation;
	TableInfo  *t;
	JsonbParseState *st = NULL;
	JsonbValue *res;
	AuditEvent	ev;

	if (!TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("auditlog.statement_trigger() must be fired by TRUNCATE"),
				 errhint("Use auditlog.register_table() rather than creating the trigger by hand.")));
	if (rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
		return PointerGetDatum(NULL);
	/* a table detached from a registered one keeps this trigger: no event */
	t = GetTableInfo(rel, true);
	if (t == NULL)
		return PointerGetDatum(NULL);

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	PushKey(&st, "table", 5);
	PushString(&st, WJB_VALUE,
			   quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
										  RelationGetRelationName(rel)));
	res = pushJsonbValue(&st, WJB_END_OBJECT, NULL);

	memset(&ev, 0, sizeof(ev));
	ev.action = t->actions[ACT_TRUNCATE];
	ev.resource_type = t->resource_type;
	ev.outcome = AUDIT_OUTCOME_SUCCESS;
	ev.details = JsonbValueToJsonb(res);
	AuditWriteEvent(&ev);
	return PointerGetDatum(NULL);
}
