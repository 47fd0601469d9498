/*-------------------------------------------------------------------------
 *
 * src/drop_guard.c
 *	  DROP EXTENSION auditlog is refused while the log holds events.
 *
 * Dropping the extension drops every event with it, silently. An event
 * trigger on ddl_command_start, auditlog_guard_drop (ENABLE ALWAYS, so
 * also under session_replication_role = replica), refuses the commands
 * that would: DROP EXTENSION auditlog, DROP SCHEMA of the extension's
 * schema (CASCADE would take the extension along), and DROP OWNED BY the
 * role owning the extension or that schema, unless the session has set
 * auditlog.allow_drop = on; the drop is then written to the server log.
 * The trigger's function is in this library, so it is loaded by the drop
 * itself: the guard holds in a session that never used auditlog, and a
 * value set before the library was loaded (SET, or PGOPTIONS='-c
 * auditlog.allow_drop=on' for pg_restore --clean) counts.
 *
 * auditlog.allow_drop is PGC_SUSET: only a superuser (or a role granted
 * SET on it, PostgreSQL 15+) may set it. Dropping the log is a decision on
 * the organisation's records, not the application's: an owner of the
 * database or of a schema, or a member of the extension owner's role,
 * cannot lift the guard on their own.
 *
 * A guard against accidents and against roles below a superuser, not
 * against a superuser: one can disable the event trigger, or run the drop
 * in single-user mode (where event triggers do not fire), and DROP
 * DATABASE has no event trigger at all. Tamper evidence (seal.c) is what
 * shows a log rewritten by someone who could.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "commands/dbcommands.h"
#include "commands/event_trigger.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "catalog.h"
#include "drop_guard.h"
#include "owner.h"
#include "spi_util.h"
#include "worker.h"

static bool allow_drop = false;

static Oid	SchemaOwner(Oid nsp);
static char *DroppedBy(Node *parsetree);
static bool LogHoldsEvents(void);

/* The owner of a schema, or InvalidOid. */
static Oid
SchemaOwner(Oid nsp)
{
	HeapTuple	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
	Oid			owner = InvalidOid;

	if (HeapTupleIsValid(tup))
	{
		owner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
		ReleaseSysCache(tup);
	}
	return owner;
}

/*
 * The command, when it would drop the extension with the events ("DROP
 * EXTENSION auditlog", ...); NULL when it would not.
 */
static char *
DroppedBy(Node *parsetree)
{
	Oid			schema = AuditSchemaOid();
	ListCell   *lc;

	if (IsA(parsetree, DropStmt))
	{
		DropStmt   *stmt = (DropStmt *) parsetree;

		foreach(lc, stmt->objects)
		{
			const char *name = IsA(lfirst(lc), String) ? strVal(lfirst(lc)) : NULL;

			if (name == NULL)
				continue;
			if (stmt->removeType == OBJECT_EXTENSION && strcmp(name, "auditlog") == 0)
				return pstrdup("DROP EXTENSION auditlog");
			if (stmt->removeType == OBJECT_SCHEMA && get_namespace_oid(name, true) == schema)
				return psprintf("DROP SCHEMA %s", quote_identifier(name));
		}
	}
	else if (IsA(parsetree, DropOwnedStmt))
	{
		Oid			owners[2] = {AuditExtensionOwner(), SchemaOwner(schema)};

		foreach(lc, ((DropOwnedStmt *) parsetree)->roles)
		{
			RoleSpec   *role = (RoleSpec *) lfirst(lc);
			Oid			roleid = get_rolespec_oid(role, true);

			if (OidIsValid(roleid) && (roleid == owners[0] || roleid == owners[1]))
				return psprintf("DROP OWNED BY %s",
								quote_identifier(GetUserNameFromId(roleid, false)));
		}
	}
	return NULL;
}

/*
 * True when auditlog.event_store holds an event: committed, or this
 * transaction's own. Every writer holds ROW EXCLUSIVE on event_store until
 * it ends; SHARE waits for those in progress and keeps new ones out until
 * the drop is over, and the latest snapshot then sees what they committed.
 * (Checked at once with the transaction's snapshot, a drop that waited for
 * a writer's lock went ahead, and took the writer's events with it.)
 */
static bool
LogHoldsEvents(void)
{
	AuditOwnerState st;
	SpiArgs		args = {0};
	bool		holds;

	LockRelationOid(AuditRelid(AREL_EVENT_STORE), ShareLock);
	AuditConnectAsOwner(&st);
	PushActiveSnapshot(GetLatestSnapshot());
	SpiQuery("SELECT EXISTS (SELECT FROM auditlog.event_store)", &args, 1);
	PopActiveSnapshot();
	holds = SpiFirstBool(false);
	AuditFinishAsOwner(&st);
	return holds;
}

/* Module start-up: the setting auditlog.allow_drop. */
void
DropGuardInit(void)
{
	DefineCustomBoolVariable("auditlog.allow_drop",
							 "Lets this session drop the extension auditlog, and every event with it.",
							 "While it is off, DROP EXTENSION auditlog, DROP SCHEMA auditlog and "
							 "DROP OWNED BY the extension's owner are refused when the audit log "
							 "holds events.",
							 &allow_drop, false, PGC_SUSET, 0, NULL, NULL, NULL);
}

PG_FUNCTION_INFO_V1(auditlog_guard_drop);
/*
 * Event trigger (ddl_command_start): refuses a command that would drop the
 * extension while the log holds events, unless auditlog.allow_drop is on;
 * logs the drop when it is.
 */
Datum
auditlog_guard_drop(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata = (EventTriggerData *) fcinfo->context;
	char	   *command;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("auditlog.guard_drop() must be called as an event trigger")));
	if (!AuditExtensionPresent())
		PG_RETURN_VOID();
	command = DroppedBy(trigdata->parsetree);
	if (command == NULL)
		PG_RETURN_VOID();
	/* before any table lock: the maintenance step under way ends first */
	AuditLockMaintenanceStep(true);
	if (!LogHoldsEvents())
		PG_RETURN_VOID();
	if (!allow_drop)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot drop extension auditlog while its audit log holds events"),
				 errdetail("%s would drop every event with the extension.", command),
				 errhint("Keep a copy of the events first (pg_dump); then SET auditlog.allow_drop = on "
						 "in the session that drops it. pg_restore --clean runs with "
						 "PGOPTIONS='-c auditlog.allow_drop=on'.")));
	ereport(LOG,
			(errmsg("auditlog: %s in database \"%s\" by role \"%s\" drops the audit log and its events",
					command, get_database_name(MyDatabaseId),
					GetUserNameFromId(GetUserId(), false)),
			 errdetail("auditlog.allow_drop is on.")));
	PG_RETURN_VOID();
}
