/*
 * kit/restore.h
 *	  Whether the rows being inserted come from a restore of a dump, so that
 *	  crm's triggers leave them as they were dumped, and whether a restore is
 *	  loading rows into this database, so that due work waits for its end.
 *
 * A dump holds every crm row with its numbers, ids, links and history, and
 * the counters and kept totals that go with them (every table and sequence is
 * marked with pg_extension_config_dump).  Restored, a row must arrive as it
 * was: numbered again, linked again, announced again or checked against the
 * writer's identity, it would no longer be the row that was dumped.
 *
 * The signal is the one PostgreSQL's own tools give: every script pg_dump
 * writes (plain, --data-only, --inserts) and every session of pg_restore
 * (parallel workers included) begins with
 *
 *		SET check_function_bodies = false;
 *		SET row_security = off;
 *
 * With row_security off, PostgreSQL refuses every statement on a table with
 * row-level security (every crm table) to a role that policies apply to, so
 * only a superuser, the tables' owner or a BYPASSRLS role writes that way:
 * never an application, a bound login or a member of crm_service.  An INSERT
 * made with both settings off, outside an extension script, by such a role,
 * is a restore (the role is asked too: the staging tables of an import have
 * no row-level security).
 * UPDATE, DELETE and TRUNCATE never are: a dump only inserts.
 *
 * A session that has inserted a restored row holds a session lock until it
 * ends (a lock in the advisory lock space that no SQL function can take), so
 * that the scheduler and crm.run_due do not act on a database whose rows are
 * half loaded: a deadline read before its lead's history, an autopay charge
 * before the outbox that already holds it.
 */
#ifndef CRM_KIT_RESTORE_H
#define CRM_KIT_RESTORE_H

#include "postgres.h"

/*
 * The session writes as a restore does: its INSERTs bring rows as they were
 * dumped.  The first time it says so, it takes the restore lock.
 */
extern bool crm_restoring(void);

/* Another session has restored rows into this database and has not ended yet. */
extern bool crm_restore_running(void);

/*
 * On a Citus coordinator a restoring session's rows land on the workers; its
 * first INSERT or COPY FROM into a crm table takes the restore lock on the
 * coordinator too, where the due work probes it (hooks installed by _PG_init).
 */
extern void crm_restore_init(void);

#endif							/* CRM_KIT_RESTORE_H */
