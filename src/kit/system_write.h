/*
 * kit/system_write.h
 *	  "crm itself is writing this, for this reason": the one way a concept
 *	  tells the triggers of the rows it writes why a write happens and which
 *	  rules it may pass, instead of globals set around each statement.
 *
 * A write runs in a scope (crm_write_exec); the triggers it fires ask the
 * scope (crm_write_allows, crm_write_reason, ...).  A scope inherits what the
 * scope around it allows, so a link made while the scheduler runs is still
 * the scheduler's.  Outside any scope, the writer is an employee (or an
 * application) and every rule applies.
 *
 * The scope lives in this backend.  On Citus a trigger can fire in a
 * worker's backend; only this file knows where the scope is kept, so that is
 * where it is carried to such a trigger.
 */
#ifndef CRM_KIT_SYSTEM_WRITE_H
#define CRM_KIT_SYSTEM_WRITE_H

#include "postgres.h"

#include "kit/spi.h"
#include "utils/guc.h"

/* What a system write may do that an employee's write may not. */
#define CRM_WRITE_STATUS_MOVE	0x01	/* move a lead past its transition rules */
#define CRM_WRITE_LINK			0x02	/* write leads.order_id and orders.lead_id */
#define CRM_WRITE_DERIVED		0x04	/* write an invoice's kept columns and moves */
#define CRM_WRITE_BY_SCHEDULER	0x08	/* by no employee: history names none */
#define CRM_WRITE_IMPORT		0x10	/* rows an import made whole (import/): their
										 * numbers, times and history as given */
#define CRM_WRITE_OWN_HISTORY	0x20	/* the statement writes the history and
										 * notices of its change itself, as sets
										 * (due work): the row triggers leave them */

typedef struct CrmWriteScope
{
	int			allows;			/* CRM_WRITE_* */
	const char *reason;			/* recorded in the history ("auto_cancel"); NULL: none */
	const char *comment;		/* an employee's comment for the history; NULL: none */
} CrmWriteScope;

/*
 * Runs a kept plan (read-write) inside scope; the scope before is back
 * afterwards, also on error.  Returns SPI_processed.
 */
extern uint64 crm_write_exec(const CrmWriteScope *scope, CrmPlan *plan, Datum *args,
							 const char *nulls);

/*
 * The check of crm.write_note (guc.c): only crm sets it, around its own
 * writes on the Citus coordinator, and Citus passes it on to the workers; a
 * session's own SET (or a call of crm._write_note) is refused, 42501.
 */
extern bool crm_write_note_check(char **newval, void **extra, GucSource source);

/* For the triggers: what the write being made allows, and why it is made. */
extern bool crm_write_allows(int what);
extern const char *crm_write_reason(void);
extern const char *crm_write_comment(void);

#endif							/* CRM_KIT_SYSTEM_WRITE_H */
