/*
 * history.c
 *	  History that cannot be rewritten, and rows that cannot be deleted.
 *
 * Event and fact tables (lead_events, invoice_events, payments, calls) carry
 * crm._append_only(): no UPDATE, DELETE or TRUNCATE from any role, the owner
 * included.  Numbered business rows (leads) carry crm._forbid_delete(), so
 * their history and numbers are never lost.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/rel.h"

#include "crm.h"

static TriggerData *
check_before_trigger(FunctionCallInfo fcinfo, const char *name)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s: must be called as trigger", name)));
	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s: must be fired before the event", name)));
	return trigdata;
}

static const char *
event_verb(TriggerEvent event)
{
	if (TRIGGER_FIRED_BY_UPDATE(event))
		return "updated";
	if (TRIGGER_FIRED_BY_DELETE(event))
		return "deleted";
	if (TRIGGER_FIRED_BY_TRUNCATE(event))
		return "truncated";
	return "changed";
}

PG_FUNCTION_INFO_V1(crm_append_only);
Datum
crm_append_only(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = check_before_trigger(fcinfo, "crm_append_only");
	const char *table = RelationGetRelationName(trigdata->tg_relation);

	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("rows of \"crm.%s\" cannot be %s", table, event_verb(trigdata->tg_event)),
			 errdetail("crm.%s is append-only: it records what happened.", table),
			 errhint("Record a correction as a new row.")));
	PG_RETURN_NULL();
}

PG_FUNCTION_INFO_V1(crm_forbid_delete);
Datum
crm_forbid_delete(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = check_before_trigger(fcinfo, "crm_forbid_delete");
	const char *table = RelationGetRelationName(trigdata->tg_relation);
	Trigger    *trigger = trigdata->tg_trigger;

	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("rows of \"crm.%s\" cannot be %s", table, event_verb(trigdata->tg_event)),
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
 * Appends a lead event by the current employee at the transaction time.
 * Caller is connected to SPI and runs as owner.
 */
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
