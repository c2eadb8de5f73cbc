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
 * C API (history.h): crm_lead_event, one row of crm.lead_events.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/rel.h"

#include "crm.h"
#include "history.h"
#include "tenancy.h"

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
	table = RelationGetRelationName(trig.data->tg_relation);
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
	table = RelationGetRelationName(trig.data->tg_relation);
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

/* See history.h. */
void
crm_lead_event(int64 account_id, int64 lead_id, const char *kind,
			   int64 from_status, bool from_null, int64 to_status, bool to_null,
			   Datum detail_jsonb, bool detail_null)
{
	Datum		args[7];
	char		nulls[8] = "       ";
	bool		no_employee;

	args[0] = Int64GetDatum(account_id);
	args[1] = Int64GetDatum(lead_id);
	args[2] = Int64GetDatum(crm_employee_or_null(&no_employee));
	args[3] = CStringGetTextDatum(kind);
	args[4] = Int64GetDatum(from_status);
	args[5] = Int64GetDatum(to_status);
	args[6] = detail_jsonb;
	nulls[2] = no_employee ? 'n' : ' ';
	nulls[4] = from_null ? 'n' : ' ';
	nulls[5] = to_null ? 'n' : ' ';
	nulls[6] = detail_null ? 'n' : ' ';
	crm_exec(&insert_lead_event, args, nulls, false, 0);
}
