/*
 * due.h
 *	  Time-based work: the registry of due handlers and running them
 *	  (due.c).  Every room with work that falls due at an instant registers a
 *	  handler at load time; crm.run_due() and the background worker run them.
 */
#ifndef CRM_DUE_H
#define CRM_DUE_H

#include "postgres.h"

#include "utils/timestamp.h"

/*
 * Time-based work is a list of handlers, one per kind of due item; each
 * concept registers its own at load time and crm.run_due() runs them all.
 * run() handles at most max_items items due at `now` (a deadline when
 * now > deadline, other instants when now >= instant), each exactly once even
 * when several sessions run it at once, and returns how many it handled; it
 * is called connected to SPI, as the schema owner.  next_due() gives the
 * earliest instant still pending (any account), false when none.
 */
typedef struct CrmDueHandler
{
	const char *kind;
	int64		(*run) (TimestampTz now, int64 max_items);
	bool		(*next_due) (TimestampTz *at);
} CrmDueHandler;

#define CRM_MAX_DUE_HANDLERS 16

/* Registration order is the order of crm.run_due()'s rows. */
extern void crm_register_due_handler(const CrmDueHandler *handler);
extern int	crm_due_handler_count(void);
extern const CrmDueHandler *crm_due_handler(int i);

/* Runs every handler once (counts[i] per handler), connected to SPI as the owner. */
extern void crm_run_due_handlers(TimestampTz now, int64 max_items, int64 *counts);
/* The earliest pending instant over every handler; false when none. */
extern bool crm_next_due(TimestampTz *at);

#endif							/* CRM_DUE_H */
