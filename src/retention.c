/*-------------------------------------------------------------------------
 *
 * src/retention.c
 *	  Legal holds and auditlog.retention: what purges keep, and when they run.
 *
 * auditlog.hold(org_id, reason) keeps every event of an organisation from
 * purges until auditlog.release(org_id). The holds are the rows of
 * auditlog.hold_store (auditlog.holds shows them), which a purge reads
 * (purge.c); putting or releasing one is itself an event of that
 * organisation, auditlog.hold or auditlog.release.
 *
 * auditlog.retention is an interval, or empty to keep every event. The
 * maintenance worker applies it once a day (AuditRetentionStep): a purge
 * of what is older than that interval, with a short lock_timeout. The day
 * is counted from auditlog.retention_state; a purge that failed is tried
 * again an hour later.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "event.h"
#include "owner.h"
#include "purge.h"
#include "spi_util.h"
#include "validate.h"

/* How long the worker's purge waits for a lock before it tries again later. */
#define RETENTION_LOCK_TIMEOUT	"5s"
/* How long after a failed retention purge the worker tries again. */
#define RETENTION_RETRY_SECS	3600

char	   *auditlog_retention = NULL;

static char *OrgArg(FunctionCallInfo fcinfo, int n);
static void WriteHoldEvent(const char *action, const char *org_id, const char *reason);
static bool ParseRetention(const char *value, Interval *out);

/* ------------------------------------------------------------------------
 * internal: holds and the retention setting
 * ------------------------------------------------------------------------
 */

/* The org_id argument, checked. */
static char *
OrgArg(FunctionCallInfo fcinfo, int n)
{
	char	   *org;

	if (PG_ARGISNULL(n))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("org_id must not be null"),
				 errhint("Pass the organisation's id as its events carry it in org_id.")));
	org = text_to_cstring(PG_GETARG_TEXT_PP(n));
	AuditCheckLabel("org_id", org, "Pass the organisation's id as its events carry it in org_id.");
	return org;
}

/* The event of a hold put or released, of the organisation it concerns. */
static void
WriteHoldEvent(const char *action, const char *org_id, const char *reason)
{
	AuditEvent	ev = {0};

	ev.action = action;
	ev.outcome = AUDIT_OUTCOME_SUCCESS;
	ev.org_id = org_id;
	ev.system = true;
	if (reason)
	{
		JsonbParseState *state = NULL;
		JsonbValue	k,
					v;

		k.type = jbvString;
		k.val.string.val = "reason";
		k.val.string.len = strlen("reason");
		v.type = jbvString;
		v.val.string.val = (char *) reason;
		v.val.string.len = strlen(reason);
		(void) pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
		(void) pushJsonbValue(&state, WJB_KEY, &k);
		(void) pushJsonbValue(&state, WJB_VALUE, &v);
		ev.details = JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL));
	}
	(void) AuditWriteEvent(&ev);
}

/* Parses an interval without raising an error; false when it is not one. */
static bool
ParseRetention(const char *value, Interval *out)
{
	char		workbuf[256];
	char	   *field[MAXDATEFIELDS];
	int			ftype[MAXDATEFIELDS];
	int			nf;
	int			dtype;
	struct pg_itm_in itm;

	if (ParseDateTime(value, workbuf, sizeof(workbuf), field, ftype, MAXDATEFIELDS, &nf) != 0)
		return false;
	if (DecodeInterval(field, ftype, nf, INTERVAL_FULL_RANGE, &dtype, &itm) != 0 &&
		DecodeISO8601Interval((char *) value, &dtype, &itm) != 0)
		return false;
	if (dtype != DTK_DELTA || itmin2interval(&itm, out) != 0)
		return false;
	return true;
}

/*
 * Whether now() - retention is a timestamp (after 4714 BC), with a year to
 * spare: the span is taken with months of their average length, which a
 * calendar's months differ from by days over a long interval. A setting
 * that failed here would make every round of the worker fail.
 */
static bool
RetentionFits(const Interval *iv, TimestampTz now)
{
	double		span = (double) iv->time + (double) iv->day * USECS_PER_DAY +
		(double) iv->month * (DAYS_PER_YEAR / MONTHS_PER_YEAR) * USECS_PER_DAY;

	return span < (double) now - (double) MIN_TIMESTAMP - DAYS_PER_YEAR * USECS_PER_DAY;
}

/* ------------------------------------------------------------------------
 * exported
 * ------------------------------------------------------------------------
 */

bool
AuditRetentionCheck(char **newval, void **extra, GucSource source)
{
	Interval	iv;

	if (*newval == NULL || (*newval)[0] == '\0')
		return true;
	if (!ParseRetention(*newval, &iv))
	{
		GUC_check_errdetail("auditlog.retention is an interval, such as '13 months', or empty to keep every event.");
		return false;
	}
	if (iv.month < 0 || iv.day < 0 || iv.time < 0 || (iv.month == 0 && iv.day == 0 && iv.time == 0))
	{
		GUC_check_errdetail("auditlog.retention must be a positive interval, such as '13 months'.");
		return false;
	}
	if (!RetentionFits(&iv, GetCurrentTimestamp()))
	{
		GUC_check_errdetail("auditlog.retention reaches back before the first timestamp (4714 BC): keep events for fewer years, or set it empty to keep every event.");
		return false;
	}
	return true;
}

bool
AuditRetentionStep(void)
{
	static TimestampTz retry_at = 0;
	AuditOwnerState st;
	Interval	iv;
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz before;
	bool		due;

	if (auditlog_retention == NULL || auditlog_retention[0] == '\0' || now < retry_at ||
		!ParseRetention(auditlog_retention, &iv) || !RetentionFits(&iv, now) ||
		!OidIsValid(get_relname_relid("retention_state", AuditSchemaOid())))
		return false;
	AuditConnectAsOwner(&st);
	SpiExec("SELECT s.applied_at IS NULL OR s.applied_at OPERATOR(pg_catalog.<=)"
			" (pg_catalog.now() OPERATOR(pg_catalog.-) interval '1 day')"
			" FROM auditlog.retention_state s", NULL, SPI_OK_SELECT);
	due = SpiFirstBool(true);
	if (due)
	{
		before = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_mi_interval,
														 TimestampTzGetDatum(now),
														 IntervalPGetDatum(&iv)));
		/* a purge that fails (a lock not had in time) is tried again later */
		retry_at = now + (TimestampTz) RETENTION_RETRY_SECS * USECS_PER_SEC;
		SpiExec("SET LOCAL lock_timeout = '" RETENTION_LOCK_TIMEOUT "'", NULL, SPI_OK_UTILITY);
		(void) AuditPurge(before);
		SpiExec("UPDATE auditlog.retention_state SET applied_at = pg_catalog.now()",
				NULL, SPI_OK_UPDATE);
		retry_at = 0;
	}
	AuditFinishAsOwner(&st);
	return due;
}

/* ------------------------------------------------------------------------
 * SQL-callable functions
 * ------------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(auditlog_hold);
/*
 * auditlog.hold(org_id text, reason text): keeps every event of the
 * organisation from purges until it is released. Holding it again changes
 * the reason.
 */
Datum
auditlog_hold(PG_FUNCTION_ARGS)
{
	AuditOwnerState st;
	SpiArgs		args = {0};
	char	   *org;
	char	   *reason;

	org = OrgArg(fcinfo, 0);
	if (PG_ARGISNULL(1) || VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(1)) == 0)
		ereport(ERROR,
				(errcode(PG_ARGISNULL(1) ? ERRCODE_NULL_VALUE_NOT_ALLOWED : ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("reason must not be %s", PG_ARGISNULL(1) ? "null" : "empty"),
				 errhint("Say why the events are kept, such as the case or request it answers.")));
	reason = text_to_cstring(PG_GETARG_TEXT_PP(1));
	PreventCommandIfReadOnly("auditlog.hold()");
	AuditConnectAsOwner(&st);
	SpiArg(&args, TEXTOID, CStringGetTextDatum(org));
	SpiArg(&args, TEXTOID, CStringGetTextDatum(reason));
	SpiArg(&args, TEXTOID, CStringGetTextDatum(GetUserNameFromId(GetSessionUserId(), false)));
	SpiExec("INSERT INTO auditlog.hold_store AS h (org_id, reason, held_at, held_by)"
			" VALUES ($1, $2, pg_catalog.now(), $3)"
			" ON CONFLICT (org_id) DO UPDATE SET reason = EXCLUDED.reason",
			&args, SPI_OK_INSERT);
	AuditFinishAsOwner(&st);
	WriteHoldEvent("auditlog.hold", org, reason);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(auditlog_release);
/* auditlog.release(org_id text): ends the organisation's hold. */
Datum
auditlog_release(PG_FUNCTION_ARGS)
{
	AuditOwnerState st;
	SpiArgs		args = {0};
	char	   *org;
	uint64		n;

	org = OrgArg(fcinfo, 0);
	PreventCommandIfReadOnly("auditlog.release()");
	AuditConnectAsOwner(&st);
	SpiArg(&args, TEXTOID, CStringGetTextDatum(org));
	n = SpiExec("DELETE FROM auditlog.hold_store h WHERE h.org_id OPERATOR(pg_catalog.=) $1",
				&args, SPI_OK_DELETE);
	AuditFinishAsOwner(&st);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("organisation \"%s\" is not on hold", org),
				 errhint("auditlog.holds lists the organisations on hold.")));
	WriteHoldEvent("auditlog.release", org, NULL);
	PG_RETURN_VOID();
}
