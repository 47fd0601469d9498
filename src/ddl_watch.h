/*-------------------------------------------------------------------------
 *
 * src/ddl_watch.h
 *	  DDL on registered tables and on auditlog's own objects: what
 *	  ddl_watch.c, audit_state.c and ddl_guard.c share with ddl.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_DDL_WATCH_H
#define AUDITLOG_DDL_WATCH_H

#include "nodes/parsenodes.h"

/* What a command names, resolved with the caller's search_path. */
typedef struct WatchTarget
{
	List	   *named;			/* relations whose triggers or rules it may change */
	List	   *parents;		/* INHERITS / INHERIT / PARTITION OF parents */
	RangeVar   *created;		/* CREATE [FOREIGN] TABLE: the new table */
	bool		foreign;		/* CREATE FOREIGN TABLE */
	bool		partition;		/* ... PARTITION OF */
} WatchTarget;

/* audit_state.c */
extern char *AuditingProblem(Oid registered);
extern char *AuditingProblemKeyed(Oid registered, bool resource_id);
extern bool AuditForeignTriggerNamed(Oid relid, const char *name);
extern bool AuditTriggerSwitchedOff(Oid relid, const char *name);

/* ddl_watch.c: all but WatchResolve run SQL, inside AuditConnectAsOwner() */
extern void WatchResolve(Node *parsetree, WatchTarget *wt);
extern bool WatchesCommand(Node *parsetree);
extern void WatchStart(Node *command, WatchTarget *wt);
extern void WatchEnd(Node *command, bool superuser, const char *tag);
extern void WatchCheckStructure(Node *parsetree, WatchTarget *wt, bool superuser);
extern void WatchDroppedTriggers(bool superuser, const char *tag);
extern void WatchDroppedKeys(bool superuser, const char *tag);
extern void AuditRefuseForeignPartition(const char *partition, Oid audited);
extern void AuditLogAuditingSwitch(Oid registered, const char *action, const char *problem,
								   const char *tag);

/* ddl_guard.c */
extern void GuardOwnObjectsEnd(bool superuser, const char *caller, const char *tag,
							   Node *parsetree);
extern void GuardOwnObjectsDropped(bool superuser, const char *caller, const char *tag);

#endif							/* AUDITLOG_DDL_WATCH_H */
