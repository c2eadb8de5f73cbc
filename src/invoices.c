/*
 * invoices.c
 *	  Invoices: numbering, the status state machine, items, invoice events
 *	  and auto-cancel.  The invoice actions are in invoice_actions.c, payments
 *	  and autopay in payments.c.
 *
 * Triggers on crm.invoices:
 *	invoice_10_before_insert	number, manager, starting state, autopay schedule
 *	invoice_10_before_update	fixed and derived columns, transitions, autopay rules
 *	invoice_90_history			one crm.invoice_events row per change worth keeping
 * Triggers on crm.invoice_items: items change only while the invoice is
 * awaiting; the invoice amount is the sum of its items.
 *
 * Status moves (the same for the actions and a plain UPDATE):
 *	awaiting -> prepaid (only from a payment) | paid | cancelled | deleted
 *	prepaid  -> paid | cancelled | deleted
 *	paid     -> refunded | deleted
 *	cancelled, refunded -> deleted
 * Derived columns (paid_amount, refunded_amount, autopay_count,
 * autopay_pending, autopay_queued, autopay_last_charge_at) are written only by
 * the system, which says why through crm_invoice_event_reason.  The call
 * centre's columns (next_call_at, call_attempts, calls_stopped) are free.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_collation_d.h"
#include "catalog/pg_type_d.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "crm.h"

const char *crm_invoice_event_reason = NULL;

/* While a due handler runs: its changes are the scheduler's, by no employee. */
bool		crm_invoice_by_scheduler = false;
static const char *pending_comment = NULL;

/* ---- tuple access ---- */

Datum
crm_invoice_col(HeapTuple tuple, TupleDesc desc, const char *name, bool *isnull)
{
	int			attnum = SPI_fnumber(desc, name);

	if (attnum <= 0)
		elog(ERROR, "crm: table has no column \"%s\"", name);
	return SPI_getbinval(tuple, desc, attnum, isnull);
}

typedef struct Row
{
	HeapTuple	tuple;
	TupleDesc	desc;
} Row;

static Datum
col(Row *r, const char *name, bool *isnull)
{
	return crm_invoice_col(r->tuple, r->desc, name, isnull);
}

static int64
col_int64(Row *r, const char *name, bool *isnull)
{
	Datum		d = col(r, name, isnull);

	return *isnull ? 0 : DatumGetInt64(d);
}

static char *
col_text(Row *r, const char *name)
{
	bool		isnull;
	Datum		d = col(r, name, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

static bool
col_bool(Row *r, const char *name)
{
	bool		isnull;
	Datum		d = col(r, name, &isnull);

	return !isnull && DatumGetBool(d);
}

static int32
col_int32(Row *r, const char *name, bool *isnull)
{
	Datum		d = col(r, name, isnull);

	return *isnull ? 0 : DatumGetInt32(d);
}

/* Same value in both rows, compared by the type's output text. */
static bool
same(Row *a, Row *b, const char *name)
{
	int			attnum = SPI_fnumber(a->desc, name);
	char	   *av = SPI_getvalue(a->tuple, a->desc, attnum);
	char	   *bv = SPI_getvalue(b->tuple, b->desc, attnum);

	if (av == NULL || bv == NULL)
		return av == bv;
	return strcmp(av, bv) == 0;
}

static const char *
col_out(Row *r, const char *name)
{
	return SPI_getvalue(r->tuple, r->desc, SPI_fnumber(r->desc, name));
}

#define MAX_CHANGES 16
typedef struct Changes
{
	int			n;
	int			attnums[MAX_CHANGES];
	Datum		values[MAX_CHANGES];
	bool		nulls[MAX_CHANGES];
} Changes;

static void
change(Changes *ch, TupleDesc desc, const char *name, Datum value, bool isnull)
{
	Assert(ch->n < MAX_CHANGES);
	ch->attnums[ch->n] = SPI_fnumber(desc, name);
	ch->values[ch->n] = value;
	ch->nulls[ch->n] = isnull;
	ch->n++;
}

static HeapTuple
apply(Row *r, Changes *ch)
{
	if (ch->n == 0)
		return r->tuple;
	return heap_modify_tuple_by_cols(r->tuple, r->desc, ch->n, ch->attnums, ch->values, ch->nulls);
}

/* ---- events ---- */

static CrmPlan insert_event = {
	"INSERT INTO crm.invoice_events (account_id, invoice_id, employee_id, kind, "
	"from_status, to_status, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
	7, {INT8OID, INT8OID, INT8OID, TEXTOID, TEXTOID, TEXTOID, JSONBOID}
};

void
crm_invoice_event(int64 account_id, int64 invoice_id, const char *kind,
				  const char *from_status, const char *to_status,
				  int npairs, const char **keys, const char **values)
{
	Datum		args[7];
	char		nulls[8] = "       ";
	bool		no_employee;
	const char *k[12];
	const char *v[12];
	int			n = 0;

	Assert(npairs < 11);
	if (crm_invoice_event_reason)
	{
		k[n] = "reason";
		v[n++] = crm_invoice_event_reason;
	}
	for (int i = 0; i < npairs; i++)
	{
		k[n] = keys[i];
		v[n++] = values[i];
	}
	args[0] = Int64GetDatum(account_id);
	args[1] = Int64GetDatum(invoice_id);
	args[2] = Int64GetDatum(crm_employee_or_null(&no_employee));
	if (crm_invoice_by_scheduler)
		no_employee = true;
	args[3] = CStringGetTextDatum(kind);
	args[4] = from_status ? CStringGetTextDatum(from_status) : (Datum) 0;
	args[5] = to_status ? CStringGetTextDatum(to_status) : (Datum) 0;
	args[6] = crm_json_object(n, k, v);
	nulls[2] = no_employee ? 'n' : ' ';
	nulls[4] = from_status ? ' ' : 'n';
	nulls[5] = to_status ? ' ' : 'n';
	crm_exec(&insert_event, args, nulls, false, 0);
}

/* ---- the state machine ---- */

static bool
is_status(const char *s, const char *a)
{
	return s && strcmp(s, a) == 0;
}

static bool
status_final(const char *s)
{
	return is_status(s, "cancelled") || is_status(s, "refunded") || is_status(s, "deleted");
}

/* The statuses an employee may move an invoice to from `from`. */
static const char *
allowed_from(const char *from)
{
	if (is_status(from, "awaiting"))
		return "\"paid\", \"cancelled\", \"deleted\" (\"prepaid\" follows from a payment)";
	if (is_status(from, "prepaid"))
		return "\"paid\", \"cancelled\", \"deleted\"";
	if (is_status(from, "paid"))
		return "\"refunded\", \"deleted\"";
	if (is_status(from, "deleted"))
		return "none: a deleted invoice stays deleted";
	return "\"deleted\"";
}

static bool
move_allowed(const char *from, const char *to, bool by_system)
{
	if (is_status(from, "deleted"))
		return false;
	if (is_status(to, "deleted"))
		return true;
	if (is_status(from, "awaiting"))
		return is_status(to, "paid") || is_status(to, "cancelled") ||
			(by_system && is_status(to, "prepaid"));
	if (is_status(from, "prepaid"))
		return is_status(to, "paid") || is_status(to, "cancelled");
	if (is_status(from, "paid"))
		return is_status(to, "refunded");
	return false;
}

static void
check_move(Row *old, const char *from, const char *to)
{
	if (move_allowed(from, to, crm_invoice_event_reason != NULL))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("invoice \"%s\" cannot move from \"%s\" to \"%s\"", col_text(old, "number"), from, to),
			 errdetail("Invoice %s is %s; the invoice rules have no move from \"%s\" to \"%s\".",
					   col_out(old, "id"), from, from, to),
			 errhint("Allowed from \"%s\": %s.", from, allowed_from(from))));
}

static bool
is_crm_admin(void)
{
	Oid			admin = get_role_oid("crm_admin", true);

	return superuser() || (OidIsValid(admin) && has_privs_of_role(GetUserId(), admin));
}

/* ---- numbering and defaults ---- */

static CrmPlan account_template = {
	"SELECT invoice_number_template, timezone FROM crm.accounts WHERE id = $1",
	1, {INT8OID}
};
static CrmPlan invoice_max_number = {
	"SELECT max(number_seq) FROM crm.invoices WHERE account_id = $1 AND number_sequence_id = $2",
	2, {INT8OID, INT8OID}
};

static void
refuse_derived(const char *column)
{
	ereport(ERROR,
			(errcode(ERRCODE_GENERATED_ALWAYS),
			 errmsg("cannot write column \"%s\" of crm.invoices", column),
			 errdetail("%s is kept by crm from the invoice's payments and charges.", column),
			 errhint("Leave %s out; record payments with crm.record_payment.", column)));
}

static const char *const derived_columns[] = {
	"paid_amount", "refunded_amount", "autopay_count", "autopay_pending",
	"autopay_queued", "autopay_last_charge_at"
};

static bool
is_zero_or_null(Row *r, const char *name)
{
	const char *v = col_out(r, name);

	return v == NULL || strcmp(v, "0") == 0 || strcmp(v, "0.00") == 0;
}

/*
 * Keeps the autopay columns consistent: off means no next charge; on needs an
 * interval; once successful plus pending charges reach the limit there is no
 * next charge, and once the successful ones reach it autopay is off; while
 * there is room a next charge is always scheduled.
 */
static void
normalise_autopay(Row *new, Changes *ch, TimestampTz now)
{
	bool		isnull,
				limit_null,
				next_null;
	bool		autopay = col_bool(new, "autopay");
	int32		limit = col_int32(new, "autopay_limit", &limit_null);
	int32		count = col_int32(new, "autopay_count", &isnull);
	int32		pending = col_int32(new, "autopay_pending", &isnull);
	Datum		interval = col(new, "autopay_interval", &isnull);
	bool		interval_null = isnull;
	Datum		last;
	bool		last_null;

	(void) col(new, "next_charge_at", &next_null);
	if (autopay && !limit_null && count >= limit)
	{
		change(ch, new->desc, "autopay", BoolGetDatum(false), false);
		autopay = false;
	}
	if (!autopay)
	{
		if (!next_null)
			change(ch, new->desc, "next_charge_at", (Datum) 0, true);
		return;
	}
	if (interval_null ||
		DatumGetBool(DirectFunctionCall2(interval_le, interval,
										 DirectFunctionCall3(interval_in, CStringGetDatum("0"),
															 ObjectIdGetDatum(InvalidOid),
															 Int32GetDatum(-1)))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("autopay of invoice \"%s\" needs a positive autopay_interval",
						col_text(new, "number") ? col_text(new, "number") : "new"),
				 errdetail("autopay_interval is %s.", interval_null ? "NULL" : col_out(new, "autopay_interval")),
				 errhint("Set autopay_interval, for example to '1 month', before turning autopay on.")));
	if (!limit_null && count + pending >= limit)
	{
		if (!next_null)
			change(ch, new->desc, "next_charge_at", (Datum) 0, true);
		return;
	}
	if (next_null)
	{
		last = col(new, "autopay_last_charge_at", &last_null);
		if (last_null)
			change(ch, new->desc, "next_charge_at", TimestampTzGetDatum(now), false);
		else
			change(ch, new->desc, "next_charge_at",
				   DirectFunctionCall2(timestamptz_pl_interval, last, interval), false);
	}
}

PG_FUNCTION_INFO_V1(crm_invoice_before_insert);
Datum
crm_invoice_before_insert(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	Row			row;
	Changes		ch = {0};
	CrmUserSwitch user;
	bool		isnull;
	int64		account_id,
				sequence_id,
				seq;
	TimestampTz created_at;
	char	   *tmpl,
			   *tz,
			   *number,
			   *status;

	crm_trigger_start(&trig, fcinfo, "crm_invoice_before_insert", CRM_BEFORE, CRM_ON_INSERT);
	row.tuple = trig.new;
	row.desc = trig.desc;
	account_id = col_int64(&row, "account_id", &isnull);
	if (isnull)
		return PointerGetDatum(row.tuple);	/* NOT NULL reports it */
	(void) col(&row, "number", &isnull);
	if (!isnull)
		ereport(ERROR,
				(errcode(ERRCODE_GENERATED_ALWAYS),
				 errmsg("cannot insert a value into column \"number\" of crm.invoices"),
				 errdetail("Invoice numbers are made from the account's invoice_number_template."),
				 errhint("Leave number out of the INSERT.")));
	status = col_text(&row, "status");
	if (!is_status(status, "awaiting"))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("a new invoice cannot start as \"%s\"", status ? status : "NULL"),
				 errdetail("Every invoice starts as \"awaiting\"."),
				 errhint("Leave status out of the INSERT; payments and the invoice actions move it.")));
	for (int i = 0; i < lengthof(derived_columns); i++)
		if (!is_zero_or_null(&row, derived_columns[i]))
			refuse_derived(derived_columns[i]);

	created_at = DatumGetTimestampTz(col(&row, "created_at", &isnull));
	if (isnull)
		created_at = GetCurrentTransactionStartTimestamp();

	crm_trigger_connect(&trig);
	crm_become_owner(&user);
	{
		Datum		arg = Int64GetDatum(account_id);

		if (crm_exec(&account_template, &arg, NULL, true, 1) != 1)
			elog(ERROR, "crm: account %lld not found", (long long) account_id);
		tmpl = crm_get_text(0, 1);
		tz = crm_get_text(0, 2);
	}
	number = crm_number_next(account_id, tmpl, tz, created_at, &invoice_max_number,
							 &sequence_id, &seq);
	crm_restore_user(&user);

	change(&ch, row.desc, "number", CStringGetTextDatum(number), false);
	change(&ch, row.desc, "number_sequence_id", Int64GetDatum(sequence_id), false);
	change(&ch, row.desc, "number_seq", Int64GetDatum(seq), false);
	change(&ch, row.desc, "created_at", TimestampTzGetDatum(created_at), false);
	change(&ch, row.desc, "updated_at", TimestampTzGetDatum(created_at), false);
	change(&ch, row.desc, "status_changed_at", TimestampTzGetDatum(created_at), false);
	(void) col(&row, "manager_id", &isnull);
	if (isnull)
	{
		bool		no_employee;
		int64		employee = crm_employee_or_null(&no_employee);

		change(&ch, row.desc, "manager_id", Int64GetDatum(employee), no_employee);
	}
	normalise_autopay(&row, &ch, created_at);
	return crm_trigger_return(&trig, apply(&row, &ch));
}

static void
refuse_change(Row *old, Row *new, const char *column)
{
	if (!same(old, new, column))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("column \"%s\" of an invoice cannot be changed", column),
				 errdetail("It is fixed when the invoice is created."),
				 errhint("Leave %s out of the UPDATE; crm.reissue_invoice makes a new invoice.", column)));
}

static void
check_autopay_change(Row *old, Row *new, const char *to_status)
{
	bool		was = col_bool(old, "autopay");
	bool		now_on = col_bool(new, "autopay");

	if (was && !now_on && crm_invoice_event_reason == NULL && !is_crm_admin())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only an administrator can turn off autopay of invoice \"%s\"", col_text(old, "number")),
				 errdetail("Turning autopay off stops the client's recurring charges."),
				 errhint("Ask a member of crm_admin to run crm.set_autopay(%s, false).", col_out(old, "id"))));
	if (!was && now_on)
	{
		bool		isnull;
		int32		limit = col_int32(new, "autopay_limit", &isnull);

		if (status_final(to_status))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("autopay cannot be turned on for %s invoice \"%s\"", to_status, col_text(old, "number")),
					 errdetail("Invoice %s is %s.", col_out(old, "id"), to_status),
					 errhint("Autopay is for awaiting, prepaid and paid invoices.")));
		if (!isnull && col_int32(new, "autopay_count", &isnull) >= limit)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("autopay of invoice \"%s\" has reached its limit of %d charges", col_text(old, "number"), limit),
					 errdetail("%s charges succeeded.", col_out(new, "autopay_count")),
					 errhint("Raise autopay_limit first.")));
	}
}

PG_FUNCTION_INFO_V1(crm_invoice_before_update);
Datum
crm_invoice_before_update(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	TupleDesc	desc;
	Row			old;
	Row			new;
	Changes		ch = {0};
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	char	   *from;
	char	   *to;
	bool		isnull;

	crm_trigger_start(&trig, fcinfo, "crm_invoice_before_update", CRM_BEFORE, CRM_ON_UPDATE);
	desc = trig.desc;
	old.tuple = trig.old;
	old.desc = desc;
	new.tuple = trig.new;
	new.desc = desc;
	from = col_text(&old, "status");
	to = col_text(&new, "status");
	if (to == NULL)
		return crm_trigger_return(&trig, new.tuple);	/* NOT NULL reports it */

	refuse_change(&old, &new, "account_id");
	refuse_change(&old, &new, "id");
	refuse_change(&old, &new, "number");
	refuse_change(&old, &new, "number_sequence_id");
	refuse_change(&old, &new, "number_seq");
	refuse_change(&old, &new, "created_at");
	if (crm_invoice_event_reason == NULL)
		for (int i = 0; i < lengthof(derived_columns); i++)
			if (!same(&old, &new, derived_columns[i]))
				refuse_derived(derived_columns[i]);

	if (!same(&old, &new, "amount") && !is_status(from, "awaiting") && crm_invoice_event_reason == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the amount of %s invoice \"%s\" cannot be changed", from, col_text(&old, "number")),
				 errdetail("Invoice %s is %s; only an awaiting invoice can change its amount.", col_out(&old, "id"), from),
				 errhint("Reissue the invoice with crm.reissue_invoice.")));

	if (!is_status(from, to))
	{
		check_move(&old, from, to);
		change(&ch, desc, "status_changed_at", TimestampTzGetDatum(now), false);
		if (status_final(to) && col_bool(&new, "autopay"))
			change(&ch, desc, "autopay", BoolGetDatum(false), false);
	}
	(void) col(&new, "auto_cancel_at", &isnull);
	if (!isnull && !same(&old, &new, "auto_cancel_at") &&
		!is_status(to, "awaiting") && !is_status(to, "prepaid"))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("invoice \"%s\" is %s and cannot get an auto-cancel time", col_text(&old, "number"), to),
				 errdetail("Auto-cancel applies to awaiting and prepaid invoices only."),
				 errhint("Remove the time with crm.set_auto_cancel(%s, NULL), or leave it.", col_out(&old, "id"))));
	check_autopay_change(&old, &new, to);
	change(&ch, desc, "updated_at", TimestampTzGetDatum(now), false);

	/* normalise the row as it will be stored */
	{
		HeapTuple	staged = apply(&new, &ch);
		Row			r = {staged, desc};
		Changes		more = {0};

		normalise_autopay(&r, &more, now);
		return crm_trigger_return(&trig, apply(&r, &more));
	}
}

/* ---- history ---- */

static void
change_event(Row *old, Row *new, const char *column, const char *kind)
{
	const char *keys[2] = {"from", "to"};
	const char *values[2];
	bool		isnull;

	if (same(old, new, column))
		return;
	values[0] = col_out(old, column);
	values[1] = col_out(new, column);
	crm_invoice_event(col_int64(new, "account_id", &isnull), col_int64(new, "id", &isnull),
					  kind, NULL, NULL, 2, keys, values);
}

static bool
limit_reached(Row *r)
{
	bool		isnull;
	int32		limit = col_int32(r, "autopay_limit", &isnull);

	return !isnull && col_int32(r, "autopay_count", &isnull) >= limit;
}

static void
autopay_events(Row *old, Row *new, int64 account_id, int64 invoice_id)
{
	bool		was = col_bool(old, "autopay");
	bool		is = col_bool(new, "autopay");

	if (!same(old, new, "autopay_queued"))
	{
		const char *keys[4] = {"charge", "due_at", "amount", "next_charge_at"};
		const char *values[4] = {col_out(new, "autopay_queued"), col_out(new, "autopay_last_charge_at"),
		col_out(new, "amount"), col_out(new, "next_charge_at")};

		crm_invoice_event(account_id, invoice_id, "charge_queued", NULL, NULL, 4, keys, values);
	}
	else if (was && is && !same(old, new, "next_charge_at"))
		change_event(old, new, "next_charge_at", "next_charge_changed");
	if (!was && is)
	{
		const char *keys[3] = {"next_charge_at", "interval", "limit"};
		const char *values[3] = {col_out(new, "next_charge_at"), col_out(new, "autopay_interval"),
		col_out(new, "autopay_limit")};

		crm_invoice_event(account_id, invoice_id, "autopay_on", NULL, NULL, 3, keys, values);
	}
	else if (was && !is)
	{
		bool		finished = limit_reached(new);
		const char *keys[2] = {"charges", "why"};
		const char *values[2] = {col_out(new, "autopay_count"),
			finished ? "limit_reached" : (!is_status(col_text(old, "status"), col_text(new, "status")) ? col_text(new, "status") : "turned_off")};

		crm_invoice_event(account_id, invoice_id, "autopay_off", NULL, NULL, 2, keys, values);
	}
}

PG_FUNCTION_INFO_V1(crm_invoice_after_write);
Datum
crm_invoice_after_write(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = crm_check_row_trigger(fcinfo, "crm_invoice_after_write", false);
	TupleDesc	desc = trigdata->tg_relation->rd_att;
	bool		is_update = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event);
	Row			old = {trigdata->tg_trigtuple, desc};
	Row			new = {is_update ? trigdata->tg_newtuple : trigdata->tg_trigtuple, desc};
	CrmUserSwitch user;
	bool		isnull;
	int64		account_id = col_int64(&new, "account_id", &isnull);
	int64		invoice_id = col_int64(&new, "id", &isnull);
	char	   *to = col_text(&new, "status");

	SPI_connect();
	crm_become_owner(&user);
	if (!is_update)
	{
		const char *keys[3] = {"number", "amount", "comment"};
		const char *values[3] = {col_text(&new, "number"), col_out(&new, "amount"), pending_comment};

		crm_invoice_event(account_id, invoice_id, "created", NULL, to, 3, keys, values);
		if (col_bool(&new, "autopay"))
		{
			const char *k[3] = {"next_charge_at", "interval", "limit"};
			const char *v[3] = {col_out(&new, "next_charge_at"), col_out(&new, "autopay_interval"),
			col_out(&new, "autopay_limit")};

			crm_invoice_event(account_id, invoice_id, "autopay_on", NULL, NULL, 3, k, v);
		}
	}
	else
	{
		char	   *from = col_text(&old, "status");

		if (!is_status(from, to))
		{
			const char *keys[1] = {"comment"};
			const char *values[1] = {pending_comment};

			crm_invoice_event(account_id, invoice_id, "status_changed", from, to, 1, keys, values);
		}
		if (!same(&old, &new, "note"))
		{
			const char *keys[1] = {"note"};
			const char *values[1] = {col_text(&new, "note")};

			crm_invoice_event(account_id, invoice_id, "note", NULL, NULL, 1, keys, values);
		}
		change_event(&old, &new, "auto_cancel_at", "auto_cancel_changed");
		change_event(&old, &new, "manager_id", "manager_changed");
		change_event(&old, &new, "amount", "amount_changed");
		autopay_events(&old, &new, account_id, invoice_id);
	}
	crm_restore_user(&user);
	SPI_finish();
	return PointerGetDatum(NULL);
}

/*
 * Runs a system write of crm.invoices: the triggers let it write derived
 * columns and record `reason` in the events (by no employee when the
 * scheduler runs it).  Returns SPI_processed.
 */
uint64
crm_invoice_system_exec(CrmPlan *plan, Datum *args, const char *nulls, const char *reason,
						bool by_scheduler)
{
	const char *saved_reason = crm_invoice_event_reason;
	bool		saved_scheduler = crm_invoice_by_scheduler;
	uint64		n = 0;

	PG_TRY();
	{
		crm_invoice_event_reason = reason;
		crm_invoice_by_scheduler = by_scheduler;
		n = crm_exec(plan, args, nulls, false, 0);
	}
	PG_FINALLY();
	{
		crm_invoice_event_reason = saved_reason;
		crm_invoice_by_scheduler = saved_scheduler;
	}
	PG_END_TRY();
	return n;
}

/* ---- items ---- */

static CrmPlan lock_invoice_status = {
	"SELECT status, number FROM crm.invoices WHERE account_id = $1 AND id = $2 FOR UPDATE",
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

static void
require_awaiting_invoice(int64 account_id, int64 invoice_id)
{
	Datum		args[2] = {Int64GetDatum(account_id), Int64GetDatum(invoice_id)};
	char	   *status;

	if (crm_exec(&lock_invoice_status, args, NULL, false, 1) == 0)
		return;					/* the foreign key reports it */
	status = crm_get_text(0, 1);
	if (!is_status(status, "awaiting"))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("items of %s invoice \"%s\" cannot be changed", status, crm_get_text(0, 2)),
				 errdetail("Invoice %lld is %s; items change only while it is awaiting.",
						   (long long) invoice_id, status),
				 errhint("Reissue the invoice with crm.reissue_invoice.")));
}

PG_FUNCTION_INFO_V1(crm_invoice_item_before_write);
Datum
crm_invoice_item_before_write(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	TupleDesc	desc;
	bool		is_update;
	bool		is_delete;
	Row			old;
	Row			new;
	Changes		ch = {0};
	CrmUserSwitch user;
	bool		isnull;
	int64		account_id;

	crm_trigger_start(&trig, fcinfo, "crm_invoice_item_before_write", CRM_BEFORE,
					  CRM_ON_INSERT | CRM_ON_UPDATE | CRM_ON_DELETE);
	desc = trig.desc;
	is_update = trig.is_update;
	is_delete = trig.is_delete;
	old.tuple = trig.data->tg_trigtuple;
	old.desc = desc;
	new.tuple = is_update ? trig.new : trig.data->tg_trigtuple;
	new.desc = desc;
	account_id = col_int64(&new, "account_id", &isnull);
	if (isnull)
		return crm_trigger_return(&trig, new.tuple);
	crm_trigger_connect(&trig);
	crm_become_owner(&user);
	require_awaiting_invoice(account_id, col_int64(&new, "invoice_id", &isnull));
	if (is_update && !same(&old, &new, "invoice_id"))
		require_awaiting_invoice(account_id, col_int64(&old, "invoice_id", &isnull));
	if (!is_delete)
	{
		(void) col(&new, "price", &isnull);
		if (isnull)
		{
			Datum		args[2] = {Int64GetDatum(account_id), Int64GetDatum(col_int64(&new, "offer_id", &isnull))};

			if (crm_exec(&offer_price, args, NULL, true, 1) == 1)
				change(&ch, desc, "price",
					   SPI_datumTransfer(crm_get(0, 1, &isnull), false, -1), false);
		}
	}
	crm_restore_user(&user);
	return crm_trigger_return(&trig, is_delete ? old.tuple : apply(&new, &ch));
}

static void
recompute_amount(int64 account_id, int64 invoice_id)
{
	Datum		args[2] = {Int64GetDatum(account_id), Int64GetDatum(invoice_id)};

	crm_invoice_system_exec(&items_total, args, NULL, "items_changed", false);
}

PG_FUNCTION_INFO_V1(crm_invoice_item_after_write);
Datum
crm_invoice_item_after_write(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = crm_check_row_trigger(fcinfo, "crm_invoice_item_after_write", false);
	TupleDesc	desc = trigdata->tg_relation->rd_att;
	bool		is_update = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event);
	Row			old = {trigdata->tg_trigtuple, desc};
	Row			new = {is_update ? trigdata->tg_newtuple : trigdata->tg_trigtuple, desc};
	CrmUserSwitch user;
	bool		isnull;
	int64		account_id = col_int64(&new, "account_id", &isnull);

	SPI_connect();
	crm_become_owner(&user);
	recompute_amount(account_id, col_int64(&new, "invoice_id", &isnull));
	if (is_update && !same(&old, &new, "invoice_id"))
		recompute_amount(account_id, col_int64(&old, "invoice_id", &isnull));
	crm_restore_user(&user);
	SPI_finish();
	return PointerGetDatum(NULL);
}

/* The comment the next invoice event records; returns the previous one. */
const char *
crm_invoice_pending_comment(const char *comment)
{
	const char *saved = pending_comment;

	pending_comment = comment;
	return saved;
}

/* ---- auto-cancel ---- */

/*
 * Claims due invoices with SKIP LOCKED, so two sessions never cancel the same
 * one, and re-checks the status on the row it updates: a payment that got
 * there first leaves it paid.
 */
/*
 * The claim is a materialized CTE, run once: as a subquery in FROM the planner
 * may re-run it per row, claiming more than max_items.  The UPDATE finds the
 * claimed rows by ctid: they were locked while matching (FOR UPDATE re-checks
 * a row changed by a committed transaction) and stay locked, so the version
 * claimed is the one updated.  A join by key (and the due conditions again)
 * lets the planner, which cannot estimate the claim, hash the whole table or
 * rescan the claim per invoice.
 */
static CrmPlan auto_cancel_due = {
	"WITH d AS MATERIALIZED ("
	"  SELECT ctid FROM crm.invoices "
	"  WHERE auto_cancel_at <= $1 AND status IN ('awaiting', 'prepaid') "
	"  ORDER BY auto_cancel_at, account_id, id LIMIT $2 FOR UPDATE SKIP LOCKED) "
	"UPDATE crm.invoices AS i SET status = 'cancelled' "
	"FROM d WHERE i.ctid = d.ctid",
	2, {TIMESTAMPTZOID, INT8OID}
};
static CrmPlan auto_cancel_next = {
	"SELECT min(auto_cancel_at) FROM crm.invoices "
	"WHERE auto_cancel_at IS NOT NULL AND status IN ('awaiting', 'prepaid')",
	0, {InvalidOid}
};

static int64
auto_cancel_run(TimestampTz now, int64 max_items)
{
	Datum		args[2] = {TimestampTzGetDatum(now), Int64GetDatum(max_items)};

	return (int64) crm_invoice_system_exec(&auto_cancel_due, args, NULL, "auto_cancel", true);
}

bool
crm_min_timestamp(CrmPlan *plan, TimestampTz *at)
{
	bool		isnull;
	Datum		d;

	crm_exec(plan, NULL, NULL, true, 1);
	d = crm_get(0, 1, &isnull);
	if (isnull)
		return false;
	*at = DatumGetTimestampTz(d);
	return true;
}

static bool
auto_cancel_next_due(TimestampTz *at)
{
	return crm_min_timestamp(&auto_cancel_next, at);
}

static const CrmDueHandler auto_cancel_handler = {
	"invoice_auto_cancel", auto_cancel_run, auto_cancel_next_due
};

void
crm_invoices_init(void)
{
	crm_register_due_handler(&auto_cancel_handler);
	crm_payments_init();
}
