/*-------------------------------------------------------------------------
 *
 * src/purge.h
 *	  Retention: purging old events, legal holds, auditlog.retention.
 *
 * AuditPurge() is purge.c's; auditlog.retention and its check, and the
 * worker's step, are retention.c's (with hold() and release()).
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_PURGE_H
#define AUDITLOG_PURGE_H

#include "datatype/timestamp.h"
#include "utils/guc.h"

/* auditlog.retention: how long events are kept ("" or NULL: for ever) */
extern char *auditlog_retention;

/*
 * Removes the events that occurred before 'before', but those of the
 * organisations on hold, and returns how many it removed (auditlog.purge()).
 * Needs a READ COMMITTED transaction that may write, like AuditSeal().
 */
extern int64 AuditPurge(TimestampTz before);

/* The check hook of auditlog.retention: empty, or a positive interval. */
extern bool AuditRetentionCheck(char **newval, void **extra, GucSource source);

/*
 * For the maintenance worker, in a transaction of its own: purges what is
 * older than auditlog.retention when the last such purge is a day old or
 * more. True when it purged.
 */
extern bool AuditRetentionStep(void);

#endif							/* AUDITLOG_PURGE_H */
