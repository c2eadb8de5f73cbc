/*
 * invoices/autopay.c
 *	  Autopay: when every charge falls.  The schedule rules that the invoice
 *	  triggers apply to each row written, and the due handler that queues each
 *	  due invoice's next charge.
 *
 * When each charge falls (next_charge_at), for an invoice with autopay on:
 *	- a time the writer gives, with autopay on (in the INSERT, or in the
 *	  UPDATE that turns it on; while it is on, only crm_admin changes it):
 *	  then.  On an invoice not yet paid that charge is the purchase.
 *	- the first charge after the purchase: one autopay_interval after paid_at,
 *	  the time of the payment that paid the invoice (or of its confirmation by
 *	  hand).  Until an invoice with autopay on is paid, it has no next charge.
 *	- every later one: one interval after the due time of the charge before
 *	  (autopay_last_charge_at), whether that charge succeeded or failed;
 *	- never at once: a next charge crm computes that would fall at or before
 *	  the transaction's time falls one interval after it instead, so turning
 *	  autopay on, a late purchase report or a late result never charges at
 *	  once;
 *	- none once successful plus pending charges reach autopay_limit, and
 *	  autopay is off after the last success; none while autopay is off, and a
 *	  next charge written while it stays off is refused rather than dropped.
 *
 * For the invoice triggers (invoices.h):
 *	crm_autopay_check_change	who may change a running schedule, the times given
 *	crm_autopay_normalise		the row as it is stored: on/off, next charge
 * Due handler (registered by crm_autopay_init):
 *	autopay_charge		invoices with autopay whose next_charge_at has come get one
 *						'charge' row in crm.outbox, reason "autopay", by no employee
 *
 * Each due invoice gets one 'charge' row in crm.outbox (its dedup_key names
 * the invoice and the charge's ordinal), however long ago its next charge
 * fell due: a charge missed is queued once, never once per interval missed.
 * The next charge is one interval after the due time of the charge queued
 * when that is still to come, else one interval after the run's `now`; as
 * every autopay_interval moves time forward (values.c), it is always later
 * than `now`, so one run queues at most one charge per invoice and the
 * schedule keeps its step.  autopay_pending counts charges queued whose result has not
 * been reported; autopay_count counts successful ones (the results come back
 * as payments of kind 'autopay', payments.c).
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "invoices/invoices.h"
#include "values.h"

/* ---- the schedule, as the invoice triggers keep it ---- */

static const char *
invoice_label(const CrmRow *row)
{
	return crm_row_isnull(row, INV_NUMBER) ? "new" : crm_row_text(row, INV_NUMBER);
}

static bool
is_crm_admin(void)
{
	Oid			admin = get_role_oid("crm_admin", true);

	return superuser() || (OidIsValid(admin) && has_privs_of_role(GetUserId(), admin));
}

/* The time a charge falls one interval after base, but never at or before now. */
static Datum
one_interval_after(Datum base, Datum interval, TimestampTz now)
{
	Datum		next = DirectFunctionCall2(timestamptz_pl_interval, base, interval);

	if (DatumGetTimestampTz(next) <= now)
		next = DirectFunctionCall2(timestamptz_pl_interval, TimestampTzGetDatum(now), interval);
	return next;
}

/*
 * The next charge crm gives an invoice with autopay on and room under its
 * limit that has none: one interval after the last charge queued, or else
 * after the purchase (paid_at); false while it waits for the purchase.
 */
static bool
scheduled_charge(const CrmRow *row, Datum interval, TimestampTz now, Datum *next)
{
	bool		isnull;
	Datum		base = crm_row_get(row, INV_AUTOPAY_LAST_CHARGE_AT, &isnull);

	if (isnull && crm_invoice_status_is(crm_row_text(row, INV_STATUS), "paid"))
		base = crm_row_get(row, INV_PAID_AT, &isnull);
	if (isnull)
		return false;
	*next = one_interval_after(base, interval, now);
	return true;
}

/* See invoices.h. */
void
crm_autopay_normalise(const CrmRow *new, CrmChanges *ch, TimestampTz now)
{
	bool		isnull,
				limit_null,
				interval_null;
	bool		autopay = crm_row_bool(new, INV_AUTOPAY);
	int32		limit = crm_row_int32(new, INV_AUTOPAY_LIMIT, &limit_null);
	int32		count = crm_row_int32(new, INV_AUTOPAY_COUNT, &isnull);
	int32		pending = crm_row_int32(new, INV_AUTOPAY_PENDING, &isnull);
	Datum		interval = crm_row_get(new, INV_AUTOPAY_INTERVAL, &interval_null);
	bool		next_null = crm_row_isnull(new, INV_NEXT_CHARGE_AT);
	Datum		next;

	if (autopay && !limit_null && count >= limit)
	{
		crm_change(ch, new, INV_AUTOPAY, BoolGetDatum(false), false);
		autopay = false;
	}
	if (!autopay)
	{
		if (!next_null)
			crm_change(ch, new, INV_NEXT_CHARGE_AT, (Datum) 0, true);
		return;
	}
	if (interval_null)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("autopay of invoice \"%s\" needs an autopay_interval", invoice_label(new)),
				 errdetail("autopay_interval is NULL."),
				 errhint("Set autopay_interval, for example to '1 month', before turning autopay on.")));
	/* before it is added to anything (the value trigger comes after the other triggers) */
	crm_check_forward_interval(DatumGetIntervalP(interval), "crm.invoices.autopay_interval", NULL, NULL);
	if (!limit_null && count + pending >= limit)
	{
		if (!next_null)
			crm_change(ch, new, INV_NEXT_CHARGE_AT, (Datum) 0, true);
		return;
	}
	if (next_null && scheduled_charge(new, interval, now, &next))
		crm_change(ch, new, INV_NEXT_CHARGE_AT, next, false);
}

/*
 * A next charge the writer gives is a business time (values.h), and needs
 * autopay on in the row written: with autopay off there is no next charge, so
 * one written then would be dropped.  crm itself (a CRM_WRITE_DERIVED scope)
 * moves it one interval past the charge it queues, which may lie past the
 * range by up to one interval, so this is the trigger's rule rather than one
 * of the value trigger's columns.
 */
static void
check_next_charge(const CrmRow *old, const CrmRow *new)
{
	bool		isnull;
	Datum		next = crm_row_get(new, INV_NEXT_CHARGE_AT, &isnull);

	if (isnull || crm_write_allows(CRM_WRITE_DERIVED) ||
		(old != NULL && crm_row_same(old, new, INV_NEXT_CHARGE_AT)))
		return;
	crm_check_time(DatumGetTimestampTz(next), "crm.invoices.next_charge_at");
	if (!crm_row_bool(new, INV_AUTOPAY))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 old == NULL ? errmsg("a new invoice with autopay off cannot get a next charge") :
				 errmsg("invoice \"%s\" has autopay off and cannot get a next charge", invoice_label(new)),
				 errdetail("next_charge_at is the time of the next autopay charge; an invoice with autopay off has none."),
				 errhint("Turn autopay on in the same statement (autopay = true beside next_charge_at), or leave next_charge_at out.")));
}

/* The schedule of a running autopay: changing it can delay or stop the charges. */
static const InvoiceColumn schedule_columns[] = {
	INV_AUTOPAY_INTERVAL, INV_AUTOPAY_LIMIT, INV_NEXT_CHARGE_AT
};

/*
 * Turning autopay off is for crm_admin, and so is changing the schedule
 * while autopay is on (a next charge in the year 9999 or a limit already
 * reached is autopay off by another name).  A manager sets the schedule
 * while autopay is off and turns it on.
 */
static void
check_autopay_admin(const CrmRow *old, const CrmRow *new)
{
	if (!crm_row_bool(old, INV_AUTOPAY) || crm_write_allows(CRM_WRITE_DERIVED) || is_crm_admin())
		return;
	if (!crm_row_bool(new, INV_AUTOPAY))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only an administrator can turn off autopay of invoice \"%s\"",
						crm_row_text(old, INV_NUMBER)),
				 errdetail("Turning autopay off stops the client's recurring charges."),
				 errhint("Ask a member of crm_admin to run crm.set_autopay(%s, false).",
						 crm_row_out(old, INV_ID))));
	for (int i = 0; i < lengthof(schedule_columns); i++)
	{
		InvoiceColumn col = schedule_columns[i];
		const char *was;

		if (crm_row_same(old, new, col))
			continue;
		was = crm_row_out(old, col);
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only an administrator can change %s of invoice \"%s\" while autopay is on",
						crm_invoice_columns.names[col], crm_row_text(old, INV_NUMBER)),
				 errdetail("%s is %s; a change to the schedule of a running autopay can delay or stop the client's recurring charges.",
						   crm_invoice_columns.names[col], was ? was : "NULL"),
				 errhint("Ask a member of crm_admin to change it.")));
	}
}

/* See invoices.h. */
void
crm_autopay_check_change(const CrmRow *old, const CrmRow *new, const char *to_status)
{
	bool		isnull;
	int32		limit;

	if (old != NULL)
		check_autopay_admin(old, new);
	check_next_charge(old, new);
	if (old == NULL || crm_row_bool(old, INV_AUTOPAY) || !crm_row_bool(new, INV_AUTOPAY))
		return;
	/* turned on */
	limit = crm_row_int32(new, INV_AUTOPAY_LIMIT, &isnull);
	if (crm_invoice_status_final(to_status))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("autopay cannot be turned on for %s invoice \"%s\"", to_status,
						crm_row_text(old, INV_NUMBER)),
				 errdetail("Invoice %s is %s.", crm_row_out(old, INV_ID), to_status),
				 errhint("Autopay is for awaiting, prepaid and paid invoices.")));
	if (!isnull && crm_row_int32(new, INV_AUTOPAY_COUNT, NULL) >= limit)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("autopay of invoice \"%s\" has reached its limit of %d charges",
						crm_row_text(old, INV_NUMBER), limit),
				 errdetail("%s charges succeeded.", crm_row_out(new, INV_AUTOPAY_COUNT)),
				 errhint("Raise autopay_limit first.")));
}

/* ---- the due handler ---- */

/*
 * One statement: claim due invoices (SKIP LOCKED: a row another session is
 * charging or paying is left to it), advance each by one charge, and queue
 * the charge, for one account ($3: the shard where the account lives on
 * Citus).  The dedup_key makes a second queueing of the same charge a no-op
 * whatever happens.  The UPDATE finds the claimed rows by their key through
 * the primary key (account_id = $3 AND id = ANY(the claim)): no ctid join,
 * which Citus cannot route, and no join that stale statistics could turn into
 * a rescan of the claim once per invoice.  The claimed rows were locked while
 * due and stay locked, so the version claimed is the one updated, and the
 * claim computes the next charge (Citus refuses time arithmetic on a column in
 * an UPDATE's SET); the join back to the claim only adds those values.  The
 * statement writes the invoices' 'charge_queued' events itself, as one set,
 * as invoice_90_history would (invoices/events.c); it returns the charges
 * queued.
 */
#define CHARGES_DUE \
	"  FROM crm.invoices x " \
	"  WHERE x.account_id = $3 AND x.next_charge_at <= $1 AND x.autopay" \
	"  AND x.status IN ('awaiting', 'prepaid', 'paid') " \
	CRM_DUE_SCOPE("x") \
	"  ORDER BY x.next_charge_at, x.account_id, x.id LIMIT $2"
static CrmPlan queue_charges = {
	.sql =
	"WITH due AS MATERIALIZED (SELECT x.id, x.next_charge_at AS due_at, "
	"    CASE WHEN x.autopay_limit IS NOT NULL "
	"      AND x.autopay_count + x.autopay_pending + 1 >= x.autopay_limit THEN NULL "
	"      WHEN x.next_charge_at + x.autopay_interval > $1 THEN x.next_charge_at + x.autopay_interval "
	"      ELSE $1 + x.autopay_interval END AS next "
	CHARGES_DUE " FOR UPDATE SKIP LOCKED), "
	"charged AS ("
	"  UPDATE crm.invoices AS i SET autopay_pending = i.autopay_pending + 1, "
	"    autopay_queued = i.autopay_queued + 1, autopay_last_charge_at = due.due_at, "
	"    next_charge_at = due.next "
	"  FROM due WHERE i.account_id = $3 AND i.id = ANY (ARRAY(SELECT due.id FROM due)) AND i.id = due.id "
	"  RETURNING i.account_id, i.id, i.number, i.client_id, i.amount, i.autopay_queued, "
	"    i.autopay_last_charge_at, i.next_charge_at), "
	"history AS ("
	"  INSERT INTO crm.invoice_events (account_id, invoice_id, kind, detail) "
	"  SELECT account_id, id, 'charge_queued', "
	"    pg_catalog.jsonb_build_object('reason', 'autopay', 'charge', autopay_queued, "
	"      'due_at', " CRM_DUE_UTC_JSON("autopay_last_charge_at") ", 'amount', amount, "
	"      'next_charge_at', " CRM_DUE_UTC_JSON("next_charge_at") ") "
	"  FROM charged ORDER BY id), "
	"queued AS ("
	"  INSERT INTO crm.outbox (account_id, kind, payload, dedup_key) "
	"  SELECT account_id, 'charge', "
	"    jsonb_build_object('invoice_id', id, 'number', number, 'client_id', client_id, "
	"      'amount', amount, 'charge', autopay_queued, 'due_at', autopay_last_charge_at), "
	"    'charge:' || id || ':' || autopay_queued "
	"  FROM charged ORDER BY id "
	"  ON CONFLICT (account_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING RETURNING 1) "
	"SELECT count(*) FROM queued",
	.nargs = CRM_DUE_NARGS, .argtypes = CRM_DUE_ARGTYPES, .custom = true
};
/* The invoices queue_charges would take, for trying a failing batch one by one. */
static CrmPlan charge_items = {
	.sql = "SELECT x.account_id, x.id " CHARGES_DUE,
	.nargs = CRM_DUE_NARGS, .argtypes = CRM_DUE_ARGTYPES, .custom = true
};
static CrmPlan charge_next = {
	CRM_DUE_EARLIEST_PER_ACCOUNT(
	"SELECT x.next_charge_at AS at FROM crm.invoices x "
	"WHERE x.account_id = a.id AND x.next_charge_at IS NOT NULL AND x.autopay"
	CRM_DUE_NOT_SET_ASIDE("x", "autopay_charge")
	" ORDER BY x.next_charge_at LIMIT 1"),
	1, {INT8OID}, .custom = true
};

static int64
autopay_run(const CrmDueScope *due)
{
	return crm_invoices_due_write("autopay_charge", "autopay", &queue_charges, due);
}

static bool
autopay_next_due(const CrmDueScope *due, TimestampTz *at)
{
	return crm_due_earliest(&charge_next, due, at);
}

static const CrmDueHandler autopay_handler = {
	"autopay_charge", autopay_run, autopay_next_due, &charge_items
};

void
crm_autopay_init(void)
{
	crm_register_due_handler(&autopay_handler);
}
