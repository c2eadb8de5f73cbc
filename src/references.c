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
	"SELECT 1 FROM crm.accounts WHERE id = $1 AND order_won_status_id = $2 LIMIT 1",
	2, {INT8OID, INT8OID}
};

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
	CrmUserSwitch user;
	Datum		args[2];
	int			rc;
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
	crm_become_owner(&user);
	rc = SPI_execute_snapshot(crm_plan(&account_naming_status), args, NULL,
							  GetLatestSnapshot(), InvalidSnapshot, true, false, 1);
	crm_restore_user(&user);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "crm: SPI_execute_snapshot failed (%s) for: %s",
			 SPI_result_code_string(rc), account_naming_status.sql);
	if (SPI_processed > 0)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("status \"%s\" is the order status of account %lld",
						crm_row_text(&old, STATUS_NAME), (long long) account_id),
				 errdetail("crm.accounts.order_won_status_id names it: a linked order moves its lead there."),
				 errhint("Set order_won_status_id of account %lld to another status, or to NULL, first.",
						 (long long) account_id)));
	return crm_trigger_return(&trig, trig.is_delete ? trig.old : trig.new);
}
