/*
 * kit/trigger.c
 *	  The trigger protocol, column maps, row access and changes shared by
 *	  every crm trigger; see kit/trigger.h.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/htup_details.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "kit/citus.h"
#include "kit/relcache.h"
#include "kit/restore.h"
#include "kit/spi.h"
#include "kit/trigger.h"

/* ---- protocol ---- */

static const char *
events_text(int events)
{
	switch (events)
	{
		case CRM_ON_INSERT:
			return "INSERT";
		case CRM_ON_UPDATE:
			return "UPDATE";
		case CRM_ON_DELETE:
			return "DELETE";
		case CRM_ON_INSERT | CRM_ON_UPDATE:
			return "INSERT or UPDATE";
		case CRM_ON_UPDATE | CRM_ON_DELETE:
			return "UPDATE or DELETE";
		case CRM_ON_INSERT | CRM_ON_DELETE:
			return "INSERT or DELETE";
		default:
			return "INSERT, UPDATE or DELETE";
	}
}

static TriggerData *
called_as_trigger(FunctionCallInfo fcinfo, const char *name)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by trigger manager", name)));
	return (TriggerData *) fcinfo->context;
}

static int
fired_event(TriggerEvent ev)
{
	return TRIGGER_FIRED_BY_INSERT(ev) ? CRM_ON_INSERT :
		TRIGGER_FIRED_BY_UPDATE(ev) ? CRM_ON_UPDATE :
		TRIGGER_FIRED_BY_DELETE(ev) ? CRM_ON_DELETE :
		TRIGGER_FIRED_BY_TRUNCATE(ev) ? CRM_ON_TRUNCATE : 0;
}

static void
start(CrmTrigger *t, TriggerData *data, int fired)
{
	t->data = data;
	t->desc = RelationGetDescr(data->tg_relation);
	t->relid = RelationGetRelid(data->tg_relation);
	t->is_insert = fired == CRM_ON_INSERT;
	t->is_update = fired == CRM_ON_UPDATE;
	t->is_delete = fired == CRM_ON_DELETE;
	t->old = NULL;
	t->new = NULL;
	t->caller = CurrentMemoryContext;
	t->connected = false;
	t->restoring = fired == CRM_ON_INSERT && crm_restoring();
}

void
crm_trigger_start(CrmTrigger *t, FunctionCallInfo fcinfo, const char *name,
				  CrmTriggerWhen when, int events)
{
	TriggerData *data = called_as_trigger(fcinfo, name);
	TriggerEvent ev = data->tg_event;
	int			fired = fired_event(ev);
	int			row_events = events & ~CRM_ON_TRUNCATE;
	const char *when_text = when == CRM_BEFORE ? "before" : "after";

	/* A TRUNCATE trigger is always for each statement, the others here for each row. */
	if ((fired == CRM_ON_TRUNCATE) == (bool) TRIGGER_FIRED_FOR_ROW(ev) ||
		(when == CRM_BEFORE) != (bool) TRIGGER_FIRED_BEFORE(ev) ||
		(fired & events) == 0)
	{
		if (row_events == 0)
			ereport(ERROR,
					(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
					 errmsg("function \"%s\" must be fired %s TRUNCATE", name, when_text)));
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired for each row, %s %s%s",
						name, when_text, events_text(row_events),
						(events & CRM_ON_TRUNCATE) ?
						psprintf(", or for each statement, %s TRUNCATE", when_text) : "")));
	}

	start(t, data, fired);
	if (fired != CRM_ON_TRUNCATE)
	{
		t->old = t->is_insert ? NULL : data->tg_trigtuple;
		t->new = t->is_insert ? data->tg_trigtuple : t->is_update ? data->tg_newtuple : NULL;
	}
}

void
crm_trigger_start_statement(CrmTrigger *t, FunctionCallInfo fcinfo, const char *name,
							CrmTriggerWhen when, int events, bool transition_tables)
{
	TriggerData *data = called_as_trigger(fcinfo, name);
	TriggerEvent ev = data->tg_event;
	int			fired = fired_event(ev);

	if (!TRIGGER_FIRED_FOR_STATEMENT(ev) ||
		(when == CRM_BEFORE) != (bool) TRIGGER_FIRED_BEFORE(ev) ||
		(fired & events) == 0 ||
		(transition_tables && data->tg_oldtable == NULL && data->tg_newtable == NULL))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired for each statement, %s %s%s",
						name, when == CRM_BEFORE ? "before" : "after", events_text(events),
						transition_tables ? ", with transition tables" : "")));
	start(t, data, fired);
}

void
crm_trigger_connect(CrmTrigger *t)
{
	if (t->connected)
		return;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "crm: SPI_connect failed");
	t->connected = true;
}

Datum
crm_trigger_return(CrmTrigger *t, HeapTuple tuple)
{
	if (tuple != NULL && tuple != t->old && tuple != t->new &&
		GetMemoryChunkContext(tuple) != t->caller)
	{
		MemoryContext old = MemoryContextSwitchTo(t->caller);

		tuple = heap_copytuple(tuple);
		MemoryContextSwitchTo(old);
	}
	if (t->connected)
	{
		t->connected = false;
		SPI_finish();
	}
	return PointerGetDatum(tuple);
}

/* ---- column maps ---- */

/*
 * Every map resolved in this backend, so that a relcache invalidation (ALTER
 * TABLE, DROP and CREATE again) makes it resolve again.
 */
#define CRM_MAX_MAPS 64
static CrmColumnMap *known_maps[CRM_MAX_MAPS];
static int	n_known_maps = 0;
static bool callback_registered = false;

static void
forget_columns(Datum arg, Oid relid)
{
	for (int i = 0; i < n_known_maps; i++)
		if (relid == InvalidOid || known_maps[i]->relid == relid)
			known_maps[i]->valid = false;
}

const CrmColumnMap *
crm_columns(CrmColumnMap *map, Oid relid, TupleDesc desc)
{
	if (map->valid && map->relid == relid)
		return map;
	if (!callback_registered)
	{
		crm_register_relcache_callback(forget_columns, (Datum) 0);
		callback_registered = true;
	}
	if (!map->registered)
	{
		if (n_known_maps >= CRM_MAX_MAPS)
			elog(ERROR, "crm: more than %d column maps", CRM_MAX_MAPS);
		known_maps[n_known_maps++] = map;
		map->registered = true;
	}
	Assert(map->ncolumns <= CRM_MAX_MAP_COLUMNS);
	for (int i = 0; i < map->ncolumns; i++)
	{
		int			attnum = SPI_fnumber(desc, map->names[i]);

		if (attnum <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of %s does not exist", map->names[i], map->table),
					 errdetail("crm reads this column; the table was changed by hand."),
					 errhint("Restore the column, or reinstall the extension.")));
		map->attnum[i] = (AttrNumber) attnum;
	}
	map->relid = relid;
	map->valid = true;
	return map;
}

/*
 * The maps of triggers whose arguments name their columns, one per trigger;
 * with more such triggers than slots, the first slot is taken over.
 */
#define CRM_MAX_ARG_TRIGGERS 16
#define CRM_MAX_ARG_COLUMNS 16

typedef struct ArgColumns
{
	Oid			tgoid;
	char		table[2 * NAMEDATALEN];
	char		names[CRM_MAX_ARG_COLUMNS][NAMEDATALEN];
	const char *name_ptrs[CRM_MAX_ARG_COLUMNS];
	CrmColumnMap map;
} ArgColumns;

static ArgColumns arg_columns[CRM_MAX_ARG_TRIGGERS];
static int	n_arg_columns = 0;

const CrmColumnMap *
crm_trigger_arg_columns(CrmTrigger *t)
{
	Trigger    *trigger = t->data->tg_trigger;
	Relation	rel = t->data->tg_relation;
	ArgColumns *a = NULL;

	for (int i = 0; i < n_arg_columns && a == NULL; i++)
		if (arg_columns[i].tgoid == trigger->tgoid)
			a = &arg_columns[i];
	if (a == NULL)
	{
		a = &arg_columns[n_arg_columns < CRM_MAX_ARG_TRIGGERS ? n_arg_columns++ : 0];
		a->tgoid = trigger->tgoid;
		a->map.valid = false;
	}
	if (!a->map.valid)
	{
		if (trigger->tgnargs > CRM_MAX_ARG_COLUMNS)
			elog(ERROR, "crm: trigger \"%s\" names more than %d columns",
				 trigger->tgname, CRM_MAX_ARG_COLUMNS);
		snprintf(a->table, sizeof(a->table), "%s.%s",
				 get_namespace_name(RelationGetNamespace(rel)), crm_citus_table_name(rel));
		for (int i = 0; i < trigger->tgnargs; i++)
		{
			strlcpy(a->names[i], trigger->tgargs[i], NAMEDATALEN);
			a->name_ptrs[i] = a->names[i];
		}
		a->map.table = a->table;
		a->map.ncolumns = trigger->tgnargs;
		a->map.names = a->name_ptrs;
	}
	return crm_trigger_columns(t, &a->map);
}

/* ---- row access ---- */

Datum
crm_row_get(const CrmRow *row, int col, bool *isnull)
{
	Assert(col >= 0 && col < row->map->ncolumns);
	return heap_getattr(row->tuple, row->map->attnum[col], row->desc, isnull);
}

bool
crm_row_isnull(const CrmRow *row, int col)
{
	return heap_attisnull(row->tuple, row->map->attnum[col], row->desc);
}

int64
crm_row_int64(const CrmRow *row, int col, bool *isnull)
{
	bool		null;
	Datum		d = crm_row_get(row, col, &null);

	if (isnull)
		*isnull = null;
	return null ? 0 : DatumGetInt64(d);
}

int32
crm_row_int32(const CrmRow *row, int col, bool *isnull)
{
	bool		null;
	Datum		d = crm_row_get(row, col, &null);

	if (isnull)
		*isnull = null;
	return null ? 0 : DatumGetInt32(d);
}

bool
crm_row_bool(const CrmRow *row, int col)
{
	bool		null;
	Datum		d = crm_row_get(row, col, &null);

	return !null && DatumGetBool(d);
}

char *
crm_row_text(const CrmRow *row, int col)
{
	bool		null;
	Datum		d = crm_row_get(row, col, &null);

	return null ? NULL : TextDatumGetCString(d);
}

char *
crm_row_out(const CrmRow *row, int col)
{
	bool		null;
	Datum		d = crm_row_get(row, col, &null);
	Oid			typoutput;
	bool		varlena;

	if (null)
		return NULL;
	getTypeOutputInfo(TupleDescAttr(row->desc, row->map->attnum[col] - 1)->atttypid,
					  &typoutput, &varlena);
	return OidOutputFunctionCall(typoutput, d);
}

void
crm_json_row(CrmJson *j, const char *key, const CrmRow *row, int col)
{
	bool		null;
	Datum		d = crm_row_get(row, col, &null);

	crm_json_datum(j, key, d, TupleDescAttr(row->desc, row->map->attnum[col] - 1)->atttypid, null);
}

bool
crm_row_same(const CrmRow *a, const CrmRow *b, int col)
{
	Form_pg_attribute att = TupleDescAttr(a->desc, a->map->attnum[col] - 1);
	bool		an,
				bn;
	Datum		ad = crm_row_get(a, col, &an);
	Datum		bd = crm_row_get(b, col, &bn);

	if (an || bn)
		return an == bn;
	if (att->attlen == -1)
	{
		struct varlena *av = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(ad));
		struct varlena *bv = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(bd));

		return VARSIZE_ANY_EXHDR(av) == VARSIZE_ANY_EXHDR(bv) &&
			memcmp(VARDATA_ANY(av), VARDATA_ANY(bv), VARSIZE_ANY_EXHDR(av)) == 0;
	}
	return datumIsEqual(ad, bd, att->attbyval, att->attlen);
}

/* ---- changes ---- */

void
crm_change(CrmChanges *ch, const CrmRow *row, int col, Datum value, bool isnull)
{
	int			attnum = row->map->attnum[col];

	for (int i = 0; i < ch->n; i++)
		if (ch->attnums[i] == attnum)
		{
			ch->values[i] = value;
			ch->nulls[i] = isnull;
			return;
		}
	if (ch->n >= CRM_MAX_CHANGES)
		elog(ERROR, "crm: more than %d changes to a row of %s", CRM_MAX_CHANGES, row->map->table);
	ch->attnums[ch->n] = attnum;
	ch->values[ch->n] = value;
	ch->nulls[ch->n] = isnull;
	ch->n++;
}

void
crm_change_text(CrmChanges *ch, const CrmRow *row, int col, const char *value)
{
	crm_change(ch, row, col, value ? CStringGetTextDatum(value) : (Datum) 0, value == NULL);
}

HeapTuple
crm_changes_apply(const CrmRow *row, const CrmChanges *ch)
{
	if (ch->n == 0)
		return row->tuple;
	return heap_modify_tuple_by_cols(row->tuple, row->desc, ch->n,
									 (int *) ch->attnums, (Datum *) ch->values,
									 (bool *) ch->nulls);
}
