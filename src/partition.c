/*-------------------------------------------------------------------------
 *
 * src/partition.c
 *	  The time partitions of auditlog.event_store, and making them ahead.
 *
 * The event store is partitioned by range of occurred_at. Its default
 * partition, auditlog.event_store_default, takes the events of times no
 * other partition takes (on an updated database: every event written
 * before the update). The maintenance worker gives every UTC month, from
 * the current one to AUDIT_PARTITIONS_AHEAD months ahead, a partition of
 * its own, auditlog.event_store_<YYYYMM>, before its events arrive, so
 * that retention (purge.c) can drop whole months.
 *
 * Attaching a partition makes PostgreSQL check that the default partition
 * holds none of its times, under a lock that stops every write to the
 * default and every read of the store; on a large default partition (an
 * updated 0.1.0 log) that check is a long scan. So when the default
 * partition is not empty, a new month takes three transactions, each a
 * step of its own: a CHECK constraint that leaves the month out of the
 * default partition is added NOT VALID (a short lock, no scan); then
 * validated (a scan that lets writers and readers through); then the
 * partition is attached, which the constraint makes instant, and the
 * constraint dropped. Our writers never check constraints (event_store.c
 * writes the heap itself), so an event written meanwhile into the default
 * partition for that month is never refused: the validation, or the check
 * made again under the attach's lock, sees it and the month is left to the
 * default partition. Every step gives up after a short lock_timeout and is
 * tried again at the next round: making partitions never queues the
 * writers for long.
 *
 * A month whose events are already in the default partition keeps them
 * there: it gets no partition.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "partitioning/partdesc.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "horizon.h"
#include "owner.h"
#include "partition.h"
#include "spi_util.h"

/* How long a step waits for a lock before it leaves the month to the next round. */
#define PARTITION_LOCK_TIMEOUT	"2s"

/* The most months one call of auditlog.create_partitions() makes. */
#define CREATE_PARTITIONS_MAX	120

bool		audit_purging = false;

/* A month to make a partition for. */
typedef struct Month
{
	int			year;
	int			month;			/* 1 to 12 */
	TimestampTz lower;
	TimestampTz upper;
	char		suffix[8];		/* YYYYMM */
} Month;

static TimestampTz BoundValue(List *datums);
static void ReadBound(AuditPartition *p, Oid relid);
static int	CompareParts(const void *a, const void *b);
static void SetMonth(Month *m, int year, int month);
static bool Overlaps(const AuditPartition *parts, int n, const Month *m);
static bool DefaultHasRows(const AuditPartition *def, const Month *m, bool any);
static char *BoundLiteral(TimestampTz t);
static char *ExcludeName(const Month *m);
static char *ExcludeCheck(const Month *m);
static bool ConstraintState(Oid relid, const char *name, bool *validated);
static void AttachMonth(const AuditPartition *def, const Month *m, const char *constraint,
						const char *by);
static bool MonthStep(const AuditPartition *parts, int n, const Month *m);

/* ------------------------------------------------------------------------
 * internal: bounds
 * ------------------------------------------------------------------------
 */

/* The timestamp of a range bound; MINVALUE and MAXVALUE as the infinities. */
static TimestampTz
BoundValue(List *datums)
{
	PartitionRangeDatum *d = linitial_node(PartitionRangeDatum, datums);

	if (d->kind == PARTITION_RANGE_DATUM_MINVALUE)
		return DT_NOBEGIN;
	if (d->kind == PARTITION_RANGE_DATUM_MAXVALUE)
		return DT_NOEND;
	return DatumGetTimestampTz(castNode(Const, d->value)->constvalue);
}

/* Reads a partition's bounds. */
static void
ReadBound(AuditPartition *p, Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	bool		isnull;
	Datum		d;
	PartitionBoundSpec *spec;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "auditlog: cache lookup failed for relation %u", relid);
	d = SysCacheGetAttr(RELOID, tup, Anum_pg_class_relpartbound, &isnull);
	if (isnull)
		elog(ERROR, "auditlog: partition %u of event_store has no bound", relid);
	spec = castNode(PartitionBoundSpec, stringToNode(TextDatumGetCString(d)));
	ReleaseSysCache(tup);
	p->relid = relid;
	p->is_default = spec->is_default;
	p->lower = spec->is_default ? DT_NOBEGIN : BoundValue(spec->lowerdatums);
	p->upper = spec->is_default ? DT_NOEND : BoundValue(spec->upperdatums);
}

/* By lower bound, the default partition last. */
static int
CompareParts(const void *a, const void *b)
{
	const AuditPartition *pa = a;
	const AuditPartition *pb = b;

	if (pa->is_default != pb->is_default)
		return pa->is_default ? 1 : -1;
	return pa->lower < pb->lower ? -1 : pa->lower > pb->lower;
}

/* ------------------------------------------------------------------------
 * internal: making a month's partition
 * ------------------------------------------------------------------------
 */

/* The UTC month 'month' of 'year' (any month number: it carries over). */
static void
SetMonth(Month *m, int year, int month)
{
	struct pg_tm tm = {0};

	year += (month - 1) / MONTHS_PER_YEAR;
	month = (month - 1) % MONTHS_PER_YEAR + 1;
	m->year = year;
	m->month = month;
	tm.tm_year = year;
	tm.tm_mon = month;
	tm.tm_mday = 1;
	if (tm2timestamp(&tm, 0, NULL, &m->lower) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	tm.tm_year = month == MONTHS_PER_YEAR ? year + 1 : year;
	tm.tm_mon = month == MONTHS_PER_YEAR ? 1 : month + 1;
	if (tm2timestamp(&tm, 0, NULL, &m->upper) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	snprintf(m->suffix, sizeof(m->suffix), "%04d%02d", year, month);
}

/* True when a partition other than the default takes some time of the month. */
static bool
Overlaps(const AuditPartition *parts, int n, const Month *m)
{
	for (int i = 0; i < n; i++)
	{
		if (!parts[i].is_default && parts[i].lower < m->upper && parts[i].upper > m->lower)
			return true;
	}
	return false;
}

/* True when the default partition holds events of the month (with 'any': any event). */
static bool
DefaultHasRows(const AuditPartition *def, const Month *m, bool any)
{
	SpiArgs		args = {0};
	char	   *rel = quote_qualified_identifier("auditlog", get_rel_name(def->relid));

	if (any)
		SpiExec(psprintf("SELECT EXISTS (SELECT FROM ONLY %s)", rel), NULL, SPI_OK_SELECT);
	else
	{
		SpiArg(&args, TIMESTAMPTZOID, TimestampTzGetDatum(m->lower));
		SpiArg(&args, TIMESTAMPTZOID, TimestampTzGetDatum(m->upper));
		SpiExec(psprintf("SELECT EXISTS (SELECT FROM ONLY %s e"
						 " WHERE e.occurred_at OPERATOR(pg_catalog.>=) $1"
						 " AND e.occurred_at OPERATOR(pg_catalog.<) $2)", rel),
				&args, SPI_OK_SELECT);
	}
	return SpiFirstBool(false);
}

/* A bound as a literal: the UTC time, which reads the same in any time zone. */
static char *
BoundLiteral(TimestampTz t)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0)
		elog(ERROR, "auditlog: partition bound out of range");
	return psprintf("'%04d-%02d-%02d 00:00:00+00'", tm.tm_year, tm.tm_mon, tm.tm_mday);
}

/*
 * The name of the CHECK constraint that keeps a month out of the default
 * partition while its partition is being made, and the constraint itself.
 */
static char *
ExcludeName(const Month *m)
{
	return psprintf("event_store_default_not_%s", m->suffix);
}

static char *
ExcludeCheck(const Month *m)
{
	return psprintf("CHECK (occurred_at OPERATOR(pg_catalog.<) %s OR occurred_at OPERATOR(pg_catalog.>=) %s)",
					BoundLiteral(m->lower), BoundLiteral(m->upper));
}

/* Whether a constraint of that name is on the table, and whether it is validated. */
static bool
ConstraintState(Oid relid, const char *name, bool *validated)
{
	Oid			conoid = get_relation_constraint_oid(relid, name, true);
	HeapTuple	tup;

	*validated = false;
	if (!OidIsValid(conoid))
		return false;
	tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conoid));
	if (!HeapTupleIsValid(tup))
		return false;
	*validated = ((Form_pg_constraint) GETSTRUCT(tup))->convalidated;
	ReleaseSysCache(tup);
	return true;
}

/*
 * Makes the month's partition and attaches it, with the indexes, statement
 * triggers and replica identity the default partition has; drops the constraint that
 * made the attach instant. The default partition is locked first and
 * checked again: an event written there for that month since the last
 * step leaves the month to it. Before it, the store itself is locked as
 * the attach will lock it: the parent before a partition, the order in
 * which ANALYZE or VACUUM of the store takes them (the other order ended
 * a database-wide VACUUM ANALYZE in a deadlock).
 */
static void
AttachMonth(const AuditPartition *def, const Month *m, const char *constraint, const char *by)
{
	char	   *name = psprintf("event_store_%s", m->suffix);
	char	   *part = quote_qualified_identifier("auditlog", name);
	char	   *lo = BoundLiteral(m->lower);
	char	   *hi = BoundLiteral(m->upper);

	SpiExec("LOCK TABLE ONLY auditlog.event_store IN SHARE UPDATE EXCLUSIVE MODE", NULL,
			SPI_OK_UTILITY);
	if (def)
	{
		char	   *defrel = quote_qualified_identifier("auditlog", get_rel_name(def->relid));

		SpiExec(psprintf("LOCK TABLE ONLY %s IN ACCESS EXCLUSIVE MODE", defrel), NULL,
				SPI_OK_UTILITY);
		if (DefaultHasRows(def, m, false))
		{
			if (constraint)
				SpiExec(psprintf("ALTER TABLE ONLY %s DROP CONSTRAINT %s", defrel,
								 quote_identifier(constraint)), NULL, SPI_OK_UTILITY);
			return;
		}
	}
	SpiExec(psprintf("CREATE TABLE %s (LIKE auditlog.event_store INCLUDING DEFAULTS)", part),
			NULL, SPI_OK_UTILITY);
	/* the indexes of the default partition (sql/auditlog--0.2.0.sql) */
	SpiExec(psprintf("CREATE INDEX %s ON %s USING brin (id) WITH (pages_per_range = 16)",
					 quote_identifier(psprintf("%s_id_idx", name)), part), NULL, SPI_OK_UTILITY);
	SpiExec(psprintf("CREATE INDEX %s ON %s USING brin (occurred_at%s) WITH (pages_per_range = 16)",
					 quote_identifier(psprintf("%s_occurred_at_idx", name)), part,
#if PG_VERSION_NUM >= 140000
					 " timestamptz_minmax_multi_ops (values_per_range = 8)"
#else
					 ""
#endif
					 ), NULL, SPI_OK_UTILITY);
	SpiExec(psprintf("CREATE INDEX %s ON %s (resource_id, resource_type_ref, occurred_at)"
					 " WHERE resource_id IS NOT NULL",
					 quote_identifier(psprintf("%s_resource_idx", name)), part),
			NULL, SPI_OK_UTILITY);
	SpiExec(psprintf("CREATE INDEX %s ON %s (actor_ref, occurred_at)",
					 quote_identifier(psprintf("%s_actor_idx", name)), part),
			NULL, SPI_OK_UTILITY);
	SpiExec(psprintf("CREATE INDEX %s ON %s (action_ref, occurred_at)",
					 quote_identifier(psprintf("%s_action_idx", name)), part),
			NULL, SPI_OK_UTILITY);
	SpiExec(psprintf("CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON %s"
					 " FOR EACH STATEMENT EXECUTE FUNCTION auditlog.refuse_change()", part),
			NULL, SPI_OK_UTILITY);
	SpiExec(psprintf("CREATE TRIGGER restore_statement AFTER INSERT ON %s"
					 " FOR EACH STATEMENT EXECUTE FUNCTION auditlog.restore_statement()", part),
			NULL, SPI_OK_UTILITY);
	SpiExec(psprintf("ALTER TABLE %s ENABLE ALWAYS TRIGGER append_only_truncate,"
					 " ENABLE ALWAYS TRIGGER restore_statement, REPLICA IDENTITY FULL", part),
			NULL, SPI_OK_UTILITY);
	SpiExec(psprintf("COMMENT ON TABLE %s IS 'The events of %04d-%02d (UTC); made by %s'",
					 part, m->year, m->month, by), NULL, SPI_OK_UTILITY);
	SpiExec(psprintf("ALTER TABLE auditlog.event_store ATTACH PARTITION %s FOR VALUES FROM (%s) TO (%s)",
					 part, lo, hi), NULL, SPI_OK_UTILITY);
	if (def && constraint)
		SpiExec(psprintf("ALTER TABLE ONLY %s DROP CONSTRAINT %s",
						 quote_qualified_identifier("auditlog", get_rel_name(def->relid)),
						 quote_identifier(constraint)), NULL, SPI_OK_UTILITY);
	ereport(LOG,
			(errmsg("auditlog: made partition auditlog.%s for the events of %04d-%02d",
					name, m->year, m->month)));
}

/*
 * The next step for one month, if it needs one: false when the month has
 * its partition, cannot have one, or its name is taken.
 */
static bool
MonthStep(const AuditPartition *parts, int n, const Month *m)
{
	const AuditPartition *def = n > 0 && parts[n - 1].is_default ? &parts[n - 1] : NULL;
	char	   *constraint = ExcludeName(m);
	char	   *defrel;
	bool		exists;
	bool		validated;

	if (Overlaps(parts, n, m) ||
		OidIsValid(get_relname_relid(psprintf("event_store_%s", m->suffix), AuditSchemaOid())))
		return false;
	if (def == NULL || !DefaultHasRows(def, m, true))
	{
		AttachMonth(def, m, NULL, "the maintenance worker");
		return true;
	}
	defrel = quote_qualified_identifier("auditlog", get_rel_name(def->relid));
	exists = ConstraintState(def->relid, constraint, &validated);
	if (DefaultHasRows(def, m, false))
	{
		/* the month's events are in the default partition already: it keeps them */
		if (exists)
			SpiExec(psprintf("ALTER TABLE ONLY %s DROP CONSTRAINT %s", defrel,
							 quote_identifier(constraint)), NULL, SPI_OK_UTILITY);
		return exists;
	}
	if (!exists)
		SpiExec(psprintf("ALTER TABLE ONLY %s ADD CONSTRAINT %s %s NOT VALID", defrel,
						 quote_identifier(constraint), ExcludeCheck(m)),
				NULL, SPI_OK_UTILITY);
	else if (!validated)
		SpiExec(psprintf("ALTER TABLE ONLY %s VALIDATE CONSTRAINT %s", defrel,
						 quote_identifier(constraint)), NULL, SPI_OK_UTILITY);
	else
		AttachMonth(def, m, constraint, "the maintenance worker");
	return true;
}

/* ------------------------------------------------------------------------
 * exported
 * ------------------------------------------------------------------------
 */

AuditPartition *
AuditListPartitions(Relation parent, int *n)
{
	AuditPartition *parts;
	PartitionDesc pd;

	if (parent->rd_rel->relkind != RELKIND_PARTITIONED_TABLE)
	{
		parts = palloc0(sizeof(AuditPartition));
		parts[0].relid = RelationGetRelid(parent);
		parts[0].lower = DT_NOBEGIN;
		parts[0].upper = DT_NOEND;
		parts[0].is_default = true;
		*n = 1;
		return parts;
	}
	pd = RelationGetPartitionDesc(parent, true);
	parts = palloc0(sizeof(AuditPartition) * Max(pd->nparts, 1));
	for (int i = 0; i < pd->nparts; i++)
		ReadBound(&parts[i], pd->oids[i]);
	qsort(parts, pd->nparts, sizeof(AuditPartition), CompareParts);
	*n = pd->nparts;
	return parts;
}

bool
AuditMonthAligned(TimestampTz lower, TimestampTz upper)
{
	TimestampTz b[2] = {lower, upper};

	for (int i = 0; i < 2; i++)
	{
		struct pg_tm tm;
		fsec_t		fsec;

		if (TIMESTAMP_NOT_FINITE(b[i]) || timestamp2tm(b[i], NULL, &tm, &fsec, NULL, NULL) != 0 ||
			tm.tm_mday != 1 || tm.tm_hour != 0 || tm.tm_min != 0 || tm.tm_sec != 0 || fsec != 0)
			return false;
	}
	return lower < upper;
}

bool
AuditPartitionStep(void)
{
	Relation	parent = table_open(AuditRelid(AREL_EVENT_STORE), AccessShareLock);
	AuditOwnerState st;
	AuditPartition *parts;
	int			n;
	struct pg_tm tm;
	fsec_t		fsec;
	bool		did = false;

	if (parent->rd_rel->relkind != RELKIND_PARTITIONED_TABLE)
	{
		/* a 0.1.0 database, not updated yet */
		table_close(parent, AccessShareLock);
		return false;
	}
	parts = AuditListPartitions(parent, &n);
	table_close(parent, AccessShareLock);
	if (timestamp2tm(GetCurrentTransactionStartTimestamp(), NULL, &tm, &fsec, NULL, NULL) != 0)
		elog(ERROR, "auditlog: the current time is out of range");
	AuditConnectAsOwner(&st);
	SpiExec("SET LOCAL lock_timeout = '" PARTITION_LOCK_TIMEOUT "'", NULL, SPI_OK_UTILITY);
	for (int k = 0; k <= AUDIT_PARTITIONS_AHEAD && !did; k++)
	{
		Month		m;

		SetMonth(&m, tm.tm_year, tm.tm_mon + k);
		did = MonthStep(parts, n, &m);
	}
	AuditFinishAsOwner(&st);
	return did;
}

/* ------------------------------------------------------------------------
 * making the partitions of a range of months on request
 * ------------------------------------------------------------------------
 */

/* The UTC year and month of a time, as a Month. */
static void
MonthOf(Month *m, TimestampTz t)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	SetMonth(m, tm.tm_year, tm.tm_mon);
}

/*
 * Makes the partitions of the UTC months that [from, to) touches and that
 * have none, in the caller's transaction, and returns how many it made.
 * A month whose events are in the default partition already keeps them
 * there (a NOTICE says so). Unlike the worker's steps, which give up after
 * a short lock_timeout, it waits for its locks: it is called by hand, before
 * an import. When the default partition holds events, one CHECK
 * constraint per month, added in one ALTER TABLE, validates them all in a
 * single scan (under the lock the attaches would take anyway), so that no
 * attach scans the default partition again.
 */
static int
CreatePartitions(TimestampTz from, TimestampTz to)
{
	AuditOwnerState st;
	Relation	parent;
	AuditPartition *parts;
	const AuditPartition *def;
	Month		first;
	Month		last;
	Month	   *months;
	int			n;
	int			span;
	int			k = 0;
	bool		default_empty;

	MonthOf(&first, from);
	MonthOf(&last, to - 1);
	span = (last.year - first.year) * MONTHS_PER_YEAR + last.month - first.month + 1;
	if (span > CREATE_PARTITIONS_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("from_date to to_date covers %d months, more than %d", span,
						CREATE_PARTITIONS_MAX),
				 errhint("Make the partitions of at most %d months per call.",
						 CREATE_PARTITIONS_MAX)));

	AuditConnectAsOwner(&st);
	/* the store before its default partition, as AttachMonth takes them */
	SpiExec("LOCK TABLE ONLY auditlog.event_store IN SHARE UPDATE EXCLUSIVE MODE", NULL,
			SPI_OK_UTILITY);
	parent = table_open(AuditRelid(AREL_EVENT_STORE), AccessShareLock);
	if (parent->rd_rel->relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("auditlog.event_store is not partitioned in this database"),
				 errhint("Update the extension first: ALTER EXTENSION auditlog UPDATE.")));
	parts = AuditListPartitions(parent, &n);
	table_close(parent, AccessShareLock);
	def = n > 0 && parts[n - 1].is_default ? &parts[n - 1] : NULL;
	if (def)
		SpiExec(psprintf("LOCK TABLE ONLY %s IN ACCESS EXCLUSIVE MODE",
						 quote_qualified_identifier("auditlog", get_rel_name(def->relid))),
				NULL, SPI_OK_UTILITY);
	default_empty = def == NULL || !DefaultHasRows(def, &first, true);

	/* the months to make: no partition yet, no event in the default partition */
	months = palloc(sizeof(Month) * span);
	for (int i = 0; i < span; i++)
	{
		Month		m;
		char	   *name;

		SetMonth(&m, first.year, first.month + i);
		if (Overlaps(parts, n, &m))
			continue;
		name = psprintf("event_store_%s", m.suffix);
		if (OidIsValid(get_relname_relid(name, AuditSchemaOid())))
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_TABLE),
					 errmsg("relation \"auditlog.%s\" already exists and is not a partition of auditlog.event_store",
							name),
					 errhint("Drop or rename it, then make the partition of %04d-%02d again.",
							 m.year, m.month)));
		if (!default_empty && DefaultHasRows(def, &m, false))
		{
			ereport(NOTICE,
					(errmsg("the events of %04d-%02d are in the default partition already: the month keeps them there",
							m.year, m.month)));
			continue;
		}
		months[k++] = m;
	}

	if (!default_empty && k > 0)
	{
		StringInfoData sql;
		char	   *defrel = quote_qualified_identifier("auditlog", get_rel_name(def->relid));

		initStringInfo(&sql);
		appendStringInfo(&sql, "ALTER TABLE ONLY %s", defrel);
		for (int i = 0; i < k; i++)
		{
			char	   *constraint = ExcludeName(&months[i]);
			bool		validated;

			/* a step of the worker's for the same month, under way: start afresh */
			if (ConstraintState(def->relid, constraint, &validated))
				SpiExec(psprintf("ALTER TABLE ONLY %s DROP CONSTRAINT %s", defrel,
								 quote_identifier(constraint)), NULL, SPI_OK_UTILITY);
			appendStringInfo(&sql, "%s ADD CONSTRAINT %s %s", i > 0 ? "," : "",
							 quote_identifier(constraint), ExcludeCheck(&months[i]));
		}
		SpiExec(sql.data, NULL, SPI_OK_UTILITY);
	}
	for (int i = 0; i < k; i++)
		AttachMonth(def, &months[i],
					default_empty ? NULL : ExcludeName(&months[i]),
					"auditlog.create_partitions()");
	AuditFinishAsOwner(&st);
	return k;
}

PG_FUNCTION_INFO_V1(auditlog_create_partitions);
/*
 * auditlog.create_partitions(from_date timestamptz, to_date timestamptz)
 * RETURNS integer: makes the partitions of the UTC months from the one of
 * from_date to the one before to_date, so that the events imported for them
 * land in partitions of their own; returns how many it made.
 */
Datum
auditlog_create_partitions(PG_FUNCTION_ARGS)
{
	TimestampTz from;
	TimestampTz to;

	for (int i = 0; i < 2; i++)
	{
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not be null", i == 0 ? "from_date" : "to_date"),
					 errhint("Pass the first time and the time after the last of the events to import, "
							 "such as '2025-01-01 00:00+00' and '2026-01-01 00:00+00'.")));
	}
	from = PG_GETARG_TIMESTAMPTZ(0);
	to = PG_GETARG_TIMESTAMPTZ(1);
	for (int i = 0; i < 2; i++)
	{
		/* to_date is exclusive: 10000-01-01 ends the last month there is */
		TimestampTz t = i == 0 ? from : to;
		struct pg_tm tm;
		fsec_t		fsec;

		if (i == 1 && !TIMESTAMP_NOT_FINITE(t))
			t -= 1;
		if (TIMESTAMP_NOT_FINITE(t) || timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0 ||
			tm.tm_year < 1 || tm.tm_year > 9999)
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("%s must be a time of the years 1 to 9999 (UTC)",
							i == 0 ? "from_date" : "to_date"),
					 errhint("Pass finite times, such as '2025-01-01 00:00+00' and '2026-01-01 00:00+00'.")));
	}
	if (from >= to)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("from_date must be before to_date"),
				 errhint("to_date is the time after the last event to import: "
						 "'2025-01-01 00:00+00' to '2026-01-01 00:00+00' makes the twelve (UTC) months of 2025.")));
	PreventCommandIfReadOnly("auditlog.create_partitions()");
	PreventCommandDuringRecovery("auditlog.create_partitions()");
	AuditRequireFreshSnapshots("auditlog.create_partitions()");
	PG_RETURN_INT32(CreatePartitions(from, to));
}
