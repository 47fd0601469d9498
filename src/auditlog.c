/*-------------------------------------------------------------------------
 *
 * src/auditlog.c
 *	  Module start-up: settings, the statement hooks, one Init per module.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "tcop/utility.h"
#include "utils/guc.h"

#include "auditlog.h"
#include "catalog.h"
#include "drop_guard.h"
#include "event.h"
#include "labels.h"
#include "owner.h"
#include "purge.h"
#include "spi_util.h"
#include "table_info.h"
#include "validate.h"
#include "worker.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* The application's word on who acts and for which organisation. */
char	   *auditlog_actor = NULL;
char	   *auditlog_actor_id = NULL;
char	   *auditlog_org_id = NULL;

/*
 * Row triggers, log_event and import_event queue their events
 * (event_queue.c); the queue is written at the points below, so that a
 * statement's events are in the log when the next statement of the
 * transaction starts, however the rows were routed
 * (through a partitioned table that is not registered, say) and for COPY:
 * after the executor finishes a statement (its AFTER triggers have run
 * then), after a utility statement, and before any statement starts. The
 * last one covers the statement during which the library is loaded (its
 * executor was entered before these hooks existed), which event_queue.c
 * also flushes before commit. Nested statements (SPI, plpgsql) pass
 * through the hooks too; the queue keeps to what its subtransactions
 * allow.
 */
static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ExecutorFinish_hook_type prev_ExecutorFinish = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;

static void AuditExecutorStart(QueryDesc *queryDesc, int eflags);
static void AuditExecutorFinish(QueryDesc *queryDesc);
static void AuditProcessUtility(PlannedStmt *pstmt, const char *queryString,
#if PG_VERSION_NUM >= 140000
								bool readOnlyTree,
#endif
								ProcessUtilityContext context, ParamListInfo params,
								QueryEnvironment *queryEnv, DestReceiver *dest,
								QueryCompletion *qc);
static bool CheckLabelSetting(char **newval, void **extra, GucSource source);
static void DefineSettings(void);

static void
AuditExecutorStart(QueryDesc *queryDesc, int eflags)
{
	AuditFlushEvents();
	if (prev_ExecutorStart)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

static void
AuditExecutorFinish(QueryDesc *queryDesc)
{
	if (prev_ExecutorFinish)
		prev_ExecutorFinish(queryDesc);
	else
		standard_ExecutorFinish(queryDesc);
	AuditFlushEvents();
}

static void
AuditProcessUtility(PlannedStmt *pstmt, const char *queryString,
#if PG_VERSION_NUM >= 140000
					bool readOnlyTree,
#endif
					ProcessUtilityContext context, ParamListInfo params,
					QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	if (prev_ProcessUtility)
		prev_ProcessUtility(pstmt, queryString,
#if PG_VERSION_NUM >= 140000
							readOnlyTree,
#endif
							context, params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString,
#if PG_VERSION_NUM >= 140000
								readOnlyTree,
#endif
								context, params, queryEnv, dest, qc);
	if (IsTransactionState())
		AuditFlushEvents();
}

/* True while _PG_init defines the settings (see CheckLabelSetting). */
static bool defining_settings = false;

/*
 * Settings hold labels: refuse at SET time what an event could not store.
 * A value set before the library was loaded (a placeholder) is checked
 * only when the library defines the setting, and a refusal then is only a
 * WARNING after which the setting falls back to its default: the events
 * would name the session's role or no organisation instead of the one
 * meant. So such a value is kept, and every event refuses it
 * (ResolveActor, src/event_form.c) until it is set right.
 */
static bool
CheckLabelSetting(char **newval, void **extra, GucSource source)
{
	if (defining_settings)
		return true;
	if (*newval && !AuditLabelFits(*newval))
	{
		GUC_check_errdetail("The value is longer than %d bytes.", AUDIT_MAX_LABEL);
		return false;
	}
	return true;
}

/* The settings auditlog.actor, auditlog.actor_id, auditlog.org_id and auditlog.retention. */
static void
DefineSettings(void)
{
	defining_settings = true;
	PG_TRY();
	{
		DefineCustomStringVariable("auditlog.actor",
								   "Who acts in this session or transaction, as shown in the audit log.",
								   "A display name such as 'John Doe', or 'system' for automated work. "
								   "When empty, events name the session's database role.",
								   &auditlog_actor, "", PGC_USERSET, 0,
								   CheckLabelSetting, NULL, NULL);
		DefineCustomStringVariable("auditlog.actor_id",
								   "Stable id of the acting user, where the application has one.",
								   NULL,
								   &auditlog_actor_id, "", PGC_USERSET, 0,
								   CheckLabelSetting, NULL, NULL);
		DefineCustomStringVariable("auditlog.org_id",
								   "Organisation the events of this session or transaction belong to.",
								   NULL,
								   &auditlog_org_id, "", PGC_USERSET, 0,
								   CheckLabelSetting, NULL, NULL);
	}
	PG_FINALLY();
	{
		defining_settings = false;
	}
	PG_END_TRY();
	DefineCustomStringVariable("auditlog.retention",
							   "How long events are kept: the maintenance worker purges older ones once a day.",
							   "An interval such as '13 months'; empty keeps every event. Organisations on "
							   "hold keep theirs.",
							   &auditlog_retention, "", PGC_SUSET, 0,
							   AuditRetentionCheck, NULL, NULL);
}

/* Module load: the settings, each module's start-up, the hooks. */
void
_PG_init(void)
{
	DropGuardInit();
	DefineSettings();

	CatalogInit();
	OwnerInit();
	SpiUtilInit();
	LabelsInit();
	EventFormInit();
	EventStoreInit();
	EventQueueInit();
	TableInfoInit();
	WorkerInit();

	/* after every module defined its settings: any other auditlog.* is a typo */
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("auditlog");
#else
	EmitWarningsOnPlaceholders("auditlog");
#endif

	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = AuditExecutorStart;
	prev_ExecutorFinish = ExecutorFinish_hook;
	ExecutorFinish_hook = AuditExecutorFinish;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = AuditProcessUtility;
}
