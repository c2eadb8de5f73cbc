/*
 * chats.c
 *	  Conversations, messages, the responsible manager, appointments.
 *
 * Triggers:
 *	messages_50_contacts		(AFTER INSERT on crm.messages) keeps
 *		conversations.last_message_at and, for outgoing messages,
 *		crm.client_contacts (first/last time each employee wrote to each
 *		client), so alert routing never scans messages.  The first outgoing
 *		message of an employee to a client without a responsible manager
 *		makes that employee responsible, and gives the client's leads without
 *		a manager the same manager.
 *	appointments_10_transition	(BEFORE UPDATE on crm.appointments) allows
 *		waiting -> confirmed -> came and waiting/confirmed -> cancelled.
 *	appointments_90_history		(AFTER INSERT OR UPDATE) appends to
 *		crm.appointment_events.
 *
 * Internal writes run as the schema owner and always name the account.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "crm.h"

static Datum
row_col(HeapTuple tuple, TupleDesc desc, const char *name, bool *isnull)
{
	int			attnum = SPI_fnumber(desc, name);

	if (attnum <= 0)
		elog(ERROR, "crm: table has no column \"%s\"", name);
	return SPI_getbinval(tuple, desc, attnum, isnull);
}

/* ---- messages ---- */

static CrmPlan touch_conversation = {
	"UPDATE crm.conversations SET last_message_at = "
	"greatest(last_message_at, $3) "
	"WHERE account_id = $1 AND id = $2 RETURNING client_id",
	3, {INT8OID, INT8OID, TIMESTAMPTZOID}
};
static CrmPlan touch_contact = {
	"UPDATE crm.client_contacts SET last_out_at = greatest(last_out_at, $4), "
	"first_out_at = least(first_out_at, $4) "
	"WHERE account_id = $1 AND client_id = $2 AND employee_id = $3",
	4, {INT8OID, INT8OID, INT8OID, TIMESTAMPTZOID}
};

/*
 * The client row is the meeting point with alert routing: a first contact
 * holds it FOR NO KEY UPDATE until commit, routing takes it FOR SHARE before
 * reading the contacts, so a failure sees every first contact that committed
 * before it and none that commits after.
 */
static CrmPlan lock_client = {
	"SELECT responsible_id FROM crm.clients "
	"WHERE account_id = $1 AND id = $2 FOR NO KEY UPDATE",
	2, {INT8OID, INT8OID}
};
static CrmPlan insert_contact = {
	"INSERT INTO crm.client_contacts (account_id, client_id, employee_id, conversation_id, "
	"first_out_at, last_out_at) VALUES ($1, $2, $3, $4, $5, $5) "
	"ON CONFLICT (account_id, client_id, employee_id) DO UPDATE SET "
	"last_out_at = greatest(crm.client_contacts.last_out_at, excluded.last_out_at), "
	"first_out_at = least(crm.client_contacts.first_out_at, excluded.first_out_at)",
	5, {INT8OID, INT8OID, INT8OID, INT8OID, TIMESTAMPTZOID}
};
static CrmPlan set_responsible = {
	"UPDATE crm.clients SET responsible_id = $3 "
	"WHERE account_id = $1 AND id = $2 AND responsible_id IS NULL",
	3, {INT8OID, INT8OID, INT8OID}
};
static CrmPlan set_lead_managers = {
	"UPDATE crm.leads SET manager_id = $3 "
	"WHERE account_id = $1 AND client_id = $2 AND manager_id IS NULL",
	3, {INT8OID, INT8OID, INT8OID}
};

static void
record_first_contact(int64 account_id, int64 client_id, int64 employee_id,
					 int64 conversation_id, TimestampTz sent_at)
{
	Datum		ids[5] = {Int64GetDatum(account_id), Int64GetDatum(client_id),
		Int64GetDatum(employee_id), Int64GetDatum(conversation_id),
	TimestampTzGetDatum(sent_at)};
	bool		no_responsible;

	crm_exec(&lock_client, ids, NULL, false, 1);
	(void) crm_get_int64(0, 1, &no_responsible);
	crm_exec(&insert_contact, ids, NULL, false, 0);
	if (no_responsible)
	{
		crm_exec(&set_responsible, ids, NULL, false, 0);
		crm_exec(&set_lead_managers, ids, NULL, false, 0);
	}
}

PG_FUNCTION_INFO_V1(crm_message_after_insert);
Datum
crm_message_after_insert(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = crm_check_row_trigger(fcinfo, "crm_message_after_insert", false);
	HeapTuple	tuple = trigdata->tg_trigtuple;
	TupleDesc	desc = RelationGetDescr(trigdata->tg_relation);
	bool		isnull,
				no_employee;
	int64		account_id = DatumGetInt64(row_col(tuple, desc, "account_id", &isnull));
	int64		conversation_id = DatumGetInt64(row_col(tuple, desc, "conversation_id", &isnull));
	Datum		sent_at = row_col(tuple, desc, "sent_at", &isnull);
	Datum		employee = row_col(tuple, desc, "employee_id", &no_employee);
	char	   *direction = TextDatumGetCString(row_col(tuple, desc, "direction", &isnull));
	Datum		args[4];
	int64		client_id;
	CrmUserSwitch user;

	if (!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		elog(ERROR, "crm_message_after_insert: must be fired by INSERT");

	SPI_connect();
	crm_become_owner(&user);

	args[0] = Int64GetDatum(account_id);
	args[1] = Int64GetDatum(conversation_id);
	args[2] = sent_at;
	if (crm_exec(&touch_conversation, args, NULL, false, 1) != 1)
		elog(ERROR, "crm: conversation %lld of message not found", (long long) conversation_id);
	client_id = crm_get_int64(0, 1, NULL);

	if (strcmp(direction, "out") == 0 && !no_employee)
	{
		args[1] = Int64GetDatum(client_id);
		args[2] = employee;
		args[3] = sent_at;
		/* Most messages are not the first: a plain update is enough then. */
		if (crm_exec(&touch_contact, args, NULL, false, 0) == 0)
			record_first_contact(account_id, client_id, DatumGetInt64(employee),
								 conversation_id, DatumGetTimestampTz(sent_at));
	}

	crm_restore_user(&user);
	SPI_finish();
	return PointerGetDatum(NULL);
}

/* ---- appointments ---- */

static bool
appointment_move_allowed(const char *from, const char *to)
{
	if (strcmp(from, to) == 0)
		return true;
	if (strcmp(from, "waiting") == 0)
		return strcmp(to, "confirmed") == 0 || strcmp(to, "cancelled") == 0;
	if (strcmp(from, "confirmed") == 0)
		return strcmp(to, "came") == 0 || strcmp(to, "cancelled") == 0;
	return false;
}

static const char *
appointment_allowed_list(const char *from)
{
	if (strcmp(from, "waiting") == 0)
		return "\"confirmed\", \"cancelled\"";
	if (strcmp(from, "confirmed") == 0)
		return "\"came\", \"cancelled\"";
	return NULL;
}

PG_FUNCTION_INFO_V1(crm_appointment_before_update);
Datum
crm_appointment_before_update(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = crm_check_row_trigger(fcinfo, "crm_appointment_before_update", true);
	TupleDesc	desc = RelationGetDescr(trigdata->tg_relation);
	bool		isnull;
	char	   *from,
			   *to;
	int64		id;
	const char *allowed;

	if (!TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		elog(ERROR, "crm_appointment_before_update: must be fired by UPDATE");
	{
		Datum		old_status = row_col(trigdata->tg_trigtuple, desc, "status", &isnull);
		bool		new_null;
		Datum		new_status = row_col(trigdata->tg_newtuple, desc, "status", &new_null);

		/* A NULL status is the NOT NULL constraint's to report. */
		if (isnull || new_null)
			return PointerGetDatum(trigdata->tg_newtuple);
		from = TextDatumGetCString(old_status);
		to = TextDatumGetCString(new_status);
	}
	if (appointment_move_allowed(from, to))
		return PointerGetDatum(trigdata->tg_newtuple);

	id = DatumGetInt64(row_col(trigdata->tg_trigtuple, desc, "id", &isnull));
	allowed = appointment_allowed_list(from);
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("appointment %lld cannot move from \"%s\" to \"%s\"",
					(long long) id, from, to),
			 errdetail("Appointment %lld is \"%s\".", (long long) id, from),
			 allowed ? errhint("From \"%s\" an appointment may move to %s.", from, allowed)
			 : errhint("\"%s\" is final: book a new appointment instead.", from)));
	PG_RETURN_NULL();
}

static CrmPlan insert_appointment_event = {
	"INSERT INTO crm.appointment_events (account_id, appointment_id, employee_id, "
	"from_status, to_status) VALUES ($1, $2, $3, $4, $5)",
	5, {INT8OID, INT8OID, INT8OID, TEXTOID, TEXTOID}
};

PG_FUNCTION_INFO_V1(crm_appointment_history);
Datum
crm_appointment_history(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = crm_check_row_trigger(fcinfo, "crm_appointment_history", false);
	TupleDesc	desc = RelationGetDescr(trigdata->tg_relation);
	HeapTuple	new_row = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
		trigdata->tg_newtuple : trigdata->tg_trigtuple;
	bool		isnull,
				from_null = true,
				no_employee;
	Datum		from = (Datum) 0;
	Datum		to = row_col(new_row, desc, "status", &isnull);
	Datum		args[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	CrmUserSwitch user;
	int64		employee = crm_employee_or_null(&no_employee);

	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		from = row_col(trigdata->tg_trigtuple, desc, "status", &from_null);
		if (strcmp(TextDatumGetCString(from), TextDatumGetCString(to)) == 0)
			return PointerGetDatum(NULL);
	}
	args[0] = row_col(new_row, desc, "account_id", &isnull);
	args[1] = row_col(new_row, desc, "id", &isnull);
	args[2] = Int64GetDatum(employee);
	nulls[2] = no_employee ? 'n' : ' ';
	args[3] = from;
	nulls[3] = from_null ? 'n' : ' ';
	args[4] = to;

	SPI_connect();
	crm_become_owner(&user);
	crm_exec(&insert_appointment_event, args, nulls, false, 0);
	crm_restore_user(&user);
	SPI_finish();
	return PointerGetDatum(NULL);
}
