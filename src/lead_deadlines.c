/*
 * lead_deadlines.c
 *	  Lead deadlines as due work: the "lead_overdue" handler of crm.run_due().
 *
 * An open lead whose deadline has passed (now > deadline) is marked overdue
 * since its deadline; the lead history trigger records it, and the trigger
 * leads_97_notify queues the notices of the account's lead_overdue rules
 * (notifications.c: by default one to the lead's manager).  The rules
 * for a deadline itself (a new deadline clears overdue_since, the
 * 'deadline_expired' event) live with the leads (leads.c); the trigger that
 * wakes the worker when a deadline is written lives with the worker
 * (worker.sql).
 *
 * Functions:
 *	crm_lead_deadlines_init	registers the handler (from _PG_init)
 *	lead_overdue_run		marks a batch of overdue leads
 *	lead_overdue_next_due	the earliest instant a lead becomes overdue
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "utils/timestamp.h"

#include "crm.h"
#include "due.h"
#include "lead_deadlines.h"

/*
 * One statement marks a batch of one account's overdue leads and writes what
 * the marks mean, each as one set: the claim (FOR UPDATE SKIP LOCKED, so two
 * sessions never mark the same lead; FOR UPDATE re-checks a lead changed by a
 * committed transaction, and a change that commits first wins), the marks
 * (overdue_since = deadline, which takes the lead out of the claim's index),
 * their 'deadline_expired' history rows, and the notices of the
 * account's lead_overdue rules, as leads_97_notify would queue them one lead
 * at a time (notifications.c: the same recipients, texts and dedup keys, so
 * that the same deadline is never announced twice to anyone).  The statement
 * runs in a CRM_WRITE_OWN_HISTORY scope, so the lead history and notification
 * triggers leave these rows alone (on Citus too: the scope reaches them on
 * the account's worker node, as the write is the schema owner's,
 * kit/system_write.h); the event stream's trigger still records each
 * lead_overdue event.
 *
 * Every CTE that is a plain SELECT is MATERIALIZED: Citus first tries to
 * plan a statement with such a CTE inlined, and when that fails (here it
 * does: the claim's FOR UPDATE) it leaves its backend unable to delegate a
 * function call to a worker for the rest of the session (crm.run_due and
 * crm.import_run of a tenant then stay on the coordinator).
 *
 * The claim is a materialized CTE, run once, of one account ($3: the shard
 * where the account lives on Citus), and the marks find the claimed leads by
 * their key through the primary key (account_id = $3 AND id = ANY(the
 * claim)): no ctid join, which Citus cannot route, and no join the planner
 * could turn into a hash of the whole table.  The claimed leads stay locked,
 * so the version marked is the one claimed.
 *
 * $6 is the employee the history names (the caller's, as every lead history
 * row does).  The plan is made for each call's arguments: the LIMIT of the
 * claim must be known to the planner.
 */
#define OVERDUE_DUE \
	"  FROM crm.leads x" \
	"  WHERE x.account_id = $3 AND x.deadline < $1 AND x.closed_at IS NULL AND x.overdue_since IS NULL" \
	CRM_DUE_SCOPE("x") \
	"  ORDER BY x.deadline, x.id LIMIT $2"
#define RECIPIENTS_OF(rule_kind, employee_join) \
	"  SELECT m.id AS lead_id, e.id, e.email, r.channel FROM marked m JOIN rules r ON r.notify = '" rule_kind "'" \
	employee_join " AND e.active"
static CrmPlan mark_overdue = {
	.sql =
	"WITH due AS MATERIALIZED (SELECT x.id" OVERDUE_DUE " FOR UPDATE SKIP LOCKED),"
	" marked AS ("
	"  UPDATE crm.leads l SET overdue_since = l.deadline"
	"  WHERE l.account_id = $3 AND l.id = ANY (ARRAY(SELECT due.id FROM due))"
	"  RETURNING l.account_id, l.id, l.number, l.contact_name, l.status_id, l.manager_id,"
	"    l.deadline, l.overdue_since),"
	" history AS ("
	"  INSERT INTO crm.lead_events (account_id, lead_id, employee_id, kind, detail)"
	"  SELECT m.account_id, m.id, $6, 'deadline_expired',"
	"    pg_catalog.jsonb_build_object('deadline', " CRM_DUE_UTC_JSON("m.deadline") ","
	"      'overdue_since', " CRM_DUE_UTC_JSON("m.overdue_since") ")"
	"  FROM marked m ORDER BY m.deadline, m.id),"
	" rules AS (SELECT r.notify, r.employee_id, r.channel FROM crm.notification_rules r"
	"  WHERE r.account_id = $3 AND r.event = 'lead_overdue'),"
	" recipients AS MATERIALIZED ("
	RECIPIENTS_OF("manager", " JOIN crm.employees e ON e.account_id = $3 AND e.id = m.manager_id")
	"  UNION"
	RECIPIENTS_OF("employee", " JOIN crm.employees e ON e.account_id = $3 AND e.id = r.employee_id")
	"  UNION"
	RECIPIENTS_OF("admins", " JOIN crm.employees e ON e.account_id = $3 AND e.role = 'admin'")
	"  UNION"
	RECIPIENTS_OF("creator",
				  " JOIN LATERAL (SELECT c.employee_id FROM crm.lead_events c"
				  "   WHERE c.account_id = $3 AND c.lead_id = m.id AND c.kind = 'created'"
				  "   ORDER BY c.id LIMIT 1) c ON true"
				  " JOIN crm.employees e ON e.account_id = $3 AND e.id = c.employee_id"
				  " WHERE EXISTS (SELECT 1 FROM rules WHERE rules.notify = 'creator')")
	"  ),"
	" notices AS ("
	"  INSERT INTO crm.outbox (account_id, kind, recipient, subject, body, payload, dedup_key, employee_id)"
	"  SELECT m.account_id, r.channel, r.email, pg_catalog.format('Lead %s is overdue', m.number),"
	"    pg_catalog.format('The deadline of lead %s (%s) passed at %s %s.', m.number,"
	"      coalesce(m.contact_name, 'no contact name'),"
	"      pg_catalog.to_char(m.deadline AT TIME ZONE a.timezone, 'YYYY-MM-DD HH24:MI:SS'), a.timezone),"
	"    pg_catalog.jsonb_build_object('event', 'lead_overdue', 'lead_id', m.id, 'number', m.number,"
	"      'manager_id', m.manager_id, 'deadline', m.deadline, 'status_id', m.status_id,"
	"      'employee_id', r.id, 'channel', r.channel),"
	"    pg_catalog.format('lead_overdue:%s:%s:%s:%s', m.id, pg_catalog.date_part('epoch', m.deadline),"
	"      r.channel, r.id),"
	"    r.id"
	"  FROM marked m JOIN recipients r ON r.lead_id = m.id JOIN crm.accounts a ON a.id = $3"
	"  WHERE r.channel = 'notification' OR r.email IS NOT NULL"
	"  ORDER BY m.deadline, m.id, r.id, r.channel"
	"  ON CONFLICT (account_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING)"
	" SELECT count(*) FROM marked",
	.nargs = CRM_DUE_NARGS + 1,
	.argtypes = {TIMESTAMPTZOID, INT8OID, INT8OID, INT8OID, TEXTOID, INT8OID},
	.custom = true
};

/* The leads mark_overdue would take, for trying a failing batch lead by lead. */
static CrmPlan overdue_leads = {
	.sql = "SELECT x.account_id, x.id" OVERDUE_DUE,
	.nargs = CRM_DUE_NARGS,
	.argtypes = CRM_DUE_ARGTYPES,
	.custom = true
};

static int64
lead_overdue_run(const CrmDueScope *scope)
{
	CrmWriteScope write = {CRM_WRITE_OWN_HISTORY, NULL, NULL};
	Datum		args[CRM_DUE_NARGS + 1];
	char		nulls[CRM_DUE_NARGS + 2];
	bool		no_employee;

	Assert(!scope->account_null);
	crm_due_args("lead_overdue", scope, args, nulls);
	args[CRM_DUE_NARGS] = Int64GetDatum(crm_employee_or_null(&no_employee));
	nulls[CRM_DUE_NARGS] = no_employee ? 'n' : ' ';
	nulls[CRM_DUE_NARGS + 1] = '\0';
	crm_write_exec(&write, &mark_overdue, args, nulls);
	return crm_get_int64(0, 1, NULL);
}

/* The earliest instant at which an open lead becomes overdue: just after its deadline. */
static bool
lead_overdue_next_due(const CrmDueScope *scope, TimestampTz *at)
{
	static CrmPlan next = {
		CRM_DUE_EARLIEST_PER_ACCOUNT(
		"SELECT x.deadline AS at FROM crm.leads x"
		" WHERE x.account_id = a.id AND x.deadline IS NOT NULL AND x.closed_at IS NULL"
		" AND x.overdue_since IS NULL"
		CRM_DUE_NOT_SET_ASIDE("x", "lead_overdue")
		" ORDER BY x.deadline LIMIT 1"),
		1, {INT8OID}, .custom = true
	};

	if (!crm_due_earliest(&next, scope, at))
		return false;
	*at += 1;
	return true;
}

static const CrmDueHandler lead_overdue_handler = {
	"lead_overdue", lead_overdue_run, lead_overdue_next_due, &overdue_leads
};

void
crm_lead_deadlines_init(void)
{
	crm_register_due_handler(&lead_overdue_handler);
}
