/*
 * customers.c
 *	  Customer data on every path: an employee without can_see_customers
 *	  (clients.c) reads none of it and writes none of it, and crm's own code
 *	  acting for such an employee changes nothing it could not see.
 *
 * Which columns are customer data, and how each is hidden, is customers.sql
 * (the policies customers_visible and the triggers _customer_guard); the
 * README's table says the same.  Reads: the policies hide the rows.  Writes:
 * the policies refuse them too, but only with "new row violates row-level
 * security policy", after the table's BEFORE triggers acted on the row; the
 * guard refuses first, naming the column.
 *
 * Trigger function:
 *	crm._customer_guard(column, ...)	BEFORE INSERT OR UPDATE (its name sorts
 *										after _account_guard, before the
 *										table's own triggers)
 * Functions: crm.customer_data_account (the policies), crm._hide_customer_data
 * (customers.sql, at install).
 * C API (customers.h): crm_customers_hidden.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"

#include "actor.h"
#include "clients.h"
#include "crm.h"
#include "kit/citus.h"
#include "customers.h"
#include "identity.h"

/*
 * crm.customer_data_account(): the session's account when it may see
 * customers, else NULL.  A policy "account_id = crm.customer_data_account()"
 * joins the account policy's "account_id = crm.session_account()" in one
 * equivalence class, so the planner checks the right once per statement
 * (a one-time filter "session_account() = customer_data_account()") and the
 * rows cost nothing more; a policy qual "crm.can_see_customers()" would be
 * evaluated for each row.  No SET clause, like crm.session_account().
 */
PG_FUNCTION_INFO_V1(crm_customer_data_account);
Datum
crm_customer_data_account(PG_FUNCTION_ARGS)
{
	bool		isnull;
	int64		account_id = crm_policy_account(&isnull);

	if (isnull || !crm_can_see_customers())
		PG_RETURN_NULL();
	PG_RETURN_INT64(account_id);
}

bool
crm_customers_hidden(void)
{
	if (crm_can_see_customers())
		return false;
	return crm_actor_kind() != CRM_ACTOR_OWNER && !has_bypassrls_privilege(GetOuterUserId());
}

static void
refuse_customer_data(CrmTrigger *t, const char *column)
{
	Relation	rel = t->data->tg_relation;
	const char *table = psprintf("%s.%s", get_namespace_name(RelationGetNamespace(rel)),
								 crm_citus_table_name(rel));
	const char *employee = crm_actor_employee_text();
	bool		no_account;
	int64		account_id = crm_actor_account(&no_account);

	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 column ? errmsg("column \"%s\" of %s holds customer data, which %s may not see",
							 column, table, employee)
			 : errmsg("%s holds customer data, which %s may not see", table, employee),
			 errdetail("In account %lld, %s has no can_see_customers: it reads no customer data and writes none.",
					   (long long) account_id, employee),
			 column ? errhint("Leave %s NULL, or ask an administrator for can_see_customers.", column)
			 : errhint("Rows of %s are written by employees with can_see_customers; an administrator grants it in crm.employees.",
					   table)));
}

/*
 * crm._customer_guard(column, ...): with no arguments every row of the table
 * is customer data; with arguments, a row that sets one of the named columns
 * holds some.  Only roles that row-level security applies to are refused:
 * crm's own writes run as the owner.
 */
PG_FUNCTION_INFO_V1(crm_customer_guard);
Datum
crm_customer_guard(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		row;

	crm_trigger_start(&trig, fcinfo, "crm_customer_guard", CRM_BEFORE, CRM_ON_INSERT | CRM_ON_UPDATE);
	if (crm_can_see_customers() ||
		check_enable_rls(trig.relid, InvalidOid, true) != RLS_ENABLED)
		return crm_trigger_return(&trig, trig.new);
	row.tuple = trig.new;
	row.desc = trig.desc;
	row.map = crm_trigger_arg_columns(&trig);
	if (row.map->ncolumns == 0)
		refuse_customer_data(&trig, NULL);
	for (int i = 0; i < row.map->ncolumns; i++)
		if (!crm_row_isnull(&row, i))
			refuse_customer_data(&trig, row.map->names[i]);
	return crm_trigger_return(&trig, trig.new);
}

/* ---- crm._hide_customer_data ---- */

static void
exec_install(const char *sql)
{
	if (SPI_execute(sql, false, 0) < 0)
		elog(ERROR, "crm: failed: %s", sql);
}

/*
 * crm._hide_customer_data(tab regclass, whole_row boolean, VARIADIC columns name[]):
 * the customer columns of a table, hidden from an employee without
 * can_see_customers.  Creates the policy customers_visible (with whole_row
 * every row is hidden, else a row that sets one of the columns), which is
 * the table's only policy and holds the account condition too: Citus makes
 * a RESTRICTIVE policy permissive on the shards, where it would add rows to
 * the account policy's instead of hiding them.  Also
 * its comment naming the columns, and the trigger _customer_guard (no
 * arguments for a whole row, else the columns).  Run by customers.sql at
 * install; the names come from the catalog and the script, and are quoted.
 */
PG_FUNCTION_INFO_V1(crm_hide_customer_data);
Datum
crm_hide_customer_data(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	bool		whole_row = PG_GETARG_BOOL(1);
	char	   *rel = DatumGetCString(DirectFunctionCall1(regclassout, ObjectIdGetDatum(relid)));
	Datum	   *names;
	int			n;
	StringInfoData cond,
				list,
				args;
	const char *closing = ")";

	deconstruct_array(PG_GETARG_ARRAYTYPE_P(2), NAMEOID, NAMEDATALEN, false, TYPALIGN_CHAR,
					  &names, NULL, &n);
	initStringInfo(&cond);
	initStringInfo(&list);
	initStringInfo(&args);
	/*
	 * See crm_customer_data_account.  A row-wise condition cannot be one
	 * equality: it is asked per row, and with no subquery (Citus refuses a
	 * policy with one on a distributed table).
	 */
	appendStringInfoString(&cond, whole_row ? "account_id OPERATOR(pg_catalog.=) crm.customer_data_account()"
						   : "account_id OPERATOR(pg_catalog.=) crm.session_account() AND "
						   "(account_id OPERATOR(pg_catalog.=) crm.customer_data_account()");
	for (int i = 0; i < n; i++)
	{
		const char *col = NameStr(*DatumGetName(names[i]));

		if (get_attnum(relid, col) == InvalidAttrNumber)
			elog(ERROR, "crm: %s has no column \"%s\"", rel, col);
		appendStringInfo(&list, "%s%s", i > 0 ? ", " : "", col);
		if (whole_row)
			continue;
		appendStringInfo(&cond, "%s%s IS NULL", i > 0 ? " AND " : " OR (", quote_identifier(col));
		closing = "))";
		appendStringInfo(&args, "%s%s", i > 0 ? ", " : "", quote_literal_cstr(col));
	}
	if (!whole_row)
		appendStringInfoString(&cond, closing);

	/* re-runnable: every update replays it (see "The SQL comes in three kinds" in the Makefile) */
	SPI_connect();
	exec_install(psprintf("DROP POLICY IF EXISTS customers_visible ON %s", rel));
	exec_install(psprintf("DROP POLICY IF EXISTS account_isolation ON %s", rel));
	exec_install(psprintf("CREATE POLICY customers_visible ON %s USING (%s) WITH CHECK (%s)",
						  rel, cond.data, cond.data));
	exec_install(psprintf("COMMENT ON POLICY customers_visible ON %s IS %s", rel,
						  quote_literal_cstr(psprintf(whole_row ?
													  "The account's rows; customer data (%s): hidden with the whole row from employees without can_see_customers." :
													  "The account's rows; customer data (%s): a row that sets one of them is hidden from employees without can_see_customers.",
													  list.data))));
	exec_install(psprintf("CREATE OR REPLACE TRIGGER _customer_guard BEFORE INSERT OR UPDATE ON %s "
						  "FOR EACH ROW EXECUTE FUNCTION crm._customer_guard(%s)", rel, args.data));
	SPI_finish();
	PG_RETURN_VOID();
}
