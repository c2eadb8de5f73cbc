/*
 * events.h
 *	  The event stream (events.c): crm.events, numbered per account in commit
 *	  order.  Table changes become events through the trigger
 *	  crm._record_event; a concept may also add an event of its own.
 */
#ifndef CRM_EVENTS_H
#define CRM_EVENTS_H

#include "postgres.h"

/*
 * Adds an event of kind (a static string) with payload (jsonb, built with
 * kit/spi.h's CrmJson) for account_id; it is written, with its id, when the
 * transaction commits, and gone if the (sub)transaction rolls back.
 */
extern void crm_event(int64 account_id, const char *kind, Datum payload);

/* Registers the transaction callbacks (from _PG_init). */
extern void crm_events_init(void);

#endif							/* CRM_EVENTS_H */
