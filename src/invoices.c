/*
 * invoices.c
 *	  Offers, invoices, payments, auto-cancel, autopay and invoice events.
 */
#include "postgres.h"

#include "crm.h"

void
crm_invoices_init(void)
{
}
