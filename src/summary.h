/*-------------------------------------------------------------------------
 *
 * src/summary.h
 *	  Precomputed event counts behind a watermark.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_SUMMARY_H
#define AUDITLOG_SUMMARY_H

#include "datatype/timestamp.h"
#include "utils/snapshot.h"

#include "search_filters.h"

/* The grains of auditlog.event_counts (its column grain). */
#define GRAIN_DAY			'd'	/* per UTC day, over all actors */
#define GRAIN_MONTH			'm'	/* per UTC month, over all actors */
#define GRAIN_ACTOR_MONTH	'M'	/* per actor and UTC month */
#define GRAIN_ACTOR_DAY		'U'	/* per actor, UTC day and outcome alone */
#define GRAIN_ALL			'a'	/* all time, over all actors */
#define GRAIN_ACTOR_ALL		'A'	/* all time, per actor */

extern int64 AuditSummarize(int64 max_events);
extern int64 AuditCountEvents(const SearchFilters *f, TimestampTz *newest);
extern TimestampTz AuditOldestBucket(void);
extern int64 AuditLastEventId(void);
extern int64 AuditSafePoint(Snapshot snapshot);
extern void AuditUsedRefs(Datum org_refs, Datum *actors, Datum *actions, Datum *types);

#endif							/* AUDITLOG_SUMMARY_H */
