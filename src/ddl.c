/*-------------------------------------------------------------------------
 *
 * src/ddl.c
 *	  The registry follows DDL on audited tables: renames, drops, partitions.
 *
 * One event trigger function, auditlog.follow_ddl(), behind three event
 * triggers: after a column of a registered table is renamed (through the
 * table, an inheritance parent, or the composite type of a typed table)
 * or dropped, its options follow (so that an excluded or redacted column
 * stays so under its new name); a partition created in, attached to or
 * detached from an audited table gains or loses the statement trigger;
 * before ALTER TABLE, attaching a registered table or a foreign table below
 * an audited one is refused; after a DROP, the registrations of tables
 * that no longer exist go. Each case has its handler below. The same
 * events also guard auditlog's own objects (ddl_guard.c) and watch DDL
 * that would switch auditing of a registered table off (ddl_watch.c),
 * except for the extension's own scripts and SQL.
 *
 * Names in the command are resolved first, with the caller's search_path;
 * the handlers then run as the extension's owner with a pinned one.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"

#include "catalog.h"
#include "ddl_watch.h"
#include "owner.h"
#include "registry.h"
#include "spi_util.h"

/* What a command names, resolved before the handlers run. */
typedef struct DdlTarget
{
	Oid			relid;			/* the table altered, or InvalidOid */
	List	   *parts;			/* per ALTER TABLE subcommand: the partition, or Invalid */
} DdlTarget;

static void ResolveTarget(Node *parsetree, DdlTarget *target);
static void RenameColumn(Oid relid, const char *oldname, const char *newname);
static List *TypedTables(Oid typrelid);
static void OnSqlDrop(void);
static void OnAlterTableStart(AlterTableStmt *stmt, DdlTarget *target);
static void OnRenameColumn(RenameStmt *stmt, DdlTarget *target);
static void OnCreateTables(void);
static void OnAlterTableEnd(AlterTableStmt *stmt, DdlTarget *target);

/* Resolves the table and partitions a command names, with the caller's search_path. */
static void
ResolveTarget(Node *parsetree, DdlTarget *target)
{
	target->relid = InvalidOid;
	target->parts = NIL;
	if (IsA(parsetree, AlterTableStmt))
	{
		AlterTableStmt *stmt = (AlterTableStmt *) parsetree;
		ListCell   *lc;

		if (stmt->relation)
			target->relid = RangeVarGetRelid(stmt->relation, NoLock, true);
		foreach(lc, stmt->cmds)
		{
			AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);
			Oid			part = InvalidOid;

			if (cmd->subtype == AT_AttachPartition || cmd->subtype == AT_DetachPartition)
				part = RangeVarGetRelid(((PartitionCmd *) cmd->def)->name, NoLock, true);
			target->parts = lappend_oid(target->parts, part);
		}
	}
	else if (IsA(parsetree, RenameStmt) &&
			 (((RenameStmt *) parsetree)->renameType == OBJECT_COLUMN ||
			  ((RenameStmt *) parsetree)->renameType == OBJECT_ATTRIBUTE) &&
			 ((RenameStmt *) parsetree)->relation)
		target->relid = RangeVarGetRelid(((RenameStmt *) parsetree)->relation, NoLock, true);
}

/* The tables (and partitions below them) whose rows are of a composite type's relation. */
static List *
TypedTables(Oid typrelid)
{
	SpiArgs		args = {0};
	List	   *tables = NIL;
	ListCell   *lc;

	SpiArg(&args, OIDOID, ObjectIdGetDatum(get_rel_type_id(typrelid)));
	SpiExec("SELECT c.oid FROM pg_catalog.pg_class c WHERE c.reloftype OPERATOR(pg_catalog.=) $1",
			&args, SPI_OK_SELECT);
	foreach(lc, SpiColumnOids(1))
		tables = list_concat(tables, find_all_inheritors(lfirst_oid(lc), NoLock, NULL));
	return tables;
}

/* Renames a column in every option of a registered table. */
static void
RenameColumn(Oid relid, const char *oldname, const char *newname)
{
	SpiArgs		args = {0};

	SpiArg(&args, REGCLASSOID, ObjectIdGetDatum(relid));
	SpiArgName(&args, oldname);
	SpiArgName(&args, newname);
	SpiExec("UPDATE auditlog.registry SET "
			"exclude_columns = pg_catalog.array_replace(exclude_columns, $2, $3), "
			"redact_columns = pg_catalog.array_replace(redact_columns, $2, $3), "
			"id_column = CASE WHEN id_column OPERATOR(pg_catalog.=) $2 THEN $3 ELSE id_column END, "
			"org_column = CASE WHEN org_column OPERATOR(pg_catalog.=) $2 THEN $3 ELSE org_column END "
			"WHERE tbl OPERATOR(pg_catalog.=) $1",
			&args, SPI_OK_UPDATE);
}

/*
 * After anything was dropped: forgets registrations of tables that are
 * gone, and columns that are gone (ALTER TABLE DROP COLUMN, DROP TYPE
 * CASCADE, ...) from the options of the others; a dropped id or org column
 * falls back to the default. The tables whose options changed get a
 * relcache invalidation, so that their triggers reread them.
 */
static void
OnSqlDrop(void)
{
	ListCell   *lc;

	SpiExec("DELETE FROM auditlog.registry r WHERE NOT EXISTS "
			"(SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) r.tbl)",
			NULL, SPI_OK_DELETE);
	SpiExec("WITH cols AS ("
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
			NULL, SPI_OK_UPDATE_RETURNING);
	foreach(lc, SpiColumnOids(1))
		CacheInvalidateRelcacheByRelid(lfirst_oid(lc));
}

/* Before ALTER TABLE: refuses, clearly, to attach a registered table below an audited one. */
static void
OnAlterTableStart(AlterTableStmt *stmt, DdlTarget *target)
{
	ListCell   *lc,
			   *lp;

	forboth(lc, stmt->cmds, lp, target->parts)
	{
		AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);
		Oid			part = lfirst_oid(lp);

		if (cmd->subtype != AT_AttachPartition || !RegistryAudits(target->relid))
			continue;
		if (OidIsValid(part) && get_rel_relkind(part) == RELKIND_FOREIGN_TABLE)
			AuditRefuseForeignPartition(get_rel_name(part), target->relid);
		if (OidIsValid(part) && RegistryHas(part))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("cannot attach registered table \"%s\" to audited table \"%s\"",
							get_rel_name(part), get_rel_name(target->relid)),
					 errdetail("Its rows would be audited twice."),
					 errhint("Run auditlog.unregister_table('%s') first; the partition is then audited as part of \"%s\".",
							 QualifiedRelationName(part), get_rel_name(target->relid))));
	}
}

/*
 * A column renamed (ALTER TABLE, VIEW, MATERIALIZED VIEW or FOREIGN TABLE
 * ... RENAME COLUMN, which rename it in the inheritance children too, or
 * ALTER TYPE ... RENAME ATTRIBUTE ... CASCADE, which renames it in the
 * typed tables): the options of every registered table that had it follow
 * the new name.
 */
static void
OnRenameColumn(RenameStmt *stmt, DdlTarget *target)
{
	List	   *tables;
	ListCell   *lc;

	if ((stmt->renameType != OBJECT_COLUMN && stmt->renameType != OBJECT_ATTRIBUTE) ||
		!OidIsValid(target->relid))
		return;
	if (stmt->renameType == OBJECT_ATTRIBUTE)
		tables = TypedTables(target->relid);
	else
		tables = find_all_inheritors(target->relid, NoLock, NULL);
	foreach(lc, tables)
	{
		Oid			relid = lfirst_oid(lc);

		if (RegistryHas(relid))
		{
			RenameColumn(relid, stmt->subname, stmt->newname);
			CacheInvalidateRelcacheByRelid(relid);
		}
	}
}

/* Partitions created by CREATE TABLE, or inside CREATE SCHEMA, below an audited table. */
static void
OnCreateTables(void)
{
	ListCell   *lc;

	SpiExec("SELECT objid FROM pg_catalog.pg_event_trigger_ddl_commands()"
			" WHERE classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
			" AND object_type OPERATOR(pg_catalog.=) 'table'"
			" AND command_tag OPERATOR(pg_catalog.=) 'CREATE TABLE'",
			NULL, SPI_OK_SELECT);
	foreach(lc, SpiColumnOids(1))
	{
		Oid			relid = lfirst_oid(lc);

		if (get_rel_relispartition(relid) && RegistryAudits(relid))
			RegistryAddStatementTriggers(relid);
	}
}

/* After ALTER TABLE: attached partitions get the statement trigger, detached ones lose it. */
static void
OnAlterTableEnd(AlterTableStmt *stmt, DdlTarget *target)
{
	bool		registered = RegistryHas(target->relid);
	ListCell   *lc,
			   *lp;

	forboth(lc, stmt->cmds, lp, target->parts)
	{
		AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);
		Oid			part = lfirst_oid(lp);

		if (cmd->subtype == AT_AttachPartition && RegistryAudits(target->relid))
		{
			if (OidIsValid(part))
				RegistryAddStatementTriggers(part);
		}
		else if (cmd->subtype == AT_DetachPartition)
		{
			/* a table registered on its own keeps its trigger */
			if (OidIsValid(part) && !get_rel_relispartition(part) && !RegistryHas(part))
				RegistryDropStatementTriggers(part);
		}
	}
	if (registered)
		CacheInvalidateRelcacheByRelid(target->relid);
}

PG_FUNCTION_INFO_V1(auditlog_follow_ddl);
/* Event trigger auditlog.follow_ddl(): dispatches to the handler of the event and command. */
Datum
auditlog_follow_ddl(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	Node	   *parsetree;
	AuditOwnerState st;
	DdlTarget	target;
	WatchTarget wt;
	bool		guarded;
	bool		superuser_caller = superuser();
	char	   *caller = GetUserNameFromId(GetUserId(), false);
	const char *tag;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("auditlog.follow_ddl() must be called as an event trigger")));
	trigdata = (EventTriggerData *) fcinfo->context;
	parsetree = trigdata->parsetree;
	tag = GetCommandTagName(trigdata->tag);

	/* nothing to follow while the extension itself is being dropped */
	if (!AuditExtensionPresent())
		PG_RETURN_VOID();
	/* the extension's own scripts and SQL pass the guards */
	guarded = !AuditRunningInternally() &&
		!(creating_extension && CurrentExtensionObject == AuditExtensionOid(true));

	ResolveTarget(parsetree, &target);
	if (guarded)
		WatchResolve(parsetree, &wt);
	AuditConnectAsOwner(&st);
	if (strcmp(trigdata->event, "sql_drop") == 0)
	{
		if (guarded)
		{
			GuardOwnObjectsDropped(superuser_caller, caller, tag);
			WatchDroppedTriggers(superuser_caller, tag);
		}
		OnSqlDrop();
		if (guarded && !WatchesCommand(parsetree))
			WatchDroppedKeys(superuser_caller, tag);
	}
	else if (strcmp(trigdata->event, "ddl_command_start") == 0)
	{
		if (IsA(parsetree, AlterTableStmt))
			OnAlterTableStart((AlterTableStmt *) parsetree, &target);
		if (guarded && WatchesCommand(parsetree))
			WatchStart(parsetree, &wt);
	}
	else
	{
		if (guarded)
			GuardOwnObjectsEnd(superuser_caller, caller, tag, parsetree);
		if (IsA(parsetree, RenameStmt))
			OnRenameColumn((RenameStmt *) parsetree, &target);
		else if (IsA(parsetree, CreateStmt) || IsA(parsetree, CreateForeignTableStmt) ||
				 IsA(parsetree, CreateSchemaStmt))
			OnCreateTables();
		else if (IsA(parsetree, AlterTableStmt))
			OnAlterTableEnd((AlterTableStmt *) parsetree, &target);
		if (guarded)
		{
			WatchCheckStructure(parsetree, &wt, superuser_caller);
			if (WatchesCommand(parsetree))
				WatchEnd(parsetree, superuser_caller, tag);
		}
	}
	AuditFinishAsOwner(&st);
	PG_RETURN_VOID();
}
