/*-------------------------------------------------------------------------
 *
 * src/table_info.c
 *	  The backend-local description of each registered table.
 *
 * Each registered table (or partition of one) gets a backend-local
 * description, built on its first change and dropped on any relcache
 * invalidation of the table or of its registered ancestor: what each column
 * becomes in an event (kept, redacted or left out, and how its value turns
 * into JSON), which columns make the resource id, and the action names.
 * The row trigger then needs no catalog access and no SQL at all.
 *
 * A registration that names a column the table no longer has means that a
 * rename or a drop was not followed (the event triggers were off, say):
 * the description is not built then, and the write fails, rather than log
 * a redacted or excluded column under its new name in clear.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/partition.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "catalog.h"
#include "table_info.h"

/* The options of a registration, as read from auditlog.registry. */
typedef struct Registration
{
	char	   *resource_type;
	char	   *id_column;		/* NULL: the primary key */
	char	   *org_column;		/* NULL: none */
	ArrayType  *exclude;
	ArrayType  *redact;
} Registration;

static HTAB *table_cache = NULL;

static void TableCacheCallback(Datum arg, Oid relid);
static void TableCacheReset(void);
static bool InNameArray(ArrayType *arr, const char *name);
static bool HasColumn(TupleDesc desc, const char *name);
static void CheckColumnsExist(Relation rel, const Registration *reg);
static void RefuseUnregistered(Relation rel);
static JsonConv ChooseConv(Oid basetype);
static Oid	FindRegistration(Oid relid, Registration *reg);
static void DescribeColumn(TableInfo *t, Form_pg_attribute att, const Registration *reg, int i);
static int	CompareKeys(const void *a, const void *b, void *arg);
static void AddPrimaryKey(TableInfo *t, Relation rel);
static bool BuildTableInfo(TableInfo *t, Relation rel, bool missing_ok);

/* Relcache invalidations seen, of any relation: how a build knows one came in meanwhile. */
static uint64 invalidations = 0;

/* Drops the descriptions of a table and of every partition audited through it. */
static void
TableCacheCallback(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS status;
	TableInfo  *t;

	invalidations++;
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

/* True when the descriptor has a live column of that name. */
static bool
HasColumn(TupleDesc desc, const char *name)
{
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return true;
	}
	return false;
}

/* Errors when the registration names a column the table does not have. */
static void
CheckColumnsExist(Relation rel, const Registration *reg)
{
	const char *const what[2] = {"exclude_columns", "redact_columns"};
	ArrayType  *const lists[2] = {reg->exclude, reg->redact};
	const char *missing = NULL;
	const char *option = NULL;

	for (int l = 0; l < 2 && !missing; l++)
	{
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		deconstruct_array(lists[l], NAMEOID, NAMEDATALEN, false, TYPALIGN_CHAR, &elems, &nulls, &n);
		for (int i = 0; i < n && !missing; i++)
		{
			if (!nulls[i] && !HasColumn(RelationGetDescr(rel), NameStr(*DatumGetName(elems[i]))))
			{
				missing = NameStr(*DatumGetName(elems[i]));
				option = what[l];
			}
		}
	}
	if (!missing && reg->id_column && !HasColumn(RelationGetDescr(rel), reg->id_column))
	{
		missing = reg->id_column;
		option = "id_column";
	}
	if (!missing && reg->org_column && !HasColumn(RelationGetDescr(rel), reg->org_column))
	{
		missing = reg->org_column;
		option = "org_column";
	}
	if (missing)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("the registration of table \"%s\" names column \"%s\" (in %s), which the table does not have",
						RelationGetRelationName(rel), missing, option),
				 errdetail("A rename or drop of that column was not followed; its values could be logged in clear."),
				 errhint("Register the table again with the column's present name, with auditlog.register_table().")));
}

/*
 * Errors for a table that carries auditlog's trigger but is not registered:
 * as after pg_restore --schema-only, until auditlog's data is restored.
 */
static void
RefuseUnregistered(Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	char	   *name;

	/* a partition's trigger comes from its partitioned table: name that one */
	if (rel->rd_rel->relispartition)
		relid = llast_oid(get_partition_ancestors(relid));
	name = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("table %s has auditlog's trigger but is not registered", name),
			 errdetail("Its registration is missing, as after pg_restore --schema-only until the data of schema auditlog is restored."),
			 errhint("Restore auditlog's data first (pg_restore --data-only --schema=auditlog), "
					 "or register the table again with SELECT auditlog.register_table(%s); "
					 "or drop its trigger: DROP TRIGGER auditlog_row ON %s;",
					 quote_literal_cstr(name), name)));
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
 * Finds the registry row for relid or its nearest registered ancestor and
 * reads its options into *reg (in the current memory context). Returns the
 * registered table's oid, or InvalidOid.
 */
static Oid
FindRegistration(Oid relid, Registration *reg)
{
	List	   *candidates = list_make1_oid(relid);
	Relation	rel;
	ListCell   *lc;
	Snapshot	snap;
	Oid			found = InvalidOid;

	if (get_rel_relispartition(relid))
		candidates = list_concat(candidates, get_partition_ancestors(relid));

	rel = table_open(AuditRelid(AREL_REGISTRY), AccessShareLock);
	AuditCheckNatts(rel, Natts_registry);
	snap = RegisterSnapshot(GetLatestSnapshot());
	foreach(lc, candidates)
	{
		ScanKeyData key;
		SysScanDesc scan;
		HeapTuple	tup;

		ScanKeyInit(&key, Anum_registry_tbl, BTEqualStrategyNumber, F_OIDEQ,
					ObjectIdGetDatum(lfirst_oid(lc)));
		scan = systable_beginscan(rel, AuditRelid(AREL_REGISTRY_PKEY), true, snap, 1, &key);
		tup = systable_getnext(scan);
		if (HeapTupleIsValid(tup))
		{
			TupleDesc	desc = RelationGetDescr(rel);
			bool		isnull;
			Datum		d;

			found = lfirst_oid(lc);
			reg->resource_type = TextDatumGetCString(heap_getattr(tup, Anum_registry_resource_type,
																  desc, &isnull));
			d = heap_getattr(tup, Anum_registry_id_column, desc, &isnull);
			reg->id_column = isnull ? NULL : pstrdup(NameStr(*DatumGetName(d)));
			d = heap_getattr(tup, Anum_registry_org_column, desc, &isnull);
			reg->org_column = isnull ? NULL : pstrdup(NameStr(*DatumGetName(d)));
			reg->exclude = DatumGetArrayTypePCopy(heap_getattr(tup, Anum_registry_exclude_columns,
															   desc, &isnull));
			reg->redact = DatumGetArrayTypePCopy(heap_getattr(tup, Anum_registry_redact_columns,
															  desc, &isnull));
		}
		systable_endscan(scan);
		if (OidIsValid(found))
			break;
	}
	UnregisterSnapshot(snap);
	table_close(rel, AccessShareLock);
	return found;
}

/* Describes column i of the table (not dropped): its mode, JSON conversion, role. */
static void
DescribeColumn(TableInfo *t, Form_pg_attribute att, const Registration *reg, int i)
{
	ColumnInfo *c = &t->cols[i];
	Oid			outfn;
	bool		varlena;

	c->name = pstrdup(NameStr(att->attname));
	c->namelen = strlen(c->name);
	if (InNameArray(reg->exclude, c->name))
		c->mode = COL_EXCLUDED;
	else if (InNameArray(reg->redact, c->name))
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
	if (reg->org_column && strcmp(reg->org_column, c->name) == 0)
		t->org_col = i;
	if (reg->id_column && strcmp(reg->id_column, c->name) == 0)
		t->keys[t->nkeys++] = i;
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

/* The resource id's columns when no id column is given: the primary key, in its order. */
static void
AddPrimaryKey(TableInfo *t, Relation rel)
{
	Oid			pk = RelationGetPrimaryKeyIndex(rel);
	Relation	idx;

	if (!OidIsValid(pk))
		return;
	idx = index_open(pk, AccessShareLock);
	for (int k = 0; k < idx->rd_index->indnkeyatts; k++)
	{
		int			attno = idx->rd_index->indkey.values[k];

		if (attno > 0)
			t->keys[t->nkeys++] = attno - 1;
	}
	index_close(idx, AccessShareLock);
}

/*
 * Builds the description of a table from its registration and its columns.
 * Returns false when the table is not registered and missing_ok.
 */
static bool
BuildTableInfo(TableInfo *t, Relation rel, bool missing_ok)
{
	TupleDesc	desc = RelationGetDescr(rel);
	Registration reg;
	MemoryContext old;

	if (t->cxt)
		MemoryContextReset(t->cxt);
	else
		t->cxt = AllocSetContextCreate(CacheMemoryContext, "auditlog table",
									   ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(t->cxt);

	t->registered = FindRegistration(RelationGetRelid(rel), &reg);
	if (!OidIsValid(t->registered))
	{
		MemoryContextSwitchTo(old);
		if (missing_ok)
			return false;
		RefuseUnregistered(rel);
	}
	CheckColumnsExist(rel, &reg);

	t->resource_type = reg.resource_type;
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

		if (att->attisdropped)
			t->cols[i].mode = COL_EXCLUDED;
		else
			DescribeColumn(t, att, &reg, i);
	}

	/*
	 * jsonb keeps an object's keys sorted (shorter first, then bytewise);
	 * pushing them in that order makes its sort a single check.
	 */
	t->key_order = palloc(sizeof(int) * Max(desc->natts, 1));
	for (int i = 0; i < desc->natts; i++)
		t->key_order[i] = i;
	qsort_arg(t->key_order, desc->natts, sizeof(int), CompareKeys, t->cols);

	if (!reg.id_column)
		AddPrimaryKey(t, rel);
	MemoryContextSwitchTo(old);
	t->valid = true;
	return true;
}

/*
 * The description of the table a trigger fired on, built when missing or
 * stale; NULL when the table is not registered and missing_ok.
 */
TableInfo *
AuditGetTableInfo(Relation rel, bool missing_ok)
{
	Oid			relid = RelationGetRelid(rel);
	TableInfo  *t;
	bool		found;

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
		/* all that TableCacheCallback reads: it may run while t is built */
		t->valid = false;
		t->registered = InvalidOid;
		t->natts = 0;
		t->cxt = NULL;
	}
	if (!t->valid || t->natts != RelationGetDescr(rel)->natts)
	{
		uint64		before = invalidations;

		t->valid = false;
		if (!BuildTableInfo(t, rel, missing_ok))
			return NULL;

		/*
		 * The build reads the registry, then takes locks (the primary key's
		 * index), which take in invalidations: one that came in meanwhile
		 * (register_table committing new options) may be newer than what
		 * was read, and the build's "valid" would hide it for the rest of
		 * the session (redacted columns logged in clear). This row is
		 * described as of the build; the next one builds again.
		 */
		if (invalidations != before)
			t->valid = false;
	}
	return t;
}

/* Module start-up: descriptions follow the tables and our objects. */
void
TableInfoInit(void)
{
	CacheRegisterRelcacheCallback(TableCacheCallback, (Datum) 0);
	AuditOnReset(TableCacheReset);
}
