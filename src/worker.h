/*-------------------------------------------------------------------------
 *
 * src/worker.h
 *	  The maintenance worker: who starts it, and what it runs.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_WORKER_H
#define AUDITLOG_WORKER_H

#include "fmgr.h"
#include "postmaster/bgworker.h"

/* bgw_type of the workers, as pg_stat_activity.backend_type shows them */
#define AUDIT_LAUNCHER_TYPE		"auditlog launcher"
#define AUDIT_MAINTENANCE_TYPE	"auditlog maintenance"

/* settings (worker.c) */
extern int	auditlog_maintenance_naptime;	/* ms */
extern bool auditlog_maintenance_worker;

/* worker.c: starting workers, the launcher, and the per-database lock */
extern void WorkerInit(void);
extern void AuditWorkerDefinition(BackgroundWorker *w, const char *function, const char *type);
extern void AuditWakeMaintenance(void);
extern bool AuditTakeMaintenanceLock(void);
extern void AuditLockMaintenanceStep(bool exclusive);
extern void AuditNoteNoExtension(void);
extern bool AuditDatabaseBusy(void);

/* maintenance.c: what one round does */
extern bool AuditMaintenanceRound(void);

PGDLLEXPORT void auditlog_launcher_main(Datum arg);
PGDLLEXPORT void auditlog_maintenance_main(Datum arg);

#endif							/* AUDITLOG_WORKER_H */
