/*
 * search_path_guard.c
 *	  On a Citus coordinator: no search_path that puts a schema before
 *	  pg_catalog reaches the worker nodes.
 *
 * With citus.propagate_set_commands = 'local' Citus passes a transaction's
 * SET LOCAL statements to the workers, search_path among them, and applies
 * them to every connection of the transaction, the ones it opens as the
 * schema owner for crm's own writes too.  The queries Citus sends there name
 * pg_catalog's functions and operators unqualified (now(), =): with a schema
 * named before pg_catalog, a function or operator of that schema with the
 * same name would run in their place, as whichever role the connection is.
 * So crm refuses such a SET LOCAL on the coordinator (42501), once it is set
 * (the value as PostgreSQL keeps it).  A session's SET, set_config() and a
 * function's SET clause do not reach the workers and are left alone; so is a
 * search_path that does not name pg_catalog (PostgreSQL searches it first).
 *
 * Hook (crm_search_path_guard_init, from _PG_init): ProcessUtility.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/varlena.h"

#include "crm.h"
#include "kit/citus.h"
#include "search_path_guard.h"

static ProcessUtility_hook_type prev_process_utility = NULL;

/* The first schema named before pg_catalog (pg_temp aside: never searched for functions), or NULL. */
static char *
schema_before_catalog(const char *path)
{
	char	   *copy = pstrdup(path);
	List	   *names;
	ListCell   *lc;
	char	   *first = NULL;

	if (!SplitIdentifierString(copy, ',', &names))
		return NULL;
	foreach(lc, names)
	{
		char	   *name = lfirst(lc);

		if (strcmp(name, "pg_catalog") == 0)
			return first;
		if (first == NULL && strcmp(name, "pg_temp") != 0)
			first = name;
	}
	return NULL;
}

static void
check_propagated_path(void)
{
	const char *propagate = GetConfigOption("citus.propagate_set_commands", true, false);
	const char *path;
	char	   *before;

	if (propagate == NULL || strcmp(propagate, "local") != 0 || !crm_citus_active() || crm_citus_in_task())
		return;
	path = GetConfigOption("search_path", false, false);
	before = schema_before_catalog(path);
	if (before != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("search_path = %s would reach the Citus worker nodes with schema \"%s\" before pg_catalog",
						path, before),
				 errdetail("Citus passes a transaction's SET LOCAL search_path to the workers, whose queries name "
						   "pg_catalog's functions and operators unqualified: that schema's would run in their place."),
				 errhint("Put pg_catalog first in search_path, or leave it out (then it is searched first).")));
}

static void
guard_process_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
					  ProcessUtilityContext context, ParamListInfo params,
					  QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *node = pstmt->utilityStmt;

	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc);
	if (IsA(node, VariableSetStmt) && ((VariableSetStmt *) node)->is_local &&
		((VariableSetStmt *) node)->name != NULL &&
		strcmp(((VariableSetStmt *) node)->name, "search_path") == 0)
		check_propagated_path();
}

void
crm_search_path_guard_init(void)
{
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = guard_process_utility;
}
