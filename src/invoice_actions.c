/*
 * invoice_actions.c
 *	  The invoice actions: crm.confirm_invoice, crm.cancel_invoice,
 *	  crm.delete_invoice, crm.set_auto_cancel, crm.set_autopay and
 *	  crm.reissue_invoice.  (crm.refund_invoice is in payments.c.)
 *
 * Each runs its write as the caller, so grants and policies apply; the
 * invoice triggers (invoices.c) enforce the rules and write the history.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "crm.h"

static CrmPlan set_status = {
	"UPDATE crm.invoices AS i SET status = $3 WHERE i.account_id = $1 AND i.id = $2 RETURNING i",
	3, {INT8OID, INT8OID, TEXTOID}
};
static CrmPlan set_auto_cancel = {
	"UPDATE crm.invoices AS i SET auto_cancel_at = $3 WHERE i.account_id = $1 AND i.id = $2 RETURNING i",
	3, {INT8OID, INT8OID, TIMESTAMPTZOID}
};
static CrmPlan set_autopay = {
	"UPDATE crm.invoices AS i SET autopay = $3 WHERE i.account_id = $1 AND i.id = $2 RETURNING i",
	3, {INT8OID, INT8OID, BOOLOID}
};
static CrmPlan invoice_row = {
	"SELECT i FROM crm.invoices AS i WHERE i.account_id = $1 AND i.id = $2",
	2, {INT8OID, INT8OID}
};

void
crm_invoice_not_found(int64 account_id, int64 invoice_id)
{
	ereport(ERROR,
			(errcode(ERRCODE_NO_DATA_FOUND),
			 errmsg("invoice %lld does not exist", (long long) invoice_id),
			 errdetail("Account %lld has no invoice with id %lld that you can see.",
					   (long long) account_id, (long long) invoice_id),
			 errhint("Check the invoice id and crm.account_id.")));
}

static int64
invoice_arg(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("invoice_id must not be NULL"),
				 errhint("Pass the id of the invoice.")));
	return PG_GETARG_INT64(0);
}

/* Runs one UPDATE ... RETURNING i of the caller's invoice; returns the row. */
static Datum
update_invoice(CrmPlan *plan, int64 account_id, int64 invoice_id, Datum value, bool value_null,
			   const char *comment)
{
	Datum		args[3] = {Int64GetDatum(account_id), Int64GetDatum(invoice_id), value};
	char		nulls[4] = {' ', ' ', value_null ? 'n' : ' ', '\0'};
	Datum		result;
	bool		isnull;

	SPI_connect();
	PG_TRY();
	{
		crm_invoice_pending_comment(comment);
		if (crm_exec(plan, args, nulls, false, 0) != 1)
			crm_invoice_not_found(account_id, invoice_id);
	}
	PG_FINALLY();
	{
		crm_invoice_pending_comment(NULL);
	}
	PG_END_TRY();
	result = SPI_datumTransfer(crm_get(0, 1, &isnull), false, -1);
	SPI_finish();
	return result;
}

Datum
crm_invoice_row(int64 account_id, int64 invoice_id)
{
	Datum		args[2] = {Int64GetDatum(account_id), Int64GetDatum(invoice_id)};
	bool		isnull;

	if (crm_exec(&invoice_row, args, NULL, false, 1) != 1)
		crm_invoice_not_found(account_id, invoice_id);
	return SPI_datumTransfer(crm_get(0, 1, &isnull), false, -1);
}

static Datum
move_invoice(FunctionCallInfo fcinfo, const char *to)
{
	int64		account_id = crm_require_account();
	int64		invoice_id = invoice_arg(fcinfo);
	const char *comment = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));

	return update_invoice(&set_status, account_id, invoice_id, CStringGetTextDatum(to), false, comment);
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

/* Status move by refund_invoice when nothing is left to pay back. */
Datum
crm_invoice_move(int64 account_id, int64 invoice_id, const char *to, const char *comment)
{
	return update_invoice(&set_status, account_id, invoice_id, CStringGetTextDatum(to), false, comment);
}

PG_FUNCTION_INFO_V1(crm_set_auto_cancel);
Datum
crm_set_auto_cancel(PG_FUNCTION_ARGS)
{
	int64		account_id = crm_require_account();
	int64		invoice_id = invoice_arg(fcinfo);

	PG_RETURN_DATUM(update_invoice(&set_auto_cancel, account_id, invoice_id,
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
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("on must not be NULL"),
				 errhint("Pass true to turn autopay on, false to turn it off.")));
	PG_RETURN_DATUM(update_invoice(&set_autopay, account_id, invoice_id, PG_GETARG_DATUM(1), false, NULL));
}

static CrmPlan copy_invoice = {
	"INSERT INTO crm.invoices AS n (client_id, manager_id, amount, income, expenses, "
	"  autopay_interval, autopay_limit, source, channel, partner, tag, delivery, ip, note) "
	"SELECT client_id, manager_id, amount, income, expenses, autopay_interval, autopay_limit, "
	"  source, channel, partner, tag, delivery, ip, note "
	"FROM crm.invoices WHERE account_id = $1 AND id = $2 RETURNING n.id, n.number",
	2, {INT8OID, INT8OID}
};
static CrmPlan copy_items = {
	"INSERT INTO crm.invoice_items (invoice_id, offer_id, quantity, price) "
	"SELECT $3, offer_id, quantity, price FROM crm.invoice_items "
	"WHERE account_id = $1 AND invoice_id = $2 ORDER BY id",
	3, {INT8OID, INT8OID, INT8OID}
};
static CrmPlan old_number = {
	"SELECT number FROM crm.invoices WHERE account_id = $1 AND id = $2",
	2, {INT8OID, INT8OID}
};

/*
 * crm.reissue_invoice(invoice_id, cancel_old): a new awaiting invoice for the
 * same client, manager and items (autopay settings copied, autopay off).
 * Writes run as the caller.
 */
PG_FUNCTION_INFO_V1(crm_reissue_invoice);
Datum
crm_reissue_invoice(PG_FUNCTION_ARGS)
{
	int64		account_id = crm_require_account();
	int64		invoice_id = invoice_arg(fcinfo);
	bool		cancel_old = !PG_ARGISNULL(1) && PG_GETARG_BOOL(1);
	Datum		args[3] = {Int64GetDatum(account_id), Int64GetDatum(invoice_id), 0};
	int64		new_id;
	char	   *new_number,
			   *old;
	Datum		result;
	CrmUserSwitch user;

	SPI_connect();
	if (crm_exec(&old_number, args, NULL, false, 1) != 1)
		crm_invoice_not_found(account_id, invoice_id);
	old = crm_get_text(0, 1);
	PG_TRY();
	{
		crm_invoice_pending_comment(psprintf("reissued from %s", old));
		crm_exec(&copy_invoice, args, NULL, false, 0);
	}
	PG_FINALLY();
	{
		crm_invoice_pending_comment(NULL);
	}
	PG_END_TRY();
	new_id = crm_get_int64(0, 1, NULL);
	new_number = crm_get_text(0, 2);
	args[2] = Int64GetDatum(new_id);
	crm_exec(&copy_items, args, NULL, false, 0);
	{
		const char *keys[2] = {"new_invoice_id", "new_number"};
		const char *values[2] = {psprintf("%lld", (long long) new_id), new_number};

		crm_become_owner(&user);
		crm_invoice_event(account_id, invoice_id, "reissued", NULL, NULL, 2, keys, values);
		crm_restore_user(&user);
	}
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

