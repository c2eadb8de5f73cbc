/*
 * history.h
 *	  Appending to a lead's history (see history.c).
 */
#ifndef CRM_HISTORY_H
#define CRM_HISTORY_H

#include "postgres.h"

/*
 * Appends a lead event by the current employee at the transaction time;
 * detail may be (Datum) 0 for none.  Caller is connected to SPI and runs as
 * owner.
 */
extern void crm_lead_event(int64 account_id, int64 lead_id, const char *kind,
						   int64 from_status, bool from_null,
						   int64 to_status, bool to_null,
						   Datum detail_jsonb, bool detail_null);

#endif							/* CRM_HISTORY_H */
