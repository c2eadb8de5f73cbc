/*
 * kit/locks.c
 *	  crm's own locks: row locks on crm.locks; see kit/locks.h.
 *
 * The row of a lock is made the first time it is taken (INSERT ... ON
 * CONFLICT DO NOTHING, which never waits for a row lock), then locked FOR
 * UPDATE, which waits (or, to try, SKIP LOCKED).  Rows are only ever locked,
 * never updated, so taking a lock leaves no dead row versions behind.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"

#include "kit/locks.h"
#include "kit/spi.h"

static CrmPlan lock_row = {
	"SELECT 1 FROM crm.locks WHERE account_id = $1 AND key = $2 FOR UPDATE",
	2, {INT8OID, INT4OID}
};
static CrmPlan share_row = {
	"SELECT 1 FROM crm.locks WHERE account_id = $1 AND key = $2 FOR SHARE",
	2, {INT8OID, INT4OID}
};
static CrmPlan try_lock_row = {
	"SELECT 1 FROM crm.locks WHERE account_id = $1 AND key = $2 FOR UPDATE SKIP LOCKED",
	2, {INT8OID, INT4OID}
};
static CrmPlan make_row = {
	"INSERT INTO crm.locks (account_id, key) VALUES ($1, $2) ON CONFLICT DO NOTHING",
	2, {INT8OID, INT4OID}
};

/* Runs plan for (account_id, key) as the owner, making the row first when missing. */
static bool
lock_as_owner(CrmPlan *plan, int64 account_id, int32 key)
{
	Datum		args[2] = {Int64GetDatum(account_id), Int32GetDatum(key)};
	CrmUserSwitch user;
	bool		locked;

	crm_become_owner(&user);
	locked = crm_exec(plan, args, NULL, false, 1) == 1;
	if (!locked && crm_exec(&make_row, args, NULL, false, 0) == 1)
		locked = crm_exec(plan, args, NULL, false, 1) == 1;	/* the row is new */
	crm_restore_user(&user);
	return locked;
}

static void
lock_with(CrmPlan *plan, int64 account_id, int32 key)
{
	/* A row another transaction made first is there once it has committed. */
	if (lock_as_owner(plan, account_id, key) || lock_as_owner(plan, account_id, key))
		return;
	/* Under REPEATABLE READ that row may stay invisible to this snapshot. */
	ereport(ERROR,
			(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			 errmsg("could not serialize access to a lock of account %lld", (long long) account_id),
			 errdetail("Lock %d was made by a concurrent transaction this snapshot does not see.", key),
			 errhint("Retry the transaction.")));
}

void
crm_lock(int64 account_id, int32 key)
{
	lock_with(&lock_row, account_id, key);
}

void
crm_lock_shared(int64 account_id, int32 key)
{
	lock_with(&share_row, account_id, key);
}

bool
crm_try_lock(int64 account_id, int32 key)
{
	return lock_as_owner(&try_lock_row, account_id, key);
}
