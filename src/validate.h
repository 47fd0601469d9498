/*-------------------------------------------------------------------------
 *
 * src/validate.h
 *	  The rules a label, an action or a resource id must follow.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_VALIDATE_H
#define AUDITLOG_VALIDATE_H

/* Longest label (actor, org, resource type, ...) or action we store, in bytes. */
#define AUDIT_MAX_LABEL		256
/* Longest resource id we store, in bytes. */
#define AUDIT_MAX_RESOURCE_ID	1024
/* Longest resource type: its actions add ".truncate" and must fit a label. */
#define AUDIT_MAX_RESOURCE_TYPE	(AUDIT_MAX_LABEL - 10)

extern bool AuditWordIsValid(const char *word);
extern bool AuditActionIsValid(const char *action);
extern void AuditCheckAction(const char *action);
/* how much of a refused string a message shows (AuditClip) */
#define AUDIT_CLIP			64

extern char *AuditClip(const char *value, int max);
extern bool AuditLabelFits(const char *value);
extern void AuditCheckLabelLength(const char *what, const char *value);
extern void AuditCheckLabel(const char *what, const char *value, const char *empty_hint);
extern void AuditCheckResourceId(const char *value);
extern void AuditCheckResourceType(const char *resource_type, const char *table_name);

#endif							/* AUDITLOG_VALIDATE_H */
