/*
 * lead_managers.c
 *	  The manager of a lead created without one: the responsible manager is
 *	  per lead, filled in when a manager first writes to its client.
 *
 * A lead created by an employee keeps that employee (leads.c fills
 * manager_id from crm.employee_id).  A lead created without a manager (by an
 * integration, crm.receive_message) gets one while it is open and has none,
 * by accounts.lead_manager_mode (a lead an import brings without a manager
 * keeps none when it is written, as history; a message recorded later gives
 * it one as to any other):
 *	first_writer		(the default) the employee of the first outgoing
 *						message to its client whose sent_at is at or after
 *						the lead's created_at;
 *	client_responsible	the client's responsible manager
 *						(clients.responsible_id); while the client has none,
 *						as first_writer (that writer becomes the client's
 *						responsible manager too, chats.c).
 * It is given when the lead is created or linked to its client (an outgoing
 * message already recorded counts), when an outgoing message is recorded
 * (chats.c calls crm_lead_managers_on_message), and in client_responsible
 * mode when the client's responsible manager is set.  The change is an
 * ordinary UPDATE of the lead: its history records 'manager_changed'.
 *
 * A lead and a message for the same client may be written at once, each
 * unable to see the other.  A message holds what it writes until commit: an
 * employee's first message to the client the client row (FOR NO KEY UPDATE,
 * chats.c), a later one that employee's row of crm.client_contacts, which it
 * updates.  Before it looks, the lead takes the client row FOR NO KEY UPDATE
 * and the client's contacts FOR SHARE; whoever comes second waits and looks
 * with a fresh snapshot (READ COMMITTED), so the lead gets its manager
 * either way (isolation spec lead_manager_race), and a message costs no lock
 * of its own.
 *
 * Triggers:
 *	lead_30_manager			BEFORE INSERT on crm.leads, when the lead has a
 *							client and no manager (after lead_20_phone, which
 *							may have linked the client); crm_lead_manager_before_write
 *	lead_30_manager_link	BEFORE UPDATE OF client_id, when the client changes
 *							and the lead has no manager; the same function
 *	clients_60_lead_managers	AFTER UPDATE OF responsible_id on crm.clients;
 *							crm_client_responsible_after_update
 * C API (lead_managers.h): crm_lead_managers_on_message.
 *
 * Internal queries run as the schema owner and always name the account.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "fmgr.h"

#include "crm.h"
#include "lead_managers.h"
#include "tenancy.h"

static bool
by_client_responsible(int64 account_id)
{
	return strcmp(crm_account_settings(account_id)->lead_manager_mode, "client_responsible") == 0;
}

/* ---- a message ---- */

/*
 * Almost always no lead matches: a look into index leads_unassigned_idx
 * (open leads without a manager) says so, and no UPDATE runs (an UPDATE of
 * crm.leads fires the statement triggers of the kept lead counts, even for
 * no row).  Not read-only, as the UPDATE: both see what committed before
 * them, also what this message waited for.
 */
static CrmPlan unassigned_lead = {
	"SELECT 1 FROM crm.leads WHERE account_id = $1 AND client_id = $2 AND manager_id IS NULL "
	"AND closed_at IS NULL AND created_at <= $4 LIMIT 1",
	4, {INT8OID, INT8OID, INT8OID, TIMESTAMPTZOID}
};

/*
 * In client_responsible mode the client's responsible manager (set by this
 * very message when it had none) comes before the writer.
 */
static CrmPlan assign_on_message = {
	"UPDATE crm.leads SET manager_id = CASE "
	"  WHEN (SELECT a.lead_manager_mode FROM crm.accounts a WHERE a.id = $1) = 'client_responsible' "
	"  THEN coalesce((SELECT c.responsible_id FROM crm.clients c WHERE c.account_id = $1 AND c.id = $2), $3) "
	"  ELSE $3 END "
	"WHERE account_id = $1 AND client_id = $2 AND manager_id IS NULL AND closed_at IS NULL "
	"AND created_at <= $4",
	4, {INT8OID, INT8OID, INT8OID, TIMESTAMPTZOID}
};

void
crm_lead_managers_on_message(int64 account_id, int64 client_id, int64 employee_id,
							 TimestampTz sent_at)
{
	Datum		args[4] = {Int64GetDatum(account_id), Int64GetDatum(client_id),
	Int64GetDatum(employee_id), TimestampTzGetDatum(sent_at)};

	if (crm_exec(&unassigned_lead, args, NULL, false, 1) == 1)
		crm_exec(&assign_on_message, args, NULL, false, 0);
}

/* ---- a lead created or linked ---- */

enum
{
	LEAD_ACCOUNT_ID, LEAD_CLIENT_ID, LEAD_MANAGER_ID, LEAD_CREATED_AT, LEAD_CLOSED_AT,
	LEAD_NCOLUMNS
};
static const char *const lead_names[] = {
	"account_id", "client_id", "manager_id", "created_at", "closed_at"
};
static CrmColumnMap lead_columns = {"crm.leads", LEAD_NCOLUMNS, lead_names};

/* Held until commit: a message to the client recorded meanwhile waits (see above). */
static CrmPlan hold_client = {
	"SELECT responsible_id FROM crm.clients WHERE account_id = $1 AND id = $2 FOR NO KEY UPDATE",
	2, {INT8OID, INT8OID}
};
static CrmPlan hold_contacts = {
	"SELECT 1 FROM crm.client_contacts WHERE account_id = $1 AND client_id = $2 FOR SHARE",
	2, {INT8OID, INT8OID}
};

/*
 * The employee of the first outgoing message to the client at or after $3.
 * client_contacts says at once whether anyone wrote to the client since
 * then (a one-time filter); only then are the messages read.
 */
static CrmPlan first_writer_since = {
	"SELECT m.employee_id FROM crm.conversations v "
	"JOIN crm.messages m ON m.account_id = v.account_id AND m.conversation_id = v.id "
	"WHERE v.account_id = $1 AND v.client_id = $2 AND m.direction = 'out' "
	"  AND m.employee_id IS NOT NULL AND m.sent_at >= $3 "
	"  AND EXISTS (SELECT 1 FROM crm.client_contacts k "
	"              WHERE k.account_id = $1 AND k.client_id = $2 AND k.last_out_at >= $3) "
	"ORDER BY m.sent_at, m.id LIMIT 1",
	3, {INT8OID, INT8OID, TIMESTAMPTZOID}
};

/*
 * The manager the rule gives a lead of client_id created at created_at, or
 * false when there is none yet.  Connected to SPI, as the owner; the queries
 * are not read-only, so each sees what committed before it (READ COMMITTED).
 */
static bool
manager_for_lead(int64 account_id, int64 client_id, TimestampTz created_at, int64 *manager_id)
{
	Datum		args[3] = {Int64GetDatum(account_id), Int64GetDatum(client_id),
	TimestampTzGetDatum(created_at)};
	bool		responsible_first = by_client_responsible(account_id);
	bool		isnull = true;

	/* A client that does not exist is the foreign key's to report. */
	if (crm_exec(&hold_client, args, NULL, false, 1) == 0)
		return false;
	if (responsible_first)
		*manager_id = crm_get_int64(0, 1, &isnull);
	if (isnull)
		crm_exec(&hold_contacts, args, NULL, false, 0);
	if (isnull && crm_exec(&first_writer_since, args, NULL, false, 1) == 1)
		*manager_id = crm_get_int64(0, 1, &isnull);
	return !isnull;
}

/*
 * lead_30_manager (BEFORE INSERT) and lead_30_manager_link (BEFORE UPDATE OF
 * client_id): their WHEN clauses let through only a lead with a client and
 * no manager (and, on UPDATE, a changed client); an open one gets the
 * manager the rule gives, if any yet.
 */
PG_FUNCTION_INFO_V1(crm_lead_manager_before_write);
Datum
crm_lead_manager_before_write(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		row;
	CrmChanges	ch = {0};
	CrmUserSwitch user;
	bool		no_account,
				no_client,
				no_created;
	int64		account_id,
				client_id,
				manager_id = 0;
	TimestampTz created_at;
	bool		found;

	crm_trigger_start(&trig, fcinfo, "crm_lead_manager_before_write", CRM_BEFORE,
					  CRM_ON_INSERT | CRM_ON_UPDATE);
	if (trig.restoring || crm_write_allows(CRM_WRITE_IMPORT))
		return crm_trigger_return(&trig, trig.new); /* as dumped; history keeps "no manager" */
	row = crm_trigger_row(&trig, trig.new, &lead_columns);
	account_id = crm_row_int64(&row, LEAD_ACCOUNT_ID, &no_account);
	client_id = crm_row_int64(&row, LEAD_CLIENT_ID, &no_client);
	created_at = DatumGetTimestampTz(crm_row_get(&row, LEAD_CREATED_AT, &no_created));
	if (no_account || no_client || no_created || !crm_row_isnull(&row, LEAD_MANAGER_ID) ||
		!crm_row_isnull(&row, LEAD_CLOSED_AT))
		return crm_trigger_return(&trig, trig.new);

	crm_trigger_connect(&trig);
	crm_become_owner(&user);
	found = manager_for_lead(account_id, client_id, created_at, &manager_id);
	crm_restore_user(&user);
	if (!found)
		return crm_trigger_return(&trig, trig.new);
	crm_change(&ch, &row, LEAD_MANAGER_ID, Int64GetDatum(manager_id), false);
	return crm_trigger_return(&trig, crm_changes_apply(&row, &ch));
}

/* ---- the client's responsible manager set ---- */

enum
{
	CLIENT_ACCOUNT_ID, CLIENT_ID, CLIENT_RESPONSIBLE_ID, CLIENT_NCOLUMNS
};
static const char *const client_names[] = {"account_id", "id", "responsible_id"};
static CrmColumnMap client_columns = {"crm.clients", CLIENT_NCOLUMNS, client_names};

static CrmPlan assign_responsible = {
	"UPDATE crm.leads SET manager_id = $3 "
	"WHERE account_id = $1 AND client_id = $2 AND manager_id IS NULL AND closed_at IS NULL",
	3, {INT8OID, INT8OID, INT8OID}
};

/*
 * clients_60_lead_managers (AFTER UPDATE OF responsible_id, when it is set
 * to another employee): in client_responsible mode the client's open leads
 * without a manager get the responsible manager.
 */
PG_FUNCTION_INFO_V1(crm_client_responsible_after_update);
Datum
crm_client_responsible_after_update(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		row;
	CrmUserSwitch user;
	bool		isnull;
	Datum		args[3];

	crm_trigger_start(&trig, fcinfo, "crm_client_responsible_after_update", CRM_AFTER,
					  CRM_ON_UPDATE);
	row = crm_trigger_row(&trig, trig.new, &client_columns);
	args[0] = crm_row_get(&row, CLIENT_ACCOUNT_ID, &isnull);
	args[1] = crm_row_get(&row, CLIENT_ID, &isnull);
	args[2] = crm_row_get(&row, CLIENT_RESPONSIBLE_ID, &isnull);
	if (isnull)
		return crm_trigger_return(&trig, NULL);

	crm_trigger_connect(&trig);
	crm_become_owner(&user);
	if (by_client_responsible(DatumGetInt64(args[0])))
		crm_exec(&assign_responsible, args, NULL, false, 0);
	crm_restore_user(&user);
	return crm_trigger_return(&trig, NULL);
}
