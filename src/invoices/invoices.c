/*
 * invoices/invoices.c
 *	  Invoices: numbering, defaults and the status state machine, kept by the
 *	  BEFORE triggers of crm.invoices; the invoice row and a status move as
 *	  the caller, shared by the actions and refunds.
 *
 * Triggers on crm.invoices:
 *	invoice_10_before_insert	crm_invoice_before_insert: number (the writer's, or
 *								the account's template), manager, starting state,
 *								autopay schedule (an invoice of an import,
 *								CRM_WRITE_IMPORT, is kept as it comes)
 *	invoice_10_before_update	crm_invoice_before_update: fixed and derived columns,
 *								transitions, autopay rules
 *	(invoice_90_history is in events.c.)
 * Shared by the family: crm_invoice_row, crm_invoice_update, crm_invoice_move,
 * and the rest of invoices.h.
 *
 * Status moves (the same for the actions and a plain UPDATE):
 *	awaiting -> prepaid (only from a payment) | paid | cancelled | deleted
 *	prepaid  -> paid | cancelled | deleted
 *	paid     -> refunded (a paid invoice is neither cancelled nor deleted: the
 *				money it took stays on record; refund it, or reissue it)
 *	cancelled, refunded -> deleted
 * Derived columns (paid_amount, refunded_amount, income = paid_amount -
 * refunded_amount, paid_at, autopay_count, autopay_pending, autopay_queued,
 * autopay_last_charge_at) are written only by crm itself, in a
 * CRM_WRITE_DERIVED scope (see invoices.h); so is replaces_invoice_id, by
 * crm.reissue_invoice, and it is fixed afterwards.  The autopay schedule
 * is autopay.c's.  The call
 * centre's columns (next_call_at, call_attempts, calls_stopped, claimed_by,
 * claimed_until, no_answer_streak) are free.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "invoices/invoices.h"
#include "values.h"

static const char *const invoice_names[INV_NCOLUMNS] = {
	[INV_ACCOUNT_ID] = "account_id",
	[INV_ID] = "id",
	[INV_NUMBER] = "number",
	[INV_NUMBER_SEQUENCE_ID] = "number_sequence_id",
	[INV_NUMBER_SEQ] = "number_seq",
	[INV_MANAGER_ID] = "manager_id",
	[INV_STATUS] = "status",
	[INV_AMOUNT] = "amount",
	[INV_PAID_AMOUNT] = "paid_amount",
	[INV_REFUNDED_AMOUNT] = "refunded_amount",
	[INV_AUTO_CANCEL_AT] = "auto_cancel_at",
	[INV_AUTOPAY] = "autopay",
	[INV_AUTOPAY_INTERVAL] = "autopay_interval",
	[INV_AUTOPAY_LIMIT] = "autopay_limit",
	[INV_AUTOPAY_COUNT] = "autopay_count",
	[INV_AUTOPAY_PENDING] = "autopay_pending",
	[INV_AUTOPAY_QUEUED] = "autopay_queued",
	[INV_AUTOPAY_LAST_CHARGE_AT] = "autopay_last_charge_at",
	[INV_NEXT_CHARGE_AT] = "next_charge_at",
	[INV_NOTE] = "note",
	[INV_CREATED_AT] = "created_at",
	[INV_UPDATED_AT] = "updated_at",
	[INV_STATUS_CHANGED_AT] = "status_changed_at",
	[INV_INCOME] = "income",
	[INV_PAID_AT] = "paid_at",
	[INV_REPLACES_INVOICE_ID] = "replaces_invoice_id",
};

CrmColumnMap crm_invoice_columns = {"crm.invoices", INV_NCOLUMNS, invoice_names};

/* ---- the state machine ---- */

/* The statuses an employee may move an invoice to from `from`. */
static const char *
allowed_from(const char *from)
{
	if (crm_invoice_status_is(from, "awaiting"))
		return "\"paid\", \"cancelled\", \"deleted\" (\"prepaid\" follows from a payment)";
	if (crm_invoice_status_is(from, "prepaid"))
		return "\"paid\", \"cancelled\", \"deleted\"";
	if (crm_invoice_status_is(from, "paid"))
		return "\"refunded\"";
	if (crm_invoice_status_is(from, "deleted"))
		return "none: a deleted invoice stays deleted";
	return "\"deleted\"";
}

static bool
move_allowed(const char *from, const char *to, bool by_system)
{
	if (crm_invoice_status_is(from, "deleted"))
		return false;
	if (crm_invoice_status_is(to, "deleted"))
		return !crm_invoice_status_is(from, "paid");
	if (crm_invoice_status_is(from, "awaiting"))
		return crm_invoice_status_is(to, "paid") || crm_invoice_status_is(to, "cancelled") ||
			(by_system && crm_invoice_status_is(to, "prepaid"));
	if (crm_invoice_status_is(from, "prepaid"))
		return crm_invoice_status_is(to, "paid") || crm_invoice_status_is(to, "cancelled");
	if (crm_invoice_status_is(from, "paid"))
		return crm_invoice_status_is(to, "refunded");
	return false;
}

static void
check_move(const CrmRow *old, const char *from, const char *to)
{
	if (move_allowed(from, to, crm_write_allows(CRM_WRITE_DERIVED)))
		return;
	if (crm_invoice_status_is(from, "paid") &&
		(crm_invoice_status_is(to, "cancelled") || crm_invoice_status_is(to, "deleted")))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("invoice \"%s\" cannot move from \"paid\" to \"%s\"",
						crm_row_text(old, INV_NUMBER), to),
				 errdetail("Invoice %s is paid; a paid invoice is neither cancelled nor deleted, so that the payment stays on record and is counted once.",
						   crm_row_out(old, INV_ID)),
				 errhint("Refund it first with crm.refund_invoice(%s), or reissue it with crm.reissue_invoice(%s): the new invoice replaces it, and crm.partner_report counts the two once.",
						 crm_row_out(old, INV_ID), crm_row_out(old, INV_ID))));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("invoice \"%s\" cannot move from \"%s\" to \"%s\"",
					crm_row_text(old, INV_NUMBER), from, to),
			 errdetail("Invoice %s is %s; the invoice rules have no move from \"%s\" to \"%s\".",
					   crm_row_out(old, INV_ID), from, from, to),
			 errhint("Allowed from \"%s\": %s.", from, allowed_from(from))));
}

/* ---- derived and fixed columns ---- */

static const InvoiceColumn derived_columns[] = {
	INV_PAID_AMOUNT, INV_REFUNDED_AMOUNT, INV_INCOME, INV_PAID_AT, INV_AUTOPAY_COUNT,
	INV_AUTOPAY_PENDING, INV_AUTOPAY_QUEUED, INV_AUTOPAY_LAST_CHARGE_AT
};

static const InvoiceColumn fixed_columns[] = {
	INV_ACCOUNT_ID, INV_ID, INV_NUMBER, INV_NUMBER_SEQUENCE_ID, INV_NUMBER_SEQ, INV_CREATED_AT,
	INV_REPLACES_INVOICE_ID
};

static void
refuse_derived(InvoiceColumn col)
{
	const char *column = invoice_names[col];

	ereport(ERROR,
			(errcode(ERRCODE_GENERATED_ALWAYS),
			 errmsg("cannot write column \"%s\" of crm.invoices", column),
			 errdetail("%s is kept by crm from the invoice's payments and charges.", column),
			 errhint("Leave %s out; record payments with crm.record_payment.", column)));
}

static bool
is_zero_or_null(const CrmRow *row, InvoiceColumn col)
{
	const char *v = crm_row_out(row, col);

	return v == NULL || strcmp(v, "0") == 0 || strcmp(v, "0.00") == 0;
}

/* ---- invoice_10_before_insert ---- */

static CrmPlan account_template = {
	"SELECT invoice_number_template, timezone FROM crm.accounts WHERE id = $1",
	1, {INT8OID}
};
static CrmPlan invoice_max_number_query = {
	"SELECT max(number_seq) FROM crm.invoices WHERE account_id = $1 AND number_sequence_id = $2",
	2, {INT8OID, INT8OID}
};
static const CrmKeyedMax invoice_max_number = {"invoices", "invoices_number_seq_idx", &invoice_max_number_query};

static CrmPlan invoice_with_number = {
	"SELECT id FROM crm.invoices WHERE account_id = $1 AND number = $2",
	2, {INT8OID, TEXTOID}
};
static const CrmNumberedTable numbered_invoices = {
	"invoice", "invoice_number_template", "invoices_account_id_number_key", &invoice_with_number,
	&invoice_max_number, INV_NUMBER, INV_NUMBER_SEQUENCE_ID, INV_NUMBER_SEQ
};

/*
 * The number of a new invoice, as the owner: the one the writer gives
 * (judged, outside the counters), or the next of the account's template.
 */
static void
assign_number(CrmTrigger *trig, const CrmRow *row, CrmChanges *ch, int64 account_id,
			  TimestampTz created_at)
{
	CrmUserSwitch user;
	Datum		arg = Int64GetDatum(account_id);

	crm_trigger_connect(trig);
	crm_become_owner(&user);
	if (crm_exec(&account_template, &arg, NULL, true, 1) != 1)
		crm_error_no_account(account_id);
	crm_number_new_row(&numbered_invoices, trig->data->tg_relation, row, ch, account_id,
					   crm_get_text(0, 1), crm_get_text(0, 2), created_at);
	crm_restore_user(&user);
}

/*
 * An invoice an import made whole (import/invoices.c: its status, paid and
 * refunded amounts from its payments, its times) is kept as it is; one
 * without a number is numbered from the account's template.
 */
static HeapTuple
imported_invoice(CrmTrigger *trig, const CrmRow *row, int64 account_id)
{
	CrmChanges	ch = {0};
	bool		isnull;

	if (!crm_row_isnull(row, INV_NUMBER))
		return row->tuple;
	assign_number(trig, row, &ch, account_id,
				  DatumGetTimestampTz(crm_row_get(row, INV_CREATED_AT, &isnull)));
	return crm_changes_apply(row, &ch);
}

PG_FUNCTION_INFO_V1(crm_invoice_before_insert);
Datum
crm_invoice_before_insert(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		row;
	CrmChanges	ch = {0};
	bool		isnull;
	int64		account_id;
	TimestampTz created_at;
	char	   *status;

	crm_trigger_start(&trig, fcinfo, "crm_invoice_before_insert", CRM_BEFORE, CRM_ON_INSERT);
	if (trig.restoring)
		return crm_trigger_return(&trig, trig.new);
	row = crm_trigger_row(&trig, trig.new, &crm_invoice_columns);
	account_id = crm_row_int64(&row, INV_ACCOUNT_ID, &isnull);
	if (isnull)
		return crm_trigger_return(&trig, row.tuple);	/* NOT NULL reports it */
	if (crm_write_allows(CRM_WRITE_IMPORT))
		return crm_trigger_return(&trig, imported_invoice(&trig, &row, account_id));
	status = crm_row_text(&row, INV_STATUS);
	if (!crm_invoice_status_is(status, "awaiting"))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("a new invoice cannot start as \"%s\"", status ? status : "NULL"),
				 errdetail("Every invoice starts as \"awaiting\"."),
				 errhint("Leave status out of the INSERT; payments and the invoice actions move it.")));
	for (int i = 0; i < lengthof(derived_columns); i++)
		if (!is_zero_or_null(&row, derived_columns[i]))
			refuse_derived(derived_columns[i]);
	if (!crm_row_isnull(&row, INV_REPLACES_INVOICE_ID) && !crm_write_allows(CRM_WRITE_DERIVED))
		crm_error_generated_column("crm.invoices", "replaces_invoice_id",
								   "It records the invoice a reissue replaces, and crm.reissue_invoice sets it.");

	created_at = DatumGetTimestampTz(crm_row_get(&row, INV_CREATED_AT, &isnull));
	if (isnull)
		created_at = GetCurrentTransactionStartTimestamp();
	crm_check_time(created_at, "crm.invoices.created_at");	/* before it is numbered */
	crm_autopay_check_change(NULL, &row, status);

	assign_number(&trig, &row, &ch, account_id, created_at);
	crm_change(&ch, &row, INV_CREATED_AT, TimestampTzGetDatum(created_at), false);
	crm_change(&ch, &row, INV_UPDATED_AT, TimestampTzGetDatum(created_at), false);
	crm_change(&ch, &row, INV_STATUS_CHANGED_AT, TimestampTzGetDatum(created_at), false);
	if (crm_row_isnull(&row, INV_MANAGER_ID))
	{
		bool		no_employee;
		int64		employee = crm_employee_or_null(&no_employee);

		crm_change(&ch, &row, INV_MANAGER_ID, Int64GetDatum(employee), no_employee);
	}
	crm_autopay_normalise(&row, &ch, created_at);
	return crm_trigger_return(&trig, crm_changes_apply(&row, &ch));
}

/* ---- invoice_10_before_update ---- */

/* The columns an employee may not write, whatever the status. */
static void
check_fixed_and_derived(const CrmRow *old, const CrmRow *new)
{
	for (int i = 0; i < lengthof(fixed_columns); i++)
		if (!crm_row_same(old, new, fixed_columns[i]))
			crm_error_fixed_column("an invoice", invoice_names[fixed_columns[i]],
								   "crm.reissue_invoice makes a new invoice.");
	if (!crm_write_allows(CRM_WRITE_DERIVED))
		for (int i = 0; i < lengthof(derived_columns); i++)
			if (!crm_row_same(old, new, derived_columns[i]))
				refuse_derived(derived_columns[i]);
}

PG_FUNCTION_INFO_V1(crm_invoice_before_update);
Datum
crm_invoice_before_update(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		old;
	CrmRow		new;
	CrmChanges	ch = {0};
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	char	   *from;
	char	   *to;

	crm_trigger_start(&trig, fcinfo, "crm_invoice_before_update", CRM_BEFORE, CRM_ON_UPDATE);
	old = crm_trigger_row(&trig, trig.old, &crm_invoice_columns);
	new = crm_trigger_row(&trig, trig.new, &crm_invoice_columns);
	from = crm_row_text(&old, INV_STATUS);
	to = crm_row_text(&new, INV_STATUS);
	if (to == NULL)
		return crm_trigger_return(&trig, new.tuple);	/* NOT NULL reports it */

	check_fixed_and_derived(&old, &new);
	if (!crm_row_same(&old, &new, INV_AMOUNT) && !crm_invoice_status_is(from, "awaiting") &&
		!crm_write_allows(CRM_WRITE_DERIVED))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the amount of %s invoice \"%s\" cannot be changed", from,
						crm_row_text(&old, INV_NUMBER)),
				 errdetail("Invoice %s is %s; only an awaiting invoice can change its amount.",
						   crm_row_out(&old, INV_ID), from),
				 errhint("Reissue the invoice with crm.reissue_invoice.")));

	if (!crm_invoice_status_is(from, to))
	{
		check_move(&old, from, to);
		crm_change(&ch, &new, INV_STATUS_CHANGED_AT, TimestampTzGetDatum(now), false);
		/* paid by hand now; a payment gives its own time (payments.c) */
		if (crm_invoice_status_is(to, "paid") && crm_row_same(&old, &new, INV_PAID_AT))
			crm_change(&ch, &new, INV_PAID_AT, TimestampTzGetDatum(now), false);
		if (crm_invoice_status_final(to) && crm_row_bool(&new, INV_AUTOPAY))
			crm_change(&ch, &new, INV_AUTOPAY, BoolGetDatum(false), false);
	}
	if (!crm_row_isnull(&new, INV_AUTO_CANCEL_AT) &&
		!crm_row_same(&old, &new, INV_AUTO_CANCEL_AT) &&
		!crm_invoice_status_is(to, "awaiting") && !crm_invoice_status_is(to, "prepaid"))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("invoice \"%s\" is %s and cannot get an auto-cancel time",
						crm_row_text(&old, INV_NUMBER), to),
				 errdetail("Auto-cancel applies to awaiting and prepaid invoices only."),
				 errhint("Remove the time with crm.set_auto_cancel(%s, NULL), or leave it.",
						 crm_row_out(&old, INV_ID))));
	crm_autopay_check_change(&old, &new, to);
	crm_change(&ch, &new, INV_UPDATED_AT, TimestampTzGetDatum(now), false);

	/* normalise the row as it will be stored */
	{
		CrmRow		staged = new;
		CrmChanges	more = {0};

		staged.tuple = crm_changes_apply(&new, &ch);
		crm_autopay_normalise(&staged, &more, now);
		return crm_trigger_return(&trig, crm_changes_apply(&staged, &more));
	}
}

/* ---- the invoice row and writes as the caller ---- */

static CrmPlan invoice_row = {
	"SELECT i.* FROM crm.invoices AS i WHERE i.account_id = $1 AND i.id = $2",
	2, {INT8OID, INT8OID}
};
static CrmPlan set_status = {
	"UPDATE crm.invoices AS i SET status = $3 WHERE i.account_id = $1 AND i.id = $2 RETURNING i.*",
	3, {INT8OID, INT8OID, TEXTOID}
};

Datum
crm_invoice_row(int64 account_id, int64 invoice_id)
{
	Datum		args[2] = {Int64GetDatum(account_id), Int64GetDatum(invoice_id)};

	if (crm_exec(&invoice_row, args, NULL, false, 1) != 1)
		crm_error_not_found("invoice", account_id, invoice_id, ERRCODE_NO_DATA_FOUND);
	return crm_get_row_copy(0, 1, "invoices");
}

Datum
crm_invoice_update(CrmPlan *plan, int64 account_id, int64 invoice_id, Datum value,
				   bool value_null, const char *comment)
{
	CrmWriteScope scope = {0, NULL, comment};
	Datum		args[3] = {Int64GetDatum(account_id), Int64GetDatum(invoice_id), value};
	char		nulls[4] = {' ', ' ', value_null ? 'n' : ' ', '\0'};
	Datum		result;

	SPI_connect();
	if (crm_write_exec(&scope, plan, args, nulls) != 1)
		crm_error_not_found("invoice", account_id, invoice_id, ERRCODE_NO_DATA_FOUND);
	result = crm_get_row_copy(0, 1, "invoices");
	SPI_finish();
	return result;
}

Datum
crm_invoice_move(int64 account_id, int64 invoice_id, const char *to, const char *comment)
{
	return crm_invoice_update(&set_status, account_id, invoice_id, CStringGetTextDatum(to),
							  false, comment);
}

int64
crm_invoices_due_write(const char *kind, const char *reason, CrmPlan *plan, const CrmDueScope *due)
{
	CrmWriteScope scope = {CRM_WRITE_DERIVED | CRM_WRITE_BY_SCHEDULER | CRM_WRITE_OWN_HISTORY,
	reason, NULL};
	Datum		args[CRM_DUE_NARGS];
	char		nulls[CRM_DUE_NARGS + 1];

	crm_due_args(kind, due, args, nulls);
	crm_write_exec(&scope, plan, args, nulls);
	return crm_get_int64(0, 1, NULL);
}
