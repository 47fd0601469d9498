/*-------------------------------------------------------------------------
 *
 * src/seal_format.h
 *	  What a seal hashes: the events of a range, and the seal itself.
 *
 * The format (version 1) is documented in seal_format.c and in the README;
 * seal.c writes seals with it, and verify.c and verify_read.c check them
 * with it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_SEAL_FORMAT_H
#define AUDITLOG_SEAL_FORMAT_H

#include "common/sha2.h"
#include "datatype/timestamp.h"

#define SEAL_HASH_LEN	PG_SHA256_DIGEST_LENGTH

/* auditlog.seals */
#define Natts_seals							10
#define Anum_seals_id						1
#define Anum_seals_first_id					2
#define Anum_seals_last_id					3
#define Anum_seals_events					4
#define Anum_seals_prev_hash				5
#define Anum_seals_hash						6
#define Anum_seals_sealed_at				7
#define Anum_seals_events_hash				8
#define Anum_seals_rows_hash				9
#define Anum_seals_gaps						10

/* auditlog.event_store's columns in its order, of "e": what a digested query returns */
#define SEAL_EVENT_COLUMNS \
	"e.id, e.occurred_at, e.txid, e.action_ref, e.actor_ref, e.actor_id_ref," \
	" e.resource_type_ref, e.org_ref, e.db_user_ref, e.application_ref, e.outcome," \
	" e.client_addr, e.resource_id, e.details"

/* One event, digested: as auditlog.events shows it, and as it is stored. */
typedef struct SealDigest
{
	int64		id;
	uint8		content[SEAL_HASH_LEN];	/* of the view's columns */
	uint8		row[SEAL_HASH_LEN];	/* of event_store's, dictionary ids */
} SealDigest;

/*
 * An event's digest as a purge record (auditlog.seal_purges) keeps it: the
 * id (8 bytes, big-endian) and the content digest.
 */
#define SEAL_PURGED_LEN		(8 + SEAL_HASH_LEN)

/* The digests of the events of a range, in id order. */
typedef struct SealDigests
{
	SealDigest *items;			/* in cxt: the caller's at the first read */
	int64		n;
	int64		cap;
	MemoryContext cxt;
} SealDigests;

/* A seal's fields, as its hash covers them. */
typedef struct SealFields
{
	int64		id;
	int64		first_id;
	int64		last_id;
	int64		events;
	bool		has_prev;		/* false for seal 1: prev_hash is NULL */
	uint8		prev_hash[SEAL_HASH_LEN];
	TimestampTz sealed_at;
	uint8		events_hash[SEAL_HASH_LEN];
	uint8		rows_hash[SEAL_HASH_LEN];
	int			ngaps;
	int64	   *gaps;			/* ngaps pairs: first and last id of each gap */
} SealFields;

/* Reads and digests events; opaque. */
typedef struct SealReader SealReader;

extern SealReader *SealReaderCreate(void);
extern void SealReaderDigest(SealReader *r, int64 lo, int64 hi, bool rows,
							 SealDigests *out);
extern void SealReaderDigestQuery(SealReader *r, const char *sql, int nargs, Oid *types,
								  Datum *args, bool rows, SealDigests *out);
extern void SealReaderCombine(SealReader *r, const SealDigest *items, int64 n,
							  bool rows, uint8 *out);
extern void SealReaderHash(SealReader *r, const SealFields *f, uint8 *out);
extern void SealReaderFree(SealReader *r);

extern void SealPackDigest(const SealDigest *d, uint8 *out);
extern void SealUnpackDigest(const uint8 *in, SealDigest *d);
extern char *SealHex(const uint8 *hash);
extern void SealGapsFromArray(Datum array, SealFields *f);
extern Datum SealGapsToArray(const SealFields *f);

/* verify.c: one seal checked before a purge removes some of its events */
extern char *AuditCheckSeal(SealReader *r, int64 seal_id, int64 *sealed, int64 *remaining,
							SealDigests *present);

#endif							/* AUDITLOG_SEAL_FORMAT_H */
