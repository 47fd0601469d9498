/*-------------------------------------------------------------------------
 *
 * src/outcome.c
 *	  The auditlog.outcome base type: I/O, comparison, hashing, labels.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"

#include "outcome.h"
#include "validate.h"

/* Names in sort order; the index is the stored byte. */
static const char *const outcome_names[AUDIT_OUTCOME_COUNT] = {
	"success", "failure", "denied"
};

/* Display labels for dashboards, same order. */
static const char *const outcome_labels[AUDIT_OUTCOME_COUNT] = {
	"Success", "Failure", "Denied"
};

/* Name of an outcome; elog for a byte that can only come from corruption. */
const char *
AuditOutcomeName(AuditOutcome o)
{
	if (o >= AUDIT_OUTCOME_COUNT)
		elog(ERROR, "auditlog: invalid outcome byte %d", (int) o);
	return outcome_names[o];
}

/* Parses a name, case-insensitively, with no surrounding space allowed. */
static AuditOutcome
OutcomeFromName(const char *str)
{
	for (int i = 0; i < AUDIT_OUTCOME_COUNT; i++)
	{
		if (pg_strcasecmp(str, outcome_names[i]) == 0)
			return (AuditOutcome) i;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type auditlog.outcome: \"%s\"", AuditClip(str, AUDIT_CLIP)),
			 errhint("Valid outcomes are success, failure and denied.")));
	pg_unreachable();
}

/* ------------------------------------------------------------------------
 * SQL-callable functions
 * ------------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(auditlog_outcome_in);
/* Text to outcome: "Success" reads as success. */
Datum
auditlog_outcome_in(PG_FUNCTION_ARGS)
{
	const char *str = PG_GETARG_CSTRING(0);

	PG_RETURN_AUDIT_OUTCOME(OutcomeFromName(str));
}

PG_FUNCTION_INFO_V1(auditlog_outcome_out);
/* Outcome to text, always lower case. */
Datum
auditlog_outcome_out(PG_FUNCTION_ARGS)
{
	AuditOutcome o = PG_GETARG_AUDIT_OUTCOME(0);

	PG_RETURN_CSTRING(pstrdup(AuditOutcomeName(o)));
}

PG_FUNCTION_INFO_V1(auditlog_outcome_recv);
/* Binary input: one byte, refused unless it is an outcome. */
Datum
auditlog_outcome_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			b = pq_getmsgbyte(buf);

	if (b < 0 || b >= AUDIT_OUTCOME_COUNT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary value for type auditlog.outcome: %d", b),
				 errhint("Valid values are 0 (success), 1 (failure) and 2 (denied).")));
	PG_RETURN_AUDIT_OUTCOME((AuditOutcome) b);
}

PG_FUNCTION_INFO_V1(auditlog_outcome_send);
/* Binary output: the stored byte. */
Datum
auditlog_outcome_send(PG_FUNCTION_ARGS)
{
	AuditOutcome o = PG_GETARG_AUDIT_OUTCOME(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, o);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

#define OUTCOME_CMP_FUNC(fname, op) \
PG_FUNCTION_INFO_V1(fname); \
Datum \
fname(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_BOOL(PG_GETARG_AUDIT_OUTCOME(0) op PG_GETARG_AUDIT_OUTCOME(1)); \
}

/* The six comparison operators. */
OUTCOME_CMP_FUNC(auditlog_outcome_eq, ==)
OUTCOME_CMP_FUNC(auditlog_outcome_ne, !=)
OUTCOME_CMP_FUNC(auditlog_outcome_lt, <)
OUTCOME_CMP_FUNC(auditlog_outcome_le, <=)
OUTCOME_CMP_FUNC(auditlog_outcome_gt, >)
OUTCOME_CMP_FUNC(auditlog_outcome_ge, >=)

PG_FUNCTION_INFO_V1(auditlog_outcome_cmp);
/* btree support function 1. */
Datum
auditlog_outcome_cmp(PG_FUNCTION_ARGS)
{
	int			a = PG_GETARG_AUDIT_OUTCOME(0);
	int			b = PG_GETARG_AUDIT_OUTCOME(1);

	PG_RETURN_INT32(a - b);
}

PG_FUNCTION_INFO_V1(auditlog_outcome_smaller);
/* The smaller of two outcomes: min()'s transition function. */
Datum
auditlog_outcome_smaller(PG_FUNCTION_ARGS)
{
	AuditOutcome a = PG_GETARG_AUDIT_OUTCOME(0);
	AuditOutcome b = PG_GETARG_AUDIT_OUTCOME(1);

	PG_RETURN_AUDIT_OUTCOME(a < b ? a : b);
}

PG_FUNCTION_INFO_V1(auditlog_outcome_larger);
/* The larger of two outcomes: max()'s transition function. */
Datum
auditlog_outcome_larger(PG_FUNCTION_ARGS)
{
	AuditOutcome a = PG_GETARG_AUDIT_OUTCOME(0);
	AuditOutcome b = PG_GETARG_AUDIT_OUTCOME(1);

	PG_RETURN_AUDIT_OUTCOME(a > b ? a : b);
}

PG_FUNCTION_INFO_V1(auditlog_outcome_hash);
/* hash support function 1. */
Datum
auditlog_outcome_hash(PG_FUNCTION_ARGS)
{
	return hash_uint32((uint32) PG_GETARG_AUDIT_OUTCOME(0));
}

PG_FUNCTION_INFO_V1(auditlog_outcome_hash_extended);
/* hash support function 2 (seeded, 64 bits). */
Datum
auditlog_outcome_hash_extended(PG_FUNCTION_ARGS)
{
	return hash_uint32_extended((uint32) PG_GETARG_AUDIT_OUTCOME(0),
								PG_GETARG_INT64(1));
}

PG_FUNCTION_INFO_V1(auditlog_outcome_label);
/* Display label for a badge: "Success", "Failure", "Denied". */
Datum
auditlog_outcome_label(PG_FUNCTION_ARGS)
{
	AuditOutcome o = PG_GETARG_AUDIT_OUTCOME(0);

	(void) AuditOutcomeName(o);
	PG_RETURN_TEXT_P(cstring_to_text(outcome_labels[o]));
}
