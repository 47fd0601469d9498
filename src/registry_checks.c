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

#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "ddl_watch.h"
#include "registry.h"
#include "spi_util.h"

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
