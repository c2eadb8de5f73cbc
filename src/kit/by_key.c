/*
 * kit/by_key.c
 *	  A row by its primary key through the index; see kit/by_key.h.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "executor/tuptable.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "kit/by_key.h"
#include "kit/citus.h"

#define CRM_BY_KEY_MAX_KEYS 2

static Oid
crm_relid(const char *name)
{
	Oid			crm = get_namespace_oid("crm", false);
	Oid			relid = get_relname_relid(name, crm);

	if (!OidIsValid(relid))
		elog(ERROR, "crm: relation crm.%s is missing", name);
	return relid;
}

bool
crm_by_key_here(const CrmKeyedTable *t)
{
	return !crm_relation_is_distributed(crm_relid(t->table));
}

HeapTuple
crm_by_key(const CrmKeyedTable *t, const int64 *keys, int nkeys, Snapshot snapshot,
		   TupleDesc *desc, Oid *relid)
{
	ScanKeyData skey[CRM_BY_KEY_MAX_KEYS];
	Relation	rel;
	Relation	index;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	HeapTuple	tuple = NULL;

	Assert(nkeys > 0 && nkeys <= CRM_BY_KEY_MAX_KEYS);
	*relid = crm_relid(t->table);
	rel = table_open(*relid, AccessShareLock);
	index = index_open(crm_relid(t->index), AccessShareLock);
	for (int i = 0; i < nkeys; i++)
		ScanKeyInit(&skey[i], i + 1, BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(keys[i]));
	slot = table_slot_create(rel, NULL);
	scan = index_beginscan(rel, index, snapshot, nkeys, 0);
	index_rescan(scan, skey, nkeys, NULL, 0);
	if (index_getnext_slot(scan, ForwardScanDirection, slot))
		tuple = ExecCopySlotHeapTuple(slot);
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	*desc = CreateTupleDescCopy(RelationGetDescr(rel));
	index_close(index, AccessShareLock);
	table_close(rel, AccessShareLock);
	return tuple;
}
