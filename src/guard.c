/*-------------------------------------------------------------------------
 *
 * src/guard.c
 *	  The trigger that keeps auditlog's tables append-only.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/partition.h"
#include "commands/trigger.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "catalog.h"
#include "partition.h"

/* The table a refusal names: a partition of the event store is the event store. */
static const char *
GuardedTableName(Relation rel)
{
	if (rel->rd_rel->relispartition)
		return get_rel_name(llast_oid(get_partition_ancestors(RelationGetRelid(rel))));
	return RelationGetRelationName(rel);
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
			 errmsg("%s of auditlog.%s is not allowed", what, GuardedTableName(trigdata->tg_relation)),
			 errdetail("The audit log is append-only, for every role including its owner."),
			 errhint("Events are only ever added, with auditlog.log_event() or by the triggers of registered tables.")));
	PG_RETURN_NULL();
}
