/*-------------------------------------------------------------------------
 *
 * src/registry.c
 *	  Register_table and unregister_table: which tables are audited, and how.
 *
 * The registry (auditlog.registry) keeps, per registered table, the options
 * of register_table by column name. The triggers read it through the cache
 * in table_info.c; every change here sends a relcache invalidation for the
 * table so that every backend rebuilds its view of it. ddl.c keeps it in
 * step with what later DDL does to the tables.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/catalog.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "catalog.h"
#include "ddl_watch.h"
#include "labels.h"
#include "owner.h"
#include "registry.h"
#include "spi_util.h"
#include "validate.h"

/* What register_table was asked to do, validated. */
typedef struct RegisterOptions
{
	char	   *resource_type;
	char	   *id_column;		/* NULL: the primary key */
	List	   *exclude;		/* column names */
	List	   *redact;
	char	   *org_column;		/* NULL: none */
} RegisterOptions;

static void CheckTablePrivilege(Relation rel);
static Relation OpenArgTable(FunctionCallInfo fcinfo, LOCKMODE lock);
static void CheckColumn(Relation rel, const char *what, const char *name);
static List *ColumnList(FunctionCallInfo fcinfo, int argno, const char *what, Relation rel);
static Datum NameArray(List *names);
static bool HasTrigger(Oid relid, const char *name);
static List *StatementTriggerTables(Oid relid);
static void CheckTarget(Relation rel);
static void CheckNoRegisteredPartition(Relation rel);
static void ReadOptions(FunctionCallInfo fcinfo, Relation rel, RegisterOptions *opt);
static void StoreRegistration(Relation rel, RegisterOptions *opt);
static void InstallTriggers(Relation rel);
static void DescribeActions(Relation rel, const char *resource_type);

/* ------------------------------------------------------------------------
 * internal
 * ------------------------------------------------------------------------
 */

/* Errors unless the current user may create triggers on the table. */
static void
CheckTablePrivilege(Relation rel)
{
	AclResult	acl = pg_class_aclcheck(RelationGetRelid(rel), GetUserId(), ACL_TRIGGER);

	if (acl != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to audit table %s", RelationGetRelationName(rel)),
				 errhint("Registering a table needs its TRIGGER privilege (or ownership).")));
}

/* Opens a table named by a regclass argument, erroring when it is gone. */
static Relation
OpenArgTable(FunctionCallInfo fcinfo, LOCKMODE lock)
{
	Oid			relid;
	Relation	rel;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("tbl must not be null"),
				 errhint("Pass the table, such as 'public.connection'::regclass.")));
	relid = PG_GETARG_OID(0);
	rel = try_relation_open(relid, lock);
	if (rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	return rel;
}

/* Errors unless 'name' is a live user column of the table. */
static void
CheckColumn(Relation rel, const char *what, const char *name)
{
	AttrNumber	attnum = get_attnum(RelationGetRelid(rel), name);

	if (attnum < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_COLUMN_REFERENCE),
				 errmsg("system column \"%s\" cannot be used as %s", name, what),
				 errhint("Name an ordinary column of table \"%s\".", RelationGetRelationName(rel))));
	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist", name,
						RelationGetRelationName(rel)),
				 errdetail("It was given as %s.", what),
				 errhint("Column names are case-sensitive; \\d %s lists the columns.",
						 RelationGetRelationName(rel))));
}

/*
 * Warns when the id_column names no row alone: two rows with one value would
 * be one resource in the log, a NULL no resource at all. Only a warning:
 * the application may keep the values unique itself, and a refusal would
 * leave such a table unaudited.
 */
static void
WarnUnlessRowKey(Relation rel, const char *name)
{
	AttrNumber	attnum = get_attnum(RelationGetRelid(rel), name);
	bool		unique = false;
	bool		notnull;
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;

	foreach(lc, indexes)
	{
		Relation	idx = index_open(lfirst_oid(lc), AccessShareLock);
		Form_pg_index ix = idx->rd_index;

		unique = ix->indisunique && ix->indimmediate && ix->indisvalid && ix->indislive &&
			ix->indnkeyatts == 1 && ix->indkey.values[0] == attnum &&
			heap_attisnull(idx->rd_indextuple, Anum_pg_index_indpred, NULL);
		index_close(idx, AccessShareLock);
		if (unique)
			break;
	}
	list_free(indexes);
	notnull = TupleDescAttr(RelationGetDescr(rel), attnum - 1)->attnotnull;
	if (!unique || !notnull)
		ereport(WARNING,
				(errmsg("id_column \"%s\" of table \"%s\" is %s", name, RelationGetRelationName(rel),
						unique ? "nullable" : notnull ? "not unique" : "neither unique nor NOT NULL"),
				 errdetail("Rows with one value of \"%s\" would be one resource in the log, and a row "
						   "where it is NULL would name no resource.", name),
				 errhint("Give the column a unique index (or constraint) of its own and NOT NULL%s.",
						 rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE ?
						 "; on a partitioned table, that needs it to be the partition key" : "")));
}

/* Whether one of two tables inherits from the other (a family registered under one type). */
static bool
SameFamily(Oid a, Oid b)
{
	return list_member_oid(find_all_inheritors(a, NoLock, NULL), b) ||
		list_member_oid(find_all_inheritors(b, NoLock, NULL), a);
}

/*
 * Warns when another registered table, not of the table's inheritance
 * family, has the same resource type: a row of each with one id would be
 * one resource in the log. Only a warning: tables whose ids never meet
 * (uuids, one sequence) may share a type on purpose.
 */
static void
WarnIfTypeShared(Relation rel, const char *resource_type)
{
	SpiArgs		args = {0};
	List	   *others;
	ListCell   *lc;

	SpiArg(&args, TEXTOID, CStringGetTextDatum(resource_type));
	SpiArg(&args, OIDOID, ObjectIdGetDatum(RelationGetRelid(rel)));
	if (SpiExec("SELECT r.tbl::pg_catalog.oid FROM auditlog.registry r"
				" WHERE r.resource_type OPERATOR(pg_catalog.=) $1"
				"   AND r.tbl::pg_catalog.oid OPERATOR(pg_catalog.<>) $2 ORDER BY 1",
				&args, SPI_OK_SELECT) == 0)
		return;
	others = SpiColumnOids(1);
	foreach(lc, others)
	{
		Oid			other = lfirst_oid(lc);

		if (SameFamily(RelationGetRelid(rel), other))
			continue;
		ereport(WARNING,
				(errmsg("resource type \"%s\" of table \"%s\" is also that of table %s", resource_type,
						RelationGetRelationName(rel), QualifiedRelationName(other)),
				 errdetail("A row of each with one id would be one resource in the log, and its events "
						   "would not tell the tables apart."),
				 errhint("Pass each table a resource_type of its own, unless their ids never meet.")));
		break;
	}
}

/* Validates a name[] argument of column names; returns the names, duplicates left out. */
static List *
ColumnList(FunctionCallInfo fcinfo, int argno, const char *what, Relation rel)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	List	   *names = NIL;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", what),
				 errhint("Pass '{}' for no columns.")));
	arr = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", what),
				 errhint("List the column names in one dimension, such as '{access_token, secret}'.")));
	deconstruct_array(arr, NAMEOID, NAMEDATALEN, false, TYPALIGN_CHAR, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		char	   *col;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain null", what),
					 errhint("List column names only, such as '{access_token}'.")));
		col = NameStr(*DatumGetName(elems[i]));
		CheckColumn(rel, what, col);
		if (!NameListHas(names, col))
			names = lappend(names, pstrdup(col));
	}
	return names;
}

/* A List of C strings as a name[] Datum. */
static Datum
NameArray(List *names)
{
	int			n = list_length(names);
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	int			i = 0;
	ListCell   *lc;

	foreach(lc, names)
	{
		Name		nm = palloc0(NAMEDATALEN);

		namestrcpy(nm, (char *) lfirst(lc));
		elems[i++] = NameGetDatum(nm);
	}
	return PointerGetDatum(construct_array(elems, n, NAMEOID, NAMEDATALEN, false, TYPALIGN_CHAR));
}

/* True when the table carries the named trigger. */
static bool
HasTrigger(Oid relid, const char *name)
{
	SpiArgs		args = {0};

	SpiArg(&args, OIDOID, ObjectIdGetDatum(relid));
	SpiArg(&args, TEXTOID, CStringGetTextDatum(name));
	return SpiExec("SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid OPERATOR(pg_catalog.=) $1 "
				   "AND tgname OPERATOR(pg_catalog.=) $2::pg_catalog.name AND NOT tgisinternal",
				   &args, SPI_OK_SELECT) > 0;
}

/*
 * The tables that get the statement trigger: the table and, for a
 * partitioned table, every partition below it (row triggers reach those
 * by themselves; statement triggers do not).
 */
static List *
StatementTriggerTables(Oid relid)
{
	if (get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE)
		return find_all_inheritors(relid, NoLock, NULL);
	return list_make1_oid(relid);
}

/* Errors unless the relation is a table that may be audited by this user. */
static void
CheckTarget(Relation rel)
{
	const char *relname = RelationGetRelationName(rel);
	char		relkind = rel->rd_rel->relkind;

	if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table", relname),
				 errdetail("Only tables and partitioned tables can be registered."),
				 (relkind == RELKIND_VIEW || relkind == RELKIND_MATVIEW) ?
				 errhint("Register the tables the view reads from.") :
				 relkind == RELKIND_FOREIGN_TABLE ?
				 errhint("Register the table on the server that holds the rows.") :
				 errhint("Pass a table, such as 'public.connection'::regclass.")));
	if (rel->rd_rel->relpersistence == RELPERSISTENCE_TEMP)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot audit temporary table \"%s\"", relname),
				 errdetail("A temporary table lives only as long as its session."),
				 errhint("Audit a permanent or unlogged table, or log the session's actions with auditlog.log_event().")));
	if (rel->rd_rel->relispartition)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is a partition", relname),
				 errhint("Register its partitioned table: every partition is audited under its resource type.")));
	if (RelationGetNamespace(rel) == AuditSchemaOid() ||
		IsCatalogNamespace(RelationGetNamespace(rel)) ||
		IsToastNamespace(RelationGetNamespace(rel)))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("cannot audit system table \"%s\"", relname),
				 errhint("Register the application's own tables.")));
	CheckTablePrivilege(rel);
	if (relkind == RELKIND_PARTITIONED_TABLE)
		CheckNoRegisteredPartition(rel);
}

/* Errors when a partition below the table is registered on its own. */
static void
CheckNoRegisteredPartition(Relation rel)
{
	AuditOwnerState st;
	ListCell   *lc;

	AuditConnectAsOwner(&st);
	foreach(lc, find_all_inheritors(RelationGetRelid(rel), NoLock, NULL))
	{
		Oid			part = lfirst_oid(lc);

		if (part != RelationGetRelid(rel) && RegistryHas(part))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("partition \"%s\" of \"%s\" is registered on its own",
							get_rel_name(part), RelationGetRelationName(rel)),
					 errdetail("Its rows would be audited twice."),
					 errhint("Run auditlog.unregister_table('%s') first.", QualifiedRelationName(part))));
	}
	AuditFinishAsOwner(&st);
}

/* Reads and validates register_table's options. */
static void
ReadOptions(FunctionCallInfo fcinfo, Relation rel, RegisterOptions *opt)
{
	ListCell   *lc;

	memset(opt, 0, sizeof(*opt));
	/* the resource type names the actions, so it must be a valid action word */
	if (PG_ARGISNULL(1))
	{
		opt->resource_type = RelationGetRelationName(rel);
		AuditCheckResourceType(opt->resource_type, RelationGetRelationName(rel));
	}
	else
	{
		opt->resource_type = text_to_cstring(PG_GETARG_TEXT_PP(1));
		AuditCheckResourceType(opt->resource_type, NULL);
	}

	/* how a row is identified */
	if (!PG_ARGISNULL(2))
	{
		opt->id_column = pstrdup(NameStr(*PG_GETARG_NAME(2)));
		CheckColumn(rel, "id_column", opt->id_column);
	}
	else if (!OidIsValid(RelationGetPrimaryKeyIndex(rel)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" has no primary key", RelationGetRelationName(rel)),
				 errdetail("The primary key is what an event names as the resource id."),
				 errhint("Add a primary key, or pass id_column => 'a_unique_column'.")));

	opt->exclude = ColumnList(fcinfo, 3, "exclude_columns", rel);
	opt->redact = ColumnList(fcinfo, 4, "redact_columns", rel);
	foreach(lc, opt->redact)
	{
		if (NameListHas(opt->exclude, (char *) lfirst(lc)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("column \"%s\" is both excluded and redacted", (char *) lfirst(lc)),
					 errhint("Exclude it to leave it out of events, or redact it to show that it changed without its value.")));
	}
	if (!PG_ARGISNULL(5))
	{
		opt->org_column = pstrdup(NameStr(*PG_GETARG_NAME(5)));
		CheckColumn(rel, "org_column", opt->org_column);
	}
	RegistryCheckOptions(rel, opt->id_column, opt->exclude, opt->redact, opt->org_column);
}

/* Inserts or updates the table's row of auditlog.registry. */
static void
StoreRegistration(Relation rel, RegisterOptions *opt)
{
	SpiArgs		args = {0};

	SpiArg(&args, REGCLASSOID, ObjectIdGetDatum(RelationGetRelid(rel)));
	SpiArg(&args, TEXTOID, CStringGetTextDatum(opt->resource_type));
	SpiArgName(&args, opt->id_column);
	SpiArg(&args, NAMEARRAYOID, NameArray(opt->exclude));
	SpiArg(&args, NAMEARRAYOID, NameArray(opt->redact));
	SpiArgName(&args, opt->org_column);
	SpiExec("INSERT INTO auditlog.registry AS r (tbl, resource_type, id_column, exclude_columns, "
			"redact_columns, org_column) VALUES ($1, $2, $3, $4, $5, $6) "
			"ON CONFLICT (tbl) DO UPDATE SET resource_type = EXCLUDED.resource_type, "
			"id_column = EXCLUDED.id_column, exclude_columns = EXCLUDED.exclude_columns, "
			"redact_columns = EXCLUDED.redact_columns, org_column = EXCLUDED.org_column, "
			"registered_at = EXCLUDED.registered_at, registered_by = EXCLUDED.registered_by",
			&args, SPI_OK_INSERT);
}

/* Puts the row trigger on the table, and the statement trigger on it and its partitions. */
static void
InstallTriggers(Relation rel)
{
	if (!HasTrigger(RelationGetRelid(rel), "auditlog_row"))
		SpiExec(psprintf("CREATE TRIGGER auditlog_row AFTER INSERT OR UPDATE OR DELETE ON %s "
						 "FOR EACH ROW EXECUTE FUNCTION auditlog.row_trigger()",
						 QualifiedRelationName(RelationGetRelid(rel))),
				NULL, SPI_OK_UTILITY);
	RegistryAddStatementTriggers(RelationGetRelid(rel));
}

/* The table's four actions join the catalogue, described once. */
static void
DescribeActions(Relation rel, const char *resource_type)
{
	static const char *const verbs[4] = {"create", "update", "delete", "truncate"};
	static const char *const verb_words[4] = {"Created", "Updated", "Deleted", "Emptied"};
	char	   *qualified = QualifiedRelationName(RelationGetRelid(rel));

	for (int i = 0; i < 4; i++)
	{
		char	   *description;

		if (i == 3)
			description = psprintf("%s every %s: TRUNCATE of table %s",
								   verb_words[i], resource_type, qualified);
		else
			description = psprintf("%s %s %s (row of table %s)", verb_words[i],
								   strchr("aeiou", resource_type[0]) ? "an" : "a",
								   resource_type, qualified);
		AuditDescribeAction(psprintf("%s.%s", resource_type, verbs[i]), description);
	}
}

/* ------------------------------------------------------------------------
 * shared with ddl.c
 * ------------------------------------------------------------------------
 */

/* True when the List of C strings holds 'name'. */
bool
NameListHas(List *names, const char *name)
{
	ListCell   *lc;

	foreach(lc, names)
	{
		if (strcmp((char *) lfirst(lc), name) == 0)
			return true;
	}
	return false;
}

/* schema.name of a relation, quoted as needed. */
char *
QualifiedRelationName(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

/* True when the table itself is registered. */
bool
RegistryHas(Oid relid)
{
	SpiArgs		args = {0};

	if (!OidIsValid(relid))
		return false;
	SpiArg(&args, OIDOID, ObjectIdGetDatum(relid));
	return SpiExec("SELECT 1 FROM auditlog.registry "
				   "WHERE tbl OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
				   &args, SPI_OK_SELECT) > 0;
}

/* True when the table or a partitioned table above it is registered. */
bool
RegistryAudits(Oid relid)
{
	ListCell   *lc;

	if (RegistryHas(relid))
		return true;
	if (!OidIsValid(relid) || !get_rel_relispartition(relid))
		return false;
	foreach(lc, get_partition_ancestors(relid))
	{
		if (RegistryHas(lfirst_oid(lc)))
			return true;
	}
	return false;
}

/* Puts the statement trigger on a table and the partitions below it. */
void
RegistryAddStatementTriggers(Oid relid)
{
	ListCell   *lc;

	foreach(lc, StatementTriggerTables(relid))
	{
		Oid			oid = lfirst_oid(lc);

		if (!HasTrigger(oid, "auditlog_stmt"))
			SpiExec(psprintf("CREATE TRIGGER auditlog_stmt "
							 "AFTER TRUNCATE ON %s "
							 "FOR EACH STATEMENT EXECUTE FUNCTION auditlog.statement_trigger()",
							 QualifiedRelationName(oid)),
					NULL, SPI_OK_UTILITY);
	}
}

/* Takes the statement trigger off a table and the partitions below it. */
void
RegistryDropStatementTriggers(Oid relid)
{
	ListCell   *lc;

	foreach(lc, StatementTriggerTables(relid))
		SpiExec(psprintf("DROP TRIGGER IF EXISTS auditlog_stmt ON %s",
						 QualifiedRelationName(lfirst_oid(lc))),
				NULL, SPI_OK_UTILITY);
}

/* ------------------------------------------------------------------------
 * SQL-callable functions
 * ------------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(auditlog_register_table);
/*
 * auditlog.register_table(tbl, resource_type, id_column, exclude_columns,
 * redact_columns, org_column): from now on every INSERT, UPDATE, DELETE and
 * TRUNCATE of tbl writes an event <resource_type>.create|update|delete|truncate.
 */
Datum
auditlog_register_table(PG_FUNCTION_ARGS)
{
	Relation	rel;
	RegisterOptions opt;
	AuditOwnerState st;
	bool		registered_before;
	char	   *problem;
	Oid			relid;

	PreventCommandIfReadOnly("auditlog.register_table()");
	rel = OpenArgTable(fcinfo, ShareRowExclusiveLock);
	relid = RelationGetRelid(rel);
	CheckTarget(rel);
	ReadOptions(fcinfo, rel, &opt);
	AuditConnectAsOwner(&st);
	registered_before = RegistryHas(relid);
	AuditFinishAsOwner(&st);

	AuditConnectAsOwner(&st);
	RegistryCheckStructure(rel);
	problem = registered_before ? AuditingProblem(relid) : NULL;
	/* after every refusal: a refused call does not warn first */
	if (opt.id_column)
		WarnUnlessRowKey(rel, opt.id_column);
	WarnIfTypeShared(rel, opt.resource_type);
	StoreRegistration(rel, &opt);
	InstallTriggers(rel);
	DescribeActions(rel, opt.resource_type);
	AuditFinishAsOwner(&st);

	CacheInvalidateRelcache(rel);
	/* closed (still locked) first: ALTER TABLE refuses a table in use */
	table_close(rel, NoLock);

	/* registering again switches auditing back on, on the record */
	AuditConnectAsOwner(&st);
	(void) RegistrySwitchOnTriggers(relid);
	if (problem && AuditingProblem(relid) == NULL)
		AuditLogAuditingSwitch(relid, "auditlog.auditing_on", NULL, "auditlog.register_table()");
	AuditFinishAsOwner(&st);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(auditlog_unregister_table);
/* auditlog.unregister_table(tbl): stops auditing tbl; its events stay. */
Datum
auditlog_unregister_table(PG_FUNCTION_ARGS)
{
	Relation	rel;
	AuditOwnerState st;
	SpiArgs		args = {0};

	PreventCommandIfReadOnly("auditlog.unregister_table()");
	rel = OpenArgTable(fcinfo, ShareRowExclusiveLock);
	CheckTablePrivilege(rel);
	SpiArg(&args, REGCLASSOID, ObjectIdGetDatum(RelationGetRelid(rel)));

	AuditConnectAsOwner(&st);
	RegistryCheckUnregister(rel);
	if (SpiExec("DELETE FROM auditlog.registry WHERE tbl OPERATOR(pg_catalog.=) $1",
				&args, SPI_OK_DELETE) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("table \"%s\" is not registered", RelationGetRelationName(rel)),
				 errhint("auditlog.registered_tables lists the registered tables.")));
	SpiExec(psprintf("DROP TRIGGER IF EXISTS auditlog_row ON %s",
					 QualifiedRelationName(RelationGetRelid(rel))),
			NULL, SPI_OK_UTILITY);
	RegistryDropStatementTriggers(RelationGetRelid(rel));
	AuditFinishAsOwner(&st);

	CacheInvalidateRelcache(rel);
	table_close(rel, NoLock);
	PG_RETURN_VOID();
}
