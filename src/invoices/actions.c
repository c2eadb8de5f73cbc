/*
 * invoices/actions.c
 *	  The invoice actions an employee calls.
 *
 * Functions:
 *	crm.confirm_invoice(id, comment)	crm_confirm_invoice: -> paid
 *	crm.cancel_invoice(id, comment)		crm_cancel_invoice: -> cancelled
 *	crm.delete_invoice(id, comment)		crm_delete_invoice: -> deleted
 *	crm.set_auto_cancel(id, at)			crm_set_auto_cancel
 *	crm.set_autopay(id, on)				crm_set_autopay
 *	crm.reissue_invoice(id, cancel_old)	crm_reissue_invoice; on Citus its twin
 *		crm._reissue_invoice(account, ...) reissues on the account's worker
 *		(kit/delegate.h: the copy's scope passes a rule a tenant's write may not)
 * (crm.refund_invoice is in payments.c.)
 *
 * Each runs its write as the caller, so grants and policies apply; the
 * invoice triggers (invoices.c, events.c) enforce the rules and write the
 * history, with the action's comment (invoices.h).
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "invoices/invoices.h"
#include "kit/delegate.h"

static CrmPlan set_auto_cancel = {
	"UPDATE crm.invoices AS i SET auto_cancel_at = $3 WHERE i.account_id = $1 AND i.id = $2 RETURNING i.*",
	3, {INT8OID, INT8OID, TIMESTAMPTZOID}
};
static CrmPlan set_autopay = {
	"UPDATE crm.invoices AS i SET autopay = $3 WHERE i.account_id = $1 AND i.id = $2 RETURNING i.*",
	3, {INT8OID, INT8OID, BOOLOID}
};

static int64
invoice_arg(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0))
		crm_error_null_argument("invoice_id", "Pass the id of the invoice.");
	return PG_GETARG_INT64(0);
}

static Datum
move_invoice(FunctionCallInfo fcinfo, const char *to)
{
	int64		account_id = crm_require_account();
	int64		invoice_id = invoice_arg(fcinfo);
	const char *comment = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));

	return crm_invoice_move(account_id, invoice_id, to, comment);
}

PG_FUNCTION_INFO_V1(crm_confirm_invoice);
Datum
crm_confirm_invoice(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(move_invoice(fcinfo, "paid"));
}

PG_FUNCTION_INFO_V1(crm_cancel_invoice);
Datum
crm_cancel_invoice(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(move_invoice(fcinfo, "cancelled"));
}

PG_FUNCTION_INFO_V1(crm_delete_invoice);
Datum
crm_delete_invoice(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(move_invoice(fcinfo, "deleted"));
}

PG_FUNCTION_INFO_V1(crm_set_auto_cancel);
Datum
crm_set_auto_cancel(PG_FUNCTION_ARGS)
{
	int64		account_id = crm_require_account();
	int64		invoice_id = invoice_arg(fcinfo);

	PG_RETURN_DATUM(crm_invoice_update(&set_auto_cancel, account_id, invoice_id,
									   PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1),
									   PG_ARGISNULL(1), NULL));
}

PG_FUNCTION_INFO_V1(crm_set_autopay);
Datum
crm_set_autopay(PG_FUNCTION_ARGS)
{
	int64		account_id = crm_require_account();
	int64		invoice_id = invoice_arg(fcinfo);

	if (PG_ARGISNULL(1))
		crm_error_null_argument("on", "Pass true to turn autopay on, false to turn it off.");
	PG_RETURN_DATUM(crm_invoice_update(&set_autopay, account_id, invoice_id,
									   PG_GETARG_DATUM(1), false, NULL));
}

/* ---- crm.reissue_invoice ---- */

/*
 * Not income (the new invoice has received nothing: crm keeps it from its
 * payments) nor expenses (entered on each invoice), nor anything paid.  The
 * old invoice's columns are read, then written into the new one: an INSERT
 * ... VALUES (Citus routes it to the account's shard by the value of
 * account_id; an INSERT ... SELECT of a table it would send to every shard,
 * its parameters unknown when it plans one), the free-text columns as one
 * array (source, channel, partner, tag, delivery, note).  The items likewise,
 * as arrays in their order.
 */
static CrmPlan old_invoice = {
	"SELECT number, status, client_id, manager_id, amount, autopay_interval, autopay_limit, "
	"  ARRAY[source, channel, partner, tag, delivery, note], ip "
	"FROM crm.invoices WHERE account_id = $1 AND id = $2 FOR KEY SHARE",
	2, {INT8OID, INT8OID}
};
static CrmPlan copy_invoice = {
	"INSERT INTO crm.invoices AS n (account_id, replaces_invoice_id, client_id, manager_id, amount, "
	"  autopay_interval, autopay_limit, source, channel, partner, tag, delivery, note, ip) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8[1], $8[2], $8[3], $8[4], $8[5], $8[6], $9) "
	"RETURNING n.id, n.number",
	9, {INT8OID, INT8OID, INT8OID, INT8OID, NUMERICOID, INTERVALOID, INT4OID, TEXTARRAYOID, INETOID}
};
static CrmPlan old_items = {
	"SELECT array_agg(offer_id ORDER BY id), array_agg(quantity ORDER BY id), array_agg(price ORDER BY id) "
	"FROM crm.invoice_items WHERE account_id = $1 AND invoice_id = $2",
	2, {INT8OID, INT8OID}
};
static CrmPlan copy_items = {
	"INSERT INTO crm.invoice_items (account_id, invoice_id, offer_id, quantity, price) "
	"SELECT $1, $2, i.offer_id, i.quantity, i.price "
	"FROM unnest($3::pg_catalog.int8[], $4::pg_catalog.numeric[], $5::pg_catalog.numeric[]) "
	"  WITH ORDINALITY AS i (offer_id, quantity, price, n) ORDER BY i.n",
	5, {INT8OID, INT8OID, INT8ARRAYOID, NUMERICARRAYOID, NUMERICARRAYOID}
};

/* The new invoice, a copy of the old one's row in SPI_tuptable (old_invoice); its id and number in SPI_tuptable. */
static void
copy_old_invoice(const CrmWriteScope *scope, int64 account_id, int64 invoice_id)
{
	Datum		args[9];
	char		nulls[10] = "         ";
	bool		isnull;

	args[0] = Int64GetDatum(account_id);
	args[1] = Int64GetDatum(invoice_id);
	for (int i = 2; i < 9; i++)
	{
		args[i] = crm_get(0, i + 1, &isnull);
		nulls[i] = isnull ? 'n' : ' ';
	}
	crm_write_exec(scope, &copy_invoice, args, nulls);
}

/* The old invoice's items on the new one, in their order. */
static void
copy_old_items(int64 account_id, int64 invoice_id, int64 new_id)
{
	Datum		args[5] = {Int64GetDatum(account_id), Int64GetDatum(invoice_id)};
	bool		isnull;

	crm_exec(&old_items, args, NULL, true, 1);
	for (int i = 0; i < 3; i++)
		args[2 + i] = crm_get(0, i + 1, &isnull);
	if (isnull)
		return;					/* no items */
	args[1] = Int64GetDatum(new_id);
	crm_exec(&copy_items, args, NULL, false, 0);
}

/*
 * Records on the old invoice which one replaces it (old_invoice holds it FOR
 * KEY SHARE, as the event's foreign key check would: crm_invoice_event).
 */
static void
reissued_event(int64 account_id, int64 invoice_id, int64 new_id, const char *new_number)
{
	CrmJson		detail;
	CrmUserSwitch user;

	crm_invoice_detail_begin(&detail);
	crm_json_int64(&detail, "new_invoice_id", new_id, false);
	crm_json_text(&detail, "new_number", new_number);
	crm_become_owner(&user);
	crm_invoice_event(account_id, invoice_id, "reissued", NULL, NULL, &detail);
	crm_restore_user(&user);
}

/* A paid invoice stays paid when it is reissued: the new one replaces it. */
static void
refuse_cancelling_paid(int64 invoice_id, const char *number)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("paid invoice \"%s\" cannot be cancelled by its reissue", number),
			 errdetail("Invoice %lld is paid; a paid invoice is neither cancelled nor deleted, so that the payment stays on record and is counted once.",
					   (long long) invoice_id),
			 errhint("Reissue it with cancel_old => false: the new invoice replaces it, and crm.partner_report counts the two once; or refund it first with crm.refund_invoice(%lld).",
					 (long long) invoice_id)));
}

/*
 * crm.reissue_invoice(invoice_id, cancel_old): a new awaiting invoice for the
 * same client, manager and items (autopay settings copied, autopay off) that
 * records the invoice it replaces (replaces_invoice_id, crm's to write, hence
 * the CRM_WRITE_DERIVED scope; the rest of the write runs as the caller).
 */
static CrmDelegate reissue_twin = {"crm._reissue_invoice", 2, {INT8OID, BOOLOID}};

PG_FUNCTION_INFO_V1(crm_reissue_invoice);
Datum
crm_reissue_invoice(PG_FUNCTION_ARGS)
{
	int64		account_id = crm_require_account();
	int64		invoice_id;
	bool		cancel_old;
	Datum		args[2];
	CrmWriteScope scope = {CRM_WRITE_DERIVED, NULL, NULL};
	int64		new_id;
	char	   *old_number;
	char	   *new_number;
	Datum		result;

	if (crm_delegate(&reissue_twin, fcinfo, account_id, &result))
		return result;
	invoice_id = invoice_arg(fcinfo);
	cancel_old = !PG_ARGISNULL(1) && PG_GETARG_BOOL(1);
	args[0] = Int64GetDatum(account_id);
	args[1] = Int64GetDatum(invoice_id);
	SPI_connect();
	if (crm_exec(&old_invoice, args, NULL, false, 1) != 1)
		crm_error_not_found("invoice", account_id, invoice_id, ERRCODE_NO_DATA_FOUND);
	old_number = crm_get_text(0, 1);
	if (cancel_old && strcmp(crm_get_text(0, 2), "paid") == 0)
		refuse_cancelling_paid(invoice_id, old_number);
	scope.comment = psprintf("reissued from %s", old_number);
	copy_old_invoice(&scope, account_id, invoice_id);
	new_id = crm_get_int64(0, 1, NULL);
	new_number = crm_get_text(0, 2);
	copy_old_items(account_id, invoice_id, new_id);
	reissued_event(account_id, invoice_id, new_id, new_number);
	if (cancel_old)
	{
		SPI_finish();
		(void) crm_invoice_move(account_id, invoice_id, "cancelled",
								psprintf("reissued as %s", new_number));
		SPI_connect();
	}
	result = crm_invoice_row(account_id, new_id);
	SPI_finish();
	PG_RETURN_DATUM(result);
}
