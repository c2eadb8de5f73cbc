/*
 * kit/direct_update.c
 *	  A counter row found by its key, locked as UPDATE locks it and changed
 *	  in place; see kit/direct_update.h.
 *
 * The steps of the executor's UPDATE of one row, and what stands for them:
 *	- the scan: the unique index, in the statement's snapshot;
 *	- ExecUpdate's table_tuple_update and, under READ COMMITTED, its
 *	  EvalPlanQual on a row changed meanwhile: table_tuple_lock first (FOR NO
 *	  KEY UPDATE, waiting; TUPLE_LOCK_FLAG_FIND_LAST_VERSION under READ
 *	  COMMITTED, which locks the newest version), the key compared again on
 *	  a newer version; then simple_table_tuple_update, which cannot meet a
 *	  concurrent change once the row is locked;
 *	- ExecConstraints, and ExecInsertIndexTuples for a version that is not
 *	  HOT (no indexed column changes, so the entries are the old ones');
 *	- triggers: a foreign key's UPDATE triggers skip a row whose key
 *	  columns do not change (none of the changed columns is one), and every
 *	  other UPDATE trigger must be one the caller applies itself.
 * The table's verdict is kept per backend, examined again after a relcache
 * invalidation of the table or its index.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_am_d.h"
#include "catalog/pg_trigger.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "nodes/bitmapset.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "kit/direct_insert.h"
#include "kit/direct_update.h"
#include "kit/relcache.h"

/* ---- examining a table ---- */

static bool
in_foreign_key(Relation rel, AttrNumber attnum)
{
	ListCell   *lc;

	foreach(lc, RelationGetFKeyList(rel))
	{
		ForeignKeyCacheInfo *fk = lfirst(lc);

		for (int i = 0; i < fk->nkeys; i++)
			if (fk->conkey[i] == attnum)
				return true;
	}
	return false;
}

/* The changed columns: in no index and no foreign key, of no domain, without a type modifier. */
static bool
changed_columns_plain(const CrmUpdatedTable *t, Relation rel, const CrmColumnMap *map)
{
	Bitmapset  *indexed = RelationGetIndexAttrBitmap(rel, INDEX_ATTR_BITMAP_ALL);
	bool		plain = true;

	for (int i = 0; i < t->nchanged && plain; i++)
	{
		AttrNumber	attnum = map->attnum[i];
		Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), attnum - 1);

		plain = !bms_is_member(attnum - FirstLowInvalidHeapAttributeNumber, indexed) &&
			!in_foreign_key(rel, attnum) &&
			get_typtype(att->atttypid) != TYPTYPE_DOMAIN && att->atttypmod < 0;
	}
	bms_free(indexed);
	return plain;
}

/* The key's index: unique, on rel; its equality functions for the recheck. */
static bool
examine_index(CrmUpdatedTable *t, Relation rel)
{
	Relation	index;
	bool		usable;

	t->indexid = get_relname_relid(t->index, RelationGetNamespace(rel));
	if (!OidIsValid(t->indexid))
		return false;
	index = index_open(t->indexid, AccessShareLock);
	usable = index->rd_index->indrelid == RelationGetRelid(rel) &&
		index->rd_index->indisunique && index->rd_index->indimmediate &&
		index->rd_index->indnkeyatts >= t->nkeys && index->rd_rel->relam == BTREE_AM_OID;
	for (int i = 0; usable && i < t->nkeys; i++)
	{
		Oid			op = get_opfamily_member(index->rd_opfamily[i], index->rd_opcintype[i],
											 index->rd_opcintype[i], BTEqualStrategyNumber);

		usable = OidIsValid(op);
		if (usable)
			fmgr_info_cxt(get_opcode(op), &t->key_eq[i], TopMemoryContext);
		t->key_collation[i] = index->rd_indcollation[i];
	}
	index_close(index, AccessShareLock);
	return usable;
}

static void
examine(CrmUpdatedTable *t, Relation rel, const CrmColumnMap *map)
{
	t->direct = rel->rd_rel->relkind == RELKIND_RELATION &&
		!(rel->rd_att->constr != NULL && rel->rd_att->constr->has_generated_stored) &&
		!crm_direct_foreign_triggers(rel, t->own_triggers, true) &&
		changed_columns_plain(t, rel, map) &&
		examine_index(t, rel);
	t->relid = RelationGetRelid(rel);
}

/* ---- finding and locking the row ---- */

static void
serialization_failure(bool deleted)
{
	ereport(ERROR,
			(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			 errmsg("could not serialize access due to concurrent %s", deleted ? "delete" : "update")));
}

/* Whether the key of the row in slot (a newer version) is still keys. */
static bool
same_key(CrmUpdatedTable *t, Relation index, TupleTableSlot *slot, const Datum *keys)
{
	for (int i = 0; i < t->nkeys; i++)
	{
		bool		isnull;
		Datum		v = slot_getattr(slot, index->rd_index->indkey.values[i], &isnull);

		if (isnull || !DatumGetBool(FunctionCall2Coll(&t->key_eq[i], t->key_collation[i], v, keys[i])))
			return false;
	}
	return true;
}

/* Finds the row of keys in snapshot and locks it into slot; false when there is none. */
static bool
lock_row(CrmUpdatedTable *t, Relation rel, Relation index, Snapshot snapshot,
		 const Datum *keys, TupleTableSlot *slot)
{
	ScanKeyData skey[CRM_UPDATE_MAX_KEYS];
	IndexScanDesc scan;
	TM_FailureData tmfd;
	TM_Result	res;
	bool		found;

	for (int i = 0; i < t->nkeys; i++)
		ScanKeyEntryInitialize(&skey[i], 0, i + 1, BTEqualStrategyNumber, InvalidOid,
							   t->key_collation[i], t->key_eq[i].fn_oid, keys[i]);
	scan = index_beginscan(rel, index, snapshot, t->nkeys, 0);
	index_rescan(scan, skey, t->nkeys, NULL, 0);
	found = index_getnext_slot(scan, ForwardScanDirection, slot);
	index_endscan(scan);
	if (!found)
		return false;
	res = table_tuple_lock(rel, &slot->tts_tid, snapshot, slot, GetCurrentCommandId(true),
						   LockTupleNoKeyExclusive, LockWaitBlock,
						   IsolationUsesXactSnapshot() ? 0 : TUPLE_LOCK_FLAG_FIND_LAST_VERSION,
						   &tmfd);
	switch (res)
	{
		case TM_Ok:
			return !tmfd.traversed || same_key(t, index, slot, keys);
		case TM_Updated:
		case TM_Deleted:
			if (IsolationUsesXactSnapshot())
				serialization_failure(res == TM_Deleted);
			return false;		/* deleted meanwhile: the UPDATE finds none */
		default:
			elog(ERROR, "crm: unexpected result %d locking a row of crm.%s", (int) res, t->table);
	}
	return false;				/* not reached */
}

/* ---- writing the new version ---- */

static void
write_new_version(CrmUpdatedTable *t, Relation rel, const CrmColumnMap *map, Snapshot snapshot,
				  TupleTableSlot *old, CrmRowChange change, void *arg, CrmRow *row)
{
	TupleDesc	desc = RelationGetDescr(rel);
	TupleTableSlot *slot = MakeSingleTupleTableSlot(desc, table_slot_callbacks(rel));
	CrmResultRelation result;
	CrmRow		old_row;
	Datum		values[CRM_MAX_MAP_COLUMNS];
	bool		nulls[CRM_MAX_MAP_COLUMNS] = {false};
	bool		update_indexes;

	slot_getallattrs(old);
	old_row.tuple = ExecFetchSlotHeapTuple(old, false, NULL);
	old_row.desc = desc;
	old_row.map = map;
	change(&old_row, values, nulls, arg);
	ExecClearTuple(slot);
	memcpy(slot->tts_values, old->tts_values, sizeof(Datum) * desc->natts);
	memcpy(slot->tts_isnull, old->tts_isnull, sizeof(bool) * desc->natts);
	for (int i = 0; i < t->nchanged; i++)
	{
		slot->tts_values[map->attnum[i] - 1] = values[i];
		slot->tts_isnull[map->attnum[i] - 1] = nulls[i];
	}
	ExecStoreVirtualTuple(slot);

	crm_result_relation_open(&result, rel, GetCurrentCommandId(true));
	if (desc->constr != NULL)
		ExecConstraints(result.rri, slot, result.estate);
	simple_table_tuple_update(rel, &old->tts_tid, slot, snapshot, &update_indexes);
	if (update_indexes && result.rri->ri_NumIndices > 0)
		list_free(ExecInsertIndexTuples(result.rri, slot, result.estate, true, false, NULL, NIL));
	crm_result_relation_close(&result);

	row->tuple = ExecCopySlotHeapTuple(slot);
	row->desc = CreateTupleDescCopy(desc);
	row->map = map;
	ExecDropSingleTupleTableSlot(slot);
}

CrmUpdateResult
crm_update_by_key(CrmUpdatedTable *t, const Datum *keys, CrmRowChange change, void *arg,
				  CrmRow *row)
{
	Relation	rel;
	Relation	index;
	const CrmColumnMap *map;
	TupleTableSlot *old;
	bool		found;

	Assert(t->nkeys > 0 && t->nkeys <= CRM_UPDATE_MAX_KEYS);
	if (!t->registered)
		crm_forget_relid_on_invalidation(&t->indexid);
	rel = crm_direct_open(t->table, &t->relid, &t->registered);
	if (rel == NULL)
		return CRM_UPDATE_BY_SPI;
	map = crm_columns(t->columns, RelationGetRelid(rel), RelationGetDescr(rel));
	if (t->relid != RelationGetRelid(rel) || !OidIsValid(t->indexid))
		examine(t, rel, map);
	if (!crm_direct_allowed(rel, t->direct, "UPDATE"))
		return CRM_UPDATE_BY_SPI;
	index = index_open(t->indexid, RowExclusiveLock);
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	UpdateActiveSnapshotCommandId();
	old = table_slot_create(rel, NULL);
	found = lock_row(t, rel, index, GetActiveSnapshot(), keys, old);
	if (found)
		write_new_version(t, rel, map, GetActiveSnapshot(), old, change, arg, row);
	ExecDropSingleTupleTableSlot(old);
	PopActiveSnapshot();
	index_close(index, NoLock);
	table_close(rel, NoLock);
	CommandCounterIncrement();
	return found ? CRM_UPDATE_DONE : CRM_UPDATE_NO_ROW;
}
