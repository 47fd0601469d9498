/*-------------------------------------------------------------------------
 *
 * src/event_form.c
 *	  An event's row: actor, dictionary ids, and the context the application
 *	  cannot forge.
 *
 * Who acts comes from the caller or the application's settings; the rest of
 * the context (the session's role, the client's address, the transaction)
 * comes from the server. Both are looked up once per backend where they
 * cannot change, and again when they can (a role renamed or dropped).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "auditlog.h"
#include "event.h"
#include "labels.h"
#include "validate.h"

#define VALUE(row, anum)	((row)->values[(anum) - 1])
#define ISNULL(row, anum)	((row)->nulls[(anum) - 1])

/* client address of this backend's connection, looked up once */
static bool client_addr_known = false;
static bool client_addr_null = true;
static Datum client_addr = (Datum) 0;

/* last session user seen, and its name (forgotten when any role changes) */
static Oid	db_user_oid = InvalidOid;
static char db_user_name[NAMEDATALEN];

static void RoleCallback(Datum arg, int cacheid, uint32 hashvalue);
static const char *SessionUserName(void);
static void LoadClientAddr(void);
static void ResolveActor(AuditEvent *ev);
static void SetLabel(AuditRow *row, int anum, char kind, const char *label);

/* A role was renamed or dropped: look the session user's name up again. */
static void
RoleCallback(Datum arg, int cacheid, uint32 hashvalue)
{
	db_user_oid = InvalidOid;
}

/* The session user's name, looked up again only when the role changes. */
static const char *
SessionUserName(void)
{
	Oid			session_user = GetSessionUserId();

	if (session_user != db_user_oid)
	{
		strlcpy(db_user_name, GetUserNameFromId(session_user, false), NAMEDATALEN);
		db_user_oid = session_user;
	}
	return db_user_name;
}

/* The client's address, or null over a unix socket; constant per backend. */
static void
LoadClientAddr(void)
{
	LOCAL_FCINFO(fcinfo, 0);
	Datum		d;

	InitFunctionCallInfoData(*fcinfo, NULL, 0, InvalidOid, NULL, NULL);
	d = inet_client_addr(fcinfo);
	client_addr_null = fcinfo->isnull;
	if (!client_addr_null)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		client_addr = datumCopy(d, false, -1);
		MemoryContextSwitchTo(old);
	}
	client_addr_known = true;
}

/*
 * Who acts: the caller's arguments, else auditlog.actor / auditlog.actor_id,
 * else the session's database role (with no actor id: auditlog.actor_id
 * is the id of auditlog.actor, not of the role). The organisation: the
 * argument, else auditlog.org_id.
 */
static void
ResolveActor(AuditEvent *ev)
{
	bool		from_setting = false;

	if (ev->actor == NULL)
	{
		from_setting = (auditlog_actor && auditlog_actor[0] != '\0');
		ev->actor = from_setting ? auditlog_actor : SessionUserName();
		if (from_setting)
			AuditCheckLabelLength("auditlog.actor", ev->actor);
	}
	if (ev->actor_id == NULL && from_setting &&
		auditlog_actor_id && auditlog_actor_id[0] != '\0')
	{
		ev->actor_id = auditlog_actor_id;
		AuditCheckLabelLength("auditlog.actor_id", ev->actor_id);
	}
	if (ev->org_id == NULL && !ev->system && auditlog_org_id && auditlog_org_id[0] != '\0')
	{
		ev->org_id = auditlog_org_id;
		AuditCheckLabelLength("auditlog.org_id", ev->org_id);
	}
}

/* Errors when a label of the event, given or from the settings, cannot be stored. */
static void
CheckEventLabels(const AuditEvent *ev)
{
	AuditCheckLabel("actor", ev->actor, NULL);
	AuditCheckLabel("actor_id", ev->actor_id, NULL);
	AuditCheckLabel("org_id", ev->org_id, NULL);
	AuditCheckLabel("resource_type", ev->resource_type, NULL);
}

/* Sets a dictionary column to the label's id, or to null without a label. */
static void
SetLabel(AuditRow *row, int anum, char kind, const char *label)
{
	if (label)
		VALUE(row, anum) = Int32GetDatum(AuditLabelId(kind, label));
	else
		ISNULL(row, anum) = true;
}

/*
 * Resolves the actor and organisation from this session's settings, and
 * takes its context (role, application, client address) as text, for an
 * event another backend writes on this session's behalf.
 */
void
AuditCaptureContext(AuditEvent *ev)
{
	ResolveActor(ev);
	/* here too: refused as log_event refuses them, not as an event too large for the writer */
	CheckEventLabels(ev);
	ev->db_user = pstrdup(SessionUserName());
	ev->application_name = (application_name && application_name[0] != '\0') ?
		pstrdup(application_name) : NULL;
	if (!client_addr_known)
		LoadClientAddr();
	ev->client_addr = client_addr_null ? NULL :
		DatumGetCString(DirectFunctionCall1(inet_out, client_addr));
	ev->context_given = true;
}

/*
 * Fills the row of an event, all but its id: resolves the actor and the
 * dictionary ids, and adds the context the application cannot forge
 * (this session's, unless the event carries another session's).
 */
void
AuditFormEvent(AuditEvent *ev, AuditRow *row)
{
	FullTransactionId fxid;

	if (!ev->context_given)
		ResolveActor(ev);
	CheckEventLabels(ev);
	/* callers and triggers check the resource id first: an index entry has a size limit */
	if (ev->resource_id && strlen(ev->resource_id) > AUDIT_MAX_RESOURCE_ID)
		elog(ERROR, "auditlog: resource id longer than %d bytes", AUDIT_MAX_RESOURCE_ID);

	/* every Datum set, those of nulls too: rows are copied whole into slots */
	memset(row, 0, sizeof(*row));

	/* the dictionaries first: they may run SQL of their own */
	VALUE(row, Anum_event_store_action_ref) = Int32GetDatum(AuditActionId(ev->action));
	SetLabel(row, Anum_event_store_actor_ref, LABEL_ACTOR, ev->actor);
	SetLabel(row, Anum_event_store_actor_id_ref, LABEL_ACTOR_ID, ev->actor_id);
	SetLabel(row, Anum_event_store_resource_type_ref, LABEL_RESOURCE_TYPE, ev->resource_type);
	SetLabel(row, Anum_event_store_org_ref, LABEL_ORG, ev->org_id);
	if (ev->context_given)
	{
		SetLabel(row, Anum_event_store_db_user_ref, LABEL_DB_USER, ev->db_user);
		SetLabel(row, Anum_event_store_application_ref, LABEL_APPLICATION, ev->application_name);
		if (ev->client_addr)
			VALUE(row, Anum_event_store_client_addr) =
				DirectFunctionCall1(inet_in, CStringGetDatum(ev->client_addr));
		ISNULL(row, Anum_event_store_client_addr) = (ev->client_addr == NULL);
	}
	else
	{
		SetLabel(row, Anum_event_store_db_user_ref, LABEL_DB_USER, SessionUserName());
		SetLabel(row, Anum_event_store_application_ref, LABEL_APPLICATION,
				 (application_name && application_name[0] != '\0') ? application_name : NULL);
		if (!client_addr_known)
			LoadClientAddr();
		VALUE(row, Anum_event_store_client_addr) = client_addr;
		ISNULL(row, Anum_event_store_client_addr) = client_addr_null;
	}

	VALUE(row, Anum_event_store_outcome) = AuditOutcomeGetDatum(ev->outcome);
	if (ev->resource_id)
		VALUE(row, Anum_event_store_resource_id) = CStringGetTextDatum(ev->resource_id);
	else
		ISNULL(row, Anum_event_store_resource_id) = true;
	if (ev->details)
		VALUE(row, Anum_event_store_details) = JsonbPGetDatum(ev->details);
	else
		ISNULL(row, Anum_event_store_details) = true;
	VALUE(row, Anum_event_store_occurred_at) =
		TimestampTzGetDatum(ev->occurred_at != 0 ? ev->occurred_at :
							GetCurrentStatementStartTimestamp());

	/*
	 * The transaction id is taken before the event id, so that whoever reads
	 * the sequence can wait for every transaction that may still commit an
	 * event with a smaller id.
	 */
	fxid = GetTopFullTransactionId();
	VALUE(row, Anum_event_store_txid) = Int64GetDatum((int64) U64FromFullTransactionId(fxid));
}

/* Module start-up: forget the session user's name when roles change. */
void
EventFormInit(void)
{
	CacheRegisterSyscacheCallback(AUTHOID, RoleCallback, (Datum) 0);
}
