/*
 * invoices/payments.c
 *	  Payments: the payment trigger that moves invoices, crm.record_payment
 *	  and crm.refund_invoice.
 *
 * Trigger on crm.payments:
 *	payment_10_before_insert	crm_payment_before_insert: judges the payment
 *								against its invoice, records it, moves the invoice
 *								(a payment of an import is history: its invoice
 *								comes in the state it gave it, import/invoices.c)
 * Functions:
 *	crm.record_payment(...)		crm_record_payment
 *	crm.refund_invoice(id, comment)	crm_refund_invoice
 *
 * A payment row is a fact: its BEFORE INSERT trigger locks the invoice, judges
 * the payment against the invoice as it is now (so several payments in one
 * statement, or in racing sessions, are judged one after the other), and
 * moves the invoice as crm itself (reason payment, autopay or refund).  A
 * payment whose external_id was already reported is skipped: the first row
 * stands and nothing happens again.  The charges themselves are queued by
 * autopay.c.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "actor.h"
#include "customers.h"
#include "invoices/invoices.h"
#include "values.h"

enum
{
	PAY_ACCOUNT_ID,
	PAY_ID,
	PAY_INVOICE_ID,
	PAY_KIND,
	PAY_AMOUNT,
	PAY_SUCCEEDED,
	PAY_FAILURE_REASON,
	PAY_EXTERNAL_ID,
	PAY_AT,
	PAY_EMPLOYEE_ID,
	PAY_NCOLUMNS
};
static const char *const payment_names[PAY_NCOLUMNS] = {
	"account_id", "id", "invoice_id", "kind", "amount", "succeeded", "failure_reason",
	"external_id", "at", "employee_id"
};
static CrmColumnMap payment_columns = {"crm.payments", PAY_NCOLUMNS, payment_names};

static int
num_cmp(Datum a, Datum b)
{
	return DatumGetInt32(DirectFunctionCall2(numeric_cmp, a, b));
}

static Datum
num_add(Datum a, Datum b)
{
	return DirectFunctionCall2(numeric_add, a, b);
}

static Datum
num_sub(Datum a, Datum b)
{
	return DirectFunctionCall2(numeric_sub, a, b);
}

static const char *
num_text(Datum a)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, a));
}

static CrmPlan lock_invoice = {
	"SELECT status, number, amount, paid_amount, refunded_amount, autopay, autopay_pending, "
	"  ip IS NOT NULL "
	"FROM crm.invoices WHERE account_id = $1 AND id = $2 FOR UPDATE",
	2, {INT8OID, INT8OID}
};
static CrmPlan payment_by_external_id = {
	"SELECT id FROM crm.payments WHERE account_id = $1 AND external_id = $2",
	2, {INT8OID, TEXTOID}
};
/* income is what the payments brought; paid_at the time of the payment that paid it */
static CrmPlan apply_payment = {
	"UPDATE crm.invoices SET status = $3, paid_amount = $4, refunded_amount = $5, income = $4 - $5, "
	"  autopay_count = autopay_count + $6, autopay_pending = greatest(autopay_pending - $7, 0), "
	"  paid_at = CASE WHEN $3 = 'paid' AND status <> 'paid' THEN $8 ELSE paid_at END "
	"WHERE account_id = $1 AND id = $2",
	8, {INT8OID, INT8OID, TEXTOID, NUMERICOID, NUMERICOID, INT4OID, INT4OID, TIMESTAMPTZOID}
};

typedef struct InvoiceState
{
	char	   *status;
	char	   *number;
	Datum		amount;
	Datum		paid;
	Datum		refunded;
	bool		autopay;
	int32		pending;
	bool		customer_data;	/* holds a customer column (customers.h) */
} InvoiceState;

static bool
load_invoice(int64 account_id, int64 invoice_id, InvoiceState *inv)
{
	Datum		args[2] = {Int64GetDatum(account_id), Int64GetDatum(invoice_id)};
	bool		isnull;

	if (crm_exec(&lock_invoice, args, NULL, false, 1) != 1)
		return false;
	inv->status = crm_get_text(0, 1);
	inv->number = crm_get_text(0, 2);
	inv->amount = SPI_datumTransfer(crm_get(0, 3, &isnull), false, -1);
	inv->paid = SPI_datumTransfer(crm_get(0, 4, &isnull), false, -1);
	inv->refunded = SPI_datumTransfer(crm_get(0, 5, &isnull), false, -1);
	inv->autopay = crm_get_bool(0, 6, NULL);
	inv->pending = DatumGetInt32(crm_get(0, 7, &isnull));
	inv->customer_data = crm_get_bool(0, 8, NULL);
	/* an invoice the session cannot see is not there for its payments */
	return !(inv->customer_data && crm_customers_hidden());
}

static void
refuse_payment(InvoiceState *inv, int64 invoice_id, const char *kind, const char *why,
			   const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("%s cannot be recorded on %s invoice \"%s\"", kind, inv->status, inv->number),
			 errdetail("Invoice %lld is %s; %s", (long long) invoice_id, inv->status, why),
			 errhint("%s", hint)));
}

/* Raises unless the payment may be recorded on the invoice as it is now. */
static void
judge_payment(InvoiceState *inv, int64 invoice_id, const char *kind, Datum amount)
{
	bool		is_refund = strcmp(kind, "refund") == 0;
	bool		is_autopay = strcmp(kind, "autopay") == 0;
	Datum		held = num_sub(inv->paid, inv->refunded);

	if (strcmp(inv->status, "cancelled") == 0 || strcmp(inv->status, "deleted") == 0 ||
		strcmp(inv->status, "refunded") == 0)
		refuse_payment(inv, invoice_id, kind, "it takes no more payments.",
					   "Payments are recorded on awaiting, prepaid and paid invoices; reissue the invoice with crm.reissue_invoice.");
	if (is_refund)
	{
		if (strcmp(inv->status, "paid") != 0)
			refuse_payment(inv, invoice_id, kind, "only a paid invoice can be refunded.",
						   "Cancel an unpaid invoice with crm.cancel_invoice instead.");
		if (num_cmp(amount, held) > 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("refund of %s is larger than the %s paid on invoice \"%s\"",
							num_text(amount), num_text(held), inv->number),
					 errdetail("Invoice %lld has %s paid and %s refunded.", (long long) invoice_id,
							   num_text(inv->paid), num_text(inv->refunded)),
					 errhint("Refund at most %s.", num_text(held))));
		return;
	}
	if (is_autopay)
	{
		if (!inv->autopay && inv->pending == 0)
			refuse_payment(inv, invoice_id, kind, "its autopay is off and no charge is waiting for a result.",
						   "Record a plain payment, or turn autopay on with crm.set_autopay.");
		return;					/* each charge is the full amount again */
	}
	if (strcmp(inv->status, "paid") == 0 || num_cmp(num_add(held, amount), inv->amount) > 0)
	{
		Datum		due = num_sub(inv->amount, held);

		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("payment of %s is more than the %s still due on invoice \"%s\"",
						num_text(amount), num_text(due),
						inv->number),
				 errdetail("Invoice %lld is for %s and has %s paid.", (long long) invoice_id,
						   num_text(inv->amount), num_text(held)),
				 errhint("Record at most the amount still due.")));
	}
}

static const char *
status_after(InvoiceState *inv, Datum paid, Datum refunded, bool is_refund)
{
	if (is_refund)
		return num_cmp(refunded, paid) >= 0 ? "refunded" : inv->status;
	if (strcmp(inv->status, "paid") == 0)
		return "paid";
	return num_cmp(num_sub(paid, refunded), inv->amount) >= 0 ? "paid" : "prepaid";
}

static void
payment_event(int64 account_id, int64 invoice_id, const CrmRow *payment, const char *kind,
			  bool succeeded)
{
	CrmJson		detail;

	crm_invoice_detail_begin(&detail);
	crm_json_row(&detail, "payment_id", payment, PAY_ID);
	crm_json_text(&detail, "kind", kind);
	crm_json_row(&detail, "amount", payment, PAY_AMOUNT);
	crm_json_row(&detail, "at", payment, PAY_AT);
	crm_json_row(&detail, "failure_reason", payment, PAY_FAILURE_REASON);
	crm_json_row(&detail, "external_id", payment, PAY_EXTERNAL_ID);
	crm_invoice_event(account_id, invoice_id,
					  !succeeded ? "payment_failed" : strcmp(kind, "refund") == 0 ? "refund" : "payment",
					  NULL, NULL, &detail);
}

static void
move_invoice_by_payment(int64 account_id, int64 invoice_id, InvoiceState *inv, const char *kind,
						Datum amount, bool succeeded, TimestampTz at)
{
	bool		is_refund = strcmp(kind, "refund") == 0;
	bool		is_autopay = strcmp(kind, "autopay") == 0;
	Datum		paid = inv->paid;
	Datum		refunded = inv->refunded;
	Datum		args[8];
	CrmWriteScope scope = {CRM_WRITE_DERIVED, NULL, NULL};

	if (!succeeded && !is_autopay)
		return;					/* a failed payment changes nothing */
	if (succeeded && is_refund)
		refunded = num_add(refunded, amount);
	else if (succeeded)
		paid = num_add(paid, amount);
	args[0] = Int64GetDatum(account_id);
	args[1] = Int64GetDatum(invoice_id);
	args[2] = CStringGetTextDatum(succeeded ? status_after(inv, paid, refunded, is_refund) : inv->status);
	args[3] = paid;
	args[4] = refunded;
	args[5] = Int32GetDatum(succeeded && is_autopay ? 1 : 0);
	args[6] = Int32GetDatum(is_autopay ? 1 : 0);
	args[7] = TimestampTzGetDatum(at);
	/* as crm itself; a refund's comment (crm.refund_invoice) goes on to the status move */
	scope.reason = is_refund ? "refund" : is_autopay ? "autopay" : "payment";
	scope.comment = crm_write_comment();
	crm_write_exec(&scope, &apply_payment, args, NULL);
}

/* The employee recording the payment, when the row names none. */
static HeapTuple
with_employee(const CrmRow *payment)
{
	CrmChanges	ch = {0};
	bool		no_employee;
	int64		employee;

	if (!crm_row_isnull(payment, PAY_EMPLOYEE_ID))
		return payment->tuple;
	employee = crm_employee_or_null(&no_employee);
	if (!no_employee)
		crm_change(&ch, payment, PAY_EMPLOYEE_ID, Int64GetDatum(employee), false);
	return crm_changes_apply(payment, &ch);
}

/* Whether a payment with this external_id is already recorded. */
static bool
already_reported(int64 account_id, const CrmRow *payment)
{
	bool		isnull;
	Datum		ext = crm_row_get(payment, PAY_EXTERNAL_ID, &isnull);
	Datum		args[2] = {Int64GetDatum(account_id), ext};

	if (isnull)
		return false;
	/* after the invoice lock, so a racing report of the same id is seen */
	return crm_exec(&payment_by_external_id, args, NULL, false, 1) == 1;
}

PG_FUNCTION_INFO_V1(crm_payment_before_insert);
Datum
crm_payment_before_insert(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		row;
	CrmUserSwitch user;
	InvoiceState inv;
	bool		isnull,
				amount_null,
				succeeded_null;
	int64		account_id,
				invoice_id;
	Datum		amount;
	bool		succeeded;
	char	   *kind;
	TimestampTz at;
	HeapTuple	result = NULL;

	crm_trigger_start(&trig, fcinfo, "crm_payment_before_insert", CRM_BEFORE, CRM_ON_INSERT);
	/* an import brings invoices in the state their payments gave them (import/) */
	if (trig.restoring || crm_write_allows(CRM_WRITE_IMPORT))
		return crm_trigger_return(&trig, trig.new);
	row = crm_trigger_row(&trig, trig.new, &payment_columns);
	account_id = crm_row_int64(&row, PAY_ACCOUNT_ID, &isnull);
	if (isnull)
		return crm_trigger_return(&trig, row.tuple);
	invoice_id = crm_row_int64(&row, PAY_INVOICE_ID, &isnull);
	amount = crm_row_get(&row, PAY_AMOUNT, &amount_null);
	succeeded = DatumGetBool(crm_row_get(&row, PAY_SUCCEEDED, &succeeded_null));
	kind = crm_row_text(&row, PAY_KIND);
	if (isnull || amount_null || succeeded_null || kind == NULL)
		return crm_trigger_return(&trig, row.tuple);	/* NOT NULL reports it */
	/* NaN sorts above every number: refused before any comparison */
	if (numeric_is_nan(DatumGetNumeric(amount)))
		crm_check_amount(amount, "crm.payments.amount", true);
	/* a business time before it becomes the invoice's paid_at (NULL: NOT NULL reports it) */
	at = DatumGetTimestampTz(crm_row_get(&row, PAY_AT, &isnull));
	if (isnull)
		at = GetCurrentTransactionStartTimestamp();
	crm_check_time(at, "crm.payments.at");
	if (!crm_row_isnull(&row, PAY_EMPLOYEE_ID))
		crm_actor_check_named(crm_row_int64(&row, PAY_EMPLOYEE_ID, NULL), "a payment");
	if (num_cmp(amount, DirectFunctionCall1(int4_numeric, Int32GetDatum(0))) <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("payment amount must be positive"),
				 errdetail("The amount given is %s.", num_text(amount)),
				 errhint("Record a refund as kind 'refund' with a positive amount.")));

	crm_trigger_connect(&trig);
	crm_become_owner(&user);
	if (!load_invoice(account_id, invoice_id, &inv))
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("invoice %lld does not exist", (long long) invoice_id),
				 errdetail("Account %lld has no invoice with id %lld.", (long long) account_id, (long long) invoice_id),
				 errhint("Use the id of one of the account's invoices.")));
	if (!already_reported(account_id, &row))
	{
		judge_payment(&inv, invoice_id, kind, amount);
		row.tuple = with_employee(&row);
		payment_event(account_id, invoice_id, &row, kind, succeeded);
		move_invoice_by_payment(account_id, invoice_id, &inv, kind, amount, succeeded, at);
		result = row.tuple;
	}
	crm_restore_user(&user);
	return crm_trigger_return(&trig, result);
}

static CrmPlan insert_payment = {
	"INSERT INTO crm.payments AS p (invoice_id, amount, succeeded, kind, at, failure_reason, external_id) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING p.*",
	7, {INT8OID, NUMERICOID, BOOLOID, TEXTOID, TIMESTAMPTZOID, TEXTOID, TEXTOID}
};
static CrmPlan payment_row_by_external_id = {
	"SELECT p.* FROM crm.payments AS p WHERE p.account_id = $1 AND p.external_id = $2",
	2, {INT8OID, TEXTOID}
};

/* crm.record_payment(invoice_id, amount, succeeded, kind, at, failure_reason, external_id) */
PG_FUNCTION_INFO_V1(crm_record_payment);
Datum
crm_record_payment(PG_FUNCTION_ARGS)
{
	int64		account_id = crm_require_account();
	Datum		args[7];
	char		nulls[8] = "       ";
	Datum		result;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		crm_error_null_argument("invoice_id, amount and succeeded",
								"Pass the invoice, the amount and whether the payment succeeded.");
	for (int i = 0; i < 7; i++)
	{
		args[i] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
		nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
	}
	if (PG_ARGISNULL(3))
	{
		args[3] = CStringGetTextDatum("payment");
		nulls[3] = ' ';
	}
	if (PG_ARGISNULL(4))
	{
		args[4] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
		nulls[4] = ' ';
	}

	SPI_connect();
	if (crm_exec(&insert_payment, args, nulls, false, 0) == 0)
	{
		/*
		 * Already reported: the first row stands.  The trigger saw it in a
		 * snapshot taken after it waited for the invoice lock, so it may have
		 * been committed by a concurrent report after this statement began:
		 * read it in a new snapshot too (read_only false), not in the
		 * statement's.  Nothing else makes the trigger skip a row.
		 */
		Datum		a[2] = {Int64GetDatum(account_id), args[6]};

		if (nulls[6] == 'n' || crm_exec(&payment_row_by_external_id, a, NULL, false, 1) != 1)
			elog(ERROR, "crm: payment was not recorded");
	}
	result = crm_get_row_copy(0, 1, "payments");
	SPI_finish();
	PG_RETURN_DATUM(result);
}

static CrmPlan refundable = {
	"SELECT status, paid_amount - refunded_amount FROM crm.invoices WHERE account_id = $1 AND id = $2",
	2, {INT8OID, INT8OID}
};
static CrmPlan insert_refund = {
	"INSERT INTO crm.payments (invoice_id, amount, succeeded, kind) VALUES ($1, $2, true, 'refund')",
	2, {INT8OID, NUMERICOID}
};

static void
record_refund(int64 invoice_id, Datum amount, const char *comment)
{
	CrmWriteScope scope = {0, NULL, comment};
	Datum		a[2] = {Int64GetDatum(invoice_id), amount};

	crm_write_exec(&scope, &insert_refund, a, NULL);
}

/*
 * crm.refund_invoice(invoice_id, comment): a paid invoice with money on it
 * gets a refund payment of all of it (which moves it to refunded); one
 * confirmed by hand with nothing paid simply moves.
 */
PG_FUNCTION_INFO_V1(crm_refund_invoice);
Datum
crm_refund_invoice(PG_FUNCTION_ARGS)
{
	int64		account_id = crm_require_account();
	int64		invoice_id;
	Datum		args[2];
	const char *comment = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	Datum		result;
	bool		isnull;

	if (PG_ARGISNULL(0))
		crm_error_null_argument("invoice_id", "Pass the id of the invoice.");
	invoice_id = PG_GETARG_INT64(0);
	args[0] = Int64GetDatum(account_id);
	args[1] = Int64GetDatum(invoice_id);

	SPI_connect();
	if (crm_exec(&refundable, args, NULL, false, 1) != 1)
		crm_error_not_found("invoice", account_id, invoice_id, ERRCODE_NO_DATA_FOUND);
	{
		char	   *status = crm_get_text(0, 1);
		Datum		held = SPI_datumTransfer(crm_get(0, 2, &isnull), false, -1);

		if (strcmp(status, "paid") == 0 &&
			num_cmp(held, DirectFunctionCall1(int4_numeric, Int32GetDatum(0))) > 0)
		{
			record_refund(invoice_id, held, comment);
		}
		else
			(void) crm_invoice_move(account_id, invoice_id, "refunded", comment);
	}
	result = crm_invoice_row(account_id, invoice_id);
	SPI_finish();
	PG_RETURN_DATUM(result);
}
