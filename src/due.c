/*
 * due.c
 *	  Time-based work: the registry of due handlers, crm.run_due() and
 *	  crm.next_due().
 *
 * Time-based work is a list of handlers (CrmDueHandler in due.h), one per
 * kind of due item, registered at load time by the concept that owns the
 * items; run_due runs each of them once and returns one row per kind, in
 * registration order, with the number of items it handled.  Every handler
 * claims its items with FOR UPDATE SKIP LOCKED and re-checks them under the
 * lock, so that several sessions running it at once each handle an item at
 * most once, and a change that commits first (a deadline moved later, a lead
 * closed) wins.  Whoever runs the handlers (a session, the background worker
 * in worker.c) calls in here; this file knows nothing of who calls.
 *
 * Functions:
 *	crm_register_due_handler, crm_due_handler_count, crm_due_handler
 *					the registry
 *	crm_run_due_handlers	runs every handler once, as the schema owner
 *	crm_next_due	the earliest pending instant over every handler
 *	crm.run_due(now, max_items)	-> (kind, handled)		crm_run_due
 *	crm.next_due()	-> timestamptz						crm_next_due_sql
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "crm.h"
#include "due.h"

/* ---- the registry ---- */

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

/* ---- running the handlers ---- */

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

/*
 * Runs every handler once at `now`, each for at most max_items items, as the
 * owner of the crm schema; counts[i] receives what handler i did.  Called by
 * crm.run_due and by the worker, inside a transaction.
 */
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

/* ---- SQL ---- */

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
