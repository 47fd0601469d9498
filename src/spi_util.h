/*-------------------------------------------------------------------------
 *
 * src/spi_util.h
 *	  Running auditlog's internal SQL: parameters, cached plans, results.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_SPI_UTIL_H
#define AUDITLOG_SPI_UTIL_H

#include "executor/spi.h"
#include "tcop/dest.h"
#include "fmgr.h"
#include "nodes/pg_list.h"
#include "utils/tuplestore.h"

/* Parameters of one query, numbered $1, $2, ... as they are added. */
#define SPI_MAX_ARGS 16
typedef struct SpiArgs
{
	int			n;
	Oid			types[SPI_MAX_ARGS];
	Datum		values[SPI_MAX_ARGS];
	char		nulls[SPI_MAX_ARGS];
	/*
	 * How SpiQuery plans the query (the first run's choice stays with its
	 * text, which fixes it anyway): PLAN_AUTO as PostgreSQL chooses;
	 * PLAN_CUSTOM with its values at every run, for a query whose best plan
	 * depends on them (which index drives); PLAN_GENERIC once, for a query
	 * whose plan is the right one whatever they are, and whose planning
	 * costs more than its run (partitions pruned at run time).
	 */
	enum
	{
		PLAN_AUTO = 0,
		PLAN_CUSTOM,
		PLAN_GENERIC
	}			plan;
} SpiArgs;

extern int	SpiArg(SpiArgs *args, Oid type, Datum value);
extern int	SpiArgNull(SpiArgs *args, Oid type);
extern int	SpiArgName(SpiArgs *args, const char *name);
extern Datum SpiInt4Array(const int32 *values, int n);
extern uint64 SpiQuery(const char *sql, SpiArgs *args, long limit);
extern uint64 SpiQueryToReceiver(const char *sql, SpiArgs *args, DestReceiver *dest);
extern uint64 SpiExec(const char *sql, SpiArgs *args, int expect);

extern Datum SpiGetDatum(uint64 row, int col, bool *isnull);
extern bool SpiFirstDatum(Datum *value);
extern int32 SpiFirstInt32(int32 if_none);
extern int64 SpiFirstInt64(int64 if_none);
extern bool SpiFirstBool(bool if_none);
extern List *SpiColumnOids(int col);

extern Tuplestorestate *SpiMaterializeResult(FunctionCallInfo fcinfo, int natts,
											 TupleDesc *tupdesc);

extern void SpiUtilInit(void);

#endif							/* AUDITLOG_SPI_UTIL_H */
