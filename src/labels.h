/*-------------------------------------------------------------------------
 *
 * src/labels.h
 *	  The dictionaries behind events: labels and actions.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_LABELS_H
#define AUDITLOG_LABELS_H

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
/* not a kind of auditlog.labels: an action, which lives in auditlog.action_types */
#define LABEL_ACTION			'.'

extern int32 AuditLabelId(char kind, const char *label);
extern int32 AuditActionId(const char *action);
extern void AuditDescribeAction(const char *action, const char *description);
extern const char *AuditLabelText(bool action, int32 id);
extern void LabelsInit(void);

#endif							/* AUDITLOG_LABELS_H */
