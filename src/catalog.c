/*-------------------------------------------------------------------------
 *
 * src/catalog.c
 *	  Auditlog's own objects, found through the extension and cached.
 *
 * The C code never looks its objects up by a schema name the caller could
 * have taken over: the schema is the one pg_extension records for the
 * extension, the relations are looked up in it, and a relation found there
 * is used only if it belongs to the extension (pg_depend says so; an index
 * through its table), so that a look-alike put in the schema, under a name
 * freed by a rename, is never written to. Everything is cached
 * per backend and forgotten, together with every cache built on it, when a
 * relcache invalidation names one of the relations (DROP EXTENSION, a
 * restore, DDL on them) or the whole relcache; the event store is always
 * among them once the extension is known.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/index.h"
#include "catalog/indexing.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "access/stratnum.h"
#include "catalog/pg_am.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "utils/memutils.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "catalog.h"

#define MAX_RESET_CALLBACKS 16

static const char *const relation_names[AREL_COUNT] = {
	[AREL_EVENT_STORE] = "event_store",
	[AREL_EVENT_STORE_ID_SEQ] = "event_store_id_seq",
	[AREL_LABELS] = "labels",
	[AREL_LABELS_ID_SEQ] = "labels_id_seq",
	[AREL_LABELS_KIND_LABEL_KEY] = "labels_kind_label_key",
	[AREL_LABELS_PKEY] = "labels_pkey",
	[AREL_ACTION_TYPES] = "action_types",
	[AREL_ACTION_TYPES_ID_SEQ] = "action_types_id_seq",
	[AREL_ACTION_TYPES_ACTION_KEY] = "action_types_action_key",
	[AREL_ACTION_TYPES_PKEY] = "action_types_pkey",
	[AREL_REGISTRY] = "registry",
	[AREL_REGISTRY_PKEY] = "registry_pkey",
	[AREL_SUMMARY_STATE] = "summary_state",
};

static bool extension_known = false;
static Oid	extension_oid = InvalidOid;
static Oid	extension_schema = InvalidOid;
static Oid	extension_owner = InvalidOid;
static Oid	relids[AREL_COUNT];
static Oid	outcome_type = InvalidOid;
/*
 * "OPERATOR(schema.=)", in a buffer of its own rather than allocated: a
 * reset may come while a caller still holds the string, which must then
 * stay readable.
 */
static char outcome_eq[3 * NAMEDATALEN];
static bool outcome_eq_known = false;

/*
 * Counts the resets: a value read from the catalogs is kept only when no
 * reset came while it was being read (reading the catalogs may take in the
 * invalidation that resets us).
 */
static uint64 reset_generation = 0;

/* Counts every relcache invalidation this backend processes (AuditRelcacheGeneration). */
static uint64 relcache_generation = 0;

static AuditResetCallback reset_callbacks[MAX_RESET_CALLBACKS];
static int	n_reset_callbacks = 0;

static void ResetAll(void);
static void RelcacheCallback(Datum arg, Oid relid);
static void LoadExtension(void);
static void WatchEventStore(void);
static bool BelongsToExtension(Oid relid, Oid ext);

/* ------------------------------------------------------------------------
 * internal
 * ------------------------------------------------------------------------
 */

/* Forgets every oid and every cache built on them. */
static void
ResetAll(void)
{
	extension_known = false;
	extension_oid = extension_schema = extension_owner = InvalidOid;
	for (int i = 0; i < AREL_COUNT; i++)
		relids[i] = InvalidOid;
	outcome_type = InvalidOid;
	outcome_eq_known = false;
	reset_generation++;
	for (int i = 0; i < n_reset_callbacks; i++)
		reset_callbacks[i] ();
}

/* Relcache invalidation: reset when it concerns one of our relations. */
static void
RelcacheCallback(Datum arg, Oid relid)
{
	relcache_generation++;
	if (!OidIsValid(relid))
	{
		ResetAll();
		return;
	}
	for (int i = 0; i < AREL_COUNT; i++)
	{
		if (relids[i] == relid)
		{
			ResetAll();
			return;
		}
	}
}

/*
 * Reads the extension's oid, schema and owner from pg_extension, and keeps
 * them when no reset came meanwhile; extension_known stays false when the
 * extension is not there.
 */
static void
LoadExtension(void)
{
	for (int attempt = 0; attempt < 5; attempt++)
	{
		uint64		gen = reset_generation;
		Relation	rel;
		ScanKeyData key;
		SysScanDesc scan;
		HeapTuple	tup;
		bool		found = false;
		Oid			oid = InvalidOid;
		Oid			nsp = InvalidOid;
		Oid			owner = InvalidOid;

		rel = table_open(ExtensionRelationId, AccessShareLock);
		ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber, F_NAMEEQ,
					CStringGetDatum("auditlog"));
		scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
		tup = systable_getnext(scan);
		if (HeapTupleIsValid(tup))
		{
			Form_pg_extension ext = (Form_pg_extension) GETSTRUCT(tup);

			oid = ext->oid;
			nsp = ext->extnamespace;
			owner = ext->extowner;
			found = true;
		}
		systable_endscan(scan);
		table_close(rel, AccessShareLock);
		if (gen != reset_generation)
			continue;			/* reset while reading: read again */
		if (!found)
			return;
		extension_oid = oid;
		extension_schema = nsp;
		extension_owner = owner;
		extension_known = true;
		WatchEventStore();
		if (gen == reset_generation)
			return;
		/* reset while watching the event store: extension_known is false again */
	}
}

/*
 * Notes the event store's oid as soon as the extension is known, so that
 * its invalidation (DROP EXTENSION, a restore with --clean) resets every
 * cache of this backend, also of one that only ever reads the log with
 * search() and has looked no relation up itself: its plans and the
 * outcome type's oid would otherwise outlive the objects they name.
 */
static void
WatchEventStore(void)
{
	Oid			relid;
	Oid			ext = extension_oid;
	uint64		gen = reset_generation;

	if (OidIsValid(relids[AREL_EVENT_STORE]))
		return;
	relid = get_relname_relid(relation_names[AREL_EVENT_STORE], extension_schema);
	if (OidIsValid(relid) && BelongsToExtension(relid, ext) && gen == reset_generation)
		relids[AREL_EVENT_STORE] = relid;
}

/*
 * True when the relation is a member of extension 'ext' (an index: when its
 * table is). The caller passes the oid it read before: reading the catalogs
 * here may reset extension_oid.
 */
static bool
BelongsToExtension(Oid relid, Oid ext)
{
	Oid			member = relid;

	if (get_rel_relkind(relid) == RELKIND_INDEX)
		member = IndexGetRelation(relid, false);
	return getExtensionOfObject(RelationRelationId, member) == ext;
}

/* ------------------------------------------------------------------------
 * exported
 * ------------------------------------------------------------------------
 */

/*
 * A number that changes with every relcache invalidation this backend
 * processes, of any relation: for a cache of something that brings one
 * when it changes (a registration does, for its table: registry.c,
 * ddl.c), here at once and in every other backend once it commits.
 */
uint64
AuditRelcacheGeneration(void)
{
	return relcache_generation;
}

/* Registers a function that drops a cache when our oids are forgotten. */
void
AuditOnReset(AuditResetCallback cb)
{
	if (n_reset_callbacks >= MAX_RESET_CALLBACKS)
		elog(ERROR, "auditlog: too many reset callbacks");
	reset_callbacks[n_reset_callbacks++] = cb;
}

/* Oid of the extension in this database, or InvalidOid when missing_ok. */
Oid
AuditExtensionOid(bool missing_ok)
{
	if (!extension_known)
		LoadExtension();
	if (!extension_known && !missing_ok)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"auditlog\" is not installed in this database"),
				 errhint("Run CREATE EXTENSION auditlog in this database.")));
	return extension_oid;
}

/*
 * True when the extension is installed and complete, read afresh: false
 * while DROP EXTENSION auditlog runs, when our event triggers still fire.
 */
bool
AuditExtensionPresent(void)
{
	extension_known = false;
	LoadExtension();
	return extension_known &&
		OidIsValid(get_relname_relid(relation_names[AREL_REGISTRY], extension_schema));
}

/*
 * AuditExtensionPresent for a background worker between transactions: in a
 * transaction of its own, seeing what has committed.
 */
bool
AuditExtensionPresentNow(void)
{
	bool		present;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	present = AuditExtensionPresent();
	PopActiveSnapshot();
	CommitTransactionCommand();
	return present;
}

/* Oid of the extension's schema; errors when the extension is not installed. */
Oid
AuditSchemaOid(void)
{
	(void) AuditExtensionOid(false);
	return extension_schema;
}

/* The role that owns the extension: what auditlog's own SQL runs as. */
Oid
AuditExtensionOwner(void)
{
	(void) AuditExtensionOid(false);
	return extension_owner;
}

/*
 * Oid of one of the extension's relations. Reading pg_depend to check that
 * the relation is the extension's may take in an invalidation (autovacuum
 * analysing one of our tables sends one) that resets every oid of this
 * file, the extension's included: then it looks again.
 */
Oid
AuditRelid(AuditRelation rel)
{
	Assert(rel >= 0 && rel < AREL_COUNT);
	if (OidIsValid(relids[rel]))
		return relids[rel];
	for (int attempt = 0; attempt < 5; attempt++)
	{
		Oid			schema = AuditSchemaOid();
		Oid			ext = extension_oid;
		uint64		gen = reset_generation;
		Oid			relid = get_relname_relid(relation_names[rel], schema);
		bool		belongs;

		if (!OidIsValid(relid))
		{
			/* the extension may have been dropped and created again since */
			if (attempt == 0)
			{
				extension_known = false;
				continue;
			}
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("relation \"%s\" of extension auditlog does not exist",
							relation_names[rel]),
					 errhint("The auditlog extension is damaged; reinstall it.")));
		}
		belongs = BelongsToExtension(relid, ext);
		if (gen != reset_generation)
			continue;			/* reset meanwhile: look again */
		if (!belongs)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("relation \"%s.%s\" is not part of extension auditlog",
							get_namespace_name(schema), relation_names[rel]),
					 errdetail("Something else took the name of one of the extension's relations."),
					 errhint("Drop or rename that relation; ALTER EXTENSION auditlog UPDATE does not fix it.")));
		relids[rel] = relid;
		return relid;
	}
	elog(ERROR, "auditlog: the extension's relations kept changing while being looked up");
	return InvalidOid;			/* keep the compiler quiet */
}

/* Oid of type outcome, in the extension's schema. */
Oid
AuditOutcomeTypeOid(void)
{
	if (!OidIsValid(outcome_type))
	{
		Oid			typid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
											CStringGetDatum("outcome"),
											ObjectIdGetDatum(AuditSchemaOid()));

		if (!OidIsValid(typid) ||
			getExtensionOfObject(TypeRelationId, typid) != AuditExtensionOid(false))
			elog(ERROR, "auditlog: type outcome is missing");
		outcome_type = typid;
	}
	return outcome_type;
}

/*
 * "OPERATOR(schema.=)" for two outcomes, for the SQL the C code builds: the
 * equality of the type's btree operator class, wherever it lives (in
 * pg_catalog since 0.2.0, in the extension's schema before the update).
 */
const char *
AuditOutcomeEqOperator(void)
{
	if (!outcome_eq_known)
	{
		Oid			typid = AuditOutcomeTypeOid();
		Oid			opclass = GetDefaultOpClass(typid, BTREE_AM_OID);
		Oid			opr = InvalidOid;
		HeapTuple	tup;
		char	   *nsp;

		if (OidIsValid(opclass))
			opr = get_opfamily_member(get_opclass_family(opclass), typid, typid,
									  BTEqualStrategyNumber);
		tup = OidIsValid(opr) ? SearchSysCache1(OPEROID, ObjectIdGetDatum(opr)) : NULL;
		if (!HeapTupleIsValid(tup))
			elog(ERROR, "auditlog: the equality operator of type outcome is missing");
		nsp = get_namespace_name(((Form_pg_operator) GETSTRUCT(tup))->oprnamespace);
		ReleaseSysCache(tup);
		snprintf(outcome_eq, sizeof(outcome_eq), "OPERATOR(%s.=)", quote_identifier(nsp));
		outcome_eq_known = true;
	}
	return outcome_eq;
}

/* Errors unless one of our tables has the number of columns the C code expects. */
void
AuditCheckNatts(Relation rel, int natts)
{
	if (RelationGetDescr(rel)->natts != natts)
		elog(ERROR, "auditlog: %s has %d columns, expected %d",
			 RelationGetRelationName(rel), RelationGetDescr(rel)->natts, natts);
}

/* Module start-up: follow invalidations of our relations. */
void
CatalogInit(void)
{
	CacheRegisterRelcacheCallback(RelcacheCallback, (Datum) 0);
}
