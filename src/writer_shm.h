/*-------------------------------------------------------------------------
 *
 * src/writer_shm.h
 *	  The autonomous writer's shared memory: its request slots.
 *
 * Shared by the two sides of the writer: the sessions that make requests
 * (writer_client.c) and the writer that answers them (writer.c). The
 * protocol is told in writer.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_WRITER_SHM_H
#define AUDITLOG_WRITER_SHM_H

#include "lib/stringinfo.h"
#include "port/atomics.h"
#include "storage/dsm.h"

#include "event.h"
#include "writer.h"

#define WRITER_MAGIC		0x61756477	/* "audw" */
#define WRITER_SLOTS		16

/* Kinds of request. */
#define REQ_EVENT			1
#define REQ_LABEL			2

/* States of a slot. */
#define SLOT_FREE			0
#define SLOT_FILLING		1	/* claimed by a caller */
#define SLOT_REQUESTED		2
#define SLOT_WORKING		3	/* taken by the writer */
#define SLOT_DONE			4
#define SLOT_ABANDONED		5	/* its caller left while the writer worked */

typedef struct WriterSlot
{
	pg_atomic_uint32 state;
	int			client;			/* pgprocno of the caller, for its latch */
	uint32		kind;
	uint32		len;			/* bytes of the request in data */
	int64		written_id;		/* REQ_EVENT: the event's id once written */
	int64		result;
	bool		failed;			/* data then holds sqlstate, message, detail, hint */
	char		data[AUDIT_WRITER_MAX_REQUEST];
} WriterSlot;

typedef struct WriterShared
{
	uint32		magic;
	Oid			dboid;
	pid_t		pid;
	int			procno;			/* the writer's pgprocno, for its latch */
	pg_atomic_uint32 closed;	/* set once the writer's last transaction ended */
	WriterSlot	slots[WRITER_SLOTS];
} WriterShared;

/*
 * The writer file, auditlog_writer.<database oid> in the data directory,
 * names the writer's segment and pid: its path, and reading it (false
 * when there is none).
 */
extern void WriterFilePath(char *path, Oid dboid);
extern bool ReadWriterFile(dsm_handle *handle, pid_t *pid);

/*
 * What a request holds (writer_client.c): strings, or NULL, and an event
 * with its caller's context.
 */
extern void WriterPutString(StringInfo buf, const char *s);
extern char *WriterGetString(StringInfo buf);
extern void WriterDeserializeEvent(StringInfo buf, AuditEvent *ev);

#endif							/* AUDITLOG_WRITER_SHM_H */
