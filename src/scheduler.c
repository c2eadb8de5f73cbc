/*
 * scheduler.c
 *	  crm.run_due(), the lead deadline handler, and the trigger that wakes the
 *	  background worker (worker.c) when a transaction commits an earlier due
 *	  instant.
 *
 * Time-based work is a list of handlers (CrmDueHandler in crm.h), one per kind
 * of due item; run_due runs each of them once and returns one row per kind
 * with the number of items it handled.  Every handler claims its items with
 * FOR UPDATE SKIP LOCKED and re-checks them under the lock, so that several
 * sessions running it at once each handle an item at most once, and a change
 * that commits first (a deadline moved later, a lead closed) wins.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "crm.h"

static const CrmDueHandler *due_handlers[CRM_MAX_DUE_HANDLERS];
static int	n_due_handlers = 0;

void
crm_register_due_handler(const CrmDueHandler *handler)
{
	if (n_due_handlers >= CRM_MAX_DUE_HANDLERS)
		elog(ERROR, "crm: too many due handlers");
	due_handlers[n_due_handlers++] = handler;
}

int
crm_due_handler_count(void)
{
	return n_due_handlers;
}

const CrmDueHandler *
crm_due_handler(int i)
{
	return due_handlers[i];
}

/*
 * A statement whose plan is made for each call's arguments: the LIMIT of a
 * claim must be known to the planner, or a generic plan may choose to scan
 * every lead for a batch of a thousand.
 */
static SPIPlanPtr
custom_plan(SPIPlanPtr *cache, const char *sql, int nargs, Oid *argtypes)
{
	if (*cache == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare_cursor(sql, nargs, argtypes, CURSOR_OPT_CUSTOM_PLAN);

		if (plan == NULL)
			elog(ERROR, "crm: SPI_prepare failed (%s) for: %s",
				 SPI_result_code_string(SPI_result), sql);
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "crm: SPI_keepplan failed");
		*cache = plan;
	}
	return *cache;
}

/* ---- lead deadlines ---- */

/*
 * Marks open leads whose deadline has passed (now > deadline) as overdue since
 * their deadline, oldest deadline first.  The lead history trigger records the
 * 'deadline_expired' event; a notification for the manager goes to the outbox,
 * keyed by lead and deadline so that the same deadline is never announced
 * twice (a new deadline is a new announcement).  The UPDATE finds the
 * claimed leads by their ctid: they were locked while due (FOR UPDATE re-checks
 * a lead changed by a committed transaction) and stay locked, so the version
 * claimed is the one updated; a join by key lets the planner, which cannot
 * estimate the claim, hash the whole table for a batch.
 */
static const char *lead_overdue_sql =
"WITH due AS MATERIALIZED ("
"  SELECT ctid FROM crm.leads"
"  WHERE deadline < $1 AND closed_at IS NULL AND overdue_since IS NULL"
"  ORDER BY deadline LIMIT $2"
"  FOR UPDATE SKIP LOCKED),"
" marked AS ("
"  UPDATE crm.leads l SET overdue_since = l.deadline"
"  FROM due WHERE l.ctid = due.ctid"
"  RETURNING l.account_id, l.id, l.number, l.contact_name, l.deadline, l.manager_id),"
" queued AS ("
"  INSERT INTO crm.outbox (account_id, kind, recipient, subject, body, payload, dedup_key)"
"  SELECT m.account_id, 'notification', e.email,"
"         pg_catalog.format('Lead %s is overdue', m.number),"
"         pg_catalog.format('The deadline of lead %s (%s) passed at %s %s.', m.number,"
"                 coalesce(m.contact_name, 'no contact name'),"
"                 pg_catalog.to_char(m.deadline AT TIME ZONE a.timezone, 'YYYY-MM-DD HH24:MI:SS'), a.timezone),"
"         pg_catalog.jsonb_build_object('event', 'lead_overdue', 'lead_id', m.id, 'number', m.number,"
"                 'manager_id', m.manager_id, 'deadline', m.deadline),"
"         pg_catalog.format('lead_overdue:%s:%s', m.id, pg_catalog.date_part('epoch', m.deadline))"
"  FROM marked m"
"  JOIN crm.accounts a ON a.id = m.account_id"
"  LEFT JOIN crm.employees e ON e.account_id = m.account_id AND e.id = m.manager_id"
"  ON CONFLICT (account_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING"
"  RETURNING 1)"
" SELECT (SELECT count(*) FROM marked), (SELECT count(*) FROM queued)";

static int64
lead_overdue_run(TimestampTz now, int64 max_items)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[2] = {TIMESTAMPTZOID, INT8OID};
	Datum		values[2] = {TimestampTzGetDatum(now), Int64GetDatum(max_items)};
	int			rc;

	rc = SPI_execute_plan(custom_plan(&plan, lead_overdue_sql, 2, types), values, NULL, false, 0);
	if (rc < 0)
		elog(ERROR, "crm: marking overdue leads failed (%s)", SPI_result_code_string(rc));
	return crm_get_int64(0, 1, NULL);
}

/* The earliest instant at which an open lead becomes overdue: just after its deadline. */
static bool
lead_overdue_next_due(TimestampTz *at)
{
	static CrmPlan next = {
		"SELECT min(deadline) FROM crm.leads"
		" WHERE deadline IS NOT NULL AND closed_at IS NULL AND overdue_since IS NULL",
		0, {InvalidOid}
	};
	bool		isnull;
	Datum		d;

	crm_exec(&next, NULL, NULL, true, 1);
	d = crm_get(0, 1, &isnull);
	if (isnull)
		return false;
	*at = DatumGetTimestampTz(d) + 1;
	return true;
}

static const CrmDueHandler lead_overdue_handler = {
	"lead_overdue", lead_overdue_run, lead_overdue_next_due
};

void
crm_scheduler_init(void)
{
	crm_register_due_handler(&lead_overdue_handler);
	crm_worker_init();
}

/* ---- running the handlers ---- */

/*
 * Runs every handler once at `now`, each for at most max_items items, as the
 * owner of the crm schema; counts[i] receives what handler i did.  Called by
 * crm.run_due and by the worker, inside a transaction.
 */
/*
 * A handler is run in statements of at most this many items: each statement's
 * AFTER-trigger events (history, foreign keys) are queued until it ends, so
 * one statement over a large backlog would hold memory in proportion to it.
 */
#define DUE_STATEMENT_ITEMS 1000

/* Up to max_items of one handler, in statements of DUE_STATEMENT_ITEMS. */
static int64
run_handler(const CrmDueHandler *handler, TimestampTz now, int64 max_items)
{
	int64		total = 0;

	while (total < max_items)
	{
		int64		ask = Min(DUE_STATEMENT_ITEMS, max_items - total);
		int64		got = handler->run(now, ask);

		total += got;
		if (got < ask)
			break;
		CHECK_FOR_INTERRUPTS();
	}
	return total;
}

void
crm_run_due_handlers(TimestampTz now, int64 max_items, int64 *counts)
{
	CrmUserSwitch user;

	SPI_connect();
	crm_become_owner(&user);
	for (int i = 0; i < n_due_handlers; i++)
		counts[i] = run_handler(due_handlers[i], now, max_items);
	crm_restore_user(&user);
	SPI_finish();
}

/* The earliest pending instant over every handler, false when nothing is pending. */
bool
crm_next_due(TimestampTz *at)
{
	CrmUserSwitch user;
	bool		found = false;

	SPI_connect();
	crm_become_owner(&user);
	for (int i = 0; i < n_due_handlers; i++)
	{
		TimestampTz t;

		if (due_handlers[i]->next_due != NULL && due_handlers[i]->next_due(&t) &&
			(!found || t < *at))
		{
			*at = t;
			found = true;
		}
	}
	crm_restore_user(&user);
	SPI_finish();
	return found;
}

/*
 * Only the owner of the crm schema (or a superuser) may act ahead of the
 * clock: run_due works across every account, so a `now` in the future from a
 * tenant's admin would cancel other tenants' invoices early.  Anyone granted
 * EXECUTE may do what is due by the clock, which is what the worker does
 * anyway.
 */
static void
check_run_due_time(TimestampTz now)
{
	TimestampTz clock = GetCurrentTimestamp();

	if (now <= clock)
		return;
	if (pg_namespace_ownercheck(get_namespace_oid("crm", false), GetUserId()))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("only the owner of schema crm may run due work ahead of time"),
			 errdetail("now is \"%s\", later than the current time \"%s\"; run_due acts on every account.",
					   timestamptz_to_str(now), timestamptz_to_str(clock)),
			 errhint("Call crm.run_due() without now, or with a time that is not in the future.")));
}

/* crm.run_due(now, max_items) -> (kind, handled) */
PG_FUNCTION_INFO_V1(crm_run_due);
Datum
crm_run_due(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TimestampTz now = PG_ARGISNULL(0) ? GetCurrentTransactionStartTimestamp() : PG_GETARG_TIMESTAMPTZ(0);
	int64		max_items = PG_ARGISNULL(1) ? 10000 : PG_GETARG_INT32(1);
	int64		counts[CRM_MAX_DUE_HANDLERS];

	if (max_items <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_items must be positive"),
				 errdetail("max_items is %lld.", (long long) max_items),
				 errhint("Pass the largest number of items of each kind to handle in this call, for example 10000.")));
	check_run_due_time(now);

	InitMaterializedSRF(fcinfo, 0);
	crm_run_due_handlers(now, max_items, counts);
	for (int i = 0; i < n_due_handlers; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = CStringGetTextDatum(due_handlers[i]->kind);
		values[1] = Int64GetDatum(counts[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* crm.next_due() -> the earliest pending due instant, NULL when nothing is pending */
PG_FUNCTION_INFO_V1(crm_next_due_sql);
Datum
crm_next_due_sql(PG_FUNCTION_ARGS)
{
	TimestampTz at;

	if (!crm_next_due(&at))
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(at);
}

/* ---- waking the worker ---- */

/* The earliest due instant written by this transaction, if any. */
static bool pending_set = false;
static TimestampTz pending_at = 0;
static bool callback_registered = false;

static void
due_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
			if (pending_set)
				crm_worker_wake_if_earlier(crm_worker_slot(), pending_at);
			pending_set = false;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PARALLEL_COMMIT:
			pending_set = false;
			break;
		default:
			break;
	}
}

/*
 * AFTER INSERT OR UPDATE row trigger; its arguments name the timestamptz
 * columns that hold due instants.  It only remembers the earliest of them;
 * at commit the worker is woken when that is earlier than its planned wake.
 * Without the worker (no preload) it costs one comparison per row.
 */
PG_FUNCTION_INFO_V1(crm_due_changed);
Datum
crm_due_changed(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Trigger    *trigger;
	TupleDesc	desc;
	HeapTuple	row;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crm_due_changed: not called by trigger manager")));
	if (!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) || !TRIGGER_FIRED_AFTER(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("crm_due_changed: must be fired AFTER, for each row")));
	if (crm_worker_slot() < 0)
		return PointerGetDatum(NULL);

	trigger = trigdata->tg_trigger;
	desc = trigdata->tg_relation->rd_att;
	row = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? trigdata->tg_newtuple : trigdata->tg_trigtuple;
	for (int i = 0; i < trigger->tgnargs; i++)
	{
		int			attnum = SPI_fnumber(desc, trigger->tgargs[i]);
		bool		isnull;
		TimestampTz at;

		if (attnum <= 0 || TupleDescAttr(desc, attnum - 1)->atttypid != TIMESTAMPTZOID)
			elog(ERROR, "crm_due_changed: \"%s\" is not a timestamptz column", trigger->tgargs[i]);
		at = DatumGetTimestampTz(SPI_getbinval(row, desc, attnum, &isnull));
		if (isnull)
			continue;
		at += 1;				/* a deadline is due just after it */
		if (!pending_set || at < pending_at)
		{
			pending_at = at;
			pending_set = true;
		}
	}
	if (pending_set && !callback_registered)
	{
		RegisterXactCallback(due_xact_callback, NULL);
		callback_registered = true;
	}
	return PointerGetDatum(NULL);
}
