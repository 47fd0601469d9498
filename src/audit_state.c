/*-------------------------------------------------------------------------
 *
 * src/audit_state.c
 *	  Whether a registered table is really audited: its triggers and rules.
 *
 * A registered table is audited by two triggers that register_table puts
 * on it and on each of its partitions: auditlog_row (AFTER INSERT OR
 * UPDATE OR DELETE, FOR EACH ROW) and auditlog_stmt (AFTER TRUNCATE, FOR
 * EACH STATEMENT). Auditing silently stops if one of them is missing,
 * disabled, set to fire only in replica sessions, or replaced by another
 * trigger of that name, and if an INSTEAD rule sends the table's changes
 * elsewhere. AuditingProblem() reads pg_trigger and pg_rewrite directly
 * and says which of these is the case; auditlog.registered_tables shows
 * it, and ddl_watch.c compares it before and after each DDL command.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_trigger.h"
#include "commands/trigger.h"
#include "rewrite/rewriteDefine.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "catalog.h"
#include "ddl_watch.h"
#include "registry.h"

/* What a trigger found under auditlog's name is. */
typedef enum TriggerCondition
{
	TRIG_MISSING,
	TRIG_FIRES,					/* auditlog's, enabled */
	TRIG_FOREIGN,				/* someone else's */
	TRIG_DISABLED,
	TRIG_REPLICA_ONLY
} TriggerCondition;

static const char *const condition_text[] = {
	[TRIG_MISSING] = "is missing",
	[TRIG_FIRES] = "fires",
	[TRIG_FOREIGN] = "is not auditlog's",
	[TRIG_DISABLED] = "is disabled",
	[TRIG_REPLICA_ONLY] = "fires only in replica sessions",
};

static TriggerCondition TriggerState(Form_pg_trigger trig, HeapTuple tup, Relation rel, bool row);
static TriggerCondition FindTrigger(Oid relid, const char *name, bool row);
static void CheckTrigger(StringInfo problems, Oid relid, const char *name, bool row, bool keyed);
static void CheckRules(StringInfo problems, Oid relid, bool keyed);
static void AddProblem(StringInfo problems, const char *problem);
static void CheckResourceId(StringInfo problems, Oid registered, bool keyed);
static char *RelationLabel(Oid relid, bool keyed);
static char *ProblemList(Oid registered, bool keyed, bool resource_id);

/*
 * How a problem names a relation: schema-qualified, or by oid when keyed
 * (AuditingProblemKeyed), so that a rename does not look like a new problem.
 */
static char *
RelationLabel(Oid relid, bool keyed)
{
	return keyed ? psprintf("relation %u", relid) : QualifiedRelationName(relid);
}

/* Appends one problem to the list. */
static void
AddProblem(StringInfo problems, const char *problem)
{
	if (problems->len > 0)
		appendStringInfoString(problems, "; ");
	appendStringInfoString(problems, problem);
}

/* What a trigger found under auditlog's name is: auditlog's and firing, or not. */
static TriggerCondition
TriggerState(Form_pg_trigger trig, HeapTuple tup, Relation rel, bool row)
{
	int16		want = TRIGGER_TYPE_AFTER;
	bool		ours;

	if (row)
		want |= TRIGGER_TYPE_ROW | TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE | TRIGGER_TYPE_DELETE;
	else
		want |= TRIGGER_TYPE_TRUNCATE;
	ours = get_func_namespace(trig->tgfoid) == AuditSchemaOid() &&
		strcmp(get_func_name(trig->tgfoid), row ? "row_trigger" : "statement_trigger") == 0 &&
		trig->tgtype == want && trig->tgattr.dim1 == 0 && trig->tgnargs == 0 &&
		heap_attisnull(tup, Anum_pg_trigger_tgqual, RelationGetDescr(rel));
	if (!ours)
		return TRIG_FOREIGN;
	if (trig->tgenabled == TRIGGER_DISABLED)
		return TRIG_DISABLED;
	if (trig->tgenabled == TRIGGER_FIRES_ON_REPLICA)
		return TRIG_REPLICA_ONLY;
	return TRIG_FIRES;
}

/* The trigger of that name on a table, as TriggerState sees it. */
static TriggerCondition
FindTrigger(Oid relid, const char *name, bool row)
{
	Relation	rel = table_open(TriggerRelationId, AccessShareLock);
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tup;
	TriggerCondition state = TRIG_MISSING;

	ScanKeyInit(&keys[0], Anum_pg_trigger_tgrelid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relid));
	ScanKeyInit(&keys[1], Anum_pg_trigger_tgname, BTEqualStrategyNumber, F_NAMEEQ,
				CStringGetDatum(name));
	scan = systable_beginscan(rel, TriggerRelidNameIndexId, true, NULL, 2, keys);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		state = TriggerState((Form_pg_trigger) GETSTRUCT(tup), tup, rel, row);
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return state;
}

/* Adds what is wrong with one of auditlog's triggers on a table. */
static void
CheckTrigger(StringInfo problems, Oid relid, const char *name, bool row, bool keyed)
{
	TriggerCondition state = FindTrigger(relid, name, row);

	if (state == TRIG_MISSING)
		AddProblem(problems, psprintf("%s has no trigger %s", RelationLabel(relid, keyed), name));
	else if (state != TRIG_FIRES)
		AddProblem(problems, psprintf("trigger %s on %s %s", name, RelationLabel(relid, keyed),
									  condition_text[state]));
}

/* Adds the rules that make INSERT, UPDATE or DELETE of a table do something else. */
static void
CheckRules(StringInfo problems, Oid relid, bool keyed)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;

	rel = table_open(RewriteRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_rewrite_ev_class, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, RewriteRelRulenameIndexId, true, NULL, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_rewrite rule = (Form_pg_rewrite) GETSTRUCT(tup);

		if (rule->is_instead && rule->ev_type != '1' &&
			(rule->ev_enabled == RULE_FIRES_ON_ORIGIN || rule->ev_enabled == RULE_FIRES_ALWAYS))
			AddProblem(problems, psprintf("rule %s on %s replaces its changes",
										  quote_identifier(NameStr(rule->rulename)),
										  RelationLabel(relid, keyed)));
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

/*
 * Adds that a registered table's rows have no resource id: registered
 * without an id_column, it has no primary key any more (dropped, or its
 * id_column was dropped). Its events would all be on no resource. Not a
 * problem of a table that is not registered. The registry is read with the
 * catalog snapshot: it sees what the command at hand changed, also in a
 * parallel query.
 */
static void
CheckResourceId(StringInfo problems, Oid registered, bool keyed)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		by_primary_key = false;

	rel = table_open(AuditRelid(AREL_REGISTRY), AccessShareLock);
	AuditCheckNatts(rel, Natts_registry);
	ScanKeyInit(&key, Anum_registry_tbl, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(registered));
	scan = systable_beginscan(rel, AuditRelid(AREL_REGISTRY_PKEY), true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;

		(void) heap_getattr(tup, Anum_registry_id_column, RelationGetDescr(rel), &isnull);
		by_primary_key = isnull;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (!by_primary_key)
		return;

	rel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(registered));
	scan = systable_beginscan(rel, ConstraintRelidTypidNameIndexId, true, NULL, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		if (((Form_pg_constraint) GETSTRUCT(tup))->contype == CONSTRAINT_PRIMARY)
		{
			by_primary_key = false;
			break;
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (by_primary_key)
		AddProblem(problems, psprintf("%s has no primary key and no id_column: its rows have no resource id",
									  RelationLabel(registered, keyed)));
}

/*
 * Why changes to a registered table (or to one of its partitions) would not
 * all be events, or NULL when they would.
 */
char *
AuditingProblem(Oid registered)
{
	return ProblemList(registered, false, true);
}

/*
 * The problems of AuditingProblem() with relations named by oid, to
 * compare the states before and after a command that may rename them;
 * without the missing resource id unless 'resource_id'.
 */
char *
AuditingProblemKeyed(Oid registered, bool resource_id)
{
	return ProblemList(registered, true, resource_id);
}

static char *
ProblemList(Oid registered, bool keyed, bool resource_id)
{
	StringInfoData problems;
	List	   *rels;
	ListCell   *lc;

	initStringInfo(&problems);
	if (get_rel_relkind(registered) == RELKIND_PARTITIONED_TABLE)
		rels = find_all_inheritors(registered, NoLock, NULL);
	else
		rels = list_make1_oid(registered);
	foreach(lc, rels)
	{
		Oid			relid = lfirst_oid(lc);

		CheckTrigger(&problems, relid, "auditlog_row", true, keyed);
		CheckTrigger(&problems, relid, "auditlog_stmt", false, keyed);
		CheckRules(&problems, relid, keyed);
	}
	if (resource_id)
		CheckResourceId(&problems, registered, keyed);
	return problems.len > 0 ? problems.data : NULL;
}

/*
 * Whether a table has a trigger of auditlog's name that is someone else's
 * (another function, other events, a WHEN clause): register_table refuses
 * to take such a name over.
 */
bool
AuditForeignTriggerNamed(Oid relid, const char *name)
{
	return FindTrigger(relid, name, strcmp(name, "auditlog_row") == 0) == TRIG_FOREIGN;
}

PG_FUNCTION_INFO_V1(auditlog_auditing_problem);
/*
 * auditlog.auditing_problem(tbl regclass) RETURNS text: why changes to a
 * table registered with register_table would not all be events; NULL when
 * they would, or when there is no such table. (auditlog.registered_tables
 * shows it for each registered table.)
 */
Datum
auditlog_auditing_problem(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	char	   *problem;

	if (get_rel_name(relid) == NULL)
		PG_RETURN_NULL();
	problem = AuditingProblem(relid);
	if (problem == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(problem));
}

/* Whether auditlog's trigger of that name is on the table but does not fire (disabled, replica). */
bool
AuditTriggerSwitchedOff(Oid relid, const char *name)
{
	TriggerCondition state = FindTrigger(relid, name, strcmp(name, "auditlog_row") == 0);

	return state == TRIG_DISABLED || state == TRIG_REPLICA_ONLY;
}
