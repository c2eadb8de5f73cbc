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
 * Marks open leads whose deadline has passed (now > deadline) as overdue since
 * their deadline, oldest deadline first.  The lead history trigger records the
 * 'deadline_expired' event and leads_97_notify the lead_overdue notices, keyed
 * by lead and deadline so that the same deadline is never announced twice to anyone
 * (a new deadline is a new announcement).  The UPDATE finds the
 * claimed leads by their ctid: they were locked while due (FOR UPDATE re-checks
 * a lead changed by a committed transaction) and stay locked, so the version
 * claimed is the one updated; a join by key lets the planner, which cannot
 * estimate the claim, hash the whole table for a batch.
 *
 * The plan is made for each call's arguments: the LIMIT of the claim must be
 * known to the planner, or a generic plan may choose to scan every lead for a
 * batch of a thousand.
 */
static CrmPlan mark_overdue = {
	.sql =
	"WITH due AS MATERIALIZED ("
	"  SELECT x.ctid FROM crm.leads x"
	"  WHERE x.deadline < $1 AND x.closed_at IS NULL AND x.overdue_since IS NULL"
	CRM_DUE_SCOPE("x")
	"  ORDER BY x.deadline LIMIT $2"
	"  FOR UPDATE SKIP LOCKED),"
	" marked AS ("
	"  UPDATE crm.leads l SET overdue_since = l.deadline"
	"  FROM due WHERE l.ctid = due.ctid"
	"  RETURNING 1)"
	" SELECT count(*) FROM marked",
	.nargs = CRM_DUE_NARGS,
	.argtypes = CRM_DUE_ARGTYPES,
	.custom = true
};

/* The leads mark_overdue would take, for trying a failing batch lead by lead. */
static CrmPlan overdue_leads = {
	.sql =
	"SELECT x.account_id, x.id FROM crm.leads x"
	" WHERE x.deadline < $1 AND x.closed_at IS NULL AND x.overdue_since IS NULL"
	CRM_DUE_SCOPE("x")
	" ORDER BY x.deadline LIMIT $2",
	.nargs = CRM_DUE_NARGS,
	.argtypes = CRM_DUE_ARGTYPES,
	.custom = true
};

static int64
lead_overdue_run(const CrmDueScope *scope)
{
	Datum		args[CRM_DUE_NARGS];
	char		nulls[CRM_DUE_NARGS + 1];

	crm_due_args("lead_overdue", scope, args, nulls);
	crm_exec(&mark_overdue, args, nulls, false, 0);
	return crm_get_int64(0, 1, NULL);
}

/* The earliest instant at which an open lead becomes overdue: just after its deadline. */
static bool
lead_overdue_next_due(const CrmDueScope *scope, TimestampTz *at)
{
	static CrmPlan next = {
		"SELECT min(x.deadline) FROM crm.leads x"
		" WHERE x.deadline IS NOT NULL AND x.closed_at IS NULL AND x.overdue_since IS NULL"
		" AND ($1::bigint IS NULL OR x.account_id = $1)"
		CRM_DUE_NOT_SET_ASIDE("x", "lead_overdue"),
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
