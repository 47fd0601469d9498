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
#include "event.h"
#include "labels.h"
#include "owner.h"
#include "spi_util.h"
#include "table_info.h"
#include "validate.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* The application's word on who acts and for which organisation. */
char	   *auditlog_actor = NULL;
char	   *auditlog_actor_id = NULL;
char	   *auditlog_org_id = NULL;

/*
 * Row triggers queue their events (event_queue.c); they are written when
 * the statement that fired them ends. These hooks are that moment for every
 * statement, however its rows were routed (through a partitioned table that
 * is not registered, say) and for COPY.
 */
static ExecutorFinish_hook_type prev_ExecutorFinish = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;

/* How many of our hooks are running below us: events queued now get flushed. */
static int	hook_depth = 0;

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

/*
 * True when a statement's end will pass through one of our hooks, so that
 * a row trigger may queue its event. False for the statement during which
 * the library was loaded (its executor was entered before the hooks
 * existed): that statement's triggers write their events at once.
 */
bool
AuditStatementEndHooked(void)
{
	return hook_depth > 0;
}

static void
AuditExecutorFinish(QueryDesc *queryDesc)
{
	hook_depth++;
	PG_TRY();
	{
		if (prev_ExecutorFinish)
			prev_ExecutorFinish(queryDesc);
		else
			standard_ExecutorFinish(queryDesc);
	}
	PG_FINALLY();
	{
		hook_depth--;
	}
	PG_END_TRY();
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
	hook_depth++;
	PG_TRY();
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
	}
	PG_FINALLY();
	{
		hook_depth--;
	}
	PG_END_TRY();
	if (IsTransactionState())
		AuditFlushEvents();
}

/* Settings hold labels: refuse at SET time what an event could not store. */
static bool
CheckLabelSetting(char **newval, void **extra, GucSource source)
{
	if (*newval && !AuditLabelFits(*newval))
	{
		GUC_check_errdetail("The value is longer than %d bytes.", AUDIT_MAX_LABEL);
		return false;
	}
	return true;
}

/* The settings auditlog.actor, auditlog.actor_id and auditlog.org_id. */
static void
DefineSettings(void)
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
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("auditlog");
#else
	EmitWarningsOnPlaceholders("auditlog");
#endif
}

/* Module load: the settings, each module's start-up, the hooks. */
void
_PG_init(void)
{
	DefineSettings();

	CatalogInit();
	OwnerInit();
	SpiUtilInit();
	LabelsInit();
	EventFormInit();
	EventStoreInit();
	EventQueueInit();
	TableInfoInit();

	prev_ExecutorFinish = ExecutorFinish_hook;
	ExecutorFinish_hook = AuditExecutorFinish;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = AuditProcessUtility;
}
