/* src/registry.c — register_table, unregister_table, and the registry following DDL */
#include "auditlog.h"

#include "access/relation.h"
#include "access/table.h"
#include "catalog/catalog.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"

/*
 * The registry (auditlog.registry) keeps, per registered table, the options
 * of register_table by column name. The triggers read it through the cache
 * in trigger.c; every change here sends a relcache invalidation for the
 * table so that every backend rebuilds its view of it.
 */

/* ------------------------------------------------------------------------
 * internal
 * ------------------------------------------------------------------------
 */

/* Runs the registry's SQL as the extension's owner: callers have no privilege on it. */
typedef AuditOwnerState OwnerContext;

static void
BecomeOwner(OwnerContext *ctx)
{
	Relation	rel = table_open(AuditRelid("registry"), AccessShareLock);
	Oid			owner = rel->rd_rel->relowner;

	table_close(rel, AccessShareLock);
	AuditBecomeOwner(owner, ctx);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "auditlog: SPI_connect failed");
}

static void
ResumeCaller(OwnerContext *ctx)
{
	SPI_finish();
	AuditResumeCaller(ctx);
}

/* Runs one statement, erroring with its text when it fails. */
static void
Exec(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls, int expect)
{
	int			ret = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);

	if (ret != expect)
		elog(ERROR, "auditlog: internal statement failed (%s): %s",
			 SPI_result_code_string(ret), sql);
}

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
 * Validates a name[] argument of column names and returns it as a text
 * array literal-free Datum (name[]) with duplicates kept out.
 */
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
				 errmsg("%s must be a one-dimensional array", what)));
	deconstruct_array(arr, NAMEOID, NAMEDATALEN, false, TYPALIGN_CHAR, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		char	   *col;
		ListCell   *lc;
		bool		dup = false;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain null", what),
					 errhint("List column names only, such as '{access_token}'.")));
		col = NameStr(*DatumGetName(elems[i]));
		CheckColumn(rel, what, col);
		foreach(lc, names)
			dup |= (strcmp((char *) lfirst(lc), col) == 0);
		if (!dup)
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
	Oid			types[2] = {OIDOID, TEXTOID};
	Datum		values[2] = {ObjectIdGetDatum(relid), CStringGetTextDatum(name)};

	Exec("SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid OPERATOR(pg_catalog.=) $1 "
		 "AND tgname OPERATOR(pg_catalog.=) $2::pg_catalog.name AND NOT tgisinternal",
		 2, types, values, NULL, SPI_OK_SELECT);
	return SPI_processed > 0;
}

/* schema.name of a relation, quoted as needed. */
static char *
QualifiedName(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
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

/* Puts the statement trigger on a table and the partitions below it. */
static void
AddStatementTriggers(Oid relid)
{
	ListCell   *lc;

	foreach(lc, StatementTriggerTables(relid))
	{
		Oid			oid = lfirst_oid(lc);

		if (!HasTrigger(oid, "auditlog_stmt"))
			Exec(psprintf("CREATE TRIGGER auditlog_stmt "
						  "AFTER TRUNCATE ON %s "
						  "FOR EACH STATEMENT EXECUTE FUNCTION auditlog.statement_trigger()",
						  QualifiedName(oid)),
				 0, NULL, NULL, NULL, SPI_OK_UTILITY);
	}
}

/* Takes the statement trigger off a table and the partitions below it. */
static void
DropStatementTriggers(Oid relid)
{
	ListCell   *lc;

	foreach(lc, StatementTriggerTables(relid))
		Exec(psprintf("DROP TRIGGER IF EXISTS auditlog_stmt ON %s", QualifiedName(lfirst_oid(lc))),
			 0, NULL, NULL, NULL, SPI_OK_UTILITY);
}

/* True when the table itself is registered. */
static bool
IsRegistered(Oid relid)
{
	Oid			types[1] = {OIDOID};
	Datum		values[1];

	if (!OidIsValid(relid))
		return false;
	values[0] = ObjectIdGetDatum(relid);
	Exec("SELECT 1 FROM auditlog.registry WHERE tbl OPERATOR(pg_catalog.=) $1::pg_catalog.regclass",
		 1, types, values, NULL, SPI_OK_SELECT);
	return SPI_processed > 0;
}

/* True when the table or a partitioned table above it is registered. */
static bool
IsAudited(Oid relid)
{
	ListCell   *lc;

	if (IsRegistered(relid))
		return true;
	if (!OidIsValid(relid) || !get_rel_relispartition(relid))
		return false;
	foreach(lc, get_partition_ancestors(relid))
	{
		if (IsRegistered(lfirst_oid(lc)))
			return true;
	}
	return false;
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
	char	   *relname;
	char	   *qualified;
	char	   *resource_type;
	char	   *id_column = NULL;
	char	   *org_column = NULL;
	List	   *exclude;
	List	   *redact;
	ListCell   *lc;
	OwnerContext owner;
	static const char *const verbs[4] = {"create", "update", "delete", "truncate"};
	static const char *const verb_words[4] = {"Created", "Updated", "Deleted", "Emptied"};

	PreventCommandIfReadOnly("auditlog.register_table()");
	rel = OpenArgTable(fcinfo, ShareRowExclusiveLock);
	relname = RelationGetRelationName(rel);
	qualified = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)), relname);

	/* what may be audited */
	if (rel->rd_rel->relkind != RELKIND_RELATION &&
		rel->rd_rel->relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table", relname),
				 errdetail("Only tables and partitioned tables can be registered."),
				 (rel->rd_rel->relkind == RELKIND_VIEW ||
				  rel->rd_rel->relkind == RELKIND_MATVIEW) ?
				 errhint("Register the tables the view reads from.") :
				 rel->rd_rel->relkind == RELKIND_FOREIGN_TABLE ?
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
	if (rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
	{
		ListCell   *lc;
		OwnerContext probe;

		BecomeOwner(&probe);
		foreach(lc, find_all_inheritors(RelationGetRelid(rel), NoLock, NULL))
		{
			Oid			part = lfirst_oid(lc);

			if (part != RelationGetRelid(rel) && IsRegistered(part))
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("partition \"%s\" of \"%s\" is registered on its own",
								get_rel_name(part), relname),
						 errdetail("Its rows would be audited twice."),
						 errhint("Run auditlog.unregister_table('%s') first.", QualifiedName(part))));
		}
		ResumeCaller(&probe);
	}

	/* the resource type names the actions, so it must be a valid action word */
	if (PG_ARGISNULL(1))
	{
		resource_type = relname;
		if (!AuditWordIsValid(resource_type) || strlen(resource_type) > AUDIT_MAX_LABEL - 10)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("table name \"%s\" cannot name actions", relname),
					 errdetail("Actions are named <resource_type>.create and so on, with lower-case words."),
					 errhint("Pass resource_type => 'a_word', such as resource_type => 'connection'.")));
	}
	else
	{
		resource_type = text_to_cstring(PG_GETARG_TEXT_PP(1));
		if (!AuditWordIsValid(resource_type) || strlen(resource_type) > AUDIT_MAX_LABEL - 10)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid resource_type \"%s\"", resource_type),
					 errdetail("A resource type is one lower-case word: [a-z][a-z0-9_]*."),
					 errhint("Such as 'connection' or 'api_key'.")));
	}

	/* how a row is identified */
	if (!PG_ARGISNULL(2))
	{
		id_column = pstrdup(NameStr(*PG_GETARG_NAME(2)));
		CheckColumn(rel, "id_column", id_column);
	}
	else if (!OidIsValid(RelationGetPrimaryKeyIndex(rel)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" has no primary key", relname),
				 errdetail("The primary key is what an event names as the resource id."),
				 errhint("Add a primary key, or pass id_column => 'a_unique_column'.")));

	exclude = ColumnList(fcinfo, 3, "exclude_columns", rel);
	redact = ColumnList(fcinfo, 4, "redact_columns", rel);
	foreach(lc, redact)
	{
		ListCell   *lc2;

		foreach(lc2, exclude)
		{
			if (strcmp((char *) lfirst(lc), (char *) lfirst(lc2)) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("column \"%s\" is both excluded and redacted", (char *) lfirst(lc)),
						 errhint("Exclude it to leave it out of events, or redact it to show that it changed without its value.")));
		}
	}
	if (!PG_ARGISNULL(5))
	{
		org_column = pstrdup(NameStr(*PG_GETARG_NAME(5)));
		CheckColumn(rel, "org_column", org_column);
	}

	BecomeOwner(&owner);
	{
		Oid			types[6] = {REGCLASSOID, TEXTOID, NAMEOID, NAMEARRAYOID, NAMEARRAYOID, NAMEOID};
		Datum		values[6];
		char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
		NameData	idname;
		NameData	orgname;

		values[0] = ObjectIdGetDatum(RelationGetRelid(rel));
		values[1] = CStringGetTextDatum(resource_type);
		if (id_column)
		{
			namestrcpy(&idname, id_column);
			values[2] = NameGetDatum(&idname);
		}
		else
			nulls[2] = 'n';
		values[3] = NameArray(exclude);
		values[4] = NameArray(redact);
		if (org_column)
		{
			namestrcpy(&orgname, org_column);
			values[5] = NameGetDatum(&orgname);
		}
		else
			nulls[5] = 'n';
		Exec("INSERT INTO auditlog.registry AS r (tbl, resource_type, id_column, exclude_columns, "
			 "redact_columns, org_column) VALUES ($1, $2, $3, $4, $5, $6) "
			 "ON CONFLICT (tbl) DO UPDATE SET resource_type = EXCLUDED.resource_type, "
			 "id_column = EXCLUDED.id_column, exclude_columns = EXCLUDED.exclude_columns, "
			 "redact_columns = EXCLUDED.redact_columns, org_column = EXCLUDED.org_column, "
			 "registered_at = EXCLUDED.registered_at, registered_by = EXCLUDED.registered_by",
			 6, types, values, nulls, SPI_OK_INSERT);
	}
	if (!HasTrigger(RelationGetRelid(rel), "auditlog_row"))
		Exec(psprintf("CREATE TRIGGER auditlog_row AFTER INSERT OR UPDATE OR DELETE ON %s "
					  "FOR EACH ROW EXECUTE FUNCTION auditlog.row_trigger()", qualified),
			 0, NULL, NULL, NULL, SPI_OK_UTILITY);
	AddStatementTriggers(RelationGetRelid(rel));

	/* the table's four actions join the catalogue, described once */
	for (int i = 0; i < 4; i++)
	{
		Oid			types[2] = {TEXTOID, TEXTOID};
		Datum		values[2];

		values[0] = CStringGetTextDatum(psprintf("%s.%s", resource_type, verbs[i]));
		values[1] = CStringGetTextDatum(i == 3 ?
										psprintf("%s every %s: TRUNCATE of table %s",
												 verb_words[i], resource_type, qualified) :
										psprintf("%s %s %s (row of table %s)",
												 verb_words[i],
												 strchr("aeiou", resource_type[0]) ? "an" : "a",
												 resource_type, qualified));
		Exec("INSERT INTO auditlog.action_types AS t (action, description) VALUES ($1, $2) "
			 "ON CONFLICT (action) DO UPDATE SET description = EXCLUDED.description "
			 "WHERE t.description IS NULL",
			 2, types, values, NULL, SPI_OK_INSERT);
	}
	ResumeCaller(&owner);

	CacheInvalidateRelcache(rel);
	table_close(rel, NoLock);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(auditlog_unregister_table);
/* auditlog.unregister_table(tbl): stops auditing tbl; its events stay. */
Datum
auditlog_unregister_table(PG_FUNCTION_ARGS)
{
	Relation	rel;
	OwnerContext owner;
	char	   *qualified;
	Oid			types[1] = {REGCLASSOID};
	Datum		values[1];

	PreventCommandIfReadOnly("auditlog.unregister_table()");
	rel = OpenArgTable(fcinfo, ShareRowExclusiveLock);
	CheckTablePrivilege(rel);
	qualified = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
										   RelationGetRelationName(rel));
	values[0] = ObjectIdGetDatum(RelationGetRelid(rel));

	BecomeOwner(&owner);
	Exec("DELETE FROM auditlog.registry WHERE tbl OPERATOR(pg_catalog.=) $1",
		 1, types, values, NULL, SPI_OK_DELETE);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("table \"%s\" is not registered", RelationGetRelationName(rel)),
				 errhint("auditlog.registered_tables lists the registered tables.")));
	Exec(psprintf("DROP TRIGGER IF EXISTS auditlog_row ON %s", qualified),
		 0, NULL, NULL, NULL, SPI_OK_UTILITY);
	DropStatementTriggers(RelationGetRelid(rel));
	ResumeCaller(&owner);

	CacheInvalidateRelcache(rel);
	table_close(rel, NoLock);
	PG_RETURN_VOID();
}

/* Renames a column in every option of a registered table. */
static void
RenameColumn(Oid relid, const char *oldname, const char *newname)
{
	Oid			types[3] = {REGCLASSOID, NAMEOID, NAMEOID};
	Datum		values[3];
	NameData	o,
				n;

	namestrcpy(&o, oldname);
	namestrcpy(&n, newname);
	values[0] = ObjectIdGetDatum(relid);
	values[1] = NameGetDatum(&o);
	values[2] = NameGetDatum(&n);
	Exec("UPDATE auditlog.registry SET "
		 "exclude_columns = pg_catalog.array_replace(exclude_columns, $2, $3), "
		 "redact_columns = pg_catalog.array_replace(redact_columns, $2, $3), "
		 "id_column = CASE WHEN id_column OPERATOR(pg_catalog.=) $2 THEN $3 ELSE id_column END, "
		 "org_column = CASE WHEN org_column OPERATOR(pg_catalog.=) $2 THEN $3 ELSE org_column END "
		 "WHERE tbl OPERATOR(pg_catalog.=) $1",
		 3, types, values, NULL, SPI_OK_UPDATE);
}

/* The oids in the first column of the last query's rows. */
static List *
ResultOids(void)
{
	List	   *oids = NIL;

	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			oids = lappend_oid(oids, DatumGetObjectId(d));
	}
	return oids;
}

/*
 * After anything was dropped: forgets registrations of tables that are
 * gone, and columns that are gone (ALTER TABLE DROP COLUMN, DROP TYPE
 * CASCADE, ...) from the options of the others; a dropped id or org column
 * falls back to the default. The tables whose options changed get a
 * relcache invalidation, so that their triggers reread them.
 */
static void
ReconcileDropped(void)
{
	ListCell   *lc;

	Exec("DELETE FROM auditlog.registry r WHERE NOT EXISTS "
		 "(SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) r.tbl)",
		 0, NULL, NULL, NULL, SPI_OK_DELETE);
	Exec("WITH cols AS ("
		 " SELECT r.tbl, pg_catalog.array_agg(a.attname) AS live FROM auditlog.registry r"
		 " JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) r.tbl"
		 " AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped GROUP BY r.tbl),"
		 " kept AS ("
		 " SELECT r.tbl,"
		 " ARRAY(SELECT x FROM pg_catalog.unnest(r.exclude_columns) AS x"
		 "  WHERE x OPERATOR(pg_catalog.=) ANY (c.live)) AS ex,"
		 " ARRAY(SELECT x FROM pg_catalog.unnest(r.redact_columns) AS x"
		 "  WHERE x OPERATOR(pg_catalog.=) ANY (c.live)) AS re,"
		 " CASE WHEN r.id_column OPERATOR(pg_catalog.=) ANY (c.live) THEN r.id_column END AS idc,"
		 " CASE WHEN r.org_column OPERATOR(pg_catalog.=) ANY (c.live) THEN r.org_column END AS orgc"
		 " FROM auditlog.registry r JOIN cols c ON c.tbl OPERATOR(pg_catalog.=) r.tbl)"
		 " UPDATE auditlog.registry r SET exclude_columns = k.ex, redact_columns = k.re,"
		 " id_column = k.idc, org_column = k.orgc"
		 " FROM kept k WHERE k.tbl OPERATOR(pg_catalog.=) r.tbl"
		 " AND (r.exclude_columns IS DISTINCT FROM k.ex OR r.redact_columns IS DISTINCT FROM k.re"
		 " OR r.id_column IS DISTINCT FROM k.idc OR r.org_column IS DISTINCT FROM k.orgc)"
		 " RETURNING r.tbl::pg_catalog.oid",
		 0, NULL, NULL, NULL, SPI_OK_UPDATE_RETURNING);
	foreach(lc, ResultOids())
		CacheInvalidateRelcacheByRelid(lfirst_oid(lc));
}

/* Tables created by the command that fired this ddl_command_end event trigger. */
static List *
CreatedTables(void)
{
	Exec("SELECT objid FROM pg_catalog.pg_event_trigger_ddl_commands()"
		 " WHERE classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
		 " AND object_type OPERATOR(pg_catalog.=) 'table'"
		 " AND command_tag OPERATOR(pg_catalog.=) 'CREATE TABLE'",
		 0, NULL, NULL, NULL, SPI_OK_SELECT);
	return ResultOids();
}

PG_FUNCTION_INFO_V1(auditlog_follow_ddl);
/*
 * Event trigger: after ALTER TABLE, a renamed or dropped column of a
 * registered table is renamed or forgotten in its options (so that an
 * excluded or redacted column stays so under its new name); a partition
 * created in, attached to or detached from an audited table gains or loses
 * the statement trigger; after a DROP, the registrations of tables that no
 * longer exist go.
 */
Datum
auditlog_follow_ddl(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	OwnerContext owner;
	Oid			relid = InvalidOid;
	List	   *parts = NIL;	/* per ALTER TABLE subcommand: the partition, or Invalid */

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("auditlog.follow_ddl() must be called as an event trigger")));
	trigdata = (EventTriggerData *) fcinfo->context;

	/* nothing to follow while the extension itself is being dropped */
	if (!OidIsValid(get_namespace_oid("auditlog", true)) ||
		!OidIsValid(get_relname_relid("registry", get_namespace_oid("auditlog", true))))
		PG_RETURN_VOID();

	/*
	 * Names in the command are resolved now, with the caller's search_path;
	 * what follows runs as the owner with a pinned one.
	 */
	if (IsA(trigdata->parsetree, AlterTableStmt))
	{
		AlterTableStmt *stmt = (AlterTableStmt *) trigdata->parsetree;
		ListCell   *lc;

		if (stmt->relation)
			relid = RangeVarGetRelid(stmt->relation, NoLock, true);
		foreach(lc, stmt->cmds)
		{
			AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);
			Oid			part = InvalidOid;

			if (cmd->subtype == AT_AttachPartition || cmd->subtype == AT_DetachPartition)
				part = RangeVarGetRelid(((PartitionCmd *) cmd->def)->name, NoLock, true);
			parts = lappend_oid(parts, part);
		}
	}
	else if (IsA(trigdata->parsetree, RenameStmt) &&
			 ((RenameStmt *) trigdata->parsetree)->renameType == OBJECT_COLUMN &&
			 ((RenameStmt *) trigdata->parsetree)->relation)
		relid = RangeVarGetRelid(((RenameStmt *) trigdata->parsetree)->relation, NoLock, true);

	BecomeOwner(&owner);
	if (strcmp(trigdata->event, "sql_drop") == 0)
		ReconcileDropped();
	else if (strcmp(trigdata->event, "ddl_command_start") == 0)
	{
		/* refuse, clearly, to attach a registered table below an audited one */
		if (IsA(trigdata->parsetree, AlterTableStmt))
		{
			AlterTableStmt *stmt = (AlterTableStmt *) trigdata->parsetree;
			ListCell   *lc,
					   *lp;

			forboth(lc, stmt->cmds, lp, parts)
			{
				AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);

				if (cmd->subtype == AT_AttachPartition && IsAudited(relid))
				{
					Oid			part = lfirst_oid(lp);

					if (OidIsValid(part) && IsRegistered(part))
						ereport(ERROR,
								(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
								 errmsg("cannot attach registered table \"%s\" to audited table \"%s\"",
										get_rel_name(part), get_rel_name(relid)),
								 errdetail("Its rows would be audited twice."),
								 errhint("Run auditlog.unregister_table('%s') first; the partition is then audited as part of \"%s\".",
										 QualifiedName(part), get_rel_name(relid))));
				}
			}
		}
	}
	else if (IsA(trigdata->parsetree, RenameStmt))
	{
		RenameStmt *stmt = (RenameStmt *) trigdata->parsetree;

		if (stmt->renameType == OBJECT_COLUMN && stmt->relation)
		{
			if (IsRegistered(relid))
			{
				RenameColumn(relid, stmt->subname, stmt->newname);
				CacheInvalidateRelcacheByRelid(relid);
			}
		}
	}
	else if (IsA(trigdata->parsetree, CreateStmt) || IsA(trigdata->parsetree, CreateSchemaStmt))
	{
		/* partitions created by CREATE TABLE, or inside CREATE SCHEMA */
		ListCell   *lc;

		foreach(lc, CreatedTables())
		{
			Oid			relid = lfirst_oid(lc);

			if (get_rel_relispartition(relid) && IsAudited(relid))
				AddStatementTriggers(relid);
		}
	}
	else if (IsA(trigdata->parsetree, AlterTableStmt))
	{
		AlterTableStmt *stmt = (AlterTableStmt *) trigdata->parsetree;
		bool		registered = IsRegistered(relid);
		ListCell   *lc,
				   *lp;

		forboth(lc, stmt->cmds, lp, parts)
		{
			AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);
			Oid			part = lfirst_oid(lp);

			if (cmd->subtype == AT_AttachPartition && IsAudited(relid))
			{
				if (OidIsValid(part))
					AddStatementTriggers(part);
			}
			else if (cmd->subtype == AT_DetachPartition)
			{
				/* a table registered on its own keeps its trigger */
				if (OidIsValid(part) && !get_rel_relispartition(part) && !IsRegistered(part))
					DropStatementTriggers(part);
			}
		}
		if (registered)
			CacheInvalidateRelcacheByRelid(relid);
	}
	ResumeCaller(&owner);
	PG_RETURN_VOID();
}
