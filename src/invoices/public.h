/*
 * invoices/public.h
 *	  What other rooms use of the invoices family.
 */
#ifndef CRM_INVOICES_PUBLIC_H
#define CRM_INVOICES_PUBLIC_H

#include "postgres.h"

/*
 * Cancels an awaiting or prepaid invoice as crm itself, recording why
 * ("call_refused") in its history; an invoice in any other status is left as
 * it is.  Connected to SPI, as the owner.  Returns whether it was cancelled.
 */
extern bool crm_invoice_cancel_unpaid(int64 account_id, int64 invoice_id, const char *reason);

/*
 * The call's event in the history of its invoice (kind "call", at the call's
 * time), for an invoice this transaction holds: the call's own foreign key
 * checked it and its schedule was updated.  Connected to SPI, as the owner.
 */
extern void crm_invoice_call_event(int64 account_id, int64 invoice_id, Datum at,
								   int64 employee_id, bool employee_null, Datum detail_jsonb);

#endif							/* CRM_INVOICES_PUBLIC_H */
