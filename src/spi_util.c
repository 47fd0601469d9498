/*-------------------------------------------------------------------------
 *
 * src/spi_util.c
 *	  Running auditlog's internal SQL: parameters, cached plans, results.
 *
 * The read path runs a dozen small queries per call, and planning them each
 * time would cost more than running them: SpiQuery keeps their plans for
 * the backend's life, keyed by the SQL text (which fixes the parameter
 * types). PostgreSQL plans a cached query with its values for its first
 * five runs, then may keep a generic plan instead; SpiArgs.plan keeps it
 * planning with the values, or makes it generic from the first run.
 *
 * Each entry owns its plan. When the extension's objects are forgotten
 * (catalog.c), the plans name oids that may be gone (a type or a table of
 * a dropped and recreated extension), so they are all freed and made
 * again, at the next query that is not itself run by one of them: an
 * invalidation can arrive while a plan executes, and that plan must not be
 * freed under it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/params.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "catalog.h"
#include "spi_util.h"

typedef struct PlanEntry
{
	const char *sql;			/* hash key: the query's text, in plan_cxt */
	SPIPlanPtr	plan;
} PlanEntry;

static HTAB *plan_cache = NULL;
static MemoryContext plan_cxt = NULL;
static bool plans_stale = false;
static int	running_plans = 0;	/* cached plans executing right now */

static uint32 PlanHash(const void *key, Size keysize);
static int	PlanMatch(const void *key1, const void *key2, Size keysize);
static void *PlanKeyCopy(void *dest, const void *src, Size keysize);
static void ForgetPlans(void);
static void FreePlans(void);
static PlanEntry *FindPlan(const char *sql, SpiArgs *args);

/* ------------------------------------------------------------------------
 * internal: the plan cache
 * ------------------------------------------------------------------------
 */

static uint32
PlanHash(const void *key, Size keysize)
{
	const char *sql = *(const char *const *) key;

	return hash_bytes((const unsigned char *) sql, strlen(sql));
}

static int
PlanMatch(const void *key1, const void *key2, Size keysize)
{
	return strcmp(*(const char *const *) key1, *(const char *const *) key2);
}

static void *
PlanKeyCopy(void *dest, const void *src, Size keysize)
{
	*(const char **) dest = MemoryContextStrdup(plan_cxt, *(const char *const *) src);
	return dest;
}

/* Reset callback: the plans are freed at the next safe point. */
static void
ForgetPlans(void)
{
	plans_stale = true;
}

/* Frees every plan and the cache itself. */
static void
FreePlans(void)
{
	HASH_SEQ_STATUS status;
	PlanEntry  *e;

	if (plan_cache)
	{
		hash_seq_init(&status, plan_cache);
		while ((e = (PlanEntry *) hash_seq_search(&status)) != NULL)
		{
			if (e->plan)
				SPI_freeplan(e->plan);
		}
		hash_destroy(plan_cache);
		plan_cache = NULL;
	}
	if (plan_cxt)
		MemoryContextReset(plan_cxt);
	plans_stale = false;
}

/* The cache entry of a query, its plan made when new; NULL: run it unprepared. */
static PlanEntry *
FindPlan(const char *sql, SpiArgs *args)
{
	PlanEntry  *e;
	bool		found;

	if (plans_stale)
	{
		if (running_plans > 0)
			return NULL;
		FreePlans();
	}
	if (plan_cache == NULL)
	{
		HASHCTL		ctl;

		if (plan_cxt == NULL)
			plan_cxt = AllocSetContextCreate(CacheMemoryContext, "auditlog plans",
											 ALLOCSET_SMALL_SIZES);
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(const char *);
		ctl.entrysize = sizeof(PlanEntry);
		ctl.hash = PlanHash;
		ctl.match = PlanMatch;
		ctl.keycopy = PlanKeyCopy;
		ctl.hcxt = plan_cxt;
		plan_cache = hash_create("auditlog plans", 64, &ctl,
								 HASH_ELEM | HASH_FUNCTION | HASH_COMPARE |
								 HASH_KEYCOPY | HASH_CONTEXT);
	}
	e = (PlanEntry *) hash_search(plan_cache, &sql, HASH_ENTER, &found);
	if (!found)
		e->plan = NULL;
	if (e->plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare_cursor(sql, args->n, args->types,
											  args->plan == PLAN_CUSTOM ? CURSOR_OPT_CUSTOM_PLAN :
											  args->plan == PLAN_GENERIC ? CURSOR_OPT_GENERIC_PLAN : 0);

		if (plan == NULL)
			elog(ERROR, "auditlog: could not prepare an internal query: %s",
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "auditlog: could not keep an internal plan");
		e->plan = plan;
	}
	return e;
}

/* ------------------------------------------------------------------------
 * exported
 * ------------------------------------------------------------------------
 */

/* Adds a parameter and returns its number. */
int
SpiArg(SpiArgs *args, Oid type, Datum value)
{
	if (args->n >= SPI_MAX_ARGS)
		elog(ERROR, "auditlog: too many query parameters");
	args->types[args->n] = type;
	args->values[args->n] = value;
	args->nulls[args->n] = ' ';
	return ++args->n;
}

/* Adds a parameter of type name (NULL: a null one) and returns its number. */
int
SpiArgName(SpiArgs *args, const char *name)
{
	Name		nm;

	if (name == NULL)
		return SpiArgNull(args, NAMEOID);
	nm = palloc0(NAMEDATALEN);
	namestrcpy(nm, name);
	return SpiArg(args, NAMEOID, NameGetDatum(nm));
}

/* An int4[] Datum of n values, for a parameter. */
Datum
SpiInt4Array(const int32 *values, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));

	for (int i = 0; i < n; i++)
		elems[i] = Int32GetDatum(values[i]);
	return PointerGetDatum(construct_array(elems, n, INT4OID, sizeof(int32), true, TYPALIGN_INT));
}

/* Adds a NULL parameter and returns its number. */
int
SpiArgNull(SpiArgs *args, Oid type)
{
	int			n = SpiArg(args, type, (Datum) 0);

	args->nulls[n - 1] = 'n';
	return n;
}

/*
 * Runs a read-only query with a cached plan and returns the number of rows
 * (in SPI_tuptable); errors on failure. At most 'limit' rows (0: all).
 */
uint64
SpiQuery(const char *sql, SpiArgs *args, long limit)
{
	PlanEntry  *e = FindPlan(sql, args);
	int			ret;

	if (e == NULL)
		ret = SPI_execute_with_args(sql, args->n, args->types, args->values, args->nulls,
									true, limit);
	else
	{
		running_plans++;
		PG_TRY();
		{
			ret = SPI_execute_plan(e->plan, args->values, args->nulls, true, limit);
		}
		PG_FINALLY();
		{
			running_plans--;
		}
		PG_END_TRY();
	}
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "auditlog: internal query failed (%s): %s", SPI_result_code_string(ret), sql);
	return SPI_processed;
}

/*
 * Runs a read-only query with a cached plan like SpiQuery, but hands each
 * row to 'dest' as it is made instead of collecting the rows: nothing is
 * copied that 'dest' does not keep. Returns the number of rows. (Before
 * PostgreSQL 14, SPI has no receivers: the rows are collected, then handed
 * over.)
 */
uint64
SpiQueryToReceiver(const char *sql, SpiArgs *args, DestReceiver *dest)
{
#if PG_VERSION_NUM >= 140000
	PlanEntry  *e = FindPlan(sql, args);
	SPIExecuteOptions options;
	ParamListInfo params = makeParamList(args->n);
	int			ret;

	for (int i = 0; i < args->n; i++)
	{
		params->params[i].value = args->values[i];
		params->params[i].isnull = (args->nulls[i] == 'n');
		params->params[i].pflags = PARAM_FLAG_CONST;
		params->params[i].ptype = args->types[i];
	}
	memset(&options, 0, sizeof(options));
	options.params = params;
	options.read_only = true;
	options.dest = dest;
	if (e == NULL)
		ret = SPI_execute_extended(sql, &options);
	else
	{
		running_plans++;
		PG_TRY();
		{
			ret = SPI_execute_plan_extended(e->plan, &options);
		}
		PG_FINALLY();
		{
			running_plans--;
		}
		PG_END_TRY();
	}
	/* a SELECT whose rows go to a receiver of the caller's is "utility" to SPI */
	if (ret != SPI_OK_SELECT && ret != SPI_OK_UTILITY)
		elog(ERROR, "auditlog: internal query failed (%s): %s", SPI_result_code_string(ret), sql);
	return SPI_processed;
#else
	uint64		n = SpiQuery(sql, args, 0);
	TupleTableSlot *slot = MakeSingleTupleTableSlot(SPI_tuptable->tupdesc, &TTSOpsHeapTuple);

	dest->rStartup(dest, CMD_SELECT, SPI_tuptable->tupdesc);
	for (uint64 i = 0; i < n; i++)
	{
		ExecStoreHeapTuple(SPI_tuptable->vals[i], slot, false);
		dest->receiveSlot(slot, dest);
	}
	dest->rShutdown(dest);
	ExecDropSingleTupleTableSlot(slot);
	SPI_freetuptable(SPI_tuptable);
	return n;
#endif
}

/*
 * Runs one statement, unprepared, that may write; errors with its text
 * unless it returns 'expect'. Returns the number of rows processed.
 */
uint64
SpiExec(const char *sql, SpiArgs *args, int expect)
{
	int			ret;

	if (args)
		ret = SPI_execute_with_args(sql, args->n, args->types, args->values, args->nulls,
									false, 0);
	else
		ret = SPI_execute(sql, false, 0);
	if (ret != expect)
		elog(ERROR, "auditlog: internal statement failed (%s): %s",
			 SPI_result_code_string(ret), sql);
	return SPI_processed;
}

/* One cell of the last query's result (row and column from 0 and 1). */
Datum
SpiGetDatum(uint64 row, int col, bool *isnull)
{
	Assert(row < SPI_processed);
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull);
}

/* The first cell of the last query's result; false without a row or with a null. */
bool
SpiFirstDatum(Datum *value)
{
	bool		isnull;

	if (SPI_processed == 0)
		return false;
	*value = SpiGetDatum(0, 1, &isnull);
	return !isnull;
}

/* The first cell of the last query's result as an int4; if_none without a row or value. */
int32
SpiFirstInt32(int32 if_none)
{
	Datum		d;

	return SpiFirstDatum(&d) ? DatumGetInt32(d) : if_none;
}

/* The first cell of the last query's result as an int8; if_none without a row or value. */
int64
SpiFirstInt64(int64 if_none)
{
	Datum		d;

	return SpiFirstDatum(&d) ? DatumGetInt64(d) : if_none;
}

/* The first cell of the last query's result as a boolean; if_none without a row or value. */
bool
SpiFirstBool(bool if_none)
{
	Datum		d;

	return SpiFirstDatum(&d) ? DatumGetBool(d) : if_none;
}

/* The non-null oids in column 'col' of the last query's rows. */
List *
SpiColumnOids(int col)
{
	List	   *oids = NIL;

	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		d = SpiGetDatum(i, col, &isnull);

		if (!isnull)
			oids = lappend_oid(oids, DatumGetObjectId(d));
	}
	return oids;
}

/*
 * Sets up the materialized result of a set-returning function in the shape
 * of its declared row type, which must have natts columns; returns the
 * tuplestore to fill.
 */
Tuplestorestate *
SpiMaterializeResult(FunctionCallInfo fcinfo, int natts, TupleDesc *tupdesc)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old;
	Tuplestorestate *store;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	if (!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("materialize mode required, but it is not allowed in this context")));

	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	if (get_call_result_type(fcinfo, NULL, tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "auditlog: return type must be a row type");
	*tupdesc = CreateTupleDescCopy(*tupdesc);
	if ((*tupdesc)->natts != natts)
		elog(ERROR, "auditlog: the result has %d columns, expected %d", (*tupdesc)->natts, natts);
	store = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = store;
	rsinfo->setDesc = *tupdesc;
	MemoryContextSwitchTo(old);
	return store;
}

/* Module start-up. */
void
SpiUtilInit(void)
{
	AuditOnReset(ForgetPlans);
}
