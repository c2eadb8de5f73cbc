/*
 * kit/direct_insert.c
 *	  crm's own rows written through the table access method and the
 *	  indexes; see kit/direct_insert.h.
 *
 * What the executor's INSERT does for a row of a plain table, and what this
 * file does instead:
 *	- the assignment to a column: a type modifier applied with the type's
 *	  length coercion; a domain column sends the table to SPI;
 *	- permissions and row-level security: the write is the owner's; where
 *	  the table's policies apply to the current role (a write not made as
 *	  the owner, or FORCE ROW LEVEL SECURITY) it is left to SPI;
 *	- defaults: the identity column's nextval (nextval_internal, as
 *	  NextValueExpr), the rest given by the caller (checked when the table is
 *	  examined);
 *	- BEFORE and AFTER triggers, foreign keys (RI triggers), transition
 *	  tables: any INSERT trigger the caller does not apply itself sends the
 *	  table to SPI, but for the check of a foreign key the caller proves
 *	  (proven_keys);
 *	- ExecConstraints (NOT NULL, CHECK), table_tuple_insert,
 *	  ExecInsertIndexTuples (unique checks at once; a deferrable unique index
 *	  sends the table to SPI, as its check would come at the end of the
 *	  statement);
 *	- the command counter: advanced before and after, as SPI advances it
 *	  around a statement that writes.
 *
 * The verdict on a table, its identity column and its sequence are kept per
 * backend and examined again after a relcache invalidation of the table (an
 * ALTER TABLE, CREATE TRIGGER or CREATE POLICY sends one).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type_d.h"
#include "miscadmin.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "tcop/utility.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "parser/parse_coerce.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"

#include "kit/citus.h"
#include "kit/direct_insert.h"
#include "kit/relcache.h"

struct CrmDirectWrite
{
	CrmDirectTable *table;
	const CrmColumnMap *map;
	Relation	rel;
	CrmResultRelation result;
	TupleTableSlot *slot;
	CommandId	cid;
};

/* ---- examining a table ---- */

/*
 * _account_guard (finish.sql, tenancy.c), on every crm table, refuses a row
 * of another account for a role under row-level security, and does nothing
 * for a role it does not apply to: crm_direct_begin writes only for such a
 * role.
 */
#define ACCOUNT_GUARD "_account_guard"

static bool
crm_direct_own_trigger(const char *const *own_triggers, const char *name)
{
	if (strcmp(name, ACCOUNT_GUARD) == 0)
		return true;
	for (int i = 0; own_triggers != NULL && own_triggers[i] != NULL; i++)
		if (strcmp(own_triggers[i], name) == 0)
			return true;
	return false;
}

/*
 * Whether tg is the INSERT check of a foreign key that proven_keys names
 * (the caller holds the referenced row: see CrmDirectTable.proven_keys).
 */
static bool
crm_direct_proven_key(const char *const *proven_keys, const Trigger *tg)
{
	char	   *name;
	bool		proven = false;

	if (proven_keys == NULL || RI_FKey_trigger_type(tg->tgfoid) != RI_TRIGGER_FK ||
		!OidIsValid(tg->tgconstraint) || (name = get_constraint_name(tg->tgconstraint)) == NULL)
		return false;
	for (int i = 0; proven_keys[i] != NULL && !proven; i++)
		proven = strcmp(proven_keys[i], name) == 0;
	pfree(name);
	return proven;
}

static bool
foreign_triggers(Relation rel, const char *const *own_triggers,
				 const char *const *proven_keys, bool update)
{
	TriggerDesc *td = rel->trigdesc;

	for (int i = 0; td != NULL && i < td->numtriggers; i++)
	{
		Trigger    *tg = &td->triggers[i];

		if (update ? !TRIGGER_FOR_UPDATE(tg->tgtype) : !TRIGGER_FOR_INSERT(tg->tgtype))
			continue;
		if (update && RI_FKey_trigger_type(tg->tgfoid) != RI_TRIGGER_NONE)
			continue;
		if (!update && crm_direct_proven_key(proven_keys, tg))
			continue;
		if (!crm_direct_own_trigger(own_triggers, tg->tgname))
			return true;
	}
	return false;
}

/* See kit/direct_insert.h. */
bool
crm_direct_foreign_triggers(Relation rel, const char *const *own_triggers, bool update)
{
	return foreign_triggers(rel, own_triggers, NULL, update);
}

/* Whether every index of rel checks its uniqueness at once. */
static bool
indexes_immediate(Relation rel)
{
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	bool		immediate = true;

	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), AccessShareLock);

		immediate &= index->rd_index->indimmediate;
		index_close(index, AccessShareLock);
	}
	list_free(indexes);
	return immediate;
}

static bool
given(const CrmColumnMap *map, AttrNumber attnum)
{
	for (int i = 0; i < map->ncolumns; i++)
		if (map->attnum[i] == attnum)
			return true;
	return false;
}

/*
 * The columns the caller leaves: the identity column (bigint) or none; a
 * left column with another default is crm's mistake.  False when a column
 * sends the table to SPI.
 */
static bool
examine_columns(CrmDirectTable *t, Relation rel, const CrmColumnMap *map)
{
	TupleDesc	desc = RelationGetDescr(rel);

	t->identity = 0;
	t->sequence = InvalidOid;
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || given(map, att->attnum))
			continue;
		if (att->attgenerated)
			return false;
		if (att->attidentity)
		{
			if (att->atttypid != INT8OID || t->identity != 0)
				return false;
			t->identity = att->attnum;
			t->sequence = getIdentitySequence(RelationGetRelid(rel), att->attnum, false);
		}
		else if (att->atthasdef)
			elog(ERROR, "crm: column %s of crm.%s has a default crm does not give",
				 NameStr(att->attname),
				 t->table);
	}
	return true;
}

/*
 * The given columns: none of a domain type (the INSERT would check its
 * constraints); those with a type modifier are brought to it.
 */
static bool
examine_given(CrmDirectTable *t, Relation rel, const CrmColumnMap *map)
{
	TupleDesc	desc = RelationGetDescr(rel);

	t->ntypmods = 0;
	for (int i = 0; i < map->ncolumns; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, map->attnum[i] - 1);
		Oid			fn;

		if (get_typtype(att->atttypid) == TYPTYPE_DOMAIN)
			return false;
		if (att->atttypmod < 0)
			continue;
		if (find_typmod_coercion_function(att->atttypid, &fn) != COERCION_PATH_FUNC ||
			t->ntypmods == CRM_DIRECT_MAX_TYPMODS)
			return false;
		t->typmods[t->ntypmods].col = i;
		t->typmods[t->ntypmods].typmod = att->atttypmod;
		fmgr_info_cxt(fn, &t->typmods[t->ntypmods].fn, TopMemoryContext);
		t->ntypmods++;
	}
	return true;
}

static void
examine(CrmDirectTable *t, Relation rel, const CrmColumnMap *map)
{
	t->direct = rel->rd_rel->relkind == RELKIND_RELATION &&
		!foreign_triggers(rel, t->own_triggers, t->proven_keys, false) &&
		indexes_immediate(rel) &&
		examine_given(t, rel, map) &&
		examine_columns(t, rel, map);
	t->relid = RelationGetRelid(rel);
}

/* ---- writing ---- */

/* See kit/direct_insert.h. */
void
crm_result_relation_open(CrmResultRelation *r, Relation rel, CommandId cid)
{
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	MemoryContext old;

	r->estate = CreateExecutorState();
	old = MemoryContextSwitchTo(r->estate->es_query_cxt);
	rte->rtekind = RTE_RELATION;
	rte->relid = RelationGetRelid(rel);
	rte->relkind = rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	rte->requiredPerms = ACL_INSERT;
	ExecInitRangeTable(r->estate, list_make1(rte));
	r->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(r->rri, rel, 1, NULL, 0);
	ExecOpenIndices(r->rri, false);
	MemoryContextSwitchTo(old);
	r->estate->es_output_cid = cid;
}

void
crm_result_relation_close(CrmResultRelation *r)
{
	ExecCloseIndices(r->rri);
	FreeExecutorState(r->estate);
}

/* See kit/direct_insert.h. */
Relation
crm_direct_open(const char *table, Oid *kept, bool *registered)
{
	Oid			relid = *kept;

	if (!*registered)
	{
		crm_forget_relid_on_invalidation(kept);
		*registered = true;
	}
	if (!OidIsValid(relid))
		relid = get_relname_relid(table, get_namespace_oid("crm", false));
	if (!OidIsValid(relid) || crm_relation_is_distributed(relid))
		return NULL;
	return try_table_open(relid, RowExclusiveLock); /* NULL: dropped meanwhile, SPI says so */
}

/* See kit/direct_insert.h. */
bool
crm_direct_allowed(Relation rel, bool direct, const char *command)
{
	/* the table's policies (and so its guard) for this role: the owner's write has none */
	if (!direct || check_enable_rls(RelationGetRelid(rel), InvalidOid, true) == RLS_ENABLED)
	{
		table_close(rel, NoLock);
		return false;
	}
	/* what the executor checks first (25006 in a read-only transaction) */
	PreventCommandIfReadOnly(command);
	PreventCommandIfParallelMode(command);
	return true;
}

CrmDirectWrite *
crm_direct_begin(CrmDirectTable *t)
{
	Relation	rel = crm_direct_open(t->table, &t->relid, &t->registered);
	const CrmColumnMap *map;
	CrmDirectWrite *w;

	if (rel == NULL)
		return NULL;
	/* opening it may have read an invalidation: examine it again then */
	map = crm_columns(t->columns, RelationGetRelid(rel), RelationGetDescr(rel));
	if (t->relid != RelationGetRelid(rel))
		examine(t, rel, map);
	if (!crm_direct_allowed(rel, t->direct, "INSERT"))
		return NULL;
	CommandCounterIncrement();
	w = palloc0(sizeof(CrmDirectWrite));
	w->table = t;
	w->map = map;
	w->rel = rel;
	w->cid = GetCurrentCommandId(true);
	crm_result_relation_open(&w->result, rel, w->cid);
	w->slot = MakeSingleTupleTableSlot(RelationGetDescr(rel), table_slot_callbacks(rel));
	return w;
}

int64
crm_direct_insert(CrmDirectWrite *w, const Datum *values, const bool *nulls)
{
	TupleTableSlot *slot = w->slot;
	int64		id = 0;

	ExecClearTuple(slot);
	memset(slot->tts_isnull, true, sizeof(bool) * slot->tts_tupleDescriptor->natts);
	for (int i = 0; i < w->map->ncolumns; i++)
	{
		AttrNumber	attnum = w->map->attnum[i];

		slot->tts_values[attnum - 1] = values[i];
		slot->tts_isnull[attnum - 1] = nulls != NULL && nulls[i];
	}
	for (int i = 0; i < w->table->ntypmods; i++)
	{
		CrmDirectTypmod *m = &w->table->typmods[i];
		AttrNumber	attnum = w->map->attnum[m->col];

		if (!slot->tts_isnull[attnum - 1])
			slot->tts_values[attnum - 1] =
				FunctionCall3(&m->fn, slot->tts_values[attnum - 1],
							  Int32GetDatum(m->typmod), BoolGetDatum(false));
	}
	if (w->table->identity != 0)
	{
		id = nextval_internal(w->table->sequence, false);
		slot->tts_values[w->table->identity - 1] = Int64GetDatum(id);
		slot->tts_isnull[w->table->identity - 1] = false;
	}
	ExecStoreVirtualTuple(slot);
	if (w->rel->rd_att->constr != NULL)
		ExecConstraints(w->result.rri, slot, w->result.estate);
	table_tuple_insert(w->rel, slot, w->cid, 0, NULL);
	if (w->result.rri->ri_NumIndices > 0)
		list_free(ExecInsertIndexTuples(w->result.rri, slot, w->result.estate, false, false, NULL, NIL));
	ResetPerTupleExprContext(w->result.estate);
	return id;
}

void
crm_direct_end(CrmDirectWrite *w)
{
	ExecDropSingleTupleTableSlot(w->slot);
	crm_result_relation_close(&w->result);
	table_close(w->rel, NoLock);
	pfree(w);
	CommandCounterIncrement();
}
