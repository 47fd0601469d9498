/*-------------------------------------------------------------------------
 *
 * src/row_json.c
 *	  Row images as JSON, built straight into jsonb, and a row's resource id.
 *
 * A row image is what to_jsonb(row) would show for the columns an event
 * keeps, pushed value by value into a jsonb under construction, with the
 * conversion chosen once per column (table_info.c): no text round trip
 * for the common types.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/numeric.h"

#include "row_json.h"

static void PushNumericValue(JsonbParseState **st, ColumnInfo *c, Datum value);
static void PushToJsonbValue(JsonbParseState **st, ColumnInfo *c, Datum value);
static void PushValue(JsonbParseState **st, ColumnInfo *c, Datum value, bool isnull);

/* Pushes a string key. */
void
RowPushKey(JsonbParseState **st, const char *key, int len)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = len;
	pushJsonbValue(st, WJB_KEY, &k);
}

/* Pushes a string value or array element. */
void
RowPushString(JsonbParseState **st, JsonbIteratorToken tok, char *str)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = str;
	v.val.string.len = strlen(str);
	pushJsonbValue(st, tok, &v);
}

/* A numeric as a JSON number; NaN and infinities as their text, as to_jsonb does. */
static void
PushNumericValue(JsonbParseState **st, ColumnInfo *c, Datum value)
{
	Numeric		n = DatumGetNumeric(value);
	JsonbValue	v;

	if (numeric_is_nan(n) || numeric_is_inf(n))
	{
		RowPushString(st, WJB_VALUE, OutputFunctionCall(&c->out, value));
		return;
	}
	v.type = jbvNumeric;
	v.val.numeric = n;
	pushJsonbValue(st, WJB_VALUE, &v);
}

/* Any other type: what to_jsonb() itself makes of it. */
static void
PushToJsonbValue(JsonbParseState **st, ColumnInfo *c, Datum value)
{
	Jsonb	   *jb = DatumGetJsonbP(FunctionCall1(&c->to_jsonb, value));
	JsonbValue	v;

	if (JB_ROOT_IS_SCALAR(jb))
	{
		if (!JsonbExtractScalar(&jb->root, &v))
			elog(ERROR, "auditlog: could not read a scalar jsonb");
		pushJsonbValue(st, WJB_VALUE, &v);
		return;
	}
	v.type = jbvBinary;
	v.val.binary.data = &jb->root;
	v.val.binary.len = VARSIZE(jb) - VARHDRSZ;
	pushJsonbValue(st, WJB_VALUE, &v);
}

/* Pushes one column's value, as to_jsonb() would show it. */
static void
PushValue(JsonbParseState **st, ColumnInfo *c, Datum value, bool isnull)
{
	JsonbValue	v;

	if (isnull)
	{
		v.type = jbvNull;
		pushJsonbValue(st, WJB_VALUE, &v);
		return;
	}
	switch (c->conv)
	{
		case CONV_BOOL:
			v.type = jbvBool;
			v.val.boolean = DatumGetBool(value);
			break;
		case CONV_INT:
			v.type = jbvNumeric;
			v.val.numeric = int64_to_numeric(c->typid == INT8OID ? DatumGetInt64(value) :
											 c->typid == INT4OID ? (int64) DatumGetInt32(value) :
											 (int64) DatumGetInt16(value));
			break;
		case CONV_NUMERIC:
			PushNumericValue(st, c, value);
			return;
		case CONV_TEXT:
			{
				text	   *t = DatumGetTextPP(value);

				v.type = jbvString;
				v.val.string.val = VARDATA_ANY(t);
				v.val.string.len = VARSIZE_ANY_EXHDR(t);
				break;
			}
		case CONV_JSONB:
			{
				Jsonb	   *jb = DatumGetJsonbP(value);

				v.type = jbvBinary;
				v.val.binary.data = &jb->root;
				v.val.binary.len = VARSIZE(jb) - VARHDRSZ;
				break;
			}
		case CONV_DATETIME:
			RowPushString(st, WJB_VALUE, JsonEncodeDateTime(NULL, value, c->typid, NULL));
			return;
		case CONV_OUTPUT:
			RowPushString(st, WJB_VALUE, OutputFunctionCall(&c->out, value));
			return;
		case CONV_TO_JSONB:
		default:
			PushToJsonbValue(st, c, value);
			return;
	}
	pushJsonbValue(st, WJB_VALUE, &v);
}

/* Pushes {"col": value, ...} for the columns flagged in 'which'. */
void
RowPushImage(JsonbParseState **st, TableInfo *t, Datum *values, bool *nulls, bool *which)
{
	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	for (int k = 0; k < t->natts; k++)
	{
		int			i = t->key_order[k];

		if (!which[i])
			continue;
		RowPushKey(st, t->cols[i].name, t->cols[i].namelen);
		PushValue(st, &t->cols[i], values[i], nulls[i]);
	}
	pushJsonbValue(st, WJB_END_OBJECT, NULL);
}

/* Pushes "redacted": [names] for the redacted columns flagged in 'which', if any. */
void
RowPushRedacted(JsonbParseState **st, TableInfo *t, bool *which)
{
	bool		any = false;

	for (int i = 0; i < t->natts; i++)
	{
		if (!which[i])
			continue;
		if (!any)
		{
			RowPushKey(st, "redacted", 8);
			pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
			any = true;
		}
		RowPushString(st, WJB_ELEM, t->cols[i].name);
	}
	if (any)
		pushJsonbValue(st, WJB_END_ARRAY, NULL);
}

/* The resource id: the key column's text, or a JSON array of texts for several. */
char *
RowResourceId(TableInfo *t, Datum *values, bool *nulls)
{
	JsonbParseState *st = NULL;
	JsonbValue *res;

	if (t->nkeys == 0)
		return NULL;
	if (t->nkeys == 1)
	{
		int			k = t->keys[0];

		return nulls[k] ? NULL : OutputFunctionCall(&t->cols[k].out, values[k]);
	}
	pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < t->nkeys; i++)
	{
		int			k = t->keys[i];

		if (nulls[k])
		{
			JsonbValue	v;

			v.type = jbvNull;
			pushJsonbValue(&st, WJB_ELEM, &v);
		}
		else
			RowPushString(&st, WJB_ELEM, OutputFunctionCall(&t->cols[k].out, values[k]));
	}
	res = pushJsonbValue(&st, WJB_END_ARRAY, NULL);
	return JsonbToCString(NULL, &JsonbValueToJsonb(res)->root, 0);
}
