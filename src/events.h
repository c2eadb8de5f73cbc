/*
 * events.h
 *	  The event stream: crm.events, numbered per account in commit order.
 *	  Table changes become events through the trigger crm._record_event
 *	  (events.c); a concept may also add an event of its own (crm_event,
 *	  events_write.c, which numbers and writes them at commit).
 */
#ifndef CRM_EVENTS_H
#define CRM_EVENTS_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "utils/tuplestore.h"

/*
 * Adds an event of kind (a static string) with payload (jsonb, built with
 * kit/spi.h's CrmJson) for account_id; it is written, with its id, when the
 * transaction commits, and gone if the (sub)transaction rolls back.
 */
extern void crm_event(int64 account_id, const char *kind, Datum payload);

/*
 * On the Citus coordinator of a distributed crm: notifies crm_events_<account>
 * with the newest id for every account with events not relayed yet, and
 * records them as relayed (events_relay.c); the rows (account_id, last_id)
 * go to out when it is not NULL.  Returns how many accounts were notified,
 * or -1 when this node relays nothing (one server, a worker node).
 */
extern int64 crm_relay_events(Tuplestorestate *out, TupleDesc desc);

/* Registers the transaction callbacks (events_write.c, from _PG_init). */
extern void crm_events_init(void);

#endif							/* CRM_EVENTS_H */
