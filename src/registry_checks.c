/*-------------------------------------------------------------------------
 *
 * src/registry_checks.c
 *	  What register_table and unregister_table refuse beyond bad arguments:
 *	  options that would show a hidden value, and tables that would not be
 *	  audited whole.
 *
 * A redacted column that is part of the resource id would show in every
 * event's resource_id, an excluded (or redacted) org_column in its org_id.
 * A classic inheritance parent is audited only if every table below it is
 * registered too (changes made through the parent to a child's rows fire
 * the child's triggers only), so it cannot be registered before them, nor
 * can they be unregistered while it is. A foreign partition cannot be
 * audited (TRUNCATE of it fires no trigger here). A trigger of someone
 * else's that already bears the name auditlog_row or auditlog_stmt is
 * never taken over. And a registration again switches back on auditlog's
 * triggers that were switched off.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "ddl_watch.h"
#include "registry.h"
#include "spi_util.h"

static List *KeyColumns(Relation rel, const char *id_column);

/* The names of the columns that make a row's resource id: id_column, or the primary key's. */
static List *
KeyColumns(Relation rel, const char *id_column)
{
	List	   *names = NIL;
	Oid			pk;
	Relation	idx;

	if (id_column)
		return list_make1(pstrdup(id_column));
	pk = RelationGetPrimaryKeyIndex(rel);
	if (!OidIsValid(pk))
		return NIL;
	idx = index_open(pk, AccessShareLock);
	for (int k = 0; k < idx->rd_index->indnkeyatts; k++)
	{
		AttrNumber	attno = idx->rd_index->indkey.values[k];

		if (attno > 0)
			names = lappend(names, get_attname(RelationGetRelid(rel), attno, false));
	}
	index_close(idx, AccessShareLock);
	return names;
}

/* Errors when the options would show a redacted or excluded value after all. */
void
RegistryCheckOptions(Relation rel, const char *id_column, List *exclude, List *redact,
					 const char *org_column)
{
	ListCell   *lc;

	foreach(lc, KeyColumns(rel, id_column))
	{
		if (NameListHas(redact, (char *) lfirst(lc)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("column \"%s\" cannot be redacted: it is part of the resource id of table \"%s\"",
							(char *) lfirst(lc), RelationGetRelationName(rel)),
					 errdetail("Every event names its row by that id, so the value would show in resource_id."),
					 errhint("Pass id_column => another unique column, or do not redact \"%s\".",
							 (char *) lfirst(lc))));
	}
	if (org_column && (NameListHas(exclude, org_column) || NameListHas(redact, org_column)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("org_column \"%s\" cannot be %s", org_column,
						NameListHas(exclude, org_column) ? "excluded" : "redacted"),
				 errdetail("Every event would show its value as org_id."),
				 errhint("Leave \"%s\" out of exclude_columns and redact_columns, or pass no org_column.",
						 org_column)));
}

/*
 * Errors unless the table can be audited whole: its classic inheritance
 * children are registered, it has no foreign partition, and no trigger of
 * someone else's bears auditlog's names on it or its partitions. Runs SQL.
 */
void
RegistryCheckStructure(Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	ListCell   *lc;

	foreach(lc, find_all_inheritors(relid, NoLock, NULL))
	{
		Oid			below = lfirst_oid(lc);

		if (below != relid && get_rel_relkind(below) == RELKIND_FOREIGN_TABLE)
			AuditRefuseForeignPartition(get_rel_name(below), relid);
		if (below != relid && rel->rd_rel->relkind == RELKIND_RELATION)
		{
			/* a classic inheritance child: audited by its own registration */
			if (!RegistryHas(below))
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("table \"%s\" has inheritance child %s, which is not registered",
								RelationGetRelationName(rel), QualifiedRelationName(below)),
						 errdetail("Changes made through \"%s\" to the child's rows would not be audited.",
								   RelationGetRelationName(rel)),
						 errhint("Register the child first: SELECT auditlog.register_table(%s);",
								 quote_literal_cstr(QualifiedRelationName(below)))));
			continue;
		}
		for (int t = 0; t < 2; t++)
		{
			const char *name = t == 0 ? "auditlog_row" : "auditlog_stmt";

			if (AuditForeignTriggerNamed(below, name))
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_OBJECT),
						 errmsg("%s already has a trigger named \"%s\" that is not auditlog's",
								QualifiedRelationName(below), name),
						 errdetail("auditlog audits a table through its own triggers of that name."),
						 errhint("Rename or drop that trigger first: ALTER TRIGGER %s ON %s RENAME TO ...;",
								 name, QualifiedRelationName(below))));
		}
	}
}

/* Errors when a registered inheritance parent above the table still needs it registered. Runs SQL. */
void
RegistryCheckUnregister(Relation rel)
{
	SpiArgs		args = {0};
	Datum		d;

	SpiArg(&args, OIDOID, ObjectIdGetDatum(RelationGetRelid(rel)));
	SpiExec("WITH RECURSIVE up(rel) AS ("
			" SELECT i.inhparent FROM pg_catalog.pg_inherits i WHERE i.inhrelid OPERATOR(pg_catalog.=) $1"
			" UNION SELECT i.inhparent FROM pg_catalog.pg_inherits i JOIN up"
			" ON i.inhrelid OPERATOR(pg_catalog.=) up.rel)"
			" SELECT up.rel FROM up JOIN auditlog.registry r"
			" ON r.tbl::pg_catalog.oid OPERATOR(pg_catalog.=) up.rel LIMIT 1", &args, SPI_OK_SELECT);
	if (SpiFirstDatum(&d))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table \"%s\" inherits from registered table %s",
						RelationGetRelationName(rel), QualifiedRelationName(DatumGetObjectId(d))),
				 errdetail("Changes made through the parent to its rows would no longer be audited."),
				 errhint("Unregister %s first, or ALTER TABLE %s NO INHERIT it.",
						 QualifiedRelationName(DatumGetObjectId(d)),
						 QualifiedRelationName(RelationGetRelid(rel)))));
}

/*
 * Registering again: auditlog's triggers that were disabled or set to fire
 * only in replica sessions fire again. Returns true when it changed any.
 * Runs SQL; the table must not be open (ALTER TABLE refuses it then).
 */
bool
RegistrySwitchOnTriggers(Oid table)
{
	bool		changed = false;
	ListCell   *lc;

	foreach(lc, find_all_inheritors(table, NoLock, NULL))
	{
		Oid			relid = lfirst_oid(lc);

		for (int t = 0; t < 2; t++)
		{
			const char *name = t == 0 ? "auditlog_row" : "auditlog_stmt";

			if (!AuditTriggerSwitchedOff(relid, name))
				continue;
			SpiExec(psprintf("ALTER TABLE ONLY %s ENABLE TRIGGER %s", QualifiedRelationName(relid), name),
					NULL, SPI_OK_UTILITY);
			changed = true;
		}
	}
	return changed;
}
