/*-------------------------------------------------------------------------
 *
 * src/ddl_watch.c
 *	  DDL that would switch auditing of a registered table off: refused for
 *	  everyone but a superuser, and recorded when a superuser does it.
 *
 * Before a command that can touch a table's triggers or rules (ALTER
 * TABLE, CREATE/ALTER/DROP TRIGGER, CREATE/DROP RULE), the registered
 * tables it names (or whose partitions it names) are noted with what
 * audit_state.c finds wrong with them; after it, they are looked at again.
 * A table that was audited and no longer is (a trigger disabled, set to
 * replica, dropped, renamed or replaced, an INSTEAD rule) makes the command
 * fail unless a superuser runs it; then it stays, with a WARNING and an
 * event auditlog.auditing_off, and registered_tables shows the table
 * inactive. A table audited again gets an event auditlog.auditing_on.
 *
 * A trigger of auditlog dropped along with something else (an extension it
 * was made to depend on, with ALTER TRIGGER ... DEPENDS ON EXTENSION) is
 * caught when the drop reports it, and treated the same way; making one
 * depend on an extension is refused to all but superusers in the first
 * place.
 *
 * The structure of registered tables is kept auditable too: an inheritance
 * child of a registered table must be registered itself (changes made
 * through the parent to its rows fire its own triggers only), and a
 * foreign table cannot be a partition of one (TRUNCATE of it fires no
 * trigger here).
 *
 * Names are resolved before the handlers run, with the caller's
 * search_path (WatchResolve); the rest runs as the extension's owner.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "catalog.h"
#include "ddl_watch.h"
#include "event.h"
#include "labels.h"
#include "registry.h"
#include "row_json.h"
#include "spi_util.h"

/* A registered table a running command may change, and its state before. */
typedef struct WatchEntry
{
	Oid			registered;
	char	   *problem;		/* AuditingProblemKeyed() before the command */
	Node	   *command;		/* its parse tree: the same at its start and end */
	SubTransactionId subid;
} WatchEntry;

static List *watch = NIL;		/* in TopTransactionContext */
static bool callbacks_registered = false;

static void PushPair(JsonbParseState **st, const char *key, const char *value);
static Oid	ResolveRelation(RangeVar *rv);
static Oid	ResolveDropTarget(List *names);
static Oid	RegisteredTableOf(Oid relid);
static char *ResourceTypeOf(Oid registered);
static bool HasNewProblem(const char *before, const char *after);
static void ReportSwitch(WatchEntry *e, bool superuser, const char *tag);
static Oid	AuditedInheritanceAncestor(Oid relid);
static void RefuseTriggerDependency(AlterObjectDependsStmt *stmt, WatchTarget *wt);
static void WatchXactCallback(XactEvent event, void *arg);
static List *DroppedAlong(const char *cond);
static void WatchSubXactCallback(SubXactEvent event, SubTransactionId mySubid,
								 SubTransactionId parentSubid, void *arg);

/* ------------------------------------------------------------------------
 * internal
 * ------------------------------------------------------------------------
 */

/* Pushes "key": "value" into the object under construction. */
static void
PushPair(JsonbParseState **st, const char *key, const char *value)
{
	RowPushKey(st, key, strlen(key));
	RowPushString(st, WJB_VALUE, pstrdup(value));
}

/* A relation named by a command, with the caller's search_path; Invalid when missing. */
static Oid
ResolveRelation(RangeVar *rv)
{
	return rv ? RangeVarGetRelid(rv, NoLock, true) : InvalidOid;
}

/* The relation of DROP TRIGGER/RULE/POLICY name ON relation: all names but the last. */
static Oid
ResolveDropTarget(List *names)
{
	if (list_length(names) < 2)
		return InvalidOid;
	return ResolveRelation(makeRangeVarFromNameList(list_truncate(list_copy(names),
																  list_length(names) - 1)));
}

/* The registered table whose auditing covers relid (itself or an ancestor), or Invalid. */
static Oid
RegisteredTableOf(Oid relid)
{
	ListCell   *lc;

	if (!OidIsValid(relid) || get_rel_name(relid) == NULL)
		return InvalidOid;
	if (RegistryHas(relid))
		return relid;
	if (!get_rel_relispartition(relid))
		return InvalidOid;
	foreach(lc, get_partition_ancestors(relid))
	{
		if (RegistryHas(lfirst_oid(lc)))
			return lfirst_oid(lc);
	}
	return InvalidOid;
}

/* The resource type a table is registered under. */
static char *
ResourceTypeOf(Oid registered)
{
	SpiArgs		args = {0};
	Datum		d;

	SpiArg(&args, OIDOID, ObjectIdGetDatum(registered));
	SpiExec("SELECT r.resource_type FROM auditlog.registry r"
			" WHERE r.tbl OPERATOR(pg_catalog.=) $1::pg_catalog.regclass", &args, SPI_OK_SELECT);
	return SpiFirstDatum(&d) ? TextDatumGetCString(d) : NULL;
}

/* True when 'after' lists a problem that 'before' does not (both "; "-separated lists). */
static bool
HasNewProblem(const char *before, const char *after)
{
	char	   *copy = pstrdup(after);
	char	   *save = NULL;

	for (char *p = strtok_r(copy, ";", &save); p; p = strtok_r(NULL, ";", &save))
	{
		while (*p == ' ')
			p++;
		if (before == NULL || strstr(before, p) == NULL)
			return true;
	}
	return false;
}

/*
 * Compares a watched table's state after the command with its state
 * before: a new problem switched auditing off (refused, or recorded for a
 * superuser); none left after some switched it on again (recorded, unless
 * the command only created triggers, as a restore does).
 */
static void
ReportSwitch(WatchEntry *e, bool superuser, const char *tag)
{
	char	   *after_key = AuditingProblemKeyed(e->registered, true);
	char	   *after;
	char	   *name;

	if (after_key == NULL)
	{
		if (e->problem != NULL && strcmp(tag, "CREATE TRIGGER") != 0)
			AuditLogAuditingSwitch(e->registered, "auditlog.auditing_on", NULL, tag);
		return;
	}
	/* compared by oid: a renamed table's old problems are no new ones */
	if (!HasNewProblem(e->problem, after_key))
		return;
	after = AuditingProblem(e->registered);
	name = QualifiedRelationName(e->registered);
	if (!superuser)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to switch off auditing of table %s", name),
				 errdetail("After this %s, %s.", tag, after),
				 errhint("Only a superuser may do that; auditlog.unregister_table(%s) stops auditing the table on purpose.",
						 quote_literal_cstr(name))));
	AuditLogAuditingSwitch(e->registered, "auditlog.auditing_off", after, tag);
	ereport(WARNING,
			(errcode(ERRCODE_WARNING),
			 errmsg("auditing of table %s is switched off: %s", name, after),
			 errdetail("Recorded as an event auditlog.auditing_off; auditlog.registered_tables shows the table inactive."),
			 errhint("Undo the change, or register the table again, to audit it again.")));
}

/*
 * The registered table that relid inherits from (classic inheritance, any
 * level up), or Invalid.
 */
static Oid
AuditedInheritanceAncestor(Oid relid)
{
	SpiArgs		args = {0};
	Datum		d;

	SpiArg(&args, OIDOID, ObjectIdGetDatum(relid));
	SpiExec("WITH RECURSIVE up(rel) AS ("
			" SELECT i.inhparent FROM pg_catalog.pg_inherits i WHERE i.inhrelid OPERATOR(pg_catalog.=) $1"
			" UNION SELECT i.inhparent FROM pg_catalog.pg_inherits i JOIN up"
			" ON i.inhrelid OPERATOR(pg_catalog.=) up.rel)"
			" SELECT up.rel FROM up JOIN auditlog.registry r ON r.tbl::pg_catalog.oid OPERATOR(pg_catalog.=) up.rel"
			" LIMIT 1", &args, SPI_OK_SELECT);
	return SpiFirstDatum(&d) ? DatumGetObjectId(d) : InvalidOid;
}

/* Errors when one of auditlog's triggers of an audited table is made to depend on an extension. */
static void
RefuseTriggerDependency(AlterObjectDependsStmt *stmt, WatchTarget *wt)
{
	const char *trigger;
	Oid			reg;

	if (stmt->objectType != OBJECT_TRIGGER || stmt->remove || !IsA(stmt->object, List))
		return;
	trigger = strVal(llast((List *) stmt->object));
	if (strcmp(trigger, "auditlog_row") != 0 && strcmp(trigger, "auditlog_stmt") != 0)
		return;
	reg = RegisteredTableOf(list_length(wt->named) == 1 ? linitial_oid(wt->named) : InvalidOid);
	if (OidIsValid(reg))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("trigger %s of audited table %s cannot depend on extension \"%s\"",
						trigger, QualifiedRelationName(reg), strVal(stmt->extname)),
				 errdetail("Dropping the extension would drop the trigger, and auditing with it."),
				 errhint("Only a superuser may do that.")));
}

static void
WatchXactCallback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PREPARE || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_PARALLEL_ABORT)
	{
		watch = NIL;			/* TopTransactionContext goes with the transaction */
	}
}

static void
WatchSubXactCallback(SubXactEvent event, SubTransactionId mySubid,
					 SubTransactionId parentSubid, void *arg)
{
	ListCell   *lc;

	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	/* commands that failed in the subtransaction never reach their end */
	foreach(lc, watch)
	{
		if (((WatchEntry *) lfirst(lc))->subid >= mySubid)
			watch = foreach_delete_current(watch, lc);
	}
}

/* ------------------------------------------------------------------------
 * exported
 * ------------------------------------------------------------------------
 */

/* Resolves what a command names, for the handlers below (caller's search_path). */
void
WatchResolve(Node *parsetree, WatchTarget *wt)
{
	ListCell   *lc;

	memset(wt, 0, sizeof(*wt));
	if (IsA(parsetree, AlterTableStmt))
	{
		AlterTableStmt *stmt = (AlterTableStmt *) parsetree;

		wt->named = list_make1_oid(ResolveRelation(stmt->relation));
		foreach(lc, stmt->cmds)
		{
			AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);

			if (cmd->subtype == AT_AddInherit)
				wt->parents = lappend_oid(wt->parents, ResolveRelation((RangeVar *) cmd->def));
		}
	}
	else if (IsA(parsetree, RenameStmt))
		wt->named = list_make1_oid(ResolveRelation(((RenameStmt *) parsetree)->relation));
	else if (IsA(parsetree, CreateTrigStmt))
		wt->named = list_make1_oid(ResolveRelation(((CreateTrigStmt *) parsetree)->relation));
	else if (IsA(parsetree, RuleStmt))
		wt->named = list_make1_oid(ResolveRelation(((RuleStmt *) parsetree)->relation));
	else if (IsA(parsetree, DropStmt) &&
			 (((DropStmt *) parsetree)->removeType == OBJECT_TRIGGER ||
			  ((DropStmt *) parsetree)->removeType == OBJECT_RULE))
	{
		foreach(lc, ((DropStmt *) parsetree)->objects)
			wt->named = lappend_oid(wt->named, ResolveDropTarget((List *) lfirst(lc)));
	}
	else if (IsA(parsetree, AlterObjectDependsStmt) &&
			 ((AlterObjectDependsStmt *) parsetree)->objectType == OBJECT_TRIGGER)
		wt->named = list_make1_oid(ResolveRelation(((AlterObjectDependsStmt *) parsetree)->relation));
	else if (IsA(parsetree, CreateStmt) || IsA(parsetree, CreateForeignTableStmt))
	{
		CreateStmt *stmt = (CreateStmt *) parsetree;

		wt->foreign = IsA(parsetree, CreateForeignTableStmt);
		wt->partition = (stmt->partbound != NULL);
		foreach(lc, stmt->inhRelations)
			wt->parents = lappend_oid(wt->parents, ResolveRelation((RangeVar *) lfirst(lc)));
		wt->created = stmt->relation;
	}
}

/* True for the commands WatchStart and WatchEnd follow. */
bool
WatchesCommand(Node *parsetree)
{
	if (IsA(parsetree, DropStmt))
		return ((DropStmt *) parsetree)->removeType == OBJECT_TRIGGER ||
			((DropStmt *) parsetree)->removeType == OBJECT_RULE;
	return IsA(parsetree, AlterTableStmt) || IsA(parsetree, RenameStmt) ||
		IsA(parsetree, CreateTrigStmt) || IsA(parsetree, RuleStmt);
}

/* Before a command: notes the registered tables it may change and their state. */
void
WatchStart(Node *command, WatchTarget *wt)
{
	ListCell   *lc;
	MemoryContext old;

	if (!callbacks_registered)
	{
		RegisterXactCallback(WatchXactCallback, NULL);
		RegisterSubXactCallback(WatchSubXactCallback, NULL);
		callbacks_registered = true;
	}
	foreach(lc, wt->named)
	{
		Oid			reg = RegisteredTableOf(lfirst_oid(lc));
		char	   *problem;
		WatchEntry *e;
		ListCell   *le;
		bool		seen = false;

		if (!OidIsValid(reg))
			continue;
		foreach(le, watch)
			seen |= (((WatchEntry *) lfirst(le))->registered == reg &&
					 ((WatchEntry *) lfirst(le))->command == command);
		if (seen)
			continue;
		problem = AuditingProblemKeyed(reg, true);
		old = MemoryContextSwitchTo(TopTransactionContext);
		e = palloc0(sizeof(WatchEntry));
		e->registered = reg;
		e->problem = problem ? pstrdup(problem) : NULL;
		e->command = command;
		e->subid = GetCurrentSubTransactionId();
		watch = lappend(watch, e);
		MemoryContextSwitchTo(old);
	}
}

/*
 * After a command: refuses (for a caller who is no superuser) or records
 * what it switched off, records what it switched on again.
 */
void
WatchEnd(Node *command, bool superuser, const char *tag)
{
	ListCell   *lc;

	foreach(lc, watch)
	{
		WatchEntry *e = (WatchEntry *) lfirst(lc);

		if (e->command != command)
			continue;
		if (get_rel_name(e->registered) != NULL && RegistryHas(e->registered))
			ReportSwitch(e, superuser, tag);
		watch = foreach_delete_current(watch, lc);
	}
}

/*
 * After CREATE [FOREIGN] TABLE or ALTER TABLE: refuses an unregistered
 * inheritance child of a registered table, and a foreign partition of one;
 * after ALTER TRIGGER ... DEPENDS ON EXTENSION, one of auditlog's triggers
 * of an audited table made to depend on an extension (unless a superuser
 * did it).
 */
void
WatchCheckStructure(Node *parsetree, WatchTarget *wt, bool superuser)
{
	ListCell   *lc;
	Oid			created = wt->created ? ResolveRelation(wt->created) : InvalidOid;

	if (IsA(parsetree, AlterObjectDependsStmt) && !superuser)
		RefuseTriggerDependency((AlterObjectDependsStmt *) parsetree, wt);

	foreach(lc, wt->parents)
	{
		Oid			parent = lfirst_oid(lc);
		Oid			audited;

		if (!OidIsValid(parent))
			continue;
		if (wt->partition)
		{
			if (wt->foreign && RegistryAudits(parent))
				AuditRefuseForeignPartition(wt->created->relname, parent);
			continue;
		}
		audited = RegistryHas(parent) ? parent : AuditedInheritanceAncestor(parent);
		if (!OidIsValid(audited))
			continue;
		if (OidIsValid(created))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("cannot create table %s as an inheritance child of audited table %s",
							QualifiedRelationName(created), QualifiedRelationName(audited)),
					 errdetail("Changes made through %s to its rows would not be audited.",
							   QualifiedRelationName(audited)),
					 errhint("Create it without INHERITS, register it with auditlog.register_table(), "
							 "then ALTER TABLE ... INHERIT %s.", QualifiedRelationName(parent))));
		else if (list_length(wt->named) == 1 && OidIsValid(linitial_oid(wt->named)) &&
				 !RegistryHas(linitial_oid(wt->named)))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("table %s must be registered before it inherits from audited table %s",
							QualifiedRelationName(linitial_oid(wt->named)), QualifiedRelationName(audited)),
					 errdetail("Changes made through %s to its rows would not be audited.",
							   QualifiedRelationName(audited)),
					 errhint("Register it first: SELECT auditlog.register_table(%s);",
							 quote_literal_cstr(QualifiedRelationName(linitial_oid(wt->named))))));
	}
}

/*
 * Writes auditlog.auditing_off or auditlog.auditing_on for a registered
 * table, its resource type the table's, details saying which table, what
 * command and (off) what is wrong. Runs SQL.
 */
void
AuditLogAuditingSwitch(Oid registered, const char *action, const char *problem, const char *tag)
{
	JsonbParseState *st = NULL;
	JsonbValue *res;
	AuditEvent	ev;

	AuditDescribeAction(action, strcmp(action, "auditlog.auditing_off") == 0 ?
						"Auditing of a registered table was switched off by a superuser" :
						"Auditing of a registered table was switched on again");

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	PushPair(&st, "table", QualifiedRelationName(registered));
	PushPair(&st, "command", tag);
	if (problem)
		PushPair(&st, "problem", problem);
	res = pushJsonbValue(&st, WJB_END_OBJECT, NULL);

	memset(&ev, 0, sizeof(ev));
	ev.action = action;
	ev.resource_type = ResourceTypeOf(registered);
	ev.outcome = AUDIT_OUTCOME_SUCCESS;
	ev.details = JsonbValueToJsonb(res);
	(void) AuditWriteEvent(&ev);
}

/*
 * sql_drop: the tables (by oid, once each) whose objects matching 'cond'
 * (SQL over pg_event_trigger_dropped_objects() d) went along with what the
 * command dropped (the caller is connected to SPI).
 */
static List *
DroppedAlong(const char *cond)
{
	if (SpiExec(psprintf("SELECT DISTINCT pg_catalog.to_regclass(pg_catalog.quote_ident(d.address_names[1])"
						 "  OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(d.address_names[2]))::pg_catalog.oid"
						 " FROM pg_catalog.pg_event_trigger_dropped_objects() d"
						 " WHERE NOT d.original AND %s", cond),
				NULL, SPI_OK_SELECT) == 0)
		return NIL;
	return SpiColumnOids(1);
}

/*
 * sql_drop: auditlog's triggers of audited tables that went with something
 * else that was dropped (an extension they were made to depend on): as a
 * command that switched auditing off. (An explicit DROP TRIGGER is seen by
 * WatchStart/WatchEnd; a dropped table takes its registration along.)
 */
void
WatchDroppedTriggers(bool superuser, const char *tag)
{
	ListCell   *lc;

	foreach(lc, DroppedAlong("d.object_type OPERATOR(pg_catalog.=) 'trigger'"
							 " AND d.address_names[3] OPERATOR(pg_catalog.=) ANY ('{auditlog_row,auditlog_stmt}')"))
	{
		WatchEntry	e = {0};
		Oid			reg = RegisteredTableOf(lfirst_oid(lc));

		if (!OidIsValid(reg))
			continue;
		e.registered = reg;
		ReportSwitch(&e, superuser, tag);
	}
}

/*
 * sql_drop, after the registry followed it: the key of registered tables
 * that went with something else that was dropped (DROP DOMAIN or DROP TYPE
 * ... CASCADE dropping the primary key's column or the id_column), leaving
 * their rows without a resource id: as a command that switched auditing
 * off. (ALTER TABLE ... DROP is seen by WatchStart/WatchEnd.)
 */
void
WatchDroppedKeys(bool superuser, const char *tag)
{
	ListCell   *lc;

	foreach(lc, DroppedAlong("d.object_type OPERATOR(pg_catalog.=) ANY ('{table column,table constraint}')"))
	{
		WatchEntry	e = {0};
		Oid			reg = lfirst_oid(lc);

		if (!OidIsValid(reg) || !RegistryHas(reg))
			continue;
		e.registered = reg;
		/* what the drop may have added: only the missing resource id */
		e.problem = AuditingProblemKeyed(reg, false);
		ReportSwitch(&e, superuser, tag);
	}
}

/* Errors: a foreign table cannot be a partition of an audited table. */
void
AuditRefuseForeignPartition(const char *partition, Oid audited)
{
	ereport(ERROR,
			(errcode(ERRCODE_WRONG_OBJECT_TYPE),
			 errmsg("foreign table \"%s\" cannot be a partition of audited table %s",
					partition, QualifiedRelationName(audited)),
			 errdetail("Its rows live on another server, where TRUNCATE of them fires no trigger of this database."),
			 errhint("Keep foreign tables out of registered partitioned tables; audit their rows on the server that holds them.")));
}
