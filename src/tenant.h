/*-------------------------------------------------------------------------
 *
 * src/tenant.h
 *	  Tenants: roles that read only the events of some organisations.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_TENANT_H
#define AUDITLOG_TENANT_H

/*
 * Who reads: every identity a tenant restriction can attach to. Captured
 * when a read path is entered, before it runs anything as the extension's
 * owner.
 */
typedef struct AuditReader
{
	Oid			session_user;	/* the login (or SET SESSION AUTHORIZATION) */
	Oid			outer_user;		/* the role of SET ROLE */
	Oid			current_user;	/* current_user: a SECURITY DEFINER owner, say */
} AuditReader;

extern void AuditCaptureReader(AuditReader *reader);
extern bool AuditReaderOrgRefs(const AuditReader *reader, int32 **refs, int *n);

#endif							/* AUDITLOG_TENANT_H */
