/*
 * kit/by_key.c
 *	  A row by its primary key, and the largest value under a key, through
 *	  the index, or through SPI on Citus; see kit/by_key.h.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "executor/tuptable.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "kit/by_key.h"
#include "kit/citus.h"

#define CRM_BY_KEY_MAX_KEYS 2

static Oid
crm_relid(const char *name)
{
	Oid			relid = get_relname_relid(name, get_namespace_oid("crm", false));

	if (!OidIsValid(relid))
		elog(ERROR, "crm: relation crm.%s is missing", name);
	return relid;
}

/* Through the primary key index of the table. */
static bool
row_from_index(const CrmKeyedTable *t, Oid relid, const int64 *keys, int nkeys,
			   Snapshot snapshot, CrmRow *row)
{
	ScanKeyData skey[CRM_BY_KEY_MAX_KEYS];
	Relation	rel = table_open(relid, AccessShareLock);
	Relation	index = index_open(crm_relid(t->index), AccessShareLock);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	IndexScanDesc scan;

	for (int i = 0; i < nkeys; i++)
		ScanKeyInit(&skey[i], i + 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(keys[i]));
	scan = index_beginscan(rel, index, snapshot, nkeys, 0);
	index_rescan(scan, skey, nkeys, NULL, 0);
	row->tuple = NULL;
	if (index_getnext_slot(scan, ForwardScanDirection, slot))
		row->tuple = ExecCopySlotHeapTuple(slot);
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	row->desc = CreateTupleDescCopy(RelationGetDescr(rel));
	row->map = crm_columns(t->table_columns, relid, row->desc);
	index_close(index, AccessShareLock);
	table_close(rel, AccessShareLock);
	return row->tuple != NULL;
}

/* Through the kept plan, as the owner, copied out of SPI. */
static bool
row_from_plan(const CrmKeyedTable *t, const int64 *keys, int nkeys, Snapshot snapshot,
			  CrmRow *row)
{
	MemoryContext caller = CurrentMemoryContext;
	Datum		args[CRM_BY_KEY_MAX_KEYS];
	CrmUserSwitch user;
	int			rc;

	for (int i = 0; i < nkeys; i++)
		args[i] = Int64GetDatum(keys[i]);
	SPI_connect();
	crm_become_owner_to_read(&user, t->table);
	rc = SPI_execute_snapshot(crm_plan(t->plan), args, NULL, snapshot, InvalidSnapshot,
							  true, false, 1);
	if (rc < 0)
		elog(ERROR, "crm: SPI_execute_snapshot failed (%s) for: %s",
			 SPI_result_code_string(rc), t->plan->sql);
	crm_restore_user(&user);
	row->tuple = NULL;
	if (SPI_processed > 0)
	{
		MemoryContext spi = MemoryContextSwitchTo(caller);

		row->tuple = heap_copytuple(SPI_tuptable->vals[0]);
		row->desc = CreateTupleDescCopy(SPI_tuptable->tupdesc);
		MemoryContextSwitchTo(spi);
		row->map = crm_columns(t->result_columns, InvalidOid, row->desc);
	}
	SPI_finish();
	return row->tuple != NULL;
}

bool
crm_row_by_key(const CrmKeyedTable *t, const int64 *keys, int nkeys, Snapshot snapshot,
			   CrmRow *row)
{
	Oid			relid = crm_relid(t->table);

	Assert(nkeys > 0 && nkeys <= CRM_BY_KEY_MAX_KEYS);
	if (crm_relation_is_distributed(relid))
		return row_from_plan(t, keys, nkeys, snapshot, row);
	return row_from_index(t, relid, keys, nkeys, snapshot, row);
}

/* The same through the plan, as the caller ran it before. */
static bool
max_from_plan(const CrmKeyedMax *m, const int64 *keys, int nkeys, int64 *max)
{
	Datum		args[CRM_BY_KEY_MAX_KEYS];
	bool		isnull = true;

	for (int i = 0; i < nkeys; i++)
		args[i] = Int64GetDatum(keys[i]);
	if (crm_exec(m->plan, args, NULL, false, 1) == 1)
		*max = crm_get_int64(0, 1, &isnull);
	return !isnull;
}

/* The first row from the end of the index's key range whose column is not null. */
static bool
max_from_index(Relation rel, Relation index, const int64 *keys, int nkeys, Snapshot snapshot,
			   int64 *max)
{
	ScanKeyData skey[CRM_BY_KEY_MAX_KEYS + 1];
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	IndexScanDesc scan;
	bool		found;

	for (int i = 0; i < nkeys; i++)
		ScanKeyInit(&skey[i], i + 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(keys[i]));
	ScanKeyEntryInitialize(&skey[nkeys], SK_ISNULL | SK_SEARCHNOTNULL, nkeys + 1,
						   InvalidStrategy, InvalidOid, InvalidOid, InvalidOid, (Datum) 0);
	scan = index_beginscan(rel, index, snapshot, nkeys + 1, 0);
	index_rescan(scan, skey, nkeys + 1, NULL, 0);
	found = index_getnext_slot(scan, BackwardScanDirection, slot);
	if (found)
	{
		bool		isnull;

		*max = DatumGetInt64(slot_getattr(slot, index->rd_index->indkey.values[nkeys], &isnull));
		found = !isnull;
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	return found;
}

bool
crm_max_by_key(const CrmKeyedMax *m, const int64 *keys, int nkeys, int64 *max)
{
	Oid			relid = crm_relid(m->table);
	Relation	rel;
	Relation	index;
	bool		found;

	Assert(nkeys > 0 && nkeys <= CRM_BY_KEY_MAX_KEYS);
	if (crm_relation_is_distributed(relid))
		return max_from_plan(m, keys, nkeys, max);
	rel = table_open(relid, AccessShareLock);
	index = index_open(crm_relid(m->index), AccessShareLock);
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	UpdateActiveSnapshotCommandId();
	found = max_from_index(rel, index, keys, nkeys, GetActiveSnapshot(), max);
	PopActiveSnapshot();
	index_close(index, AccessShareLock);
	table_close(rel, AccessShareLock);
	return found;
}
