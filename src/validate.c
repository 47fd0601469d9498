/*-------------------------------------------------------------------------
 *
 * src/validate.c
 *	  The rules a label, an action or a resource id must follow.
 *
 * Each rule is written once, with the error it ends in: the SQL functions,
 * the settings and the triggers all check through these.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"

#include "validate.h"

/* A word of an action: [a-z][a-z0-9_]* over [start, end). */
static bool
WordIsValid(const char *start, const char *end)
{
	if (start >= end || !(*start >= 'a' && *start <= 'z'))
		return false;
	for (const char *p = start + 1; p < end; p++)
	{
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	}
	return true;
}

/* True for one lower-case word, as resource types and action parts are. */
bool
AuditWordIsValid(const char *word)
{
	return word && WordIsValid(word, word + strlen(word));
}

/* True for ^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$ within the length limit. */
bool
AuditActionIsValid(const char *action)
{
	const char *start = action;
	int			words = 0;
	size_t		len = strlen(action);

	if (len > AUDIT_MAX_LABEL)
		return false;
	for (;;)
	{
		const char *dot = strchr(start, '.');
		const char *end = dot ? dot : action + len;

		if (!WordIsValid(start, end))
			return false;
		words++;
		if (!dot)
			break;
		start = dot + 1;
	}
	return words >= 2;
}

/* Errors unless the action is well formed. */
void
AuditCheckAction(const char *action)
{
	if (!AuditActionIsValid(action))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid action \"%s\"", AuditClip(action, AUDIT_CLIP)),
				 errdetail("An action is two or more lower-case words joined by dots, at most %d bytes.",
						   AUDIT_MAX_LABEL),
				 errhint("Name it like \"auth.login\" or \"credential.token_refresh\".")));
}

/*
 * A caller's string as a message shows it: at most 'max' bytes, cut between
 * two characters and marked "..." when cut, control characters as '?'. A
 * refused value may be megabytes long, and every byte of it would go into
 * the client's error and the server's log.
 */
char *
AuditClip(const char *value, int max)
{
	int			len = strlen(value);
	/* (a string ending in a cut-off character: never past its end) */
	int			keep = Min(pg_mbcliplen(value, len, max), len);
	char	   *out = palloc(keep + 4);

	for (int i = 0; i < keep; i++)
		out[i] = ((unsigned char) value[i] < 0x20 || value[i] == 0x7f) ? '?' : value[i];
	strcpy(out + keep, keep < len ? "..." : "");
	return out;
}

/* True when a label is short enough to be stored. */
bool
AuditLabelFits(const char *value)
{
	return strlen(value) <= AUDIT_MAX_LABEL;
}

/* Errors when a label is too long to be stored. */
void
AuditCheckLabelLength(const char *what, const char *value)
{
	if (value && !AuditLabelFits(value))
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("%s is longer than %d bytes", what, AUDIT_MAX_LABEL),
				 errhint("Shorten it to at most %d bytes (it is %zu).", AUDIT_MAX_LABEL, strlen(value))));
}

/*
 * Errors when an optional label (NULL is fine) is empty or too long; the
 * hint for an empty one defaults to passing NULL instead.
 */
void
AuditCheckLabel(const char *what, const char *value, const char *empty_hint)
{
	if (value == NULL)
		return;
	if (value[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", what),
				 errhint("%s", empty_hint ? empty_hint : "Pass NULL instead of an empty string.")));
	AuditCheckLabelLength(what, value);
}

/* Errors when a resource id given by a caller is empty or too long to be stored. */
void
AuditCheckResourceId(const char *value)
{
	if (value && value[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("resource_id must not be empty"),
				 errhint("Pass NULL for an action on no resource.")));
	if (value && strlen(value) > AUDIT_MAX_RESOURCE_ID)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("resource_id is longer than %d bytes", AUDIT_MAX_RESOURCE_ID),
				 errhint("Shorten it to at most %d bytes (it is %zu), or name the resource by a shorter key.",
						 AUDIT_MAX_RESOURCE_ID, strlen(value))));
}

/*
 * Errors unless a resource type can name actions (<type>.create, ...):
 * one lower-case word, short enough for its actions to fit in a label, and
 * not "auditlog" (whose actions record what auditlog does, and which
 * log_event refuses for that reason). 'table_name' is given when the type
 * defaults to the table's name, so that the error says where the bad word
 * came from.
 */
void
AuditCheckResourceType(const char *resource_type, const char *table_name)
{
	if (AuditWordIsValid(resource_type) && strlen(resource_type) > AUDIT_MAX_RESOURCE_TYPE)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("resource_type is longer than %d bytes", AUDIT_MAX_RESOURCE_TYPE),
				 errdetail("It names its actions (<resource_type>.create and so on), which are labels of at most %d bytes.",
						   AUDIT_MAX_LABEL),
				 errhint("Pass resource_type => a word of at most %d bytes (it is %zu).",
						 AUDIT_MAX_RESOURCE_TYPE, strlen(resource_type))));
	if (strcmp(resource_type, "auditlog") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("resource type \"auditlog\" is auditlog's own"),
				 errdetail("Actions named auditlog.* record what auditlog does, such as a purge or a hold."),
				 errhint("Pass resource_type => another word, such as resource_type => 'audit_entry'.")));
	if (AuditWordIsValid(resource_type))
		return;
	if (table_name)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("table name \"%s\" cannot name actions", table_name),
				 errdetail("Actions are named <resource_type>.create and so on, with lower-case words."),
				 errhint("Pass resource_type => 'a_word', such as resource_type => 'connection'.")));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid resource_type \"%s\"", AuditClip(resource_type, AUDIT_CLIP)),
			 errdetail("A resource type is one lower-case word: [a-z][a-z0-9_]*."),
			 errhint("Such as 'connection' or 'api_key'.")));
}
