/*
 * import/run.c
 *	  The import from another CRM: crm.import_run loads every staged row of
 *	  the account, in one transaction, and reports the rows it rejects.
 *
 * Functions:
 *	crm.import_run(as_of)	crm_import_run: one batch (crm.import_batches);
 *							returns per kind the rows staged, imported and
 *							rejected (crm.import_rejects)
 *	crm.import_staged()		crm_import_staged: the rows staged now, per kind
 *	crm.import_clear()		crm_import_clear: removes them without importing
 * Triggers on each staging table:
 *	import_00_stage			BEFORE INSERT (statement): crm_import_stage takes
 *							the account's import lock, shared
 *	import_01_account		BEFORE INSERT (row): crm_import_stage_row holds a
 *							staged row to the session's account; on a Citus
 *							shard it takes the lock (the statement's trigger
 *							there cannot tell whose rows come)
 *
 * A run takes the account's import lock (kit/locks.h) alone: it waits for
 * the statements staging rows to end and holds new ones until it commits, so
 * every statement of the run sees the same staged rows, and two runs of one
 * account never mix.  It then moves each table's identity sequence past the
 * largest id staged for it (before it locks anything a writer of the table
 * could wait for), and imports clients, leads, orders, invoices and their
 * payments, in that order, so each can refer to what came before.  The staged
 * rows are removed at the end; a rejected one stays in crm.import_rejects
 * with its row.  The imported rows are history and make no event of
 * crm.events (events.c); the run itself is one, import_run, with its batch
 * and counts.  as_of is the run's now: what it brings happened before it,
 * and a lead's deadline before it is already past.
 *
 * On Citus the run goes to the worker that holds the account's shards:
 * crm.import_run() on the coordinator calls crm._import_run(account, as_of),
 * a function crm.distribute() delegates there by its account argument
 * (create_distributed_function, force_delegation), and the run's statements
 * and triggers then execute in that worker's backend, on the local shards,
 * where its write scope holds (kit/system_write.h) and where switching to
 * the owner and back touches no placement another user's connection wrote.
 * Run on the coordinator itself, its triggers would fire on the workers,
 * outside the scope: crm._import_run refuses that (0A000).
 *
 * Functions (besides the above): crm._import_run(account, as_of)
 *	crm_import_run_in: the run of crm.import_run on the account's worker;
 *	returns its counts as an array; crm._import_staged(account),
 *	crm._import_clear(account): the twins (kit/delegate.h) of
 *	crm.import_staged and crm.import_clear, one C entry each, which count and
 *	remove the staged rows there, so that staging, checking and running work
 *	in one transaction on Citus too
 */
#include "postgres.h"

#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "events.h"
#include "identity.h"
#include "import/import.h"
#include "kit/citus.h"
#include "kit/delegate.h"
#include "kit/locks.h"
#include "values.h"

/* ---- the staging lock ---- */

PG_FUNCTION_INFO_V1(crm_import_stage);
Datum
crm_import_stage(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	int64		account_id;

	crm_trigger_start_statement(&trig, fcinfo, "crm_import_stage", CRM_BEFORE, CRM_ON_INSERT, false);
	if (trig.restoring)
		return crm_trigger_return(&trig, NULL); /* staged rows as dumped, of their accounts */
	if (crm_citus_in_task())
		return crm_trigger_return(&trig, NULL); /* on a shard: import_01_account locks, per row */
	account_id = crm_require_account();
	crm_trigger_connect(&trig);
	crm_lock_shared(account_id, CRM_LOCK_IMPORT);
	return crm_trigger_return(&trig, NULL);
}

/*
 * The account of a staged row: the session's.  A crm role may not write
 * account_id on one server (its column grant); on Citus crm.distribute()
 * grants it, as Citus names the column in the INSERT it sends a shard, and
 * this trigger holds the row to the session's account there (the owner
 * stages for any).
 */
enum
{
	STAGED_ACCOUNT, STAGED_NCOLUMNS
};
static const char *const staged_names[] = {"account_id"};
static CrmColumnMap staged_columns = {"crm.import_*", STAGED_NCOLUMNS, staged_names};

PG_FUNCTION_INFO_V1(crm_import_stage_row);
Datum
crm_import_stage_row(PG_FUNCTION_ARGS)
{
	CrmTrigger	trig;
	CrmRow		row;
	int64		account_id;
	int64		given;

	crm_trigger_start(&trig, fcinfo, "crm_import_stage_row", CRM_BEFORE, CRM_ON_INSERT);
	if (trig.restoring)
		return crm_trigger_return(&trig, trig.new);
	row = crm_trigger_row(&trig, trig.new, &staged_columns);
	given = crm_row_int64(&row, STAGED_ACCOUNT, NULL);
	if (crm_actor_kind() != CRM_ACTOR_OWNER && given != (account_id = crm_require_account()))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot stage a row of account %lld", (long long) given),
				 errdetail("The session acts in account %lld.", (long long) account_id),
				 errhint("Leave account_id out: a staged row is the session's account's.")));
	if (crm_citus_in_task())
	{
		/* on a shard the row's account is the one whose lock is beside it (held once per transaction) */
		crm_trigger_connect(&trig);
		crm_lock_shared(given, CRM_LOCK_IMPORT);
	}
	return crm_trigger_return(&trig, trig.new);
}

/* ---- the run ---- */

static CrmPlan account_row = {
	"SELECT default_region, timezone, order_number_template, invoice_number_template "
	"FROM crm.accounts WHERE id = $1",
	1, {INT8OID}
};
static CrmPlan new_batch = {
	"INSERT INTO crm.import_batches (account_id, employee_id, as_of) VALUES ($1, $2, $3) RETURNING id",
	3, {INT8OID, INT8OID, TIMESTAMPTZOID}
};
static CrmPlan batch_counts = {
	"UPDATE crm.import_batches SET staged = $3, imported = $4, rejected = $5 "
	"WHERE account_id = $1 AND id = $2",
	5, {INT8OID, INT8OID, INT8OID, INT8OID, INT8OID}
};

#define STAGED_MAX_ID(table) \
	"(SELECT max(id) FROM crm." table " WHERE account_id = $1 AND id BETWEEN 1 AND " IMPORT_MAX_ID_TEXT ")"
static CrmPlan staged_max_ids = {
	"SELECT " STAGED_MAX_ID("import_clients") ", " STAGED_MAX_ID("import_leads") ", "
	STAGED_MAX_ID("import_orders") ", " STAGED_MAX_ID("import_invoices") ", "
	STAGED_MAX_ID("import_payments"),
	1, {INT8OID}
};

#define STAGED_COUNT(table) "(SELECT count(*) FROM crm." table " WHERE account_id = $1)"
static CrmPlan staged_counts = {
	"SELECT " STAGED_COUNT("import_clients") ", " STAGED_COUNT("import_leads") ", "
	STAGED_COUNT("import_orders") ", " STAGED_COUNT("import_invoices") ", "
	STAGED_COUNT("import_payments"),
	1, {INT8OID}
};

static CrmPlan clear_staged[IMPORT_NKINDS] = {
	{"DELETE FROM crm.import_clients WHERE account_id = $1", 1, {INT8OID}},
	{"DELETE FROM crm.import_leads WHERE account_id = $1", 1, {INT8OID}},
	{"DELETE FROM crm.import_orders WHERE account_id = $1", 1, {INT8OID}},
	{"DELETE FROM crm.import_invoices WHERE account_id = $1", 1, {INT8OID}},
	{"DELETE FROM crm.import_payments WHERE account_id = $1", 1, {INT8OID}},
};

static ImportTable *const tables[IMPORT_NKINDS] = {
	&crm_import_client_table, &crm_import_lead_table, &crm_import_order_table,
	&crm_import_invoice_table, &crm_import_payment_table
};

static void
refuse_hidden_customers(void)
{
	bool		no_employee;
	int64		employee = crm_employee_or_null(&no_employee);

	if (crm_can_see_customers())
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("employee %lld cannot import customer data", (long long) employee),
			 errdetail("Staged clients, leads and orders are customer data, and employee %lld may not see customers (crm.employees.can_see_customers).",
					   (long long) employee),
			 errhint("Run the import as an employee who may see customers.")));
}

/* The run's account settings, as the owner. */
static void
start_run(ImportRun *run, int64 account_id, TimestampTz as_of)
{
	Datum		args[3];
	char		nulls[4] = "   ";
	MemoryContext caller = CurrentMemoryContext;

	memset(run, 0, sizeof(ImportRun));
	run->account_id = account_id;
	run->as_of = as_of;
	run->employee_id = crm_employee_or_null(&run->no_employee);
	run->memory = AllocSetContextCreate(caller, "crm import run", ALLOCSET_DEFAULT_SIZES);
	run->chunk = AllocSetContextCreate(run->memory, "crm import chunk", ALLOCSET_DEFAULT_SIZES);

	args[0] = Int64GetDatum(account_id);
	if (crm_exec(&account_row, args, NULL, true, 1) != 1)
		crm_error_no_account(account_id);
	MemoryContextSwitchTo(run->memory);
	run->region = crm_import_value_text(SPI_tuptable, 0, 1);
	run->timezone = crm_import_value_text(SPI_tuptable, 0, 2);
	run->order_template = crm_import_value_text(SPI_tuptable, 0, 3);
	run->invoice_template = crm_import_value_text(SPI_tuptable, 0, 4);
	run->as_of_text = crm_import_time_text(as_of);

	args[1] = Int64GetDatum(run->employee_id);
	nulls[1] = run->no_employee ? 'n' : ' ';
	args[2] = TimestampTzGetDatum(as_of);
	crm_exec(&new_batch, args, nulls, false, 1);
	run->batch_id = crm_get_int64(0, 1, NULL);
	MemoryContextSwitchTo(caller);
}

/* Each table's sequence past the largest id staged for it (into max_ids[IMPORT_NKINDS]). */
static void
move_sequences(ImportRun *run, int64 *max_ids)
{
	Datum		arg = Int64GetDatum(run->account_id);

	crm_exec(&staged_max_ids, &arg, NULL, true, 1);
	for (int k = 0; k < IMPORT_NKINDS; k++)
		max_ids[k] = crm_get_int64(0, k + 1, NULL);
	for (int k = 0; k < IMPORT_NKINDS; k++)
		crm_import_move_sequence(tables[k], max_ids[k]);
}

/* The run as one event of crm.events: the rows it imported are history, not events. */
static void
run_event(ImportRun *run, const int64 *total)
{
	CrmJson		j;

	crm_json_begin(&j);
	crm_json_int64(&j, "batch_id", run->batch_id, false);
	crm_json_timestamptz(&j, "as_of", run->as_of, false);
	for (int k = 0; k < IMPORT_NKINDS; k++)
		crm_json_int64(&j, psprintf("%ss", crm_import_kind_names[k]), run->counts[k].imported, false);
	crm_json_int64(&j, "rejected", total[2], false);
	crm_event(run->account_id, "import_run", crm_json_jsonb(&j));
}

static void
finish_run(ImportRun *run)
{
	Datum		args[5];
	int64		total[3] = {0, 0, 0};

	args[0] = Int64GetDatum(run->account_id);
	for (int k = 0; k < IMPORT_NKINDS; k++)
	{
		crm_exec(&clear_staged[k], args, NULL, false, 0);
		total[0] += run->counts[k].staged;
		total[1] += run->counts[k].imported;
		total[2] += run->counts[k].rejected;
	}
	args[1] = Int64GetDatum(run->batch_id);
	for (int i = 0; i < 3; i++)
		args[2 + i] = Int64GetDatum(total[i]);
	crm_exec(&batch_counts, args, NULL, false, 0);
	run_event(run, total);
}

/*
 * A run's counts as an array: the batch, then staged, imported, rejected of
 * each kind, then the largest id staged of each kind.
 */
#define RUN_COUNTS (1 + 3 * IMPORT_NKINDS + IMPORT_NKINDS)
#define RUN_MAX_IDS (1 + 3 * IMPORT_NKINDS)

/* The run, in this backend (see the header); its counts in counts[RUN_COUNTS]. */
static void
run_here(int64 account_id, TimestampTz as_of, int64 *counts)
{
	ImportRun	run;
	CrmUserSwitch user;
	/* on a worker, the run's statements on the account's shards are Citus's to allow */
	int			nesting = crm_citus_in_task() ? crm_citus_nesting_begin() : 0;

	SPI_connect();
	crm_lock(account_id, CRM_LOCK_IMPORT);
	crm_become_owner(&user);
	start_run(&run, account_id, as_of);
	for (int k = 0; k < IMPORT_NKINDS; k++)
		crm_import_table_open(&run, tables[k]);
	move_sequences(&run, counts + RUN_MAX_IDS);
	crm_restore_user(&user);

	crm_import_clients(&run);
	crm_import_leads(&run);
	crm_import_orders(&run);
	crm_import_payments_check(&run);
	crm_import_invoices(&run);
	crm_import_payments(&run);

	crm_become_owner(&user);
	finish_run(&run);
	crm_restore_user(&user);
	counts[0] = run.batch_id;
	for (int k = 0; k < IMPORT_NKINDS; k++)
	{
		counts[1 + 3 * k] = run.counts[k].staged;
		counts[2 + 3 * k] = run.counts[k].imported;
		counts[3 + 3 * k] = run.counts[k].rejected;
	}
	SPI_finish();
	crm_citus_nesting_end(nesting);
}

/*
 * The run's twin (kit/delegate.h), whose result is an array, not the run's
 * rows: the coordinator calls it by a plan of its own, in FROM (a call in
 * the select list of a statement a function runs is one Citus leaves
 * alone), a custom plan (its account a value), for Citus to delegate.
 */
static CrmDelegate run_twin = {"crm._import_run", 1, {TIMESTAMPTZOID}};
static CrmPlan run_on_worker = {
	"SELECT * FROM crm._import_run($1, $2)", 2, {INT8OID, TIMESTAMPTZOID}, NULL, true
};

/*
 * The coordinator's sequences past the ids the run on a worker kept: a row
 * typed in through the coordinator takes its id there (Citus evaluates the
 * id's default on the coordinator).  Connected to SPI.
 */
static void
move_coordinator_sequences(const int64 *max_ids)
{
	for (int k = 0; k < IMPORT_NKINDS; k++)
	{
		ImportTable table = {0};
		Oid			relid = get_relname_relid(tables[k]->name, get_namespace_oid("crm", false));

		table.id_sequence = getIdentitySequence(relid, get_attnum(relid, "id"), false);
		crm_import_move_sequence(&table, max_ids[k]);
	}
}

/* The run on the account's worker, through crm._import_run. */
static void
run_on_account_worker(int64 account_id, TimestampTz as_of, int64 *counts)
{
	Datum		args[2] = {Int64GetDatum(account_id), TimestampTzGetDatum(as_of)};

	SPI_connect();
	crm_exec(&run_on_worker, args, NULL, false, 1);
	crm_get_int64_array(0, 1, counts, RUN_COUNTS, "crm._import_run");
	move_coordinator_sequences(counts + RUN_MAX_IDS);
	SPI_finish();
}

/* crm.import_run(as_of timestamptz DEFAULT now()) */
PG_FUNCTION_INFO_V1(crm_import_run);
Datum
crm_import_run(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		account_id = crm_require_account();
	TimestampTz as_of;
	int64		counts[RUN_COUNTS];

	if (PG_ARGISNULL(0))
		crm_error_null_argument("as_of", "Pass the time the import runs as of, or leave it out for now().");
	as_of = PG_GETARG_TIMESTAMPTZ(0);
	crm_check_time(as_of, "as_of");
	refuse_hidden_customers();
	InitMaterializedSRF(fcinfo, 0);

	if (crm_distributed() && !crm_citus_in_task())
		run_on_account_worker(account_id, as_of, counts);
	else
		run_here(account_id, as_of, counts);
	for (int k = 0; k < IMPORT_NKINDS; k++)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};
		MemoryContext old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);

		values[0] = Int64GetDatum(counts[0]);
		values[1] = CStringGetTextDatum(crm_import_kind_names[k]);
		values[2] = Int64GetDatum(counts[1 + 3 * k]);
		values[3] = Int64GetDatum(counts[2 + 3 * k]);
		values[4] = Int64GetDatum(counts[3 + 3 * k]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(old);
	}
	return (Datum) 0;
}

/*
 * crm._import_run(account, as_of): crm.import_run's run on the account's
 * Citus worker (see the header); the account must be the session's
 * (kit/delegate.h).  Its own C entry: its result is the run's counts with
 * the largest ids staged, which the coordinator moves its sequences past.
 */
PG_FUNCTION_INFO_V1(crm_import_run_in);
Datum
crm_import_run_in(PG_FUNCTION_ARGS)
{
	int64		account_id;
	TimestampTz as_of;
	int64		counts[RUN_COUNTS];
	Datum		elems[RUN_COUNTS];

	account_id = crm_require_account();
	crm_delegate_enter(&run_twin, fcinfo, account_id);
	if (PG_ARGISNULL(0))
		crm_error_null_argument("as_of", "Call crm.import_run(as_of) instead.");
	as_of = PG_GETARG_TIMESTAMPTZ(0);
	crm_check_time(as_of, "as_of");
	refuse_hidden_customers();
	run_here(account_id, as_of, counts);
	for (int i = 0; i < RUN_COUNTS; i++)
		elems[i] = Int64GetDatum(counts[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, RUN_COUNTS, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* The account's staged rows per kind, counted here (as the owner). */
static void
staged_here(int64 account_id, int64 *counts)
{
	Datum		arg = Int64GetDatum(account_id);
	CrmUserSwitch user;

	SPI_connect();
	crm_become_owner(&user);
	crm_exec(&staged_counts, &arg, NULL, true, 1);
	for (int k = 0; k < IMPORT_NKINDS; k++)
		counts[k] = crm_get_int64(0, k + 1, NULL);
	crm_restore_user(&user);
	SPI_finish();
}

/* The account's staged rows removed here (as the owner); returns how many. */
static int64
clear_here(int64 account_id)
{
	Datum		arg = Int64GetDatum(account_id);
	CrmUserSwitch user;
	int64		n = 0;

	SPI_connect();
	crm_lock(account_id, CRM_LOCK_IMPORT);
	crm_become_owner(&user);
	for (int k = 0; k < IMPORT_NKINDS; k++)
		n += crm_exec(&clear_staged[k], &arg, NULL, false, 0);
	crm_restore_user(&user);
	SPI_finish();
	return n;
}

/*
 * On Citus the staged rows are counted and removed on the account's worker,
 * as the run is: crm.import_staged() and crm.import_clear() call their twins
 * crm._import_staged(account) and crm._import_clear(account) (kit/delegate.h),
 * which go there as the caller, over the connection that staged the rows in
 * this transaction, and crm switches to the owner in that backend.
 */
static CrmDelegate staged_twin = {"crm._import_staged", 0, {0}, .runs_here = true};
static CrmDelegate clear_twin = {"crm._import_clear", 0, {0}, .runs_here = true};

/* crm.import_staged(): the rows the account has staged, per kind (and its twin). */
PG_FUNCTION_INFO_V1(crm_import_staged);
Datum
crm_import_staged(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		account_id = crm_require_account();
	int64		counts[IMPORT_NKINDS];
	Datum		result;

	if (crm_delegate(&staged_twin, fcinfo, account_id, &result))
		return result;
	InitMaterializedSRF(fcinfo, 0);
	staged_here(account_id, counts);
	for (int k = 0; k < IMPORT_NKINDS; k++)
	{
		Datum		values[2] = {CStringGetTextDatum(crm_import_kind_names[k]), Int64GetDatum(counts[k])};
		bool		nulls[2] = {false, false};

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* crm.import_clear(): removes the account's staged rows; returns how many (and its twin). */
PG_FUNCTION_INFO_V1(crm_import_clear);
Datum
crm_import_clear(PG_FUNCTION_ARGS)
{
	int64		account_id = crm_require_account();
	Datum		result;

	if (crm_delegate(&clear_twin, fcinfo, account_id, &result))
		return result;
	PG_RETURN_INT64(clear_here(account_id));
}
