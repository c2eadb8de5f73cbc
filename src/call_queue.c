/*
 * call_queue.c
 *	  Call tasks and the call queue: what is due to be called, and which
 *	  operator takes it.  Call outcomes are in calls.c; both read
 *	  src/calls.sql.
 *
 * Triggers:
 *	call_tasks_10_check		(BEFORE INSERT on crm.call_tasks) crm_call_tasks_check:
 *							category rule, due at once
 *	clients_60_close_call_tasks (AFTER UPDATE OF category on crm.clients)
 *							crm_clients_close_call_tasks: a client becoming
 *							not_client or spam closes its open tasks
 * Functions: crm.claim_next_call (crm_claim_next_call), and its twin
 * crm._claim_next_call(account, ...), the claim on the account's Citus
 * worker (kit/delegate.h: the claim writes as the owner).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type_d.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "crm.h"
#include "customers.h"
#include "kit/delegate.h"
#include "values.h"

enum
{
	TASK_ACCOUNT_ID,
	TASK_CLIENT_ID,
	TASK_EMPLOYEE_ID,
	TASK_NEXT_CALL_AT,
	TASK_CREATED_AT,
	TASK_CLOSED_AT,
	TASK_NCOLUMNS
};
static const char *const task_names[TASK_NCOLUMNS] = {
	"account_id", "client_id", "employee_id", "next_call_at", "created_at", "closed_at"
};
static CrmColumnMap task_columns = {"crm.call_tasks", TASK_NCOLUMNS, task_names};

enum
{
	CLIENT_ACCOUNT_ID,
	CLIENT_ID,
	CLIENT_CATEGORY,
	CLIENT_NCOLUMNS
};
static const char *const client_names[CLIENT_NCOLUMNS] = {"account_id", "id", "category"};
static CrmColumnMap client_columns = {"crm.clients", CLIENT_NCOLUMNS, client_names};

/* ---- call tasks ---- */

static CrmPlan client_category = {
	"SELECT category, name FROM crm.clients WHERE account_id = $1 AND id = $2",
	2, {INT8OID, INT8OID}
};

/* Refuses a task for a client in a category that takes none; connected to SPI. */
static void
check_task_client(int64 account_id, int64 client_id)
{
	Datum		args[2] = {Int64GetDatum(account_id), Int64GetDatum(client_id)};
	char	   *category;
	char	   *name;

	if (crm_exec(&client_category, args, NULL, true, 1) != 1)
		return;
	category = crm_get_text(0, 1);
	/* read as the owner: the name only for an employee who may see it */
	name = crm_customers_hidden() ? psprintf("%lld", (long long) client_id)
		: psprintf("\"%s\"", crm_get_text(0, 2));
	if (strcmp(category, "not_client") == 0 || strcmp(category, "spam") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("client %s is in category \"%s\"", name, category),
				 errdetail("Client %lld is in category \"%s\", which takes no call tasks.",
						   (long long) client_id, category),
				 errhint("Call tasks are for clients in any category but \"not_client\" and \"spam\".")));
}

PG_FUNCTION_INFO_V1(crm_call_tasks_check);
Datum
crm_call_tasks_check(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		row;
	CrmChanges	ch = {0};
	CrmUserSwitch u;

	crm_trigger_start(&trig, fcinfo, "crm_call_tasks_check", CRM_BEFORE, CRM_ON_INSERT);
	if (trig.restoring)
		return crm_trigger_return(&trig, trig.new);
	row = crm_trigger_row(&trig, trig.new, &task_columns);
	crm_trigger_connect(&trig);
	crm_become_owner(&u);
	check_task_client(crm_row_int64(&row, TASK_ACCOUNT_ID, NULL),
					  crm_row_int64(&row, TASK_CLIENT_ID, NULL));
	crm_restore_user(&u);

	/* A new task is due at once. */
	if (crm_row_isnull(&row, TASK_NEXT_CALL_AT) && crm_row_isnull(&row, TASK_CLOSED_AT))
	{
		bool		isnull;
		Datum		created_at = crm_row_get(&row, TASK_CREATED_AT, &isnull);

		crm_change(&ch, &row, TASK_NEXT_CALL_AT, created_at, isnull);
	}
	if (crm_row_isnull(&row, TASK_EMPLOYEE_ID))
	{
		bool		no_employee;
		int64		employee_id = crm_employee_or_null(&no_employee);

		crm_change(&ch, &row, TASK_EMPLOYEE_ID, Int64GetDatum(employee_id), no_employee);
	}
	return crm_trigger_return(&trig, crm_changes_apply(&row, &ch));
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
	CrmTrigger	trig;
	CrmRow		old;
	CrmRow		new;
	char	   *new_cat;
	Datum		args[3];
	CrmUserSwitch u;

	crm_trigger_start(&trig, fcinfo, "crm_clients_close_call_tasks", CRM_AFTER, CRM_ON_UPDATE);
	old = crm_trigger_row(&trig, trig.old, &client_columns);
	new = crm_trigger_row(&trig, trig.new, &client_columns);
	new_cat = crm_row_text(&new, CLIENT_CATEGORY);
	if (strcmp(crm_row_text(&old, CLIENT_CATEGORY), new_cat) == 0 ||
		(strcmp(new_cat, "not_client") != 0 && strcmp(new_cat, "spam") != 0))
		return crm_trigger_return(&trig, NULL);
	args[0] = Int64GetDatum(crm_row_int64(&new, CLIENT_ACCOUNT_ID, NULL));
	args[1] = Int64GetDatum(crm_row_int64(&new, CLIENT_ID, NULL));
	args[2] = CStringGetTextDatum(new_cat);
	crm_trigger_connect(&trig);
	crm_become_owner(&u);
	crm_exec(&close_client_tasks, args, NULL, false, 0);
	crm_restore_user(&u);
	return crm_trigger_return(&trig, NULL);
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

/* A claim holds an item for the length of a call, at most a day. */
static const Interval hold_max = {.time = 0, .day = 1, .month = 0};

/*
 * Claims the oldest due item for the current employee until now + hold:
 * rows locked by another claimer are skipped, and the claim stays recorded
 * after commit, so two operators never get the same item.  now is a business
 * time and hold moves it forward by at most a day (values.h), so a claim
 * always ends.
 */
static CrmDelegate claim_twin = {"crm._claim_next_call", 2, {TIMESTAMPTZOID, INTERVALOID}};

PG_FUNCTION_INFO_V1(crm_claim_next_call);
Datum
crm_claim_next_call(PG_FUNCTION_ARGS)
{
	int64		account_id = crm_require_account();
	TimestampTz now;
	Datum		hold;
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
	Datum		delegated;

	if (crm_delegate(&claim_twin, fcinfo, account_id, &delegated))
		return delegated;
	now = PG_GETARG_TIMESTAMPTZ(0);
	hold = PG_GETARG_DATUM(1);
	if (emp_null)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("no employee to claim a call for"),
				 errdetail("The setting crm.employee_id is unset."),
				 errhint("Set crm.employee_id to the operator's employee id.")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "crm_claim_next_call: return type must be a row type");
	crm_check_time(now, "now");
	crm_check_forward_interval(DatumGetIntervalP(hold), "hold", &hold_max, "1 day");

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
