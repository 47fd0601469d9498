/*-------------------------------------------------------------------------
 *
 * src/sha256.h
 *	  SHA-256 for many small messages: one per event.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_SHA256_H
#define AUDITLOG_SHA256_H

#include "common/sha2.h"

typedef struct AuditSha AuditSha;

extern AuditSha *AuditShaCreate(MemoryContext cxt);
extern void AuditShaBegin(AuditSha *sha);
extern void AuditShaAdd(AuditSha *sha, const void *data, size_t len);
extern void AuditShaEnd(AuditSha *sha, uint8 *out);

#endif							/* AUDITLOG_SHA256_H */
