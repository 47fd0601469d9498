/*-------------------------------------------------------------------------
 *
 * src/search_filters.h
 *	  The filters of search() and event_count(), as the event store sees them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_SEARCH_FILTERS_H
#define AUDITLOG_SEARCH_FILTERS_H

#include "datatype/timestamp.h"
#include "fmgr.h"
#include "lib/stringinfo.h"

#include "outcome.h"
#include "spi_util.h"
#include "tenant.h"

/* Arguments shared by search() and event_count(), in order. */
enum
{
	ARG_ACTOR = 0,
	ARG_ACTION,
	ARG_RESOURCE_TYPE,
	ARG_FROM_DATE,
	ARG_TO_DATE,
	ARG_OUTCOME,
	ARG_RESOURCE_ID,
	ARG_ORG_ID,
	ARG_NFILTERS,
	/* search() only */
	ARG_PAGE_SIZE = ARG_NFILTERS,
	ARG_BEFORE_ID
};

/*
 * The filters of a search, resolved to what auditlog.event_store holds. A
 * flag says whether each one applies; 'nothing' says that some filter names
 * a value no event has, so that no event can match. A tenant reader's
 * organisations narrow them: to one organisation, an org filter like any
 * other, or to several, has_org_set (org_ref = ANY (tenant_refs)).
 */
typedef struct SearchFilters
{
	AuditReader reader;			/* who reads, captured with the arguments */
	bool		tenant;			/* the reader reads only the tenant_refs orgs */
	int			n_tenant_refs;
	int32	   *tenant_refs;
	bool		has_org_set;
	bool		nothing;
	bool		has_actor;
	int32		actor_ref;
	bool		has_action;
	int			n_action_refs;	/* one for an exact action, any for a category */
	int32	   *action_refs;
	bool		has_resource_type;
	int32		resource_type_ref;
	bool		has_org;
	int32		org_ref;
	bool		has_outcome;
	AuditOutcome outcome;
	char	   *resource_id;	/* NULL: any */
	bool		has_from;
	TimestampTz from;			/* occurred_at >= from */
	bool		has_to;
	TimestampTz to;				/* occurred_at < to */
} SearchFilters;

extern void SearchReadFilterArgs(FunctionCallInfo fcinfo, SearchFilters *f);
extern void SearchResolveFilters(FunctionCallInfo fcinfo, SearchFilters *f);
extern Datum SearchActionRefsArray(const SearchFilters *f);
extern Datum SearchTenantRefsArray(const SearchFilters *f);
extern bool SearchAppendFilters(StringInfo sql, SpiArgs *args, const SearchFilters *f);
extern void SearchAppendTimeRange(StringInfo sql, SpiArgs *args, TimestampTz lo, TimestampTz hi);
extern int64 SearchCountEvents(const SearchFilters *f, TimestampTz a, TimestampTz b,
							   TimestampTz c, TimestampTz d, int64 upto, bool above);

#endif							/* AUDITLOG_SEARCH_FILTERS_H */
