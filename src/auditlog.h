/*-------------------------------------------------------------------------
 *
 * src/auditlog.h
 *	  What the modules of auditlog share: its settings and the statement
 *	  hooks.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_H
#define AUDITLOG_H

/* auditlog.c: the application's word on who acts and for which organisation */
extern char *auditlog_actor;
extern char *auditlog_actor_id;
extern char *auditlog_org_id;

#endif							/* AUDITLOG_H */
