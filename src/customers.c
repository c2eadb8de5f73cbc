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
 * C API (customers.h): crm_customers_hidden.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"

#include "actor.h"
#include "clients.h"
#include "crm.h"
#include "customers.h"
#include "identity.h"

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
								 RelationGetRelationName(rel));
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
