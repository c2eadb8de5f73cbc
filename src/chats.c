/*
 * chats.c
 *	  Conversations, messages, the responsible manager (appointments are
 *	  appointments.c's).
 *
 * Triggers:
 *	messages_10_check			(BEFORE INSERT on crm.messages,
 *		crm_message_before_insert) an outgoing message names the acting
 *		employee, and sent_at is a sane time (actor.h): it decides who wrote
 *		to a client first, so alert routing and the responsible manager.
 *	messages_50_contacts		(AFTER INSERT on crm.messages,
 *		crm_message_after_insert) keeps conversations.last_message_at and,
 *		for outgoing messages, crm.client_contacts (first/last time each
 *		employee wrote to each client), so alert routing never scans
 *		messages.  The first outgoing message of an employee to a client
 *		without a responsible manager makes that employee responsible; every
 *		outgoing message gives the client's open leads without a manager
 *		created before it their manager (lead_managers.c).
 *
 * Internal writes run as the schema owner and always name the account.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "actor.h"
#include "crm.h"
#include "lead_managers.h"

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
		crm_exec(&set_responsible, ids, NULL, false, 0);
}

enum
{
	MESSAGE_ACCOUNT_ID, MESSAGE_CONVERSATION_ID, MESSAGE_SENT_AT, MESSAGE_EMPLOYEE_ID,
	MESSAGE_DIRECTION, MESSAGE_NCOLUMNS
};
static const char *const message_names[] = {
	"account_id", "conversation_id", "sent_at", "employee_id", "direction"
};
static CrmColumnMap message_columns = {"crm.messages", MESSAGE_NCOLUMNS, message_names};

PG_FUNCTION_INFO_V1(crm_message_before_insert);
Datum
crm_message_before_insert(PG_FUNCTION_ARGS)
{
	CrmTrigger	t;
	CrmRow		row;
	bool		isnull;
	int64		employee;
	char	   *direction;
	Datum		sent_at;

	crm_trigger_start(&t, fcinfo, "crm_message_before_insert", CRM_BEFORE, CRM_ON_INSERT);
	if (t.restoring)
		return crm_trigger_return(&t, t.new);
	row = crm_trigger_row(&t, t.new, &message_columns);
	direction = crm_row_text(&row, MESSAGE_DIRECTION);
	employee = crm_row_int64(&row, MESSAGE_EMPLOYEE_ID, &isnull);
	if (!isnull && direction != NULL && strcmp(direction, "out") == 0)
		crm_actor_check_named(employee, "a message");
	sent_at = crm_row_get(&row, MESSAGE_SENT_AT, &isnull);
	if (!isnull)				/* NULL is the NOT NULL constraint's to report */
		crm_actor_check_time(DatumGetTimestampTz(sent_at), "sent_at", "a message");
	return crm_trigger_return(&t, t.new);
}

PG_FUNCTION_INFO_V1(crm_message_after_insert);
Datum
crm_message_after_insert(PG_FUNCTION_ARGS)
{
	CrmTrigger	t;
	CrmRow		row;
	bool		isnull,
				no_employee;
	int64		account_id,
				conversation_id,
				client_id;
	Datum		sent_at,
				employee;
	char	   *direction;
	Datum		args[4];
	CrmUserSwitch user;

	crm_trigger_start(&t, fcinfo, "crm_message_after_insert", CRM_AFTER, CRM_ON_INSERT);
	if (t.restoring)
		return crm_trigger_return(&t, NULL);
	row = (CrmRow) {t.new, t.desc, crm_trigger_columns(&t, &message_columns)};
	account_id = crm_row_int64(&row, MESSAGE_ACCOUNT_ID, NULL);
	conversation_id = crm_row_int64(&row, MESSAGE_CONVERSATION_ID, NULL);
	sent_at = crm_row_get(&row, MESSAGE_SENT_AT, &isnull);
	employee = crm_row_get(&row, MESSAGE_EMPLOYEE_ID, &no_employee);
	direction = crm_row_text(&row, MESSAGE_DIRECTION);

	crm_trigger_connect(&t);
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
		/*
		 * Most messages are not the first: a plain update is enough then.
		 * Either way what it locks is held until commit, which a lead of the
		 * client written meanwhile waits for (lead_managers.c).
		 */
		if (crm_exec(&touch_contact, args, NULL, false, 0) == 0)
			record_first_contact(account_id, client_id, DatumGetInt64(employee),
								 conversation_id, DatumGetTimestampTz(sent_at));
		crm_lead_managers_on_message(account_id, client_id, DatumGetInt64(employee),
									 DatumGetTimestampTz(sent_at));
	}

	crm_restore_user(&user);
	return crm_trigger_return(&t, NULL);
}
