/*-------------------------------------------------------------------------
 *
 * src/horizon.h
 *	  The safe point: the event ids no running transaction can still add to.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_HORIZON_H
#define AUDITLOG_HORIZON_H

/*
 * A horizon: the sequence's last value 'upto', and the next transaction id
 * 'xmax', read in that order. Every event with an id <= upto belongs to a
 * transaction older than xmax, so once no such transaction runs, every id
 * up to 'upto' is final: committed or never to be.
 */
typedef struct AuditHorizon
{
	int64		upto;
	uint64		xmax;			/* a full transaction id */
} AuditHorizon;

extern void AuditTakeHorizon(AuditHorizon *h);
extern uint64 AuditFullXid(TransactionId xid);
extern uint64 AuditOldestRunningXid(bool ignore_own);
extern int64 AuditSafePoint(AuditHorizon *pending, bool ignore_own);
extern void AuditRequireFreshSnapshots(const char *what);

#endif							/* AUDITLOG_HORIZON_H */
