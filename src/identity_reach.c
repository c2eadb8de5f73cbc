/*
 * identity_reach.c
 *	  On a Citus coordinator: the account and the employee a crm_service
 *	  member acts in must reach the worker nodes.
 *
 * Citus passes a worker node, for the coordinator's transaction, the SET LOCAL
 * statements of the transaction (with citus.propagate_set_commands = 'local'),
 * not a session's SET, nor set_config().  A worker that receives no account
 * for a crm_service member sees what that member sees on one server with no
 * account: no rows.  So the coordinator refuses, before it runs a statement
 * on a crm relation, a crm_service member whose crm.account_id or
 * crm.employee_id is set but would not reach the workers (42501), instead of
 * letting the workers answer with no rows (or write with no employee).  A
 * bound login whose settings name another account or employee than its
 * binding is refused there as on one server (42501), where the workers, which
 * do not receive the settings, would act in the binding without a word.
 *
 * What reached them: the value in force was set by a SET LOCAL statement of
 * this transaction (the utility hook records the last one's value), it is
 * still that value, and citus.propagate_set_commands is 'local'.
 *
 * A SET LOCAL ROLE reaches the workers as well, where it overrides crm's
 * switch to the owner of schema crm for every statement Citus sends them in
 * the transaction: crm's work for every account (due work, delivery), run on
 * the coordinator as the owner, refuses then (crm_refuse_local_role, 42501)
 * instead of running on the workers as that role, where row security would
 * hide every row or a privilege check refuse one of its statements.
 *
 * Hooks (crm_identity_reach_init, from _PG_init): ProcessUtility (records a
 * SET LOCAL of either setting, and of the role), ExecutorStart (the check).  Without Citus the
 * check ends at its first test.  It needs crm's library loaded on the
 * coordinator when the session sets the value: preloaded, as the README's
 * recipe says.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "executor/executor.h"
#include "nodes/parsenodes.h"
#include "storage/proc.h"
#include "tcop/utility.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

#include "crm.h"
#include "guc.h"
#include "identity.h"
#include "identity_reach.h"
#include "kit/citus.h"
#include "kit/delegate.h"

/* A setting's last SET LOCAL in a transaction (lxid): its value as then set. */
typedef struct LocalSet
{
	const char *name;
	LocalTransactionId lxid;
	char		value[NAMEDATALEN];
} LocalSet;

/* the last is the role: Citus passes a SET LOCAL ROLE to the workers too */
static LocalSet local_sets[3] = {{"crm.account_id"}, {"crm.employee_id"}, {"role"}};
#define LOCAL_ROLE (&local_sets[2])

static ProcessUtility_hook_type prev_process_utility = NULL;
static ExecutorStart_hook_type prev_executor_start = NULL;
static bool checking = false;

static void
record_local_set(const VariableSetStmt *stmt)
{
	for (int i = 0; i < lengthof(local_sets); i++)
	{
		const char *value;

		if (strcmp(stmt->name, local_sets[i].name) != 0)
			continue;
		value = GetConfigOption(local_sets[i].name, true, false);
		local_sets[i].lxid = MyProc->lxid;
		strlcpy(local_sets[i].value, value != NULL ? value : "", sizeof(local_sets[i].value));
	}
}

static void
reach_process_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
					  ProcessUtilityContext context, ParamListInfo params,
					  QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *node = pstmt->utilityStmt;

	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	if (IsA(node, VariableSetStmt) && ((VariableSetStmt *) node)->is_local &&
		((VariableSetStmt *) node)->name != NULL)
		record_local_set((VariableSetStmt *) node);
}

/* Whether the setting's value in force reached the workers (or is unset). */
static bool
reaches_workers(const LocalSet *set, bool is_set, bool is_local)
{
	const char *value;
	const char *propagate;

	if (!is_set)
		return true;
	if (!is_local || set->lxid != MyProc->lxid)
		return false;
	value = GetConfigOption(set->name, true, false);
	propagate = GetConfigOption("citus.propagate_set_commands", true, false);
	return value != NULL && strcmp(value, set->value) == 0 &&
		propagate != NULL && strcmp(propagate, "local") == 0;
}

static bool
statement_uses_crm(const PlannedStmt *stmt)
{
	Oid			crm = get_namespace_oid("crm", true);
	ListCell   *lc;

	foreach(lc, stmt->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		if (rte->rtekind == RTE_RELATION && get_rel_namespace(rte->relid) == crm)
			return true;
	}
	return false;
}

static void
refuse_unreached(const char *name, int64 value)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("%s = %lld does not reach the Citus worker nodes", name, (long long) value),
			 errdetail("Citus passes the workers a transaction's SET LOCAL statements only (with "
					   "citus.propagate_set_commands = 'local'), not a session's SET or set_config(); "
					   "there a member of crm_service would act in no account."),
			 errhint("Set it in each transaction: SET LOCAL %s = ..., with "
					 "citus.propagate_set_commands = 'local'.", name)));
}

static void
check_reach(QueryDesc *queryDesc)
{
	bool		account_ok = reaches_workers(&local_sets[0], crm_account_is_set, crm_account_is_local());
	bool		employee_ok = reaches_workers(&local_sets[1], crm_employee_is_set, crm_employee_is_local());

	bool		isnull;

	if ((account_ok && employee_ok) || !crm_citus_active() || crm_citus_in_task() ||
		!statement_uses_crm(queryDesc->plannedstmt))
		return;
	switch (crm_actor_kind())
	{
		case CRM_ACTOR_SERVICE:
			if (!account_ok)
				refuse_unreached("crm.account_id", crm_account_value);
			refuse_unreached("crm.employee_id", crm_employee_value);
			break;
		case CRM_ACTOR_BOUND:
			/* a setting other than the binding is refused as on one server, not ignored on the workers */
			(void) crm_actor_account(&isnull);
			(void) crm_actor_employee(&isnull);
			break;
		default:
			break;
	}
}

/* Whether a SET LOCAL ROLE of this transaction is in force. */
static bool
local_role_in_force(void)
{
	const char *value;

	if (LOCAL_ROLE->lxid != MyProc->lxid)
		return false;
	value = GetConfigOption("role", true, false);
	return value != NULL && strcmp(value, "none") != 0 && strcmp(value, LOCAL_ROLE->value) == 0;
}

void
crm_refuse_local_role(const char *work, const char *hint)
{
	if (crm_citus_in_task() || !local_role_in_force() || !crm_distributed())
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("%s cannot follow SET LOCAL ROLE on Citus", work),
			 errdetail("Citus passes the role \"%s\" to the worker nodes, where it would replace the owner of "
					   "schema crm, whom %s runs as.", LOCAL_ROLE->value, work),
			 errhint("%s", hint)));
}

static void
reach_executor_start(QueryDesc *queryDesc, int eflags)
{
	if (!checking && !(eflags & EXEC_FLAG_EXPLAIN_ONLY))
	{
		checking = true;
		PG_TRY();
		{
			check_reach(queryDesc);
		}
		PG_FINALLY();
		{
			checking = false;
		}
		PG_END_TRY();
	}
	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

void
crm_identity_reach_init(void)
{
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = reach_process_utility;
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = reach_executor_start;
}
