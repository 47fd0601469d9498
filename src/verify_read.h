/*-------------------------------------------------------------------------
 *
 * src/verify_read.h
 *	  What verify() reads: seal rows, and what purges removed from seals.
 *
 * Shared by verify.c, which checks seals, and verify_read.c, which reads
 * them and their purge records.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_VERIFY_READ_H
#define AUDITLOG_VERIFY_READ_H

#include "access/htup.h"
#include "access/tupdesc.h"

#include "seal_format.h"

/* One seal as read, with what can be said of it alone. */
typedef struct VSeal
{
	SealFields	f;
	uint8		hash[SEAL_HASH_LEN];	/* as stored */
	uint8		computed[SEAL_HASH_LEN];	/* from its fields */
	const char *malformed;		/* a field no seal() writes, or NULL */
	bool		self_ok;		/* the stored hash is its fields' hash */
	int64		lo;				/* the ids whose events are given to it */
	int64		hi;
} VSeal;

/*
 * What purges removed from one seal, from its rows of auditlog.seal_purges:
 * each says how many of the seal's events it removed, and either the
 * digests of those (SEAL_PURGED_LEN bytes each: the id, big-endian, then
 * the content digest) or, when the seal's last events went, nothing.
 */
typedef struct SealPurge
{
	int64		seal_id;
	int64		events;			/* removed, by every purge */
	bool		whole;			/* nothing of the seal is left */
	const char *malformed;		/* what no purge writes, or NULL */
	SealDigest *removed;		/* by id; NULL when whole */
	int64		n_removed;
} SealPurge;

/* A seal row (of the seals query's columns), checked against itself. */
extern VSeal *ParseSeal(SealReader *reader, HeapTuple tup, TupleDesc desc);
extern void FreeSeal(VSeal *s);

/*
 * What purges removed from the seals lo to hi, one entry per seal that
 * lost events, by seal id (the caller is connected to SPI); FindPurge()
 * finds a seal's entry, FreePurges() frees them all.
 */
extern SealPurge *LoadPurges(int64 lo, int64 hi, int *n);
extern const SealPurge *FindPurge(const SealPurge *purges, int n, int64 seal_id);
extern void FreePurges(SealPurge *purges, int n);

#endif							/* AUDITLOG_VERIFY_READ_H */
