/*-------------------------------------------------------------------------
 *
 * src/sha256.c
 *	  SHA-256 for many small messages: one per event.
 *
 * Seals hash every event on its own (seal_format.c), so what a hash costs
 * to start matters as much as what it costs per byte. PostgreSQL's
 * pg_cryptohash looks the algorithm up again at every init when built with
 * OpenSSL 3, which costs more than hashing an event; here, with OpenSSL,
 * the algorithm is fetched once per context and the context reused, and
 * without it, pg_cryptohash is PostgreSQL's own code, cheap to start.
 *
 * A context lives in a memory context and is freed with it, also when an
 * error unwinds the transaction (a reset callback frees what OpenSSL
 * allocated outside PostgreSQL's memory).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/cryptohash.h"
#include "utils/memutils.h"

#ifdef USE_OPENSSL
#include <openssl/evp.h>
#endif

#include "sha256.h"

struct AuditSha
{
#ifdef USE_OPENSSL
	EVP_MD_CTX *ctx;
	EVP_MD	   *md;				/* fetched (OpenSSL 3), or NULL */
	MemoryContextCallback free_cb;
#else
	pg_cryptohash_ctx *ctx;
#endif
};

#ifdef USE_OPENSSL
static void FreeSha(void *arg);

/* Reset callback: frees what OpenSSL allocated. */
static void
FreeSha(void *arg)
{
	AuditSha   *sha = (AuditSha *) arg;

	EVP_MD_CTX_free(sha->ctx);
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	EVP_MD_free(sha->md);
#endif
}
#endif

/* A SHA-256 context, freed with the memory context cxt. */
AuditSha *
AuditShaCreate(MemoryContext cxt)
{
	AuditSha   *sha = MemoryContextAllocZero(cxt, sizeof(AuditSha));

#ifdef USE_OPENSSL
	sha->ctx = EVP_MD_CTX_new();
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	sha->md = EVP_MD_fetch(NULL, "SHA256", NULL);
#endif
	sha->free_cb.func = FreeSha;
	sha->free_cb.arg = sha;
	MemoryContextRegisterResetCallback(cxt, &sha->free_cb);
	if (sha->ctx == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
#else
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);

		sha->ctx = pg_cryptohash_create(PG_SHA256);
		MemoryContextSwitchTo(old);
	}
#endif
	return sha;
}

/* Starts a message. */
void
AuditShaBegin(AuditSha *sha)
{
#ifdef USE_OPENSSL
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	const EVP_MD *md = sha->md;
#else
	const EVP_MD *md = EVP_sha256();
#endif

	if (md == NULL || EVP_DigestInit_ex(sha->ctx, md, NULL) != 1)
		elog(ERROR, "auditlog: SHA-256 could not start");
#else
	if (pg_cryptohash_init(sha->ctx) < 0)
		elog(ERROR, "auditlog: SHA-256 could not start: %s", pg_cryptohash_error(sha->ctx));
#endif
}

/* Adds bytes to the message. */
void
AuditShaAdd(AuditSha *sha, const void *data, size_t len)
{
#ifdef USE_OPENSSL
	if (EVP_DigestUpdate(sha->ctx, data, len) != 1)
		elog(ERROR, "auditlog: SHA-256 failed");
#else
	if (pg_cryptohash_update(sha->ctx, (const uint8 *) data, len) < 0)
		elog(ERROR, "auditlog: SHA-256 failed: %s", pg_cryptohash_error(sha->ctx));
#endif
}

/* Ends the message: its hash, PG_SHA256_DIGEST_LENGTH bytes, into out. */
void
AuditShaEnd(AuditSha *sha, uint8 *out)
{
#ifdef USE_OPENSSL
	if (EVP_DigestFinal_ex(sha->ctx, out, NULL) != 1)
		elog(ERROR, "auditlog: SHA-256 failed");
#else
	if (pg_cryptohash_final(sha->ctx, out, PG_SHA256_DIGEST_LENGTH) < 0)
		elog(ERROR, "auditlog: SHA-256 failed: %s", pg_cryptohash_error(sha->ctx));
#endif
}
