/*-------------------------------------------------------------------------
 *
 * src/search_filters.c
 *	  The filters of search() and event_count(): checked, resolved, and as
 *	  SQL.
 *
 * The filter strings are resolved to the ids the event store holds
 * (auditlog.labels by kind, auditlog.action_types by name or by category),
 * so that a filter naming nothing known answers at once, without touching
 * the events; the queries over the events then compare ids.
 *
 * search() and event_count() run as the extension's owner with a pinned
 * search_path; even so every name in the SQL below is schema-qualified and
 * every operator spelt OPERATOR(schema.op), so that nothing in it depends on
 * the path.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "labels.h"
#include "search_filters.h"
#include "validate.h"

static int32 FindLabel(char kind, const char *label);
static char *CheckActionFilter(const char *action);
static void ResolveActions(SearchFilters *f, const char *action);
static void ResolveLabel(SearchFilters *f, char kind, const char *label, bool *has, int32 *ref);
static void ReadDateArgs(FunctionCallInfo fcinfo, SearchFilters *f);
static void RestrictToTenant(SearchFilters *f);
static void AppendCondition(StringInfo sql, bool *first, const char *fmt, int argno);

/* ------------------------------------------------------------------------
 * internal
 * ------------------------------------------------------------------------
 */

/* Id of a label of the given kind, or 0 when no event ever named it. */
static int32
FindLabel(char kind, const char *label)
{
	SpiArgs		args = {0};

	/* a unique key's lookup: one plan for every value */
	args.plan = PLAN_GENERIC;
	SpiArg(&args, CHAROID, CharGetDatum(kind));
	SpiArg(&args, TEXTOID, CStringGetTextDatum(label));
	SpiQuery("SELECT l.id FROM auditlog.labels l"
			 " WHERE l.kind OPERATOR(pg_catalog.=) $1"
			 "   AND l.label OPERATOR(pg_catalog.=) $2",
			 &args, 1);
	return SpiFirstInt32(0);
}

/*
 * Checks an action filter: an action ("auth.login"), or a category, one or
 * more words followed by ".*" ("credential.*", "a.b.*"). Returns the
 * category's prefix without ".*", or NULL for an exact action.
 */
static char *
CheckActionFilter(const char *action)
{
	size_t		len = strlen(action);

	if (len > 2 && len <= AUDIT_MAX_LABEL && strcmp(action + len - 2, ".*") == 0)
	{
		char	   *prefix = pnstrdup(action, len - 2);

		if (AuditWordIsValid(prefix) || AuditActionIsValid(prefix))
			return prefix;
	}
	else if (AuditActionIsValid(action))
		return NULL;

	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid action filter \"%s\"", AuditClip(action, AUDIT_CLIP)),
			 errdetail("An action filter is an action such as \"auth.login\", or a category "
					   "such as \"credential.*\" for every action under it."),
			 AuditWordIsValid(action) && strlen(action) + 2 <= AUDIT_MAX_LABEL ?
			 errhint("For every action of category \"%s\", pass \"%s.*\".", action, action) :
			 errhint("Pass an action listed by auditlog.filter_options(), a category, or NULL for every action.")));
	pg_unreachable();
}

/* Resolves the action filter to the ids of the actions it covers. */
static void
ResolveActions(SearchFilters *f, const char *action)
{
	char	   *prefix = CheckActionFilter(action);
	SpiArgs		args = {0};
	uint64		n;

	/* a scan of the unique index on the name, whatever the values */
	args.plan = PLAN_GENERIC;
	if (prefix == NULL)
	{
		SpiArg(&args, TEXTOID, CStringGetTextDatum(action));
		n = SpiQuery("SELECT t.id FROM auditlog.action_types t"
					 " WHERE t.action OPERATOR(pg_catalog.=) $1",
					 &args, 1);
	}
	else
	{
		/*
		 * Every action starting with "<prefix>.": in the C collation of the
		 * column these are the strings from "<prefix>." up to, not
		 * including, "<prefix>/" ('/' follows '.'), a range the unique
		 * index on the name can scan.
		 */
		SpiArg(&args, TEXTOID, CStringGetTextDatum(psprintf("%s.", prefix)));
		SpiArg(&args, TEXTOID, CStringGetTextDatum(psprintf("%s/", prefix)));
		n = SpiQuery("SELECT t.id FROM auditlog.action_types t"
					 " WHERE t.action OPERATOR(pg_catalog.>=) $1"
					 "   AND t.action OPERATOR(pg_catalog.<) $2",
					 &args, 0);
	}

	f->has_action = true;
	f->n_action_refs = (int) n;
	f->action_refs = palloc(sizeof(int32) * Max(n, 1));
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;

		f->action_refs[i] = DatumGetInt32(SpiGetDatum(i, 1, &isnull));
	}
	if (n == 0)
		f->nothing = true;
}

/* Resolves a label filter; a label no event has matches nothing. */
static void
ResolveLabel(SearchFilters *f, char kind, const char *label, bool *has, int32 *ref)
{
	*has = true;
	*ref = FindLabel(kind, label);
	if (*ref == 0)
		f->nothing = true;
}

/*
 * Turns the dates into the half-open range of times they cover in the
 * session's time zone: occurred_at >= from_date and occurred_at <
 * to_date + 1, as the SQL casts date -> timestamptz would. Infinite dates
 * are no bound; a bound beyond the range of timestamptz either is no bound
 * or excludes everything.
 */
static void
ReadDateArgs(FunctionCallInfo fcinfo, SearchFilters *f)
{
	if (!PG_ARGISNULL(ARG_FROM_DATE) && !PG_ARGISNULL(ARG_TO_DATE) &&
		PG_GETARG_DATEADT(ARG_FROM_DATE) > PG_GETARG_DATEADT(ARG_TO_DATE))
	{
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("from_date %s is after to_date %s",
						DatumGetCString(DirectFunctionCall1(date_out, PG_GETARG_DATUM(ARG_FROM_DATE))),
						DatumGetCString(DirectFunctionCall1(date_out, PG_GETARG_DATUM(ARG_TO_DATE)))),
				 errdetail("Both dates are included: from_date = to_date is the events of one day."),
				 errhint("Swap the two dates.")));
	}
	if (!PG_ARGISNULL(ARG_FROM_DATE))
	{
		DateADT		d = PG_GETARG_DATEADT(ARG_FROM_DATE);
		int			overflow = 0;

		if (!DATE_IS_NOBEGIN(d))
		{
			f->from = date2timestamptz_opt_overflow(d, &overflow);
			if (overflow > 0)
				f->nothing = true;
			else if (overflow == 0)
				f->has_from = true;
		}
	}
	if (!PG_ARGISNULL(ARG_TO_DATE))
	{
		DateADT		d = PG_GETARG_DATEADT(ARG_TO_DATE);
		int			overflow = 0;

		if (!DATE_NOT_FINITE(d))
		{
			f->to = date2timestamptz_opt_overflow(d + 1, &overflow);
			if (overflow < 0)
				f->nothing = true;
			else if (overflow == 0)
				f->has_to = true;
		}
		else if (DATE_IS_NOBEGIN(d))
			f->nothing = true;
	}
}

/*
 * Narrows the filters to a tenant reader's organisations: an org filter
 * outside them matches nothing; without one, they become the org filter.
 */
static void
RestrictToTenant(SearchFilters *f)
{
	bool		allowed = false;

	if (!f->tenant)
		return;
	if (f->n_tenant_refs == 0)
		f->nothing = true;
	else if (f->has_org)
	{
		for (int i = 0; i < f->n_tenant_refs; i++)
			allowed |= (f->tenant_refs[i] == f->org_ref);
		if (!allowed)
			f->nothing = true;
	}
	else if (f->n_tenant_refs == 1)
	{
		f->has_org = true;
		f->org_ref = f->tenant_refs[0];
	}
	else
		f->has_org_set = true;
}

/* Appends " WHERE " before the first condition and " AND " before the others. */
static void
AppendCondition(StringInfo sql, bool *first, const char *fmt, int argno)
{
	appendStringInfoString(sql, *first ? " WHERE " : " AND ");
	appendStringInfo(sql, fmt, argno);
	*first = false;
}

/* ------------------------------------------------------------------------
 * exported
 * ------------------------------------------------------------------------
 */

/*
 * Checks the filter arguments that need no lookup (the dates and the
 * action's syntax), and reads those that need none; records who reads.
 * Called before anything runs as the extension's owner.
 */
void
SearchReadFilterArgs(FunctionCallInfo fcinfo, SearchFilters *f)
{
	memset(f, 0, sizeof(*f));
	AuditCaptureReader(&f->reader);

	if (!PG_ARGISNULL(ARG_ACTION))
		(void) CheckActionFilter(text_to_cstring(PG_GETARG_TEXT_PP(ARG_ACTION)));
	ReadDateArgs(fcinfo, f);
	if (!PG_ARGISNULL(ARG_OUTCOME))
	{
		f->has_outcome = true;
		f->outcome = PG_GETARG_AUDIT_OUTCOME(ARG_OUTCOME);
		(void) AuditOutcomeName(f->outcome);
	}
	if (!PG_ARGISNULL(ARG_RESOURCE_ID))
		f->resource_id = text_to_cstring(PG_GETARG_TEXT_PP(ARG_RESOURCE_ID));
}

/*
 * Resolves the filter strings to dictionary ids, and the reader's tenant
 * organisations (inside SPI, as the extension's owner). Stops at the first
 * filter that names nothing known: no event can match then.
 */
void
SearchResolveFilters(FunctionCallInfo fcinfo, SearchFilters *f)
{
	f->tenant = AuditReaderOrgRefs(&f->reader, &f->tenant_refs, &f->n_tenant_refs);
	if (!f->nothing && !PG_ARGISNULL(ARG_ACTOR))
		ResolveLabel(f, LABEL_ACTOR, text_to_cstring(PG_GETARG_TEXT_PP(ARG_ACTOR)),
					 &f->has_actor, &f->actor_ref);
	if (!f->nothing && !PG_ARGISNULL(ARG_RESOURCE_TYPE))
		ResolveLabel(f, LABEL_RESOURCE_TYPE, text_to_cstring(PG_GETARG_TEXT_PP(ARG_RESOURCE_TYPE)),
					 &f->has_resource_type, &f->resource_type_ref);
	if (!f->nothing && !PG_ARGISNULL(ARG_ORG_ID))
		ResolveLabel(f, LABEL_ORG, text_to_cstring(PG_GETARG_TEXT_PP(ARG_ORG_ID)),
					 &f->has_org, &f->org_ref);
	if (!f->nothing && !PG_ARGISNULL(ARG_ACTION))
		ResolveActions(f, text_to_cstring(PG_GETARG_TEXT_PP(ARG_ACTION)));
	RestrictToTenant(f);
}

/* The action filter's ids as an int4[] Datum. */
Datum
SearchActionRefsArray(const SearchFilters *f)
{
	return SpiInt4Array(f->action_refs, f->n_action_refs);
}

/* The tenant reader's organisation ids as an int4[] Datum. */
Datum
SearchTenantRefsArray(const SearchFilters *f)
{
	return SpiInt4Array(f->tenant_refs, f->n_tenant_refs);
}

/*
 * Appends the WHERE clause of the filters but the time range, over
 * event_store aliased 'e'; the callers bound time themselves. Returns true
 * when it appended nothing.
 */
bool
SearchAppendFilters(StringInfo sql, SpiArgs *args, const SearchFilters *f)
{
	bool		first = true;

	if (f->has_actor)
		AppendCondition(sql, &first, "e.actor_ref OPERATOR(pg_catalog.=) $%d",
						SpiArg(args, INT4OID, Int32GetDatum(f->actor_ref)));
	if (f->has_action && f->n_action_refs == 1)
		AppendCondition(sql, &first, "e.action_ref OPERATOR(pg_catalog.=) $%d",
						SpiArg(args, INT4OID, Int32GetDatum(f->action_refs[0])));
	else if (f->has_action)
		AppendCondition(sql, &first, "e.action_ref OPERATOR(pg_catalog.=) ANY ($%d)",
						SpiArg(args, INT4ARRAYOID, SearchActionRefsArray(f)));
	if (f->has_resource_type)
		AppendCondition(sql, &first, "e.resource_type_ref OPERATOR(pg_catalog.=) $%d",
						SpiArg(args, INT4OID, Int32GetDatum(f->resource_type_ref)));
	if (f->resource_id)
		AppendCondition(sql, &first, "e.resource_id OPERATOR(pg_catalog.=) $%d",
						SpiArg(args, TEXTOID, CStringGetTextDatum(f->resource_id)));
	if (f->has_org)
		AppendCondition(sql, &first, "e.org_ref OPERATOR(pg_catalog.=) $%d",
						SpiArg(args, INT4OID, Int32GetDatum(f->org_ref)));
	else if (f->has_org_set)
		AppendCondition(sql, &first, "e.org_ref OPERATOR(pg_catalog.=) ANY ($%d)",
						SpiArg(args, INT4ARRAYOID, SearchTenantRefsArray(f)));
	if (f->has_outcome)
		AppendCondition(sql, &first, psprintf("e.outcome %s $%%d", AuditOutcomeEqOperator()),
						SpiArg(args, AuditOutcomeTypeOid(), AuditOutcomeGetDatum(f->outcome)));
	return first;
}

/* Appends " AND <e.occurred_at in [lo, hi)>", leaving out infinite ends. */
void
SearchAppendTimeRange(StringInfo sql, SpiArgs *args, TimestampTz lo, TimestampTz hi)
{
	if (!TIMESTAMP_IS_NOBEGIN(lo))
		appendStringInfo(sql, " AND e.occurred_at OPERATOR(pg_catalog.>=) $%d",
						 SpiArg(args, TIMESTAMPTZOID, TimestampTzGetDatum(lo)));
	if (!TIMESTAMP_IS_NOEND(hi))
		appendStringInfo(sql, " AND e.occurred_at OPERATOR(pg_catalog.<) $%d",
						 SpiArg(args, TIMESTAMPTZOID, TimestampTzGetDatum(hi)));
}

/*
 * count(*) of the events matching the filters (time bounds aside) with
 * occurred_at in [a, b) or [c, d), and with an id at most 'upto' (or above
 * it, when 'above'); a negative 'upto' puts no condition on the id.
 */
int64
SearchCountEvents(const SearchFilters *f, TimestampTz a, TimestampTz b, TimestampTz c,
				  TimestampTz d, int64 upto, bool above)
{
	StringInfoData sql;
	SpiArgs		args = {0};
	bool		first;

	if (a >= b && c >= d)
		return 0;
	/*
	 * Planned with its values every time, which index should drive
	 * depending on them (a generic plan of a day's count for actor 'system'
	 * and one action took the actor's index, 22k entries, and 10.5 ms; the
	 * action's index finds the 1.9k matches); but a resource's count is
	 * planned once: its index is the one whatever they are, and planning
	 * the partitions each time doubled a one-event resource's search.
	 */
	args.plan = (f->resource_id == NULL) ? PLAN_CUSTOM : PLAN_GENERIC;
	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT pg_catalog.count(*) FROM auditlog.event_store e");
	first = SearchAppendFilters(&sql, &args, f);
	if (upto >= 0)
		appendStringInfo(&sql, "%s e.id OPERATOR(pg_catalog.%s) $%d AND (true",
						 first ? " WHERE" : " AND", above ? ">" : "<=",
						 SpiArg(&args, INT8OID, Int64GetDatum(upto)));
	else
		appendStringInfo(&sql, "%s (true", first ? " WHERE" : " AND");
	if (a < b)
		SearchAppendTimeRange(&sql, &args, a, b);
	else
		appendStringInfoString(&sql, " AND false");
	appendStringInfoString(&sql, " OR true");
	if (c < d)
		SearchAppendTimeRange(&sql, &args, c, d);
	else
		appendStringInfoString(&sql, " AND false");
	appendStringInfoChar(&sql, ')');
	SpiQuery(sql.data, &args, 1);
	return SpiFirstInt64(0);
}
