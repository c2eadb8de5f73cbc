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
 * Trigger on each staging table:
 *	import_00_stage			BEFORE INSERT (statement): crm_import_stage takes
 *							the account's import lock, shared
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
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "events.h"
#include "import/import.h"
#include "kit/citus.h"
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
	account_id = crm_require_account();
	crm_trigger_connect(&trig);
	crm_lock_shared(account_id, CRM_LOCK_IMPORT);
	return crm_trigger_return(&trig, NULL);
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

/*
 * On Citus the import is refused: its rows pass rules that only crm's own
 * write may pass (kept numbers, dated history, invoices in the state their
 * payments give them), and through the coordinator those writes fire their
 * triggers on the worker nodes, where what crm's own write allows does not
 * reach; and a run reads as the schema owner and writes as the caller in one
 * transaction, which Citus refuses on the account's shards.
 */
static void
refuse_on_citus(const char *function)
{
	if (!crm_citus_active() ||
		!crm_relation_is_distributed(get_relname_relid("import_clients", get_namespace_oid("crm", false))))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("%s does not run on a Citus cluster", function),
			 errdetail("An import writes rows only crm's own write may write (kept numbers, dated history, "
					   "paid invoices); on Citus their triggers run on the worker nodes, which that write's "
					   "permission does not reach."),
			 errhint("Import into crm on one server before distributing it (a data-only dump of it restores "
					 "into a new Citus cluster); on Citus, write the account's rows through crm's tables.")));
}

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

/* Each table's sequence past the largest id staged for it. */
static void
move_sequences(ImportRun *run)
{
	Datum		arg = Int64GetDatum(run->account_id);
	int64		max_ids[IMPORT_NKINDS];

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

/* crm.import_run(as_of timestamptz DEFAULT now()) */
PG_FUNCTION_INFO_V1(crm_import_run);
Datum
crm_import_run(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		account_id;
	TimestampTz as_of;
	ImportRun	run;
	CrmUserSwitch user;

	refuse_on_citus("crm.import_run()");
	account_id = crm_require_account();
	if (PG_ARGISNULL(0))
		crm_error_null_argument("as_of", "Pass the time the import runs as of, or leave it out for now().");
	as_of = PG_GETARG_TIMESTAMPTZ(0);
	crm_check_time(as_of, "as_of");
	refuse_hidden_customers();
	InitMaterializedSRF(fcinfo, 0);

	SPI_connect();
	crm_lock(account_id, CRM_LOCK_IMPORT);
	crm_become_owner(&user);
	start_run(&run, account_id, as_of);
	for (int k = 0; k < IMPORT_NKINDS; k++)
		crm_import_table_open(&run, tables[k]);
	move_sequences(&run);
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
	for (int k = 0; k < IMPORT_NKINDS; k++)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};
		MemoryContext old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);

		values[0] = Int64GetDatum(run.batch_id);
		values[1] = CStringGetTextDatum(crm_import_kind_names[k]);
		values[2] = Int64GetDatum(run.counts[k].staged);
		values[3] = Int64GetDatum(run.counts[k].imported);
		values[4] = Int64GetDatum(run.counts[k].rejected);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	return (Datum) 0;
}

/* crm.import_staged(): the rows the account has staged, per kind. */
PG_FUNCTION_INFO_V1(crm_import_staged);
Datum
crm_import_staged(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum		arg;
	CrmUserSwitch user;
	int64		counts[IMPORT_NKINDS];

	refuse_on_citus("crm.import_staged()");
	arg = Int64GetDatum(crm_require_account());
	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
	crm_become_owner(&user);
	crm_exec(&staged_counts, &arg, NULL, true, 1);
	for (int k = 0; k < IMPORT_NKINDS; k++)
		counts[k] = crm_get_int64(0, k + 1, NULL);
	crm_restore_user(&user);
	SPI_finish();
	for (int k = 0; k < IMPORT_NKINDS; k++)
	{
		Datum		values[2] = {CStringGetTextDatum(crm_import_kind_names[k]), Int64GetDatum(counts[k])};
		bool		nulls[2] = {false, false};

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* crm.import_clear(): removes the account's staged rows; returns how many. */
PG_FUNCTION_INFO_V1(crm_import_clear);
Datum
crm_import_clear(PG_FUNCTION_ARGS)
{
	int64		account_id;
	Datum		arg;
	CrmUserSwitch user;
	int64		n = 0;

	refuse_on_citus("crm.import_clear()");
	account_id = crm_require_account();
	arg = Int64GetDatum(account_id);
	SPI_connect();
	crm_lock(account_id, CRM_LOCK_IMPORT);
	crm_become_owner(&user);
	for (int k = 0; k < IMPORT_NKINDS; k++)
		n += crm_exec(&clear_staged[k], &arg, NULL, false, 0);
	crm_restore_user(&user);
	SPI_finish();
	PG_RETURN_INT64(n);
}
