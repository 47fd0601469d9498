/*-------------------------------------------------------------------------
 *
 * src/table_info.h
 *	  What a registered table's rows become in events.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_TABLE_INFO_H
#define AUDITLOG_TABLE_INFO_H

#include "fmgr.h"
#include "utils/relcache.h"

/* How a column's value becomes JSON; the same result as to_jsonb(). */
typedef enum JsonConv
{
	CONV_BOOL,
	CONV_INT,					/* int2, int4, int8 */
	CONV_NUMERIC,
	CONV_TEXT,					/* text, varchar: the string itself */
	CONV_JSONB,
	CONV_DATETIME,				/* date, timestamp, timestamptz: ISO 8601 */
	CONV_OUTPUT,				/* types to_jsonb shows as their text */
	CONV_TO_JSONB				/* anything else: to_jsonb() itself */
} JsonConv;

typedef enum ColumnMode
{
	COL_AUDITED,
	COL_REDACTED,
	COL_EXCLUDED
} ColumnMode;

typedef struct ColumnInfo
{
	char	   *name;
	int			namelen;
	ColumnMode	mode;
	JsonConv	conv;
	Oid			typid;			/* base type */
	int16		typlen;
	bool		typbyval;
	FmgrInfo	out;			/* output function (CONV_OUTPUT, keys, org) */
	FmgrInfo	to_jsonb;		/* CONV_TO_JSONB */
} ColumnInfo;

/* The actions of a table, in the order of TableInfo.actions. */
typedef enum TableAction
{
	ACT_CREATE,
	ACT_UPDATE,
	ACT_DELETE,
	ACT_TRUNCATE,
	ACT_COUNT
} TableAction;

typedef struct TableInfo
{
	Oid			relid;			/* hash key: the table the trigger fired on */
	Oid			registered;		/* the registered table: itself or an ancestor */
	bool		valid;
	int			natts;
	ColumnInfo *cols;			/* natts entries; dropped columns excluded */
	int		   *key_order;		/* column numbers in jsonb key order */
	int			nkeys;
	int		   *keys;			/* 0-based column numbers of the resource id */
	int			org_col;		/* 0-based, or -1 */
	char	   *resource_type;
	char	   *actions[ACT_COUNT];
	MemoryContext cxt;
} TableInfo;

extern TableInfo *AuditGetTableInfo(Relation rel, bool missing_ok);
extern void TableInfoInit(void);

#endif							/* AUDITLOG_TABLE_INFO_H */
