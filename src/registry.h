/*-------------------------------------------------------------------------
 *
 * src/registry.h
 *	  The registered tables: shared by registry.c and ddl.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_REGISTRY_H
#define AUDITLOG_REGISTRY_H

#include "nodes/pg_list.h"
#include "utils/relcache.h"

/* These run SQL: call them inside AuditConnectAsOwner(). */
extern bool RegistryHas(Oid relid);
extern bool RegistryAudits(Oid relid);
extern void RegistryAddStatementTriggers(Oid relid);
extern void RegistryDropStatementTriggers(Oid relid);

extern char *QualifiedRelationName(Oid relid);
extern bool NameListHas(List *names, const char *name);

/* registry_checks.c: all but RegistryCheckOptions run SQL, as the owner */
extern void RegistryCheckOptions(Relation rel, const char *id_column, List *exclude, List *redact,
								 const char *org_column);
extern void RegistryCheckStructure(Relation rel);
extern void RegistryCheckUnregister(Relation rel);
extern bool RegistrySwitchOnTriggers(Oid table);

#endif							/* AUDITLOG_REGISTRY_H */
