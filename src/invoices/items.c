/*
 * invoices/items.c
 *	  Invoice items: they change only while their invoice is awaiting, take
 *	  their offer's price when none is given, and make the invoice amount.
 *
 * Triggers on crm.invoice_items:
 *	invoice_item_10_before_write	crm_invoice_item_before_write: the awaiting
 *									rule (old and new invoice; one the session
 *									cannot see is not there), the offer's price
 *	invoice_item_90_amount			crm_invoice_item_after_write: the invoice
 *									amount is the sum of its items, written by
 *									crm itself ("items_changed")
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "fmgr.h"

#include "customers.h"
#include "invoices/invoices.h"

enum
{
	ITEM_ACCOUNT_ID,
	ITEM_INVOICE_ID,
	ITEM_OFFER_ID,
	ITEM_PRICE,
	ITEM_NCOLUMNS
};
static const char *const item_names[ITEM_NCOLUMNS] = {
	"account_id", "invoice_id", "offer_id", "price"
};
static CrmColumnMap item_columns = {"crm.invoice_items", ITEM_NCOLUMNS, item_names};

static CrmPlan lock_invoice_status = {
	"SELECT status, number, ip IS NOT NULL FROM crm.invoices WHERE account_id = $1 AND id = $2 FOR UPDATE",
	2, {INT8OID, INT8OID}
};
static CrmPlan offer_price = {
	"SELECT price FROM crm.offers WHERE account_id = $1 AND id = $2",
	2, {INT8OID, INT8OID}
};
static CrmPlan items_total = {
	"UPDATE crm.invoices SET amount = (SELECT coalesce(sum(round(quantity * price, 2)), 0) "
	"  FROM crm.invoice_items WHERE account_id = $1 AND invoice_id = $2) "
	"WHERE account_id = $1 AND id = $2",
	2, {INT8OID, INT8OID}
};

/* The row a trigger judges (the new one, or the deleted one) and the one before. */
static void
item_rows(CrmTrigger *trig, CrmRow *row, CrmRow *before)
{
	*row = crm_trigger_row(trig, trig->new ? trig->new : trig->old, &item_columns);
	*before = crm_trigger_row(trig, trig->old ? trig->old : trig->new, &item_columns);
}

static void
require_awaiting_invoice(int64 account_id, int64 invoice_id)
{
	Datum		args[2] = {Int64GetDatum(account_id), Int64GetDatum(invoice_id)};
	char	   *status;
	char	   *number;

	if (crm_exec(&lock_invoice_status, args, NULL, false, 1) == 0)
		return;					/* the foreign key reports it */
	status = crm_get_text(0, 1);
	number = crm_get_text(0, 2);
	/* an invoice the session cannot see (customers.h) is not there for its items */
	if (crm_get_bool(0, 3, NULL) && crm_customers_hidden())
		crm_error_not_found("invoice", account_id, invoice_id, ERRCODE_FOREIGN_KEY_VIOLATION);
	if (!crm_invoice_status_is(status, "awaiting"))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("items of %s invoice \"%s\" cannot be changed", status, number),
				 errdetail("Invoice %lld is %s; items change only while it is awaiting.",
						   (long long) invoice_id, status),
				 errhint("Reissue the invoice with crm.reissue_invoice.")));
}

PG_FUNCTION_INFO_V1(crm_invoice_item_before_write);
Datum
crm_invoice_item_before_write(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		row;
	CrmRow		before;
	CrmChanges	ch = {0};
	CrmUserSwitch user;
	bool		isnull;
	int64		account_id;

	crm_trigger_start(&trig, fcinfo, "crm_invoice_item_before_write", CRM_BEFORE,
					  CRM_ON_INSERT | CRM_ON_UPDATE | CRM_ON_DELETE);
	if (trig.restoring)
		return crm_trigger_return(&trig, trig.new);
	item_rows(&trig, &row, &before);
	account_id = crm_row_int64(&row, ITEM_ACCOUNT_ID, &isnull);
	if (isnull)
		return crm_trigger_return(&trig, row.tuple);
	crm_trigger_connect(&trig);
	crm_become_owner(&user);
	require_awaiting_invoice(account_id, crm_row_int64(&row, ITEM_INVOICE_ID, NULL));
	if (trig.is_update && !crm_row_same(&before, &row, ITEM_INVOICE_ID))
		require_awaiting_invoice(account_id, crm_row_int64(&before, ITEM_INVOICE_ID, NULL));
	if (!trig.is_delete && crm_row_isnull(&row, ITEM_PRICE))
	{
		Datum		args[2] = {Int64GetDatum(account_id),
		Int64GetDatum(crm_row_int64(&row, ITEM_OFFER_ID, NULL))};

		if (crm_exec(&offer_price, args, NULL, true, 1) == 1)
			crm_change(&ch, &row, ITEM_PRICE, crm_get_copy(0, 1, &isnull), false);
	}
	crm_restore_user(&user);
	return crm_trigger_return(&trig, trig.is_delete ? trig.old : crm_changes_apply(&row, &ch));
}

static void
recompute_amount(int64 account_id, int64 invoice_id)
{
	CrmWriteScope scope = {CRM_WRITE_DERIVED, "items_changed", NULL};
	Datum		args[2] = {Int64GetDatum(account_id), Int64GetDatum(invoice_id)};

	crm_write_exec(&scope, &items_total, args, NULL);
}

PG_FUNCTION_INFO_V1(crm_invoice_item_after_write);
Datum
crm_invoice_item_after_write(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		row;
	CrmRow		before;
	CrmUserSwitch user;
	int64		account_id;

	crm_trigger_start(&trig, fcinfo, "crm_invoice_item_after_write", CRM_AFTER,
					  CRM_ON_INSERT | CRM_ON_UPDATE | CRM_ON_DELETE);
	if (trig.restoring)
		return crm_trigger_return(&trig, NULL);
	item_rows(&trig, &row, &before);
	account_id = crm_row_int64(&row, ITEM_ACCOUNT_ID, NULL);

	crm_trigger_connect(&trig);
	crm_become_owner(&user);
	recompute_amount(account_id, crm_row_int64(&row, ITEM_INVOICE_ID, NULL));
	if (trig.is_update && !crm_row_same(&before, &row, ITEM_INVOICE_ID))
		recompute_amount(account_id, crm_row_int64(&before, ITEM_INVOICE_ID, NULL));
	crm_restore_user(&user);
	return crm_trigger_return(&trig, NULL);
}
