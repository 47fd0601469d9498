/*-------------------------------------------------------------------------
 *
 * src/drop_guard.h
 *	  DROP EXTENSION auditlog is refused while the log holds events.
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUDITLOG_DROP_GUARD_H
#define AUDITLOG_DROP_GUARD_H

/*
 * Defines auditlog.allow_drop. Called first in _PG_init: before the
 * "auditlog" prefix is reserved, which would discard the value a session
 * set before the library was loaded (PGOPTIONS of pg_restore --clean).
 */
extern void DropGuardInit(void);

#endif							/* AUDITLOG_DROP_GUARD_H */
