/*-------------------------------------------------------------------------
 *
 * src/ddl_guard.c
 *	  DDL on auditlog's own objects: refused for everyone but a superuser,
 *	  written to the log when a superuser does it, and the guards put back.
 *
 * Only the extension changes its objects (its scripts, and its own SQL
 * with auditlog.internal on). Any other DDL command on an object in the
 * extension's schema, or on a trigger, rule, policy or index of one of its
 * tables (ALTER TABLE ... DISABLE TRIGGER, CREATE RULE, DROP TRIGGER,
 * CREATE INDEX, ...), is refused with 42501 unless a superuser runs it;
 * a superuser's gets a WARNING, which the server log keeps. (No event: the
 * tables being changed are the log itself, and a restore changes them
 * before their rows arrive.) Members of the owner's role are no superusers
 * here.
 *
 * After ALTER TABLE on auditlog's tables, their triggers are put back in
 * the state the extension made them: the append-only guards from plain
 * ENABLE (what ENABLE TRIGGER ALL leaves, as pg_restore --disable-triggers
 * runs it) to ENABLE ALWAYS, and the restore triggers (restore.c) to
 * ENABLE ALWAYS whatever was done to them. A guard a superuser disabled
 * stays disabled, with its WARNING.
 *
 * The extension's schema keeps its name and a superuser owner, whoever
 * tries otherwise: its SQL names it, and its owner could drop the log.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "catalog.h"
#include "ddl_watch.h"
#include "registry.h"
#include "spi_util.h"

static void Refuse(const char *tag, const char *identity);
static void Warn(const char *caller, const char *tag, const char *identity);
static void Judge(uint64 n, bool superuser, const char *caller, const char *tag);
static void CheckOwnSchema(void);
static void CheckSchemaGrant(Node *parsetree);
static void RestoreTriggerStates(void);

/* Errors: only a superuser may change auditlog's objects. */
static void
Refuse(const char *tag, const char *identity)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied for %s %s, in the schema of extension auditlog", tag, identity),
			 errdetail("Only a superuser may change auditlog's own objects, and that is logged."),
			 errhint("The extension changes its objects itself (ALTER EXTENSION auditlog UPDATE).")));
}

/* A superuser changed one of auditlog's objects: say so, in the server log too. */
static void
Warn(const char *caller, const char *tag, const char *identity)
{
	ereport(WARNING,
			(errcode(ERRCODE_WARNING),
			 errmsg("%s %s, in the schema of extension auditlog, by superuser \"%s\"",
					tag, identity, caller),
			 errdetail("The audit log's own objects are meant to change only with the extension.")));
}

/*
 * The objects of auditlog a command changed, their identities in column 1
 * of the last query's n rows: refused, unless a superuser ran it (warned).
 */
static void
Judge(uint64 n, bool superuser, const char *caller, const char *tag)
{
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;
		char	   *identity = TextDatumGetCString(SpiGetDatum(i, 1, &isnull));

		if (!superuser)
			Refuse(tag, identity);
		Warn(caller, tag, identity);
	}
}

/* The schema must keep its name and a superuser owner. */
static void
CheckOwnSchema(void)
{
	HeapTuple	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(AuditSchemaOid()));
	NameData	name;
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		return;
	name = ((Form_pg_namespace) GETSTRUCT(tup))->nspname;
	owner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
	ReleaseSysCache(tup);
	if (strcmp(NameStr(name), "auditlog") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("the schema of extension auditlog cannot be renamed to \"%s\"", NameStr(name)),
				 errdetail("The extension's functions and views name it auditlog."),
				 errhint("Keep it named auditlog.")));
	if (!superuser_arg(owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("the schema of extension auditlog cannot be owned by role \"%s\"",
						GetUserNameFromId(owner, false)),
				 errdetail("Its owner could drop the audit log with it."),
				 errhint("Give it to a superuser.")));
}

/* GRANT on schemas: nobody but a superuser may create objects in auditlog's. */
static void
CheckSchemaGrant(Node *parsetree)
{
	SpiArgs		args = {0};
	Datum		d;

	if (!IsA(parsetree, GrantStmt) || ((GrantStmt *) parsetree)->objtype != OBJECT_SCHEMA)
		return;
	SpiArg(&args, OIDOID, ObjectIdGetDatum(AuditSchemaOid()));
	SpiExec("SELECT CASE WHEN a.grantee OPERATOR(pg_catalog.=) 0 THEN 'PUBLIC'"
			"  ELSE pg_catalog.quote_ident(r.rolname) END"
			" FROM pg_catalog.pg_namespace n CROSS JOIN LATERAL pg_catalog.aclexplode(n.nspacl) a"
			" LEFT JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) a.grantee"
			" WHERE n.oid OPERATOR(pg_catalog.=) $1 AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'"
			"   AND a.grantee OPERATOR(pg_catalog.<>) n.nspowner"
			"   AND (a.grantee OPERATOR(pg_catalog.=) 0 OR NOT r.rolsuper) LIMIT 1",
			&args, SPI_OK_SELECT);
	if (SpiFirstDatum(&d))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s may not create objects in the schema of extension auditlog",
						TextDatumGetCString(d)),
				 errdetail("Whoever may create objects there could plant look-alikes of the extension's objects."),
				 errhint("Grant USAGE only.")));
}

/*
 * Puts auditlog's triggers on its tables back as the extension made them:
 * the guards from plain ENABLE to ENABLE ALWAYS, the restore triggers to
 * ENABLE ALWAYS from any state.
 */
static void
RestoreTriggerStates(void)
{
	SpiArgs		args = {0};
	uint64		n;
	List	   *stmts = NIL;
	ListCell   *lc;

	SpiArg(&args, OIDOID, ObjectIdGetDatum(AuditSchemaOid()));
	n = SpiExec("SELECT pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I',"
				"  t.tgrelid::pg_catalog.regclass, t.tgname)"
				" FROM pg_catalog.pg_trigger t"
				" JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) t.tgrelid"
				" JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) t.tgfoid"
				" WHERE c.relnamespace OPERATOR(pg_catalog.=) $1"
				"   AND p.pronamespace OPERATOR(pg_catalog.=) $1 AND NOT t.tgisinternal"
				"   AND t.tgenabled OPERATOR(pg_catalog.<>) 'A'"
				"   AND (t.tgenabled OPERATOR(pg_catalog.=) 'O'"
				"        OR p.proname OPERATOR(pg_catalog.=) ANY ('{restore_row,restore_statement}'))",
				&args, SPI_OK_SELECT);
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;

		stmts = lappend(stmts, TextDatumGetCString(SpiGetDatum(i, 1, &isnull)));
	}
	foreach(lc, stmts)
		SpiExec((char *) lfirst(lc), NULL, SPI_OK_UTILITY);
}

/* ------------------------------------------------------------------------
 * exported
 * ------------------------------------------------------------------------
 */

/*
 * ddl_command_end: the objects the command created or changed that are
 * auditlog's; refused unless a superuser ran it, then warned about, then
 * the triggers put back.
 */
void
GuardOwnObjectsEnd(bool superuser, const char *caller, const char *tag, Node *parsetree)
{
	SpiArgs		args = {0};
	uint64		n;
	bool		tables = false;

	CheckSchemaGrant(parsetree);
	/* the commonest DDL of all, and never on auditlog's objects */
	if (IsA(parsetree, CreateStmt) &&
		((CreateStmt *) parsetree)->relation->relpersistence == RELPERSISTENCE_TEMP)
		return;

	SpiArg(&args, OIDOID, ObjectIdGetDatum(AuditSchemaOid()));
	n = SpiExec("SELECT c.object_identity, c.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_namespace'::pg_catalog.regclass,"
				"  c.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
				" FROM pg_catalog.pg_event_trigger_ddl_commands() c"
				" WHERE c.objid IS NOT NULL AND $1 OPERATOR(pg_catalog.=) CASE c.classid"
				"  WHEN 'pg_catalog.pg_class'::pg_catalog.regclass THEN"
				"   (SELECT r.relnamespace FROM pg_catalog.pg_class r WHERE r.oid OPERATOR(pg_catalog.=) c.objid)"
				"  WHEN 'pg_catalog.pg_trigger'::pg_catalog.regclass THEN"
				"   (SELECT r.relnamespace FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class r"
				"     ON r.oid OPERATOR(pg_catalog.=) t.tgrelid WHERE t.oid OPERATOR(pg_catalog.=) c.objid)"
				"  WHEN 'pg_catalog.pg_rewrite'::pg_catalog.regclass THEN"
				"   (SELECT r.relnamespace FROM pg_catalog.pg_rewrite w JOIN pg_catalog.pg_class r"
				"     ON r.oid OPERATOR(pg_catalog.=) w.ev_class WHERE w.oid OPERATOR(pg_catalog.=) c.objid)"
				"  WHEN 'pg_catalog.pg_policy'::pg_catalog.regclass THEN"
				"   (SELECT r.relnamespace FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class r"
				"     ON r.oid OPERATOR(pg_catalog.=) p.polrelid WHERE p.oid OPERATOR(pg_catalog.=) c.objid)"
				"  WHEN 'pg_catalog.pg_namespace'::pg_catalog.regclass THEN c.objid"
				"  ELSE (SELECT s.oid FROM pg_catalog.pg_namespace s"
				"        WHERE s.nspname OPERATOR(pg_catalog.=) c.schema_name) END",
				&args, SPI_OK_SELECT);
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;

		if (DatumGetBool(SpiGetDatum(i, 2, &isnull)))
			CheckOwnSchema();
		tables |= DatumGetBool(SpiGetDatum(i, 3, &isnull));
	}
	Judge(n, superuser, caller, tag);
	if (tables && strcmp(tag, "ALTER TABLE") == 0)
		RestoreTriggerStates();
}

/* sql_drop: the objects of auditlog a DROP command dropped; as GuardOwnObjectsEnd. */
void
GuardOwnObjectsDropped(bool superuser, const char *caller, const char *tag)
{
	SpiArgs		args = {0};
	uint64		n;

	/* ALTER TABLE ... DROP ... is the command GuardOwnObjectsEnd looks at */
	if (strncmp(tag, "DROP", 4) != 0)
		return;
	SpiArg(&args, TEXTOID, CStringGetTextDatum(get_namespace_name(AuditSchemaOid())));
	n = SpiExec("SELECT d.object_identity FROM pg_catalog.pg_event_trigger_dropped_objects() d"
				" WHERE d.original AND (d.schema_name OPERATOR(pg_catalog.=) $1"
				"  OR (d.object_type OPERATOR(pg_catalog.=) ANY ('{trigger,rule,policy}')"
				"      AND d.address_names[1] OPERATOR(pg_catalog.=) $1))",
				&args, SPI_OK_SELECT);
	Judge(n, superuser, caller, tag);
}
