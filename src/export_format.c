/*-------------------------------------------------------------------------
 *
 * src/export_format.c
 *	  The lines of export(): an event as NDJSON, CSV (RFC 4180) or OCSF.
 *
 * Each line is written straight into one buffer, without building JSON or
 * rows in between: the export's speed is mostly this file's. Times are ISO
 * 8601 in UTC in NDJSON and CSV (any session reads them back the same),
 * milliseconds since the Unix epoch in OCSF, as its schema wants. No line
 * holds a line break but CSV's, inside a quoted field, as RFC 4180 says.
 *
 * OCSF (schema 1.1.0): auth.login and auth.logout are Authentication
 * (3002) Logon and Logoff; <type>.create, .read, .update, .delete (and
 * .truncate) are API Activity (6003) Create, Read, Update, Delete, auth.*
 * ones included (DESIGN maps every *.create so); the other auth.* actions
 * are Authentication Other, any other action API Activity Other (99). The
 * README's table lists every field. The lines carry the ids, not their
 * captions (class_name, activity_name, ...), which OCSF makes optional:
 * they follow from the ids, and would make every line a third longer.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/memutils.h"

#include "export.h"
#include "validate.h"

/* The OCSF schema version the OCSF lines follow. */
#define OCSF_VERSION	"1.1.0"

/* An OCSF class and activity, and the JSON members that say so. */
typedef struct OcsfClass
{
	int			class_uid;
	int			category_uid;
	int			activity_id;
	char	   *members;		/* "class_uid":...,"type_uid":..., made once */
} OcsfClass;

static inline void JsonKey(StringInfo buf, bool *first, const char *key);
static void AppendJsonString(StringInfo buf, const char *value);
static void AppendInt(StringInfo buf, int64 value);
static inline void JsonText(StringInfo buf, bool *first, const char *key, const char *value, bool keep_null);
static inline void JsonInt(StringInfo buf, bool *first, const char *key, int64 value);
static inline void JsonDetails(StringInfo buf, bool *first, const char *key, Jsonb *details, bool keep_null);
static void AppendIsoTime(StringInfo buf, TimestampTz ts);
static void CsvField(StringInfo buf, const char *value, bool first);
static void AppendNdjson(StringInfo buf, const ExportEvent *ev);
static void AppendCsv(StringInfo buf, const ExportEvent *ev);
static const OcsfClass *OcsfClassify(const char *action);
static const char *OcsfOutcomeMembers(AuditOutcome outcome);
static void AppendOcsfUser(StringInfo buf, bool *first, const char *key, const ExportEvent *ev);
static void AppendOcsfObjects(StringInfo buf, bool *first, const ExportEvent *ev, const OcsfClass *c);
static void AppendOcsf(StringInfo buf, const ExportEvent *ev);

/* ------------------------------------------------------------------------
 * internal: JSON and CSV pieces
 * ------------------------------------------------------------------------
 */

/* Appends "key": (after a comma unless it is the object's first member). */
static inline void
JsonKey(StringInfo buf, bool *first, const char *key)
{
	size_t		len = strlen(key);

	enlargeStringInfo(buf, len + 4);
	if (!*first)
		buf->data[buf->len++] = ',';
	*first = false;
	buf->data[buf->len++] = '"';
	memcpy(buf->data + buf->len, key, len);
	buf->len += len;
	buf->data[buf->len++] = '"';
	buf->data[buf->len++] = ':';
	buf->data[buf->len] = '\0';
}

/*
 * Appends a JSON string. Most strings need no escaping: those are copied
 * whole, the others go through escape_json.
 */
static void
AppendJsonString(StringInfo buf, const char *value)
{
	const unsigned char *p = (const unsigned char *) value;
	size_t		len;

	while (*p >= 0x20 && *p != '"' && *p != '\\')
		p++;
	if (*p != '\0')
	{
		escape_json(buf, value);
		return;
	}
	len = p - (const unsigned char *) value;
	enlargeStringInfo(buf, len + 2);
	buf->data[buf->len++] = '"';
	memcpy(buf->data + buf->len, value, len);
	buf->len += len;
	buf->data[buf->len++] = '"';
	buf->data[buf->len] = '\0';
}

/* Appends an integer in decimal. */
static void
AppendInt(StringInfo buf, int64 value)
{
	char		digits[MAXINT8LEN + 1];

	(void) pg_lltoa(value, digits);
	appendStringInfoString(buf, digits);
}

/* Appends "key":"value", or "key":null when keep_null (else nothing) for NULL. */
static inline void
JsonText(StringInfo buf, bool *first, const char *key, const char *value, bool keep_null)
{
	if (value == NULL && !keep_null)
		return;
	JsonKey(buf, first, key);
	if (value)
		AppendJsonString(buf, value);
	else
		appendBinaryStringInfo(buf, "null", 4);
}

/* Appends "key":value for an integer. */
static inline void
JsonInt(StringInfo buf, bool *first, const char *key, int64 value)
{
	JsonKey(buf, first, key);
	AppendInt(buf, value);
}

/* Appends "key":{...details...}, or null as JsonText does. */
static inline void
JsonDetails(StringInfo buf, bool *first, const char *key, Jsonb *details, bool keep_null)
{
	if (details == NULL && !keep_null)
		return;
	JsonKey(buf, first, key);
	if (details)
		(void) JsonbToCString(buf, &details->root, VARSIZE(details));
	else
		appendBinaryStringInfo(buf, "null", 4);
}

/*
 * Appends a time as ISO 8601 in UTC, as PostgreSQL's JSON writes it
 * (2026-05-07T22:39:19.123+00:00: no trailing zeros in the fraction).
 * Years outside 1-9999 go the long way.
 */
static void
AppendIsoTime(StringInfo buf, TimestampTz ts)
{
	int64		days = ts / USECS_PER_DAY;
	int64		usecs = ts % USECS_PER_DAY;
	int			year,
				month,
				day;
	char		text[MAXDATELEN + 1];
	char	   *p = text;

	if (usecs < 0)
	{
		usecs += USECS_PER_DAY;
		days--;
	}
	if (!TIMESTAMP_NOT_FINITE(ts))
		j2date((int) (days + POSTGRES_EPOCH_JDATE), &year, &month, &day);
	if (TIMESTAMP_NOT_FINITE(ts) || year < 1 || year > 9999)
	{
		const int	utc = 0;

		appendStringInfoString(buf, JsonEncodeDateTime(text, TimestampTzGetDatum(ts),
													   TIMESTAMPTZOID, &utc));
		return;
	}
	p = pg_ultostr_zeropad(p, year, 4);
	*p++ = '-';
	p = pg_ultostr_zeropad(p, month, 2);
	*p++ = '-';
	p = pg_ultostr_zeropad(p, day, 2);
	*p++ = 'T';
	p = pg_ultostr_zeropad(p, (uint32) (usecs / USECS_PER_HOUR), 2);
	*p++ = ':';
	p = pg_ultostr_zeropad(p, (uint32) (usecs / USECS_PER_MINUTE % 60), 2);
	*p++ = ':';
	p = pg_ultostr_zeropad(p, (uint32) (usecs / USECS_PER_SEC % 60), 2);
	if (usecs % USECS_PER_SEC != 0)
	{
		*p++ = '.';
		p = pg_ultostr_zeropad(p, (uint32) (usecs % USECS_PER_SEC), 6);
		while (p[-1] == '0')
			p--;
	}
	memcpy(p, "+00:00", 6);
	appendBinaryStringInfo(buf, text, p + 6 - text);
}

/*
 * Appends one CSV field, after a comma unless it is the first: quoted when
 * it holds a comma, a quote or a line break (quotes doubled), or is empty
 * (so that it reads back as an empty string, not as NULL); nothing for NULL.
 */
static void
CsvField(StringInfo buf, const char *value, bool first)
{
	if (!first)
		appendStringInfoChar(buf, ',');
	if (value == NULL)
		return;
	if (value[0] != '\0' && value[strcspn(value, ",\"\r\n")] == '\0')
	{
		appendStringInfoString(buf, value);
		return;
	}
	appendStringInfoChar(buf, '"');
	for (const char *p = value; *p; p++)
	{
		if (*p == '"')
			appendStringInfoChar(buf, '"');
		appendStringInfoChar(buf, *p);
	}
	appendStringInfoChar(buf, '"');
}

/* ------------------------------------------------------------------------
 * internal: the formats
 * ------------------------------------------------------------------------
 */

/* One JSON object with the columns of auditlog.events, nulls included. */
static void
AppendNdjson(StringInfo buf, const ExportEvent *ev)
{
	bool		first = true;

	appendStringInfoChar(buf, '{');
	JsonInt(buf, &first, "id", ev->id);
	JsonKey(buf, &first, "occurred_at");
	appendStringInfoChar(buf, '"');
	AppendIsoTime(buf, ev->occurred_at);
	appendStringInfoChar(buf, '"');
	JsonText(buf, &first, "actor", ev->actor, true);
	JsonText(buf, &first, "actor_id", ev->actor_id, true);
	JsonText(buf, &first, "action", ev->action, true);
	JsonText(buf, &first, "resource_type", ev->resource_type, true);
	JsonText(buf, &first, "resource_id", ev->resource_id, true);
	JsonText(buf, &first, "outcome", AuditOutcomeName(ev->outcome), true);
	JsonText(buf, &first, "org_id", ev->org_id, true);
	JsonDetails(buf, &first, "details", ev->details, true);
	JsonText(buf, &first, "db_user", ev->db_user, true);
	JsonText(buf, &first, "client_addr", ev->client_addr, true);
	JsonText(buf, &first, "application_name", ev->application_name, true);
	JsonInt(buf, &first, "txid", ev->txid);
	appendStringInfoChar(buf, '}');
}

/* One CSV record with the columns of auditlog.events, in their order. */
static void
AppendCsv(StringInfo buf, const ExportEvent *ev)
{
	StringInfoData scratch;

	AppendInt(buf, ev->id);
	appendStringInfoChar(buf, ',');
	AppendIsoTime(buf, ev->occurred_at);
	CsvField(buf, ev->actor, false);
	CsvField(buf, ev->actor_id, false);
	CsvField(buf, ev->action, false);
	CsvField(buf, ev->resource_type, false);
	CsvField(buf, ev->resource_id, false);
	CsvField(buf, AuditOutcomeName(ev->outcome), false);
	CsvField(buf, ev->org_id, false);
	if (ev->details)
	{
		initStringInfo(&scratch);
		(void) JsonbToCString(&scratch, &ev->details->root, VARSIZE(ev->details));
		CsvField(buf, scratch.data, false);
		pfree(scratch.data);
	}
	else
		CsvField(buf, NULL, false);
	CsvField(buf, ev->db_user, false);
	CsvField(buf, ev->client_addr, false);
	CsvField(buf, ev->application_name, false);
	appendStringInfoChar(buf, ',');
	AppendInt(buf, ev->txid);
}

/*
 * The OCSF class and activity of an action (see the file's header), with
 * the members that name them, made once.
 */
static const OcsfClass *
OcsfClassify(const char *action)
{
	static OcsfClass classes[] = {
		{3002, 3, 1, NULL},		/* Authentication (Identity & Access Management): Logon */
		{3002, 3, 2, NULL},		/* Logoff */
		{3002, 3, 99, NULL},	/* Other */
		{6003, 6, 1, NULL},		/* API Activity (Application Activity): Create */
		{6003, 6, 2, NULL},		/* Read */
		{6003, 6, 3, NULL},		/* Update */
		{6003, 6, 4, NULL},		/* Delete */
		{6003, 6, 99, NULL},	/* Other */
	};
	const char *verb = strrchr(action, '.');
	OcsfClass  *c;

	verb = verb ? verb + 1 : action;
	if (strcmp(action, "auth.login") == 0)
		c = &classes[0];
	else if (strcmp(action, "auth.logout") == 0)
		c = &classes[1];
	else if (strcmp(verb, "create") == 0)
		c = &classes[3];
	else if (strcmp(verb, "read") == 0)
		c = &classes[4];
	else if (strcmp(verb, "update") == 0)
		c = &classes[5];
	else if (strcmp(verb, "delete") == 0 || strcmp(verb, "truncate") == 0)
		c = &classes[6];
	else if (strncmp(action, "auth.", 5) == 0)
		c = &classes[2];
	else
		c = &classes[7];
	if (c->members == NULL)
		c->members = MemoryContextStrdup(TopMemoryContext,
										 psprintf("\"class_uid\":%d,\"category_uid\":%d,\"activity_id\":%d,"
												  "\"type_uid\":%d",
												  c->class_uid, c->category_uid, c->activity_id,
												  c->class_uid * 100 + c->activity_id));
	return c;
}

/*
 * The members of an OCSF event that follow from its outcome: severity
 * (Informational, Low, Medium) and status (Success, Failure, Failure).
 */
static const char *
OcsfOutcomeMembers(AuditOutcome outcome)
{
	static char *members[AUDIT_OUTCOME_COUNT];

	if (members[outcome] == NULL)
		members[outcome] = MemoryContextStrdup(TopMemoryContext,
											   psprintf(",\"severity_id\":%d,\"status_id\":%d,\"status_detail\":\"%s\"",
														outcome + 1, outcome == AUDIT_OUTCOME_SUCCESS ? 1 : 2,
														AuditOutcomeName(outcome)));
	return members[outcome];
}

/* Appends "key":{"name":actor,"uid":actor_id}. */
static void
AppendOcsfUser(StringInfo buf, bool *first, const char *key, const ExportEvent *ev)
{
	bool		inner = true;

	JsonKey(buf, first, key);
	appendStringInfoChar(buf, '{');
	JsonText(buf, &inner, "name", ev->actor, false);
	JsonText(buf, &inner, "uid", ev->actor_id, false);
	appendStringInfoChar(buf, '}');
}

/* The objects of an OCSF event: metadata, actor, user or api, resources, endpoint. */
static void
AppendOcsfObjects(StringInfo buf, bool *first, const ExportEvent *ev, const OcsfClass *c)
{
	bool		inner = false;

	appendStringInfoString(buf, ",\"metadata\":{\"version\":\"" OCSF_VERSION "\","
						   "\"product\":{\"name\":\"auditlog\",\"vendor_name\":\"auditlog\"},\"uid\":\"");
	AppendInt(buf, ev->id);
	appendStringInfoString(buf, "\",\"correlation_uid\":\"");
	AppendInt(buf, ev->txid);
	appendStringInfoChar(buf, '"');
	JsonText(buf, &inner, "tenant_uid", ev->org_id, false);
	appendStringInfoChar(buf, '}');

	/*
	 * Who: for an authentication, the user who logged on or off (the actor
	 * too: only its application is said again); for the others, the actor.
	 */
	inner = true;
	if (c->class_uid == 3002)
		AppendOcsfUser(buf, first, "user", ev);
	if (c->class_uid != 3002 || ev->application_name)
	{
		appendStringInfoString(buf, ",\"actor\":{");
		if (c->class_uid != 3002)
			AppendOcsfUser(buf, &inner, "user", ev);
		JsonText(buf, &inner, "app_name", ev->application_name, false);
		appendStringInfoChar(buf, '}');
	}
	if (c->class_uid != 3002)
	{
		appendStringInfoString(buf, ",\"api\":{\"operation\":");
		AppendJsonString(buf, ev->action);
		if (ev->resource_type)
		{
			appendStringInfoString(buf, ",\"service\":{\"name\":");
			AppendJsonString(buf, ev->resource_type);
			appendStringInfoChar(buf, '}');
		}
		appendStringInfoChar(buf, '}');
	}
	if (ev->resource_type)
	{
		appendStringInfoString(buf, ",\"resources\":[{");
		inner = true;
		JsonText(buf, &inner, "type", ev->resource_type, false);
		JsonText(buf, &inner, "uid", ev->resource_id, false);
		appendStringInfoString(buf, "}]");
	}
	if (ev->client_addr)
	{
		appendStringInfoString(buf, ",\"src_endpoint\":{\"ip\":");
		AppendJsonString(buf, ev->client_addr);
		appendStringInfoChar(buf, '}');
	}
}

/* One OCSF 1.x event object. */
static void
AppendOcsf(StringInfo buf, const ExportEvent *event)
{
	ExportEvent copy = *event;
	const ExportEvent *ev = &copy;
	const OcsfClass *c;
	bool		first = false;
	bool		inner = true;
	int64		ms;

	/* an action is never missing from the catalogue; if it were, it is "" */
	if (copy.action == NULL)
		copy.action = "";
	c = OcsfClassify(ev->action);
	/* microseconds since 2000-01-01 to milliseconds since 1970-01-01, rounding down */
	ms = ev->occurred_at / 1000 - (ev->occurred_at % 1000 < 0 ? 1 : 0) +
		(int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000;

	appendStringInfoChar(buf, '{');
	appendStringInfoString(buf, c->members);
	JsonInt(buf, &first, "time", ms);
	appendStringInfoString(buf, OcsfOutcomeMembers(ev->outcome));
	AppendOcsfObjects(buf, &first, ev, c);

	/* what OCSF has no place for */
	appendStringInfoString(buf, ",\"unmapped\":{");
	JsonText(buf, &inner, "db_user", ev->db_user, false);
	JsonDetails(buf, &inner, "details", ev->details, false);
	appendStringInfoString(buf, "}}");
}

/* ------------------------------------------------------------------------
 * exported
 * ------------------------------------------------------------------------
 */

/* The format named (ndjson, csv, ocsf; any case); errors for anything else. */
ExportFormat
ExportParseFormat(const char *name)
{
	if (pg_strcasecmp(name, "ndjson") == 0)
		return EXPORT_NDJSON;
	if (pg_strcasecmp(name, "csv") == 0)
		return EXPORT_CSV;
	if (pg_strcasecmp(name, "ocsf") == 0)
		return EXPORT_OCSF;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown export format \"%s\"", AuditClip(name, AUDIT_CLIP)),
			 errhint("The formats are ndjson (the default), csv and ocsf.")));
	pg_unreachable();
}

/* The first line of a CSV export: the columns of auditlog.events. */
const char *
ExportCsvHeader(void)
{
	return "id,occurred_at,actor,actor_id,action,resource_type,resource_id,outcome,"
		"org_id,details,db_user,client_addr,application_name,txid";
}

/* Appends one event's line (without a line break) in the format. */
void
ExportAppendEvent(StringInfo buf, ExportFormat format, const ExportEvent *ev)
{
	switch (format)
	{
		case EXPORT_NDJSON:
			AppendNdjson(buf, ev);
			break;
		case EXPORT_CSV:
			AppendCsv(buf, ev);
			break;
		case EXPORT_OCSF:
			AppendOcsf(buf, ev);
			break;
	}
}
