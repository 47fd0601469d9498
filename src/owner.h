/*-------------------------------------------------------------------------
 *
 * src/owner.h
 *	  Running auditlog's own SQL as the extension's owner.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_OWNER_H
#define AUDITLOG_OWNER_H

/* What AuditBecomeOwner saved, for AuditResumeCaller to restore. */
typedef struct AuditOwnerState
{
	Oid			save_userid;
	int			save_sec;
	int			guc_level;
	bool		spi;			/* AuditConnectAsOwner connected SPI */
} AuditOwnerState;

extern void AuditBecomeOwner(AuditOwnerState *st);
extern void AuditResumeCaller(AuditOwnerState *st);
extern void AuditConnectAsOwner(AuditOwnerState *st);
extern void AuditFinishAsOwner(AuditOwnerState *st);
extern bool AuditRunningInternally(void);
extern void OwnerInit(void);

#endif							/* AUDITLOG_OWNER_H */
