/*-------------------------------------------------------------------------
 *
 * src/partition.h
 *	  The time partitions of auditlog.event_store.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_PARTITION_H
#define AUDITLOG_PARTITION_H

#include "datatype/timestamp.h"
#include "utils/relcache.h"

/* Months the maintenance worker keeps a partition ready for, after the current one. */
#define AUDIT_PARTITIONS_AHEAD	2

/* One partition of the event store: the times it takes, [lower, upper). */
typedef struct AuditPartition
{
	Oid			relid;
	TimestampTz lower;			/* DT_NOBEGIN for MINVALUE and the default */
	TimestampTz upper;			/* DT_NOEND for MAXVALUE and the default */
	bool		is_default;
} AuditPartition;

/*
 * The partitions of the (open) event store, sorted by lower bound, the
 * default partition last, in the current memory context; *n is how many.
 * A 0.1.0 table, not partitioned, is returned as one default "partition".
 */
extern AuditPartition *AuditListPartitions(Relation parent, int *n);

/* True when [lower, upper) is a whole number of UTC months. */
extern bool AuditMonthAligned(TimestampTz lower, TimestampTz upper);

/*
 * One step of making the partitions of the current month and the next
 * AUDIT_PARTITIONS_AHEAD ones, as the maintenance worker calls it in a
 * transaction of its own (it runs as the extension's owner). Returns true
 * when it did something and another step may do more.
 */
extern bool AuditPartitionStep(void);

/*
 * While true, the append-only guard lets this backend delete rows of
 * auditlog.seal_purges: auditlog.purge() alone sets it, to replace the
 * records of a seal whose last events it removes. (It deletes events
 * straight from the heap, past every trigger.)
 */
extern bool audit_purging;

#endif							/* AUDITLOG_PARTITION_H */
