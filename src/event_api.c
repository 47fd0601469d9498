/*-------------------------------------------------------------------------
 *
 * src/event_api.c
 *	  The SQL functions that write events: log_event, import_event, set_actor.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "event.h"
#include "validate.h"
#include "writer.h"

/* Arguments of log_event, in order; import_event has occurred_at first. */
enum
{
	EARG_ACTION = 0,
	EARG_RESOURCE_TYPE,
	EARG_RESOURCE_ID,
	EARG_OUTCOME,
	EARG_DETAILS,
	EARG_ACTOR,
	EARG_ACTOR_ID,
	EARG_ORG_ID
};

static char *OptionalText(FunctionCallInfo fcinfo, int n);
static void RequireArg(FunctionCallInfo fcinfo, int n, const char *name);
static void ReadEventArgs(FunctionCallInfo fcinfo, int first, AuditEvent *ev);
static void SetLocal(const char *name, const char *value);
static Oid	TableRegisteredAs(const char *resource_type);
static Oid	ScanRegistry(const char *resource_type);
static void ForgetStaleRegisteredAs(void);
static TimestampTz EarliestEventTime(void);

/* ------------------------------------------------------------------------
 * internal
 * ------------------------------------------------------------------------
 */

/* A text argument as a C string, or NULL. */
static char *
OptionalText(FunctionCallInfo fcinfo, int n)
{
	return PG_ARGISNULL(n) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(n));
}

/* Errors when a required argument is NULL. */
static void
RequireArg(FunctionCallInfo fcinfo, int n, const char *name)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name),
				 errhint("Every event has its %s; pass one.", name)));
}

/*
 * Reads the arguments shared by log_event and import_event, starting at
 * argument 'first' (action, resource_type, resource_id, outcome, details,
 * actor, actor_id, org_id), and validates them.
 */
static void
ReadEventArgs(FunctionCallInfo fcinfo, int first, AuditEvent *ev)
{
	memset(ev, 0, sizeof(*ev));
	RequireArg(fcinfo, first + EARG_ACTION, "action");
	ev->action = OptionalText(fcinfo, first + EARG_ACTION);
	AuditCheckAction(ev->action);
	if (strncmp(ev->action, "auditlog.", strlen("auditlog.")) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("action \"%s\" is written by auditlog itself", ev->action),
				 errdetail("Actions named auditlog.* record what auditlog does, such as a purge or a hold."),
				 errhint("Name the action after your application's resource, such as 'report.export'.")));
	ev->resource_type = OptionalText(fcinfo, first + EARG_RESOURCE_TYPE);
	ev->resource_id = OptionalText(fcinfo, first + EARG_RESOURCE_ID);
	AuditCheckResourceId(ev->resource_id);
	if (ev->resource_id && !ev->resource_type)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("resource_id \"%s\" given without a resource_type", ev->resource_id),
				 errhint("A resource is a type and an id, such as ('connection', 'eae3a753').")));
	RequireArg(fcinfo, first + EARG_OUTCOME, "outcome");
	ev->outcome = PG_GETARG_AUDIT_OUTCOME(first + EARG_OUTCOME);
	(void) AuditOutcomeName(ev->outcome);
	if (!PG_ARGISNULL(first + EARG_DETAILS))
	{
		ev->details = PG_GETARG_JSONB_P(first + EARG_DETAILS);
		if (!JB_ROOT_IS_OBJECT(ev->details) || JB_ROOT_IS_SCALAR(ev->details))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("details must be a JSON object"),
					 errhint("Wrap the value in an object, such as '{\"reason\": \"...\"}'.")));
	}
	ev->actor = OptionalText(fcinfo, first + EARG_ACTOR);
	ev->actor_id = OptionalText(fcinfo, first + EARG_ACTOR_ID);
	ev->org_id = OptionalText(fcinfo, first + EARG_ORG_ID);
}

/* The start of the first whole UTC month of the timestamp range: 4714-12-01 BC. */
static TimestampTz
EarliestEventTime(void)
{
	struct pg_tm tm = {0};
	TimestampTz ts;

	tm.tm_year = -4713;			/* 4714 BC */
	tm.tm_mon = 12;
	tm.tm_mday = 1;
	if (tm2timestamp(&tm, 0, NULL, &ts) != 0)
		elog(ERROR, "auditlog: the earliest event time is out of range");
	return ts;
}

/*
 * The answers of TableRegisteredAs, while no relcache invalidation comes:
 * log_event asks for every <type>.create, .update or .delete it is given,
 * and scanning the registry each time was 3% of a bulk of them.
 */
#define REGISTERED_AS_MAX 32
static struct
{
	char		type[AUDIT_MAX_LABEL + 1];
	Oid			table;			/* InvalidOid: none */
}			registered_as[REGISTERED_AS_MAX];
static int	n_registered_as = 0;
static uint64 registered_as_generation = 0;

/* Forgets the answers kept, when an invalidation came since they were read. */
static void
ForgetStaleRegisteredAs(void)
{
	if (registered_as_generation != AuditRelcacheGeneration())
	{
		n_registered_as = 0;
		registered_as_generation = AuditRelcacheGeneration();
	}
}

/* The table registered under a resource type, or InvalidOid. */
static Oid
TableRegisteredAs(const char *resource_type)
{
	Oid			found;

	ForgetStaleRegisteredAs();
	for (int i = 0; i < n_registered_as; i++)
	{
		if (strcmp(registered_as[i].type, resource_type) == 0)
			return registered_as[i].table;
	}
	found = ScanRegistry(resource_type);
	/* the scan itself may have taken in an invalidation: keep only what was read after it */
	ForgetStaleRegisteredAs();
	if (n_registered_as < REGISTERED_AS_MAX && strlen(resource_type) <= AUDIT_MAX_LABEL)
	{
		strcpy(registered_as[n_registered_as].type, resource_type);
		registered_as[n_registered_as].table = found;
		n_registered_as++;
	}
	return found;
}

/* TableRegisteredAs, read from the registry. */
static Oid
ScanRegistry(const char *resource_type)
{
	Relation	rel = table_open(AuditRelid(AREL_REGISTRY), AccessShareLock);
	Snapshot	snap = RegisterSnapshot(GetLatestSnapshot());
	TableScanDesc scan = table_beginscan(rel, snap, 0, NULL);
	HeapTuple	tup;
	Oid			found = InvalidOid;

	AuditCheckNatts(rel, Natts_registry);
	while (!OidIsValid(found) && (tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull;
		Datum		type = heap_getattr(tup, Anum_registry_resource_type, RelationGetDescr(rel), &isnull);

		if (!isnull && strcmp(TextDatumGetCString(type), resource_type) == 0)
			found = DatumGetObjectId(heap_getattr(tup, Anum_registry_tbl, RelationGetDescr(rel), &isnull));
	}
	table_endscan(scan);
	UnregisterSnapshot(snap);
	table_close(rel, AccessShareLock);
	return found;
}

/* Sets one of our settings for the rest of the transaction. */
static void
SetLocal(const char *name, const char *value)
{
	(void) set_config_option(name, value, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
}

/* ------------------------------------------------------------------------
 * exported
 * ------------------------------------------------------------------------
 */

/*
 * Errors when an event of the application would look like one the
 * triggers of a registered table write: <type>.create, .update, .delete or
 * .truncate with outcome success, for a resource type some table is
 * registered under. (Failed and denied attempts are the application's to
 * record.)
 */
void
AuditRefuseTriggerAction(const AuditEvent *ev)
{
	static const char *const verbs[4] = {"create", "update", "delete", "truncate"};
	const char *dot = strchr(ev->action, '.');
	char	   *type;
	bool		verb = false;
	Oid			table;

	if (ev->outcome != AUDIT_OUTCOME_SUCCESS || dot == NULL || strchr(dot + 1, '.') != NULL)
		return;
	for (int i = 0; i < 4; i++)
		verb |= (strcmp(dot + 1, verbs[i]) == 0);
	if (!verb)
		return;
	type = pnstrdup(ev->action, dot - ev->action);
	table = TableRegisteredAs(type);
	if (OidIsValid(table))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("action \"%s\" is written by the triggers of registered table %s",
						ev->action, quote_qualified_identifier(get_namespace_name(get_rel_namespace(table)),
															   get_rel_name(table))),
				 errdetail("An event of the application cannot pass for a change of that table."),
				 errhint("Record a failed or denied attempt with outcome => 'failure' or 'denied', "
						 "or give the application's action a name of its own.")));
}

/* ------------------------------------------------------------------------
 * SQL-callable functions
 * ------------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(auditlog_log_event);
/*
 * auditlog.log_event(action, resource_type, resource_id, outcome, details,
 * actor, actor_id, org_id) RETURNS bigint: records what the application did
 * (but not what the triggers of a registered table write).
 */
Datum
auditlog_log_event(PG_FUNCTION_ARGS)
{
	AuditEvent	ev;

	PreventCommandIfReadOnly("auditlog.log_event()");
	ReadEventArgs(fcinfo, 0, &ev);
	AuditRefuseTriggerAction(&ev);
	PG_RETURN_INT64(AuditQueueEvent(&ev));
}

PG_FUNCTION_INFO_V1(auditlog_log_event_autonomous);
/*
 * auditlog.log_event_autonomous(...same arguments as log_event...) RETURNS
 * bigint: records an event that commits on its own, whatever this
 * transaction then does: the way to keep a denied or failed attempt
 * through the ROLLBACK that follows it. Written by the writer
 * (writer_client.c asks, writer.c writes) with this session's context;
 * allowed in read-only transactions, since it writes nothing of theirs.
 * Refuses what log_event refuses, the actions of registered tables included.
 */
Datum
auditlog_log_event_autonomous(PG_FUNCTION_ARGS)
{
	AuditEvent	ev;

	ReadEventArgs(fcinfo, 0, &ev);
	AuditRefuseTriggerAction(&ev);
	PG_RETURN_INT64(AuditWriteAutonomous(&ev));
}

/*
 * {"imported": true}, parsed once per session: import_event adds it to
 * every event it writes.
 */
static Datum
ImportMark(void)
{
	static Jsonb *mark = NULL;

	if (mark == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		mark = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{\"imported\": true}")));
		MemoryContextSwitchTo(old);
	}
	return JsonbPGetDatum(mark);
}

PG_FUNCTION_INFO_V1(auditlog_import_event);
/*
 * auditlog.import_event(occurred_at, action, resource_type, resource_id,
 * outcome, details, actor, actor_id, org_id) RETURNS bigint: backfills an
 * event from another system with its original time. Its details carry
 * "imported": true, so an imported event is never mistaken for a live one.
 */
Datum
auditlog_import_event(PG_FUNCTION_ARGS)
{
	AuditEvent	ev;
	TimestampTz occurred_at;
	Datum		mark;

	PreventCommandIfReadOnly("auditlog.import_event()");
	RequireArg(fcinfo, 0, "occurred_at");
	occurred_at = PG_GETARG_TIMESTAMPTZ(0);
	if (TIMESTAMP_NOT_FINITE(occurred_at))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("occurred_at must be a finite time"),
				 errhint("Pass the time at which the event happened in the other system.")));
	/* the summaries count by UTC month: the first month of the range has no start */
	if (occurred_at < EarliestEventTime())
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("occurred_at %s is before %s, the earliest time the audit log can count",
						pstrdup(timestamptz_to_str(occurred_at)),
						pstrdup(timestamptz_to_str(EarliestEventTime()))),
				 errhint("Pass the time at which the event happened in the other system.")));
	if (occurred_at > GetCurrentTimestamp())
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("occurred_at %s is in the future", timestamptz_to_str(occurred_at)),
				 errdetail("The server's clock reads %s.", timestamptz_to_str(GetCurrentTimestamp())),
				 errhint("Imported events happened in the past; check the time zone of the value.")));
	ReadEventArgs(fcinfo, 1, &ev);
	ev.occurred_at = occurred_at;

	mark = ImportMark();
	if (ev.details)
		ev.details = DatumGetJsonbP(DirectFunctionCall2(jsonb_concat,
														JsonbPGetDatum(ev.details), mark));
	else
		ev.details = DatumGetJsonbP(mark);
	PG_RETURN_INT64(AuditQueueEvent(&ev));
}

PG_FUNCTION_INFO_V1(auditlog_set_actor);
/*
 * auditlog.set_actor(actor text, actor_id text DEFAULT NULL): who acts, for
 * the current transaction only (like SET LOCAL).
 */
Datum
auditlog_set_actor(PG_FUNCTION_ARGS)
{
	static const char *const actor_hint = "Pass a display name, or 'system' for automated work.";
	char	   *actor;
	char	   *actor_id;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("actor must not be null"),
				 errhint("%s", actor_hint)));
	actor = text_to_cstring(PG_GETARG_TEXT_PP(0));
	AuditCheckLabel("actor", actor, actor_hint);
	actor_id = OptionalText(fcinfo, 1);
	AuditCheckLabelLength("actor_id", actor_id);
	if (!IsTransactionBlock())
		ereport(WARNING,
				(errcode(ERRCODE_NO_ACTIVE_SQL_TRANSACTION),
				 errmsg("auditlog.set_actor() outside a transaction block has no lasting effect"),
				 errhint("Call it after BEGIN, in the transaction whose work it describes.")));
	SetLocal("auditlog.actor", actor);
	SetLocal("auditlog.actor_id", actor_id ? actor_id : "");
	PG_RETURN_VOID();
}
