/*
 * insert_select.c
 *	  A crm role's INSERT ... SELECT on the Citus coordinator, sent to the
 *	  shards as INSERTs.
 *
 * Citus cannot push an INSERT ... SELECT into a crm table down to the shards
 * when the row's id comes from its identity (a volatile default); it runs the
 * SELECT, then sends the rows by one of two ways: COPY into the shards, or
 * into intermediate results that each shard reads with INSERT ... SELECT
 * (the way of a statement with RETURNING or ON CONFLICT).  PostgreSQL
 * refuses COPY FROM into a table under row-level security, which every crm
 * table is for a crm role, so the first way fails for every tenant, though
 * the statement is an INSERT that the same policies allow.
 *
 * crm's planner hook gives such a statement a RETURNING of a constant before
 * Citus plans it, so Citus takes the second way, and takes it off the plan
 * Citus made: the rows are inserted by INSERT on each shard, its policies
 * and triggers as on one server, and nothing is returned that the statement
 * did not ask for (its command tag counts the rows, as before).  A RETURNING
 * also checks each new row against the table's SELECT policies, which in
 * crm are its INSERT checks (account_isolation, customers_visible).
 *
 * Only for an INSERT ... SELECT (a VALUES list Citus routes row by row)
 * without RETURNING and ON CONFLICT, into a Citus table of schema crm, by a
 * role the table's row-level security applies to; anything else, and any
 * server without Citus, is planned untouched.
 *
 *	crm_insert_select_init	installs the planner hook (from _PG_init)
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "nodes/makefuncs.h"
#include "optimizer/planner.h"
#include "parser/parsetree.h"
#include "utils/lsyscache.h"
#include "utils/rls.h"

#include "crm.h"
#include "kit/citus.h"

static planner_hook_type prev_planner = NULL;

/* Whether the statement's rows come from a SELECT (not a VALUES list). */
static bool
rows_from_select(Query *parse)
{
	ListCell   *lc;

	if (parse->jointree == NULL)
		return false;
	foreach(lc, parse->jointree->fromlist)
	{
		Node	   *item = lfirst(lc);

		if (IsA(item, RangeTblRef) &&
			rt_fetch(((RangeTblRef *) item)->rtindex, parse->rtable)->rtekind == RTE_SUBQUERY)
			return true;
	}
	return false;
}

/* Whether Citus would COPY the statement's rows into shards under row-level security. */
static bool
copied_under_row_security(Query *parse)
{
	Oid			relid;
	char	   *schema;

	if (parse->commandType != CMD_INSERT || parse->returningList != NIL ||
		parse->onConflict != NULL || parse->resultRelation == 0 || !rows_from_select(parse))
		return false;
	relid = rt_fetch(parse->resultRelation, parse->rtable)->relid;
	schema = get_namespace_name(get_rel_namespace(relid));
	if (schema == NULL || strcmp(schema, "crm") != 0)
		return false;
	return check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED &&
		crm_relation_is_distributed(relid);
}

static PlannedStmt *
insert_select_planner(Query *parse, const char *query_string, int cursor_options,
					  ParamListInfo bound_params)
{
	bool		hidden = false;
	PlannedStmt *result;

	if (copied_under_row_security(parse))
	{
		Const	   *one = makeConst(INT4OID, -1, InvalidOid, sizeof(int32),
									Int32GetDatum(1), false, true);

		parse = copyObject(parse);
		parse->returningList = list_make1(makeTargetEntry((Expr *) one, 1, pstrdup("crm_row"), false));
		hidden = true;
	}
	if (prev_planner)
		result = prev_planner(parse, query_string, cursor_options, bound_params);
	else
		result = standard_planner(parse, query_string, cursor_options, bound_params);
	if (hidden)
		result->hasReturning = false;
	return result;
}

void
crm_insert_select_init(void)
{
	prev_planner = planner_hook;
	planner_hook = insert_select_planner;
}
