/*
 * references.c
 *	  The reference that crm checks itself instead of a foreign key:
 *	  accounts.order_won_status_id, the status of the account that a linked
 *	  order moves its lead to.
 *
 * A status belongs to an account (statuses.account_id is a foreign key), so a
 * foreign key from accounts to statuses would make the two tables refer to
 * each other, and a dump could then not be restored table by table.  The
 * triggers here keep what that key kept, with the locks PostgreSQL's own
 * foreign keys take:
 *
 * Triggers on crm.accounts:
 *	accounts_10_order_status	BEFORE INSERT OR UPDATE OF id, order_won_status_id:
 *								the status exists in the account; it is locked
 *								(FOR KEY SHARE) until the writer commits
 * Triggers on crm.statuses:
 *	statuses_10_order_status	BEFORE DELETE OR UPDATE OF account_id, id: no
 *								account names the status, as of the latest
 *								commit (the row lock of the DELETE or UPDATE
 *								has waited for a writer that locked it above)
 *
 * The other pair that referred to each other, leads.order_id and
 * orders.lead_id, needs no check: orders.lead_id is the foreign key, and
 * leads.order_id is written only by the link, with it (linking.c).
 *
 * crm.login_bindings names an account and an employee without foreign keys:
 * on Citus it is a reference table (every node resolves a login), and a
 * reference table cannot refer to a distributed one.  crm.bind_login, its only
 * writer, checks and locks both (identity.c); the triggers here keep them:
 *	accounts_10_login_bindings	BEFORE DELETE OR UPDATE OF id: no binding
 *								names the account, as of the latest commit
 *	employees_10_login_bindings	BEFORE DELETE OR UPDATE OF account_id, id: no
 *								binding names the employee, as of the latest
 *								commit
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "fmgr.h"
#include "utils/snapmgr.h"

#include "crm.h"

enum
{
	ACCOUNT_ID, ACCOUNT_ORDER_STATUS, ACCOUNT_NCOLUMNS
};
static const char *const account_names[] = {"id", "order_won_status_id"};
static CrmColumnMap account_columns = {"crm.accounts", ACCOUNT_NCOLUMNS, account_names};

enum
{
	STATUS_ACCOUNT_ID, STATUS_ID, STATUS_NAME, STATUS_NCOLUMNS
};
static const char *const status_names[] = {"account_id", "id", "name"};
static CrmColumnMap status_columns = {"crm.statuses", STATUS_NCOLUMNS, status_names};

static CrmPlan lock_status = {
	"SELECT 1 FROM crm.statuses WHERE account_id = $1 AND id = $2 FOR KEY SHARE",
	2, {INT8OID, INT8OID}
};

static CrmPlan account_naming_status = {
	"SELECT '' FROM crm.accounts WHERE id = $1 AND order_won_status_id = $2 LIMIT 1",
	2, {INT8OID, INT8OID}
};

enum
{
	EMPLOYEE_ACCOUNT_ID, EMPLOYEE_ID, EMPLOYEE_NCOLUMNS
};
static const char *const employee_names[] = {"account_id", "id"};
static CrmColumnMap employee_columns = {"crm.employees", EMPLOYEE_NCOLUMNS, employee_names};

static CrmPlan binding_naming_account = {
	"SELECT role_name::text FROM crm.login_bindings WHERE account_id = $1 ORDER BY role_name LIMIT 1",
	1, {INT8OID}
};

static CrmPlan binding_naming_employee = {
	"SELECT role_name::text FROM crm.login_bindings WHERE account_id = $1 AND employee_id = $2 "
	"ORDER BY role_name LIMIT 1",
	2, {INT8OID, INT8OID}
};

/*
 * The first row of a kept plan run as the owner with the latest snapshot (as
 * a foreign key's check sees the rows), or NULL; the text is copied out.
 */
static char *
latest_first_text(CrmPlan *plan, Datum *args)
{
	CrmUserSwitch user;
	int			rc;

	crm_become_owner(&user);
	rc = SPI_execute_snapshot(crm_plan(plan), args, NULL,
							  GetLatestSnapshot(), InvalidSnapshot, true, false, 1);
	crm_restore_user(&user);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "crm: SPI_execute_snapshot failed (%s) for: %s",
			 SPI_result_code_string(rc), plan->sql);
	return SPI_processed > 0 ? crm_get_text(0, 1) : NULL;
}

/* accounts_10_order_status: order_won_status_id names a status of the account. */
PG_FUNCTION_INFO_V1(crm_account_order_status);
Datum
crm_account_order_status(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		new;
	CrmUserSwitch user;
	bool		isnull;
	int64		account_id;
	int64		status_id;
	Datum		args[2];
	uint64		found;

	crm_trigger_start(&trig, fcinfo, "crm_account_order_status", CRM_BEFORE,
					  CRM_ON_INSERT | CRM_ON_UPDATE);
	if (trig.restoring)
		return crm_trigger_return(&trig, trig.new);
	new = crm_trigger_row(&trig, trig.new, &account_columns);
	status_id = crm_row_int64(&new, ACCOUNT_ORDER_STATUS, &isnull);
	if (isnull)
		return crm_trigger_return(&trig, trig.new);
	if (trig.is_update)
	{
		CrmRow		old = crm_trigger_row(&trig, trig.old, &account_columns);

		if (crm_row_same(&old, &new, ACCOUNT_ID) && crm_row_same(&old, &new, ACCOUNT_ORDER_STATUS))
			return crm_trigger_return(&trig, trig.new);
	}
	account_id = crm_row_int64(&new, ACCOUNT_ID, NULL);

	crm_trigger_connect(&trig);
	args[0] = Int64GetDatum(account_id);
	args[1] = Int64GetDatum(status_id);
	crm_become_owner(&user);
	found = crm_exec(&lock_status, args, NULL, false, 1);
	crm_restore_user(&user);
	if (found == 0)
		crm_error_not_found("status", account_id, status_id, ERRCODE_FOREIGN_KEY_VIOLATION);
	return crm_trigger_return(&trig, trig.new);
}

/* statuses_10_order_status: a status an account names is not deleted nor renumbered. */
PG_FUNCTION_INFO_V1(crm_order_status_kept);
Datum
crm_order_status_kept(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		old;
	Datum		args[2];
	int64		account_id;

	crm_trigger_start(&trig, fcinfo, "crm_order_status_kept", CRM_BEFORE,
					  CRM_ON_UPDATE | CRM_ON_DELETE);
	old = crm_trigger_row(&trig, trig.old, &status_columns);
	if (trig.is_update)
	{
		CrmRow		new = crm_trigger_row(&trig, trig.new, &status_columns);

		if (crm_row_same(&old, &new, STATUS_ACCOUNT_ID) && crm_row_same(&old, &new, STATUS_ID))
			return crm_trigger_return(&trig, trig.new);
	}
	account_id = crm_row_int64(&old, STATUS_ACCOUNT_ID, NULL);

	crm_trigger_connect(&trig);
	args[0] = Int64GetDatum(account_id);
	args[1] = Int64GetDatum(crm_row_int64(&old, STATUS_ID, NULL));
	if (latest_first_text(&account_naming_status, args) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("status \"%s\" is the order status of account %lld",
						crm_row_text(&old, STATUS_NAME), (long long) account_id),
				 errdetail("crm.accounts.order_won_status_id names it: a linked order moves its lead there."),
				 errhint("Set order_won_status_id of account %lld to another status, or to NULL, first.",
						 (long long) account_id)));
	return crm_trigger_return(&trig, trig.is_delete ? trig.old : trig.new);
}

/* accounts_10_login_bindings: an account a login is bound to keeps its id. */
PG_FUNCTION_INFO_V1(crm_account_binding_kept);
Datum
crm_account_binding_kept(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		old;
	Datum		arg;
	int64		account_id;
	char	   *login;

	crm_trigger_start(&trig, fcinfo, "crm_account_binding_kept", CRM_BEFORE,
					  CRM_ON_UPDATE | CRM_ON_DELETE);
	old = crm_trigger_row(&trig, trig.old, &account_columns);
	if (trig.is_update)
	{
		CrmRow		new = crm_trigger_row(&trig, trig.new, &account_columns);

		if (crm_row_same(&old, &new, ACCOUNT_ID))
			return crm_trigger_return(&trig, trig.new);
	}
	account_id = crm_row_int64(&old, ACCOUNT_ID, NULL);

	crm_trigger_connect(&trig);
	arg = Int64GetDatum(account_id);
	login = latest_first_text(&binding_naming_account, &arg);
	if (login != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("account %lld is bound to login \"%s\"", (long long) account_id, login),
				 errdetail("crm.login_bindings names the account: the login acts in it."),
				 errhint("Unbind its logins first: SELECT crm.unbind_login('%s');", login)));
	return crm_trigger_return(&trig, trig.is_delete ? trig.old : trig.new);
}

/* employees_10_login_bindings: an employee a login is bound to keeps its key. */
PG_FUNCTION_INFO_V1(crm_employee_binding_kept);
Datum
crm_employee_binding_kept(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		old;
	Datum		args[2];
	char	   *login;

	crm_trigger_start(&trig, fcinfo, "crm_employee_binding_kept", CRM_BEFORE,
					  CRM_ON_UPDATE | CRM_ON_DELETE);
	old = crm_trigger_row(&trig, trig.old, &employee_columns);
	if (trig.is_update)
	{
		CrmRow		new = crm_trigger_row(&trig, trig.new, &employee_columns);

		if (crm_row_same(&old, &new, EMPLOYEE_ACCOUNT_ID) && crm_row_same(&old, &new, EMPLOYEE_ID))
			return crm_trigger_return(&trig, trig.new);
	}
	args[0] = Int64GetDatum(crm_row_int64(&old, EMPLOYEE_ACCOUNT_ID, NULL));
	args[1] = Int64GetDatum(crm_row_int64(&old, EMPLOYEE_ID, NULL));

	crm_trigger_connect(&trig);
	login = latest_first_text(&binding_naming_employee, args);
	if (login != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("employee %lld of account %lld is bound to login \"%s\"",
						(long long) DatumGetInt64(args[1]), (long long) DatumGetInt64(args[0]), login),
				 errdetail("crm.login_bindings names the employee: the login acts as this employee."),
				 errhint("Unbind the login first (SELECT crm.unbind_login('%s');), or bind it to another employee.",
						 login)));
	return crm_trigger_return(&trig, trig.is_delete ? trig.old : trig.new);
}
