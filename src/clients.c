/*
 * clients.c
 *	  Client phones (raw and E.164) and the right to see customers.
 *
 * Triggers:
 *	client_phones_10_phone		BEFORE INSERT OR UPDATE: phone = E.164 of raw in
 *								the account's region; a number that is not valid
 *								is refused
 *	employees_20_customer_right	AFTER each statement on crm.employees: every
 *								backend asks the right again
 * Functions: crm.can_see_customers(), used by the RESTRICTIVE policies of
 * every table that holds customer data (customers.sql) and by the candidates
 * functions.
 * C API (clients.h): crm_can_see_customers.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "fmgr.h"
#include "storage/proc.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"

#include "clients.h"
#include "crm.h"
#include "identity.h"
#include "kit/citus.h"
#include "kit/relcache.h"
#include "phones.h"

/* ---- the right to see customers ---- */

/*
 * Answer for (account, employee), kept by the backend: the policies ask once
 * per statement, the write guard once per row.  Forgotten when crm.employees
 * changes in any session: employees_20_customer_right sends a relcache
 * invalidation of the table, which every backend receives when the change
 * commits (this one at once, and again if the change rolls back).  On Citus
 * the employee's row is on a worker, whose invalidations no other node sees:
 * the answer is kept for the transaction only, and the policy on a worker's
 * shard reads the employee beside the row (a nested read, kit/citus.h).
 */
static bool right_valid = false;
static int64 right_account;
static int64 right_employee;
static bool right_value;
static LocalTransactionId right_lxid;
static Oid	employees_relid = InvalidOid;
static bool right_callback_registered = false;

static void
forget_right(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == employees_relid)
		right_valid = false;
}

/*
 * crm.can_see_customers() runs in policies, per row, so it has no SET
 * search_path; its query must resolve nothing through the caller's path,
 * hence the schema-qualified operators.
 */
static CrmPlan employee_right = {
	"SELECT can_see_customers FROM crm.employees "
	"WHERE account_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2",
	2, {INT8OID, INT8OID}
};

bool
crm_can_see_customers(void)
{
	CrmUserSwitch user;
	Datum		args[2];
	bool		no_account,
				no_employee;
	int64		account_id,
				employee_id = crm_actor_employee(&no_employee);
	int			level;

	if (no_employee)
		return true;			/* readers read through their grants */
	account_id = crm_actor_account(&no_account);
	if (no_account)
		return false;			/* the account policy hides everything anyway */
	if (right_valid && right_account == account_id && right_employee == employee_id &&
		(right_lxid == MyProc->lxid || !crm_citus_active()))
		return right_value;

	if (!right_callback_registered)
	{
		crm_register_relcache_callback(forget_right, (Datum) 0);
		right_callback_registered = true;
	}
	employees_relid = get_relname_relid("employees", get_namespace_oid("crm", false));
	args[0] = Int64GetDatum(account_id);
	args[1] = Int64GetDatum(employee_id);
	right_valid = false;
	SPI_connect();
	crm_become_owner_to_read(&user, "employees");
	level = crm_citus_nesting_begin();
	/* An employee id that names no employee sees nothing. */
	right_value = crm_exec(&employee_right, args, NULL, true, 1) == 1 &&
		crm_get_bool(0, 1, NULL);
	crm_citus_nesting_end(level);
	crm_restore_user(&user);
	SPI_finish();
	right_lxid = MyProc->lxid;
	right_account = account_id;
	right_employee = employee_id;
	right_valid = true;
	return right_value;
}

PG_FUNCTION_INFO_V1(crm_can_see_customers_sql);
Datum
crm_can_see_customers_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(crm_can_see_customers());
}

/*
 * employees_20_customer_right, AFTER each statement on crm.employees: every
 * backend asks the right again (a relcache invalidation of the table reaches
 * them all), so a granted or withdrawn right holds at once.
 */
PG_FUNCTION_INFO_V1(crm_customer_right_changed);
Datum
crm_customer_right_changed(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;

	crm_trigger_start_statement(&trig, fcinfo, "crm_customer_right_changed", CRM_AFTER,
								CRM_ON_INSERT | CRM_ON_UPDATE | CRM_ON_DELETE | CRM_ON_TRUNCATE,
								false);
	CacheInvalidateRelcache(trig.data->tg_relation);
	return crm_trigger_return(&trig, NULL);
}

/* ---- client phones ---- */

enum
{
	PHONE_ACCOUNT_ID, PHONE_RAW, PHONE_PHONE, PHONE_NCOLUMNS
};
static const char *const phone_names[] = {"account_id", "raw", "phone"};
static CrmColumnMap phone_columns = {"crm.client_phones", PHONE_NCOLUMNS, phone_names};

static const CrmPhoneColumn client_phone = {"client_phones", "phone", "raw", true};

/*
 * client_phones_10_phone: phone is the E.164 form of raw in the account's
 * region; a number that is not valid is refused, and so is a phone written
 * that is not raw's.  On INSERT a number written into phone alone is the raw
 * input.
 */
PG_FUNCTION_INFO_V1(crm_client_phone_before_write);
Datum
crm_client_phone_before_write(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		row;
	CrmChanges	ch = {0};
	bool		isnull;
	int64		account_id;
	char	   *raw;
	char	   *written;

	crm_trigger_start(&trig, fcinfo, "crm_client_phone_before_write", CRM_BEFORE,
					  CRM_ON_INSERT | CRM_ON_UPDATE);
	if (trig.restoring)
		return crm_trigger_return(&trig, trig.new);
	row = (CrmRow) {trig.new, trig.desc, crm_trigger_columns(&trig, &phone_columns)};
	account_id = crm_row_int64(&row, PHONE_ACCOUNT_ID, &isnull);
	if (isnull)
		return crm_trigger_return(&trig, trig.new); /* the NOT NULL constraint reports it */
	raw = crm_row_text(&row, PHONE_RAW);
	written = crm_row_text(&row, PHONE_PHONE);
	if (trig.is_update)
	{
		CrmRow		old = {trig.old, trig.desc, row.map};

		/* Only a changed phone counts as written by the writer. */
		if (crm_row_same(&old, &row, PHONE_PHONE))
			written = NULL;
		if (raw != NULL && crm_row_same(&old, &row, PHONE_RAW) && written == NULL)
			return crm_trigger_return(&trig, trig.new);
	}
	else if (raw == NULL && written != NULL)
	{
		raw = written;			/* a number typed into phone is the raw input */
		written = NULL;
	}
	if (raw == NULL)
		return crm_trigger_return(&trig, trig.new); /* the NOT NULL constraint reports it */

	crm_change_text(&ch, &row, PHONE_RAW, raw);
	crm_change_text(&ch, &row, PHONE_PHONE,
					crm_phone_derive(&client_phone, account_id, raw, written));
	return crm_trigger_return(&trig, crm_changes_apply(&row, &ch));
}
