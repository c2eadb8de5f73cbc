/*
 * invoices.c
 *	  Offers, invoices, payments, auto-cancel, autopay and invoice events.
 */
#include "postgres.h"

#include "crm.h"

const char *crm_invoice_event_reason = NULL;

void
crm_invoices_init(void)
{
}
