/*
 * kit/delegate.h
 *	  A crm function run where its account's shards live.
 *
 * On the Citus coordinator a function that writes as the owner of schema
 * crm, or in a write scope (kit/system_write.h), after the caller may have
 * written in the transaction, would have Citus reach the account's shards
 * as a second user (refused, 25001), or its write reach a worker's triggers
 * as the caller's, outside the scope.  Such a function runs on the worker
 * that holds the account instead: its twin crm._NAME(account bigint, <the
 * function's own arguments>), same result type, is delegated there by
 * crm.distribute() (create_distributed_function on its account argument,
 * colocated with crm.accounts, force_delegation: every function of schema
 * crm whose name begins with "_" and whose first argument is "account
 * bigint").  The public function and its twin share one C entry, which
 * begins:
 *
 *	static CrmDelegate twin = {"crm._claim_next_call", 2, {TIMESTAMPTZOID, INTERVALOID}};
 *	int64 account_id = crm_require_account();
 *	Datum result;
 *
 *	if (crm_delegate(&twin, fcinfo, account_id, &result))
 *		return result;
 *	... the body, its arguments those of the public function ...
 *
 * crm_delegate, called as the public function on a distributed installation
 * and outside a Citus task: calls the twin with account_id (the session's)
 * (SELECT * FROM crm._NAME($1, ...), a custom plan: Citus delegates a call
 * by the value of its account), sets *result to what it returned (a value;
 * a row, or NULL for a row of NULLs; the rows of a set-returning function,
 * put into its result) and returns true.  Called as the twin (one argument
 * more): checks its account is account_id (42501), refuses to run on the
 * coordinator of a distributed installation unless runs_here (0A000: Citus
 * did not delegate the call; the hint says call crm.distribute() again, or,
 * when this session's Citus counts itself inside the planning of a subquery
 * or CTE, kit/citus.h, connect again), takes the account off the arguments
 * and returns false.  Anywhere else it returns false: the body runs here
 * (one server; a Citus task).
 *
 * The twin runs in the worker's backend: the owner switch, the write scope
 * and the triggers its writes fire are all local there.  Citus lets a
 * force-delegated call touch the shards of its account only, and in a
 * transaction block it is part of the caller's transaction on that worker.
 */
#ifndef CRM_KIT_DELEGATE_H
#define CRM_KIT_DELEGATE_H

#include "postgres.h"

#include "fmgr.h"

#include "kit/spi.h"

typedef struct CrmDelegate
{
	const char *twin;			/* "crm._NAME" */
	int			nargs;			/* the public function's arguments */
	Oid			argtypes[CRM_PLAN_MAX_ARGS - 1];
	CrmPlan		call;			/* made on first use */

	/*
	 * The twin run on the coordinator (Citus did not delegate it) does the
	 * body's work there, as the public function would, instead of refusing
	 * with 0A000: for a function whose work the coordinator can do too, with
	 * the limits of work there (crm._run_due, crm._import_staged/_clear).
	 */
	bool		runs_here;
} CrmDelegate;

extern bool crm_delegate(CrmDelegate *d, FunctionCallInfo fcinfo, int64 account_id, Datum *result);

/*
 * What crm_delegate does as the twin (its checks, the account taken off the
 * arguments, Citus's nesting allowed), for a twin whose C entry is its own:
 * one whose result carries more than the public function's (crm._import_run).
 */
extern void crm_delegate_enter(CrmDelegate *d, FunctionCallInfo fcinfo, int64 account_id);

/* Whether crm's tables are Citus tables in this database (crm.distribute() ran). */
extern bool crm_distributed(void);

#endif							/* CRM_KIT_DELEGATE_H */
