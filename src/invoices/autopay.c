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

/*
 * One statement: claim due invoices (SKIP LOCKED: a row another session is
 * charging or paying is left to it), advance each by one charge, and queue
 * the charge.  The dedup_key makes a second queueing of the same charge a
 * no-op whatever happens.  The UPDATE finds the claimed rows by ctid: they
 * were locked while due and stay locked, so the version claimed is the one
 * updated; a join by key (and the due conditions again) lets stale
 * statistics pick a plan that rescans the claim once per invoice.
 */
#define CHARGES_DUE \
	"  FROM crm.invoices x " \
	"  WHERE x.next_charge_at <= $1 AND x.autopay AND x.status IN ('awaiting', 'prepaid', 'paid') " \
	CRM_DUE_SCOPE("x") \
	"  ORDER BY x.next_charge_at, x.account_id, x.id LIMIT $2"
static CrmPlan queue_charges = {
	.sql =
	"WITH due AS MATERIALIZED (SELECT x.ctid " CHARGES_DUE " FOR UPDATE SKIP LOCKED), "
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
	.nargs = CRM_DUE_NARGS, .argtypes = CRM_DUE_ARGTYPES, .custom = true
};
/* The invoices queue_charges would take, for trying a failing batch one by one. */
static CrmPlan charge_items = {
	.sql = "SELECT x.account_id, x.id " CHARGES_DUE,
	.nargs = CRM_DUE_NARGS, .argtypes = CRM_DUE_ARGTYPES, .custom = true
};
static CrmPlan charge_next = {
	"SELECT min(x.next_charge_at) FROM crm.invoices x WHERE x.next_charge_at IS NOT NULL AND x.autopay "
	"AND ($1::bigint IS NULL OR x.account_id = $1)"
	CRM_DUE_NOT_SET_ASIDE("x", "autopay_charge"),
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
