/*-------------------------------------------------------------------------
 *
 * src/event.h
 *	  One event: as callers describe it, as a row, and its way to the store.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_EVENT_H
#define AUDITLOG_EVENT_H

#include "access/xact.h"
#include "datatype/timestamp.h"
#include "utils/jsonb.h"

#include "catalog.h"
#include "outcome.h"

/* One event as the callers describe it; AuditFormEvent fills in the rest. */
typedef struct AuditEvent
{
	TimestampTz occurred_at;	/* 0: the statement's start time */
	const char *action;			/* validated by the caller */
	const char *actor;			/* NULL: resolved from the settings or the role */
	const char *actor_id;
	const char *resource_type;
	const char *resource_id;
	AuditOutcome outcome;
	const char *org_id;			/* NULL: from auditlog.org_id (unless 'system') */
	Jsonb	   *details;		/* may be NULL */
	bool		system;			/* written by auditlog itself, of no organisation but org_id */

	/*
	 * The context the application cannot forge. Filled in from this session
	 * unless context_given: then the event is written on behalf of another
	 * session (the autonomous writer), which captured its own.
	 */
	bool		context_given;
	const char *db_user;
	const char *application_name;	/* NULL: none */
	const char *client_addr;	/* text form; NULL: a local connection */
} AuditEvent;

/*
 * An event as a row of auditlog.event_store (index: Anum_event_store_* - 1),
 * and the command it belongs to: a queued event is written later, as of
 * the command that made it.
 */
typedef struct AuditRow
{
	Datum		values[Natts_event_store];
	bool		nulls[Natts_event_store];
	CommandId	cid;
} AuditRow;

/* event_form.c: an event's row, with the context the application cannot forge */
extern void AuditCaptureContext(AuditEvent *ev);
extern void AuditFormEvent(AuditEvent *ev, AuditRow *row);
extern void EventFormInit(void);

/* event_store.c: the rows written into auditlog.event_store */
extern int64 AuditNextEventId(void);
extern void AuditStoreRows(AuditRow *rows, int n);
extern void EventStoreInit(void);

/* event_api.c: what log_event (and its variants) refuse to write */
extern void AuditRefuseTriggerAction(const AuditEvent *ev);

/* event_queue.c: the queue of events and the write of one event */
#define AUDIT_QUEUE_MAX 1000	/* events queued before they are written */
extern int64 AuditQueueEvent(AuditEvent *ev);
extern void AuditFlushEvents(void);
extern int64 AuditWriteEvent(AuditEvent *ev);
extern void EventQueueInit(void);

#endif							/* AUDITLOG_EVENT_H */
