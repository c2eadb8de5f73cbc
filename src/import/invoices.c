/*
 * import/invoices.c
 *	  Invoices from crm.import_invoices.
 */
#include "postgres.h"

#include "import/import.h"

static CrmColumnMap invoice_columns = {"crm.invoices", 0, NULL};
ImportTable crm_import_invoice_table = {"invoices", &invoice_columns};

void
crm_import_invoices(ImportRun *run)
{
	run->kind = IMPORT_INVOICE;
}
