/*
 * kit/locks.c
 *	  crm's own locks: row locks on crm.locks; see kit/locks.h.
 *
 * A lock is the row (account_id, key) of crm.locks, locked as SELECT ... FOR
 * UPDATE (or FOR SHARE) would lock it, which waits (or, to try, skips a row
 * another transaction holds).  The row is made the first time it is taken
 * (INSERT ... ON CONFLICT DO NOTHING, which never waits for a row lock).
 * Rows are only ever locked, never updated, so taking a lock leaves no dead
 * row versions behind.
 *
 * Taking a lock is on the path of every lead and order with a phone, so the
 * row is found through the primary key and locked directly, with the table
 * access method's tuple lock as the executor's LockRows takes it, in the
 * snapshot a query would have (a fresh one under READ COMMITTED, the
 * transaction's under REPEATABLE READ).  Only making the row is a query.
 * The table and its index are kept per backend, forgotten on a relcache
 * invalidation of either (a restore or an update of crm makes them anew).
 *
 * A lock this transaction holds already is not taken again (a bulk load
 * locks each phone bucket once, not once a row): the locks taken are kept
 * until the transaction ends or a subtransaction aborts (which may release
 * the locks it took), a few dozen of them.
 *
 * When crm.locks is a Citus table its rows are in a shard, which only SQL
 * reaches: the lock is then a SELECT ... FOR UPDATE through SPI, as Citus
 * routes it.
 *
 * What another transaction did to the row (ExecLockRows' cases):
 *	- it holds the lock: wait, or for a try, give up;
 *	- it deleted or updated the row (only the owner can) and committed: under
 *	  READ COMMITTED find the row again in a new snapshot (making it when it
 *	  is gone); under REPEATABLE READ fail with a serialization error.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "tcop/utility.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "kit/citus.h"
#include "kit/locks.h"
#include "kit/relcache.h"
#include "kit/spi.h"
#include "kit/xact_cache.h"

static CrmPlan make_row = {
	"INSERT INTO crm.locks (account_id, key) VALUES ($1, $2) ON CONFLICT DO NOTHING",
	2, {INT8OID, INT4OID}
};

/* The lock as a query, for a crm.locks that Citus distributes. */
static CrmPlan lock_query[3] = {
	{"SELECT 1 FROM crm.locks WHERE account_id = $1 AND key = $2 FOR UPDATE", 2, {INT8OID, INT4OID}},
	{"SELECT 1 FROM crm.locks WHERE account_id = $1 AND key = $2 FOR SHARE", 2, {INT8OID, INT4OID}},
	{"SELECT 1 FROM crm.locks WHERE account_id = $1 AND key = $2 FOR UPDATE SKIP LOCKED", 2, {INT8OID, INT4OID}},
};

typedef enum LockKind
{
	LOCK_WAIT,					/* FOR UPDATE */
	LOCK_SHARED,				/* FOR SHARE */
	LOCK_TRY					/* FOR UPDATE SKIP LOCKED */
} LockKind;

typedef enum LockResult
{
	LOCK_TAKEN,
	LOCK_BUSY,					/* a try, and another transaction holds it */
	LOCK_NO_ROW,				/* no such row in this snapshot */
	LOCK_ROW_CHANGED			/* deleted or updated by a transaction that committed */
} LockResult;

static Oid	locks_relid = InvalidOid;
static Oid	locks_pkey = InvalidOid;
static bool callback_registered = false;

static void
forget_locks_table(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == locks_relid || relid == locks_pkey)
		locks_relid = locks_pkey = InvalidOid;
}

/* Finds crm.locks and its primary key by name. */
static void
find_locks_table(void)
{
	Relation	rel;
	Oid			relid;

	if (!callback_registered)
	{
		crm_register_relcache_callback(forget_locks_table, (Datum) 0);
		callback_registered = true;
	}
	relid = get_relname_relid("locks", get_namespace_oid("crm", false));
	if (!OidIsValid(relid))
		elog(ERROR, "crm: table crm.locks does not exist");
	rel = table_open(relid, AccessShareLock);
	locks_pkey = RelationGetPrimaryKeyIndex(rel);
	table_close(rel, NoLock);
	if (!OidIsValid(locks_pkey))
		elog(ERROR, "crm: table crm.locks has no primary key");
	locks_relid = relid;
}

/*
 * Opens crm.locks with the lock SELECT ... FOR UPDATE takes.  Taking it may
 * read invalidations that forget the kept table (dropped and made again):
 * then the table is found by its name again.
 */
static Relation
open_locks_table(void)
{
	for (;;)
	{
		Oid			relid;
		Relation	rel;

		if (!OidIsValid(locks_relid))
			find_locks_table();
		relid = locks_relid;
		rel = try_table_open(relid, RowShareLock);
		if (rel != NULL && locks_relid == relid)
			return rel;
		if (rel != NULL)
			table_close(rel, RowShareLock);
		locks_relid = locks_pkey = InvalidOid;
	}
}

static void
serialization_failure(int64 account_id, int32 key, bool made, bool deleted)
{
	ereport(ERROR,
			(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			 errmsg("could not serialize access to a lock of account %lld", (long long) account_id),
			 made ? errdetail("Lock %d was made by a concurrent transaction this snapshot does not see.", key) :
			 errdetail("Lock %d was %s by a concurrent transaction.", key, deleted ? "deleted" : "changed"),
			 errhint("Retry the transaction.")));
}

/* Finds the row of (account_id, key) in snapshot through the primary key and locks it. */
static LockResult
lock_found_row(Relation rel, Snapshot snapshot, int64 account_id, int32 key, LockKind kind)
{
	Relation	index = index_open(locks_pkey, AccessShareLock);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	ScanKeyData keys[2];
	IndexScanDesc scan;
	TM_FailureData tmfd;
	TM_Result	res = TM_Invisible;
	bool		found;

	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(account_id));
	ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(key));
	scan = index_beginscan(rel, index, snapshot, 2, 0);
	index_rescan(scan, keys, 2, NULL, 0);
	found = index_getnext_slot(scan, ForwardScanDirection, slot);
	index_endscan(scan);
	if (found)
		res = table_tuple_lock(rel, &slot->tts_tid, snapshot, slot, GetCurrentCommandId(true),
							   kind == LOCK_SHARED ? LockTupleShare : LockTupleExclusive,
							   kind == LOCK_TRY ? LockWaitSkip : LockWaitBlock,
							   TUPLE_LOCK_FLAG_LOCK_UPDATE_IN_PROGRESS, &tmfd);
	ExecDropSingleTupleTableSlot(slot);
	index_close(index, NoLock);
	if (!found)
		return LOCK_NO_ROW;
	switch (res)
	{
		case TM_Ok:
			return LOCK_TAKEN;
		case TM_WouldBlock:
			return LOCK_BUSY;
		case TM_SelfModified:
			/* deleted or updated by this transaction: gone, as LockRows treats it */
			return LOCK_NO_ROW;
		case TM_Updated:
		case TM_Deleted:
			if (IsolationUsesXactSnapshot())
				serialization_failure(account_id, key, false, res == TM_Deleted);
			return LOCK_ROW_CHANGED;
		default:
			elog(ERROR, "crm: unexpected result %d locking lock %d of account %lld",
				 (int) res, key, (long long) account_id);
	}
	return LOCK_NO_ROW;			/* not reached */
}

/* Locks the row in the snapshot the next query would have, again while it changes under it. */
static LockResult
lock_row(Relation rel, int64 account_id, int32 key, LockKind kind)
{
	LockResult	result;

	do
	{
		CHECK_FOR_INTERRUPTS();
		PushActiveSnapshot(GetTransactionSnapshot());
		UpdateActiveSnapshotCommandId();
		result = lock_found_row(rel, GetActiveSnapshot(), account_id, key, kind);
		PopActiveSnapshot();
	} while (result == LOCK_ROW_CHANGED);
	return result;
}

/* The same through SPI as the owner (a Citus table); LOCK_NO_ROW or LOCK_BUSY when no row came back. */
static LockResult
lock_row_by_query(int64 account_id, int32 key, LockKind kind)
{
	Datum		args[2] = {Int64GetDatum(account_id), Int32GetDatum(key)};
	CrmUserSwitch user;
	bool		locked;

	crm_become_owner(&user);
	locked = crm_exec(&lock_query[kind], args, NULL, false, 1) == 1;
	crm_restore_user(&user);
	return locked ? LOCK_TAKEN : LOCK_NO_ROW;
}

/* Makes the row (connected to SPI); true when this transaction made it. */
static bool
make_lock_row(int64 account_id, int32 key)
{
	Datum		args[2] = {Int64GetDatum(account_id), Int32GetDatum(key)};
	CrmUserSwitch user;
	bool		made;

	crm_become_owner(&user);
	made = crm_exec(&make_row, args, NULL, false, 0) == 1;
	crm_restore_user(&user);
	return made;
}

/* Locks the row directly, or through SPI when Citus holds the table's rows. */
static LockResult
lock_once(Relation rel, bool by_query, int64 account_id, int32 key, LockKind kind)
{
	if (by_query)
		return lock_row_by_query(account_id, key, kind);
	return lock_row(rel, account_id, key, kind);
}

/* Takes the lock, making its row first when missing. */
static LockResult
take(int64 account_id, int32 key, LockKind kind)
{
	Relation	rel;
	bool		by_query;
	LockResult	result;

	/* as the query would (25006 in a read-only transaction) */
	PreventCommandIfReadOnly(kind == LOCK_SHARED ? "SELECT FOR SHARE" : "SELECT FOR UPDATE");
	rel = open_locks_table();
	by_query = crm_relation_is_distributed(RelationGetRelid(rel));
	result = lock_once(rel, by_query, account_id, key, kind);
	if (result == LOCK_NO_ROW && make_lock_row(account_id, key))
		result = lock_once(rel, by_query, account_id, key, kind);	/* the row is new */
	table_close(rel, NoLock);
	return result;
}

/* ---- the locks this transaction holds ---- */

#define HELD_MAX 128

typedef struct HeldLock
{
	int64		account_id;
	int32		key;
	bool		exclusive;
} HeldLock;

static HeldLock held[HELD_MAX];
static int	n_held = 0;

static void
forget_held(void)
{
	n_held = 0;
}

static CrmXactCache held_cache = {"crm's own locks held", false, forget_held};

/* Whether this transaction holds the lock, exclusively when kind asks for it. */
static bool
holds(int64 account_id, int32 key, LockKind kind)
{
	int			i;

	if (!crm_xact_cache_valid(&held_cache))
		return false;
	for (i = 0; i < n_held; i++)
		if (held[i].account_id == account_id && held[i].key == key)
			return held[i].exclusive || kind == LOCK_SHARED;
	return false;
}

static void
remember(int64 account_id, int32 key, LockKind kind)
{
	int			i;

	if (!crm_xact_cache_valid(&held_cache))
	{
		n_held = 0;
		crm_xact_cache_set_valid(&held_cache);
	}
	for (i = 0; i < n_held; i++)
		if (held[i].account_id == account_id && held[i].key == key)
		{
			held[i].exclusive |= kind != LOCK_SHARED;
			return;
		}
	if (n_held == HELD_MAX)
		return;					/* taken again next time */
	held[n_held].account_id = account_id;
	held[n_held].key = key;
	held[n_held].exclusive = kind != LOCK_SHARED;
	n_held++;
}

/* ---- the three ways in ---- */

static void
lock_waiting(int64 account_id, int32 key, LockKind kind)
{
	if (holds(account_id, key, kind))
		return;
	/* A row another transaction made first is there once it has committed. */
	if (take(account_id, key, kind) != LOCK_TAKEN && take(account_id, key, kind) != LOCK_TAKEN)
		/* Under REPEATABLE READ that row may stay invisible to this snapshot. */
		serialization_failure(account_id, key, true, false);
	remember(account_id, key, kind);
}

void
crm_lock(int64 account_id, int32 key)
{
	lock_waiting(account_id, key, LOCK_WAIT);
}

void
crm_lock_shared(int64 account_id, int32 key)
{
	lock_waiting(account_id, key, LOCK_SHARED);
}

bool
crm_try_lock(int64 account_id, int32 key)
{
	if (holds(account_id, key, LOCK_TRY))
		return true;
	if (take(account_id, key, LOCK_TRY) != LOCK_TAKEN)
		return false;
	remember(account_id, key, LOCK_TRY);
	return true;
}
