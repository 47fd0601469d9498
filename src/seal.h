/*-------------------------------------------------------------------------
 *
 * src/seal.h
 *	  Sealing the events: hash-chained seals over id ranges.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_SEAL_H
#define AUDITLOG_SEAL_H

/*
 * A seal's events lie within this many ids: bounded memory, and a narrow
 * verdict. (Its range may start with a longer run of ids that have no
 * event: no seal is ever empty.)
 */
#define SEAL_MAX_IDS	100000

/*
 * Seals the committed events after the last seal, up to the safe point
 * (horizon.c), in seals whose events lie within SEAL_MAX_IDS ids, and
 * returns how many events it sealed: 0 when there is nothing to seal yet,
 * or when another transaction is sealing right now (one sealer at a time;
 * the other one seals those events). It stops after the seal that reaches
 * max_events (0: no limit).
 *
 * What the caller must provide, as auditlog.seal() does:
 *	- a transaction, neither read-only nor on a standby, in READ COMMITTED
 *	  (each step needs a fresh snapshot; ERROR otherwise), with an active
 *	  snapshot pushed (a background worker: StartTransactionCommand(),
 *	  PushActiveSnapshot(GetTransactionSnapshot()), AuditSeal(n),
 *	  PopActiveSnapshot(), CommitTransactionCommand());
 *	- the extension installed in the database (ERROR otherwise).
 * It connects to SPI itself, and runs as the extension's owner. The seals
 * it made are written to the server log (LOG) when the transaction
 * commits, and only then; a transaction that sealed cannot be prepared.
 * A burst of writes still running when it looks is sealed by a later call.
 */
extern int64 AuditSeal(int64 max_events);

/* The last event id a seal covers, 0 when there is no seal (for status()). */
extern int64 AuditSealedUpto(void);

#endif							/* AUDITLOG_SEAL_H */
