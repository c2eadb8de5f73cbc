/*
 * invoices/events.c
 *	  Invoice events: the history of every invoice in crm.invoice_events.
 *
 * Trigger on crm.invoices:
 *	invoice_90_history	crm_invoice_after_write: one event per change worth
 *						keeping (created, status_changed, note,
 *						auto_cancel_changed, manager_changed, amount_changed,
 *						charge_queued, next_charge_changed, autopay_on,
 *						autopay_off; an import writes its own 'created' and
 *						payment events)
 * Shared by the family: crm_invoice_event (payments, refunds and reissues
 * append their own events with it).
 *
 * The due handlers (auto_cancel.c, autopay.c) write the events of their
 * changes themselves, as one set per batch (CRM_WRITE_OWN_HISTORY), the same
 * rows this trigger would write.
 *
 * An event names the current employee, or none when the scheduler writes;
 * the reason of a write by crm itself is the detail's "reason", and an
 * action's comment is the "comment" of the created or status_changed event
 * (see invoices.h).
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type_d.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "invoices/invoices.h"
#include "kit/direct_insert.h"
#include "values.h"

static CrmPlan insert_event = {
	"INSERT INTO crm.invoice_events (account_id, invoice_id, employee_id, kind, "
	"from_status, to_status, detail, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
	8, {INT8OID, INT8OID, INT8OID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, TIMESTAMPTZOID}
};

/*
 * The same row written directly (kit/direct_insert.h), in insert_event's
 * order; id from the table's identity.  Its rule invoice_events_values (the
 * business time of "at") is applied here.  The foreign key to crm.invoices
 * is proven by every writer: an event is written for an invoice this
 * transaction holds (invoice_90_history fires on the invoice's own insert or
 * update, a payment, refund or reissue locks it FOR UPDATE first, a call's
 * event follows the call's own check of the same key and its update of the
 * invoice's schedule).
 */
static const char *const event_names[] = {
	"account_id", "invoice_id", "employee_id", "kind", "from_status", "to_status", "detail", "at"
};
static CrmColumnMap event_columns = {"crm.invoice_events", lengthof(event_names), event_names};
static const char *const event_triggers[] = {"invoice_events_values", NULL};
static const char *const event_keys[] = {"invoice_events_account_id_invoice_id_fkey", NULL};
static CrmDirectTable invoice_events = {
	.table = "invoice_events", .columns = &event_columns, .own_triggers = event_triggers,
	.proven_keys = event_keys
};

/* Writes one event: args and nulls in insert_event's order. */
static void
write_event(Datum *args, const bool *nulls)
{
	CrmDirectWrite *w = crm_direct_begin(&invoice_events);
	char		spi_nulls[9] = "        ";

	if (w == NULL)
	{
		for (int i = 0; i < 8; i++)
			spi_nulls[i] = nulls[i] ? 'n' : ' ';
		crm_exec(&insert_event, args, spi_nulls, false, 0);
		return;
	}
	crm_check_time(DatumGetTimestampTz(args[7]), "crm.invoice_events.at");
	crm_direct_insert(w, args, nulls);
	crm_direct_end(w);
}

void
crm_invoice_detail_begin(CrmJson *detail)
{
	const char *reason = crm_write_reason();

	crm_json_begin(detail);
	if (reason)
		crm_json_text(detail, "reason", reason);
}

void
crm_invoice_event(int64 account_id, int64 invoice_id, const char *kind,
				  const char *from_status, const char *to_status, CrmJson *detail)
{
	Datum		args[8];
	bool		nulls[8] = {false};
	bool		no_employee;

	args[0] = Int64GetDatum(account_id);
	args[1] = Int64GetDatum(invoice_id);
	args[2] = Int64GetDatum(crm_employee_or_null(&no_employee));
	if (crm_write_allows(CRM_WRITE_BY_SCHEDULER))
		no_employee = true;
	args[3] = CStringGetTextDatum(kind);
	args[4] = from_status ? CStringGetTextDatum(from_status) : (Datum) 0;
	args[5] = to_status ? CStringGetTextDatum(to_status) : (Datum) 0;
	args[6] = crm_json_jsonb(detail);
	args[7] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());	/* the column's now() */
	nulls[2] = no_employee;
	nulls[4] = from_status == NULL;
	nulls[5] = to_status == NULL;
	write_event(args, nulls);
}

/* See invoices/public.h. */
void
crm_invoice_call_event(int64 account_id, int64 invoice_id, Datum at, int64 employee_id,
					   bool employee_null, Datum detail_jsonb)
{
	Datum		args[8];
	bool		nulls[8] = {false};

	args[0] = Int64GetDatum(account_id);
	args[1] = Int64GetDatum(invoice_id);
	args[2] = Int64GetDatum(employee_id);
	args[3] = CStringGetTextDatum("call");
	args[4] = args[5] = (Datum) 0;
	args[6] = detail_jsonb;
	args[7] = at;
	nulls[2] = employee_null;
	nulls[4] = nulls[5] = true;
	write_event(args, nulls);
}

/* A "from"/"to" event when column changed. */
static void
change_event(const CrmRow *old, const CrmRow *new, InvoiceColumn col, const char *kind)
{
	CrmJson		detail;

	if (crm_row_same(old, new, col))
		return;
	crm_invoice_detail_begin(&detail);
	crm_json_row(&detail, "from", old, col);
	crm_json_row(&detail, "to", new, col);
	crm_invoice_event(crm_row_int64(new, INV_ACCOUNT_ID, NULL), crm_row_int64(new, INV_ID, NULL),
					  kind, NULL, NULL, &detail);
}

static bool
limit_reached(const CrmRow *r)
{
	bool		isnull;
	int32		limit = crm_row_int32(r, INV_AUTOPAY_LIMIT, &isnull);

	return !isnull && crm_row_int32(r, INV_AUTOPAY_COUNT, NULL) >= limit;
}

static void
autopay_on_event(const CrmRow *new, int64 account_id, int64 invoice_id)
{
	CrmJson		detail;

	crm_invoice_detail_begin(&detail);
	crm_json_row(&detail, "next_charge_at", new, INV_NEXT_CHARGE_AT);
	crm_json_row(&detail, "interval", new, INV_AUTOPAY_INTERVAL);
	crm_json_row(&detail, "limit", new, INV_AUTOPAY_LIMIT);
	crm_invoice_event(account_id, invoice_id, "autopay_on", NULL, NULL, &detail);
}

/* Why autopay went off: its limit, the invoice's new status, or by hand. */
static const char *
autopay_off_why(const CrmRow *old, const CrmRow *new)
{
	char	   *to = crm_row_text(new, INV_STATUS);

	if (limit_reached(new))
		return "limit_reached";
	if (!crm_invoice_status_is(crm_row_text(old, INV_STATUS), to))
		return to;
	return "turned_off";
}

static void
autopay_events(const CrmRow *old, const CrmRow *new, int64 account_id, int64 invoice_id)
{
	bool		was = crm_row_bool(old, INV_AUTOPAY);
	bool		is = crm_row_bool(new, INV_AUTOPAY);

	if (!crm_row_same(old, new, INV_AUTOPAY_QUEUED))
	{
		CrmJson		detail;

		crm_invoice_detail_begin(&detail);
		crm_json_row(&detail, "charge", new, INV_AUTOPAY_QUEUED);
		crm_json_row(&detail, "due_at", new, INV_AUTOPAY_LAST_CHARGE_AT);
		crm_json_row(&detail, "amount", new, INV_AMOUNT);
		crm_json_row(&detail, "next_charge_at", new, INV_NEXT_CHARGE_AT);
		crm_invoice_event(account_id, invoice_id, "charge_queued", NULL, NULL, &detail);
	}
	else if (was && is && !crm_row_same(old, new, INV_NEXT_CHARGE_AT))
		change_event(old, new, INV_NEXT_CHARGE_AT, "next_charge_changed");
	if (!was && is)
		autopay_on_event(new, account_id, invoice_id);
	else if (was && !is)
	{
		CrmJson		detail;

		crm_invoice_detail_begin(&detail);
		crm_json_row(&detail, "charges", new, INV_AUTOPAY_COUNT);
		crm_json_text(&detail, "why", autopay_off_why(old, new));
		crm_invoice_event(account_id, invoice_id, "autopay_off", NULL, NULL, &detail);
	}
}

static void
created_events(const CrmRow *new, int64 account_id, int64 invoice_id)
{
	CrmJson		detail;

	crm_invoice_detail_begin(&detail);
	crm_json_row(&detail, "number", new, INV_NUMBER);
	crm_json_row(&detail, "amount", new, INV_AMOUNT);
	crm_json_text(&detail, "comment", crm_write_comment());
	crm_invoice_event(account_id, invoice_id, "created", NULL, crm_row_text(new, INV_STATUS),
					  &detail);
	if (crm_row_bool(new, INV_AUTOPAY))
		autopay_on_event(new, account_id, invoice_id);
}

static void
updated_events(const CrmRow *old, const CrmRow *new, int64 account_id, int64 invoice_id)
{
	char	   *from = crm_row_text(old, INV_STATUS);
	char	   *to = crm_row_text(new, INV_STATUS);

	if (!crm_invoice_status_is(from, to))
	{
		CrmJson		detail;

		crm_invoice_detail_begin(&detail);
		crm_json_text(&detail, "comment", crm_write_comment());
		crm_invoice_event(account_id, invoice_id, "status_changed", from, to, &detail);
	}
	if (!crm_row_same(old, new, INV_NOTE))
	{
		CrmJson		detail;

		crm_invoice_detail_begin(&detail);
		crm_json_row(&detail, "note", new, INV_NOTE);
		crm_invoice_event(account_id, invoice_id, "note", NULL, NULL, &detail);
	}
	change_event(old, new, INV_AUTO_CANCEL_AT, "auto_cancel_changed");
	change_event(old, new, INV_MANAGER_ID, "manager_changed");
	change_event(old, new, INV_AMOUNT, "amount_changed");
	autopay_events(old, new, account_id, invoice_id);
}

PG_FUNCTION_INFO_V1(crm_invoice_after_write);
Datum
crm_invoice_after_write(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		new;
	CrmUserSwitch user;
	int64		account_id;
	int64		invoice_id;

	crm_trigger_start(&trig, fcinfo, "crm_invoice_after_write", CRM_AFTER,
					  CRM_ON_INSERT | CRM_ON_UPDATE);
	/* an import writes the history of its invoices itself, dated when it happened */
	if (trig.restoring || (trig.is_insert && crm_write_allows(CRM_WRITE_IMPORT)))
		return crm_trigger_return(&trig, NULL);
	/* due work writes the history of its changes itself, as one set */
	if (!trig.is_insert && crm_write_allows(CRM_WRITE_OWN_HISTORY))
		return crm_trigger_return(&trig, NULL);
	new = crm_trigger_row(&trig, trig.new, &crm_invoice_columns);
	account_id = crm_row_int64(&new, INV_ACCOUNT_ID, NULL);
	invoice_id = crm_row_int64(&new, INV_ID, NULL);

	crm_trigger_connect(&trig);
	crm_become_owner(&user);
	if (trig.is_insert)
		created_events(&new, account_id, invoice_id);
	else
	{
		CrmRow		old = crm_trigger_row(&trig, trig.old, &crm_invoice_columns);

		updated_events(&old, &new, account_id, invoice_id);
	}
	crm_restore_user(&user);
	return crm_trigger_return(&trig, NULL);
}
