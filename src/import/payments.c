/*
 * import/payments.c
 *	  Payments from crm.import_payments.
 */
#include "postgres.h"

#include "import/import.h"

static CrmColumnMap payment_columns = {"crm.payments", 0, NULL};
ImportTable crm_import_payment_table = {"payments", &payment_columns};

void
crm_import_payments_check(ImportRun *run)
{
	run->kind = IMPORT_PAYMENT;
}

void
crm_import_payments(ImportRun *run)
{
	run->kind = IMPORT_PAYMENT;
}
