/*
 * history.c
 *	  History that cannot be rewritten, and rows that cannot be deleted.
 *
 * Event and fact tables (lead_events, invoice_events, payments, calls) carry
 * crm._append_only(): no UPDATE, DELETE or TRUNCATE from any role, the owner
 * included.  Numbered business rows (leads) carry crm._forbid_delete(), so
 * their history and numbers are never lost.
 *
 * Trigger functions (attached in each concept's SQL; defined in history.sql):
 *	crm._append_only()		BEFORE UPDATE OR DELETE (row) and BEFORE TRUNCATE
 *	crm._forbid_delete(hint)	BEFORE DELETE (row) and BEFORE TRUNCATE
 * C API (history.h): crm_lead_event, one row of crm.lead_events (written
 * directly, kit/direct_insert.h, where the table allows it);
 * crm_lead_created_events and crm_lead_created_with_statement, the 'created'
 * events of a multi-row INSERT of leads written in one statement.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type_d.h"
#include "commands/trigger.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

#include "crm.h"
#include "history.h"
#include "kit/citus.h"
#include "kit/direct_insert.h"
#include "tenancy.h"
#include "values.h"

/* The events these guards refuse: UPDATE and DELETE per row, TRUNCATE per statement. */
#define GUARDED_EVENTS (CRM_ON_UPDATE | CRM_ON_DELETE | CRM_ON_TRUNCATE)

static const char *
event_verb(const CrmTrigger *trig)
{
	return trig->is_update ? "updated" : trig->is_delete ? "deleted" : "truncated";
}

PG_FUNCTION_INFO_V1(crm_append_only);
Datum
crm_append_only(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	const char *table;

	crm_trigger_start(&trig, fcinfo, "crm_append_only", CRM_BEFORE, GUARDED_EVENTS);
	table = crm_citus_table_name(trig.data->tg_relation);
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("rows of \"crm.%s\" cannot be %s", table, event_verb(&trig)),
			 errdetail("crm.%s is append-only: it records what happened.", table),
			 errhint("Record a correction as a new row.")));
	PG_RETURN_NULL();
}

PG_FUNCTION_INFO_V1(crm_forbid_delete);
Datum
crm_forbid_delete(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	const char *table;
	Trigger    *trigger;

	crm_trigger_start(&trig, fcinfo, "crm_forbid_delete", CRM_BEFORE, GUARDED_EVENTS);
	table = crm_citus_table_name(trig.data->tg_relation);
	trigger = trig.data->tg_trigger;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("rows of \"crm.%s\" cannot be %s", table, event_verb(&trig)),
			 errdetail("Their numbers and history must stay."),
			 trigger->tgnargs > 0 ? errhint("%s", trigger->tgargs[0]) : 0));
	PG_RETURN_NULL();
}

static CrmPlan insert_lead_event = {
	"INSERT INTO crm.lead_events (account_id, lead_id, employee_id, kind, "
	"from_status_id, to_status_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
	7, {INT8OID, INT8OID, INT8OID, TEXTOID, INT8OID, INT8OID, JSONBOID}
};

/*
 * The same row written directly (kit/direct_insert.h), in insert_lead_event's
 * order, and "at" as its default gives it (now()); id from the table's
 * identity.  Its rule lead_events_values (the
 * business time of "at") is applied here.  No foreign key to check: the
 * lead's history is written by the lead's own triggers, for the lead they
 * fire on (crm.lead_events has no foreign key to crm.leads, by design: see
 * schema/leads.sql).
 */
static const char *const lead_event_names[] = {
	"account_id", "lead_id", "employee_id", "kind", "from_status_id", "to_status_id", "detail", "at"
};
static CrmColumnMap lead_event_columns = {"crm.lead_events", lengthof(lead_event_names), lead_event_names};
static const char *const lead_event_triggers[] = {"lead_events_values", NULL};
static CrmDirectTable lead_events = {"lead_events", &lead_event_columns, lead_event_triggers};

/* See history.h. */
void
crm_lead_event(int64 account_id, int64 lead_id, const char *kind,
			   int64 from_status, bool from_null, int64 to_status, bool to_null,
			   Datum detail_jsonb, bool detail_null)
{
	Datum		args[8];
	bool		nulls[8] = {false};
	char		spi_nulls[9] = "        ";
	bool		no_employee;
	CrmDirectWrite *w;
	TimestampTz at = GetCurrentTransactionStartTimestamp();	/* the column's now() */

	args[0] = Int64GetDatum(account_id);
	args[1] = Int64GetDatum(lead_id);
	args[2] = Int64GetDatum(crm_employee_or_null(&no_employee));
	args[3] = CStringGetTextDatum(kind);
	args[4] = Int64GetDatum(from_status);
	args[5] = Int64GetDatum(to_status);
	args[6] = detail_jsonb;
	args[7] = TimestampTzGetDatum(at);
	nulls[2] = no_employee;
	nulls[4] = from_null;
	nulls[5] = to_null;
	nulls[6] = detail_null;
	w = crm_direct_begin(&lead_events);
	if (w == NULL)
	{
		for (int i = 0; i < 7; i++)
			spi_nulls[i] = nulls[i] ? 'n' : ' ';
		crm_exec(&insert_lead_event, args, spi_nulls, false, 0);
		return;
	}
	crm_check_time(at, "crm.lead_events.at");
	crm_direct_insert(w, args, nulls);
	crm_direct_end(w);
}

/*
 * A multi-row INSERT of leads writes the 'created' events of all its rows when
 * the first of them fires lead_90_history_insert: one INSERT ... SELECT from
 * the statement's new rows (the trigger's transition table new_leads), in the
 * order they were inserted, with the detail of leads.c's created_event
 * ({"number": number}).  So each lead's later events (lead_95_link's) still
 * come after its 'created' event, and crm_lead_event's row is unchanged.  The
 * batch remembers the statement's transition table and its rows' ids in
 * firing order; the statement's other rows find their event written.
 */
static CrmPlan insert_created_events = {
	"INSERT INTO crm.lead_events (account_id, lead_id, employee_id, kind, to_status_id, detail) "
	"SELECT n.account_id, n.id, $1, 'created', n.status_id, jsonb_build_object('number', n.number) "
	"FROM new_leads n",
	1, {INT8OID}
};

typedef struct CreatedBatch
{
	Tuplestorestate *rows;		/* the statement's transition table */
	int64		count;
	int64		next;			/* the row expected to fire next */
	int64	   *lead_ids;		/* the rows' ids, in firing order */
} CreatedBatch;

/*
 * Kept through subtransaction aborts (an aborted nested statement must not
 * forget an outer statement's batch); a stale batch fails the id check.
 */
static CrmXactCache created_batches_cache = {"created events of multi-row inserts", true};
static List *created_batches = NIL;

static List *
current_batches(void)
{
	if (!crm_xact_cache_valid(&created_batches_cache))
	{
		created_batches = NIL;
		crm_xact_cache_set_valid(&created_batches_cache);
	}
	return created_batches;
}

/* See history.h. */
bool
crm_lead_created_with_statement(Tuplestorestate *rows, int64 lead_id)
{
	ListCell   *lc;

	if (rows == NULL)
		return false;
	foreach(lc, current_batches())
	{
		CreatedBatch *b = lfirst(lc);
		bool		seen;

		if (b->rows != rows)
			continue;
		seen = b->next < b->count && b->lead_ids[b->next] == lead_id;
		if (seen)
			b->next++;
		if (!seen || b->next == b->count)
			created_batches = foreach_delete_current(created_batches, lc);
		return seen;
	}
	return false;
}

/* The ids of the statement's new rows, in their order; NULL if fewer than count. */
static int64 *
statement_lead_ids(Tuplestorestate *rows, TupleDesc desc, AttrNumber id_attnum, int64 count)
{
	int64	   *ids = MemoryContextAlloc(crm_xact_cache_memory(&created_batches_cache),
										 sizeof(int64) * count);
	TupleTableSlot *slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
	int64		i = 0;

	tuplestore_rescan(rows);
	while (i < count && tuplestore_gettupleslot(rows, true, false, slot))
	{
		bool		isnull;

		ids[i++] = DatumGetInt64(slot_getattr(slot, id_attnum, &isnull));
	}
	ExecDropSingleTupleTableSlot(slot);
	return i == count ? ids : NULL;
}

static void
remember_batch(Tuplestorestate *rows, int64 count, int64 *ids)
{
	MemoryContext old = MemoryContextSwitchTo(crm_xact_cache_memory(&created_batches_cache));
	CreatedBatch *b = palloc(sizeof(CreatedBatch));

	b->rows = rows;
	b->count = count;
	b->next = 1;
	b->lead_ids = ids;
	created_batches = lappend(current_batches(), b);
	MemoryContextSwitchTo(old);
}

/* See history.h. */
bool
crm_lead_created_events(TriggerData *data, AttrNumber id_attnum, int64 lead_id)
{
	Tuplestorestate *rows = data->tg_newtable;
	int64		count = rows ? tuplestore_tuple_count(rows) : 0;
	int64	   *ids;
	Datum		args[1];
	char		nulls[1] = {' '};
	bool		no_employee;

	/*
	 * Where Citus is installed the trigger may fire on a shard, and Citus
	 * plans the INSERT ... SELECT FROM new_leads as a distributed statement
	 * that cannot see the transition table: each row writes its own event.
	 */
	if (count < 2 || crm_citus_active())
		return false;
	ids = statement_lead_ids(rows, RelationGetDescr(data->tg_relation), id_attnum, count);
	if (ids == NULL || ids[0] != lead_id)
		return false;
	args[0] = Int64GetDatum(crm_employee_or_null(&no_employee));
	nulls[0] = no_employee ? 'n' : ' ';
	if (SPI_register_trigger_data(data) != SPI_OK_TD_REGISTER)
		elog(ERROR, "crm: SPI_register_trigger_data failed");
	crm_exec(&insert_created_events, args, nulls, false, 0);
	remember_batch(rows, count, ids);
	return true;
}
