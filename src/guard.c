/*-------------------------------------------------------------------------
 *
 * src/guard.c
 *	  The triggers that keep auditlog's tables append-only, and its
 *	  registry in the hands of register_table.
 *
 * The registry must change as register_table, unregister_table and the
 * DDL they follow change it, and can: a member of the owner's role, who
 * holds every privilege on it, could otherwise drop a column from a
 * table's redact_columns with a plain UPDATE. Only auditlog's own SQL
 * (auditlog.internal) and superusers (a restore brings its rows) may.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/partition.h"
#include "commands/trigger.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "catalog.h"
#include "owner.h"
#include "partition.h"

/*
 * The table a refusal names, with its schema (auditlog, unless the trigger
 * was put on some other table by hand): a partition of the event store is
 * the event store.
 */
static const char *
GuardedTableName(Relation rel)
{
	Oid			relid = RelationGetRelid(rel);

	if (rel->rd_rel->relispartition)
		relid = llast_oid(get_partition_ancestors(relid));
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), get_rel_name(relid));
}

PG_FUNCTION_INFO_V1(auditlog_refuse_change);
/* Trigger that keeps the audit tables append-only, for every role. */
Datum
auditlog_refuse_change(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	const char *what;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("auditlog_refuse_change() must be called as a trigger")));
	/* auditlog.purge() replacing the records of a seal whose last events it removes */
	if (audit_purging && TRIGGER_FIRED_BY_DELETE(trigdata->tg_event) &&
		TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) &&
		strcmp(RelationGetRelationName(trigdata->tg_relation), "seal_purges") == 0 &&
		RelationGetNamespace(trigdata->tg_relation) == AuditSchemaOid())
		return PointerGetDatum(trigdata->tg_trigtuple);
	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		what = "UPDATE";
	else if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		what = "DELETE";
	else if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
		what = "TRUNCATE";
	else
		what = "this change";
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("%s of %s is not allowed", what, GuardedTableName(trigdata->tg_relation)),
			 errdetail("The audit log is append-only, for every role including its owner."),
			 errhint("Events are only ever added, with auditlog.log_event() or by the triggers of registered tables.")));
	PG_RETURN_NULL();
}

PG_FUNCTION_INFO_V1(auditlog_guard_registry);
/*
 * Trigger on auditlog.registry (BEFORE INSERT, UPDATE, DELETE, TRUNCATE):
 * refuses the change unless register_table and its kin make it, or a
 * superuser.
 */
Datum
auditlog_guard_registry(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("auditlog.guard_registry() must be called as a trigger")));
	if (!AuditRunningInternally() && !superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("auditlog.registry changes only through auditlog.register_table() and unregister_table()"),
				 errdetail("Its options say which columns are redacted and excluded."),
				 errhint("Call auditlog.register_table() with the options wanted.")));
	if (TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event))
		return PointerGetDatum(NULL);
	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		return PointerGetDatum(trigdata->tg_newtuple);
	return PointerGetDatum(trigdata->tg_trigtuple);
}
