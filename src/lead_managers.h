/*
 * lead_managers.h
 *	  The manager a lead created without one gets (lead_managers.c).
 */
#ifndef CRM_LEAD_MANAGERS_H
#define CRM_LEAD_MANAGERS_H

#include "postgres.h"

#include "utils/timestamp.h"

/*
 * An outgoing message of employee_id to client_id at sent_at: the client's
 * open leads without a manager created at or before sent_at get their
 * manager (the writer, or in client_responsible mode the client's
 * responsible manager when it has one).  The caller holds the client's row
 * of crm.client_contacts for employee_id, or on a first contact the client
 * row, until commit (see lead_managers.c); it is connected to SPI and runs
 * as the owner.
 */
extern void crm_lead_managers_on_message(int64 account_id, int64 client_id, int64 employee_id,
										 TimestampTz sent_at);

#endif							/* CRM_LEAD_MANAGERS_H */
