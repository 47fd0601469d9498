/*-------------------------------------------------------------------------
 *
 * src/writer.h
 *	  The autonomous writer: events and labels committed on their own.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_WRITER_H
#define AUDITLOG_WRITER_H

#include "fmgr.h"

#include "event.h"

/* bgw_type of the writer, as pg_stat_activity.backend_type shows it */
#define AUDIT_WRITER_TYPE	"auditlog writer"

/* Longest request (an event with its details), in bytes. */
#define AUDIT_WRITER_MAX_REQUEST	(64 * 1024)

extern int64 AuditWriteAutonomous(AuditEvent *ev);
extern int32 AuditResolveAutonomous(char kind, const char *label, bool *done);
extern bool AuditIsWriter(void);

PGDLLEXPORT void auditlog_writer_main(Datum arg);

#endif							/* AUDITLOG_WRITER_H */
