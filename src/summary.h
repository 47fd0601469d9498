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
#include "spi_util.h"

/*
 * The grains of auditlog.event_counts (its column grain). The rows of
 * GRAIN_MONTH and GRAIN_ACTOR_OUTCOME carry the count of each UTC day of
 * their month too (column days, a bytea: day_counts.c).
 */
#define GRAIN_MONTH			'm'	/* per UTC month and day, over all actors */
#define GRAIN_ACTOR_MONTH	'M'	/* per actor and UTC month */
#define GRAIN_ACTOR_OUTCOME	'U'	/* per actor (0: all), UTC month and day, outcome alone */
#define GRAIN_ALL			'a'	/* all time, over all actors */
#define GRAIN_ACTOR_ALL		'A'	/* all time, per actor */

/* The slots of a per-day count array: the days of the longest month. */
#define DAYS_PER_MONTH_MAX	31

/* What auditlog.status() reports. */
typedef struct AuditLogState
{
	int64		events;
	int64		unsummarized;	/* events above the summaries' watermark */
	int64		unsealed;
	TimestampTz oldest_event;	/* -infinity: none */
	TimestampTz last_maintenance;	/* -infinity: never */
} AuditLogState;

extern int64 AuditSummarize(int64 max_events, bool *more);
extern void AuditCountsBelowZero(void) pg_attribute_noreturn();
extern void AuditReadLogState(AuditLogState *state);
/*
 * Where a first page's search may start, as the summaries tell
 * (AuditCountEvents): the start of the newest UTC day with a match, and of
 * the newest day from which on, to the end of that one, at least 'want'
 * events match; -infinity when not known.
 */
typedef struct AuditPageStart
{
	int64		want;			/* in: the page's size */
	TimestampTz newest;
	TimestampTz cover;
} AuditPageStart;

extern int64 AuditCountEvents(const SearchFilters *f, AuditPageStart *start);
extern void AuditAddDayCounts(int64 *sum, Datum days);
extern int	AuditLastDayWithEvents(const int64 *slots, int before_day);
extern int	AuditCoverDay(const int64 *slots, int last, int64 want);
extern TimestampTz AuditOldestBucket(void);
extern int64 AuditLastEventId(void);
extern int64 AuditSummarizedUpto(void);
extern bool AuditSummariesReadable(void);
extern int64 AuditReaderSafePoint(Snapshot snapshot);
extern void AuditUsedRefs(Datum org_refs, bool all_orgs, Datum *actors, Datum *actions,
						  Datum *types);

/* taking purged events out of the counts (auditlog.purge()) */
extern int64 AuditLockSummaries(void);
extern int64 AuditUncountRows(const char *source, SpiArgs *args);
extern void AuditUncountMonths(TimestampTz lower, TimestampTz upper);
extern void AuditTidyCounts(void);

#endif							/* AUDITLOG_SUMMARY_H */
