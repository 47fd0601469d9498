/*-------------------------------------------------------------------------
 *
 * src/tenant.c
 *	  Tenants: set_tenant(), unset_tenant(), and which organisations a
 *	  reader may read.
 *
 * auditlog.tenant_roles lists roles restricted to some organisations. A
 * reader is restricted when any of its identities -- the session user, the
 * role of SET ROLE, and current_user (the owner of a SECURITY DEFINER
 * function that reads for it) -- is such a role or a member of one,
 * directly or not, whether the membership inherits privileges or not.
 * Taking all three means that neither SET ROLE nor a function running with
 * another role's rights widens what a tenant reads, in either direction: a
 * tenant's session calling an administrator's function stays a tenant, and
 * a tenant's SECURITY DEFINER function called by an administrator reads as
 * the tenant. A reader under several tenant roles reads the organisations
 * they all allow (each restriction holds); superusers are members only of
 * the roles they were granted.
 *
 * The roles are stored as regrole, an oid that pg_dump writes as the role's
 * name: a renamed role stays a tenant, and a dump restored where the roles
 * exist under the same names keeps its tenants. The organisations are
 * stored by name, so that a tenant may be set up before its first event.
 *
 * The read paths (search, event_count, filter_options, export) call
 * AuditCaptureReader before they run anything as the extension's owner,
 * then AuditReaderOrgRefs; auditlog.events calls auditlog.tenant_visible()
 * in its WHERE clause, which looks up who reads once per query.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "catalog.h"
#include "event.h"
#include "labels.h"
#include "owner.h"
#include "spi_util.h"
#include "tenant.h"
#include "validate.h"

/* What tenant_visible() learnt at its first call in a query. */
typedef struct VisibleOrgs
{
	bool		restricted;
	int			n;
	int32		refs[FLEXIBLE_ARRAY_MEMBER];	/* sorted */
} VisibleOrgs;

static bool TenantTableExists(void);
static bool ReaderIsMember(const AuditReader *reader, Oid role);
static List *IntersectOrgs(List *orgs, Datum row_orgs, bool first);
static List *ReaderOrgNames(const AuditReader *reader, bool *restricted);
static int32 *OrgNamesToRefs(List *names, int *n);
static void RefuseTenantCaller(const AuditReader *reader, const char *function);
static Oid	CheckTenantRole(FunctionCallInfo fcinfo, const AuditReader *reader);
static Datum CheckOrgs(FunctionCallInfo fcinfo);
static char *RoleName(Oid role);
static void PushJsonString(JsonbParseState **state, JsonbIteratorToken token, const char *str);
static int	CompareRefs(const void *a, const void *b);
static void LogTenantChange(const char *action, Oid role, Datum orgs, bool orgs_null);

/* ------------------------------------------------------------------------
 * internal: who may read what
 * ------------------------------------------------------------------------
 */

/*
 * True when the extension has its table of tenants: a 0.1.0 database that
 * runs the 0.2.0 library has none, and no tenants.
 */
static bool
TenantTableExists(void)
{
	return OidIsValid(get_relname_relid("tenant_roles", AuditSchemaOid()));
}

/* True when one of the reader's identities is the role or a member of it. */
static bool
ReaderIsMember(const AuditReader *reader, Oid role)
{
	return is_member_of_role_nosuper(reader->session_user, role) ||
		is_member_of_role_nosuper(reader->outer_user, role) ||
		is_member_of_role_nosuper(reader->current_user, role);
}

/*
 * The organisations in both 'orgs' and the text[] 'row_orgs'; 'row_orgs'
 * alone when 'first'.
 */
static List *
IntersectOrgs(List *orgs, Datum row_orgs, bool first)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	List	   *result = NIL;

	deconstruct_array(DatumGetArrayTypeP(row_orgs), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		char	   *org;
		ListCell   *lc;

		if (nulls[i])
			continue;
		org = TextDatumGetCString(elems[i]);
		if (first)
		{
			result = lappend(result, org);
			continue;
		}
		foreach(lc, orgs)
		{
			if (strcmp((char *) lfirst(lc), org) == 0)
			{
				result = lappend(result, org);
				break;
			}
		}
	}
	return result;
}

/*
 * The names of the organisations the reader may read, and *restricted:
 * false (and NIL) when no tenant role applies to it. Inside SPI.
 */
static List *
ReaderOrgNames(const AuditReader *reader, bool *restricted)
{
	SpiArgs		args = {0};
	List	   *orgs = NIL;
	uint64		n;

	*restricted = false;
	if (!TenantTableExists())
		return NIL;
	n = SpiQuery("SELECT t.role, t.orgs FROM auditlog.tenant_roles t", &args, 0);
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;
		Oid			role = DatumGetObjectId(SpiGetDatum(i, 1, &isnull));
		Datum		row_orgs = SpiGetDatum(i, 2, &isnull);

		if (isnull || !ReaderIsMember(reader, role))
			continue;
		orgs = IntersectOrgs(orgs, row_orgs, !*restricted);
		*restricted = true;
	}
	return orgs;
}

/*
 * The dictionary ids of the named organisations; those no event names yet
 * have none and are left out. Inside SPI.
 */
static int32 *
OrgNamesToRefs(List *names, int *n)
{
	SpiArgs		args = {0};
	Datum	   *elems = palloc(sizeof(Datum) * Max(list_length(names), 1));
	int32	   *refs;
	ListCell   *lc;
	int			i = 0;
	uint64		found;

	foreach(lc, names)
		elems[i++] = CStringGetTextDatum((char *) lfirst(lc));
	SpiArg(&args, CHAROID, CharGetDatum(LABEL_ORG));
	SpiArg(&args, TEXTARRAYOID,
		   PointerGetDatum(construct_array(elems, i, TEXTOID, -1, false, TYPALIGN_INT)));
	found = SpiQuery("SELECT l.id FROM auditlog.labels l"
					 " WHERE l.kind OPERATOR(pg_catalog.=) $1"
					 "   AND l.label OPERATOR(pg_catalog.=) ANY ($2)"
					 " ORDER BY l.id",
					 &args, 0);
	refs = palloc(sizeof(int32) * Max(found, 1));
	for (uint64 j = 0; j < found; j++)
	{
		bool		isnull;

		refs[j] = DatumGetInt32(SpiGetDatum(j, 1, &isnull));
	}
	*n = (int) found;
	return refs;
}

/* Orders dictionary ids. */
static int
CompareRefs(const void *a, const void *b)
{
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;

	return (x > y) - (x < y);
}

/* ------------------------------------------------------------------------
 * internal: set_tenant() and unset_tenant()
 * ------------------------------------------------------------------------
 */

/* Errors when a tenant, or a member of one, calls 'function'. Inside SPI. */
static void
RefuseTenantCaller(const AuditReader *reader, const char *function)
{
	bool		restricted;

	(void) ReaderOrgNames(reader, &restricted);
	if (restricted)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for function %s", function),
				 errdetail("The session user, the role set with SET ROLE or the current user "
						   "is a tenant, or a member of one."),
				 errhint("Tenants cannot change tenants, whatever they were granted; "
						 "ask an administrator who is not one.")));
}

/*
 * set_tenant()'s role, checked: a role that exists, is not PUBLIC or a
 * superuser, and of which the caller is no member (it would restrict the
 * caller, who could then not undo it).
 */
static Oid
CheckTenantRole(FunctionCallInfo fcinfo, const AuditReader *reader)
{
	Oid			role;
	HeapTuple	tup;
	bool		super;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("role must not be null"),
				 errhint("Pass the role that is to read only some organisations' events, such as 'acme_dashboard'.")));
	role = PG_GETARG_OID(0);
	if (!OidIsValid(role))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("PUBLIC cannot be a tenant"),
				 errhint("Pass a role of its own, and grant it to the logins that are to share its view.")));
	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(role));
	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role with OID %u does not exist", role),
				 errhint("Pass the name of an existing role.")));
	super = ((Form_pg_authid) GETSTRUCT(tup))->rolsuper;
	ReleaseSysCache(tup);
	if (super)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("superuser \"%s\" cannot be a tenant", RoleName(role)),
				 errdetail("A superuser reads every table directly; no restriction would hold."),
				 errhint("Make a role without SUPERUSER the tenant.")));
	if (ReaderIsMember(reader, role))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot make role \"%s\" a tenant: it would restrict you", RoleName(role)),
				 errdetail("The session user, the role set with SET ROLE or the current user is a "
						   "member of \"%s\", and a tenant cannot change tenants.", RoleName(role)),
				 errhint("Run auditlog.set_tenant() as a role that is not a member of \"%s\".",
						 RoleName(role))));
	return role;
}

/*
 * set_tenant()'s organisations, checked: a one-dimensional array of
 * non-empty labels. Returns them sorted, each once, as a text[] Datum.
 */
static Datum
CheckOrgs(FunctionCallInfo fcinfo)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	bool		isnull;
	int			n;
	SpiArgs		args = {0};

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("orgs must not be null"),
				 errhint("Pass the organisations the role may read, such as ARRAY['acme'], or '{}' for none.")));
	arr = PG_GETARG_ARRAYTYPE_P(1);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("orgs must be a one-dimensional array"),
				 errhint("Pass a list of organisations, such as ARRAY['acme', 'globex'].")));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		char	   *org;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("orgs must not contain null"),
					 errhint("List organisation ids only, as events carry them in org_id.")));
		org = TextDatumGetCString(elems[i]);
		if (org[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("orgs must not contain an empty string"),
					 errhint("List organisation ids only, as events carry them in org_id.")));
		AuditCheckLabelLength("an organisation", org);
	}
	SpiArg(&args, TEXTARRAYOID, PointerGetDatum(arr));
	SpiQuery("SELECT COALESCE(pg_catalog.array_agg(DISTINCT o.org ORDER BY o.org), '{}')"
			 " FROM pg_catalog.unnest($1) AS o(org)", &args, 1);
	return SPI_datumTransfer(SpiGetDatum(0, 1, &isnull), false, -1);
}

/* A role's name, or its oid as text when it was dropped. */
static char *
RoleName(Oid role)
{
	char	   *name = GetUserNameFromId(role, true);

	return name ? name : psprintf("%u", role);
}

/* Pushes a string as a JSON value (or key) into a jsonb being built. */
static void
PushJsonString(JsonbParseState **state, JsonbIteratorToken token, const char *str)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) str;
	v.val.string.len = strlen(str);
	(void) pushJsonbValue(state, token, &v);
}

/*
 * The change of a tenant is itself an event: 'action' on resource "tenant"
 * (the role's name), details {"role": ..., "orgs": [...] or null}.
 */
static void
LogTenantChange(const char *action, Oid role, Datum orgs, bool orgs_null)
{
	AuditEvent	ev = {0};
	JsonbParseState *state = NULL;
	char	   *name = RoleName(role);

	(void) pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	PushJsonString(&state, WJB_KEY, "role");
	PushJsonString(&state, WJB_VALUE, name);
	PushJsonString(&state, WJB_KEY, "orgs");
	if (orgs_null)
	{
		JsonbValue	null = {.type = jbvNull};

		(void) pushJsonbValue(&state, WJB_VALUE, &null);
	}
	else
	{
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		deconstruct_array(DatumGetArrayTypeP(orgs), TEXTOID, -1, false, TYPALIGN_INT,
						  &elems, &nulls, &n);
		(void) pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
		for (int i = 0; i < n; i++)
			PushJsonString(&state, WJB_ELEM, TextDatumGetCString(elems[i]));
		(void) pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	}
	ev.details = JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL));
	ev.action = action;
	ev.resource_type = "tenant";
	ev.resource_id = name;
	ev.outcome = AUDIT_OUTCOME_SUCCESS;
	(void) AuditWriteEvent(&ev);
}

/* ------------------------------------------------------------------------
 * exported
 * ------------------------------------------------------------------------
 */

/* Records who reads, before anything runs as the extension's owner. */
void
AuditCaptureReader(AuditReader *reader)
{
	reader->session_user = GetSessionUserId();
	reader->outer_user = GetOuterUserId();
	reader->current_user = GetUserId();
}

/*
 * Whether the reader is a tenant; if so, *refs and *n are the dictionary
 * ids of the organisations it may read (*n may be 0: it reads nothing).
 * Inside SPI, as the extension's owner.
 */
bool
AuditReaderOrgRefs(const AuditReader *reader, int32 **refs, int *n)
{
	bool		restricted;
	List	   *names = ReaderOrgNames(reader, &restricted);

	*refs = NULL;
	*n = 0;
	if (!restricted)
		return false;
	if (names != NIL)
		*refs = OrgNamesToRefs(names, n);
	return true;
}

/* ------------------------------------------------------------------------
 * SQL-callable functions
 * ------------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(auditlog_set_tenant);
/*
 * auditlog.set_tenant(role regrole, orgs text[]): from now on the role, and
 * every role that is a member of it, reads only the events of these
 * organisations; setting it again replaces the list. Refused to tenants.
 */
Datum
auditlog_set_tenant(PG_FUNCTION_ARGS)
{
	AuditReader reader;
	AuditOwnerState st;
	SpiArgs		args = {0};
	Oid			role;
	Datum		orgs;

	PreventCommandIfReadOnly("auditlog.set_tenant()");
	AuditCaptureReader(&reader);
	AuditConnectAsOwner(&st);
	RefuseTenantCaller(&reader, "set_tenant");
	role = CheckTenantRole(fcinfo, &reader);
	orgs = CheckOrgs(fcinfo);
	SpiArg(&args, REGROLEOID, ObjectIdGetDatum(role));
	SpiArg(&args, TEXTARRAYOID, orgs);
	SpiExec("INSERT INTO auditlog.tenant_roles AS t (role, orgs) VALUES ($1, $2)"
			" ON CONFLICT (role) DO UPDATE SET orgs = EXCLUDED.orgs",
			&args, SPI_OK_INSERT);
	AuditFinishAsOwner(&st);
	LogTenantChange("auditlog.set_tenant", role, orgs, false);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(auditlog_unset_tenant);
/*
 * auditlog.unset_tenant(role regrole): the role reads again what its grants
 * give it. Works for a dropped role's oid too. Refused to tenants.
 */
Datum
auditlog_unset_tenant(PG_FUNCTION_ARGS)
{
	AuditReader reader;
	AuditOwnerState st;
	SpiArgs		args = {0};
	Oid			role;

	PreventCommandIfReadOnly("auditlog.unset_tenant()");
	AuditCaptureReader(&reader);
	AuditConnectAsOwner(&st);
	RefuseTenantCaller(&reader, "unset_tenant");
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("role must not be null"),
				 errhint("Pass a role listed by auditlog.tenants.")));
	role = PG_GETARG_OID(0);
	SpiArg(&args, REGROLEOID, ObjectIdGetDatum(role));
	if (SpiExec("DELETE FROM auditlog.tenant_roles t WHERE t.role OPERATOR(pg_catalog.=) $1",
				&args, SPI_OK_DELETE) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 OidIsValid(role) ? errmsg("role \"%s\" is not a tenant", RoleName(role))
				 : errmsg("PUBLIC is not a tenant"),
				 errhint("auditlog.tenants lists the tenants.")));
	AuditFinishAsOwner(&st);
	LogTenantChange("auditlog.unset_tenant", role, (Datum) 0, true);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(auditlog_tenant_visible);
/*
 * auditlog.tenant_visible(org_ref integer) RETURNS boolean: whether the
 * calling reader may read an event of that organisation (a dictionary id;
 * NULL: of none). auditlog.events filters on it. Who reads is looked up at
 * the first call of each query, and kept for the query's other rows.
 */
Datum
auditlog_tenant_visible(PG_FUNCTION_ARGS)
{
	VisibleOrgs *v = (VisibleOrgs *) fcinfo->flinfo->fn_extra;
	int32		org;

	if (v == NULL)
	{
		AuditReader reader;
		AuditOwnerState st;
		int32	   *refs;
		int			n;
		bool		restricted;

		AuditCaptureReader(&reader);
		AuditConnectAsOwner(&st);
		restricted = AuditReaderOrgRefs(&reader, &refs, &n);
		v = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, offsetof(VisibleOrgs, refs) + sizeof(int32) * Max(n, 1));
		v->restricted = restricted;
		v->n = n;
		if (n > 0)
			memcpy(v->refs, refs, sizeof(int32) * n);
		AuditFinishAsOwner(&st);
		qsort(v->refs, v->n, sizeof(int32), CompareRefs);
		fcinfo->flinfo->fn_extra = v;
	}
	if (!v->restricted)
		PG_RETURN_BOOL(true);
	if (PG_ARGISNULL(0))
		PG_RETURN_BOOL(false);
	org = PG_GETARG_INT32(0);
	PG_RETURN_BOOL(bsearch(&org, v->refs, v->n, sizeof(int32), CompareRefs) != NULL);
}
