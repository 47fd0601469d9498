/*-------------------------------------------------------------------------
 *
 * src/catalog.h
 *	  Where auditlog's own objects are: schema, relations, columns.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_CATALOG_H
#define AUDITLOG_CATALOG_H

#include "utils/relcache.h"

/*
 * The relations the C code reads or writes directly. AuditRelid() finds
 * them in the extension's schema and caches their oids until one of them is
 * invalidated.
 */
typedef enum AuditRelation
{
	AREL_EVENT_STORE,
	AREL_EVENT_STORE_ID_SEQ,
	AREL_LABELS,
	AREL_LABELS_ID_SEQ,
	AREL_LABELS_KIND_LABEL_KEY,
	AREL_LABELS_PKEY,
	AREL_ACTION_TYPES,
	AREL_ACTION_TYPES_ID_SEQ,
	AREL_ACTION_TYPES_ACTION_KEY,
	AREL_ACTION_TYPES_PKEY,
	AREL_REGISTRY,
	AREL_REGISTRY_PKEY,
	AREL_SUMMARY_STATE,
	AREL_COUNT
} AuditRelation;

/* auditlog.event_store */
#define Natts_event_store					14
#define Anum_event_store_id					1
#define Anum_event_store_occurred_at		2
#define Anum_event_store_txid				3
#define Anum_event_store_action_ref			4
#define Anum_event_store_actor_ref			5
#define Anum_event_store_actor_id_ref		6
#define Anum_event_store_resource_type_ref	7
#define Anum_event_store_org_ref			8
#define Anum_event_store_db_user_ref		9
#define Anum_event_store_application_ref	10
#define Anum_event_store_outcome			11
#define Anum_event_store_client_addr		12
#define Anum_event_store_resource_id		13
#define Anum_event_store_details			14

/* auditlog.labels */
#define Natts_labels						3
#define Anum_labels_id						1
#define Anum_labels_kind					2
#define Anum_labels_label					3

/* auditlog.action_types */
#define Natts_action_types					4
#define Anum_action_types_id				1
#define Anum_action_types_action			2
#define Anum_action_types_description		3
#define Anum_action_types_builtin			4

/* auditlog.registry */
#define Natts_registry						8
#define Anum_registry_tbl					1
#define Anum_registry_resource_type			2
#define Anum_registry_id_column				3
#define Anum_registry_exclude_columns		4
#define Anum_registry_redact_columns		5
#define Anum_registry_org_column			6
#define Anum_registry_registered_at			7
#define Anum_registry_registered_by			8

/* auditlog.event_counts */
#define Natts_event_counts					9
#define Anum_event_counts_grain				1
#define Anum_event_counts_actor_ref			2
#define Anum_event_counts_bucket			3
#define Anum_event_counts_action_ref		4
#define Anum_event_counts_resource_type_ref	5
#define Anum_event_counts_org_ref			6
#define Anum_event_counts_outcome			7
#define Anum_event_counts_n					8
#define Anum_event_counts_days				9

/* auditlog.summary_state */
#define Natts_summary_state					4
#define Anum_summary_state_summarized_upto	1
#define Anum_summary_state_pending_upto		2
#define Anum_summary_state_pending_xmax		3
#define Anum_summary_state_maintained_at	4

/* auditlog.search_row: the columns of auditlog.events, then total_count */
#define Natts_search_row					15

extern Oid	AuditExtensionOid(bool missing_ok);
extern bool AuditExtensionPresent(void);
extern bool AuditExtensionPresentNow(void);
extern Oid	AuditSchemaOid(void);
extern Oid	AuditRelid(AuditRelation rel);
extern Oid	AuditOutcomeTypeOid(void);
extern const char *AuditOutcomeEqOperator(void);
extern Oid	AuditExtensionOwner(void);
extern void AuditCheckNatts(Relation rel, int natts);

/*
 * A module that caches anything derived from the oids above registers a
 * reset function at start-up; it is called whenever they are forgotten
 * (DROP EXTENSION, a restore, an invalidation of any of the relations).
 */
typedef void (*AuditResetCallback) (void);
extern void AuditOnReset(AuditResetCallback cb);
extern uint64 AuditRelcacheGeneration(void);

extern void CatalogInit(void);

#endif							/* AUDITLOG_CATALOG_H */
