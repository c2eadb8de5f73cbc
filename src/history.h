/*
 * history.h
 *	  Appending to a lead's history (see history.c).
 */
#ifndef CRM_HISTORY_H
#define CRM_HISTORY_H

#include "postgres.h"

#include "commands/trigger.h"

/*
 * Appends a lead event by the current employee at the transaction time;
 * detail may be (Datum) 0 for none.  Caller is connected to SPI and runs as
 * owner.
 */
extern void crm_lead_event(int64 account_id, int64 lead_id, const char *kind,
						   int64 from_status, bool from_null,
						   int64 to_status, bool to_null,
						   Datum detail_jsonb, bool detail_null);

/*
 * lead_90_history_insert (AFTER INSERT FOR EACH ROW, REFERENCING NEW TABLE AS
 * new_leads), at the first row of a multi-row INSERT: writes the 'created'
 * events of all the statement's rows in one statement and returns true; false,
 * writing nothing, for a one-row INSERT (the caller writes its event).  Caller
 * is connected to SPI and runs as owner.
 */
extern bool crm_lead_created_events(TriggerData *data, AttrNumber id_attnum, int64 lead_id);

/* Whether the row's 'created' event was written with its statement's. */
extern bool crm_lead_created_with_statement(Tuplestorestate *rows, int64 lead_id);

#endif							/* CRM_HISTORY_H */
