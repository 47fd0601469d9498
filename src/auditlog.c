/* src/auditlog.c — module start-up: settings, set_actor, and the caches' invalidation */
#include "auditlog.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "executor/executor.h"
#include "tcop/utility.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* The application's word on who acts and for which organisation. */
char	   *auditlog_actor = NULL;
char	   *auditlog_actor_id = NULL;
char	   *auditlog_org_id = NULL;

/*
 * Oids of the extension's schema and relations, looked up once per backend
 * and forgotten whenever one of them is invalidated (DROP EXTENSION, a
 * restore, ...), together with every cache that depends on them.
 */
#define MAX_CACHED_RELS 16
static Oid	schema_oid = InvalidOid;
static struct
{
	const char *name;
	Oid			relid;
}			cached_rels[MAX_CACHED_RELS];
static int	n_cached_rels = 0;

#define MAX_RESET_CALLBACKS 8
static AuditResetCallback reset_callbacks[MAX_RESET_CALLBACKS];
static int	n_reset_callbacks = 0;

/* ------------------------------------------------------------------------
 * internal
 * ------------------------------------------------------------------------
 */

/* Forget every oid and every cache built on them. */
static void
ResetAll(void)
{
	schema_oid = InvalidOid;
	n_cached_rels = 0;
	for (int i = 0; i < n_reset_callbacks; i++)
		reset_callbacks[i] ();
}

/* Relcache invalidation: reset when it concerns one of our relations. */
static void
RelcacheCallback(Datum arg, Oid relid)
{
	if (!OidIsValid(relid))
	{
		ResetAll();
		return;
	}
	for (int i = 0; i < n_cached_rels; i++)
	{
		if (cached_rels[i].relid == relid)
		{
			ResetAll();
			return;
		}
	}
}

/* Registers a function that drops a cache when our oids are forgotten. */
void
AuditOnReset(AuditResetCallback cb)
{
	if (n_reset_callbacks >= MAX_RESET_CALLBACKS)
		elog(ERROR, "auditlog: too many reset callbacks");
	reset_callbacks[n_reset_callbacks++] = cb;
}

/* Oid of schema auditlog; errors when the extension is not installed. */
Oid
AuditSchemaOid(void)
{
	if (!OidIsValid(schema_oid))
	{
		Oid			nsp = get_namespace_oid("auditlog", true);

		if (!OidIsValid(nsp))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_SCHEMA),
					 errmsg("schema \"auditlog\" does not exist"),
					 errhint("Run CREATE EXTENSION auditlog in this database.")));
		schema_oid = nsp;
	}
	return schema_oid;
}

/*
 * Oid of relation auditlog.<relname>. The name must be a string constant:
 * the cache keeps the pointer.
 */
Oid
AuditRelid(const char *relname)
{
	Oid			relid;

	for (int i = 0; i < n_cached_rels; i++)
	{
		if (cached_rels[i].name == relname || strcmp(cached_rels[i].name, relname) == 0)
			return cached_rels[i].relid;
	}
	relid = get_relname_relid(relname, AuditSchemaOid());
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation \"auditlog.%s\" does not exist", relname),
				 errhint("The auditlog extension is damaged; reinstall it.")));
	if (n_cached_rels < MAX_CACHED_RELS)
	{
		cached_rels[n_cached_rels].name = relname;
		cached_rels[n_cached_rels].relid = relid;
		n_cached_rels++;
	}
	return relid;
}

/*
 * Row triggers queue their events (event.c); they are written when the
 * statement that fired them ends. These hooks are that moment for every
 * statement, however its rows were routed (through a partitioned table that
 * is not registered, say) and for COPY. The library is loaded before any
 * event is queued, since the trigger that queues it lives here, so the hooks
 * are always in place when they are needed.
 */
static ExecutorFinish_hook_type prev_ExecutorFinish = NULL;
static ProcessUtility_hook_type prev_ProcessUtility = NULL;

/* How many of our hooks are running below us: events queued now get flushed. */
static int	hook_depth = 0;

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
	if (*newval && strlen(*newval) > AUDIT_MAX_LABEL)
	{
		GUC_check_errdetail("The value is longer than %d bytes.", AUDIT_MAX_LABEL);
		return false;
	}
	return true;
}

/* Module load: the settings and the invalidation hook. */
void
_PG_init(void)
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

	CacheRegisterRelcacheCallback(RelcacheCallback, (Datum) 0);

	prev_ExecutorFinish = ExecutorFinish_hook;
	ExecutorFinish_hook = AuditExecutorFinish;
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = AuditProcessUtility;
}

/*
 * Runs what follows as the extension's owner, with search_path pinned to
 * pg_catalog (and pg_temp last), so that nothing the caller defined can be
 * picked up by the SQL we run with those rights. AuditResumeCaller undoes
 * it; an error undoes it too, with the (sub)transaction.
 */
void
AuditBecomeOwner(Oid owner, AuditOwnerState *st)
{
	GetUserIdAndSecContext(&st->save_userid, &st->save_sec);
	SetUserIdAndSecContext(owner, st->save_sec | SECURITY_LOCAL_USERID_CHANGE);
	st->guc_level = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

void
AuditResumeCaller(AuditOwnerState *st)
{
	AtEOXact_GUC(true, st->guc_level);
	SetUserIdAndSecContext(st->save_userid, st->save_sec);
}

/* Sets one of our settings for the rest of the transaction. */
static void
SetLocal(const char *name, const char *value)
{
	(void) set_config_option(name, value, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_LOCAL, true, 0, false);
}

/* ------------------------------------------------------------------------
 * SQL-callable functions
 * ------------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(auditlog_set_actor);
/*
 * auditlog.set_actor(actor text, actor_id text DEFAULT NULL): who acts, for
 * the current transaction only (like SET LOCAL).
 */
Datum
auditlog_set_actor(PG_FUNCTION_ARGS)
{
	char	   *actor;
	char	   *actor_id = NULL;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("actor must not be null"),
				 errhint("Pass a display name, or 'system' for automated work.")));
	actor = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (actor[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("actor must not be empty"),
				 errhint("Pass a display name, or 'system' for automated work.")));
	if (strlen(actor) > AUDIT_MAX_LABEL)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("actor is longer than %d bytes", AUDIT_MAX_LABEL)));
	if (!PG_ARGISNULL(1))
	{
		actor_id = text_to_cstring(PG_GETARG_TEXT_PP(1));
		if (strlen(actor_id) > AUDIT_MAX_LABEL)
			ereport(ERROR,
					(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
					 errmsg("actor_id is longer than %d bytes", AUDIT_MAX_LABEL)));
	}
	if (!IsTransactionBlock())
		ereport(WARNING,
				(errcode(ERRCODE_NO_ACTIVE_SQL_TRANSACTION),
				 errmsg("auditlog.set_actor() outside a transaction block has no lasting effect"),
				 errhint("Call it after BEGIN, in the transaction whose work it describes.")));
	SetLocal("auditlog.actor", actor);
	SetLocal("auditlog.actor_id", actor_id ? actor_id : "");
	PG_RETURN_VOID();
}
