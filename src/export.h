/*-------------------------------------------------------------------------
 *
 * src/export.h
 *	  export(): one line of text per event, in NDJSON, CSV or OCSF.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_EXPORT_H
#define AUDITLOG_EXPORT_H

#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "utils/jsonb.h"

#include "outcome.h"

typedef enum ExportFormat
{
	EXPORT_NDJSON,
	EXPORT_CSV,
	EXPORT_OCSF
} ExportFormat;

/* One event as an export writes it: the columns of auditlog.events. */
typedef struct ExportEvent
{
	int64		id;
	TimestampTz occurred_at;
	const char *actor;
	const char *actor_id;
	const char *action;
	const char *resource_type;
	const char *resource_id;
	AuditOutcome outcome;
	const char *org_id;
	Jsonb	   *details;		/* NULL: none */
	const char *db_user;
	const char *client_addr;	/* as text; NULL: none */
	const char *application_name;
	int64		txid;
} ExportEvent;

/* export_format.c: the lines */
extern ExportFormat ExportParseFormat(const char *name);
extern const char *ExportCsvHeader(void);
extern void ExportAppendEvent(StringInfo buf, ExportFormat format, const ExportEvent *ev);

#endif							/* AUDITLOG_EXPORT_H */
