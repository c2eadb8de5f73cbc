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
 * (items set aside: due_failures.c)
 *	crm.run_due(now, max_items)	-> (kind, handled)		crm_run_due
 *					(refused while a restore loads rows: kit/restore.h)
 *	crm._run_due(account, now, max_items)	its twin	crm_run_due
 *	crm.next_due()	-> timestamptz						crm_next_due_sql
 *
 * On Citus a run of one account (a tenant's) is handed to the account's
 * worker: crm.run_due calls its twin crm._run_due (kit/delegate.h), which
 * crm.distribute() delegates there by its account argument
 * (create_distributed_function, force delegation).  Citus sends the call as the caller, over the connection that
 * wrote the account's shards earlier in the transaction, and with the
 * caller's SET LOCAL ROLE; crm switches to the schema owner there, in the
 * worker's backend, and the handlers' statements run on the local shards.
 * (Switched on the coordinator, the owner's own connections would be refused
 * the shards the caller wrote, and would take on a SET LOCAL ROLE Citus
 * passes on.)  A run for every account stays on the coordinator, each
 * handler's statement routed to one account's shard.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type_d.h"
#include "utils/resowner.h"
#include "catalog/namespace.h"
#include "commands/dbcommands.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "crm.h"
#include "due.h"
#include "identity.h"
#include "identity_reach.h"
#include "kit/citus.h"
#include "kit/delegate.h"
#include "kit/restore.h"
#include "values.h"

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

/* ---- the arguments of the handlers' statements ---- */

void
crm_due_args(const char *kind, const CrmDueScope *scope, Datum *args, char *nulls)
{
	args[0] = TimestampTzGetDatum(scope->now);
	args[1] = Int64GetDatum(scope->max_items);
	args[2] = Int64GetDatum(scope->account_id);
	args[3] = Int64GetDatum(scope->item_id);
	args[4] = CStringGetTextDatum(kind);
	memset(nulls, ' ', CRM_DUE_NARGS);
	nulls[2] = scope->account_null ? 'n' : ' ';
	nulls[3] = scope->item_null ? 'n' : ' ';
	nulls[CRM_DUE_NARGS] = '\0';
}

bool
crm_due_earliest(CrmPlan *plan, const CrmDueScope *scope, TimestampTz *at)
{
	Datum		arg = Int64GetDatum(scope->account_id);
	bool		isnull;
	Datum		d;

	crm_exec(plan, &arg, scope->account_null ? "n" : " ", true, 1);
	d = crm_get(0, 1, &isnull);
	if (isnull)
		return false;
	*at = DatumGetTimestampTz(d);
	return true;
}

/*
 * Runs one call of the handler in a subtransaction.  Returns the items it
 * handled, or -1 when it failed; then *edata (in the caller's memory) says
 * why and everything the call did is undone.
 */
static int64
run_in_subtransaction(const CrmDueHandler *handler, const CrmDueScope *scope, ErrorData **edata)
{
	MemoryContext caller = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	int64		handled = -1;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(caller);
	PG_TRY();
	{
		handled = handler->run(scope);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(caller);
		*edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller);
		CurrentResourceOwner = owner;
		handled = -1;
	}
	PG_END_TRY();
	return handled;
}

/* One item alone; sets it aside when it fails.  Returns 1 when it was handled. */
static int64
run_one_item(const CrmDueHandler *handler, const CrmDueScope *scope, int64 account_id, int64 item_id)
{
	CrmDueScope item = *scope;
	ErrorData  *edata = NULL;
	int64		handled;

	item.max_items = 1;
	item.account_null = false;
	item.account_id = account_id;
	item.item_null = false;
	item.item_id = item_id;
	handled = run_in_subtransaction(handler, &item, &edata);
	if (handled < 0)
	{
		crm_due_set_aside(handler->kind, &item, edata);
		FreeErrorData(edata);
		return 0;
	}
	crm_due_forget_set_aside(handler->kind, &item);
	return handled;
}

/* Lists the items run() would take now: SPI_tuptable rows (account_id, id). */
static uint64
list_due_items(const CrmDueHandler *handler, const CrmDueScope *scope)
{
	Datum		args[CRM_DUE_NARGS];
	char		nulls[CRM_DUE_NARGS + 1];

	crm_due_args(handler->kind, scope, args, nulls);
	return crm_exec(handler->due_items, args, nulls, true, 0);
}

/*
 * Each of the n items listed in SPI_tuptable as (account_id, id), alone; the
 * keys are copied first, since every run replaces SPI_tuptable.
 */
static int64
run_listed_items(const CrmDueHandler *handler, const CrmDueScope *scope, uint64 n)
{
	int64	   *keys = palloc(sizeof(int64) * 2 * (n + 1));
	int64		handled = 0;

	for (uint64 i = 0; i < n; i++)
	{
		keys[2 * i] = crm_get_int64(i, 1, NULL);
		keys[2 * i + 1] = crm_get_int64(i, 2, NULL);
	}
	for (uint64 i = 0; i < n; i++)
	{
		handled += run_one_item(handler, scope, keys[2 * i], keys[2 * i + 1]);
		CHECK_FOR_INTERRUPTS();
	}
	pfree(keys);
	return handled;
}

/*
 * A batch failed: each of its items alone, so only the failing ones are set
 * aside.  *listed gets how many items the batch had.
 */
static int64
run_item_by_item(const CrmDueHandler *handler, const CrmDueScope *scope, uint64 *listed)
{
	*listed = list_due_items(handler, scope);
	return run_listed_items(handler, scope, *listed);
}

/* Items set aside whose backoff has passed, each alone. */
static int64
retry_set_aside(const CrmDueHandler *handler, const CrmDueScope *scope)
{
	return run_listed_items(handler, scope, crm_due_list_retries(handler->kind, scope));
}

/* ---- running the handlers ---- */

/*
 * A handler is run in statements of at most this many items: each statement's
 * AFTER-trigger events (history, foreign keys) are queued until it ends, so
 * one statement over a large backlog would hold memory in proportion to it.
 */
#define DUE_STATEMENT_ITEMS 1000

/*
 * Up to max_items of one handler, in batches of DUE_STATEMENT_ITEMS, each in
 * a subtransaction; a batch that fails is undone and tried item by item.
 */
static int64
run_handler(const CrmDueHandler *handler, const CrmDueScope *scope)
{
	int64		total = retry_set_aside(handler, scope);

	while (total < scope->max_items)
	{
		CrmDueScope batch = *scope;
		ErrorData  *edata = NULL;
		int64		got;

		batch.max_items = Min(DUE_STATEMENT_ITEMS, scope->max_items - total);
		got = run_in_subtransaction(handler, &batch, &edata);
		if (got < 0)
		{
			uint64		listed;

			FreeErrorData(edata);
			total += run_item_by_item(handler, &batch, &listed);
			if (listed < (uint64) batch.max_items)
				break;
			continue;			/* the failing items are set aside now */
		}
		total += got;
		if (got < batch.max_items)
			break;
		CHECK_FOR_INTERRUPTS();
	}
	return total;
}

/*
 * The accounts a run for every account goes over: their ids, in order, in
 * the caller's memory.  On Citus crm.accounts is distributed too; reading it
 * is a plain multi-shard SELECT, and every claim after it names one account.
 */
static int64 *
list_accounts(int *n)
{
	static CrmPlan accounts = {"SELECT id FROM crm.accounts ORDER BY id", 0, {0}};
	uint64		rows = crm_exec(&accounts, NULL, NULL, true, 0);
	int64	   *ids = palloc(sizeof(int64) * (rows + 1));

	for (uint64 i = 0; i < rows; i++)
		ids[i] = crm_get_int64(i, 1, NULL);
	*n = (int) rows;
	return ids;
}

/*
 * Where this backend's next run for every account starts, per handler: the
 * account whose items the last run left when it reached max_items, so that a
 * large backlog of one account does not keep the others waiting call after
 * call.
 */
static int64 next_account[CRM_MAX_DUE_HANDLERS];

/*
 * One handler for every account, one account at a time (each claim is a
 * statement of one account, which Citus routes to the account's shard), at
 * most max_items in all.
 */
static int64
run_handler_per_account(int h, const CrmDueScope *scope, const int64 *accounts, int n)
{
	int64		total = 0;
	int			first = 0;

	while (first < n && accounts[first] < next_account[h])
		first++;
	if (first == n)
		first = 0;
	for (int k = 0; k < n && total < scope->max_items; k++)
	{
		CrmDueScope one = *scope;

		one.account_null = false;
		one.account_id = accounts[(first + k) % n];
		one.max_items = scope->max_items - total;
		total += run_handler(due_handlers[h], &one);
		next_account[h] = total < scope->max_items ? 0 : one.account_id;
	}
	return total;
}

void
crm_run_due_handlers(TimestampTz now, int64 max_items, bool account_null, int64 account_id,
					 int64 *counts)
{
	CrmUserSwitch user;
	CrmDueScope scope = {now, max_items, account_null, account_id, true, 0};
	int64	   *accounts = NULL;
	int			n = 0;

	SPI_connect();
	crm_become_owner(&user);
	if (account_null)
		accounts = list_accounts(&n);
	for (int i = 0; i < n_due_handlers; i++)
		counts[i] = account_null ? run_handler_per_account(i, &scope, accounts, n)
			: run_handler(due_handlers[i], &scope);
	crm_restore_user(&user);
	SPI_finish();
}

bool
crm_next_due(bool account_null, int64 account_id, TimestampTz *at)
{
	CrmUserSwitch user;
	CrmDueScope scope = {0, 0, account_null, account_id, true, 0};
	bool		found;

	SPI_connect();
	crm_become_owner(&user);
	found = crm_due_next_retry(&scope, at);
	for (int i = 0; i < n_due_handlers; i++)
	{
		TimestampTz t;

		if (due_handlers[i]->next_due != NULL && due_handlers[i]->next_due(&scope, &t) &&
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
 * Whose due work a call of crm.run_due or crm.next_due is: a bound login's
 * (or a crm_service session's that names an account) is its account's only,
 * so that a tenant neither acts on, nor sees, nor locks another tenant's
 * items; the owner's (the worker, pg_cron as the owner) and a crm_service
 * session's without an account are every account's.
 */
void
crm_due_caller_accounts(bool *account_null, int64 *account_id)
{
	if (crm_actor_kind() == CRM_ACTOR_OWNER)
	{
		*account_null = true;
		*account_id = 0;
		return;
	}
	*account_id = crm_actor_account(account_null);
	if (*account_null && crm_actor_kind() != CRM_ACTOR_SERVICE)
		(void) crm_require_account();	/* raises 42501: no account */
}

/*
 * Only the owner of the crm schema (or a superuser) may act ahead of the
 * clock: a `now` in the future from a tenant's admin would cancel invoices
 * early.  Anyone granted EXECUTE may do what is due by the clock, which is
 * what the worker does anyway.
 */
static void
check_run_due_time(TimestampTz now)
{
	TimestampTz clock = GetCurrentTimestamp();
	char	   *now_text;
	char	   *clock_text;

	/* a due instant is a business time: every handler computes from now */
	crm_check_time(now, "now");
	if (now <= clock)
		return;
	if (pg_namespace_ownercheck(get_namespace_oid("crm", false), GetUserId()))
		return;
	/* timestamptz_to_str returns one static buffer: copy each before the next */
	now_text = pstrdup(timestamptz_to_str(now));
	clock_text = pstrdup(timestamptz_to_str(clock));
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("only the owner of schema crm may run due work ahead of time"),
			 errdetail("now is \"%s\", later than the current time \"%s\".",
					   now_text, clock_text),
			 errhint("Call crm.run_due() without now, or with a time that is not in the future.")));
}

/* What every run checks first: max_items and now. */
static void
check_run_due_call(TimestampTz now, int64 max_items)
{
	if (max_items <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_items must be positive"),
				 errdetail("max_items is %lld.", (long long) max_items),
				 errhint("Pass the largest number of items of each kind to handle in this call, for example 10000.")));
	check_run_due_time(now);
}

/* And after whose the run is: a restore loading rows refuses it. */
static void
check_no_restore(void)
{
	if (crm_restore_running())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_IN_USE),
				 errmsg("a restore is loading rows into database \"%s\"",
						get_database_name(MyDatabaseId)),
				 errdetail("Due work done now would act on rows whose history, payments or outbox are not loaded yet."),
				 errhint("Call crm.run_due() again when the restoring sessions have ended.")));
}

/*
 * crm.run_due(now, max_items) -> (kind, handled), and its twin
 * crm._run_due(account, now, max_items), the run of one account on its
 * Citus worker (kit/delegate.h; see the header): a run of one account (the
 * caller's) goes there, a run of every account stays here.  A NULL now is
 * the transaction's start and a NULL max_items 10000, both taken where the
 * call is made, before the call goes to the worker.
 */
static CrmDelegate run_due_twin = {"crm._run_due", 2, {TIMESTAMPTZOID, INT4OID}, .runs_here = true};

/* The arguments of the public function's at first (1 as the twin), their NULLs defaulted. */
static void
run_due_arguments(FunctionCallInfo fcinfo, int first)
{
	if (fcinfo->args[first].isnull)
		fcinfo->args[first].value = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	if (fcinfo->args[first + 1].isnull)
		fcinfo->args[first + 1].value = Int32GetDatum(10000);
	fcinfo->args[first].isnull = false;
	fcinfo->args[first + 1].isnull = false;
}

/* The twin acts in one account, the caller's: not for a caller of every account's. */
static void
refuse_every_account_twin(FunctionCallInfo fcinfo)
{
	if (fcinfo->args[0].isnull)
		crm_error_null_argument("account", "Call crm.run_due(now, max_items) instead.");
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("cannot run the due work of account %lld", (long long) DatumGetInt64(fcinfo->args[0].value)),
			 errdetail("The caller acts in no one account."),
			 errhint("Call crm.run_due(now, max_items): it runs the caller's due work.")));
}

PG_FUNCTION_INFO_V1(crm_run_due);
Datum
crm_run_due(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			first = PG_NARGS() - run_due_twin.nargs;
	int64		counts[CRM_MAX_DUE_HANDLERS];
	bool		account_null;
	int64		account_id;
	Datum		result;

	run_due_arguments(fcinfo, first);
	check_run_due_call(PG_GETARG_TIMESTAMPTZ(first), PG_GETARG_INT32(first + 1));
	crm_due_caller_accounts(&account_null, &account_id);
	check_no_restore();
	if (account_null && first > 0)
		refuse_every_account_twin(fcinfo);
	if (!account_null && crm_delegate(&run_due_twin, fcinfo, account_id, &result))
		return result;

	/* a run for every account runs as the owner, on the workers too */
	if (account_null && crm_distributed() && !crm_citus_in_task())
		crm_refuse_local_role("crm.run_due() for every account",
							  "Use SET ROLE for the session, or name the account: SET LOCAL crm.account_id = ...");
	InitMaterializedSRF(fcinfo, 0);
	crm_run_due_handlers(PG_GETARG_TIMESTAMPTZ(0), PG_GETARG_INT32(1), account_null, account_id, counts);
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

/* crm.next_due() -> the caller's earliest pending due instant, NULL when nothing is pending */
PG_FUNCTION_INFO_V1(crm_next_due_sql);
Datum
crm_next_due_sql(PG_FUNCTION_ARGS)
{
	TimestampTz at;
	bool		account_null;
	int64		account_id;

	crm_due_caller_accounts(&account_null, &account_id);
	if (!crm_next_due(account_null, account_id, &at))
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(at);
}
