/*-------------------------------------------------------------------------
 *
 * src/restore.c
 *	  Rows restored into auditlog's tables: no id used twice, no label or
 *	  action pointed at wrongly, and the id sequences kept ahead of them.
 *
 * The extension writes its events straight into the heap, and its labels
 * and actions through its own SQL (with auditlog.internal on): no SQL of
 * anybody else ever inserts into auditlog.event_store, auditlog.labels or
 * auditlog.action_types, except a restore (pg_restore, psql of a plain
 * dump, --data-only, --inserts) or a superuser by hand. Two triggers on
 * each of those tables see those rows and only those:
 *
 * - restore_row, BEFORE INSERT of each row: refuses any row inserted by
 *   a role that is no superuser (the owner's role and its members hold
 *   INSERT on the tables, and would slip forged history into an empty log
 *   otherwise); at the first row of a statement it refuses the whole
 *   statement if the log already holds rows written in this database (a
 *   restore into a live log would mix two id spaces: duplicate event ids,
 *   events naming the wrong labels); it refuses
 *   an event whose id is already in the log (the same data restored twice);
 *   and it merges a built-in action into the one the extension created,
 *   keeping its (possibly edited) description.
 * - restore_statement, AFTER INSERT of the statement: moves the table's id
 *   sequence past the largest id restored, with is_called false. (The
 *   event store's partitions each have their own; into a partition that
 *   has none yet, as pg_dump restores them, restore_row moves the sequence
 *   ahead itself, RESTORE_SEQUENCE_STRETCH ids at a time.)
 *
 * "Rows written in this database" are told from restored ones by the
 * sequence: the extension's own writes take their ids from it (is_called
 * becomes true), while a restore leaves it at "next id, not yet called".
 * The sequences are not in the dump for that reason: pg_dump would set
 * them after all the data, under events written in between.
 *
 * Both triggers are ENABLE ALWAYS, and ddl_guard.c enables them again
 * after ALTER TABLE ... DISABLE TRIGGER ALL (pg_restore --disable-triggers):
 * they never refuse a row a correct restore brings.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/partition.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "catalog.h"
#include "owner.h"
#include "registry.h"
#include "spi_util.h"

/*
 * The restore statement under way on one of the three tables: from its
 * first row to its AFTER STATEMENT trigger, or to the abort of the
 * (sub)transaction it ran in.
 */
typedef struct RestoreState
{
	Oid			relid;			/* InvalidOid: free */
	LocalTransactionId lxid;
	SubTransactionId subid;
	int64		restored_upto;	/* ids up to this may be restored rows already */
	int64		max_id;			/* the largest id this statement brought */
	int64		seq_next;		/* the id the sequence hands out next */
} RestoreState;

/*
 * pg_dump makes a partition's own triggers after its rows, so the rows of
 * a monthly partition of the event store arrive with no restore_statement
 * to follow them: restore_row moves the sequence itself, this many ids
 * ahead at a time.
 */
#define RESTORE_SEQUENCE_STRETCH	10000

#define N_RESTORED_TABLES 3
static RestoreState states[N_RESTORED_TABLES];
static bool callbacks_registered = false;

static TriggerData *CheckRestoreCall(FunctionCallInfo fcinfo, bool row);
static Oid	RestoredTable(Relation rel);
static AuditRelation SequenceOf(Oid relid);
static RestoreState *CurrentState(Oid relid, bool create);
static void RestoreSubXactCallback(SubXactEvent event, SubTransactionId mySubid,
								   SubTransactionId parentSubid, void *arg);
static void RestoreXactCallback(XactEvent event, void *arg);
static void RefuseIntoLiveLog(void);
static void ReadSequence(AuditRelation seq, int64 *last_value, bool *is_called);
static void StartStatement(RestoreState *st);
static void MoveSequence(RestoreState *st, int64 next);
static void RefuseKnownEvent(int64 id);
static bool MergeBuiltinAction(HeapTuple tup, TupleDesc desc);

/* ------------------------------------------------------------------------
 * internal
 * ------------------------------------------------------------------------
 */

/* Errors unless called as a BEFORE ROW (row) or AFTER STATEMENT INSERT trigger. */
static TriggerData *
CheckRestoreCall(FunctionCallInfo fcinfo, bool row)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) ||
		(row ? !(TRIGGER_FIRED_BEFORE(trigdata->tg_event) && TRIGGER_FIRED_FOR_ROW(trigdata->tg_event)) :
		 !(TRIGGER_FIRED_AFTER(trigdata->tg_event) && TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event))))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s must be fired %s INSERT", row ? "auditlog.restore_row()" :
						"auditlog.restore_statement()",
						row ? "BEFORE, FOR EACH ROW, on" : "AFTER, FOR EACH STATEMENT, on")));
	return trigdata;
}

/* The table a trigger fired for: the relation, or the table it is a partition of. */
static Oid
RestoredTable(Relation rel)
{
	if (rel->rd_rel->relispartition)
		return llast_oid(get_partition_ancestors(RelationGetRelid(rel)));
	return RelationGetRelid(rel);
}

/* The id sequence of one of the three tables. */
static AuditRelation
SequenceOf(Oid relid)
{
	if (relid == AuditRelid(AREL_EVENT_STORE))
		return AREL_EVENT_STORE_ID_SEQ;
	if (relid == AuditRelid(AREL_LABELS))
		return AREL_LABELS_ID_SEQ;
	if (relid == AuditRelid(AREL_ACTION_TYPES))
		return AREL_ACTION_TYPES_ID_SEQ;
	ereport(ERROR,
			(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
			 errmsg("auditlog's restore triggers belong on auditlog.event_store, labels and action_types only")));
	pg_unreachable();
}

/*
 * The state of the statement running on the table, or NULL when none has
 * started (create: start one).
 */
static RestoreState *
CurrentState(Oid relid, bool create)
{
	RestoreState *free_slot = NULL;

	for (int i = 0; i < N_RESTORED_TABLES; i++)
	{
		RestoreState *st = &states[i];

		if (st->relid == relid && st->lxid == MyProc->lxid)
			return st;
		if (st->relid == InvalidOid || st->lxid != MyProc->lxid)
			free_slot = st;
	}
	if (!create || free_slot == NULL)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->relid = relid;
	free_slot->lxid = MyProc->lxid;
	free_slot->subid = GetCurrentSubTransactionId();
	return free_slot;
}

/* A statement that failed never reaches its AFTER STATEMENT trigger: forget it. */
static void
RestoreSubXactCallback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	for (int i = 0; i < N_RESTORED_TABLES; i++)
	{
		if (states[i].subid >= mySubid)
			states[i].relid = InvalidOid;
	}
}

/* Nor does one of a transaction that aborted. */
static void
RestoreXactCallback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		memset(states, 0, sizeof(states));
}

/*
 * Refuses a restore into a log that already holds rows written here: a
 * table whose sequence has handed out ids (and that has rows other than
 * the built-in actions).
 */
static void
RefuseIntoLiveLog(void)
{
	static const char *const names[N_RESTORED_TABLES] = {"event_store", "labels", "action_types"};
	bool		live[N_RESTORED_TABLES];

	/* not read-only: a snapshot taken now, after the locks, sees who just committed */
	SpiExec("SELECT (SELECT s.is_called FROM auditlog.event_store_id_seq s)"
			"   AND EXISTS (SELECT 1 FROM auditlog.event_store),"
			" (SELECT s.is_called FROM auditlog.labels_id_seq s)"
			"   AND EXISTS (SELECT 1 FROM auditlog.labels),"
			" (SELECT s.is_called FROM auditlog.action_types_id_seq s)"
			"   AND EXISTS (SELECT 1 FROM auditlog.action_types a WHERE NOT a.builtin)",
			NULL, SPI_OK_SELECT);
	for (int i = 0; i < N_RESTORED_TABLES; i++)
	{
		bool		isnull;

		live[i] = DatumGetBool(SpiGetDatum(0, i + 1, &isnull)) && !isnull;
	}
	for (int i = 0; i < N_RESTORED_TABLES; i++)
	{
		if (live[i])
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("auditlog.%s already holds rows written in this database", names[i]),
					 errdetail("Restoring another database's audit log into it would give two events "
							   "the same id and point events at the wrong labels."),
					 errhint("Restore auditlog's data into a database whose log is empty: right after "
							 "pg_restore --schema-only or CREATE EXTENSION auditlog, before anything "
							 "is logged there.")));
	}
}

/* A sequence's last_value and is_called. */
static void
ReadSequence(AuditRelation seq, int64 *last_value, bool *is_called)
{
	bool		isnull;

	SpiExec(psprintf("SELECT s.last_value, s.is_called FROM %s s",
					 QualifiedRelationName(AuditRelid(seq))),
			NULL, SPI_OK_SELECT);
	*last_value = DatumGetInt64(SpiGetDatum(0, 1, &isnull));
	*is_called = DatumGetBool(SpiGetDatum(0, 2, &isnull));
}

/*
 * The first restored row of a statement: refuse a live log, note what is
 * restored already. The three tables are locked against writers first
 * (until the transaction ends), so that an event being written right now
 * is seen, committed, rather than get an id the restore brings too.
 */
static void
StartStatement(RestoreState *st)
{
	int64		last_value;
	bool		is_called;

	LockRelationOid(AuditRelid(AREL_EVENT_STORE), ShareRowExclusiveLock);
	LockRelationOid(AuditRelid(AREL_LABELS), ShareRowExclusiveLock);
	LockRelationOid(AuditRelid(AREL_ACTION_TYPES), ShareRowExclusiveLock);
	RefuseIntoLiveLog();
	ReadSequence(SequenceOf(st->relid), &last_value, &is_called);
	/* not called: the ids below last_value were brought by earlier restore statements */
	st->restored_upto = is_called ? 0 : last_value - 1;
	st->seq_next = is_called ? last_value + 1 : last_value;
}

/* Moves the table's sequence so that it hands out 'next' next, "not yet called". */
static void
MoveSequence(RestoreState *st, int64 next)
{
	SpiArgs		args = {0};

	SpiArg(&args, REGCLASSOID, ObjectIdGetDatum(AuditRelid(SequenceOf(st->relid))));
	SpiArg(&args, INT8OID, Int64GetDatum(next));
	SpiExec("SELECT pg_catalog.setval($1, $2, false)", &args, SPI_OK_SELECT);
	st->seq_next = next;
}

/* Refuses an event whose id the log holds already. */
static void
RefuseKnownEvent(int64 id)
{
	SpiArgs		args = {0};

	SpiArg(&args, INT8OID, Int64GetDatum(id));
	if (SpiExec("SELECT 1 FROM auditlog.event_store e WHERE e.id OPERATOR(pg_catalog.=) $1 LIMIT 1",
				&args, SPI_OK_SELECT) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("event %lld is already in auditlog.event_store", (long long) id),
				 errdetail("The same events are being restored a second time."),
				 errhint("Restore auditlog's data once, into a database whose log is empty.")));
}

/*
 * A restored built-in action: the extension made it already, with the same
 * id; only its description is taken from the dump (it may have been
 * edited). Returns true when the row is merged and must not be inserted.
 */
static bool
MergeBuiltinAction(HeapTuple tup, TupleDesc desc)
{
	bool		isnull;
	Datum		action = heap_getattr(tup, Anum_action_types_action, desc, &isnull);
	Datum		description = heap_getattr(tup, Anum_action_types_description, desc, &isnull);
	bool		no_description = isnull;
	int32		id = DatumGetInt32(heap_getattr(tup, Anum_action_types_id, desc, &isnull));
	SpiArgs		args = {0};
	int32		local_id;

	SpiArg(&args, TEXTOID, action);
	if (SpiQuery("SELECT a.id FROM auditlog.action_types a"
				 " WHERE a.action OPERATOR(pg_catalog.=) $1 AND a.builtin", &args, 1) == 0)
		return false;
	local_id = SpiFirstInt32(0);
	if (local_id != id)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("built-in action \"%s\" has id %d here but %d in the restored data",
						TextDatumGetCString(action), local_id, id),
				 errhint("Restore into a database made with CREATE EXTENSION auditlog of the same version.")));
	if (no_description)
		SpiArgNull(&args, TEXTOID);
	else
		SpiArg(&args, TEXTOID, description);
	SpiExec("UPDATE auditlog.action_types a SET description = $2"
			" WHERE a.action OPERATOR(pg_catalog.=) $1 AND a.description IS DISTINCT FROM $2",
			&args, SPI_OK_UPDATE);
	return true;
}

/* ------------------------------------------------------------------------
 * SQL-callable functions
 * ------------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(auditlog_restore_row);
/*
 * BEFORE INSERT FOR EACH ROW on event_store, labels and action_types: a row
 * that does not come from the extension is a restored one; refuses those
 * that would corrupt the log (see the file header), merges built-in actions.
 */
Datum
auditlog_restore_row(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = CheckRestoreCall(fcinfo, true);
	Relation	rel = trigdata->tg_relation;
	HeapTuple	tup = trigdata->tg_trigtuple;
	Oid			table;
	AuditOwnerState owner;
	RestoreState *st;
	bool		isnull;
	int64		id;
	bool		merged = false;

	if (AuditRunningInternally())
		return PointerGetDatum(tup);
	/* the owner's role and its members hold INSERT: a restore runs as a superuser */
	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only a superuser may insert rows into auditlog.%s", get_rel_name(RestoredTable(rel))),
				 errdetail("Rows come into the audit log's tables from the extension itself, or from a restore."),
				 errhint("Log events with auditlog.log_event(); restore as a superuser.")));
	/* the id is the first column of the three tables, int8 or int4 */
	id = TupleDescAttr(RelationGetDescr(rel), 0)->atttypid == INT8OID ?
		DatumGetInt64(heap_getattr(tup, 1, RelationGetDescr(rel), &isnull)) :
		(int64) DatumGetInt32(heap_getattr(tup, 1, RelationGetDescr(rel), &isnull));
	if (isnull)
		return PointerGetDatum(tup);	/* the NOT NULL constraint says so */

	if (!callbacks_registered)
	{
		RegisterXactCallback(RestoreXactCallback, NULL);
		RegisterSubXactCallback(RestoreSubXactCallback, NULL);
		callbacks_registered = true;
	}
	table = RestoredTable(rel);
	AuditConnectAsOwner(&owner);
	st = CurrentState(table, false);
	if (st == NULL)
	{
		st = CurrentState(table, true);
		if (st == NULL)
			elog(ERROR, "auditlog: more restore statements under way than tables");
		StartStatement(st);
	}
	if (table == AuditRelid(AREL_EVENT_STORE) && id <= st->restored_upto)
		RefuseKnownEvent(id);
	/* a partition, maybe without its statement trigger yet: the sequence moves now */
	if (table != RelationGetRelid(rel) && id >= st->seq_next)
		MoveSequence(st, id + 1 + RESTORE_SEQUENCE_STRETCH);
	if (table == AuditRelid(AREL_ACTION_TYPES))
	{
		Datum		builtin = heap_getattr(tup, Anum_action_types_builtin, RelationGetDescr(rel), &isnull);

		if (!isnull && DatumGetBool(builtin))
			merged = MergeBuiltinAction(tup, RelationGetDescr(rel));
	}
	AuditFinishAsOwner(&owner);

	if (merged)
		return PointerGetDatum(NULL);
	st->max_id = Max(st->max_id, id);
	return PointerGetDatum(tup);
}

PG_FUNCTION_INFO_V1(auditlog_restore_statement);
/*
 * AFTER INSERT FOR EACH STATEMENT on the same tables: after restored rows,
 * the table's id sequence continues after the largest of them, "not yet
 * called", so that the next restore statement can tell them from rows
 * written here.
 */
Datum
auditlog_restore_statement(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = CheckRestoreCall(fcinfo, false);
	RestoreState *st;
	AuditOwnerState owner;
	AuditRelation seq;
	int64		last_value;
	bool		is_called;
	int64		max_id;
	SpiArgs		args = {0};

	if (AuditRunningInternally())
		return PointerGetDatum(NULL);
	st = CurrentState(RestoredTable(trigdata->tg_relation), false);
	if (st == NULL)
		return PointerGetDatum(NULL);
	max_id = st->max_id;
	st->relid = InvalidOid;		/* the statement is over */
	if (max_id == 0)
		return PointerGetDatum(NULL);

	AuditConnectAsOwner(&owner);
	seq = SequenceOf(RestoredTable(trigdata->tg_relation));
	ReadSequence(seq, &last_value, &is_called);
	if (max_id >= (is_called ? last_value + 1 : last_value))
	{
		SpiArg(&args, REGCLASSOID, ObjectIdGetDatum(AuditRelid(seq)));
		SpiArg(&args, INT8OID, Int64GetDatum(max_id + 1));
		SpiExec("SELECT pg_catalog.setval($1, $2, false)", &args, SPI_OK_SELECT);
	}
	AuditFinishAsOwner(&owner);
	return PointerGetDatum(NULL);
}
