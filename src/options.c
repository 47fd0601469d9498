/*-------------------------------------------------------------------------
 *
 * src/options.c
 *	  filter_options(): the values of the dashboard's dropdowns.
 *
 * The values are those the events use, found in the summaries and the few
 * events above their watermark (summary.c): not the dictionaries, which
 * keep a label whose event rolled back (new labels commit on their own,
 * writer.c) or was purged. Other readers also get every action that has a
 * description (the seeded ones, those of registered tables, those
 * described by hand), even before its first event; a tenant reader gets
 * only the values its organisations' events use: the dictionaries would
 * name other organisations' people.
 *
 * Like search(), it is SECURITY INVOKER and switches to the extension's
 * owner itself, once it has recorded who calls (tenant.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"

#include "owner.h"
#include "spi_util.h"
#include "summary.h"
#include "tenant.h"

/* The columns of filter_options(): kind, value, label. */
#define Natts_filter_options 3

/*
 * The options in display order: the actors (system first), the actions
 * (labelled with their description), the resource types; each list limited
 * to the ids in $1, $2, $3; when $4 (not a tenant), also the described
 * actions, and system, the actor of automated work, even before its first
 * event (DESIGN: "users (with system)").
 */
static const char *const options_sql =
"SELECT o.kind, o.value, o.label"
"  FROM (SELECT 1 AS grp, 'actor' AS kind, l.label AS value, l.label AS label,"
"               l.label OPERATOR(pg_catalog.<>) 'system' AS after_system"
"          FROM auditlog.labels l"
"         WHERE l.kind OPERATOR(pg_catalog.=) 'a'"
"           AND (l.id OPERATOR(pg_catalog.=) ANY ($1) OR ($4 AND l.label OPERATOR(pg_catalog.=) 'system'))"
"        UNION ALL"
"        SELECT 1, 'actor', 'system' COLLATE \"C\", 'system' COLLATE \"C\", false"
"         WHERE $4 AND NOT EXISTS (SELECT FROM auditlog.labels l WHERE l.kind OPERATOR(pg_catalog.=) 'a'"
"                                     AND l.label OPERATOR(pg_catalog.=) 'system')"
"        UNION ALL"
"        SELECT 2, 'action', t.action, COALESCE(t.description, t.action), true"
"          FROM auditlog.action_types t"
"         WHERE t.id OPERATOR(pg_catalog.=) ANY ($2) OR ($4 AND t.description IS NOT NULL)"
"        UNION ALL"
"        SELECT 3, 'resource_type', l.label, l.label, true"
"          FROM auditlog.labels l"
"         WHERE l.kind OPERATOR(pg_catalog.=) 'r'"
"           AND l.id OPERATOR(pg_catalog.=) ANY ($3)) o"
" ORDER BY o.grp, o.after_system, o.value COLLATE \"default\", o.value";

PG_FUNCTION_INFO_V1(auditlog_filter_options);
/*
 * auditlog.filter_options() RETURNS TABLE(kind text, value text, label
 * text): the choices of the dashboard's filters, in display order; for a
 * tenant, only those its organisations' events use.
 */
Datum
auditlog_filter_options(PG_FUNCTION_ARGS)
{
	AuditReader reader;
	AuditOwnerState st;
	TupleDesc	tupdesc;
	Tuplestorestate *store = SpiMaterializeResult(fcinfo, Natts_filter_options, &tupdesc);
	SpiArgs		args = {0};
	int32	   *refs;
	int			n;
	uint64		rows;

	AuditCaptureReader(&reader);
	AuditConnectAsOwner(&st);
	{
		bool		tenant = AuditReaderOrgRefs(&reader, &refs, &n);
		Datum		actors,
					actions,
					types;

		AuditUsedRefs(tenant ? SpiInt4Array(refs, n) : (Datum) 0, !tenant, &actors, &actions, &types);
		SpiArg(&args, INT4ARRAYOID, actors);
		SpiArg(&args, INT4ARRAYOID, actions);
		SpiArg(&args, INT4ARRAYOID, types);
		SpiArg(&args, BOOLOID, BoolGetDatum(!tenant));
	}
	rows = SpiQuery(options_sql, &args, 0);
	for (uint64 i = 0; i < rows; i++)
	{
		Datum		values[Natts_filter_options];
		bool		nulls[Natts_filter_options];

		heap_deform_tuple(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, values, nulls);
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}
	AuditFinishAsOwner(&st);
	return (Datum) 0;
}
