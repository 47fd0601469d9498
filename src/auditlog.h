/* src/auditlog.h — declarations shared by the files of the auditlog extension */
#ifndef AUDITLOG_H
#define AUDITLOG_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "fmgr.h"
#include "utils/jsonb.h"

/*
 * auditlog.outcome: one byte, passed by value. The numeric order is the
 * sort order of the type (success < failure < denied).
 */
typedef uint8 AuditOutcome;

#define AUDIT_OUTCOME_SUCCESS	0
#define AUDIT_OUTCOME_FAILURE	1
#define AUDIT_OUTCOME_DENIED	2
#define AUDIT_OUTCOME_COUNT		3

#define DatumGetAuditOutcome(X)		((AuditOutcome) DatumGetUInt8(X))
#define AuditOutcomeGetDatum(X)		UInt8GetDatum(X)
#define PG_GETARG_AUDIT_OUTCOME(n)	DatumGetAuditOutcome(PG_GETARG_DATUM(n))
#define PG_RETURN_AUDIT_OUTCOME(x)	return AuditOutcomeGetDatum(x)

extern const char *AuditOutcomeName(AuditOutcome o);

/* Longest label (actor, org, resource type, ...) or action we store, in bytes. */
#define AUDIT_MAX_LABEL		256
/* Longest resource id we store, in bytes. */
#define AUDIT_MAX_RESOURCE_ID	1024

/*
 * Kinds of label in auditlog.labels: the short strings that repeat from
 * event to event and are stored once, each event pointing at them by id.
 */
#define LABEL_ACTOR				'a'
#define LABEL_ACTOR_ID			'i'
#define LABEL_RESOURCE_TYPE		'r'
#define LABEL_ORG				'o'
#define LABEL_DB_USER			'u'
#define LABEL_APPLICATION		'n'

/* One event as the callers describe it; AuditWriteEvent fills in the rest. */
typedef struct AuditEvent
{
	TimestampTz occurred_at;	/* 0: the statement's start time */
	const char *action;			/* validated by the caller */
	const char *actor;			/* NULL: resolved from the GUCs or the role */
	const char *actor_id;
	const char *resource_type;
	const char *resource_id;
	AuditOutcome outcome;
	const char *org_id;			/* NULL: from auditlog.org_id */
	Jsonb	   *details;		/* may be NULL */
} AuditEvent;

/* auditlog.c: settings and the invalidation of backend-local caches */
extern char *auditlog_actor;
extern char *auditlog_actor_id;
extern char *auditlog_org_id;
extern Oid	AuditSchemaOid(void);
extern Oid	AuditRelid(const char *relname);
typedef void (*AuditResetCallback) (void);
typedef struct AuditOwnerState
{
	Oid			save_userid;
	int			save_sec;
	int			guc_level;
} AuditOwnerState;
extern void AuditBecomeOwner(Oid owner, AuditOwnerState *st);
extern void AuditResumeCaller(AuditOwnerState *st);
extern void AuditOnReset(AuditResetCallback cb);
extern bool AuditStatementEndHooked(void);

/* labels.c: dictionary of labels and actions, with a backend-local cache */
extern int32 AuditLabelId(char kind, const char *label);
extern int32 AuditActionId(const char *action, const char *description);
extern void AuditLabelsReset(void);

/* event.c: validation and the write of one event */
extern bool AuditActionIsValid(const char *action);
extern bool AuditWordIsValid(const char *word);
extern void AuditCheckAction(const char *action);
extern void AuditResolveActor(AuditEvent *ev);
extern int64 AuditWriteEvent(AuditEvent *ev);
extern void AuditQueueEvent(AuditEvent *ev);
extern void AuditFlushEvents(void);
extern void AuditEventReset(void);

/* summary.c: precomputed counts behind a watermark */
extern int64 AuditSummarize(int64 max_events, bool quiet);
extern int64 AuditSummarizedUpto(void);

#endif							/* AUDITLOG_H */
