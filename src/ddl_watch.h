/*-------------------------------------------------------------------------
 *
 * src/ddl_watch.h
 *	  DDL on auditlog's own objects and on registered tables: what
 *	  ddl_guard.c shares with ddl.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_DDL_WATCH_H
#define AUDITLOG_DDL_WATCH_H

#include "nodes/parsenodes.h"

/* ddl_guard.c: these run SQL, inside AuditConnectAsOwner() */
extern void GuardOwnObjectsEnd(bool superuser, const char *caller, const char *tag,
							   Node *parsetree);
extern void GuardOwnObjectsDropped(bool superuser, const char *caller, const char *tag);

#endif							/* AUDITLOG_DDL_WATCH_H */
