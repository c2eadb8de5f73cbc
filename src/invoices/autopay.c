/*
 * invoices/autopay.c
 *	  Autopay: the due handler that queues each due invoice's next charge.
 *
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
 * as payments of kind 'autopay', payments.c).  Once count plus pending reach
 * the limit there is no next charge; a failed charge frees its place; after
 * the last success autopay is off (normalise_autopay in invoices.c).
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "utils/timestamp.h"

#include "invoices/invoices.h"
#include "values.h"

/*
 * One statement: claim due invoices (SKIP LOCKED: a row another session is
 * charging or paying is left to it), advance each by one charge, and queue
 * the charge.  The dedup_key makes a second queueing of the same charge a
 * no-op whatever happens.  The UPDATE finds the claimed rows by ctid: they
 * were locked while due and stay locked, so the version claimed is the one
 * updated; a join by key (and the due conditions again) lets stale
 * statistics pick a plan that rescans the claim once per invoice.
 */
static CrmPlan queue_charges = {
	"WITH due AS MATERIALIZED ("
	"  SELECT ctid FROM crm.invoices "
	"  WHERE next_charge_at <= $1 AND autopay AND status IN ('awaiting', 'prepaid', 'paid') "
	"  ORDER BY next_charge_at, account_id, id LIMIT $2 FOR UPDATE SKIP LOCKED), "
	"charged AS ("
	"  UPDATE crm.invoices AS i SET autopay_pending = i.autopay_pending + 1, "
	"    autopay_queued = i.autopay_queued + 1, autopay_last_charge_at = i.next_charge_at, "
	"    next_charge_at = CASE WHEN i.autopay_limit IS NOT NULL "
	"      AND i.autopay_count + i.autopay_pending + 1 >= i.autopay_limit THEN NULL "
	"      WHEN i.next_charge_at + i.autopay_interval > $1 THEN i.next_charge_at + i.autopay_interval "
	"      ELSE $1 + i.autopay_interval END "
	"  FROM due WHERE i.ctid = due.ctid "
	"  RETURNING i.account_id, i.id, i.number, i.client_id, i.amount, i.autopay_queued, "
	"    i.autopay_last_charge_at) "
	"INSERT INTO crm.outbox (account_id, kind, payload, dedup_key) "
	"SELECT account_id, 'charge', "
	"  jsonb_build_object('invoice_id', id, 'number', number, 'client_id', client_id, "
	"    'amount', amount, 'charge', autopay_queued, 'due_at', autopay_last_charge_at), "
	"  'charge:' || id || ':' || autopay_queued "
	"FROM charged ON CONFLICT (account_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING",
	2, {TIMESTAMPTZOID, INT8OID}
};
static CrmPlan charge_next = {
	"SELECT min(next_charge_at) FROM crm.invoices WHERE next_charge_at IS NOT NULL AND autopay",
	0, {InvalidOid}
};

static int64
autopay_run(TimestampTz now, int64 max_items)
{
	CrmWriteScope scope = {CRM_WRITE_DERIVED | CRM_WRITE_BY_SCHEDULER, "autopay", NULL};
	Datum		args[2] = {TimestampTzGetDatum(now), Int64GetDatum(max_items)};

	/* no next charge is later than an infinite now */
	crm_check_time(now, "now");
	return (int64) crm_write_exec(&scope, &queue_charges, args, NULL);
}

static bool
autopay_next_due(TimestampTz *at)
{
	return crm_invoices_earliest(&charge_next, at);
}

static const CrmDueHandler autopay_handler = {
	"autopay_charge", autopay_run, autopay_next_due
};

void
crm_autopay_init(void)
{
	crm_register_due_handler(&autopay_handler);
}
