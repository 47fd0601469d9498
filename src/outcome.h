/*-------------------------------------------------------------------------
 *
 * src/outcome.h
 *	  The auditlog.outcome type as the C code sees it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_OUTCOME_H
#define AUDITLOG_OUTCOME_H

#include "fmgr.h"

/*
 * auditlog.outcome: one byte, passed by value. The numeric order is the
 * sort order of the type (success < failure < denied), and the byte is
 * also its binary wire format.
 */
typedef uint8 AuditOutcome;

#define AUDIT_OUTCOME_SUCCESS	0
#define AUDIT_OUTCOME_FAILURE	1
#define AUDIT_OUTCOME_DENIED	2
#define AUDIT_OUTCOME_COUNT		3

#define DatumGetAuditOutcome(X)		((AuditOutcome) DatumGetUInt8(X))
#define AuditOutcomeGetDatum(X)		UInt8GetDatum(X)
#define PG_GETARG_AUDIT_OUTCOME(n)	DatumGetAuditOutcome(PG_GETARG_DATUM(n))
#define PG_RETURN_AUDIT_OUTCOME(x)	return AuditOutcomeGetDatum(x)

extern const char *AuditOutcomeName(AuditOutcome o);

#endif							/* AUDITLOG_OUTCOME_H */
