/*-------------------------------------------------------------------------
 *
 * src/owner.c
 *	  Running auditlog's own SQL as the extension's owner.
 *
 * Writers and registrants have no privilege on auditlog's tables: what the
 * extension writes there on their behalf (a new label, a registration, the
 * summaries) runs as the role that owns the extension, with search_path
 * pinned to pg_catalog (and pg_temp last), so that nothing the caller
 * defined can be picked up by the SQL run with those rights. An error
 * undoes both with the (sub)transaction.
 *
 * While it runs so, the hidden setting auditlog.internal is on: the guards
 * of auditlog's tables and of the registered tables (ddl_guard.c,
 * ddl_watch.c, restore.c) let the extension's own work through. Nobody can
 * SET it (it is PGC_INTERNAL), and like search_path it is restored when
 * the caller resumes or the (sub)transaction aborts, so it cannot outlive
 * the call that set it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "catalog.h"
#include "owner.h"

/* auditlog.internal: on while auditlog runs its own SQL as the owner */
static bool internal_context = false;

/* Runs what follows as the extension's owner, with a pinned search_path. */
void
AuditBecomeOwner(AuditOwnerState *st)
{
	Oid			owner = AuditExtensionOwner();

	GetUserIdAndSecContext(&st->save_userid, &st->save_sec);
	SetUserIdAndSecContext(owner, st->save_sec | SECURITY_LOCAL_USERID_CHANGE);
	st->guc_level = NewGUCNestLevel();
	st->spi = false;
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("auditlog.internal", "on", PGC_INTERNAL, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

/* Back to the caller's role and settings. */
void
AuditResumeCaller(AuditOwnerState *st)
{
	AtEOXact_GUC(true, st->guc_level);
	SetUserIdAndSecContext(st->save_userid, st->save_sec);
}

/* AuditBecomeOwner, then SPI_connect. */
void
AuditConnectAsOwner(AuditOwnerState *st)
{
	AuditBecomeOwner(st);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "auditlog: SPI_connect failed");
	st->spi = true;
}

/* SPI_finish, then AuditResumeCaller. */
void
AuditFinishAsOwner(AuditOwnerState *st)
{
	if (st->spi)
		SPI_finish();
	st->spi = false;
	AuditResumeCaller(st);
}

/* True while auditlog runs its own SQL as the owner (AuditBecomeOwner). */
bool
AuditRunningInternally(void)
{
	return internal_context;
}

/* Module start-up: the hidden setting behind AuditRunningInternally(). */
void
OwnerInit(void)
{
	DefineCustomBoolVariable("auditlog.internal",
							 "Shows whether auditlog is running its own SQL as the extension's owner.",
							 NULL,
							 &internal_context, false, PGC_INTERNAL,
							 GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_DISALLOW_IN_FILE,
							 NULL, NULL, NULL);
}
