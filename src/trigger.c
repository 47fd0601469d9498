/*-------------------------------------------------------------------------
 *
 * src/trigger.c
 *	  The C triggers of registered tables: row changes to events.
 *
 * A row trigger turns one changed row into one event, with the table's
 * description (table_info.c) and no SQL: <type>.create with the new row,
 * <type>.update with the changed columns only, <type>.delete with the old
 * row. Its event is queued and written with the statement's others
 * (event_queue.c), also in the statement that loads the library.
 *
 * Anyone may execute the trigger functions (PostgreSQL checks that when it
 * clones the row trigger onto a new partition, as the table's owner), so
 * they refuse to run as anything but the triggers register_table makes:
 * auditlog_row and auditlog_stmt.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "commands/trigger.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "event.h"
#include "row_json.h"
#include "table_info.h"
#include "validate.h"

/* One row change as the trigger manager hands it over. */
typedef struct RowChange
{
	TableAction act;
	Datum	   *values;			/* the new row (the old one for a DELETE) */
	bool	   *nulls;
	Datum	   *oldvalues;		/* UPDATE: the old row */
	bool	   *oldnulls;
} RowChange;

static TriggerData *CheckTriggerCall(FunctionCallInfo fcinfo, const char *fname, bool row);
static void ReadRowChange(TriggerData *trigdata, TableInfo *t, RowChange *rc);
static bool PushUpdateImages(JsonbParseState **st, TableInfo *t, RowChange *rc, bool *hidden);
static void PushRowImage(JsonbParseState **st, TableInfo *t, RowChange *rc, bool *hidden);
static void SetRowContext(AuditEvent *ev, TableInfo *t, RowChange *rc, Relation rel);

/* Errors unless called by the trigger manager in the expected way. */
static TriggerData *
CheckTriggerCall(FunctionCallInfo fcinfo, const char *fname, bool row)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s must be called as a trigger", fname)));
	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		(row != (TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) != 0)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s must be fired AFTER, FOR EACH %s", fname, row ? "ROW" : "STATEMENT"),
				 errhint("Use auditlog.register_table() rather than creating the trigger by hand.")));
	if (strcmp(trigdata->tg_trigger->tgname, row ? "auditlog_row" : "auditlog_stmt") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s runs only as trigger %s, not as trigger \"%s\"", fname,
						row ? "auditlog_row" : "auditlog_stmt", trigdata->tg_trigger->tgname),
				 errhint("Use auditlog.register_table() rather than creating the trigger by hand.")));
	return trigdata;
}

/* Which action a row trigger call is, and the row's values (old ones too for UPDATE). */
static void
ReadRowChange(TriggerData *trigdata, TableInfo *t, RowChange *rc)
{
	TupleDesc	desc = RelationGetDescr(trigdata->tg_relation);
	HeapTuple	row;

	memset(rc, 0, sizeof(*rc));
	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		rc->act = ACT_CREATE;
		row = trigdata->tg_trigtuple;
	}
	else if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
	{
		rc->act = ACT_DELETE;
		row = trigdata->tg_trigtuple;
	}
	else
	{
		rc->act = ACT_UPDATE;
		row = trigdata->tg_newtuple;
		rc->oldvalues = palloc(sizeof(Datum) * t->natts);
		rc->oldnulls = palloc(sizeof(bool) * t->natts);
		heap_deform_tuple(trigdata->tg_trigtuple, desc, rc->oldvalues, rc->oldnulls);
	}
	rc->values = palloc(sizeof(Datum) * t->natts);
	rc->nulls = palloc(sizeof(bool) * t->natts);
	heap_deform_tuple(row, desc, rc->values, rc->nulls);
}

/*
 * UPDATE: pushes "old" and "new" with the audited columns that changed, and
 * flags the redacted ones that changed in hidden[]. Returns false when no
 * audited or redacted column changed (no event then).
 */
static bool
PushUpdateImages(JsonbParseState **st, TableInfo *t, RowChange *rc, bool *hidden)
{
	bool	   *shown = palloc0(sizeof(bool) * t->natts);
	bool		changed = false;

	for (int i = 0; i < t->natts; i++)
	{
		ColumnInfo *c = &t->cols[i];
		bool		differs;

		if (c->mode == COL_EXCLUDED)
			continue;
		if (rc->nulls[i] || rc->oldnulls[i])
			differs = (rc->nulls[i] != rc->oldnulls[i]);
		else
			differs = !datum_image_eq(rc->values[i], rc->oldvalues[i], c->typbyval, c->typlen);
		if (!differs)
			continue;
		changed = true;
		if (c->mode == COL_AUDITED)
			shown[i] = true;
		else
			hidden[i] = true;
	}
	if (!changed)
		return false;
	RowPushKey(st, "old", 3);
	RowPushImage(st, t, rc->oldvalues, rc->oldnulls, shown);
	RowPushKey(st, "new", 3);
	RowPushImage(st, t, rc->values, rc->nulls, shown);
	return true;
}

/* INSERT and DELETE: pushes "new" or "old" with every audited column; flags the redacted ones. */
static void
PushRowImage(JsonbParseState **st, TableInfo *t, RowChange *rc, bool *hidden)
{
	bool	   *shown = palloc0(sizeof(bool) * t->natts);

	for (int i = 0; i < t->natts; i++)
	{
		shown[i] = (t->cols[i].mode == COL_AUDITED);
		hidden[i] = (t->cols[i].mode == COL_REDACTED);
	}
	RowPushKey(st, rc->act == ACT_CREATE ? "new" : "old", 3);
	RowPushImage(st, t, rc->values, rc->nulls, shown);
}

/*
 * The event's resource and organisation from the row. A resource id or an
 * organisation too long to store is an error, never clipped: two rows
 * would share one id, two organisations one name. An empty organisation is
 * none.
 */
static void
SetRowContext(AuditEvent *ev, TableInfo *t, RowChange *rc, Relation rel)
{
	ev->resource_type = t->resource_type;
	ev->resource_id = RowResourceId(t, rc->values, rc->nulls);
	if (ev->resource_id && strlen(ev->resource_id) > AUDIT_MAX_RESOURCE_ID)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("the resource id of a row of table \"%s\" is %zu bytes, more than the %d an event can hold",
						RelationGetRelationName(rel), strlen(ev->resource_id), AUDIT_MAX_RESOURCE_ID),
				 errdetail("It starts with \"%s\".", AuditClip(ev->resource_id, 40)),
				 errhint("Register the table with id_column => a shorter unique column.")));
	if (t->org_col >= 0 && !rc->nulls[t->org_col])
	{
		char	   *org = OutputFunctionCall(&t->cols[t->org_col].out, rc->values[t->org_col]);

		if (strlen(org) > AUDIT_MAX_LABEL)
			ereport(ERROR,
					(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
					 errmsg("the organisation of a row of table \"%s\" is %zu bytes, more than the %d an event can hold",
							RelationGetRelationName(rel), strlen(org), AUDIT_MAX_LABEL),
					 errdetail("Column \"%s\" holds \"%s\".", t->cols[t->org_col].name, AuditClip(org, 40)),
					 errhint("Keep organisation ids within %d bytes.", AUDIT_MAX_LABEL)));
		ev->org_id = org[0] != '\0' ? org : NULL;
	}
}

/* ------------------------------------------------------------------------
 * SQL-callable functions
 * ------------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(auditlog_row_trigger);
/*
 * AFTER ROW trigger: writes <type>.create with the new row, <type>.update
 * with the changed columns only (old and new), <type>.delete with the old
 * row. Excluded columns never appear; redacted ones are named, valueless.
 * An UPDATE that changes no audited or redacted column writes nothing.
 */
Datum
auditlog_row_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = CheckTriggerCall(fcinfo, "auditlog.row_trigger()", true);
	TableInfo  *t = AuditGetTableInfo(trigdata->tg_relation, false);
	bool	   *hidden = palloc0(sizeof(bool) * t->natts);
	JsonbParseState *st = NULL;
	JsonbValue *res;
	RowChange	rc;
	AuditEvent	ev;

	ReadRowChange(trigdata, t, &rc);
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	if (rc.act == ACT_UPDATE)
	{
		if (!PushUpdateImages(&st, t, &rc, hidden))
			return PointerGetDatum(NULL);
	}
	else
		PushRowImage(&st, t, &rc, hidden);
	RowPushRedacted(&st, t, hidden);
	res = pushJsonbValue(&st, WJB_END_OBJECT, NULL);

	memset(&ev, 0, sizeof(ev));
	ev.action = t->actions[rc.act];
	ev.outcome = AUDIT_OUTCOME_SUCCESS;
	ev.details = JsonbValueToJsonb(res);
	SetRowContext(&ev, t, &rc, trigdata->tg_relation);
	AuditQueueEvent(&ev);

	return PointerGetDatum(NULL);
}

PG_FUNCTION_INFO_V1(auditlog_statement_trigger);
/*
 * AFTER TRUNCATE trigger of registered tables and of their partitions: one
 * <type>.truncate event per emptied table (partitions each have their own;
 * a partitioned table holds no rows of its own). Row events need no
 * statement trigger: the executor hooks write them when the statement ends.
 */
Datum
auditlog_statement_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = CheckTriggerCall(fcinfo, "auditlog.statement_trigger()", false);
	Relation	rel = trigdata->tg_relation;
	TableInfo  *t;
	JsonbParseState *st = NULL;
	JsonbValue *res;
	AuditEvent	ev;

	if (!TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("auditlog.statement_trigger() must be fired by TRUNCATE"),
				 errhint("Use auditlog.register_table() rather than creating the trigger by hand.")));
	if (rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
		return PointerGetDatum(NULL);
	/* a table detached from a registered one keeps this trigger: no event */
	t = AuditGetTableInfo(rel, true);
	if (t == NULL)
		return PointerGetDatum(NULL);

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	RowPushKey(&st, "table", 5);
	RowPushString(&st, WJB_VALUE,
				  quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
											 RelationGetRelationName(rel)));
	res = pushJsonbValue(&st, WJB_END_OBJECT, NULL);

	memset(&ev, 0, sizeof(ev));
	ev.action = t->actions[ACT_TRUNCATE];
	ev.resource_type = t->resource_type;
	ev.outcome = AUDIT_OUTCOME_SUCCESS;
	ev.details = JsonbValueToJsonb(res);
	AuditWriteEvent(&ev);
	return PointerGetDatum(NULL);
}
