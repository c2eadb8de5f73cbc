/*
 * import/orders.c
 *	  Orders from crm.import_orders.
 */
#include "postgres.h"

#include "import/import.h"

static CrmColumnMap order_columns = {"crm.orders", 0, NULL};
ImportTable crm_import_order_table = {"orders", &order_columns};

void
crm_import_orders(ImportRun *run)
{
	run->kind = IMPORT_ORDER;
}
