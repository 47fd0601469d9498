/*-------------------------------------------------------------------------
 *
 * src/row_json.h
 *	  Row images as JSON, and a row's resource id.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_ROW_JSON_H
#define AUDITLOG_ROW_JSON_H

#include "utils/jsonb.h"

#include "table_info.h"

extern void RowPushKey(JsonbParseState **st, const char *key, int len);
extern void RowPushString(JsonbParseState **st, JsonbIteratorToken tok, char *str);
extern void RowPushImage(JsonbParseState **st, TableInfo *t, Datum *values, bool *nulls,
						 bool *which);
extern void RowPushRedacted(JsonbParseState **st, TableInfo *t, bool *which);
extern char *RowResourceId(TableInfo *t, Datum *values, bool *nulls);

#endif							/* AUDITLOG_ROW_JSON_H */
