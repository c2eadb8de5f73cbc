/*
 * alerts.c
 *	  Failed-payment alert routing and the Important inbox.
 *
 * Map:
 *	payments_50_alerts	(AFTER INSERT on crm.payments, failed payments only;
 *		crm_payment_alerts) when the invoice holds offers marked
 *		notify_on_failed_payment, one crm.alerts row per (payment, flagged
 *		offer, employee) for every active employee whose first message to the
 *		client is strictly before the failure, linking the conversation the
 *		employee wrote in (each is an alert_raised event: the frontend hears
 *		NOTIFY crm_events_<account> and reads crm.events).  The same failure
 *		reported twice (same payment, or same invoice and failure time)
 *		alerts once: the unique indexes on crm.alerts and ON CONFLICT DO
 *		NOTHING.  A failure an import brings is history, and alerts no one.
 *	crm.mark_alert_seen(id, at)	crm_mark_alert_seen
 *	crm.resolve_alert(id, at)	crm_resolve_alert
 *		each marks the alert and the other alerts of its failure for the
 *		same employee: crm.important shows them as one row, offer_ids
 *		beside offer_id
 *	alerts_10_marked	(BEFORE UPDATE on crm.alerts; crm_alert_before_update)
 *		only the employee an alert was sent to marks it seen or resolved,
 *		through the functions or a plain UPDATE (the owner may mark any).
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "actor.h"
#include "crm.h"

static CrmPlan flagged_offers = {
	"SELECT i.client_id, array_agg(DISTINCT it.offer_id ORDER BY it.offer_id) "
	"FROM crm.invoices i "
	"JOIN crm.invoice_items it ON it.account_id = i.account_id AND it.invoice_id = i.id "
	"JOIN crm.offers o ON o.account_id = it.account_id AND o.id = it.offer_id "
	"WHERE i.account_id = $1 AND i.id = $2 AND o.notify_on_failed_payment "
	"GROUP BY i.client_id",
	2, {INT8OID, INT8OID}
};

/*
 * Waits for any first contact with the client still in flight (chats.c
 * holds the client row FOR NO KEY UPDATE while recording one), so the next
 * statement's fresh snapshot sees every contact committed before this
 * failure; contacts that start later wait for this transaction instead.
 */
static CrmPlan share_client = {
	"SELECT 1 FROM crm.clients WHERE account_id = $1 AND id = $2 FOR SHARE",
	2, {INT8OID, INT8OID}
};

static CrmPlan route_alerts = {
	"INSERT INTO crm.alerts (account_id, employee_id, kind, client_id, conversation_id,"
	"  offer_id, invoice_id, payment_id, happened_at)"
	" SELECT $1, cc.employee_id, 'failed_payment', $2, cc.conversation_id,"
	"  o.offer_id, $3, $4, $5"
	" FROM crm.client_contacts cc"
	" JOIN crm.employees e ON e.account_id = cc.account_id AND e.id = cc.employee_id"
	" CROSS JOIN unnest($6::bigint[]) AS o(offer_id)"
	" WHERE cc.account_id = $1 AND cc.client_id = $2 AND cc.first_out_at < $5 AND e.active"
	" ORDER BY cc.employee_id, o.offer_id"
	" ON CONFLICT DO NOTHING",
	6, {INT8OID, INT8OID, INT8OID, INT8OID, TIMESTAMPTZOID, INT8ARRAYOID}
};

enum
{
	PAYMENT_ACCOUNT_ID, PAYMENT_ID, PAYMENT_INVOICE_ID, PAYMENT_AT, PAYMENT_SUCCEEDED,
	PAYMENT_NCOLUMNS
};
static const char *const payment_names[] = {"account_id", "id", "invoice_id", "at", "succeeded"};
static CrmColumnMap payment_columns = {"crm.payments", PAYMENT_NCOLUMNS, payment_names};

PG_FUNCTION_INFO_V1(crm_payment_alerts);
Datum
crm_payment_alerts(PG_FUNCTION_ARGS)
{
	CrmTrigger	t;
	CrmRow		payment;
	bool		isnull;
	Datum		args[6];
	Datum		find[2];
	CrmUserSwitch user;

	crm_trigger_start(&t, fcinfo, "crm_payment_alerts", CRM_AFTER, CRM_ON_INSERT);
	if (t.restoring || crm_write_allows(CRM_WRITE_IMPORT))
		return crm_trigger_return(&t, NULL);	/* an imported failure is history */
	payment = (CrmRow) {t.new, t.desc, crm_trigger_columns(&t, &payment_columns)};
	if (crm_row_isnull(&payment, PAYMENT_SUCCEEDED) || crm_row_bool(&payment, PAYMENT_SUCCEEDED))
		return crm_trigger_return(&t, NULL);

	args[0] = crm_row_get(&payment, PAYMENT_ACCOUNT_ID, &isnull);
	args[2] = crm_row_get(&payment, PAYMENT_INVOICE_ID, &isnull);
	args[3] = crm_row_get(&payment, PAYMENT_ID, &isnull);
	args[4] = crm_row_get(&payment, PAYMENT_AT, &isnull);
	find[0] = args[0];
	find[1] = args[2];

	crm_trigger_connect(&t);
	crm_become_owner(&user);
	if (crm_exec(&flagged_offers, find, NULL, false, 1) == 1)
	{
		args[1] = Int64GetDatum(crm_get_int64(0, 1, NULL));
		args[5] = crm_get(0, 2, &isnull);
		crm_exec(&share_client, args, NULL, false, 1);
		crm_exec(&route_alerts, args, NULL, false, 0);
	}
	crm_restore_user(&user);
	return crm_trigger_return(&t, NULL);
}

/* ---- the inbox ---- */

static CrmPlan alert_owner = {
	"SELECT employee_id FROM crm.alerts WHERE account_id = $1 AND id = $2",
	2, {INT8OID, INT8OID}
};
/*
 * Marking an alert marks every alert of its failure for the same employee:
 * crm.important shows them as one row (one chat per failed payment).
 * Returns the time recorded on the alert named.
 */
#define MARK_FAILURE(SET, COLUMN) \
	"WITH a AS (SELECT employee_id, kind, payment_id FROM crm.alerts WHERE account_id = $1 AND id = $2)," \
	" u AS (UPDATE crm.alerts x SET " SET " FROM a" \
	"       WHERE x.account_id = $1 AND (x.id = $2 OR (x.employee_id = a.employee_id" \
	"         AND x.kind = a.kind AND x.payment_id = a.payment_id))" \
	"       RETURNING x.id, x." COLUMN ")" \
	" SELECT " COLUMN " FROM u WHERE id = $2"
static CrmPlan alert_seen = {
	MARK_FAILURE("seen_at = coalesce(x.seen_at, $3)", "seen_at"),
	3, {INT8OID, INT8OID, TIMESTAMPTZOID}
};
static CrmPlan alert_resolved = {
	MARK_FAILURE("seen_at = coalesce(x.seen_at, $3), resolved_at = coalesce(x.resolved_at, $3)", "resolved_at"),
	3, {INT8OID, INT8OID, TIMESTAMPTZOID}
};

/* Raises 42501 unless the session acts as the employee the alert was sent to. */
static void
check_alert_employee(int64 alert_id, int64 employee_id)
{
	const char *acting;
	char	   *role;

	if (crm_actor_is(employee_id))
		return;
	acting = crm_actor_employee_text();
	role = GetUserNameFromId(GetOuterUserId(), true);
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("alert %lld was sent to employee %lld, and the session acts as %s",
					(long long) alert_id, (long long) employee_id, acting),
			 errdetail("Only the employee an alert was sent to marks it seen or resolved, and role \"%s\" marks only its own.",
					   role ? role : "?"),
			 errhint("Mark the alerts listed in crm.important, which are the acting employee's own.")));
}

/*
 * Marks one of the current employee's alerts; runs as the caller, so grants
 * and the account policy apply.  Returns the time recorded (the first one
 * when the alert was already marked).
 */
static Datum
mark_alert(int64 alert_id, Datum at, CrmPlan *plan)
{
	int64		account_id = crm_require_account();
	Datum		args[3] = {Int64GetDatum(account_id), Int64GetDatum(alert_id), at};
	bool		isnull;
	Datum		result;

	SPI_connect();
	if (crm_exec(&alert_owner, args, NULL, false, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("alert %lld does not exist", (long long) alert_id),
				 errdetail("Account %lld has no alert with id %lld.",
						   (long long) account_id, (long long) alert_id),
				 errhint("Use an id from crm.important.")));
	check_alert_employee(alert_id, crm_get_int64(0, 1, NULL));
	crm_exec(plan, args, NULL, false, 1);
	result = crm_get(0, 1, &isnull);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

PG_FUNCTION_INFO_V1(crm_mark_alert_seen);
Datum
crm_mark_alert_seen(PG_FUNCTION_ARGS)
{
	return mark_alert(PG_GETARG_INT64(0), PG_GETARG_DATUM(1), &alert_seen);
}

PG_FUNCTION_INFO_V1(crm_resolve_alert);
Datum
crm_resolve_alert(PG_FUNCTION_ARGS)
{
	return mark_alert(PG_GETARG_INT64(0), PG_GETARG_DATUM(1), &alert_resolved);
}

enum
{
	ALERT_ID, ALERT_EMPLOYEE_ID, ALERT_SEEN_AT, ALERT_RESOLVED_AT, ALERT_NCOLUMNS
};
static const char *const alert_names[] = {"id", "employee_id", "seen_at", "resolved_at"};
static CrmColumnMap alert_columns = {"crm.alerts", ALERT_NCOLUMNS, alert_names};

/* alerts_10_marked: seen_at and resolved_at are the alert's employee's to write. */
PG_FUNCTION_INFO_V1(crm_alert_before_update);
Datum
crm_alert_before_update(PG_FUNCTION_ARGS)
{
	CrmTrigger	t;
	CrmRow		old,
				new;

	crm_trigger_start(&t, fcinfo, "crm_alert_before_update", CRM_BEFORE, CRM_ON_UPDATE);
	old = crm_trigger_row(&t, t.old, &alert_columns);
	new = crm_trigger_row(&t, t.new, &alert_columns);
	if (!crm_row_same(&old, &new, ALERT_SEEN_AT) || !crm_row_same(&old, &new, ALERT_RESOLVED_AT))
		check_alert_employee(crm_row_int64(&old, ALERT_ID, NULL),
							 crm_row_int64(&old, ALERT_EMPLOYEE_ID, NULL));
	return crm_trigger_return(&t, t.new);
}
