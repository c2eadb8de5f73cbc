/*
 * calls.c
 *	  Call outcomes, retry rules, call tasks and claiming from the call queue.
 *
 * Triggers:
 *	calls_10_schedule		(BEFORE INSERT on crm.calls) client, employee, next_call_at,
 *							and the invoice's or task's schedule
 *	calls_90_apply			(AFTER INSERT on crm.calls)
 *							cancel on refused, contact flag, history, outbox + NOTIFY
 *	call_tasks_10_check		(BEFORE INSERT on crm.call_tasks) category rule, due at once
 *	clients_60_close_call_tasks (AFTER UPDATE OF category on crm.clients)
 * Functions: crm.log_call, crm.claim_next_call.
 *
 * Retry times come from the call's own called_at, never from the clock.
 * The row's account_id is authoritative (row-level security checks it for
 * non-owners); every internal query names it.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "funcapi.h"
#include "access/htup_details.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "crm.h"

static Datum
col(HeapTuple tuple, TupleDesc desc, const char *name, bool *isnull)
{
	int			attnum = SPI_fnumber(desc, name);

	if (attnum <= 0)
		elog(ERROR, "crm: table has no column \"%s\"", name);
	return SPI_getbinval(tuple, desc, attnum, isnull);
}

static int64
col_int64(HeapTuple tuple, TupleDesc desc, const char *name, bool *isnull)
{
	bool		n;
	Datum		d = col(tuple, desc, name, &n);

	if (isnull)
		*isnull = n;
	return n ? 0 : DatumGetInt64(d);
}

static char *
col_text(HeapTuple tuple, TupleDesc desc, const char *name)
{
	bool		n;
	Datum		d = col(tuple, desc, name, &n);

	return n ? NULL : TextDatumGetCString(d);
}

/* ---- calls_10_schedule ---- */

/*
 * The target's no_answer_streak counts the consecutive no_answer calls so far,
 * so the rule needs no scan of earlier calls.
 */
static CrmPlan invoice_for_call = {
	"SELECT i.client_id, i.no_answer_streak, $3 + a.no_answer_first_retry, "
	"  $3 + a.no_answer_next_retry "
	"FROM crm.invoices i JOIN crm.accounts a ON a.id = i.account_id "
	"WHERE i.account_id = $1 AND i.id = $2 FOR UPDATE OF i",
	3, {INT8OID, INT8OID, TIMESTAMPTZOID}
};
static CrmPlan task_for_call = {
	"SELECT t.client_id, t.no_answer_streak, $3 + a.no_answer_first_retry, "
	"  $3 + a.no_answer_next_retry "
	"FROM crm.call_tasks t JOIN crm.accounts a ON a.id = t.account_id "
	"WHERE t.account_id = $1 AND t.id = $2 FOR UPDATE OF t",
	3, {INT8OID, INT8OID, TIMESTAMPTZOID}
};

/* The target's schedule, written while the BEFORE trigger holds its row lock. */
static CrmPlan invoice_schedule = {
	"UPDATE crm.invoices SET next_call_at = $3, call_attempts = call_attempts + 1, "
	"  calls_stopped = $4, claimed_by = NULL, claimed_until = NULL, "
	"  no_answer_streak = CASE WHEN $6 = 'no_answer' THEN no_answer_streak + 1 ELSE 0 END "
	"WHERE account_id = $1 AND id = $2",
	6, {INT8OID, INT8OID, TIMESTAMPTZOID, TEXTOID, TIMESTAMPTZOID, TEXTOID}
};
static CrmPlan task_schedule = {
	"UPDATE crm.call_tasks SET next_call_at = $3, call_attempts = call_attempts + 1, "
	"  calls_stopped = $4, claimed_by = NULL, claimed_until = NULL, "
	"  closed_at = CASE WHEN $3 IS NULL THEN coalesce(closed_at, $5) END, "
	"  closed_reason = CASE WHEN $3 IS NULL THEN coalesce(closed_reason, $6) END, "
	"  no_answer_streak = CASE WHEN $6 = 'no_answer' THEN no_answer_streak + 1 ELSE 0 END "
	"WHERE account_id = $1 AND id = $2",
	6, {INT8OID, INT8OID, TIMESTAMPTZOID, TEXTOID, TIMESTAMPTZOID, TEXTOID}
};
static bool
stops_calls(const char *outcome)
{
	return strcmp(outcome, "already_paid") == 0 || strcmp(outcome, "refused") == 0 ||
		strcmp(outcome, "wrong_contact") == 0;
}

static bool
has_suffix_ci(const char *s, const char *suffix)
{
	size_t		n = strlen(s),
				m = strlen(suffix);

	return n >= m && pg_strcasecmp(s + n - m, suffix) == 0;
}

PG_FUNCTION_INFO_V1(crm_calls_schedule);
Datum
crm_calls_schedule(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = crm_check_row_trigger(fcinfo, "crm_calls_schedule", true);
	HeapTuple	tuple = trigdata->tg_trigtuple;
	TupleDesc	desc = trigdata->tg_relation->rd_att;
	int64		account_id = col_int64(tuple, desc, "account_id", NULL);
	bool		on_invoice,
				isnull,
				emp_null,
				cb_null,
				after_null;
	int64		target_id,
				client_id,
				employee_id;
	char	   *outcome = col_text(tuple, desc, "outcome");
	char	   *recording = col_text(tuple, desc, "recording");
	TimestampTz called_at;
	Datum		callback_at = col(tuple, desc, "callback_at", &cb_null);
	Datum		callback_after = col(tuple, desc, "callback_after", &after_null);
	Datum		next = (Datum) 0;
	bool		next_null = true;
	int64		streak;
	Datum		first_retry,
				next_retry;
	Datum		args[3];
	CrmUserSwitch u;
	int			attnums[3];
	Datum		values[3];
	bool		nulls[3];

	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) || TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		elog(ERROR, "crm_calls_schedule: must be fired before insert");
	called_at = DatumGetTimestampTz(col(tuple, desc, "called_at", &isnull));
	/* A NULL outcome or call time is the NOT NULL constraint's to report. */
	if (outcome == NULL || isnull)
		return PointerGetDatum(tuple);
	target_id = col_int64(tuple, desc, "invoice_id", &isnull);
	on_invoice = !isnull;
	if (!on_invoice)
		target_id = col_int64(tuple, desc, "task_id", &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("call has neither invoice nor task"),
				 errdetail("invoice_id and task_id are both NULL."),
				 errhint("Give exactly one of invoice_id and task_id.")));

	if (recording != NULL && !has_suffix_ci(recording, ".mp3"))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recording \"%s\" is not an .mp3 file", recording),
				 errdetail("The recording reference \"%s\" does not end in \".mp3\".", recording),
				 errhint("Reference the call recording as an .mp3 file, or leave recording NULL.")));
	if (!cb_null && DatumGetTimestampTz(callback_at) < called_at)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("call-back time is before the call"),
				 errdetail("callback_at %s is before called_at %s.",
						   timestamptz_to_str(DatumGetTimestampTz(callback_at)),
						   timestamptz_to_str(called_at)),
				 errhint("Choose a call-back time at or after the call.")));
	if (!after_null && DatumGetIntervalP(callback_after)->time < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("call-back interval is negative"),
				 errhint("Choose a positive interval.")));

	args[0] = Int64GetDatum(account_id);
	args[1] = Int64GetDatum(target_id);
	args[2] = TimestampTzGetDatum(called_at);
	SPI_connect();
	crm_become_owner(&u);
	if (crm_exec(on_invoice ? &invoice_for_call : &task_for_call, args, NULL, false, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("%s %lld does not exist", on_invoice ? "invoice" : "call task",
						(long long) target_id),
				 errdetail("Account %lld has no %s with id %lld.", (long long) account_id,
						   on_invoice ? "invoice" : "call task", (long long) target_id),
				 errhint("Log calls on the account's own invoices and call tasks.")));
	client_id = crm_get_int64(0, 1, NULL);
	streak = DatumGetInt32(crm_get(0, 2, &isnull));
	/* called_at + the account's retry intervals, computed by the query */
	first_retry = crm_get(0, 3, &isnull);
	next_retry = crm_get(0, 4, &isnull);

	/* The retry rules. */
	if (strcmp(outcome, "no_answer") == 0)
	{
		next = streak > 0 ? next_retry : first_retry;
		next_null = false;
	}
	else if (strcmp(outcome, "talked") == 0 || strcmp(outcome, "call_back") == 0)
	{
		if (!cb_null)
		{
			next = callback_at;
			next_null = false;
		}
		else if (!after_null)
		{
			next = DirectFunctionCall2(timestamptz_pl_interval,
									   TimestampTzGetDatum(called_at), callback_after);
			next_null = false;
		}
		else if (strcmp(outcome, "call_back") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("call_back needs a call-back time"),
					 errdetail("Both callback_at and callback_after are NULL."),
					 errhint("Give callback_at (at or after called_at) or callback_after.")));
	}

	/*
	 * The target's schedule is written here, not in the AFTER trigger: AFTER
	 * row triggers of a multi-row INSERT run only at the end of the statement,
	 * and the next row's rule must already see this call's streak.
	 */
	{
		Datum		sargs[6];
		char		snulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};

		sargs[0] = Int64GetDatum(account_id);
		sargs[1] = Int64GetDatum(target_id);
		sargs[2] = next;
		snulls[2] = next_null ? 'n' : ' ';
		if (stops_calls(outcome))
			sargs[3] = CStringGetTextDatum(outcome);
		else
			snulls[3] = 'n';
		sargs[4] = TimestampTzGetDatum(called_at);
		sargs[5] = CStringGetTextDatum(outcome);
		crm_exec(on_invoice ? &invoice_schedule : &task_schedule, sargs, snulls, false, 0);
	}
	crm_restore_user(&u);
	SPI_finish();

	employee_id = col_int64(tuple, desc, "employee_id", &emp_null);
	if (emp_null)
		employee_id = crm_employee_or_null(&emp_null);

	attnums[0] = SPI_fnumber(desc, "client_id");
	values[0] = Int64GetDatum(client_id);
	nulls[0] = false;
	attnums[1] = SPI_fnumber(desc, "employee_id");
	values[1] = Int64GetDatum(employee_id);
	nulls[1] = emp_null;
	attnums[2] = SPI_fnumber(desc, "next_call_at");
	values[2] = next;
	nulls[2] = next_null;
	return PointerGetDatum(heap_modify_tuple_by_cols(tuple, desc, 3, attnums, values, nulls));
}

/* ---- calls_90_apply ---- */

static CrmPlan invoice_cancel = {
	"UPDATE crm.invoices SET status = 'cancelled' "
	"WHERE account_id = $1 AND id = $2 AND status IN ('awaiting', 'prepaid')",
	2, {INT8OID, INT8OID}
};
static CrmPlan client_flag = {
	"UPDATE crm.clients SET contact_flagged = true WHERE account_id = $1 AND id = $2",
	2, {INT8OID, INT8OID}
};
static CrmPlan invoice_event = {
	"INSERT INTO crm.invoice_events (account_id, invoice_id, at, employee_id, kind, detail) "
	"VALUES ($1, $2, $3, $4, 'call', $5)",
	5, {INT8OID, INT8OID, TIMESTAMPTZOID, INT8OID, JSONBOID}
};
static CrmPlan task_event = {
	"INSERT INTO crm.call_task_events (account_id, task_id, at, employee_id, kind, detail) "
	"VALUES ($1, $2, $3, $4, 'call', $5)",
	5, {INT8OID, INT8OID, TIMESTAMPTZOID, INT8OID, JSONBOID}
};
static CrmPlan template_by_id = {
	"SELECT subject, body FROM crm.message_templates WHERE account_id = $1 AND id = $2",
	2, {INT8OID, INT8OID}
};
static CrmPlan outbox_insert = {
	"INSERT INTO crm.outbox (account_id, kind, recipient, cc, subject, body, payload, dedup_key) "
	"VALUES ($1, 'email', $2, $3, $4, $5, $6, $7) "
	"ON CONFLICT (account_id, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING RETURNING id",
	7, {INT8OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, TEXTOID}
};
static CrmPlan notify = {
	"SELECT pg_catalog.pg_notify('crm_events', $1)", 1, {TEXTOID}
};

static void
queue_template_email(int64 account_id, int64 call_id, int64 template_id, int64 client_id,
					 int64 invoice_id, bool invoice_null, bool copy_to_manager)
{
	Datum		args[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};
	char	   *subject,
			   *body,
			   *client_email = NULL,
			   *manager_email = NULL,
			   *id_text = psprintf("%lld", (long long) call_id);
	const char *keys[4] = {"kind", "account_id", "call_id", "outbox_id"};
	const char *vals[4] = {"outbox", psprintf("%lld", (long long) account_id), id_text, NULL};

	args[0] = Int64GetDatum(account_id);
	args[1] = Int64GetDatum(template_id);
	if (crm_exec(&template_by_id, args, NULL, true, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("message template %lld does not exist", (long long) template_id),
				 errhint("Use one of the account's message templates.")));
	subject = crm_get_text(0, 1);
	body = crm_get_text(0, 2);
	subject = crm_template_render(account_id, subject ? subject : "", client_id,
								  invoice_id, invoice_null, NULL, NULL);
	body = crm_template_render(account_id, body, client_id, invoice_id, invoice_null,
							   &client_email, &manager_email);
	if (client_email == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("client %lld has no email", (long long) client_id),
				 errdetail("The call asks for template %lld to be sent, but the client has no email address.",
						   (long long) template_id),
				 errhint("Add the client's email, or log the call without template_id.")));
	args[1] = CStringGetTextDatum(client_email);
	if (copy_to_manager && manager_email != NULL)
		args[2] = CStringGetTextDatum(manager_email);
	else
		nulls[2] = 'n';
	args[3] = CStringGetTextDatum(subject);
	args[4] = CStringGetTextDatum(body);
	args[5] = crm_json_object(3, keys, vals);
	args[6] = CStringGetTextDatum(psprintf("call:%lld", (long long) call_id));
	if (crm_exec(&outbox_insert, args, nulls, false, 1) == 1)
	{
		vals[3] = psprintf("%lld", (long long) crm_get_int64(0, 1, NULL));
		args[0] = DirectFunctionCall1(jsonb_out, crm_json_object(4, keys, vals));
		args[0] = CStringGetTextDatum(DatumGetCString(args[0]));
		crm_exec(&notify, args, NULL, false, 1);
	}
}

PG_FUNCTION_INFO_V1(crm_calls_apply);
Datum
crm_calls_apply(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = crm_check_row_trigger(fcinfo, "crm_calls_apply", false);
	HeapTuple	tuple = trigdata->tg_trigtuple;
	TupleDesc	desc = trigdata->tg_relation->rd_att;
	int64		account_id = col_int64(tuple, desc, "account_id", NULL);
	int64		call_id = col_int64(tuple, desc, "id", NULL);
	int64		client_id = col_int64(tuple, desc, "client_id", NULL);
	bool		on_invoice,
				isnull,
				emp_null,
				next_null,
				tpl_null;
	int64		invoice_id = col_int64(tuple, desc, "invoice_id", &isnull);
	int64		target_id,
				employee_id = col_int64(tuple, desc, "employee_id", &emp_null),
				template_id = col_int64(tuple, desc, "template_id", &tpl_null);
	char	   *outcome = col_text(tuple, desc, "outcome");
	Datum		called_at = col(tuple, desc, "called_at", &isnull);
	Datum		next = col(tuple, desc, "next_call_at", &next_null);
	bool		copy = DatumGetBool(col(tuple, desc, "copy_to_manager", &isnull));
	Datum		args[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	const char *keys[4] = {"call_id", "outcome", "employee_id", "next_call_at"};
	const char *vals[4];
	CrmUserSwitch u;

	col_int64(tuple, desc, "invoice_id", &isnull);
	on_invoice = !isnull;
	target_id = on_invoice ? invoice_id : col_int64(tuple, desc, "task_id", NULL);

	SPI_connect();
	crm_become_owner(&u);

	args[0] = Int64GetDatum(account_id);
	args[1] = Int64GetDatum(target_id);

	if (on_invoice && strcmp(outcome, "refused") == 0)
	{
		const char *saved = crm_invoice_event_reason;

		crm_invoice_event_reason = "call_refused";
		PG_TRY();
		{
			crm_exec(&invoice_cancel, args, NULL, false, 0);
		}
		PG_FINALLY();
		{
			crm_invoice_event_reason = saved;
		}
		PG_END_TRY();
	}
	if (strcmp(outcome, "wrong_contact") == 0)
	{
		args[1] = Int64GetDatum(client_id);
		crm_exec(&client_flag, args, NULL, false, 0);
	}

	/* History: the invoice's events, or the task's. */
	vals[0] = psprintf("%lld", (long long) call_id);
	vals[1] = outcome;
	vals[2] = emp_null ? NULL : psprintf("%lld", (long long) employee_id);
	vals[3] = next_null ? NULL : timestamptz_to_str(DatumGetTimestampTz(next));
	memset(nulls, ' ', sizeof(nulls));
	args[1] = Int64GetDatum(target_id);
	args[2] = called_at;
	args[3] = Int64GetDatum(employee_id);
	nulls[3] = emp_null ? 'n' : ' ';
	args[4] = crm_json_object(4, keys, vals);
	crm_exec(on_invoice ? &invoice_event : &task_event, args, nulls, false, 0);

	if (!tpl_null)
		queue_template_email(account_id, call_id, template_id, client_id,
							 invoice_id, !on_invoice, copy);

	crm_restore_user(&u);
	SPI_finish();
	return PointerGetDatum(NULL);
}

/* ---- call tasks ---- */

static CrmPlan client_category = {
	"SELECT category, name FROM crm.clients WHERE account_id = $1 AND id = $2",
	2, {INT8OID, INT8OID}
};

PG_FUNCTION_INFO_V1(crm_call_tasks_check);
Datum
crm_call_tasks_check(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = crm_check_row_trigger(fcinfo, "crm_call_tasks_check", true);
	HeapTuple	tuple = trigdata->tg_trigtuple;
	TupleDesc	desc = trigdata->tg_relation->rd_att;
	int64		account_id = col_int64(tuple, desc, "account_id", NULL);
	int64		client_id = col_int64(tuple, desc, "client_id", NULL);
	Datum		args[2] = {Int64GetDatum(account_id), Int64GetDatum(client_id)};
	bool		isnull,
				emp_null;
	int			attnums[2];
	Datum		values[2];
	bool		nulls[2];
	int			n = 0;
	CrmUserSwitch u;

	if (!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		elog(ERROR, "crm_call_tasks_check: must be fired before insert");
	SPI_connect();
	crm_become_owner(&u);
	if (crm_exec(&client_category, args, NULL, true, 1) == 1)
	{
		char	   *category = crm_get_text(0, 1);
		char	   *name = crm_get_text(0, 2);

		if (strcmp(category, "not_client") == 0 || strcmp(category, "spam") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("client \"%s\" is in category \"%s\"", name, category),
					 errdetail("Client %lld is in category \"%s\", which takes no call tasks.",
							   (long long) client_id, category),
					 errhint("Call tasks are for clients in any category but \"not_client\" and \"spam\".")));
	}
	crm_restore_user(&u);
	SPI_finish();

	/* A new task is due at once. */
	col(tuple, desc, "next_call_at", &isnull);
	col(tuple, desc, "closed_at", &emp_null);
	if (isnull && emp_null)
	{
		attnums[n] = SPI_fnumber(desc, "next_call_at");
		values[n] = col(tuple, desc, "created_at", &nulls[n]);
		n++;
	}
	col(tuple, desc, "employee_id", &emp_null);
	if (emp_null)
	{
		attnums[n] = SPI_fnumber(desc, "employee_id");
		values[n] = Int64GetDatum(crm_employee_or_null(&nulls[n]));
		n++;
	}
	if (n == 0)
		return PointerGetDatum(tuple);
	return PointerGetDatum(heap_modify_tuple_by_cols(tuple, desc, n, attnums, values, nulls));
}

static CrmPlan close_client_tasks = {
	"UPDATE crm.call_tasks SET closed_at = now(), closed_reason = 'client_' || $3, "
	"  next_call_at = NULL, claimed_by = NULL, claimed_until = NULL "
	"WHERE account_id = $1 AND client_id = $2 AND closed_at IS NULL",
	3, {INT8OID, INT8OID, TEXTOID}
};

PG_FUNCTION_INFO_V1(crm_clients_close_call_tasks);
Datum
crm_clients_close_call_tasks(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = crm_check_row_trigger(fcinfo, "crm_clients_close_call_tasks", false);
	TupleDesc	desc = trigdata->tg_relation->rd_att;
	HeapTuple	newt = trigdata->tg_newtuple;
	char	   *old_cat = col_text(trigdata->tg_trigtuple, desc, "category");
	char	   *new_cat = col_text(newt, desc, "category");
	Datum		args[3];
	CrmUserSwitch u;

	if (!TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		elog(ERROR, "crm_clients_close_call_tasks: must be fired after update");
	if (strcmp(old_cat, new_cat) == 0 ||
		(strcmp(new_cat, "not_client") != 0 && strcmp(new_cat, "spam") != 0))
		return PointerGetDatum(NULL);
	args[0] = Int64GetDatum(col_int64(newt, desc, "account_id", NULL));
	args[1] = Int64GetDatum(col_int64(newt, desc, "id", NULL));
	args[2] = CStringGetTextDatum(new_cat);
	SPI_connect();
	crm_become_owner(&u);
	crm_exec(&close_client_tasks, args, NULL, false, 0);
	crm_restore_user(&u);
	SPI_finish();
	return PointerGetDatum(NULL);
}

/* ---- crm.log_call ---- */

static CrmPlan insert_call = {
	"INSERT INTO crm.calls (invoice_id, task_id, outcome, called_at, callback_at, "
	"  callback_after, comment, recording, template_id, copy_to_manager) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
	10, {INT8OID, INT8OID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID, INTERVALOID,
	TEXTOID, TEXTOID, INT8OID, BOOLOID}
};

PG_FUNCTION_INFO_V1(crm_log_call);
Datum
crm_log_call(PG_FUNCTION_ARGS)
{
	Datum		args[10];
	char		nulls[10];
	int64		id;

	crm_require_account();
	for (int i = 0; i < 10; i++)
	{
		args[i] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
		nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
	}
	if (PG_ARGISNULL(3))
	{
		args[3] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
		nulls[3] = ' ';
	}
	if (PG_ARGISNULL(9))
	{
		args[9] = BoolGetDatum(false);
		nulls[9] = ' ';
	}
	SPI_connect();
	crm_exec(&insert_call, args, nulls, false, 1);
	id = crm_get_int64(0, 1, NULL);
	SPI_finish();
	PG_RETURN_INT64(id);
}

/* ---- crm.claim_next_call ---- */

static CrmPlan claim_invoice = {
	"SELECT i.id, i.next_call_at FROM crm.invoices i "
	"JOIN crm.clients c ON c.account_id = i.account_id AND c.id = i.client_id "
	"WHERE i.account_id = $1 AND i.status IN ('awaiting', 'prepaid') "
	"  AND i.calls_stopped IS NULL AND i.next_call_at <= $2 "
	"  AND (i.claimed_until IS NULL OR i.claimed_until <= $2) "
	"  AND c.category NOT IN ('not_client', 'spam') "
	"ORDER BY i.next_call_at, i.id LIMIT 1 FOR UPDATE OF i SKIP LOCKED",
	2, {INT8OID, TIMESTAMPTZOID}
};
static CrmPlan claim_task = {
	"SELECT t.id, t.next_call_at FROM crm.call_tasks t "
	"JOIN crm.clients c ON c.account_id = t.account_id AND c.id = t.client_id "
	"WHERE t.account_id = $1 AND t.closed_at IS NULL "
	"  AND t.next_call_at <= $2 "
	"  AND (t.claimed_until IS NULL OR t.claimed_until <= $2) "
	"  AND c.category NOT IN ('not_client', 'spam') "
	"ORDER BY t.next_call_at, t.id LIMIT 1 FOR UPDATE OF t SKIP LOCKED",
	2, {INT8OID, TIMESTAMPTZOID}
};
static CrmPlan operator_sees_clients = {
	"SELECT can_see_customers AND active FROM crm.employees WHERE account_id = $1 AND id = $2",
	2, {INT8OID, INT8OID}
};
static CrmPlan hold_invoice = {
	"UPDATE crm.invoices SET claimed_by = $3, claimed_until = $4 "
	"WHERE account_id = $1 AND id = $2",
	4, {INT8OID, INT8OID, INT8OID, TIMESTAMPTZOID}
};
static CrmPlan hold_task = {
	"UPDATE crm.call_tasks SET claimed_by = $3, claimed_until = $4 "
	"WHERE account_id = $1 AND id = $2",
	4, {INT8OID, INT8OID, INT8OID, TIMESTAMPTZOID}
};

/*
 * Claims the oldest due item for the current employee until now + hold:
 * rows locked by another claimer are skipped, and the claim stays recorded
 * after commit, so two operators never get the same item.
 */
PG_FUNCTION_INFO_V1(crm_claim_next_call);
Datum
crm_claim_next_call(PG_FUNCTION_ARGS)
{
	int64		account_id = crm_require_account();
	TimestampTz now = PG_GETARG_TIMESTAMPTZ(0);
	Datum		hold = PG_GETARG_DATUM(1);
	bool		emp_null;
	int64		employee_id = crm_employee_or_null(&emp_null);
	Datum		args[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	bool		have_inv,
				have_task,
				take_invoice;
	int64		inv_id = 0,
				task_id = 0;
	TimestampTz inv_at = 0,
				task_at = 0;
	TupleDesc	tupdesc;
	Datum		out[3];
	bool		outnull[3] = {false, false, false};
	CrmUserSwitch u;

	if (emp_null)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("no employee to claim a call for"),
				 errdetail("The setting crm.employee_id is unset."),
				 errhint("Set crm.employee_id to the operator's employee id.")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "crm_claim_next_call: return type must be a row type");

	args[0] = Int64GetDatum(account_id);
	args[1] = TimestampTzGetDatum(now);
	SPI_connect();
	crm_become_owner(&u);
	/* the claim runs as the owner: the operator's own right is checked here */
	args[1] = Int64GetDatum(employee_id);
	if (crm_exec(&operator_sees_clients, args, NULL, true, 1) == 0 ||
		!crm_get_bool(0, 1, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("employee %lld may not claim calls", (long long) employee_id),
				 errdetail("Employee %lld of account %lld is inactive, unknown or without can_see_customers.",
						   (long long) employee_id, (long long) account_id),
				 errhint("Claim calls as an active employee with can_see_customers.")));
	args[1] = TimestampTzGetDatum(now);
	have_inv = crm_exec(&claim_invoice, args, NULL, false, 1) == 1;
	if (have_inv)
	{
		inv_id = crm_get_int64(0, 1, NULL);
		inv_at = DatumGetTimestampTz(crm_get(0, 2, &emp_null));
	}
	have_task = crm_exec(&claim_task, args, NULL, false, 1) == 1;
	if (have_task)
	{
		task_id = crm_get_int64(0, 1, NULL);
		task_at = DatumGetTimestampTz(crm_get(0, 2, &emp_null));
	}
	if (!have_inv && !have_task)
	{
		crm_restore_user(&u);
		SPI_finish();
		PG_RETURN_NULL();
	}
	take_invoice = have_inv && (!have_task || inv_at <= task_at);
	args[1] = Int64GetDatum(take_invoice ? inv_id : task_id);
	args[2] = Int64GetDatum(employee_id);
	args[3] = DirectFunctionCall2(timestamptz_pl_interval, TimestampTzGetDatum(now), hold);
	crm_exec(take_invoice ? &hold_invoice : &hold_task, args, nulls, false, 0);
	crm_restore_user(&u);
	SPI_finish();

	out[0] = CStringGetTextDatum(take_invoice ? "invoice" : "task");
	out[1] = Int64GetDatum(take_invoice ? inv_id : task_id);
	out[2] = TimestampTzGetDatum(take_invoice ? inv_at : task_at);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), out, outnull)));
}
