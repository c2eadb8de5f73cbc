/*
 * calls.c
 *	  Calls: call outcomes and the retry rules.  Call tasks and claiming from
 *	  the call queue are in call_queue.c; both read src/calls.sql.
 *
 * Triggers on crm.calls:
 *	calls_10_schedule		(BEFORE INSERT) crm_calls_schedule: the employee who
 *							called is the acting one (actor.h), client, employee,
 *							next_call_at, email_skipped, and the invoice's or
 *							task's schedule
 *	calls_90_apply			(AFTER INSERT) crm_calls_apply: cancel the invoice on
 *							refused, contact flag, history, template email
 *
 * Not a client means not contacted: a call with a template to a client of
 * category not_client or spam is logged as any other, but no email is
 * queued; email_skipped records the category that stopped it.
 * Functions: crm.log_call (crm_log_call).
 *
 * Retry times come from the call's own called_at, never from the clock.
 * The row's account_id is authoritative (row-level security checks it for
 * non-owners); every internal query names it.  A refused call cancels its
 * invoice through invoices/public.h; a template email goes out through the
 * outbox (outbox.h).
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "actor.h"
#include "crm.h"
#include "invoices/public.h"
#include "outbox.h"
#include "values.h"

enum
{
	CALL_ACCOUNT_ID,
	CALL_ID,
	CALL_INVOICE_ID,
	CALL_TASK_ID,
	CALL_CLIENT_ID,
	CALL_EMPLOYEE_ID,
	CALL_OUTCOME,
	CALL_CALLED_AT,
	CALL_CALLBACK_AT,
	CALL_CALLBACK_AFTER,
	CALL_RECORDING,
	CALL_TEMPLATE_ID,
	CALL_COPY_TO_MANAGER,
	CALL_NEXT_CALL_AT,
	CALL_EMAIL_SKIPPED,
	CALL_NCOLUMNS
};
static const char *const call_names[CALL_NCOLUMNS] = {
	"account_id", "id", "invoice_id", "task_id", "client_id", "employee_id", "outcome",
	"called_at", "callback_at", "callback_after", "recording", "template_id",
	"copy_to_manager", "next_call_at", "email_skipped"
};
static CrmColumnMap call_columns = {"crm.calls", CALL_NCOLUMNS, call_names};

/* ---- calls_10_schedule ---- */

/*
 * The target's no_answer_streak counts the consecutive no_answer calls so far,
 * so the rule needs no scan of earlier calls.
 */
static CrmPlan invoice_for_call = {
	"SELECT i.client_id, i.no_answer_streak, $3 + a.no_answer_first_retry, "
	"  $3 + a.no_answer_next_retry, c.category "
	"FROM crm.invoices i JOIN crm.accounts a ON a.id = i.account_id "
	"LEFT JOIN crm.clients c ON c.account_id = i.account_id AND c.id = i.client_id "
	"WHERE i.account_id = $1 AND i.id = $2 FOR UPDATE OF i",
	3, {INT8OID, INT8OID, TIMESTAMPTZOID}
};
static CrmPlan task_for_call = {
	"SELECT t.client_id, t.no_answer_streak, $3 + a.no_answer_first_retry, "
	"  $3 + a.no_answer_next_retry, c.category "
	"FROM crm.call_tasks t JOIN crm.accounts a ON a.id = t.account_id "
	"LEFT JOIN crm.clients c ON c.account_id = t.account_id AND c.id = t.client_id "
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

/* What the rules need of the invoice or task a call is on. */
typedef struct CallTarget
{
	bool		on_invoice;
	int64		id;
	int64		client_id;
	int32		streak;
	Datum		first_retry;	/* called_at + the account's retry intervals */
	Datum		next_retry;
	char	   *category;		/* the client's category */
} CallTarget;

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

/*
 * The recording, the call's times and the call-back interval, as given: the
 * times and the interval before anything is computed from them (the value
 * trigger calls_values runs only after this trigger).
 */
static void
check_call(const CrmRow *row, TimestampTz called_at)
{
	char	   *recording = crm_row_text(row, CALL_RECORDING);
	bool		cb_null,
				after_null;
	Datum		callback_at = crm_row_get(row, CALL_CALLBACK_AT, &cb_null);
	Datum		callback_after = crm_row_get(row, CALL_CALLBACK_AFTER, &after_null);

	if (recording != NULL && !has_suffix_ci(recording, ".mp3"))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recording \"%s\" is not an .mp3 file", recording),
				 errdetail("The recording reference \"%s\" does not end in \".mp3\".", recording),
				 errhint("Reference the call recording as an .mp3 file, or leave recording NULL.")));
	crm_check_time(called_at, "crm.calls.called_at");
	if (!cb_null)
		crm_check_time(DatumGetTimestampTz(callback_at), "crm.calls.callback_at");
	if (!cb_null && DatumGetTimestampTz(callback_at) < called_at)
	{
		/* timestamptz_to_str returns one static buffer: copy each result */
		char	   *callback_text = pstrdup(timestamptz_to_str(DatumGetTimestampTz(callback_at)));
		char	   *called_text = pstrdup(timestamptz_to_str(called_at));

		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("call-back time is before the call"),
				 errdetail("callback_at %s is before called_at %s.", callback_text, called_text),
				 errhint("Choose a call-back time at or after the call.")));
	}
	if (!after_null)
		crm_check_forward_interval(DatumGetIntervalP(callback_after), "crm.calls.callback_after",
								   NULL, NULL);
}

/* Locks the call's invoice or task and reads what the rules need; connected to SPI. */
static void
read_target(int64 account_id, TimestampTz called_at, CallTarget *target)
{
	Datum		args[3] = {Int64GetDatum(account_id), Int64GetDatum(target->id),
	TimestampTzGetDatum(called_at)};
	bool		isnull;

	if (crm_exec(target->on_invoice ? &invoice_for_call : &task_for_call, args, NULL, false, 1) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("%s %lld does not exist", target->on_invoice ? "invoice" : "call task",
						(long long) target->id),
				 errdetail("Account %lld has no %s with id %lld.", (long long) account_id,
						   target->on_invoice ? "invoice" : "call task", (long long) target->id),
				 errhint("Log calls on the account's own invoices and call tasks.")));
	target->client_id = crm_get_int64(0, 1, NULL);
	target->streak = DatumGetInt32(crm_get(0, 2, &isnull));
	target->first_retry = crm_get(0, 3, &isnull);
	target->next_retry = crm_get(0, 4, &isnull);
	target->category = crm_get_text(0, 5);
}

/* The client's category when it stops every message to the client, else NULL. */
static const char *
not_contacted(const CallTarget *target)
{
	if (target->category != NULL && (strcmp(target->category, "not_client") == 0 ||
									  strcmp(target->category, "spam") == 0))
		return target->category;
	return NULL;
}

/* The retry rules: when the target is due again; *next_null when never. */
static Datum
next_call_at(const CrmRow *row, const char *outcome, TimestampTz called_at,
			 const CallTarget *target, bool *next_null)
{
	bool		cb_null,
				after_null;
	Datum		callback_at = crm_row_get(row, CALL_CALLBACK_AT, &cb_null);
	Datum		callback_after = crm_row_get(row, CALL_CALLBACK_AFTER, &after_null);

	*next_null = false;
	if (strcmp(outcome, "no_answer") == 0)
		return target->streak > 0 ? target->next_retry : target->first_retry;
	if (strcmp(outcome, "talked") == 0 || strcmp(outcome, "call_back") == 0)
	{
		if (!cb_null)
			return callback_at;
		if (!after_null)
			return DirectFunctionCall2(timestamptz_pl_interval,
									   TimestampTzGetDatum(called_at), callback_after);
		if (strcmp(outcome, "call_back") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("call_back needs a call-back time"),
					 errdetail("Both callback_at and callback_after are NULL."),
					 errhint("Give callback_at (at or after called_at) or callback_after.")));
	}
	*next_null = true;
	return (Datum) 0;
}

/*
 * The target's schedule is written here, not in the AFTER trigger: AFTER
 * row triggers of a multi-row INSERT run only at the end of the statement,
 * and the next row's rule must already see this call's streak.
 */
static void
write_schedule(int64 account_id, const CallTarget *target, const char *outcome,
			   TimestampTz called_at, Datum next, bool next_null)
{
	Datum		args[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};

	args[0] = Int64GetDatum(account_id);
	args[1] = Int64GetDatum(target->id);
	args[2] = next;
	nulls[2] = next_null ? 'n' : ' ';
	if (stops_calls(outcome))
		args[3] = CStringGetTextDatum(outcome);
	else
		nulls[3] = 'n';
	args[4] = TimestampTzGetDatum(called_at);
	args[5] = CStringGetTextDatum(outcome);
	crm_exec(target->on_invoice ? &invoice_schedule : &task_schedule, args, nulls, false, 0);
}

PG_FUNCTION_INFO_V1(crm_calls_schedule);
Datum
crm_calls_schedule(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		row;
	CrmChanges	ch = {0};
	CallTarget	target;
	CrmUserSwitch u;
	bool		isnull,
				emp_null,
				next_null;
	int64		account_id,
				employee_id;
	char	   *outcome;
	TimestampTz called_at;
	Datum		next;

	crm_trigger_start(&trig, fcinfo, "crm_calls_schedule", CRM_BEFORE, CRM_ON_INSERT);
	if (trig.restoring)
		return crm_trigger_return(&trig, trig.new);
	row = crm_trigger_row(&trig, trig.new, &call_columns);
	account_id = crm_row_int64(&row, CALL_ACCOUNT_ID, NULL);
	outcome = crm_row_text(&row, CALL_OUTCOME);
	called_at = DatumGetTimestampTz(crm_row_get(&row, CALL_CALLED_AT, &isnull));
	/* A NULL outcome or call time is the NOT NULL constraint's to report. */
	if (outcome == NULL || isnull)
		return crm_trigger_return(&trig, row.tuple);
	target.id = crm_row_int64(&row, CALL_INVOICE_ID, &isnull);
	target.on_invoice = !isnull;
	if (!target.on_invoice)
		target.id = crm_row_int64(&row, CALL_TASK_ID, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("call has neither invoice nor task"),
				 errdetail("invoice_id and task_id are both NULL."),
				 errhint("Give exactly one of invoice_id and task_id.")));
	check_call(&row, called_at);
	if (!crm_row_isnull(&row, CALL_EMAIL_SKIPPED))
		crm_error_generated_column("crm.calls", "email_skipped",
								   "crm records why a call's template email was not queued.");
	employee_id = crm_row_int64(&row, CALL_EMPLOYEE_ID, &emp_null);
	if (!emp_null)
		crm_actor_check_named(employee_id, "a call");

	crm_trigger_connect(&trig);
	crm_become_owner(&u);
	read_target(account_id, called_at, &target);
	next = next_call_at(&row, outcome, called_at, &target, &next_null);
	write_schedule(account_id, &target, outcome, called_at, next, next_null);
	crm_restore_user(&u);

	if (emp_null)
		employee_id = crm_employee_or_null(&emp_null);
	crm_change(&ch, &row, CALL_CLIENT_ID, Int64GetDatum(target.client_id), false);
	crm_change(&ch, &row, CALL_EMPLOYEE_ID, Int64GetDatum(employee_id), emp_null);
	crm_change(&ch, &row, CALL_NEXT_CALL_AT, next, next_null);
	if (!crm_row_isnull(&row, CALL_TEMPLATE_ID) && not_contacted(&target) != NULL)
		crm_change_text(&ch, &row, CALL_EMAIL_SKIPPED, not_contacted(&target));
	return crm_trigger_return(&trig, crm_changes_apply(&row, &ch));
}

/* ---- calls_90_apply ---- */

static CrmPlan client_flag = {
	"UPDATE crm.clients SET contact_flagged = true WHERE account_id = $1 AND id = $2",
	2, {INT8OID, INT8OID}
};
static CrmPlan task_event = {
	"INSERT INTO crm.call_task_events (account_id, task_id, at, employee_id, kind, detail) "
	"VALUES ($1, $2, $3, $4, 'call', $5)",
	5, {INT8OID, INT8OID, TIMESTAMPTZOID, INT8OID, JSONBOID}
};
/* Renders the call's template for the client and queues it as an email. */
static void
queue_template_email(int64 account_id, int64 call_id, int64 template_id, int64 client_id,
					 int64 invoice_id, bool invoice_null, bool copy_to_manager)
{
	const char *subject,
			   *body;
	char	   *client_email = NULL,
			   *manager_email = NULL;
	CrmOutboxEmail email;
	CrmJson		payload;

	if (!crm_message_template(account_id, template_id, &subject, &body))
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("message template %lld does not exist", (long long) template_id),
				 errhint("Use one of the account's message templates.")));
	email.subject = crm_template_render(account_id, subject ? subject : "", client_id,
										invoice_id, invoice_null, NULL, NULL);
	email.body = crm_template_render(account_id, body, client_id, invoice_id, invoice_null,
									 &client_email, &manager_email);
	if (client_email == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("client %lld has no email", (long long) client_id),
				 errdetail("The call asks for template %lld to be sent, but the client has no email address.",
						   (long long) template_id),
				 errhint("Add the client's email, or log the call without template_id.")));
	email.recipient = client_email;
	email.cc = copy_to_manager ? manager_email : NULL;
	email.dedup_key = psprintf("call:%lld", (long long) call_id);
	crm_json_begin(&payload);
	crm_json_text(&payload, "event", "call_template");
	crm_json_int64(&payload, "call_id", call_id, false);
	crm_json_int64(&payload, "template_id", template_id, false);
	crm_json_int64(&payload, "client_id", client_id, false);
	crm_json_int64(&payload, "invoice_id", invoice_id, invoice_null);
	email.payload = crm_json_jsonb(&payload);
	(void) crm_outbox_email(account_id, &email);
}

/* The call in the history of its invoice, or of its task. */
static void
call_event(const CrmRow *row, int64 account_id, int64 call_id, bool on_invoice, int64 target_id)
{
	bool		emp_null,
				isnull;
	int64		employee_id = crm_row_int64(row, CALL_EMPLOYEE_ID, &emp_null);
	CrmJson		detail;
	Datum		args[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};

	crm_json_begin(&detail);
	crm_json_int64(&detail, "call_id", call_id, false);
	crm_json_row(&detail, "outcome", row, CALL_OUTCOME);
	crm_json_row(&detail, "employee_id", row, CALL_EMPLOYEE_ID);
	crm_json_row(&detail, "next_call_at", row, CALL_NEXT_CALL_AT);
	args[0] = Int64GetDatum(account_id);
	args[1] = Int64GetDatum(target_id);
	args[2] = crm_row_get(row, CALL_CALLED_AT, &isnull);
	args[3] = Int64GetDatum(employee_id);
	nulls[3] = emp_null ? 'n' : ' ';
	args[4] = crm_json_jsonb(&detail);
	if (on_invoice)
		crm_invoice_call_event(account_id, target_id, args[2], employee_id, emp_null, args[4]);
	else
		crm_exec(&task_event, args, nulls, false, 0);
}

PG_FUNCTION_INFO_V1(crm_calls_apply);
Datum
crm_calls_apply(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		row;
	CrmUserSwitch u;
	bool		on_invoice,
				tpl_null;
	int64		account_id,
				call_id,
				client_id,
				invoice_id,
				target_id,
				template_id;
	char	   *outcome;

	crm_trigger_start(&trig, fcinfo, "crm_calls_apply", CRM_AFTER, CRM_ON_INSERT);
	if (trig.restoring)
		return crm_trigger_return(&trig, NULL);
	row = crm_trigger_row(&trig, trig.new, &call_columns);
	account_id = crm_row_int64(&row, CALL_ACCOUNT_ID, NULL);
	call_id = crm_row_int64(&row, CALL_ID, NULL);
	client_id = crm_row_int64(&row, CALL_CLIENT_ID, NULL);
	invoice_id = crm_row_int64(&row, CALL_INVOICE_ID, NULL);
	on_invoice = !crm_row_isnull(&row, CALL_INVOICE_ID);
	target_id = on_invoice ? invoice_id : crm_row_int64(&row, CALL_TASK_ID, NULL);
	template_id = crm_row_int64(&row, CALL_TEMPLATE_ID, &tpl_null);
	outcome = crm_row_text(&row, CALL_OUTCOME);

	crm_trigger_connect(&trig);
	crm_become_owner(&u);
	if (on_invoice && strcmp(outcome, "refused") == 0)
		(void) crm_invoice_cancel_unpaid(account_id, invoice_id, "call_refused");
	if (strcmp(outcome, "wrong_contact") == 0)
	{
		Datum		args[2] = {Int64GetDatum(account_id), Int64GetDatum(client_id)};

		crm_exec(&client_flag, args, NULL, false, 0);
	}
	call_event(&row, account_id, call_id, on_invoice, target_id);
	if (!tpl_null && crm_row_isnull(&row, CALL_EMAIL_SKIPPED))
		queue_template_email(account_id, call_id, template_id, client_id,
							 invoice_id, !on_invoice, crm_row_bool(&row, CALL_COPY_TO_MANAGER));
	crm_restore_user(&u);
	return crm_trigger_return(&trig, NULL);
}

/* ---- crm.log_call ---- */

static CrmPlan insert_call = {
	"INSERT INTO crm.calls AS c (outcome, invoice_id, task_id, called_at, callback_at, "
	"  callback_after, comment, recording, template_id, copy_to_manager) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING c.*",
	10, {TEXTOID, INT8OID, INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID, INTERVALOID,
	TEXTOID, TEXTOID, INT8OID, BOOLOID}
};

/*
 * crm.log_call(outcome, invoice_id, task_id, called_at, callback_at,
 * callback_after, comment, recording, template_id, copy_to_manager): the
 * call row, as the triggers filled it (client, next call).
 */
PG_FUNCTION_INFO_V1(crm_log_call);
Datum
crm_log_call(PG_FUNCTION_ARGS)
{
	Datum		args[10];
	char		nulls[10];
	Datum		result;

	crm_require_account();
	if (PG_ARGISNULL(0))
		crm_error_null_argument("outcome", "Pass the call's outcome, one of crm.call_outcomes.");
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
	result = crm_get_row_copy(0, 1, "calls");
	SPI_finish();
	PG_RETURN_DATUM(result);
}
