/*
 * invoices/auto_cancel.c
 *	  Cancelling an unpaid invoice as crm itself: by the clock (the
 *	  auto-cancel due handler) and for the call centre (a refused call).
 *
 * Due handler (registered by crm_invoices_init):
 *	invoice_auto_cancel		awaiting and prepaid invoices whose auto_cancel_at has
 *							come are cancelled, reason "auto_cancel", by no employee
 * For other rooms (invoices/public.h):
 *	crm_invoice_cancel_unpaid	cancels an awaiting or prepaid invoice with a reason
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "utils/timestamp.h"

#include "invoices/invoices.h"

/*
 * Claims one account's due invoices with SKIP LOCKED, so two sessions never
 * cancel the same one, and re-checks the status on the row it updates: a
 * payment that got there first leaves it paid.
 *
 * The claim is a materialized CTE, run once: as a subquery in FROM the planner
 * may re-run it per row, claiming more than max_items.  The UPDATE finds the
 * claimed rows by their key through the primary key (account_id = $3 AND id =
 * ANY(the claim)): no ctid join, which Citus cannot route, and no join the
 * planner, which cannot estimate the claim, could turn into a hash of the
 * whole table.  The claimed rows stay locked, so the version claimed is the
 * one updated, and its status and autopay before are the claim's.  The
 * statement writes the invoices' history itself, as one set: for each, the
 * 'status_changed' event and, when the cancel turned autopay off, the
 * 'autopay_off' one, as invoice_90_history would (invoices/events.c).
 */
#define AUTO_CANCEL_DUE \
	"  FROM crm.invoices x WHERE x.account_id = $3 AND x.auto_cancel_at <= $1" \
	"  AND x.status IN ('awaiting', 'prepaid') " \
	CRM_DUE_SCOPE("x") \
	"  ORDER BY x.auto_cancel_at, x.account_id, x.id LIMIT $2"
static CrmPlan auto_cancel_due = {
	.sql =
	"WITH d AS MATERIALIZED (SELECT x.id, x.status, x.autopay " AUTO_CANCEL_DUE " FOR UPDATE SKIP LOCKED), "
	"c AS ("
	"  UPDATE crm.invoices AS i SET status = 'cancelled' "
	"  WHERE i.account_id = $3 AND i.id = ANY (ARRAY(SELECT d.id FROM d)) "
	"  RETURNING i.account_id, i.id, i.autopay, i.autopay_count, i.autopay_limit), "
	"h AS ("
	"  INSERT INTO crm.invoice_events (account_id, invoice_id, kind, from_status, to_status, detail) "
	"  SELECT e.account_id, e.id, e.kind, e.from_status, e.to_status, e.detail FROM ("
	"    SELECT c.account_id, c.id, 1 AS n, 'status_changed' AS kind, d.status AS from_status, "
	"      'cancelled' AS to_status, "
	"      pg_catalog.jsonb_build_object('reason', 'auto_cancel', 'comment', NULL) AS detail "
	"    FROM c JOIN d ON d.id = c.id "
	"    UNION ALL "
	"    SELECT c.account_id, c.id, 2, 'autopay_off', NULL, NULL, "
	"      pg_catalog.jsonb_build_object('reason', 'auto_cancel', 'charges', c.autopay_count, 'why', "
	"        CASE WHEN c.autopay_limit IS NOT NULL AND c.autopay_count >= c.autopay_limit "
	"        THEN 'limit_reached' ELSE 'cancelled' END) "
	"    FROM c JOIN d ON d.id = c.id WHERE d.autopay AND NOT c.autopay) e "
	"  ORDER BY e.id, e.n) "
	"SELECT count(*) FROM c",
	.nargs = CRM_DUE_NARGS, .argtypes = CRM_DUE_ARGTYPES, .custom = true
};
/* The invoices auto_cancel_due would take, for trying a failing batch one by one. */
static CrmPlan auto_cancel_items = {
	.sql = "SELECT x.account_id, x.id " AUTO_CANCEL_DUE,
	.nargs = CRM_DUE_NARGS, .argtypes = CRM_DUE_ARGTYPES, .custom = true
};
static CrmPlan auto_cancel_next = {
	CRM_DUE_EARLIEST_PER_ACCOUNT(
	"SELECT x.auto_cancel_at AS at FROM crm.invoices x "
	"WHERE x.account_id = a.id AND x.auto_cancel_at IS NOT NULL AND x.status IN ('awaiting', 'prepaid')"
	CRM_DUE_NOT_SET_ASIDE("x", "invoice_auto_cancel")
	" ORDER BY x.auto_cancel_at LIMIT 1"),
	1, {INT8OID}, .custom = true
};

static int64
auto_cancel_run(const CrmDueScope *due)
{
	return crm_invoices_due_write("invoice_auto_cancel", "auto_cancel", &auto_cancel_due, due);
}

static bool
auto_cancel_next_due(const CrmDueScope *due, TimestampTz *at)
{
	return crm_due_earliest(&auto_cancel_next, due, at);
}

static const CrmDueHandler auto_cancel_handler = {
	"invoice_auto_cancel", auto_cancel_run, auto_cancel_next_due, &auto_cancel_items
};

void
crm_invoices_init(void)
{
	crm_register_due_handler(&auto_cancel_handler);
}

/* ---- for the call centre ---- */

static CrmPlan cancel_unpaid = {
	"UPDATE crm.invoices SET status = 'cancelled' "
	"WHERE account_id = $1 AND id = $2 AND status IN ('awaiting', 'prepaid')",
	2, {INT8OID, INT8OID}
};

bool
crm_invoice_cancel_unpaid(int64 account_id, int64 invoice_id, const char *reason)
{
	CrmWriteScope scope = {CRM_WRITE_DERIVED, reason, NULL};
	Datum		args[2] = {Int64GetDatum(account_id), Int64GetDatum(invoice_id)};

	return crm_write_exec(&scope, &cancel_unpaid, args, NULL) == 1;
}
